//! Lead intake from JSON datasets: Google Places crawls (Apify's Google
//! Maps scraper, the Places API), people-search records (Apollo's person)
//! and flat records keyed like CSV columns. Each record's values go through
//! the same `LeadDraft` as a CSV row, so every rule (phones, countries,
//! placeholders, closed listings) reads them alike.

use super::columns::{field_for, normal_header, Field, Tool};
use super::json_records::{JsonForm, JsonRecords};
use super::record::{Built, LeadDraft, Refusal};
use super::{row_at, IntakeContext, RowResult};
use crate::domain::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Read;

// ---------------------------------------------------------------------------------------
// Dataset kinds
// ---------------------------------------------------------------------------------------

/// What a dataset's records describe, which decides how they map to leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    /// Flat records keyed by the CSV column names intake knows (`email`,
    /// `company`, `phone`, ...): a CSV file, or JSON shaped like one.
    Csv,
    /// Google Places crawl records (Apify Google Maps scraper, Places API).
    Places,
    /// People-search API person records (Apollo-style).
    People,
}

impl DatasetKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(DatasetKind::Csv),
            "places" | "google-places" => Some(DatasetKind::Places),
            "people" | "people-search" => Some(DatasetKind::People),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DatasetKind::Csv => "csv",
            DatasetKind::Places => "places",
            DatasetKind::People => "people",
        }
    }

    /// Guesses the kind from a dataset's first record: Places keys
    /// (`totalScore`, `placeId`, `displayName`, ...) win, then people-search
    /// keys (`first_name`, `organization`, `seniority`, ...); anything else is
    /// taken as flat CSV-like columns.
    pub fn detect(first_record: &Value) -> DatasetKind {
        let has = |keys: &[&str]| keys.iter().any(|k| first_record.get(k).is_some());
        if has(&[
            "totalScore",
            "placeId",
            "displayName",
            "userRatingCount",
            "claimThisBusiness",
            "categoryName",
        ]) {
            DatasetKind::Places
        } else if has(&[
            "first_name",
            "organization",
            "seniority",
            "email_status",
            "phone_numbers",
        ]) {
            DatasetKind::People
        } else {
            DatasetKind::Csv
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mappers
// ---------------------------------------------------------------------------------------

/// Why a record could not become a lead: the lead field at fault and the
/// reason, as in a CSV row error.
pub type FieldError = Refusal;

/// Maps one record of a dataset of the given kind to a lead.
pub fn map_record(
    kind: DatasetKind,
    ctx: &IntakeContext,
    tenant: &TenantId,
    record: &Value,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Built, FieldError> {
    if !record.is_object() {
        return Err(("-".into(), "the record is not a JSON object".into()));
    }
    let draft = match kind {
        DatasetKind::Csv => flat_draft(record),
        DatasetKind::Places => places_draft(record),
        DatasetKind::People => people_draft(record),
    };
    draft.finish(ctx, tenant, source, now, false)
}

/// Sets `field` from the first of `pointers` that holds a value; the key
/// names the value in the report.
fn pick(draft: &mut LeadDraft, record: &Value, field: Field, pointers: &[&str]) {
    for p in pointers {
        if let Some(v) = scalar(record, p) {
            draft.set(field, p.trim_start_matches('/'), &v);
            return;
        }
    }
}

/// A Google Places record as a lead for the business.
///
/// Two shapes are read. Field names were checked against public code that
/// reads them (typed dataset items and field masks), not against a live run:
/// - the Apify Google Maps scraper (`compass/crawler-google-places`) dataset
///   item: `title`, `website`, `phone`, `phoneUnformatted`, `street`, `city`,
///   `state`, `postalCode`, `countryCode`, `address`, `totalScore`,
///   `reviewsCount`, `categoryName`, `categories`, `claimThisBusiness` (true
///   when the owner has NOT claimed the profile), `permanentlyClosed`,
///   `temporarilyClosed`, `placeId`, `emails`, and, on detail-page crawls,
///   `reviews[].responseFromOwnerText`;
/// - the Places API (New) `Place`: `id`, `displayName.text`, `websiteUri`,
///   `internationalPhoneNumber`, `nationalPhoneNumber`, `formattedAddress`,
///   `addressComponents[]{longText, shortText, types}`, `rating`,
///   `userRatingCount`, `primaryType`, `primaryTypeDisplayName.text`,
///   `businessStatus` (it has no claimed flag).
///
/// A listing's phone is the business's line (`company_phone`), never a
/// person's direct phone. A permanently closed business is refused; a
/// temporarily closed one is imported and held.
pub fn places_draft(record: &Value) -> LeadDraft {
    let mut d = LeadDraft::new();
    pick(&mut d, record, Field::BusinessStatus, &["/businessStatus"]);
    pick(
        &mut d,
        record,
        Field::PermanentlyClosed,
        &["/permanentlyClosed"],
    );
    pick(
        &mut d,
        record,
        Field::TemporarilyClosed,
        &["/temporarilyClosed"],
    );
    pick(
        &mut d,
        record,
        Field::Company,
        &["/title", "/displayName/text", "/displayName"],
    );
    if let Some(name) = scalar(record, "/name").filter(|n| !n.starts_with("places/")) {
        d.set(Field::Company, "name", &name);
    }
    pick(&mut d, record, Field::Website, &["/website", "/websiteUri"]);
    pick(
        &mut d,
        record,
        Field::CompanyPhone,
        &[
            "/phoneUnformatted",
            "/internationalPhoneNumber",
            "/phone",
            "/nationalPhoneNumber",
            "/phones/0",
        ],
    );
    pick(&mut d, record, Field::Email, &["/email", "/emails/0"]);
    pick(&mut d, record, Field::CompanyCity, &["/city"]);
    for kind in ["locality", "postal_town"] {
        if let Some(v) = address_component(record, kind, false) {
            d.set(Field::CompanyCity, "addressComponents", &v);
        }
    }
    pick(&mut d, record, Field::CompanyState, &["/state"]);
    if let Some(v) = address_component(record, "administrative_area_level_1", true) {
        d.set(Field::CompanyState, "addressComponents", &v);
    }
    pick(&mut d, record, Field::CompanyCountry, &["/countryCode"]);
    if let Some(v) = address_component(record, "country", true) {
        d.set(Field::CompanyCountry, "addressComponents", &v);
    }
    pick(&mut d, record, Field::CompanyCountry, &["/country"]);
    pick(
        &mut d,
        record,
        Field::CompanyLocation,
        &["/address", "/formattedAddress"],
    );
    pick(
        &mut d,
        record,
        Field::Industry,
        &[
            "/categoryName",
            "/primaryTypeDisplayName/text",
            "/categories/0",
        ],
    );
    if let Some(t) = scalar(record, "/primaryType") {
        d.set(Field::Industry, "primaryType", &t.replace('_', " "));
    }
    pick(&mut d, record, Field::Rating, &["/totalScore", "/rating"]);
    pick(
        &mut d,
        record,
        Field::Reviews,
        &["/reviewsCount", "/userRatingCount"],
    );
    pick(&mut d, record, Field::Unclaimed, &["/claimThisBusiness"]);
    pick(
        &mut d,
        record,
        Field::Gbp,
        &["/isClaimed", "/is_claimed", "/claimed"],
    );
    let reviews = scalar(record, "/reviewsCount")
        .or_else(|| scalar(record, "/userRatingCount"))
        .and_then(|r| r.parse::<u32>().ok());
    match response_rate(record, reviews) {
        Ok(Some(rate)) => d.set(
            Field::ResponseRate,
            "review_response_rate",
            &rate.to_string(),
        ),
        Ok(None) => {}
        Err((field, reason)) => d.left_out(&field, reason),
    }
    pick(&mut d, record, Field::PlaceId, &["/placeId", "/place_id"]);
    if record.get("displayName").is_some() {
        pick(&mut d, record, Field::PlaceId, &["/id"]);
    }
    if let Some(id) =
        scalar(record, "/name").and_then(|n| n.strip_prefix("places/").map(str::to_string))
    {
        d.set(Field::PlaceId, "name", &id);
    }
    d
}

/// A people-search person record as a lead, in the shape of Apollo's
/// `mixed_people/search` and `people/match` `person`: `first_name`,
/// `last_name`, `name`, `title`, `headline`, `seniority`, `email`,
/// `email_status`, `linkedin_url`, `city`, `state`, `country`, `time_zone`,
/// `phone_numbers[]{sanitized_number, raw_number, type}`, and
/// `organization{name, website_url, primary_domain, estimated_num_employees,
/// industry, city, state, country, phone, primary_phone}`.
///
/// City, state and country are the organization's (its HQ) where it has them,
/// else the person's. A phone typed `work_hq` and the organization's phone
/// are the company's switchboard, never the person's direct phone. Apollo's
/// placeholder for an email the plan has not revealed
/// (`email_not_unlocked@domain.com`) counts as no email.
pub fn people_draft(record: &Value) -> LeadDraft {
    let mut d = LeadDraft::new();
    pick(&mut d, record, Field::FirstName, &["/first_name"]);
    pick(&mut d, record, Field::LastName, &["/last_name"]);
    pick(&mut d, record, Field::FullName, &["/name"]);
    pick(&mut d, record, Field::Title, &["/title"]);
    pick(&mut d, record, Field::Headline, &["/headline"]);
    pick(&mut d, record, Field::Seniority, &["/seniority"]);
    pick(&mut d, record, Field::EmailStatus, &["/email_status"]);
    pick(&mut d, record, Field::Email, &["/email"]);
    pick(&mut d, record, Field::Linkedin, &["/linkedin_url"]);
    let numbers = record
        .get("phone_numbers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, n) in numbers.iter().enumerate() {
        let Some(number) = scalar(n, "/sanitized_number").or_else(|| scalar(n, "/raw_number"))
        else {
            continue;
        };
        let field = match scalar(n, "/type")
            .as_deref()
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("mobile") => Field::MobilePhone,
            Some("work_direct" | "direct") => Field::DirectPhone,
            Some("work_hq" | "hq" | "corporate") => Field::CompanyPhone,
            Some("other" | "home") => Field::OtherPhone,
            _ => Field::Phone,
        };
        d.set(field, &format!("phone_numbers/{i}"), &number);
    }
    pick(&mut d, record, Field::Phone, &["/sanitized_phone"]);
    pick(
        &mut d,
        record,
        Field::CompanyPhone,
        &[
            "/organization/primary_phone/sanitized_number",
            "/organization/sanitized_phone",
            "/organization/phone",
        ],
    );
    pick(
        &mut d,
        record,
        Field::Company,
        &["/organization/name", "/organization_name"],
    );
    pick(
        &mut d,
        record,
        Field::Website,
        &["/organization/website_url", "/organization/primary_domain"],
    );
    pick(
        &mut d,
        record,
        Field::Employees,
        &["/organization/estimated_num_employees"],
    );
    pick(&mut d, record, Field::Industry, &["/organization/industry"]);
    pick(&mut d, record, Field::CompanyCity, &["/organization/city"]);
    pick(
        &mut d,
        record,
        Field::CompanyState,
        &["/organization/state"],
    );
    pick(
        &mut d,
        record,
        Field::CompanyCountry,
        &["/organization/country"],
    );
    pick(&mut d, record, Field::City, &["/city"]);
    pick(&mut d, record, Field::State, &["/state"]);
    pick(&mut d, record, Field::Country, &["/country"]);
    pick(&mut d, record, Field::HqTimezone, &["/time_zone"]);
    d
}

/// A flat record keyed by CSV column names (`email`, `Company`, `Phone
/// Number`, ...) read exactly as a CSV row with those headers would be,
/// tool detection included. Nested values are ignored.
pub fn flat_draft(record: &Value) -> LeadDraft {
    let mut d = LeadDraft::new();
    let Some(object) = record.as_object() else {
        return d;
    };
    let normal: Vec<String> = object.keys().map(|k| normal_header(k)).collect();
    let tool = Tool::detect(&normal);
    for (key, value) in object {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        if let Some(field) = field_for(tool, key) {
            d.set(field, key, &text);
        }
    }
    d
}

/// A scalar at a JSON pointer as text: a trimmed non-empty string, a
/// number, or a boolean ("true"/"false").
fn scalar(record: &Value, pointer: &str) -> Option<String> {
    match record.pointer(pointer)? {
        Value::Bool(b) => Some(b.to_string()),
        _ => text(record, pointer),
    }
}

fn bad<T>(field: &str, reason: impl Into<String>) -> Result<T, FieldError> {
    Err((field.to_string(), reason.into()))
}

fn not_a(field: &str, raw: &str, pointer: &str, what: &str) -> FieldError {
    (
        field.to_string(),
        format!(
            "{raw:?} ({}) is not {what}",
            pointer.trim_start_matches('/')
        ),
    )
}

/// Non-empty trimmed text at a JSON pointer; a number is given as its text.
fn text(record: &Value, pointer: &str) -> Option<String> {
    match record.pointer(pointer)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first number among `pointers`, also when given as text ("4.2",
/// "1,234"); Err names the pointer and the raw value that is not a number.
fn first_number<'p>(
    record: &Value,
    pointers: &[&'p str],
) -> Result<Option<(&'p str, f64)>, (&'p str, String)> {
    for &p in pointers {
        match record.pointer(p) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                if let Some(x) = n.as_f64() {
                    return Ok(Some((p, x)));
                }
            }
            Some(Value::String(s)) if s.trim().is_empty() => {}
            Some(Value::String(s)) => {
                return match s.trim().replace(',', "").parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Some((p, x))),
                    _ => Err((p, s.clone())),
                }
            }
            Some(other) => return Err((p, other.to_string())),
        }
    }
    Ok(None)
}

