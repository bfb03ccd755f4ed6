//! What a failed provider call means for the touch (SPEC §6, "failures and
//! doubt"): wait and retry, skip the step (and maybe the channel), suppress,
//! or keep the reservation until the provider can say whether it went out.

use super::decide::{after_for_failure, Context, Decision, WaitKind};
use crate::domain::touch::{Channel, Touch};
use chrono::{DateTime, Duration, Utc};

/// A rate-limited call waits this long (or the provider's own hint, if longer).
pub const RATE_LIMIT_BACKOFF_MINUTES: i64 = 5;
/// Other retryable refusals wait 2, 4, 8 ... minutes, at most this long.
pub const MAX_BACKOFF_MINUTES: i64 = 60;
/// Credentials refused: nothing of that provider goes until an operator
/// fixes them; the touch looks again after this long.
pub const BAD_CREDENTIALS_BACKOFF_MINUTES: i64 = 30;
/// Retryable refusals of one touch before its step is skipped.
pub const MAX_SEND_FAILURES: u32 = 8;

/// Why an attempt was not taken, in the three classes the dispatcher acts on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Not taken; the same touch may be tried again after the hint (a
    /// 429's `Retry-After`) or the dispatcher's backoff.
    #[error("{provider}: not sent, may retry: {reason}")]
    Retryable {
        provider: &'static str,
        reason: String,
        retry_after: Option<std::time::Duration>,
        rate_limited: bool,
    },
    /// Never going to be taken as it stands.
    #[error("{provider}: refused ({kind:?}): {reason}")]
    Final {
        provider: &'static str,
        kind: FinalKind,
        reason: String,
    },
    /// The request went out and no answer came: it may have been sent.
    #[error("{provider}: outcome unknown: {reason}")]
    Unknown {
        provider: &'static str,
        reason: String,
    },
}

impl SendError {
    pub fn provider(&self) -> &'static str {
        match self {
            SendError::Retryable { provider, .. }
            | SendError::Final { provider, .. }
            | SendError::Unknown { provider, .. } => provider,
        }
    }
}

/// What kind of final refusal: the dispatcher's next move depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalKind {
    /// The address or number cannot receive (invalid, not mobile, unknown
    /// user): the remaining steps on that address are skipped.
    InvalidRecipient,
    /// The recipient opted out at the provider (Twilio 21610): suppressed.
    OptedOut,
    /// The request was refused for what it contains (400, 404, 422).
    Rejected,
    /// The key is wrong or lacks the permission: nothing of this tenant and
    /// provider will go until an operator fixes it.
    BadCredentials,
}

/// What a failure changes on the lead besides the touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadMark {
    /// The email address is undeliverable: later email steps are skipped.
    EmailInvalid,
    /// The number cannot take calls or texts: later phone steps are skipped.
    PhoneInvalid,
    /// The recipient opted out at the provider: suppress the address.
    OptedOut(Channel),
}

/// The dispatcher's answer to a failed call.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterFailure {
    /// A `Wait` (caps given back, due again) or a `Skip`.
    pub decision: Decision,
    pub mark: Option<LeadMark>,
    /// A failure an operator must act on (credentials): alert once.
    pub alert: Option<String>,
}

/// What to do after a send failed. An unknown outcome keeps the
/// reservation (None): once its lease runs out the provider is asked
/// whether the attempt went out, and it is never sent again blindly.
pub fn after_send_failure(
    touch: &Touch,
    ctx: &Context,
    error: &SendError,
    now: DateTime<Utc>,
) -> Option<AfterFailure> {
    let wait = |minutes: i64, reason: String| AfterFailure {
        decision: Decision::Wait {
            until: now + Duration::minutes(minutes),
            kind: WaitKind::Backoff,
            reason,
        },
        mark: None,
        alert: None,
    };
    let skip = |reason: String, mark: Option<LeadMark>| AfterFailure {
        decision: Decision::Skip {
            reason,
            after: after_for_failure(touch, ctx, now),
        },
        mark,
        alert: None,
    };
    match error {
        SendError::Unknown { .. } => None,
        SendError::Retryable { .. } if touch.send_failures + 1 >= MAX_SEND_FAILURES => Some(skip(
            format!(
                "gave up after {} refusals; last: {error}",
                touch.send_failures + 1
            ),
            None,
        )),
        SendError::Retryable {
            rate_limited,
            retry_after,
            ..
        } => {
            let hint = retry_after
                .and_then(|d| Duration::from_std(d).ok())
                .map_or(0, |d| (d.num_seconds() + 59) / 60);
            let minutes = if *rate_limited {
                RATE_LIMIT_BACKOFF_MINUTES.max(hint)
            } else {
                backoff_minutes(touch.send_failures).max(hint)
            };
            Some(wait(
                minutes.min(24 * 60),
                format!(
                    "provider refused, retry {}: {error}",
                    touch.send_failures + 1
                ),
            ))
        }
        SendError::Final {
            kind: FinalKind::BadCredentials,
            provider,
            ..
        } => {
            let mut w = wait(
                BAD_CREDENTIALS_BACKOFF_MINUTES,
                format!("{provider} refused the tenant's credentials: {error}"),
            );
            w.alert = Some(format!(
                "{provider} refused the credentials of tenant {}: nothing goes through it until they are fixed",
                touch.tenant
            ));
            Some(w)
        }
        SendError::Final {
            kind: FinalKind::InvalidRecipient,
            ..
        } => {
            let mark = match touch.channel {
                Channel::Email => Some(LeadMark::EmailInvalid),
                Channel::Sms | Channel::Voice => Some(LeadMark::PhoneInvalid),
                Channel::Linkedin => None,
            };
            Some(skip(format!("recipient refused: {error}"), mark))
        }
        SendError::Final {
            kind: FinalKind::OptedOut,
            ..
        } => Some(skip(
            format!("recipient opted out at the provider: {error}"),
            Some(LeadMark::OptedOut(touch.channel)),
        )),
        SendError::Final {
            kind: FinalKind::Rejected,
            ..
        } => Some(skip(format!("send failed: {error}"), None)),
    }
}

/// 2, 4, 8 ... minutes after the n-th refusal (0-based), capped.
pub fn backoff_minutes(failures: u32) -> i64 {
    2i64.saturating_pow(failures.saturating_add(1).min(20))
        .min(MAX_BACKOFF_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(
            (0..8).map(backoff_minutes).collect::<Vec<_>>(),
            vec![2, 4, 8, 16, 32, 60, 60, 60]
        );
        assert_eq!(backoff_minutes(u32::MAX), MAX_BACKOFF_MINUTES);
    }
}
