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
pub use shared::domain::lead::LeadRef;
use shared::domain::lead::{Lead, LeadStatus, RescorePage, Tier};
use shared::domain::targeting::scoring::{score_lead, ScoreCard};
use shared::domain::tenant::TenantConfig;
use shared::edge::{parse_body, process_sqs};
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

fn take(lead: &mut Lead, card: &ScoreCard) {
    lead.score = Some(card.score);
    lead.tier = Some(card.tier);
    lead.reasons = card.reasons.clone();
    lead.offer = Some(card.offer.clone());
    lead.recommended_channels = card.channels.clone();
}

/// What re-scoring changes on `lead`: the timeline detail, and whether
/// it now goes on to crafting. None when nothing changes.
fn rescore(lead: &mut Lead, config: &TenantConfig) -> Option<(String, bool)> {
    let card = score_lead(lead, config, 0);
    if lead.score == Some(card.score)
        && lead.tier == Some(card.tier)
        && lead.reasons == card.reasons
    {
        return None;
    }
    let before = format!(
        "{} ({})",
        lead.score.map_or("-".into(), |s| s.to_string()),
        lead.tier.map_or("-", |t| t.label())
    );
    take(lead, &card);
    let from = lead.status;
    let mut to_craft = false;
    match from {
        LeadStatus::Scored | LeadStatus::Held => {
            lead.status = if card.tier == Tier::Tier3 {
                LeadStatus::Held
            } else {
                LeadStatus::Scored
            };
            to_craft = lead.status == LeadStatus::Scored && from == LeadStatus::Held;
        }
        LeadStatus::New | LeadStatus::Enriched => return None,
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
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_sqs(event, |m| async move {
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
        for _ in 0..5 {
            let Some(mut lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
                return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
            };
            match lead.status {
                LeadStatus::Enriched => {
                    let card = score_lead(&lead, &config, 0);
                    take(&mut lead, &card);
                    lead.status = if card.tier == Tier::Tier3 {
                        LeadStatus::Held
                    } else {
                        LeadStatus::Scored
                    };
                    let detail = format!(
                        "enriched -> {}: score {} ({}); {}",
                        lead.status,
                        card.score,
                        card.tier.label(),
                        explain(&card)
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
        let after = (!page.rescore.is_empty()).then_some(page.rescore.as_str());
        let (leads, next) = self
            .store
            .leads_page(&page.tenant, after, RESCORE_PAGE)
            .await?;
        let now = self.clock.now();
        let mut to_craft = Vec::new();
        for lead in leads {
            if let Some(id) = self.rescore_one(lead, &config, now).await? {
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
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        for _ in 0..5 {
            let Some((detail, craft)) = rescore(&mut lead, config) else {
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
