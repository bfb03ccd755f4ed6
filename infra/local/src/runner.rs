//! The local runner plays Lambda's event sources on a simulated clock: it
//! polls the emulator's queues and calls the same handlers with Lambda's
//! batch semantics (partial failures are redelivered after the visibility
//! timeout, and land in the DLQ after `maxReceiveCount`), fires the
//! template's schedules, and routes HTTP API requests to the admin and
//! webhook handlers. Bus rules deliver to their SQS targets in moto itself.

use crate::emulators::Endpoints;
use crate::provision::{provision, Provisioned, Template};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue, Method};
use aws_lambda_events::query_map::QueryMap;
use chrono::{DateTime, Duration, Timelike, Utc};
use dispatch_tick::TickReport;
use shared::adapters::bus::EventBus;
use shared::adapters::queue::SqsQueue;
use shared::adapters::slack::{LogAlerter, SlackWebhook};
use shared::ports::{Alerter, Clock, SimClock};
use shared::store::Store;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Secrets and settings the local stack passes as template parameters.
pub fn local_parameters(slack_url: Option<&str>) -> HashMap<String, String> {
    HashMap::from([
        (
            "MailgunWebhookSigningKey".to_string(),
            LOCAL_MAILGUN_KEY.to_string(),
        ),
        (
            "AdminBootstrapToken".to_string(),
            LOCAL_BOOTSTRAP_TOKEN.to_string(),
        ),
        (
            "LinkSigningKey".to_string(),
            "local-link-signing-key-not-a-secret".to_string(),
        ),
        (
            "ConsoleSessionKey".to_string(),
            LOCAL_CONSOLE_KEY.to_string(),
        ),
        (
            "SlackWebhookUrl".to_string(),
            slack_url.unwrap_or("").to_string(),
        ),
        (
            "UnsubscribeBaseUrl".to_string(),
            "http://localhost:9000/unsubscribe".to_string(),
        ),
    ])
}

/// Local-only credentials (the emulators check none).
pub const LOCAL_MAILGUN_KEY: &str = "local-mailgun-signing-key";
pub const LOCAL_BOOTSTRAP_TOKEN: &str = "local-bootstrap-token-not-a-secret";
/// The local stack's console session key (not a secret: local only).
pub const LOCAL_CONSOLE_KEY: &str = "local-console-session-key-not-a-secret";

pub use crate::schedule::Schedule;

fn local_clients(
    endpoints: &Endpoints,
) -> (
    aws_sdk_dynamodb::Client,
    aws_sdk_sqs::Client,
    aws_sdk_eventbridge::Client,
    aws_sdk_secretsmanager::Client,
) {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let creds = Credentials::new("local", "local", None, None, "local-stack");
    // The SDK crates bring no HTTP client of their own (see the root
    // Cargo.toml): the functions' one stack serves the local stack too.
    let http = shared::adapters::http::sdk_client();
    let ddb = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(creds.clone())
        .endpoint_url(&endpoints.dynamodb)
        .http_client(http.clone())
        .build();
    let sqs = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(creds.clone())
        .endpoint_url(&endpoints.sqs_events)
        .http_client(http.clone())
        .build();
    let ev = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
        .credentials_provider(creds.clone())
        .endpoint_url(&endpoints.sqs_events)
        .http_client(http.clone())
        .build();
    // moto serves Secrets Manager on the same endpoint as SQS and EventBridge.
    let sm = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .endpoint_url(&endpoints.sqs_events)
        .http_client(http)
        .build();
    (
        aws_sdk_dynamodb::Client::from_conf(ddb),
        aws_sdk_sqs::Client::from_conf(sqs),
        aws_sdk_eventbridge::Client::from_conf(ev),
        aws_sdk_secretsmanager::Client::from_conf(sm),
    )
}

/// A message that failed and is invisible until `at` (virtual time).
struct Retry {
    queue_url: String,
    receipt: String,
    at: DateTime<Utc>,
}

