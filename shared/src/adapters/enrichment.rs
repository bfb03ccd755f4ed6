//! Enrichment providers over HTTP: a synchronous people-match API, an
//! asynchronous submit-then-poll API, the retry layer they share and an
//! in-memory circuit breaker that wraps any provider.

use crate::config::Env;
use crate::domain::targeting::enrichment::{
    parse_retry_after, CircuitPolicy, CircuitState, EnrichmentPatch, EnrichmentQuery, Lookup,
    ProviderError, RetryPolicy,
};
use crate::domain::targeting::suppression::{canonical_domain, canonical_phone};
use crate::error::Result;
use crate::ports::{Clock, EnrichmentProvider};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, DATE, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// How one provider's HTTP calls behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Whole-request timeout (connect, send, read the body).
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(8),
            retry: RetryPolicy::default(),
        }
    }
}

impl HttpSettings {
    /// `{prefix}_TIMEOUT_MS` and `{prefix}_MAX_RETRIES`, else the defaults.
    fn from_env(env: &Env, prefix: &str) -> Result<Self> {
        let d = Self::default();
        let timeout_ms = env.parse_or(
            &format!("{prefix}_TIMEOUT_MS"),
            d.timeout.as_millis() as u64,
        )?;
        let max_retries = env.parse_or(&format!("{prefix}_MAX_RETRIES"), d.retry.max_retries)?;
        Ok(Self {
            timeout: Duration::from_millis(timeout_ms),
            retry: RetryPolicy {
                max_retries,
                ..d.retry
            },
        })
    }
}

/// A response the retry layer did not retry: any status but 429 and 5xx.
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body of a 2xx; any other status is a rejection.
    fn into_success(self) -> std::result::Result<String, ProviderError> {
        if self.is_success() {
            Ok(self.body)
        } else {
            Err(ProviderError::Rejected(self.describe()))
        }
    }

    fn describe(&self) -> String {
        let body: String = self.body.chars().take(200).collect();
        format!("status {}: {}", self.status, body.trim())
    }
}

/// Sends requests with a timeout and retries 429s, 5xx and transport
/// errors under a `RetryPolicy`, honouring `Retry-After`.
struct Resilient {
    http: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
}

impl Resilient {
    fn new(settings: &HttpSettings) -> Result<Self> {
        Ok(Self {
            http: super::http::client()?,
            timeout: settings.timeout,
            retry: settings.retry,
        })
    }

    /// Sends the request `build` makes (once per attempt) until it gets a
    /// response worth returning or the policy gives up.
    async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> std::result::Result<Reply, ProviderError> {
        with_retries(&self.retry, "provider call", || async {
            self.attempt(build(&self.http).timeout(self.timeout))
                .await
                .map_err(|(error, wait)| Failed::Retryable(error, wait))
        })
        .await
    }

    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
    ) -> std::result::Result<Reply, (ProviderError, Option<Duration>)> {
        let response = request
            .send()
            .await
            .map_err(|e| (transport_error(&e), None))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        if status == 429 {
            return Err((ProviderError::RateLimited { retry_after }, retry_after));
        }
        if status >= 500 {
            return Err((
                ProviderError::Unavailable(format!("status {status}")),
                retry_after,
            ));
        }
        let body = response
            .text()
            .await
            .map_err(|e| (transport_error(&e), None))?;
        Ok(Reply { status, body })
    }
}

/// How one attempt at a provider call failed.
pub(crate) enum Failed {
    /// Worth another attempt, after at least the server's hint if it gave one.
    Retryable(ProviderError, Option<Duration>),
    /// Retrying cannot help.
    Final(ProviderError),
}

/// Runs `attempt` until it succeeds, fails for good, or `policy` gives up:
/// the one retry loop every provider adapter shares.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    mut attempt: F,
) -> std::result::Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, Failed>>,
{
    let mut n = 0;
    loop {
        let (error, hint) = match attempt().await {
            Ok(v) => return Ok(v),
            Err(Failed::Final(error)) => return Err(error),
            Err(Failed::Retryable(error, hint)) => (error, hint),
        };
        match policy.delay(n, hint) {
            Some(wait) => {
                tracing::debug!(attempt = n, ?wait, %error, "retrying {what}");
                tokio::time::sleep(wait).await;
                n += 1;
            }
            None => return Err(error),
        }
    }
}

pub(crate) fn transport_error(e: &reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Unavailable(format!("timed out: {e}"))
    } else if e.is_connect() {
        ProviderError::Unavailable(format!("connection failed: {e}"))
    } else {
        ProviderError::Unavailable(e.to_string())
    }
}

