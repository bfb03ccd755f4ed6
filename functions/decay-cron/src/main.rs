#![recursion_limit = "256"]
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::{aws, dynamo::Store};
use shared::config::{Env, StoreSettings};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let settings = StoreSettings::from_env(&env)?;
    let app = decay_cron::App {
        store: Store::new(
            aws::dynamodb(&sdk),
            settings.table_name,
            settings.due_shards,
        ),
        clock: Arc::new(shared::ports::SystemClock),
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(app.run().await?)?)
        },
    ))
    .await
}
