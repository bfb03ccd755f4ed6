//! SQS work queues.

use crate::error::{Error, Result};
use crate::ports::WorkQueue;
use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde_json::Value;

pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

#[async_trait]
impl WorkQueue for SqsQueue {
    async fn send_all(&self, bodies: &[Value]) -> Result<()> {
        for chunk in bodies.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(b.to_string())
                        .build()
                        .map_err(|e| Error::messaging("sqs.build", e))
                })
                .collect::<Result<Vec<_>>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    Error::messaging(
                        "sqs.send_message_batch",
                        aws_sdk_sqs::error::DisplayErrorContext(e),
                    )
                })?;
            if !out.failed().is_empty() {
                let first = &out.failed()[0];
                return Err(Error::messaging(
                    "sqs.send_message_batch",
                    format!(
                        "{} of {} entries failed: {}",
                        out.failed().len(),
                        chunk.len(),
                        first.message().unwrap_or(first.code())
                    ),
                ));
            }
        }
        Ok(())
    }
}
