//! The EventBridge bus adapter.

use crate::error::{Error, Result};
use crate::ports::EventPublisher;
use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::Value;

/// Events we publish carry this source; bus rules match on it.
pub const SIGNAL_SOURCE: &str = "outbound.signals";

pub struct EventBus {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBus {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for EventBus {
    async fn publish(&self, detail_type: &str, detail: &Value) -> Result<()> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SIGNAL_SOURCE)
            .detail_type(detail_type)
            .detail(detail.to_string())
            .build();
        let out = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| {
                Error::messaging(
                    "eventbridge.put_events",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
        if out.failed_entry_count() > 0 {
            return Err(Error::messaging(
                "eventbridge.put_events",
                "entry rejected by the bus",
            ));
        }
        Ok(())
    }
}
