//! Campaign results from counters: a small campaign is sent, replied to,
//! booked, bounced and unsubscribed from, with every webhook redelivered
//! and a confirm retried; the report's numbers are checked exactly, and
//! what one report costs in DynamoDB requests is measured with 4 and with
//! 44 leads (it must not grow with them).

use integration_tests::hooks::*;
use integration_tests::*;
use local_stack::runner::{mailgun_event, LocalStack, LOCAL_MAILGUN_KEY};
use serde_json::{json, Value};
use shared::domain::campaigns::results::count_send;
use shared::domain::dispatch::decide::AfterSend;
use shared::domain::touch::{CountedSend, Touch, TouchState};
use shared::store::Landed;
use std::time::Instant;

const T: &str = "results";

async fn step1(ls: &LocalStack, email: &str) -> Touch {
    ls.store
        .touches(T, &lead_id(T, email))
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.step == 1)
        .unwrap()
}

/// One report through the admin function: its JSON, the DynamoDB
/// requests it took and its time.
async fn report(ls: &LocalStack) -> (Value, u64, u128) {
    let before = ls.store.requests();
    let started = Instant::now();
    let r = ls
        .admin
        .campaign_report(T, "default", ls.now())
        .await
        .unwrap();
    let took = started.elapsed().as_millis();
    (r, ls.store.requests() - before, took)
}

async fn send_all(ls: &mut LocalStack, expected: u32) {
    let mut sent = 0;
    for _ in 0..5 {
        sent += ls.tick().await.unwrap().sent;
        if sent >= expected {
            break;
        }
    }
    assert_eq!(sent, expected);
}

