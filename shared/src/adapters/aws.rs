//! AWS SDK configuration, built once per cold start. Endpoints come from the
//! standard `AWS_ENDPOINT_URL*` variables, so the same code talks to AWS or
//! to the local emulators. The HTTP client is the process's one HTTPS stack
//! (`super::http`).

pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(super::http::sdk_client())
        .load()
        .await
}

/// The store every function uses, from `TABLE_NAME` and `DUE_SHARDS`.
pub fn store_from_env(
    env: &crate::config::Env,
    config: &aws_config::SdkConfig,
) -> Result<crate::store::Store, crate::error::Error> {
    let settings = crate::config::StoreSettings::from_env(env)?;
    Ok(crate::store::Store::new(
        dynamodb(config),
        settings.table_name,
        settings.due_shards,
    ))
}

pub fn dynamodb(config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

pub fn sqs(config: &aws_config::SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

pub fn eventbridge(config: &aws_config::SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(config)
}

pub fn secretsmanager(config: &aws_config::SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(config)
}

/// The live providers of every tenant, with credentials read from Secrets
/// Manager (`client`) through a cache of `SECRETS_TTL_SECS` (300), provider
/// base URLs from `*_API_URL` (unset: the providers' own), status callbacks
/// to `PUBLIC_BASE_URL`, and each call bounded by `SEND_TIMEOUT_MS` (10 s).
pub fn live_senders(
    env: &crate::config::Env,
    client: aws_sdk_secretsmanager::Client,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
) -> Result<std::sync::Arc<crate::adapters::senders::live::LiveSenders>, crate::error::Error> {
    use crate::adapters::secrets::{CachedSecrets, SecretsManager};
    use crate::adapters::senders::live::{LiveSenders, LiveSettings, ProviderUrls};
    let ttl = env.parse_or("SECRETS_TTL_SECS", CachedSecrets::DEFAULT_TTL_SECS)?;
    let timeout_ms = env.parse_or("SEND_TIMEOUT_MS", 10_000u64)?;
    let secrets = CachedSecrets::new(
        std::sync::Arc::new(SecretsManager::new(client)),
        clock,
        chrono::Duration::seconds(ttl),
    );
    let settings = LiveSettings {
        urls: ProviderUrls::from_env(env),
        http: crate::adapters::enrichment::HttpSettings {
            timeout: std::time::Duration::from_millis(timeout_ms),
            ..Default::default()
        },
        public_url: env
            .get("PUBLIC_BASE_URL")
            .filter(|v| !v.trim().is_empty())
            .map(str::to_string),
        extra_roots: Vec::new(),
    };
    Ok(std::sync::Arc::new(LiveSenders::new(secrets, settings)))
}