/// An HTTP answer from a handler.
impl From<aws_lambda_events::apigw::ApiGatewayV2httpResponse> for HttpAnswer {
    fn from(resp: aws_lambda_events::apigw::ApiGatewayV2httpResponse) -> Self {
        let body = match resp.body {
            Some(aws_lambda_events::encodings::Body::Text(t)) => t,
            Some(aws_lambda_events::encodings::Body::Binary(b)) => {
                String::from_utf8_lossy(&b).to_string()
            }
            _ => String::new(),
        };
        HttpAnswer {
            status: resp.status_code as u16,
            body,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: String,
}

impl HttpAnswer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Counters of what the runner delivered.
#[derive(Debug, Default, Clone)]
pub struct Deliveries {
    pub sqs_messages: u64,
    pub sqs_failures: u64,
    pub schedule_firings: BTreeMap<String, u64>,
}

pub struct LocalStack {
    pub provisioned: Provisioned,
    pub clock: SimClock,
    pub store: Store,
    pub ddb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
    /// Secrets Manager (moto): where tests and the demo put provider credentials.
    pub secrets: aws_sdk_secretsmanager::Client,
    pub enrich: enrich::App,
    pub score: score::App,
    pub craft: craft::App,
    pub dispatch: dispatch_tick::App,
    pub webhook: webhook_ingest::App,
    pub breaker: breaker_evaluator::App,
    pub decay: decay_cron::App,
    pub prospect: prospect::App,
    pub admin: admin::App,
    pub ticks: Vec<TickReport>,
    pub deliveries: Deliveries,
    retries: Vec<Retry>,
    next_fire: BTreeMap<(String, usize), DateTime<Utc>>,
    /// The runner elides dispatch ticks that cannot do anything: after a
    /// tick that changed nothing, the next one runs this much later.
    idle_tick_backoff: Duration,
    last_tick: Option<(DateTime<Utc>, bool)>,
    /// No tenant had a mailbox to read at the last look: until then the
    /// mailbox schedule is elided.
    mailboxes_idle_until: Option<DateTime<Utc>>,
    /// Something may have sent a message since the queues were last empty.
    /// Only HTTP handlers, queue consumers and redeliveries enqueue (the
    /// scheduled functions do not), so polling is skipped otherwise.
    queues_dirty: bool,
}

impl LocalStack {
    /// Provisions a stack named `stack_name` from `infra/template.yaml` in
    /// the emulators at `endpoints`, and builds every handler on it.
    pub async fn start(
        endpoints: &Endpoints,
        stack_name: &str,
        start: DateTime<Utc>,
        slack_url: Option<&str>,
    ) -> Result<Self, String> {
        let template = Template::load(&crate::emulators::repo_root().join("infra/template.yaml"))
            .map_err(|e| e.to_string())?;
        let (ddb, sqs, events, secrets) = local_clients(endpoints);
        let params = local_parameters(slack_url);
        let provisioned = provision(&template, stack_name, &params, &ddb, &sqs, &events)
            .await
            .map_err(|e| e.to_string())?;
        let clock = SimClock::starting_at(start);
        let clock_dyn: Arc<dyn Clock> = Arc::new(clock.clone());
        let env =
            |binary: &str| shared::config::Env::from_map(provisioned.function(binary).env.clone());
        let settings = shared::config::StoreSettings::from_env(&env("dispatch-tick"))
            .map_err(|e| e.to_string())?;
        let store = Store::new(
            ddb.clone(),
            settings.table_name.clone(),
            settings.due_shards,
        );
        // One store serves every local function: it keys erased people's
        // hashes as the deployed admin, enrich, prospect and webhook
        // functions do (their LINK_SIGNING_KEY).
        let store = match shared::config::StoreSettings::from_env(&env("admin"))
            .ok()
            .and_then(|s| s.erasure_key)
            .as_deref()
            .and_then(shared::store::ErasureKey::new)
        {
            Some(key) => store.with_erasure_key(key),
            None => store,
        };
        let queue = |binary: &str, var: &str| -> Result<Arc<SqsQueue>, String> {
            Ok(Arc::new(SqsQueue::new(
                sqs.clone(),
                env(binary).require(var).map_err(|e| e.to_string())?,
            )))
        };
        let bus = Arc::new(EventBus::new(events.clone(), provisioned.bus_name.clone()));
        let alerter: Arc<dyn Alerter> = match env("breaker-evaluator").get("SLACK_WEBHOOK_URL") {
            Some(url) => Arc::new(SlackWebhook::new(url).map_err(|e| e.to_string())?),
            None => Arc::new(LogAlerter),
        };
        let admin_env = env("admin");
        let live = shared::adapters::aws::live_senders(
            &env("dispatch-tick"),
            secrets.clone(),
            clock_dyn.clone(),
        )
        .map_err(|e| e.to_string())?;
        let craft_env = env("craft");
        let webhook_env = env("webhook-ingest");
        let req = |e: &shared::config::Env, k: &str| e.require(k).map_err(|e| e.to_string());
        let stack = Self {
            enrich: enrich::App {
                store: store.clone(),
                next: queue("enrich", "SCORE_QUEUE_URL")?,
                clock: clock_dyn.clone(),
                // No provider credentials locally; tests plug in adapters
                // pointed at local HTTP servers.
                providers: Vec::new(),
            },
            score: score::App {
                store: store.clone(),
                next: queue("score", "CRAFT_QUEUE_URL")?,
                rescore: queue("score", "SCORE_QUEUE_URL")?,
                clock: clock_dyn.clone(),
            },
            craft: craft::App {
                store: store.clone(),
                links: craft::UnsubscribeLinks {
                    base_url: req(&craft_env, "UNSUBSCRIBE_BASE_URL")?,
                    signing_key: req(&craft_env, "LINK_SIGNING_KEY")?,
                },
                clock: clock_dyn.clone(),
                // No AI writer locally unless a test plugs one in (pointed
                // at a local HTTP server).
                writer: None,
            },
            dispatch: dispatch_tick::App {
                live: Some(live.clone()),
                alerter: Some(alerter.clone()),
                ..dispatch_tick::App::new(store.clone(), clock_dyn.clone())
            },
            webhook: webhook_ingest::App {
                store: store.clone(),
                bus: bus.clone(),
                clock: clock_dyn.clone(),
                mailgun_signing_key: req(&webhook_env, "MAILGUN_WEBHOOK_SIGNING_KEY")?,
                tolerance_secs: webhook_env
                    .parse_or("WEBHOOK_TOLERANCE_SECS", 900)
                    .map_err(|e| e.to_string())?,
                secrets: Arc::new(shared::adapters::secrets::CachedSecrets::new(
                    Arc::new(shared::adapters::secrets::SecretsManager::new(
                        secrets.clone(),
                    )),
                    clock_dyn.clone(),
                    Duration::seconds(shared::adapters::secrets::CachedSecrets::DEFAULT_TTL_SECS),
                )),
                public_url: webhook_env
                    .get("PUBLIC_BASE_URL")
                    .filter(|v| !v.trim().is_empty())
                    .map(str::to_string),
                alerter: Some(alerter.clone()),
                enrich: Some(queue("webhook-ingest", "ENRICH_QUEUE_URL")?),
                imap: shared::adapters::imap::ImapSettings::default(),
            },
            breaker: breaker_evaluator::App {
                store: store.clone(),
                alerter: alerter.clone(),
                clock: clock_dyn.clone(),
            },
            decay: decay_cron::App {
                store: store.clone(),
                clock: clock_dyn.clone(),
            },
            prospect: prospect::App {
                store: store.clone(),
                enrich: queue("prospect", "ENRICH_QUEUE_URL")?,
                alerter: alerter.clone(),
                clock: clock_dyn.clone(),
                // No source credentials locally; tests point these at local
                // HTTP servers.
                people_search: None,
                dataset: None,
            },
            admin: admin::App {
                store: store.clone(),
                enrich: queue("admin", "ENRICH_QUEUE_URL")?,
                score: queue("admin", "SCORE_QUEUE_URL")?,
                craft: queue("admin", "CRAFT_QUEUE_URL")?,
                bus,
                clock: clock_dyn,
                bootstrap_token: req(&admin_env, "ADMIN_BOOTSTRAP_TOKEN")?,
                links: craft::UnsubscribeLinks {
                    base_url: req(&admin_env, "UNSUBSCRIBE_BASE_URL")?,
                    signing_key: req(&admin_env, "LINK_SIGNING_KEY")?,
                },
                batch_ttl: Duration::hours(24),
                live: Some(live),
                mailgun_signing_key_set: true,
                session_key: req(&admin_env, "CONSOLE_SESSION_KEY")?.into_bytes(),
            },
            provisioned,
            clock,
            store,
            ddb,
            sqs,
            events,
            secrets,
            ticks: Vec::new(),
            deliveries: Deliveries::default(),
            retries: Vec::new(),
            next_fire: BTreeMap::new(),
            idle_tick_backoff: Duration::minutes(60),
            last_tick: None,
            mailboxes_idle_until: None,
            queues_dirty: true,
        };
        Ok(stack)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Sends an HTTP API request to the handler its route belongs to.
    pub async fn http(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpAnswer {
        let req = Self::request(method, path_and_query, headers, body);
        HttpAnswer::from(self.handle_http(req).await)
    }

    /// Hands an HTTP API request to the handler its route belongs to, as
    /// API Gateway would: `/webhooks/{provider}` to webhook-ingest (with the
    /// path parameter), everything else to admin. `serve::serve_stack`
    /// sends real HTTP requests here.
    pub async fn handle_http(
        &mut self,
        mut req: ApiGatewayV2httpRequest,
    ) -> aws_lambda_events::apigw::ApiGatewayV2httpResponse {
        self.queues_dirty = true;
        if let Some(provider) = req
            .raw_path
            .as_deref()
            .and_then(|p| p.strip_prefix("/webhooks/"))
        {
            let provider = provider.to_string();
            req.path_parameters = HashMap::from([("provider".to_string(), provider)]);
            Box::pin(self.webhook.handle(req)).await
        } else {
            // Any operator action may unblock work: let the next tick run.
            self.last_tick = None;
            Box::pin(self.admin.handle(req)).await
        }
    }

    /// The API Gateway (HTTP API v2) request a call arrives as; with it a
    /// test can hand the same request to a handler several times at once.
    pub fn request(
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> ApiGatewayV2httpRequest {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut req = ApiGatewayV2httpRequest::default();
        req.raw_path = Some(path.to_string());
        req.raw_query_string = Some(query.to_string());
        req.request_context.http.method =
            Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        req.request_context.http.path = Some(path.to_string());
        let mut hm = HeaderMap::new();
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                HeaderValue::from_str(v),
            ) {
                hm.insert(k, v);
            }
        }
        req.headers = hm;
        let q: HashMap<String, Vec<String>> =
            form_pairs(query)
                .into_iter()
                .fold(HashMap::new(), |mut m, (k, v)| {
                    m.entry(k).or_default().push(v);
                    m
                });
        req.query_string_parameters = QueryMap::from(q);
        req.body = (!body.is_empty()).then(|| body.to_string());
        req
    }

    /// Delivers every queued message to its function until all queues are
    /// empty (messages waiting for a retry stay invisible).
    pub async fn drain(&mut self) -> Result<(), String> {
        for _ in 0..10_000 {
            let mut progressed = false;
            let functions: Vec<_> = self.provisioned.functions.values().cloned().collect();
            for f in &functions {
                for (queue_id, batch) in &f.sqs {
                    let q = self.provisioned.queues[queue_id].clone();
                    let out = self
                        .sqs
                        .receive_message()
                        .queue_url(&q.url)
                        .max_number_of_messages(*batch.min(&10))
                        .wait_time_seconds(0)
                        .message_system_attribute_names(
                            aws_sdk_sqs::types::MessageSystemAttributeName::All,
                        )
                        .send()
                        .await
                        .map_err(|e| {
                            format!(
                                "receive from {queue_id}: {}",
                                aws_sdk_sqs::error::DisplayErrorContext(e)
                            )
                        })?;
                    let messages = out.messages.unwrap_or_default();
                    if messages.is_empty() {
                        continue;
                    }
                    progressed = true;
                    let records: Vec<SqsMessage> = messages
                        .iter()
                        .map(|m| {
                            let mut r = SqsMessage::default();
                            r.message_id = m.message_id.clone();
                            r.receipt_handle = m.receipt_handle.clone();
                            r.body = m.body.clone();
                            r.event_source_arn = Some(q.arn.clone());
                            r.event_source = Some("aws:sqs".into());
                            r
                        })
                        .collect();
                    let mut event = SqsEvent::default();
                    event.records = records;
                    self.deliveries.sqs_messages += messages.len() as u64;
                    let failed = self.invoke_sqs(&f.binary, event).await?;
                    self.deliveries.sqs_failures += failed.len() as u64;
                    let now = self.clock.now();
                    for m in &messages {
                        let id = m.message_id.clone().unwrap_or_default();
                        let receipt = m.receipt_handle.clone().unwrap_or_default();
                        if failed.contains(&id) {
                            self.retries.push(Retry {
                                queue_url: q.url.clone(),
                                receipt,
                                at: now + Duration::seconds(i64::from(q.visibility_timeout)),
                            });
                        } else {
                            self.sqs
                                .delete_message()
                                .queue_url(&q.url)
                                .receipt_handle(receipt)
                                .send()
                                .await
                                .map_err(|e| {
                                    format!(
                                        "delete: {}",
                                        aws_sdk_sqs::error::DisplayErrorContext(e)
                                    )
                                })?;
                        }
                    }
                }
            }
            if !progressed {
                self.queues_dirty = false;
                return Ok(());
            }
        }
        Err("queues did not drain after 10000 rounds".into())
    }

    async fn invoke_sqs(&self, binary: &str, event: SqsEvent) -> Result<Vec<String>, String> {
        let response = match binary {
            "enrich" => Box::pin(self.enrich.handle(event)).await,
            "score" => Box::pin(self.score.handle(event)).await,
            "craft" => Box::pin(self.craft.handle(event)).await,
            "breaker-evaluator" => {
                let v = serde_json::to_value(&event).map_err(|e| e.to_string())?;
                let out = Box::pin(self.breaker.handle(v))
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(out
                    .get("batchItemFailures")
                    .and_then(|f| f.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|f| {
                        f.get("itemIdentifier")
                            .and_then(|i| i.as_str())
                            .map(str::to_string)
                    })
                    .collect());
            }
            other => return Err(format!("no SQS handler for {other}")),
        };
        Ok(response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect())
    }

    /// Makes failed messages whose (virtual) visibility timeout passed
    /// visible again; moto counts receives and redrives to the DLQ.
    async fn release_retries(&mut self) -> Result<(), String> {
        let now = self.clock.now();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.retries)
            .into_iter()
            .partition(|r| r.at <= now);
        self.retries = later;
        if !due.is_empty() {
            self.queues_dirty = true;
        }
        for r in due {
            self.sqs
                .change_message_visibility()
                .queue_url(&r.queue_url)
                .receipt_handle(&r.receipt)
                .visibility_timeout(0)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "change visibility: {}",
                        aws_sdk_sqs::error::DisplayErrorContext(e)
                    )
                })?;
        }
        Ok(())
    }

    /// One dispatch tick now.
    pub async fn tick(&mut self) -> Result<TickReport, String> {
        // Boxed, like every handler the runner calls: their futures are
        // large, and tests run on small stacks.
        let report = Box::pin(self.dispatch.tick())
            .await
            .map_err(|e| e.to_string())?;
        *self
            .deliveries
            .schedule_firings
            .entry("dispatch-tick".into())
            .or_default() += 1;
        let progressed = report.sent
            + report.waiting_for_window
            + report.waiting_for_cap
            + report.cancelled
            + report.skipped
            + report.in_doubt
            + report.reconciled
            + report.followed_up
            > 0;
        self.last_tick = Some((self.clock.now(), progressed));
        self.ticks.push(report.clone());
        Ok(report)
    }

    async fn fire(&mut self, binary: &str) -> Result<(), String> {
        *self
            .deliveries
            .schedule_firings
            .entry(binary.to_string())
            .or_default() += 1;
        match binary {
            "dispatch-tick" => {
                self.tick().await?;
            }
            "decay-cron" => {
                self.decay.run().await.map_err(|e| e.to_string())?;
            }
            "prospect" => {
                self.prospect.run().await.map_err(|e| e.to_string())?;
                self.queues_dirty = true;
            }
            "webhook-ingest" => {
                // The runner elides mailbox reads that cannot find anything:
                // with no tenant on SMTP, it looks again an hour later
                // (deployed, the read costs one query every 5 minutes).
                let now = self.clock.now();
                if self.mailboxes_idle_until.is_some_and(|t| now < t) {
                    return Ok(());
                }
                // Boxed: an IMAP read (TLS, the client's buffers) is a large
                // future, and this one sits inside every schedule firing.
                let read = Box::pin(self.webhook.read_mailboxes())
                    .await
                    .map_err(|e| e.to_string())?;
                self.mailboxes_idle_until = (read.mailboxes == 0).then(|| now + Duration::hours(1));
                self.queues_dirty = true;
            }
            "breaker-evaluator" => {
                let event = serde_json::json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
                Box::pin(self.breaker.handle(event))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            other => return Err(format!("no scheduled handler for {other}")),
        }
        Ok(())
    }

    /// Earliest time the dispatch schedule has work to do.
    async fn next_dispatch(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
        let Some(due) = self.store.next_due().await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        // The schedule fires on whole minutes.
        let mut at = Schedule::Rate(Duration::minutes(1)).next_after(due - Duration::seconds(1));
        if due.second() == 0 && due.nanosecond() == 0 {
            at = due;
        }
        if let Some((last, progressed)) = self.last_tick {
            let min_gap = if progressed {
                Duration::minutes(1)
            } else {
                self.idle_tick_backoff
            };
            at = at.max(last + min_gap);
        }
        Ok(Some(at.max(now)))
    }

    /// Runs the whole system on the simulated clock until `end`: delivers
    /// queues, fires schedules, releases retries, jumping straight to the
    /// next moment at which something can happen.
    pub async fn run_until(&mut self, end: DateTime<Utc>) -> Result<(), String> {
        let functions: Vec<_> = self.provisioned.functions.values().cloned().collect();
        loop {
            if self.queues_dirty {
                self.drain().await?;
            }
            let now = self.clock.now();
            if now >= end {
                return Ok(());
            }
            let mut next = end;
            for f in &functions {
                if f.binary == "dispatch-tick" {
                    continue;
                }
                for (i, s) in f.schedules.iter().enumerate() {
                    let sched = Schedule::parse(s)?;
                    let at = *self
                        .next_fire
                        .entry((f.binary.clone(), i))
                        .or_insert_with(|| sched.next_after(now));
                    next = next.min(at);
                }
            }
            let dispatch_at = self.next_dispatch(now).await?;
            if let Some(at) = dispatch_at {
                next = next.min(at);
            }
            if let Some(r) = self.retries.iter().map(|r| r.at).min() {
                next = next.min(r);
            }
            let next = next.max(now);
            self.clock.set(next);
            self.release_retries().await?;
            for f in &functions {
                if f.binary == "dispatch-tick" {
                    continue;
                }
                for (i, s) in f.schedules.iter().enumerate() {
                    let key = (f.binary.clone(), i);
                    if self.next_fire.get(&key).is_some_and(|at| *at <= next) {
                        self.fire(&f.binary).await?;
                        self.next_fire
                            .insert(key, Schedule::parse(s)?.next_after(next));
                    }
                }
            }
            // Each pass moves time forward: a tick pushes the next one at
            // least a minute out, and fired schedules and released retries
            // get later times.
            if dispatch_at.is_some_and(|at| at <= next) {
                self.fire("dispatch-tick").await?;
            }
        }
    }

    /// Delivers queues only (no schedules) until `end`, redelivering failed
    /// messages after their visibility timeout: Lambda's SQS semantics alone.
    pub async fn run_queues_until(&mut self, end: DateTime<Utc>) -> Result<(), String> {
        loop {
            self.drain().await?;
            let Some(next) = self.retries.iter().map(|r| r.at).min() else {
                return Ok(());
            };
            if next > end {
                return Ok(());
            }
            self.clock.set(next.max(self.clock.now()));
            self.release_retries().await?;
        }
    }

    /// Number of messages in a queue's dead-letter queue.
    pub async fn dlq_depth(&self, queue_logical_id: &str) -> Result<usize, String> {
        let q = &self.provisioned.queues[queue_logical_id];
        let dlq = q
            .dlq
            .as_ref()
            .ok_or_else(|| format!("{queue_logical_id} has no DLQ"))?;
        let url = &self.provisioned.queues[dlq].url;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        Ok(out
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                    .cloned()
            })
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Deletes this stack's table (queues are cheap and left to the emulator).
    pub async fn cleanup(&self) {
        crate::provision::delete_table(&self.ddb, &self.provisioned.table_name).await;
    }
}

fn form_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

pub use crate::mailgun::{mailgun_event, mailgun_reply};
