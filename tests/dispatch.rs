//! The send path against DynamoDB Local: crashes at every point between two
//! requests, reconciliation from the provider's records, and what a sent
//! touch costs, for one tick and for eight at once.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use integration_tests::*;
use rand::{Rng, SeedableRng};
use shared::domain::dispatch::failure::SendError;
use shared::domain::dispatch::window::SendWindow;
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::{Touch, TouchState};
use shared::error::Result;
use shared::ports::{Attempt, ChannelSender, Clock, Delivery};
use shared::store::{Fuse, Store};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// One delivery a provider recorded: lead, step, when.
type Delivered = (String, u8, DateTime<Utc>);

/// A provider with an idempotency-key record, as the real ones keep: it
/// remembers every attempt it delivered, and answers lookups from that.
/// It shares the dispatcher's fuse: a dead process calls nobody, and a
/// process may die while its call is in flight (delivered, answer lost).
#[derive(Default)]
struct Provider {
    fuse: Mutex<Option<Arc<Fuse>>>,
    /// attempt -> (lead, step, at)
    delivered: Mutex<BTreeMap<String, Delivered>>,
    /// Chance that the process dies while the call is in flight.
    die_in_flight: f64,
    /// Answer lookups with "unknown" (a provider that cannot be asked).
    opaque: bool,
    /// The process dies before the request leaves.
    die_before_delivery: bool,
    now: Mutex<Option<DateTime<Utc>>>,
}

#[async_trait]
impl ChannelSender for Provider {
    async fn send(&self, a: &Attempt<'_>) -> std::result::Result<String, SendError> {
        let dead = |reason: &str| SendError::Unknown {
            provider: "test",
            reason: reason.into(),
        };
        let fuse = self.fuse.lock().unwrap().clone();
        if fuse.as_ref().is_some_and(|f| f.blown()) {
            return Err(dead("process is dead"));
        }
        if self.die_before_delivery {
            if let Some(f) = &fuse {
                f.blow();
            }
            return Err(dead("process died before the request left"));
        }
        let at = self.now.lock().unwrap().unwrap_or_else(Utc::now);
        self.delivered.lock().unwrap().insert(
            a.attempt_id.to_string(),
            (a.touch.lead_id.clone(), a.touch.step, at),
        );
        if rand::rng().random_bool(self.die_in_flight) {
            if let Some(f) = fuse {
                f.blow();
            }
            return Err(dead("process died awaiting the answer"));
        }
        Ok(format!("p-{}", a.attempt_id))
    }

    async fn lookup(&self, _: &Touch, _: &TenantConfig, attempt_id: &str) -> Result<Delivery> {
        if self.opaque {
            return Ok(Delivery::Unknown);
        }
        Ok(match self.delivered.lock().unwrap().get(attempt_id) {
            Some(_) => Delivery::Sent(format!("p-{attempt_id}")),
            None => Delivery::NotSent,
        })
    }
}

fn dispatcher(
    store: Store,
    clock: &shared::ports::SimClock,
    provider: Arc<Provider>,
) -> dispatch_tick::App {
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    dispatch_tick::App {
        live: Some(provider),
        ..dispatch_tick::App::new(store, clock)
    }
}

fn always_open(c: &mut shared::domain::tenant::TenantConfig) {
    use shared::domain::providers::{ProviderKind, ProviderRef};
    c.shadow_mode = false;
    let secret = format!("outbound/{}/mail", c.tenant.as_str());
    let r = |provider| {
        Some(ProviderRef {
            provider,
            secret: secret.clone(),
        })
    };
    c.providers.email = r(ProviderKind::Mailgun);
    c.providers.sms = r(ProviderKind::Twilio);
    c.providers.voice = r(ProviderKind::Retell);
    c.providers.linkedin = r(ProviderKind::Heyreach);
    for w in [
        &mut c.windows.email,
        &mut c.windows.call,
        &mut c.windows.sms,
        &mut c.windows.linkedin,
    ] {
        *w = SendWindow::always();
    }
}

async fn all_touches(store: &Store, tenant: &str) -> Vec<(Lead, Vec<Touch>)> {
    let mut out = Vec::new();
    for lead in store.leads(tenant).await.unwrap() {
        let touches = store.touches(tenant, &lead.id).await.unwrap();
        out.push((lead, touches));
    }
    out
}

