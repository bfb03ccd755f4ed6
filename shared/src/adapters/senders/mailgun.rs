//! Email through Mailgun's HTTP API: `POST /v3/{domain}/messages` (form
//! fields, Basic `api:<key>`), US or EU base URL; lookups through the
//! Events API by the attempt's user variable; the domain fetch as probe.

use super::{refused, Answer, Caller, FinalKind, Outgoing, ProviderSender, SendError};
use crate::adapters::enrichment::HttpSettings;
use crate::error::Result;
use crate::ports::Delivery;
use async_trait::async_trait;
use serde::Deserialize;
use std::fmt;

pub const US_BASE: &str = "https://api.mailgun.net";
pub const EU_BASE: &str = "https://api.eu.mailgun.net";
const NAME: &str = "mailgun";

/// What a tenant's Mailgun secret holds.
#[derive(Clone, Deserialize)]
pub struct MailgunCredentials {
    pub api_key: String,
    /// The sending domain as Mailgun knows it (`mg.example.com`).
    pub domain: String,
    /// `us` (default) or `eu`.
    #[serde(default)]
    pub region: Option<String>,
}

impl fmt::Debug for MailgunCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailgunCredentials")
            .field("api_key", &"***")
            .field("domain", &self.domain)
            .field("region", &self.region)
            .finish()
    }
}

pub struct MailgunSender {
    credentials: MailgunCredentials,
    base: String,
    caller: Caller,
}

impl MailgunSender {
    /// `base_url` replaces the region's public URL (a stand-in, a proxy).
    pub fn new(
        credentials: MailgunCredentials,
        base_url: Option<String>,
        settings: HttpSettings,
    ) -> Result<Self> {
        let base = base_url.unwrap_or_else(|| {
            match credentials.region.as_deref() {
                Some(r) if r.eq_ignore_ascii_case("eu") => EU_BASE,
                _ => US_BASE,
            }
            .to_string()
        });
        Ok(Self {
            credentials,
            base: base.trim_end_matches('/').to_string(),
            caller: Caller::new(NAME, settings)?,
        })
    }

    fn url(&self, tail: &str) -> String {
        format!("{}/v3/{}/{tail}", self.base, self.credentials.domain)
    }

    /// The form of one message, in the order Mailgun documents it.
    pub fn form(msg: &Outgoing) -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = Vec::new();
        let mut add = |k: &str, v: &str| f.push((k.to_string(), v.to_string()));
        let from = match &msg.from_name {
            Some(name) => format!("\"{}\" <{}>", name.replace(['"', '\\'], ""), msg.from),
            None => msg.from.clone(),
        };
        add("from", &from);
        add("to", &msg.to);
        if let Some(subject) = &msg.subject {
            add("subject", subject);
        }
        add("text", &msg.text);
        if let Some(html) = &msg.html {
            add("html", html);
        }
        for (name, value) in &msg.headers {
            add(&format!("h:{name}"), value);
        }
        if let Some(id) = &msg.message_id {
            add("h:Message-Id", id);
        }
        if let Some(parent) = &msg.in_reply_to {
            add("h:In-Reply-To", parent);
        }
        if !msg.references.is_empty() {
            add("h:References", &msg.references.join(" "));
        }
        add("v:tenant", &msg.tenant);
        add("v:lead", &msg.lead);
        add("v:step", &msg.step.to_string());
        add("v:attempt", &msg.attempt_id);
        // Mailgun takes at most 3 tags, ASCII, 128 characters each; others
        // are dropped rather than failing the send.
        for tag in msg
            .tags
            .iter()
            .filter(|t| t.is_ascii() && !t.is_empty() && t.len() <= 128)
            .take(3)
        {
            add("o:tag", tag);
        }
        f
    }

    fn refusal(answer: &Answer) -> SendError {
        #[derive(Deserialize)]
        struct Body {
            message: Option<String>,
        }
        let message = serde_json::from_str::<Body>(&answer.body)
            .ok()
            .and_then(|b| b.message)
            .unwrap_or_else(|| answer.body.chars().take(200).collect());
        match answer.status {
            // Mailgun documents a 404 with a JSON body as possibly temporary
            // (its systems are eventually consistent): retried later, and a
            // domain that stays unknown opens the circuit. Without a JSON
            // body it is a wrong endpoint: the region or domain is wrong.
            404 if serde_json::from_str::<serde_json::Value>(&answer.body).is_ok() => {
                SendError::Retryable {
                    provider: NAME,
                    reason: format!("status 404: {message}"),
                    retry_after: None,
                    rate_limited: false,
                }
            }
            401 | 403 | 404 => SendError::Final {
                provider: NAME,
                kind: FinalKind::BadCredentials,
                reason: format!("status {}: {message}", answer.status),
            },
            400 => SendError::Final {
                provider: NAME,
                kind: FinalKind::Rejected,
                reason: format!("status 400: {message}"),
            },
            _ => refused(NAME, answer),
        }
    }
}

