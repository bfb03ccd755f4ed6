//! Score: the ICP score with its reasons, the tier, the recommended offer and
//! channels. Tier 1 and 2 go on to crafting; tier 3 is held, not contacted.
//!
//! After a config change the admin function puts a `RescorePage` on this
//! queue: each one re-scores a page of the tenant's leads and queues the
//! next page, so a tenant of any size is re-scored in bounded invocations.
//! Scored and held leads take the new score and tier (a held lead that now
//! qualifies goes on to crafting; a scored one that no longer does is held);
//! leads already drafted or in sequence get the new score and reasons for
//! the record, and their sequence is left as approved.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use shared::domain::campaigns::recommend::{recommend, Recommendation};
use shared::domain::campaigns::{campaign_of, Campaign};
pub use shared::domain::lead::LeadRef;
use shared::domain::lead::{Lead, LeadStatus, RescorePage, Tier};
use shared::domain::targeting::scoring::ScoreCard;
use shared::domain::tenant::TenantConfig;
use shared::edge::{parse_body, process_sqs, ErrorCount};
use shared::error::{Error, Result};
use shared::ports::{Clock, WorkQueue};
use shared::store::Store;
use std::sync::Arc;

/// Leads re-scored per page message.
pub const RESCORE_PAGE: i32 = 200;

pub struct App {
    pub store: Store,
    /// The craft queue.
    pub next: Arc<dyn WorkQueue>,
    /// This function's own queue, for the next re-scoring page.
    pub rescore: Arc<dyn WorkQueue>,
    pub clock: Arc<dyn Clock>,
}

