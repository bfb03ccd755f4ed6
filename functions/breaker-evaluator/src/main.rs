#![recursion_limit = "256"]
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws;
use shared::adapters::slack::{LogAlerter, SlackWebhook};
use shared::config::Env;
use shared::ports::Alerter;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let alerter: Arc<dyn Alerter> = match env.get("SLACK_WEBHOOK_URL") {
        Some(url) => Arc::new(SlackWebhook::new(url)?),
        None => Arc::new(LogAlerter),
    };
    let app = breaker_evaluator::App {
        store: aws::store_from_env(&env, &sdk)?,
        alerter,
        clock: Arc::new(shared::ports::SystemClock),
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |e: LambdaEvent<serde_json::Value>| async move {
            shared::edge::reply(app.handle(e.payload).await)
        },
    ))
    .await
}
