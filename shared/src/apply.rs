//! Applying a normalised provider signal to a lead exactly once: dedup by
//! event id, replay check by token, forward-only status, stopped or trimmed
//! sequence, suppression, rate buckets, timeline; then publish to the bus.
//! Shared by webhook ingest and the one-click unsubscribe endpoint.

use crate::domain::lead::LeadStatus;
use crate::domain::signals::{effect, Cancel, Signal};
use crate::domain::targeting::suppression::{canonical_email, SuppressionKind};
use crate::domain::touch::{Channel, Touch, TouchState};
use crate::error::{Error, Result};
use crate::ports::EventPublisher;
use crate::settle::{settle, Answer};
use crate::store::{ApplyOutcome, Store};

/// Applies `signal` once. `token` is the provider's single-use token (if
/// its scheme has one); `raw` the payload as received, kept with the event.
pub async fn apply_signal(
    store: &Store,
    bus: &dyn EventPublisher,
    signal: &Signal,
    token: Option<&str>,
    raw: &str,
) -> Result<ApplyOutcome> {
    let t = &signal.tenant;
    let eff = effect(signal.kind);
    let summary = format!(
        "{} {} (event {}){}",
        signal.provider,
        signal.kind.as_str(),
        signal.event_id,
        if signal.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", signal.detail)
        }
    );
    let email = signal.email.as_deref().and_then(canonical_email);
    for _ in 0..5 {
        let lead = match &signal.lead_id {
            Some(id) => store.lead(t, id).await?,
            None => None,
        };
        let touches = match &lead {
            Some(l) => store.touches(t, &l.id).await?,
            None => vec![],
        };
        let mut cancel = Vec::new();
        let updated = lead.as_ref().map(|old| {
            let mut l = old.clone();
            match eff.counter {
                Some("opens") => {
                    l.opens += 1;
                    l.last_open_at = Some(signal.occurred_at);
                }
                Some("clicks") => l.clicks += 1,
                Some("replies") => l.replies += 1,
                _ => {}
            }
            if eff.counter.is_some() {
                l.last_activity_at = Some(signal.occurred_at);
            }
            if eff.mark_email_bounced {
                l.email_bounced = true;
            }
            for touch in &touches {
                let hit = match eff.cancel {
                    Cancel::Nothing => false,
                    Cancel::EmailSteps => touch.channel == Channel::Email,
                    Cancel::Everything => true,
                };
                if hit && touch.state.is_pending() {
                    let to = if eff.cancel == Cancel::EmailSteps {
                        TouchState::Skipped
                    } else {
                        TouchState::Cancelled
                    };
                    cancel.push((touch.clone(), to));
                }
            }
            let mut to = eff.status;
            if eff.mark_email_bounced {
                // Nothing left to send on other channels: the lead is bounced.
                let pending_left = touches
                    .iter()
                    .any(|x| x.state.is_pending() && x.channel != Channel::Email);
                if !pending_left {
                    to = Some(LeadStatus::Bounced);
                }
            }
            if let Some(to) = to {
                if l.status.can_move_to(to) {
                    l.status = to;
                }
            }
            if eff.cancel == Cancel::Everything && l.stop_reason.is_none() {
                l.stop_reason = Some(format!("{} via {}", signal.kind.as_str(), signal.provider));
            }
            l
        });
        let suppress = if eff.suppress_email {
            email
                .clone()
                .or_else(|| lead.as_ref().and_then(|l| l.email.clone()))
                .map(|e| (SuppressionKind::Email, e))
        } else {
            None
        };
        let outcome = store
            .apply_signal(
                t,
                &signal.provider,
                &signal.event_id,
                token,
                raw,
                updated.as_ref().zip(lead.as_ref().map(|l| l.version)),
                &cancel,
                suppress,
                eff.rate_field,
                &summary,
                signal.occurred_at,
            )
            .await?;
        match outcome {
            ApplyOutcome::Contended => continue,
            ApplyOutcome::Applied => {
                publish(store, bus, signal).await?;
                Box::pin(settle_from_signal(store, signal, &touches)).await;
                return Ok(outcome);
            }
            ApplyOutcome::Duplicate => {
                // A retry of an event applied earlier whose publication may
                // have failed: publish now (consumers are idempotent).
                if store
                    .event_unpublished(t, &signal.provider, &signal.event_id)
                    .await?
                {
                    publish(store, bus, signal).await?;
                }
                return Ok(outcome);
            }
            ApplyOutcome::Replay => return Ok(outcome),
        }
    }
    Err(Error::Conflict(format!(
        "lead kept changing while applying event {}",
        signal.event_id
    )))
}

/// A provider event about an attempt in doubt proves the provider took
/// it: settle it as sent, so the sequence goes on. A failure here leaves
/// it in doubt for an operator; the event itself is applied either way.
async fn settle_from_signal(store: &Store, signal: &Signal, touches: &[Touch]) {
    let Some(attempt) = signal.attempt.as_deref() else {
        return;
    };
    let Some(touch) = touches
        .iter()
        .find(|t| t.state == TouchState::InDoubt && t.attempt_id.as_deref() == Some(attempt))
    else {
        return;
    };
    let result = async {
        let t = &signal.tenant;
        let config = store.require_config(t).await?;
        let control = store.control(t).await?;
        let lead = store
            .lead(t, &touch.lead_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("lead {}", touch.lead_id)))?;
        let touches = store.touches(t, &touch.lead_id).await?;
        let answer = Answer::Sent(Some(format!("{}:{}", signal.provider, signal.event_id)));
        settle(
            store,
            &config,
            &control,
            &lead,
            &touches,
            touch,
            &answer,
            signal.occurred_at,
        )
        .await
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!(tenant = %signal.tenant, lead = %touch.lead_id, step = touch.step, "attempt in doubt settled as sent by a provider event")
        }
        Err(e) => {
            tracing::warn!(error = %e, "attempt in doubt not settled from the provider event")
        }
    }
}

async fn publish(store: &Store, bus: &dyn EventPublisher, signal: &Signal) -> Result<()> {
    let detail = serde_json::to_value(signal).map_err(|e| Error::messaging("serialize", e))?;
    bus.publish(&signal.kind.detail_type(), &detail).await?;
    store
        .mark_published(&signal.tenant, &signal.provider, &signal.event_id)
        .await
}
