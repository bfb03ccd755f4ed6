//! Score: the ICP score with its reasons, the tier, the recommended offer and
//! channels. Tier 1 and 2 go on to crafting; tier 3 is held, not contacted.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::adapters::dynamo::Store;
pub use shared::domain::lead::LeadRef;
use shared::domain::lead::{LeadStatus, Tier};
use shared::domain::scoring::score_lead;
use shared::edge::{parse_body, process_sqs};
use shared::error::{Error, Result};
use shared::ports::{Clock, WorkQueue};
use std::sync::Arc;

pub struct App {
    pub store: Store,
    pub next: Arc<dyn WorkQueue>,
    pub clock: Arc<dyn Clock>,
}

impl App {
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_sqs(event, |m| async move {
            self.score(&parse_body::<LeadRef>(&m)?).await
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
                    lead.score = Some(card.score);
                    lead.tier = Some(card.tier);
                    lead.reasons = card.reasons.clone();
                    lead.offer = Some(card.offer.clone());
                    lead.recommended_channels = card.channels.clone();
                    lead.status = if card.tier == Tier::Tier3 {
                        LeadStatus::Held
                    } else {
                        LeadStatus::Scored
                    };
                    let why = card
                        .reasons
                        .iter()
                        .map(|r| format!("{:+} {}", r.points, r.reason))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let detail = format!(
                        "enriched -> {}: score {} ({}); {why}",
                        lead.status,
                        card.score,
                        card.tier.label()
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
}
