//! The dialing desk on the local stack: a simulated business day of 500
//! leads across the five US zones and Arizona, dialled through the Retell
//! stand-in (which answers with a realistic mix of outcomes after 30-120
//! s, reported by signed webhooks), with the runner's clock moved a
//! minute per tick. What must hold: concurrency, pacing, windows, zone
//! order, caps, attempts and a crashed tick's resume.

use chrono::{DateTime, Duration, Timelike, Utc};
use integration_tests::hooks::{deliver, retell, HOOKS};
use integration_tests::*;
use local_stack::runner::LocalStack;
use local_stack::standins::{Faults, StandInKeys, StandIns};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use shared::adapters::senders::live::ProviderUrls;
use shared::domain::dialing::CallHours;
use shared::domain::dispatch::sequence::SequenceStep;
use shared::domain::ids::{LeadId, TenantId};
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::providers::{ProviderKind, ProviderRef};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::{Channel, Touch};
use std::collections::{BTreeMap, BTreeSet};

/// (zone, area code): the five US zones and Arizona, which keeps MST.
const ZONES: [(&str, &str); 6] = [
    ("America/New_York", "212"),
    ("America/Chicago", "312"),
    ("America/Denver", "303"),
    ("America/Phoenix", "602"),
    ("America/Los_Angeles", "213"),
    ("Pacific/Honolulu", "808"),
];

/// Monday 2026-12-07, 07:55 in New York.
const MONDAY: &str = "2026-12-07T12:55:00Z";

struct Desk {
    ls: LocalStack,
    stand: StandIns,
    tenant: String,
    auth: String,
    /// lead id -> (zone, call hours)
    leads: BTreeMap<String, (String, Option<CallHours>)>,
    /// Every call the stand-in took, with how it ends.
    calls: Vec<Call>,
    seen: usize,
    rng: rand::rngs::StdRng,
    /// DynamoDB requests the ticks made.
    requests: u64,
    /// Wall time in ticks and in webhooks.
    tick_time: std::time::Duration,
    hook_time: std::time::Duration,
    /// Outcomes decided by the test for some leads (else the mix).
    forced: BTreeMap<String, &'static str>,
}

/// A live tenant whose calls go through the Retell stand-in, with
/// `numbers` caller ids and a one-step call sequence; `n` leads spread
/// over the zones, every fifth with its own hours, each with its call due.
async fn desk(
    name: &str,
    n: usize,
    zones: usize,
    numbers: usize,
    faults: Faults,
    tweak: impl FnOnce(&mut TenantConfig),
) -> Desk {
    let stand = StandIns::start(StandInKeys::default(), faults).await;
    let mut ls = stack(name, at(MONDAY), None).await;
    ls.use_provider_urls(ProviderUrls {
        retell: Some(stand.retell.uri()),
        ..ProviderUrls::default()
    });
    let tenant = name.replace('-', "");
    let secret = format!("outbound/{tenant}/retell");
    ls.put_secret(&secret, &stand.secrets()["retell"])
        .await
        .unwrap();
    ls.webhook.public_url = Some(HOOKS.into());
    let auth = integration_tests::tenant(&mut ls, &tenant, |c| {
        c.shadow_mode = false;
        c.providers.voice = Some(ProviderRef {
            provider: ProviderKind::Retell,
            secret: secret.clone(),
        });
        c.phone_numbers = (0..numbers)
            .map(|i| format!("+1512555{:04}", 100 + i))
            .collect();
        c.sequence = vec![SequenceStep {
            step: 1,
            day: 0,
            channel: Channel::Voice,
            purpose: "call".into(),
            conditions: vec![],
            template: Some("call".into()),
        }];
        tweak(c);
    })
    .await;
    let tid = TenantId::parse(&tenant).unwrap();
    let now = ls.now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut leads = BTreeMap::new();
    let mut rows = vec![];
    for i in 0..n {
        let (zone, area) = ZONES[i % zones];
        let phone = format!("+1{area}55{:05}", i);
        let id = LeadId::from_dedup_key(&tid, &format!("phone:{phone}")).to_string();
        let hours =
            (zones == ZONES.len() && i % 5 == 4).then(|| CallHours::parse("11:00-15:00").unwrap());
        leads.insert(id.clone(), (zone.to_string(), hours));
        rows.push(Lead {
            tenant: tenant.clone(),
            id,
            phone: Some(phone),
            company: Some(format!("Dealer {i}")),
            first_name: Some(format!("Jo{i}")),
            timezone: Some(zone.into()),
            score: Some(rng.random_range(40..100)),
            status: LeadStatus::Queued,
            call_hours: hours,
            source: "test".into(),
            created_at: now,
            updated_at: now,
            ..Lead::default()
        });
    }
    for chunk in rows.chunks(50) {
        ls.store.import_leads(chunk, now).await.unwrap();
    }
    for l in &rows {
        let touch: Touch = serde_json::from_value(json!({
            "tenant": tenant, "lead_id": l.id, "step": 1, "day": 0, "channel": "voice",
            "state": "due", "recipient": l.phone, "timezone": l.timezone,
            "lead_phone": l.phone, "message": {"body": "Reviews call for {{company}}", "template_id": "call", "subject": null},
            "fingerprint": "f", "due_at": now, "created_at": now,
        }))
        .unwrap();
        assert!(ls
            .store
            .put_requested(&[touch], "test call", now)
            .await
            .unwrap());
    }
    Desk {
        ls,
        stand,
        tenant,
        auth,
        leads,
        calls: vec![],
        seen: 0,
        rng: rand::rngs::StdRng::seed_from_u64(11),
        requests: 0,
        forced: BTreeMap::new(),
        tick_time: std::time::Duration::ZERO,
        hook_time: std::time::Duration::ZERO,
    }
}

