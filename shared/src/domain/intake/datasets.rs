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
mod tests {
    use super::*;
    use crate::domain::ids::LeadId;
    use crate::domain::intake::Row;
    use crate::domain::lead::{Lead, LeadStatus};
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn apify_place() -> Value {
        json!({
            "title": "Saguaro Street Motors",
            "categoryName": "Used car dealer",
            "categories": ["Used car dealer", "Car dealer"],
            "street": "107 Example Ave",
            "city": "Mesa",
            "state": "Arizona",
            "postalCode": "85201",
            "countryCode": "us",
            "website": "https://www.SaguaroStreetMotors.example/inventory",
            "phone": "(480) 555-0101",
            "phoneUnformatted": "+14805550101",
            "totalScore": 3.6,
            "reviewsCount": 48,
            "claimThisBusiness": true,
            "permanentlyClosed": false,
            "placeId": "demo-place-01"
        })
    }

    fn map(kind: DatasetKind, record: &Value) -> Result<Built, FieldError> {
        map_record(
            kind,
            &IntakeContext::default(),
            &tenant(),
            record,
            "t",
            now(),
        )
    }

    fn place(record: &Value) -> Lead {
        map(DatasetKind::Places, record).unwrap().lead
    }

    fn with(extra: Value) -> Value {
        let mut p = apify_place();
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    }

    #[test]
    fn given_an_apify_place_when_mapped_then_every_field_lands() {
        let built = map_record(
            DatasetKind::Places,
            &IntakeContext::default(),
            &tenant(),
            &apify_place(),
            "places.json",
            now(),
        )
        .unwrap();
        assert!(built.dropped.is_empty(), "{:?}", built.dropped);
        let lead = built.lead;
        assert_eq!(lead.company.as_deref(), Some("Saguaro Street Motors"));
        assert_eq!(
            lead.company_domain.as_deref(),
            Some("saguarostreetmotors.example")
        );
        // A listing's number is the business's line, not a person's.
        assert_eq!(lead.company_phone.as_deref(), Some("+14805550101"));
        assert_eq!(lead.phone, None);
        assert_eq!(lead.city.as_deref(), Some("Mesa"));
        assert_eq!(lead.state.as_deref(), Some("AZ"));
        assert_eq!(lead.country.as_deref(), Some("US"));
        assert_eq!(lead.industry.as_deref(), Some("Used car dealer"));
        assert_eq!(lead.rating, Some(3.6));
        assert_eq!(lead.reviews, Some(48));
        // claimThisBusiness: true means nobody has claimed the profile.
        assert_eq!(lead.has_gbp, Some(false));
        assert_eq!(lead.place_id.as_deref(), Some("demo-place-01"));
        assert_eq!(lead.review_response_rate, None);
        assert_eq!(lead.hold, None);
        assert_eq!(lead.status, LeadStatus::New);
        assert_eq!(lead.source, "places.json");
        assert_eq!((lead.created_at, lead.updated_at), (now(), now()));
        assert_eq!(
            lead.id,
            LeadId::from_dedup_key(&tenant(), "place:demo-place-01").to_string()
        );
    }

