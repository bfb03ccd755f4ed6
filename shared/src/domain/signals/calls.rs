//! What a Retell webhook says about an AI call (SPEC §9 voice): the call
//! outcome, the recording, and whether the person asked for the recording
//! to be sent. Our agent reports its verdict in
//! `call_analysis.custom_analysis_data` (`outcome`, `email`,
//! `recording_followup_requested`); where it says nothing, Retell's own
//! fields decide (voicemail, not connected).

use super::{bad, ParseError};
use crate::domain::targeting::suppression::canonical_email;
use serde_json::Value;

/// SPEC §9's call outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    Booked,
    Dnc,
    Rejected,
    ContactedClosed,
    Voicemail,
    EmailCaptured,
    Unknown,
    /// Not connected: no answer, busy, or the dial failed (Retell's
    /// `dial_no_answer`, `dial_busy`, `dial_failed`).
    NoAnswer,
}

impl CallOutcome {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "booked" => CallOutcome::Booked,
            "dnc" => CallOutcome::Dnc,
            "rejected" => CallOutcome::Rejected,
            "contacted_closed" => CallOutcome::ContactedClosed,
            "voicemail" => CallOutcome::Voicemail,
            "email_captured" => CallOutcome::EmailCaptured,
            "unknown" => CallOutcome::Unknown,
            "no_answer" => CallOutcome::NoAnswer,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// `call_started`, `call_ended` or `call_analyzed`.
    pub event: String,
    pub call_id: String,
    /// None until the call ended.
    pub outcome: Option<CallOutcome>,
    /// Why it was read so ("agent: booked", "retell: voicemail_reached").
    pub evidence: String,
    pub recording_url: Option<String>,
    pub captured_email: Option<String>,
    pub recording_followup_requested: bool,
    /// Our ids, as given when the call was placed (`metadata`).
    pub tenant: Option<String>,
    pub lead_id: Option<String>,
    pub attempt_id: Option<String>,
}

impl CallEvent {
    pub fn event_id(&self) -> String {
        format!("{}#{}", self.call_id, self.event)
    }
}

