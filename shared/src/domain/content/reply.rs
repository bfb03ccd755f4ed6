//! An operator's answer to a lead who replied (SPEC §12, the inbox): an
//! email in the same thread, from the mailbox the lead already writes to,
//! finished like any message (footer, unsubscribe headers) and due at
//! once. It is `requested`: it goes whatever the sequence's state (the
//! lead replied, the sequence stopped), never past an opt-out, a switch, a
//! window or a cap.

use super::drafting::DraftContext;
use super::template::{finish, Draft};
use crate::domain::dispatch::sequence::SequenceStep;
use crate::domain::touch::{Channel, Touch, TouchState};

/// Operator replies take steps 210-249: past the sequence (1-99), the
/// nurture track (101-199) and the recording follow-ups (201-202).
pub const FIRST_REPLY_STEP: u8 = 210;
pub const LAST_REPLY_STEP: u8 = 249;

/// The longest reply an operator may send (characters).
pub const MAX_REPLY: usize = 10_000;

/// The step the next operator reply takes, given the lead's touches'
/// steps; None when the lead had all 40.
pub fn next_reply_step(steps: impl IntoIterator<Item = u8>) -> Option<u8> {
    let last = steps
        .into_iter()
        .filter(|s| (FIRST_REPLY_STEP..=LAST_REPLY_STEP).contains(s))
        .max();
    match last {
        None => Some(FIRST_REPLY_STEP),
        Some(s) if s < LAST_REPLY_STEP => Some(s + 1),
        Some(_) => None,
    }
}

/// The reply as a touch due now, or what is wrong with it. `thread_subject`
/// is the subject of the thread's first email ("Re: " is added once).
pub fn operator_reply(
    ctx: &DraftContext<'_>,
    step: u8,
    thread_subject: Option<&str>,
    body: &str,
) -> Result<Touch, String> {
    let lead = ctx.lead;
    let body = body.trim();
    if body.is_empty() {
        return Err("the reply is empty".into());
    }
    if body.chars().count() > MAX_REPLY {
        return Err(format!("a reply is at most {MAX_REPLY} characters"));
    }
    if lead.email_bounced || lead.address(Channel::Email).is_empty() {
        return Err("the lead has no email address that takes mail".into());
    }
    let subject = match thread_subject.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.to_ascii_lowercase().starts_with("re:") => s.to_string(),
        Some(s) => format!("Re: {s}"),
        None => "Re: our conversation".to_string(),
    };
    let draft = Draft {
        subject: Some(subject),
        body: body.to_string(),
        template_id: "operator-reply".into(),
        subject_variant: None,
        body_variant: 0,
    };
    let mut message = finish(&draft, &ctx.finishing(Channel::Email, false))
        .map_err(|e| format!("the reply cannot be finished: {e}"))?;
    message.source = "operator".into();
    let seq = SequenceStep {
        step,
        day: 0,
        channel: Channel::Email,
        purpose: "operator reply".into(),
        conditions: vec![],
        template: None,
    };
    Ok(Touch {
        recipient: lead.address(Channel::Email),
        state: TouchState::Due,
        due_at: Some(ctx.now),
        fingerprint: message.fingerprint(),
        message,
        requested: true,
        ..ctx.base(&seq)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::template::Compliance;
    use crate::domain::dispatch::decide::tests::lead;
    use crate::domain::ids::TenantId;
    use crate::domain::tenant::TenantConfig;

    #[test]
    fn a_reply_is_an_email_in_the_thread_due_now_and_requested() {
        let c = TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        );
        let l = crate::domain::lead::Lead {
            email: Some("jo@dealer.example".into()),
            ..lead()
        };
        let compliance = Compliance {
            physical_address: "1 Main St, Phoenix AZ".into(),
            sender_company: "Acme".into(),
            unsubscribe_url: "https://out.example/u/acme.l1.sig".into(),
            unsubscribe_mailto: "unsubscribe@mail.acme.example".into(),
        };
        let now = "2026-12-01T15:00:00Z".parse().unwrap();
        let ctx = DraftContext {
            config: &c,
            lead: &l,
            compliance: &compliance,
            now,
        };
        let t = operator_reply(&ctx, 210, Some("Your 48 reviews"), "Tuesday works.").unwrap();
        assert_eq!(t.channel, Channel::Email);
        assert_eq!(t.state, TouchState::Due);
        assert_eq!(t.due_at, Some(now));
        assert!(t.requested);
        assert_eq!(t.message.subject.as_deref(), Some("Re: Your 48 reviews"));
        assert!(t.message.body.starts_with("Tuesday works."));
        assert_eq!(t.message.source, "operator");
        let again = operator_reply(&ctx, 211, Some("RE: x"), "ok").unwrap();
        assert_eq!(again.message.subject.as_deref(), Some("RE: x"));
        assert!(operator_reply(&ctx, 210, None, "  ").is_err());
        let bounced = crate::domain::lead::Lead {
            email_bounced: true,
            ..l.clone()
        };
        let ctx = DraftContext {
            lead: &bounced,
            ..ctx
        };
        assert!(operator_reply(&ctx, 210, None, "hi").is_err());
    }

    #[test]
    fn replies_take_the_steps_after_the_last_one() {
        assert_eq!(next_reply_step([1, 2, 3]), Some(210));
        assert_eq!(next_reply_step([1, 210, 211, 202]), Some(212));
        assert_eq!(next_reply_step([249]), None);
    }
}
