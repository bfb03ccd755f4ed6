#![recursion_limit = "256"]
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::secrets::{CachedSecrets, SecretsManager};
use shared::adapters::slack::SlackWebhook;
use shared::adapters::{aws, bus::EventBus};
use shared::config::Env;
use shared::ports::{Clock, SystemClock};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = webhook_ingest::App {
        store: aws::store_from_env(&env, &sdk)?,
        bus: Arc::new(EventBus::new(
            aws::eventbridge(&sdk),
            env.require("BUS_NAME")?,
        )),
        clock: clock.clone(),
        mailgun_signing_key: env.require("MAILGUN_WEBHOOK_SIGNING_KEY")?,
        tolerance_secs: env.parse_or("WEBHOOK_TOLERANCE_SECS", 900i64)?,
        secrets: Arc::new(CachedSecrets::new(
            Arc::new(SecretsManager::new(aws::secretsmanager(&sdk))),
            clock.clone(),
            chrono::Duration::seconds(
                env.parse_or("SECRETS_TTL_SECS", CachedSecrets::DEFAULT_TTL_SECS)?,
            ),
        )),
        public_url: env
            .get("PUBLIC_BASE_URL")
            .filter(|v| !v.trim().is_empty())
            .map(str::to_string),
        imap: shared::adapters::imap::ImapSettings::default(),
        enrich: Some(Arc::new(shared::adapters::queue::SqsQueue::new(
            aws::sqs(&sdk),
            env.require("ENRICH_QUEUE_URL")?,
        ))),
        alerter: match env.get("SLACK_WEBHOOK_URL") {
            Some(url) if !url.is_empty() => Some(Arc::new(SlackWebhook::new(url)?)),
            _ => None,
        },
    };
    let app = &app;
    // One function, two doors: the providers' webhooks (HTTP API) and the
    // schedule that reads tenants' own mailboxes.
    lambda_runtime::run(service_fn(
        move |e: LambdaEvent<serde_json::Value>| async move {
            if e.payload.get("requestContext").is_some() {
                let req: ApiGatewayV2httpRequest = serde_json::from_value(e.payload)?;
                return Ok::<_, lambda_runtime::Error>(serde_json::to_value(
                    app.handle(req).await,
                )?);
            }
            let report = app.read_mailboxes().await?;
            Ok(serde_json::to_value(report)?)
        },
    ))
    .await
}
