//! The per-tenant suppression list end to end on the local emulators: add,
//! remove, import, export through admin; marking at intake; and the check
//! made again before every send, on every channel.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderValue, Method};
use integration_tests::*;
use local_stack::runner::LocalStack;
use serde_json::Value;
use shared::domain::dispatch::sequence::default_sequence;
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::{Channel, TouchState};

fn lead_id(tenant: &str, email: &str) -> String {
    let t = shared::domain::ids::TenantId::parse(tenant).unwrap();
    shared::domain::ids::LeadId::from_dedup_key(&t, &format!("email:{email}")).to_string()
}

async fn suppress(ls: &mut LocalStack, auth: &str, kind: &str, value: &str) {
    let body = serde_json::json!({"kind": kind, "value": value}).to_string();
    let r = ls
        .http(
            "POST",
            "/admin/suppressions",
            &[("authorization", auth)],
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "suppress {kind} {value}: {}", r.body);
}

/// `(kind, value, reason)` of every entry listed by `GET /admin/suppressions{query}`.
async fn listed(ls: &mut LocalStack, auth: &str, query: &str) -> Vec<(String, String, String)> {
    let r = ls
        .http(
            "GET",
            &format!("/admin/suppressions{query}"),
            &[("authorization", auth)],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "list: {}", r.body);
    r.json()["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let g = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (g("kind"), g("value"), g("reason"))
        })
        .collect()
}

async fn import_list(ls: &mut LocalStack, auth: &str, body: &str) -> Value {
    let r = ls
        .http(
            "POST",
            "/admin/suppressions/import",
            &[("authorization", auth)],
            body,
        )
        .await;
    assert_eq!(r.status, 200, "import list: {}", r.body);
    r.json()
}

