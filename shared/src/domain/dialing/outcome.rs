//! What the end of a call changes for the desk (SPEC §9 voice, the issue's
//! "outcomes drive what follows"): no answer or busy dials again later the
//! same day with a growing wait (the per-lead daily cap and the attempts
//! caps still hold at the dial); a voicemail brings the sequence's next
//! text or email forward. Terminal outcomes end calling through the lead's
//! status (`signals::effects`).

use super::DialerSettings;
use crate::domain::signals::SignalKind;
use crate::domain::touch::{Channel, Touch, TouchState};
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AfterCall {
    /// Dial this call step again then.
    pub redial_at: Option<DateTime<Utc>>,
    /// Bring this later step forward to then: planned, or due later.
    pub wake: Option<(Touch, DateTime<Utc>)>,
}

/// Does this signal say the call is over (its slot is free)?
pub fn ends_call(kind: SignalKind) -> bool {
    use SignalKind as K;
    matches!(
        kind,
        K::CallBooked
            | K::CallDnc
            | K::CallRejected
            | K::CallClosed
            | K::CallVoicemail
            | K::CallEmailCaptured
            | K::CallUnknown
            | K::CallNoAnswer
            | K::CallStatus
    )
}

/// What follows the end of `call` (the call step as stored, with the
/// lead's other `touches`) that `kind` reports.
pub fn after_call(
    kind: SignalKind,
    call: &Touch,
    touches: &[Touch],
    settings: &DialerSettings,
    now: DateTime<Utc>,
) -> AfterCall {
    let mut out = AfterCall::default();
    match kind {
        SignalKind::CallNoAnswer if call.state == TouchState::Sent => {
            let waits = &settings.redial_backoff_mins;
            let i = (call.desk.redials as usize).min(waits.len().saturating_sub(1));
            let mins = waits.get(i).copied().unwrap_or(60);
            out.redial_at = Some(now + Duration::minutes(i64::from(mins)));
        }
        SignalKind::CallVoicemail => {
            // The next text or email of the same track, while it is only
            // planned: the voicemail's written follow-up goes now (inside
            // its own window), not days later.
            let nurture = crate::domain::campaigns::is_nurture_step(call.step);
            out.wake = touches
                .iter()
                .filter(|t| {
                    t.step > call.step
                        && crate::domain::campaigns::is_nurture_step(t.step) == nurture
                        && t.step < crate::domain::content::followup::RECORDING_SMS_STEP
                        && !matches!(t.state, TouchState::Skipped | TouchState::Cancelled)
                })
                .min_by_key(|t| t.step)
                .filter(|t| {
                    let later = t.state == TouchState::Planned
                        || (t.state == TouchState::Due && t.due_at.is_some_and(|d| d > now));
                    later && matches!(t.channel, Channel::Sms | Channel::Email)
                })
                .map(|t| (t.clone(), now));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dispatch::decide::tests::touch;

    fn touch_at(step: u8, channel: Channel, state: TouchState) -> Touch {
        Touch {
            channel,
            ..touch(step, state)
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-01T16:00:00Z".parse().unwrap()
    }

    #[test]
    fn no_answer_redials_with_a_growing_wait() {
        let s = DialerSettings::default();
        let mut call = touch_at(1, Channel::Voice, TouchState::Sent);
        let at = |c: &Touch| after_call(SignalKind::CallNoAnswer, c, &[], &s, now()).redial_at;
        assert_eq!(at(&call), Some(now() + Duration::minutes(30)));
        call.desk.redials = 1;
        assert_eq!(at(&call), Some(now() + Duration::minutes(60)));
        call.desk.redials = 9;
        assert_eq!(at(&call), Some(now() + Duration::minutes(120)));
        // Already dialled again (a duplicate report): nothing.
        call.state = TouchState::Due;
        assert_eq!(at(&call), None);
    }

    #[test]
    fn a_voicemail_brings_the_next_planned_text_or_email_forward() {
        let s = DialerSettings::default();
        let call = touch_at(1, Channel::Voice, TouchState::Sent);
        let email = touch_at(2, Channel::Email, TouchState::Planned);
        let out = after_call(
            SignalKind::CallVoicemail,
            &call,
            std::slice::from_ref(&email),
            &s,
            now(),
        );
        assert_eq!(out.wake.map(|(t, at)| (t.step, at)), Some((2, now())));
        // A skipped step is passed over.
        let mut skipped = touch_at(2, Channel::Email, TouchState::Skipped);
        skipped.step = 2;
        let sms = touch_at(3, Channel::Sms, TouchState::Planned);
        let out = after_call(SignalKind::CallVoicemail, &call, &[skipped, sms], &s, now());
        assert_eq!(out.wake.map(|(t, _)| t.step), Some(3));
        // The next step is another call, or already due: nothing jumps it.
        let next_call = touch_at(2, Channel::Voice, TouchState::Planned);
        let out = after_call(
            SignalKind::CallVoicemail,
            &call,
            &[next_call, touch_at(3, Channel::Sms, TouchState::Planned)],
            &s,
            now(),
        );
        assert_eq!(out.wake, None);
        let mut due = email;
        due.state = TouchState::Due;
        assert_eq!(
            after_call(SignalKind::CallVoicemail, &call, &[due], &s, now()).wake,
            None
        );
        assert_eq!(
            after_call(SignalKind::CallBooked, &call, &[], &s, now()),
            AfterCall::default()
        );
    }
}
