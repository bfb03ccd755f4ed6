//! What a Twilio webhook says, read strictly from its form parameters:
//! an SMS status, an inbound SMS (and whether it is an opt-out or opt-in
//! keyword), or a call status. A missing or unknown field is named.

use super::bad;
pub use super::ParseError;
use crate::domain::targeting::suppression::canonical_phone;

/// A Twilio webhook, as far as the system acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioEvent {
    SmsStatus {
        sid: String,
        status: SmsStatus,
        /// Twilio's error code on `failed` / `undelivered` (30003, 21610...).
        error_code: Option<u32>,
        to: String,
    },
    InboundSms {
        sid: String,
        from: String,
        to: String,
        body: String,
        keyword: Option<Keyword>,
    },
    CallStatus {
        sid: String,
        status: CallStatus,
        duration_secs: Option<u32>,
        answered_by: Option<String>,
        to: String,
    },
}

impl TwilioEvent {
    /// The provider's id of this event: the sid and what it says, so a
    /// redelivery of one status is the same event and the next status is
    /// another.
    pub fn event_id(&self) -> String {
        match self {
            TwilioEvent::SmsStatus { sid, status, .. } => format!("{sid}#{status:?}"),
            TwilioEvent::InboundSms { sid, .. } => sid.clone(),
            TwilioEvent::CallStatus { sid, status, .. } => format!("{sid}#{status:?}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsStatus {
    Accepted,
    Scheduled,
    Queued,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Receiving,
    Received,
    Read,
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Queued,
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Busy,
    Failed,
    NoAnswer,
    Canceled,
}

/// The opt-out and opt-in keywords carriers and Twilio honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT: the
    /// number is do-not-contact on every channel.
    Stop,
    /// START, UNSTOP: reverses only what a STOP did.
    Start,
}

/// The keyword an SMS is, if the whole message is one (case, spaces and
/// trailing punctuation aside): "Stop." is an opt-out, "don't stop" is not.
pub fn keyword(body: &str) -> Option<Keyword> {
    let word: String = body
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .trim()
        .to_uppercase();
    match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT" => {
            Some(Keyword::Stop)
        }
        "START" | "UNSTOP" => Some(Keyword::Start),
        _ => None,
    }
}