fn explain(card: &ScoreCard) -> String {
    card.reasons
        .iter()
        .map(|r| format!("{:+} {}", r.points, r.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The lead's scores against every active campaign, and the one it is
/// for: the best, unless an operator put it in one by hand or it is
/// already enrolled (then its own campaign's score is the lead's).
fn assess(lead: &Lead, config: &TenantConfig, campaigns: &[Campaign]) -> Recommendation {
    let mut rec = recommend(lead, config, campaigns, 0);
    let enrolled = !matches!(
        lead.status,
        LeadStatus::New | LeadStatus::Enriched | LeadStatus::Scored | LeadStatus::Held
    );
    if lead.campaign_pinned || enrolled {
        let own = campaign_of(lead.campaign.as_deref());
        if rec.campaign.as_deref() != Some(own) {
            if let Some(c) = campaigns.iter().find(|c| c.id.as_str() == own) {
                let only = recommend(lead, config, std::slice::from_ref(c), 0);
                let mut card = only.card;
                card.reasons
                    .retain(|r| r.points != 0 || !r.reason.starts_with("campaign "));
                card.reasons.extend(
                    rec.card
                        .reasons
                        .iter()
                        .filter(|r| r.points == 0 && r.reason.starts_with("campaign "))
                        .cloned(),
                );
                card.reasons.push(shared::domain::lead::ScoreReason {
                    points: 0,
                    reason: format!("kept in campaign {own} (enrolled)"),
                });
                rec.tier_not_taken = !c.takes(card.tier);
                rec.card = card;
                rec.campaign = Some(own.to_string());
            }
        }
    }
    rec
}

/// A held lead that re-scoring may move on: held by its score or by
/// enrolment (no campaign, a tier not taken, a person reached elsewhere),
/// not by an operator.
fn releasable(lead: &Lead) -> bool {
    lead.stop_reason
        .as_deref()
        .is_none_or(|r| r.starts_with("not enrolled in campaign") || r.starts_with("campaign "))
}

/// Whether the lead is held rather than crafted, and why.
fn held_because(rec: &Recommendation) -> Option<String> {
    match &rec.campaign {
        None => Some("no campaign is active".into()),
        Some(_) if rec.card.tier == Tier::Tier3 => None,
        Some(id) if rec.tier_not_taken => Some(format!(
            "campaign {id} does not take {}",
            rec.card.tier.label()
        )),
        Some(_) => None,
    }
}

fn take(lead: &mut Lead, rec: &Recommendation) {
    let card = &rec.card;
    lead.score = Some(card.score);
    lead.tier = Some(card.tier);
    lead.reasons = card.reasons.clone();
    lead.offer = Some(card.offer.clone());
    lead.recommended_channels = card.channels.clone();
    lead.campaign = rec.campaign.clone();
    lead.campaign_scores = rec.scores.clone();
}

/// Held (tier 3, no campaign, or a campaign that does not take its tier)
/// or on to crafting.
fn status_for(rec: &Recommendation) -> LeadStatus {
    if rec.card.tier == Tier::Tier3 || held_because(rec).is_some() {
        LeadStatus::Held
    } else {
        LeadStatus::Scored
    }
}

/// What re-scoring changes on `lead`: the timeline detail, and whether
/// it now goes on to crafting. None when nothing changes.
fn rescore(
    lead: &mut Lead,
    config: &TenantConfig,
    campaigns: &[Campaign],
) -> Option<(String, bool)> {
    let rec = assess(lead, config, campaigns);
    let card = &rec.card;
    if lead.score == Some(card.score)
        && lead.tier == Some(card.tier)
        && lead.reasons == card.reasons
        && lead.campaign == rec.campaign
        && !(lead.status == LeadStatus::Held
            && releasable(lead)
            && status_for(&rec) == LeadStatus::Scored)
    {
        return None;
    }
    let before = format!(
        "{} ({})",
        lead.score.map_or("-".into(), |s| s.to_string()),
        lead.tier.map_or("-", |t| t.label())
    );
    let card = card.clone();
    let from = lead.status;
    if matches!(from, LeadStatus::New | LeadStatus::Enriched) {
        return None;
    }
    take(lead, &rec);
    let mut to_craft = false;
    match from {
        // A lead held for another reason (an operator's rejections) stays
        // held: only scoring's and enrolment's holds are lifted here.
        LeadStatus::Held if !releasable(lead) => {}
        LeadStatus::Scored | LeadStatus::Held => {
            lead.status = status_for(&rec);
            to_craft = lead.status == LeadStatus::Scored && from == LeadStatus::Held;
            if to_craft {
                lead.stop_reason = None;
            }
        }
        // Drafted or in sequence: the score is for the record only.
        _ => {}
    }
    Some((
        format!(
            "re-scored after a config change: {before} -> {} ({}), {from} -> {}; {}",
            card.score,
            card.tier.label(),
            lead.status,
            explain(&card)
        ),
        to_craft,
    ))
}

impl App {
    /// The tenant's campaigns (a tenant from before campaigns: its default
    /// one, read from its config).
    async fn campaigns(&self, config: &TenantConfig) -> Result<Vec<Campaign>> {
        Ok(self
            .store
            .campaigns_with(config, self.clock.now())
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .collect())
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let errors = ErrorCount {
            store: &self.store,
            function: "score",
            now: self.clock.now(),
        };
        process_sqs(event, errors, |m| async move {
            let body: serde_json::Value = parse_body(&m)?;
            if body.get("rescore").is_some() {
                let page: RescorePage = serde_json::from_value(body)
                    .map_err(|e| Error::invalid("body", e.to_string()))?;
                self.rescore_page(&page).await
            } else {
                let lead: LeadRef = serde_json::from_value(body)
                    .map_err(|e| Error::invalid("body", e.to_string()))?;
                self.score(&lead).await
            }
        })
        .await
    }

    pub async fn score(&self, msg: &LeadRef) -> Result<()> {
        let config = self.store.require_config(&msg.tenant).await?;
        let campaigns = self.campaigns(&config).await?;
        for _ in 0..5 {
            let Some(mut lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
                return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
            };
            match lead.status {
                LeadStatus::Enriched => {
                    let rec = assess(&lead, &config, &campaigns);
                    take(&mut lead, &rec);
                    lead.status = status_for(&rec);
                    let card = &rec.card;
                    let detail = format!(
                        "enriched -> {}: score {} ({}) for campaign {}{}; {}",
                        lead.status,
                        card.score,
                        card.tier.label(),
                        rec.campaign.as_deref().unwrap_or("-"),
                        held_because(&rec)
                            .map(|why| format!(" (held: {why})"))
                            .unwrap_or_default(),
                        explain(card)
                    );
                    if self
                        .store
                        .save_lead(&mut lead, "status", &detail, self.clock.now())
                        .await?
                    {
                        if lead.status == LeadStatus::Held {
                            return Ok(());
                        }
                        break;
                    }
                }
                LeadStatus::Scored => break,
                _ => return Ok(()),
            }
        }
        self.next
            .send_all(&[serde_json::to_value(msg).expect("serialisable")])
            .await
    }

    /// Re-scores one page of a tenant's leads and queues the next page.
    /// Idempotent: a redelivered page finds the scores already current.
    pub async fn rescore_page(&self, page: &RescorePage) -> Result<()> {
        let config = self.store.require_config(&page.tenant).await?;
        let campaigns = self.campaigns(&config).await?;
        let after = (!page.rescore.is_empty()).then_some(page.rescore.as_str());
        let (leads, next) = self
            .store
            .leads_page(&page.tenant, after, RESCORE_PAGE)
            .await?;
        let now = self.clock.now();
        let mut to_craft = Vec::new();
        for lead in leads {
            if let Some(id) = self.rescore_one(lead, &config, &campaigns, now).await? {
                to_craft.push(
                    serde_json::to_value(LeadRef {
                        tenant: page.tenant.clone(),
                        lead_id: id,
                    })
                    .expect("serialisable"),
                );
            }
        }
        self.next.send_all(&to_craft).await?;
        if let Some(cursor) = next {
            let next_page = RescorePage {
                tenant: page.tenant.clone(),
                rescore: cursor,
            };
            self.rescore
                .send_all(&[serde_json::to_value(next_page).expect("serialisable")])
                .await?;
        }
        Ok(())
    }

    /// Re-scores one lead; returns its id if it now goes on to crafting.
    async fn rescore_one(
        &self,
        mut lead: Lead,
        config: &TenantConfig,
        campaigns: &[Campaign],
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        for _ in 0..5 {
            let Some((detail, craft)) = rescore(&mut lead, config, campaigns) else {
                return Ok(None);
            };
            if self
                .store
                .save_lead(&mut lead, "rescored", &detail, now)
                .await?
            {
                return Ok(craft.then(|| lead.id.clone()));
            }
            let Some(fresh) = self.store.lead(&lead.tenant, &lead.id).await? else {
                return Ok(None);
            };
            lead = fresh;
        }
        Err(Error::Conflict(format!(
            "lead {} kept changing while re-scored",
            lead.id
        )))
    }
}
