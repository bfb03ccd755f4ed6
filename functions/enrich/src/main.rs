#![recursion_limit = "256"]
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::enrichment::{AsyncEnrich, PeopleMatch};
use shared::adapters::{aws, queue::SqsQueue};
use shared::config::Env;
use shared::ports::EnrichmentProvider;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    // Providers with credentials in the environment; the tenant's config
    // picks among them. Bad provider settings fail the cold start.
    let mut providers: Vec<Arc<dyn EnrichmentProvider>> = Vec::new();
    if let Some(p) = PeopleMatch::from_env(&env)? {
        providers.push(Arc::new(p));
    }
    if let Some(p) = AsyncEnrich::from_env(&env)? {
        providers.push(Arc::new(p));
    }
    let app = enrich::App {
        providers,
        store: aws::store_from_env(&env, &sdk)?,
        next: Arc::new(SqsQueue::new(
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
