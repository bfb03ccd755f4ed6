//! A touch: one step of a lead's sequence on one channel, and the states it
//! moves through on the way to being sent exactly once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Voice,
    Linkedin,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::Voice,
        Channel::Linkedin,
        Channel::Sms,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Voice => "voice",
            Channel::Linkedin => "linkedin",
            Channel::Sms => "sms",
        }
    }

    /// The lead attribute naming the sender a lead is held to on this
    /// channel: calls and texts share the number.
    pub fn sticky_attribute(self) -> &'static str {
        match self {
            Channel::Email => "sender_email",
            Channel::Voice | Channel::Sms => "sender_phone",
            Channel::Linkedin => "sender_linkedin",
        }
    }
}
impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Draft -> (approved) Planned -> Due -> Sending -> Sent, with exits to
/// Skipped / Cancelled, and InDoubt when a send's lease expired unconfirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchState {
    /// Written by craft, waiting for an operator's approval.
    Draft,
    /// Approved, waiting for the previous step to be sent.
    Planned,
    /// In the sparse due index.
    Due,
    /// Reserved by a dispatch attempt (caps taken), not yet confirmed.
    Sending,
    Sent,
    /// A crashed send whose lease expired: never resent blindly.
    InDoubt,
    Skipped,
    Cancelled,
}

impl TouchState {
    pub fn as_str(self) -> &'static str {
        match self {
            TouchState::Draft => "draft",
            TouchState::Planned => "planned",
            TouchState::Due => "due",
            TouchState::Sending => "sending",
            TouchState::Sent => "sent",
            TouchState::InDoubt => "in_doubt",
            TouchState::Skipped => "skipped",
            TouchState::Cancelled => "cancelled",
        }
    }
    /// States from which a stop (reply, unsubscribe, bounce) cancels the touch.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            TouchState::Draft | TouchState::Planned | TouchState::Due
        )
    }
}

/// A/B label of a variant index (0 -> "A").
pub fn variant_letter(i: usize) -> String {
    char::from(b'A' + (i % 26) as u8).to_string()
}

/// The message of a touch, as crafted (and possibly edited by an operator).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Message {
    pub subject: Option<String>,
    pub body: String,
    /// Extra headers (List-Unsubscribe and friends) for email.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub template_id: String,
    /// The A/B variants this lead got (0 = A), recorded for reporting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_variant: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_variant: Option<u8>,
    /// Who wrote it: `template`, `ai:<model>`, or `operator` after an edit.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl Message {
    /// "A/B" style label of the variants, e.g. `subject B, body A`.
    pub fn variant_label(&self) -> String {
        let l = |i: u8| variant_letter(usize::from(i));
        match (self.subject_variant, self.body_variant) {
            (Some(s), Some(b)) => format!("subject {}, body {}", l(s), l(b)),
            (None, Some(b)) => format!("body {}", l(b)),
            _ => String::new(),
        }
    }

    pub fn fingerprint(&self) -> String {
        super::ids::fingerprint(&[self.subject.as_deref().unwrap_or(""), &self.body])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Touch {
    pub tenant: String,
    pub lead_id: String,
    pub step: u8,
    /// The campaign it is sent for (None: the default campaign, as every
    /// touch drafted before campaigns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Day offset from the first send (SPEC §6: 0/3/5/8/12).
    pub day: u32,
    pub channel: Channel,
    /// Set when this step fell back from another channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_from: Option<Channel>,
    pub state: TouchState,
    /// Where this touch goes (email, phone or LinkedIn URL), frozen when the
    /// draft is written: a lead whose address changed after approval is not
    /// sent to the new address without a new approval.
    #[serde(default)]
    pub recipient: String,
    /// The recipient's IANA time zone at draft time (windows are local).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The lead's company domain at draft time, for suppression checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_domain: Option<String>,
    /// The lead's email and phone at draft time, whatever this touch's
    /// channel: an entry on either stops it too, and knowing them lets the
    /// send-time check read their entries in the same request as the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_phone: Option<String>,
    /// The lead's other numbers at draft time (mobile, company line), read
    /// with the rest so a lead with several numbers costs no extra request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lead_other_phones: Vec<String>,
    /// The lead's tier when drafted (ramp mode sends only to some tiers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<super::lead::Tier>,
    /// Conditions decided when the step is due (`not_replied`, `linkedin_connected`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub send_conditions: Vec<super::dispatch::sequence::StepCondition>,
    /// The first SMS of the sequence: it must carry opt-out wording.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_sms: bool,
    /// The quality guard's verdict on the current text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<super::content::guard::GuardReport>,
    /// How the draft was chosen: templates passed over and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draft_notes: Vec<String>,
    pub message: Message,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<DateTime<Utc>>,
    /// When the current attempt was reserved: how old the provider's
    /// records of it must be before "not found" means "not sent".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    /// Sending identity used (mailbox address, phone number, seat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    /// Why a due touch was moved later (window closed, cap full, ramp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_reason: Option<String>,
    /// The next step of this lead's sequence that will be sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<u8>,
    /// The caps a running reservation took, and the tenant day they count
    /// against: what a reconciliation gives back if the attempt never went out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps_taken: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caps_day: Option<chrono::NaiveDate>,
    /// Which sender a reservation went through (`shadow` or `live`): the one
    /// a reconciliation asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// A sent or skipped touch left in the due index because waking the
    /// next step did not land with it: the next tick finishes the job.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_up: bool,
    /// Sent because the person asked for it (a call's recording), not a
    /// step of the sequence: it goes whatever the sequence's state, but
    /// never past an opt-out, a switch, a window or a cap.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requested: bool,
    /// Retryable provider refusals so far (backoff grows with them).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub send_failures: u32,
    /// Its place at the dialing desk, for a call step.
    #[serde(flatten)]
    pub desk: DeskMarks,
    /// How its send was counted in the campaign results (written with the
    /// send's confirmation): a reply or bounce later counts under the same
    /// hour and warmup day, without reading the tenant's config again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted_as: Option<CountedSend>,
    pub created_at: DateTime<Utc>,
}

/// The time buckets a send was counted in (see
/// `domain::campaigns::results`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedSend {
    /// The tenant's day it went out on.
    pub day: chrono::NaiveDate,
    /// The hour it went out at, the recipient's local time (the tenant's
    /// when the recipient's time zone is unknown).
    pub hour: u8,
    /// Days since its sending domain's warmup began (1 = the first day),
    /// for an email from a domain with a known start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_day: Option<u32>,
}

/// A call step's marks at the dialing desk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeskMarks {
    /// A call step waiting in its tenant's call queue: the lead's score
    /// and own calling hours when it joined, and whether it may still have
    /// its one after-hours voicemail attempt (the desk orders and filters
    /// the queue by these without reading every lead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_score: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_hours: Option<crate::domain::dialing::CallHours>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_hours_ok: bool,
    /// The desk slot the current call holds (its end frees it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_slot: Option<u32>,
    /// The current call is the lead's after-hours voicemail attempt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_hours: bool,
    /// Times this call step was dialled again after no answer or busy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redials: u32,
}

/// Digest of what a batch will send, shown to the approver and frozen.
pub fn preview_hash(touches: &[Touch]) -> String {
    let parts: Vec<String> = touches
        .iter()
        .map(|t| format!("{}#{}#{}", t.lead_id, t.step, t.fingerprint))
        .collect();
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    super::ids::fingerprint(&refs)
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