fn count(record: &Value, pointers: &[&str], field: &str) -> Result<Option<u32>, FieldError> {
    let whole = "a whole number";
    match first_number(record, pointers).map_err(|(p, raw)| not_a(field, &raw, p, whole))? {
        None => Ok(None),
        Some((_, x)) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
            Ok(Some(x as u32))
        }
        Some((p, x)) => Err(not_a(field, &x.to_string(), p, whole)),
    }
}

/// A Places API (New) address component of the given type.
fn address_component(record: &Value, kind: &str, short: bool) -> Option<String> {
    let component = record
        .get("addressComponents")?
        .as_array()?
        .iter()
        .find(|c| {
            c.get("types")
                .and_then(Value::as_array)
                .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(kind)))
        })?;
    let pointer = if short { "/shortText" } else { "/longText" };
    text(component, pointer).or_else(|| text(component, "/longText"))
}

/// The share of reviews the owner answers, 0..1: a rate the record states,
/// else an owner-response count over the review count, else the share of the
/// fetched reviews that carry an owner response.
fn response_rate(record: &Value, reviews: Option<u32>) -> Result<Option<f64>, FieldError> {
    const FIELD: &str = "review_response_rate";
    let rate_keys = [
        "/reviewResponseRate",
        "/responseRate",
        "/ownerResponseRate",
        "/review_response_rate",
    ];
    for p in rate_keys {
        let raw = match record.pointer(p) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if s.trim().is_empty() => continue,
            Some(Value::String(s)) => s.trim().to_string(),
            Some(other) => other.to_string(),
        };
        let rate = match raw.trim_end_matches('%').trim().parse::<f64>() {
            Ok(r) if r > 1.0 => r / 100.0,
            Ok(r) => r,
            Err(_) => return Err(not_a(FIELD, &raw, p, "a rate")),
        };
        if !(0.0..=1.0).contains(&rate) {
            return Err(not_a(FIELD, &raw, p, "a rate between 0 and 1 (or 0-100%)"));
        }
        return Ok(Some(rate));
    }
    let answered = count(
        record,
        &["/ownerResponseCount", "/ownerResponsesCount"],
        FIELD,
    )?;
    if let (Some(answered), Some(total)) = (answered, reviews) {
        if total == 0 {
            return Ok(None);
        }
        if answered > total {
            return bad(
                FIELD,
                format!("{answered} owner responses is more than the {total} reviews"),
            );
        }
        return Ok(Some(f64::from(answered) / f64::from(total)));
    }
    let fetched = record
        .get("reviews")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter(|r| r.is_object()).collect::<Vec<_>>())
        .unwrap_or_default();
    if fetched.is_empty() {
        return Ok(None);
    }
    let answered = fetched
        .iter()
        .filter(|r| text(r, "/responseFromOwnerText").is_some())
        .count();
    Ok(Some(answered as f64 / fetched.len() as f64))
}

