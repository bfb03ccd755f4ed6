//! Drafting: one lead's sequence turned into drafts an operator approves.
//! Each step gets the most specific template that can be filled (or the AI
//! writer's text), A/B variants by hash, the channel's finishing (footer and
//! headers, SMS opt-out and segments, call brief), and the quality guard's
//! verdict. A rejected template or opener is not used again for the lead.

use super::guard::{self, GuardReport, Rejection};
use super::template::{
    assign_variants, call_facts, compliance_problem, core_text, finish, render, variables,
    Compliance, Draft, Finish, RenderError,
};
use crate::domain::dispatch::sequence::{plan_step, SequenceStep, StepPlan};
use crate::domain::lead::Lead;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::{Channel, Message, Touch, TouchState};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// What the AI writer wrote for a step, already read and checked for shape.
#[derive(Debug, Clone, PartialEq)]
pub struct AiText {
    pub subject: Option<String>,
    pub body: String,
    pub model: String,
}

pub struct DraftContext<'a> {
    pub config: &'a TenantConfig,
    pub lead: &'a Lead,
    pub compliance: &'a Compliance,
    pub now: DateTime<Utc>,
}

impl DraftContext<'_> {
    pub(super) fn base(&self, step: &SequenceStep) -> Touch {
        let lead = self.lead;
        Touch {
            tenant: lead.tenant.clone(),
            lead_id: lead.id.clone(),
            step: step.step,
            campaign: lead.campaign.clone(),
            day: step.day,
            channel: step.channel,
            fallback_from: None,
            state: TouchState::Skipped,
            recipient: String::new(),
            company_domain: lead.company_domain.clone(),
            lead_email: lead.email.clone(),
            lead_phone: lead.phone.clone(),
            lead_other_phones: lead
                .phones()
                .filter(|p| Some(*p) != lead.phone.as_deref())
                .map(str::to_string)
                .collect(),
            timezone: lead.timezone.clone(),
            tier: lead.tier,
            send_conditions: step
                .conditions
                .iter()
                .copied()
                .filter(|c| c.at_send_time())
                .collect(),
            first_sms: false,
            guard: None,
            draft_notes: vec![],
            message: Message::default(),
            fingerprint: String::new(),
            due_at: None,
            attempt_id: None,
            lease_until: None,
            attempted_at: None,
            sent_at: None,
            provider_message_id: None,
            sender: None,
            sender_domain: None,
            end_reason: None,
            wait_reason: None,
            next_step: None,
            caps_taken: vec![],
            caps_day: None,
            via: None,
            follow_up: false,
            requested: false,
            send_failures: 0,
            desk: Default::default(),
            counted_as: None,
            created_at: self.now,
        }
    }

    pub(super) fn finishing(&self, channel: Channel, first_sms: bool) -> Finish<'_> {
        Finish {
            channel,
            compliance: self.compliance,
            first_sms,
            sms_max_segments: self.config.content.sms_max_segments,
            call_facts: (channel == Channel::Voice).then(|| call_facts(self.lead, self.config)),
        }
    }

    fn guard(&self, channel: Channel, message: &Message) -> GuardReport {
        guard::check(
            &self.config.guard,
            channel,
            message.subject.as_deref(),
            core_text(&message.body),
            &message.fingerprint(),
            self.lead,
            &self.lead.rejections,
            self.now,
        )
    }
}

/// Which channel each step really uses for this lead, and whether it is the
/// first SMS the sequence sends (the one that carries opt-out wording).
pub fn plans(config: &TenantConfig, lead: &Lead) -> Vec<(StepPlan, bool)> {
    let mut sms_seen = false;
    config
        .sequence
        .iter()
        .map(|step| {
            let plan = plan_step(step, lead, config);
            let first_sms = matches!(
                plan,
                StepPlan::Send {
                    channel: Channel::Sms,
                    ..
                }
            ) && !sms_seen;
            sms_seen |= first_sms;
            (plan, first_sms)
        })
        .collect()
}