/// Every lead whose sequence is not over has a step that will move on its
/// own: one due, reserved, in doubt (an operator's) or marked for follow-up.
fn stalled(leads: &[(Lead, Vec<Touch>)]) -> Vec<String> {
    leads
        .iter()
        .filter(|(_, ts)| {
            let waiting = ts.iter().any(|t| t.state == TouchState::Planned);
            let moving = ts.iter().any(|t| {
                matches!(
                    t.state,
                    TouchState::Due | TouchState::Sending | TouchState::InDoubt | TouchState::Draft
                ) || t.follow_up
            });
            waiting && !moving
        })
        .map(|(l, _)| l.id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_that_ran_out_is_settled_by_asking_the_provider() {
    // GIVEN three leads whose first step was reserved by a dispatcher that
    // died: once before calling the provider, once after it delivered, and
    // once with a provider that cannot be asked
    for (case, delivered_before_death, opaque) in [
        ("never-sent", false, false),
        ("delivered", true, false),
        ("opaque", true, true),
    ] {
        let mut ls = stack(&format!("lease-{case}"), at(IN_WINDOW), None).await;
        due_tenant(&mut ls, "crash", &emails("c", 1, "NY"), always_open).await;
        let provider = Arc::new(Provider {
            die_in_flight: 1.0,
            die_before_delivery: !delivered_before_death,
            opaque,
            ..Default::default()
        });
        // The process dies during the provider call, right after its
        // reservation: before the request left, or after it was delivered.
        let fuse = Fuse::new(i64::MAX);
        *provider.fuse.lock().unwrap() = Some(fuse.clone());
        let _ = dispatcher(
            ls.store.with_fuse(fuse.clone()),
            &ls.clock,
            provider.clone(),
        )
        .tick()
        .await;
        assert!(fuse.blown());
        let t = &all_touches(&ls.store, "crash").await[0].1[0];
        assert_eq!(
            t.state,
            TouchState::Sending,
            "{case}: a reservation left behind"
        );
        assert_eq!(
            provider.delivered.lock().unwrap().len(),
            usize::from(delivered_before_death),
            "{case}"
        );
        *provider.fuse.lock().unwrap() = None;
        let app = |p: &Arc<Provider>| dispatcher(ls.store.clone(), &ls.clock, p.clone());
        // WHEN ticks run before the lease runs out, then after it
        let before = app(&provider).tick().await.unwrap();
        assert_eq!((before.sent, before.reconciled), (0, 0), "{case}");
        ls.clock.advance(Duration::minutes(6));
        let calm = Arc::new(Provider {
            opaque,
            delivered: Mutex::new(provider.delivered.lock().unwrap().clone()),
            ..Default::default()
        });
        let redelivered = app(&calm);
        let after = redelivered.tick().await.unwrap();
        let again = redelivered.tick().await.unwrap();
        // THEN the provider's answer settles it, and nothing goes out twice
        let (lead, touches) = all_touches(&ls.store, "crash").await.remove(0);
        let first = &touches[0];
        let deliveries = calm.delivered.lock().unwrap().len();
        match case {
            "never-sent" => {
                assert_eq!(after.reconciled, 1);
                assert_eq!(again.sent, 1, "due again and sent once");
                assert_eq!(first.state, TouchState::Sent);
                assert_eq!(deliveries, 1);
            }
            "delivered" => {
                assert_eq!((after.reconciled, again.sent), (1, 0));
                assert_eq!(first.state, TouchState::Sent);
                assert_eq!(deliveries, 1, "confirmed, not resent");
                assert_eq!(lead.status, LeadStatus::Contacted);
                assert!(
                    touches.iter().any(|t| t.state == TouchState::Due),
                    "the next step is due: {:?}",
                    touches.iter().map(|t| t.state).collect::<Vec<_>>()
                );
            }
            _ => {
                assert_eq!((after.in_doubt, again.sent), (1, 0));
                assert_eq!(first.state, TouchState::InDoubt);
                assert_eq!(deliveries, 1);
            }
        }
        ls.cleanup().await;
    }
}

/// Moves the clock to the next due touch; false when nothing is left.
async fn next_work(ls: &mut local_stack::runner::LocalStack) -> bool {
    match ls.store.next_due().await.unwrap() {
        None => false,
        Some(t) => {
            if t > ls.now() {
                ls.clock.advance(t - ls.now() + Duration::seconds(1));
            }
            true
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kills_never_send_twice_pass_a_cap_or_stall_a_sequence() {
    // GIVEN leads on the default five-step sequence (a new batch of 60
    // whenever the last is done), a tenant cap of 40 emails a day, windows
    // always open, and a live provider
    let mut ls = stack("kills", at(IN_WINDOW), None).await;
    let cap = 40;
    let auth = due_tenant(&mut ls, "kills", &emails("k0-", 60, "NY"), |c| {
        always_open(c);
        c.caps.email_per_tenant = cap;
    })
    .await;
    let seed: u64 = std::env::var("KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("kill test seed {seed} (KILL_SEED={seed} repeats it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let provider = Arc::new(Provider {
        die_in_flight: 0.1,
        ..Default::default()
    });
    // WHEN 1,000 dispatch ticks with due work are killed between two random
    // requests (or while a provider call is in flight), each redelivered as
    // a new tick some minutes later
    let mut attempts = 0;
    let mut batches = 1;
    let mut checks = 0;
    while attempts < 1000 {
        if !next_work(&mut ls).await {
            import(
                &mut ls,
                &auth,
                &csv(&emails(&format!("k{batches}-"), 60, "NY")),
            )
            .await;
            approve_all(&mut ls, &auth).await;
            batches += 1;
            continue;
        }
        attempts += 1;
        let fuse = Fuse::new(rng.random_range(0..16));
        *provider.fuse.lock().unwrap() = Some(fuse.clone());
        *provider.now.lock().unwrap() = Some(ls.now());
        let app = dispatcher(ls.store.with_fuse(fuse), &ls.clock, provider.clone());
        let _ = app.tick().await;
        ls.clock.advance(Duration::minutes(rng.random_range(1..12)));
        if attempts % 100 == 0 {
            checks += 1;
            let stuck = stalled(&all_touches(&ls.store, "kills").await);
            assert!(
                stuck.is_empty(),
                "after attempt {attempts}: stalled {stuck:?}"
            );
        }
    }
    // ... then the dispatcher runs undisturbed until every sequence is over
    *provider.fuse.lock().unwrap() = None;
    let mut calm = 0;
    let app = dispatcher(ls.store.clone(), &ls.clock, provider.clone());
    ls.clock.advance(Duration::minutes(1));
    while next_work(&mut ls).await {
        calm += 1;
        assert!(calm < 5000, "the sequences never ended");
        *provider.now.lock().unwrap() = Some(ls.now());
        app.tick().await.unwrap();
    }
    // THEN 0 sent twice, 0 over a cap, 0 sequences stalled, 0 leads left
    // queued after a confirmed send, and every delivery confirmed once
    let delivered = provider.delivered.lock().unwrap().clone();
    let mut per_touch: HashMap<(String, u8), u32> = HashMap::new();
    let mut per_day: HashMap<chrono::NaiveDate, u32> = HashMap::new();
    let tz = chrono_tz::America::New_York;
    for (lead, step, at) in delivered.values() {
        *per_touch.entry((lead.clone(), *step)).or_default() += 1;
        *per_day
            .entry(at.with_timezone(&tz).date_naive())
            .or_default() += 1;
    }
    let twice: Vec<_> = per_touch.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let over: Vec<_> = per_day.iter().filter(|(_, n)| **n > cap).collect();
    assert!(over.is_empty(), "over the tenant cap: {over:?}");
    for day in per_day.keys() {
        for (scope, used, limit) in ls.store.counters("kills", *day).await.unwrap() {
            assert!(used <= limit, "{day} {scope}: {used} > {limit}");
        }
    }
    let leads = all_touches(&ls.store, "kills").await;
    assert!(stalled(&leads).is_empty());
    let mut sent = 0;
    let mut states: BTreeMap<&str, u32> = BTreeMap::new();
    for (lead, touches) in &leads {
        for t in touches {
            *states.entry(t.state.as_str()).or_default() += 1;
            assert!(!t.follow_up, "{} step {} follow-up left", lead.id, t.step);
            assert!(
                !matches!(
                    t.state,
                    TouchState::Due | TouchState::Sending | TouchState::Planned
                ),
                "{} step {} still {:?}",
                lead.id,
                t.step,
                t.state
            );
        }
        let confirmed: HashSet<u8> = touches
            .iter()
            .filter(|t| t.state == TouchState::Sent)
            .map(|t| t.step)
            .collect();
        sent += confirmed.len();
        if !confirmed.is_empty() {
            assert_ne!(lead.status, LeadStatus::Queued, "{} left queued", lead.id);
        }
        for ((l, step), _) in per_touch.iter().filter(|((l, _), _)| *l == lead.id) {
            assert!(
                confirmed.contains(step),
                "{l} step {step} delivered, never confirmed"
            );
        }
    }
    assert_eq!(sent, delivered.len(), "every delivery confirmed once");
    println!(
        "random kills: {attempts} killed dispatch ticks, {batches} batches of 60 leads, {checks} mid-run checks, {calm} calm ticks after, {} deliveries over {} days, touch states {states:?}",
        delivered.len(),
        per_day.len()
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_touch_costs_at_most_three_requests_whatever_the_table_or_concurrency() {
    // One tick over 20 due touches, in a table without and with 600 idle leads.
    let mut figures = Vec::new();
    for (size, extra) in [("small", 0usize), ("large", 600usize)] {
        let mut ls = stack(&format!("cost-{size}"), at(IN_WINDOW), None).await;
        due_tenant(&mut ls, "cost", &emails("c", 20, "NY"), |_| {}).await;
        let t = shared::domain::ids::TenantId::parse("cost").unwrap();
        let parsed = shared::domain::targeting::intake::parse_csv(
            &t,
            &Default::default(),
            csv(&emails("idle", extra, "NY")).as_bytes(),
            "idle",
            ls.now(),
        )
        .unwrap();
        for shared::domain::targeting::intake::Row { lead, .. } in parsed.leads {
            ls.store.import_lead(&lead, ls.now()).await.unwrap();
        }
        let report = ls.tick().await.unwrap();
        let idle = ls.tick().await.unwrap();
        assert_eq!(report.sent, 20);
        let per_touch = report.dynamodb_requests as f64 / f64::from(report.sent);
        println!(
            "tick cost, table with {} leads: {} requests for {} sends = {per_touch:.2} per sent touch; idle tick: {} requests",
            20 + extra,
            report.dynamodb_requests,
            report.sent,
            idle.dynamodb_requests
        );
        assert!(per_touch <= 3.0, "{per_touch:.2} requests per sent touch");
        figures.push((report.dynamodb_requests, idle.dynamodb_requests));
        ls.cleanup().await;
    }
    assert_eq!(
        figures[0], figures[1],
        "tick cost must not grow with idle leads"
    );
    assert_eq!(figures[0].1, 4, "an idle tick is one query per shard");

    // One tick vs eight at once over the same backlog of 120 due touches.
    let mut runs = Vec::new();
    for ticks in [1usize, 8] {
        let mut ls = stack(&format!("cost-x{ticks}"), at(IN_WINDOW), None).await;
        due_tenant(&mut ls, "cost", &emails("b", 120, "NY"), |c| {
            c.caps.email_per_mailbox = 500;
            c.caps.email_per_tenant = 500;
        })
        .await;
        let clock: Arc<dyn Clock> = Arc::new(ls.clock.clone());
        let before = ls.store.requests();
        let started = std::time::Instant::now();
        let handles: Vec<_> = (0..ticks)
            .map(|_| {
                let app = dispatch_tick::App::new(ls.store.clone(), clock.clone());
                tokio::spawn(async move { app.tick().await.unwrap() })
            })
            .collect();
        let reports: Vec<_> = futures::future::join_all(handles)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        let elapsed = started.elapsed();
        let requests = ls.store.requests() - before;
        let sent: u32 = reports.iter().map(|r| r.sent).sum();
        let lost: u32 = reports.iter().map(|r| r.lost_race).sum();
        let worked: Vec<u32> = reports.iter().map(|r| r.shards_worked).collect();
        assert_eq!(sent, 120, "every due touch sent once");
        assert_eq!(ls.store.outbox("cost").await.unwrap().len(), 120);
        let per_touch = requests as f64 / f64::from(sent);
        println!(
            "{ticks} concurrent tick(s): {requests} requests for {sent} sends = {per_touch:.2} per sent touch, {lost} lost races, shards worked per tick {worked:?}, {} ms",
            elapsed.as_millis()
        );
        runs.push(per_touch);
        ls.cleanup().await;
    }
    println!(
        "eight ticks at once cost {:.2}x one tick per sent touch",
        runs[1] / runs[0]
    );
    assert!(runs[0] <= 3.0);
    assert!(
        runs[1] <= 1.5 * runs[0],
        "eight ticks: {:.2}x",
        runs[1] / runs[0]
    );
}

/// The real live senders (the Mailgun adapter over HTTP) in a process that
/// dies: nothing leaves once its fuse has blown, and it may die while the
/// answer of a request the provider took is awaited.
struct Dying {
    inner: Arc<dyn ChannelSender>,
    fuse: Mutex<Option<Arc<Fuse>>>,
    die_in_flight: f64,
}

#[async_trait]
impl ChannelSender for Dying {
    async fn send(&self, a: &Attempt<'_>) -> std::result::Result<String, SendError> {
        let dead = |reason: &str| SendError::Unknown {
            provider: "mailgun",
            reason: reason.into(),
        };
        let fuse = self.fuse.lock().unwrap().clone();
        if fuse.as_ref().is_some_and(|f| f.blown()) {
            return Err(dead("process is dead"));
        }
        let answer = self.inner.send(a).await;
        if answer.is_ok() && rand::rng().random_bool(self.die_in_flight) {
            if let Some(f) = fuse {
                f.blow();
            }
            return Err(dead("process died awaiting the answer"));
        }
        answer
    }

    async fn lookup(&self, t: &Touch, c: &TenantConfig, attempt: &str) -> Result<Delivery> {
        self.inner.lookup(t, c, attempt).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kills_against_the_mailgun_stand_in_are_settled_from_its_events() {
    use local_stack::standins::{Faults, StandInKeys, StandIns};
    // GIVEN a live tenant on Mailgun (the stand-in, with a 429 and a 500
    // now and then), three email steps a day apart, 50 emails a day, and
    // a new batch of 40 leads whenever the last is done
    let stand = StandIns::start(StandInKeys::default(), Faults::SOME).await;
    let mut ls = stack("killslive", at(IN_WINDOW), None).await;
    ls.use_provider_urls(shared::adapters::senders::live::ProviderUrls {
        mailgun: Some(stand.mailgun.uri()),
        ..Default::default()
    });
    let tenant = "killslive";
    let secret = format!("outbound/{tenant}/mailgun");
    ls.put_secret(&secret, &stand.secrets()["mailgun"])
        .await
        .unwrap();
    let cap = 50;
    let auth = due_tenant(&mut ls, tenant, &emails("m0-", 40, "NY"), |c| {
        always_open(c);
        c.providers = Default::default();
        c.providers.email = Some(shared::domain::providers::ProviderRef {
            provider: shared::domain::providers::ProviderKind::Mailgun,
            secret: secret.clone(),
        });
        c.sequence = (1..=3)
            .map(|step| shared::domain::dispatch::sequence::SequenceStep {
                step,
                day: u32::from(step - 1),
                channel: shared::domain::touch::Channel::Email,
                purpose: format!("email {step}"),
                conditions: vec![],
                template: Some(if step == 1 { "intro" } else { "value" }.into()),
            })
            .collect();
        c.caps.email_per_tenant = cap;
    })
    .await;
    let seed: u64 = std::env::var("KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("live kill test seed {seed} (KILL_SEED={seed} repeats it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let sender = Arc::new(Dying {
        inner: ls.dispatch.live.clone().unwrap(),
        fuse: Mutex::new(None),
        die_in_flight: 0.1,
    });
    let app = |store: Store, clock: &shared::ports::SimClock, sender: Arc<Dying>| {
        let clock: Arc<dyn Clock> = Arc::new(clock.clone());
        dispatch_tick::App {
            live: Some(sender),
            ..dispatch_tick::App::new(store, clock)
        }
    };
    // WHEN 1,000 dispatch ticks with due work die between two random
    // requests (or while Mailgun's answer is on its way)
    let (mut attempts, mut batches) = (0, 1);
    let mut settled = dispatch_tick::TickReport::default();
    while attempts < 1000 {
        if !next_work(&mut ls).await {
            let rows = emails(&format!("m{batches}-"), 40, "NY");
            import(&mut ls, &auth, &csv(&rows)).await;
            approve_all(&mut ls, &auth).await;
            batches += 1;
            continue;
        }
        attempts += 1;
        let fuse = Fuse::new(rng.random_range(0..16));
        *sender.fuse.lock().unwrap() = Some(fuse.clone());
        if let Ok(r) = app(ls.store.with_fuse(fuse), &ls.clock, sender.clone())
            .tick()
            .await
        {
            settled.reconciled += r.reconciled;
            settled.awaiting_provider += r.awaiting_provider;
        }
        ls.clock.advance(Duration::minutes(rng.random_range(1..12)));
    }
    // ... then it runs undisturbed until every sequence is over
    *sender.fuse.lock().unwrap() = None;
    let calm_app = app(ls.store.clone(), &ls.clock, sender.clone());
    let mut calm = 0;
    ls.clock.advance(Duration::minutes(1));
    while next_work(&mut ls).await {
        calm += 1;
        assert!(calm < 5000, "the sequences never ended");
        let r = calm_app.tick().await.unwrap();
        settled.reconciled += r.reconciled;
        settled.awaiting_provider += r.awaiting_provider;
        settled.in_doubt += r.in_doubt;
    }
    // THEN Mailgun took no attempt twice and no touch twice, no day passed
    // the cap, no touch is left in doubt, and every email it took is a
    // confirmed touch under Mailgun's id
    let tally = stand.tallies()["mailgun"].clone();
    assert_eq!(tally.doubled, 0, "an attempt taken twice");
    let accepted = stand.accepted();
    let mut per_touch: HashMap<(String, String), u32> = HashMap::new();
    let mut by_attempt: HashMap<String, String> = HashMap::new();
    for a in &accepted {
        let key = (a.fields["v:lead"].clone(), a.fields["v:step"].clone());
        *per_touch.entry(key).or_default() += 1;
        by_attempt.insert(a.attempt.clone(), a.id.clone());
    }
    let twice: Vec<_> = per_touch.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let leads = all_touches(&ls.store, tenant).await;
    assert!(stalled(&leads).is_empty());
    let (mut confirmed, mut days) = (0, std::collections::BTreeSet::new());
    for (lead, touches) in &leads {
        for t in touches {
            assert!(
                matches!(
                    t.state,
                    TouchState::Sent | TouchState::Skipped | TouchState::Cancelled
                ),
                "{} step {} left {:?}",
                lead.id,
                t.step,
                t.state
            );
            if t.state == TouchState::Sent {
                confirmed += 1;
                let attempt = t.attempt_id.clone().unwrap();
                assert_eq!(
                    by_attempt.get(&attempt),
                    t.provider_message_id.as_ref(),
                    "{} step {}: confirmed under Mailgun's id",
                    lead.id,
                    t.step
                );
                days.insert(
                    t.sent_at
                        .unwrap()
                        .with_timezone(&chrono_tz::America::New_York)
                        .date_naive(),
                );
            }
        }
    }
    assert_eq!(
        confirmed,
        accepted.len(),
        "every email taken, confirmed once"
    );
    for day in &days {
        for (scope, used, limit) in ls.store.counters(tenant, *day).await.unwrap() {
            assert!(used <= limit, "{day} {scope}: {used} > {limit}");
        }
    }
    assert!(ls.store.in_doubt(tenant).await.unwrap().is_empty());
    assert_eq!(settled.in_doubt, 0, "{settled:?}");
    assert!(
        settled.reconciled > 0 && settled.awaiting_provider > 0,
        "both answers were needed: {settled:?}"
    );
    println!(
        "live random kills: {attempts} killed ticks, {batches} batches of 40 leads, {calm} calm ticks; mailgun took {} emails ({} 429s, {} 500s, {} event lookups), {} reconciled from its events, {} asked again later, 0 in doubt",
        accepted.len(),
        tally.rate_limited,
        tally.failed,
        tally.lookups,
        settled.reconciled,
        settled.awaiting_provider,
    );
    ls.cleanup().await;
}
