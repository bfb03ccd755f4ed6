//! What a person asked for on a call (SPEC §9): the call's recording, by
//! one SMS and one email, each finished like any draft (opt-out wording,
//! footer and unsubscribe headers) and due at once, without an approval.

use super::drafting::DraftContext;
use super::template::{finish, Draft};
use crate::domain::dispatch::sequence::SequenceStep;
use crate::domain::touch::{Channel, Touch, TouchState};

/// The steps the two follow-ups take: past the sequence's (1-99) and the
/// nurture track's (101-199), so a redelivery finds them already written.
pub const RECORDING_SMS_STEP: u8 = 201;
pub const RECORDING_EMAIL_STEP: u8 = 202;

/// The SMS and the email with the recording link, for whichever of them
/// the lead can receive (a number that took SMS, an address that did not
/// bounce); each due now.
pub fn recording_followups(ctx: &DraftContext<'_>, recording_url: &str) -> Vec<Touch> {
    let lead = ctx.lead;
    let first = lead
        .first_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| format!("Hi {},", n.trim()))
        .unwrap_or_else(|| "Hi,".to_string());
    let from = &ctx.config.sender.name;
    let mut out = Vec::new();
    let wanted = [
        (
            RECORDING_SMS_STEP,
            Channel::Sms,
            !lead.phone_invalid && !lead.address(Channel::Sms).is_empty(),
            None,
            format!("{first} as promised, the recording of our call: {recording_url}"),
        ),
        (
            RECORDING_EMAIL_STEP,
            Channel::Email,
            !lead.email_bounced && !lead.address(Channel::Email).is_empty(),
            Some("The recording of our call".to_string()),
            format!(
                "{first}\n\nAs promised, here is the recording of our call:\n{recording_url}\n\n{from}"
            ),
        ),
    ];
    for (step, channel, reachable, subject, body) in wanted {
        if !reachable {
            continue;
        }
        let step = SequenceStep {
            step,
            day: 0,
            channel,
            purpose: "recording follow-up".into(),
            conditions: vec![],
            template: None,
        };
        let draft = Draft {
            subject,
            body,
            template_id: "recording-followup".into(),
            subject_variant: None,
            body_variant: 0,
        };
        // The first SMS to a number carries the opt-out wording: this one
        // may be the first the lead gets by text.
        let first_sms = channel == Channel::Sms;
        let Ok(mut message) = finish(&draft, &ctx.finishing(channel, first_sms)) else {
            continue;
        };
        message.source = "requested".into();
        out.push(Touch {
            channel,
            first_sms,
            recipient: lead.address(channel),
            state: TouchState::Due,
            due_at: Some(ctx.now),
            fingerprint: message.fingerprint(),
            message,
            requested: true,
            ..ctx.base(&step)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::template::Compliance;
    use crate::domain::dispatch::decide::tests::lead;
    use crate::domain::ids::TenantId;
    use crate::domain::tenant::TenantConfig;

    fn config() -> TenantConfig {
        let mut c = TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        );
        c.sender.name = "Sam Seller".into();
        c
    }

    #[test]
    fn one_sms_and_one_email_with_the_link_due_now_and_finished() {
        let c = config();
        let l = crate::domain::lead::Lead {
            first_name: Some("Jo".into()),
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
        let t = recording_followups(&ctx, "https://rec.example/c1.wav");
        let steps: Vec<(u8, Channel)> = t.iter().map(|x| (x.step, x.channel)).collect();
        assert_eq!(
            steps,
            vec![
                (RECORDING_SMS_STEP, Channel::Sms),
                (RECORDING_EMAIL_STEP, Channel::Email)
            ]
        );
        for x in &t {
            assert_eq!(
                (x.state, x.due_at, x.requested),
                (TouchState::Due, Some(now), true)
            );
            assert!(
                x.message.body.contains("https://rec.example/c1.wav"),
                "{:?}",
                x.message
            );
            assert!(x.message.body.contains("Hi Jo,"));
        }
        let email = &t[1].message;
        assert!(email.body.contains("1 Main St"), "{email:?}");
        assert!(
            email.headers.iter().any(|(k, _)| k == "List-Unsubscribe"),
            "{email:?}"
        );
        assert!(
            t[0].message.body.to_lowercase().contains("stop"),
            "{:?}",
            t[0].message
        );
        // An address that bounced gets nothing.
        let bounced = crate::domain::lead::Lead {
            email_bounced: true,
            ..l.clone()
        };
        let ctx = DraftContext {
            lead: &bounced,
            ..ctx
        };
        assert_eq!(recording_followups(&ctx, "u").len(), 1);
    }
}
