//! Shadow mode: a sender that sends nothing. What would have gone out is
//! written to the outbox (a DynamoDB row per attempt) by the confirm
//! transaction itself, with the touch's `sent` state: an attempt whose
//! confirm never landed left no trace anywhere, so it is safe to send again.

use crate::domain::dispatch::failure::{FinalKind, SendError};
use crate::domain::lead::Lead;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::Touch;
use crate::error::Result;
use crate::ports::{Attempt, ChannelSender, Delivery};
use crate::store::OutboxEntry;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Default, Clone, Copy)]
pub struct ShadowOutbox;

impl ShadowOutbox {
    pub fn new() -> Self {
        Self
    }

    /// The outbox row of one attempt.
    pub fn entry(
        touch: &Touch,
        lead: &Lead,
        sender: &str,
        attempt_id: &str,
        at: DateTime<Utc>,
    ) -> OutboxEntry {
        OutboxEntry {
            tenant: touch.tenant.clone(),
            attempt_id: attempt_id.to_string(),
            lead_id: touch.lead_id.clone(),
            step: touch.step,
            channel: touch.channel.to_string(),
            sender: sender.to_string(),
            sender_domain: touch.sender_domain.clone(),
            to: lead.address(touch.channel),
            subject: touch.message.subject.clone(),
            body: touch.message.body.clone(),
            headers: touch.message.headers.clone(),
            sent_at: at,
        }
    }
}

#[async_trait]
impl ChannelSender for ShadowOutbox {
    async fn send(&self, a: &Attempt<'_>) -> std::result::Result<String, SendError> {
        if a.lead.address(a.touch.channel).is_empty() {
            return Err(SendError::Final {
                provider: "shadow",
                kind: FinalKind::InvalidRecipient,
                reason: format!("lead {} has no {} address", a.lead.id, a.touch.channel),
            });
        }
        Ok(format!("shadow:{}", a.attempt_id))
    }

    async fn lookup(&self, _: &Touch, _: &TenantConfig, _: &str) -> Result<Delivery> {
        Ok(Delivery::NotSent)
    }
}
