//! AI voice calls through Retell (`POST /v2/create-phone-call`, Bearer
//! key): the call brief's variables reach the agent's prompt, and the
//! attempt travels in `metadata`, which every webhook and call listing
//! carries back. Retell takes no idempotency key.

use super::{refused, Answer, Caller, FinalKind, Outgoing, ProviderSender, SendError};
use crate::adapters::enrichment::HttpSettings;
use crate::error::Result;
use crate::ports::Delivery;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use std::fmt;

pub const BASE: &str = "https://api.retellai.com";
const NAME: &str = "retell";

/// What a tenant's Retell secret holds.
#[derive(Clone, Deserialize)]
pub struct RetellCredentials {
    pub api_key: String,
    /// The agent that places prospecting calls (`override_agent_id`).
    pub agent_id: String,
}

impl fmt::Debug for RetellCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetellCredentials")
            .field("api_key", &"***")
            .field("agent_id", &self.agent_id)
            .finish()
    }
}

pub struct RetellSender {
    credentials: RetellCredentials,
    base: String,
    caller: Caller,
}

impl RetellSender {
    pub fn new(
        credentials: RetellCredentials,
        base_url: Option<String>,
        settings: HttpSettings,
    ) -> Result<Self> {
        Ok(Self {
            base: base_url
                .unwrap_or_else(|| BASE.to_string())
                .trim_end_matches('/')
                .to_string(),
            credentials,
            caller: Caller::new(NAME, settings)?,
        })
    }

    /// The JSON body of one call.
    pub fn body(&self, msg: &Outgoing) -> serde_json::Value {
        let mut body = json!({
            "from_number": msg.from,
            "to_number": msg.to,
            "override_agent_id": self.credentials.agent_id,
            "metadata": {
                "tenant": msg.tenant,
                "lead": msg.lead,
                "step": msg.step,
                "attempt": msg.attempt_id,
            },
            "retell_llm_dynamic_variables": msg.call_variables,
        });
        // The desk's maximum call length, for this call only (Retell's
        // per-call agent override; its floor is one minute).
        let secs = msg
            .max_call_secs
            .unwrap_or(crate::adapters::senders::twilio::CALL_TIME_LIMIT_SECS)
            .max(60);
        body["agent_override"] = json!({"agent": {"max_call_duration_ms": u64::from(secs) * 1000}});
        body
    }

    fn refusal(answer: &Answer) -> SendError {
        let fin = |kind| SendError::Final {
            provider: NAME,
            kind,
            reason: answer.describe(),
        };
        match answer.status {
            401 | 403 => fin(FinalKind::BadCredentials),
            // A number Retell cannot dial is the recipient's; an unknown
            // agent or from-number (404) is the tenant's setup.
            400 | 422 if answer.body.contains("to_number") => fin(FinalKind::InvalidRecipient),
            404 => fin(FinalKind::BadCredentials),
            _ => refused(NAME, answer),
        }
    }
}

