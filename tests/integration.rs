//! Integration tests against the real local emulators (DynamoDB Local and
//! moto): each test provisions its own stack from `infra/template.yaml`.
//! This target covers the campaign end to end, concurrent ticks, tenant
//! isolation, redelivery and dead-lettering, import reports, the sample
//! events and the SAM template, and the stack served over real HTTP;
//! `controls.rs` covers what stops a send.

use chrono::Duration;
use integration_tests::*;
use local_stack::runner::{mailgun_event, mailgun_reply, LOCAL_BOOTSTRAP_TOKEN, LOCAL_MAILGUN_KEY};
use local_stack::serve::serve_stack;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_runs_end_to_end_inside_windows_caps_and_stops() {
    // GIVEN leads across zones (incl. Arizona and Hawaii), a suppressed one
    // and an excluded customer domain, with a domain cap of 20 a day
    let start = at("2026-11-26T12:00:00Z");
    let mut ls = stack("e2e", start, None).await;
    let auth = tenant(&mut ls, "e2e", |c| {
        // One bounce at this volume would trip the breaker (tested on its own).
        c.breaker.bounce_rate_threshold = 0.5;
        c.excluded_domains = vec!["customer.example".into()];
        for d in &mut c.domains {
            for r in &mut d.warmup {
                r.daily_cap = 20;
            }
        }
    })
    .await;
    let mut rows = Vec::new();
    for (i, st) in ["NY", "IL", "CO", "AZ", "CA", "HI", "FL", "TX"]
        .iter()
        .enumerate()
    {
        for j in 0..4 {
            let mut r = dealer(&format!("d{i}x{j}@dealer{i}x{j}.example"), st);
            if j % 2 == 0 {
                r.phone = Some(Box::leak(
                    format!("+1602555{:04}", i * 10 + j).into_boxed_str(),
                ));
            }
            r.linkedin = j == 1;
            rows.push(r);
        }
    }
    rows.push(dealer("gm@east.customer.example", "NY"));
    rows.push(dealer("blocked@dealerblocked.example", "NY"));
    let r = ls
        .http(
            "POST",
            "/admin/suppressions",
            &[("authorization", &auth)],
            r#"{"kind":"email","value":"blocked@dealerblocked.example"}"#,
        )
        .await;
    assert_eq!(r.status, 201);
    import(&mut ls, &auth, &csv(&rows)).await;
    approve_all(&mut ls, &auth).await;

    // WHEN a reply and a hard bounce arrive after the first sends and 14 days play out
    ls.run_until(start + Duration::hours(8)).await.unwrap();
    let replier = "d0x0@dealer0x0.example";
    let bouncer = "d1x1@dealer1x1.example";
    let ts = ls.now().timestamp();
    let body = mailgun_reply(LOCAL_MAILGUN_KEY, ts, "tok-r", replier, "Re: hi", "<r1@x>");
    assert_eq!(
        ls.http(
            "POST",
            "/webhooks/mailgun?tenant=e2e",
            &[("content-type", "application/x-www-form-urlencoded")],
            &body
        )
        .await
        .status,
        200
    );
    let body = mailgun_event(
        LOCAL_MAILGUN_KEY,
        ts,
        "tok-b",
        "failed",
        Some("permanent"),
        "ev-b",
        "e2e",
        &lead_id("e2e", bouncer),
        bouncer,
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
    let signals_at = ls.now();
    ls.run_until(start + Duration::days(14)).await.unwrap();

    // THEN every send is inside its recipient's window, under every cap,
    // never to a suppressed or excluded address, never after a reply, and
    // no email after a bounce
    let store = &ls.store;
    let config = store.config_with_warmup("e2e").await.unwrap().unwrap();
    let outbox = store.outbox("e2e").await.unwrap();
    assert!(
        outbox.len() > 60,
        "the sequence progressed: {} sends",
        outbox.len()
    );
    let mut per_day: HashMap<(String, chrono::NaiveDate), u32> = HashMap::new();
    let mut seen = HashSet::new();
    for e in &outbox {
        assert!(
            seen.insert((e.lead_id.clone(), e.step)),
            "sent twice: {} step {}",
            e.lead_id,
            e.step
        );
        let lead = store.lead("e2e", &e.lead_id).await.unwrap().unwrap();
        let tz: chrono_tz::Tz = lead.timezone.as_deref().unwrap().parse().unwrap();
        let w = match e.channel.as_str() {
            "email" => &config.windows.email,
            "voice" => &config.windows.call,
            "sms" => &config.windows.sms,
            _ => &config.windows.linkedin,
        };
        assert!(
            w.is_open(e.sent_at, tz),
            "{} {} sent at {} outside its window in {tz}",
            e.lead_id,
            e.channel,
            e.sent_at
        );
        assert!(
            !e.to.contains("customer.example"),
            "sent to an excluded domain"
        );
        assert_ne!(
            e.to, "blocked@dealerblocked.example",
            "sent to a suppressed address"
        );
        if e.to == replier || e.lead_id == lead_id("e2e", replier) {
            assert!(e.sent_at <= signals_at, "sent after the reply");
        }
        if e.lead_id == lead_id("e2e", bouncer) && e.channel == "email" {
            assert!(e.sent_at <= signals_at, "email after a hard bounce");
        }
        if e.channel == "email" {
            *per_day
                .entry((
                    e.sender_domain.clone().unwrap(),
                    e.sent_at.with_timezone(&config.tz()).date_naive(),
                ))
                .or_default() += 1;
        }
    }
    for ((domain, day), n) in per_day {
        assert!(n <= 20, "{domain} sent {n} on {day}, cap 20");
    }
    let zones: HashSet<String> = store
        .leads("e2e")
        .await
        .unwrap()
        .into_iter()
        .filter_map(|l| l.timezone)
        .collect();
    assert!(
        zones.contains("America/Phoenix") && zones.contains("Pacific/Honolulu"),
        "{zones:?}"
    );
    assert!(
        outbox.iter().any(|e| e.channel == "sms"),
        "day-12 SMS step reached"
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ticks_never_send_twice_nor_pass_a_cap() {
    for round in 0..3 {
        // GIVEN 40 due touches and a tenant cap of 25 emails a day
        let mut ls = stack(&format!("race{round}"), at(IN_WINDOW), None).await;
        due_tenant(&mut ls, "race", &emails("r", 40, "NY"), |c| {
            c.caps.email_per_tenant = 25
        })
        .await;
        // WHEN 8 dispatchers tick at the same moment, three times over
        let mut handles = Vec::new();
        let store = ls.store.clone();
        let clock: Arc<dyn shared::ports::Clock> = Arc::new(ls.clock.clone());
        for _ in 0..8 {
            let app = Arc::new(dispatch_tick::App::new(store.clone(), clock.clone()));
            handles.push(tokio::spawn(async move {
                let mut sent = 0;
                for _ in 0..3 {
                    sent += app.tick().await.unwrap().sent;
                }
                sent
            }));
        }
        let sent: u32 = futures::future::join_all(handles)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .sum();
        // THEN exactly the cap went out, each touch once, and the counter agrees
        let outbox = store.outbox("race").await.unwrap();
        let unique: HashSet<_> = outbox.iter().map(|e| (e.lead_id.clone(), e.step)).collect();
        assert_eq!(unique.len(), outbox.len(), "a touch was sent twice");
        assert_eq!(outbox.len(), 25, "round {round}: tenant cap 25");
        assert_eq!(sent, 25);
        let today = ls
            .now()
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive();
        let counters = store.counters("race", today).await.unwrap();
        let tenant_ctr = counters
            .iter()
            .find(|(s, _, _)| s == "email#tenant")
            .unwrap();
        assert_eq!((tenant_ctr.1, tenant_ctr.2), (25, 25));
        ls.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated_by_key_and_by_token() {
    let mut ls = stack("iso", at(IN_WINDOW), None).await;
    let a = due_tenant(&mut ls, "tenant-a", &emails("a", 3, "NY"), |_| {}).await;
    let b = tenant(&mut ls, "tenant-b", |_| {}).await;
    import(&mut ls, &b, &csv(&emails("b", 3, "NY"))).await;
    ls.drain().await.unwrap();
    let r = ls
        .http("POST", "/admin/batches", &[("authorization", &b)], "{}")
        .await;
    let b_batch = r.json()["batch_id"].as_str().unwrap().to_string();
    ls.tick().await.unwrap();
    let b_lead = lead_id("tenant-b", "b0@b0.example");
    // A's token cannot read or change B's data
    assert_eq!(
        ls.http(
            "GET",
            &format!("/admin/leads/{b_lead}"),
            &[("authorization", &a)],
            ""
        )
        .await
        .status,
        404
    );
    assert_eq!(
        ls.http(
            "POST",
            &format!("/admin/batches/{b_batch}/approve"),
            &[("authorization", &a)],
            ""
        )
        .await
        .status,
        404
    );
    let listed = ls
        .http("GET", "/admin/leads", &[("authorization", &a)], "")
        .await
        .json();
    assert!(listed["leads"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["email"].as_str().unwrap().starts_with('a')));
    // a forged token for B fails
    assert_eq!(
        ls.http(
            "GET",
            "/admin/leads",
            &[("authorization", "Bearer tenant-b.0000")],
            ""
        )
        .await
        .status,
        401
    );
    assert_eq!(ls.http("GET", "/admin/leads", &[], "").await.status, 401);
    // every item carries its tenant in the key
    let mut start = None;
    let mut count = 0;
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
            count += 1;
            let pk = item["PK"].as_s().unwrap();
            let sk = item["SK"].as_s().unwrap();
            let scoped = |t: &str| {
                pk == &format!("T#{t}")
                    || pk.starts_with(&format!("T#{t}#"))
                    || (pk == "TENANTS" && sk == &format!("T#{t}"))
            };
            // Shard leases belong to the dispatcher, and used webhook
            // tokens to the deployment (one signing key signs every
            // tenant's events), not to a tenant.
            let dispatcher = pk == "DISPATCH" || pk.starts_with("WHTOKEN#");
            assert!(
                scoped("tenant-a") || scoped("tenant-b") || dispatcher,
                "unscoped key {pk} / {sk}"
            );
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    assert!(count > 30);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_message_is_redelivered_then_dead_lettered() {
    let mut ls = stack("dlq", at(IN_WINDOW), None).await;
    let url = ls.provisioned.queues["EnrichQueue"].url.clone();
    // a message whose processing fails with a retryable (store) error
    ls.sqs
        .send_message()
        .queue_url(&url)
        .message_body(r#"{"tenant":"nobody","lead_id":"00000000000000000000"}"#)
        .send()
        .await
        .unwrap();
    ls.store
        .client()
        .delete_table()
        .table_name(ls.store.table())
        .send()
        .await
        .unwrap();
    let start = ls.now();
    ls.run_queues_until(start + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(ls.deliveries.sqs_failures, 5, "maxReceiveCount deliveries");
    assert_eq!(ls.dlq_depth("EnrichQueue").await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reports_bad_rows_and_is_idempotent() {
    let mut ls = stack("import", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "imp", |_| {}).await;
    let csv_text = "Email Address,First Name,Company,Website,Phone,State\r\njo@a.example,Jo,A,https://a.example,,NY\r\nbad-email,Al,B,,,NY\r\n\"Smith, Pat\"@x,Pat,\"C, Inc\",,,TX\r\nJO@A.EXAMPLE,Jo,A,https://a.example,(212) 555-0100,NY\r\n,Mo,Phone Only,https://phone.example,212-555-0111,NY\r\n";
    let first = import(&mut ls, &auth, csv_text).await;
    assert_eq!(first["created"], 2);
    assert_eq!(first["duplicates_in_file"], 1, "{first}");
    let errors: Vec<(u64, String)> = first["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The column is named as the file names it.
    assert_eq!(
        errors,
        vec![
            (3, "Email Address".to_string()),
            (4, "Email Address".to_string())
        ]
    );
    let again = import(&mut ls, &auth, csv_text).await;
    assert_eq!(
        (again["created"].as_u64(), again["merged"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    ls.drain().await.unwrap();
    let lead = ls
        .store
        .lead("imp", &lead_id("imp", "jo@a.example"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.phone.as_deref(), Some("+12125550100"));
    assert_eq!(lead.timezone.as_deref(), Some("America/New_York"));
    // Newer data merges into the stored lead; the report and the lead's
    // timeline say which fields.
    let newer = import(
        &mut ls,
        &auth,
        "email,city,title\nJo@A.example,Albany,Owner\n",
    )
    .await;
    assert_eq!(newer["merged"], 1, "{newer}");
    assert_eq!(
        newer["merges"][0]["fields"],
        serde_json::json!(["title", "city"])
    );
    let r = ls
        .http(
            "GET",
            &format!("/admin/leads/{}", lead_id("imp", "jo@a.example")),
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert!(
        r.body.contains("merged from upload: title, city"),
        "{}",
        r.body
    );
    ls.cleanup().await;
}

/// Every sample event in `events/` goes through its handler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_handler_accepts_its_sample_events() {
    let root = local_stack::emulators::repo_root().join("events");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(root.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")),
        )
        .unwrap()
    };
    // The webhook samples are signed with the local key at 2026-12-01T15:00:00Z.
    let mut ls = stack("events", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "demo-tenant", |_| {}).await;
    import(&mut ls, &auth, &csv(&[dealer("jo@dealer.example", "AZ")])).await;
    let none: Vec<String> = vec![];
    for (file, binary) in [
        ("enrich.sqs.json", "enrich"),
        ("score.sqs.json", "score"),
        ("craft.sqs.json", "craft"),
        // a redraft of a step an operator rejected; step 1 is a fresh draft
        // here, so it is left as it is
        ("craft.redraft.sqs.json", "craft"),
        // a config change's re-scoring page: the lead is current, nothing moves
        ("score.rescore.sqs.json", "score"),
    ] {
        let ev: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(read(file)).unwrap();
        let resp = match binary {
            "enrich" => ls.enrich.handle(ev).await,
            "score" => ls.score.handle(ev).await,
            _ => ls.craft.handle(ev).await,
        };
        let failed: Vec<String> = resp
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(failed, none, "{file}");
    }
    let lead = ls
        .store
        .lead("demo-tenant", "5eb36f6ec34835afc659")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        lead.status.as_str(),
        "queued",
        "the sample events carried the lead through the pipeline"
    );
    approve_all(&mut ls, &auth).await;
    ls.clock.set(at("2026-12-01T17:00:00Z"));
    let report = ls.dispatch.tick().await.unwrap();
    assert_eq!(report.sent, 1);
    let _: serde_json::Value = read("dispatch-tick.schedule.json");
    let _: serde_json::Value = read("decay-cron.schedule.json");
    ls.decay.run().await.unwrap();
    let _: serde_json::Value = read("prospect.schedule.json");
    ls.prospect.run().await.unwrap();
    ls.breaker
        .handle(read("breaker-evaluator.schedule.json"))
        .await
        .unwrap();
    let out = ls
        .breaker
        .handle(read("breaker-evaluator.sqs.json"))
        .await
        .unwrap();
    assert_eq!(out["batchItemFailures"], serde_json::json!([]));
    ls.clock.set(at(IN_WINDOW));
    for (file, want) in [
        ("webhook-ingest.mailgun-opened.json", 200),
        ("webhook-ingest.mailgun-bounce.json", 200),
        ("webhook-ingest.mailgun-reply.json", 200),
        ("webhook-ingest.mailgun-forged.json", 401),
    ] {
        let req: aws_lambda_events::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(read(file)).unwrap();
        let resp = ls.webhook.handle(req).await;
        assert_eq!(resp.status_code, want, "{file}");
    }
    for file in ["admin.control-plane.json", "admin.dialer.json"] {
        let req: aws_lambda_events::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(read(file)).unwrap();
        assert_eq!(
            ls.admin.handle(req).await.status_code,
            401,
            "{file}: the sample carries a placeholder token"
        );
    }
    ls.cleanup().await;
}

#[test]
fn the_sam_template_passes_cfn_lint_and_sam_validate() {
    let root = local_stack::emulators::repo_root();
    let venv = root.join(".local-stack/venv/bin");
    let lint = std::process::Command::new(venv.join("cfn-lint"))
        .arg(root.join("infra/template.yaml"))
        .output()
        .expect("cfn-lint installed by infra/local/setup.sh");
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let sam = std::process::Command::new(venv.join("sam"))
        .args(["validate", "--lint", "-t"])
        .arg(root.join("infra/template.yaml"))
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("SAM_CLI_TELEMETRY", "0")
        .current_dir(&root)
        .output()
        .expect("sam installed by infra/local/setup.sh");
    assert!(
        sam.status.success(),
        "sam validate: {}{}",
        String::from_utf8_lossy(&sam.stdout),
        String::from_utf8_lossy(&sam.stderr)
    );
}

// A current-thread runtime, the harder case for `serve_stack`: the stack's
// pooled connections were opened on this runtime, and are used from the
// server's own thread while this test awaits.
#[tokio::test]
async fn a_local_stack_answers_real_http_through_its_admin_and_webhook_functions() {
    // GIVEN a provisioned stack served over HTTP
    let ls = Arc::new(tokio::sync::Mutex::new(
        stack("serve", at(IN_WINDOW), None).await,
    ));
    let served = serve_stack(ls.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("local server bound");
    let http = shared::adapters::http::client().unwrap();

    // WHEN a tenant is bootstrapped over HTTP
    let created = http
        .post(format!("{}/admin/tenants", served.url()))
        .bearer_auth(LOCAL_BOOTSTRAP_TOKEN)
        .body(serde_json::json!({ "tenant": "served", "name": "Served Co" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let token = created.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .expect("a token")
        .to_string();

    // THEN its token works on the admin routes, with the query string
    let leads = http
        .get(format!("{}/admin/leads?status=new&q=nobody", served.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(leads.status(), 200);
    // AND an unknown route, a malformed webhook and a missing token are refused
    let status = |path: &'static str| {
        let http = http.clone();
        let url = format!("{}{path}", served.url());
        let token = token.clone();
        async move {
            http.post(url)
                .bearer_auth(token)
                .body("timestamp=1&token=x&signature=forged")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("/admin/no-such-route").await, 404);
    assert_eq!(status("/elsewhere").await, 404);
    // (webhook-ingest's answer to a body that is no Mailgun event; admin
    // would have said 404)
    assert_eq!(status("/webhooks/mailgun").await, 400);
    let anonymous = http
        .get(format!("{}/admin/config", served.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    // AND the test still holds the stack: the tenant is in its store
    let config = ls
        .lock()
        .await
        .store
        .require_config("served")
        .await
        .unwrap();
    assert_eq!(config.tenant.as_str(), "served");
    served.stop();
}
