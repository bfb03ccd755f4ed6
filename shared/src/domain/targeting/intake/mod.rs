//! Lead intake: reading the files users already have (CSV exports of
//! Apollo, HubSpot, Salesforce, Clay, Apify, lemlist, Instantly, in any
//! encoding and delimiter; JSON datasets) into leads, one record at a time,
//! with the dedup key and the merge rule.
//!
//! - `columns`: the mapping table, header → field, per tool;
//! - `dialect`: encodings, delimiters and decimal commas;
//! - `values`: placeholders, lifecycle stages, flags, bands, locations;
//! - `record`: one record's values → a lead (bad optional values dropped);
//! - `csv_rows`: the streaming CSV reader;
//! - `json_records`, `datasets`: JSON datasets and their mappers.

pub mod columns;
pub mod csv_rows;
pub mod datasets;
pub mod dialect;
pub mod json_records;
pub mod record;
pub mod values;

pub use columns::{field_for, Field, Tool};
pub use csv_rows::{parse_csv, CrlfToLf, CsvLeads, Detected, ParsedCsv};
pub use record::{Built, Dropped, LeadDraft};

use crate::domain::lead::Lead;
use serde::{Deserialize, Serialize};

/// A row that could not be imported, or (in a report's `dropped` list) a
/// value that was left out of a lead that did import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1), or record number.
    pub line: u64,
    pub field: String,
    pub reason: String,
}

/// A record that became a lead, with the values left out of it.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub lead: Lead,
    pub dropped: Vec<RowError>,
}

/// One parsed record: the lead, or why it was refused.
pub type RowResult = Result<Row, RowError>;

/// What reading the record at `line` gave, as a row of an import.
pub fn row_at(line: u64, read: Result<Built, record::Refusal>) -> RowResult {
    let at = |field: String, reason: String| RowError {
        line,
        field,
        reason,
    };
    match read {
        Ok(built) => Ok(Row {
            line,
            lead: built.lead,
            dropped: built
                .dropped
                .into_iter()
                .map(|d| at(d.field, d.reason))
                .collect(),
        }),
        Err((field, reason)) => Err(at(field, reason)),
    }
}

/// What the tenant's settings say about reading its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeContext {
    /// ISO alpha-2 country national phone numbers are read in when a lead
    /// has no country of its own. None: only a valid 10-digit North
    /// American number is read without a country.
    pub default_country: Option<String>,
    /// Lifecycle stages (or CRM lead statuses) whose contacts are imported
    /// held, not prospected; a trailing `*` matches any rest.
    pub skip_stages: Vec<String>,
}

impl Default for IntakeContext {
    fn default() -> Self {
        Self {
            default_country: None,
            skip_stages: values::DEFAULT_SKIP_STAGES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// The dedup key. A Google Maps listing is its place id (two branches that
/// share a website and phone are two leads); a person is their email, else
/// their LinkedIn profile; a company contact is its domain + the person's
/// own phone; on a company's switchboard number, the person's name is part
/// of the key, so colleagues who share the switchboard stay apart.
pub fn dedup_key(lead: &Lead) -> Option<String> {
    if let Some(place) = lead.place_id.as_deref() {
        return Some(format!("place:{place}"));
    }
    if let Some(e) = lead.email.as_deref() {
        return Some(format!("email:{e}"));
    }
    if let Some(url) = lead.linkedin_url.as_deref().and_then(linkedin_profile) {
        return Some(format!("linkedin:{url}"));
    }
    let domain = lead.company_domain.as_deref()?;
    if let Some(p) = lead.phone.as_deref().or(lead.mobile_phone.as_deref()) {
        return Some(format!("domain-phone:{domain}|{p}"));
    }
    let switchboard = lead.company_phone.as_deref()?;
    let name = [lead.first_name.as_deref(), lead.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(|n| n.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    Some(if name.is_empty() {
        format!("domain-phone:{domain}|{switchboard}")
    } else {
        format!("domain-phone:{domain}|{switchboard}|{name}")
    })
}

/// A LinkedIn profile URL in one form (`linkedin.com/in/<slug>`), or None
/// when the value is not a profile URL.
pub fn linkedin_profile(url: &str) -> Option<String> {
    let lower = url.trim().to_lowercase();
    let rest = lower
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let at = rest.find("linkedin.com/")?;
    let path = &rest[at + "linkedin.com/".len()..];
    let mut segments = path.split(['/', '?', '#']).filter(|s| !s.is_empty());
    let kind = segments.next()?;
    let slug = segments.next()?;
    matches!(kind, "in" | "pub" | "sales" | "company")
        .then(|| format!("linkedin.com/{kind}/{slug}"))
}

/// Merges a re-imported lead into the stored one: every non-empty incoming
/// field wins (newer data), empty ones keep what was there. Returns the
/// names of the fields that changed.
pub fn merge(existing: &mut Lead, incoming: &Lead) -> Vec<&'static str> {
    let mut changed = Vec::new();
    macro_rules! take {
        ($($f:ident),*) => {$(
            if incoming.$f.is_some() && incoming.$f != existing.$f {
                existing.$f = incoming.$f.clone();
                changed.push(stringify!($f));
            }
        )*};
    }
    take!(
        email,
        first_name,
        last_name,
        title,
        seniority,
        email_status,
        company,
        website,
        company_domain,
        phone,
        phone_ext,
        phone_kind,
        mobile_phone,
        company_phone,
        company_phone_ext,
        lifecycle_stage,
        hold,
        linkedin_url,
        city,
        state,
        country,
        industry,
        employees,
        rating,
        reviews,
        has_gbp,
        review_response_rate,
        hq_timezone,
        notes,
        place_id
    );
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_linkedin_urls_in_any_form_when_keyed_then_one_profile_is_one_key() {
        for url in [
            "https://www.linkedin.com/in/jo-smith/",
            "http://linkedin.com/in/Jo-Smith?trk=x",
            "www.linkedin.com/in/jo-smith",
        ] {
            assert_eq!(
                linkedin_profile(url).as_deref(),
                Some("linkedin.com/in/jo-smith"),
                "{url}"
            );
        }
        assert_eq!(linkedin_profile("https://example.com/in/jo"), None);
    }

    #[test]
    fn given_colleagues_on_one_switchboard_when_keyed_then_they_stay_apart() {
        let lead = |first: &str| Lead {
            first_name: Some(first.into()),
            company_domain: Some("acme.example".into()),
            company_phone: Some("+13035550100".into()),
            ..Default::default()
        };
        assert_ne!(dedup_key(&lead("Jo")), dedup_key(&lead("Al")));
        let mut branch = lead("Jo");
        branch.place_id = Some("ChIJ1".into());
        assert_eq!(dedup_key(&branch).as_deref(), Some("place:ChIJ1"));
    }
}
