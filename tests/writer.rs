//! The AI writer end to end on the local emulators: drafts through the
//! quality guard, its circuit and the fallback to templates; and A/B
//! variants recorded on touches and reported.

use chrono::Duration;
use integration_tests::*;
use local_stack::runner::LocalStack;
use serde_json::{json, Value};
use shared::adapters::enrichment::HttpSettings;
use shared::adapters::writer::AnthropicWriter;
use shared::domain::targeting::enrichment::RetryPolicy;
use shared::domain::touch::{Channel, TouchState};
use std::collections::BTreeMap;
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-test-gate";
const MODEL: &str = "claude-test-model";
const REPLY_MODEL: &str = "claude-test-model-20261101";

fn writer(server: &MockServer) -> AnthropicWriter {
    AnthropicWriter::new(
        server.uri(),
        KEY,
        MODEL,
        HttpSettings {
            timeout: std::time::Duration::from_secs(2),
            retry: RetryPolicy {
                max_retries: 0,
                base: std::time::Duration::from_millis(10),
                max_delay: std::time::Duration::from_millis(100),
            },
        },
    )
    .unwrap()
}

fn reply(subject: &str, body: &str) -> ResponseTemplate {
    let text = json!({"subject": subject, "body": body}).to_string();
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "msg_gate", "type": "message", "role": "assistant", "model": REPLY_MODEL,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 400, "output_tokens": 80}
    }))
}

/// The value of an evidence line (`- Company: Dealer 0`) of a user prompt.
fn evidence_of<'a>(prompt: &'a str, label: &str) -> &'a str {
    let prefix = format!("- {label}: ");
    prompt
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {label} in\n{prompt}"))
}

fn user_prompt(req: &Request) -> String {
    let body: Value = req.body_json().unwrap();
    body["messages"][0]["content"].as_str().unwrap().to_string()
}

/// A writer that answers about the lead it is asked about: its company and
/// city, the facts the guard looks for.
fn good_answer(req: &Request) -> ResponseTemplate {
    let prompt = user_prompt(req);
    let first = evidence_of(&prompt, "First name");
    let company = evidence_of(&prompt, "Company");
    let city = evidence_of(&prompt, "Location")
        .split(',')
        .next()
        .unwrap()
        .to_string();
    if prompt.contains("Write step 1 ") {
        reply(
            &format!("{company} reviews in {city}"),
            &format!("Hi {first},\n\n{company} sits at 3.6 stars over 48 Google reviews, and buyers in {city} compare that before they drive over.\n\nWorth 15 minutes to see how the lots around you answer theirs?"),
        )
    } else {
        reply(
            &format!("an idea for {company}"),
            &format!("Hi {first},\n\nOne idea for {company}: answer each new review within a day. Shoppers in {city} read the answers as closely as the stars.\n\nShall I send two examples?"),
        )
    }
}

