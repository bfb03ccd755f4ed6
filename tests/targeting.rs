//! Targeting on the local stack: the enrichment waterfall against provider
//! stand-ins (wiremock), streaming imports of CSV and JSON datasets, dedup
//! and merge records, ICP config changes and re-scoring, prospecting.

use chrono::Duration;
use integration_tests::*;
use serde_json::{json, Value};
use shared::adapters::enrichment::{AsyncEnrich, HttpSettings, PeopleMatch};
use shared::domain::lead::LeadStatus;
use shared::domain::targeting::enrichment::{month_key, RetryPolicy};
use shared::ports::EnrichmentProvider;
use std::sync::Arc;
use wiremock::matchers::{body_partial_json, header, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "test-key-0000";

fn settings() -> HttpSettings {
    HttpSettings {
        timeout: std::time::Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries: 0,
            base: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_secs(1),
        },
    }
}

fn person(first: &str, email: &str) -> Value {
    json!({"person": {
        "first_name": first, "last_name": "Example", "email": email, "email_status": "verified",
        "title": "Owner", "seniority": "owner",
        "linkedin_url": format!("https://www.linkedin.com/in/{first}-example"),
        "phone_numbers": [{"sanitized_number": "+16025550142"}],
        "organization": {"name": "Desert Motors", "estimated_num_employees": 14}
    }})
}

fn lead_csv(rows: &[(&str, &str)]) -> String {
    let mut s = String::from("First Name,Last Name,Email,Company,State\n");
    for (first, email) in rows {
        s.push_str(&format!("{first},Example,{email},Desert Motors,AZ\n"));
    }
    s
}

async fn lead(
    ls: &local_stack::runner::LocalStack,
    t: &str,
    email: &str,
) -> shared::domain::lead::Lead {
    ls.store
        .lead(t, &lead_id(t, email))
        .await
        .unwrap()
        .expect("lead exists")
}

