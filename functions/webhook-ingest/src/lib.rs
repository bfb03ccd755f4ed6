//! Webhook ingest: `POST /webhooks/{provider}` for Mailgun, Twilio,
//! Retell, Calendly and HeyReach. Each request is verified with the
//! provider's own scheme (constant time; stale and replayed ones 401),
//! read strictly (400 naming the field), normalised to a signal, applied
//! once and published on the bus once. Only a store or bus that is down
//! makes it answer 5xx.

mod calendly;
mod heyreach;
mod mailboxes;
mod mailgun;
mod retell;
mod twilio;

pub use mailboxes::MailboxReport;
pub use mailgun::{parse_mailgun, parse_multipart, MailgunRequest};

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shared::adapters::secrets::CachedSecrets;
use shared::apply::apply_signal;
use shared::domain::ids::{LeadId, TenantId};
use shared::domain::signals::signature::SignatureError;
use shared::domain::signals::{ParseError, Signal, SignalKind};
use shared::domain::targeting::suppression::canonical_email;
use shared::domain::tenant::TenantConfig;
use shared::edge::{body_text, error_response, header, json_response};
use shared::error::{Error, Result};
use shared::ports::{Alerter, Clock, EventPublisher, WorkQueue};
use shared::store::{ApplyOutcome, Store};
use std::collections::HashMap;
use std::sync::Arc;

/// The largest webhook body read: providers' events are a few KiB,
/// inbound replies with their quoted thread well under this.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Retell's tolerance for its signature's timestamp (its SDK's).
pub const RETELL_TOLERANCE_MS: i64 = 5 * 60 * 1000;
/// Calendly names none; 180 s is what its examples use.
pub const CALENDLY_TOLERANCE_SECS: i64 = 180;

pub struct App {
    pub store: Store,
    pub bus: Arc<dyn EventPublisher>,
    pub clock: Arc<dyn Clock>,
    pub mailgun_signing_key: String,
    pub tolerance_secs: i64,
    /// Tenants' provider keys (Twilio's auth token, Retell's API key,
    /// Calendly's signing key, HeyReach's URL secrets).
    pub secrets: Arc<CachedSecrets>,
    /// The public base URL Twilio signs (`PUBLIC_BASE_URL`).
    pub public_url: Option<String>,
    /// Where an interested reply or a booking is told at once.
    pub alerter: Option<Arc<dyn Alerter>>,
    /// Where a colleague a wrong person named enters the pipeline.
    pub enrich: Option<Arc<dyn WorkQueue>>,
    /// How tenants' own mailboxes are read (IMAP).
    pub imap: shared::adapters::imap::ImapSettings,
}

impl App {
    pub async fn handle(&self, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        match self.route(&req).await {
            Ok((status, body)) => json_response(status, &body),
            Err(e) => {
                if e.http_status() >= 500 {
                    shared::ops::count_errors(&self.store, "webhook-ingest", 1, self.clock.now())
                        .await;
                }
                error_response(&e)
            }
        }
    }

