//! Texts and calls through Twilio's REST API (`Messages.json`,
//! `Calls.json`, form fields, Basic `AccountSid:AuthToken`). Twilio takes
//! no idempotency key, so a lookup can only name an attempt when exactly
//! one message or call went from that number to that recipient.

use super::{refused, Answer, Caller, FinalKind, Outgoing, ProviderSender, SendError};
use crate::adapters::enrichment::HttpSettings;
use crate::domain::touch::Channel;
use crate::error::Result;
use crate::ports::Delivery;
use async_trait::async_trait;
use serde::Deserialize;
use std::fmt;

pub const BASE: &str = "https://api.twilio.com";
const NAME: &str = "twilio";
/// A call is cut after this long: a prospecting call that has not reached
/// a person by then is a voicemail, and minutes cost money.
pub const CALL_TIME_LIMIT_SECS: u32 = 120;

/// What a tenant's Twilio secret holds.
#[derive(Clone, Deserialize)]
pub struct TwilioCredentials {
    pub account_sid: String,
    pub auth_token: String,
    /// Texts go through this Messaging Service (its sender pool) instead of
    /// the lead's sticky number.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
}

impl fmt::Debug for TwilioCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioCredentials")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"***")
            .field("messaging_service_sid", &self.messaging_service_sid)
            .finish()
    }
}

pub struct TwilioSender {
    credentials: TwilioCredentials,
    base: String,
    caller: Caller,
}

/// Twilio's error body.
#[derive(Deserialize)]
struct TwilioError {
    code: Option<u32>,
    message: Option<String>,
}

impl TwilioSender {
    pub fn new(
        credentials: TwilioCredentials,
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

    fn url(&self, tail: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}{tail}",
            self.base, self.credentials.account_sid
        )
    }

    /// The form of a text.
    pub fn message_form(&self, msg: &Outgoing) -> Vec<(String, String)> {
        let mut f = vec![("To".to_string(), msg.to.clone())];
        match &self.credentials.messaging_service_sid {
            Some(sid) => f.push(("MessagingServiceSid".into(), sid.clone())),
            None => f.push(("From".into(), msg.from.clone())),
        }
        f.push(("Body".into(), msg.text.clone()));
        if let Some(cb) = &msg.status_callback {
            f.push(("StatusCallback".into(), cb.clone()));
        }
        f
    }

    /// The form of a call: the brief is read out with `<Say>` (a plain
    /// call; an AI conversation goes through Retell).
    pub fn call_form(&self, msg: &Outgoing) -> Vec<(String, String)> {
        let mut f = vec![
            ("To".to_string(), msg.to.clone()),
            ("From".into(), msg.from.clone()),
            (
                "Twiml".into(),
                format!("<Response><Say>{}</Say></Response>", xml_escape(&msg.text)),
            ),
            (
                "TimeLimit".into(),
                msg.max_call_secs
                    .unwrap_or(CALL_TIME_LIMIT_SECS)
                    .to_string(),
            ),
            ("MachineDetection".into(), "Enable".into()),
        ];
        if let Some(cb) = &msg.status_callback {
            f.push(("StatusCallback".into(), cb.clone()));
            for event in ["initiated", "ringing", "answered", "completed"] {
                f.push(("StatusCallbackEvent".into(), event.into()));
            }
        }
        f
    }

    /// Twilio's error codes, by what they mean for the touch.
    fn refusal(answer: &Answer) -> SendError {
        let body: Option<TwilioError> = serde_json::from_str(&answer.body).ok();
        let code = body.as_ref().and_then(|b| b.code);
        let message = body
            .and_then(|b| b.message)
            .unwrap_or_else(|| answer.body.chars().take(200).collect());
        let reason = format!(
            "status {} code {}: {message}",
            answer.status,
            code.map_or("-".to_string(), |c| c.to_string())
        );
        let fin = |kind| SendError::Final {
            provider: NAME,
            kind,
            reason: reason.clone(),
        };
        match code {
            // Invalid 'To', not a mobile number, unreachable / cannot route.
            Some(21211 | 21214 | 21217 | 21407 | 21612 | 21614) => fin(FinalKind::InvalidRecipient),
            // The recipient replied STOP to this sender.
            Some(21610) => fin(FinalKind::OptedOut),
            Some(20003 | 20005) => fin(FinalKind::BadCredentials),
            Some(20429 | 14107) => SendError::Retryable {
                provider: NAME,
                reason,
                retry_after: None,
                rate_limited: true,
            },
            _ if matches!(answer.status, 401 | 403) => fin(FinalKind::BadCredentials),
            _ if answer.status == 404 => fin(FinalKind::BadCredentials),
            _ => match refused(NAME, answer) {
                SendError::Final { kind, .. } => fin(kind),
                other => other,
            },
        }
    }

    fn ok_or_refusal(answer: Answer) -> std::result::Result<Answer, SendError> {
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(Self::refusal(&answer))
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[async_trait]
impl ProviderSender for TwilioSender {
    fn provider(&self) -> &'static str {
        NAME
    }

    async fn send(&self, msg: &Outgoing) -> std::result::Result<String, SendError> {
        let (url, form) = if msg.channel == Some(Channel::Voice) {
            (self.url("/Calls.json"), self.call_form(msg))
        } else {
            (self.url("/Messages.json"), self.message_form(msg))
        };
        let c = &self.credentials;
        let answer = self
            .caller
            .call(|http| {
                http.post(&url)
                    .basic_auth(&c.account_sid, Some(&c.auth_token))
                    .form(&form)
            })
            .await
            .and_then(Self::ok_or_refusal)?;
        #[derive(Deserialize)]
        struct Created {
            sid: String,
        }
        serde_json::from_str::<Created>(&answer.body)
            .map(|c| c.sid)
            .map_err(|_| SendError::Unknown {
                provider: NAME,
                reason: format!("created without a readable sid: {}", answer.describe()),
            })
    }

    /// The messages (or calls) from the sender to the recipient: exactly
    /// one means that attempt went out; more (an earlier step, a text the
    /// operator sent by hand) cannot be told apart, and none may still be
    /// on its way: both stay `Unknown` for the status callback or an operator.
    async fn lookup(&self, msg: &Outgoing) -> std::result::Result<Delivery, SendError> {
        let (url, list) = if msg.channel == Some(Channel::Voice) {
            (self.url("/Calls.json"), "calls")
        } else {
            (self.url("/Messages.json"), "messages")
        };
        let c = &self.credentials;
        let query = [
            ("To", msg.to.as_str()),
            ("From", msg.from.as_str()),
            ("PageSize", "20"),
        ];
        let answer = self
            .caller
            .call(|http| {
                http.get(&url)
                    .basic_auth(&c.account_sid, Some(&c.auth_token))
                    .query(&query)
            })
            .await
            .and_then(Self::ok_or_refusal)?;
        let page: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        let rows = page[list].as_array().cloned().unwrap_or_default();
        Ok(match rows.as_slice() {
            [one] => one["sid"]
                .as_str()
                .map_or(Delivery::Unknown, |sid| Delivery::Sent(sid.to_string())),
            _ => Delivery::Unknown,
        })
    }

    async fn probe(&self) -> std::result::Result<(), SendError> {
        let url = self.url(".json");
        let c = &self.credentials;
        self.caller
            .call(|http| {
                http.get(&url)
                    .basic_auth(&c.account_sid, Some(&c.auth_token))
            })
            .await
            .and_then(Self::ok_or_refusal)
            .map(|_| ())
    }
}

#[cfg(test)]
#[path = "twilio_tests.rs"]
mod tests;
