//! Provider signals on the local emulators: every provider's webhook
//! applies once under redelivery and 20 concurrent deliveries and is
//! published on the bus once; forged, stale and replayed ones get 401 and
//! change nothing, malformed ones 400; a STOP by SMS, a booking and a
//! recording asked for on a call do what SPEC §6 and §9 say.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use chrono::Duration;
use integration_tests::hooks::*;
use integration_tests::*;
use local_stack::runner::{mailgun_event, LocalStack, LOCAL_MAILGUN_KEY};
use serde_json::json;
use shared::domain::lead::LeadStatus;
use shared::domain::touch::{Channel, TouchState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_applies_once_publishes_once_and_refuses_forged_stale_replayed_and_malformed(
) {
    let mut ls = stack("sigonce", at(IN_WINDOW), None).await;
    let t = "sigonce";
    let rows: Vec<Row> = (0..5).map(|i| reachable(i, "so")).collect();
    signals_tenant(&mut ls, t, &rows).await;
    let tap = bus_tap(&ls, "once").await;
    let lead = |i: usize| lead_id(t, &format!("so{i}@so{i}.example"));
    let phone = |i: usize| format!("+1212555{:04}", 100 + i);
    let now = ls.now();

    // Twilio: an inbound SMS reply from lead 0's number.
    let p0 = phone(0);
    let sms = [
        ("MessageSid", "SM0001"),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", p0.as_str()),
        ("To", OUR_NUMBER),
        ("Body", "Sounds good, what does it cost?"),
        ("NumMedia", "0"),
    ];
    applied_once(
        &ls,
        &twilio(&format!("tenant={t}"), &sms, TWILIO_TOKEN),
        "twilio",
    )
    .await;
    // Retell: a call on lead 1 that ended "contacted_closed".
    let l1 = lead(1);
    let ms = now.timestamp_millis();
    applied_once(
        &ls,
        &retell(&call(&l1, t, "contacted_closed", "call_1"), RETELL_KEY, ms),
        "retell",
    )
    .await;
    // Calendly: lead 2 books.
    let booked = booking("invitee.created", "so2@so2.example", "INV2", false);
    applied_once(
        &ls,
        &calendly(t, &booked, CALENDLY_KEY, now.timestamp()),
        "calendly",
    )
    .await;
    // HeyReach: lead 3 accepts the connection request (the older secret
    // still opens it while it is rotated out).
    let accepted = json!({"correlation_id": "hr-1", "event_type": "CONNECTION_REQUEST_ACCEPTED",
        "timestamp": "2026-12-01T14:59:00Z",
        "lead": {"profile_url": "https://linkedin.example/in/jo3", "email_address": "so3@so3.example"}});
    applied_once(
        &ls,
        &heyreach(t, &accepted, "older-secret-still-valid"),
        "heyreach",
    )
    .await;
    // Mailgun: lead 4 opens.
    let opened = mailgun_event(
        LOCAL_MAILGUN_KEY,
        now.timestamp(),
        "mg-tok-1",
        "opened",
        None,
        "mg-ev-1",
        t,
        &lead(4),
        "so4@so4.example",
    );
    applied_once(
        &ls,
        &hook(
            "/webhooks/mailgun",
            &[("content-type", "application/json")],
            &opened,
        ),
        "mailgun",
    )
    .await;

    // THEN each changed its lead once
    let l0 = ls.store.lead(t, &lead(0)).await.unwrap().unwrap();
    assert_eq!((l0.status, l0.replies), (LeadStatus::Replied, 1));
    let l1v = ls.store.lead(t, &l1).await.unwrap().unwrap();
    assert_eq!(l1v.status, LeadStatus::Closed);
    let l2 = ls.store.lead(t, &lead(2)).await.unwrap().unwrap();
    assert_eq!(l2.status, LeadStatus::Booked);
    assert!(
        ls.store
            .lead(t, &lead(3))
            .await
            .unwrap()
            .unwrap()
            .linkedin_connected
    );
    assert_eq!(ls.store.lead(t, &lead(4)).await.unwrap().unwrap().opens, 1);
    // AND each was published once
    let mut published: Vec<String> = tapped(&ls, &tap)
        .await
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    published.sort();
    assert_eq!(
        published,
        vec![
            "booking.booked",
            "email.opened",
            "linkedin.linkedin_connected",
            "sms.sms_replied",
            "voice.call_closed",
        ],
    );

    // WHEN forged, stale, replayed or malformed ones arrive
    let versions: Vec<u64> = futures::future::join_all((0..5).map(|i| {
        let ls = &ls;
        let id = lead(i);
        async move { lead_version(ls, t, &id).await }
    }))
    .await;
    let stop = [
        ("MessageSid", "SM0002"),
        ("From", p0.as_str()),
        ("To", OUR_NUMBER),
        ("Body", "STOP"),
    ];
    let stale_ms = ms - 6 * 60 * 1000;
    let refused: Vec<(&str, ApiGatewayV2httpRequest, u16)> = vec![
        (
            "twilio forged",
            twilio(&format!("tenant={t}"), &stop, "not-the-token"),
            401,
        ),
        (
            "twilio signed for another tenant's URL",
            {
                let mut r = twilio("tenant=someoneelse", &stop, TWILIO_TOKEN);
                r.raw_query_string = Some(format!("tenant={t}"));
                r.query_string_parameters =
                    LocalStack::request("POST", &format!("/x?tenant={t}"), &[], "")
                        .query_string_parameters;
                r
            },
            401,
        ),
        (
            "twilio unsigned",
            hook(
                &format!("/webhooks/twilio?tenant={t}"),
                &[("content-type", "application/x-www-form-urlencoded")],
                "MessageSid=SM3&From=%2B12125550100&To=%2B15125550100&Body=STOP",
            ),
            401,
        ),
        (
            "twilio malformed",
            twilio(
                &format!("tenant={t}"),
                &[
                    ("MessageSid", "SM4"),
                    ("From", "not a number"),
                    ("To", OUR_NUMBER),
                    ("Body", "hi"),
                ],
                TWILIO_TOKEN,
            ),
            400,
        ),
        (
            "retell forged",
            retell(&call(&l1, t, "dnc", "call_2"), "wrong-key", ms),
            401,
        ),
        (
            "retell stale",
            retell(&call(&l1, t, "dnc", "call_2"), RETELL_KEY, stale_ms),
            401,
        ),
        (
            "retell replayed block on another event",
            {
                let first = retell(&call(&l1, t, "contacted_closed", "call_1"), RETELL_KEY, ms);
                let sig = first.headers["x-retell-signature"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let mut r = retell(&call(&l1, t, "dnc", "call_1"), RETELL_KEY, ms);
                r.headers.insert("x-retell-signature", sig.parse().unwrap());
                r
            },
            401,
        ),
        (
            "retell malformed",
            retell(
                &json!({"event": "call_analyzed", "call": {}}),
                RETELL_KEY,
                ms,
            ),
            400,
        ),
        (
            "calendly forged",
            calendly(
                t,
                &booking("invitee.canceled", "so2@so2.example", "INV2", false),
                "wrong-key",
                now.timestamp(),
            ),
            401,
        ),
        (
            "calendly stale",
            calendly(
                t,
                &booking("invitee.canceled", "so2@so2.example", "INV2", false),
                CALENDLY_KEY,
                now.timestamp() - 600,
            ),
            401,
        ),
        (
            "calendly malformed",
            calendly(
                t,
                &json!({"event": "invitee.created", "payload": {"uri": "x"}}),
                CALENDLY_KEY,
                now.timestamp(),
            ),
            400,
        ),
        (
            "heyreach wrong secret",
            heyreach(t, &accepted, "guessed"),
            401,
        ),
        (
            "heyreach no secret",
            hook(
                &format!("/webhooks/heyreach?tenant={t}"),
                &[("content-type", "application/json")],
                &accepted.to_string(),
            ),
            401,
        ),
        (
            "heyreach malformed",
            heyreach(
                t,
                &json!({"event_type": "CONNECTION_REQUEST_ACCEPTED"}),
                HEYREACH_SECRET,
            ),
            400,
        ),
        (
            "unknown tenant",
            twilio("tenant=nosuchtenant", &stop, TWILIO_TOKEN),
            401,
        ),
        (
            "bad tenant id",
            twilio("tenant=..%2Fetc", &stop, TWILIO_TOKEN),
            400,
        ),
    ];
    for (what, req, want) in refused {
        let (status, body) = deliver(&ls, req).await;
        assert_eq!(status, want, "{what}: {body}");
    }
    // THEN nothing changed, and nothing more was published
    for (i, v) in versions.iter().enumerate() {
        assert_eq!(lead_version(&ls, t, &lead(i)).await, *v, "lead {i}");
    }
    assert!(ls.store.suppressions(t).await.unwrap().is_empty());
    assert_eq!(tapped(&ls, &tap).await, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_by_sms_stops_email_and_calls_before_the_next_tick_and_start_undoes_only_it() {
    let mut ls = stack("sigstop", at(IN_WINDOW), None).await;
    let t = "sigstop";
    let rows: Vec<Row> = (0..2).map(|i| reachable(i, "st")).collect();
    let auth = signals_tenant(&mut ls, t, &rows).await;
    let id = lead_id(t, "st0@st0.example");
    let other = lead_id(t, "st1@st1.example");
    // An operator's own entry on the other lead's number, made before.
    let r = post(
        &mut ls,
        &auth,
        "/admin/suppressions",
        &json!({"kind": "phone", "value": "+12125550101", "reason": "asked by phone"}).to_string(),
    )
    .await;
    assert!(r.status < 300, "suppression: {}", r.body);
    // WHEN lead 0 texts STOP before anything went out
    let stop = twilio(
        &format!("tenant={t}"),
        &[
            ("MessageSid", "SM10"),
            ("From", "+12125550100"),
            ("To", OUR_NUMBER),
            ("Body", "Stop"),
        ],
        TWILIO_TOKEN,
    );
    let (status, body) = deliver(&ls, stop).await;
    assert_eq!(
        (status, body["kind"].as_str()),
        (200, Some("sms_stop")),
        "{body}"
    );
    // THEN the next tick sends nothing to them, on any channel
    // (days 0 to 5: the email, the call on day 3, the LinkedIn step on day 5)
    ls.run_until(ls.now() + Duration::days(5)).await.unwrap();
    let touches = ls.store.touches(t, &id).await.unwrap();
    assert!(touches.iter().all(|x| x.sent_at.is_none()), "{touches:?}");
    assert!(touches
        .iter()
        .filter(|x| matches!(x.channel, Channel::Email | Channel::Voice))
        .all(|x| x.state == TouchState::Cancelled));
    let lead = ls.store.lead(t, &id).await.unwrap().unwrap();
    assert_eq!(lead.status, LeadStatus::Dnc);
    let entries = ls.store.suppressions(t).await.unwrap();
    let keys: Vec<String> = entries.iter().map(|e| e.key()).collect();
    assert!(
        keys.contains(&"email#st0@st0.example".to_string()),
        "{keys:?}"
    );
    assert!(keys.contains(&"phone#+12125550100".to_string()), "{keys:?}");
    // WHEN they text START, and lead 1 (whose number an operator
    // suppressed) texts STOP then START
    for (sid, from, body) in [
        ("SM11", "+12125550100", "START"),
        ("SM12", "+12125550101", "STOP"),
        ("SM13", "+12125550101", "unstop"),
    ] {
        let req = twilio(
            &format!("tenant={t}"),
            &[
                ("MessageSid", sid),
                ("From", from),
                ("To", OUR_NUMBER),
                ("Body", body),
            ],
            TWILIO_TOKEN,
        );
        let (status, b) = deliver(&ls, req).await;
        assert_eq!(status, 200, "{b}");
    }
    // THEN lead 0's STOP entries are gone and it is back where it was;
    // the operator's entry on lead 1's number stays
    let keys: Vec<String> = ls
        .store
        .suppressions(t)
        .await
        .unwrap()
        .iter()
        .map(|e| e.key())
        .collect();
    assert!(
        !keys
            .iter()
            .any(|k| k.contains("st0@") || k == "phone#+12125550100"),
        "{keys:?}"
    );
    assert!(keys.contains(&"phone#+12125550101".to_string()), "{keys:?}");
    assert_ne!(
        ls.store.lead(t, &id).await.unwrap().unwrap().status,
        LeadStatus::Dnc
    );
    let _ = other;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_stops_every_pending_touch_and_counts_in_the_funnel() {
    let mut ls = stack("sigbook", at(IN_WINDOW), None).await;
    let t = "sigbook";
    let rows: Vec<Row> = (0..2).map(|i| reachable(i, "bk")).collect();
    let auth = signals_tenant(&mut ls, t, &rows).await;
    ls.tick().await.unwrap();
    let id = lead_id(t, "bk0@bk0.example");
    assert!(ls
        .store
        .touches(t, &id)
        .await
        .unwrap()
        .iter()
        .any(|x| x.state.is_pending()));
    let now = ls.now().timestamp();
    let (status, body) = deliver(
        &ls,
        calendly(
            t,
            &booking("invitee.created", "BK0@bk0.example", "INV1", false),
            CALENDLY_KEY,
            now,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // THEN no touch of the lead is pending on any channel
    let touches = ls.store.touches(t, &id).await.unwrap();
    assert!(touches.iter().all(|x| !x.state.is_pending()), "{touches:?}");
    let lead = ls.store.lead(t, &id).await.unwrap().unwrap();
    assert_eq!(lead.status, LeadStatus::Booked);
    // AND the funnel counts the booking
    let funnel = get(&mut ls, &auth, "/admin/funnel").await;
    assert_eq!(funnel["booked"], 1, "{funnel}");
    // AND the timeline names the cause and the event
    let timeline = get(&mut ls, &auth, &format!("/admin/leads/{id}")).await;
    assert!(
        timeline.to_string().contains("calendly booked (event https://api.calendly.com/scheduled_events/EV1/invitees/INV1#Booked)"),
        "{timeline}"
    );
    // WHEN the meeting is moved, it stands; WHEN cancelled, the lead reopens
    let (status, _) = deliver(
        &ls,
        calendly(
            t,
            &booking("invitee.canceled", "bk0@bk0.example", "INV1", true),
            CALENDLY_KEY,
            now,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        ls.store.lead(t, &id).await.unwrap().unwrap().status,
        LeadStatus::Booked
    );
    let (status, _) = deliver(
        &ls,
        calendly(
            t,
            &booking("invitee.canceled", "bk0@bk0.example", "INV3", false),
            CALENDLY_KEY,
            now,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        ls.store.lead(t, &id).await.unwrap().unwrap().status,
        LeadStatus::Replied
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_asked_for_on_a_call_goes_once_by_sms_and_by_email() {
    let mut ls = stack("sigrec", at(IN_WINDOW), None).await;
    let t = "sigrec";
    let rows: Vec<Row> = (0..1).map(|i| reachable(i, "rc")).collect();
    signals_tenant(&mut ls, t, &rows).await;
    ls.tick().await.unwrap();
    let id = lead_id(t, "rc0@rc0.example");
    // WHEN the call ends booked and the person asked for the recording,
    // and Retell delivers the event three times
    let mut body = call(&id, t, "booked", "call_rec");
    body["call"]["call_analysis"]["custom_analysis_data"]["recording_followup_requested"] =
        json!(true);
    let req = retell(&body, RETELL_KEY, ls.now().timestamp_millis());
    for _ in 0..3 {
        let (status, b) = deliver(&ls, req.clone()).await;
        assert_eq!(status, 200, "{b}");
    }
    // (the bus routes it to craft; a redelivery of that message changes nothing)
    ls.drain().await.unwrap();
    let signal: shared::domain::signals::Signal = serde_json::from_value(json!({
        "provider": "retell", "event_id": "call_rec#call_analyzed", "kind": "call_booked",
        "tenant": t, "lead_id": id, "occurred_at": ls.now(),
        "recording_url": "https://recordings.example/call_rec.wav", "followup_requested": true
    }))
    .unwrap();
    ls.craft.recording_followup(&signal).await.unwrap();
    // THEN the lead is booked, its sequence stopped, and one SMS and one
    // email with the link go out
    assert_eq!(
        ls.store.lead(t, &id).await.unwrap().unwrap().status,
        LeadStatus::Booked
    );
    // (both are due now: the SMS goes in this tick, the email in the next,
    // a lead's second touch waiting for the tick after its first)
    for _ in 0..2 {
        ls.tick().await.unwrap();
        ls.clock.advance(Duration::minutes(1));
    }
    let outbox = ls.store.outbox(t).await.unwrap();
    let followups: Vec<(&str, u8)> = outbox
        .iter()
        .filter(|e| e.body.contains("https://recordings.example/call_rec.wav"))
        .map(|e| (e.channel.as_str(), e.step))
        .collect();
    let touches = ls.store.touches(t, &id).await.unwrap();
    assert_eq!(followups.len(), 2, "{outbox:?}\n{touches:?}");
    assert!(followups.contains(&("sms", 201)), "{followups:?}");
    assert!(followups.contains(&("email", 202)), "{followups:?}");
    // AND nothing of the sequence went after the booking
    assert!(
        outbox.iter().all(|e| e.step == 1 || e.step > 200),
        "{outbox:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_makes_any_webhook_answer_5xx() {
    use rand::{Rng, SeedableRng};
    let mut ls = stack("signofive", at(IN_WINDOW), None).await;
    let t = "signofive";
    signals_tenant(&mut ls, t, &[reachable(0, "nf")]).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let bodies = [
        String::new(),
        "{".into(),
        "[]".into(),
        "null".into(),
        json!({"event": "call_analyzed", "call": {"call_id": "x", "metadata": {"tenant": t}}})
            .to_string(),
        json!({"event": "invitee.created", "payload": {"email": "a@b.example", "uri": "u"}})
            .to_string(),
        json!({"event_type": "MESSAGE_REPLY_RECEIVED", "lead": {"email_address": "x@y.example"}})
            .to_string(),
        "MessageSid=SM1&From=%2B12125550100&To=%2B15125550100&Body=STOP".into(),
        "CallSid=CA1&CallStatus=completed&To=%2B12125550100&CallDuration=-1".into(),
        "\u{0}\u{ffff}%%%&&==".into(),
    ];
    let mut answered = std::collections::BTreeMap::new();
    for i in 0..300 {
        let provider = [
            "mailgun", "twilio", "retell", "calendly", "heyreach", "other",
        ][rng.random_range(0..6)];
        let query = [
            String::new(),
            format!("?tenant={t}"),
            "?tenant=".into(),
            "?tenant=%00".into(),
            format!("?tenant={t}&secret=x&lead=../../x&attempt=a-b-c"),
        ][rng.random_range(0..5)]
        .clone();
        let mut body = bodies[rng.random_range(0..bodies.len())].clone();
        if rng.random_bool(0.3) {
            let junk: Vec<u8> = (0..rng.random_range(0..64)).map(|_| rng.random()).collect();
            body.push_str(&String::from_utf8_lossy(&junk));
        }
        let ct = [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
            "",
        ][rng.random_range(0..5)];
        let sig = format!("v={},d=00,t=1,v1=zz", rng.random::<u32>());
        let headers = [
            ("content-type", ct),
            ("x-twilio-signature", "abc="),
            ("x-retell-signature", sig.as_str()),
            ("calendly-webhook-signature", sig.as_str()),
        ];
        let n = rng.random_range(0..=headers.len());
        let req = hook(
            &format!("/webhooks/{provider}{query}"),
            &headers[..n],
            &body,
        );
        let (status, answer) = deliver(&ls, req).await;
        assert!(
            status < 500,
            "request {i} to {provider}{query}: {status} {answer}"
        );
        *answered.entry(status).or_insert(0) += 1;
    }
    println!("300 malformed or unsigned webhooks answered: {answered:?}");
}
