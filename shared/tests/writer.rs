//! The AI writer adapter against a stand-in messages API (wiremock): the
//! exact request it sends, how answers are read, and how errors, retries
//! and timeouts end.

use serde_json::{json, Value};
use shared::adapters::enrichment::HttpSettings;
use shared::adapters::writer::AnthropicWriter;
use shared::config::Env;
use shared::domain::content::writer::{build_request, WriteRequest, Written};
use shared::domain::ids::TenantId;
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::targeting::enrichment::{ProviderError, RetryPolicy};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::Channel;
use shared::ports::Writer;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-0000";
const MODEL: &str = "claude-test-model";
const PATH: &str = "/v1/messages";

fn quick(max_retries: u32) -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_retries,
            base: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        },
    }
}

fn writer(server: &MockServer, max_retries: u32) -> AnthropicWriter {
    AnthropicWriter::new(server.uri(), KEY, MODEL, quick(max_retries)).unwrap()
}

fn config() -> TenantConfig {
    TenantConfig::default_for(
        TenantId::parse("acme").unwrap(),
        "Acme",
        "2026-11-02".parse().unwrap(),
    )
}

fn lead() -> Lead {
    Lead {
        tenant: "acme".into(),
        id: "lead-1".into(),
        first_name: Some("Dana".into()),
        title: Some("General Manager".into()),
        company: Some("Sunset Motors".into()),
        city: Some("Tempe".into()),
        state: Some("AZ".into()),
        rating: Some(3.6),
        reviews: Some(87),
        status: LeadStatus::Queued,
        ..Default::default()
    }
}

fn request(channel: Channel) -> WriteRequest {
    let c = config();
    build_request(&c, &lead(), &c.sequence[0], channel, &[])
}

/// A Messages API reply whose content is `blocks` of text.
fn reply(blocks: &[&str], stop_reason: &str) -> Value {
    let content: Vec<Value> = blocks
        .iter()
        .map(|t| json!({"type": "text", "text": t}))
        .collect();
    json!({
        "id": "msg_0001",
        "type": "message",
        "role": "assistant",
        "model": "claude-test-model-20261101",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {"input_tokens": 400, "output_tokens": 80}
    })
}

const ANSWER: &str =
    r#"{"subject": "Sunset Motors reviews", "body": "Hi Dana,\n\n87 reviews at 3.6 in Tempe."}"#;

fn written() -> Written {
    Written {
        subject: Some("Sunset Motors reviews".into()),
        body: "Hi Dana,\n\n87 reviews at 3.6 in Tempe.".into(),
        model: "claude-test-model-20261101".into(),
    }
}

fn api_error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_0001"})
}

async fn ok_answer(server: &MockServer, body: Value) {
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn given_a_request_when_writing_then_the_exact_api_call_is_sent_and_the_answer_read() {
    let server = MockServer::start().await;
    let req = request(Channel::Email);
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "model": MODEL,
            "max_tokens": 1024,
            "system": req.system,
            "messages": [{"role": "user", "content": req.user}],
            "temperature": 0.7
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply(&[ANSWER], "end_turn")))
        .expect(1)
        .mount(&server)
        .await;

    let got = writer(&server, 0).write(&req).await.unwrap();

    assert_eq!(got, written());
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    let user = sent["messages"][0]["content"].as_str().unwrap();
    for evidence in [
        "First name: Dana",
        "Title: General Manager",
        "Company: Sunset Motors",
        "Location: Tempe, AZ",
        "Google rating: 3.6 of 5",
        "Review count: 87",
    ] {
        assert!(user.contains(evidence), "{evidence:?} not in\n{user}");
    }
    assert!(!user.contains("Website"), "absent fields are left out");
}

#[tokio::test]
async fn given_a_writer_without_temperature_when_writing_then_the_field_is_left_out() {
    let server = MockServer::start().await;
    ok_answer(&server, reply(&[ANSWER], "end_turn")).await;

    writer(&server, 0)
        .with_temperature(None)
        .with_max_tokens(300)
        .write(&request(Channel::Email))
        .await
        .unwrap();

    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert!(sent.get("temperature").is_none(), "{sent}");
    assert_eq!(sent["max_tokens"], 300);
}

#[tokio::test]
async fn given_an_answer_in_a_code_fence_when_writing_then_it_is_read() {
    let server = MockServer::start().await;
    let fenced = format!("Here you go:\n```json\n{ANSWER}\n```");
    ok_answer(&server, reply(&[&fenced], "end_turn")).await;

    let got = writer(&server, 0)
        .write(&request(Channel::Email))
        .await
        .unwrap();

    assert_eq!(got, written());
}

#[tokio::test]
async fn given_text_split_over_two_blocks_when_writing_then_they_are_joined() {
    let server = MockServer::start().await;
    let (first, second) = ANSWER.split_at(30);
    ok_answer(&server, reply(&[first, second], "end_turn")).await;

    let got = writer(&server, 0)
        .write(&request(Channel::Email))
        .await
        .unwrap();

    assert_eq!(got, written());
}

