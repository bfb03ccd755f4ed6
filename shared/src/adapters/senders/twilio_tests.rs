//! The Twilio adapter against a local server that checks the exact request.

use super::*;
use crate::domain::targeting::enrichment::RetryPolicy;
use std::time::Duration;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token-secret";

fn sender(server: &MockServer, service: Option<&str>) -> TwilioSender {
    TwilioSender::new(
        TwilioCredentials {
            account_sid: SID.into(),
            auth_token: TOKEN.into(),
            messaging_service_sid: service.map(str::to_string),
        },
        Some(server.uri()),
        HttpSettings {
            timeout: Duration::from_millis(300),
            retry: RetryPolicy {
                max_retries: 1,
                base: Duration::from_millis(1),
                max_delay: Duration::from_millis(50),
            },
        },
    )
    .unwrap()
}

fn basic() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    )
}

fn text() -> Outgoing {
    Outgoing {
        tenant: "acme".into(),
        lead: "L1".into(),
        step: 4,
        attempt_id: "L1-04-x".into(),
        channel: Some(Channel::Sms),
        from: "+15125550100".into(),
        to: "+16025550100".into(),
        text: "Hi Jo & co. Reply STOP to opt out".into(),
        status_callback: Some("https://hooks.example/webhooks/twilio?tenant=acme".into()),
        ..Default::default()
    }
}

fn encoded(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[tokio::test]
async fn a_text_and_a_call_post_exactly_the_documented_forms() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        .and(header("authorization", basic().as_str()))
        .and(body_string(encoded(&[
            ("To", "+16025550100"),
            ("From", "+15125550100"),
            ("Body", "Hi Jo & co. Reply STOP to opt out"),
            (
                "StatusCallback",
                "https://hooks.example/webhooks/twilio?tenant=acme",
            ),
        ])))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({"sid": "SM1", "status": "queued"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Calls.json")))
        .and(header("authorization", basic().as_str()))
        .and(body_string(encoded(&[
            ("To", "+16025550100"),
            ("From", "+15125550100"),
            (
                "Twiml",
                "<Response><Say>Hi Jo &amp; co. Reply STOP to opt out</Say></Response>",
            ),
            ("TimeLimit", "120"),
            ("MachineDetection", "Enable"),
            (
                "StatusCallback",
                "https://hooks.example/webhooks/twilio?tenant=acme",
            ),
            ("StatusCallbackEvent", "initiated"),
            ("StatusCallbackEvent", "ringing"),
            ("StatusCallbackEvent", "answered"),
            ("StatusCallbackEvent", "completed"),
        ])))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "CA1"})))
        .expect(1)
        .mount(&server)
        .await;
    let s = sender(&server, None);
    assert_eq!(s.send(&text()).await.unwrap(), "SM1");
    let mut call = text();
    call.channel = Some(Channel::Voice);
    assert_eq!(s.send(&call).await.unwrap(), "CA1");
    // A messaging service replaces From.
    let form = sender(&server, Some("MG9")).message_form(&text());
    assert!(form.contains(&("MessagingServiceSid".into(), "MG9".into())));
    assert!(!form.iter().any(|(k, _)| k == "From"));
}

async fn code(status: u16, code: u32) -> SendError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_json(serde_json::json!({"code": code, "message": "m", "status": status})),
        )
        .mount(&server)
        .await;
    sender(&server, None).send(&text()).await.unwrap_err()
}

#[tokio::test]
async fn twilio_error_codes_map_to_what_the_dispatcher_does_next() {
    for (status, c, want) in [
        (400, 21211, Some(FinalKind::InvalidRecipient)),
        (400, 21614, Some(FinalKind::InvalidRecipient)),
        (400, 21610, Some(FinalKind::OptedOut)),
        (401, 20003, Some(FinalKind::BadCredentials)),
        (400, 21602, Some(FinalKind::Rejected)),
        (429, 20429, None),
    ] {
        let e = code(status, c).await;
        match want {
            Some(kind) => assert!(
                matches!(&e, SendError::Final { kind: k, reason, .. } if *k == kind && reason.contains(&c.to_string())),
                "{c}: {e:?}"
            ),
            None => assert!(
                matches!(
                    e,
                    SendError::Retryable {
                        rate_limited: true,
                        ..
                    }
                ),
                "{c}: {e:?}"
            ),
        }
        assert!(!format!("{e:?}").contains(TOKEN));
    }
    // A 500 is retried, then retryable; no answer in time is unknown and
    // not retried.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(2)
        .mount(&server)
        .await;
    assert!(matches!(
        sender(&server, None).send(&text()).await,
        Err(SendError::Retryable { .. })
    ));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_millis(800)))
        .expect(1)
        .mount(&server)
        .await;
    assert!(matches!(
        sender(&server, None).send(&text()).await,
        Err(SendError::Unknown { .. })
    ));
}

#[tokio::test]
async fn a_lookup_names_the_attempt_only_when_one_message_matches_and_the_probe_fetches_the_account(
) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        .and(query_param("To", "+16025550100"))
        .and(query_param("From", "+15125550100"))
        .and(header("authorization", basic().as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"messages": [{"sid": "SM7"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        .and(query_param("To", "+16025550199"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"messages": [{"sid": "SM8"}, {"sid": "SM9"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/2010-04-01/Accounts/{SID}.json")))
        .and(header("authorization", basic().as_str()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let s = sender(&server, None);
    assert_eq!(
        s.lookup(&text()).await.unwrap(),
        Delivery::Sent("SM7".into())
    );
    let mut two = text();
    two.to = "+16025550199".into();
    assert_eq!(s.lookup(&two).await.unwrap(), Delivery::Unknown);
    s.probe().await.unwrap();
}
