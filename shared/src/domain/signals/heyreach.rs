//! What a HeyReach webhook says (SPEC §9, LinkedIn): a connection request
//! sent or accepted, a reply, a campaign completed. HeyReach documents no
//! schema and its casing varies (PROVIDERS.md), so keys are read in either
//! snake or camel case; what we act on must be there, or the refusal names it.

use super::{bad, ParseError, SignalKind};
use crate::domain::targeting::suppression::canonical_email;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedinEvent {
    pub kind: SignalKind,
    /// HeyReach's id of the delivery, else a digest of what it says.
    pub event_id: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub profile_url: Option<String>,
    pub email: Option<String>,
    /// Our attempt id, when HeyReach echoes the custom field we gave it.
    pub attempt: Option<String>,
    /// The reply's text (the latest message the lead sent).
    pub message: Option<String>,
    pub campaign: Option<String>,
}

/// Both spellings of a key: `correlation_id` and `correlationId`.
fn key<'a>(v: &'a Value, snake: &str) -> Option<&'a Value> {
    if let Some(x) = v.get(snake) {
        return Some(x);
    }
    let mut camel = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            camel.extend(c.to_uppercase());
            up = false;
        } else {
            camel.push(c);
        }
    }
    v.get(camel.as_str()).or_else(|| {
        v.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(snake) || k.eq_ignore_ascii_case(&camel))
            .map(|(_, x)| x)
    })
}

