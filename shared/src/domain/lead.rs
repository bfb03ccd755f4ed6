//! Leads and the forward-only state machine of their status.

use super::touch::Channel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    #[default]
    New,
    Enriched,
    Scored,
    /// Tier 3: held until stronger signals appear.
    Held,
    Queued,
    Contacted,
    Ghosted,
    Stalled,
    Hesitant,
    Engaged,
    Replied,
    Booked,
    Bounced,
    Unsubscribed,
    Dnc,
    Closed,
    Invalid,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 17] = [
        LeadStatus::New,
        LeadStatus::Enriched,
        LeadStatus::Scored,
        LeadStatus::Held,
        LeadStatus::Queued,
        LeadStatus::Contacted,
        LeadStatus::Ghosted,
        LeadStatus::Stalled,
        LeadStatus::Hesitant,
        LeadStatus::Engaged,
        LeadStatus::Replied,
        LeadStatus::Booked,
        LeadStatus::Bounced,
        LeadStatus::Unsubscribed,
        LeadStatus::Dnc,
        LeadStatus::Closed,
        LeadStatus::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Enriched => "enriched",
            LeadStatus::Scored => "scored",
            LeadStatus::Held => "held",
            LeadStatus::Queued => "queued",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Ghosted => "ghosted",
            LeadStatus::Stalled => "stalled",
            LeadStatus::Hesitant => "hesitant",
            LeadStatus::Engaged => "engaged",
            LeadStatus::Replied => "replied",
            LeadStatus::Booked => "booked",
            LeadStatus::Bounced => "bounced",
            LeadStatus::Unsubscribed => "unsubscribed",
            LeadStatus::Dnc => "dnc",
            LeadStatus::Closed => "closed",
            LeadStatus::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Terminal states never move again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            LeadStatus::Bounced
                | LeadStatus::Unsubscribed
                | LeadStatus::Dnc
                | LeadStatus::Closed
                | LeadStatus::Invalid
                | LeadStatus::Booked
        )
    }

    /// Position on the forward path; decay states share a rank between
    /// contacted and engaged so engagement can still lift them.
    fn rank(self) -> u8 {
        match self {
            LeadStatus::New => 0,
            LeadStatus::Enriched => 1,
            LeadStatus::Scored | LeadStatus::Held => 2,
            LeadStatus::Queued => 3,
            LeadStatus::Contacted => 4,
            LeadStatus::Ghosted | LeadStatus::Stalled | LeadStatus::Hesitant => 5,
            LeadStatus::Engaged => 6,
            LeadStatus::Replied => 7,
            LeadStatus::Booked => 8,
            _ => 9,
        }
    }

    /// The state machine: status only moves forward; terminal states are
    /// final; any non-terminal state may end in a terminal one; decay states
    /// may move among themselves; a held lead may be re-scored.
    pub fn can_move_to(self, to: LeadStatus) -> bool {
        if self == to || self.is_terminal() {
            return false;
        }
        if to.is_terminal() {
            return true;
        }
        let decay = |s: LeadStatus| {
            matches!(
                s,
                LeadStatus::Ghosted | LeadStatus::Stalled | LeadStatus::Hesitant
            )
        };
        if decay(self) && decay(to) {
            return true;
        }
        // Decay marks an engaged lead at risk (stalled, hesitant); a new
        // open or click re-engages a lead that had decayed.
        if self == LeadStatus::Engaged && matches!(to, LeadStatus::Stalled | LeadStatus::Hesitant) {
            return true;
        }
        if decay(self) && to == LeadStatus::Engaged {
            return true;
        }
        if self == LeadStatus::Held && matches!(to, LeadStatus::Scored) {
            return true;
        }
        // Too many rejected drafts hold a queued lead for an operator.
        if matches!(self, LeadStatus::Scored | LeadStatus::Queued) && to == LeadStatus::Held {
            return true;
        }
        to.rank() > self.rank()
    }

    /// Every status from which `to` can be reached: used as the condition of
    /// the conditional write that changes a lead's status.
    pub fn predecessors(to: LeadStatus) -> Vec<LeadStatus> {
        Self::ALL
            .into_iter()
            .filter(|from| from.can_move_to(to))
            .collect()
    }
}

impl fmt::Display for LeadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Tier1,
    Tier2,
    Tier3,
}

impl Tier {
    pub fn label(self) -> &'static str {
        match self {
            Tier::Tier1 => "Tier 1 (Dream)",
            Tier::Tier2 => "Tier 2",
            Tier::Tier3 => "Tier 3 (Avoid)",
        }
    }
}

/// The message on the enrich, score and craft queues: which lead to work on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadRef {
    pub tenant: String,
    pub lead_id: String,
}

