//! Shadow mode: a sender that writes what would have been sent to the
//! outbox (a DynamoDB record per attempt) instead of calling a provider.

use crate::domain::lead::Lead;
use crate::domain::touch::Touch;
use crate::error::{Error, Result};
use crate::ports::{ChannelSender, Clock};
use crate::store::{OutboxEntry, Store};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ShadowOutbox {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl ShadowOutbox {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[async_trait]
impl ChannelSender for ShadowOutbox {
    async fn send(
        &self,
        touch: &Touch,
        lead: &Lead,
        sender: &str,
        attempt_id: &str,
    ) -> Result<String> {
        let to = Some(lead.address(touch.channel))
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                Error::invalid(
                    "to",
                    format!("lead {} has no {} address", lead.id, touch.channel),
                )
            })?;
        self.store
            .put_outbox(&OutboxEntry {
                tenant: touch.tenant.clone(),
                attempt_id: attempt_id.to_string(),
                lead_id: touch.lead_id.clone(),
                step: touch.step,
                channel: touch.channel.to_string(),
                sender: sender.to_string(),
                sender_domain: touch.sender_domain.clone(),
                to,
                subject: touch.message.subject.clone(),
                body: touch.message.body.clone(),
                headers: touch.message.headers.clone(),
                sent_at: self.clock.now(),
            })
            .await?;
        Ok(format!("shadow:{attempt_id}"))
    }
}
