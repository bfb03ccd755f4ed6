//! The prospect sources against local HTTP servers that check each request.

use super::*;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Retries without the production waits.
fn fast() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

/// Matches a request whose query is exactly these pairs, in any order.
fn exact_query(pairs: &[(&str, &str)]) -> impl Fn(&Request) -> bool {
    let want: BTreeSet<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |request: &Request| {
        let got: BTreeSet<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        got == want
    }
}

fn filters() -> PeopleSearchFilters {
    PeopleSearchFilters {
        person_titles: vec!["owner".into(), "general manager".into()],
        person_seniorities: vec!["owner".into()],
        organization_locations: vec!["arizona, us".into()],
        organization_num_employees_ranges: vec!["11,50".into()],
        q_organization_keyword_tags: vec!["used car dealer".into()],
        ..PeopleSearchFilters::default()
    }
}

fn search_body(page: u32, per_page: u32) -> Value {
    json!({
        "person_titles": ["owner", "general manager"],
        "person_seniorities": ["owner"],
        "organization_locations": ["arizona, us"],
        "organization_num_employees_ranges": ["11,50"],
        "q_organization_keyword_tags": ["used car dealer"],
        "page": page,
        "per_page": per_page
    })
}

fn person(n: u32) -> Value {
    json!({"id": format!("p-{n}"), "first_name": format!("Person{n}"), "organization": {"name": "Lot"}})
}

fn people_search(server: &MockServer) -> PeopleSearch {
    PeopleSearch::new(&server.uri(), "test-key", filters(), Duration::from_secs(5))
        .unwrap()
        .with_retry(fast())
}

fn search_mock() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/search"))
        .and(header("x-api-key", "test-key"))
        .and(header("content-type", "application/json"))
        .and(exact_query(&[]))
}

#[tokio::test]
async fn given_two_pages_when_fetching_then_the_cursor_moves_to_page_two_and_ends() {
    let server = MockServer::start().await;
    search_mock()
        .and(body_json(search_body(1, 2)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "breadcrumbs": [],
            "people": [person(1), person(2)],
            "pagination": {"page": 1, "per_page": 2, "total_entries": 3, "total_pages": 2}
        })))
        .expect(1)
        .mount(&server)
        .await;
    search_mock()
        .and(body_json(search_body(2, 2)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "people": [person(3)],
            "contacts": [person(4)],
            "pagination": {"page": 2, "per_page": 2, "total_entries": 3, "total_pages": 2}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let source = people_search(&server);

    let first = source.fetch(None, 2).await.unwrap();
    assert_eq!(first.kind, DatasetKind::People);
    assert_eq!(first.records, vec![person(1), person(2)]);
    assert_eq!(first.next_cursor.as_deref(), Some("2"));

    let last = source.fetch(first.next_cursor.as_deref(), 2).await.unwrap();
    assert_eq!(last.records, vec![person(3), person(4)]);
    assert_eq!(last.next_cursor, None);
}

#[tokio::test]
async fn given_no_pagination_block_when_a_page_is_short_then_the_search_is_exhausted() {
    let server = MockServer::start().await;
    search_mock()
        .and(body_json(search_body(3, 100)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"people": [person(1)]})))
        .expect(1)
        .mount(&server)
        .await;
    // Asking for more than a page holds is clamped to the API's 100.
    let page = people_search(&server).fetch(Some("3"), 500).await.unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn given_a_429_with_retry_after_when_fetching_then_it_waits_and_succeeds() {
    let server = MockServer::start().await;
    search_mock()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    search_mock()
        .and(body_json(search_body(1, 2)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "people": [person(1), person(2)],
            "pagination": {"page": 1, "total_pages": 5}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let page = people_search(&server).fetch(None, 2).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(page.next_cursor.as_deref(), Some("2"));
}

#[tokio::test]
async fn given_500_four_times_when_fetching_then_it_fails_retryable_after_three_retries() {
    let server = MockServer::start().await;
    search_mock()
        .respond_with(ResponseTemplate::new(500))
        .expect(4)
        .mount(&server)
        .await;
    let err = people_search(&server).fetch(None, 2).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        matches!(&err, Error::Provider { provider, message, .. }
            if provider == "people-search" && message.contains("500") && message.contains("4 attempts")),
        "{err}"
    );
}

#[tokio::test]
async fn given_a_retry_after_beyond_the_cap_when_fetching_then_it_gives_up_at_once() {
    let server = MockServer::start().await;
    search_mock()
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let err = people_search(&server).fetch(None, 2).await.unwrap_err();
    assert!(err.is_retryable());
    assert!(err.to_string().contains("120s"), "{err}");
}

#[tokio::test]
async fn given_a_rejected_key_when_fetching_then_it_fails_without_retrying() {
    let server = MockServer::start().await;
    search_mock()
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "Invalid access credentials."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = people_search(&server).fetch(None, 2).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(
        err.to_string().contains("Invalid access credentials"),
        "{err}"
    );
}

#[tokio::test]
async fn given_a_bad_cursor_when_fetching_then_it_is_invalid_input_and_nothing_is_sent() {
    let server = MockServer::start().await;
    let source = people_search(&server);
    for cursor in ["zero", "0", "-1"] {
        let err = source.fetch(Some(cursor), 2).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { ref field, .. } if field == "cursor"));
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn given_another_search_path_when_fetching_then_it_is_posted_there() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/mixed_people/api_search"))
        .and(body_json(search_body(1, 10)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"people": []})))
        .expect(1)
        .mount(&server)
        .await;
    let page = people_search(&server)
        .with_search_path("/api/v1/mixed_people/api_search")
        .unwrap()
        .fetch(None, 10)
        .await
        .unwrap();
    assert!(page.records.is_empty());
    assert_eq!(page.next_cursor, None);
}

