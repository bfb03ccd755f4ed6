//! What stops or holds a send, on the local emulators: webhooks applied
//! once (forged or stale ones refused), replies, unsubscribes and
//! suppressions, caps, windows, emergency stop and pause, the bounce
//! breaker, and batch approval that executes once.

use chrono::Duration;
use integration_tests::*;
use local_stack::runner::{mailgun_event, mailgun_reply, LOCAL_MAILGUN_KEY};
use shared::domain::touch::TouchState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_delivered_three_times_changes_state_once_and_forged_or_stale_get_401() {
    let mut ls = stack("hooks", at(IN_WINDOW), None).await;
    due_tenant(&mut ls, "hooks", &emails("h", 2, "NY"), |_| {}).await;
    ls.tick().await.unwrap();
    let id = lead_id("hooks", "h0@h0.example");
    let ts = ls.now().timestamp();
    // GIVEN an "opened" event delivered three times
    let body = mailgun_event(
        LOCAL_MAILGUN_KEY,
        ts,
        "tok-1",
        "opened",
        None,
        "ev-1",
        "hooks",
        &id,
        "h0@h0.example",
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = ls
            .http(
                "POST",
                "/webhooks/mailgun",
                &[("content-type", "application/json")],
                &body,
            )
            .await;
        statuses.push((
            r.status,
            r.json()["status"].as_str().unwrap_or("").to_string(),
        ));
    }
    // THEN it is applied once
    assert_eq!(statuses[0], (200, "applied".into()));
    assert_eq!(statuses[1], (200, "duplicate".into()));
    assert_eq!(statuses[2], (200, "duplicate".into()));
    let lead = ls.store.lead("hooks", &id).await.unwrap().unwrap();
    assert_eq!(lead.opens, 1);
    let version = lead.version;

    // AND a forged, a stale and a replayed one get 401 and change nothing
    let forged = mailgun_event(
        "wrong-key",
        ts,
        "tok-2",
        "unsubscribed",
        None,
        "ev-2",
        "hooks",
        &id,
        "h0@h0.example",
    );
    let stale = mailgun_event(
        LOCAL_MAILGUN_KEY,
        ts - 3600,
        "tok-3",
        "unsubscribed",
        None,
        "ev-3",
        "hooks",
        &id,
        "h0@h0.example",
    );
    let replay = mailgun_event(
        LOCAL_MAILGUN_KEY,
        ts,
        "tok-1",
        "unsubscribed",
        None,
        "ev-4",
        "hooks",
        &id,
        "h0@h0.example",
    );
    for body in [forged, stale, replay] {
        let r = ls
            .http(
                "POST",
                "/webhooks/mailgun",
                &[("content-type", "application/json")],
                &body,
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let garbage = ls
        .http(
            "POST",
            "/webhooks/mailgun",
            &[("content-type", "application/json")],
            "{not json",
        )
        .await;
    assert_eq!(garbage.status, 400);
    let lead = ls.store.lead("hooks", &id).await.unwrap().unwrap();
    assert_eq!(lead.version, version);
    assert_eq!(lead.status.as_str(), "engaged");
    assert!(ls.store.suppressions("hooks").await.unwrap().is_empty());
    ls.cleanup().await;
}

async fn hook(
    ls: &mut local_stack::runner::LocalStack,
    body: String,
) -> local_stack::runner::HttpAnswer {
    ls.http(
        "POST",
        "/webhooks/mailgun",
        &[("content-type", "application/json")],
        &body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_block_is_good_for_one_event_whatever_the_tenant_or_outcome() {
    // GIVEN two tenants, each with a lead that has been sent to
    let mut ls = stack("tokens", at(IN_WINDOW), None).await;
    due_tenant(&mut ls, "hooka", &emails("a", 1, "NY"), |_| {}).await;
    due_tenant(&mut ls, "hookb", &emails("b", 1, "NY"), |_| {}).await;
    ls.tick().await.unwrap();
    let (a, b) = (
        lead_id("hooka", "a0@a0.example"),
        lead_id("hookb", "b0@b0.example"),
    );
    let ts = ls.now().timestamp();
    let event = |token: &str, kind: &str, id: &str, tenant: &str, lead: &str, to: &str| {
        mailgun_event(
            LOCAL_MAILGUN_KEY,
            ts,
            token,
            kind,
            None,
            id,
            tenant,
            lead,
            to,
        )
    };
    // WHEN a block used for tenant A is replayed with tenant B's event-data
    let first = hook(
        &mut ls,
        event("tok-x", "opened", "ev-a", "hooka", &a, "a0@a0.example"),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let b_before = ls.store.lead("hookb", &b).await.unwrap().unwrap().version;
    let cross = hook(
        &mut ls,
        event(
            "tok-x",
            "unsubscribed",
            "ev-b",
            "hookb",
            &b,
            "b0@b0.example",
        ),
    )
    .await;
    // THEN it is refused and B is untouched
    assert_eq!(cross.status, 401, "{}", cross.body);
    assert_eq!(
        ls.store.lead("hookb", &b).await.unwrap().unwrap().version,
        b_before
    );
    assert!(ls.store.suppressions("hookb").await.unwrap().is_empty());

    // WHEN a block first carried an event we ignore ("accepted")
    let ignored = event("tok-y", "accepted", "ev-i", "hooka", &a, "a0@a0.example");
    for _ in 0..2 {
        let r = hook(&mut ls, ignored.clone()).await;
        assert_eq!(
            (r.status, r.json()["status"].clone()),
            (200, "ignored".into())
        );
    }
    // THEN it cannot carry another event afterwards
    let after_ignored = hook(
        &mut ls,
        event(
            "tok-y",
            "unsubscribed",
            "ev-u",
            "hooka",
            &a,
            "a0@a0.example",
        ),
    )
    .await;
    assert_eq!(after_ignored.status, 401, "{}", after_ignored.body);
    assert!(ls.store.suppressions("hooka").await.unwrap().is_empty());

    // WHEN an event names a tenant that does not exist, nothing is written
    let ghost = hook(
        &mut ls,
        event("tok-z", "unsubscribed", "ev-g", "ghost", &a, "g@g.example"),
    )
    .await;
    assert_eq!(ghost.status, 200, "{}", ghost.body);
    let mut start = None;
    loop {
        let out = ls
            .ddb
            .scan()
            .table_name(ls.store.table())
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in out.items() {
            let pk = item["PK"].as_s().unwrap();
            assert!(!pk.contains("ghost"), "wrote {pk} for an unknown tenant");
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }

    // AND an oversized body gets 413, not a 5xx the provider retries
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = hook(&mut ls, huge).await;
    assert_eq!(r.status, 413, "{}", r.body);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_unsubscribe_and_suppression_stop_sends_on_every_channel() {
    let mut ls = stack("stops", at(IN_WINDOW), None).await;
    let mut rows = emails("s", 4, "NY");
    for r in &mut rows {
        r.phone = Some("+12125550100");
    }
    rows[3].phone = Some("+12125550199");
    let auth = due_tenant(&mut ls, "stops", &rows, |_| {}).await;
    assert_eq!(ls.tick().await.unwrap().sent, 4);
    let ts = ls.now().timestamp();
    // GIVEN a reply (lead 0), a one-click unsubscribe (lead 1), a DNC on lead 3's phone
    let reply = mailgun_reply(
        LOCAL_MAILGUN_KEY,
        ts,
        "tok-r",
        "s0@s0.example",
        "Re",
        "<m@x>",
    );
    assert_eq!(
        ls.http(
            "POST",
            "/webhooks/mailgun?tenant=stops",
            &[("content-type", "application/x-www-form-urlencoded")],
            &reply
        )
        .await
        .status,
        200
    );
    let link = ls
        .craft
        .links
        .token("stops", &lead_id("stops", "s1@s1.example"));
    let page = ls
        .http("GET", &format!("/unsubscribe/{link}"), &[], "")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<form"));
    let r = ls
        .http(
            "POST",
            &format!("/unsubscribe/{link}"),
            &[],
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = ls
        .http(
            "POST",
            &format!("/unsubscribe/{link}"),
            &[],
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(r.status, 200, "idempotent");
    let forged = ls
        .http(
            "POST",
            &format!(
                "/unsubscribe/stops.{}.00ff",
                lead_id("stops", "s2@s2.example")
            ),
            &[],
            "",
        )
        .await;
    assert_eq!(forged.status, 404);
    let r = ls
        .http(
            "POST",
            "/admin/suppressions",
            &[("authorization", &auth)],
            r#"{"kind":"phone","value":"(212) 555-0199"}"#,
        )
        .await;
    assert_eq!(r.status, 201);
    // WHEN the rest of the sequence plays out
    let start = ls.now();
    ls.run_until(start + Duration::days(14)).await.unwrap();
    // THEN lead 0 and 1 get nothing more on any channel, lead 3 no call/SMS
    let outbox = ls.store.outbox("stops").await.unwrap();
    for e in &outbox {
        if e.lead_id == lead_id("stops", "s0@s0.example")
            || e.lead_id == lead_id("stops", "s1@s1.example")
        {
            assert_eq!(e.step, 1, "sent after a reply/unsubscribe: {e:?}");
        }
        if e.lead_id == lead_id("stops", "s3@s3.example") {
            assert!(
                e.channel != "voice" && e.channel != "sms",
                "called/texted a DNC number"
            );
        }
    }
    assert!(
        outbox
            .iter()
            .any(|e| e.lead_id == lead_id("stops", "s2@s2.example") && e.channel == "voice"),
        "others go on"
    );
    let l1 = ls
        .store
        .lead("stops", &lead_id("stops", "s1@s1.example"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(l1.status.as_str(), "unsubscribed");
    let touches = ls.store.touches("stops", &l1.id).await.unwrap();
    assert!(touches
        .iter()
        .filter(|t| t.step > 1)
        .all(|t| t.state == TouchState::Cancelled));
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_windows_and_emergency_stop_are_checked_before_each_send() {
    // GIVEN 12 due leads in New York, a tenant cap of 5
    let mut ls = stack("caps", at("2026-12-01T12:00:00Z"), None).await;
    let auth = due_tenant(&mut ls, "caps", &emails("k", 12, "NY"), |c| {
        c.caps.email_per_tenant = 5
    })
    .await;
    // WHEN a tick runs at 07:00 New York: nothing goes out, all wait for 09:00
    let early = ls.tick().await.unwrap();
    assert_eq!((early.sent, early.waiting_for_window), (0, 12));
    // AND at 10:00 the cap lets 5 through, the rest wait for tomorrow
    ls.clock.set(at(IN_WINDOW));
    let r = ls
        .http(
            "POST",
            "/admin/control/emergency-stop",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    let stopped = ls.tick().await.unwrap();
    assert_eq!(stopped.sent, 0, "emergency stop blocks every send");
    assert!(stopped.blocked > 0);
    ls.http(
        "POST",
        "/admin/control/emergency-release",
        &[("authorization", &auth)],
        "",
    )
    .await;
    let r = ls
        .http(
            "POST",
            "/admin/control/pause",
            &[("authorization", &auth)],
            r#"{"reason":"domain audit"}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(ls.tick().await.unwrap().sent, 0, "paused");
    ls.http(
        "POST",
        "/admin/control/resume",
        &[("authorization", &auth)],
        "",
    )
    .await;
    let open = ls.tick().await.unwrap();
    assert_eq!((open.sent, open.waiting_for_cap), (5, 7));
    // THEN the next business day continues
    ls.run_until(at("2026-12-02T17:00:00Z")).await.unwrap();
    let outbox = ls.store.outbox("caps").await.unwrap();
    assert_eq!(outbox.iter().filter(|e| e.step == 1).count(), 10);
    let audit = ls
        .http("GET", "/admin/audit", &[("authorization", &auth)], "")
        .await
        .json();
    let actions: Vec<&str> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for a in [
        "emergency-stop",
        "emergency-release",
        "pause",
        "resume",
        "batch_approved",
    ] {
        assert!(actions.contains(&a), "audit lacks {a}: {actions:?}");
    }
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_trips_on_bounces_pauses_sending_and_alerts_slack() {
    let slack = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::body_string_contains(
            "Bounce breaker OPEN",
        ))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .expect(1)
        .mount(&slack)
        .await;
    // GIVEN 12 emails sent
    let mut ls = stack("breaker", at(IN_WINDOW), Some(&slack.uri())).await;
    let rows = emails("b", 13, "NY");
    let auth = due_tenant(&mut ls, "breaker", &rows, |c| c.caps.email_per_tenant = 12).await;
    assert_eq!(ls.tick().await.unwrap().sent, 12);
    // WHEN one permanent bounce arrives (1/12 = 8.3% > 5%)
    let id = lead_id("breaker", "b0@b0.example");
    let body = mailgun_event(
        LOCAL_MAILGUN_KEY,
        ls.now().timestamp(),
        "tok",
        "failed",
        Some("permanent"),
        "ev",
        "breaker",
        &id,
        "b0@b0.example",
    );
    assert_eq!(
        ls.http(
            "POST",
            "/webhooks/mailgun",
            &[("content-type", "application/json")],
            &body
        )
        .await
        .status,
        200
    );
    // the bus rule routes the signal to the breaker queue; the runner delivers it
    ls.drain().await.unwrap();
    // THEN sending pauses with the reason recorded, and Slack got one alert
    let control = ls.store.control("breaker").await.unwrap();
    assert!(control.breaker_open);
    assert!(control.breaker_reason.unwrap().contains("8.3%"));
    ls.clock.advance(Duration::days(1));
    let t = ls.tick().await.unwrap();
    assert_eq!(t.sent, 0);
    assert!(t.blocked > 0);
    slack.verify().await;
    let cp = ls
        .http(
            "GET",
            "/admin/control-plane",
            &[("authorization", &auth)],
            "",
        )
        .await
        .json();
    assert_eq!(cp["control"]["breaker_open"], true);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_executes_once_never_after_expiry_or_drift() {
    let mut ls = stack("batch", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "batch", |_| {}).await;
    import(&mut ls, &auth, &csv(&emails("q", 2, "NY"))).await;
    ls.drain().await.unwrap();
    let r = ls
        .http("POST", "/admin/batches", &[("authorization", &auth)], "{}")
        .await;
    let id = r.json()["batch_id"].as_str().unwrap().to_string();
    // expired: nothing approved
    ls.clock.advance(Duration::hours(25));
    let r = ls
        .http(
            "POST",
            &format!("/admin/batches/{id}/approve"),
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(ls.tick().await.unwrap().due, 0);
    // a fresh batch approves once; a second approval is refused
    let r = ls
        .http("POST", "/admin/batches", &[("authorization", &auth)], "{}")
        .await;
    let id = r.json()["batch_id"].as_str().unwrap().to_string();
    assert_eq!(
        ls.http(
            "POST",
            &format!("/admin/batches/{id}/approve"),
            &[("authorization", &auth)],
            ""
        )
        .await
        .status,
        200
    );
    assert_eq!(
        ls.http(
            "POST",
            &format!("/admin/batches/{id}/approve"),
            &[("authorization", &auth)],
            ""
        )
        .await
        .status,
        409
    );
    ls.clock.set(at("2026-12-03T15:00:00Z"));
    assert_eq!(ls.tick().await.unwrap().sent, 2);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sending_domain_added_later_gets_its_warmup_ramp() {
    // GIVEN a running tenant
    let mut ls = stack("newdomain", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "nd", |_| {}).await;
    let mut config = ls
        .http("GET", "/admin/config", &[("authorization", &auth)], "")
        .await
        .json();
    // WHEN an operator adds a domain without rows, and one used for a week
    config["domains"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"domain": "fresh.example", "warmup": []}));
    let week_ago = (ls.now() - Duration::days(7)).date_naive().to_string();
    config["domains"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"domain": "used.example", "warmup": [], "first_used": week_ago}));
    config["mailboxes"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"address": "al@fresh.example", "domain": "fresh.example"}));
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", &auth)],
            &config.to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // THEN each has its ramp: 5 a day for the new one, 20 for the week-old
    let today = ls
        .now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let cap = |rows: &[shared::domain::dispatch::warmup::WarmupRow]| {
        shared::domain::dispatch::warmup::domain_daily_cap(rows, today, 50)
    };
    let fresh = ls.store.warmup_rows("nd", "fresh.example").await.unwrap();
    let used = ls.store.warmup_rows("nd", "used.example").await.unwrap();
    assert_eq!((cap(&fresh), cap(&used)), (5, 20), "{fresh:?} {used:?}");
    // AND a domain that is not a host name cannot reach a header
    config["domains"][1]["domain"] = "x.example\r\nBcc: victim@x.example".into();
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", &auth)],
            &config.to_string(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "config.domains[1].domain", "{}", r.body);
    ls.cleanup().await;
}
