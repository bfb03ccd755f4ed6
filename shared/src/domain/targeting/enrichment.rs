//! Enrichment rules: what a lead lacks, how a provider's answer is merged
//! without overwriting imported data, and the retry, circuit-breaker and
//! credit-budget arithmetic the provider waterfall runs on.

use super::geo::{country_code, subdivision_code};
use super::suppression::{canonical_domain, canonical_email, canonical_phone_in};
use super::timezone::{resolve_timezone, LocationHints, TimezoneSource};
use crate::domain::lead::Lead;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// What a provider is asked about: the identifiers the lead already has.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EnrichmentQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl EnrichmentQuery {
    /// The lead's non-blank identifiers, trimmed.
    pub fn from_lead(lead: &Lead) -> Self {
        Self {
            first_name: present(&lead.first_name),
            last_name: present(&lead.last_name),
            email: present(&lead.email),
            company: present(&lead.company),
            company_domain: present(&lead.company_domain),
            linkedin_url: present(&lead.linkedin_url),
            phone: present(&lead.phone),
        }
    }

    /// First and last name, when both are known.
    pub fn full_name(&self) -> Option<String> {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => None,
        }
    }
}

/// What a lead lacks that a provider might supply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Missing {
    pub email: bool,
    pub title: bool,
    pub phone: bool,
    pub linkedin_url: bool,
    pub employees: bool,
    /// No city, state or country at all.
    pub hq_location: bool,
    /// No `hq_timezone`.
    pub timezone: bool,
}

impl Missing {
    pub fn of(lead: &Lead) -> Self {
        Self {
            email: blank(&lead.email),
            title: blank(&lead.title),
            phone: blank(&lead.phone),
            linkedin_url: blank(&lead.linkedin_url),
            employees: lead.employees.is_none(),
            hq_location: blank(&lead.city) && blank(&lead.state) && blank(&lead.country),
            timezone: blank(&lead.hq_timezone),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.names().is_empty()
    }

    /// The names of what is missing, for logs and the lead's timeline.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.email, "email"),
            (self.title, "title"),
            (self.phone, "phone"),
            (self.linkedin_url, "linkedin_url"),
            (self.employees, "employees"),
            (self.hq_location, "hq_location"),
            (self.timezone, "timezone"),
        ]
        .into_iter()
        .filter_map(|(missing, name)| missing.then_some(name))
        .collect()
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

/// What a provider found. Every field is optional; `apply_patch` decides
/// which of them the lead takes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EnrichmentPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the provider says of `email`: `verified`, `deliverable`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seniority: Option<String>,
    /// E.164, or anything `canonical_phone` can turn into it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employees: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hq_timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
}

impl EnrichmentPatch {
    /// True when the provider found nothing worth applying.
    pub fn is_empty(&self) -> bool {
        let texts = [
            &self.email,
            &self.email_status,
            &self.title,
            &self.seniority,
            &self.phone,
            &self.linkedin_url,
            &self.city,
            &self.state,
            &self.country,
            &self.hq_timezone,
            &self.company,
            &self.company_domain,
            &self.industry,
        ];
        texts.into_iter().all(blank) && self.employees.unwrap_or(0) == 0
    }
}

