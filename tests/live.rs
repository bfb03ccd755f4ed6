//! Live sending against the providers' local stand-ins: going live is a
//! checked step, every email reaches the provider once (429s and 500s
//! thrown in), each lead keeps its mailbox and its thread, no cap is
//! passed, no secret lands anywhere, and a live send costs no more
//! DynamoDB requests than a shadow one.

use chrono::Duration;
use integration_tests::*;
use local_stack::runner::LocalStack;
use local_stack::standins::{Faults, StandInKeys, StandIns};
use serde_json::{json, Value};
use shared::adapters::senders::live::ProviderUrls;
use shared::domain::dispatch::sequence::SequenceStep;
use shared::domain::dispatch::window::SendWindow;
use shared::domain::tenant::{Mailbox, TenantConfig};
use shared::domain::touch::{Channel, TouchState};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Every log line of the test process, to look for secrets in.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Logs {
    let logs = Logs::default();
    let writer = logs.clone();
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish(),
    );
    logs
}

fn email_step(step: u8, day: u32, template: &str) -> SequenceStep {
    SequenceStep {
        step,
        day,
        channel: Channel::Email,
        purpose: format!("email {step}"),
        conditions: vec![],
        template: Some(template.into()),
    }
}

/// Three email steps a day apart from three mailboxes, windows always open.
fn three_mailboxes(c: &mut TenantConfig) {
    c.sequence = vec![
        email_step(1, 0, "intro"),
        email_step(2, 1, "value"),
        email_step(3, 2, "value"),
    ];
    let domain = c.domains[0].domain.clone();
    c.mailboxes = ["sam", "alex", "kim"]
        .iter()
        .map(|n| Mailbox {
            address: format!("{n}@{domain}"),
            domain: domain.clone(),
            secret: None,
        })
        .collect();
    c.caps.email_per_mailbox = 40;
    c.caps.email_per_tenant = 150;
    for w in [
        &mut c.windows.email,
        &mut c.windows.call,
        &mut c.windows.sms,
        &mut c.windows.linkedin,
    ] {
        *w = SendWindow::always();
    }
}

fn urls(s: &StandIns) -> ProviderUrls {
    ProviderUrls {
        mailgun: Some(s.mailgun.uri()),
        twilio: Some(s.twilio.uri()),
        retell: Some(s.retell.uri()),
        heyreach: Some(format!("{}/api/public", s.heyreach.uri())),
    }
}

async fn put_config(ls: &mut LocalStack, auth: &str, edit: impl FnOnce(&mut Value)) -> u16 {
    let mut config = get(ls, auth, "/admin/config").await;
    edit(&mut config);
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", auth)],
            &config.to_string(),
        )
        .await;
    assert!(r.status == 200 || r.status == 400, "PUT config: {}", r.body);
    r.status
}