/// One call as the stand-in saw it, and how it ends.
#[derive(Debug, Clone)]
struct Call {
    lead: String,
    attempt: String,
    from: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    outcome: &'static str,
    reported: bool,
}

/// The stand-in's realistic mix (out of 100).
fn outcome(roll: u32) -> (&'static str, Value) {
    let (name, reason, verdict) = match roll {
        0..=44 => ("no_answer", "dial_no_answer", None),
        45..=54 => ("busy", "dial_busy", None),
        55..=74 => ("voicemail", "voicemail_reached", Some("voicemail")),
        75..=86 => ("unknown", "user_hangup", None),
        87..=91 => ("booked", "agent_hangup", Some("booked")),
        92..=95 => ("rejected", "user_hangup", Some("rejected")),
        96..=97 => ("contacted_closed", "user_hangup", Some("contacted_closed")),
        _ => ("dnc", "user_hangup", Some("dnc")),
    };
    let analysis = match verdict {
        Some(v) => json!({"custom_analysis_data": {"outcome": v}}),
        None => json!({}),
    };
    (
        name,
        json!({"disconnection_reason": reason, "call_analysis": analysis}),
    )
}

impl Desk {
    /// Runs the desk minute by minute from the clock's minute to `end`.
    async fn run(&mut self, end: DateTime<Utc>, kill_at: Option<DateTime<Utc>>) {
        let mut t = self.ls.now();
        let key = StandInKeys::default().retell_key;
        while t <= end {
            self.ls.clock.set(t);
            // Calls that ended report it (call_ended), as Retell does.
            // Calls that ended report it (call_ended), as Retell does: the
            // minute's reports arrive together.
            let mut hooks = vec![];
            for c in self.calls.iter_mut().filter(|c| !c.reported && c.end <= t) {
                let mut body = json!({"event": "call_ended", "call": {
                    "call_id": format!("call-{}", c.attempt), "call_status": "ended",
                    "metadata": {"tenant": self.tenant, "lead": c.lead, "attempt": c.attempt},
                }});
                let (_, f) = match c.outcome {
                    "no_answer" => outcome(0),
                    "busy" => outcome(50),
                    "voicemail" => outcome(60),
                    "unknown" => outcome(80),
                    "booked" => outcome(90),
                    "rejected" => outcome(93),
                    "contacted_closed" => outcome(96),
                    "email_captured" => (
                        "email_captured",
                        json!({"disconnection_reason": "user_hangup", "call_analysis": {"custom_analysis_data": {
                            "outcome": "email_captured", "email": format!("owner-{}@dealer.example", c.lead.to_lowercase())}}}),
                    ),
                    _ => outcome(99),
                };
                for (k, v) in f.as_object().unwrap() {
                    body["call"][k] = v.clone();
                }
                hooks.push(retell(&body, &key, t.timestamp_millis()));
                c.reported = true;
            }
            let w = std::time::Instant::now();
            let answers =
                futures::future::join_all(hooks.into_iter().map(|h| deliver(&self.ls, h))).await;
            self.hook_time += w.elapsed();
            for (status, answer) in answers {
                assert_eq!(status, 200, "{answer}");
            }
            let w = std::time::Instant::now();
            let tick = self.ls.dispatch.tick();
            // Killed from `kill_at` on until a killed tick had dialled.
            let killing =
                kill_at.is_some_and(|k| t >= k) && self.stand.accepted().len() == self.seen;
            let report = match killing.then_some(()) {
                // The tick dies mid-dial: the provider has the call, the
                // store never hears back.
                Some(_) => {
                    tokio::time::timeout(std::time::Duration::from_millis(300), tick)
                        .await
                        .err();
                    None
                }
                None => Some(Box::pin(tick).await.unwrap()),
            };
            self.tick_time += w.elapsed();
            if let Some(r) = &report {
                assert_eq!(r.errors, 0, "{r:?}");
                self.requests += r.dynamodb_requests;
            }
            // Nothing due, no desk at work, no call running: the next
            // minutes are quiet (the due index says when work comes).
            let quiet = report.as_ref().is_some_and(|r| r.due == 0 && r.desks == 0)
                && self.calls.iter().all(|c| c.reported);
            let accepted = self.stand.accepted();
            for a in accepted.iter().skip(self.seen) {
                let lead = a.attempt.rsplitn(3, '-').nth(2).unwrap().to_string();
                let roll = self.rng.random_range(0..100);
                let secs = self.rng.random_range(30..=120);
                // The desk's maximum call length reached the provider.
                assert!(
                    a.fields["agent_override"].contains("120000"),
                    "{:?}",
                    a.fields
                );
                self.calls.push(Call {
                    lead,
                    attempt: a.attempt.clone(),
                    from: a.from.clone(),
                    start: t,
                    end: t + Duration::seconds(secs),
                    outcome: self
                        .forced
                        .get(a.attempt.rsplitn(3, '-').nth(2).unwrap())
                        .copied()
                        .unwrap_or(outcome(roll).0),
                    reported: false,
                });
            }
            let quiet = quiet && accepted.len() == self.seen;
            self.seen = accepted.len();
            t += Duration::minutes(if quiet { 5 } else { 1 });
        }
        self.ls.clock.set(t);
    }
}

