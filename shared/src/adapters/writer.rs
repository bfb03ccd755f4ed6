//! The AI writer over an LLM messages API in the shape of Anthropic's
//! Messages API (`POST /v1/messages`).
//!
//! From Anthropic's API documentation (docs.anthropic.com/en/api/messages,
//! /en/api/errors, /en/api/versioning): the key goes in `x-api-key`, every
//! request carries `anthropic-version` and `content-type: application/json`;
//! the body is `{model, max_tokens, system, messages, temperature}`; a reply
//! is `{content: [{type: "text", text}], model, stop_reason}` where
//! `stop_reason` `max_tokens` means the text was cut. Errors are
//! `{"type": "error", "error": {"type", "message"}}`: 429 `rate_limit_error`
//! (with `retry-after`), 500 `api_error` and 529 `overloaded_error` are worth
//! retrying; a 429 whose `error.details.error_code` is
//! `enforced_spend_limit_reached` is not (the spend cap lasts the month).

use super::enrichment::{retry_after, transport_error, with_retries, Failed, HttpSettings};
use crate::config::Env;
use crate::domain::content::writer::{parse_written, WriteRequest, Written};
use crate::domain::targeting::enrichment::{ProviderError, RetryPolicy};
use crate::error::{Error, Result};
use crate::ports::Writer;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// A client of the messages API. The key is never logged nor printed by
/// `Debug`.
pub struct AnthropicWriter {
    http: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
    base_url: String,
    api_key: String,
    model: String,
    max_tokens: u32,
    temperature: Option<f64>,
}

