//! Settling a touch in doubt once its fate is known, from an operator
//! (`POST /admin/in-doubt/...`) or a provider's event naming the attempt:
//! sent confirms it and the sequence goes on as after any send; not sent
//! gives its caps back and makes it due again; cancelled gives the caps
//! back and passes the step over.

use crate::domain::campaigns::results::count_send;
use crate::domain::dispatch::decide::{after_answer, Context, Known};
use crate::domain::lead::Lead;
use crate::domain::tenant::{Control, TenantConfig};
use crate::domain::touch::{Touch, TouchState};
use crate::error::{Error, Result};
use crate::store::{Landed, Release, Store};
use chrono::{DateTime, Duration, Utc};

/// What became of an attempt in doubt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It went out (under this provider id, if known).
    Sent(Option<String>),
    NotSent,
    Cancel,
}

impl Answer {
    pub fn parse(s: &str, provider_id: Option<String>) -> Option<Self> {
        match s {
            "sent" => Some(Answer::Sent(provider_id)),
            "not_sent" => Some(Answer::NotSent),
            "cancel" => Some(Answer::Cancel),
            _ => None,
        }
    }
}

/// Applies `answer` to step `touch` of `lead` (whose touches are
/// `touches`). `Conflict` if it is not in doubt, or changed meanwhile.
#[allow(clippy::too_many_arguments)]
pub async fn settle(
    store: &Store,
    config: &TenantConfig,
    control: &Control,
    lead: &Lead,
    touches: &[Touch],
    touch: &Touch,
    answer: &Answer,
    now: DateTime<Utc>,
) -> Result<()> {
    let step = touch.step;
    if touch.state != TouchState::InDoubt {
        return Err(Error::Conflict(format!(
            "step {step} of lead {} is {}, not in doubt",
            lead.id,
            touch.state.as_str()
        )));
    }
    let later: Vec<Touch> = touches.iter().filter(|t| t.step > step).cloned().collect();
    let known = Known::default();
    let ctx = Context {
        config,
        campaign: None,
        control,
        lead: Some(lead),
        later: &later,
        known: &known,
        has_sender: true,
        lease: Duration::minutes(5),
        desk: None,
    };
    let changed = || Error::Conflict(format!("step {step} of lead {} changed meanwhile", lead.id));
    let Some(open) = store.reopen_in_doubt(touch, now).await? else {
        return Err(changed());
    };
    let attempt = open.attempt_id.clone().unwrap_or_default();
    let day = open
        .caps_day
        .unwrap_or_else(|| now.with_timezone(&config.tz()).date_naive());
    let landed = match answer {
        Answer::Sent(provider_id) => {
            let provider_id = provider_id
                .clone()
                .unwrap_or_else(|| format!("settled:{attempt}"));
            let after = after_answer(&open, &ctx, true, now);
            // It went out when it was attempted, not when it was settled.
            let counted = count_send(&open, config, open.attempted_at.unwrap_or(now));
            store
                .confirm(
                    &open,
                    &attempt,
                    &provider_id,
                    &after,
                    lead.version,
                    None,
                    counted,
                    now,
                )
                .await?
        }
        Answer::NotSent => {
            store
                .release(
                    &open,
                    &attempt,
                    &open.caps_taken,
                    day,
                    Release::Retry {
                        at: now,
                        why: "found not sent; due again",
                    },
                    now,
                )
                .await?
        }
        Answer::Cancel => {
            let after = after_answer(&open, &ctx, false, now);
            store
                .release(
                    &open,
                    &attempt,
                    &open.caps_taken,
                    day,
                    Release::Skip {
                        why: "cancelled by an operator while in doubt",
                        after: &after,
                        mark: None,
                    },
                    now,
                )
                .await?
        }
    };
    if landed == Landed::NotOurs {
        return Err(changed());
    }
    Ok(())
}
