//! Enrich: resolves the recipient's time zone (HQ zone, else country / state
//! / province / area code, else the tenant's), marks what enrichment could
//! not do, and hands the lead to scoring. Idempotent per lead.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::adapters::dynamo::Store;
pub use shared::domain::lead::LeadRef;
use shared::domain::lead::LeadStatus;
use shared::domain::timezone::{resolve_timezone, LocationHints};
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
            self.enrich(&parse_body::<LeadRef>(&m)?).await
        })
        .await
    }

    pub async fn enrich(&self, msg: &LeadRef) -> Result<()> {
        let config = self.store.require_config(&msg.tenant).await?;
        for _ in 0..5 {
            let Some(mut lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
                return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
            };
            match lead.status {
                LeadStatus::New => {
                    let hints = LocationHints {
                        hq_timezone: lead.hq_timezone.as_deref(),
                        country: lead.country.as_deref(),
                        region: lead.state.as_deref(),
                        phone: lead.phone.as_deref(),
                    };
                    let resolved = resolve_timezone(&hints, config.tz());
                    lead.timezone = Some(resolved.tz.name().to_string());
                    let source = serde_json::to_value(resolved.source)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    lead.timezone_source = Some(source.clone());
                    lead.enrichment = Some(
                        "skipped: no enrichment provider configured; continuing with imported data"
                            .into(),
                    );
                    lead.status = LeadStatus::Enriched;
                    let detail = format!(
                        "new -> enriched: time zone {} (from {source})",
                        resolved.tz.name()
                    );
                    if self
                        .store
                        .save_lead(&mut lead, "status", &detail, self.clock.now())
                        .await?
                    {
                        break;
                    }
                }
                LeadStatus::Enriched => break,
                // Already past this stage: a redelivery changes nothing.
                _ => return Ok(()),
            }
        }
        self.next
            .send_all(&[serde_json::to_value(msg).expect("serialisable")])
            .await
    }
}