    #[test]
    fn given_a_places_api_new_place_when_mapped_then_address_components_fill_the_location() {
        let record = json!({
            "name": "places/demo-place-77",
            "id": "demo-place-77",
            "displayName": {"text": "Copper Canyon Auto Sales", "languageCode": "en"},
            "formattedAddress": "12 Example Rd, Tucson, AZ 85705, USA",
            "addressComponents": [
                {"longText": "Tucson", "shortText": "Tucson", "types": ["locality", "political"]},
                {"longText": "Arizona", "shortText": "AZ", "types": ["administrative_area_level_1", "political"]},
                {"longText": "United States", "shortText": "US", "types": ["country", "political"]}
            ],
            "nationalPhoneNumber": "(520) 555-0102",
            "internationalPhoneNumber": "+1 520-555-0102",
            "websiteUri": "http://coppercanyonauto.example/",
            "rating": 4.0,
            "userRatingCount": 132,
            "primaryType": "car_dealer",
            "primaryTypeDisplayName": {"text": "Car Dealer", "languageCode": "en-US"},
            "businessStatus": "OPERATIONAL"
        });
        assert_eq!(DatasetKind::detect(&record), DatasetKind::Places);
        let lead = place(&record);
        assert_eq!(lead.company.as_deref(), Some("Copper Canyon Auto Sales"));
        assert_eq!(
            lead.website.as_deref(),
            Some("http://coppercanyonauto.example/")
        );
        assert_eq!(lead.company_phone.as_deref(), Some("+15205550102"));
        assert_eq!(
            (
                lead.city.as_deref(),
                lead.state.as_deref(),
                lead.country.as_deref()
            ),
            (Some("Tucson"), Some("AZ"), Some("US"))
        );
        assert_eq!(lead.industry.as_deref(), Some("Car Dealer"));
        assert_eq!((lead.rating, lead.reviews), (Some(4.0), Some(132)));
        assert_eq!(lead.has_gbp, None);
        assert_eq!(lead.place_id.as_deref(), Some("demo-place-77"));
        let mut closed = record.clone();
        closed["businessStatus"] = json!("CLOSED_TEMPORARILY");
        assert!(place(&closed).hold.is_some());
        closed["businessStatus"] = json!("CLOSED_PERMANENTLY");
        assert_eq!(
            map(DatasetKind::Places, &closed).unwrap_err().0,
            "businessStatus"
        );
    }

    #[test]
    fn given_response_data_when_mapping_a_place_then_the_rate_is_stated_counted_or_estimated() {
        let rate = |extra: Value| place(&with(extra)).review_response_rate;
        assert_eq!(rate(json!({"responseRate": 0.25})), Some(0.25));
        assert_eq!(rate(json!({"ownerResponseRate": "40%"})), Some(0.4));
        assert_eq!(rate(json!({"ownerResponseCount": 12})), Some(0.25));
        let reviews = json!({"reviews": [
            {"stars": 5, "responseFromOwnerText": "Thank you!"},
            {"stars": 1, "responseFromOwnerText": null},
            {"stars": 4},
            {"stars": 3, "responseFromOwnerText": ""}
        ]});
        assert_eq!(rate(reviews), Some(0.25));
        for bad in [
            json!({"responseRate": 140}),
            json!({"ownerResponseCount": 49}),
        ] {
            let built = map(DatasetKind::Places, &with(bad.clone())).unwrap();
            assert_eq!(built.lead.review_response_rate, None, "{bad}");
            assert_eq!(built.dropped[0].field, "review_response_rate", "{bad}");
        }
    }

    #[test]
    fn given_bad_values_in_a_place_when_mapped_then_the_value_is_dropped_by_name_and_the_place_stays(
    ) {
        let dropped = |change: Value| {
            let built = map(DatasetKind::Places, &with(change)).unwrap();
            assert_eq!(built.lead.place_id.as_deref(), Some("demo-place-01"));
            built.dropped
        };
        let d = dropped(json!({"totalScore": 7.2}));
        assert_eq!(d[0].field, "totalScore");
        assert!(d[0].reason.contains("7.2"), "{d:?}");
        assert_eq!(
            dropped(json!({"totalScore": "great"}))[0].field,
            "totalScore"
        );
        let d = dropped(json!({"phoneUnformatted": "555-01"}));
        assert_eq!(d[0].field, "phoneUnformatted");
        assert!(d[0].reason.contains("555-01"), "{d:?}");
        assert_eq!(
            dropped(json!({"reviewsCount": -3}))[0].field,
            "reviewsCount"
        );
        assert_eq!(
            dropped(json!({"claimThisBusiness": "maybe"}))[0].field,
            "claimThisBusiness"
        );
        assert_eq!(
            map(
                DatasetKind::Places,
                &with(json!({"permanentlyClosed": true}))
            )
            .unwrap_err()
            .0,
            "permanentlyClosed"
        );
        assert!(place(&with(json!({"temporarilyClosed": true})))
            .hold
            .is_some_and(|h| h.contains("temporarily closed")));
        let anonymous = json!({"title": "Nameless Lot", "phone": "(480) 555-0199"});
        assert!(map(DatasetKind::Places, &anonymous).is_err());
    }