/// On the score queue after an ICP or scoring change: re-score a tenant's
/// leads, one page at a time, from the lead id `rescore` ("" = the start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescorePage {
    pub tenant: String,
    pub rescore: String,
}

/// An asynchronous enrichment job the lead waits for, with what the
/// waterfall already did (so a redelivery resumes instead of paying again).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PendingEnrichment {
    pub provider: String,
    pub job_id: String,
    pub since: DateTime<Utc>,
    /// Providers already tried, in order.
    pub tried: Vec<String>,
    /// What each step did, for the lead's `enrichment` summary.
    pub notes: Vec<String>,
}

/// What kind of line a phone number is, where the numbering plan says
/// (`targeting::phone` reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    Mobile,
    FixedLine,
    FixedLineOrMobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    Uan,
    Voicemail,
    Unknown,
}

/// One reason of a lead's score, with the points it gave (scoring writes
/// them; the lead keeps them so "why this score" is one read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReason {
    pub points: i32,
    pub reason: String,
}

/// A lead's score against one campaign's target (SPEC §1: a lead is
/// scored against every active campaign; the best is recommended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignScore {
    pub campaign: String,
    pub score: u8,
    pub tier: Tier,
    pub reasons: Vec<ScoreReason>,
}

/// One operator rejection, remembered on the lead for `memory_days`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub at: DateTime<Utc>,
    pub step: u8,
    pub channel: Channel,
    pub template_id: String,
    /// The rejected draft's opener (`content::guard::opener`).
    pub opener: String,
    /// The rejected draft's `Message::fingerprint()`.
    pub fingerprint: String,
    pub reason: String,
}