/// Drafts (or skip records, with reasons) for every step of the sequence.
/// `ai` holds the writer's text for the steps it wrote.
pub fn draft_sequence(ctx: &DraftContext<'_>, ai: &BTreeMap<u8, AiText>) -> Vec<Touch> {
    let mut used = BTreeSet::new();
    let mut touches: Vec<Touch> = Vec::new();
    for (step, (plan, first_sms)) in ctx.config.sequence.iter().zip(plans(ctx.config, ctx.lead)) {
        let t = draft_step(ctx, step, &plan, first_sms, ai.get(&step.step), &used);
        used.insert(t.message.template_id.clone());
        touches.push(t);
    }
    link(&mut touches);
    touches
}

/// Chains the sendable steps so each sent step can wake the next one.
pub fn link(touches: &mut [Touch]) {
    let sendable: Vec<u8> = touches
        .iter()
        .filter(|t| t.state == TouchState::Draft)
        .map(|t| t.step)
        .collect();
    // Each track chains within itself: the main sequence's last step does
    // not lead into the nurture track (the attempts warning does).
    let nurture = crate::domain::campaigns::is_nurture_step;
    for t in touches.iter_mut() {
        t.next_step = sendable
            .iter()
            .copied()
            .find(|s| *s > t.step && nurture(*s) == nurture(t.step));
    }
}

/// One step's draft: the AI text when there is one and the guard passes it,
/// else the first template that renders and passes, else the first that
/// rendered (held by the guard for an operator's edit), else a skip record
/// naming why nothing could be written.
pub fn draft_step(
    ctx: &DraftContext<'_>,
    step: &SequenceStep,
    plan: &StepPlan,
    first_sms: bool,
    ai: Option<&AiText>,
    used: &BTreeSet<String>,
) -> Touch {
    let base = ctx.base(step);
    let (channel, fallback_from) = match plan {
        StepPlan::Skip { reason } => {
            return Touch {
                end_reason: Some(reason.clone()),
                ..base
            }
        }
        StepPlan::Send {
            channel,
            fallback_from,
        } => (*channel, *fallback_from),
    };
    let base = Touch {
        channel,
        fallback_from,
        first_sms,
        recipient: ctx.lead.address(channel),
        ..base
    };
    let finishing = ctx.finishing(channel, first_sms);
    let (avoid_templates, avoid_openers) =
        guard::avoided(&ctx.lead.rejections, &ctx.config.guard, ctx.now);
    let mut notes = Vec::new();
    let mut held: Option<(Message, GuardReport)> = None;

    let mut accept = |message: Message, notes: &mut Vec<String>| -> Option<Touch> {
        if let Some(problem) = compliance_problem(&message, channel, ctx.compliance, first_sms) {
            notes.push(format!("{}: {problem}", message.template_id));
            return None;
        }
        let report = ctx.guard(channel, &message);
        if report.blocked {
            notes.push(format!("{}: {}", message.template_id, report.summary()));
            if held.is_none() {
                held = Some((message, report));
            }
            return None;
        }
        Some(Touch {
            state: TouchState::Draft,
            fingerprint: message.fingerprint(),
            message,
            guard: Some(report),
            ..base.clone()
        })
    };

    if let Some(text) = ai {
        let draft = Draft {
            subject: text.subject.clone(),
            body: text.body.clone(),
            template_id: format!("ai:{}", step.template.as_deref().unwrap_or("step")),
            subject_variant: None,
            body_variant: 0,
        };
        let opener = guard::opener(&draft.body);
        if avoid_openers.contains(&opener) {
            notes.push(format!("AI draft reuses a rejected opener {opener:?}"));
        } else {
            match finish(&draft, &finishing) {
                Ok(mut m) => {
                    m.body_variant = None;
                    m.source = format!("ai:{}", text.model);
                    if let Some(t) = accept(m, &mut notes) {
                        return with_notes(t, notes);
                    }
                }
                Err(e) => notes.push(format!("AI draft: {e}")),
            }
        }
    }

    let mut candidates =
        ctx.config
            .templates
            .candidates(step, channel, ctx.lead.tier, ctx.lead.offer.as_deref());
    // Several steps falling back to email would otherwise all get the same
    // follow-up: a template not yet used in this sequence goes first.
    candidates.sort_by_key(|t| used.contains(&t.id));
    if candidates.is_empty() {
        return Touch {
            end_reason: Some(format!(
                "draft blocked: {}",
                RenderError::NoTemplate {
                    step: step.step,
                    channel
                }
            )),
            ..base
        };
    }
    let vars = variables(ctx.config, ctx.lead);
    let mut first_error: Option<String> = None;
    for template in candidates {
        if avoid_templates.contains(&template.id) {
            notes.push(format!("{}: rejected for this lead before", template.id));
            continue;
        }
        let (sv, bv) = assign_variants(ctx.lead, template);
        // The assigned body variant first, then the others, skipping any
        // whose opener an operator rejected for this lead.
        let n = template.body.len();
        for k in 0..n {
            let body_variant = (bv + k) % n;
            let draft = match render(template, (sv, body_variant), &vars) {
                Ok(d) => d,
                Err(e) => {
                    first_error.get_or_insert_with(|| e.to_string());
                    notes.push(e.to_string());
                    break;
                }
            };
            let opener = guard::opener(&draft.body);
            if avoid_openers.contains(&opener) {
                notes.push(format!(
                    "{} body {}: opener {opener:?} was rejected for this lead",
                    template.id,
                    crate::domain::touch::variant_letter(body_variant)
                ));
                continue;
            }
            match finish(&draft, &finishing) {
                Ok(mut m) => {
                    m.source = "template".into();
                    if let Some(t) = accept(m, &mut notes) {
                        return with_notes(t, notes);
                    }
                }
                Err(e) => {
                    first_error.get_or_insert_with(|| e.to_string());
                    notes.push(e.to_string());
                }
            }
        }
    }
    if let Some((message, report)) = held {
        // Written, but the guard holds it: an operator can edit it into shape.
        return with_notes(
            Touch {
                state: TouchState::Draft,
                fingerprint: message.fingerprint(),
                message,
                guard: Some(report),
                ..base
            },
            notes,
        );
    }
    let why = first_error.unwrap_or_else(|| {
        format!(
            "every template for step {} on {channel} was rejected for this lead",
            step.step
        )
    });
    with_notes(
        Touch {
            end_reason: Some(format!("draft blocked: {why}")),
            ..base
        },
        notes,
    )
}

