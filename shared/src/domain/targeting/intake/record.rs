//! One record (a CSV row, a JSON object) becoming a lead: values gathered per
//! field, then read with the same rules whatever the file's format. A bad
//! optional value clears that field and says why; only a record left with
//! nothing to identify it is refused.

use super::columns::Field;
use super::values::{
    email_placeholder, hold_for_stage, parse_decimal, parse_employees, parse_flag, parse_whole,
    split_location, token,
};
use super::IntakeContext;
use crate::domain::ids::{LeadId, TenantId};
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::targeting::geo::{country_code, subdivision_code};
use crate::domain::targeting::phone::{parse_phone, ParsedPhone, PhoneKind};
use crate::domain::targeting::suppression::{canonical_domain, canonical_email, email_domain};
use chrono::{DateTime, Utc};

/// A value dropped from a record: where it came from (the column, or the
/// JSON key) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub field: String,
    pub reason: String,
}

/// A record's lead and the values that were left out of it.
#[derive(Debug, Clone)]
pub struct Built {
    pub lead: Lead,
    pub dropped: Vec<Dropped>,
}

/// Why a record is not a lead: the field at fault and the reason.
pub type Refusal = (String, String);

/// What exports write in a cell that has no value (Clay's "Not found",
/// Excel's "#N/A").
const NO_VALUE: &[&str] = &[
    "not found",
    "no data",
    "#n/a",
    "n/a",
    "null",
    "nan",
    "undefined",
    "-",
    "--",
];

/// The values of one record, by field: the first non-empty value of a field
/// wins (a file's own column order), with the column it came from.
#[derive(Debug, Clone, Default)]
pub struct LeadDraft {
    values: Vec<Option<(String, String)>>,
    /// Values the caller already found unusable.
    left: Vec<Dropped>,
    /// The first value too large to store, and its size.
    oversized: Option<(String, usize)>,
}

/// The most one field of a lead may hold. A lead is one DynamoDB item
/// (400 KB at most, with its drafts' data elsewhere): a field this large is
/// a broken export or an attack, and the row is refused, naming it.
pub const MAX_FIELD_BYTES: usize = 16 * 1024;

impl LeadDraft {
    pub fn new() -> Self {
        Self {
            values: vec![None; Field::COUNT],
            left: Vec::new(),
            oversized: None,
        }
    }

    /// Keeps `value` for `field` unless the field already has one; `label`
    /// names where it came from (a column header, a JSON key).
    pub fn set(&mut self, field: Field, label: &str, value: &str) {
        let value = value.trim();
        if value.is_empty() || NO_VALUE.contains(&value.to_lowercase().as_str()) {
            return;
        }
        if value.len() > MAX_FIELD_BYTES {
            self.oversized
                .get_or_insert((label.to_string(), value.len()));
            return;
        }
        let slot = &mut self.values[field as usize];
        if slot.is_none() {
            *slot = Some((label.to_string(), value.to_string()));
        }
    }

    /// Records a value the caller could not use, for the report.
    pub fn left_out(&mut self, field: &str, reason: String) {
        self.left.push(Dropped {
            field: field.to_string(),
            reason,
        });
    }

    fn take(&mut self, field: Field) -> Option<(String, String)> {
        self.values[field as usize].take()
    }

    /// True when every value is empty: a blank row, skipped silently.
    pub fn is_blank(&self) -> bool {
        self.values.iter().all(Option::is_none)
    }