fn local(t: DateTime<Utc>, zone: &str) -> chrono::NaiveTime {
    t.with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap())
        .time()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_day_of_calls_is_paced_concurrent_capped_and_follows_the_sun() {
    let mut d = desk("sun", 500, ZONES.len(), 20, Faults::NONE, |c| {
        c.dialer.after_hours_voicemail = true;
        // Compressed attempts: the warning after 2 calls, the stop at 3
        // (the day's cap of 3 per lead is shown in the outcomes test).
        c.caps.attempts_warning = 2;
        c.caps.max_attempts_per_lead = 3;
        c.dialer.redial_backoff_mins = vec![20, 40];
    })
    .await;
    let started = std::time::Instant::now();
    // 07:55 New York to 21:05 Honolulu.
    d.run(at("2026-12-08T07:05:00Z"), None).await;
    let calls = d.calls.clone();
    let wall = started.elapsed();
    assert!(calls.len() > 500, "{} calls", calls.len());

    // Never more than 5 in flight (the provider's own view).
    let mut edges: Vec<(DateTime<Utc>, i32)> = calls
        .iter()
        .flat_map(|c| [(c.start, 1), (c.end, -1)])
        .collect();
    edges.sort_by_key(|(t, d)| (*t, *d));
    let (mut now, mut peak, mut peak_at) = (0, 0, None);
    for (t, delta) in &edges {
        now += delta;
        if now > peak {
            peak = now;
            peak_at = Some(*t);
        }
    }
    assert!(peak <= 5, "{peak} calls in flight at {peak_at:?}");

    // Never two calls from one number less than 5 minutes apart.
    let mut by_number: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    for c in &calls {
        by_number.entry(&c.from).or_default().push(c.start);
    }
    for (n, starts) in &mut by_number {
        starts.sort();
        for w in starts.windows(2) {
            assert!(w[1] - w[0] >= Duration::minutes(5), "{n}: {w:?}");
        }
    }

    // Inside 08:00-18:00 (or the lead's hours), except one after-hours
    // voicemail attempt per lead, and never outside 08:00-21:00.
    let mut late: BTreeMap<&str, u32> = BTreeMap::new();
    let mut per_lead: BTreeMap<&str, u32> = BTreeMap::new();
    for c in &calls {
        let (zone, hours) = &d.leads[&c.lead];
        let l = local(c.start, zone);
        let (s, e) = hours.map_or(
            (
                chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            ),
            |h| (h.start, h.end),
        );
        assert!(l.hour() >= 8 && l.hour() < 21, "{c:?} at {l} local");
        if l < s || l >= e {
            *late.entry(&c.lead).or_default() += 1;
        }
        *per_lead.entry(&c.lead).or_default() += 1;
    }
    assert!(
        late.values().all(|n| *n == 1),
        "a second after-hours call: {late:?}"
    );
    // One day: no lead over 3 calls.
    assert!(
        per_lead.values().all(|n| *n <= 3),
        "{:?}",
        per_lead.values().max()
    );

    // Each hour, first calls go to the zone whose window closes soonest:
    // a first call to a lead of one zone while a lead of a zone closing
    // sooner (open, in its window, never called) waited is a violation.
    let mut first: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for c in &calls {
        first.entry(&c.lead).or_insert(c.start);
    }
    let close = |zone: &str, t: DateTime<Utc>| {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let local = t.with_timezone(&tz);
        let end = local.date_naive().and_hms_opt(18, 0, 0).unwrap();
        tz.from_local_datetime(&end).unwrap().with_timezone(&Utc)
    };
    use chrono::TimeZone;
    let plain: Vec<(&String, &String)> = d
        .leads
        .iter()
        .filter(|(_, (_, h))| h.is_none())
        .map(|(id, (z, _))| (id, z))
        .collect();
    let mut violations = 0;
    for c in calls.iter().filter(|c| first[c.lead.as_str()] == c.start) {
        let (zone, hours) = &d.leads[&c.lead];
        if hours.is_some()
            || late.contains_key(c.lead.as_str()) && local(c.start, zone).hour() >= 18
        {
            continue;
        }
        let mine = close(zone, c.start);
        let skipped = plain.iter().any(|(id, z)| {
            let l = local(c.start, z);
            l.hour() >= 8
                && l.hour() < 18
                && close(z, c.start) < mine
                && first.get(id.as_str()).is_none_or(|f| *f > c.start)
        });
        violations += u32::from(skipped);
    }
    assert_eq!(violations, 0, "first calls went west while the east waited");

    // The attempts: flagged at 2, stopped at 3 (the call step ends there).
    let leads = d.ls.store.leads(&d.tenant).await.unwrap();
    let flagged = leads.iter().filter(|l| l.attempts_exceeded_200).count();
    assert!(leads.iter().all(|l| l.attempts <= 3));
    let mut stopped = 0;
    for l in leads.iter().filter(|l| l.attempts == 3) {
        let t =
            d.ls.store
                .touch(&d.tenant, &l.id, 1)
                .await
                .unwrap()
                .unwrap();
        stopped += u32::from(
            t.end_reason
                .as_deref()
                .is_some_and(|r| r.contains("max attempts (3) reached")),
        );
    }
    assert!(stopped > 0, "no call step was ended by the attempts stop");
    assert!(
        leads
            .iter()
            .all(|l| (l.attempts >= 2) == l.attempts_exceeded_200),
        "the flag follows the warning"
    );
    assert!(flagged > 0);

    // The figures.
    let mut table: BTreeMap<u32, BTreeMap<&str, u32>> = BTreeMap::new();
    for c in &calls {
        let zone = d.leads[&c.lead].0.rsplit('/').next().unwrap();
        *table
            .entry(c.start.hour())
            .or_default()
            .entry(zone)
            .or_default() += 1;
    }
    println!("calls per UTC hour per zone:");
    for (h, zones) in &table {
        println!("  {h:02}:00Z {zones:?}");
    }
    let mut per_minute: BTreeMap<DateTime<Utc>, i32> = BTreeMap::new();
    for m in 0..(19 * 60) {
        let t = at(MONDAY) + Duration::minutes(m);
        let n = calls.iter().filter(|c| c.start <= t && t < c.end).count() as i32;
        per_minute.insert(t, n);
    }
    let busiest = per_minute.iter().max_by_key(|(_, n)| **n).unwrap();
    let outcomes: BTreeMap<&str, usize> = calls.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.outcome).or_default() += 1;
        m
    });
    println!(
        "{} calls to {} leads from {} numbers; peak {peak} in flight ({peak_at:?}); busiest minute {} with {}; {} after-hours voicemails; {flagged} leads flagged, {stopped} stopped at the attempts cap; outcomes {outcomes:?}; {:.1} s wall",
        calls.len(),
        per_lead.len(),
        by_number.len(),
        busiest.0,
        busiest.1,
        late.len(),
        wall.as_secs_f64()
    );
    println!(
        "wall: {:.1} s in ticks, {:.1} s in webhooks",
        d.tick_time.as_secs_f64(),
        d.hook_time.as_secs_f64()
    );
    println!(
        "DynamoDB requests by the ticks: {} for {} calls = {:.1} per call (the desk reads its queue once a minute while calls wait)",
        d.requests,
        calls.len(),
        d.requests as f64 / calls.len() as f64
    );
    d.ls.clock.set(at("2026-12-07T23:00:00Z"));
    let view = get(&mut d.ls, &d.auth, "/admin/campaigns/default/dialer").await;
    assert!(
        view["outcomes_today"]
            .as_object()
            .is_some_and(|o| !o.is_empty()),
        "{view}"
    );
    assert!(
        view["calls_per_hour_per_number_today"]
            .as_object()
            .is_some_and(|o| o.len() == 20),
        "{view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_killed_mid_dial_re_dials_nobody_and_the_view_explains_the_queue() {
    // The stand-in answers every create a second late: a tick given less
    // dies after the provider took the call, before the store heard back.
    let faults = Faults {
        answer_after: Some(std::time::Duration::from_millis(800)),
        ..Faults::NONE
    };
    let mut d = desk("crash", 12, 1, 2, faults, |_| {}).await;
    // 07:55 New York: nobody may be called yet.
    d.run(at("2026-12-07T12:59:00Z"), None).await;
    assert!(d.calls.is_empty());
    let kill = at("2026-12-07T13:00:00Z");
    d.run(kill + Duration::minutes(10), Some(kill)).await;
    let killed: Vec<Call> = d.calls.clone();
    assert!(
        !killed.is_empty(),
        "the killed tick's dial reached the provider"
    );
    let view = get(&mut d.ls, &d.auth, "/admin/campaigns/default/dialer").await;
    let next = view["queue"]["next"].as_array().unwrap();
    assert!(!next.is_empty(), "{view}");
    assert_eq!(next[0]["zone"], "America/New_York", "{view}");
    assert!(
        next[0]["why"].as_str().unwrap().contains("window closes"),
        "{view}"
    );
    // The dead tick's call is neither queued again nor forgotten: it
    // holds its slot until its end is reported or its lease runs out.
    assert!(
        next.iter().all(|n| n["lead_id"] != killed[0].lead.as_str()),
        "{view}"
    );
    let touch =
        d.ls.store
            .touch(&d.tenant, &killed[0].lead, 1)
            .await
            .unwrap()
            .unwrap();
    assert!(
        touch.state != shared::domain::touch::TouchState::Due || touch.desk.redials > 0,
        "{touch:?}"
    );
    d.run(at("2026-12-07T15:30:00Z"), None).await;
    let mut attempts = BTreeSet::new();
    let mut last: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for c in &d.calls {
        assert!(
            attempts.insert(c.attempt.clone()),
            "attempt {} dialled twice",
            c.attempt
        );
        if let Some(before) = last.insert(&c.lead, c.start) {
            assert!(
                c.start - before >= Duration::minutes(30),
                "{} re-dialled after {}",
                c.lead,
                c.start - before
            );
        }
    }
    assert_eq!(d.stand.tallies().get("retell").map_or(0, |t| t.doubled), 0);
    for k in &killed {
        let touch =
            d.ls.store
                .touch(&d.tenant, &k.lead, 1)
                .await
                .unwrap()
                .unwrap();
        assert!(
            touch.provider_message_id.is_some() || touch.desk.redials > 0,
            "the killed dial was reconciled as sent: {touch:?}"
        );
    }
    println!(
        "crash: {} calls in all; the killed tick's call went to lead {}",
        d.calls.len(),
        killed[0].lead
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_outcomes_drive_what_follows_and_free_their_slot() {
    use shared::domain::touch::TouchState;
    // Three New York leads; each call step is followed by a text, and an
    // email step the lead skipped for want of an address.
    let mut d = desk("outcomes", 3, 1, 3, Faults::NONE, |c| {
        c.windows.jitter_max_secs = 0;
        // Two calls a lead a day: the unanswered one waits for tomorrow.
        c.caps.calls_per_lead_per_day = 2;
        c.sequence.push(SequenceStep {
            step: 2,
            day: 2,
            channel: Channel::Email,
            purpose: "email".into(),
            conditions: vec![],
            template: Some("intro".into()),
        });
        c.sequence.push(SequenceStep {
            step: 3,
            day: 4,
            channel: Channel::Sms,
            purpose: "text".into(),
            conditions: vec![],
            template: Some("sms-nudge".into()),
        });
    })
    .await;
    let ids: Vec<String> = d.leads.keys().cloned().collect();
    let now = d.ls.now();
    for id in &ids {
        let lead = d.ls.store.lead(&d.tenant, id).await.unwrap().unwrap();
        let skipped: Touch = serde_json::from_value(json!({
            "tenant": d.tenant, "lead_id": id, "step": 2, "day": 2, "channel": "email",
            "state": "skipped", "recipient": "", "end_reason": "no email for this lead or tenant, and no email fallback",
            "message": {"body": "", "template_id": ""}, "fingerprint": "s2", "created_at": now,
        }))
        .unwrap();
        let text: Touch = serde_json::from_value(json!({
            "tenant": d.tenant, "lead_id": id, "step": 3, "day": 4, "channel": "sms",
            "state": "planned", "recipient": lead.phone, "timezone": lead.timezone, "lead_phone": lead.phone,
            "message": {"body": "Jo, the review note I mentioned. Reply STOP to opt out.", "template_id": "sms-nudge"},
            "fingerprint": "s3", "first_sms": true, "created_at": now,
        }))
        .unwrap();
        assert!(d
            .ls
            .store
            .put_requested(&[skipped, text], "test steps", now)
            .await
            .unwrap());
    }
    d.forced.insert(ids[0].clone(), "no_answer");
    d.forced.insert(ids[1].clone(), "voicemail");
    d.forced.insert(ids[2].clone(), "email_captured");
    // 08:00 New York: the three calls go (three numbers), and end.
    d.run(at("2026-12-07T12:59:00Z"), None).await;
    assert!(d.calls.is_empty());
    // Queued at 08:00, dialled at the desk's next look.
    d.ls.clock.set(at("2026-12-07T13:00:00Z"));
    d.run(at("2026-12-07T13:01:00Z"), None).await;
    assert_eq!(d.calls.len(), 3, "{:?}", d.calls);
    let view = get(&mut d.ls, &d.auth, "/admin/campaigns/default/dialer").await;
    let running = d.calls.iter().filter(|c| !c.reported).count();
    assert_eq!(
        view["in_flight"].as_array().map(Vec::len),
        Some(running),
        "{view}"
    );
    d.run(at("2026-12-07T13:03:00Z"), None).await;
    let view = get(&mut d.ls, &d.auth, "/admin/campaigns/default/dialer").await;
    assert_eq!(
        view["in_flight"].as_array().map(Vec::len),
        Some(0),
        "each call's end freed its slot: {view}"
    );
    assert_eq!(
        view["outcomes_today"],
        json!({"email_captured": 1, "no_answer": 1, "voicemail": 1}),
        "{view}"
    );
    let store = d.ls.store.clone();
    let tenant = d.tenant.clone();
    let step = |i: usize, s: u8| {
        let store = store.clone();
        let (t, id) = (tenant.clone(), ids[i].clone());
        async move { store.touch(&t, &id, s).await.unwrap().unwrap() }
    };
    // No answer: dialled again after the first wait (30 minutes).
    let call = step(0, 1).await;
    assert_eq!(
        (call.state, call.desk.redials),
        (TouchState::Due, 1),
        "{call:?}"
    );
    assert!(
        call.due_at.unwrap() >= at("2026-12-07T13:30:00Z"),
        "{call:?}"
    );
    // Voicemail: the text comes now, not in four days.
    let text = step(1, 3).await;
    assert_eq!(text.state, TouchState::Due, "{text:?}");
    assert!(
        text.due_at.unwrap() <= at("2026-12-07T13:03:00Z") || text.wait_reason.is_some(),
        "{text:?}"
    );
    // An email captured: the lead has it, and its email step is drafted
    // for approval.
    d.ls.drain().await.unwrap();
    let lead = d.ls.store.lead(&d.tenant, &ids[2]).await.unwrap().unwrap();
    assert_eq!(
        lead.email.as_deref(),
        Some(format!("owner-{}@dealer.example", ids[2].to_lowercase()).as_str())
    );
    let email = step(2, 2).await;
    assert_eq!(email.state, TouchState::Draft, "{email:?}");
    assert_eq!(email.recipient, lead.email.clone().unwrap());
    // The unanswered lead is called again after its wait, from its number.
    d.run(at("2026-12-07T13:40:00Z"), None).await;
    let again: Vec<&Call> = d.calls.iter().filter(|c| c.lead == ids[0]).collect();
    assert_eq!(again.len(), 2, "{again:?}");
    assert_eq!(again[0].from, again[1].from, "a lead hears from one number");
    assert!(again[1].start - again[0].start >= Duration::minutes(30));
    // Unanswered again: the day's cap (2) holds it until tomorrow's window.
    d.run(at("2026-12-07T16:00:00Z"), None).await;
    assert_eq!(d.calls.iter().filter(|c| c.lead == ids[0]).count(), 2);
    let call = step(0, 1).await;
    assert_eq!(call.state, TouchState::Due, "{call:?}");
    assert!(
        call.wait_reason
            .as_deref()
            .is_some_and(|r| r.contains("voice#lead#")),
        "{call:?}"
    );
    assert!(
        call.due_at.unwrap() >= at("2026-12-08T13:00:00Z"),
        "{call:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadow_call_frees_its_slot_at_once_and_keeps_its_numbers_gap() {
    // Seven New York leads, seven numbers, in shadow mode: a shadow call
    // rings nobody, so it holds no slot past its own send.
    let mut d = desk("shadowdesk", 7, 1, 7, Faults::NONE, |c| {
        c.shadow_mode = true;
        c.windows.jitter_max_secs = 0;
    })
    .await;
    d.ls.clock.set(at("2026-12-07T13:00:00Z"));
    let first = d.ls.dispatch.tick().await.unwrap();
    assert_eq!(first.sent, 5, "five slots: {first:?}");
    d.ls.clock.set(at("2026-12-07T13:01:00Z"));
    let second = d.ls.dispatch.tick().await.unwrap();
    assert_eq!(second.sent, 2, "the slots were free again: {second:?}");
    let outbox = d.ls.store.outbox(&d.tenant).await.unwrap();
    let numbers: BTreeSet<&str> = outbox.iter().map(|e| e.sender.as_str()).collect();
    assert_eq!(
        (outbox.len(), numbers.len()),
        (7, 7),
        "one call per number: the gap holds"
    );
    let view = get(&mut d.ls, &d.auth, "/admin/campaigns/default/dialer").await;
    assert_eq!(
        view["in_flight"].as_array().map(Vec::len),
        Some(0),
        "{view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_desk_dials_nobody_and_resumes_without_calling_anyone_twice() {
    let mut d = desk("pausedesk", 12, 1, 2, Faults::NONE, |c| {
        c.windows.jitter_max_secs = 0;
    })
    .await;
    d.ls.clock.set(at("2026-12-07T13:00:00Z"));
    d.run(at("2026-12-07T13:06:00Z"), None).await;
    let before = d.calls.len();
    assert!(before >= 2, "{before}");
    // The operator pauses the campaign with calls still queued.
    let r = post(&mut d.ls, &d.auth, "/admin/campaigns/default/pause", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    d.run(at("2026-12-07T13:40:00Z"), None).await;
    assert_eq!(d.calls.len(), before, "nobody is dialled while paused");
    let view = get(&mut d.ls, &d.auth, "/admin/campaigns/default/dialer").await;
    assert_eq!(view["status"], "paused", "{view}");
    let r = post(&mut d.ls, &d.auth, "/admin/campaigns/default/resume", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    d.run(at("2026-12-07T14:30:00Z"), None).await;
    assert!(d.calls.len() > before, "the desk goes on where it stopped");
    let mut attempts = BTreeSet::new();
    let mut last: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for c in &d.calls {
        assert!(
            attempts.insert(c.attempt.clone()),
            "attempt {} twice",
            c.attempt
        );
        if let Some(b) = last.insert(&c.lead, c.start) {
            assert!(
                c.start - b >= Duration::minutes(30),
                "{} dialled again after {}",
                c.lead,
                c.start - b
            );
        }
    }
    assert_eq!(d.stand.tallies().get("retell").map_or(0, |t| t.doubled), 0);
}
