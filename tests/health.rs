//! Domain health on the local emulators (SPEC §10): bounces above 5% halve
//! a sending domain's cap, complaints above 0.1% pause it and alert Slack,
//! never on fewer sends than the minimum sample, and it recovers after the
//! clean period; every change is in the audit trail and the control plane.

use chrono::Duration;
use integration_tests::*;
use local_stack::runner::{mailgun_event, LocalStack, LOCAL_MAILGUN_KEY};
use shared::domain::safety::domain_health::DomainState;

async fn event(ls: &mut LocalStack, t: &str, i: usize, kind: &str) {
    let email = format!("h{i}@h{i}.example");
    let body = mailgun_event(
        LOCAL_MAILGUN_KEY,
        ls.now().timestamp(),
        &format!("tok-{kind}-{i}"),
        kind,
        (kind == "failed").then_some("permanent"),
        &format!("ev-{kind}-{i}"),
        t,
        &lead_id(t, &email),
        &email,
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

async fn state(ls: &LocalStack, t: &str, domain: &str) -> DomainState {
    ls.store
        .control(t)
        .await
        .unwrap()
        .domains
        .get(domain)
        .map(|h| h.state)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_is_halved_then_paused_exactly_at_its_thresholds_and_recovers() {
    let slack = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::body_string_contains(
            "Sending domain PAUSED",
        ))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .expect(1)
        .mount(&slack)
        .await;
    let mut ls = stack("health", at(IN_WINDOW), Some(&slack.uri())).await;
    let t = "health";
    let rows = emails("h", 40, "NY");
    let auth = due_tenant(&mut ls, t, &rows, |c| {
        // Only domain health acts here: the tenant-wide breaker is set aside.
        c.breaker.bounce_rate_threshold = 0.9;
        c.domain_health.min_sends = 40;
        c.caps.email_per_domain_after_warmup = 100;
        c.caps.email_per_tenant = 39;
    })
    .await;
    let domain = ls.store.require_config(t).await.unwrap().domains[0]
        .domain
        .clone();
    // GIVEN 39 emails sent from the domain, 2 of them bounced (5.1%)
    assert_eq!(ls.tick().await.unwrap().sent, 39);
    for i in 0..2 {
        event(&mut ls, t, i, "failed").await;
    }
    ls.drain().await.unwrap();
    // THEN below the minimum sample (40 sends) nothing changes
    assert_eq!(state(&ls, t, &domain).await, DomainState::Healthy);
    // WHEN the 40th goes out: 2 of 40 is 5%, not above the threshold
    let mut config = ls.store.require_config(t).await.unwrap();
    config.caps.email_per_tenant = 200;
    ls.store
        .put_config(&config, &[], "test", "more sends", ls.now())
        .await
        .unwrap();
    // (the 40th waited for the next day's window when the cap was full)
    ls.clock.advance(Duration::days(1));
    assert_eq!(ls.tick().await.unwrap().sent, 1);
    let e = ls.breaker.evaluate(t).await.unwrap();
    assert_eq!(
        e.domains.get(&domain).map(|h| h.state).unwrap_or_default(),
        DomainState::Healthy
    );
    // WHEN a third bounces (7.5%): the domain's cap is halved
    event(&mut ls, t, 2, "failed").await;
    ls.drain().await.unwrap();
    assert_eq!(state(&ls, t, &domain).await, DomainState::Halved);
    let cp = get(&mut ls, &auth, "/admin/control-plane").await;
    let health = &cp["domain_health"][0];
    assert_eq!(health["state"], "halved", "{health}");
    assert_eq!(
        health["cap_today"].as_u64().unwrap() * 2,
        health["cap_before_health"].as_u64().unwrap() / 2 * 2,
        "{health}"
    );
    // WHEN one complaint arrives (1/40 = 2.5% > 0.1%): paused, and alerted
    event(&mut ls, t, 5, "complained").await;
    ls.drain().await.unwrap();
    assert_eq!(state(&ls, t, &domain).await, DomainState::Paused);
    // THEN the next day nothing is sent from it
    ls.clock.advance(Duration::days(2));
    let next = ls.tick().await.unwrap();
    assert_eq!(next.sent, 0, "{next:?}");
    assert!(next.waiting_for_cap > 0, "nothing was due: {next:?}");
    let waiting = ls
        .store
        .touches(t, &lead_id(t, "h9@h9.example"))
        .await
        .unwrap()
        .into_iter()
        .find_map(|x| x.wait_reason)
        .unwrap_or_default();
    assert!(
        waiting.contains(&format!("email#domain#{domain}")),
        "{waiting}"
    );
    // AND after 72 clean hours it recovers
    ls.clock.advance(Duration::hours(73));
    let e = ls.breaker.evaluate(t).await.unwrap();
    assert_eq!(e.domains[&domain].state, DomainState::Healthy, "{e:?}");
    let actions: Vec<String> = audit(&mut ls, &auth)
        .await
        .into_iter()
        .filter(|(actor, _, _)| actor == "breaker-evaluator")
        .map(|(_, a, _)| a)
        .collect();
    for want in ["domain_halved", "domain_paused", "domain_recovered"] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} not in {actions:?}"
        );
    }
    slack.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_report_goes_to_slack_every_six_hours_and_errors_alert_once_an_hour() {
    let slack = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&slack)
        .await;
    // (18:00 UTC: a report slot; the last emails of the day are out)
    let mut ls = stack("report", at("2026-12-01T14:00:00Z"), Some(&slack.uri())).await;
    let t = "report";
    due_tenant(&mut ls, t, &emails("r", 5, "NY"), |_| {}).await;
    assert_eq!(ls.tick().await.unwrap().sent, 5);
    event(&mut ls, t, 0, "failed").await;
    // 11 messages the score function cannot read: 11 errors this hour
    let mut bad = aws_lambda_events::event::sqs::SqsEvent::default();
    bad.records = (0..11)
        .map(|i| {
            let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some("not json".into());
            m
        })
        .collect();
    ls.score.handle(bad).await;
    let texts = |requests: Vec<wiremock::Request>| -> Vec<String> {
        requests
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).to_string())
            .collect()
    };
    // WHEN the evaluator's schedule runs twice that hour, then twice in the
    // next report slot's first half hour
    for _ in 0..2 {
        ls.breaker.handle(serde_json::json!({})).await.unwrap();
        ls.clock.advance(Duration::minutes(15));
    }
    ls.clock.set(at("2026-12-01T18:00:00Z"));
    for _ in 0..2 {
        ls.breaker.handle(serde_json::json!({})).await.unwrap();
        ls.clock.advance(Duration::minutes(15));
    }
    let sent = texts(slack.received_requests().await.unwrap());
    let reports: Vec<&String> = sent
        .iter()
        .filter(|b| b.contains("Status of report"))
        .collect();
    let errors: Vec<&String> = sent
        .iter()
        .filter(|b| b.contains("score: 11 errors in the hour"))
        .collect();
    // THEN one error alert (that hour) and one report (that slot)
    assert_eq!((reports.len(), errors.len()), (1, 1), "{sent:?}");
    for want in [
        "Sent: 5 email",
        "Bounces: 1",
        "breaker",
        "touches in doubt: 0",
    ] {
        assert!(reports[0].contains(want), "{want} not in {}", reports[0]);
    }
    // AND six hours later the next report
    ls.clock.set(at("2026-12-02T00:00:00Z"));
    ls.breaker.handle(serde_json::json!({})).await.unwrap();
    let sent = texts(slack.received_requests().await.unwrap());
    assert_eq!(
        sent.iter()
            .filter(|b| b.contains("Status of report"))
            .count(),
        2
    );
}
