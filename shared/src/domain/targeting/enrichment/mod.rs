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
mod tests;