pub fn lead_id(tenant: &str, email: &str) -> String {
    shared::domain::ids::LeadId::from_dedup_key(
        &shared::domain::ids::TenantId::parse(tenant).unwrap(),
        &format!("email:{email}"),
    )
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_waterfall_goes_in_order_skips_what_fails_or_is_over_budget_and_explains_it() {
    let mut ls = stack("waterfall", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "wf", |c| {
        c.enrichment.circuit_failures = 1;
        c.enrichment.circuit_open_minutes = 5;
        c.enrichment.monthly_credits = [
            ("people_match".to_string(), 10),
            ("async_enrich".to_string(), 1),
        ]
        .into_iter()
        .collect();
    })
    .await;
    let pm = MockServer::start().await;
    let jobs = MockServer::start().await;
    ls.enrich.providers = vec![
        Arc::new(PeopleMatch::new(pm.uri(), KEY, settings()).unwrap())
            as Arc<dyn EnrichmentProvider>,
        Arc::new(
            AsyncEnrich::new(jobs.uri(), KEY, settings())
                .unwrap()
                .with_polling(
                    std::time::Duration::from_millis(20),
                    std::time::Duration::from_secs(2),
                ),
        ),
    ];
    // A: the people match finds everything; the async provider is not asked.
    Mock::given(method("POST"))
        .and(path("/api/v1/people/match"))
        .and(header("x-api-key", KEY))
        .and(body_partial_json(
            json!({"email": "ann@alpha.example", "first_name": "Ann"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(person("Ann", "ann@alpha.example")))
        .expect(1)
        .mount(&pm)
        .await;
    import(&mut ls, &auth, &lead_csv(&[("Ann", "ann@alpha.example")])).await;
    ls.drain().await.unwrap();
    let a = lead(&ls, "wf", "ann@alpha.example").await;
    assert_eq!(a.title.as_deref(), Some("Owner"));
    assert_eq!(a.phone.as_deref(), Some("+16025550142"));
    assert_eq!(a.employees, Some(14));
    assert!(
        a.enrichment
            .as_deref()
            .unwrap()
            .starts_with("people_match: filled"),
        "{:?}",
        a.enrichment
    );
    assert!(a.status != LeadStatus::New);

    // B: the people match is down (its circuit opens after one failure);
    // the async provider is asked next and finds the phone.
    Mock::given(method("POST"))
        .and(path("/api/v1/people/match"))
        .and(body_partial_json(json!({"email": "bo@beta.example"})))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&pm)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/contact/enrich/bulk"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"enrichment_id": "job-b"})))
        .expect(1)
        .mount(&jobs)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/contact/enrich/bulk/job-b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "job-b", "status": "FINISHED",
            "data": [{"contact_info": {"most_probable_phone": {"number": "+1 602-555-0177", "region": "US"}},
                      "profile": {"employment": {"current": {"title": "General Manager"}}}}]
        })))
        .mount(&jobs)
        .await;
    import(&mut ls, &auth, &lead_csv(&[("Bo", "bo@beta.example")])).await;
    ls.drain().await.unwrap();
    let b = lead(&ls, "wf", "bo@beta.example").await;
    assert_eq!(b.phone.as_deref(), Some("+16025550177"));
    let notes = b.enrichment.clone().unwrap();
    assert!(notes.contains("people_match: failed"), "{notes}");
    assert!(notes.contains("async_enrich: filled"), "{notes}");

    // C: the people match's circuit is open and the async budget (1) is
    // spent: both skipped without a request, the lead goes on, marked why.
    import(&mut ls, &auth, &lead_csv(&[("Cy", "cy@gamma.example")])).await;
    ls.drain().await.unwrap();
    let c = lead(&ls, "wf", "cy@gamma.example").await;
    let notes = c.enrichment.clone().unwrap();
    assert!(
        notes.contains("people_match: skipped, circuit open"),
        "{notes}"
    );
    assert!(
        notes.contains("async_enrich: skipped, monthly credit budget of 1 used"),
        "{notes}"
    );
    assert!(notes.contains("continuing without enrichment"), "{notes}");
    assert!(
        c.score.is_some() && c.status != LeadStatus::New,
        "the lead went on to scoring"
    );

    // After the open period the next lead is the trial call; it succeeds
    // and the circuit closes.
    ls.clock.advance(Duration::minutes(6));
    Mock::given(method("POST"))
        .and(path("/api/v1/people/match"))
        .and(body_partial_json(json!({"email": "di@delta.example"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(person("Di", "di@delta.example")))
        .expect(1)
        .mount(&pm)
        .await;
    import(&mut ls, &auth, &lead_csv(&[("Di", "di@delta.example")])).await;
    ls.drain().await.unwrap();
    let d = lead(&ls, "wf", "di@delta.example").await;
    assert_eq!(d.title.as_deref(), Some("Owner"));
    assert_eq!(
        ls.store.circuit("wf", "people_match").await.unwrap(),
        Default::default()
    );

    // Credits: two people matches charged (the failure was refunded), one async job.
    let mut used = ls
        .store
        .credits_used("wf", &month_key(ls.now()))
        .await
        .unwrap();
    used.sort();
    assert_eq!(
        used,
        vec![
            ("async_enrich".to_string(), 1),
            ("people_match".to_string(), 2)
        ]
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_async_job_is_polled_on_redelivery_never_submitted_twice() {
    let mut ls = stack("pending", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "pend", |c| {
        c.enrichment.waterfall = vec!["async_enrich".into()]
    })
    .await;
    let jobs = MockServer::start().await;
    ls.enrich.providers = vec![Arc::new(
        AsyncEnrich::new(jobs.uri(), KEY, settings())
            .unwrap()
            .with_polling(
                std::time::Duration::from_millis(10),
                std::time::Duration::from_millis(30),
            ),
    ) as Arc<dyn EnrichmentProvider>];
    Mock::given(method("POST"))
        .and(path("/api/v2/contact/enrich/bulk"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"enrichment_id": "job-p"})))
        .expect(1)
        .mount(&jobs)
        .await;
    // Still running for the first invocation's polls...
    Mock::given(method("GET"))
        .and(path_regex("^/api/v2/contact/enrich/bulk/job-p$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "job-p", "status": "IN_PROGRESS", "data": []})),
        )
        .up_to_n_times(2)
        .mount(&jobs)
        .await;
    import(&mut ls, &auth, &lead_csv(&[("Pia", "pia@pending.example")])).await;
    ls.drain().await.unwrap();
    let p = lead(&ls, "pend", "pia@pending.example").await;
    assert_eq!(p.status, LeadStatus::New);
    assert_eq!(p.pending_enrichment.as_ref().unwrap().job_id, "job-p");
    // ...and finished when SQS redelivers the message after its visibility timeout.
    Mock::given(method("GET"))
        .and(path("/api/v2/contact/enrich/bulk/job-p"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "job-p", "status": "FINISHED",
            "data": [{"contact_info": {"most_probable_phone": {"number": "+1 480-555-0101"}}}]
        })))
        .mount(&jobs)
        .await;
    let end = ls.now() + Duration::minutes(5);
    ls.run_queues_until(end).await.unwrap();
    let p = lead(&ls, "pend", "pia@pending.example").await;
    assert_eq!(p.phone.as_deref(), Some("+14805550101"));
    assert!(p.pending_enrichment.is_none());
    assert_ne!(p.status, LeadStatus::New);
    assert_eq!(ls.dlq_depth("EnrichQueue").await.unwrap(), 0);
    ls.cleanup().await;
}

fn searched(first: &str) -> Value {
    json!({
        "first_name": first, "last_name": "Example", "title": "Owner", "seniority": "owner",
        "email": format!("{}@{}-motors.example", first.to_lowercase(), first.to_lowercase()),
        "email_status": "verified", "state": "Arizona", "country": "United States",
        "organization": {"name": format!("{first} Motors"), "primary_domain": format!("{}-motors.example", first.to_lowercase()),
                         "estimated_num_employees": 14, "industry": "automotive"}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prospecting_pulls_paced_pages_imports_them_and_alerts_when_a_run_finds_nothing() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&slack)
        .await;
    let api = MockServer::start().await;
    // 2026-12-01, a 31-day month, 310 a month: 10 may be pulled on day 1.
    let mut ls = stack("prospect", at(IN_WINDOW), Some(&slack.uri())).await;
    tenant(&mut ls, "pros", |c| {
        c.prospecting.enabled = true;
        c.prospecting.monthly_quota = 310;
        c.prospecting.page_size = 25;
        c.prospecting.filters.person_titles = vec!["owner".into()];
        c.enrichment.waterfall = vec![];
    })
    .await;
    ls.prospect.people_search = Some(prospect::PeopleSearchAccess {
        base_url: api.uri(),
        api_key: KEY.into(),
        timeout: std::time::Duration::from_secs(5),
    });
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/search"))
        .and(header("x-api-key", KEY))
        .and(wiremock::matchers::body_json(
            json!({"person_titles": ["owner"], "page": 1, "per_page": 10}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "people": [searched("Ava"), searched("Ben"), searched("Cal")],
            "pagination": {"page": 1, "per_page": 10, "total_entries": 13, "total_pages": 2}
        })))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/search"))
        .and(wiremock::matchers::body_json(json!({"person_titles": ["owner"], "page": 2, "per_page": 7})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "people": [], "pagination": {"page": 2, "per_page": 7, "total_entries": 13, "total_pages": 2}
        })))
        .expect(1)
        .mount(&api)
        .await;

    let first = ls.prospect.run().await.unwrap();
    let run = &first.tenants["pros"];
    assert_eq!((run.asked, run.records, run.created), (10, 3, 3), "{run:?}");
    assert_eq!(first.alerts, 0);
    ls.drain().await.unwrap();
    let ava = lead(&ls, "pros", "ava@ava-motors.example").await;
    assert_eq!(ava.source, "prospect:people-search");
    assert_eq!(ava.seniority.as_deref(), Some("owner"));
    assert!(ava.score.is_some(), "went through the pipeline");

    // Same day: 7 more may be pulled; the next page is empty: an alert.
    let second = ls.prospect.run().await.unwrap();
    let run = &second.tenants["pros"];
    assert_eq!((run.asked, run.created), (7, 0), "{run:?}");
    assert_eq!(second.alerts, 1);
    // The source is now exhausted: later runs ask nothing of it.
    let third = ls.prospect.run().await.unwrap();
    assert!(third.tenants["pros"].note.contains("no more records"));
    slack.verify().await;
    api.verify().await;
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_is_validated_by_field_and_re_scores_every_lead() {
    let mut ls = stack("rescore", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "rsc", |c| c.enrichment.waterfall = vec![]).await;
    // Dealers in AZ and NY; the ICP targets only AZ at first.
    import(
        &mut ls,
        &auth,
        &csv(&[dealer("az@az.example", "AZ"), dealer("ny@ny.example", "NY")]),
    )
    .await;
    let r = ls
        .http("GET", "/admin/config", &[("authorization", &auth)], "")
        .await;
    assert_eq!(r.status, 200);
    let mut config = r.json();
    config["icp"]["us_states"] = json!(["AZ"]);
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", &auth)],
            &config.to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    ls.drain().await.unwrap();
    let ny = lead(&ls, "rsc", "ny@ny.example").await;
    let before_ny = ny.score.unwrap_or_else(|| panic!("{ny:?}"));

    // A bad field is named, and nothing changes.
    let mut bad = config.clone();
    bad["weights"]["rating_min"] = json!("high");
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", &auth)],
            &bad.to_string(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("config.weights.rating_min"), "{}", r.body);
    let mut bad = config.clone();
    bad["icp"]["company_sizes"] = json!(["11-50", "lots"]);
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", &auth)],
            &bad.to_string(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("icp.company_sizes[1]"), "{}", r.body);

    // Widening the market to NY re-scores: NY gains the location points,
    // and the timeline says why.
    config["icp"]["us_states"] = json!(["AZ", "NY"]);
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", &auth)],
            &config.to_string(),
        )
        .await;
    assert_eq!(r.json()["rescoring"], true, "{}", r.body);
    ls.drain().await.unwrap();
    let ny = lead(&ls, "rsc", "ny@ny.example").await;
    assert!(
        ny.score.unwrap() > before_ny,
        "{} -> {:?}",
        before_ny,
        ny.score
    );
    let r = ls
        .http(
            "GET",
            &format!("/admin/leads/{}", ny.id),
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert!(
        r.body.contains("re-scored after a config change"),
        "{}",
        r.body
    );
    let audit = ls
        .http("GET", "/admin/audit", &[("authorization", &auth)], "")
        .await;
    assert!(audit.body.contains("config_updated"));
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_datasets_import_through_admin_with_bad_records_named() {
    let mut ls = stack("datasets", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "ds", |c| c.enrichment.waterfall = vec![]).await;
    let root = local_stack::emulators::repo_root().join("infra/local/demo");
    let places = std::fs::read_to_string(root.join("places.json")).unwrap();
    let r = ls
        .http(
            "POST",
            "/admin/leads/import?format=places",
            &[("authorization", &auth), ("x-source-name", "places.json")],
            &places,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(report["rows"], 12, "{report}");
    // The listing with a broken phone imports without it; the report says why.
    assert_eq!(report["created"], 12, "{report}");
    assert_eq!(report["error_count"], 0, "{report}");
    assert_eq!(
        report["dropped"][0]["field"], "phoneUnformatted",
        "{report}"
    );
    assert_eq!(report["dropped"][0]["line"], 10, "{report}");
    // Importing it again changes nothing.
    let again = ls
        .http(
            "POST",
            "/admin/leads/import?format=places",
            &[("authorization", &auth), ("x-source-name", "places.json")],
            &places,
        )
        .await
        .json();
    assert_eq!(
        (again["created"].as_u64(), again["merged"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    // JSON Lines of people-search records, detected by shape; the same
    // person twice (email case differs) is one lead.
    let people = std::fs::read_to_string(root.join("people.jsonl")).unwrap();
    let r = ls
        .http(
            "POST",
            "/admin/leads/import",
            &[
                ("authorization", &auth),
                ("content-type", "application/x-ndjson"),
            ],
            &people,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["duplicates_in_file"], 1, "{}", r.body);
    // A format nobody knows is refused by name.
    let r = ls
        .http(
            "POST",
            "/admin/leads/import?format=xml",
            &[("authorization", &auth)],
            "<x/>",
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("format"), "{}", r.body);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_streams_in_idempotently_even_when_imported_twice_at_once() {
    let mut ls = stack("bigfile", at(IN_WINDOW), None).await;
    tenant(&mut ls, "big", |_| {}).await;
    let file = std::env::temp_dir().join(format!("leads-{}.csv", std::process::id()));
    local_stack::import::write_synthetic_csv(&file, 3000, 500).unwrap();
    let format = local_stack::import::choose_format(None, &file).unwrap();
    let now = ls.now();
    let (mut calls_a, mut calls_b) = (0u32, 0u32);
    let store = &ls.store;
    let enrich = ls.admin.enrich.clone();
    // Two imports of the same file at the same time: every lead once.
    let mut progress_a = |_: &shared::import::ImportReport| calls_a += 1;
    let mut progress_b = |_: &shared::import::ImportReport| calls_b += 1;
    let (a, b) = tokio::join!(
        local_stack::import::import_file(
            store,
            enrich.as_ref(),
            "big",
            &file,
            format,
            now,
            &mut progress_a
        ),
        local_stack::import::import_file(
            store,
            enrich.as_ref(),
            "big",
            &file,
            format,
            now,
            &mut progress_b
        ),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.rows, 3000);
    assert_eq!(a.error_count, 6, "one bad row in 500");
    assert_eq!(
        a.created + b.created,
        2994,
        "{} + {}",
        a.summary(),
        b.summary()
    );
    assert_eq!(a.created + a.unchanged + a.merged, 2994);
    assert!(calls_a >= 60 && calls_b >= 60, "progress after every chunk");
    assert_eq!(a.errors[0].line, 501);
    assert_eq!(ls.store.leads("big").await.unwrap().len(), 2994);
    // A third import changes nothing.
    let c = local_stack::import::import_file(
        store,
        enrich.as_ref(),
        "big",
        &file,
        format,
        now,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!((c.created, c.merged, c.unchanged), (0, 0, 2994));
    std::fs::remove_file(&file).ok();
    ls.cleanup().await;
}