/// `(step, channel, source, template_id)` of a lead's touches.
async fn sources(ls: &LocalStack, tenant: &str, lead: &str) -> Vec<(u8, Channel, String, String)> {
    let mut touches = ls.store.touches(tenant, lead).await.unwrap();
    touches.sort_by_key(|t| t.step);
    touches
        .into_iter()
        .map(|t| (t.step, t.channel, t.message.source, t.message.template_id))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ai_writer_drafts_through_the_guard_and_falls_back_to_templates() {
    let mut ls = stack("gate-ai", at(IN_WINDOW), None).await;
    let ai_on = |c: &mut shared::domain::tenant::TenantConfig| {
        c.ai_writer.enabled = true;
        c.ai_writer.channels = vec![Channel::Email];
    };

    // GIVEN a messages API that writes good, specific emails
    let good = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(good_answer)
        .mount(&good)
        .await;
    ls.craft.writer = Some(Arc::new(writer(&good)));
    // AND a tenant with the writer on for email, two leads reachable on
    // every channel of the default sequence
    let auth = tenant(&mut ls, "aiw", ai_on).await;
    let rows = [reachable(0, "w"), reachable(1, "w")];
    import(&mut ls, &auth, &csv(&rows)).await;

    // WHEN the pipeline runs
    ls.drain().await.unwrap();

    // THEN the email steps (1 and 4) are the writer's, the others templates
    let leads: Vec<String> = (0..2)
        .map(|i| lead_id("aiw", &format!("w{i}@w{i}.example")))
        .collect();
    for lead in &leads {
        let got = sources(&ls, "aiw", lead).await;
        let ai = format!("ai:{REPLY_MODEL}");
        let shape: Vec<(u8, Channel, &str, &str)> = got
            .iter()
            .map(|(s, c, src, t)| (*s, *c, src.as_str(), t.as_str()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (1, Channel::Email, ai.as_str(), "ai:intro"),
                (2, Channel::Voice, "template", "voice-brief-tier1"),
                (3, Channel::Linkedin, "template", "linkedin-connect"),
                (4, Channel::Email, ai.as_str(), "ai:value"),
                (5, Channel::Sms, "template", "sms-nudge"),
            ],
            "{lead}"
        );
    }
    // AND the AI emails carry the compliance footer and unsubscribe headers,
    // passed the guard on the lead's facts, and await an operator
    let drafts = get(&mut ls, &auth, "/admin/drafts").await;
    let drafts = drafts["drafts"].as_array().unwrap();
    assert_eq!(drafts.len(), 10);
    for d in drafts.iter().filter(|d| d["channel"] == "email") {
        assert_eq!(d["state"], "draft");
        assert!(d["source"].as_str().unwrap().starts_with("ai:"), "{d}");
        let body = d["body"].as_str().unwrap();
        assert!(
            body.contains("\n\n--\nNorthwind Reputation, 100 Example Street, Suite 200, Austin, TX 78701, USA\nDon't want these emails? Unsubscribe: http://localhost:9000/unsubscribe/aiw."),
            "{body}"
        );
        let list = d["headers"]["List-Unsubscribe"].as_str().unwrap();
        assert!(
            list.starts_with("<http://localhost:9000/unsubscribe/aiw.")
                && list.contains(
                    "<mailto:unsubscribe@aiw-mail.example.com?subject=unsubscribe%20aiw."
                ),
            "{list}"
        );
        assert_eq!(
            d["headers"]["List-Unsubscribe-Post"],
            "List-Unsubscribe=One-Click"
        );
        assert_eq!(d["guard"]["blocked"], false, "{d}");
        let evidence: Vec<&str> = d["guard"]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert!(
            evidence.contains(&"company") && evidence.contains(&"city"),
            "{evidence:?}"
        );
        assert_eq!(d["variant"], "", "AI text has no A/B variant");
    }
    // AND every draft, AI ones included, may be approved
    let batch = post(&mut ls, &auth, "/admin/batches", "{}").await;
    assert_eq!(batch.status, 201, "{}", batch.body);
    assert_eq!(batch.json()["drafts"], 10, "{}", batch.body);
    assert_eq!(batch.json()["left_out"], json!([]));
    // AND the writer was asked exactly as the API expects, once per email
    // step, about the lead at hand
    let received = good.received_requests().await.unwrap();
    assert_eq!(received.len(), 4);
    let mut companies = BTreeMap::<String, usize>::new();
    for r in &received {
        assert_eq!(r.url.path(), "/v1/messages");
        let h = |k: &str| r.headers.get(k).and_then(|v| v.to_str().ok());
        assert_eq!(h("x-api-key"), Some(KEY));
        assert_eq!(h("anthropic-version"), Some("2023-06-01"));
        let body: Value = r.body_json().unwrap();
        assert_eq!(body["model"], MODEL);
        assert_eq!(body["messages"][0]["role"], "user");
        assert!(body["system"].as_str().unwrap().contains("Northwind"));
        let prompt = user_prompt(r);
        assert!(prompt.contains("on email."), "{prompt}");
        *companies
            .entry(evidence_of(&prompt, "Company").to_string())
            .or_default() += 1;
    }
    assert_eq!(
        companies,
        BTreeMap::from([("Dealer 0".to_string(), 2), ("Dealer 1".to_string(), 2)])
    );

    // GIVEN a tenant that auto-enrols tier 1 but does not let AI text skip
    // a person, and one that does
    let auth_auto = tenant(&mut ls, "aiauto", |c| {
        ai_on(c);
        c.approval.auto_enroll = true;
        c.ai_writer.send_without_approval = false;
    })
    .await;
    import(&mut ls, &auth_auto, &csv(&[reachable(0, "u")])).await;
    let auth_send = tenant(&mut ls, "aisend", |c| {
        ai_on(c);
        c.approval.auto_enroll = true;
        c.ai_writer.send_without_approval = true;
    })
    .await;
    import(&mut ls, &auth_send, &csv(&[reachable(0, "s")])).await;
    ls.drain().await.unwrap();
    // THEN the AI drafts wait for an operator (nothing is due), the
    // template steps are approved behind them
    use TouchState::{Draft, Due, Planned};
    let u0 = lead_id("aiauto", "u0@u0.example");
    assert_eq!(
        states(&ls, "aiauto", &u0).await,
        vec![Draft, Planned, Planned, Draft, Planned]
    );
    let waiting = get(&mut ls, &auth_auto, "/admin/drafts").await;
    let steps: Vec<u64> = waiting["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, vec![1, 4], "{waiting}");
    let trail = audit(&mut ls, &auth_auto).await;
    assert!(
        trail.iter().any(|a| a.1 == "drafts_approved"
            && a.2 == format!("lead {u0}: 3 of 5 drafts approved without an operator")),
        "{trail:?}"
    );
    // AND with send_without_approval the AI step 1 is due at once
    let s0 = lead_id("aisend", "s0@s0.example");
    assert_eq!(
        states(&ls, "aisend", &s0).await,
        vec![Due, Planned, Planned, Planned, Planned]
    );
    assert_eq!(good.received_requests().await.unwrap().len(), 8);

    // GIVEN a messages API that fails with 500, and a circuit of 3 failures
    let down = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "type": "error", "error": {"type": "api_error", "message": "Internal server error"}
        })))
        .mount(&down)
        .await;
    ls.craft.writer = Some(Arc::new(writer(&down)));
    let auth_down = tenant(&mut ls, "aidown", |c| {
        ai_on(c);
        c.ai_writer.circuit_failures = 3;
        c.ai_writer.circuit_open_minutes = 10;
    })
    .await;
    let rows: Vec<Row<'static>> = (0..3).map(|i| reachable(i, "d")).collect();
    import(&mut ls, &auth_down, &csv(&rows)).await;
    // WHEN three leads are crafted (two email steps each)
    ls.drain().await.unwrap();
    // THEN after 3 failures the circuit is open and the rest never call
    assert_eq!(down.received_requests().await.unwrap().len(), 3);
    let circuit = ls.store.circuit("aidown", "ai_writer").await.unwrap();
    assert!(
        circuit.opened_until.is_some_and(|u| u > ls.now()),
        "{circuit:?}"
    );
    // AND every email step fell back to a template, saying why
    let (mut failed, mut open) = (0, 0);
    for i in 0..3 {
        let lead = lead_id("aidown", &format!("d{i}@d{i}.example"));
        for t in ls.store.touches("aidown", &lead).await.unwrap() {
            assert_eq!(t.state, Draft, "{t:?}");
            assert_eq!(t.message.source, "template", "{t:?}");
            if t.channel != Channel::Email {
                assert!(t.draft_notes.iter().all(|n| !n.starts_with("AI writer")));
                continue;
            }
            let note = t.draft_notes.first().cloned().unwrap_or_default();
            assert!(note.starts_with("AI writer:"), "{:?}", t.draft_notes);
            assert!(note.ends_with("; template used"), "{note}");
            if note.starts_with("AI writer: circuit open until") {
                open += 1;
            } else {
                assert!(note.contains("500"), "{note}");
                failed += 1;
            }
        }
    }
    assert_eq!((failed, open), (3, 3));
    // AND the operator sees the note on the draft
    let d = get(
        &mut ls,
        &auth_down,
        &format!("/admin/drafts/{}/1", lead_id("aidown", "d0@d0.example")),
    )
    .await;
    assert!(
        d["notes"][0].as_str().unwrap().starts_with("AI writer:"),
        "{d}"
    );
    // WHEN the circuit's 10 minutes are over and another lead comes in
    ls.clock.set(ls.now() + Duration::minutes(11));
    import(&mut ls, &auth_down, &csv(&[reachable(7, "e")])).await;
    ls.drain().await.unwrap();
    // THEN one trial call goes through, fails, and opens it again at once
    assert_eq!(down.received_requests().await.unwrap().len(), 4);

    // GIVEN a messages API that writes mass mail
    let bland = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(reply(
            "Quick question",
            "I hope this email finds you well. We leverage synergy and a best-in-class, cutting-edge, seamless solution to take your business to the next level.",
        ))
        .mount(&bland)
        .await;
    ls.craft.writer = Some(Arc::new(writer(&bland)));
    let auth_bland = tenant(&mut ls, "aibland", ai_on).await;
    import(&mut ls, &auth_bland, &csv(&[reachable(0, "g")])).await;
    ls.drain().await.unwrap();
    // THEN the guard turns the AI text down and templates write the emails
    assert_eq!(bland.received_requests().await.unwrap().len(), 2);
    let g0 = lead_id("aibland", "g0@g0.example");
    let got = sources(&ls, "aibland", &g0).await;
    for (step, channel, source, template) in &got {
        assert_eq!(source, "template", "step {step}");
        if *channel == Channel::Email {
            assert!(!template.starts_with("ai:"), "step {step}: {template}");
        }
    }
    let d = get(&mut ls, &auth_bland, &format!("/admin/drafts/{g0}/1")).await;
    assert!(d["template_id"]
        .as_str()
        .unwrap()
        .starts_with("email-intro"));
    assert_eq!(d["guard"]["blocked"], false, "{d}");
    let notes: Vec<&str> = d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.iter().any(|n| n.starts_with("ai:intro: blocked")
            && n.contains("banned opener")
            && n.contains("generic phrases")),
        "{notes:?}"
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variants_are_recorded_on_touches_and_reported() {
    // GIVEN 20 approved leads
    let mut ls = stack("gate-variants", at(IN_WINDOW), None).await;
    let auth = due_tenant(&mut ls, "var", &emails("v", 20, "NY"), |_| {}).await;
    // WHEN step 1 goes out
    let tick = ls.tick().await.unwrap();
    assert_eq!(tick.sent, 20, "{tick:?}");
    // THEN every sent touch records the variants it got
    let mut labels = BTreeMap::<String, u32>::new();
    for i in 0..20 {
        let lead = lead_id("var", &format!("v{i}@v{i}.example"));
        let view = get(&mut ls, &auth, &format!("/admin/leads/{lead}")).await;
        let step1 = view["touches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["step"] == 1)
            .unwrap()
            .clone();
        assert_eq!(step1["state"], "sent", "{step1}");
        assert_eq!(step1["message"]["template_id"], "email-intro", "{step1}");
        let sv = step1["message"]["subject_variant"].as_u64();
        let bv = step1["message"]["body_variant"].as_u64();
        assert!(
            sv.is_some_and(|v| v < 2) && bv.is_some_and(|v| v < 2),
            "{step1}"
        );
        let l = |v: u64| if v == 0 { "A" } else { "B" };
        *labels
            .entry(format!(
                "subject {}, body {}",
                l(sv.unwrap()),
                l(bv.unwrap())
            ))
            .or_default() += 1;
    }
    // AND the report counts the sends per variant of the intro
    let report = get(&mut ls, &auth, "/admin/variants").await;
    let rows: BTreeMap<String, u32> = report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["template_id"] == "email-intro")
        .map(|r| {
            (
                r["variant"].as_str().unwrap().to_string(),
                r["sent"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    assert_eq!(rows, labels, "{report}");
    assert_eq!(rows.values().sum::<u32>(), 20);
    for subject in ["subject A", "subject B"] {
        assert!(
            rows.iter().any(|(k, n)| k.starts_with(subject) && *n > 0),
            "{subject} never sent: {rows:?}"
        );
    }
    for r in report["variants"].as_array().unwrap() {
        if r["template_id"] == "email-intro" {
            assert_eq!(r["drafted"], r["sent"], "{r}");
            assert_eq!(r["replied"], 0);
        } else {
            assert_eq!(r["sent"], 0, "only step 1 went out: {r}");
        }
    }
    ls.cleanup().await;
}
