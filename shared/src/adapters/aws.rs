//! AWS SDK configuration, built once per cold start from the variables
//! Lambda sets: `AWS_REGION` and the execution role's `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. Endpoints come from the
//! standard `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` variables,
//! so the same code talks to AWS or to the local emulators. The HTTP client
//! is the process's one HTTPS stack (`super::http`).
//!
//! Not `aws_config::defaults().load()`: its provider chains (profile files,
//! SSO, STS web identity, ECS and IMDS credentials) are never the answer in
//! Lambda, yet each binary carried them (with an XML parser for STS) and
//! every cold start walked them. The settings here are aws-config's own
//! defaults: standard retries, a 3.1 s connect timeout, a lazy identity
//! cache, Tokio's sleep and the system clock.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::default_async_sleep;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::sdk_config::SdkConfig;
use std::time::Duration;

pub async fn sdk_config() -> SdkConfig {
    sdk_config_from(|name| std::env::var(name).ok())
}

/// The SDK configuration `lookup` describes (a variable's value by name).
pub fn sdk_config_from(lookup: impl Fn(&str) -> Option<String>) -> SdkConfig {
    let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
    let mut config = SdkConfig::builder()
        .behavior_version(
            aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
        )
        .http_client(super::http::sdk_client())
        .sleep_impl(default_async_sleep().expect("tokio's sleep is compiled in"))
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .retry_config(RetryConfig::standard())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(3100))
                .build(),
        )
        .identity_cache(aws_smithy_runtime::client::identity::IdentityCache::lazy().build())
        .region(
            var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .map(Region::new),
        );
    if let Some(url) = var("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(url);
    }
    if let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        let credentials = Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "env");
        config = config.credentials_provider(SharedCredentialsProvider::new(credentials));
    }
    config
        .service_config(EnvServiceConfig(
            ENDPOINT_VARIABLES
                .iter()
                .filter_map(|name| var(name).map(|v| (name.to_string(), v)))
                .collect(),
        ))
        .build()
}

/// The per-service endpoint variables of the services the functions use,
/// named as the SDK names them: `AWS_ENDPOINT_URL_` and the service id in
/// capitals, spaces as underscores.
const ENDPOINT_VARIABLES: [&str; 4] = [
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
];

/// Per-service settings from the environment, as each service client asks
/// for them when it is made (`AWS_ENDPOINT_URL_DYNAMODB`, ...): the values
/// of `ENDPOINT_VARIABLES` read at cold start.
#[derive(Debug)]
struct EnvServiceConfig(std::collections::HashMap<String, String>);

impl aws_types::service_config::LoadServiceConfig for EnvServiceConfig {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_ascii_uppercase().replace(' ', "_");
        self.0.get(&format!("{}_{service}", key.env())).cloned()
    }
}

/// The store every function uses, from `TABLE_NAME` and `DUE_SHARDS`, keying
/// erased people with `ERASURE_KEY` (else `LINK_SIGNING_KEY`) when set.
pub fn store_from_env(
    env: &crate::config::Env,
    config: &SdkConfig,
) -> Result<crate::store::Store, crate::error::Error> {
    let settings = crate::config::StoreSettings::from_env(env)?;
    let store =
        crate::store::Store::new(dynamodb(config), settings.table_name, settings.due_shards);
    Ok(
        match settings
            .erasure_key
            .as_deref()
            .and_then(crate::store::ErasureKey::new)
        {
            Some(key) => store.with_erasure_key(key),
            None => store,
        },
    )
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

pub fn sqs(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

pub fn eventbridge(config: &SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(config)
}

pub fn secretsmanager(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
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

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{header, header_regex, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[tokio::test]
    async fn the_sdk_is_configured_from_lambdas_variables() {
        // GIVEN DynamoDB's own endpoint variable pointing at a local server,
        // the global one at nothing, and an execution role's credentials
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(header("x-amz-target", "DynamoDB_20120810.ListTables"))
            .and(header("x-amz-security-token", "session-token"))
            .and(header_regex(
                "authorization",
                "^AWS4-HMAC-SHA256 Credential=AKIDTEST/[0-9]{8}/eu-west-1/dynamodb/aws4_request",
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/x-amz-json-1.0")
                    .set_body_string(r#"{"TableNames":["leads"]}"#),
            )
            .expect(1)
            .mount(&server)
            .await;
        let vars = std::collections::HashMap::from([
            ("AWS_REGION", "eu-west-1".to_string()),
            ("AWS_ACCESS_KEY_ID", "AKIDTEST".into()),
            ("AWS_SECRET_ACCESS_KEY", "secret".into()),
            ("AWS_SESSION_TOKEN", "session-token".into()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()),
            ("AWS_ENDPOINT_URL_DYNAMODB", server.uri()),
        ]);
        let config = sdk_config_from(|name| vars.get(name).cloned());
        // WHEN a DynamoDB client made from it sends
        let out = dynamodb(&config).list_tables().send().await.unwrap();
        // THEN it went to DynamoDB's endpoint, in the region, signed with
        // the role's credentials
        assert_eq!(out.table_names(), ["leads"]);
        assert_eq!(config.region().unwrap().as_ref(), "eu-west-1");
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:9"));
    }

    #[tokio::test]
    async fn without_credentials_a_request_fails_and_names_why() {
        let config =
            sdk_config_from(|name| (name == "AWS_REGION").then(|| "us-east-1".to_string()));
        let err = dynamodb(&config).list_tables().send().await.unwrap_err();
        let text = format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(err));
        assert!(text.contains("credentials"), "{text}");
    }
}
