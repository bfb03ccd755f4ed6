//! Campaigns (SPEC §1): what a user creates. A campaign is a target (an
//! ICP, primary or secondary), an offer, the senders it may use and a
//! status; its sequence, timing and rotation are generated from a preset
//! and the channels it can really use. A tenant runs several at once.

pub mod enrollment;
pub mod learning;
pub mod presets;
pub mod recommend;
pub mod report;
pub mod results;

use crate::domain::dispatch::sequence::SequenceStep;
use crate::domain::dispatch::window::SendWindow;
use crate::domain::lead::Tier;
use crate::domain::tenant::{ConfigError, Icp, RampSettings, TenantConfig, Windows};
use crate::domain::touch::Channel;
use chrono::{DateTime, Utc};
use presets::SequencePreset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The campaign every tenant made before campaigns existed reads as.
pub const DEFAULT_CAMPAIGN: &str = "default";

/// Nurture steps are numbered from here, apart from the main sequence's,
/// so both tracks live on one lead and a step says which it is on.
pub const NURTURE_FIRST_STEP: u8 = 101;

/// Is `step` a step of the nurture track?
pub fn is_nurture_step(step: u8) -> bool {
    step >= NURTURE_FIRST_STEP
}

/// The campaign a touch or lead belongs to: its own, else the default one
/// (what everything written before campaigns belongs to).
pub fn campaign_of(id: Option<&str>) -> &str {
    id.filter(|c| !c.is_empty()).unwrap_or(DEFAULT_CAMPAIGN)
}

/// A campaign's id: 2-40 characters of a-z, 0-9 and '-'.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CampaignId(String);