/// A lead as stored. Contact fields are optional: imports are messy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Lead {
    pub tenant: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Seniority as a people-search API reports it (`owner`, `c_suite`, `vp`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seniority: Option<String>,
    /// What the source says of the email: `verified`, `guessed`, `unavailable`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_domain: Option<String>,
    /// The person's own number (direct line, else their phone, else their
    /// mobile) in E.164: the only number that counts as a direct phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The extension to dial after `phone`, kept apart from the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_ext: Option<String>,
    /// What kind of line `phone` is, where the numbering plan says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_kind: Option<PhoneKind>,
    /// The person's mobile, when it is not `phone` itself (SMS goes here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// The company's switchboard or corporate number: reaches the business,
    /// never counts as the person's direct phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_phone_ext: Option<String>,
    /// The stage the source CRM gives the contact ("Lead", "Customer").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    /// Why the lead was imported but is not prospected (an existing
    /// customer, a temporarily closed business): kept, never contacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employees: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_gbp: Option<bool>,
    /// Share of reviews the business answers (0..1), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_response_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hq_timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The place id of a Google Places record: identifies a business that
    /// has neither an email nor a website + phone pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_id: Option<String>,

    pub status: LeadStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone_source: Option<String>,
    /// An enrichment still running at an asynchronous provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_enrichment: Option<PendingEnrichment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ScoreReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommended_channels: Vec<super::touch::Channel>,
    /// The campaign the lead is recommended for (scored, held) or enrolled
    /// in (drafted onwards): one at a time. None: the default campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// An operator put the lead in `campaign` by hand: re-scoring does
    /// not move it to another.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub campaign_pinned: bool,
    /// Its campaign ended with "not now": it may enter another from then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reenter_at: Option<DateTime<Utc>>,
    /// An out-of-office reply: nothing goes out before then, and then the
    /// sequence goes on where it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<DateTime<Utc>>,
    /// What the lead's latest reply was read as (`interested`, `objection`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_class: Option<String>,
    /// The status an SMS STOP moved the lead from: START moves it back,
    /// and only START does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_before_stop: Option<LeadStatus>,
    /// When a meeting was booked (the funnel's north star).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked_at: Option<DateTime<Utc>>,
    /// Its score against each campaign it was scored for, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaign_scores: Vec<CampaignScore>,
    /// Why the lead was suppressed at intake, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    #[serde(default)]
    pub email_bounced: bool,
    /// A provider refused the lead's number for good (invalid, not
    /// mobile): later call and SMS steps are skipped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub phone_invalid: bool,
    /// When the lead takes calls, local time (`10:00-16:00`): replaces the
    /// campaign's call window times (never outside 08:00-21:00).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_hours: Option<crate::domain::dialing::CallHours>,
    /// Its one after-hours voicemail attempt was made (SPEC §7).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_hours_call_once_done: bool,
    /// The mailbox, number and seat the lead first heard from: later steps
    /// of the sequence go from the same one (SPEC §8, sticky rotation).
    /// Calls and texts share the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_linkedin: Option<String>,
    /// The first email's `Message-ID`: follow-ups thread under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_thread: Option<String>,
    /// The LinkedIn connection request was accepted (steps that need it wait for it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub linkedin_connected: bool,
    /// Operator rejections of this lead's drafts, remembered for the guard's
    /// memory window (30 days by default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<Rejection>,
    #[serde(default)]
    pub opens: u32,
    #[serde(default)]
    pub clicks: u32,
    #[serde(default)]
    pub replies: u32,
    #[serde(default)]
    pub attempts: u32,
    /// It passed the attempts warning (SPEC §8, 200 by default) and was
    /// moved to its campaign's nurture track.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attempts_exceeded_200: bool,
    /// Funnel stages already counted in its campaign's results, as
    /// `<campaign>#<stage>` (`replied`, `booked`, `bounced`,
    /// `unsubscribed`): a second reply or a booking made again after a
    /// cancellation is not counted twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results_counted: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sent_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sent_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_open_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub source: String,
    /// Optimistic-lock version, bumped by every write.
    #[serde(default)]
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Lead {
    /// A number that reaches the lead: the person's own, or the company's.
    pub fn has_phone(&self) -> bool {
        !self.address(super::touch::Channel::Voice).is_empty()
    }
    /// A number of the person's own (not the company switchboard): what
    /// scoring counts as a direct phone.
    pub fn has_direct_phone(&self) -> bool {
        [&self.phone, &self.mobile_phone]
            .into_iter()
            .any(|p| p.as_deref().is_some_and(|p| !p.is_empty()))
    }
    /// Every number the lead has, for suppression (a DNC on any of them
    /// stops the lead).
    pub fn phones(&self) -> impl Iterator<Item = &str> {
        [&self.phone, &self.mobile_phone, &self.company_phone]
            .into_iter()
            .filter_map(|p| p.as_deref().filter(|p| !p.is_empty()))
    }
    pub fn has_linkedin(&self) -> bool {
        self.linkedin_url.as_deref().is_some_and(|p| !p.is_empty())
    }
    /// The lead's address on a channel (email, phone or LinkedIn URL).
    /// The sender this lead is held to on `channel`, if it heard from one.
    pub fn sticky_sender(&self, channel: super::touch::Channel) -> Option<&str> {
        use super::touch::Channel;
        match channel {
            Channel::Email => self.sender_email.as_deref(),
            Channel::Voice | Channel::Sms => self.sender_phone.as_deref(),
            Channel::Linkedin => self.sender_linkedin.as_deref(),
        }
    }

    pub fn address(&self, channel: super::touch::Channel) -> String {
        use super::touch::Channel;
        match channel {
            Channel::Email => self.email.clone(),
            // A call may go to the switchboard and ask for the person; a
            // text may not.
            Channel::Voice => self
                .phone
                .clone()
                .or_else(|| self.mobile_phone.clone())
                .or_else(|| self.company_phone.clone()),
            Channel::Sms => self.mobile_phone.clone().or_else(|| self.phone.clone()),
            Channel::Linkedin => self.linkedin_url.clone(),
        }
        .unwrap_or_default()
    }
    /// An email worth sending to: present, not bounced, and not reported
    /// invalid, undeliverable or unavailable by the source.
    pub fn email_usable(&self) -> bool {
        self.has_email()
            && !matches!(
                self.email_status.as_deref(),
                Some("invalid" | "undeliverable" | "unavailable" | "bounced")
            )
    }
    pub fn has_email(&self) -> bool {
        self.email.as_deref().is_some_and(|p| !p.is_empty()) && !self.email_bounced
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LeadStatus::*;

    #[test]
    fn status_only_moves_forward() {
        assert!(New.can_move_to(Enriched));
        assert!(Contacted.can_move_to(Replied));
        assert!(!Replied.can_move_to(Contacted));
        assert!(!Contacted.can_move_to(Queued));
        assert!(Ghosted.can_move_to(Stalled));
        assert!(Ghosted.can_move_to(Replied));
    }

    #[test]
    fn terminal_states_are_final_and_reachable_from_anywhere_else() {
        for s in LeadStatus::ALL {
            if s.is_terminal() {
                assert!(LeadStatus::ALL.iter().all(|t| !s.can_move_to(*t)));
            } else {
                assert!(s.can_move_to(Unsubscribed));
            }
        }
    }

    #[test]
    fn predecessors_agree_with_can_move_to() {
        for to in LeadStatus::ALL {
            for from in LeadStatus::predecessors(to) {
                assert!(from.can_move_to(to));
            }
        }
    }
}
