//! The console with 10,000 leads (and 10,000 drafts) on the local stack:
//! every page's server time and DynamoDB requests, printed. The request
//! count is what must not grow with the tenant (asserted); times are
//! printed, not asserted (the machine's load would make them flaky).

use integration_tests::*;
use local_stack::runner::{LocalStack, LOCAL_CONSOLE_KEY};
use serde_json::json;
use shared::domain::lead::{LeadStatus, Tier};
use shared::domain::operators::session;
use std::time::Instant;

const LEADS: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_reads_a_bounded_number_of_items_with_10k_leads() {
    let mut ls = stack("console-scale", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "big", |_| {}).await;
    import(
        &mut ls,
        &auth,
        &csv(&[dealer("seed@seed-motors.example", "NY")]),
    )
    .await;
    ls.drain().await.unwrap();
    let seed = lead_id("big", "seed@seed-motors.example");
    let (lead, touches, _) = ls.store.lead_view("big", &seed).await.unwrap().unwrap();
    let draft = touches
        .iter()
        .find(|t| t.state == shared::domain::touch::TouchState::Draft)
        .expect("a draft")
        .clone();
    let started = Instant::now();
    let mut leads = Vec::with_capacity(LEADS);
    let mut drafts = Vec::with_capacity(LEADS);
    for i in 0..LEADS {
        let mut l = lead.clone();
        let email = format!("owner{i}@dealer{i}.example");
        l.id = lead_id("big", &email);
        l.email = Some(email);
        l.company = Some(format!("Dealer {i}"));
        l.company_domain = Some(format!("dealer{i}.example"));
        l.status = [
            LeadStatus::Queued,
            LeadStatus::Contacted,
            LeadStatus::Replied,
        ][i % 3];
        l.tier = Some([Tier::Tier1, Tier::Tier2][i % 2]);
        let mut d = draft.clone();
        d.lead_id = l.id.clone();
        d.recipient = l.email.clone().unwrap();
        leads.push(l);
        drafts.push(d);
    }
    ls.store.load_bulk(&leads, &drafts).await.unwrap();
    println!(
        "loaded {LEADS} leads and {LEADS} drafts in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let r = post(
        &mut ls,
        &auth,
        "/admin/operators",
        &json!({"login": "ada", "display_name": "Ada", "role": "admin", "password": "correct horse battery staple"}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let now = ls.now();
    let expires = now + chrono::Duration::hours(1);
    ls.store
        .open_session("big", "ada", "scalesession", now, expires)
        .await
        .unwrap();
    let token = session::issue(
        LOCAL_CONSOLE_KEY.as_bytes(),
        &session::Claims {
            tenant: "big".into(),
            login: "ada".into(),
            session_id: "scalesession".into(),
            expires,
        },
    )
    .unwrap();
    let cookie = format!("{}={token}", session::COOKIE);
    let some = &leads[4321].id;
    let pages = [
        "/console".to_string(),
        "/console/approvals".to_string(),
        "/console/approvals?tier=2".to_string(),
        "/console/leads".to_string(),
        "/console/leads?status=contacted&tier=1".to_string(),
        "/console/leads?q=dealer 9999".to_string(),
        "/console/leads?q=owner4321@dealer4321.example".to_string(),
        format!("/console/leads/{some}"),
        "/console/inbox".to_string(),
        "/console/campaigns".to_string(),
        "/console/deliverability".to_string(),
        "/console/memory".to_string(),
        "/console/suppressions".to_string(),
        "/console/in-doubt".to_string(),
        "/console/audit".to_string(),
        "/console/operators".to_string(),
    ];
    println!(
        "{:<42} {:>9} {:>9} {:>9}",
        "page", "median ms", "max ms", "requests"
    );
    for path in &pages {
        let (median, max, requests) = measure(&mut ls, path, &cookie).await;
        println!("{path:<42} {median:>9.1} {max:>9.1} {requests:>9}");
        assert!(
            requests <= 24,
            "{path} made {requests} DynamoDB requests: a page must not read in proportion to the tenant"
        );
    }
}

/// Five renders of `path`: the median and worst server time (ms) and the
/// DynamoDB requests of one render.
async fn measure(ls: &mut LocalStack, path: &str, cookie: &str) -> (f64, f64, u64) {
    let mut times = Vec::new();
    let mut requests = 0;
    for _ in 0..5 {
        let req = LocalStack::request("GET", path, &[("cookie", cookie)], "");
        let before = ls.store.requests();
        let t = Instant::now();
        let resp = ls.handle_http(req).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        requests = ls.store.requests() - before;
        let body = match resp.body {
            Some(aws_lambda_events::encodings::Body::Text(t)) => t,
            _ => String::new(),
        };
        assert!(
            resp.status_code == 200 || resp.status_code == 303,
            "{path}: {} {body}",
            resp.status_code
        );
    }
    times.sort_by(f64::total_cmp);
    (times[2], times[4], requests)
}
