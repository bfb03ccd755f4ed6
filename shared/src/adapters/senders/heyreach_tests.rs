//! The HeyReach adapter against a local server that checks the exact request.

use super::*;
use crate::adapters::senders::Person;
use crate::domain::targeting::enrichment::RetryPolicy;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "heyreach-key-secret";

fn sender(server: &MockServer) -> HeyReachSender {
    HeyReachSender::new(
        HeyReachCredentials {
            api_key: KEY.into(),
            campaign_id: "4242".into(),
        },
        Some(format!("{}/api/public", server.uri())),
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

fn msg(action: LinkedInAction) -> Outgoing {
    Outgoing {
        attempt_id: "L1-03-x".into(),
        from: "77".into(),
        to: "https://www.linkedin.com/in/jo-diaz".into(),
        text: "Hi Jo".into(),
        person: Person {
            first_name: "Jo".into(),
            last_name: "Diaz".into(),
            company: "Desert Motors".into(),
            title: "Owner".into(),
            email: None,
        },
        linkedin: Some(action),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_connection_request_adds_the_lead_to_the_campaign_for_the_seat() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/public/campaign/AddLeadsToCampaignV2"))
        .and(header("x-api-key", KEY))
        .and(body_json(serde_json::json!({
            "campaignId": 4242,
            "accountLeadPairs": [{
                "linkedInAccountId": 77,
                "lead": {
                    "firstName": "Jo", "lastName": "Diaz",
                    "profileUrl": "https://www.linkedin.com/in/jo-diaz",
                    "companyName": "Desert Motors", "position": "Owner", "emailAddress": "",
                    "customUserFields": [{"name": "attempt", "value": "L1-03-x"}, {"name": "note", "value": "Hi Jo"}],
                },
            }],
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"addedLeadsCount": 1, "failedLeadsCount": 0})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        sender(&server)
            .send(&msg(LinkedInAction::Connect))
            .await
            .unwrap(),
        "heyreach:L1-03-x"
    );
}

#[tokio::test]
async fn a_message_goes_to_the_seats_conversation_or_is_refused_without_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/public/inbox/GetConversationsV2"))
        .and(body_json(serde_json::json!({
            "filters": {"linkedInAccountIds": [77], "leadProfileUrl": "https://www.linkedin.com/in/jo-diaz"},
            "offset": 0, "limit": 1,
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"items": [{"id": "conv-1"}]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/public/inbox/SendMessage"))
        .and(header("x-api-key", KEY))
        .and(body_json(serde_json::json!({"message": "Hi Jo", "conversationId": "conv-1", "linkedInAccountId": 77})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        sender(&server)
            .send(&msg(LinkedInAction::Message))
            .await
            .unwrap(),
        "heyreach:conv-1:L1-03-x"
    );
    let empty = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"items": []})))
        .mount(&empty)
        .await;
    assert!(matches!(
        sender(&empty).send(&msg(LinkedInAction::Message)).await,
        Err(SendError::Final {
            kind: FinalKind::Rejected,
            ..
        })
    ));
}

#[tokio::test]
async fn errors_map_by_class_and_a_burst_is_paced_under_the_limit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let e = sender(&server)
        .send(&msg(LinkedInAction::Connect))
        .await
        .unwrap_err();
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
    assert!(!format!("{e:?}").contains(KEY));
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .expect(2)
        .mount(&s)
        .await;
    assert!(matches!(
        sender(&s).send(&msg(LinkedInAction::Connect)).await,
        Err(SendError::Retryable {
            rate_limited: true,
            ..
        })
    ));
    // With a limit of 2 per window, the third request waits for the next
    // window (a short one here; 60 s in use).
    let ok = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/public/auth/CheckApiKey"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&ok)
        .await;
    let paced = sender(&ok).with_limit(2, Duration::from_millis(300));
    let start = tokio::time::Instant::now();
    for _ in 0..2 {
        paced.pace().await;
    }
    assert!(start.elapsed() < Duration::from_millis(300));
    paced.pace().await;
    assert!(start.elapsed() >= Duration::from_millis(300));
    paced.probe().await.unwrap();
}