#[async_trait]
impl ProviderSender for RetellSender {
    fn provider(&self) -> &'static str {
        NAME
    }

    async fn send(&self, msg: &Outgoing) -> std::result::Result<String, SendError> {
        let url = format!("{}/v2/create-phone-call", self.base);
        let body = self.body(msg);
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.post(&url).bearer_auth(key).json(&body))
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(&answer));
        }
        #[derive(Deserialize)]
        struct Created {
            call_id: String,
        }
        serde_json::from_str::<Created>(&answer.body)
            .map(|c| c.call_id)
            .map_err(|_| SendError::Unknown {
                provider: NAME,
                reason: format!("created without a readable call id: {}", answer.describe()),
            })
    }

    /// The recent calls to the recipient, matched on the attempt in their
    /// metadata: found means placed; not found is `Unknown` (the listing
    /// may lag), left in doubt for the call's webhook or an operator.
    async fn lookup(&self, msg: &Outgoing) -> std::result::Result<Delivery, SendError> {
        // v3 of the call list (retell-typescript-sdk `call.ts`): filters are
        // `{type, op, value}`; the answer is `{items, has_more, ...}`. v3
        // can filter on metadata too, but the key's spelling is not
        // documented, so the attempt is matched on each call here.
        let url = format!("{}/v3/list-calls", self.base);
        let filter = |value: &str| json!({"type": "string", "op": "eq", "value": value});
        let body = json!({
            "filter_criteria": {"to_number": filter(&msg.to), "from_number": filter(&msg.from)},
            "sort_order": "descending",
            "limit": 50,
        });
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.post(&url).bearer_auth(key).json(&body))
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(&answer));
        }
        let page: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        let calls = page["items"].as_array().or(page.as_array());
        let found = calls.and_then(|calls| {
            calls
                .iter()
                .find(|c| c["metadata"]["attempt"].as_str() == Some(msg.attempt_id.as_str()))
        });
        Ok(match found.and_then(|c| c["call_id"].as_str()) {
            Some(id) => Delivery::Sent(id.to_string()),
            None => Delivery::Unknown,
        })
    }

    async fn probe(&self) -> std::result::Result<(), SendError> {
        let url = format!("{}/get-agent/{}", self.base, self.credentials.agent_id);
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.get(&url).bearer_auth(key))
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(Self::refusal(&answer))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::targeting::enrichment::RetryPolicy;
    use std::collections::BTreeMap;
    use std::time::Duration;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const KEY: &str = "retell-key-secret";

    fn sender(server: &MockServer) -> RetellSender {
        RetellSender::new(
            RetellCredentials {
                api_key: KEY.into(),
                agent_id: "agent_1".into(),
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

    fn call() -> Outgoing {
        Outgoing {
            tenant: "acme".into(),
            lead: "L1".into(),
            step: 2,
            attempt_id: "L1-02-x".into(),
            from: "+15125550100".into(),
            to: "+16025550100".into(),
            call_variables: BTreeMap::from([("first_name".into(), "Jo".into())]),
            max_call_secs: Some(120),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_call_posts_exactly_the_documented_json_and_errors_map_by_class() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2/create-phone-call"))
            .and(header("authorization", format!("Bearer {KEY}").as_str()))
            .and(body_json(json!({
                "from_number": "+15125550100",
                "to_number": "+16025550100",
                "override_agent_id": "agent_1",
                "metadata": {"tenant": "acme", "lead": "L1", "step": 2, "attempt": "L1-02-x"},
                "retell_llm_dynamic_variables": {"first_name": "Jo"},
                "agent_override": {"agent": {"max_call_duration_ms": 120000}},
            })))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(json!({"call_id": "call_9", "call_status": "registered"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        assert_eq!(sender(&server).send(&call()).await.unwrap(), "call_9");
        for (status, body, check) in [
            (401, "Unauthorized", FinalKind::BadCredentials),
            (
                400,
                "to_number is not a valid number",
                FinalKind::InvalidRecipient,
            ),
            (400, "bad metadata", FinalKind::Rejected),
        ] {
            let s = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(status).set_body_string(body))
                .mount(&s)
                .await;
            let e = sender(&s).send(&call()).await.unwrap_err();
            assert!(
                matches!(e, SendError::Final { kind, .. } if kind == check),
                "{body}: {e:?}"
            );
        }
        let s = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(800)))
            .expect(1)
            .mount(&s)
            .await;
        assert!(matches!(
            sender(&s).send(&call()).await,
            Err(SendError::Unknown { .. })
        ));
    }

    #[tokio::test]
    async fn a_lookup_matches_the_attempt_in_the_calls_metadata_and_the_probe_reads_the_agent() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/list-calls"))
            .and(body_json(json!({
                "filter_criteria": {
                    "to_number": {"type": "string", "op": "eq", "value": "+16025550100"},
                    "from_number": {"type": "string", "op": "eq", "value": "+15125550100"},
                },
                "sort_order": "descending",
                "limit": 50,
            })))
            .and(header("authorization", format!("Bearer {KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": [
                {"call_id": "call_1", "metadata": {"attempt": "other"}},
                {"call_id": "call_2", "metadata": {"attempt": "L1-02-x"}},
            ], "has_more": false})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/get-agent/agent_1"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
        let s = sender(&server);
        assert_eq!(
            s.lookup(&call()).await.unwrap(),
            Delivery::Sent("call_2".into())
        );
        let mut other = call();
        other.attempt_id = "nope".into();
        assert_eq!(s.lookup(&other).await.unwrap(), Delivery::Unknown);
        s.probe().await.unwrap();
        assert!(!format!("{:?}", s.credentials).contains(KEY));
    }
}
