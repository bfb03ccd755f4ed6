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
        self.use_live_senders(urls, Vec::new());
    }

    /// As `use_provider_urls`, with certificates (DER) the SMTP sender
    /// trusts besides the compiled-in roots: a test mail server's own.
    pub fn use_live_senders(
        &mut self,
        urls: shared::adapters::senders::live::ProviderUrls,
        extra_roots: Vec<Vec<u8>>,
    ) {
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
                extra_roots,
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

    /// Goes live the way an operator does: go-live is refused first
    /// (returning what it named missing); the provider secrets are stored
    /// in Secrets Manager and named in the config; go-live then passes.
    /// Returns the missing items and each channel's (channel, provider,
    /// credentials) as readiness reports them.
    pub async fn go_live_through(
        &mut self,
        token: &str,
        tenant: &str,
        stand: &crate::standins::StandIns,
    ) -> Result<(Vec<String>, Vec<(String, String, String)>), String> {
        let auth = format!("Bearer {token}");
        let headers = [("authorization", auth.as_str())];
        let before = self.http("POST", "/admin/go-live", &headers, "").await;
        if before.status != 409 {
            return Err(format!(
                "go-live before providers: {} {}",
                before.status, before.body
            ));
        }
        let missing = before.json()["missing"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["item"].as_str().map(str::to_string))
            .collect();
        let mut providers = serde_json::Map::new();
        for (channel, provider) in [
            ("email", "mailgun"),
            ("sms", "twilio"),
            ("voice", "retell"),
            ("linkedin", "heyreach"),
        ] {
            let name = format!("outbound/{tenant}/{provider}");
            self.put_secret(&name, &stand.secrets()[provider]).await?;
            providers.insert(
                channel.into(),
                serde_json::json!({"provider": provider, "secret": name}),
            );
        }
        let mut config = self.http("GET", "/admin/config", &headers, "").await.json();
        config["providers"] = serde_json::Value::Object(providers);
        let r = self
            .http("PUT", "/admin/config", &headers, &config.to_string())
            .await;
        if r.status != 200 {
            return Err(format!("config with providers: {} {}", r.status, r.body));
        }
        let r = self.http("POST", "/admin/go-live", &headers, "").await;
        if r.status != 200 {
            return Err(format!("go-live: {} {}", r.status, r.body));
        }
        let ready = self
            .http("GET", "/admin/readiness", &headers, "")
            .await
            .json();
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        let channels = ready["channels"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    text(&c["channel"]),
                    text(&c["provider"]),
                    text(&c["credentials"]),
                )
            })
            .collect();
        Ok((missing, channels))
    }

    /// From now on, every event the functions put on the bus is copied to
    /// a queue of its own, by a rule the template does not have: for
    /// tests that read everything that left the process (a secret scan).
    /// Returns the queue's URL.
    pub async fn tap_events(&mut self) -> Result<String, String> {
        let name = format!("{}-tap", self.provisioned.stack_name);
        let url = self
            .sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .map_err(described("tap queue"))?
            .queue_url
            .ok_or("tap queue without a URL")?;
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(described("tap queue"))?
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .ok_or("tap queue without an ARN")?;
        let bus = self.provisioned.bus_name.clone();
        self.events
            .put_rule()
            .name(&name)
            .event_bus_name(&bus)
            .event_pattern(
                serde_json::json!({"source": [shared::adapters::bus::SIGNAL_SOURCE]}).to_string(),
            )
            .send()
            .await
            .map_err(described("tap rule"))?;
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("tap")
            .arn(arn)
            .build()
            .map_err(|e| e.to_string())?;
        self.events
            .put_targets()
            .rule(&name)
            .event_bus_name(&bus)
            .targets(target)
            .send()
            .await
            .map_err(described("tap rule"))?;
        Ok(url)
    }

    /// Every event the tap at `url` holds, as the bus delivered it.
    pub async fn tapped_events(&self, url: &str) -> Result<Vec<String>, String> {
        let mut bodies = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .map_err(|e| format!("tap: {}", aws_sdk_sqs::error::DisplayErrorContext(e)))?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return Ok(bodies);
            }
            for m in messages {
                bodies.extend(m.body);
                if let Some(receipt) = m.receipt_handle {
                    let _ = self
                        .sqs
                        .delete_message()
                        .queue_url(url)
                        .receipt_handle(receipt)
                        .send()
                        .await;
                }
            }
        }
    }
}

/// An SDK error with its whole chain of causes, after `what`.
fn described<E: std::error::Error>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {}", aws_sdk_sqs::error::DisplayErrorContext(&e))
}
