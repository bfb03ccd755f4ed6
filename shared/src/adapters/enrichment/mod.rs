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

mod async_enrich;
mod people_match;
pub use async_enrich::AsyncEnrich;
pub use people_match::PeopleMatch;

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
