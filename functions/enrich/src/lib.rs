//! Enrich: the enrichment waterfall, then the recipient's time zone, then
//! scoring. Providers are tried in the tenant's order while something the
//! lead lacks is still missing; each one behind a circuit (state in the
//! store, shared by every instance) and a monthly credit budget (an atomic
//! counter). A provider that is not deployed, open, over budget or failing
//! is skipped with the reason written down: the lead always goes on. An
//! answer that matched a person erased on request keeps nothing of them.
//!
//! An asynchronous provider that has not finished leaves its job id on the
//! lead and the message is retried later (SQS redelivery); the retry polls
//! that job instead of paying for a new one. Idempotent per lead.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};
pub use shared::domain::lead::LeadRef;
use shared::domain::lead::{Lead, LeadStatus, PendingEnrichment};
use shared::domain::targeting::enrichment::{
    apply_patch, month_key, CircuitPolicy, EnrichmentPatch, EnrichmentQuery, Lookup, Missing,
    ProviderError,
};
use shared::domain::targeting::erasure::{forget_person, Person};
use shared::domain::targeting::suppression::SuppressionKind;
use shared::domain::targeting::timezone::{resolve_timezone, LocationHints, TimezoneSource};
use shared::domain::tenant::TenantConfig;
use shared::edge::{parse_body, process_sqs, ErrorCount};
use shared::error::{Error, Result};
use shared::ports::{Clock, EnrichmentProvider, WorkQueue};
use shared::store::Store;
use std::sync::Arc;

pub struct App {
    pub store: Store,
    pub next: Arc<dyn WorkQueue>,
    pub clock: Arc<dyn Clock>,
    /// The providers this deployment has credentials for.
    pub providers: Vec<Arc<dyn EnrichmentProvider>>,
}

/// What the waterfall did for one lead.
#[derive(Debug, Default)]
struct Waterfall {
    patches: Vec<EnrichmentPatch>,
    notes: Vec<String>,
    /// Set when an asynchronous job is still running.
    pending: Option<PendingEnrichment>,
}

fn hints(lead: &Lead) -> LocationHints<'_> {
    LocationHints {
        hq_timezone: lead.hq_timezone.as_deref(),
        country: lead.country.as_deref(),
        region: lead.state.as_deref(),
        phone: lead
            .phone
            .as_deref()
            .or(lead.company_phone.as_deref())
            .or(lead.mobile_phone.as_deref()),
    }
}

/// What is worth paying a provider for: contact fields always; location
/// and time zone only when the lead's own data cannot place it.
fn wanted(lead: &Lead, config: &TenantConfig) -> Missing {
    let mut m = Missing::of(lead);
    if resolve_timezone(&hints(lead), config.tz()).source != TimezoneSource::TenantDefault {
        m.timezone = false;
        m.hq_location = false;
    }
    m
}

