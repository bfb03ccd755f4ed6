//! Campaign sequences generated from a preset and the channels a campaign
//! can really use (SPEC §6): the user picks a shape, never the steps.

use crate::domain::dispatch::sequence::{
    call_first, default_sequence, email_linkedin_cadence, email_only, SequenceStep,
};
use crate::domain::touch::Channel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The shapes a campaign's sequence is generated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SequencePreset {
    /// Email d0, call d3, LinkedIn d5, email d8, SMS d12.
    #[default]
    #[serde(rename = "default_5_step")]
    Default5Step,
    /// Eight steps of email and LinkedIn over 21 days.
    #[serde(rename = "email_linkedin_8_step")]
    EmailLinkedin8Step,
    /// Call when a phone exists, then email, then SMS.
    CallFirst,
    /// Four emails over twelve days (pair it with the 24/7 email policy).
    #[serde(rename = "email_24_7")]
    Email24x7,
}

impl SequencePreset {
    pub const ALL: [SequencePreset; 4] = [
        SequencePreset::Default5Step,
        SequencePreset::EmailLinkedin8Step,
        SequencePreset::CallFirst,
        SequencePreset::Email24x7,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SequencePreset::Default5Step => "default_5_step",
            SequencePreset::EmailLinkedin8Step => "email_linkedin_8_step",
            SequencePreset::CallFirst => "call_first",
            SequencePreset::Email24x7 => "email_24_7",
        }
    }

    /// The preset's steps with every channel available.
    pub fn steps(self) -> Vec<SequenceStep> {
        match self {
            SequencePreset::Default5Step => default_sequence(),
            SequencePreset::EmailLinkedin8Step => email_linkedin_cadence(),
            SequencePreset::CallFirst => call_first(),
            SequencePreset::Email24x7 => email_only(),
        }
    }

    /// The sequence for a campaign that can send on `available`: a step on
    /// a channel it has no sender for (no number, no seat) is left out and
    /// the rest renumbered, days kept. (The fallback to email at send time
    /// is for a lead without a phone or profile, not for a campaign
    /// without numbers or seats: that would send two emails in a row.)
    /// Empty when the campaign can send on none of the preset's channels.
    pub fn generate(self, available: &BTreeSet<Channel>) -> Vec<SequenceStep> {
        let mut steps: Vec<SequenceStep> = self
            .steps()
            .into_iter()
            .filter(|s| available.contains(&s.channel))
            .collect();
        for (i, s) in steps.iter_mut().enumerate() {
            s.step = i as u8 + 1;
        }
        steps
    }
}
