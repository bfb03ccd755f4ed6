#![recursion_limit = "256"]
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::slack::{LogAlerter, SlackWebhook};
use shared::adapters::{aws, dynamo::Store};
use shared::config::{Env, StoreSettings};
use shared::ports::Alerter;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let settings = StoreSettings::from_env(&env)?;
    let alerter: Arc<dyn Alerter> = match env.get("SLACK_WEBHOOK_URL") {
        Some(url) => Arc::new(SlackWebhook::new(url)?),
        None => Arc::new(LogAlerter),
    };
    let app = breaker_evaluator::App {
        store: Store::new(
            aws::dynamodb(&sdk),
            settings.table_name,
            settings.due_shards,
        ),
        alerter,
        clock: Arc::new(shared::ports::SystemClock),
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |e: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(app.handle(e.payload).await?)
        },
    ))
    .await
}
