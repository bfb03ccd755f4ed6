//! LinkedIn through HeyReach (`X-API-KEY`): a connection request adds the
//! lead to the tenant's HeyReach campaign (`AddLeadsToCampaignV2`) for the
//! seat that sends it; a message goes to the seat's conversation with the
//! lead (`inbox/GetConversationsV2`, then `inbox/SendMessage`). HeyReach
//! allows 300 requests a minute per key: a burst waits here instead of
//! drawing 429s, and across Lambda containers the 429 path is the backstop.

use super::{
    refused, Answer, Caller, FinalKind, LinkedInAction, Outgoing, ProviderSender, SendError,
};
use crate::adapters::enrichment::HttpSettings;
use crate::error::Result;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub const BASE: &str = "https://api.heyreach.io/api/public";
const NAME: &str = "heyreach";
/// HeyReach's documented limit per API key.
pub const REQUESTS_PER_MINUTE: u32 = 300;

/// What a tenant's HeyReach secret holds.
#[derive(Clone, Deserialize)]
pub struct HeyReachCredentials {
    pub api_key: String,
    /// The campaign connection requests are added to (it must be active).
    pub campaign_id: String,
}

impl fmt::Debug for HeyReachCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeyReachCredentials")
            .field("api_key", &"***")
            .field("campaign_id", &self.campaign_id)
            .finish()
    }
}

/// A fixed one-minute window of at most `limit` requests.
struct Window {
    started: Instant,
    used: u32,
}

pub struct HeyReachSender {
    credentials: HeyReachCredentials,
    base: String,
    caller: Caller,
    limit: u32,
    window_length: Duration,
    window: Mutex<Window>,
}

/// A number where HeyReach wants one, else the text as it is.
fn id_value(s: &str) -> Value {
    s.parse::<u64>().map_or_else(|_| json!(s), |n| json!(n))
}

impl HeyReachSender {
    pub fn new(
        credentials: HeyReachCredentials,
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
            limit: REQUESTS_PER_MINUTE,
            window_length: Duration::from_secs(60),
            window: Mutex::new(Window {
                started: Instant::now(),
                used: 0,
            }),
        })
    }

    /// Another limit: `requests` per `window` (tests, a plan with more).
    pub fn with_limit(mut self, requests: u32, window: Duration) -> Self {
        self.limit = requests.max(1);
        self.window_length = window;
        self
    }

    /// Waits until the window has room for one more request.
    async fn pace(&self) {
        let mut w = self.window.lock().await;
        let minute = self.window_length;
        if w.started.elapsed() >= minute {
            w.started = Instant::now();
            w.used = 0;
        }
        if w.used >= self.limit {
            tokio::time::sleep_until(w.started + minute).await;
            w.started = Instant::now();
            w.used = 0;
        }
        w.used += 1;
    }

    async fn post(&self, tail: &str, body: &Value) -> std::result::Result<Answer, SendError> {
        self.pace().await;
        let url = format!("{}{tail}", self.base);
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.post(&url).header("X-API-KEY", key).json(body))
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(match answer.status {
                401 | 403 => SendError::Final {
                    provider: NAME,
                    kind: FinalKind::BadCredentials,
                    reason: answer.describe(),
                },
                _ => refused(NAME, &answer),
            })
        }
    }

    /// The body that adds the lead to the campaign for the seat.
    pub fn connect_body(&self, msg: &Outgoing) -> Value {
        let p = &msg.person;
        let mut fields = vec![json!({"name": "attempt", "value": msg.attempt_id})];
        if !msg.text.is_empty() {
            fields.push(json!({"name": "note", "value": msg.text}));
        }
        json!({
            "campaignId": id_value(&self.credentials.campaign_id),
            "accountLeadPairs": [{
                "linkedInAccountId": id_value(&msg.from),
                "lead": {
                    "firstName": p.first_name,
                    "lastName": p.last_name,
                    "profileUrl": msg.to,
                    "companyName": p.company,
                    "position": p.title,
                    "emailAddress": p.email.clone().unwrap_or_default(),
                    "customUserFields": fields,
                },
            }],
        })
    }
}

#[async_trait]
impl ProviderSender for HeyReachSender {
    fn provider(&self) -> &'static str {
        NAME
    }

    async fn send(&self, msg: &Outgoing) -> std::result::Result<String, SendError> {
        match msg.linkedin.clone().unwrap_or(LinkedInAction::Connect) {
            LinkedInAction::Connect => {
                let answer = self
                    .post("/campaign/AddLeadsToCampaignV2", &self.connect_body(msg))
                    .await?;
                let out: Value = serde_json::from_str(&answer.body).unwrap_or_default();
                if out["failedLeadsCount"].as_u64().unwrap_or(0) > 0 {
                    return Err(SendError::Final {
                        provider: NAME,
                        kind: FinalKind::Rejected,
                        reason: format!("the campaign refused the lead: {}", answer.describe()),
                    });
                }
                Ok(format!("heyreach:{}", msg.attempt_id))
            }
            LinkedInAction::Message => {
                let found = self
                    .post(
                        "/inbox/GetConversationsV2",
                        &json!({
                            "filters": {
                                "linkedInAccountIds": [id_value(&msg.from)],
                                "leadProfileUrl": msg.to,
                            },
                            "offset": 0,
                            "limit": 1,
                        }),
                    )
                    .await?;
                let page: Value = serde_json::from_str(&found.body).unwrap_or_default();
                let Some(conversation) = page["items"][0]["id"].as_str().map(str::to_string) else {
                    return Err(SendError::Final {
                        provider: NAME,
                        kind: FinalKind::Rejected,
                        reason: "no conversation with the lead: not connected from this seat"
                            .into(),
                    });
                };
                self.post(
                    "/inbox/SendMessage",
                    &json!({
                        "message": msg.text,
                        "conversationId": conversation,
                        "linkedInAccountId": id_value(&msg.from),
                    }),
                )
                .await?;
                Ok(format!("heyreach:{conversation}:{}", msg.attempt_id))
            }
        }
    }

    async fn probe(&self) -> std::result::Result<(), SendError> {
        self.pace().await;
        let url = format!("{}/auth/CheckApiKey", self.base);
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.get(&url).header("X-API-KEY", key))
            .await?;
        match answer.status {
            200..=299 => Ok(()),
            401 | 403 => Err(SendError::Final {
                provider: NAME,
                kind: FinalKind::BadCredentials,
                reason: answer.describe(),
            }),
            _ => Err(refused(NAME, &answer)),
        }
    }
}

#[cfg(test)]
#[path = "heyreach_tests.rs"]
mod tests;
