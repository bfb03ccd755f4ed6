#![recursion_limit = "256"]
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::{aws, bus::EventBus, queue::SqsQueue};
use shared::config::Env;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let app = admin::App {
        store: aws::store_from_env(&env, &sdk)?,
        enrich: Arc::new(SqsQueue::new(
            aws::sqs(&sdk),
            env.require("ENRICH_QUEUE_URL")?,
        )),
        score: Arc::new(SqsQueue::new(
            aws::sqs(&sdk),
            env.require("SCORE_QUEUE_URL")?,
        )),
        craft: Arc::new(SqsQueue::new(
            aws::sqs(&sdk),
            env.require("CRAFT_QUEUE_URL")?,
        )),
        bus: Arc::new(EventBus::new(
            aws::eventbridge(&sdk),
            env.require("BUS_NAME")?,
        )),
        clock: Arc::new(shared::ports::SystemClock),
        bootstrap_token: env.require("ADMIN_BOOTSTRAP_TOKEN")?,
        links: shared::domain::content::template::UnsubscribeLinks {
            base_url: env.require("UNSUBSCRIBE_BASE_URL")?,
            signing_key: env.require("LINK_SIGNING_KEY")?,
        },
        batch_ttl: chrono::Duration::hours(env.parse_or("BATCH_TTL_HOURS", 24i64)?),
        live: Some(aws::live_senders(
            &env,
            aws::secretsmanager(&sdk),
            Arc::new(shared::ports::SystemClock),
        )?),
        session_key: env.require("CONSOLE_SESSION_KEY")?.into_bytes(),
        mailgun_signing_key_set: env
            .get("MAILGUN_WEBHOOK_SIGNING_KEY")
            .is_some_and(|k| !k.is_empty()),
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |e: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<_, lambda_runtime::Error>(app.handle(e.payload).await)
        },
    ))
    .await
}
