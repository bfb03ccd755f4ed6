//! The Mailgun adapter against a local server that checks the exact request.

use super::*;
use crate::domain::targeting::enrichment::RetryPolicy;
use std::collections::BTreeMap;
use std::time::Duration;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";

fn settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_retries: 2,
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(50),
        },
    }
}

fn sender(server: &MockServer) -> MailgunSender {
    MailgunSender::new(
        MailgunCredentials {
            api_key: KEY.into(),
            domain: "mg.acme.example".into(),
            region: None,
        },
        Some(server.uri()),
        settings(),
    )
    .unwrap()
}

fn msg() -> Outgoing {
    Outgoing {
        tenant: "acme".into(),
        lead: "L1".into(),
        step: 3,
        attempt_id: "L1-03-abc".into(),
        from: "sam@mg.acme.example".into(),
        from_name: Some("Sam \"The\" Rivera".into()),
        to: "jo@desert.example".into(),
        subject: Some("One idea".into()),
        text: "Hi Jo,\nline two".into(),
        headers: BTreeMap::from([
            ("List-Unsubscribe".into(), "<https://u.example/x>".into()),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ]),
        message_id: Some("<L1-03-abc@mg.acme.example>".into()),
        in_reply_to: Some("<L1-01-first@mg.acme.example>".into()),
        references: vec!["<L1-01-first@mg.acme.example>".into()],
        tags: vec!["step-3".into(), "t1".into()],
        ..Default::default()
    }
}

fn basic() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("api:{KEY}"))
    )
}

#[tokio::test]
async fn a_send_posts_exactly_the_documented_form() {
    // GIVEN Mailgun, expecting this exact form with Basic api:<key>
    let server = MockServer::start().await;
    let want: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("from", "\"Sam The Rivera\" <sam@mg.acme.example>"),
            ("to", "jo@desert.example"),
            ("subject", "One idea"),
            ("text", "Hi Jo,\nline two"),
            ("h:List-Unsubscribe", "<https://u.example/x>"),
            ("h:List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("h:Message-Id", "<L1-03-abc@mg.acme.example>"),
            ("h:In-Reply-To", "<L1-01-first@mg.acme.example>"),
            ("h:References", "<L1-01-first@mg.acme.example>"),
            ("v:tenant", "acme"),
            ("v:lead", "L1"),
            ("v:step", "3"),
            ("v:attempt", "L1-03-abc"),
            ("o:tag", "step-3"),
            ("o:tag", "t1"),
        ])
        .finish();
    Mock::given(method("POST"))
        .and(path("/v3/mg.acme.example/messages"))
        .and(header("authorization", basic().as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(want))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"id": "<20261126.1@mg.acme.example>", "message": "Queued. Thank you."}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // WHEN it sends, THEN Mailgun's id comes back
    assert_eq!(
        sender(&server).send(&msg()).await.unwrap(),
        "<20261126.1@mg.acme.example>"
    );
}

#[tokio::test]
async fn a_first_email_has_no_threading_fields_and_the_eu_region_has_its_own_base() {
    let mut m = msg();
    m.in_reply_to = None;
    m.references.clear();
    m.html = Some("<p>Hi</p>".into());
    let f = MailgunSender::form(&m);
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert!(!names.contains(&"h:In-Reply-To") && !names.contains(&"h:References"));
    assert!(f.contains(&("html".into(), "<p>Hi</p>".into())));
    let eu = MailgunSender::new(
        MailgunCredentials {
            api_key: KEY.into(),
            domain: "d".into(),
            region: Some("EU".into()),
        },
        None,
        settings(),
    )
    .unwrap();
    assert_eq!(
        eu.url("messages"),
        "https://api.eu.mailgun.net/v3/d/messages"
    );
}

async fn answer_with(template: ResponseTemplate, times: u64) -> (MockServer, SendError) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .expect(times)
        .mount(&server)
        .await;
    let e = sender(&server).send(&msg()).await.unwrap_err();
    (server, e)
}