/// `Retry-After` as a wait, an HTTP-date measured from the response's own
/// `Date` so a skewed local clock does not matter.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    let now = headers
        .get(DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    parse_retry_after(value, now)
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &str) -> std::result::Result<T, ProviderError> {
    serde_json::from_str(body).map_err(|e| ProviderError::Malformed(e.to_string()))
}

fn trim_base_url(base_url: &str) -> String {
    base_url.trim_end_matches('/').to_string()
}

/// A count reported as a number (sometimes a float); zero means unknown.
fn employee_count(n: Option<f64>) -> Option<u32> {
    n.filter(|n| n.is_finite() && *n >= 1.0 && *n <= f64::from(u32::MAX))
        .map(|n| n.round() as u32)
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------
// People match (synchronous)
// ---------------------------------------------------------------------------

/// A synchronous people-match API in the shape of Apollo's People
/// Enrichment endpoint (`POST /api/v1/people/match`), which charges per
/// reveal.
///
/// What the request and response look like, from Apollo's documentation
/// (docs.apollo.io/reference/people-enrichment and
/// docs.apollo.io/docs/enrich-people-data): the key goes in
/// an `X-Api-Key` header with `Content-Type: application/json` and
/// `Cache-Control: no-cache`; the identifiers are `first_name`, `last_name`,
/// `name`, `email`, `organization_name`, `domain` and `linkedin_url`;
/// personal emails and phones are withheld unless `reveal_personal_emails`
/// / `reveal_phone_number` are set, and a phone reveal is delivered later
/// to a webhook, so both are sent as false. A 200 can still hold no match,
/// and an unmatched person comes back as `null`.
///
/// The response fields read here (`person.email`, `email_status`, `title`,
/// `seniority`, `linkedin_url`, `city`, `state`, `country`, `time_zone`,
/// `phone_numbers[].sanitized_number`, and `person.organization.name`,
/// `primary_domain`, `website_url`, `industry`, `estimated_num_employees`,
/// `city`, `state`, `country`) were checked against published client code
/// rather than a schema in Apollo's reference; every one is optional here.
pub struct PeopleMatch {
    http: Resilient,
    base_url: String,
    api_key: String,
    cost: u32,
}

impl PeopleMatch {
    pub const NAME: &'static str = "people_match";

    /// `base_url` is scheme and host (`https://api.example.com`); the
    /// endpoint path is appended.
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        settings: HttpSettings,
    ) -> Result<Self> {
        Ok(Self {
            http: Resilient::new(&settings)?,
            base_url: trim_base_url(&base_url.into()),
            api_key: api_key.into(),
            cost: 1,
        })
    }

    /// Credits one match costs (1 unless told otherwise).
    pub fn with_cost(mut self, cost: u32) -> Self {
        self.cost = cost;
        self
    }

    /// None when `PEOPLE_MATCH_API_KEY` is unset: the provider is simply
    /// not configured. With a key, `PEOPLE_MATCH_API_URL` is required;
    /// `PEOPLE_MATCH_TIMEOUT_MS`, `PEOPLE_MATCH_MAX_RETRIES` and
    /// `PEOPLE_MATCH_COST` are optional.
    pub fn from_env(env: &Env) -> Result<Option<Self>> {
        let Some(key) = env.get("PEOPLE_MATCH_API_KEY") else {
            return Ok(None);
        };
        let url = env.require("PEOPLE_MATCH_API_URL")?;
        let settings = HttpSettings::from_env(env, "PEOPLE_MATCH")?;
        let cost = env.parse_or("PEOPLE_MATCH_COST", 1u32)?;
        Ok(Some(Self::new(url, key, settings)?.with_cost(cost)))
    }
}

#[derive(Serialize)]
struct MatchRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linkedin_url: Option<&'a str>,
    reveal_personal_emails: bool,
    reveal_phone_number: bool,
}

