#![recursion_limit = "256"]
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::prospecting::{DatasetUrl, ProspectSource, DEFAULT_TIMEOUT};
use shared::adapters::slack::{LogAlerter, SlackWebhook};
use shared::adapters::{aws, queue::SqsQueue};
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
    let people_search = match (
        env.get("PEOPLE_SEARCH_API_URL"),
        env.get("PEOPLE_SEARCH_API_KEY"),
    ) {
        (Some(url), Some(key)) => Some(prospect::PeopleSearchAccess {
            base_url: url.to_string(),
            api_key: key.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }),
        _ => None,
    };
    let dataset: Option<Arc<dyn ProspectSource>> = match DatasetUrl::from_env(&env)? {
        Some(d) => Some(Arc::new(d)),
        None => None,
    };
    let app = prospect::App {
        store: aws::store_from_env(&env, &sdk)?,
        enrich: Arc::new(SqsQueue::new(
            aws::sqs(&sdk),
            env.require("ENRICH_QUEUE_URL")?,
        )),
        alerter,
        clock: Arc::new(shared::ports::SystemClock),
        people_search,
        dataset,
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            shared::edge::reply(app.run().await)
        },
    ))
    .await
}