    #[test]
    fn given_two_branches_sharing_a_website_and_phone_when_mapped_then_they_are_two_leads() {
        let a = place(&apify_place());
        let b = place(&with(
            json!({"placeId": "demo-place-02", "city": "Gilbert"}),
        ));
        assert_eq!(
            (&a.company_domain, &a.company_phone),
            (&b.company_domain, &b.company_phone)
        );
        assert_ne!(a.id, b.id);
    }

    fn apollo_person() -> Value {
        json!({
            "id": "p-001",
            "first_name": "Rowan",
            "last_name": "Vale",
            "name": "Rowan Vale",
            "title": "Owner",
            "seniority": "Owner",
            "email": " Rowan@SaguaroStreetMotors.example ",
            "email_status": "Verified",
            "linkedin_url": "http://www.linkedin.example/in/rowan-vale-demo",
            "city": "Chandler",
            "state": "Arizona",
            "country": "United States",
            "time_zone": "America/Phoenix",
            "phone_numbers": [{"raw_number": "(480) 555-0121", "sanitized_number": "+14805550121"}],
            "organization": {
                "name": "Saguaro Street Motors",
                "website_url": "http://www.saguarostreetmotors.example",
                "primary_domain": "saguarostreetmotors.example",
                "estimated_num_employees": 14,
                "industry": "automotive",
                "city": "Mesa",
                "state": "Arizona",
                "country": "United States",
                "phone": "+1 480-555-0101"
            }
        })
    }

    #[test]
    fn given_an_apollo_person_when_mapped_then_person_and_organization_fields_land() {
        let person = apollo_person();
        assert_eq!(DatasetKind::detect(&person), DatasetKind::People);
        let lead = map(DatasetKind::People, &person).unwrap().lead;
        assert_eq!(lead.first_name.as_deref(), Some("Rowan"));
        assert_eq!(lead.last_name.as_deref(), Some("Vale"));
        assert_eq!(lead.title.as_deref(), Some("Owner"));
        assert_eq!(lead.seniority.as_deref(), Some("owner"));
        assert_eq!(
            lead.email.as_deref(),
            Some("rowan@saguarostreetmotors.example")
        );
        assert_eq!(lead.email_status.as_deref(), Some("verified"));
        assert_eq!(lead.phone.as_deref(), Some("+14805550121"));
        assert_eq!(lead.company_phone.as_deref(), Some("+14805550101"));
        assert_eq!(lead.company.as_deref(), Some("Saguaro Street Motors"));
        assert_eq!(
            lead.company_domain.as_deref(),
            Some("saguarostreetmotors.example")
        );
        assert_eq!(lead.employees, Some(14));
        assert_eq!(lead.industry.as_deref(), Some("automotive"));
        // The organization's HQ wins over where the person lives.
        assert_eq!(lead.city.as_deref(), Some("Mesa"));
        assert_eq!(lead.state.as_deref(), Some("AZ"));
        assert_eq!(lead.country.as_deref(), Some("US"));
        assert_eq!(lead.hq_timezone.as_deref(), Some("America/Phoenix"));
        assert_eq!(
            lead.id,
            LeadId::from_dedup_key(&tenant(), "email:rowan@saguarostreetmotors.example")
                .to_string()
        );
    }

    #[test]
    fn given_a_locked_email_and_no_direct_phone_when_mapped_then_the_switchboard_is_no_direct_phone(
    ) {
        let mut person = apollo_person();
        person["email"] = json!("email_not_unlocked@domain.com");
        person["phone_numbers"] = json!([]);
        person["first_name"] = Value::Null;
        person["last_name"] = Value::Null;
        let built = map(DatasetKind::People, &person).unwrap();
        let lead = built.lead;
        assert_eq!(lead.email, None);
        assert_eq!(lead.phone, None);
        assert!(!lead.has_direct_phone());
        assert_eq!(lead.company_phone.as_deref(), Some("+14805550101"));
        assert_eq!(
            (lead.first_name.as_deref(), lead.last_name.as_deref()),
            (Some("Rowan"), Some("Vale"))
        );
        let key = "domain-phone:saguarostreetmotors.example|+14805550101|rowan vale";
        assert_eq!(lead.id, LeadId::from_dedup_key(&tenant(), key).to_string());
        // A colleague on the same switchboard is another lead.
        person["name"] = json!("Tamsin Reed");
        assert_ne!(map(DatasetKind::People, &person).unwrap().lead.id, lead.id);
    }

