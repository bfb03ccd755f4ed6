//! The enrichment adapters against stand-in provider APIs (wiremock): the
//! exact request each sends, how answers map into a patch, and how retries,
//! timeouts, polling and the circuit breaker behave.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use shared::adapters::enrichment::{AsyncEnrich, Guarded, HttpSettings, PeopleMatch};
use shared::config::Env;
use shared::domain::targeting::enrichment::{
    CircuitPolicy, CircuitState, EnrichmentPatch, EnrichmentQuery, Lookup, ProviderError,
    RetryPolicy,
};
use shared::ports::{EnrichmentProvider, SimClock};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "test-key-0000";
const MATCH_PATH: &str = "/api/v1/people/match";
const JOBS_PATH: &str = "/api/v2/contact/enrich/bulk";

fn quick(max_retries: u32) -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries,
            base: Duration::from_millis(10),
            max_delay: Duration::from_secs(5),
        },
    }
}

fn query() -> EnrichmentQuery {
    EnrichmentQuery {
        first_name: Some("Avery".into()),
        last_name: Some("Quill".into()),
        company: Some("Quill Widgets".into()),
        company_domain: Some("quill-widgets.example".into()),
        ..Default::default()
    }
}

fn people_match(server: &MockServer, settings: HttpSettings) -> PeopleMatch {
    PeopleMatch::new(server.uri(), KEY, settings).unwrap()
}

fn match_request() -> Value {
    json!({
        "first_name": "Avery",
        "last_name": "Quill",
        "organization_name": "Quill Widgets",
        "domain": "quill-widgets.example",
        "reveal_personal_emails": false,
        "reveal_phone_number": false
    })
}

fn matched_person() -> Value {
    json!({
        "person": {
            "id": "p-0001",
            "first_name": "Avery",
            "last_name": "Quill",
            "name": "Avery Quill",
            "email": "avery.quill@quill-widgets.example",
            "email_status": "verified",
            "title": "Head of Operations",
            "seniority": "head",
            "linkedin_url": "http://www.linkedin.com/in/avery-quill-example",
            "city": "Tempe",
            "state": "Arizona",
            "country": "United States",
            "time_zone": "America/Phoenix",
            "phone_numbers": [
                {"raw_number": "+1 602-555-0134", "sanitized_number": "+16025550134", "type": "work_direct"}
            ],
            "organization": {
                "id": "o-0001",
                "name": "Quill Widgets",
                "primary_domain": "quill-widgets.example",
                "website_url": "http://www.quill-widgets.example",
                "industry": "machinery",
                "estimated_num_employees": 42,
                "city": "Phoenix",
                "state": "Arizona",
                "country": "United States"
            }
        }
    })
}

/// The mock that only answers the exact request a people match must send.
fn exact_match_request() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(MATCH_PATH))
        .and(header("x-api-key", KEY))
        .and(header("content-type", "application/json"))
        .and(header("cache-control", "no-cache"))
        .and(body_json(match_request()))
}

#[tokio::test]
async fn given_a_known_person_when_matching_then_the_exact_request_is_sent_and_the_person_is_mapped(
) {
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(matched_person()))
        .expect(1)
        .mount(&server)
        .await;

    let found = people_match(&server, quick(0))
        .lookup(&query(), None)
        .await
        .unwrap();

    assert_eq!(
        found,
        Lookup::Found(EnrichmentPatch {
            email: Some("avery.quill@quill-widgets.example".into()),
            email_status: Some("verified".into()),
            title: Some("Head of Operations".into()),
            seniority: Some("head".into()),
            phone: Some("+16025550134".into()),
            linkedin_url: Some("http://www.linkedin.com/in/avery-quill-example".into()),
            employees: Some(42),
            city: Some("Phoenix".into()),
            state: Some("Arizona".into()),
            country: Some("United States".into()),
            hq_timezone: Some("America/Phoenix".into()),
            company: Some("Quill Widgets".into()),
            company_domain: Some("quill-widgets.example".into()),
            industry: Some("machinery".into()),
        })
    );
}

#[tokio::test]
async fn given_no_match_when_matching_then_a_null_person_is_not_found() {
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"person": null})))
        .expect(1)
        .mount(&server)
        .await;

    let answer = people_match(&server, quick(0))
        .lookup(&query(), None)
        .await
        .unwrap();

    assert_eq!(answer, Lookup::NotFound);
}

