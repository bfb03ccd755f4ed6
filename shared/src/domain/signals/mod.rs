//! Provider signals normalised to one shape, and what each does to a lead
//! and its sequence (SPEC §6 and §9).

pub mod bookings;
pub mod calls;
pub mod effects;
pub mod heyreach;
pub mod inbound;
pub mod replies;
pub mod schemes;
pub mod signature;
pub mod twilio;

use super::touch::Channel;

/// Why a provider's payload was refused (a 400): the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ParseError {
    pub field: String,
    pub reason: String,
}

/// A `ParseError` naming `field`.
pub(crate) fn bad(field: &str, reason: impl Into<String>) -> ParseError {
    ParseError {
        field: field.into(),
        reason: reason.into(),
    }
}
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What a provider said happened, on any channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    #[default]
    Delivered,
    Opened,
    Clicked,
    /// A reply by email; its `reply` says what kind (an out-of-office
    /// notice is not an answer).
    Replied,
    Bounced,
    SoftBounced,
    Complained,
    Unsubscribed,
    SmsDelivered,
    /// Undelivered or failed, with Twilio's error code in `detail`.
    SmsFailed,
    SmsReplied,
    /// A STOP-family keyword: do-not-contact on every channel.
    SmsStop,
    /// START / UNSTOP: lifts what the number's STOP did, nothing else.
    SmsStart,
    /// A call's status (completed, busy, no answer): informative.
    CallStatus,
    CallBooked,
    CallDnc,
    CallRejected,
    CallClosed,
    CallVoicemail,
    CallEmailCaptured,
    CallUnknown,
    /// Nobody picked up, the line was busy, or the dial failed: dial
    /// again later (the desk's backoff).
    CallNoAnswer,
    LinkedinRequestSent,
    LinkedinConnected,
    LinkedinReplied,
    LinkedinCompleted,
    /// A meeting booked through the scheduling link.
    Booked,
    BookingCancelled,
    /// The cancelled half of a reschedule: the meeting still stands.
    BookingMoved,
}

impl SignalKind {
    pub const ALL: [SignalKind; 29] = [
        SignalKind::Delivered,
        SignalKind::Opened,
        SignalKind::Clicked,
        SignalKind::Replied,
        SignalKind::Bounced,
        SignalKind::SoftBounced,
        SignalKind::Complained,
        SignalKind::Unsubscribed,
        SignalKind::SmsDelivered,
        SignalKind::SmsFailed,
        SignalKind::SmsReplied,
        SignalKind::SmsStop,
        SignalKind::SmsStart,
        SignalKind::CallStatus,
        SignalKind::CallBooked,
        SignalKind::CallDnc,
        SignalKind::CallRejected,
        SignalKind::CallClosed,
        SignalKind::CallVoicemail,
        SignalKind::CallEmailCaptured,
        SignalKind::CallUnknown,
        SignalKind::CallNoAnswer,
        SignalKind::LinkedinRequestSent,
        SignalKind::LinkedinConnected,
        SignalKind::LinkedinReplied,
        SignalKind::LinkedinCompleted,
        SignalKind::Booked,
        SignalKind::BookingCancelled,
        SignalKind::BookingMoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Delivered => "delivered",
            SignalKind::Opened => "opened",
            SignalKind::Clicked => "clicked",
            SignalKind::Replied => "replied",
            SignalKind::Bounced => "bounced",
            SignalKind::SoftBounced => "soft_bounced",
            SignalKind::Complained => "complained",
            SignalKind::Unsubscribed => "unsubscribed",
            SignalKind::SmsDelivered => "sms_delivered",
            SignalKind::SmsFailed => "sms_failed",
            SignalKind::SmsReplied => "sms_replied",
            SignalKind::SmsStop => "sms_stop",
            SignalKind::SmsStart => "sms_start",
            SignalKind::CallStatus => "call_status",
            SignalKind::CallBooked => "call_booked",
            SignalKind::CallDnc => "call_dnc",
            SignalKind::CallRejected => "call_rejected",
            SignalKind::CallClosed => "call_closed",
            SignalKind::CallVoicemail => "call_voicemail",
            SignalKind::CallEmailCaptured => "call_email_captured",
            SignalKind::CallUnknown => "call_unknown",
            SignalKind::CallNoAnswer => "call_no_answer",
            SignalKind::LinkedinRequestSent => "linkedin_request_sent",
            SignalKind::LinkedinConnected => "linkedin_connected",
            SignalKind::LinkedinReplied => "linkedin_replied",
            SignalKind::LinkedinCompleted => "linkedin_completed",
            SignalKind::Booked => "booked",
            SignalKind::BookingCancelled => "booking_cancelled",
            SignalKind::BookingMoved => "booking_moved",
        }
    }

    /// The channel the event is about (bookings come from none).
    pub fn channel(self) -> Option<Channel> {
        use SignalKind as K;
        match self {
            K::Delivered
            | K::Opened
            | K::Clicked
            | K::Replied
            | K::Bounced
            | K::SoftBounced
            | K::Complained
            | K::Unsubscribed => Some(Channel::Email),
            K::SmsDelivered | K::SmsFailed | K::SmsReplied | K::SmsStop | K::SmsStart => {
                Some(Channel::Sms)
            }
            K::CallStatus
            | K::CallBooked
            | K::CallDnc
            | K::CallRejected
            | K::CallClosed
            | K::CallVoicemail
            | K::CallEmailCaptured
            | K::CallUnknown
            | K::CallNoAnswer => Some(Channel::Voice),
            K::LinkedinRequestSent
            | K::LinkedinConnected
            | K::LinkedinReplied
            | K::LinkedinCompleted => Some(Channel::Linkedin),
            K::Booked | K::BookingCancelled | K::BookingMoved => None,
        }
    }

    /// EventBridge detail-type: `email.bounced`, `sms.sms_stop`,
    /// `booking.booked`. Email's names are the ones rules already match.
    pub fn detail_type(self) -> String {
        let source = self.channel().map_or("booking", |c| c.as_str());
        format!("{source}.{}", self.as_str())
    }
}

/// What a reply said, when it was read (`replies::classify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyNote {
    pub class: replies::ReplyClass,
    pub evidence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_email: Option<String>,
}

/// A provider event, normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub provider: String,
    pub event_id: String,
    pub kind: SignalKind,
    pub tenant: String,
    #[serde(default)]
    pub lead_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The lead's number the event is about (an SMS's sender), E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub sender_domain: Option<String>,
    #[serde(default)]
    pub detail: String,
    /// The send attempt the provider says this is about (Mailgun's
    /// `v:attempt`): an event for an attempt in doubt settles it as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<String>,
    /// What a reply said (email, SMS, LinkedIn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyNote>,
    /// A call's recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_url: Option<String>,
    /// The person asked on the call for the recording to be sent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub followup_requested: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_name_and_email_keeps_the_names_rules_match() {
        let names: std::collections::BTreeSet<&str> =
            SignalKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), SignalKind::ALL.len());
        assert_eq!(SignalKind::Bounced.detail_type(), "email.bounced");
        assert_eq!(SignalKind::SmsStop.detail_type(), "sms.sms_stop");
        assert_eq!(SignalKind::Booked.detail_type(), "booking.booked");
        for k in SignalKind::ALL {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, k.as_str());
        }
    }
}