fn text(v: &Value, snake: &str) -> Option<String> {
    match key(v, snake)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a HeyReach webhook body.
pub fn parse(body: &[u8]) -> Result<LinkedinEvent, ParseError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad("body", format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("body", "not a JSON object"));
    }
    let event = text(&v, "event_type").ok_or_else(|| bad("event_type", "missing"))?;
    let kind = match event.to_ascii_uppercase().as_str() {
        "CONNECTION_REQUEST_SENT" => SignalKind::LinkedinRequestSent,
        "CONNECTION_REQUEST_ACCEPTED" => SignalKind::LinkedinConnected,
        "MESSAGE_REPLY_RECEIVED" | "EVERY_MESSAGE_REPLY_RECEIVED" | "INMAIL_REPLY_RECEIVED" => {
            SignalKind::LinkedinReplied
        }
        "CAMPAIGN_COMPLETED" | "LEAD_FINISHED_CAMPAIGN" => SignalKind::LinkedinCompleted,
        other => {
            return Err(bad(
                "event_type",
                format!("{other:?} is not one we act on (connection request sent/accepted, message reply, campaign completed)"),
            ))
        }
    };
    let lead = key(&v, "lead").filter(|l| l.is_object());
    let profile_url = lead
        .and_then(|l| text(l, "profile_url").or_else(|| text(l, "linkedin_url")))
        .map(|u| u.trim_end_matches('/').to_ascii_lowercase());
    let email = lead
        .and_then(|l| text(l, "email_address").or_else(|| text(l, "email")))
        .and_then(|e| canonical_email(&e));
    let attempt = lead
        .and_then(|l| key(l, "custom_fields").or_else(|| key(l, "custom_user_fields")))
        .and_then(Value::as_array)
        .and_then(|fields| {
            fields
                .iter()
                .find(|f| text(f, "name").as_deref() == Some("attempt"))
                .and_then(|f| text(f, "value"))
        });
    if profile_url.is_none() && email.is_none() && attempt.is_none() {
        return Err(bad(
            "lead",
            "neither a profile_url, an email_address nor our attempt field: cannot tell who this is about",
        ));
    }
    let message = key(&v, "recent_messages")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter()
                .filter(|m| key(m, "is_reply").and_then(Value::as_bool) != Some(false))
                .filter_map(|m| text(m, "message"))
                .next_back()
        })
        .or_else(|| text(&v, "message"));
    if kind == SignalKind::LinkedinReplied && message.is_none() {
        return Err(bad("recent_messages", "a reply without its message"));
    }
    let occurred_at = text(&v, "timestamp").and_then(|t| {
        DateTime::parse_from_rfc3339(&t)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    });
    let campaign = key(&v, "campaign").and_then(|c| text(c, "id").or_else(|| text(c, "name")));
    let event_id = match text(&v, "correlation_id") {
        Some(id) => format!("{id}#{}", kind.as_str()),
        // No id: what it says is its identity, so a redelivery is the same.
        None => {
            let who = attempt
                .clone()
                .or_else(|| profile_url.clone())
                .or_else(|| email.clone())
                .unwrap_or_default();
            let digest = Sha256::digest(
                format!(
                    "{}|{who}|{}|{}",
                    kind.as_str(),
                    text(&v, "timestamp").unwrap_or_default(),
                    message.clone().unwrap_or_default()
                )
                .as_bytes(),
            );
            format!("{}#{}", kind.as_str(), &hex::encode(digest)[..32])
        }
    };
    Ok(LinkedinEvent {
        kind,
        event_id,
        occurred_at,
        profile_url,
        email,
        attempt,
        message,
        campaign,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn body(v: Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn an_acceptance_reads_in_either_casing() {
        for v in [
            json!({"correlation_id": "c1", "event_type": "CONNECTION_REQUEST_ACCEPTED", "timestamp": "2026-12-01T10:00:00Z",
                   "lead": {"profile_url": "https://www.linkedin.com/in/Jo/", "email_address": "Jo@Desert.example"}}),
            json!({"correlationId": "c1", "eventType": "CONNECTION_REQUEST_ACCEPTED", "timestamp": "2026-12-01T10:00:00Z",
                   "lead": {"profileUrl": "https://www.linkedin.com/in/Jo/", "emailAddress": "Jo@Desert.example"}}),
        ] {
            let e = parse(&body(v)).unwrap();
            assert_eq!(e.kind, SignalKind::LinkedinConnected);
            assert_eq!(e.event_id, "c1#linkedin_connected");
            assert_eq!(
                e.profile_url.as_deref(),
                Some("https://www.linkedin.com/in/jo")
            );
            assert_eq!(e.email.as_deref(), Some("jo@desert.example"));
        }
    }

    #[test]
    fn a_reply_carries_the_leads_latest_message_and_our_attempt() {
        let v = json!({"event_type": "MESSAGE_REPLY_RECEIVED",
            "lead": {"profile_url": "https://linkedin.com/in/jo", "custom_fields": [{"name": "attempt", "value": "L1-03-ab"}]},
            "recent_messages": [{"message": "Hi Jo, ...", "is_reply": false}, {"message": "Sure, call me Tuesday", "is_reply": true}]});
        let e = parse(&body(v.clone())).unwrap();
        assert_eq!(e.message.as_deref(), Some("Sure, call me Tuesday"));
        assert_eq!(e.attempt.as_deref(), Some("L1-03-ab"));
        // Without a correlation id, a redelivery has the same id.
        assert_eq!(parse(&body(v)).unwrap().event_id, e.event_id);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            (json!({"lead": {"profile_url": "x"}}), "event_type"),
            (
                json!({"event_type": "PROFILE_VIEWED", "lead": {"profile_url": "x"}}),
                "event_type",
            ),
            (
                json!({"event_type": "CONNECTION_REQUEST_SENT", "lead": {}}),
                "lead",
            ),
            (
                json!({"event_type": "MESSAGE_REPLY_RECEIVED", "lead": {"profile_url": "x"}}),
                "recent_messages",
            ),
            (json!([1, 2]), "body"),
        ];
        for (v, field) in cases {
            assert_eq!(parse(&body(v)).unwrap_err().field, field);
        }
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_json_shape_never_panics(s in "\\{\"event_type\": \"(CONNECTION_REQUEST_ACCEPTED|MESSAGE_REPLY_RECEIVED)\", \"lead\": \\{\"[a-z_]{1,12}\": \"[^\"]{0,20}\"\\}, \"recent_messages\": \\[\\{\"message\": \"[^\"]{0,10}\"\\}\\]\\}") {
            let _ = parse(s.as_bytes());
        }
    }
}