    async fn route(&self, req: &ApiGatewayV2httpRequest) -> Result<(u16, Value)> {
        let provider = req
            .path_parameters
            .get("provider")
            .cloned()
            .or_else(|| {
                req.raw_path
                    .as_deref()
                    .and_then(|p| p.rsplit('/').next())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let body = body_text(req)?;
        if body.len() > MAX_BODY_BYTES {
            // A 4xx: the provider must not retry it for hours.
            return Err(Error::TooLarge(format!(
                "webhook body of {} bytes; at most {MAX_BODY_BYTES} are read",
                body.len()
            )));
        }
        match provider.as_str() {
            // Boxed: each provider's future (verify, apply, follow-ups) is
            // large, and only one of them runs.
            "mailgun" => Box::pin(self.mailgun(req, body)).await,
            "twilio" => Box::pin(self.twilio(req, body)).await,
            "retell" => Box::pin(self.retell(req, body)).await,
            "calendly" => Box::pin(self.calendly(req, body)).await,
            "heyreach" => Box::pin(self.heyreach(req, body)).await,
            other => Err(Error::NotFound(format!("no webhook provider `{other}`"))),
        }
    }

    /// Applies a verified signal once, publishes it once, and does what
    /// follows from it (an alert, a referral taken in).
    async fn apply_and_follow(
        &self,
        signal: &Signal,
        token: Option<&str>,
        raw: &str,
    ) -> Result<shared::apply::Applied> {
        let now = self.clock.now();
        let applied = apply_signal(&self.store, self.bus.as_ref(), signal, token, raw, now).await?;
        tracing::info!(tenant = %signal.tenant, provider = %signal.provider, event = %signal.event_id, kind = signal.kind.as_str(), outcome = ?applied.outcome, "signal");
        if applied.outcome == ApplyOutcome::Applied {
            if let (Some(text), Some(alerter)) = (&applied.plan.alert, &self.alerter) {
                // The event is applied whatever Slack says.
                if let Err(e) = alerter.alert(&signal.tenant, text).await {
                    tracing::warn!(error = %e, "alert not sent");
                }
            }
            if let Some(email) = &applied.plan.referral {
                // The event is applied whatever becomes of the referral.
                match Box::pin(self.take_referral(signal, email)).await {
                    Ok(note) => tracing::info!(tenant = %signal.tenant, "{note}"),
                    Err(e) => tracing::warn!(error = %e, "referral not taken in"),
                }
            }
        }
        Ok(applied)
    }

    /// Applies a verified webhook's signal and answers the provider.
    async fn ingest(&self, signal: Signal, token: Option<&str>, raw: &str) -> Result<(u16, Value)> {
        let applied = self.apply_and_follow(&signal, token, raw).await?;
        match applied.outcome {
            ApplyOutcome::Applied => {
                let mut out = json!({"status": "applied", "event_id": signal.event_id, "kind": signal.kind.as_str()});
                if let Some(r) = &signal.reply {
                    out["reply_class"] = json!(r.class.as_str());
                    out["evidence"] = json!(r.evidence);
                }
                Ok((200, out))
            }
            ApplyOutcome::Duplicate => Ok((
                200,
                json!({"status": "duplicate", "event_id": signal.event_id}),
            )),
            ApplyOutcome::Replay => Err(Error::Unauthorized(
                "signature or token already used by another event (replay)".into(),
            )),
            ApplyOutcome::Contended => Err(Error::Conflict("try again".into())),
        }
    }

    /// A wrong person named a colleague with an address: a new lead of the
    /// same company, through intake (dedup, suppression, enrichment), so a
    /// redelivery or a known address changes nothing.
    async fn take_referral(&self, signal: &Signal, email: &str) -> Result<String> {
        let Some(enrich) = &self.enrich else {
            return Ok("no enrich queue: referral not taken in".into());
        };
        let config = self.store.require_config(&signal.tenant).await?;
        let from = match &signal.lead_id {
            Some(id) => self.store.lead(&signal.tenant, id).await?,
            None => None,
        };
        let mut record = serde_json::Map::new();
        record.insert("email".into(), json!(email));
        if let Some(l) = &from {
            for (key, value) in [
                ("company", &l.company),
                ("website", &l.website),
                ("city", &l.city),
                ("state", &l.state),
                ("country", &l.country),
            ] {
                if let Some(v) = value {
                    record.insert(key.into(), json!(v));
                }
            }
        }
        let now = self.clock.now();
        let tid = TenantId::parse(&signal.tenant)?;
        let source = format!(
            "referral:{}",
            signal.lead_id.as_deref().unwrap_or("unknown")
        );
        let row = shared::domain::targeting::intake::row_at(
            1,
            shared::domain::targeting::intake::datasets::map_record(
                shared::domain::targeting::intake::datasets::DatasetKind::Csv,
                &config.intake,
                &tid,
                &Value::Object(record),
                &source,
                now,
            ),
        );
        let report = shared::import::import_rows(
            &self.store,
            enrich.as_ref(),
            &config,
            &source,
            std::iter::once(row),
            now,
            &mut |_| {},
        )
        .await?;
        Ok(format!("referral {email}: {}", report.summary()))
    }

    /// An event we do not act on still uses up its token: a signed block
    /// is good for one event, whatever becomes of it.
    async fn ignore(&self, provider: &str, token: &str, body: &str) -> Result<(u16, Value)> {
        let digest = hex::encode(Sha256::digest(body.as_bytes()));
        if !self
            .store
            .claim_webhook_token(provider, token, &digest, self.clock.now())
            .await?
        {
            return Err(Error::Unauthorized(
                "signature or token already used by another event (replay)".into(),
            ));
        }
        Ok((200, json!({"status": "ignored"})))
    }

    /// The tenant named by a webhook, its config, and the JSON of the
    /// secret `pick` names in it. A tenant that does not exist, or has no
    /// such provider, cannot be verified: 401, and nothing is written.
    async fn tenant_secret(
        &self,
        tenant: &str,
        provider: &str,
        pick: impl Fn(&TenantConfig) -> Option<String>,
    ) -> Result<(TenantConfig, Value)> {
        TenantId::parse(tenant)?;
        let Some(config) = self.store.config(tenant).await? else {
            return Err(Error::Unauthorized(format!(
                "{provider} event for an unknown tenant: cannot be verified"
            )));
        };
        let Some(name) = pick(&config) else {
            return Err(Error::Unauthorized(format!(
                "tenant {tenant} has no {provider} provider: its events cannot be verified"
            )));
        };
        let secret = match self.secrets.get(&name).await {
            Ok(s) => s,
            Err(Error::NotFound(_)) | Err(Error::Config(_)) => {
                return Err(Error::Unauthorized(format!(
                    "tenant {tenant}'s {provider} secret is missing: its events cannot be verified"
                )))
            }
            Err(e) => return Err(e),
        };
        let value: Value = serde_json::from_str(secret.expose()).map_err(|_| {
            Error::Unauthorized(format!(
                "tenant {tenant}'s {provider} secret is not JSON: its events cannot be verified"
            ))
        })?;
        Ok((config, value))
    }

    /// The lead a provider's event is about, by our own id when the
    /// provider echoes it, else by the person's canonical email, else by
    /// a number the tenant's campaigns claimed for it.
    async fn find_lead(
        &self,
        tenant: &str,
        lead: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Option<String>> {
        if let Some(id) = lead.filter(|l| LeadId::parse(l).is_ok()) {
            return Ok(Some(id.to_string()));
        }
        if let (Ok(t), Some(e)) = (TenantId::parse(tenant), email.and_then(canonical_email)) {
            let id = LeadId::from_dedup_key(&t, &format!("email:{e}")).to_string();
            if self.store.lead(tenant, &id).await?.is_some() {
                return Ok(Some(id));
            }
        }
        if let Some(p) = phone {
            return self
                .store
                .lead_by_reach(tenant, &format!("phone#{p}"))
                .await;
        }
        Ok(None)
    }
}

/// A signature refusal: 401, with what was wrong (never the key).
fn unauthorized(provider: &str, e: SignatureError) -> Error {
    match e {
        SignatureError::NoKey => {
            Error::Unauthorized(format!("{provider}: no key to verify the event with"))
        }
        e => Error::Unauthorized(format!("{provider} signature rejected: {e}")),
    }
}

/// A payload refusal: 400, naming the field.
fn malformed(e: ParseError) -> Error {
    Error::invalid(&e.field, e.reason)
}

/// The lead id in one of our attempt ids (`<lead>-<step>-<nonce>`).
fn lead_of_attempt(attempt: &str) -> Option<&str> {
    let mut parts = attempt.rsplitn(3, '-');
    let (_nonce, _step, lead) = (parts.next()?, parts.next()?, parts.next()?);
    Some(lead)
}

/// When a provider says it happened, if it says; else now.
fn when(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    at.filter(|t| *t <= now + chrono::Duration::minutes(5))
        .unwrap_or(now)
}

/// The query string parameter `name`.
fn query<'a>(req: &'a ApiGatewayV2httpRequest, name: &str) -> Option<&'a str> {
    req.query_string_parameters.first(name)
}