impl std::fmt::Debug for AnthropicWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicWriter")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .field("temperature", &self.temperature)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl AnthropicWriter {
    pub const NAME: &'static str = "anthropic";
    pub const API_VERSION: &'static str = "2023-06-01";
    pub const DEFAULT_URL: &'static str = "https://api.anthropic.com";
    /// An active Sonnet at the time of writing (Sonnet 4.5 was retired in
    /// May 2026); override with `AI_WRITER_MODEL`.
    pub const DEFAULT_MODEL: &'static str = "claude-sonnet-4-6";
    pub const DEFAULT_MAX_TOKENS: u32 = 1024;
    /// Some variety between leads without drifting from the evidence.
    pub const DEFAULT_TEMPERATURE: f64 = 0.7;
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_MAX_RETRIES: u32 = 1;
    /// Craft falls back to templates, so a long `retry-after` is not worth
    /// holding a Lambda for.
    pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);

    /// `base_url` is scheme and host (`https://api.anthropic.com`); the
    /// endpoint path is appended.
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        model: impl Into<String>,
        settings: HttpSettings,
    ) -> Result<Self> {
        Ok(Self {
            http: super::http::client()?,
            timeout: settings.timeout,
            retry: settings.retry,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
            model: model.into(),
            max_tokens: Self::DEFAULT_MAX_TOKENS,
            temperature: Some(Self::DEFAULT_TEMPERATURE),
        })
    }

    /// The cap on generated tokens (1024 unless told otherwise).
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// None leaves `temperature` out of the request: some newer models
    /// refuse a non-default value.
    pub fn with_temperature(mut self, temperature: Option<f64>) -> Self {
        self.temperature = temperature;
        self
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// None when `AI_WRITER_API_KEY` is unset or blank: the writer is off
    /// and craft uses the templates. Optional: `AI_WRITER_URL`,
    /// `AI_WRITER_MODEL`, `AI_WRITER_TIMEOUT_MS` (10000),
    /// `AI_WRITER_MAX_RETRIES` (1), `AI_WRITER_MAX_TOKENS` (1024),
    /// `AI_WRITER_TEMPERATURE` (0.7, or `none` to leave it out).
    pub fn from_env(env: &Env) -> Result<Option<Self>> {
        let Some(key) = env
            .get("AI_WRITER_API_KEY")
            .map(str::trim)
            .filter(|k| !k.is_empty())
        else {
            return Ok(None);
        };
        let url = env.get("AI_WRITER_URL").unwrap_or(Self::DEFAULT_URL);
        let model = env.get("AI_WRITER_MODEL").unwrap_or(Self::DEFAULT_MODEL);
        let timeout_ms = env.parse_or(
            "AI_WRITER_TIMEOUT_MS",
            Self::DEFAULT_TIMEOUT.as_millis() as u64,
        )?;
        if timeout_ms == 0 {
            return Err(Error::Config("AI_WRITER_TIMEOUT_MS must be above 0".into()));
        }
        let max_retries = env.parse_or("AI_WRITER_MAX_RETRIES", Self::DEFAULT_MAX_RETRIES)?;
        let max_tokens = env.parse_or("AI_WRITER_MAX_TOKENS", Self::DEFAULT_MAX_TOKENS)?;
        if max_tokens == 0 {
            return Err(Error::Config("AI_WRITER_MAX_TOKENS must be above 0".into()));
        }
        let temperature = match env.get("AI_WRITER_TEMPERATURE").map(str::trim) {
            None => Some(Self::DEFAULT_TEMPERATURE),
            Some(v) if v.eq_ignore_ascii_case("none") => None,
            Some(v) => Some(
                v.parse::<f64>()
                    .ok()
                    .filter(|t| (0.0..=1.0).contains(t))
                    .ok_or_else(|| {
                        Error::Config(format!(
                            "environment variable AI_WRITER_TEMPERATURE={v:?} is not within 0..=1 or none"
                        ))
                    })?,
            ),
        };
        let settings = HttpSettings {
            timeout: Duration::from_millis(timeout_ms),
            retry: RetryPolicy {
                max_retries,
                max_delay: Self::DEFAULT_MAX_DELAY,
                ..RetryPolicy::default()
            },
        };
        Ok(Some(
            Self::new(url, key, model, settings)?
                .with_max_tokens(max_tokens)
                .with_temperature(temperature),
        ))
    }

    /// Posts the request until a reply worth reading or the policy gives
    /// up: 429, 5xx (529 included) and transport errors are retried.
    async fn post(&self, body: &MessagesRequest<'_>) -> std::result::Result<Reply, ProviderError> {
        let url = format!("{}/v1/messages", self.base_url);
        with_retries(&self.retry, "the AI writer", || self.attempt(&url, body)).await
    }

    async fn attempt(
        &self,
        url: &str,
        body: &MessagesRequest<'_>,
    ) -> std::result::Result<Reply, Failed> {
        let response = self
            .http
            .post(url)
            .timeout(self.timeout)
            .header("x-api-key", &self.api_key)
            .header("anthropic-version", Self::API_VERSION)
            .json(body)
            .send()
            .await
            .map_err(|e| Failed::Retryable(transport_error(&e), None))?;
        let status = response.status().as_u16();
        let wait_hint = retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| Failed::Retryable(transport_error(&e), None))?;
        if status == 429 {
            let error = ApiError::read(&text);
            if error.spend_limit() {
                return Err(Failed::Final(ProviderError::Rejected(
                    error.describe(status),
                )));
            }
            return Err(Failed::Retryable(
                ProviderError::RateLimited {
                    retry_after: wait_hint,
                },
                wait_hint,
            ));
        }
        if status >= 500 {
            return Err(Failed::Retryable(
                ProviderError::Unavailable(ApiError::read(&text).describe(status)),
                wait_hint,
            ));
        }
        if !(200..300).contains(&status) {
            return Err(Failed::Final(ProviderError::Rejected(
                ApiError::read(&text).describe(status),
            )));
        }
        Ok(Reply { body: text })
    }
}

#[async_trait]
impl Writer for AnthropicWriter {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn write(&self, request: &WriteRequest) -> std::result::Result<Written, ProviderError> {
        let body = MessagesRequest {
            model: &self.model,
            max_tokens: self.max_tokens,
            system: &request.system,
            messages: [Message {
                role: "user",
                content: &request.user,
            }],
            temperature: self.temperature,
        };
        let reply = self.post(&body).await?;
        let message: MessagesResponse = serde_json::from_str(&reply.body)
            .map_err(|e| ProviderError::Malformed(format!("response: {e}")))?;
        match message.stop_reason.as_deref() {
            None | Some("end_turn" | "stop_sequence") => {}
            Some("max_tokens") => {
                return Err(ProviderError::Malformed(format!(
                    "the answer was cut at max_tokens ({})",
                    self.max_tokens
                )))
            }
            Some(other) => {
                return Err(ProviderError::Malformed(format!(
                    "the model stopped with {other:?}"
                )))
            }
        }
        let text: String = message
            .content
            .iter()
            .filter(|b| b.kind == "text")
            .filter_map(|b| b.text.as_deref())
            .collect();
        if text.trim().is_empty() {
            return Err(ProviderError::Malformed("no text in the answer".into()));
        }
        let (subject, body) = parse_written(&text, request).map_err(ProviderError::Malformed)?;
        Ok(Written {
            subject,
            body,
            model: message
                .model
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| self.model.clone()),
        })
    }
}

