//! Twilio's webhooks: SMS status, inbound SMS (STOP / START / a reply),
//! call status. The URL is `/webhooks/twilio?tenant=<id>` (dispatch adds
//! `&lead=` and `&attempt=` to the status callbacks it asks for); Twilio
//! signs it with the form, keyed with the tenant's auth token. It signs no
//! timestamp: a redelivery is the same sid and status, applied once.

use super::*;
use shared::domain::providers::ProviderKind;
use shared::domain::signals::replies::{classify, Reply};
use shared::domain::signals::schemes::{verify_twilio, verify_twilio_json};
use shared::domain::signals::twilio::{parse, CallStatus, Keyword, SmsStatus, TwilioEvent};
use shared::domain::signals::ReplyNote;
use shared::domain::targeting::suppression::canonical_phone;

impl App {
    pub(crate) async fn twilio(
        &self,
        req: &ApiGatewayV2httpRequest,
        body: String,
    ) -> Result<(u16, Value)> {
        let tenant = query(req, "tenant")
            .ok_or_else(|| Error::invalid("tenant", "the webhook URL must carry ?tenant=<id>"))?
            .to_string();
        let signature = header(req, "x-twilio-signature").unwrap_or_default();
        if signature.is_empty() {
            return Err(unauthorized(
                "twilio",
                SignatureError::Missing("X-Twilio-Signature"),
            ));
        }
        let (_, secret) = self
            .tenant_secret(&tenant, "twilio", |c| {
                [c.providers.sms.as_ref(), c.providers.voice.as_ref()]
                    .into_iter()
                    .flatten()
                    .find(|p| p.provider == ProviderKind::Twilio)
                    .map(|p| p.secret.clone())
            })
            .await?;
        let token = secret["auth_token"].as_str().unwrap_or_default();
        let url = self.signed_url(req);
        let content_type = header(req, "content-type").unwrap_or_default();
        let params: Vec<(String, String)> = if content_type
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            verify_twilio_json(token, &url, body.as_bytes(), signature)
                .map_err(|e| unauthorized("twilio", e))?;
            flat_json(&body)?
        } else {
            let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            verify_twilio(token, &url, &params, signature)
                .map_err(|e| unauthorized("twilio", e))?;
            params
        };
        let event = parse(&params).map_err(malformed)?;
        let now = self.clock.now();
        let mut signal = Signal {
            provider: "twilio".into(),
            event_id: event.event_id(),
            tenant: tenant.clone(),
            occurred_at: now,
            attempt: query(req, "attempt").map(str::to_string),
            ..Signal::default()
        };
        let (kind, phone) = match &event {
            TwilioEvent::SmsStatus {
                status,
                error_code,
                to,
                ..
            } => {
                signal.detail = match error_code {
                    Some(code) => format!("{status:?}, error {code}").to_lowercase(),
                    None => format!("{status:?}").to_lowercase(),
                };
                let kind = match status {
                    SmsStatus::Delivered => Some(SignalKind::SmsDelivered),
                    SmsStatus::Undelivered | SmsStatus::Failed => Some(SignalKind::SmsFailed),
                    _ => None,
                };
                (kind, to.clone())
            }
            TwilioEvent::InboundSms {
                from,
                body: text,
                keyword,
                ..
            } => {
                let kind = match keyword {
                    Some(Keyword::Stop) => SignalKind::SmsStop,
                    Some(Keyword::Start) => SignalKind::SmsStart,
                    None => {
                        let c = classify(&Reply {
                            channel: "sms",
                            headers: &[],
                            subject: "",
                            body: text,
                            received_at: now,
                        });
                        signal.reply = Some(ReplyNote {
                            class: c.class,
                            evidence: c.evidence,
                            return_date: c.return_date,
                            referral_email: c.referral_email,
                        });
                        SignalKind::SmsReplied
                    }
                };
                signal.detail = format!("\"{}\"", text.chars().take(80).collect::<String>());
                (Some(kind), from.clone())
            }
            TwilioEvent::CallStatus {
                status,
                duration_secs,
                answered_by,
                to,
                ..
            } => {
                signal.detail = format!(
                    "call {status:?}{}{}",
                    duration_secs.map_or(String::new(), |d| format!(", {d} s")),
                    answered_by
                        .as_deref()
                        .map_or(String::new(), |a| format!(", answered by {a}"))
                )
                .to_lowercase();
                let machine = answered_by
                    .as_deref()
                    .is_some_and(|a| a.starts_with("machine") || a == "fax");
                let kind = match status {
                    CallStatus::Completed if machine => Some(SignalKind::CallVoicemail),
                    CallStatus::Completed => Some(SignalKind::CallStatus),
                    // Nobody reached: the desk dials again later.
                    CallStatus::Busy | CallStatus::NoAnswer | CallStatus::Failed => {
                        Some(SignalKind::CallNoAnswer)
                    }
                    CallStatus::Canceled => Some(SignalKind::CallStatus),
                    _ => None,
                };
                (kind, to.clone())
            }
        };
        let Some(kind) = kind else {
            return self.ignore("twilio", signature, &body).await;
        };
        signal.kind = kind;
        signal.phone = canonical_phone(&phone);
        let lead_hint = query(req, "lead").or(signal.attempt.as_deref().and_then(lead_of_attempt));
        signal.lead_id = self
            .find_lead(&tenant, lead_hint, None, signal.phone.as_deref())
            .await?;
        self.ingest(signal, Some(signature), &body).await
    }

    /// The URL Twilio signed: our public base, the route, and the query
    /// exactly as it arrived.
    fn signed_url(&self, req: &ApiGatewayV2httpRequest) -> String {
        let base = self
            .public_url
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/');
        let path = req.raw_path.as_deref().unwrap_or("/webhooks/twilio");
        match req.raw_query_string.as_deref().filter(|q| !q.is_empty()) {
            Some(q) => format!("{base}{path}?{q}"),
            None => format!("{base}{path}"),
        }
    }
}

/// A JSON body's top-level fields as form parameters (strings and numbers).
fn flat_json(body: &str) -> Result<Vec<(String, String)>> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| Error::invalid("body", format!("not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| Error::invalid("body", "not a JSON object"))?;
    Ok(obj
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.clone(), s.clone())),
            Value::Number(n) => Some((k.clone(), n.to_string())),
            _ => None,
        })
        .collect())
}
