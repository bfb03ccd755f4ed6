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
