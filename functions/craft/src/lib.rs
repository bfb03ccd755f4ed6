//! Craft: drafts every step of a scored lead's sequence (the AI writer where
//! the tenant turned it on and it answers in time, else templates), runs the
//! quality guard, and writes the drafts for an operator's approval, or
//! approves them at once for tiers the tenant auto-enrolls. A message naming
//! a `redraft` step replaces a draft an operator rejected; a call's
//! signal routed by the bus writes its recording follow-up, or the email
//! steps of a lead whose address the call captured.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde::{Deserialize, Serialize};
use shared::domain::campaigns::enrollment::{self, may_enroll};
use shared::domain::campaigns::{campaign_of, Campaign};
use shared::domain::content::drafting::{
    approval_problem, draft_sequence, draft_step, link, plans, AiText, DraftContext,
};
use shared::domain::content::followup::recording_followups;
pub use shared::domain::content::template::UnsubscribeLinks;
use shared::domain::content::writer::build_request;
use shared::domain::dispatch::sequence::StepPlan;
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::signals::Signal;
use shared::domain::targeting::enrichment::{CircuitPolicy, ProviderError};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::{Touch, TouchState};
use shared::edge::{parse_body, process_sqs, ErrorCount};
use shared::error::{Error, Result};
use shared::ports::{Clock, Writer};
use shared::store::{Sequenced, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod captured;

/// The craft queue's message: a lead to draft, or one step to draft again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CraftRequest {
    pub tenant: String,
    pub lead_id: String,
    /// Draft only this step again (after an operator rejected it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redraft: Option<u8>,
}

pub struct App {
    pub store: Store,
    pub links: UnsubscribeLinks,
    pub clock: Arc<dyn Clock>,
    /// The AI writer, when the deployment has one (`AI_WRITER_API_KEY`).
    pub writer: Option<Arc<dyn Writer>>,
}

/// The circuit of the AI writer, kept per tenant like enrichment providers'.
const WRITER_CIRCUIT: &str = "ai_writer";

/// Should this lead's drafts be approved without an operator (SPEC §5
/// `auto_enroll`): the tenant allows its tier, and it has an email that is
/// not known to be invalid.
pub fn auto_enrolls(config: &TenantConfig, lead: &Lead) -> bool {
    let a = &config.approval;
    a.auto_enroll
        && lead.tier.is_some_and(|t| a.auto_enroll_tiers.contains(&t))
        && lead.email_usable()
}

/// Approves, in place, what auto-enrolment may approve: drafts with no
/// approval problem, and AI drafts only when the tenant lets them skip a
/// person. The first approved step is due now, later ones wait their turn.
pub fn auto_approve(
    config: &TenantConfig,
    touches: &mut [Touch],
    compliance: &shared::domain::content::template::Compliance,
    now: chrono::DateTime<chrono::Utc>,
) -> usize {
    let mut approved = 0;
    let mut first = true;
    for t in touches.iter_mut() {
        if t.state != TouchState::Draft {
            continue;
        }
        let ai = t.message.source.starts_with("ai:");
        if approval_problem(t, compliance).is_some()
            || (ai && !config.ai_writer.send_without_approval)
        {
            first = false;
            continue;
        }
        if first && !shared::domain::campaigns::is_nurture_step(t.step) {
            t.state = TouchState::Due;
            t.due_at = Some(now);
            first = false;
        } else {
            t.state = TouchState::Planned;
        }
        approved += 1;
    }
    approved
}

