//! Live channel senders: one adapter per provider (Mailgun, SMTP, Twilio
//! SMS and calls, Retell, HeyReach) behind one port, `ProviderSender`, and
//! the HTTP call discipline they share.
//!
//! The never-twice protocol decides what an adapter may retry by itself:
//! only a call the provider surely did not take. A refused connection, a
//! 429 and a 5xx were not taken and are retried here under the project's
//! `RetryPolicy` (honouring `Retry-After`), then reported as `Retryable`. A
//! request that was written and got no answer (a read timeout, a connection
//! lost mid-response) may have been taken: it is never retried here and is
//! reported as `Unknown`, so the dispatcher keeps the reservation and asks
//! `lookup` later instead of sending again.

pub mod smtp;

use crate::adapters::enrichment::HttpSettings;
use crate::domain::targeting::enrichment::parse_retry_after;
use crate::domain::touch::Channel;
use crate::ports::Delivery;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, DATE, RETRY_AFTER};
use std::collections::BTreeMap;
use std::time::Duration;

/// One attempt at one touch, as every adapter receives it: addresses,
/// text and headers already built and checked by the domain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outgoing {
    pub tenant: String,
    pub lead: String,
    pub step: u8,
    /// The attempt's id: the idempotency key where the provider takes one,
    /// and a variable every provider echoes back in its webhooks.
    pub attempt_id: String,
    pub channel: Option<Channel>,
    /// The sending identity: a mailbox address, an E.164 number, a
    /// LinkedIn seat (account id).
    pub from: String,
    /// Display name for `from` (email).
    pub from_name: Option<String>,
    /// The recipient: an email address, an E.164 number, a profile URL.
    pub to: String,
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// Extra email headers (`List-Unsubscribe`, `List-Unsubscribe-Post`,
    /// `Reply-To`), free of CR/LF and within line limits.
    pub headers: BTreeMap<String, String>,
    /// Our own `Message-ID` for this attempt (`<id@domain>`), for SMTP and
    /// for threading the next steps under it.
    pub message_id: Option<String>,
    /// For a follow-up email: the first email's `Message-ID`, so it threads.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Campaign / step tag (Mailgun `o:tag`).
    pub tags: Vec<String>,
    /// Where the provider posts status events (Twilio `StatusCallback`).
    pub status_callback: Option<String>,
    /// The call brief's variables (Retell `retell_llm_dynamic_variables`).
    pub call_variables: BTreeMap<String, String>,
    /// A call is cut after this long (Twilio `TimeLimit`, Retell
    /// `agent_override.agent.max_call_duration_ms`).
    pub max_call_secs: Option<u32>,
    /// The lead as a LinkedIn tool needs it (HeyReach adds a lead to a
    /// campaign with these).
    pub person: Person,
    /// For a LinkedIn touch: a connection request or a message.
    pub linkedin: Option<LinkedInAction>,
    /// For a lookup: when the attempt was made, and when it is asked
    /// about (a provider whose records settle late says "not sent" only
    /// once they have).
    pub attempted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub asked_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub title: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkedInAction {
    /// Send a connection request (with `text` as its note, if any).
    Connect,
    /// Send `text` as a message to an existing connection.
    Message,
}

pub use crate::domain::dispatch::failure::{FinalKind, SendError};

pub mod heyreach;
pub mod live;
pub mod mailgun;
pub mod retell;
pub mod twilio;

/// A provider that sends one channel's touches.
#[async_trait]
pub trait ProviderSender: Send + Sync {
    /// The provider's name as webhooks, circuits and secrets know it
    /// (`mailgun`, `smtp`, `twilio`, `retell`, `heyreach`).
    fn provider(&self) -> &'static str;

    /// Sends one attempt; returns the provider's id for it (message id,
    /// message SID, call id).
    async fn send(&self, msg: &Outgoing) -> Result<String, SendError>;

    /// Did `msg.attempt_id` go out? Asked after a lease ran out between
    /// reserve and confirm. `Unknown` where the provider cannot be asked.
    async fn lookup(&self, msg: &Outgoing) -> Result<Delivery, SendError> {
        let _ = msg;
        Ok(Delivery::Unknown)
    }

    /// A cheap authenticated call that proves the credentials work
    /// (go-live checks it): Mailgun's domain, Twilio's account.
    async fn probe(&self) -> Result<(), SendError>;
}

/// The answer to a request that reached the provider and came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// A short, log-safe description (status and the start of the body).
    pub fn describe(&self) -> String {
        let body: String = self.body.chars().take(300).collect();
        format!("status {}: {}", self.status, body.trim())
    }
}

/// Sends requests the way every HTTP sender must: a timeout on each,
/// retries only of what surely was not taken, `Retry-After` honoured.
pub struct Caller {
    pub provider: &'static str,
    http: reqwest::Client,
    settings: HttpSettings,
}