#[tokio::test]
async fn given_a_query_that_identifies_nobody_when_matching_then_no_request_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(matched_person()))
        .expect(0)
        .mount(&server)
        .await;
    let first_name_only = EnrichmentQuery {
        first_name: Some("Avery".into()),
        company: Some("Quill Widgets".into()),
        ..Default::default()
    };

    let answer = people_match(&server, quick(3))
        .lookup(&first_name_only, None)
        .await
        .unwrap();

    assert_eq!(answer, Lookup::NotFound);
}

#[tokio::test]
async fn given_a_429_with_retry_after_when_matching_then_it_waits_and_retries_once() {
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(matched_person()))
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let answer = people_match(&server, quick(3))
        .lookup(&query(), None)
        .await
        .unwrap();

    assert!(matches!(answer, Lookup::Found(_)));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured ({:?})",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn given_a_retry_after_longer_than_the_policy_allows_when_matching_then_it_gives_up_at_once()
{
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;

    let err = people_match(&server, quick(3))
        .lookup(&query(), None)
        .await
        .unwrap_err();

    assert_eq!(
        err,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(3600))
        }
    );
}

#[tokio::test]
async fn given_a_provider_that_keeps_failing_when_matching_then_it_is_unavailable_after_the_retries(
) {
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;

    let err = people_match(&server, quick(2))
        .lookup(&query(), None)
        .await
        .unwrap_err();

    assert_eq!(err, ProviderError::Unavailable("status 503".into()));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn given_a_bad_key_when_matching_then_it_is_rejected_without_a_retry() {
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "Invalid access credentials."})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = people_match(&server, quick(3))
        .lookup(&query(), None)
        .await
        .unwrap_err();

    match &err {
        ProviderError::Rejected(message) => assert!(message.starts_with("status 401"), "{message}"),
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn given_a_response_slower_than_the_timeout_when_matching_then_it_is_unavailable() {
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(matched_person())
                .set_delay(Duration::from_secs(2)),
        )
        .expect(2)
        .mount(&server)
        .await;
    let settings = HttpSettings {
        timeout: Duration::from_millis(200),
        ..quick(1)
    };

    let started = Instant::now();
    let err = people_match(&server, settings)
        .lookup(&query(), None)
        .await
        .unwrap_err();

    match &err {
        ProviderError::Unavailable(message) => assert!(message.contains("timed out"), "{message}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

// ---------------------------------------------------------------------------
// Async enrich
// ---------------------------------------------------------------------------

const JOB: &str = "5d7c2a1e-0000-4000-8000-00000000a11e";

fn async_enrich(server: &MockServer, poll: Duration, max_wait: Duration) -> AsyncEnrich {
    AsyncEnrich::new(server.uri(), KEY, quick(0))
        .unwrap()
        .with_polling(poll, max_wait)
}

fn submit_request() -> Value {
    json!({
        "name": "Avery Quill",
        "data": [{
            "first_name": "Avery",
            "last_name": "Quill",
            "domain": "quill-widgets.example",
            "company_name": "Quill Widgets",
            "enrich_fields": ["contact.work_emails", "contact.phones"]
        }]
    })
}

fn exact_submit() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(JOBS_PATH))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(submit_request()))
}

fn exact_poll() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(format!("{JOBS_PATH}/{JOB}")))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
}

fn job(status: &str) -> Value {
    json!({"id": JOB, "name": "Avery Quill", "status": status, "data": [], "cost": {"credits": 0}})
}

