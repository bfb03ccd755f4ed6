//! Erasure on request end to end on the local emulators: a person with
//! touches, a shadow send, a webhook event, claims and suppression entries
//! is erased through `POST /admin/erasures`; a scan of the whole table then
//! finds no trace of their email, name or phone; their colleague and other
//! leads are untouched; the next import and prospecting run refuse them;
//! a second erasure finds nothing; a request naming no one is a 400.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::hooks::hook;
use integration_tests::*;
use local_stack::runner::{mailgun_event, LocalStack, LOCAL_MAILGUN_KEY};
use serde_json::{json, Value};
use shared::domain::targeting::erasure::ErasureKey;
use std::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const T: &str = "erase";
const EMAIL: &str = "zebulon.quaxworth@riverside-autos.example";

/// Every form the person's data could be stored in, lower case.
const TRACES: [&str; 6] = [
    EMAIL,
    "zebulon",
    "quaxworth",
    "+12125550177",
    "2125550177",
    "555-0177",
];

const HEADER: &str = "first_name,last_name,email,title,company,website,phone,company_phone,city,state,country,industry,employees,rating,reviews,gbp,review_response_rate,notes\n";

/// A tier-1 dealer's row: the person's own phone and the company's switchboard.
fn row(
    first: &str,
    last: &str,
    email: &str,
    company: &str,
    phone: &str,
    switchboard: &str,
) -> String {
    let site = email.split('@').nth(1).unwrap_or("x.example");
    format!("{first},{last},{email},Owner,{company},https://{site},{phone},{switchboard},Springfield,NY,US,Used car dealer,12,3.6,48,yes,10%,independent lot\n")
}

fn person() -> String {
    row(
        "Zebulon",
        "Quaxworth",
        "Zebulon.Quaxworth@Riverside-Autos.example",
        "Riverside Autos",
        "(212) 555-0177",
        "(212) 555-0190",
    )
}

/// The person's colleague: same company domain and switchboard, not them.
fn colleague() -> String {
    row(
        "Sam",
        "Keeper",
        "sam.keeper@riverside-autos.example",
        "Riverside Autos",
        "",
        "(212) 555-0190",
    )
}

fn other() -> String {
    row(
        "Ola",
        "Otherly",
        "ola@other-lot.example",
        "Other Lot",
        "(212) 555-0123",
        "",
    )
}

/// The items holding any of `needles`, with the needle found.
fn traces<'a>(items: &'a [String], needles: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    items
        .iter()
        .flat_map(|i| {
            needles
                .iter()
                .filter(|n| i.contains(&n.to_lowercase()))
                .map(move |n| (*n, i.as_str()))
        })
        .collect()
}

