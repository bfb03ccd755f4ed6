//! Test support: every test gets its own stack (table, queues, bus) in the
//! emulators shared by the test process, and helpers to bootstrap tenants,
//! import leads and get touches due.

pub mod browser;
pub mod hooks;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use local_stack::emulators::shared_endpoints;
use local_stack::runner::{HttpAnswer, LocalStack, LOCAL_BOOTSTRAP_TOKEN};
use serde_json::{json, Value};
use shared::domain::ids::TenantId;
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::TouchState;
use std::sync::atomic::{AtomicU32, Ordering};

/// Tuesday 2026-12-01 10:00 in New York: the email window is open there.
pub const IN_WINDOW: &str = "2026-12-01T15:00:00Z";

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("valid RFC 3339 time")
}

/// A fresh, isolated stack (its own table, queues and bus) on the shared
/// emulators, with the clock at `start`.
pub async fn stack(name: &str, start: DateTime<Utc>, slack: Option<&str>) -> LocalStack {
    static N: AtomicU32 = AtomicU32::new(0);
    let endpoints = shared_endpoints().expect("local emulators (run infra/local/setup.sh)");
    let stack_name = format!(
        "t{}-{}-{}",
        std::process::id() % 10_000,
        N.fetch_add(1, Ordering::SeqCst),
        name
    );
    LocalStack::start(&endpoints, &stack_name, start, slack)
        .await
        .expect("stack provisioned")
}

/// Creates a tenant with the default config, changed by `tweak`; returns
/// the bearer header value.
pub async fn tenant(
    ls: &mut LocalStack,
    id: &str,
    tweak: impl FnOnce(&mut TenantConfig),
) -> String {
    let warmup_start = ls.now().date_naive() - chrono::Duration::days(60);
    let mut config = TenantConfig::default_for(TenantId::parse(id).unwrap(), id, warmup_start);
    tweak(&mut config);
    let auth = format!("Bearer {LOCAL_BOOTSTRAP_TOKEN}");
    let r = ls
        .http(
            "POST",
            "/admin/tenants",
            &[("authorization", &auth)],
            &json!({"tenant": id, "name": id, "config": config}).to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "bootstrap: {}", r.body);
    if !config.shadow_mode {
        // Every tenant starts in shadow mode and goes live through the
        // checked POST /admin/go-live; a test of the send path that needs a
        // live tenant without providers to probe switches it in the store.
        let mut live = ls.store.require_config(id).await.unwrap();
        live.shadow_mode = false;
        ls.store
            .put_config(
                &live,
                &[],
                "test",
                "live without go-live's probes",
                ls.now(),
            )
            .await
            .unwrap();
    }
    format!("Bearer {}", r.json()["token"].as_str().unwrap())
}

/// One CSV row of a dream (tier 1) dealer.
pub struct Row<'a> {
    pub email: &'a str,
    pub state: &'a str,
    pub phone: Option<&'a str>,
    pub linkedin: bool,
}

pub fn dealer(email: &str, state: &str) -> Row<'static> {
    Row {
        email: Box::leak(email.to_string().into_boxed_str()),
        state: Box::leak(state.to_string().into_boxed_str()),
        phone: None,
        linkedin: false,
    }
}