/// A 2xx body.
struct Reply {
    body: String,
}

#[derive(Serialize)]
struct MessagesRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    system: &'a str,
    messages: [Message<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Deserialize)]
struct MessagesResponse {
    #[serde(default)]
    content: Vec<ContentBlock>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

/// The API's error body, or the start of whatever came instead.
struct ApiError {
    kind: Option<String>,
    message: Option<String>,
    code: Option<String>,
    raw: String,
}

impl ApiError {
    fn read(body: &str) -> Self {
        let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let error = json.get("error");
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        Self {
            kind: text(error.and_then(|e| e.get("type"))),
            message: text(error.and_then(|e| e.get("message"))),
            code: text(
                error
                    .and_then(|e| e.get("details"))
                    .and_then(|d| d.get("error_code")),
            ),
            raw: body
                .chars()
                .take(200)
                .collect::<String>()
                .trim()
                .to_string(),
        }
    }

    fn spend_limit(&self) -> bool {
        self.code.as_deref() == Some("enforced_spend_limit_reached")
    }

    fn describe(&self, status: u16) -> String {
        match (&self.kind, &self.message) {
            (Some(kind), Some(message)) => format!("status {status} {kind}: {message}"),
            (None, Some(message)) => format!("status {status}: {message}"),
            (Some(kind), None) => format!("status {status} {kind}"),
            (None, None) if self.raw.is_empty() => format!("status {status}"),
            (None, None) => format!("status {status}: {}", self.raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn given_only_a_key_when_reading_the_env_then_the_defaults_apply() {
        let w = AnthropicWriter::from_env(&env(&[("AI_WRITER_API_KEY", "k")]))
            .unwrap()
            .unwrap();
        assert_eq!(w.base_url, "https://api.anthropic.com");
        assert_eq!(w.model, AnthropicWriter::DEFAULT_MODEL);
        assert_eq!(w.max_tokens, 1024);
        assert_eq!(w.temperature, Some(0.7));
        assert_eq!(w.retry.max_retries, 1);
        assert!(
            !format!("{w:?}").contains("\"k\""),
            "the key is not printed"
        );
    }

    #[test]
    fn given_settings_when_reading_the_env_then_they_are_used_or_refused() {
        let w = AnthropicWriter::from_env(&env(&[
            ("AI_WRITER_API_KEY", "k"),
            ("AI_WRITER_URL", "http://localhost:9/"),
            ("AI_WRITER_MODEL", "m"),
            ("AI_WRITER_MAX_RETRIES", "3"),
            ("AI_WRITER_MAX_TOKENS", "512"),
            ("AI_WRITER_TEMPERATURE", "none"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(w.base_url, "http://localhost:9");
        assert_eq!(w.model, "m");
        assert_eq!(w.retry.max_retries, 3);
        assert_eq!(w.max_tokens, 512);
        assert_eq!(w.temperature, None);
        for (name, bad) in [
            ("AI_WRITER_TIMEOUT_MS", "0"),
            ("AI_WRITER_TIMEOUT_MS", "soon"),
            ("AI_WRITER_MAX_RETRIES", "-1"),
            ("AI_WRITER_TEMPERATURE", "2"),
        ] {
            let e = env(&[("AI_WRITER_API_KEY", "k"), (name, bad)]);
            assert!(AnthropicWriter::from_env(&e).is_err(), "{name}={bad}");
        }
        let blank = env(&[("AI_WRITER_API_KEY", "  ")]);
        assert!(AnthropicWriter::from_env(&blank).unwrap().is_none());
    }

    #[test]
    fn given_error_bodies_when_describing_then_the_api_message_is_named() {
        let e = ApiError::read(
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        );
        assert_eq!(
            e.describe(401),
            "status 401 authentication_error: invalid x-api-key"
        );
        assert_eq!(ApiError::read("<html>").describe(502), "status 502: <html>");
        let spend = ApiError::read(
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"cap","details":{"error_code":"enforced_spend_limit_reached"}}}"#,
        );
        assert!(spend.spend_limit());
    }
}
