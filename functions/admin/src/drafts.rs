//! The gatekeeper's routes: one draft viewed, edited, approved or rejected;
//! batches with a frozen scope created, previewed and executed once.

use crate::{parse_json, App};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::domain::campaigns::report;
use shared::domain::content::drafting::{approval_problem, edit, rejection, DraftContext};
use shared::domain::content::guard::should_hold;
use shared::domain::dispatch::sequence::due_at;
use shared::domain::lead::{Lead, LeadStatus, Tier};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::{preview_hash, Channel, Touch, TouchState};
use shared::error::{Error, Result};
use shared::store::{short_id, Batch};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Deserialize, Default)]
pub(crate) struct BatchRequest {
    /// Only these leads' drafts (default: every draft waiting).
    #[serde(default)]
    lead_ids: Option<Vec<String>>,
    /// Only leads of these tiers.
    #[serde(default)]
    tiers: Option<Vec<Tier>>,
    /// At most this many leads.
    #[serde(default)]
    limit: Option<usize>,
}

#[derive(Debug, Deserialize, Default)]
struct EditRequest {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    body: String,
    /// The fingerprint the editor saw; a draft changed since is not overwritten.
    #[serde(default)]
    fingerprint: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct Decision {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
}

fn step_of(s: &str) -> Result<u8> {
    s.parse()
        .map_err(|_| Error::invalid("step", format!("{s:?} is not a step number")))
}

/// A draft as the approver sees it.
pub(crate) fn draft_json(t: &Touch) -> Value {
    json!({
        "lead_id": t.lead_id, "step": t.step, "day": t.day, "channel": t.channel,
        "fallback_from": t.fallback_from, "state": t.state, "recipient": t.recipient,
        "tier": t.tier, "subject": t.message.subject, "body": t.message.body,
        "headers": t.message.headers, "template_id": t.message.template_id,
        "variant": t.message.variant_label(), "source": t.message.source,
        "fingerprint": t.fingerprint, "guard": t.guard, "notes": t.draft_notes,
        "end_reason": t.end_reason,
    })
}

/// When a step being approved falls due: now (or its day after the first
/// send) if every earlier step is done; else it waits, planned, for the step
/// before it to be sent. `approving` are earlier steps approved in the same
/// operation (they will be due or planned, so this one waits).
pub(crate) fn due_when_approved(
    lead: &Lead,
    touches: &[Touch],
    touch: &Touch,
    approving: &HashSet<u8>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // The nurture track waits, planned, for the attempts warning.
    if shared::domain::campaigns::is_nurture_step(touch.step) {
        return None;
    }
    let waiting = touches.iter().any(|t| {
        t.step < touch.step
            && (approving.contains(&t.step)
                || matches!(
                    t.state,
                    TouchState::Draft | TouchState::Planned | TouchState::Due | TouchState::Sending
                ))
    });
    if waiting {
        return None;
    }
    Some(match lead.first_sent_at {
        Some(first) => due_at(first, touch.day).max(now),
        None => now,
    })
}

impl App {
    async fn draft_and_lead(
        &self,
        tenant: &str,
        lead_id: &str,
        step: u8,
    ) -> Result<(Lead, Vec<Touch>, Touch)> {
        let (lead, touches) = self
            .store
            .lead_and_touches(tenant, lead_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("lead {lead_id}")))?;
        let touch = touches
            .iter()
            .find(|t| t.step == step)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("step {step} of lead {lead_id}")))?;
        Ok((lead, touches, touch))
    }

    fn expect_fingerprint(touch: &Touch, expected: Option<&str>) -> Result<()> {
        if touch.state != TouchState::Draft {
            return Err(Error::Conflict(format!(
                "step {} of lead {} is {}, not a draft",
                touch.step,
                touch.lead_id,
                touch.state.as_str()
            )));
        }
        match expected {
            Some(fp) if fp != touch.fingerprint => Err(Error::Conflict(format!(
                "step {} of lead {} changed since you saw it (fingerprint {} now)",
                touch.step, touch.lead_id, touch.fingerprint
            ))),
            _ => Ok(()),
        }
    }

    pub(crate) async fn get_draft(
        &self,
        tenant: &str,
        lead_id: &str,
        step: &str,
    ) -> Result<(u16, Value)> {
        let (_, _, touch) = self.draft_and_lead(tenant, lead_id, step_of(step)?).await?;
        Ok((200, draft_json(&touch)))
    }

    /// `PUT /admin/drafts/{lead}/{step}`: the operator's text replaces the
    /// draft's (footer and headers are added again), if it passes.
    pub(crate) async fn edit_draft(
        &self,
        tenant: &str,
        lead_id: &str,
        step: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let r: EditRequest = parse_json(body)?;
        let config = self.store.require_config(tenant).await?;
        let (lead, _, touch) = self.draft_and_lead(tenant, lead_id, step_of(step)?).await?;
        Self::expect_fingerprint(&touch, r.fingerprint.as_deref())?;
        let compliance = self.links.compliance(&config, &lead);
        let ctx = DraftContext {
            config: &config,
            lead: &lead,
            compliance: &compliance,
            now,
        };
        let edited = edit(&ctx, &touch, r.subject, &r.body)
            .map_err(|reason| Error::invalid("body", reason))?;
        if edited.fingerprint == touch.fingerprint {
            return Ok((200, json!({"changed": false, "draft": draft_json(&touch)})));
        }
        if !self.store.edit_draft(&touch, &edited, now).await? {
            return Err(Error::Conflict(format!(
                "step {} of lead {lead_id} changed while editing; reload it",
                touch.step
            )));
        }
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "draft_edited",
                &format!("lead {lead_id} step {}", touch.step),
                now,
            )
            .await?;
        Ok((200, json!({"changed": true, "draft": draft_json(&edited)})))
    }

    /// `POST /admin/drafts/{lead}/{step}/approve`.
    pub(crate) async fn approve_one(
        &self,
        tenant: &str,
        lead_id: &str,
        step: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let r: Decision = parse_json(body)?;
        let config = self.store.require_config(tenant).await?;
        let (lead, touches, touch) = self.draft_and_lead(tenant, lead_id, step_of(step)?).await?;
        Self::expect_fingerprint(&touch, r.fingerprint.as_deref())?;
        self.check_approvable(&config, &touch)?;
        let due = due_when_approved(&lead, &touches, &touch, &HashSet::new(), now);
        if !self
            .store
            .approve_draft(&touch, &touch.fingerprint, due)
            .await?
        {
            return Err(Error::Conflict(format!(
                "step {} of lead {lead_id} changed or was approved meanwhile",
                touch.step
            )));
        }
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "draft_approved",
                &format!("lead {lead_id} step {}", touch.step),
                now,
            )
            .await?;
        Ok((
            200,
            json!({"approved": true, "state": if due.is_some() { "due" } else { "planned" }, "due_at": due}),
        ))
    }

    /// `POST /admin/drafts/{lead}/{step}/reject` with a reason: remembered
    /// on the lead; the step is drafted again without that template or
    /// opener, or the lead is held after too many rejections.
    pub(crate) async fn reject_one(
        &self,
        tenant: &str,
        lead_id: &str,
        step: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let r: Decision = parse_json(body)?;
        let reason = r
            .reason
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Error::invalid("reason", "say why the draft is rejected"))?;
        let config = self.store.require_config(tenant).await?;
        for _ in 0..3 {
            let (mut lead, touches, touch) =
                self.draft_and_lead(tenant, lead_id, step_of(step)?).await?;
            Self::expect_fingerprint(&touch, r.fingerprint.as_deref())?;
            lead.rejections.push(rejection(&touch, &reason, now));
            // Forget what the memory no longer holds, so the lead item stays small.
            let keep_from = now - chrono::Duration::days(config.guard.memory_days);
            lead.rejections.retain(|x| x.at > keep_from);
            let hold = (should_hold(&lead.rejections, &config.guard, now)
                && lead.status.can_move_to(LeadStatus::Held))
            .then(|| {
                format!(
                    "{} drafts rejected within {} days",
                    lead.rejections.len(),
                    config.guard.memory_days
                )
            });
            if self
                .store
                .reject_draft(&touch, &lead, &touches, hold.as_deref(), &reason, now)
                .await?
            {
                self.store
                    .audit(
                        tenant,
                        &crate::console::actor(),
                        "draft_rejected",
                        &format!("lead {lead_id} step {}: {reason}", touch.step),
                        now,
                    )
                    .await?;
                if hold.is_none() {
                    self.craft
                        .send_all(&[
                            json!({"tenant": tenant, "lead_id": lead_id, "redraft": touch.step}),
                        ])
                        .await?;
                }
                return Ok((
                    200,
                    json!({
                        "rejected": true,
                        "rejections_remembered": lead.rejections.len(),
                        "lead_held": hold,
                        "redraft": if hold.is_none() { "queued: the step is drafted again without this template or opener" } else { "none: the lead is held for review" },
                    }),
                ));
            }
        }
        Err(Error::Conflict(format!(
            "lead {lead_id} kept changing while rejecting; try again"
        )))
    }

    /// Refuses a draft that may not be approved, naming why.
    fn check_approvable(&self, config: &TenantConfig, touch: &Touch) -> Result<()> {
        let compliance = self
            .links
            .compliance_for(config, &touch.tenant, &touch.lead_id);
        match approval_problem(touch, &compliance) {
            Some(p) => Err(Error::Refused(format!(
                "lead {} step {}: {p}",
                touch.lead_id, touch.step
            ))),
            None => Ok(()),
        }
    }

    pub(crate) async fn create_batch(
        &self,
        tenant: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let r: BatchRequest = parse_json(body)?;
        let config = self.store.require_config(tenant).await?;
        let wanted: Option<HashSet<String>> = r.lead_ids.map(|v| v.into_iter().collect());
        let mut drafts: Vec<Touch> = self
            .store
            .drafts(tenant)
            .await?
            .into_iter()
            .filter(|d| wanted.as_ref().is_none_or(|w| w.contains(&d.lead_id)))
            .filter(|d| {
                r.tiers
                    .as_ref()
                    .is_none_or(|ts| d.tier.is_some_and(|t| ts.contains(&t)))
            })
            .collect();
        drafts.sort_by(|a, b| (&a.lead_id, a.step).cmp(&(&b.lead_id, b.step)));
        if let Some(limit) = r.limit {
            let mut leads = Vec::new();
            drafts.retain(|d| {
                if leads.last() != Some(&d.lead_id) {
                    leads.push(d.lead_id.clone());
                }
                leads.len() <= limit
            });
        }
        // Drafts that may not be approved stay out, each with its reason.
        let mut left_out = Vec::new();
        let mut scope = Vec::new();
        for d in drafts {
            match self.check_approvable(&config, &d) {
                Ok(()) => scope.push(d),
                Err(e) => left_out
                    .push(json!({"lead_id": d.lead_id, "step": d.step, "reason": e.to_string()})),
            }
        }
        if scope.is_empty() {
            return Err(Error::invalid(
                "lead_ids",
                format!(
                    "no approvable drafts waiting ({} left out: see GET /admin/drafts)",
                    left_out.len()
                ),
            ));
        }
        let batch = Batch {
            id: format!("b-{}", short_id()),
            tenant: tenant.to_string(),
            scope: scope
                .iter()
                .map(|d| (d.lead_id.clone(), d.step, d.fingerprint.clone()))
                .collect(),
            preview_hash: preview_hash(&scope),
            created_at: now,
            expires_at: now + self.batch_ttl,
            state: "open".into(),
        };
        self.store.put_batch(&batch).await?;
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "batch_created",
                &format!("{} with {} drafts", batch.id, batch.scope.len()),
                now,
            )
            .await?;
        let lead_count = scope
            .iter()
            .map(|d| d.lead_id.as_str())
            .collect::<HashSet<_>>()
            .len();
        let by_channel = scope
            .iter()
            .fold(BTreeMap::<Channel, usize>::new(), |mut m, d| {
                *m.entry(d.channel).or_default() += 1;
                m
            });
        Ok((
            201,
            json!({
                "batch_id": batch.id, "drafts": batch.scope.len(), "leads": lead_count,
                "by_channel": by_channel, "preview_hash": batch.preview_hash,
                "expires_at": batch.expires_at, "left_out": left_out,
                "preview": scope.iter().take(20).map(draft_json).collect::<Vec<_>>(),
            }),
        ))
    }

    /// Executes a batch at most once, only within its expiry, and only if
    /// every draft in its frozen scope is exactly what was frozen and may
    /// still be approved.
    pub(crate) async fn approve_batch(
        &self,
        tenant: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let batch = self
            .store
            .batch(tenant, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("batch {id}")))?;
        if batch.state != "open" {
            return Err(Error::Conflict(format!(
                "batch {id} is {} (a batch executes at most once)",
                batch.state
            )));
        }
        if now >= batch.expires_at {
            self.store.close_batch(tenant, id, "expired", now).await?;
            return Err(Error::Conflict(format!(
                "batch {id} expired at {}",
                batch.expires_at
            )));
        }
        let config = self.store.require_config(tenant).await?;
        let mut by_lead: BTreeMap<&str, Vec<(u8, &str)>> = BTreeMap::new();
        for (lead, step, fp) in &batch.scope {
            by_lead.entry(lead).or_default().push((*step, fp));
        }
        // Drift check: every draft must still be exactly what was frozen.
        let mut plan: Vec<(Touch, Option<DateTime<Utc>>)> = Vec::new();
        for (lead_id, steps) in &by_lead {
            let view = self.store.lead_and_touches(tenant, lead_id).await?;
            let void = |why: String| async move {
                self.store.close_batch(tenant, id, "void", now).await?;
                self.store
                    .audit(
                        tenant,
                        &crate::console::actor(),
                        "batch_void",
                        &format!("{id}: {why}"),
                        now,
                    )
                    .await?;
                Err::<(u16, Value), _>(Error::Conflict(format!("batch {id} is void: {why}")))
            };
            let Some((lead, touches)) = view else {
                return void(format!("lead {lead_id} no longer exists")).await;
            };
            let mut approving: HashSet<u8> = HashSet::new();
            for (step, fp) in steps {
                let current = touches.iter().find(|t| t.step == *step);
                let Some(t) =
                    current.filter(|t| t.state == TouchState::Draft && t.fingerprint == *fp)
                else {
                    return void(format!(
                        "lead {lead_id} step {step} changed after the batch was created"
                    ))
                    .await;
                };
                if let Err(e) = self.check_approvable(&config, t) {
                    return void(e.to_string()).await;
                }
                let due = due_when_approved(&lead, &touches, t, &approving, now);
                approving.insert(*step);
                plan.push((t.clone(), due));
            }
        }
        if !self.store.close_batch(tenant, id, "executed", now).await? {
            return Err(Error::Conflict(format!(
                "batch {id} was executed or closed concurrently"
            )));
        }
        let mut approved = 0;
        let mut due_now = 0;
        for (touch, due) in &plan {
            if self
                .store
                .approve_draft(touch, &touch.fingerprint, *due)
                .await?
            {
                approved += 1;
                due_now += usize::from(due.is_some());
            }
        }
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "batch_approved",
                &format!("{id}: {approved} drafts for {} leads", by_lead.len()),
                now,
            )
            .await?;
        Ok((
            200,
            json!({"batch_id": id, "approved": approved, "due_now": due_now, "leads": by_lead.len()}),
        ))
    }

    /// `GET /admin/batches/{id}`: the frozen scope and whether it still holds.
    pub(crate) async fn get_batch(&self, tenant: &str, id: &str) -> Result<(u16, Value)> {
        let batch = self
            .store
            .batch(tenant, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("batch {id}")))?;
        let mut drafts = Vec::new();
        let mut drifted = Vec::new();
        for (lead, step, fp) in batch.scope.iter().take(50) {
            match self.store.touch(tenant, lead, *step).await? {
                Some(t) if t.state == TouchState::Draft && t.fingerprint == *fp => {
                    drafts.push(draft_json(&t))
                }
                _ => drifted.push(json!({"lead_id": lead, "step": step})),
            }
        }
        Ok((
            200,
            json!({
                "batch_id": batch.id, "state": batch.state, "created_at": batch.created_at,
                "expires_at": batch.expires_at, "preview_hash": batch.preview_hash,
                "drafts": batch.scope.len(), "preview": drafts,
                "changed_since_created": drifted,
            }),
        ))
    }

    /// `GET /admin/variants`: how each template's A/B variants did across
    /// the tenant's campaigns, from their results counters (one query a
    /// campaign): drafted, sent, and the first replies and bookings of the
    /// leads they were the last touch of.
    pub(crate) async fn variants(&self, tenant: &str, now: DateTime<Utc>) -> Result<(u16, Value)> {
        let campaigns = self.store.campaigns(tenant, now).await?;
        let parts = futures::future::try_join_all(
            campaigns
                .iter()
                .map(|(c, _)| self.store.campaign_results(tenant, c.id.as_str())),
        )
        .await?;
        let rows: Vec<_> = parts.into_iter().flatten().collect();
        Ok((200, json!({"variants": report::variants(&rows)})))
    }
}
