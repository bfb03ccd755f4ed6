#![recursion_limit = "256"]
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws;
use shared::config::Env;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let app = decay_cron::App {
        store: aws::store_from_env(&env, &sdk)?,
        clock: Arc::new(shared::ports::SystemClock),
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            shared::edge::reply(app.run().await)
        },
    ))
    .await
}