fn mailgun(body: &str) -> aws_lambda_events::apigw::ApiGatewayV2httpRequest {
    hook(
        "/webhooks/mailgun",
        &[("content-type", "application/json")],
        body,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_counts_sends_replies_bookings_and_bounces_once_from_counters() {
    // GIVEN 4 leads in New York, step 1 (an email) due
    let mut ls = stack("results", at(IN_WINDOW), None).await;
    let email = |i: usize| format!("r{i}@r{i}.example");
    let auth = signals_tenant(&mut ls, T, &emails("r", 4, "NY")).await;
    // WHEN a tick sends it
    send_all(&mut ls, 4).await;
    // THEN each send recorded the buckets it counted in: 10:00 in New York,
    // the tenant's day, day 61 of the domain's warmup (it began 60 days ago)
    let t0 = step1(&ls, &email(0)).await;
    assert_eq!(t0.state, TouchState::Sent);
    let counted = CountedSend {
        day: "2026-12-01".parse().unwrap(),
        hour: 10,
        warmup_day: Some(61),
    };
    assert_eq!(t0.counted_as, Some(counted));
    // AND a confirm retried for an attempt already confirmed lands nothing
    let config = ls.store.require_config(T).await.unwrap();
    let lead0 = ls
        .store
        .lead(T, &lead_id(T, &email(0)))
        .await
        .unwrap()
        .unwrap();
    let landed = ls
        .store
        .confirm(
            &t0,
            t0.attempt_id.as_deref().unwrap(),
            "retried",
            &AfterSend {
                contacted: true,
                ..Default::default()
            },
            lead0.version,
            None,
            count_send(&t0, &config, ls.now()),
            ls.now(),
        )
        .await
        .unwrap();
    assert_eq!(landed, Landed::NotOurs);
    // AND a tick retried finds nothing more to send
    assert_eq!(ls.tick().await.unwrap().sent, 0);
    let (small, small_requests, small_ms) = report(&ls).await;
    assert_eq!(
        (&small["sent"], &small["enrolled"], &small["contacted"]),
        (&json!(4), &json!(4), &json!(4)),
        "{small}"
    );

    // WHEN 40 more leads are drafted, approved and sent
    import(&mut ls, &auth, &csv(&emails("s", 40, "NY"))).await;
    approve_all(&mut ls, &auth).await;
    send_all(&mut ls, 40).await;
    // THEN one report costs the same requests as with 4 leads
    let (large, large_requests, large_ms) = report(&ls).await;
    println!(
        "campaign report: {small_requests} DynamoDB requests ({small_ms} ms) with 4 leads sent, \
         {large_requests} ({large_ms} ms) with 44"
    );
    assert_eq!(
        small_requests, large_requests,
        "the report grows with leads"
    );
    assert!(large_requests <= 6, "{large_requests} requests");
    assert_eq!(large["sent"], 44, "{large}");
    let before = ls.store.requests();
    let variants = get(&mut ls, &auth, "/admin/variants").await;
    println!(
        "variants across campaigns: {} DynamoDB requests",
        ls.store.requests() - before
    );

    // WHEN r0 replies (the webhook delivered 23 times), then replies again
    let now = ls.now().timestamp();
    let reply = |token: &str| {
        mailgun_inbound(
            T,
            now,
            token,
            &email(0),
            "Re: Quick question",
            "Sounds good, what does it cost?",
            &[],
        )
    };
    applied_once(&ls, &reply("reply-1"), "first reply").await;
    let (status, answer) = deliver(&ls, reply("reply-2")).await;
    assert_eq!((status, &answer["status"]), (200, &json!("applied")));
    // AND r1 books without replying, cancels, and books again
    let book = |email: &str, event: &str, invitee: &str| {
        calendly(T, &booking(event, email, invitee, false), CALENDLY_KEY, now)
    };
    applied_once(&ls, &book(&email(1), "invitee.created", "INV1"), "booking").await;
    applied_once(&ls, &book(&email(1), "invitee.canceled", "INV1"), "cancel").await;
    applied_once(
        &ls,
        &book(&email(1), "invitee.created", "INV1B"),
        "rebooking",
    )
    .await;
    // AND r0 books after its reply
    applied_once(
        &ls,
        &book(&email(0), "invitee.created", "INV0"),
        "r0 booking",
    )
    .await;
    // AND r2's email bounces, r3 unsubscribes
    let event = |kind: &str, severity: Option<&str>, id: &str, i: usize| {
        mailgun(&mailgun_event(
            LOCAL_MAILGUN_KEY,
            now,
            &format!("tok-{id}"),
            kind,
            severity,
            id,
            T,
            &lead_id(T, &email(i)),
            &email(i),
        ))
    };
    applied_once(
        &ls,
        &event("failed", Some("permanent"), "bounce-2", 2),
        "bounce",
    )
    .await;
    applied_once(
        &ls,
        &event("unsubscribed", None, "unsub-3", 3),
        "unsubscribe",
    )
    .await;
    // AND a second bounce report of r2 arrives under another event id
    let (status, _) = deliver(&ls, event("failed", Some("permanent"), "bounce-2b", 2)).await;
    assert_eq!(status, 200);
    assert_eq!(ls.tick().await.unwrap().sent, 0);

    // THEN the report says exactly what happened, each once
    let (r, requests, ms) = report(&ls).await;
    println!("campaign report after the signals: {requests} requests, {ms} ms");
    let funnel = json!({"enrolled": 44, "contacted": 44, "replied": 2, "booked": 2});
    assert_eq!(r["funnel"], funnel, "{r}");
    for (k, v) in [
        ("sent", 44),
        ("enrolled", 44),
        ("contacted", 44),
        ("replied", 2),
        ("booked", 2),
        ("bounced", 1),
        ("unsubscribed", 1),
        ("nurtured", 0),
    ] {
        assert_eq!(r[k], v, "{k}: {r}");
    }
    assert_eq!(
        r["by_step"],
        json!([{"step": 1, "sent": 44, "replied": 2, "booked": 2, "reply_rate": 2.0 / 44.0}])
    );
    assert_eq!(
        r["by_hour"],
        json!([{"hour": 10, "sent": 44, "replied": 2, "reply_rate": 2.0 / 44.0}])
    );
    assert_eq!(
        r["by_channel"],
        json!([{"channel": "email", "sent": 44, "replied": 2, "booked": 2, "reply_rate": 2.0 / 44.0}])
    );
    assert_eq!(
        r["per_day"],
        json!([{"day": "2026-12-01", "email": 44, "voice": 0, "sms": 0, "linkedin": 0, "total": 44}])
    );
    assert_eq!(
        r["by_warmup_day"],
        json!([{"day": 61, "sent": 44, "bounced": 1, "bounce_rate": 1.0 / 44.0}])
    );
    // AND the A/B rows credit the variants r0 and r1 were sent
    let label = |t: &Touch| (t.message.template_id.clone(), t.message.variant_label());
    let replied_to = [
        label(&step1(&ls, &email(0)).await),
        label(&step1(&ls, &email(1)).await),
    ];
    let ab = r["ab"].as_array().unwrap();
    let sum = |k: &str| ab.iter().map(|v| v[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("sent"), sum("replied"), sum("booked")), (44, 2, 2));
    for row in ab {
        let key = (
            row["template_id"].as_str().unwrap().to_string(),
            row["variant"].as_str().unwrap().to_string(),
        );
        let expected = replied_to.iter().filter(|k| **k == key).count();
        assert_eq!(row["replied"], expected, "{row}");
        assert_eq!(row["booked"], expected, "{row}");
    }
    // AND /admin/variants says the same across the tenant's campaigns
    let after = get(&mut ls, &auth, "/admin/variants").await;
    let rows = after["variants"].as_array().unwrap();
    let sum = |k: &str| rows.iter().map(|v| v[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("sent"), sum("replied"), sum("booked")), (44, 2, 2));
    assert_eq!(
        variants["variants"].as_array().unwrap().len(),
        rows.len(),
        "{variants}"
    );
    ls.cleanup().await;
}