#[tokio::test]
async fn given_an_sms_when_writing_then_no_subject_is_kept() {
    let server = MockServer::start().await;
    ok_answer(
        &server,
        reply(&[r#"{"body": "Hi Dana, 87 reviews at 3.6."}"#], "end_turn"),
    )
    .await;

    let got = writer(&server, 0)
        .write(&request(Channel::Sms))
        .await
        .unwrap();

    assert_eq!(got.subject, None);
    assert_eq!(got.body, "Hi Dana, 87 reviews at 3.6.");
}

#[tokio::test]
async fn given_a_429_with_retry_after_when_writing_then_it_retries_and_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(api_error("rate_limit_error", "slow down")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    ok_answer(&server, reply(&[ANSWER], "end_turn")).await;

    let got = writer(&server, 2)
        .write(&request(Channel::Email))
        .await
        .unwrap();

    assert_eq!(got, written());
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn given_429_every_time_when_writing_then_it_ends_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(api_error("rate_limit_error", "slow down")),
        )
        .mount(&server)
        .await;

    let err = writer(&server, 1)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn given_a_spend_limit_429_when_writing_then_it_is_rejected_without_retrying() {
    let server = MockServer::start().await;
    let mut body = api_error("rate_limit_error", "monthly spend limit reached");
    body["error"]["details"] = json!({"error_code": "enforced_spend_limit_reached"});
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(429).set_body_json(body))
        .mount(&server)
        .await;

    let err = writer(&server, 3)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    match err {
        ProviderError::Rejected(m) => assert!(m.contains("spend limit"), "{m}"),
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn given_529_every_time_when_writing_then_it_ends_unavailable_after_every_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(529).set_body_json(api_error("overloaded_error", "Overloaded")),
        )
        .mount(&server)
        .await;

    let err = writer(&server, 2)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    match &err {
        ProviderError::Unavailable(m) => {
            assert!(m.contains("529") && m.contains("overloaded_error"), "{m}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(requests(&server).await, 3, "max_retries + 1");
}

#[tokio::test]
async fn given_a_500_then_a_200_when_writing_then_it_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(api_error("api_error", "internal error")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    ok_answer(&server, reply(&[ANSWER], "end_turn")).await;

    let got = writer(&server, 1)
        .write(&request(Channel::Email))
        .await
        .unwrap();

    assert_eq!(got, written());
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn given_a_401_when_writing_then_it_is_rejected_with_the_message_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(api_error("authentication_error", "invalid x-api-key")),
        )
        .mount(&server)
        .await;

    let err = writer(&server, 3)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    match &err {
        ProviderError::Rejected(m) => {
            assert!(m.contains("authentication_error: invalid x-api-key"), "{m}");
            assert!(!m.contains(KEY), "the key is not echoed");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn given_a_slow_server_when_writing_then_it_ends_unavailable_in_bounded_time() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(reply(&[ANSWER], "end_turn"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;

    let started = Instant::now();
    let err = writer(&server, 1)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();
    let took = started.elapsed();

    match &err {
        ProviderError::Unavailable(m) => assert!(m.contains("timed out"), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_eq!(requests(&server).await, 2, "the timeout is retried once");
}

#[tokio::test]
async fn given_nothing_listening_when_writing_then_it_is_unavailable() {
    // A port just freed: a pooled MockServer would still answer 404s.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uri = format!("http://127.0.0.1:{port}");

    let err = AnthropicWriter::new(uri, KEY, MODEL, quick(0))
        .unwrap()
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    assert!(matches!(err, ProviderError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn given_an_answer_cut_at_max_tokens_when_writing_then_it_is_malformed() {
    let server = MockServer::start().await;
    ok_answer(
        &server,
        reply(
            &[r#"{"subject": "Sunset", "body": "Hi Dana, 87 rev"#],
            "max_tokens",
        ),
    )
    .await;

    let err = writer(&server, 2)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    match &err {
        ProviderError::Malformed(m) => assert!(m.contains("max_tokens"), "{m}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn given_a_body_with_a_placeholder_when_writing_then_it_is_malformed() {
    let server = MockServer::start().await;
    ok_answer(
        &server,
        reply(
            &[r#"{"subject": "reviews", "body": "Hi {first_name}, 87 reviews."}"#],
            "end_turn",
        ),
    )
    .await;

    let err = writer(&server, 0)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    match &err {
        ProviderError::Malformed(m) => assert!(m.contains("{first_name}"), "{m}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn given_an_unreadable_200_when_writing_then_it_is_malformed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .mount(&server)
        .await;

    let err = writer(&server, 0)
        .write(&request(Channel::Email))
        .await
        .unwrap_err();

    assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
}

#[test]
fn given_no_key_when_reading_the_env_then_the_writer_is_off() {
    let env = |pairs: &[(&str, &str)]| {
        Env::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    };
    assert!(AnthropicWriter::from_env(&env(&[])).unwrap().is_none());
    assert!(
        AnthropicWriter::from_env(&env(&[("AI_WRITER_API_KEY", "")]))
            .unwrap()
            .is_none()
    );
    let on = AnthropicWriter::from_env(&env(&[
        ("AI_WRITER_API_KEY", KEY),
        ("AI_WRITER_MODEL", MODEL),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(on.name(), "anthropic");
    assert_eq!(on.model(), MODEL);
}