pub fn csv(rows: &[Row<'_>]) -> String {
    let mut out = String::from("first_name,email,title,company,website,phone,linkedin_url,city,state,country,industry,employees,rating,reviews,gbp,review_response_rate,notes\n");
    for (i, r) in rows.iter().enumerate() {
        let domain = r.email.split('@').nth(1).unwrap_or("x.example");
        out.push_str(&format!(
            "Jo{i},{},Owner,Dealer {i},https://{domain},{},{},Springfield,{},US,Used car dealer,12,3.6,48,yes,10%,independent lot\n",
            r.email,
            r.phone.unwrap_or(""),
            if r.linkedin { format!("https://linkedin.example/in/jo{i}") } else { String::new() },
            r.state
        ));
    }
    out
}

pub async fn import(ls: &mut LocalStack, auth: &str, csv: &str) -> Value {
    let r = ls
        .http(
            "POST",
            "/admin/leads/import",
            &[("authorization", auth)],
            csv,
        )
        .await;
    assert_eq!(r.status, 200, "import: {}", r.body);
    r.json()
}

/// Runs the pipeline (enrich, score, craft) and approves every draft.
pub async fn approve_all(ls: &mut LocalStack, auth: &str) -> String {
    ls.drain().await.expect("pipeline drains");
    let r = ls
        .http("POST", "/admin/batches", &[("authorization", auth)], "{}")
        .await;
    assert_eq!(r.status, 201, "batch: {}", r.body);
    let id = r.json()["batch_id"].as_str().unwrap().to_string();
    let r = ls
        .http(
            "POST",
            &format!("/admin/batches/{id}/approve"),
            &[("authorization", auth)],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "approve: {}", r.body);
    id
}

/// Imports `rows` for a new tenant and approves them: step 1 of every lead
/// is due now.
pub async fn due_tenant(
    ls: &mut LocalStack,
    id: &str,
    rows: &[Row<'_>],
    tweak: impl FnOnce(&mut TenantConfig),
) -> String {
    let auth = tenant(ls, id, tweak).await;
    import(ls, &auth, &csv(rows)).await;
    approve_all(ls, &auth).await;
    auth
}

pub fn emails(prefix: &str, n: usize, state: &str) -> Vec<Row<'static>> {
    (0..n)
        .map(|i| dealer(&format!("{prefix}{i}@{prefix}{i}.example"), state))
        .collect()
}

/// The id a lead imported with `email` gets in `tenant`.
pub fn lead_id(tenant: &str, email: &str) -> String {
    let t = shared::domain::ids::TenantId::parse(tenant).unwrap();
    shared::domain::ids::LeadId::from_dedup_key(&t, &format!("email:{email}")).to_string()
}

/// `GET path` with the tenant's token; asserts 200 and returns the JSON.
pub async fn get(ls: &mut LocalStack, auth: &str, path: &str) -> Value {
    let r = ls.http("GET", path, &[("authorization", auth)], "").await;
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    r.json()
}

/// `POST path` with the tenant's token.
pub async fn post(ls: &mut LocalStack, auth: &str, path: &str, body: &str) -> HttpAnswer {
    ls.http("POST", path, &[("authorization", auth)], body)
        .await
}

/// The state of every step of a lead, in step order.
pub async fn states(ls: &LocalStack, tenant: &str, lead: &str) -> Vec<TouchState> {
    let mut touches = ls.store.touches(tenant, lead).await.unwrap();
    touches.sort_by_key(|t| t.step);
    touches.iter().map(|t| t.state).collect()
}

/// `(actor, action, detail)` of the tenant's audit trail.
pub async fn audit(ls: &mut LocalStack, auth: &str) -> Vec<(String, String, String)> {
    get(ls, auth, "/admin/audit").await["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let g = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (g("actor"), g("action"), g("detail"))
        })
        .collect()
}

/// A tier-1 dealer with a phone and a LinkedIn profile: every step of the
/// default sequence keeps its own channel.
pub fn reachable(i: usize, prefix: &str) -> Row<'static> {
    let mut r = dealer(&format!("{prefix}{i}@{prefix}{i}.example"), "NY");
    r.phone = Some(Box::leak(
        format!("+1212555{:04}", 100 + i).into_boxed_str(),
    ));
    r.linkedin = true;
    r
}

/// A queue that receives every event the stack publishes on its bus (a
/// rule of its own on the stack's bus, in moto): what a consumer sees.
pub async fn bus_tap(ls: &LocalStack, name: &str) -> String {
    let bus = ls.provisioned.bus_name.clone();
    let queue = format!("{bus}-tap-{name}");
    let url = ls
        .sqs
        .create_queue()
        .queue_name(&queue)
        .send()
        .await
        .expect("tap queue")
        .queue_url
        .expect("queue url");
    let arn = ls
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue arn")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    let rule = format!("{queue}-rule");
    ls.events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(json!({"source": [shared::adapters::bus::SIGNAL_SOURCE]}).to_string())
        .send()
        .await
        .expect("tap rule");
    ls.events
        .put_targets()
        .rule(&rule)
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("tap")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tap target");
    url
}

/// Every event on the tap so far (removed from it): `(detail-type, detail)`.
pub async fn tapped(ls: &LocalStack, url: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    loop {
        let got = ls
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive from tap");
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            let v: Value = serde_json::from_str(m.body().unwrap_or("{}")).unwrap_or(Value::Null);
            out.push((
                v["detail-type"].as_str().unwrap_or_default().to_string(),
                v["detail"].clone(),
            ));
            ls.sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete from tap");
        }
    }
}

/// Every item of the stack's table, each flattened to one lower-case
/// string of its keys and values (a test may Scan; the code never does).
pub async fn scan(ls: &LocalStack) -> Vec<String> {
    fn flat(v: &AttributeValue, out: &mut String) {
        match v {
            AttributeValue::S(s) | AttributeValue::N(s) => out.push_str(s),
            AttributeValue::Ss(v) | AttributeValue::Ns(v) => out.push_str(&v.join(" ")),
            AttributeValue::L(l) => l.iter().for_each(|v| flat(v, out)),
            AttributeValue::M(m) => m.iter().for_each(|(k, v)| {
                out.push_str(k);
                out.push('=');
                flat(v, out);
                out.push(' ');
            }),
            AttributeValue::B(b) => out.push_str(&String::from_utf8_lossy(b.as_ref())),
            other => out.push_str(&format!("{other:?}")),
        }
        out.push(' ');
    }
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = ls
            .ddb
            .scan()
            .table_name(ls.store.table())
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        for item in page.items.unwrap_or_default() {
            let mut s = String::new();
            flat(&AttributeValue::M(item), &mut s);
            items.push(s.to_lowercase());
        }
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return items,
        }
    }
}