fn dataset_mock(offset: &str, limit: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/v2/datasets/demo-dataset/items"))
        .and(header("authorization", "Bearer dataset-token"))
        .and(exact_query(&[
            ("format", "json"),
            ("clean", "true"),
            ("offset", offset),
            ("limit", limit),
        ]))
}

fn place(n: u32) -> Value {
    json!({"title": format!("Lot {n}"), "placeId": format!("p{n}"), "totalScore": 3.5})
}

fn dataset(server: &MockServer) -> DatasetUrl {
    // Paging parameters already on the URL are replaced.
    let url = format!(
        "{}/v2/datasets/demo-dataset/items?limit=999&clean=false",
        server.uri()
    );
    DatasetUrl::new(&url, Some("dataset-token".into()), Duration::from_secs(5))
        .unwrap()
        .with_retry(fast())
}

#[tokio::test]
async fn given_a_dataset_when_paging_then_offsets_advance_until_a_short_page() {
    let server = MockServer::start().await;
    dataset_mock("0", "2")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([place(1), place(2)])))
        .expect(1)
        .mount(&server)
        .await;
    dataset_mock("2", "2")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([place(3)])))
        .expect(1)
        .mount(&server)
        .await;
    let source = dataset(&server);

    let first = source.fetch(None, 2).await.unwrap();
    assert_eq!(first.kind, DatasetKind::Places);
    assert_eq!(first.records, vec![place(1), place(2)]);
    assert_eq!(first.next_cursor.as_deref(), Some("2"));

    let last = source.fetch(first.next_cursor.as_deref(), 2).await.unwrap();
    assert_eq!(last.records, vec![place(3)]);
    assert_eq!(last.next_cursor, None);
}

#[tokio::test]
async fn given_a_total_header_when_clean_skips_an_empty_item_then_paging_goes_on() {
    let server = MockServer::start().await;
    dataset_mock("0", "3")
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-apify-pagination-total", "5")
                .set_body_json(json!([place(1), place(3)])),
        )
        .expect(1)
        .mount(&server)
        .await;
    dataset_mock("3", "3")
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-apify-pagination-total", "5")
                .set_body_json(json!([place(4), place(5)])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let source = dataset(&server).with_kind(DatasetKind::Places);
    let first = source.fetch(None, 3).await.unwrap();
    assert_eq!(first.next_cursor.as_deref(), Some("3"));
    let last = source.fetch(Some("3"), 3).await.unwrap();
    assert_eq!(last.records.len(), 2);
    assert_eq!(last.next_cursor, None);
}

#[tokio::test]
async fn given_an_empty_dataset_page_when_fetching_then_it_is_exhausted() {
    let server = MockServer::start().await;
    dataset_mock("40", "20")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let page = dataset(&server).fetch(Some("40"), 20).await.unwrap();
    assert!(page.records.is_empty());
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn given_a_flaky_dataset_when_fetching_then_5xx_is_retried_and_a_non_array_is_refused() {
    let server = MockServer::start().await;
    dataset_mock("0", "2")
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&server)
        .await;
    dataset_mock("0", "2")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"error": "nope"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = dataset(&server).fetch(None, 2).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("not an array"), "{err}");
}

#[test]
fn given_env_when_building_sources_then_unset_is_none_and_half_set_is_an_error() {
    let env = |pairs: &[(&str, &str)]| {
        Env::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    };
    let none = env(&[]);
    assert!(PeopleSearch::from_env(&none, filters()).unwrap().is_none());
    assert!(DatasetUrl::from_env(&none).unwrap().is_none());

    let half = env(&[("PEOPLE_SEARCH_API_KEY", "k")]);
    assert!(matches!(
        PeopleSearch::from_env(&half, filters()),
        Err(Error::Config(_))
    ));

    let full = env(&[
        ("PEOPLE_SEARCH_API_URL", "https://people.example"),
        ("PEOPLE_SEARCH_API_KEY", "k"),
        (
            "PROSPECT_DATASET_URL",
            "https://data.example/v2/datasets/x/items",
        ),
    ]);
    let people = PeopleSearch::from_env(&full, filters()).unwrap().unwrap();
    assert_eq!(
        people.endpoint.as_str(),
        "https://people.example/api/v1/mixed_people/search"
    );
    let proxied = PeopleSearch::new(
        "https://proxy.example/apollo/",
        "k",
        filters(),
        DEFAULT_TIMEOUT,
    )
    .unwrap()
    .with_search_path("api/v1/mixed_people/api_search")
    .unwrap();
    assert_eq!(
        proxied.endpoint.as_str(),
        "https://proxy.example/apollo/api/v1/mixed_people/api_search"
    );
    let data = DatasetUrl::from_env(&full).unwrap().unwrap();
    assert_eq!(data.token, None);
    assert!(matches!(
        DatasetUrl::from_env(&env(&[("PROSPECT_DATASET_URL", "not a url")])),
        Err(Error::Config(_))
    ));
}

#[test]
fn given_filters_in_a_tenant_config_when_round_tripped_then_empty_ones_are_left_out() {
    let json = serde_json::to_value(filters()).unwrap();
    assert_eq!(json.get("person_locations"), None);
    assert_eq!(json.get("q_keywords"), None);
    let back: PeopleSearchFilters =
        serde_json::from_value(json!({"person_titles": ["owner"]})).unwrap();
    assert_eq!(back.person_titles, vec!["owner".to_string()]);
    assert!(back.person_seniorities.is_empty());
}