fn missing(answer: &Value) -> Vec<String> {
    answer["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["item"].as_str().unwrap().to_string())
        .collect()
}

/// One accepted email: from, provider id, In-Reply-To.
type Sent = (String, String, Option<String>);

/// DynamoDB requests per sent touch over the ticks that sent.
fn cost(ls: &LocalStack) -> (u64, u64) {
    ls.ticks
        .iter()
        .filter(|t| t.sent > 0)
        .fold((0, 0), |(r, s), t| {
            (r + t.dynamodb_requests, s + u64::from(t.sent))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_goes_live_only_when_ready_and_every_email_reaches_the_provider_once() {
    let logs = capture_logs();
    let stand = StandIns::start(StandInKeys::default(), Faults::SOME).await;
    let mut ls = stack("live", at(IN_WINDOW), None).await;
    ls.use_provider_urls(urls(&stand));
    let tenant = "golive";
    let auth = due_tenant(&mut ls, tenant, &emails("g", 100, "NY"), three_mailboxes).await;

    // GIVEN a tenant with no provider: go-live names what is missing
    let r = post(&mut ls, &auth, "/admin/go-live", "").await;
    assert_eq!(r.status, 409, "{}", r.body);
    let items = missing(&r.json());
    assert!(items.contains(&"providers".to_string()), "{items:?}");
    assert!(items.contains(&"providers.email".to_string()), "{items:?}");
    // AND shadow mode cannot be switched off through the config
    let status = put_config(&mut ls, &auth, |c| c["shadow_mode"] = json!(false)).await;
    assert_eq!(status, 400);

    // WHEN Mailgun is configured with a key the provider refuses
    let mut wrong = stand.secrets()["mailgun"].clone();
    wrong["api_key"] = json!("key-wrong");
    ls.put_secret("outbound/golive/mailgun-old", &wrong)
        .await
        .unwrap();
    let set = |secret: &str| {
        let secret = secret.to_string();
        move |c: &mut Value| {
            c["providers"] = json!({"email": {"provider": "mailgun", "secret": secret}})
        }
    };
    assert_eq!(
        put_config(&mut ls, &auth, set("outbound/golive/mailgun-old")).await,
        200
    );
    let r = post(&mut ls, &auth, "/admin/go-live", "").await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(missing(&r.json()), vec!["providers.email.secret"]);
    assert!(r.body.contains("401"), "{}", r.body);
    // AND a secret of another tenant is refused by name
    assert_eq!(
        put_config(&mut ls, &auth, set("outbound/other/mailgun")).await,
        400
    );

    // THEN with working credentials it goes live
    let secret = stand.secrets()["mailgun"].clone();
    ls.put_secret("outbound/golive/mailgun", &secret)
        .await
        .unwrap();
    assert_eq!(
        put_config(&mut ls, &auth, set("outbound/golive/mailgun")).await,
        200
    );
    let r = post(&mut ls, &auth, "/admin/go-live", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let plane = get(&mut ls, &auth, "/admin/control-plane").await;
    assert_eq!(plane["integrations"]["email"], "live via mailgun");

    // WHEN three days play out, with everything put on the bus copied
    let tap = ls.tap_events().await.unwrap();
    let start = ls.now();
    ls.run_until(start + Duration::days(3) + Duration::hours(1))
        .await
        .unwrap();

    // THEN every email went out once, through the provider, despite its
    // 429s and 500s
    let tally = stand.tallies()["mailgun"].clone();
    println!("mailgun stand-in: {tally:?}");
    assert_eq!(tally.doubled, 0, "nothing sent twice");
    assert_eq!(
        tally.accepted,
        300,
        "{:?}",
        &stand.refusals()[..3.min(stand.refusals().len())]
    );
    assert!(tally.rate_limited > 0 && tally.failed > 0, "{tally:?}");
    let retries: u32 = ls.ticks.iter().map(|t| t.provider_retries).sum();
    assert!(retries > 0, "a 429 came back to the dispatcher as a retry");
    let refusals = stand.refusals();
    assert!(
        refusals.iter().all(|r| r.contains("Invalid private key")),
        "{:?}",
        &refusals[..3.min(refusals.len())]
    );
    let outbox = get(&mut ls, &auth, "/admin/outbox").await;
    assert_eq!(
        outbox["outbox"].as_array().unwrap().len(),
        0,
        "nothing shadowed"
    );

    // AND each lead's emails came from one mailbox and thread under the first
    let accepted = stand.accepted();
    let mut by_lead: BTreeMap<String, BTreeMap<u8, Sent>> = BTreeMap::new();
    for a in &accepted {
        let step: u8 = a.fields["v:step"].parse().unwrap();
        by_lead
            .entry(a.fields["v:lead"].clone())
            .or_default()
            .insert(
                step,
                (
                    a.fields["from"].clone(),
                    a.id.clone(),
                    a.fields.get("h:In-Reply-To").cloned(),
                ),
            );
    }
    assert_eq!(by_lead.len(), 100);
    let mut first_senders = BTreeSet::new();
    for (lead, steps) in &by_lead {
        assert_eq!(steps.len(), 3, "{lead}");
        let (from, first_id, parent) = &steps[&1];
        assert_eq!(parent, &None, "a first email starts its thread");
        first_senders.insert(from.clone());
        for s in [2, 3] {
            assert_eq!(&steps[&s].0, from, "{lead} step {s}: same mailbox");
            assert_eq!(
                steps[&s].2.as_ref(),
                Some(first_id),
                "{lead} step {s}: threaded"
            );
        }
    }
    // AND by load: the first emails split evenly over the three mailboxes
    let mut firsts: BTreeMap<&str, u32> = BTreeMap::new();
    for steps in by_lead.values() {
        *firsts.entry(steps[&1].0.as_str()).or_default() += 1;
    }
    println!("first emails per mailbox: {firsts:?}");
    assert_eq!(first_senders.len(), 3, "{firsts:?}");
    let (least, most) = (firsts.values().min(), firsts.values().max());
    assert!(
        most.unwrap() - least.unwrap() <= 3,
        "first emails by load, not by chance: {firsts:?}"
    );
    // AND no mailbox passed its cap on any day
    let mut per_day: BTreeMap<(String, String), u32> = BTreeMap::new();
    for lead in ls.store.leads(tenant).await.unwrap() {
        for t in ls.store.touches(tenant, &lead.id).await.unwrap() {
            assert_eq!(t.state, TouchState::Sent, "{} step {}", lead.id, t.step);
            let day = t
                .sent_at
                .unwrap()
                .with_timezone(&chrono_tz::America::New_York)
                .date_naive();
            *per_day
                .entry((t.sender.clone().unwrap(), day.to_string()))
                .or_default() += 1;
        }
    }
    assert!(per_day.values().all(|n| *n <= 40), "{per_day:?}");

    // AND no secret is in any item, log line or admin response
    let key = &stand.keys.mailgun_key;
    let mut items = String::new();
    let mut start_key = None;
    loop {
        let page = ls
            .ddb
            .scan()
            .table_name(&ls.provisioned.table_name)
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .unwrap();
        items.push_str(&format!("{:?}", page.items()));
        start_key = page.last_evaluated_key().cloned();
        if start_key.is_none() {
            break;
        }
    }
    assert!(items.contains("golive"), "the scan read the table");
    assert!(!items.contains(key.as_str()) && !items.contains("key-wrong"));
    for path in [
        "/admin/config",
        "/admin/control-plane",
        "/admin/readiness",
        "/admin/leads",
        "/admin/audit",
        "/admin/in-doubt",
    ] {
        let body = get(&mut ls, &auth, path).await.to_string();
        assert!(
            !body.contains(key.as_str()) && !body.contains("key-wrong"),
            "{path}"
        );
    }
    // AND none in any event put on the bus, Mailgun's own events (signed
    // with their webhook key) included
    for (i, a) in accepted.iter().take(5).enumerate() {
        let body = local_stack::mailgun::mailgun_event(
            local_stack::runner::LOCAL_MAILGUN_KEY,
            ls.now().timestamp(),
            &format!("tap-token-{i}"),
            "opened",
            None,
            &format!("tap-ev-{i}"),
            tenant,
            &a.fields["v:lead"],
            &a.to,
        );
        let r = ls
            .http(
                "POST",
                "/webhooks/mailgun",
                &[("content-type", "application/json")],
                &body,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    ls.drain().await.unwrap();
    let events = ls.tapped_events(&tap).await.unwrap();
    assert!(events.len() >= 5, "{} events tapped", events.len());
    for event in &events {
        for secret in [
            key.as_str(),
            "key-wrong",
            local_stack::runner::LOCAL_MAILGUN_KEY,
        ] {
            assert!(!event.contains(secret), "a secret in {event}");
        }
    }
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(!logged.contains(key.as_str()) && !logged.contains("key-wrong"));
    assert!(!logged.contains(local_stack::runner::LOCAL_MAILGUN_KEY));

    let (requests, sent) = cost(&ls);
    println!(
        "live: {requests} DynamoDB requests for {sent} sent touches in sending ticks ({:.2} per sent touch, 429s and 500s included)",
        requests as f64 / sent as f64
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_send_costs_no_more_requests_than_a_shadow_one() {
    // GIVEN the same 30 leads and sequence, once in shadow mode and once
    // live through a stand-in that never fails
    let stand = StandIns::start(StandInKeys::default(), Faults::NONE).await;
    let mut figures = Vec::new();
    for live in [false, true] {
        let mut ls = stack(
            if live { "cost-live" } else { "cost-shadow" },
            at(IN_WINDOW),
            None,
        )
        .await;
        ls.use_provider_urls(urls(&stand));
        let tenant = if live { "costlive" } else { "costshadow" };
        let auth = due_tenant(&mut ls, tenant, &emails("c", 30, "NY"), three_mailboxes).await;
        if live {
            ls.put_secret("outbound/costlive/mailgun", &stand.secrets()["mailgun"])
                .await
                .unwrap();
            put_config(&mut ls, &auth, |c| {
                c["providers"] =
                    json!({"email": {"provider": "mailgun", "secret": "outbound/costlive/mailgun"}})
            })
            .await;
            let r = post(&mut ls, &auth, "/admin/go-live", "").await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        // WHEN three days play out
        let start = ls.now();
        ls.run_until(start + Duration::days(3) + Duration::hours(1))
            .await
            .unwrap();
        let (requests, sent) = cost(&ls);
        assert_eq!(sent, 90);
        let per = requests as f64 / sent as f64;
        println!(
            "{}: {requests} requests for {sent} sent touches = {per:.2} per sent touch",
            if live { "live" } else { "shadow" }
        );
        figures.push(per);
        ls.cleanup().await;
    }
    // THEN live costs no more than shadow
    assert!(figures[1] <= figures[0] + 1e-9, "{figures:?}");
    assert_eq!(stand.tallies()["mailgun"].accepted, 90);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_nobody_can_account_for_waits_in_doubt_until_an_operator_settles_it() {
    // GIVEN a live tenant whose provider takes every email but answers too
    // late, and whose Events API is down
    let faults = Faults {
        answer_after: Some(std::time::Duration::from_secs(6)),
        events_down: true,
        ..Faults::NONE
    };
    let stand = StandIns::start(StandInKeys::default(), faults).await;
    let mut ls = stack("doubt", at(IN_WINDOW), None).await;
    ls.use_provider_urls(urls(&stand));
    let tenant = "doubtco";
    let auth = due_tenant(&mut ls, tenant, &emails("d", 2, "NY"), three_mailboxes).await;
    ls.put_secret("outbound/doubtco/mailgun", &stand.secrets()["mailgun"])
        .await
        .unwrap();
    put_config(
        &mut ls,
        &auth,
        |c| {
            c["providers"] =
                json!({"email": {"provider": "mailgun", "secret": "outbound/doubtco/mailgun"}})
        },
    )
    .await;
    assert_eq!(post(&mut ls, &auth, "/admin/go-live", "").await.status, 200);
    // WHEN a tick sends (no answer in time) and, after the lease, another
    // asks the provider, which cannot say
    let first = ls.tick().await.unwrap();
    assert_eq!((first.sent, first.errors), (0, 2), "{first:?}");
    assert_eq!(stand.tallies()["mailgun"].accepted, 2, "both were taken");
    ls.clock.advance(Duration::minutes(6));
    let after = ls.tick().await.unwrap();
    assert_eq!(after.in_doubt, 2, "{after:?}");
    // THEN nothing was sent again, and the operator sees both in doubt
    ls.clock.advance(Duration::hours(2));
    ls.tick().await.unwrap();
    assert_eq!(
        stand.tallies()["mailgun"].accepted,
        2,
        "never resent blindly"
    );
    let listed = get(&mut ls, &auth, "/admin/in-doubt").await;
    let rows = listed["in_doubt"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2, "{listed}");
    // WHEN the operator says the first went out and the second did not
    let path = |row: &Value| {
        format!(
            "/admin/in-doubt/{}/{}",
            row["lead"].as_str().unwrap(),
            row["step"]
        )
    };
    let r = post(&mut ls, &auth, &path(&rows[0]), r#"{"resolution": "sent"}"#).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(
        &mut ls,
        &auth,
        &path(&rows[1]),
        r#"{"resolution": "not_sent"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // AND a second answer, or a bad one, is refused
    let again = post(&mut ls, &auth, &path(&rows[0]), r#"{"resolution": "sent"}"#).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let bad = post(
        &mut ls,
        &auth,
        &path(&rows[0]),
        r#"{"resolution": "maybe"}"#,
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    // THEN the first one's sequence goes on, the second one is due again
    let lead0 = rows[0]["lead"].as_str().unwrap();
    let lead1 = rows[1]["lead"].as_str().unwrap();
    assert_eq!(
        states(&ls, tenant, lead0).await[..2],
        [TouchState::Sent, TouchState::Due]
    );
    assert_eq!(states(&ls, tenant, lead1).await[0], TouchState::Due);
    assert!(get(&mut ls, &auth, "/admin/in-doubt").await["in_doubt"]
        .as_array()
        .unwrap()
        .is_empty());
    ls.cleanup().await;
}
