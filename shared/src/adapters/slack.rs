//! Slack incoming-webhook alerter.

use crate::error::{Error, Result};
use crate::ports::Alerter;
use async_trait::async_trait;
use std::time::Duration;

pub struct SlackWebhook {
    http: reqwest::Client,
    url: String,
}

impl SlackWebhook {
    /// Bounds each attempt to post an alert.
    pub const TIMEOUT: Duration = Duration::from_secs(5);

    pub fn new(url: impl Into<String>) -> Result<Self> {
        Ok(Self {
            http: super::http::client()?,
            url: url.into(),
        })
    }
}

#[async_trait]
impl Alerter for SlackWebhook {
    async fn alert(&self, tenant: &str, text: &str) -> Result<()> {
        let body = serde_json::json!({ "text": format!("[{tenant}] {text}") });
        let mut last = String::new();
        for attempt in 0..3u32 {
            match self
                .http
                .post(&self.url)
                .timeout(Self::TIMEOUT)
                .json(&body)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                    return Err(Error::Provider {
                        provider: "slack".into(),
                        message: format!("status {}", r.status()),
                        retryable: false,
                    })
                }
                Ok(r) => last = format!("status {}", r.status()),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
        }
        Err(Error::Provider {
            provider: "slack".into(),
            message: last,
            retryable: true,
        })
    }
}

/// Alerts that go nowhere but the log, for deployments without Slack.
pub struct LogAlerter;

#[async_trait]
impl Alerter for LogAlerter {
    async fn alert(&self, tenant: &str, text: &str) -> Result<()> {
        tracing::warn!(tenant, alert = text, "alert (no Slack webhook configured)");
        Ok(())
    }
}