async fn erase(ls: &mut LocalStack, auth: &str, body: &str) -> (u16, Value) {
    let r = post(ls, auth, "/admin/erasures", body).await;
    (r.status, r.json())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_person_leaves_no_trace_and_is_refused_at_the_next_import_and_prospecting_run() {
    let started = Instant::now();
    let mut ls = stack("erasure", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, T, |c| {
        c.prospecting.enabled = true;
        c.prospecting.monthly_quota = 310;
        c.prospecting.page_size = 25;
    })
    .await;
    let me = lead_id(T, EMAIL);
    let sam = lead_id(T, "sam.keeper@riverside-autos.example");
    let ola = lead_id(T, "ola@other-lot.example");

    // GIVEN the person imported with a colleague and another dealer,
    // drafted, approved in a batch and sent to (shadow mode: the outbox)
    let file = format!("{HEADER}{}{}{}", person(), colleague(), other());
    let report = import(&mut ls, &auth, &file).await;
    assert_eq!(report["created"], 3, "{report}");
    approve_all(&mut ls, &auth).await;
    ls.tick().await.unwrap();
    let outbox = ls.store.outbox(T).await.unwrap();
    assert!(outbox.iter().any(|e| e.lead_id == me));
    // AND a Mailgun event about them (its raw payload names them)
    let opened = mailgun_event(
        LOCAL_MAILGUN_KEY,
        ls.now().timestamp(),
        "mg-erase-token-1",
        "opened",
        None,
        "mg-erase-ev-1",
        T,
        &me,
        EMAIL,
    );
    let r = ls
        .webhook
        .handle(hook(
            "/webhooks/mailgun",
            &[("content-type", "application/json")],
            &opened,
        ))
        .await;
    assert_eq!(r.status_code, 200, "{:?}", r.body);
    assert_eq!(ls.store.lead(T, &me).await.unwrap().unwrap().opens, 1);
    // AND their email and number on the suppression list in clear (the
    // audit trail says so too)
    for (kind, value) in [("email", EMAIL), ("phone", "(212) 555-0177")] {
        let r = post(
            &mut ls,
            &auth,
            "/admin/suppressions",
            &json!({"kind": kind, "value": value, "reason": "asked to stop"}).to_string(),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // AND what the dialer leaves behind a call to them: the day's call
    // counter and the desk slot that made the call (keyed as the dispatch
    // tick and the desk key them)
    for (pk, sk, attr, value) in [
        (
            format!("T#{T}#CTR#2026-12-01"),
            format!("voice#lead#{me}"),
            "n",
            AttributeValue::N("1".into()),
        ),
        (
            format!("T#{T}#DESK"),
            "SLOT#00".to_string(),
            "lead_id",
            AttributeValue::S(me.clone()),
        ),
    ] {
        ls.ddb
            .put_item()
            .table_name(ls.store.table())
            .item("PK", AttributeValue::S(pk))
            .item("SK", AttributeValue::S(sk))
            .item(attr, value)
            .send()
            .await
            .unwrap();
    }
    let (_, mine, _) = ls.store.lead_view(T, &me).await.unwrap().unwrap();
    let my_touches = mine.len() as u64;
    let sam_touches = ls.store.touches(T, &sam).await.unwrap();
    let ola_touches = ls.store.touches(T, &ola).await.unwrap();
    let others_sent = outbox.iter().filter(|e| e.lead_id != me).count();
    // (the scan sees them all now: it would see a trace left behind)
    let before = scan(&ls).await;
    for needle in [EMAIL, "zebulon", "quaxworth", "+12125550177", me.as_str()] {
        assert!(
            !traces(&before, &[needle]).is_empty(),
            "{needle} is stored before the erasure"
        );
    }

    // WHEN the operator erases them by their email (in another case)
    let (status, answer) = erase(
        &mut ls,
        &auth,
        &json!({"email": " ZEBULON.Quaxworth@riverside-autos.example", "reason": "GDPR request 4711 from Zebulon Quaxworth"}).to_string(),
    )
    .await;

    // THEN every place that held them is reported, in counts only
    assert_eq!(status, 200, "{answer}");
    let e = &answer["erasure"];
    assert_eq!(e["leads"], 1, "{answer}");
    assert_eq!(e["touches"], my_touches, "{answer}");
    assert!(e["timeline_events"].as_u64().unwrap() >= 3, "{answer}");
    assert_eq!(e["webhook_events"], 1, "{answer}");
    assert_eq!(e["outbox_entries"], 1, "{answer}");
    assert_eq!(e["reach_claims"], 2, "email and own number: {answer}");
    assert_eq!(e["clear_suppression_entries"], 2, "{answer}");
    // (the number was found from the lead: the request named the email)
    assert_eq!(e["identifiers"], 2, "{answer}");
    assert_eq!(e["hashed_entries_added"], 2, "{answer}");
    assert!(e["audit_rows_scrubbed"].as_u64().unwrap() >= 2, "{answer}");
    assert_eq!(e["batches_rewritten"], 1, "{answer}");
    assert_eq!(
        (e["call_counters"].clone(), e["desk_slots"].clone()),
        (json!(1), json!(1))
    );
    assert!(traces(&[answer.to_string().to_lowercase()], &TRACES).is_empty());
    // AND no item of the table holds their email, name, number or lead id
    let after = scan(&ls).await;
    let left = traces(&after, &[TRACES.as_slice(), &[me.as_str()]].concat());
    assert!(left.is_empty(), "traces left: {left:#?}");
    // AND the colleague, the other dealer and their sends are untouched;
    // the company's domain and switchboard are not suppressed
    assert!(ls.store.lead(T, &sam).await.unwrap().is_some());
    assert!(ls.store.lead(T, &ola).await.unwrap().is_some());
    assert_eq!(ls.store.touches(T, &sam).await.unwrap(), sam_touches);
    assert_eq!(ls.store.touches(T, &ola).await.unwrap(), ola_touches);
    assert_eq!(ls.store.outbox(T).await.unwrap().len(), others_sent);
    assert!(!traces(&after, &["+12125550190", "riverside-autos.example"]).is_empty());
    let listed = get(&mut ls, &auth, "/admin/suppressions").await;
    let listed: Vec<(String, String)> = listed["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().into(),
                e["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("erased".to_string(), "erased on request".to_string()),
            ("erased".to_string(), "erased on request".to_string()),
        ]
    );
    // AND the audit trail records the erasure, without the data
    let trail = audit(&mut ls, &auth).await;
    let (actor, _, detail) = trail
        .iter()
        .find(|(_, action, _)| action == "erasure")
        .expect("an erasure row");
    assert_eq!(actor, "operator");
    let reference = e["reference"].as_str().unwrap();
    assert_eq!(reference.len(), 12);
    assert!(
        detail.starts_with(&format!("ref {reference}: 1 leads")),
        "{detail}"
    );
    assert!(
        detail.ends_with("reason: GDPR request 4711 from [erased]"),
        "{detail}"
    );

    // WHEN the same file is imported again, and a row with only their number
    let again = import(&mut ls, &auth, &file).await;
    let by_phone = row(
        "Zeb",
        "Q",
        "zq@elsewhere.example",
        "Elsewhere",
        "212-555-0177",
        "",
    );
    let phone_only = import(&mut ls, &auth, &format!("{HEADER}{by_phone}")).await;

    // THEN the person's rows are refused with the reason, and stored nowhere
    assert_eq!(again["refused_erased"], 1, "{again}");
    assert_eq!(
        again["refused"],
        json!([{"line": 2, "field": "email", "reason": "erased on request"}])
    );
    assert_eq!(
        (again["created"].clone(), again["unchanged"].clone()),
        (json!(0), json!(2))
    );
    assert_eq!(phone_only["refused_erased"], 1, "{phone_only}");
    assert_eq!(phone_only["refused"][0]["field"], "phone");
    assert_eq!(phone_only["created"], 0);
    for report in [&again, &phone_only] {
        assert!(traces(&[report.to_string().to_lowercase()], &TRACES).is_empty());
    }
    assert!(ls.store.lead(T, &me).await.unwrap().is_none());

    // WHEN a prospecting run's source returns them (and someone new)
    let api = MockServer::start().await;
    let found = |first: &str, last: &str, email: &str| {
        json!({"first_name": first, "last_name": last, "title": "Owner", "seniority": "owner",
               "email": email, "email_status": "verified", "state": "New York", "country": "United States",
               "organization": {"name": "Lot", "primary_domain": email.split('@').nth(1), "estimated_num_employees": 14}})
    };
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "people": [found("Zebulon", "Quaxworth", EMAIL), found("Dee", "Newman", "dee@new-lot.example")],
            "pagination": {"page": 1, "per_page": 10, "total_entries": 2, "total_pages": 1}
        })))
        .mount(&api)
        .await;
    ls.prospect.people_search = Some(prospect::PeopleSearchAccess {
        base_url: api.uri(),
        api_key: "k".into(),
        timeout: std::time::Duration::from_secs(5),
    });
    // THEN a function with no key to recognise erased people imports
    // nothing (and alerts) rather than bring them back
    ls.prospect.store =
        shared::store::Store::new(ls.ddb.clone(), ls.store.table(), ls.store.shards());
    let blind = ls.prospect.run().await.unwrap();
    let run = &blind.tenants[T];
    assert!(run.note.contains("erased on request"), "{run:?}");
    assert_eq!(run.created, 0);
    // AND with the deployment's key, as every function reads it, the
    // person is refused and the newcomer imported
    let key = ErasureKey::new(&ls.admin.links.signing_key).unwrap();
    ls.prospect.store = ls.store.clone().with_erasure_key(key);
    let keyed = ls.prospect.run().await.unwrap();
    assert_eq!(keyed.tenants[T].created, 1, "{:?}", keyed.tenants[T]);
    assert!(ls.store.lead(T, &me).await.unwrap().is_none());
    ls.drain().await.unwrap();

    // WHEN they are erased again, by email or by their number
    let (status, twice) = erase(&mut ls, &auth, &json!({"email": EMAIL}).to_string()).await;
    let (status2, by_number) = erase(&mut ls, &auth, r#"{"phone": "+1 212 555 0177"}"#).await;

    // THEN it succeeds and finds nothing more
    assert_eq!((status, status2), (200, 200), "{twice} {by_number}");
    assert_eq!(twice["items"], 0, "{twice}");
    assert_eq!(twice["erasure"]["hashed_entries_present"], 1, "{twice}");
    assert_eq!(twice["erasure"]["reference"], e["reference"]);
    assert_eq!(by_number["items"], 0, "{by_number}");
    let last = scan(&ls).await;
    let left = traces(&last, &[TRACES.as_slice(), &[me.as_str()]].concat());
    assert!(
        left.is_empty(),
        "traces after the second erasure: {left:#?}"
    );

    // AND a request that names no one, or names them badly, is a 400 naming the field
    for (body, field) in [
        ("", "body"),
        ("{}", "email"),
        (r#"{"email": "not-an-email"}"#, "email"),
        (r#"{"phone": "555"}"#, "phone"),
        (r#"{"lead_id": "nope"}"#, "lead_id"),
        (r#"{"mail": "a@b.example"}"#, "mail"),
        (r#"{"email": 5}"#, "email"),
    ] {
        let (status, answer) = erase(&mut ls, &auth, body).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (400, Some(field)),
            "{body}: {answer}"
        );
    }
    ls.cleanup().await;
    eprintln!("erasure test took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrichment_keeps_nothing_of_an_erased_person_a_provider_matches() {
    let mut ls = stack("erasure-enrich", at(IN_WINDOW), None).await;
    let t = "erase-enrich";
    let auth = tenant(&mut ls, t, |c| {
        c.enrichment.waterfall = vec!["people_match".into()];
    })
    .await;
    // GIVEN a person erased before any lead of theirs came in
    let (status, answer) = erase(
        &mut ls,
        &auth,
        &json!({"email": EMAIL, "phone": "(212) 555-0177"}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (
            answer["items"].clone(),
            answer["erasure"]["hashed_entries_added"].clone()
        ),
        (json!(0), json!(2))
    );
    // AND a people-match provider that answers with them for their company
    let pm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/people/match"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"person": {
            "first_name": "Zebulon", "last_name": "Quaxworth", "email": EMAIL, "email_status": "verified",
            "title": "Owner", "seniority": "owner",
            "linkedin_url": "https://www.linkedin.com/in/zebulon-quaxworth",
            "phone_numbers": [{"sanitized_number": "+12125550177"}],
            "organization": {"name": "Riverside Autos", "estimated_num_employees": 14}
        }})))
        .expect(1)
        .mount(&pm)
        .await;
    let settings = shared::adapters::enrichment::HttpSettings {
        timeout: std::time::Duration::from_secs(5),
        retry: shared::domain::targeting::enrichment::RetryPolicy {
            max_retries: 0,
            base: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_secs(1),
        },
    };
    ls.enrich.providers = vec![std::sync::Arc::new(
        shared::adapters::enrichment::PeopleMatch::new(pm.uri(), "k", settings).unwrap(),
    )];
    // (keyed as the deployed function is: `LINK_SIGNING_KEY` is in its environment)
    let key = ErasureKey::new(&ls.admin.links.signing_key).unwrap();
    ls.enrich.store = ls.store.clone().with_erasure_key(key);

    // WHEN a lead at their company, named only "Zeb Q", is imported and enriched
    let report = import(
        &mut ls,
        &auth,
        "first_name,last_name,company,website,company_phone,state,country\nZeb,Q,Riverside Autos,https://riverside-autos.example,(212) 555-0190,NY,US\n",
    )
    .await;
    assert_eq!(report["created"], 1, "{report}");
    ls.drain().await.unwrap();

    // THEN the lead keeps what the provider said of the company, nothing of the person
    let leads = ls.store.leads(t).await.unwrap();
    let lead = &leads[0];
    assert_eq!(
        (
            lead.email.as_deref(),
            lead.phone.as_deref(),
            lead.title.as_deref()
        ),
        (None, None, None),
        "{lead:?}"
    );
    assert_eq!(lead.employees, Some(14), "{lead:?}");
    assert!(
        lead.enrichment
            .as_deref()
            .unwrap_or_default()
            .contains("matched a person erased on request; dropped email"),
        "{:?}",
        lead.enrichment
    );
    let items = scan(&ls).await;
    let left = traces(&items, &TRACES);
    assert!(left.is_empty(), "traces left: {left:#?}");
    pm.verify().await;
    ls.cleanup().await;
}