impl CampaignId {
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let ok = (2..=40).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(value.to_string()))
        } else {
            Err(ConfigError {
                field: "id".into(),
                reason: format!("{value:?} is not 2-40 characters of a-z, 0-9 and '-'"),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CampaignId {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CampaignId> for String {
    fn from(id: CampaignId) -> Self {
        id.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Archived,
}

/// What an operator asks of a campaign's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusChange {
    Activate,
    Pause,
    Resume,
    Archive,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Active => "active",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Archived => "archived",
        }
    }

    /// Does this campaign send? Only an active one.
    pub fn sends(self) -> bool {
        self == CampaignStatus::Active
    }

    /// The status after `change`. Asking for the status it already has is
    /// no change (a retried request); an archived campaign stays archived
    /// (its history is kept, it never sends again); a draft is activated,
    /// not resumed, and only an active campaign can be paused.
    pub fn after(self, change: StatusChange) -> Result<CampaignStatus, String> {
        use CampaignStatus::*;
        use StatusChange::*;
        match (self, change) {
            (Archived, Archive) => Ok(Archived),
            (Archived, _) => Err("an archived campaign cannot change; create a new one".into()),
            (_, Archive) => Ok(Archived),
            (Draft | Active, Activate) => Ok(Active),
            (Paused, Activate) => Err("a paused campaign is resumed, not activated".into()),
            (Active | Paused, Pause) => Ok(Paused),
            (Draft, Pause) => Err("a draft has not started; activate it first".into()),
            (Paused | Active, Resume) => Ok(Active),
            (Draft, Resume) => Err("a draft has not started; activate it first".into()),
        }
    }
}

/// The senders a campaign may use, by the tenant's own names: mailbox
/// addresses, numbers and LinkedIn seats. An empty list means all of the
/// tenant's on that channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignSenders {
    pub mailboxes: Vec<String>,
    pub phone_numbers: Vec<String>,
    pub linkedin_seats: Vec<String>,
}

/// When a campaign's touches may go.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "policy")]
pub enum WindowsPolicy {
    /// The tenant's windows.
    #[default]
    Tenant,
    /// Email at any hour, any day; calls, texts and LinkedIn as the tenant's.
    #[serde(rename = "email_24_7")]
    Email24x7,
    /// Windows of the campaign's own.
    Custom { windows: Windows },
}

impl WindowsPolicy {
    /// The windows a campaign's touches keep, given the tenant's.
    pub fn resolve(&self, tenant: &Windows) -> Windows {
        match self {
            WindowsPolicy::Tenant => tenant.clone(),
            WindowsPolicy::Email24x7 => Windows {
                email: SendWindow::always(),
                ..tenant.clone()
            },
            WindowsPolicy::Custom { windows } => windows.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub status: CampaignStatus,
    /// Whom it is for: an ICP, primary or secondary.
    pub target: Icp,
    /// The id of one of the tenant's offers.
    pub offer: String,
    pub preset: SequencePreset,
    /// Steps edited by hand (validated as a tenant's sequence); otherwise
    /// they are generated from the preset and the available channels.
    #[serde(default)]
    pub custom: bool,
    pub sequence: Vec<SequenceStep>,
    /// Where a lead goes once it passes the attempts warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nurture: Option<SequencePreset>,
    #[serde(default)]
    pub senders: CampaignSenders,
    #[serde(default)]
    pub windows: WindowsPolicy,
    /// Leads of these tiers are enrolled.
    pub tiers: Vec<Tier>,
    pub auto_enroll: bool,
    #[serde(default)]
    pub ramp: RampSettings,
    /// At most this many sends a day for the campaign, all channels
    /// together; the tenant's, domains' and senders' caps hold as well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_share: Option<u32>,
    /// A lead outside its call window may be called once for a voicemail
    /// (SPEC §7); off unless the campaign turns it on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_hours_voicemail: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// What a tenant made before campaigns existed reads as: one active
    /// campaign holding its ICP, its recommended offer, its sequence as it
    /// stands (kept as custom steps), all its senders and its windows,
    /// enrolment and ramp settings. Nothing is lost.
    pub fn legacy(config: &TenantConfig, now: DateTime<Utc>) -> Self {
        let offer = config
            .offers
            .iter()
            .find(|o| o.id == config.icp.recommended_offer)
            .or_else(|| config.offers.first())
            .map(|o| o.id.clone())
            .unwrap_or_default();
        Self {
            id: CampaignId(DEFAULT_CAMPAIGN.into()),
            name: config.icp.name.clone(),
            status: CampaignStatus::Active,
            target: config.icp.clone(),
            offer,
            preset: SequencePreset::Default5Step,
            custom: true,
            sequence: config.sequence.clone(),
            nurture: None,
            senders: CampaignSenders::default(),
            windows: WindowsPolicy::Tenant,
            // What a tenant crafted before campaigns: every tier but 3.
            tiers: vec![Tier::Tier1, Tier::Tier2],
            auto_enroll: config.approval.auto_enroll,
            ramp: config.approval.ramp.clone(),
            daily_share: None,
            after_hours_voicemail: config.dialer.after_hours_voicemail,
            // The oldest campaign of all: it existed before any other, and
            // a tie between campaigns goes to the older one.
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: now,
        }
    }

    /// Is this the primary ICP's campaign (it wins ties when scoring)?
    pub fn primary(&self) -> bool {
        self.target.primary
    }

    /// The tenant's config as this campaign sees it: its target and offer
    /// as the ICP, its steps as the sequence, its windows, only its
    /// senders, its enrolment and ramp. Scoring, drafting and the send
    /// decision read this and need not know about campaigns; the tenant's
    /// caps, domains and everything else are the tenant's.
    pub fn effective(&self, config: &TenantConfig) -> TenantConfig {
        let mut c = config.clone();
        c.icp = Icp {
            recommended_offer: self.offer.clone(),
            ..self.target.clone()
        };
        c.sequence = self.sequence.clone();
        c.sequence.extend(self.nurture_steps(config));
        c.windows = self.windows.resolve(&config.windows);
        // A call campaign on the tenant's windows calls from 09:00 (SPEC
        // §7), unless the tenant's own call window starts later.
        if self.preset == SequencePreset::CallFirst && self.windows == WindowsPolicy::Tenant {
            let start = &mut c.windows.call.start;
            *start = (*start).max(crate::domain::dialing::CALL_CAMPAIGN_START);
        }
        c.dialer.after_hours_voicemail = self.after_hours_voicemail;
        let keep = |wanted: &[String], s: &str| wanted.is_empty() || wanted.iter().any(|w| w == s);
        c.mailboxes
            .retain(|m| keep(&self.senders.mailboxes, &m.address));
        c.phone_numbers
            .retain(|p| keep(&self.senders.phone_numbers, p));
        c.linkedin_seats
            .retain(|p| keep(&self.senders.linkedin_seats, p));
        c.approval.auto_enroll = self.auto_enroll;
        // The tenant's ramp (`approval.ramp`) holds across its campaigns,
        // as its caps do; a campaign's own ramp is one more limit
        // (`own_ramp`). The default campaign's ramp is the tenant's.
        c
    }

    /// A ramp of the campaign's own, beside the tenant's: none for the
    /// default campaign, whose ramp is the tenant's.
    pub fn own_ramp(&self) -> Option<&RampSettings> {
        (self.id.as_str() != DEFAULT_CAMPAIGN && self.ramp.enabled).then_some(&self.ramp)
    }

    /// The nurture track's steps (numbered from `NURTURE_FIRST_STEP`),
    /// generated from its preset and the channels this campaign can use.
    pub fn nurture_steps(&self, config: &TenantConfig) -> Vec<SequenceStep> {
        let Some(preset) = self.nurture else {
            return vec![];
        };
        let mut steps = preset.generate(&self.available_channels(config));
        for s in &mut steps {
            s.step += NURTURE_FIRST_STEP - 1;
        }
        steps
    }

    /// Does this campaign take leads of `tier`?
    pub fn takes(&self, tier: Tier) -> bool {
        self.tiers.contains(&tier)
    }

    /// The cap scopes of its daily share and of its own ramp.
    pub fn share_scope(&self) -> String {
        format!("campaign#{}", self.id.as_str())
    }

    pub fn ramp_scope(&self) -> String {
        format!("ramp#campaign#{}", self.id.as_str())
    }

    /// The channels this campaign has at least one sender for, among the
    /// tenant's configured ones.
    pub fn available_channels(&self, config: &TenantConfig) -> BTreeSet<Channel> {
        let mut out = BTreeSet::new();
        if !self.mailboxes(config).is_empty() {
            out.insert(Channel::Email);
        }
        if !self.phone_numbers(config).is_empty() {
            out.insert(Channel::Voice);
            out.insert(Channel::Sms);
        }
        if !self.linkedin_seats(config).is_empty() {
            out.insert(Channel::Linkedin);
        }
        out.retain(|c| config.channel_available(*c));
        out
    }

    /// The tenant's mailboxes this campaign may send from.
    pub fn mailboxes<'a>(&self, config: &'a TenantConfig) -> Vec<&'a str> {
        let all = config.mailboxes.iter().map(|m| m.address.as_str());
        pick(all, &self.senders.mailboxes)
    }

    pub fn phone_numbers<'a>(&self, config: &'a TenantConfig) -> Vec<&'a str> {
        pick(
            config.phone_numbers.iter().map(String::as_str),
            &self.senders.phone_numbers,
        )
    }

    pub fn linkedin_seats<'a>(&self, config: &'a TenantConfig) -> Vec<&'a str> {
        pick(
            config.linkedin_seats.iter().map(String::as_str),
            &self.senders.linkedin_seats,
        )
    }

    /// Regenerates the steps from the preset and the channels available,
    /// unless they were edited by hand.
    pub fn regenerate(&mut self, config: &TenantConfig) {
        if !self.custom {
            self.sequence = self.preset.generate(&self.available_channels(config));
        }
    }

    /// Checks the campaign against its tenant, naming the first bad field.
    pub fn validate(&self, config: &TenantConfig) -> Result<(), ConfigError> {
        let bad = |field: &str, reason: String| {
            Err(ConfigError {
                field: field.to_string(),
                reason,
            })
        };
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
            return bad("name", "1-120 characters, no line breaks".into());
        }
        if self.target.industries.is_empty() && self.target.titles.is_empty() {
            return bad(
                "target",
                "name at least one industry or title to target".into(),
            );
        }
        if !config.offers.iter().any(|o| o.id == self.offer) {
            let known: Vec<&str> = config.offers.iter().map(|o| o.id.as_str()).collect();
            return bad(
                "offer",
                format!(
                    "{:?} is not one of the tenant's offers {known:?}",
                    self.offer
                ),
            );
        }
        for (field, wanted, have) in [
            (
                "senders.mailboxes",
                &self.senders.mailboxes,
                config
                    .mailboxes
                    .iter()
                    .map(|m| m.address.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "senders.phone_numbers",
                &self.senders.phone_numbers,
                config.phone_numbers.iter().map(String::as_str).collect(),
            ),
            (
                "senders.linkedin_seats",
                &self.senders.linkedin_seats,
                config.linkedin_seats.iter().map(String::as_str).collect(),
            ),
        ] {
            if let Some((i, unknown)) = wanted
                .iter()
                .enumerate()
                .find(|(_, w)| !have.contains(&w.as_str()))
            {
                return bad(
                    &format!("{field}[{i}]"),
                    format!("{unknown:?} is not one of the tenant's"),
                );
            }
        }
        if self.sequence.is_empty() {
            return bad(
                "sequence",
                format!(
                    "the {} preset has no step on the channels this campaign can use ({:?})",
                    self.preset.as_str(),
                    self.available_channels(config)
                ),
            );
        }
        for (i, w) in self.sequence.windows(2).enumerate() {
            if w[1].day < w[0].day {
                return bad(
                    &format!("sequence[{}].day", i + 1),
                    "days must not decrease".into(),
                );
            }
        }
        for (i, s) in self.sequence.iter().enumerate() {
            if usize::from(s.step) != i + 1 {
                return bad(
                    &format!("sequence[{i}].step"),
                    format!("steps are numbered 1, 2, 3, ...; this one is {}", s.step),
                );
            }
        }
        if self.tiers.is_empty() {
            return bad("tiers", "enrol at least one tier".into());
        }
        if self.sequence.len() >= usize::from(NURTURE_FIRST_STEP) {
            return bad(
                "sequence",
                format!("at most {} steps", NURTURE_FIRST_STEP - 1),
            );
        }
        if self.nurture.is_some() && self.nurture_steps(config).is_empty() {
            return bad(
                "nurture",
                "the nurture preset has no step on the channels this campaign can use".into(),
            );
        }
        if self.daily_share == Some(0) {
            return bad(
                "daily_share",
                "at least 1, or leave it out for no share of its own".into(),
            );
        }
        if self.ramp.enabled && self.ramp.start.is_none() {
            return bad("ramp.start", "required when the ramp is on".into());
        }
        Ok(())
    }
}

/// `wanted` if it names any, else everything in `all`.
fn pick<'a>(all: impl Iterator<Item = &'a str>, wanted: &[String]) -> Vec<&'a str> {
    all.filter(|s| wanted.is_empty() || wanted.iter().any(|w| w == s))
        .collect()
}

#[cfg(test)]
mod tests;
