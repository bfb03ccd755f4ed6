#![recursion_limit = "256"]
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws;
use shared::config::Env;
use shared::ports::{Clock, SystemClock};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::edge::init_tracing();
    let env = Env::from_process();
    let sdk = aws::sdk_config().await;
    let store = aws::store_from_env(&env, &sdk)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // A tenant in shadow mode sends to the outbox; one that went live
    // (POST /admin/go-live) sends through its providers.
    let live = aws::live_senders(&env, aws::secretsmanager(&sdk), clock.clone())?;
    let alerter: Arc<dyn shared::ports::Alerter> = match env.get("SLACK_WEBHOOK_URL") {
        Some(url) if !url.is_empty() => Arc::new(shared::adapters::slack::SlackWebhook::new(url)?),
        _ => Arc::new(shared::adapters::slack::LogAlerter),
    };
    let app = dispatch_tick::App {
        live: Some(live),
        alerter: Some(alerter),
        lease: chrono::Duration::seconds(env.parse_or("SEND_LEASE_SECS", 300i64)?),
        per_shard_limit: env.parse_or("DUE_PER_SHARD_LIMIT", 200i32)?,
        shard_lease: chrono::Duration::seconds(env.parse_or("SHARD_LEASE_SECS", 50i64)?),
        ..dispatch_tick::App::new(store, clock)
    };
    let app = &app;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            let report = app.tick().await;
            if let Ok(report) = &report {
                println!("{}", dispatch_tick::emf_line(report));
            }
            shared::edge::reply(report)
        },
    ))
    .await
}
