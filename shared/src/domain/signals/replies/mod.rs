//! PLACEHOLDER until the reply classifier lands (helper is writing it):
//! the class names only, so the signal code compiles.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyClass {
    OutOfOffice,
    Interested,
    BookingIntent,
    Objection,
    NotNow,
    WrongPerson,
    Unsubscribe,
    OtherAuto,
    NeutralQuestion,
}

impl ReplyClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyClass::OutOfOffice => "out_of_office",
            ReplyClass::Interested => "interested",
            ReplyClass::BookingIntent => "booking_intent",
            ReplyClass::Objection => "objection",
            ReplyClass::NotNow => "not_now",
            ReplyClass::WrongPerson => "wrong_person",
            ReplyClass::Unsubscribe => "unsubscribe",
            ReplyClass::OtherAuto => "other_auto",
            ReplyClass::NeutralQuestion => "neutral_question",
        }
    }
}

pub struct Reply<'a> {
    pub channel: &'a str,
    pub headers: &'a [(String, String)],
    pub subject: &'a str,
    pub body: &'a str,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub class: ReplyClass,
    pub evidence: String,
    pub return_date: Option<chrono::NaiveDate>,
    pub referral_email: Option<String>,
}

/// PLACEHOLDER: the helper's classifier replaces this.
pub fn classify(reply: &Reply) -> Classification {
    let auto = reply
        .headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("auto-submitted") && !v.eq_ignore_ascii_case("no"));
    Classification {
        class: if auto {
            ReplyClass::OutOfOffice
        } else {
            ReplyClass::NeutralQuestion
        },
        evidence: "placeholder".into(),
        return_date: None,
        referral_email: None,
    }
}