fn finished_job() -> Value {
    json!({
        "id": JOB,
        "name": "Avery Quill",
        "status": "FINISHED",
        "cost": {"credits": 11},
        "data": [{
            "input": {"first_name": "Avery", "last_name": "Quill", "company_domain": "quill-widgets.example"},
            "custom": {},
            "contact_info": {
                "most_probable_work_email": {"email": "avery.quill@quill-widgets.example", "status": "DELIVERABLE"},
                "work_emails": [{"email": "avery.quill@quill-widgets.example", "status": "DELIVERABLE"}],
                "most_probable_phone": {"number": "+1 602-555-0134", "region": "US"},
                "phones": [{"number": "+1 602-555-0134", "region": "US"}]
            },
            "profile": {
                "full_name": "Avery Quill",
                "location": {"country": "United States", "country_code": "US", "city": "Tempe", "region": "Arizona"},
                "social_profiles": {"professional_network": {"url": "https://www.linkedin.com/in/avery-quill-example"}},
                "employment": {"current": {
                    "title": "Head of Operations",
                    "seniority": "Head",
                    "is_current": true,
                    "company": {
                        "name": "Quill Widgets",
                        "domain": "quill-widgets.example",
                        "headcount": 42,
                        "industry": {"main_industry": "Machinery Manufacturing"},
                        "locations": {"headquarters": {"city": "Phoenix", "region": "Arizona", "country": "United States", "country_code": "US"}}
                    }
                }}
            }
        }]
    })
}

#[tokio::test]
async fn given_a_job_that_finishes_when_enriching_then_it_submits_polls_twice_and_maps_the_contact()
{
    let server = MockServer::start().await;
    exact_submit()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"enrichment_id": JOB})))
        .expect(1)
        .mount(&server)
        .await;
    exact_poll()
        .respond_with(ResponseTemplate::new(200).set_body_json(job("IN_PROGRESS")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    exact_poll()
        .respond_with(ResponseTemplate::new(200).set_body_json(finished_job()))
        .expect(1)
        .mount(&server)
        .await;

    let answer = async_enrich(&server, Duration::from_millis(50), Duration::from_secs(5))
        .lookup(&query(), None)
        .await
        .unwrap();

    assert_eq!(
        answer,
        Lookup::Found(EnrichmentPatch {
            email: Some("avery.quill@quill-widgets.example".into()),
            email_status: Some("DELIVERABLE".into()),
            title: Some("Head of Operations".into()),
            seniority: Some("Head".into()),
            phone: Some("+16025550134".into()),
            linkedin_url: Some("https://www.linkedin.com/in/avery-quill-example".into()),
            employees: Some(42),
            city: Some("Phoenix".into()),
            state: Some("Arizona".into()),
            country: Some("United States".into()),
            hq_timezone: None,
            company: Some("Quill Widgets".into()),
            company_domain: Some("quill-widgets.example".into()),
            industry: Some("Machinery Manufacturing".into()),
        })
    );
    let methods: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["POST", "GET", "GET"]);
}

#[tokio::test]
async fn given_a_job_still_running_at_max_wait_when_enriching_then_it_is_pending_with_the_job_id() {
    let server = MockServer::start().await;
    exact_submit()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"enrichment_id": JOB})))
        .expect(1)
        .mount(&server)
        .await;
    exact_poll()
        .respond_with(ResponseTemplate::new(200).set_body_json(job("IN_PROGRESS")))
        .expect(1..=2)
        .mount(&server)
        .await;

    let started = Instant::now();
    let answer = async_enrich(
        &server,
        Duration::from_millis(100),
        Duration::from_millis(250),
    )
    .lookup(&query(), None)
    .await
    .unwrap();

    assert_eq!(
        answer,
        Lookup::Pending {
            job_id: JOB.to_string()
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn given_a_pending_job_id_when_enriching_again_then_it_only_polls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"enrichment_id": "other"})))
        .expect(0)
        .mount(&server)
        .await;
    exact_poll()
        .respond_with(ResponseTemplate::new(200).set_body_json(finished_job()))
        .expect(1)
        .mount(&server)
        .await;

    let answer = async_enrich(&server, Duration::from_millis(50), Duration::from_secs(5))
        .lookup(&query(), Some(JOB))
        .await
        .unwrap();

    assert!(matches!(answer, Lookup::Found(_)));
}

#[tokio::test]
async fn given_the_documented_not_ready_error_when_polling_then_the_job_counts_as_running() {
    let server = MockServer::start().await;
    exact_poll()
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "error.enrichment.in_progress",
            "message": "Enrichment not ready, try again in 30 seconds"
        })))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    exact_poll()
        .respond_with(ResponseTemplate::new(200).set_body_json(job("FINISHED")))
        .expect(1)
        .mount(&server)
        .await;

    let answer = async_enrich(&server, Duration::from_millis(50), Duration::from_secs(5))
        .lookup(&query(), Some(JOB))
        .await
        .unwrap();

    assert_eq!(answer, Lookup::NotFound, "finished with no contact data");
}