async fn audit_actions(ls: &mut LocalStack, auth: &str) -> Vec<String> {
    ls.http("GET", "/admin/audit", &[("authorization", auth)], "")
        .await
        .json()["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str().map(str::to_string))
        .collect()
}

/// The export, called on the handler directly to see its headers.
async fn export(ls: &LocalStack, auth: &str) -> (String, String) {
    let mut req = ApiGatewayV2httpRequest::default();
    req.raw_path = Some("/admin/suppressions/export".into());
    req.request_context.http.method = Method::GET;
    req.headers
        .insert("authorization", HeaderValue::from_str(auth).unwrap());
    let resp = ls.admin.handle(req).await;
    assert_eq!(resp.status_code, 200, "export: {:?}", resp.body);
    let content_type = resp.headers["content-type"].to_str().unwrap().to_string();
    let Some(Body::Text(csv)) = resp.body else {
        panic!("export body is not text")
    };
    (content_type, csv)
}

/// A sequence of one step, due at once: the default sequence's step on
/// `channel` (its template is keyed by step and channel).
fn only_step(channel: Channel) -> impl FnOnce(&mut TenantConfig) {
    move |c| {
        let mut step = default_sequence()
            .into_iter()
            .find(|s| s.channel == channel)
            .expect("a default step on the channel");
        step.day = 0;
        step.conditions.clear();
        c.sequence = vec![step];
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_added_listed_by_kind_and_removed_without_touching_leads() {
    // GIVEN entries of every kind, added in raw forms
    let mut ls = stack("supp-crud", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "crud", |_| {}).await;
    suppress(&mut ls, &auth, "email", " Jo@Dealer.example ").await;
    suppress(&mut ls, &auth, "domain", "https://www.customer.example/x").await;
    suppress(&mut ls, &auth, "phone", "(602) 555-0100").await;
    // AND a lead imported afterwards, marked suppressed at intake
    let report = import(&mut ls, &auth, &csv(&[dealer("jo@dealer.example", "NY")])).await;
    assert_eq!(report["suppressed_at_intake"], 1, "{report}");
    let jo = lead_id("crud", "jo@dealer.example");

    // THEN they are listed canonical, and filtered by kind
    assert_eq!(listed(&mut ls, &auth, "").await.len(), 3);
    let emails = listed(&mut ls, &auth, "?kind=email").await;
    assert_eq!(
        emails,
        vec![(
            "email".into(),
            "jo@dealer.example".into(),
            "added by operator".into()
        )]
    );
    assert_eq!(
        listed(&mut ls, &auth, "?kind=domain").await[0].1,
        "customer.example"
    );
    assert_eq!(
        listed(&mut ls, &auth, "?kind=phone").await[0].1,
        "+16025550100"
    );
    let bad = ls
        .http(
            "GET",
            "/admin/suppressions?kind=fax",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(
        (bad.status, bad.json()["field"].as_str()),
        (400, Some("kind"))
    );

    // WHEN the phone is removed in another raw form, URL-encoded
    let r = ls
        .http(
            "DELETE",
            "/admin/suppressions/phone/%2B1%20602%20555%200100",
            &[("authorization", &auth)],
            "",
        )
        .await;
    // THEN the canonical entry is removed and returned, once
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["removed"]["kind"], "phone");
    assert_eq!(body["removed"]["value"], "+16025550100");
    assert_eq!(body["removed"]["reason"], "added by operator");
    assert!(body["note"]
        .as_str()
        .unwrap()
        .contains("Leads are unchanged"));
    let again = ls
        .http(
            "DELETE",
            "/admin/suppressions/phone/%2B16025550100",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
    for (path, field) in [
        ("/admin/suppressions/fax/123", "kind"),
        ("/admin/suppressions/domain/nodot", "value"),
        ("/admin/suppressions/email/a%4", "path"),
    ] {
        let r = ls
            .http("DELETE", path, &[("authorization", &auth)], "")
            .await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert_eq!(r.json()["field"], field, "{path}");
    }

    // WHEN the email that marked the lead is removed
    let r = ls
        .http(
            "DELETE",
            "/admin/suppressions/email/jo%40dealer.example",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // THEN the lead stays marked and new (no automatic un-marking), even
    // after a re-import
    import(&mut ls, &auth, &csv(&[dealer("jo@dealer.example", "NY")])).await;
    ls.drain().await.unwrap();
    let lead = ls.store.lead("crud", &jo).await.unwrap().unwrap();
    assert!(
        lead.suppressed
            .as_deref()
            .is_some_and(|s| s.contains("email#jo@dealer.example")),
        "{:?}",
        lead.suppressed
    );
    assert_eq!(lead.status.as_str(), "new");
    assert!(ls.store.touches("crud", &jo).await.unwrap().is_empty());
    assert_eq!(
        listed(&mut ls, &auth, "").await,
        vec![(
            "domain".into(),
            "customer.example".into(),
            "added by operator".into()
        )]
    );
    let actions = audit_actions(&mut ls, &auth).await;
    assert_eq!(actions.iter().filter(|a| *a == "suppress").count(), 3);
    assert_eq!(actions.iter().filter(|a| *a == "unsuppress").count(), 2);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reports_bad_lines_adds_the_rest_and_adds_nothing_the_second_time() {
    let mut ls = stack("supp-import", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "imp", |_| {}).await;
    // GIVEN a plain list of mixed kinds with two bad lines (4 and 6), a blank
    // line and a value repeated in another form
    let plain = "a@one.example\n\
                 customer.example\n\
                 +1 415 555 0100\n\
                 not an@email.example\n\
                 \n\
                 (602) 555\n\
                 Sub.Other.example\n\
                 A@One.Example\n";
    // WHEN it is imported twice
    let first = import_list(&mut ls, &auth, plain).await;
    let second = import_list(&mut ls, &auth, plain).await;
    // THEN the bad lines are named, the rest added once
    for report in [&first, &second] {
        assert_eq!(report["lines"], 7, "{report}");
        assert_eq!(report["error_count"], 2, "{report}");
        let errors: Vec<(u64, &str)> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
            .collect();
        assert_eq!(errors, vec![(4, "email"), (6, "phone")], "{report}");
        assert!(report["errors"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("not a valid phone"));
    }
    assert_eq!(
        (first["added"].as_u64(), first["already_present"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(
        (second["added"].as_u64(), second["already_present"].as_u64()),
        (Some(0), Some(5))
    );
    let mut values: Vec<String> = listed(&mut ls, &auth, "")
        .await
        .into_iter()
        .map(|(k, v, r)| {
            assert_eq!(r, "imported from upload");
            format!("{k}#{v}")
        })
        .collect();
    values.sort();
    assert_eq!(
        values,
        [
            "domain#customer.example",
            "domain#sub.other.example",
            "email#a@one.example",
            "phone#+14155550100"
        ]
    );

    // AND a CSV with email/phone columns and reasons reads the same way
    let columns = "email,phone,reason\n\
                   b@two.example,,asked by phone\n\
                   ,+1 212 555 0199,DNC registry\n\
                   b@,,\n";
    let r = import_list(&mut ls, &auth, columns).await;
    assert_eq!(
        (r["added"].as_u64(), r["error_count"].as_u64()),
        (Some(2), Some(1)),
        "{r}"
    );
    assert_eq!(
        (
            r["errors"][0]["line"].as_u64(),
            r["errors"][0]["field"].as_str()
        ),
        (Some(4), Some("email"))
    );
    assert!(listed(&mut ls, &auth, "?kind=phone").await.contains(&(
        "phone".into(),
        "+12125550199".into(),
        "DNC registry".into()
    )));

    // AND a large import costs one read per 100 entries and one write per 25
    let big: String = (0..260).map(|i| format!("p{i}@bulk.example\n")).collect();
    let before = ls.store.requests();
    let r = import_list(&mut ls, &auth, &big).await;
    let cost = ls.store.requests() - before;
    assert_eq!(r["added"], 260);
    // token + config (the country national numbers are read in) + 3
    // BatchGetItem + 11 BatchWriteItem + audit
    assert_eq!(cost, 1 + 1 + 3 + 11 + 1);
    let before = ls.store.requests();
    let r = import_list(&mut ls, &auth, &big).await;
    assert_eq!(
        (r["added"].as_u64(), r["already_present"].as_u64()),
        (Some(0), Some(260))
    );
    assert_eq!(
        ls.store.requests() - before,
        1 + 1 + 3 + 1,
        "a re-import reads, writes nothing"
    );
    assert_eq!(
        listed(&mut ls, &auth, "?kind=email").await.len(),
        1 + 1 + 260
    );

    let empty = ls
        .http(
            "POST",
            "/admin/suppressions/import",
            &[("authorization", &auth)],
            "  \n",
        )
        .await;
    assert_eq!(empty.status, 400);
    let actions = audit_actions(&mut ls, &auth).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "suppressions_import")
            .count(),
        5
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imports_into_another_tenant_as_the_same_list_and_tenants_stay_apart() {
    let mut ls = stack("supp-export", at(IN_WINDOW), None).await;
    let a = tenant(&mut ls, "ta", |_| {}).await;
    let b = tenant(&mut ls, "tb", |_| {}).await;
    // GIVEN tenant A's list, with a reason that needs quoting
    let r = import_list(
        &mut ls,
        &a,
        "kind,value,reason\n\
         email,jo@dealer.example,\"said \"\"stop\"\", twice\"\n\
         domain,customer.example,customer\n\
         phone,(602) 555-0100,DNC\n",
    )
    .await;
    assert_eq!(r["added"], 3, "{r}");
    suppress(&mut ls, &a, "domain", "partner.example").await;
    // WHEN A exports it
    let (content_type, csv) = export(&ls, &a).await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "kind,value,reason,added_at");
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines.contains(&"phone,+16025550100,DNC,2026-12-01T15:00:00.000Z"));
    // THEN tenant B sees none of it, by list or export
    assert!(listed(&mut ls, &b, "").await.is_empty());
    assert_eq!(export(&ls, &b).await.1, "kind,value,reason,added_at\n");
    let r = ls
        .http(
            "DELETE",
            "/admin/suppressions/domain/customer.example",
            &[("authorization", &b)],
            "",
        )
        .await;
    assert_eq!(r.status, 404, "B cannot remove A's entry: {}", r.body);
    // WHEN B imports A's export
    let r = import_list(&mut ls, &b, &csv).await;
    assert_eq!(
        (r["added"].as_u64(), r["error_count"].as_u64()),
        (Some(4), Some(0)),
        "{r}"
    );
    assert_eq!(r["ignored_columns"], serde_json::json!(["added_at"]));
    // THEN B has the same entries, reasons included
    let list_a = listed(&mut ls, &a, "").await;
    assert_eq!(listed(&mut ls, &b, "").await, list_a);
    assert!(list_a.contains(&(
        "email".into(),
        "jo@dealer.example".into(),
        "said \"stop\", twice".into()
    )));
    // AND what either adds later stays its own
    suppress(&mut ls, &b, "email", "only-b@b.example").await;
    assert_eq!(listed(&mut ls, &a, "").await, list_a);
    assert_eq!(listed(&mut ls, &b, "").await.len(), 5);
    assert!(!export(&ls, &a).await.1.contains("only-b"));
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_added_after_approval_stop_due_touches_on_every_channel() {
    // GIVEN four tenants whose first step is due now, on email, SMS, voice
    // and LinkedIn, each with a lead nothing is suppressed for
    let mut ls = stack("supp-late", at(IN_WINDOW), None).await;
    let mail_rows = vec![
        dealer("e0@e0.example", "NY"),
        dealer("a@x.customer.example", "NY"),
        dealer("e2@e2.example", "NY"),
        dealer("e3@e3.example", "NY"),
        dealer("e4@e4.example", "NY"),
    ];
    let mail = due_tenant(&mut ls, "late-mail", &mail_rows, |_| {}).await;
    let mut phone_rows = emails("p", 3, "NY");
    for (i, r) in phone_rows.iter_mut().enumerate() {
        r.phone = Some(Box::leak(format!("+1212555020{i}").into_boxed_str()));
        r.linkedin = true;
    }
    let sms = due_tenant(&mut ls, "late-sms", &phone_rows, only_step(Channel::Sms)).await;
    let voice = due_tenant(
        &mut ls,
        "late-voice",
        &phone_rows,
        only_step(Channel::Voice),
    )
    .await;
    let li = due_tenant(
        &mut ls,
        "late-li",
        &phone_rows,
        only_step(Channel::Linkedin),
    )
    .await;

    // WHEN entries are added after approval: an email, a parent domain of a
    // lead's subdomain, a phone (DNC) and, for the phone channels, an email
    suppress(&mut ls, &mail, "email", "e0@e0.example").await;
    suppress(&mut ls, &mail, "domain", "customer.example").await;
    for auth in [&sms, &voice, &li] {
        suppress(&mut ls, auth, "phone", "(212) 555-0200").await;
        suppress(&mut ls, auth, "email", "p1@p1.example").await;
    }
    // AND a lead that got a phone after its draft, and that phone listed
    let e4 = lead_id("late-mail", "e4@e4.example");
    let mut lead = ls.store.lead("late-mail", &e4).await.unwrap().unwrap();
    lead.phone = Some("+12125550299".into());
    assert!(ls
        .store
        .save_lead(&mut lead, "merged", "phone found", ls.now())
        .await
        .unwrap());
    suppress(&mut ls, &mail, "phone", "+1 212 555 0299").await;
    // AND a lead in a stop state has its entry added, then removed (removal
    // does not reopen it)
    let e3 = lead_id("late-mail", "e3@e3.example");
    ls.store
        .transition(
            "late-mail",
            &e3,
            shared::domain::lead::LeadStatus::Dnc,
            "asked on a call",
            ls.now(),
        )
        .await
        .unwrap()
        .expect("moved to dnc");
    suppress(&mut ls, &mail, "email", "e3@e3.example").await;
    let r = ls
        .http(
            "DELETE",
            "/admin/suppressions/email/e3%40e3.example",
            &[("authorization", &mail)],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    let report = ls.tick().await.unwrap();

    // THEN the next tick sends only to the leads nothing stops
    assert_eq!(report.sent, 4, "{report:?}");
    let expect = [
        ("late-mail", "e0@e0.example", Some("email#e0@e0.example")),
        (
            "late-mail",
            "a@x.customer.example",
            Some("domain#customer.example"),
        ),
        ("late-mail", "e2@e2.example", None),
        ("late-mail", "e3@e3.example", Some("lead is dnc")),
        ("late-mail", "e4@e4.example", Some("phone#+12125550299")),
    ]
    .into_iter()
    .chain(
        ["late-sms", "late-voice", "late-li"]
            .into_iter()
            .flat_map(|t| {
                [
                    (t, "p0@p0.example", Some("phone#+12125550200")),
                    (t, "p1@p1.example", Some("email#p1@p1.example")),
                    (t, "p2@p2.example", None),
                ]
            }),
    );
    for (tenant, email, stopped_by) in expect {
        let touches = ls
            .store
            .touches(tenant, &lead_id(tenant, email))
            .await
            .unwrap();
        let step1 = touches.iter().min_by_key(|t| t.step).expect("a first step");
        let channel = match tenant {
            "late-mail" => Channel::Email,
            "late-sms" => Channel::Sms,
            "late-voice" => Channel::Voice,
            _ => Channel::Linkedin,
        };
        assert_eq!(step1.channel, channel, "{tenant} {email}: no fallback");
        let outbox = ls.store.outbox(tenant).await.unwrap();
        let sent = outbox.iter().any(|e| e.lead_id == step1.lead_id);
        match stopped_by {
            None => {
                assert_eq!(step1.state, TouchState::Sent, "{tenant} {email}");
                assert!(sent, "{tenant} {email} sent");
                let channel = outbox
                    .iter()
                    .find(|e| e.lead_id == step1.lead_id)
                    .map(|e| e.channel.clone());
                assert_eq!(channel.as_deref(), Some(step1.channel.as_str()));
            }
            Some(why) => {
                assert_eq!(step1.state, TouchState::Cancelled, "{tenant} {email}");
                let reason = step1.end_reason.as_deref().unwrap_or_default();
                assert!(reason.contains(why), "{tenant} {email}: {reason}");
                assert!(!sent, "{tenant} {email} was sent to");
            }
        }
    }
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_imported_after_its_domain_was_suppressed_is_marked_and_never_drafted() {
    let mut ls = stack("supp-intake", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "intake", |_| {}).await;
    // GIVEN a suppressed domain
    suppress(&mut ls, &auth, "domain", "customer.example").await;
    // WHEN a lead on a subdomain of it is imported, with one that is not
    let rows = [
        dealer("gm@east.customer.example", "NY"),
        dealer("jo@dealer.example", "NY"),
    ];
    let report = import(&mut ls, &auth, &csv(&rows)).await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["suppressed_at_intake"], 1, "{report}");
    ls.drain().await.unwrap();
    // THEN it is marked with the entry, never enriched nor drafted
    let gm = lead_id("intake", "gm@east.customer.example");
    let r = ls
        .http(
            "GET",
            &format!("/admin/leads/{gm}"),
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    let view = r.json();
    assert_eq!(
        view["lead"]["suppressed"],
        "suppression list: domain#customer.example"
    );
    assert_eq!(view["lead"]["status"], "new");
    assert!(view["touches"].as_array().unwrap().is_empty());
    let drafts = ls
        .http("GET", "/admin/drafts", &[("authorization", &auth)], "")
        .await
        .json();
    let drafted: Vec<&str> = drafts["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["lead_id"].as_str())
        .collect();
    assert!(!drafted.is_empty(), "the other lead is drafted");
    assert!(!drafted.contains(&gm.as_str()));
    // AND a run over the first steps sends it nothing (never drafted, it
    // has no step to send on any day)
    approve_all(&mut ls, &auth).await;
    let start = ls.now();
    ls.run_until(start + chrono::Duration::days(1))
        .await
        .unwrap();
    let outbox = ls.store.outbox("intake").await.unwrap();
    assert!(!outbox.is_empty());
    assert!(outbox.iter().all(|e| e.lead_id != gm));
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_every_address_of_a_lead_costs_no_extra_read() {
    // GIVEN the same due email touches for leads without and with a phone,
    // and a list with an entry of each kind that matches none of them
    let mut costs = Vec::new();
    for with_phone in [false, true] {
        let mut ls = stack("supp-cost", at(IN_WINDOW), None).await;
        let mut rows = emails("c", 6, "NY");
        if with_phone {
            for (i, r) in rows.iter_mut().enumerate() {
                r.phone = Some(Box::leak(format!("+1212555030{i}").into_boxed_str()));
            }
        }
        let auth = due_tenant(&mut ls, "cost", &rows, |_| {}).await;
        import_list(
            &mut ls,
            &auth,
            "x@else.example\nelse.example\n+12125550399\n",
        )
        .await;
        // WHEN a tick sends them
        let report = ls.tick().await.unwrap();
        assert_eq!(report.sent, 6, "{report:?}");
        costs.push(report.dynamodb_requests);
        ls.cleanup().await;
    }
    // THEN the phone's entry was read with the rest, in the same request
    assert_eq!(costs[0], costs[1], "requests without/with a phone");
}
