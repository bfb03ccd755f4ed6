//! The demo: starts the local stack, bootstraps two tenants, imports the
//! sample leads, runs the pipeline, approves the drafts, and plays 14
//! simulated days in shadow mode, posting signed webhooks along the way (a
//! reply, a hard bounce, an unsubscribe, opens, and enough bounces on the
//! second tenant to trip the breaker). Ends with a readable report.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use local_stack::emulators::{repo_root, OwnedStack};
use local_stack::runner::{
    mailgun_event, mailgun_reply, LocalStack, LOCAL_BOOTSTRAP_TOKEN, LOCAL_MAILGUN_KEY,
};
use local_stack::sink::AlertSink;
use local_stack::standins::{Faults, StandInKeys, StandIns};
use serde_json::{json, Value};
use shared::adapters::senders::live::ProviderUrls;
use shared::domain::dispatch::warmup::domain_daily_cap;
use shared::domain::ids::TenantId;
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::TouchState;
use std::collections::BTreeMap;
use std::time::Instant;

type Res<T> = Result<T, String>;

mod campaigns;
mod live;
mod serve;
mod signals;

fn check(what: &str, status: u16, body: &str, want: u16) -> Res<()> {
    if status != want {
        return Err(format!(
            "{what}: expected HTTP {want}, got {status}: {body}"
        ));
    }
    Ok(())
}

async fn bootstrap(
    ls: &mut LocalStack,
    tenant: &str,
    name: &str,
    warmup_start: NaiveDate,
    excluded: &[&str],
) -> Res<String> {
    let mut config = TenantConfig::default_for(
        TenantId::parse(tenant).map_err(|e| e.to_string())?,
        name,
        warmup_start,
    );
    config.excluded_domains = excluded.iter().map(|s| s.to_string()).collect();
    let body = json!({"tenant": tenant, "name": name, "config": config}).to_string();
    let auth = format!("Bearer {LOCAL_BOOTSTRAP_TOKEN}");
    let r = ls
        .http("POST", "/admin/tenants", &[("authorization", &auth)], &body)
        .await;
    check("bootstrap", r.status, &r.body, 201)?;
    Ok(r.json()["token"].as_str().unwrap_or_default().to_string())
}

async fn import(ls: &mut LocalStack, token: &str, file: &str) -> Res<Value> {
    let csv = std::fs::read_to_string(repo_root().join("infra/local/demo").join(file))
        .map_err(|e| e.to_string())?;
    let auth = format!("Bearer {token}");
    let r = ls
        .http(
            "POST",
            "/admin/leads/import",
            &[("authorization", &auth), ("x-source-name", file)],
            &csv,
        )
        .await;
    check("import", r.status, &r.body, 200)?;
    Ok(r.json())
}

async fn approve_all(ls: &mut LocalStack, token: &str) -> Res<Value> {
    let auth = format!("Bearer {token}");
    let r = ls
        .http("POST", "/admin/batches", &[("authorization", &auth)], "{}")
        .await;
    check("create batch", r.status, &r.body, 201)?;
    let batch = r.json();
    let id = batch["batch_id"].as_str().unwrap_or_default().to_string();
    let r = ls
        .http(
            "POST",
            &format!("/admin/batches/{id}/approve"),
            &[("authorization", &auth)],
            "",
        )
        .await;
    check("approve batch", r.status, &r.body, 200)?;
    let again = ls
        .http(
            "POST",
            &format!("/admin/batches/{id}/approve"),
            &[("authorization", &auth)],
            "",
        )
        .await;
    check(
        "approve the same batch twice",
        again.status,
        &again.body,
        409,
    )?;
    Ok(json!({"batch": batch, "approved": r.json()}))
}

async fn post_webhook(
    ls: &mut LocalStack,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, String) {
    let r = ls
        .http("POST", path, &[("content-type", content_type)], body)
        .await;
    (r.status, r.body)
}

