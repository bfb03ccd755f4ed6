#![recursion_limit = "256"]
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::{aws, bus::EventBus};
use shared::config::Env;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let app = webhook_ingest::App {
        store: aws::store_from_env(&env, &sdk)?,
        bus: Arc::new(EventBus::new(
            aws::eventbridge(&sdk),
            env.require("BUS_NAME")?,
        )),
        clock: Arc::new(shared::ports::SystemClock),
        mailgun_signing_key: env.require("MAILGUN_WEBHOOK_SIGNING_KEY")?,
        tolerance_secs: env.parse_or("WEBHOOK_TOLERANCE_SECS", 900i64)?,
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |e: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<_, lambda_runtime::Error>(app.handle(e.payload).await)
        },
    ))
    .await
}
