//! The local stack's live senders: pointed at the providers' stand-ins,
//! with credentials stored in Secrets Manager (moto) as an operator would.

use crate::runner::LocalStack;
use chrono::Duration;
use shared::ports::Clock;
use std::sync::Arc;

impl LocalStack {
    /// Points the live senders (the dispatcher's and go-live's probes) at
    /// other provider URLs: the local stand-ins. Credentials still come from
    /// Secrets Manager (moto).
    pub fn use_provider_urls(&mut self, urls: shared::adapters::senders::live::ProviderUrls) {
        use shared::adapters::secrets::{CachedSecrets, SecretsManager};
        use shared::adapters::senders::live::{LiveSenders, LiveSettings};
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        let secrets = CachedSecrets::new(
            Arc::new(SecretsManager::new(self.secrets.clone())),
            clock,
            Duration::seconds(CachedSecrets::DEFAULT_TTL_SECS),
        );
        let live = Arc::new(LiveSenders::new(
            secrets,
            LiveSettings {
                urls,
                http: shared::adapters::enrichment::HttpSettings {
                    timeout: std::time::Duration::from_secs(5),
                    retry: shared::domain::targeting::enrichment::RetryPolicy {
                        max_retries: 2,
                        base: std::time::Duration::from_millis(5),
                        // A 429 asking for a second is handed to the dispatcher
                        // (its 5-minute backoff) instead of slept through.
                        max_delay: std::time::Duration::from_millis(500),
                    },
                },
                public_url: Some("https://outbound.local".into()),
                extra_roots: Vec::new(),
            },
        ));
        self.dispatch.live = Some(live.clone());
        self.admin.live = Some(live);
    }

    /// Stores a provider secret in Secrets Manager (moto), as an operator
    /// would: `aws secretsmanager create-secret --name outbound/<tenant>/...`.
    pub async fn put_secret(&self, name: &str, value: &serde_json::Value) -> Result<(), String> {
        self.secrets
            .create_secret()
            .name(name)
            .secret_string(value.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "create secret {name}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                )
            })
    }
}