fn with_notes(mut t: Touch, notes: Vec<String>) -> Touch {
    t.draft_notes = notes;
    t
}

/// An operator's edit: the new text is finished like any draft (footer,
/// headers, opt-out), checked for holes and compliance, and guarded again.
pub fn edit(
    ctx: &DraftContext<'_>,
    touch: &Touch,
    subject: Option<String>,
    body: &str,
) -> Result<Touch, String> {
    let subject = match touch.channel {
        Channel::Email => Some(
            subject
                .or_else(|| touch.message.subject.clone())
                .filter(|s| !s.trim().is_empty())
                .ok_or("an email needs a subject")?,
        ),
        _ if subject.is_some() => {
            return Err(format!("{} messages have no subject", touch.channel))
        }
        _ => None,
    };
    let body = core_text(body).trim();
    if body.is_empty() {
        return Err("body is empty".into());
    }
    let draft = Draft {
        subject,
        body: body.to_string(),
        template_id: touch.message.template_id.clone(),
        subject_variant: touch.message.subject_variant.map(usize::from),
        body_variant: touch.message.body_variant.map(usize::from).unwrap_or(0),
    };
    let finishing = ctx.finishing(touch.channel, touch.first_sms);
    let mut message = finish(&draft, &finishing).map_err(|e| e.to_string())?;
    message.subject_variant = touch.message.subject_variant;
    message.body_variant = touch.message.body_variant;
    message.source = "operator".into();
    if let Some(problem) =
        compliance_problem(&message, touch.channel, ctx.compliance, touch.first_sms)
    {
        return Err(problem);
    }
    let report = ctx.guard(touch.channel, &message);
    Ok(Touch {
        fingerprint: message.fingerprint(),
        message,
        guard: Some(report),
        ..touch.clone()
    })
}

/// Why a draft may not be approved, if it may not: not a draft any more, a
/// hole, a missing footer or unsubscribe header, or a guard hold.
pub fn approval_problem(touch: &Touch, compliance: &Compliance) -> Option<String> {
    if touch.state != TouchState::Draft {
        return Some(format!(
            "step {} is {}, not a draft",
            touch.step,
            touch.state.as_str()
        ));
    }
    if let Some(p) = compliance_problem(&touch.message, touch.channel, compliance, touch.first_sms)
    {
        return Some(format!("step {}: {p}", touch.step));
    }
    if touch.fingerprint != touch.message.fingerprint() {
        return Some(format!(
            "step {}: fingerprint does not match its text",
            touch.step
        ));
    }
    match &touch.guard {
        Some(g) if g.blocked => Some(format!(
            "step {}: held by the quality guard ({}); edit it first",
            touch.step,
            g.summary()
        )),
        _ => None,
    }
}

