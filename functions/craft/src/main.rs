#![recursion_limit = "256"]
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws;
use shared::config::Env;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let app = craft::App {
        store: aws::store_from_env(&env, &sdk)?,
        links: craft::UnsubscribeLinks {
            base_url: env.require("UNSUBSCRIBE_BASE_URL")?,
            signing_key: env.require("LINK_SIGNING_KEY")?,
        },
        clock: Arc::new(shared::ports::SystemClock),
        writer: shared::adapters::writer::AnthropicWriter::from_env(&env)?
            .map(|w| Arc::new(w) as Arc<dyn shared::ports::Writer>),
    };
    let app = &app;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(app.handle(e.payload).await)
    }))
    .await
}