// ---------------------------------------------------------------------------------------
// Whole datasets
// ---------------------------------------------------------------------------------------

/// Leads read from a JSON dataset one record at a time; see
/// [`parse_json_dataset`].
pub struct JsonDataset<R> {
    records: JsonRecords<R>,
    kind: Option<DatasetKind>,
    ctx: IntakeContext,
    tenant: TenantId,
    source: String,
    now: DateTime<Utc>,
}

impl<R: Read> JsonDataset<R> {
    /// The kind, given or detected from the first readable record.
    pub fn kind(&self) -> Option<DatasetKind> {
        self.kind
    }
    pub fn form(&self) -> Option<JsonForm> {
        self.records.form()
    }
}

impl<R: Read> Iterator for JsonDataset<R> {
    type Item = RowResult;

    fn next(&mut self) -> Option<Self::Item> {
        let (number, record) = self.records.next()?;
        let record = match record {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let kind = *self
            .kind
            .get_or_insert_with(|| DatasetKind::detect(&record));
        let read = map_record(
            kind,
            &self.ctx,
            &self.tenant,
            &record,
            &self.source,
            self.now,
        );
        Some(row_at(number, read))
    }
}

/// Streams the leads of a JSON dataset (array, JSON Lines or wrapped; see
/// [`JsonRecords`]) like CSV rows: each item is a lead with its record number
/// (line, for JSON Lines) or the row error for that record. With `kind` None
/// the kind is detected from the first readable record.
pub fn parse_json_dataset<R: Read>(
    tenant: &TenantId,
    ctx: &IntakeContext,
    input: R,
    kind: Option<DatasetKind>,
    source: &str,
    now: DateTime<Utc>,
) -> JsonDataset<R> {
    JsonDataset {
        records: JsonRecords::new(input),
        kind,
        ctx: ctx.clone(),
        tenant: tenant.clone(),
        source: source.to_string(),
        now,
    }
}

#[cfg(test)]
mod tests;