/// How old an attempt must be before Mailgun's events are taken as
/// complete for it: twice the half hour its event-polling guide calls a
/// safe threshold.
pub const EVENTS_SETTLE: chrono::Duration = chrono::Duration::hours(1);

#[async_trait]
impl ProviderSender for MailgunSender {
    fn provider(&self) -> &'static str {
        NAME
    }

    async fn send(&self, msg: &Outgoing) -> std::result::Result<String, SendError> {
        let form = Self::form(msg);
        let url = self.url("messages");
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.post(&url).basic_auth("api", Some(key)).form(&form))
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(&answer));
        }
        #[derive(Deserialize)]
        struct Queued {
            id: String,
        }
        serde_json::from_str::<Queued>(&answer.body)
            .map(|q| q.id)
            .map_err(|_| SendError::Unknown {
                provider: NAME,
                reason: format!("accepted without a readable id: {}", answer.describe()),
            })
    }

    /// Mailgun keeps an `accepted` event for every message it took, with
    /// the user variables it was sent with. The Events API documents no
    /// filter on user variables, so the recipient's events of the last day
    /// are read (the documented `recipient` filter, newest first) and the
    /// attempt matched on each. One found means it went out (a `rejected`
    /// one, that it did not). None found proves nothing while the events
    /// of the attempt's time may still be on their way: Mailgun's
    /// event-polling guide calls pages older than half an hour trustworthy,
    /// and until twice that has passed since the attempt the answer is
    /// "ask again then". After it, none found means it never reached
    /// Mailgun. Without the attempt's time the answer is `Unknown`.
    async fn lookup(&self, msg: &Outgoing) -> std::result::Result<Delivery, SendError> {
        let url = self.url("events");
        let asked = msg.asked_at.unwrap_or_else(chrono::Utc::now);
        let now = asked.timestamp();
        let query = [
            ("begin", now.to_string()),
            ("end", (now - 24 * 3600).to_string()),
            ("limit", "300".to_string()),
            ("recipient", msg.to.clone()),
        ];
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.get(&url).basic_auth("api", Some(key)).query(&query))
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(&answer));
        }
        let page: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        let found = page["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|e| e["user-variables"]["attempt"].as_str() == Some(msg.attempt_id.as_str()))
        });
        Ok(match (found, msg.attempted_at) {
            (Some(event), _) if event["event"].as_str() == Some("rejected") => Delivery::NotSent,
            (Some(event), _) => Delivery::Sent(
                event["message"]["headers"]["message-id"]
                    .as_str()
                    .map(|id| format!("<{}>", id.trim_matches(['<', '>'])))
                    .unwrap_or_else(|| format!("mailgun:{}", msg.attempt_id)),
            ),
            (None, Some(at)) if asked >= at + EVENTS_SETTLE => Delivery::NotSent,
            (None, Some(at)) => Delivery::NotYet(at + EVENTS_SETTLE),
            (None, None) => Delivery::Unknown,
        })
    }

    async fn probe(&self) -> std::result::Result<(), SendError> {
        // As mailgun.js reads a domain. The key must be allowed to read the
        // domain (a sending-only key fails here as bad credentials).
        let url = format!("{}/v4/domains/{}", self.base, self.credentials.domain);
        let key = &self.credentials.api_key;
        let answer = self
            .caller
            .call(|http| http.get(&url).basic_auth("api", Some(key)))
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(Self::refusal(&answer))
        }
    }
}

#[cfg(test)]
#[path = "mailgun_tests.rs"]
mod tests;
