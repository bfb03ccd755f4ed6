//! Provider signals normalised to one shape, and what each does to a lead
//! and its sequence (SPEC §6 and §9).

pub mod bookings;
pub mod calls;
pub mod schemes;
pub mod signature;
pub mod twilio;

use super::lead::LeadStatus;

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
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Delivered,
    Opened,
    Clicked,
    Replied,
    Bounced,
    SoftBounced,
    Complained,
    Unsubscribed,
}

impl SignalKind {
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
        }
    }
    /// EventBridge detail-type.
    pub fn detail_type(self) -> String {
        format!("email.{}", self.as_str())
    }
}

/// A provider event, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub provider: String,
    pub event_id: String,
    pub kind: SignalKind,
    pub tenant: String,
    #[serde(default)]
    pub lead_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub sender_domain: Option<String>,
    #[serde(default)]
    pub detail: String,
    /// The send attempt the provider says this is about (Mailgun's
    /// `v:attempt`): an event for an attempt in doubt settles it as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<String>,
}

/// Which pending touches a signal cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    Nothing,
    EmailSteps,
    Everything,
}

/// What applying a signal does.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub status: Option<LeadStatus>,
    pub cancel: Cancel,
    /// Add the lead's email to the tenant's suppression list.
    pub suppress_email: bool,
    pub mark_email_bounced: bool,
    /// Lead counter to increment (`opens`, `clicks`, `replies`).
    pub counter: Option<&'static str>,
    /// Rolling-rate bucket field to increment (`bounces`, `complaints`).
    pub rate_field: Option<&'static str>,
}

pub fn effect(kind: SignalKind) -> Effect {
    let none = Effect {
        status: None,
        cancel: Cancel::Nothing,
        suppress_email: false,
        mark_email_bounced: false,
        counter: None,
        rate_field: None,
    };
    match kind {
        SignalKind::Delivered | SignalKind::SoftBounced => none,
        SignalKind::Opened => Effect {
            status: Some(LeadStatus::Engaged),
            counter: Some("opens"),
            ..none
        },
        SignalKind::Clicked => Effect {
            status: Some(LeadStatus::Engaged),
            counter: Some("clicks"),
            ..none
        },
        // A reply at any step stops the sequence.
        SignalKind::Replied => Effect {
            status: Some(LeadStatus::Replied),
            cancel: Cancel::Everything,
            counter: Some("replies"),
            ..none
        },
        // A hard bounce skips the remaining email steps; other channels go on.
        SignalKind::Bounced => Effect {
            status: None,
            cancel: Cancel::EmailSteps,
            suppress_email: true,
            mark_email_bounced: true,
            rate_field: Some("bounces"),
            ..none
        },
        SignalKind::Complained => Effect {
            status: Some(LeadStatus::Unsubscribed),
            cancel: Cancel::Everything,
            suppress_email: true,
            rate_field: Some("complaints"),
            ..none
        },
        SignalKind::Unsubscribed => Effect {
            status: Some(LeadStatus::Unsubscribed),
            cancel: Cancel::Everything,
            suppress_email: true,
            ..none
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_stops_everything_and_bounce_only_email() {
        assert_eq!(effect(SignalKind::Replied).cancel, Cancel::Everything);
        assert_eq!(effect(SignalKind::Bounced).cancel, Cancel::EmailSteps);
        assert!(effect(SignalKind::Bounced).suppress_email);
        assert_eq!(
            effect(SignalKind::Unsubscribed).status,
            Some(LeadStatus::Unsubscribed)
        );
        assert_eq!(effect(SignalKind::Delivered).cancel, Cancel::Nothing);
    }
}