    /// Reads the values into a lead. `decimal_comma`: numbers in this file
    /// are written "4,2".
    pub fn finish(
        mut self,
        ctx: &IntakeContext,
        tenant: &TenantId,
        source: &str,
        now: DateTime<Utc>,
        decimal_comma: bool,
    ) -> Result<Built, Refusal> {
        if let Some((label, size)) = self.oversized.take() {
            return Err((
                label,
                format!("{size} bytes; a field holds at most {MAX_FIELD_BYTES} bytes"),
            ));
        }
        let mut lead = Lead {
            tenant: tenant.to_string(),
            status: LeadStatus::New,
            source: source.to_string(),
            created_at: now,
            updated_at: now,
            ..Default::default()
        };
        let mut dropped = std::mem::take(&mut self.left);
        let mut left_out = |label: &str, reason: String| {
            dropped.push(Dropped {
                field: label.to_string(),
                reason,
            })
        };

        if let Some((label, v)) = self.take(Field::BusinessStatus) {
            match token(&v).as_str() {
                "closed_permanently" => {
                    return Err((label, "the business is permanently closed".into()))
                }
                "closed_temporarily" => {
                    lead.hold = Some("temporarily closed on Google Maps".into())
                }
                _ => {}
            }
        }
        if let Some((label, v)) = self.take(Field::PermanentlyClosed) {
            match parse_flag(&v) {
                Some(true) => return Err((label, "the business is permanently closed".into())),
                Some(false) => {}
                None => left_out(&label, format!("{v:?} is not yes/no")),
            }
        }
        if let Some((label, v)) = self.take(Field::TemporarilyClosed) {
            match parse_flag(&v) {
                Some(true) => lead.hold = Some("temporarily closed on Google Maps".into()),
                Some(false) => {}
                None => left_out(&label, format!("{v:?} is not yes/no")),
            }
        }

        // Email: a tool's placeholder for a locked address is no address.
        let mut email_refused: Option<(String, String)> = None;
        if let Some((label, v)) = self.take(Field::Email) {
            if let Some(what) = email_placeholder(&v) {
                let reason = format!("{v:?} is {what}, not an address");
                left_out(&label, reason.clone());
                email_refused = Some((label, reason));
            } else {
                match canonical_email(&v) {
                    Some(e) => lead.email = Some(e),
                    None => {
                        let reason = format!("{v:?} is not an email address");
                        left_out(&label, reason.clone());
                        email_refused = Some((label, reason));
                    }
                }
            }
        }
        lead.first_name = self.take(Field::FirstName).map(|(_, v)| v);
        lead.last_name = self.take(Field::LastName).map(|(_, v)| v);
        if let Some((_, full)) = self.take(Field::FullName) {
            let mut parts = full.splitn(2, char::is_whitespace);
            if lead.first_name.is_none() {
                lead.first_name = parts.next().map(str::to_string);
            } else {
                parts.next();
            }
            if lead.last_name.is_none() {
                lead.last_name = parts.next().map(|s| s.trim().to_string());
            }
        }
        lead.title = self
            .take(Field::Title)
            .or_else(|| self.take(Field::Headline))
            .map(|(_, v)| v);
        lead.seniority = self.take(Field::Seniority).map(|(_, v)| token(&v));
        lead.email_status = self.take(Field::EmailStatus).map(|(_, v)| token(&v));
        // A stage ("Customer") or a CRM lead status ("Open Deal"), either of
        // which can say the contact is not a prospect.
        let stage = self.take(Field::LifecycleStage);
        let status = self.take(Field::LeadStatus);
        for (_, value) in stage.iter().chain(&status) {
            if let Some(reason) = hold_for_stage(value, &ctx.skip_stages) {
                lead.hold.get_or_insert(reason);
            }
        }
        lead.lifecycle_stage = stage.or(status).map(|(_, v)| v);
        lead.company = self.take(Field::Company).map(|(_, v)| v);
        if let Some((label, v)) = self.take(Field::Website) {
            match canonical_domain(&v) {
                Some(d) => {
                    lead.company_domain = Some(d);
                    lead.website = Some(v);
                }
                None => left_out(&label, format!("{v:?} is not a website or domain")),
            }
        }
        lead.linkedin_url = self.take(Field::Linkedin).map(|(_, v)| v);
        lead.industry = self.take(Field::Industry).map(|(_, v)| v);
        lead.notes = self.take(Field::Notes).map(|(_, v)| v);
        lead.hq_timezone = self.take(Field::HqTimezone).map(|(_, v)| v);
        if let Some((label, v)) = self.take(Field::CallHours) {
            match crate::domain::dialing::CallHours::parse(&v) {
                Ok(h) => lead.call_hours = Some(h),
                Err(why) => left_out(&label, why),
            }
        }
        lead.place_id = self.take(Field::PlaceId).map(|(_, v)| v);

        self.locate(&mut lead, &mut left_out);
        self.phones(&mut lead, ctx, &mut left_out);
        self.numbers(&mut lead, decimal_comma, &mut left_out);

        if lead.company_domain.is_none() {
            lead.company_domain = lead
                .email
                .as_deref()
                .and_then(email_domain)
                .map(str::to_string);
        }
        let Some(key) = super::dedup_key(&lead) else {
            let (field, why) = email_refused.unwrap_or_else(|| ("email".into(), String::new()));
            let mut reason = if why.is_empty() {
                "no email, LinkedIn URL, place id, or website + phone to identify the lead"
                    .to_string()
            } else {
                format!("{why}, and nothing else identifies the lead (no LinkedIn URL, place id, or website + phone)")
            };
            if let Some(d) = dropped
                .iter()
                .find(|d| d.field != field && d.reason.contains("phone"))
            {
                reason.push_str(&format!(" ({}: {})", d.field, d.reason));
            }
            return Err((field, reason));
        };
        lead.id = LeadId::from_dedup_key(tenant, &key).to_string();
        Ok(Built { lead, dropped })
    }

