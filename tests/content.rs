//! Content and approval end to end on the local emulators: what an operator
//! approves is exactly what is sent, once; nothing that lacks its footer,
//! unsubscribe headers or a variable can be approved; a one-click
//! unsubscribe stops everything at once; rejections are remembered.

use chrono::Duration;
use integration_tests::*;
use local_stack::runner::{HttpAnswer, LocalStack};
use serde_json::{json, Value};
use shared::domain::ids::{LeadId, TenantId};
use shared::domain::touch::{Channel, TouchState};

fn lead_id(tenant: &str, email: &str) -> String {
    let t = TenantId::parse(tenant).unwrap();
    LeadId::from_dedup_key(&t, &format!("email:{email}")).to_string()
}

async fn post(ls: &mut LocalStack, auth: &str, path: &str, body: Value) -> (u16, Value) {
    let r = ls
        .http("POST", path, &[("authorization", auth)], &body.to_string())
        .await;
    let v = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

async fn put(ls: &mut LocalStack, auth: &str, path: &str, body: Value) -> (u16, Value) {
    let r = ls
        .http("PUT", path, &[("authorization", auth)], &body.to_string())
        .await;
    let v = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

async fn get(ls: &mut LocalStack, auth: &str, path: &str) -> Value {
    let r = ls.http("GET", path, &[("authorization", auth)], "").await;
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    r.json()
}

async fn states(ls: &LocalStack, tenant: &str, lead: &str) -> Vec<(u8, Channel, TouchState)> {
    ls.store
        .touches(tenant, lead)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.step, t.channel, t.state))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_voids_its_batch_a_batch_approves_once_and_an_expired_one_sends_nothing() {
    let mut ls = stack("gate", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "gate", |_| {}).await;
    import(&mut ls, &auth, &csv(&emails("g", 3, "NY"))).await;
    ls.drain().await.unwrap();
    let lead0 = lead_id("gate", "g0@g0.example");

    // GIVEN a batch of every draft
    let (status, batch) = post(&mut ls, &auth, "/admin/batches", json!({})).await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!(batch["leads"], 3);
    assert_eq!(
        batch["drafts"],
        3 * 5,
        "email-only leads: every step falls back to email"
    );
    let id = batch["batch_id"].as_str().unwrap().to_string();
    let preview_hash = batch["preview_hash"].as_str().unwrap().to_string();
    let shown = get(&mut ls, &auth, &format!("/admin/batches/{id}")).await;
    assert_eq!(shown["preview_hash"], preview_hash.as_str());
    assert_eq!(shown["changed_since_created"], json!([]));

    // WHEN one draft is edited after the batch was frozen
    let draft = get(&mut ls, &auth, &format!("/admin/drafts/{lead0}/1")).await;
    let (status, edited) = put(
        &mut ls,
        &auth,
        &format!("/admin/drafts/{lead0}/1"),
        json!({"body": "Hi Jo0,\n\nDealer 0 in Springfield: one idea about your reviews.\n\nSam", "fingerprint": draft["fingerprint"]}),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["changed"], true);
    let body = edited["draft"]["body"].as_str().unwrap();
    assert!(
        body.contains("Unsubscribe: http"),
        "footer added back: {body}"
    );
    assert_eq!(edited["draft"]["source"], "operator");
    let shown = get(&mut ls, &auth, &format!("/admin/batches/{id}")).await;
    assert_eq!(
        shown["changed_since_created"],
        json!([{"lead_id": lead0, "step": 1}])
    );

    // THEN the batch is void and nothing is approved
    let (status, err) = post(
        &mut ls,
        &auth,
        &format!("/admin/batches/{id}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert!(err["error"].as_str().unwrap().contains("void"), "{err}");
    assert_eq!(ls.tick().await.unwrap().due, 0);
    assert_eq!(
        get(&mut ls, &auth, "/admin/drafts").await["drafts"]
            .as_array()
            .unwrap()
            .len(),
        15
    );
    // An edit that names a stale fingerprint is refused, not applied.
    let (status, _) = put(
        &mut ls,
        &auth,
        &format!("/admin/drafts/{lead0}/1"),
        json!({"body": "Hi Jo0, Dealer 0 again", "fingerprint": draft["fingerprint"]}),
    )
    .await;
    assert_eq!(status, 409);

    // An expired batch sends nothing.
    let (_, batch) = post(&mut ls, &auth, "/admin/batches", json!({})).await;
    let expired = batch["batch_id"].as_str().unwrap().to_string();
    ls.clock.advance(Duration::hours(25));
    let (status, err) = post(
        &mut ls,
        &auth,
        &format!("/admin/batches/{expired}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);
    assert!(err["error"].as_str().unwrap().contains("expired"), "{err}");
    assert_eq!(ls.tick().await.unwrap().due, 0);

    // Approving a batch twice, even at once, sends once.
    ls.clock.set(at("2026-12-02T15:00:00Z"));
    let (_, batch) = post(
        &mut ls,
        &auth,
        "/admin/batches",
        json!({"tiers": ["tier1"]}),
    )
    .await;
    let id = batch["batch_id"].as_str().unwrap().to_string();
    let path = format!("/admin/batches/{id}/approve");
    let req = LocalStack::request("POST", &path, &[("authorization", auth.as_str())], "");
    let (a, b) = futures::join!(ls.admin.handle(req.clone()), ls.admin.handle(req));
    let (a, b) = (HttpAnswer::from(a), HttpAnswer::from(b));
    let mut codes = [a.status, b.status];
    codes.sort();
    assert_eq!(codes, [200, 409], "{} / {}", a.body, b.body);
    let (status, _) = post(&mut ls, &auth, &path, json!({})).await;
    assert_eq!(status, 409);
    let report = ls.tick().await.unwrap();
    assert_eq!(report.sent, 3, "{report:?}");
    let outbox = get(&mut ls, &auth, "/admin/outbox").await;
    assert_eq!(outbox["outbox"].as_array().unwrap().len(), 3);
    // The edited text is what went out.
    assert!(outbox.to_string().contains("one idea about your reviews"));
    // Nothing more is sent for step 1 on later ticks.
    ls.clock.advance(Duration::hours(1));
    assert_eq!(ls.tick().await.unwrap().sent, 0);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_unsubscribe_stops_every_pending_touch_on_every_channel_before_the_next_tick() {
    let mut ls = stack("unsub", at(IN_WINDOW), None).await;
    let mut rows = emails("u", 2, "NY");
    for r in &mut rows {
        r.phone = Some("+12125550123");
        r.linkedin = true;
    }
    let auth = due_tenant(&mut ls, "unsub", &rows, |_| {}).await;
    assert_eq!(ls.tick().await.unwrap().sent, 2, "step 1 emails");
    let lead = lead_id("unsub", "u0@u0.example");
    let other = lead_id("unsub", "u1@u1.example");
    let before = states(&ls, "unsub", &lead).await;
    assert_eq!(
        before.iter().map(|(_, c, _)| *c).collect::<Vec<_>>(),
        [
            Channel::Email,
            Channel::Voice,
            Channel::Linkedin,
            Channel::Email,
            Channel::Sms
        ]
    );
    // Step 2 (the call) is due at day 3; the rest are planned behind it.
    assert_eq!(before[1].2, TouchState::Due);
    assert!(
        before[2..].iter().all(|s| s.2 == TouchState::Planned),
        "{before:?}"
    );

    // The link a recipient clicks is the one in the sent email's headers.
    let sent = ls.store.touch("unsub", &lead, 1).await.unwrap().unwrap();
    let header = &sent.message.headers["List-Unsubscribe"];
    let url = header
        .split(['<', '>'])
        .find(|p| p.starts_with("http"))
        .unwrap()
        .to_string();
    assert!(header.contains("<mailto:unsubscribe@"), "{header}");
    assert_eq!(
        sent.message.headers["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    assert!(
        sent.message.body.contains(&url),
        "the footer links the same URL"
    );
    let path = url[url.find("/unsubscribe/").unwrap()..].to_string();

    // A GET (a link scanner, or the recipient) only shows the page.
    let page = ls.http("GET", &path, &[], "").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<form method=\"post\""), "{}", page.body);
    assert_eq!(states(&ls, "unsub", &lead).await, before);
    // Nor does any other method than POST (a link checker's HEAD, say).
    for method in ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = ls.http(method, &path, &[], "").await;
        assert_eq!(r.status, 405, "{method}");
    }
    assert_eq!(states(&ls, "unsub", &lead).await, before);

    // A token for this lead under another tenant's name is not valid.
    let token = path.trim_start_matches("/unsubscribe/");
    let forged = token.replacen("unsub.", "other.", 1);
    assert_eq!(
        ls.http("POST", &format!("/unsubscribe/{forged}"), &[], "")
            .await
            .status,
        404
    );

    // WHEN the mail client posts the RFC 8058 one-click body (twice)
    for _ in 0..2 {
        let r = ls
            .http(
                "POST",
                &path,
                &[("content-type", "application/x-www-form-urlencoded")],
                "List-Unsubscribe=One-Click",
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    // THEN before any tick every pending touch, on every channel, is cancelled
    let after = states(&ls, "unsub", &lead).await;
    assert_eq!(after[0].2, TouchState::Sent);
    for (step, channel, state) in &after[1..] {
        assert_eq!(*state, TouchState::Cancelled, "step {step} on {channel}");
    }
    let l = ls.store.lead("unsub", &lead).await.unwrap().unwrap();
    assert_eq!(l.status.as_str(), "unsubscribed");
    let supp = get(&mut ls, &auth, "/admin/suppressions").await;
    assert!(supp.to_string().contains("u0@u0.example"), "{supp}");
    // The other lead goes on; the unsubscribed one gets nothing, ever.
    for day in [3, 5, 8, 12] {
        ls.clock.set(at(IN_WINDOW) + Duration::days(day));
        ls.tick().await.unwrap();
    }
    let outbox = get(&mut ls, &auth, "/admin/outbox").await;
    let to_lead = outbox["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["lead_id"] == lead.as_str())
        .count();
    assert_eq!(to_lead, 1, "only the email sent before the unsubscribe");
    assert!(
        states(&ls, "unsub", &other)
            .await
            .iter()
            .filter(|s| s.2 == TouchState::Sent)
            .count()
            > 1
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_draft_with_a_hole_a_missing_footer_or_missing_headers_can_be_approved() {
    let mut ls = stack("holes", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "holes", |_| {}).await;
    import(&mut ls, &auth, &csv(&emails("h", 4, "NY"))).await;
    // A lead without a first name: its emails cannot be written at all.
    let nameless = "first_name,email,title,company,website,city,state,country,industry,employees,rating,reviews,gbp,review_response_rate\n,nameless@n.example,Owner,Nameless Cars,https://n.example,Springfield,NY,US,Used car dealer,12,3.6,48,yes,10%\n";
    import(&mut ls, &auth, nameless).await;
    ls.drain().await.unwrap();
    let nl = lead_id("holes", "nameless@n.example");
    let view = get(&mut ls, &auth, &format!("/admin/leads/{nl}")).await;
    let step1 = &view["touches"][0];
    assert_eq!(step1["state"], "skipped");
    assert!(
        step1["end_reason"]
            .as_str()
            .unwrap()
            .contains("missing variable first_name"),
        "{step1}"
    );

    // Drafts are tampered with in the store, as an old or broken writer might.
    let leads: Vec<String> = (0..4)
        .map(|i| lead_id("holes", &format!("h{i}@h{i}.example")))
        .collect();
    let tamper = |i: usize| {
        let store = ls.store.clone();
        let lead = leads[i].clone();
        async move {
            let old = store.touch("holes", &lead, 1).await.unwrap().unwrap();
            let mut bad = old.clone();
            match i {
                0 => bad.message.body = bad.message.body.replacen("Jo0", "{{ first_name }}", 1),
                1 => {
                    bad.message.body =
                        shared::domain::content::template::core_text(&old.message.body).to_string()
                }
                2 => {
                    bad.message.headers.remove("List-Unsubscribe");
                }
                _ => {
                    bad.message.headers.remove("List-Unsubscribe-Post");
                }
            }
            bad.fingerprint = bad.message.fingerprint();
            assert!(store
                .edit_draft(&old, &bad, chrono::Utc::now())
                .await
                .unwrap());
        }
    };
    for i in 0..4 {
        tamper(i).await;
    }
    let reasons = [
        "unfilled variable",
        "footer is missing",
        "List-Unsubscribe header",
        "List-Unsubscribe-Post",
    ];
    // Single approval refuses each, naming the problem.
    for (i, why) in reasons.iter().enumerate() {
        let (status, err) = post(
            &mut ls,
            &auth,
            &format!("/admin/drafts/{}/1/approve", leads[i]),
            json!({}),
        )
        .await;
        assert_eq!(status, 422, "{err}");
        assert!(err["error"].as_str().unwrap().contains(why), "{why}: {err}");
    }
    // A batch leaves them out, saying why, and takes the rest.
    let (status, batch) = post(&mut ls, &auth, "/admin/batches", json!({"lead_ids": leads})).await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!(batch["left_out"].as_array().unwrap().len(), 4, "{batch}");
    assert_eq!(batch["drafts"], 4 * 4, "steps 2 to 5 of each lead");
    // An operator's edit cannot put a hole back in either.
    let (status, err) = put(
        &mut ls,
        &auth,
        &format!("/admin/drafts/{}/4", leads[0]),
        json!({"body": "Hi [First Name], about Dealer 0"}),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    assert!(err["error"].as_str().unwrap().contains("unfilled"), "{err}");
    // A draft tampered with after its batch was created voids the batch.
    let id = batch["batch_id"].as_str().unwrap().to_string();
    let old = ls
        .store
        .touch("holes", &leads[0], 4)
        .await
        .unwrap()
        .unwrap();
    let mut bad = old.clone();
    bad.message.headers.clear();
    bad.fingerprint = bad.message.fingerprint();
    assert!(ls.store.edit_draft(&old, &bad, ls.now()).await.unwrap());
    let (status, err) = post(
        &mut ls,
        &auth,
        &format!("/admin/batches/{id}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(ls.tick().await.unwrap().due, 0);
    // Fixing the text by an edit makes the draft approvable again.
    let (status, fixed) = put(&mut ls, &auth, &format!("/admin/drafts/{}/1", leads[1]), json!({"body": "Hi Jo1,\n\nDealer 1 in Springfield has 48 reviews; a short idea inside.\n\nSam"})).await;
    assert_eq!(status, 200, "{fixed}");
    let (status, ok) = post(
        &mut ls,
        &auth,
        &format!("/admin/drafts/{}/1/approve", leads[1]),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["state"], "due");
    assert_eq!(ls.tick().await.unwrap().sent, 1);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_are_remembered_redrafted_without_that_template_and_hold_the_lead_at_three() {
    let mut ls = stack("reject", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "reject", |_| {}).await;
    import(&mut ls, &auth, &csv(&emails("r", 1, "NY"))).await;
    ls.drain().await.unwrap();
    let lead = lead_id("reject", "r0@r0.example");
    let path = format!("/admin/drafts/{lead}/1");
    let (status, err) = post(&mut ls, &auth, &format!("{path}/reject"), json!({})).await;
    assert_eq!(status, 400, "a reason is required: {err}");
    assert_eq!(err["field"], "reason");

    let mut seen = Vec::new();
    for round in 1..=3 {
        let draft = get(&mut ls, &auth, &path).await;
        assert_eq!(draft["state"], "draft", "round {round}: {draft}");
        let template = draft["template_id"].as_str().unwrap().to_string();
        let opener = shared::domain::content::guard::opener(
            shared::domain::content::template::core_text(draft["body"].as_str().unwrap()),
        );
        assert!(
            !seen.iter().any(|(t, o)| *t == template || *o == opener),
            "round {round} reused {template} / {opener}: {seen:?}"
        );
        seen.push((template, opener));
        let (status, r) = post(
            &mut ls,
            &auth,
            &format!("{path}/reject"),
            json!({"reason": format!("too salesy ({round})"), "fingerprint": draft["fingerprint"]}),
        )
        .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["rejections_remembered"], round);
        if round < 3 {
            assert_eq!(r["lead_held"], Value::Null);
            // The redraft runs through the craft queue.
            ls.drain().await.unwrap();
        } else {
            assert!(
                r["lead_held"]
                    .as_str()
                    .unwrap()
                    .contains("3 drafts rejected"),
                "{r}"
            );
        }
    }
    let view = get(&mut ls, &auth, &format!("/admin/leads/{lead}")).await;
    assert_eq!(view["lead"]["status"], "held");
    assert_eq!(view["lead"]["rejections"].as_array().unwrap().len(), 3);
    for t in view["touches"].as_array().unwrap() {
        assert!(
            matches!(t["state"].as_str(), Some("cancelled" | "skipped")),
            "{t}"
        );
    }
    assert!(view["timeline"].to_string().contains("too salesy (1)"));
    assert!(get(&mut ls, &auth, "/admin/drafts").await["drafts"]
        .as_array()
        .unwrap()
        .is_empty());
    // A rejected draft is not approvable, and the held lead sends nothing.
    let (status, _) = post(&mut ls, &auth, &format!("{path}/approve"), json!({})).await;
    assert_eq!(status, 409);
    ls.drain().await.unwrap();
    assert_eq!(ls.tick().await.unwrap().due, 0);
    ls.cleanup().await;
}