impl<'a> MatchRequest<'a> {
    /// None when the query cannot identify one person: an email, a LinkedIn
    /// URL, or a full name with a company. A name alone matches nobody
    /// reliably and would still cost a call.
    fn from_query(q: &'a EnrichmentQuery) -> Option<Self> {
        let named = q.first_name.is_some() && q.last_name.is_some();
        let employer = q.company_domain.is_some() || q.company.is_some();
        let identifies = q.email.is_some() || q.linkedin_url.is_some() || (named && employer);
        identifies.then_some(Self {
            first_name: q.first_name.as_deref(),
            last_name: q.last_name.as_deref(),
            email: q.email.as_deref(),
            organization_name: q.company.as_deref(),
            domain: q.company_domain.as_deref(),
            linkedin_url: q.linkedin_url.as_deref(),
            reveal_personal_emails: false,
            reveal_phone_number: false,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchedPerson {
    email: Option<String>,
    email_status: Option<String>,
    title: Option<String>,
    seniority: Option<String>,
    linkedin_url: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    time_zone: Option<String>,
    phone_numbers: Option<Vec<MatchedPhone>>,
    organization: Option<MatchedOrganization>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchedPhone {
    sanitized_number: Option<String>,
    raw_number: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchedOrganization {
    name: Option<String>,
    primary_domain: Option<String>,
    website_url: Option<String>,
    industry: Option<String>,
    estimated_num_employees: Option<f64>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
}

impl MatchedPerson {
    fn into_patch(self) -> EnrichmentPatch {
        let org = self.organization.unwrap_or_default();
        // Apollo stands a placeholder in for an email the account has not
        // unlocked; it is not an address.
        let email = non_empty(self.email).filter(|e| !e.starts_with("email_not_unlocked@"));
        let phone = self
            .phone_numbers
            .unwrap_or_default()
            .into_iter()
            .flat_map(|p| [p.sanitized_number, p.raw_number])
            .flatten()
            .find_map(|n| canonical_phone(&n));
        // City, state and country describe the company's headquarters when
        // Apollo knows them, else where the person is; never a mix.
        let org_has_place = [&org.city, &org.state, &org.country]
            .iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
        let (city, state, country) = if org_has_place {
            (org.city, org.state, org.country)
        } else {
            (self.city, self.state, self.country)
        };
        EnrichmentPatch {
            email_status: email.as_ref().and(non_empty(self.email_status)),
            email,
            title: non_empty(self.title),
            seniority: non_empty(self.seniority),
            phone,
            linkedin_url: non_empty(self.linkedin_url),
            employees: employee_count(org.estimated_num_employees),
            city: non_empty(city),
            state: non_empty(state),
            country: non_empty(country),
            // The person's own zone: it is when the recipient reads mail.
            hq_timezone: non_empty(self.time_zone),
            company: non_empty(org.name),
            company_domain: org
                .primary_domain
                .or(org.website_url)
                .as_deref()
                .and_then(canonical_domain),
            industry: non_empty(org.industry),
        }
    }
}

#[async_trait]
impl EnrichmentProvider for PeopleMatch {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn cost(&self) -> u32 {
        self.cost
    }

    async fn lookup(
        &self,
        query: &EnrichmentQuery,
        _pending: Option<&str>,
    ) -> std::result::Result<Lookup, ProviderError> {
        let Some(body) = MatchRequest::from_query(query) else {
            return Ok(Lookup::NotFound);
        };
        let url = format!("{}/api/v1/people/match", self.base_url);
        let reply = self
            .http
            .send(|http| {
                http.post(&url)
                    .header("x-api-key", &self.api_key)
                    .header("cache-control", "no-cache")
                    .header("accept", "application/json")
                    .json(&body)
            })
            .await?;
        let json: Value = parse_json(&reply.into_success()?)?;
        let person = match json.get("person") {
            None => {
                return Err(ProviderError::Malformed(
                    "no `person` in the response".into(),
                ))
            }
            Some(Value::Null) => return Ok(Lookup::NotFound),
            Some(person) => MatchedPerson::deserialize(person)
                .map_err(|e| ProviderError::Malformed(format!("person: {e}")))?,
        };
        let patch = person.into_patch();
        Ok(if patch.is_empty() {
            Lookup::NotFound
        } else {
            Lookup::Found(patch)
        })
    }
}

// ---------------------------------------------------------------------------
// Async enrich (submit, then poll)
// ---------------------------------------------------------------------------

/// An asynchronous enrichment API in the shape of FullEnrich's bulk contact
/// enrichment (API v2): submit a contact, get an id back, poll for the
/// result.
///
/// From FullEnrich's OpenAPI document (docs.fullenrich.com/api/v2, version
/// 2.0.0): Bearer auth; `POST /api/v2/contact/enrich/bulk`
/// with `{name, data: [{first_name, last_name, domain, company_name,
/// linkedin_url, enrich_fields}]}` (a contact needs a full name with a
/// domain or company name, or a LinkedIn URL) answers `{enrichment_id}`;
/// `GET /api/v2/contact/enrich/bulk/{enrichment_id}` answers `{id, status,
/// data: [{contact_info, profile}], cost}` with status one of CREATED,
/// IN_PROGRESS, CANCELED, CREDITS_INSUFFICIENT, FINISHED, RATE_LIMIT,
/// UNKNOWN, and documents a 400 with code `error.enrichment.in_progress`
/// for a result that is not ready. Work emails cost 1 credit and phones 10,
/// so only what the query lacks is asked for.
pub struct AsyncEnrich {
    http: Resilient,
    base_url: String,
    api_key: String,
    cost: u32,
    poll_interval: Duration,
    max_wait: Duration,
}

impl AsyncEnrich {
    pub const NAME: &'static str = "async_enrich";
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(10);

    /// `base_url` is scheme and host (`https://app.example.com`); the
    /// endpoint paths are appended.
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        settings: HttpSettings,
    ) -> Result<Self> {
        Ok(Self {
            http: Resilient::new(&settings)?,
            base_url: trim_base_url(&base_url.into()),
            api_key: api_key.into(),
            cost: 1,
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
            max_wait: Self::DEFAULT_MAX_WAIT,
        })
    }

    /// How often to ask for the result, and how long one lookup waits for
    /// it before answering `Pending`. A Lambda has 30 s: keep both small.
    pub fn with_polling(mut self, poll_interval: Duration, max_wait: Duration) -> Self {
        self.poll_interval = poll_interval;
        self.max_wait = max_wait;
        self
    }

    /// Credits one reveal costs (1 unless told otherwise).
    pub fn with_cost(mut self, cost: u32) -> Self {
        self.cost = cost;
        self
    }

    /// None when `ASYNC_ENRICH_API_KEY` is unset. With a key,
    /// `ASYNC_ENRICH_API_URL` is required; `ASYNC_ENRICH_TIMEOUT_MS`,
    /// `ASYNC_ENRICH_MAX_RETRIES`, `ASYNC_ENRICH_COST`,
    /// `ASYNC_ENRICH_POLL_INTERVAL_MS` and `ASYNC_ENRICH_MAX_WAIT_MS` are
    /// optional.
    pub fn from_env(env: &Env) -> Result<Option<Self>> {
        let Some(key) = env.get("ASYNC_ENRICH_API_KEY") else {
            return Ok(None);
        };
        let url = env.require("ASYNC_ENRICH_API_URL")?;
        let settings = HttpSettings::from_env(env, "ASYNC_ENRICH")?;
        let cost = env.parse_or("ASYNC_ENRICH_COST", 1u32)?;
        let ms = |name: &str, default: Duration| {
            env.parse_or(name, default.as_millis() as u64)
                .map(Duration::from_millis)
        };
        let poll_interval = ms("ASYNC_ENRICH_POLL_INTERVAL_MS", Self::DEFAULT_POLL_INTERVAL)?;
        let max_wait = ms("ASYNC_ENRICH_MAX_WAIT_MS", Self::DEFAULT_MAX_WAIT)?;
        Ok(Some(
            Self::new(url, key, settings)?
                .with_cost(cost)
                .with_polling(poll_interval, max_wait),
        ))
    }

    fn jobs_url(&self) -> String {
        format!("{}/api/v2/contact/enrich/bulk", self.base_url)
    }

    async fn submit(&self, body: &SubmitRequest<'_>) -> std::result::Result<String, ProviderError> {
        let url = self.jobs_url();
        let reply = self
            .http
            .send(|http| {
                http.post(&url)
                    .bearer_auth(&self.api_key)
                    .header("accept", "application/json")
                    .json(body)
            })
            .await?;
        let submitted: Submitted = parse_json(&reply.into_success()?)?;
        non_empty(submitted.enrichment_id)
            .ok_or_else(|| ProviderError::Malformed("no `enrichment_id` in the response".into()))
    }

    /// The job's result, or None while it is still running.
    async fn poll(&self, job_id: &str) -> std::result::Result<Option<Lookup>, ProviderError> {
        let url = format!("{}/{job_id}", self.jobs_url());
        let reply = self
            .http
            .send(|http| {
                http.get(&url)
                    .bearer_auth(&self.api_key)
                    .header("accept", "application/json")
            })
            .await?;
        if reply.status == 400 && not_ready(&reply.body) {
            return Ok(None);
        }
        let job: JobResult = parse_json(&reply.into_success()?)?;
        match job.status.as_deref().unwrap_or("") {
            "CREATED" | "IN_PROGRESS" => Ok(None),
            "FINISHED" => {
                let patch = job
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .map(EnrichedContact::into_patch)
                    .unwrap_or_default();
                Ok(Some(if patch.is_empty() {
                    Lookup::NotFound
                } else {
                    Lookup::Found(patch)
                }))
            }
            "RATE_LIMIT" => Err(ProviderError::RateLimited { retry_after: None }),
            "CANCELED" | "CREDITS_INSUFFICIENT" => Err(ProviderError::Rejected(format!(
                "job {job_id} ended {}",
                job.status.unwrap_or_default()
            ))),
            other => Err(ProviderError::Malformed(format!(
                "job {job_id} has status {other:?}"
            ))),
        }
    }

    /// Polls every `poll_interval` until the job is done or waiting once
    /// more would pass `max_wait`.
    async fn wait_for(
        &self,
        job_id: &str,
        poll_at_once: bool,
    ) -> std::result::Result<Lookup, ProviderError> {
        let deadline = Instant::now() + self.max_wait;
        let mut wait_first = !poll_at_once;
        loop {
            if wait_first {
                if Instant::now() + self.poll_interval > deadline {
                    return Ok(Lookup::Pending {
                        job_id: job_id.to_string(),
                    });
                }
                tokio::time::sleep(self.poll_interval).await;
            }
            wait_first = true;
            if let Some(done) = self.poll(job_id).await? {
                return Ok(done);
            }
        }
    }
}

/// FullEnrich's documented "not ready yet" error.
fn not_ready(body: &str) -> bool {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_string))
        .is_some_and(|code| code == "error.enrichment.in_progress")
}

#[derive(Serialize)]
struct SubmitRequest<'a> {
    name: String,
    data: [SubmitContact<'a>; 1],
}

#[derive(Serialize)]
struct SubmitContact<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linkedin_url: Option<&'a str>,
    enrich_fields: Vec<&'static str>,
}

impl<'a> SubmitRequest<'a> {
    /// None when the provider could not search (no LinkedIn URL, and no
    /// full name with a company) or there is nothing to ask for.
    fn from_query(q: &'a EnrichmentQuery) -> Option<Self> {
        let named = q.first_name.is_some() && q.last_name.is_some();
        let employer = q.company_domain.is_some() || q.company.is_some();
        if !(q.linkedin_url.is_some() || (named && employer)) {
            return None;
        }
        let mut enrich_fields = Vec::new();
        if q.email.is_none() {
            enrich_fields.push("contact.work_emails");
        }
        if q.phone.is_none() {
            enrich_fields.push("contact.phones");
        }
        if enrich_fields.is_empty() {
            return None;
        }
        Some(Self {
            // Shown in the provider's dashboard.
            name: q
                .full_name()
                .unwrap_or_else(|| "outbound enrichment".to_string()),
            data: [SubmitContact {
                first_name: q.first_name.as_deref(),
                last_name: q.last_name.as_deref(),
                domain: q.company_domain.as_deref(),
                company_name: q.company.as_deref(),
                linkedin_url: q.linkedin_url.as_deref(),
                enrich_fields,
            }],
        })
    }
}

#[derive(Deserialize)]
struct Submitted {
    enrichment_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JobResult {
    status: Option<String>,
    data: Option<Vec<EnrichedContact>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EnrichedContact {
    contact_info: Option<ContactInfo>,
    profile: Option<Profile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContactInfo {
    most_probable_work_email: Option<FoundEmail>,
    work_emails: Option<Vec<FoundEmail>>,
    most_probable_phone: Option<FoundPhone>,
    phones: Option<Vec<FoundPhone>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct FoundEmail {
    email: Option<String>,
    status: Option<String>,
}

impl FoundEmail {
    fn usable(&self) -> bool {
        self.email.is_some()
            && !matches!(self.status.as_deref(), Some("INVALID" | "INVALID_DOMAIN"))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FoundPhone {
    number: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Profile {
    location: Option<Place>,
    social_profiles: Option<SocialProfiles>,
    employment: Option<Employment>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Place {
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
}

impl Place {
    fn is_known(&self) -> bool {
        [&self.city, &self.region, &self.country]
            .iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SocialProfiles {
    professional_network: Option<ProfileLink>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileLink {
    url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Employment {
    current: Option<Position>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Position {
    title: Option<String>,
    seniority: Option<String>,
    company: Option<Employer>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Employer {
    name: Option<String>,
    domain: Option<String>,
    headcount: Option<f64>,
    industry: Option<Industry>,
    locations: Option<EmployerLocations>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Industry {
    main_industry: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmployerLocations {
    headquarters: Option<Place>,
}

impl EnrichedContact {
    fn into_patch(self) -> EnrichmentPatch {
        let info = self.contact_info.unwrap_or_default();
        let email = info
            .most_probable_work_email
            .into_iter()
            .chain(info.work_emails.unwrap_or_default())
            .find(FoundEmail::usable)
            .unwrap_or_default();
        let phone = info
            .most_probable_phone
            .into_iter()
            .chain(info.phones.unwrap_or_default())
            .filter_map(|p| p.number)
            .find_map(|n| canonical_phone(&n));

        let profile = self.profile.unwrap_or_default();
        let position = profile
            .employment
            .and_then(|e| e.current)
            .unwrap_or_default();
        let employer = position.company.unwrap_or_default();
        // The company's headquarters when known, else where the person is.
        let place = employer
            .locations
            .and_then(|l| l.headquarters)
            .filter(Place::is_known)
            .or(profile.location)
            .unwrap_or_default();

        EnrichmentPatch {
            email_status: email.email.as_ref().and(non_empty(email.status)),
            email: non_empty(email.email),
            title: non_empty(position.title),
            seniority: non_empty(position.seniority),
            phone,
            linkedin_url: non_empty(
                profile
                    .social_profiles
                    .and_then(|s| s.professional_network)
                    .and_then(|p| p.url),
            ),
            employees: employee_count(employer.headcount),
            city: non_empty(place.city),
            state: non_empty(place.region),
            country: non_empty(place.country),
            hq_timezone: None,
            company: non_empty(employer.name),
            company_domain: employer.domain.as_deref().and_then(canonical_domain),
            industry: non_empty(employer.industry.and_then(|i| i.main_industry)),
        }
    }
}

#[async_trait]
impl EnrichmentProvider for AsyncEnrich {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn cost(&self) -> u32 {
        self.cost
    }

    async fn lookup(
        &self,
        query: &EnrichmentQuery,
        pending: Option<&str>,
    ) -> std::result::Result<Lookup, ProviderError> {
        if let Some(job_id) = pending {
            return self.wait_for(job_id, true).await;
        }
        let Some(body) = SubmitRequest::from_query(query) else {
            return Ok(Lookup::NotFound);
        };
        let job_id = self.submit(&body).await?;
        self.wait_for(&job_id, false).await
    }
}

// ---------------------------------------------------------------------------
// Circuit breaker
// ---------------------------------------------------------------------------

/// Any provider behind an in-memory circuit breaker: after
/// `failure_threshold` failed lookups in a row it refuses calls, without
/// sending a request, for `open_for`; then one trial call decides.
///
/// The state lives as long as the Lambda container. To share it across
/// containers, persist `circuit()` and seed a new wrapper `with_state`.
pub struct Guarded<P> {
    inner: P,
    policy: CircuitPolicy,
    clock: Arc<dyn Clock>,
    state: Mutex<CircuitState>,
}

impl<P: EnrichmentProvider> Guarded<P> {
    pub fn new(inner: P, policy: CircuitPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            policy,
            clock,
            state: Mutex::new(CircuitState::default()),
        }
    }

    /// Starts from a state persisted elsewhere.
    pub fn with_state(self, state: CircuitState) -> Self {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
        self
    }

    /// The breaker's state now.
    pub fn circuit(&self) -> CircuitState {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn inner(&self) -> &P {
        &self.inner
    }
}

#[async_trait]
impl<P: EnrichmentProvider> EnrichmentProvider for Guarded<P> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn cost(&self) -> u32 {
        self.inner.cost()
    }

    async fn lookup(
        &self,
        query: &EnrichmentQuery,
        pending: Option<&str>,
    ) -> std::result::Result<Lookup, ProviderError> {
        {
            let now = self.clock.now();
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if !state.admit(now, &self.policy) {
                return Err(ProviderError::CircuitOpen {
                    until: state.opened_until.unwrap_or(now),
                });
            }
        }
        let result = self.inner.lookup(query, pending).await;
        let now = self.clock.now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &result {
            Ok(_) => state.record_success(),
            Err(ProviderError::CircuitOpen { .. }) => {}
            Err(e) => {
                state.record_failure(now, &self.policy);
                tracing::warn!(
                    provider = self.inner.name(),
                    error = %e,
                    failures = state.consecutive_failures,
                    open_until = ?state.opened_until,
                    "enrichment provider failed"
                );
            }
        }
        result
    }
}