/// Reads a webhook's form parameters.
pub fn parse(params: &[(String, String)]) -> Result<TwilioEvent, ParseError> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let need = |name: &'static str| get(name).ok_or_else(|| bad(name, "missing"));
    let number = |name: &'static str| -> Result<String, ParseError> {
        let raw = need(name)?;
        canonical_phone(raw).ok_or_else(|| bad(name, format!("{raw:?} is not a phone number")))
    };
    if let Some(status) = get("CallStatus") {
        let sid = need("CallSid")?.to_string();
        let status = match status {
            "queued" => CallStatus::Queued,
            "initiated" => CallStatus::Initiated,
            "ringing" => CallStatus::Ringing,
            "in-progress" => CallStatus::InProgress,
            "completed" => CallStatus::Completed,
            "busy" => CallStatus::Busy,
            "failed" => CallStatus::Failed,
            "no-answer" => CallStatus::NoAnswer,
            "canceled" => CallStatus::Canceled,
            other => return Err(bad("CallStatus", format!("unknown status {other:?}"))),
        };
        let duration_secs = match get("CallDuration") {
            Some(d) => Some(
                d.parse()
                    .map_err(|_| bad("CallDuration", format!("{d:?} is not whole seconds")))?,
            ),
            None => None,
        };
        return Ok(TwilioEvent::CallStatus {
            sid,
            status,
            duration_secs,
            answered_by: get("AnsweredBy").map(str::to_string),
            to: number("To")?,
        });
    }
    let sid = get("MessageSid")
        .or_else(|| get("SmsSid"))
        .ok_or_else(|| bad("MessageSid", "missing (and no CallStatus either)"))?
        .to_string();
    let status = get("MessageStatus").or_else(|| get("SmsStatus"));
    let inbound =
        matches!(status, Some("received") | None) && params.iter().any(|(k, _)| k == "Body");
    match status {
        _ if inbound => {
            let body = params
                .iter()
                .find(|(k, _)| k == "Body")
                .map(|(_, v)| v.clone())
                .ok_or_else(|| bad("Body", "missing"))?;
            Ok(TwilioEvent::InboundSms {
                sid,
                from: number("From")?,
                to: number("To")?,
                keyword: keyword(&body),
                body,
            })
        }
        None => Err(bad("MessageStatus", "missing (and no Body either)")),
        Some(status) => {
            let status = match status {
                "accepted" => SmsStatus::Accepted,
                "scheduled" => SmsStatus::Scheduled,
                "queued" => SmsStatus::Queued,
                "sending" => SmsStatus::Sending,
                "sent" => SmsStatus::Sent,
                "delivered" => SmsStatus::Delivered,
                "undelivered" => SmsStatus::Undelivered,
                "failed" => SmsStatus::Failed,
                "receiving" => SmsStatus::Receiving,
                "received" => SmsStatus::Received,
                "read" => SmsStatus::Read,
                "canceled" => SmsStatus::Canceled,
                other => return Err(bad("MessageStatus", format!("unknown status {other:?}"))),
            };
            let error_code = match get("ErrorCode") {
                Some(c) => Some(
                    c.parse()
                        .map_err(|_| bad("ErrorCode", format!("{c:?} is not a number")))?,
                ),
                None => None,
            };
            Ok(TwilioEvent::SmsStatus {
                sid,
                status,
                error_code,
                to: number("To")?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_stop_family_and_start_are_keywords_only_as_the_whole_message() {
        for stop in [
            "STOP",
            "stop",
            " Stop. ",
            "STOPALL",
            "unsubscribe",
            "Cancel",
            "END",
            "quit!",
            "REVOKE",
            "optout",
        ] {
            assert_eq!(keyword(stop), Some(Keyword::Stop), "{stop}");
        }
        for start in ["START", "unstop"] {
            assert_eq!(keyword(start), Some(Keyword::Start), "{start}");
        }
        for text in [
            "don't stop",
            "stop calling me please",
            "the end",
            "started",
            "",
        ] {
            assert_eq!(keyword(text), None, "{text}");
        }
    }

    #[test]
    fn an_inbound_stop_a_status_and_a_call_are_read() {
        let stop = parse(&form(&[
            ("MessageSid", "SM1"),
            ("From", "+1 (602) 555-0100"),
            ("To", "+16025550199"),
            ("Body", "Stop"),
            ("NumMedia", "0"),
        ]))
        .unwrap();
        assert_eq!(
            stop,
            TwilioEvent::InboundSms {
                sid: "SM1".into(),
                from: "+16025550100".into(),
                to: "+16025550199".into(),
                body: "Stop".into(),
                keyword: Some(Keyword::Stop),
            }
        );
        let failed = parse(&form(&[
            ("MessageSid", "SM2"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
            ("To", "+16025550100"),
        ]))
        .unwrap();
        assert_eq!(failed.event_id(), "SM2#Undelivered");
        assert!(matches!(
            failed,
            TwilioEvent::SmsStatus {
                status: SmsStatus::Undelivered,
                error_code: Some(30003),
                ..
            }
        ));
        let call = parse(&form(&[
            ("CallSid", "CA1"),
            ("CallStatus", "completed"),
            ("CallDuration", "42"),
            ("AnsweredBy", "machine_start"),
            ("To", "+16025550100"),
        ]))
        .unwrap();
        assert_eq!(call.event_id(), "CA1#Completed");
        assert!(matches!(
            call,
            TwilioEvent::CallStatus {
                duration_secs: Some(42),
                ..
            }
        ));
    }

    #[test]
    fn a_bad_payload_names_its_field() {
        for (pairs, field) in [
            (
                vec![
                    ("CallStatus", "done"),
                    ("CallSid", "CA1"),
                    ("To", "+16025550100"),
                ],
                "CallStatus",
            ),
            (
                vec![("CallStatus", "completed"), ("To", "+16025550100")],
                "CallSid",
            ),
            (
                vec![
                    ("CallStatus", "busy"),
                    ("CallSid", "CA1"),
                    ("CallDuration", "4.5"),
                    ("To", "+16025550100"),
                ],
                "CallDuration",
            ),
            (
                vec![("MessageStatus", "sent"), ("To", "+16025550100")],
                "MessageSid",
            ),
            (
                vec![
                    ("MessageSid", "SM1"),
                    ("MessageStatus", "lost"),
                    ("To", "+16025550100"),
                ],
                "MessageStatus",
            ),
            (
                vec![
                    ("MessageSid", "SM1"),
                    ("MessageStatus", "failed"),
                    ("ErrorCode", "x"),
                    ("To", "+16025550100"),
                ],
                "ErrorCode",
            ),
            (
                vec![
                    ("MessageSid", "SM1"),
                    ("Body", "hi"),
                    ("From", "nope"),
                    ("To", "+16025550100"),
                ],
                "From",
            ),
        ] {
            let err = parse(&form(&pairs)).unwrap_err();
            assert_eq!(err.field, field, "{pairs:?}: {err}");
        }
    }

    proptest! {
        #[test]
        fn any_form_never_panics(pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..8)) {
            let _ = parse(&pairs);
        }
    }
}
