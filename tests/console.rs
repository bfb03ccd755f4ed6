//! The operator console in a real browser (headless Chromium through
//! ChromeDriver) against the local stack served over HTTP: sign-in, a batch
//! approved and its touches due, a draft rejected and redrafted, pause
//! seen in the banner and honoured by a tick, why a touch waits, roles,
//! tenant isolation, CSRF, and an accessibility check (axe-core) with a
//! screenshot of every page.

use integration_tests::browser::{artifact, Browser};
use integration_tests::hooks;
use integration_tests::*;
use local_stack::runner::LocalStack;
use local_stack::serve::{serve_stack, Served};
use serde_json::json;
use shared::domain::touch::TouchState;
use std::sync::Arc;
use tokio::sync::Mutex;

const PASSWORD: &str = "correct horse battery staple";

/// Two tenants with drafts waiting and an admin, an approver and a viewer
/// in `acme`, an admin in `beta`; the stack served on loopback.
async fn console_stack() -> (Arc<Mutex<LocalStack>>, Served, String) {
    let mut ls = stack("console", at(IN_WINDOW), None).await;
    let acme = tenant(&mut ls, "acme", |_| {}).await;
    import(
        &mut ls,
        &acme,
        &csv(&[
            dealer("ann@alpha-motors.example", "NY"),
            dealer("bob@bravo-autos.example", "NY"),
            dealer("cy@charlie-cars.example", "NY"),
        ]),
    )
    .await;
    let beta = tenant(&mut ls, "beta", |_| {}).await;
    import(
        &mut ls,
        &beta,
        &csv(&[dealer("zed@zulu-motors.example", "NY")]),
    )
    .await;
    ls.drain().await.expect("pipeline drains");
    for (auth, login, role) in [
        (&acme, "ada", "admin"),
        (&acme, "abe", "approver"),
        (&acme, "vic", "viewer"),
        (&beta, "bea", "admin"),
    ] {
        let r = post(
            &mut ls,
            auth,
            "/admin/operators",
            &json!({"login": login, "display_name": login.to_uppercase(), "role": role, "password": PASSWORD}).to_string(),
        )
        .await;
        assert_eq!(r.status, 201, "operator {login}: {}", r.body);
    }
    let ls = Arc::new(Mutex::new(ls));
    let served = serve_stack(ls.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("console served");
    (ls, served, acme)
}

async fn sign_in(b: &Browser, url: &str, tenant: &str, login: &str) {
    b.goto(&format!("{url}/console")).await;
    assert!(
        b.current_url().await.ends_with("/console/sign-in"),
        "a visitor is sent to sign in"
    );
    b.find("#tenant").await.send_keys(tenant).await;
    b.find("#login").await.send_keys(login).await;
    b.find("#password").await.send_keys(PASSWORD).await;
    b.find("#sign-in").await.click().await;
    wait_h1(b, "Control plane").await;
}

/// Waits (up to 10 s) until the page's heading is `h1`: after a click
/// that submits a form, the old page may still be there for a moment.
async fn wait_h1(b: &Browser, h1: &str) {
    for _ in 0..100 {
        let now = b
            .execute(
                "const h = document.querySelector('h1'); return h ? h.textContent : '';",
                vec![],
            )
            .await;
        if now.as_str() == Some(h1) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page never showed {h1:?}: {}", b.page_source().await);
}

/// Waits (up to 10 s) until `js` returns true in the page.
async fn wait_until(b: &Browser, js: &str) {
    for _ in 0..100 {
        if b.execute(js, vec![]).await == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never true: {js}");
}

/// Checks the page for accessibility and keeps a screenshot of it.
async fn look(b: &Browser, name: &str) {
    b.assert_accessible(name).await;
    b.screenshot(&artifact(&format!("console-{name}"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_approves_rejects_pauses_and_reads_why_a_touch_waits() {
    let (ls, served, _acme) = console_stack().await;
    let url = served.url();
    let b = Browser::start().await;
    sign_in(&b, &url, "acme", "ada").await;
    look(&b, "control-plane").await;

    // Reject one draft with a reason: it is written again.
    b.goto(&format!("{url}/console/approvals")).await;
    look(&b, "approvals").await;
    let first = b.find("article.draft").await;
    let id = first.attr("id").await.expect("draft id");
    let (lead, step) = {
        let rest = id.trim_start_matches("draft-");
        let (l, s) = rest.rsplit_once('-').unwrap();
        (l.to_string(), s.parse::<u8>().unwrap())
    };
    b.find(&format!("#r-{lead}-{step}"))
        .await
        .send_keys("too generic")
        .await;
    b.find(&format!("#{id} [data-key=reject]"))
        .await
        .click()
        .await;
    // The rejected draft leaves the queue until it is written again.
    wait_until(
        &b,
        &format!("return document.getElementById('{id}') === null;"),
    )
    .await;
    {
        let mut ls = ls.lock().await;
        ls.drain().await.unwrap();
        let l = ls.store.lead("acme", &lead).await.unwrap().unwrap();
        assert_eq!(l.rejections.len(), 1, "the rejection is remembered");
        assert_eq!(l.rejections[0].reason, "too generic");
        let t = ls.store.touch("acme", &lead, step).await.unwrap().unwrap();
        assert_eq!(t.state, TouchState::Draft, "redrafted for approval");
    }

    // Prepare a batch: its frozen scope, preview hash and expiry are shown;
    // approving makes the touches due.
    b.goto(&format!("{url}/console/approvals")).await;
    b.find("#prepare-batch").await.click().await;
    let hash = b.find("#preview-hash").await.text().await;
    assert!(hash.len() >= 16, "the preview hash: {hash}");
    look(&b, "batch").await;
    b.find("#approve-batch").await.click().await;
    let result = b.find("#batch-result").await.text().await;
    assert!(result.starts_with("Approved"), "{result}");
    {
        let ls = ls.lock().await;
        let due = states(&ls, "acme", &lead).await;
        assert!(due.contains(&TouchState::Due), "{due:?}");
    }

    // Pause from the control plane, behind a confirmation: the banner
    // says so and a tick sends nothing; resume.
    b.goto(&format!("{url}/console")).await;
    b.find("#pause").await.click().await;
    wait_h1(&b, "Pause sending").await;
    look(&b, "confirm-pause").await;
    b.find("#confirm").await.click().await;
    wait_h1(&b, "Control plane").await;
    let banner = b.find("#banner").await.text().await;
    assert!(banner.contains("Sending is paused"), "{banner}");
    {
        let mut ls = ls.lock().await;
        let report = ls.tick().await.unwrap();
        assert_eq!(report.sent, 0, "paused: {report:?}");
        assert!(ls.store.outbox("acme").await.unwrap().is_empty());
    }
    b.find("#resume").await.click().await;
    wait_h1(&b, "Resume sending").await;
    b.find("#confirm").await.click().await;
    wait_h1(&b, "Control plane").await;
    assert!(
        b.find_all("#banner.paused").await.is_empty(),
        "the pause banner is gone"
    );
    {
        let mut ls = ls.lock().await;
        let report = ls.tick().await.unwrap();
        assert!(report.sent > 0, "resumed: {report:?}");
    }

    // A reply lands in the inbox; the operator answers in the thread and
    // marks the meeting booked.
    let ann = lead_id("acme", "ann@alpha-motors.example");
    {
        let ls = ls.lock().await;
        let req = hooks::mailgun_inbound(
            "acme",
            ls.now().timestamp(),
            "reply-ann-1",
            "ann@alpha-motors.example",
            "Re: reviews",
            "Sounds interesting. Can you call me Tuesday afternoon?",
            &[],
        );
        let (status, body) = hooks::deliver(&ls, req).await;
        assert_eq!(status, 200, "{body}");
    }
    b.goto(&format!("{url}/console/inbox")).await;
    look(&b, "inbox-replied").await;
    b.find(&format!("a[href='/console/leads/{ann}']"))
        .await
        .click()
        .await;
    b.find("#reply-body")
        .await
        .send_keys("Tuesday at 3pm works. I will call you then.")
        .await;
    b.find("#send-reply").await.click().await;
    wait_until(
        &b,
        "return document.getElementById('message-210') !== null;",
    )
    .await;
    look(&b, "lead-thread").await;
    {
        let mut ls = ls.lock().await;
        ls.tick().await.unwrap();
        let out = ls.store.outbox("acme").await.unwrap();
        let reply = out
            .iter()
            .find(|o| o.lead_id == ann && o.step == 210)
            .expect("the operator's reply was sent");
        assert_eq!(reply.to, "ann@alpha-motors.example");
        assert!(
            reply.subject.as_deref().unwrap_or("").starts_with("Re: "),
            "{reply:?}"
        );
        assert!(reply.body.starts_with("Tuesday at 3pm works."));
        let first = out
            .iter()
            .find(|o| o.lead_id == ann && o.step == 1)
            .unwrap();
        assert_eq!(reply.sender, first.sender, "from the same mailbox");
    }
    b.find("#mark-booked").await.click().await;
    wait_until(
        &b,
        "return document.getElementById('lead-status').textContent.startsWith('booked');",
    )
    .await;

    // A lead's page says why its next touch waits.
    let cy = lead_id("acme", "cy@charlie-cars.example");
    b.goto(&format!("{url}/console/leads/{cy}")).await;
    let why = b.find("#next-wait").await.text().await;
    assert!(why.contains("step"), "{why}");
    look(&b, "lead").await;

    // Every other page renders, passes the accessibility check and is kept.
    for (path, name) in [
        ("/console/leads", "leads"),
        ("/console/leads?status=contacted&tier=1", "leads-filtered"),
        ("/console/inbox", "inbox"),
        ("/console/campaigns", "campaigns"),
        ("/console/deliverability", "deliverability"),
        ("/console/memory", "memory"),
        ("/console/suppressions", "suppressions"),
        ("/console/in-doubt", "in-doubt"),
        ("/console/audit", "audit"),
        ("/console/erase", "erase"),
        ("/console/operators", "operators"),
    ] {
        b.goto(&format!("{url}{path}")).await;
        let h1 = b.find("h1").await.text().await;
        assert!(!h1.starts_with("Something failed"), "{path}: {h1}");
        look(&b, name).await;
    }

    // A campaign is created from the console as a draft, its sequence
    // generated and shown with its (empty) results.
    b.goto(&format!("{url}/console/campaigns")).await;
    b.execute("document.querySelector('details').open = true;", vec![])
        .await;
    b.find("#c-id").await.send_keys("spring-push").await;
    b.find("#c-name").await.send_keys("Spring push").await;
    b.find("#c-industries")
        .await
        .send_keys("used car dealer, rv dealer")
        .await;
    b.find("#create").await.click().await;
    wait_h1(&b, "Campaign Spring push").await;
    assert_eq!(b.find("#campaign-state").await.text().await, "draft");
    assert!(
        b.find_all("#seq-h + ol li").await.len() >= 3,
        "the generated sequence"
    );
    look(&b, "campaign").await;

    // The audit trail names the operator who did each thing.
    b.goto(&format!("{url}/console/audit")).await;
    let audit = b.find("#audit").await.text().await;
    for action in [
        "batch_approved",
        "pause",
        "resume",
        "sign_in",
        "reply_sent",
        "mark_outcome",
        "campaign_created",
    ] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains("op:ada") && l.contains(action)),
            "{action} by op:ada in:\n{audit}"
        );
    }

    // Signing out ends the session: the old cookie no longer opens a page.
    b.find(".signout button").await.click().await;
    wait_h1(&b, "Sign in").await;
    b.goto(&format!("{url}/console/leads")).await;
    assert!(b.current_url().await.ends_with("/console/sign-in"));
    b.quit().await;
    served.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_tenants_and_csrf_are_enforced_on_every_form() {
    let (ls, served, _acme) = console_stack().await;
    let url = served.url();
    let b = Browser::start().await;

    // The sign-in page and an error page pass the accessibility check too.
    b.goto(&format!("{url}/console/sign-in")).await;
    look(&b, "sign-in").await;
    // A viewer sees drafts but no approve button, and a forged approval
    // (with a valid CSRF token) is refused.
    sign_in(&b, &url, "acme", "vic").await;
    b.goto(&format!("{url}/console/approvals")).await;
    assert!(!b.find_all("article.draft").await.is_empty());
    assert!(b.find_all("[data-key=approve]").await.is_empty());
    let id = b.find("article.draft").await.attr("id").await.unwrap();
    let (lead, step) = id
        .trim_start_matches("draft-")
        .rsplit_once('-')
        .map(|(l, s)| (l.to_string(), s.to_string()))
        .unwrap();
    let post = |path: String, with_csrf: bool| {
        format!(
            "const done = arguments[arguments.length - 1];
             const csrf = document.querySelector('input[name=csrf]').value;
             const body = new URLSearchParams({{confirmed: 'yes', reason: 'x'}});
             if ({with_csrf}) body.set('csrf', csrf);
             fetch('{path}', {{method: 'POST', body, redirect: 'manual'}}).then(r => done(r.type === 'opaqueredirect' ? 303 : r.status));"
        )
    };
    let status = b
        .execute_async(
            &post(format!("/console/drafts/{lead}/{step}/approve"), true),
            vec![],
        )
        .await;
    assert_eq!(status, 403, "a viewer may not approve");
    let status = b
        .execute_async(&post("/console/control/pause".into(), true), vec![])
        .await;
    assert_eq!(status, 403, "a viewer may not pause");
    let status = b
        .execute_async(&post("/console/erase".into(), true), vec![])
        .await;
    assert_eq!(status, 403, "a viewer may not erase");
    {
        let ls = ls.lock().await;
        let t = ls
            .store
            .touch("acme", &lead, step.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.state, TouchState::Draft);
        assert!(!ls.store.control("acme").await.unwrap().paused);
    }
    b.find(".signout button").await.click().await;
    wait_h1(&b, "Sign in").await;

    // An admin's form without its CSRF token is refused; with it, it works.
    sign_in(&b, &url, "acme", "ada").await;
    let status = b
        .execute_async(&post("/console/control/pause".into(), false), vec![])
        .await;
    assert_eq!(status, 403, "no CSRF token");
    assert!(!ls.lock().await.store.control("acme").await.unwrap().paused);
    let status = b
        .execute_async(&post("/console/control/pause".into(), true), vec![])
        .await;
    assert_eq!(status, 303, "with its token the same form works");
    assert!(ls.lock().await.store.control("acme").await.unwrap().paused);

    b.goto(&format!("{url}/console/leads/00000000000000000000"))
        .await;
    assert_eq!(b.find("h1").await.text().await, "Not found");
    look(&b, "not-found").await;

    // Keyboard: j moves to the next draft, a approves it.
    b.goto(&format!("{url}/console/approvals")).await;
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for e in b.find_all("article.draft").await {
            v.push(e.attr("id").await.unwrap());
        }
        v
    };
    assert!(ids.len() >= 2, "{ids:?}");
    // The script focuses the first draft once it runs: keys before that are lost.
    wait_until(
        &b,
        &format!("return document.activeElement.id === '{}';", ids[0]),
    )
    .await;
    b.send_keys_to_page("j").await;
    wait_until(
        &b,
        &format!("return document.activeElement.id === '{}';", ids[1]),
    )
    .await;
    b.send_keys_to_page("a").await;
    wait_until(
        &b,
        &format!("return document.getElementById('{}') === null;", ids[1]),
    )
    .await;
    {
        let (l, st) = ids[1]
            .trim_start_matches("draft-")
            .rsplit_once('-')
            .unwrap();
        let ls = ls.lock().await;
        let t = ls
            .store
            .touch("acme", l, st.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_ne!(t.state, TouchState::Draft, "approved with the keyboard");
        let (l0, s0) = ids[0]
            .trim_start_matches("draft-")
            .rsplit_once('-')
            .unwrap();
        let t0 = ls
            .store
            .touch("acme", l0, s0.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            t0.state,
            TouchState::Draft,
            "the first draft was skipped, not approved"
        );
    }

    // Nothing of tenant beta is reachable from acme's session, by any URL.
    let beta_lead = lead_id("beta", "zed@zulu-motors.example");
    for path in [
        format!("/console/leads/{beta_lead}"),
        "/console/leads?q=zulu".to_string(),
        "/console/approvals".to_string(),
        "/console/inbox?status=new".to_string(),
        "/console/audit".to_string(),
        "/console/suppressions".to_string(),
    ] {
        b.goto(&format!("{url}{path}")).await;
        let html = if path.contains("q=") {
            // The search box says what was searched for; the table must not.
            b.find("#leads").await.text().await
        } else {
            b.page_source().await
        };
        assert!(!html.contains("zulu"), "{path} shows tenant beta's data");
        if path.contains(&beta_lead) {
            let h1 = b.find("h1").await.text().await;
            assert_eq!(h1, "Not found", "{path}");
        } else {
            assert!(!html.contains(&beta_lead), "{path} shows beta's lead");
        }
    }
    let status = b
        .execute_async(
            &post(format!("/console/drafts/{beta_lead}/1/approve"), true),
            vec![],
        )
        .await;
    assert_ne!(status, 303, "approving beta's draft from acme");
    {
        let ls = ls.lock().await;
        let t = ls
            .store
            .touch("beta", &beta_lead, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.state, TouchState::Draft, "beta's draft untouched");
    }
    // A cursor made for beta's list does not read it from acme's session.
    b.goto(&format!(
        "{url}/console/leads?cursor=eyJHU0kxUEsiOiJUI2JldGEjTEVBRFMifQ"
    ))
    .await;
    let h1 = b.find("h1").await.text().await;
    assert_eq!(h1, "That did not work", "a foreign cursor is refused");
    b.quit().await;
    served.stop();
}

const PERSON: &str = "first_name,last_name,email,phone,company,website,city,state,country,industry\n\
Zebulon,Quixote,zeb@quixote-cars.example,(303) 555-0199,Quixote Cars,https://quixote-cars.example,Denver,CO,US,Used car dealer\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_erases_a_person_from_the_console_and_no_trace_is_left() {
    let (ls, served, acme) = console_stack().await;
    {
        let mut ls = ls.lock().await;
        let r = import(&mut ls, &acme, PERSON).await;
        assert_eq!(r["created"], 1, "{r}");
        ls.drain().await.unwrap();
        let items = scan(&ls).await;
        assert!(
            items.iter().any(|i| i.contains("zebulon")),
            "the person is stored first"
        );
    }
    let url = served.url();
    let b = Browser::start().await;
    sign_in(&b, &url, "acme", "ada").await;
    b.goto(&format!("{url}/console/erase")).await;
    b.find("#e-email")
        .await
        .send_keys("zeb@quixote-cars.example")
        .await;
    b.find("#e-phone").await.send_keys("(303) 555-0199").await;
    b.find("#e-reason").await.send_keys("GDPR request 88").await;
    b.find("#e-confirm").await.click().await;
    b.find("#erase").await.click().await;
    let report = b.find("#erase-report").await.text().await;
    assert!(
        !report.contains("quixote"),
        "the report names nobody: {report}"
    );
    look(&b, "erased").await;

    let mut ls = ls.lock().await;
    let needles = [
        "zeb@quixote-cars.example",
        "zebulon",
        "quixote",
        "3035550199",
        "555-0199",
    ];
    let items = scan(&ls).await;
    let traces: Vec<String> = items
        .iter()
        .flat_map(|i| {
            needles
                .iter()
                .filter(|n| i.contains(**n))
                .map(move |n| format!("{n} in {i}"))
        })
        .collect();
    assert!(
        traces.is_empty(),
        "traces of the erased person: {traces:#?}"
    );
    let audit = audit(&mut ls, &acme).await;
    assert!(
        audit
            .iter()
            .any(|(actor, action, _)| actor == "op:ada" && action == "erasure"),
        "the erasure is audited as the operator: {audit:?}"
    );
    let again = import(&mut ls, &acme, PERSON).await;
    assert_eq!(again["created"], 0, "refused at the next import: {again}");
    assert_eq!(again["refused_erased"], 1, "{again}");
    drop(ls);
    b.quit().await;
    served.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recommendation_changes_nothing_until_an_admin_approves_it() {
    let (ls, served, _acme) = console_stack().await;
    // GIVEN results where subject A of a template clearly wins its A/B test
    let (campaign, template) = {
        let ls = ls.lock().await;
        let now = ls.now();
        let campaign = ls.store.campaigns("acme", now).await.unwrap()[0]
            .0
            .id
            .as_str()
            .to_string();
        let mut config = ls.store.require_config("acme").await.unwrap();
        let t = config
            .templates
            .templates
            .iter_mut()
            .find(|t| !t.subject.is_empty())
            .expect("an email template");
        if t.subject.len() < 2 {
            t.subject.push("A second subject".into());
        }
        let template = t.id.clone();
        ls.store
            .put_config(&config, &[], "test", "two subjects", now)
            .await
            .unwrap();
        for (label, replied) in [("subject A, body A", "18"), ("subject B, body A", "4")] {
            ls.ddb
                .put_item()
                .table_name(ls.store.table())
                .item("PK", s(format!("T#acme#RESULTS#{campaign}")))
                .item("SK", s(format!("VARIANT#{template}#{label}")))
                .item("sent", n("120"))
                .item("replied", n(replied))
                .send()
                .await
                .unwrap();
        }
        (campaign, template)
    };
    let subjects = |config: &shared::domain::tenant::TenantConfig| {
        config
            .templates
            .templates
            .iter()
            .find(|t| t.id == template)
            .unwrap()
            .subject
            .len()
    };
    let b = Browser::start().await;
    // An approver sees it and may add a note, but may not approve.
    sign_in(&b, &served.url(), "acme", "abe").await;
    b.goto(&format!("{}/console/memory", served.url())).await;
    let rec = b.find("#rec-1 h3").await.text().await;
    assert!(
        rec.contains(&template) && rec.contains("subject A"),
        "{rec}"
    );
    assert!(b.find_all("#rec-1 button").await.is_empty());
    b.find("#m-text")
        .await
        .send_keys("Dealers answer after lunch")
        .await;
    b.find("#add-memory").await.click().await;
    wait_until(
        &b,
        "return document.getElementById('entries-operator_note').textContent.includes('after lunch');",
    )
    .await;
    {
        let ls = ls.lock().await;
        let config = ls.store.require_config("acme").await.unwrap();
        assert_eq!(subjects(&config), 2, "nothing changed before approval");
    }
    b.find(".signout button").await.click().await;
    wait_h1(&b, "Sign in").await;
    // THEN the admin's approval keeps only the winner and leaves a learning
    sign_in(&b, &served.url(), "acme", "ada").await;
    b.goto(&format!("{}/console/memory", served.url())).await;
    look(&b, "memory-recommendation").await;
    b.find("#rec-1 button.ok").await.click().await;
    wait_until(
        &b,
        "return document.getElementById('no-recommendations') !== null;",
    )
    .await;
    let learned = b.find("#entries-system_learning").await.text().await;
    assert!(
        learned.contains("op:ada") && learned.contains("120"),
        "{learned}"
    );
    // An admin may remove an entry.
    b.find("#entries-operator_note button").await.click().await;
    wait_until(
        &b,
        "return !document.getElementById('entries-operator_note').textContent.includes('after lunch');",
    )
    .await;
    let ls = ls.lock().await;
    let config = ls.store.require_config("acme").await.unwrap();
    assert_eq!(subjects(&config), 1, "the winner alone is kept");
    let audit = audit_rows(&ls).await;
    assert!(
        audit
            .iter()
            .any(|a| a.contains("recommendation_approved") && a.contains(&campaign)),
        "{audit:?}"
    );
    drop(ls);
    b.quit().await;
    served.stop();
}

fn s(v: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}

fn n(v: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(v.into())
}

async fn audit_rows(ls: &LocalStack) -> Vec<String> {
    ls.store
        .audit_page("acme", 100, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|(at, actor, action, detail)| format!("{at} {actor} {action} {detail}"))
        .collect()
}

/// The sign-in form's CSRF token and pre-session cookie, as a browser
/// would get them.
async fn sign_in_form(ls: &mut LocalStack) -> (String, String) {
    let resp = ls
        .handle_http(LocalStack::request("GET", "/console/sign-in", &[], ""))
        .await;
    let cookie = resp.cookies[0].split(';').next().unwrap().to_string();
    let html = match resp.body {
        Some(aws_lambda_events::encodings::Body::Text(t)) => t,
        _ => panic!("no page"),
    };
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = html[at..].split('"').next().unwrap().to_string();
    (cookie, csrf)
}

async fn try_sign_in(ls: &mut LocalStack, login: &str, password: &str) -> u16 {
    signed_in(ls, login, password).await.0
}

/// Signs in over HTTP: the status and the session cookie (if any).
async fn signed_in(ls: &mut LocalStack, login: &str, password: &str) -> (u16, String) {
    let (cookie, csrf) = sign_in_form(ls).await;
    let body = format!(
        "csrf={csrf}&tenant=acme&login={login}&password={}",
        password.replace(' ', "+")
    );
    let resp = ls
        .handle_http(LocalStack::request(
            "POST",
            "/console/sign-in",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            &body,
        ))
        .await;
    let cookie = resp
        .cookies
        .iter()
        .find(|c| c.starts_with("__Host-outbound_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_default();
    (resp.status_code as u16, cookie)
}

/// The status of the leads page for the session `cookie`.
async fn leads_status(ls: &mut LocalStack, cookie: &str) -> i64 {
    let req = LocalStack::request("GET", "/console/leads", &[("cookie", cookie)], "");
    ls.handle_http(req).await.status_code
}

/// Posts a console form as the session `cookie` (its CSRF token read from
/// the page `page`); the status.
async fn post_form(ls: &mut LocalStack, cookie: &str, page: &str, path: &str, body: &str) -> u16 {
    let resp = ls
        .handle_http(LocalStack::request("GET", page, &[("cookie", cookie)], ""))
        .await;
    let html = match resp.body {
        Some(aws_lambda_events::encodings::Body::Text(t)) => t,
        _ => panic!("no page"),
    };
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = html[at..].split('"').next().unwrap();
    let resp = ls
        .handle_http(LocalStack::request(
            "POST",
            path,
            &[
                ("cookie", cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            &format!("csrf={csrf}&{body}"),
        ))
        .await;
    resp.status_code as u16
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_passwords_lock_a_login_for_a_while_and_are_audited() {
    let (ls, served, _acme) = console_stack().await;
    served.stop();
    let mut ls = ls.lock().await;
    assert_eq!(
        try_sign_in(&mut ls, "abe", PASSWORD).await,
        303,
        "the right password works"
    );
    for _ in 0..5 {
        assert_eq!(
            try_sign_in(&mut ls, "abe", "not the password at all").await,
            401
        );
    }
    assert_eq!(
        try_sign_in(&mut ls, "abe", PASSWORD).await,
        429,
        "locked, even with the right password"
    );
    assert_eq!(
        try_sign_in(&mut ls, "ada", PASSWORD).await,
        303,
        "other logins are not"
    );
    let failed = audit_rows(&ls)
        .await
        .iter()
        .filter(|a| a.contains("op:abe sign_in_failed"))
        .count();
    assert_eq!(failed, 5, "each failure is audited");
    // A quarter of an hour later and one more, the lock is gone.
    ls.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(try_sign_in(&mut ls, "abe", PASSWORD).await, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_an_operator_ends_its_sessions_and_a_role_change_keeps_it_disabled() {
    let (ls, served, _acme) = console_stack().await;
    served.stop();
    let mut ls = ls.lock().await;
    let (_, admin) = signed_in(&mut ls, "ada", PASSWORD).await;
    let (_, viewer) = signed_in(&mut ls, "vic", PASSWORD).await;
    assert_eq!(leads_status(&mut ls, &viewer).await, 200);
    let change = "/console/operators/change";
    assert_eq!(
        post_form(
            &mut ls,
            &admin,
            "/console/operators",
            change,
            "login=vic&role=viewer&state=disable"
        )
        .await,
        303
    );
    assert_eq!(
        leads_status(&mut ls, &viewer).await,
        303,
        "the disabled viewer's session ended"
    );
    assert_eq!(
        try_sign_in(&mut ls, "vic", PASSWORD).await,
        401,
        "and it cannot sign in"
    );
    // A role change that says nothing of access leaves it disabled.
    assert_eq!(
        post_form(
            &mut ls,
            &admin,
            "/console/operators",
            change,
            "login=vic&role=approver&state=keep"
        )
        .await,
        303
    );
    let vic = ls.store.operator("acme", "vic").await.unwrap().unwrap();
    assert!(vic.disabled, "still disabled after a role change");
    assert_eq!(vic.role, shared::domain::operators::Role::Approver);
    // An admin cannot lock themselves out.
    assert_eq!(
        post_form(
            &mut ls,
            &admin,
            "/console/operators",
            change,
            "login=ada&role=viewer&state=keep"
        )
        .await,
        422
    );
}