#[tokio::test]
async fn each_error_class_maps_to_what_the_dispatcher_does_next() {
    let (_s, e) = answer_with(
        ResponseTemplate::new(400)
            .set_body_json(serde_json::json!({"message": "'to' parameter is not a valid address"})),
        1,
    )
    .await;
    assert!(
        matches!(&e, SendError::Final { kind: FinalKind::Rejected, reason, .. } if reason.contains("not a valid address")),
        "{e:?}"
    );
    let (_s, e) = answer_with(ResponseTemplate::new(401).set_body_string("Forbidden"), 1).await;
    assert!(
        matches!(
            e,
            SendError::Final {
                kind: FinalKind::BadCredentials,
                ..
            }
        ),
        "{e:?}"
    );
    let (_s, e) = answer_with(
        ResponseTemplate::new(404)
            .set_body_json(serde_json::json!({"message": "Domain not found"})),
        1,
    )
    .await;
    // A 404 with Mailgun's JSON may be temporary (eventual consistency);
    // one without is a wrong endpoint.
    assert!(
        matches!(
            e,
            SendError::Retryable {
                rate_limited: false,
                ..
            }
        ),
        "{e:?}"
    );
    let (_s, e) = answer_with(
        ResponseTemplate::new(404).set_body_string("404 page not found"),
        1,
    )
    .await;
    assert!(
        matches!(
            e,
            SendError::Final {
                kind: FinalKind::BadCredentials,
                ..
            }
        ),
        "{e:?}"
    );
    // A 429 is retried (1 + 2 retries) honouring Retry-After, then handed
    // back as a rate limit with the hint.
    let (_s, e) = answer_with(
        ResponseTemplate::new(429).insert_header("retry-after", "0"),
        3,
    )
    .await;
    assert!(
        matches!(e, SendError::Retryable { rate_limited: true, retry_after: Some(d), .. } if d == Duration::ZERO),
        "{e:?}"
    );
    let (_s, e) = answer_with(ResponseTemplate::new(503), 3).await;
    assert!(
        matches!(
            e,
            SendError::Retryable {
                rate_limited: false,
                ..
            }
        ),
        "{e:?}"
    );
    // No answer in time: it may have gone out, so it is not retried.
    let (_s, e) = answer_with(
        ResponseTemplate::new(200).set_delay(Duration::from_millis(800)),
        1,
    )
    .await;
    assert!(matches!(e, SendError::Unknown { .. }), "{e:?}");
    // Nobody listening: surely not taken.
    // (wiremock pools its servers, so a dropped one may still answer:
    // take a port and free it instead.)
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let s = MailgunSender::new(
        MailgunCredentials {
            api_key: KEY.into(),
            domain: "d".into(),
            region: None,
        },
        Some(gone),
        settings(),
    )
    .unwrap();
    let e = s.send(&msg()).await.unwrap_err();
    assert!(matches!(e, SendError::Retryable { .. }), "{e:?}");
    // And no error text carries the key.
    assert!(!format!("{e:?}{e}").contains(KEY));
}

#[tokio::test]
async fn a_lookup_finds_the_attempt_by_its_user_variable_and_the_probe_fetches_the_domain() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/mg.acme.example/events"))
        .and(query_param("recipient", "jo@desert.example"))
        .and(query_param("limit", "300"))
        .and(header("authorization", basic().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "items": [{"event": "accepted", "user-variables": {"attempt": "L1-03-abc"},
                       "message": {"headers": {"message-id": "20261126.1@mg.acme.example"}}}],
            "paging": {}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/domains/mg.acme.example"))
        .and(header("authorization", basic().as_str()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let s = sender(&server);
    assert_eq!(
        s.lookup(&msg()).await.unwrap(),
        Delivery::Sent("<20261126.1@mg.acme.example>".into())
    );
    // AND an attempt not in the events is unknown without its time, not
    // yet known while Mailgun's events may lag, and not sent after
    let mut other = msg();
    other.attempt_id = "other".into();
    assert_eq!(s.lookup(&other).await.unwrap(), Delivery::Unknown);
    let at: chrono::DateTime<chrono::Utc> = "2026-11-26T10:00:00Z".parse().unwrap();
    other.attempted_at = Some(at);
    other.asked_at = Some(at + chrono::Duration::minutes(59));
    assert_eq!(
        s.lookup(&other).await.unwrap(),
        Delivery::NotYet(at + EVENTS_SETTLE)
    );
    other.asked_at = Some(at + EVENTS_SETTLE);
    assert_eq!(s.lookup(&other).await.unwrap(), Delivery::NotSent);
    // AND one found is sent whatever its age
    let mut found = msg();
    found.attempted_at = Some(at);
    found.asked_at = Some(at + chrono::Duration::days(1));
    assert!(matches!(s.lookup(&found).await.unwrap(), Delivery::Sent(_)));
    s.probe().await.unwrap();
    // AND credentials never print
    assert!(!format!("{:?}", s.credentials).contains(KEY));
}