fn pad(s: impl std::fmt::Display, w: usize) -> String {
    format!("{:<w$}", s.to_string())
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    if let Err(e) = run(started).await {
        eprintln!("demo failed: {e}");
        std::process::exit(1);
    }
}

async fn run(started: Instant) -> Res<()> {
    tracing_subscriber_init();
    println!("== outbound demo: local stack, 2 tenants, 14 simulated days, shadow mode ==\n");
    let stack = OwnedStack::start().map_err(|e| e.to_string())?;
    println!(
        "emulators up in {:.1}s: DynamoDB Local {}, moto {}",
        started.elapsed().as_secs_f64(),
        stack.endpoints.dynamodb,
        stack.endpoints.sqs_events
    );
    let sink = AlertSink::start().map_err(|e| e.to_string())?;
    // Thursday 2026-11-26 07:00 New York: 14 days reach every step of the
    // default sequence (day 12 lands on a business day).
    let start: DateTime<Utc> = "2026-11-26T12:00:00Z"
        .parse()
        .map_err(|e: chrono::ParseError| e.to_string())?;
    let mut ls =
        LocalStack::start(&stack.endpoints, "outbound-demo", start, Some(&sink.url)).await?;
    println!(
        "provisioned from infra/template.yaml: table {}, {} queues, bus {}, {} functions\n",
        ls.provisioned.table_name,
        ls.provisioned.queues.len(),
        ls.provisioned.bus_name,
        ls.provisioned.functions.len()
    );

    let acme = "acme-dealers";
    let agency = "northside-agency";
    let token_a = bootstrap(
        &mut ls,
        acme,
        "Acme Dealer Growth",
        start.date_naive(),
        &["existingcustomer.example"],
    )
    .await?;
    let token_b = bootstrap(
        &mut ls,
        agency,
        "Northside Agency client",
        start.date_naive() - Duration::days(28),
        &[],
    )
    .await?;
    campaigns::set_up(&mut ls, &token_a).await?;
    // One dealer asked never to be called or texted.
    let auth_a = format!("Bearer {token_a}");
    let r = ls
        .http(
            "POST",
            "/admin/suppressions",
            &[("authorization", &auth_a)],
            &json!({"kind": "phone", "value": "(303) 555-1008", "reason": "DNC request"})
                .to_string(),
        )
        .await;
    check("suppress phone", r.status, &r.body, 201)?;

    let rep_a = import(&mut ls, &token_a, "leads.csv").await?;
    let rep_b = import(&mut ls, &token_b, "agency-leads.csv").await?;
    println!("-- import: {acme} (leads.csv)");
    println!(
        "   created {}, merged {} duplicates, unchanged {}, suppressed at intake {}, queued for enrichment {}",
        rep_a["created"], rep_a["merged"], rep_a["unchanged"], rep_a["suppressed_at_intake"], rep_a["queued_for_enrichment"]
    );
    println!(
        "   duplicates in the file {}, read as {} {}-delimited ({})",
        rep_a["duplicates_in_file"],
        rep_a["detected"]["encoding"].as_str().unwrap_or("?"),
        rep_a["detected"]["delimiter"].as_str().unwrap_or("?"),
        rep_a["detected"]["tool"].as_str().unwrap_or("?")
    );
    for e in rep_a["errors"].as_array().into_iter().flatten() {
        println!(
            "   rejected line {}: column `{}`: {}",
            e["line"],
            e["field"].as_str().unwrap_or(""),
            e["reason"].as_str().unwrap_or("")
        );
    }
    for d in rep_a["dropped"].as_array().into_iter().flatten() {
        println!(
            "   line {}: left out `{}`: {}",
            d["line"],
            d["field"].as_str().unwrap_or(""),
            d["reason"].as_str().unwrap_or("")
        );
    }
    println!(
        "-- import: {agency} (agency-leads.csv): created {}",
        rep_b["created"]
    );

    ls.drain().await?;
    for (t, token) in [(acme, &token_a), (agency, &token_b)] {
        let a = approve_all(&mut ls, token).await?;
        println!(
            "-- {t}: batch {} with {} drafts for {} leads approved (a second approval was refused: executes once)",
            a["batch"]["batch_id"].as_str().unwrap_or(""),
            a["approved"]["approved"],
            a["approved"]["leads"]
        );
        for left in a["batch"]["left_out"].as_array().into_iter().flatten() {
            println!(
                "   left out for the operator: {}",
                left["reason"].as_str().unwrap_or("")
            );
        }
    }

    // The first tenant goes live against local stand-ins of its providers;
    // the agency's client stays in shadow mode.
    let stand = StandIns::start(StandInKeys::default(), Faults::SOME).await;
    ls.use_provider_urls(ProviderUrls {
        mailgun: Some(stand.mailgun.uri()),
        twilio: Some(stand.twilio.uri()),
        retell: Some(stand.retell.uri()),
        heyreach: Some(format!("{}/api/public", stand.heyreach.uri())),
    });
    live::go_live(&mut ls, &token_a, acme, &stand).await?;

    // Day 0: the first emails go out inside each recipient's 09:00-11:00
    // window (14:00 UTC for New York ... 19:00 UTC for Honolulu).
    ls.run_until(start + Duration::hours(5)).await?;

    // Provider signals, signed with the local Mailgun key.
    let now = ls.now();
    let leads_a = sent_leads(&ls, acme).await?;
    let mut webhook_log = Vec::new();
    if leads_a.len() >= 6 {
        let ts = now.timestamp();
        let reply = mailgun_reply(
            LOCAL_MAILGUN_KEY,
            ts,
            "tok-reply-1",
            leads_a[0].email.as_deref().unwrap_or(""),
            "Re: your note",
            "<reply-1@dealer.example>",
        );
        let (s, _) = post_webhook(
            &mut ls,
            &format!("/webhooks/mailgun?tenant={acme}"),
            "application/x-www-form-urlencoded",
            &reply,
        )
        .await;
        webhook_log.push(format!(
            "reply from {} -> {s}",
            leads_a[0].email.as_deref().unwrap_or("")
        ));
        let bounce = mailgun_event(
            LOCAL_MAILGUN_KEY,
            ts,
            "tok-bounce-1",
            "failed",
            Some("permanent"),
            "ev-bounce-1",
            acme,
            &leads_a[1].id,
            leads_a[1].email.as_deref().unwrap_or(""),
        );
        for attempt in 1..=3 {
            let (s, b) =
                post_webhook(&mut ls, "/webhooks/mailgun", "application/json", &bounce).await;
            webhook_log.push(format!(
                "hard bounce for {} (delivery {attempt}/3) -> {s} {}",
                leads_a[1].email.as_deref().unwrap_or(""),
                status_of(&b)
            ));
        }
        let unsub = mailgun_event(
            LOCAL_MAILGUN_KEY,
            ts,
            "tok-unsub-1",
            "unsubscribed",
            None,
            "ev-unsub-1",
            acme,
            &leads_a[2].id,
            leads_a[2].email.as_deref().unwrap_or(""),
        );
        let (s, _) = post_webhook(&mut ls, "/webhooks/mailgun", "application/json", &unsub).await;
        webhook_log.push(format!(
            "unsubscribe from {} -> {s}",
            leads_a[2].email.as_deref().unwrap_or("")
        ));
        for (i, (lead, opens)) in [(&leads_a[3], 2), (&leads_a[4], 1)].into_iter().enumerate() {
            for o in 0..opens {
                let ev = mailgun_event(
                    LOCAL_MAILGUN_KEY,
                    ts,
                    &format!("tok-open-{i}-{o}"),
                    "opened",
                    None,
                    &format!("ev-open-{i}-{o}"),
                    acme,
                    &lead.id,
                    lead.email.as_deref().unwrap_or(""),
                );
                let (s, _) =
                    post_webhook(&mut ls, "/webhooks/mailgun", "application/json", &ev).await;
                webhook_log.push(format!(
                    "open by {} -> {s}",
                    lead.email.as_deref().unwrap_or("")
                ));
            }
        }
        let forged = mailgun_event(
            "not-the-key",
            ts,
            "tok-forged",
            "unsubscribed",
            None,
            "ev-forged",
            acme,
            &leads_a[5].id,
            "x@y.example",
        );
        let (s, _) = post_webhook(&mut ls, "/webhooks/mailgun", "application/json", &forged).await;
        webhook_log.push(format!("forged signature -> {s}"));
        let stale = mailgun_event(
            LOCAL_MAILGUN_KEY,
            ts - 3600,
            "tok-stale",
            "unsubscribed",
            None,
            "ev-stale",
            acme,
            &leads_a[5].id,
            "x@y.example",
        );
        let (s, _) = post_webhook(&mut ls, "/webhooks/mailgun", "application/json", &stale).await;
        webhook_log.push(format!("stale timestamp (1 h old) -> {s}"));
        let replay = mailgun_event(
            LOCAL_MAILGUN_KEY,
            ts,
            "tok-bounce-1",
            "unsubscribed",
            None,
            "ev-replayed",
            acme,
            &leads_a[5].id,
            "x@y.example",
        );
        let (s, _) = post_webhook(&mut ls, "/webhooks/mailgun", "application/json", &replay).await;
        webhook_log.push(format!("reused token on another event (replay) -> {s}"));
        webhook_log.extend(signals::post(&mut ls, acme, &stand.secrets(), &leads_a[6..]).await?);
    }
    let leads_b = sent_leads(&ls, agency).await?;
    for (i, lead) in leads_b.iter().take(4).enumerate() {
        let ev = mailgun_event(
            LOCAL_MAILGUN_KEY,
            now.timestamp(),
            &format!("tok-b-{i}"),
            "failed",
            Some("permanent"),
            &format!("ev-b-{i}"),
            agency,
            &lead.id,
            lead.email.as_deref().unwrap_or(""),
        );
        let (s, _) = post_webhook(&mut ls, "/webhooks/mailgun", "application/json", &ev).await;
        webhook_log.push(format!(
            "{agency}: hard bounce for {} -> {s}",
            lead.email.as_deref().unwrap_or("")
        ));
    }
    println!(
        "\n-- webhooks posted at {} (simulated):",
        ls.now().format("%a %Y-%m-%d %H:%M UTC")
    );
    for l in &webhook_log {
        println!("   {l}");
    }

    // Day 1-2, then an operator reviews any breaker alert and resumes. The
    // second campaign is paused over day 1 and resumed after.
    ls.run_until(start + Duration::days(1)).await?;
    campaigns::pause(&mut ls, &token_a).await?;
    ls.run_until(start + Duration::days(2)).await?;
    campaigns::resume(&mut ls, &token_a).await?;
    for (t, token) in [(acme, &token_a), (agency, &token_b)] {
        let c = ls.store.control(t).await.map_err(|e| e.to_string())?;
        if c.breaker_open && t == acme {
            let auth = format!("Bearer {token}");
            let r = ls
                .http(
                    "POST",
                    "/admin/control/resume",
                    &[("authorization", &auth)],
                    &json!({"reason": "reviewed: one bounce at low volume, list is clean"})
                        .to_string(),
                )
                .await;
            check("resume", r.status, &r.body, 200)?;
            println!(
                "-- {t}: operator reviewed the breaker alert ({}) and resumed sending",
                c.breaker_reason.unwrap_or_default()
            );
        } else if c.breaker_open {
            println!(
                "-- {t}: breaker stays open ({}): the list needs cleaning first",
                c.breaker_reason.unwrap_or_default()
            );
        }
    }
    // Monday evening: the call step of the sequence went through the desk.
    ls.run_until(start + Duration::hours(4 * 24 + 11)).await?;
    live::dialer(&mut ls, acme, &token_a).await?;
    ls.run_until(start + Duration::days(14)).await?;
    report(&ls, &[acme, agency], &sink, started).await?;
    println!("\n================ live sends at the providers' stand-ins ({acme}) ================");
    println!("   (each checks the credentials and the exact request; a 429 every 9th and a 500 every 13th request)");
    let retries: u32 = ls.ticks.iter().map(|t| t.provider_retries).sum();
    for (provider, t) in stand.tallies() {
        println!(
            "   {} {:>3} requests: {:>3} taken, {:>2} rate-limited (429), {:>2} failed (500), {:>2} refused, {} sent twice",
            pad(provider, 9),
            t.requests,
            t.accepted,
            t.rate_limited,
            t.failed,
            t.refused,
            t.doubled
        );
    }
    println!("   sends handed back to the dispatcher to retry later (caps returned): {retries}");
    let doubled: u32 = stand.tallies().values().map(|t| t.doubled).sum();
    if doubled > 0 {
        return Err(format!("{doubled} sends went out twice"));
    }
    if serve::asked() {
        return serve::console(ls, acme, &token_a).await;
    }
    Ok(())
}