/// Fills the lead's empty fields from `patch` and returns the names of the
/// fields it filled. A field the lead already has is never overwritten:
/// imported data wins over any provider.
///
/// Values are canonicalised on the way in and dropped when invalid: the
/// email by `canonical_email`, the phone to E.164, the domain to a bare
/// host, the time zone to its IANA name. `email_status` is taken only with
/// the email it describes. City, state and country are taken as one place:
/// only when the lead has no location at all, or when both name the same
/// country, so a lead never ends up with a city from one place and a state
/// from another.
pub fn apply_patch(lead: &mut Lead, patch: &EnrichmentPatch) -> Vec<&'static str> {
    let mut filled = Vec::new();
    let mut fill = |slot: &mut Option<String>, value: Option<String>, name: &'static str| {
        if blank(slot) {
            if let Some(v) = value {
                *slot = Some(v);
                filled.push(name);
            }
        }
    };

    let email = patch.email.as_deref().and_then(canonical_email);
    fill(&mut lead.email, email.clone(), "email");
    let status_describes_lead_email = email.is_some()
        && lead.email.as_deref().and_then(canonical_email) == email
        && !lead.email_bounced;
    if status_describes_lead_email {
        fill(
            &mut lead.email_status,
            present(&patch.email_status).map(|s| s.to_lowercase()),
            "email_status",
        );
    }

    fill(&mut lead.title, present(&patch.title), "title");
    fill(
        &mut lead.seniority,
        present(&patch.seniority).map(|s| s.to_lowercase()),
        "seniority",
    );
    let country = lead.country.clone();
    fill(
        &mut lead.phone,
        patch
            .phone
            .as_deref()
            .and_then(|p| canonical_phone_in(p, country.as_deref())),
        "phone",
    );
    fill(
        &mut lead.linkedin_url,
        present(&patch.linkedin_url),
        "linkedin_url",
    );

    let lead_has_location = !(blank(&lead.city) && blank(&lead.state) && blank(&lead.country));
    // Providers write "United States" and "Texas"; leads keep ISO codes.
    let patch_country = present(&patch.country).map(|c| country_code(&c).map_or(c, str::to_string));
    let same_country = match (present(&lead.country), &patch_country) {
        (Some(a), Some(b)) => country_code(&a).unwrap_or(&a).eq_ignore_ascii_case(b),
        _ => false,
    };
    if !lead_has_location || same_country {
        let region_country = lead.country.clone().or(patch_country.clone());
        let patch_state = present(&patch.state).map(|st| {
            subdivision_code(region_country.as_deref(), &st)
                .map_or(st, |(_, code)| code.to_string())
        });
        fill(&mut lead.city, present(&patch.city), "city");
        fill(&mut lead.state, patch_state, "state");
        fill(&mut lead.country, patch_country, "country");
    }

    fill(
        &mut lead.hq_timezone,
        patch.hq_timezone.as_deref().and_then(canonical_zone),
        "hq_timezone",
    );
    fill(&mut lead.company, present(&patch.company), "company");
    fill(
        &mut lead.company_domain,
        patch.company_domain.as_deref().and_then(canonical_domain),
        "company_domain",
    );
    fill(&mut lead.industry, present(&patch.industry), "industry");

    if lead.employees.is_none() {
        if let Some(n) = patch.employees.filter(|n| *n > 0) {
            lead.employees = Some(n);
            filled.push("employees");
        }
    }
    filled
}

/// A provider's answer.
// One is returned per provider call and matched at once: boxing the patch
// would save nothing worth the clumsier matching.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Lookup {
    Found(EnrichmentPatch),
    NotFound,
    /// An asynchronous provider accepted the job but has no result yet: ask
    /// again later with this job id rather than submitting (and paying) twice.
    Pending {
        job_id: String,
    },
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// 429 after every retry the policy allowed.
    #[error("rate limited{}", retry_after_text(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, a timeout or a connection error after every retry.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A 4xx other than 429 (bad key, invalid request): retrying cannot help.
    #[error("rejected: {0}")]
    Rejected(String),
    /// A response that could not be understood.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The circuit breaker refused the call: no request was sent.
    #[error("circuit open until {until}")]
    CircuitOpen { until: DateTime<Utc> },
}

impl ProviderError {
    /// Worth trying the same request again (after a delay)?
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. } | ProviderError::Unavailable(_)
        )
    }
}

fn retry_after_text(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", retry after {} ms", d.as_millis()))
        .unwrap_or_default()
}

/// How often and how long to wait before retrying a 429, a 5xx or a
/// transport error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry; doubled for each retry after it.
    pub base: Duration,
    /// No single wait is longer. A `Retry-After` beyond it means give up:
    /// a Lambda has seconds, not minutes.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0 for the first retry), or
    /// None to give up: retries exhausted, or the server asked for a longer
    /// wait than `max_delay`. A server's `Retry-After` is honoured as given;
    /// without one the wait is `base * 2^attempt`, capped at `max_delay`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait),
            None => {
                let factor = 2u32.checked_pow(attempt).unwrap_or(u32::MAX);
                Some(self.base.saturating_mul(factor).min(self.max_delay))
            }
        }
    }
}

