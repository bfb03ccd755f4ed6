#![recursion_limit = "256"]
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::{aws, queue::SqsQueue};
use shared::config::Env;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let app = score::App {
        store: aws::store_from_env(&env, &sdk)?,
        next: Arc::new(SqsQueue::new(
            aws::sqs(&sdk),
            env.require("CRAFT_QUEUE_URL")?,
        )),
        rescore: Arc::new(SqsQueue::new(
            aws::sqs(&sdk),
            env.require("SCORE_QUEUE_URL")?,
        )),
        clock: Arc::new(shared::ports::SystemClock),
    };
    let app = &app;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(app.handle(e.payload).await)
    }))
    .await
}