    #[test]
    fn given_typed_phone_numbers_when_mapped_then_mobile_direct_and_hq_go_apart() {
        let mut person = apollo_person();
        person["phone_numbers"] = json!([
            {"sanitized_number": "+14805550199", "type": "work_hq"},
            {"sanitized_number": "+16025550150", "type": "mobile"},
            {"sanitized_number": "+14805550122", "type": "work_direct"}
        ]);
        let lead = map(DatasetKind::People, &person).unwrap().lead;
        assert_eq!(lead.phone.as_deref(), Some("+14805550122"));
        assert_eq!(lead.mobile_phone.as_deref(), Some("+16025550150"));
        assert_eq!(lead.company_phone.as_deref(), Some("+14805550199"));
    }

    #[test]
    fn given_bad_people_values_when_mapped_then_they_are_dropped_by_name() {
        let dropped_field = |change: &dyn Fn(&mut Value)| {
            let mut person = apollo_person();
            change(&mut person);
            let built = map(DatasetKind::People, &person).unwrap();
            built.dropped[0].field.clone()
        };
        assert_eq!(
            dropped_field(&|p| p["email"] = json!("rowan at saguaro")),
            "email"
        );
        assert_eq!(
            dropped_field(&|p| p["phone_numbers"][0]["sanitized_number"] = json!("555-01")),
            "phone_numbers/0"
        );
        assert_eq!(
            dropped_field(&|p| p["organization"]["estimated_num_employees"] = json!("dozens")),
            "organization/estimated_num_employees"
        );
        let nobody = json!({"first_name": "Tamsin", "title": "GM", "organization": {"name": "Magnolia Motor Co"}});
        assert_eq!(map(DatasetKind::People, &nobody).unwrap_err().0, "email");
    }

    #[test]
    fn given_flat_records_with_csv_column_names_when_mapped_then_they_read_like_csv_rows() {
        let row = json!({"Email Address": "JO@Dealer.example", "Company": "Desert Motors", "Phone": 6025550100_u64, "Google Rating": "3.6", "GBP Claimed": true});
        assert_eq!(DatasetKind::detect(&row), DatasetKind::Csv);
        let lead = map(DatasetKind::Csv, &row).unwrap().lead;
        assert_eq!(lead.email.as_deref(), Some("jo@dealer.example"));
        assert_eq!(lead.phone.as_deref(), Some("+16025550100"));
        assert_eq!((lead.rating, lead.has_gbp), (Some(3.6), Some(true)));
        let bad = json!({"email": "jo@dealer.example", "rating": "9.5"});
        let built = map(DatasetKind::Csv, &bad).unwrap();
        assert_eq!(built.lead.rating, None);
        assert_eq!(built.dropped[0].field, "rating");
    }

    #[test]
    fn given_kind_names_when_parsing_then_aliases_are_accepted() {
        assert_eq!(DatasetKind::parse("CSV"), Some(DatasetKind::Csv));
        assert_eq!(
            DatasetKind::parse("google-places"),
            Some(DatasetKind::Places)
        );
        assert_eq!(DatasetKind::parse(" places "), Some(DatasetKind::Places));
        assert_eq!(
            DatasetKind::parse("people-search"),
            Some(DatasetKind::People)
        );
        assert_eq!(DatasetKind::parse("people"), Some(DatasetKind::People));
        assert_eq!(DatasetKind::parse("xlsx"), None);
        for kind in [DatasetKind::Csv, DatasetKind::Places, DatasetKind::People] {
            assert_eq!(DatasetKind::parse(kind.as_str()), Some(kind));
        }
    }