/// The rejection an operator's "reject" records on the lead.
pub fn rejection(touch: &Touch, reason: &str, now: DateTime<Utc>) -> Rejection {
    Rejection {
        at: now,
        step: touch.step,
        channel: touch.channel,
        template_id: touch.message.template_id.clone(),
        opener: guard::opener(core_text(&touch.message.body)),
        fingerprint: touch.fingerprint.clone(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::template::{unfilled_placeholder, UnsubscribeLinks};
    use crate::domain::dispatch::sequence::email_linkedin_cadence;
    use crate::domain::ids::TenantId;
    use crate::domain::lead::Tier;

    fn config() -> TenantConfig {
        TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        )
    }

    fn links() -> UnsubscribeLinks {
        UnsubscribeLinks {
            base_url: "https://u.example/unsubscribe".into(),
            signing_key: "k".into(),
        }
    }

    fn lead() -> Lead {
        Lead {
            tenant: "acme".into(),
            id: "l1".into(),
            first_name: Some("Jo".into()),
            company: Some("Desert Motors".into()),
            city: Some("Phoenix".into()),
            rating: Some(3.6),
            reviews: Some(48),
            email: Some("jo@desert.example".into()),
            phone: Some("+16025550100".into()),
            linkedin_url: Some("https://linkedin.example/in/jo".into()),
            tier: Some(Tier::Tier1),
            ..Default::default()
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-01T15:00:00Z".parse().unwrap()
    }

    fn draft(config: &TenantConfig, lead: &Lead) -> Vec<Touch> {
        let compliance = links().compliance(config, lead);
        let ctx = DraftContext {
            config,
            lead,
            compliance: &compliance,
            now: now(),
        };
        draft_sequence(&ctx, &BTreeMap::new())
    }

    #[test]
    fn the_default_sequence_drafts_every_step_approvably() {
        let c = config();
        let l = lead();
        let touches = draft(&c, &l);
        let compliance = links().compliance(&c, &l);
        assert_eq!(touches.len(), 5);
        for t in &touches {
            assert_eq!(t.state, TouchState::Draft, "{t:?}");
            assert_eq!(approval_problem(t, &compliance), None, "{t:?}");
        }
        assert_eq!(touches[1].message.template_id, "voice-brief-tier1");
        assert!(touches[4].first_sms);
        assert!(touches[4].message.body.contains("STOP"));
        assert_eq!(touches[0].next_step, Some(2));
    }

    #[test]
    fn the_8_step_cadence_drafts_with_send_time_conditions() {
        let mut c = config();
        c.sequence = email_linkedin_cadence();
        let l = lead();
        let touches = draft(&c, &l);
        assert_eq!(touches.len(), 8);
        assert!(touches.iter().all(|t| t.state == TouchState::Draft));
        assert!(touches[3]
            .send_conditions
            .contains(&crate::domain::dispatch::sequence::StepCondition::LinkedinConnected));
        let mut no_li = lead();
        no_li.linkedin_url = None;
        let touches = draft(&c, &no_li);
        assert_eq!(touches[1].state, TouchState::Skipped);
        assert_eq!(touches[0].next_step, Some(3));
    }

    #[test]
    fn steps_falling_back_to_email_get_different_follow_ups() {
        let c = config();
        let mut l = lead();
        l.phone = None;
        l.linkedin_url = None;
        let touches = draft(&c, &l);
        let ids: Vec<&str> = touches
            .iter()
            .map(|t| t.message.template_id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "email-intro",
                "email-follow-up",
                "email-follow-up-2",
                "email-value",
                "email-follow-up-3"
            ]
        );
        let fps: BTreeSet<&str> = touches.iter().map(|t| t.fingerprint.as_str()).collect();
        assert_eq!(fps.len(), 5, "no two steps send the same text");
    }

    #[test]
    fn a_lead_without_reviews_gets_the_template_that_fits() {
        let c = config();
        let mut l = lead();
        l.rating = None;
        l.reviews = None;
        let t = &draft(&c, &l)[0];
        assert_eq!(t.message.template_id, "email-intro-short");
        assert!(
            t.draft_notes
                .iter()
                .any(|n| n.contains("missing variable review_count")),
            "{:?}",
            t.draft_notes
        );
        let mut nameless = lead();
        nameless.first_name = None;
        let t = &draft(&c, &nameless)[0];
        assert_eq!(t.state, TouchState::Skipped);
        assert!(
            t.end_reason.as_deref().unwrap().contains("first_name"),
            "{t:?}"
        );
    }

    #[test]
    fn rejected_templates_and_openers_are_not_reused() {
        let c = config();
        let mut l = lead();
        let first = draft(&c, &l)[0].clone();
        l.rejections.push(rejection(&first, "too long", now()));
        let second = draft(&c, &l)[0].clone();
        assert_ne!(second.message.template_id, first.message.template_id);
        assert_ne!(
            guard::opener(core_text(&second.message.body)),
            guard::opener(core_text(&first.message.body))
        );
        l.rejections.push(rejection(&second, "still no", now()));
        // Both intros rejected: the generic follow-up is what is left.
        let third = draft(&c, &l)[0].clone();
        assert_eq!(third.message.template_id, "email-follow-up");
        l.rejections.push(rejection(&third, "no", now()));
        // Three rejections: whatever is written now is held by the guard
        // (and the operator's third rejection holds the lead).
        let fourth = &draft(&c, &l)[0];
        let report = fourth.guard.as_ref().unwrap();
        assert!(report.blocked, "{fourth:?}");
        assert!(
            report.summary().contains("3 rejections"),
            "{}",
            report.summary()
        );
        let compliance = links().compliance(&c, &l);
        assert!(approval_problem(fourth, &compliance)
            .unwrap()
            .contains("quality guard"));
        // Thirty days on, the memory has let them go.
        let mut later = l.clone();
        for r in &mut later.rejections {
            r.at -= chrono::Duration::days(30);
        }
        assert_eq!(
            draft(&c, &later)[0].message.template_id,
            first.message.template_id
        );
    }

    #[test]
    fn edits_are_refinished_and_checked() {
        let c = config();
        let l = lead();
        let compliance = links().compliance(&c, &l);
        let ctx = DraftContext {
            config: &c,
            lead: &l,
            compliance: &compliance,
            now: now(),
        };
        let t = draft(&c, &l)[0].clone();
        let e = edit(
            &ctx,
            &t,
            None,
            "Hi Jo,\n\nDesert Motors in Phoenix: a short note about reviews.\n\nSam",
        )
        .unwrap();
        assert_ne!(e.fingerprint, t.fingerprint);
        assert_eq!(e.message.source, "operator");
        assert_eq!(approval_problem(&e, &compliance), None);
        assert!(unfilled_placeholder(&e.message.body).is_none());
        let err = edit(&ctx, &t, None, "Hi {first_name}, about Desert Motors").unwrap_err();
        assert!(err.contains("unfilled"), "{err}");
    }

    #[test]
    fn ai_text_is_used_when_it_passes_and_falls_back_when_not() {
        let c = config();
        let l = lead();
        let compliance = links().compliance(&c, &l);
        let ctx = DraftContext {
            config: &c,
            lead: &l,
            compliance: &compliance,
            now: now(),
        };
        let plan = StepPlan::Send {
            channel: Channel::Email,
            fallback_from: None,
        };
        let good = AiText {
            subject: Some("Desert Motors reviews".into()),
            body: "Hi Jo,\n\nDesert Motors has 48 reviews in Phoenix; the lots around you answer theirs.\n\nSam".into(),
            model: "m".into(),
        };
        let none = BTreeSet::new();
        let t = draft_step(&ctx, &c.sequence[0], &plan, false, Some(&good), &none);
        assert_eq!(t.message.source, "ai:m");
        assert_eq!(approval_problem(&t, &compliance), None);
        let generic = AiText {
            body: "I hope this email finds you well. We leverage synergy.".into(),
            ..good
        };
        let t = draft_step(&ctx, &c.sequence[0], &plan, false, Some(&generic), &none);
        assert_eq!(t.message.source, "template", "{:?}", t.draft_notes);
    }
}