/// A `Retry-After` header value as a wait from `now`: delay-seconds
/// (`120`) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`, RFC 9110's
/// IMF-fixdate). A date in the past means no wait. Anything else is None.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// When a provider's circuit opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitPolicy {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long an open circuit refuses calls before it lets one trial through.
    pub open_for: chrono::Duration,
}

impl Default for CircuitPolicy {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: chrono::Duration::minutes(5),
        }
    }
}

/// A provider's circuit breaker as plain data, so it can be kept in memory
/// or persisted between invocations.
///
/// Closed (`opened_until` None) lets every call through. Open refuses
/// calls until `opened_until`; after that it is half-open: one trial call
/// goes through, a success closes the circuit and a failure opens it again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitState {
    pub consecutive_failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_until: Option<DateTime<Utc>>,
}

impl CircuitState {
    /// Closed, or open long enough to be half-open.
    pub fn allows(&self, now: DateTime<Utc>) -> bool {
        self.opened_until.is_none_or(|until| now >= until)
    }

    /// Like `allows`, but a half-open circuit admits only the caller that
    /// asks first: admitting the trial re-arms the open period, so callers
    /// racing it are refused until the trial reports back.
    pub fn admit(&mut self, now: DateTime<Utc>, policy: &CircuitPolicy) -> bool {
        match self.opened_until {
            None => true,
            Some(until) if now >= until => {
                self.opened_until = Some(now + policy.open_for);
                true
            }
            Some(_) => false,
        }
    }

    pub fn record_success(&mut self) {
        *self = Self::default();
    }

    /// Counts a failure; opens the circuit when the threshold is reached,
    /// and re-opens at once a circuit that was already open or half-open.
    pub fn record_failure(&mut self, now: DateTime<Utc>, policy: &CircuitPolicy) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.opened_until.is_some() || self.consecutive_failures >= policy.failure_threshold {
            self.opened_until = Some(now + policy.open_for);
        }
    }
}

/// The monthly credit bucket an instant falls in: `2026-11`.
pub fn month_key(now: DateTime<Utc>) -> String {
    now.format("%Y-%m").to_string()
}