#[tokio::test]
async fn given_a_query_with_email_and_phone_when_enriching_then_nothing_is_submitted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"enrichment_id": JOB})))
        .expect(0)
        .mount(&server)
        .await;
    let known = EnrichmentQuery {
        email: Some("avery.quill@quill-widgets.example".into()),
        phone: Some("+16025550134".into()),
        ..query()
    };

    let answer = async_enrich(&server, Duration::from_millis(50), Duration::from_secs(1))
        .lookup(&known, None)
        .await
        .unwrap();

    assert_eq!(answer, Lookup::NotFound);
}

// ---------------------------------------------------------------------------
// Circuit breaker
// ---------------------------------------------------------------------------

#[tokio::test]
async fn given_repeated_failures_when_guarded_then_the_circuit_opens_refuses_without_a_request_and_recovers(
) {
    let server = MockServer::start().await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(3)
        .expect(3)
        .mount(&server)
        .await;
    exact_match_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(matched_person()))
        .expect(1)
        .mount(&server)
        .await;
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let clock = SimClock::starting_at(start);
    let policy = CircuitPolicy {
        failure_threshold: 3,
        open_for: chrono::Duration::minutes(5),
    };
    let guarded = Guarded::new(
        people_match(&server, quick(0)),
        policy,
        Arc::new(clock.clone()),
    );
    assert_eq!(guarded.name(), "people_match");

    for _ in 0..3 {
        let err = guarded.lookup(&query(), None).await.unwrap_err();
        assert_eq!(err, ProviderError::Unavailable("status 500".into()));
    }
    for _ in 0..2 {
        let err = guarded.lookup(&query(), None).await.unwrap_err();
        assert_eq!(
            err,
            ProviderError::CircuitOpen {
                until: start + chrono::Duration::minutes(5)
            }
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    clock.advance(chrono::Duration::minutes(5));
    let answer = guarded.lookup(&query(), None).await.unwrap();

    assert!(matches!(answer, Lookup::Found(_)));
    assert_eq!(guarded.circuit(), CircuitState::default());
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
    )
}

#[test]
fn given_no_key_when_configuring_then_the_providers_are_simply_absent() {
    let none = env(&[("PEOPLE_MATCH_API_URL", "https://people.example")]);
    assert!(PeopleMatch::from_env(&none).unwrap().is_none());
    assert!(AsyncEnrich::from_env(&none).unwrap().is_none());
}

#[test]
fn given_a_key_without_a_url_when_configuring_then_it_is_a_configuration_error() {
    let half = env(&[("PEOPLE_MATCH_API_KEY", KEY), ("ASYNC_ENRICH_API_KEY", KEY)]);
    assert!(PeopleMatch::from_env(&half).is_err());
    assert!(AsyncEnrich::from_env(&half).is_err());
}

#[test]
fn given_a_key_and_url_when_configuring_then_the_providers_are_built_with_their_costs() {
    let full = env(&[
        ("PEOPLE_MATCH_API_KEY", KEY),
        ("PEOPLE_MATCH_API_URL", "https://people.example"),
        ("ASYNC_ENRICH_API_KEY", KEY),
        ("ASYNC_ENRICH_API_URL", "https://async.example/"),
        ("ASYNC_ENRICH_COST", "10"),
        ("ASYNC_ENRICH_POLL_INTERVAL_MS", "1000"),
    ]);
    let people = PeopleMatch::from_env(&full).unwrap().unwrap();
    let jobs = AsyncEnrich::from_env(&full).unwrap().unwrap();
    assert_eq!((people.name(), people.cost()), ("people_match", 1));
    assert_eq!((jobs.name(), jobs.cost()), ("async_enrich", 10));

    let bad = env(&[
        ("PEOPLE_MATCH_API_KEY", KEY),
        ("PEOPLE_MATCH_API_URL", "https://people.example"),
        ("PEOPLE_MATCH_TIMEOUT_MS", "soon"),
    ]);
    assert!(PeopleMatch::from_env(&bad).is_err());
}