    fn dataset(input: &str, kind: Option<DatasetKind>) -> JsonDataset<&[u8]> {
        parse_json_dataset(
            &tenant(),
            &IntakeContext::default(),
            input.as_bytes(),
            kind,
            "t",
            now(),
        )
    }

    #[test]
    fn given_the_demo_places_file_when_imported_then_one_bad_phone_is_dropped_not_the_place() {
        let input = include_str!("../../../../infra/local/demo/places.json");
        let mut data = dataset(input, None);
        let results: Vec<_> = data.by_ref().collect();
        assert_eq!(data.kind(), Some(DatasetKind::Places));
        assert_eq!(data.form(), Some(JsonForm::Array));
        let leads: Vec<&Row> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(leads.len(), 12, "{results:?}");
        let dropped: Vec<(u64, &str)> = leads
            .iter()
            .flat_map(|r| r.dropped.iter().map(|d| (d.line, d.field.as_str())))
            .collect();
        assert_eq!(dropped, vec![(10, "phoneUnformatted")]);
        assert!(leads
            .iter()
            .all(|r| r.lead.country.as_deref() == Some("US")));
        let no_site = leads
            .iter()
            .find(|r| r.lead.website.is_none())
            .expect("one place has no website");
        assert_eq!(no_site.lead.place_id.as_deref(), Some("demo-place-06"));
        assert_eq!(leads[0].lead.review_response_rate, Some(0.25));
        let trust_gap = leads
            .iter()
            .filter(|r| {
                r.lead.rating.is_some_and(|x| (3.2..=4.0).contains(&x))
                    && r.lead.reviews.is_some_and(|n| (15..=150).contains(&n))
            })
            .count();
        assert!(trust_gap >= 3, "{trust_gap}");
    }

    #[test]
    fn given_the_demo_people_file_when_imported_then_the_duplicate_shares_an_id() {
        let input = include_str!("../../../../infra/local/demo/people.jsonl");
        let mut data = dataset(input, None);
        let leads: Vec<Row> = data.by_ref().map(Result::unwrap).collect();
        assert_eq!(data.kind(), Some(DatasetKind::People));
        assert_eq!(data.form(), Some(JsonForm::Lines));
        assert_eq!(leads.len(), 10);
        assert_eq!(leads[0].line, 1);
        assert_eq!(leads[9].line, 10);
        assert_eq!(leads[0].lead.id, leads[9].lead.id);
        let ids: std::collections::HashSet<_> = leads.iter().map(|r| &r.lead.id).collect();
        assert_eq!(ids.len(), 9);
    }

    #[test]
    fn given_a_jsonl_dataset_with_bad_rows_when_parsed_then_errors_and_drops_name_line_and_field() {
        let input = [
            r#"{"title": "Good Lot", "placeId": "g1", "totalScore": 3.9}"#,
            r#"{"title": "Starry Lot", "placeId": "g2", "totalScore": 5.5}"#,
            "",
            r#"{"title": "Noisy Lot", "placeId": "g3", "phone": "call us"}"#,
            r#"{"title": "Ghost Lot", "totalScore": 3.0}"#,
            r#"{"title": "Broken"#,
        ]
        .join("\n");
        let summary: Vec<_> = dataset(&input, None)
            .map(|r| match r {
                Ok(row) => (
                    row.line,
                    row.dropped
                        .first()
                        .map_or("ok".to_string(), |d| format!("dropped {}", d.field)),
                ),
                Err(e) => (e.line, e.field),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, "ok".to_string()),
                (2, "dropped totalScore".to_string()),
                (4, "dropped phone".to_string()),
                (5, "email".to_string()),
                (6, "-".to_string()),
            ]
        );
    }

    #[test]
    fn given_a_kind_when_parsing_then_it_overrides_detection() {
        let input = r#"[{"email": "jo@dealer.example", "first_name": "Jo"}]"#;
        let leads: Vec<_> = dataset(input, Some(DatasetKind::Csv)).collect();
        assert_eq!(leads.len(), 1);
        assert_eq!(
            leads[0].as_ref().unwrap().lead.email.as_deref(),
            Some("jo@dealer.example")
        );
    }
}
