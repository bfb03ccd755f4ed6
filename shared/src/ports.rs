//! Ports: what the domain needs from outside, as traits. Adapters implement
//! them on AWS and provider APIs; the local runner swaps in a simulated clock.

use crate::domain::content::writer::{WriteRequest, Written};
use crate::domain::dispatch::failure::SendError;
use crate::domain::lead::Lead;
use crate::domain::targeting::enrichment::{EnrichmentQuery, Lookup, ProviderError};
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::Touch;
use crate::error::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The only way any function learns the time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: the local runner uses it to play
/// days of schedules in seconds.
#[derive(Clone)]
pub struct SimClock {
    millis: Arc<AtomicI64>,
}

impl SimClock {
    pub fn starting_at(t: DateTime<Utc>) -> Self {
        Self {
            millis: Arc::new(AtomicI64::new(t.timestamp_millis())),
        }
    }
    pub fn set(&self, t: DateTime<Utc>) {
        self.millis.store(t.timestamp_millis(), Ordering::SeqCst);
    }
    pub fn advance(&self, d: chrono::Duration) {
        self.millis
            .fetch_add(d.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::SeqCst)).expect("valid sim time")
    }
}

/// A message to a work queue (enrich / score / craft).
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// MUST deliver every body at least once; bodies are JSON.
    async fn send_all(&self, bodies: &[Value]) -> Result<()>;
}

/// The event bus.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event with `detail_type` and JSON `detail`.
    async fn publish(&self, detail_type: &str, detail: &Value) -> Result<()>;
}

/// Operator alerts (Slack incoming webhook).
#[async_trait]
pub trait Alerter: Send + Sync {
    async fn alert(&self, tenant: &str, text: &str) -> Result<()>;
}

/// One attempt at one touch, as a channel sender receives it.
#[derive(Clone, Copy)]
pub struct Attempt<'a> {
    pub touch: &'a Touch,
    pub lead: &'a Lead,
    pub config: &'a TenantConfig,
    /// The sending identity the decision chose (mailbox, number, seat).
    pub sender: &'a str,
    pub attempt_id: &'a str,
}

/// A channel sender: the shadow outbox or the live providers.
#[async_trait]
pub trait ChannelSender: Send + Sync {
    /// Sends one attempt and returns the provider's id for it. The attempt
    /// id MUST reach the provider (as its idempotency key where it takes
    /// one, else as a variable its webhooks echo). Errors MUST tell a
    /// refusal (`Retryable`, `Final`) from an unknown outcome (`Unknown`:
    /// the request went out and no answer came), for which the reservation
    /// is kept until `lookup` can say.
    async fn send(&self, attempt: &Attempt<'_>) -> std::result::Result<String, SendError>;

    /// Did `attempt_id` go out? Asked when a send's lease ran out before
    /// it was confirmed (the dispatcher died mid-send). `Unknown` (the
    /// default, for providers that cannot be asked) leaves the touch in
    /// doubt for an operator; the answer MUST come from the provider's
    /// records of the attempt, never from a guess.
    async fn lookup(
        &self,
        touch: &Touch,
        config: &TenantConfig,
        attempt_id: &str,
    ) -> Result<Delivery> {
        let _ = (touch, config, attempt_id);
        Ok(Delivery::Unknown)
    }
}

/// What a provider knows of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// It went out, under this provider message id.
    Sent(String),
    /// It never reached the provider: safe to send again.
    NotSent,
    /// The provider's records of the attempt's time are not final yet (its
    /// event store is eventually consistent): ask again after this time.
    NotYet(chrono::DateTime<chrono::Utc>),
    /// The provider cannot say (it cannot be asked, or did not answer).
    Unknown,
}

/// A source of contact and company data, tried in turn by the enrichment
/// waterfall.
#[async_trait]
pub trait EnrichmentProvider: Send + Sync {
    /// Stable short name, used in config, logs and the lead's timeline.
    fn name(&self) -> &str;
    /// Credits one successful reveal costs against the monthly budget.
    fn cost(&self) -> u32;
    /// Looks the lead up. `pending` is a job id an earlier call returned as
    /// `Lookup::Pending`: with it the provider MUST only ask for that job's
    /// result and MUST NOT submit (and pay for) a new one. MUST return
    /// `NotFound`, not an error, when the provider has no match or the query
    /// lacks what the provider needs to search.
    async fn lookup(
        &self,
        query: &EnrichmentQuery,
        pending: Option<&str>,
    ) -> std::result::Result<Lookup, ProviderError>;
}

/// The AI writer: an LLM behind a messages API. Craft falls back to the
/// templates when it is off, slow or failing, and its output goes through the
/// same quality guard as a template's.
#[async_trait]
pub trait Writer: Send + Sync {
    /// Stable short name (`anthropic`), used for the circuit and the record.
    fn name(&self) -> &str;
    /// Writes one message. Errors are typed like the enrichment providers':
    /// retryable (`RateLimited`, `Unavailable`) after the adapter's own
    /// retries, or final (`Rejected`, `Malformed`).
    async fn write(&self, request: &WriteRequest) -> std::result::Result<Written, ProviderError>;
}