/// Whether spending `cost` more credits keeps `used` within `budget`
/// (None = no limit).
pub fn budget_allows(used: u32, cost: u32, budget: Option<u32>) -> bool {
    budget.is_none_or(|b| used.checked_add(cost).is_some_and(|total| total <= b))
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn present(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The IANA name of a zone ("america/phoenix" -> "America/Phoenix"), or None.
fn canonical_zone(name: &str) -> Option<String> {
    let hints = LocationHints {
        hq_timezone: Some(name),
        ..Default::default()
    };
    let resolved = resolve_timezone(&hints, chrono_tz::Tz::UTC);
    (resolved.source == TimezoneSource::HqTimezone).then(|| resolved.tz.name().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, h, m, s).unwrap()
    }

    fn lead() -> Lead {
        Lead {
            tenant: "t1".into(),
            id: "lead-1".into(),
            first_name: Some("Avery".into()),
            last_name: Some("Quill".into()),
            company: Some("Quill Widgets".into()),
            company_domain: Some("quill-widgets.example".into()),
            created_at: at(9, 0, 0),
            updated_at: at(9, 0, 0),
            ..Default::default()
        }
    }

    fn full_patch() -> EnrichmentPatch {
        EnrichmentPatch {
            email: Some(" Avery.Quill@Quill-Widgets.example ".into()),
            email_status: Some("Verified".into()),
            title: Some("Head of Operations".into()),
            seniority: Some("Head".into()),
            phone: Some("(602) 555-0134".into()),
            linkedin_url: Some("https://www.linkedin.com/in/avery-quill-example".into()),
            employees: Some(42),
            city: Some("Phoenix".into()),
            state: Some("Arizona".into()),
            country: Some("United States".into()),
            hq_timezone: Some("america/phoenix".into()),
            company: Some("Quill Widgets LLC".into()),
            company_domain: Some("https://www.other.example/about".into()),
            industry: Some("Manufacturing".into()),
        }
    }

    #[test]
    fn given_a_sparse_lead_when_asking_what_is_missing_then_every_gap_is_named() {
        let missing = Missing::of(&lead());
        assert_eq!(
            missing.names(),
            vec![
                "email",
                "title",
                "phone",
                "linkedin_url",
                "employees",
                "hq_location",
                "timezone"
            ]
        );
        assert_eq!(
            missing.to_string(),
            "email, title, phone, linkedin_url, employees, hq_location, timezone"
        );
    }

    #[test]
    fn given_blank_strings_when_asking_what_is_missing_then_blank_counts_as_missing() {
        let mut l = lead();
        l.email = Some("  ".into());
        l.state = Some("AZ".into());
        l.hq_timezone = Some("America/Phoenix".into());
        let missing = Missing::of(&l);
        assert!(missing.email);
        assert!(!missing.hq_location, "a state alone is a location");
        assert!(!missing.timezone);
    }

    #[test]
    fn given_a_complete_lead_when_asking_what_is_missing_then_nothing_is() {
        let mut l = lead();
        apply_patch(&mut l, &full_patch());
        assert!(Missing::of(&l).is_empty());
        assert_eq!(Missing::of(&l).to_string(), "");
    }

    #[test]
    fn given_a_lead_when_building_the_query_then_only_non_blank_identifiers_are_sent() {
        let mut l = lead();
        l.email = Some(" ".into());
        l.linkedin_url = Some(" https://www.linkedin.com/in/avery ".into());
        let q = EnrichmentQuery::from_lead(&l);
        assert_eq!(
            q,
            EnrichmentQuery {
                first_name: Some("Avery".into()),
                last_name: Some("Quill".into()),
                email: None,
                company: Some("Quill Widgets".into()),
                company_domain: Some("quill-widgets.example".into()),
                linkedin_url: Some("https://www.linkedin.com/in/avery".into()),
                phone: None,
            }
        );
        assert_eq!(q.full_name().as_deref(), Some("Avery Quill"));
    }

    #[test]
    fn given_an_empty_lead_when_applying_a_patch_then_every_field_is_filled_in_canonical_form() {
        let mut l = lead();
        l.company = None;
        l.company_domain = None;
        let filled = apply_patch(&mut l, &full_patch());
        assert_eq!(
            l.email.as_deref(),
            Some("avery.quill@quill-widgets.example")
        );
        assert_eq!(l.email_status.as_deref(), Some("verified"));
        assert_eq!(l.seniority.as_deref(), Some("head"));
        assert_eq!(l.phone.as_deref(), Some("+16025550134"));
        assert_eq!(l.hq_timezone.as_deref(), Some("America/Phoenix"));
        assert_eq!(l.company_domain.as_deref(), Some("other.example"));
        assert_eq!(l.employees, Some(42));
        assert_eq!(
            filled,
            vec![
                "email",
                "email_status",
                "title",
                "seniority",
                "phone",
                "linkedin_url",
                "city",
                "state",
                "country",
                "hq_timezone",
                "company",
                "company_domain",
                "industry",
                "employees"
            ]
        );
    }

    #[test]
    fn given_imported_values_when_applying_a_patch_then_they_are_never_overwritten() {
        let mut l = lead();
        l.email = Some("avery@quill-widgets.example".into());
        l.title = Some("Owner".into());
        l.employees = Some(7);
        let filled = apply_patch(&mut l, &full_patch());
        assert_eq!(l.email.as_deref(), Some("avery@quill-widgets.example"));
        assert_eq!(l.title.as_deref(), Some("Owner"));
        assert_eq!(l.employees, Some(7));
        assert_eq!(l.company.as_deref(), Some("Quill Widgets"));
        assert_eq!(l.company_domain.as_deref(), Some("quill-widgets.example"));
        assert!(!filled.contains(&"email"));
        assert!(!filled.contains(&"title"));
        assert!(!filled.contains(&"employees"));
        assert!(
            !filled.contains(&"email_status"),
            "the status describes another address than the lead's"
        );
    }

    #[test]
    fn given_invalid_values_when_applying_a_patch_then_they_are_dropped() {
        let mut l = lead();
        let patch = EnrichmentPatch {
            email: Some("not-an-email".into()),
            email_status: Some("verified".into()),
            phone: Some("555".into()),
            hq_timezone: Some("Mars/Olympus_Mons".into()),
            employees: Some(0),
            title: Some("   ".into()),
            ..Default::default()
        };
        assert!(apply_patch(&mut l, &patch).is_empty());
        assert_eq!(l.email, None);
        assert_eq!(l.email_status, None);
        assert_eq!(l.phone, None);
        assert_eq!(l.hq_timezone, None);
        assert_eq!(l.employees, None);
        assert_eq!(l.title, None);
    }

    #[test]
    fn given_a_lead_in_another_country_when_applying_a_patch_then_its_location_is_not_mixed() {
        let mut l = lead();
        l.country = Some("Canada".into());
        let filled = apply_patch(&mut l, &full_patch());
        assert_eq!(l.city, None);
        assert_eq!(l.state, None);
        assert_eq!(l.country.as_deref(), Some("Canada"));
        assert!(!filled.contains(&"city"));
    }

    #[test]
    fn given_a_lead_with_only_its_country_when_the_patch_agrees_then_city_and_state_are_filled() {
        let mut l = lead();
        l.country = Some("united states".into());
        let filled = apply_patch(&mut l, &full_patch());
        assert_eq!(l.city.as_deref(), Some("Phoenix"));
        // A provider's "Arizona" is stored as the ISO subdivision code.
        assert_eq!(l.state.as_deref(), Some("AZ"));
        assert_eq!(l.country.as_deref(), Some("united states"));
        assert!(filled.contains(&"state") && !filled.contains(&"country"));
    }

    #[test]
    fn given_the_lead_email_when_the_patch_confirms_it_then_its_status_is_taken() {
        let mut l = lead();
        l.email = Some("avery.quill@quill-widgets.example".into());
        let filled = apply_patch(&mut l, &full_patch());
        assert_eq!(l.email_status.as_deref(), Some("verified"));
        assert!(filled.contains(&"email_status") && !filled.contains(&"email"));
    }

    #[test]
    fn given_patches_when_asking_if_empty_then_only_a_patch_with_nothing_usable_is() {
        assert!(EnrichmentPatch::default().is_empty());
        assert!(EnrichmentPatch {
            title: Some(" ".into()),
            employees: Some(0),
            ..Default::default()
        }
        .is_empty());
        assert!(!EnrichmentPatch {
            employees: Some(3),
            ..Default::default()
        }
        .is_empty());
    }

    #[test]
    fn given_lookups_when_serialised_then_the_outcome_is_tagged() {
        let pending = Lookup::Pending {
            job_id: "job-1".into(),
        };
        let json = serde_json::to_value(&pending).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"outcome": "pending", "job_id": "job-1"})
        );
        assert_eq!(serde_json::from_value::<Lookup>(json).unwrap(), pending);
    }

    #[test]
    fn given_provider_errors_then_only_rate_limits_and_outages_are_retryable() {
        assert!(ProviderError::RateLimited { retry_after: None }.is_retryable());
        assert!(ProviderError::Unavailable("503".into()).is_retryable());
        assert!(!ProviderError::Rejected("401".into()).is_retryable());
        assert!(!ProviderError::Malformed("eof".into()).is_retryable());
        assert!(!ProviderError::CircuitOpen { until: at(9, 0, 0) }.is_retryable());
        assert_eq!(
            ProviderError::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
            .to_string(),
            "rate limited, retry after 2000 ms"
        );
    }

    #[test]
    fn given_no_retry_after_when_computing_delays_then_they_double_up_to_the_cap() {
        let p = RetryPolicy {
            max_retries: 8,
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
        };
        let delays: Vec<_> = (0..9).map(|a| p.delay(a, None)).collect();
        let ms = |n| Some(Duration::from_millis(n));
        assert_eq!(
            delays,
            vec![
                ms(500),
                ms(1000),
                ms(2000),
                ms(4000),
                ms(5000),
                ms(5000),
                ms(5000),
                ms(5000),
                None
            ]
        );
    }

    #[test]
    fn given_a_retry_after_when_computing_the_delay_then_it_is_honoured_or_the_call_gives_up() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(30))), Some(p.max_delay));
        assert_eq!(p.delay(0, Some(Duration::from_secs(31))), None);
        assert_eq!(p.delay(3, Some(Duration::from_secs(1))), None);
    }

    #[test]
    fn given_retry_after_values_when_parsing_then_seconds_and_http_dates_are_understood() {
        let now = at(7, 27, 0);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means retry now"
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn given_failures_below_the_threshold_then_the_circuit_stays_closed() {
        let policy = CircuitPolicy::default();
        let mut c = CircuitState::default();
        for _ in 0..4 {
            c.record_failure(at(9, 0, 0), &policy);
        }
        assert!(c.allows(at(9, 0, 0)));
        c.record_success();
        assert_eq!(c, CircuitState::default());
    }

    #[test]
    fn given_the_threshold_reached_then_the_circuit_opens_and_half_opens_after_the_period() {
        let policy = CircuitPolicy::default();
        let mut c = CircuitState::default();
        for _ in 0..5 {
            c.record_failure(at(9, 0, 0), &policy);
        }
        assert_eq!(c.opened_until, Some(at(9, 5, 0)));
        assert!(!c.allows(at(9, 4, 59)));
        assert!(c.allows(at(9, 5, 0)), "half-open: one trial may go");
    }

    #[test]
    fn given_a_half_open_circuit_when_the_trial_fails_then_it_reopens_at_once() {
        let policy = CircuitPolicy::default();
        let mut c = CircuitState {
            consecutive_failures: 5,
            opened_until: Some(at(9, 5, 0)),
        };
        c.record_failure(at(9, 6, 0), &policy);
        assert_eq!(c.opened_until, Some(at(9, 11, 0)));
        assert!(!c.allows(at(9, 6, 1)));
    }

    #[test]
    fn given_a_half_open_circuit_when_two_callers_ask_then_only_the_first_is_admitted() {
        let policy = CircuitPolicy::default();
        let mut c = CircuitState {
            consecutive_failures: 5,
            opened_until: Some(at(9, 5, 0)),
        };
        assert!(c.admit(at(9, 6, 0), &policy));
        assert!(!c.admit(at(9, 6, 0), &policy));
        c.record_success();
        assert!(c.admit(at(9, 6, 1), &policy));
    }

    #[test]
    fn given_instants_when_keying_the_month_then_it_is_year_and_month() {
        assert_eq!(month_key(at(23, 59, 59)), "2026-11");
        assert_eq!(
            month_key(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
            "2027-01"
        );
    }

    #[test]
    fn given_budgets_when_spending_then_the_limit_is_inclusive_and_none_is_unlimited() {
        assert!(budget_allows(99, 1, Some(100)));
        assert!(!budget_allows(100, 1, Some(100)));
        assert!(!budget_allows(u32::MAX, 1, Some(u32::MAX)));
        assert!(budget_allows(u32::MAX, 1, None));
        assert!(budget_allows(0, 0, Some(0)));
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            Just(Some(String::new())),
            Just(Some("  ".into())),
            "[A-Za-z .@+()0-9/_-]{1,24}".prop_map(Some),
        ]
    }

    prop_compose! {
        fn any_patch()(
            email in prop_oneof![opt_text(), "[a-z]{1,8}@[a-z]{1,8}\\.example".prop_map(Some)],
            email_status in opt_text(), title in opt_text(), seniority in opt_text(),
            phone in prop_oneof![opt_text(), "\\+?[0-9]{8,12}".prop_map(Some)],
            linkedin_url in opt_text(), employees in proptest::option::of(0u32..100_000),
            city in opt_text(), state in opt_text(), country in opt_text(),
            hq_timezone in prop_oneof![opt_text(), Just(Some("Europe/Paris".to_string()))],
            company in opt_text(), company_domain in opt_text(), industry in opt_text(),
        ) -> EnrichmentPatch {
            EnrichmentPatch {
                email, email_status, title, seniority, phone, linkedin_url, employees,
                city, state, country, hq_timezone, company, company_domain, industry,
            }
        }
    }

    prop_compose! {
        fn any_lead()(
            email in opt_text(), email_status in opt_text(), title in opt_text(),
            seniority in opt_text(), phone in opt_text(), linkedin_url in opt_text(),
            employees in proptest::option::of(0u32..100_000),
            city in opt_text(), state in opt_text(), country in opt_text(),
            hq_timezone in opt_text(), company in opt_text(), company_domain in opt_text(),
            industry in opt_text(),
        ) -> Lead {
            Lead {
                email, email_status, title, seniority, phone, linkedin_url, employees,
                city, state, country, hq_timezone, company, company_domain, industry,
                ..lead()
            }
        }
    }

    fn text_fields(l: &Lead) -> [(&'static str, Option<String>); 13] {
        [
            ("email", l.email.clone()),
            ("email_status", l.email_status.clone()),
            ("title", l.title.clone()),
            ("seniority", l.seniority.clone()),
            ("phone", l.phone.clone()),
            ("linkedin_url", l.linkedin_url.clone()),
            ("city", l.city.clone()),
            ("state", l.state.clone()),
            ("country", l.country.clone()),
            ("hq_timezone", l.hq_timezone.clone()),
            ("company", l.company.clone()),
            ("company_domain", l.company_domain.clone()),
            ("industry", l.industry.clone()),
        ]
    }

    proptest! {
        #[test]
        fn apply_patch_never_overwrites_a_non_empty_field(l in any_lead(), patch in any_patch()) {
            let before = l.clone();
            let mut after = l;
            let filled = apply_patch(&mut after, &patch);
            for ((name, was), (_, now)) in text_fields(&before).into_iter().zip(text_fields(&after)) {
                if !blank(&was) {
                    prop_assert_eq!(&was, &now, "{} was overwritten", name);
                    prop_assert!(!filled.contains(&name));
                } else if was != now {
                    prop_assert!(filled.contains(&name), "{} changed but was not reported", name);
                }
            }
            if before.employees.is_some() {
                prop_assert_eq!(before.employees, after.employees);
            }
            // A second application finds nothing more to fill.
            prop_assert!(apply_patch(&mut after.clone(), &patch).is_empty());
        }

        #[test]
        fn a_delay_never_exceeds_max_delay(
            attempt in 0u32..64,
            max_retries in 0u32..64,
            base_ms in 0u64..10_000,
            max_ms in 0u64..60_000,
            retry_after_ms in proptest::option::of(0u64..120_000),
        ) {
            let p = RetryPolicy {
                max_retries,
                base: Duration::from_millis(base_ms),
                max_delay: Duration::from_millis(max_ms),
            };
            let d = p.delay(attempt, retry_after_ms.map(Duration::from_millis));
            if let Some(d) = d {
                prop_assert!(d <= p.max_delay);
                prop_assert!(attempt < max_retries);
            }
        }

        #[test]
        fn the_circuit_never_allows_a_call_while_open(
            failures in 0u32..20,
            threshold in 1u32..10,
            offset_s in 0i64..600,
        ) {
            let policy = CircuitPolicy { failure_threshold: threshold, open_for: chrono::Duration::minutes(5) };
            let mut c = CircuitState::default();
            for _ in 0..failures {
                c.record_failure(at(9, 0, 0), &policy);
            }
            let later = at(9, 0, 0) + chrono::Duration::seconds(offset_s);
            let open = failures >= threshold && offset_s < 300;
            prop_assert_eq!(c.allows(later), !open);
        }
    }
}