/// Reads a Retell webhook body.
pub fn parse(body: &[u8]) -> Result<CallEvent, ParseError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad("body", format!("not JSON: {e}")))?;
    let event = v
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("event", "missing"))?;
    if !matches!(event, "call_started" | "call_ended" | "call_analyzed") {
        return Err(bad("event", format!("unknown event {event:?}")));
    }
    let call = v
        .get("call")
        .filter(|c| c.is_object())
        .ok_or_else(|| bad("call", "missing"))?;
    let text = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let call_id = text(call, "call_id").ok_or_else(|| bad("call.call_id", "missing"))?;
    let analysis = call.get("call_analysis").cloned().unwrap_or(Value::Null);
    let custom = analysis
        .get("custom_analysis_data")
        .cloned()
        .unwrap_or(Value::Null);
    let captured_email = match text(&custom, "email") {
        Some(raw) => Some(canonical_email(&raw).ok_or_else(|| {
            bad(
                "call.call_analysis.custom_analysis_data.email",
                format!("{raw:?} is not an email address"),
            )
        })?),
        None => None,
    };
    let said = match text(&custom, "outcome") {
        Some(o) => Some(CallOutcome::parse(&o).ok_or_else(|| {
            bad(
                "call.call_analysis.custom_analysis_data.outcome",
                format!("{o:?} is not one of booked, dnc, rejected, contacted_closed, voicemail, email_captured, unknown"),
            )
        })?),
        None => None,
    };
    let reason = text(call, "disconnection_reason").unwrap_or_default();
    let in_voicemail = analysis.get("in_voicemail").and_then(Value::as_bool) == Some(true);
    let (outcome, evidence) = if event == "call_started" {
        (None, "call started".to_string())
    } else if let Some(o) = said {
        (Some(o), format!("agent: {o:?}"))
    } else if in_voicemail || reason == "voicemail_reached" {
        (
            Some(CallOutcome::Voicemail),
            format!("retell: voicemail ({reason})"),
        )
    } else if matches!(
        reason.as_str(),
        "dial_no_answer" | "dial_busy" | "dial_failed"
    ) {
        (
            Some(CallOutcome::NoAnswer),
            format!("retell: not connected ({reason})"),
        )
    } else if captured_email.is_some() {
        (
            Some(CallOutcome::EmailCaptured),
            "agent captured an email".to_string(),
        )
    } else {
        (
            Some(CallOutcome::Unknown),
            format!(
                "retell: {}",
                if reason.is_empty() {
                    "no verdict"
                } else {
                    &reason
                }
            ),
        )
    };
    let followup = custom
        .get("recording_followup_requested")
        .and_then(|f| {
            f.as_bool()
                .or_else(|| f.as_str().map(|s| s.eq_ignore_ascii_case("true")))
        })
        .unwrap_or(false);
    let meta = call.get("metadata").cloned().unwrap_or(Value::Null);
    Ok(CallEvent {
        event: event.to_string(),
        call_id,
        outcome,
        evidence,
        recording_url: text(call, "recording_url"),
        captured_email,
        recording_followup_requested: followup,
        tenant: text(&meta, "tenant"),
        // The keys the Retell sender writes; the `_id` spellings also read.
        lead_id: text(&meta, "lead").or_else(|| text(&meta, "lead_id")),
        attempt_id: text(&meta, "attempt").or_else(|| text(&meta, "attempt_id")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ended(custom: Value, reason: &str, in_voicemail: bool) -> Vec<u8> {
        json!({"event": "call_analyzed", "call": {
            "call_id": "call_1", "call_status": "ended", "disconnection_reason": reason,
            "recording_url": "https://recordings.example/call_1.wav",
            "metadata": {"tenant": "acme", "lead_id": "l1", "attempt_id": "l1-02-x"},
            "call_analysis": {"in_voicemail": in_voicemail, "custom_analysis_data": custom},
        }})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn the_agents_verdict_wins_then_retells_own_fields() {
        let e = parse(&ended(
            json!({"outcome": "booked", "recording_followup_requested": true}),
            "user_hangup",
            false,
        ))
        .unwrap();
        assert_eq!(e.outcome, Some(CallOutcome::Booked));
        assert!(e.recording_followup_requested);
        assert_eq!(
            e.recording_url.as_deref(),
            Some("https://recordings.example/call_1.wav")
        );
        assert_eq!(
            (e.tenant.as_deref(), e.lead_id.as_deref()),
            (Some("acme"), Some("l1"))
        );
        assert_eq!(e.event_id(), "call_1#call_analyzed");
        let vm = parse(&ended(json!({}), "voicemail_reached", false)).unwrap();
        assert_eq!(vm.outcome, Some(CallOutcome::Voicemail));
        assert!(vm.evidence.contains("voicemail_reached"));
        assert_eq!(
            parse(&ended(json!({}), "user_hangup", true))
                .unwrap()
                .outcome,
            Some(CallOutcome::Voicemail)
        );
        let mail = parse(&ended(
            json!({"email": " Jo@Dealer.Example"}),
            "user_hangup",
            false,
        ))
        .unwrap();
        assert_eq!(mail.outcome, Some(CallOutcome::EmailCaptured));
        assert_eq!(mail.captured_email.as_deref(), Some("jo@dealer.example"));
        // Not connected: dialled again later by the desk.
        for reason in ["dial_no_answer", "dial_busy", "dial_failed"] {
            let none = parse(&ended(json!(null), reason, false)).unwrap();
            assert_eq!(none.outcome, Some(CallOutcome::NoAnswer), "{reason}");
            assert!(none.evidence.contains(reason));
            assert!(!none.recording_followup_requested);
        }
        let none = parse(&ended(json!(null), "user_hangup", false)).unwrap();
        assert_eq!(none.outcome, Some(CallOutcome::Unknown));
        for (said, want) in [
            ("dnc", CallOutcome::Dnc),
            ("REJECTED", CallOutcome::Rejected),
            ("contacted_closed", CallOutcome::ContactedClosed),
        ] {
            assert_eq!(
                parse(&ended(json!({"outcome": said}), "user_hangup", false))
                    .unwrap()
                    .outcome,
                Some(want)
            );
        }
        let started = json!({"event": "call_started", "call": {"call_id": "call_1"}}).to_string();
        assert_eq!(parse(started.as_bytes()).unwrap().outcome, None);
    }

    #[test]
    fn a_bad_body_names_its_field() {
        for (raw, field) in [
            (b"{".to_vec(), "body"),
            (json!({"call": {}}).to_string().into_bytes(), "event"),
            (
                json!({"event": "call_exploded", "call": {}})
                    .to_string()
                    .into_bytes(),
                "event",
            ),
            (
                json!({"event": "call_ended"}).to_string().into_bytes(),
                "call",
            ),
            (
                json!({"event": "call_ended", "call": {}})
                    .to_string()
                    .into_bytes(),
                "call.call_id",
            ),
            (
                ended(json!({"outcome": "maybe"}), "", false),
                "call.call_analysis.custom_analysis_data.outcome",
            ),
            (
                ended(json!({"email": "not-an-email"}), "", false),
                "call.call_analysis.custom_analysis_data.email",
            ),
        ] {
            assert_eq!(
                parse(&raw).unwrap_err().field,
                field,
                "{}",
                String::from_utf8_lossy(&raw)
            );
        }
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(raw in any::<Vec<u8>>()) {
            let _ = parse(&raw);
        }
    }
}