impl App {
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let errors = ErrorCount {
            store: &self.store,
            function: "enrich",
            now: self.clock.now(),
        };
        process_sqs(event, errors, |m| async move {
            self.enrich(&parse_body::<LeadRef>(&m)?).await
        })
        .await
    }

    pub async fn enrich(&self, msg: &LeadRef) -> Result<()> {
        let config = self.store.require_config(&msg.tenant).await?;
        let Some(lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
            return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
        };
        match lead.status {
            LeadStatus::New => {}
            LeadStatus::Enriched => return self.forward(msg).await,
            // Already past this stage: a redelivery changes nothing.
            _ => return Ok(()),
        }
        let now = self.clock.now();
        // Providers are called once; the write below re-reads on a lost race.
        let w = self.waterfall(&config, &lead, now).await?;
        for _ in 0..5 {
            let Some(mut lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
                return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
            };
            if lead.status != LeadStatus::New {
                return Ok(());
            }
            let mut filled: Vec<&str> = Vec::new();
            for p in &w.patches {
                filled.extend(apply_patch(&mut lead, p));
            }
            if let Some(pending) = &w.pending {
                let waiting = format!("waiting for {} job {}", pending.provider, pending.job_id);
                lead.pending_enrichment = Some(pending.clone());
                if self
                    .store
                    .save_lead(&mut lead, "enrichment", &waiting, now)
                    .await?
                {
                    // Redelivered after the visibility timeout: then we poll.
                    return Err(Error::Provider {
                        provider: pending.provider.clone(),
                        message: waiting,
                        retryable: true,
                    });
                }
                continue;
            }
            let resolved = resolve_timezone(&hints(&lead), config.tz());
            let source = serde_json::to_value(resolved.source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            lead.timezone = Some(resolved.tz.name().to_string());
            lead.timezone_source = Some(source.clone());
            lead.pending_enrichment = None;
            lead.enrichment = Some(w.notes.join("; "));
            lead.status = LeadStatus::Enriched;
            let detail = format!(
                "new -> enriched: {}; time zone {} (from {source})",
                w.notes.join("; "),
                resolved.tz.name()
            );
            if self
                .store
                .save_lead(&mut lead, "status", &detail, now)
                .await?
            {
                return self.forward(msg).await;
            }
        }
        Err(Error::Conflict(format!(
            "lead {} kept changing during enrichment",
            msg.lead_id
        )))
    }

    async fn forward(&self, msg: &LeadRef) -> Result<()> {
        self.next
            .send_all(&[serde_json::to_value(msg).expect("serialisable")])
            .await
    }

    /// Takes out of a provider's answer what it says of a person erased on
    /// request (matched by the keyed hash of its email or number): none of
    /// it is stored, and the lead is not reached through them. Without a
    /// key (`ERASURE_KEY` or `LINK_SIGNING_KEY`) nothing is checked here;
    /// the import that let the lead in refuses erased people itself.
    async fn forget_erased(
        &self,
        tenant: &str,
        patch: &mut EnrichmentPatch,
        lead: &Lead,
    ) -> Result<Vec<&'static str>> {
        let Some(key) = self.store.erasure_key() else {
            return Ok(vec![]);
        };
        let matched = Person::of_patch(patch, lead.country.as_deref());
        if matched.is_empty() {
            return Ok(vec![]);
        }
        let wanted: Vec<(SuppressionKind, String)> = matched
            .hashes(key, tenant)
            .into_iter()
            .map(|h| (SuppressionKind::Erased, h))
            .collect();
        if self
            .store
            .suppression_hits(tenant, &wanted)
            .await?
            .is_empty()
        {
            return Ok(vec![]);
        }
        Ok(forget_person(patch))
    }

    /// Runs the tenant's waterfall over `lead`, resuming a pending job.
    async fn waterfall(
        &self,
        config: &TenantConfig,
        lead: &Lead,
        now: DateTime<Utc>,
    ) -> Result<Waterfall> {
        let settings = &config.enrichment;
        let tenant = lead.tenant.as_str();
        let mut work = lead.clone();
        let resume = work.pending_enrichment.take();
        let (mut tried, notes) = resume
            .as_ref()
            .map(|p| (p.tried.clone(), p.notes.clone()))
            .unwrap_or_default();
        let mut w = Waterfall {
            notes,
            ..Default::default()
        };
        if settings.waterfall.is_empty() {
            w.notes
                .push("skipped: no enrichment provider in this tenant's waterfall".into());
            return Ok(w);
        }
        let policy = CircuitPolicy {
            failure_threshold: settings.circuit_failures.max(1),
            open_for: Duration::minutes(settings.circuit_open_minutes.max(1)),
        };
        for name in &settings.waterfall {
            if tried.contains(name) {
                continue;
            }
            let missing = wanted(&work, config);
            if missing.is_empty() {
                if w.notes.is_empty() {
                    w.notes.push("nothing missing: no provider called".into());
                }
                break;
            }
            tried.push(name.clone());
            let Some(provider) = self.providers.iter().find(|p| p.name() == name) else {
                w.notes.push(format!(
                    "{name}: skipped, not deployed (no API key configured)"
                ));
                continue;
            };
            let job = resume
                .as_ref()
                .filter(|p| &p.provider == name)
                .map(|p| (p.job_id.clone(), p.since));
            if let Some((job_id, since)) = &job {
                if now - *since > Duration::minutes(settings.async_max_wait_minutes) {
                    w.notes.push(format!(
                        "{name}: job {job_id} gave no result within {} min, skipped",
                        settings.async_max_wait_minutes
                    ));
                    continue;
                }
            }
            let mut circuit = self.store.circuit(tenant, name).await?;
            let before = circuit;
            if !circuit.admit(now, &policy) {
                w.notes.push(format!(
                    "{name}: skipped, circuit open until {}",
                    circuit
                        .opened_until
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default()
                ));
                continue;
            }
            let month = month_key(now);
            let budget = settings.monthly_credits.get(name).copied();
            // A job already submitted was paid for when it was submitted.
            let charged = job.is_none();
            if charged
                && !self
                    .store
                    .take_credits(tenant, name, &month, provider.cost(), budget)
                    .await?
            {
                w.notes.push(format!(
                    "{name}: skipped, monthly credit budget of {} used",
                    budget.unwrap_or_default()
                ));
                if circuit != before {
                    self.store.put_circuit(tenant, name, &circuit).await?;
                }
                continue;
            }
            let query = EnrichmentQuery::from_lead(&work);
            let result = provider
                .lookup(&query, job.as_ref().map(|(id, _)| id.as_str()))
                .await;
            let mut refund = charged;
            match result {
                Ok(Lookup::Found(mut patch)) => {
                    circuit.record_success();
                    refund = false;
                    let forgotten = self.forget_erased(tenant, &mut patch, &work).await?;
                    if !forgotten.is_empty() {
                        w.notes.push(format!(
                            "{name}: matched a person erased on request; dropped {}",
                            forgotten.join(", ")
                        ));
                    }
                    let filled = apply_patch(&mut work, &patch);
                    w.notes.push(if filled.is_empty() {
                        format!("{name}: matched, nothing new")
                    } else {
                        format!("{name}: filled {}", filled.join(", "))
                    });
                    w.patches.push(patch);
                }
                Ok(Lookup::NotFound) => {
                    circuit.record_success();
                    w.notes.push(format!("{name}: no match"));
                }
                Ok(Lookup::Pending { job_id }) => {
                    circuit.record_success();
                    if circuit != before {
                        self.store.put_circuit(tenant, name, &circuit).await?;
                    }
                    tried.pop();
                    w.pending = Some(PendingEnrichment {
                        provider: name.clone(),
                        job_id,
                        since: job.map_or(now, |(_, since)| since),
                        tried,
                        notes: w.notes.clone(),
                    });
                    return Ok(w);
                }
                Err(ProviderError::CircuitOpen { until }) => {
                    w.notes
                        .push(format!("{name}: skipped, circuit open until {until}"));
                }
                Err(e) => {
                    circuit.record_failure(now, &policy);
                    tracing::warn!(provider = %name, error = %e, "enrichment provider failed");
                    w.notes.push(format!("{name}: failed ({e}), skipped"));
                }
            }
            if refund {
                self.store
                    .refund_credits(tenant, name, &month, provider.cost())
                    .await?;
            }
            if circuit != before {
                self.store.put_circuit(tenant, name, &circuit).await?;
            }
        }
        let still = wanted(&work, config);
        if !still.is_empty() && w.patches.is_empty() {
            w.notes
                .push(format!("continuing without enrichment (missing: {still})"));
        }
        Ok(w)
    }
}