impl Caller {
    pub fn new(provider: &'static str, settings: HttpSettings) -> crate::error::Result<Self> {
        Ok(Self {
            provider,
            http: crate::adapters::http::client()?,
            settings,
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends what `build` makes (once per try). Returns any answer below
    /// 500 other than 429 for the adapter to read; 429 and 5xx are retried
    /// and end as `Retryable`; a connect failure is retried; a request with
    /// no answer is `Unknown` at once.
    pub async fn call(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, SendError> {
        let mut n = 0;
        loop {
            let (error, hint) = match self.once(build(&self.http)).await {
                Ok(answer) => return Ok(answer),
                Err(e @ SendError::Retryable { .. }) => {
                    let hint = match &e {
                        SendError::Retryable { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    (e, hint)
                }
                Err(e) => return Err(e),
            };
            match self.settings.retry.delay(n, hint) {
                Some(wait) => {
                    tracing::debug!(provider = self.provider, try_ = n, ?wait, %error, "retrying");
                    tokio::time::sleep(wait).await;
                    n += 1;
                }
                None => return Err(error),
            }
        }
    }

    async fn once(&self, request: reqwest::RequestBuilder) -> Result<Answer, SendError> {
        let response = match request.timeout(self.settings.timeout).send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Err(SendError::Retryable {
                    provider: self.provider,
                    reason: format!("connection failed: {}", without_url(&e)),
                    retry_after: None,
                    rate_limited: false,
                })
            }
            Err(e) if e.is_builder() => {
                return Err(SendError::Final {
                    provider: self.provider,
                    kind: FinalKind::Rejected,
                    reason: format!("request could not be built: {}", without_url(&e)),
                })
            }
            Err(e) => {
                return Err(SendError::Unknown {
                    provider: self.provider,
                    reason: format!("no answer: {}", without_url(&e)),
                })
            }
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = match response.text().await {
            Ok(b) => b,
            // The status line came back: a 2xx whose body was lost is still
            // a send we cannot name, anything else was not taken.
            Err(e) if (200..300).contains(&status) => {
                return Err(SendError::Unknown {
                    provider: self.provider,
                    reason: format!("status {status}, body lost: {}", without_url(&e)),
                })
            }
            Err(_) => String::new(),
        };
        if status == 429 || status >= 500 {
            return Err(SendError::Retryable {
                provider: self.provider,
                reason: Answer { status, body }.describe(),
                retry_after,
                rate_limited: status == 429,
            });
        }
        Ok(Answer { status, body })
    }
}

/// A reqwest error's text without its URL: a URL can carry an account id
/// or, for some providers, a key.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}

/// `Retry-After` as a wait, an HTTP-date measured from the response's own
/// `Date` so a skewed local clock does not matter.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    let now: DateTime<Utc> = headers
        .get(DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    parse_retry_after(value, now)
}

/// The common mapping of a non-2xx answer below 500: 401/403 bad
/// credentials, anything else refused for its content. Adapters refine it
/// with the provider's own error codes first.
pub fn refused(provider: &'static str, answer: &Answer) -> SendError {
    let kind = match answer.status {
        401 | 403 => FinalKind::BadCredentials,
        _ => FinalKind::Rejected,
    };
    SendError::Final {
        provider,
        kind,
        reason: answer.describe(),
    }
}

/// Builds a provider's adapter from the JSON its secret holds. A secret
/// that does not parse is the tenant's credentials being wrong: named,
/// never echoed.
pub fn build_adapter(
    kind: crate::domain::providers::ProviderKind,
    secret: &crate::adapters::secrets::SecretValue,
    settings: &live::LiveSettings,
) -> Result<std::sync::Arc<dyn ProviderSender>, SendError> {
    use crate::domain::providers::ProviderKind;
    fn creds<T: serde::de::DeserializeOwned>(
        provider: &'static str,
        secret: &crate::adapters::secrets::SecretValue,
    ) -> Result<T, SendError> {
        serde_json::from_str(secret.expose()).map_err(|e| SendError::Final {
            provider,
            kind: FinalKind::BadCredentials,
            // serde's message names the field and position, not the value.
            reason: format!(
                "the secret is not {provider} credentials: {}",
                e.to_string()
                    .split(" at line")
                    .next()
                    .unwrap_or("unreadable")
            ),
        })
    }
    let config_error = |provider: &'static str, e: crate::error::Error| SendError::Final {
        provider,
        kind: FinalKind::BadCredentials,
        reason: e.to_string(),
    };
    let name = kind.as_str();
    Ok(match kind {
        ProviderKind::Calendly => {
            return Err(SendError::Final {
                provider: "calendly",
                kind: FinalKind::BadCredentials,
                reason: "calendly sends nothing: it is a booking provider".into(),
            })
        }
        ProviderKind::Smtp => {
            let mut sender =
                smtp::SmtpSender::new(creds(name, secret)?, smtp::SmtpSettings::default())
                    .map_err(|e| config_error(name, e))?;
            for der in &settings.extra_roots {
                sender = sender
                    .with_extra_root(der.clone())
                    .map_err(|e| config_error(name, e))?;
            }
            std::sync::Arc::new(sender)
        }
        ProviderKind::Mailgun => std::sync::Arc::new(
            mailgun::MailgunSender::new(
                creds(name, secret)?,
                settings.urls.mailgun.clone(),
                settings.http,
            )
            .map_err(|e| config_error(name, e))?,
        ),
        ProviderKind::Twilio => std::sync::Arc::new(
            twilio::TwilioSender::new(
                creds(name, secret)?,
                settings.urls.twilio.clone(),
                settings.http,
            )
            .map_err(|e| config_error(name, e))?,
        ),
        ProviderKind::Retell => std::sync::Arc::new(
            retell::RetellSender::new(
                creds(name, secret)?,
                settings.urls.retell.clone(),
                settings.http,
            )
            .map_err(|e| config_error(name, e))?,
        ),
        ProviderKind::Heyreach => std::sync::Arc::new(
            heyreach::HeyReachSender::new(
                creds(name, secret)?,
                settings.urls.heyreach.clone(),
                settings.http,
            )
            .map_err(|e| config_error(name, e))?,
        ),
    })
}