    /// City, state and country in one form: ISO 3166 alpha-2 countries,
    /// subdivision codes for states. The company's HQ wins over the
    /// person's location (the HQ decides the business day), free text fills
    /// what columns leave empty.
    fn locate(&mut self, lead: &mut Lead, left_out: &mut impl FnMut(&str, String)) {
        let mut city = self
            .take(Field::CompanyCity)
            .or_else(|| self.take(Field::City));
        let mut state = self
            .take(Field::CompanyState)
            .or_else(|| self.take(Field::State));
        let mut country = self
            .take(Field::CompanyCountry)
            .or_else(|| self.take(Field::Country));
        for field in [Field::CompanyLocation, Field::Location] {
            if let Some((label, text)) = self.take(field) {
                let parts = split_location(&text);
                if country.is_none() {
                    country = parts.country.map(|c| (label.clone(), c.to_string()));
                }
                if state.is_none() {
                    state = parts.state.map(|s| (label.clone(), s));
                }
                if city.is_none() {
                    city = parts.city.map(|c| (label.clone(), c));
                }
            }
        }
        if let Some((label, raw)) = country {
            match country_code(&raw) {
                Some(code) => lead.country = Some(code.to_string()),
                None => left_out(&label, format!("{raw:?} is not a country we know")),
            }
        }
        if let Some((_, raw)) = state {
            match subdivision_code(lead.country.as_deref(), &raw) {
                Some((country, code)) => {
                    lead.country.get_or_insert_with(|| country.to_string());
                    lead.state = Some(code.to_string());
                }
                // A region outside our tables keeps its text: losing it
                // would lose more than it gains.
                None => lead.state = Some(raw),
            }
        }
        lead.city = city.map(|(_, v)| v);
    }

