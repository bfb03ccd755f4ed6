//! What a Calendly webhook says (SPEC §9 scheduling): a meeting booked or
//! cancelled, by whom, and the tracking values the booking link carried.
//! A reschedule arrives as a cancellation marked `rescheduled` followed by
//! a new booking: it is not a cancellation of the meeting.

use super::{bad, ParseError};
use crate::domain::targeting::suppression::canonical_email;
use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingKind {
    Booked,
    Cancelled,
    /// The cancelled half of a reschedule: the meeting still stands.
    Rescheduled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub kind: BookingKind,
    /// The invitee's URI: Calendly's id of this booking.
    pub invitee: String,
    pub email: String,
    pub name: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    /// `utm_content` / `utm_campaign` of the link: the lead and campaign
    /// ids the booking link was given.
    pub utm_content: Option<String>,
    pub utm_campaign: Option<String>,
}

impl Booking {
    /// The event's id: the invitee and what happened to it.
    pub fn event_id(&self) -> String {
        format!("{}#{:?}", self.invitee, self.kind)
    }
}

/// Reads a Calendly webhook body.
pub fn parse(body: &[u8]) -> Result<Booking, ParseError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad("body", format!("not JSON: {e}")))?;
    let event = v
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("event", "missing"))?;
    let p = v
        .get("payload")
        .filter(|p| p.is_object())
        .ok_or_else(|| bad("payload", "missing"))?;
    let text = |path: &[&str]| {
        let mut at = p;
        for key in path {
            at = at.get(key)?;
        }
        at.as_str().map(str::trim).filter(|s| !s.is_empty())
    };
    let rescheduled = p.get("rescheduled").and_then(Value::as_bool) == Some(true);
    let kind = match event {
        "invitee.created" => BookingKind::Booked,
        "invitee.canceled" if rescheduled => BookingKind::Rescheduled,
        "invitee.canceled" => BookingKind::Cancelled,
        other => return Err(bad("event", format!("not a booking event: {other:?}"))),
    };
    let raw_email = text(&["email"]).ok_or_else(|| bad("payload.email", "missing"))?;
    let email = canonical_email(raw_email).ok_or_else(|| {
        bad(
            "payload.email",
            format!("{raw_email:?} is not an email address"),
        )
    })?;
    let invitee = text(&["uri"])
        .ok_or_else(|| bad("payload.uri", "missing"))?
        .to_string();
    let starts_at = match text(&["scheduled_event", "start_time"]) {
        Some(t) => Some(
            DateTime::parse_from_rfc3339(t)
                .map_err(|_| {
                    bad(
                        "payload.scheduled_event.start_time",
                        format!("{t:?} is not a time"),
                    )
                })?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    Ok(Booking {
        kind,
        invitee,
        email,
        name: text(&["name"]).map(str::to_string),
        starts_at,
        utm_content: text(&["tracking", "utm_content"]).map(str::to_string),
        utm_campaign: text(&["tracking", "utm_campaign"]).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn body(event: &str, rescheduled: bool) -> Vec<u8> {
        json!({
            "event": event,
            "created_at": "2026-12-01T17:00:00.000000Z",
            "payload": {
                "email": " Owner@Dealer.Example ",
                "name": "Jo Owner",
                "uri": "https://api.calendly.com/scheduled_events/EV1/invitees/INV1",
                "rescheduled": rescheduled,
                "scheduled_event": {"start_time": "2026-12-03T16:00:00.000000Z"},
                "tracking": {"utm_campaign": "mountain-west", "utm_content": "lead-123", "utm_source": null},
            }
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_booking_a_cancellation_and_a_reschedule_are_told_apart() {
        let b = parse(&body("invitee.created", false)).unwrap();
        assert_eq!(b.kind, BookingKind::Booked);
        assert_eq!(b.email, "owner@dealer.example");
        assert_eq!(b.utm_content.as_deref(), Some("lead-123"));
        assert_eq!(b.utm_campaign.as_deref(), Some("mountain-west"));
        assert_eq!(b.starts_at, Some("2026-12-03T16:00:00Z".parse().unwrap()));
        assert_eq!(
            parse(&body("invitee.canceled", false)).unwrap().kind,
            BookingKind::Cancelled
        );
        let r = parse(&body("invitee.canceled", true)).unwrap();
        assert_eq!(r.kind, BookingKind::Rescheduled);
        assert_ne!(r.event_id(), b.event_id());
    }

    #[test]
    fn a_bad_body_names_its_field() {
        for (raw, field) in [
            (b"not json".to_vec(), "body"),
            (json!({"payload": {}}).to_string().into_bytes(), "event"),
            (json!({"event": "routing_form_submission.created", "payload": {}}).to_string().into_bytes(), "event"),
            (json!({"event": "invitee.created"}).to_string().into_bytes(), "payload"),
            (json!({"event": "invitee.created", "payload": {"uri": "u"}}).to_string().into_bytes(), "payload.email"),
            (json!({"event": "invitee.created", "payload": {"email": "nope", "uri": "u"}}).to_string().into_bytes(), "payload.email"),
            (json!({"event": "invitee.created", "payload": {"email": "a@b.example"}}).to_string().into_bytes(), "payload.uri"),
            (json!({"event": "invitee.created", "payload": {"email": "a@b.example", "uri": "u", "scheduled_event": {"start_time": "soon"}}}).to_string().into_bytes(), "payload.scheduled_event.start_time"),
        ] {
            assert_eq!(parse(&raw).unwrap_err().field, field, "{}", String::from_utf8_lossy(&raw));
        }
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(raw in any::<Vec<u8>>()) {
            let _ = parse(&raw);
        }
    }
}
