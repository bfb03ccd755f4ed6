//! Sequences: the steps of a campaign, which channel each step really uses
//! for a given lead (with fallbacks), and when it falls due.

use crate::domain::lead::Lead;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::Channel;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepCondition {
    NotReplied,
    HasLinkedinUrl,
    LinkedinConnected,
    HasPhone,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceStep {
    pub step: u8,
    /// Days after the first send.
    pub day: u32,
    pub channel: Channel,
    pub purpose: String,
    #[serde(default)]
    pub conditions: Vec<StepCondition>,
    /// The template key that writes this step (`intro`, `li-connect`, ...);
    /// without one, templates are matched by step number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

impl StepCondition {
    /// Conditions only the send can decide (a reply or a connection may
    /// come after the draft); the rest are decided when drafting.
    pub fn at_send_time(self) -> bool {
        matches!(
            self,
            StepCondition::NotReplied | StepCondition::LinkedinConnected
        )
    }
}

fn step(
    step: u8,
    day: u32,
    channel: Channel,
    template: &str,
    purpose: &str,
    conditions: &[StepCondition],
) -> SequenceStep {
    SequenceStep {
        step,
        day,
        channel,
        purpose: purpose.to_string(),
        conditions: conditions.to_vec(),
        template: Some(template.to_string()),
    }
}

/// SPEC §6: email d0, voice d3, LinkedIn d5, email d8, SMS d12.
pub fn default_sequence() -> Vec<SequenceStep> {
    use StepCondition::NotReplied;
    vec![
        step(
            1,
            0,
            Channel::Email,
            "intro",
            "initial outreach",
            &[NotReplied],
        ),
        step(
            2,
            3,
            Channel::Voice,
            "call",
            "follow-up call if no reply",
            &[NotReplied],
        ),
        step(
            3,
            5,
            Channel::Linkedin,
            "li-connect",
            "connection request if no reply",
            &[NotReplied],
        ),
        step(
            4,
            8,
            Channel::Email,
            "value",
            "value-add touchpoint if no reply",
            &[NotReplied],
        ),
        step(
            5,
            12,
            Channel::Sms,
            "sms-nudge",
            "final nudge if no reply",
            &[NotReplied],
        ),
    ]
}

/// SPEC §6's other shape: 8 steps of email and LinkedIn over 21 days. The
/// LinkedIn steps only go to leads with a profile URL, the messages only
/// once the connection was accepted; no step after a reply.
pub fn email_linkedin_cadence() -> Vec<SequenceStep> {
    use StepCondition::{HasLinkedinUrl, LinkedinConnected, NotReplied};
    vec![
        step(
            1,
            0,
            Channel::Email,
            "intro",
            "initial outreach",
            &[NotReplied],
        ),
        step(
            2,
            1,
            Channel::Linkedin,
            "li-connect",
            "connection request",
            &[NotReplied, HasLinkedinUrl],
        ),
        step(
            3,
            3,
            Channel::Email,
            "bump",
            "short bump on the first email",
            &[NotReplied],
        ),
        step(
            4,
            6,
            Channel::Linkedin,
            "li-message",
            "message once connected",
            &[NotReplied, HasLinkedinUrl, LinkedinConnected],
        ),
        step(
            5,
            9,
            Channel::Email,
            "value",
            "value-add idea",
            &[NotReplied],
        ),
        step(
            6,
            13,
            Channel::Linkedin,
            "li-follow-up",
            "second message once connected",
            &[NotReplied, HasLinkedinUrl, LinkedinConnected],
        ),
        step(
            7,
            17,
            Channel::Email,
            "proof",
            "proof from a similar business",
            &[NotReplied],
        ),
        step(
            8,
            21,
            Channel::Email,
            "breakup",
            "closing the loop",
            &[NotReplied],
        ),
    ]
}

/// SPEC §6's call-first shape: a call when the lead has a phone, then
/// email, a second call, email, and an SMS to close.
pub fn call_first() -> Vec<SequenceStep> {
    use StepCondition::{HasPhone, NotReplied};
    vec![
        step(1, 0, Channel::Voice, "call", "first call", &[HasPhone]),
        step(
            2,
            1,
            Channel::Email,
            "intro",
            "email after the call",
            &[NotReplied],
        ),
        step(
            3,
            3,
            Channel::Voice,
            "call",
            "second call if no reply",
            &[NotReplied, HasPhone],
        ),
        step(
            4,
            6,
            Channel::Email,
            "value",
            "value-add touchpoint if no reply",
            &[NotReplied],
        ),
        step(
            5,
            9,
            Channel::Sms,
            "sms-nudge",
            "final nudge if no reply",
            &[NotReplied, HasPhone],
        ),
    ]
}

/// Four emails over twelve days.
pub fn email_only() -> Vec<SequenceStep> {
    use StepCondition::NotReplied;
    vec![
        step(
            1,
            0,
            Channel::Email,
            "intro",
            "initial outreach",
            &[NotReplied],
        ),
        step(
            2,
            3,
            Channel::Email,
            "value",
            "value-add touchpoint if no reply",
            &[NotReplied],
        ),
        step(
            3,
            7,
            Channel::Email,
            "value",
            "second value-add if no reply",
            &[NotReplied],
        ),
        step(
            4,
            12,
            Channel::Email,
            "breakup",
            "last email if no reply",
            &[NotReplied],
        ),
    ]
}

/// Named sequence shapes an operator can start from (`GET /admin/presets`),
/// the campaign presets' steps with every channel available.
pub fn presets() -> Vec<(&'static str, Vec<SequenceStep>)> {
    crate::domain::campaigns::presets::SequencePreset::ALL
        .iter()
        .map(|p| (p.as_str(), p.steps()))
        .collect()
}

/// What a step becomes for one lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepPlan {
    Send {
        channel: Channel,
        fallback_from: Option<Channel>,
    },
    Skip {
        reason: String,
    },
}

fn lead_can_receive(lead: &Lead, channel: Channel) -> bool {
    match channel {
        Channel::Email => lead.has_email(),
        Channel::Voice | Channel::Sms => !lead.address(channel).is_empty(),
        Channel::Linkedin => lead.has_linkedin(),
    }
}

/// The channel a step really uses: its own if the tenant has it and the lead
/// can be reached on it; else email (SPEC §6 fallback); else skipped.
pub fn plan_step(step: &SequenceStep, lead: &Lead, config: &TenantConfig) -> StepPlan {
    for cond in &step.conditions {
        let ok = match cond {
            StepCondition::NotReplied => lead.replies == 0,
            StepCondition::HasLinkedinUrl => lead.has_linkedin(),
            StepCondition::HasPhone => lead.has_phone(),
            // Decided when the step is due: the connection may be accepted
            // after the draft was written.
            StepCondition::LinkedinConnected => true,
        };
        if !ok {
            return StepPlan::Skip {
                reason: format!("condition {cond:?} not met"),
            };
        }
    }
    if config.channel_available(step.channel) && lead_can_receive(lead, step.channel) {
        return StepPlan::Send {
            channel: step.channel,
            fallback_from: None,
        };
    }
    if step.channel != Channel::Email
        && config.channel_available(Channel::Email)
        && lead_can_receive(lead, Channel::Email)
    {
        return StepPlan::Send {
            channel: Channel::Email,
            fallback_from: Some(step.channel),
        };
    }
    StepPlan::Skip {
        reason: format!(
            "no {} for this lead or tenant, and no email fallback",
            step.channel
        ),
    }
}

/// A step's due time: `day` days after the first send.
pub fn due_at(first_sent_at: DateTime<Utc>, day: u32) -> DateTime<Utc> {
    first_sent_at + Duration::days(i64::from(day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TenantId;
    use crate::domain::lead::LeadStatus;

    fn config() -> TenantConfig {
        TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        )
    }

    fn lead(email: bool, phone: bool, linkedin: bool) -> Lead {
        Lead {
            email: email.then(|| "jo@dealer.example".to_string()),
            phone: phone.then(|| "+16025550100".to_string()),
            linkedin_url: linkedin.then(|| "https://linkedin.example/in/jo".to_string()),
            status: LeadStatus::Queued,
            ..Default::default()
        }
    }

    #[test]
    fn missing_phone_falls_back_to_email() {
        let c = config();
        let voice = &c.sequence[1];
        assert_eq!(
            plan_step(voice, &lead(true, false, false), &c),
            StepPlan::Send {
                channel: Channel::Email,
                fallback_from: Some(Channel::Voice)
            }
        );
        assert_eq!(
            plan_step(voice, &lead(true, true, false), &c),
            StepPlan::Send {
                channel: Channel::Voice,
                fallback_from: None
            }
        );
    }

    #[test]
    fn nothing_reachable_is_skipped() {
        let c = config();
        assert!(matches!(
            plan_step(&c.sequence[2], &lead(false, true, false), &c),
            StepPlan::Skip { .. }
        ));
    }

    #[test]
    fn replied_lead_skips() {
        let c = config();
        let mut l = lead(true, true, true);
        l.replies = 1;
        assert!(matches!(
            plan_step(&c.sequence[3], &l, &c),
            StepPlan::Skip { .. }
        ));
    }
}