    /// The person's numbers apart from the company's, each in E.164 read in
    /// the lead's country (never assumed North American), extensions apart.
    fn phones(
        &mut self,
        lead: &mut Lead,
        ctx: &IntakeContext,
        left_out: &mut impl FnMut(&str, String),
    ) {
        if let Some((label, v)) = self.take(Field::DoNotCall) {
            if parse_flag(&v) == Some(true) {
                for field in [
                    Field::DirectPhone,
                    Field::Phone,
                    Field::MobilePhone,
                    Field::OtherPhone,
                ] {
                    if let Some((phone_label, _)) = self.take(field) {
                        left_out(
                            &phone_label,
                            format!("{label} is set: the person's number is not kept"),
                        );
                    }
                }
            }
        }
        let country = lead.country.clone().or_else(|| ctx.default_country.clone());
        let mut parse = |field: Field, this: &mut Self| -> Option<ParsedPhone> {
            let (label, raw) = this.take(field)?;
            // Apollo writes '+1 510-944-3940 so that Excel keeps it text.
            match parse_phone(raw.trim_start_matches('\''), country.as_deref()) {
                Ok(p) => Some(p),
                Err(e) => {
                    left_out(&label, e.to_string());
                    None
                }
            }
        };
        let direct = parse(Field::DirectPhone, self);
        let generic = parse(Field::Phone, self);
        let mobile = parse(Field::MobilePhone, self);
        let other = parse(Field::OtherPhone, self);
        let company = parse(Field::CompanyPhone, self);
        let is_mobile = |p: &ParsedPhone| p.kind == PhoneKind::Mobile;
        let mobile = mobile.or_else(|| {
            [&direct, &generic, &other]
                .into_iter()
                .flatten()
                .find(|p| is_mobile(p))
                .cloned()
        });
        let own = direct.or(generic).or(other).or_else(|| mobile.clone());
        if let Some(p) = own {
            lead.phone = Some(p.e164);
            lead.phone_ext = p.extension;
            lead.phone_kind = Some(p.kind);
        }
        if let Some(m) = mobile {
            if lead.phone.as_deref() != Some(m.e164.as_str()) {
                lead.mobile_phone = Some(m.e164);
            }
        }
        if let Some(c) = company {
            if lead.phone.as_deref() != Some(c.e164.as_str()) {
                lead.company_phone = Some(c.e164);
                lead.company_phone_ext = c.extension;
            }
        }
    }

    fn numbers(
        &mut self,
        lead: &mut Lead,
        decimal_comma: bool,
        left_out: &mut impl FnMut(&str, String),
    ) {
        if let Some((label, v)) = self.take(Field::Employees) {
            match parse_employees(&v, decimal_comma) {
                Some(n) => lead.employees = Some(n),
                None => left_out(&label, format!("{v:?} is not a number of employees")),
            }
        }
        if let Some((label, v)) = self.take(Field::Rating) {
            match parse_decimal(&v, decimal_comma) {
                Some(r) if (0.0..=5.0).contains(&r) => lead.rating = Some(r),
                _ => left_out(&label, format!("{v:?} is not a rating between 0 and 5")),
            }
        }
        if let Some((label, v)) = self.take(Field::Reviews) {
            match parse_whole(&v, decimal_comma).and_then(|n| u32::try_from(n).ok()) {
                Some(n) => lead.reviews = Some(n),
                None => left_out(&label, format!("{v:?} is not a whole number")),
            }
        }
        if let Some((label, v)) = self.take(Field::Gbp) {
            match parse_flag(&v) {
                Some(b) => lead.has_gbp = Some(b),
                None => left_out(&label, format!("{v:?} is not yes/no")),
            }
        }
        if let Some((label, v)) = self.take(Field::Unclaimed) {
            match parse_flag(&v) {
                Some(unclaimed) => {
                    lead.has_gbp.get_or_insert(!unclaimed);
                }
                None => left_out(&label, format!("{v:?} is not yes/no")),
            }
        }
        if let Some((label, v)) = self.take(Field::ResponseRate) {
            let rate = parse_decimal(v.trim().trim_end_matches('%'), decimal_comma).map(|r| {
                if r > 1.0 {
                    r / 100.0
                } else {
                    r
                }
            });
            match rate {
                Some(r) if (0.0..=1.0).contains(&r) => lead.review_response_rate = Some(r),
                _ => left_out(&label, format!("{v:?} is not a rate (0-1 or 0-100%)")),
            }
        }
    }
}