/// One sent touch, as the report counts it.
struct SentTouch {
    step: u8,
    channel: String,
    sender_domain: Option<String>,
    sent_at: DateTime<Utc>,
    lead_id: String,
    campaign: String,
}

fn status_of(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn tracing_subscriber_init() {
    if std::env::var("RUST_LOG").is_err() {
        std::env::set_var("RUST_LOG", "error");
    }
    shared::edge::init_tracing();
}

/// Leads of a tenant that have had a send, in a stable order.
async fn sent_leads(ls: &LocalStack, tenant: &str) -> Res<Vec<Lead>> {
    let mut leads: Vec<Lead> = ls
        .store
        .leads(tenant)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|l| l.first_sent_at.is_some())
        .collect();
    leads.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(leads)
}

async fn report(ls: &LocalStack, tenants: &[&str], sink: &AlertSink, started: Instant) -> Res<()> {
    let sent: u32 = ls.ticks.iter().map(|t| t.sent).sum();
    let requests: u64 = ls.ticks.iter().map(|t| t.dynamodb_requests).sum();
    for tenant in tenants {
        let config = ls
            .store
            .config_with_warmup(tenant)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("tenant missing")?;
        let tz = config.tz();
        println!(
            "\n================ report: {tenant} ({}) ================",
            config.name
        );
        let funnel = ls.admin.funnel(tenant).await.map_err(|e| e.to_string())?;
        println!("funnel: pipeline {} -> outreach {} -> engaged {} -> at risk {} -> terminal {} (booked {})",
            funnel["pipeline"], funnel["outreach"], funnel["engaged"], funnel["at_risk"], funnel["terminal"], funnel["booked"]);
        let by_status: Vec<String> = funnel["by_status"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("by status: {}", by_status.join(", "));
        println!(
            "suppressed at intake (not enriched): {}",
            funnel["suppressed_at_intake"]
        );
        campaigns::report(ls, tenant).await?;
        // Each touch keeps its own campaign's windows.
        let windows: BTreeMap<String, shared::domain::tenant::Windows> = ls
            .store
            .campaigns(tenant, ls.now())
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(c, _)| (c.id.as_str().to_string(), c.effective(&config).windows))
            .collect();

        // What went out, live or to the shadow outbox: every sent touch.
        let mut outbox = Vec::new();
        for lead in ls.store.leads(tenant).await.map_err(|e| e.to_string())? {
            for t in ls
                .store
                .touches(tenant, &lead.id)
                .await
                .map_err(|e| e.to_string())?
            {
                if let (TouchState::Sent, Some(sent_at)) = (t.state, t.sent_at) {
                    outbox.push(SentTouch {
                        step: t.step,
                        channel: t.channel.as_str().to_string(),
                        sender_domain: t.sender_domain.clone(),
                        sent_at,
                        lead_id: t.lead_id.clone(),
                        campaign: shared::domain::campaigns::campaign_of(t.campaign.as_deref())
                            .to_string(),
                    });
                }
            }
        }
        let shadowed = ls
            .store
            .outbox(tenant)
            .await
            .map_err(|e| e.to_string())?
            .len();
        let mut per_step: BTreeMap<(u8, String), u32> = BTreeMap::new();
        let mut per_domain_day: BTreeMap<(String, NaiveDate), u32> = BTreeMap::new();
        let mut outside_window = 0;
        for e in &outbox {
            *per_step.entry((e.step, e.channel.clone())).or_default() += 1;
            if e.channel == "email" {
                *per_domain_day
                    .entry((
                        e.sender_domain.clone().unwrap_or_default(),
                        e.sent_at.with_timezone(&tz).date_naive(),
                    ))
                    .or_default() += 1;
            }
            let lead = ls
                .store
                .lead(tenant, &e.lead_id)
                .await
                .map_err(|e| e.to_string())?;
            let ltz: chrono_tz::Tz = lead
                .and_then(|l| l.timezone)
                .and_then(|z| z.parse().ok())
                .unwrap_or(tz);
            let w = windows.get(&e.campaign).unwrap_or(&config.windows);
            let window = match e.channel.as_str() {
                "email" => &w.email,
                "voice" => &w.call,
                "sms" => &w.sms,
                _ => &w.linkedin,
            };
            if !window.is_open(e.sent_at, ltz) {
                outside_window += 1;
            }
        }
        println!(
            "\nsends per step and channel ({}):",
            if shadowed > 0 {
                "shadow outbox"
            } else {
                "live, through the providers"
            }
        );
        for ((step, channel), n) in &per_step {
            println!("   step {step} {}: {n}", pad(channel, 9));
        }
        println!(
            "   total {} sends, {} outside the recipient's window",
            outbox.len(),
            outside_window
        );
        println!("\nemail sends per domain per day (tenant time) against the cap:");
        for ((domain, day), n) in &per_domain_day {
            let rows = config
                .domain(domain)
                .map(|d| d.warmup.as_slice())
                .unwrap_or(&[]);
            let cap = domain_daily_cap(rows, *day, config.caps.email_per_domain_after_warmup);
            println!(
                "   {} {} {:>3} / {:>3}{}",
                pad(domain, 34),
                day.format("%a %m-%d"),
                n,
                cap,
                if *n > cap { "  OVER CAP" } else { "" }
            );
        }

        println!("\nleads stopped, and why:");
        let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
        for lead in ls.store.leads(tenant).await.map_err(|e| e.to_string())? {
            let who = format!(
                "{} ({})",
                lead.company.as_deref().unwrap_or("?"),
                lead.email
                    .as_deref()
                    .or(lead.phone.as_deref())
                    .unwrap_or("?")
            );
            if let Some(why) = &lead.suppressed {
                println!("   {who}: not contacted, {why}");
            } else if lead.status == LeadStatus::Held {
                let why = lead
                    .reasons
                    .iter()
                    .find(|r| r.reason.contains("avoid"))
                    .map(|r| r.reason.clone())
                    .unwrap_or_else(|| format!("score {} below tier 2", lead.score.unwrap_or(0)));
                println!("   {who}: held (tier 3), {why}");
            } else if matches!(
                lead.status,
                LeadStatus::Replied | LeadStatus::Bounced | LeadStatus::Unsubscribed
            ) || lead.email_bounced
            {
                let why = lead.stop_reason.clone().unwrap_or_else(|| {
                    if lead.email_bounced {
                        "email hard-bounced: email steps skipped".into()
                    } else {
                        String::new()
                    }
                });
                println!("   {who}: {} ({why})", lead.status);
            }
            let (_, touches, _) = ls
                .store
                .lead_view(tenant, &lead.id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("lead vanished")?;
            for t in touches {
                if matches!(t.state, TouchState::Cancelled | TouchState::Skipped) {
                    let r = t.end_reason.unwrap_or_default();
                    let key = if r.starts_with("mailgun") || r.starts_with("one-click") {
                        r.split(" (event").next().unwrap_or(&r).to_string()
                    } else {
                        r
                    };
                    *reasons
                        .entry(format!("{} {}", t.state.as_str(), key))
                        .or_default() += 1;
                }
            }
        }
        println!("\ntouches not sent, by reason:");
        for (r, n) in &reasons {
            println!("   {n:>3} x {r}");
        }
        let control = ls.store.control(tenant).await.map_err(|e| e.to_string())?;
        println!(
            "\nbreaker: {}{}; paused: {}; emergency stop: {}",
            if control.breaker_open {
                "OPEN"
            } else {
                "closed"
            },
            control
                .breaker_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            control.paused,
            control.emergency_stop
        );
        let by = |s: &str| funnel["by_status"][s].as_u64().unwrap_or(0);
        println!(
            "decay: ghosted {}, stalled {}, hesitant {}",
            by("ghosted"),
            by("stalled"),
            by("hesitant")
        );
    }
    println!("\n================ system ================");
    // Slack gets JSON; its text is what a person reads.
    let messages: Vec<String> = sink
        .messages()
        .into_iter()
        .map(|m| {
            serde_json::from_str::<Value>(&m)
                .ok()
                .and_then(|v| v["text"].as_str().map(str::to_string))
                .unwrap_or(m)
        })
        .collect();
    let (reports, alerts): (Vec<&String>, Vec<&String>) =
        messages.iter().partition(|m| m.contains("Status of "));
    println!(
        "alerts delivered to the Slack sink: {} (and {} six-hourly status reports; the last one below)",
        alerts.len(),
        reports.len()
    );
    for m in alerts {
        println!("   {m}");
    }
    if let Some(last) = reports.last() {
        for line in last.lines() {
            println!("   | {line}");
        }
    }
    let sending: Vec<_> = ls
        .ticks
        .iter()
        .filter(|t| t.sent > 0 && t.sent == t.due)
        .collect();
    let (s_req, s_sent) = sending.iter().fold((0u64, 0u32), |(r, s), t| {
        (r + t.dynamodb_requests, s + t.sent)
    });
    println!(
        "dispatch ticks run: {} ({} sends, {} window waits, {} cap waits)",
        ls.ticks.len(),
        sent,
        ls.ticks.iter().map(|t| t.waiting_for_window).sum::<u32>(),
        ls.ticks.iter().map(|t| t.waiting_for_cap).sum::<u32>()
    );
    println!(
        "DynamoDB requests per dispatched touch: {:.2} in ticks that only sent ({} ticks); {:.2} over all ticks (incl. window/cap rescheduling, idle and blocked ticks)",
        if s_sent > 0 { s_req as f64 / f64::from(s_sent) } else { 0.0 },
        sending.len(),
        if sent > 0 { requests as f64 / f64::from(sent) } else { 0.0 }
    );
    println!(
        "SQS messages delivered: {}, failures redelivered: {}",
        ls.deliveries.sqs_messages, ls.deliveries.sqs_failures
    );
    println!("schedule firings: {:?}", ls.deliveries.schedule_firings);
    println!(
        "simulated {} days in {:.1}s wall time",
        14,
        started.elapsed().as_secs_f64()
    );
    if !serve::asked() {
        ls.cleanup().await;
    }
    Ok(())
}