impl App {
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let errors = ErrorCount {
            store: &self.store,
            function: "craft",
            now: self.clock.now(),
        };
        process_sqs(event, errors, |m| async move {
            let body: serde_json::Value = parse_body(&m)?;
            // A call's signal routed here by the bus: the person asked for
            // the recording.
            if body.get("detail-type").is_some() {
                let signal: Signal = serde_json::from_value(body["detail"].clone())
                    .map_err(|e| Error::invalid("detail", e.to_string()))?;
                // An address captured on a call: its email steps start.
                if signal.kind == shared::domain::signals::SignalKind::CallEmailCaptured {
                    Box::pin(self.email_captured(&signal)).await?;
                }
                return self.recording_followup(&signal).await;
            }
            let msg: CraftRequest =
                serde_json::from_value(body).map_err(|e| Error::invalid("body", e.to_string()))?;
            self.craft(&msg).await
        })
        .await
    }

    pub async fn craft(&self, msg: &CraftRequest) -> Result<()> {
        // Boxed: a config is large, and this future also holds the AI
        // writer's and the store's.
        let tenant_config = Box::new(self.store.require_config(&msg.tenant).await?);
        let campaigns = self
            .store
            .campaigns_with(&tenant_config, self.clock.now())
            .await?;
        if let Some(step) = msg.redraft {
            return self.redraft(&tenant_config, &campaigns, msg, step).await;
        }
        for _ in 0..5 {
            let Some(mut lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
                return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
            };
            if lead.status != LeadStatus::Scored {
                return Ok(());
            }
            let now = self.clock.now();
            // Enrollment: the lead's campaign must take it, and nobody else
            // may be reaching the same person.
            let id = campaign_of(lead.campaign.as_deref()).to_string();
            let Some((campaign, _)) = campaigns.iter().find(|(c, _)| c.id.as_str() == id) else {
                if self
                    .hold(&mut lead, &format!("campaign {id} does not exist"), now)
                    .await?
                {
                    return Ok(());
                }
                continue;
            };
            if let Err(why) = may_enroll(&lead, campaign, &tenant_config, lead.tier, now) {
                if self
                    .hold(
                        &mut lead,
                        &format!("not enrolled in campaign {id}: {why}"),
                        now,
                    )
                    .await?
                {
                    return Ok(());
                }
                continue;
            }
            let config = Box::new(campaign.effective(&tenant_config));
            let (ai, ai_notes) = self.ai_texts(&config, &lead).await?;
            let compliance = self.links.compliance(&config, &lead);
            let ctx = DraftContext {
                config: &config,
                lead: &lead,
                compliance: &compliance,
                now,
            };
            let mut touches = draft_sequence(&ctx, &ai);
            for t in &mut touches {
                if let Some(note) = ai_notes.get(&t.step) {
                    t.draft_notes.insert(0, note.clone());
                }
            }
            let auto = auto_enrolls(&config, &lead);
            let approved = if auto {
                auto_approve(&config, &mut touches, &compliance, now)
            } else {
                0
            };
            let claims = enrollment::claims(&lead, campaign, &tenant_config, now);
            let written = self
                .store
                .put_sequence(&mut lead, &touches, &claims, now)
                .await?;
            if let Sequenced::PersonClaimed(why) = &written {
                if self
                    .hold(
                        &mut lead,
                        &format!("not enrolled in campaign {id}: {why}"),
                        now,
                    )
                    .await?
                {
                    return Ok(());
                }
                continue;
            }
            if written == Sequenced::Written {
                if auto {
                    self.store
                        .audit(
                            &lead.tenant,
                            "auto_enroll",
                            "drafts_approved",
                            &format!(
                                "lead {}: {approved} of {} drafts approved without an operator",
                                lead.id,
                                touches
                                    .iter()
                                    .filter(|t| t.state != TouchState::Skipped)
                                    .count()
                            ),
                            now,
                        )
                        .await?;
                }
                return Ok(());
            }
            // Lost a race: either another delivery crafted it (status moved
            // on, so the next read returns) or the lead changed; read again.
        }
        Err(Error::Conflict(format!(
            "lead {} kept changing while crafting",
            msg.lead_id
        )))
    }

    /// The call's recording, by one SMS and one email, due at once: once,
    /// however often the signal is delivered.
    pub async fn recording_followup(&self, signal: &Signal) -> Result<()> {
        let (Some(url), Some(lead_id)) = (&signal.recording_url, &signal.lead_id) else {
            return Ok(());
        };
        if !signal.followup_requested {
            return Ok(());
        }
        let config = Box::new(self.store.require_config(&signal.tenant).await?);
        let Some(lead) = self.store.lead(&signal.tenant, lead_id).await? else {
            return Err(Error::NotFound(format!("lead {lead_id}")));
        };
        let now = self.clock.now();
        let compliance = self.links.compliance(&config, &lead);
        let ctx = DraftContext {
            config: &config,
            lead: &lead,
            compliance: &compliance,
            now,
        };
        let touches = recording_followups(&ctx, url);
        let why = format!(
            "recording sent as asked on the call (event {}): {}",
            signal.event_id,
            touches
                .iter()
                .map(|t| t.channel.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        );
        let written = self.store.put_requested(&touches, &why, now).await?;
        tracing::info!(tenant = %signal.tenant, lead = %lead_id, written, "recording follow-up");
        Ok(())
    }

    /// Holds a scored lead that may not be enrolled, saying why (false: the
    /// lead changed meanwhile).
    async fn hold(
        &self,
        lead: &mut Lead,
        why: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        lead.status = LeadStatus::Held;
        lead.stop_reason = Some(why.to_string());
        self.store
            .save_lead(lead, "status", &format!("scored -> held: {why}"), now)
            .await
    }

    /// Writes one rejected step again, avoiding what was rejected.
    async fn redraft(
        &self,
        tenant_config: &TenantConfig,
        campaigns: &[(Campaign, u64)],
        msg: &CraftRequest,
        step_no: u8,
    ) -> Result<()> {
        let Some(lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
            return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
        };
        if lead.status != LeadStatus::Queued {
            return Ok(()); // held, stopped or already sending: nothing to redraft
        }
        let id = campaign_of(lead.campaign.as_deref());
        let Some((campaign, _)) = campaigns.iter().find(|(c, _)| c.id.as_str() == id) else {
            return Ok(()); // its campaign is gone: nothing to redraft for
        };
        let view = Box::new(campaign.effective(tenant_config));
        let config = &*view;
        let Some(old) = self.store.touch(&msg.tenant, &msg.lead_id, step_no).await? else {
            return Err(Error::NotFound(format!(
                "step {step_no} of lead {}",
                msg.lead_id
            )));
        };
        if old.state != TouchState::Cancelled
            || !old
                .end_reason
                .as_deref()
                .unwrap_or("")
                .starts_with("rejected")
        {
            return Ok(()); // already redrafted (a redelivery), or not a rejected draft
        }
        let Some((i, step)) = config
            .sequence
            .iter()
            .enumerate()
            .find(|(_, s)| s.step == step_no)
        else {
            return Ok(()); // the step left the sequence since
        };
        let (plan, first_sms) = plans(config, &lead)[i].clone();
        let now = self.clock.now();
        let (ai, notes) = match &plan {
            StepPlan::Send { channel, .. } => self.ai_text(config, &lead, step, *channel).await?,
            StepPlan::Skip { .. } => (None, None),
        };
        let compliance = self.links.compliance(config, &lead);
        let ctx = DraftContext {
            config,
            lead: &lead,
            compliance: &compliance,
            now,
        };
        let all = self.store.touches(&msg.tenant, &msg.lead_id).await?;
        let used: std::collections::BTreeSet<String> = all
            .iter()
            .filter(|t| t.step != step_no && t.state != TouchState::Skipped)
            .map(|t| t.message.template_id.clone())
            .collect();
        let mut fresh = draft_step(&ctx, step, &plan, first_sms, ai.as_ref(), &used);
        if let Some(n) = notes {
            fresh.draft_notes.insert(0, n);
        }
        let mut all = all;
        for t in &mut all {
            if t.step == step_no {
                *t = fresh.clone();
            }
        }
        link(&mut all);
        fresh.next_step = all
            .iter()
            .find(|t| t.step == step_no)
            .and_then(|t| t.next_step);
        self.store.replace_rejected(&old, &fresh, now).await?;
        Ok(())
    }

    /// The AI writer's drafts for the steps it writes, within the tenant's
    /// time budget and behind its circuit; notes say why a step fell back.
    async fn ai_texts(
        &self,
        config: &TenantConfig,
        lead: &Lead,
    ) -> Result<(BTreeMap<u8, AiText>, BTreeMap<u8, String>)> {
        let mut texts = BTreeMap::new();
        let mut notes = BTreeMap::new();
        if !config.ai_writer.enabled {
            return Ok((texts, notes));
        }
        let started = Instant::now();
        let budget = Duration::from_secs(config.ai_writer.budget_secs);
        for (step, (plan, _)) in config.sequence.iter().zip(plans(config, lead)) {
            let StepPlan::Send { channel, .. } = plan else {
                continue;
            };
            if !config.ai_writer.channels.contains(&channel) {
                continue;
            }
            let left = budget.saturating_sub(started.elapsed());
            if left.is_zero() {
                notes.insert(
                    step.step,
                    "AI writer: time budget spent; template used".into(),
                );
                continue;
            }
            let (text, note) = self.write_one(config, lead, step, channel, left).await?;
            if let Some(t) = text {
                texts.insert(step.step, t);
            }
            if let Some(n) = note {
                notes.insert(step.step, n);
            }
        }
        Ok((texts, notes))
    }

    async fn ai_text(
        &self,
        config: &TenantConfig,
        lead: &Lead,
        step: &shared::domain::dispatch::sequence::SequenceStep,
        channel: shared::domain::touch::Channel,
    ) -> Result<(Option<AiText>, Option<String>)> {
        if !config.ai_writer.enabled || !config.ai_writer.channels.contains(&channel) {
            return Ok((None, None));
        }
        self.write_one(
            config,
            lead,
            step,
            channel,
            Duration::from_secs(config.ai_writer.budget_secs),
        )
        .await
    }

    async fn write_one(
        &self,
        config: &TenantConfig,
        lead: &Lead,
        step: &shared::domain::dispatch::sequence::SequenceStep,
        channel: shared::domain::touch::Channel,
        time_left: Duration,
    ) -> Result<(Option<AiText>, Option<String>)> {
        let Some(writer) = &self.writer else {
            return Ok((
                None,
                Some("AI writer: enabled for the tenant but not deployed (no AI_WRITER_API_KEY); template used".into()),
            ));
        };
        let now = self.clock.now();
        let policy = CircuitPolicy {
            failure_threshold: config.ai_writer.circuit_failures.max(1),
            open_for: chrono::Duration::minutes(config.ai_writer.circuit_open_minutes.max(1)),
        };
        let mut circuit = self.store.circuit(&lead.tenant, WRITER_CIRCUIT).await?;
        let before = circuit;
        if !circuit.admit(now, &policy) {
            return Ok((
                None,
                Some(format!(
                    "AI writer: circuit open until {}; template used",
                    circuit
                        .opened_until
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()
                )),
            ));
        }
        let (_, avoid_openers) =
            shared::domain::content::guard::avoided(&lead.rejections, &config.guard, now);
        let openers: Vec<String> = avoid_openers.into_iter().collect();
        let request = build_request(config, lead, step, channel, &openers);
        let result = match tokio::time::timeout(time_left, writer.write(&request)).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::Unavailable(format!(
                "no answer within {} ms",
                time_left.as_millis()
            ))),
        };
        let outcome = match result {
            Ok(w) => {
                circuit.record_success();
                (
                    Some(AiText {
                        subject: w.subject,
                        body: w.body,
                        model: w.model,
                    }),
                    None,
                )
            }
            Err(e) => {
                // A malformed or rejected answer is the writer failing too.
                circuit.record_failure(now, &policy);
                tracing::warn!(tenant = %lead.tenant, lead = %lead.id, step = step.step, error = %e, "AI writer failed; template used");
                (None, Some(format!("AI writer: {e}; template used")))
            }
        };
        if circuit != before {
            self.store
                .put_circuit(&lead.tenant, WRITER_CIRCUIT, &circuit)
                .await?;
        }
        Ok(outcome)
    }
}
