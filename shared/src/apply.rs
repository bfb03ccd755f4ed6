//! Applying a normalised provider signal to a lead exactly once: dedup by
//! event id, replay check by token, forward-only status, stopped or trimmed
//! sequence, suppression, rate buckets, timeline; then publish to the bus.
//! Shared by webhook ingest and the one-click unsubscribe endpoint.

use crate::domain::signals::effects::{plan, Plan, SMS_STOP_REASON};
use crate::domain::signals::{Signal, SignalKind};
use crate::domain::touch::{Channel, Touch, TouchState};
use crate::error::{Error, Result};
use crate::ports::EventPublisher;
use crate::settle::{settle, Answer};
use crate::store::{ApplyOutcome, Store};
use chrono::{DateTime, Utc};

/// What applying a signal came to, and what it decided (for the caller's
/// follow-ups: an alert, a referral, a recording to send).
#[derive(Debug, Clone)]
pub struct Applied {
    pub outcome: ApplyOutcome,
    pub plan: Plan,
}

/// Applies `signal` once. `token` is the provider's single-use token (if
/// its scheme has one); `raw` the payload as received, kept with the event.
pub async fn apply_signal(
    store: &Store,
    bus: &dyn EventPublisher,
    signal: &Signal,
    token: Option<&str>,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<Applied> {
    let t = &signal.tenant;
    for _ in 0..5 {
        let lead = match &signal.lead_id {
            Some(id) => store.lead(t, id).await?,
            None => None,
        };
        let touches = match &lead {
            Some(l) => store.touches(t, &l.id).await?,
            None => vec![],
        };
        // The domain a bounce or complaint counts against: the provider's
        // word, else the touch it is about, else the mailbox the lead hears from.
        let mut signal = std::borrow::Cow::Borrowed(signal);
        if signal.sender_domain.is_none() {
            let domain = touches
                .iter()
                .find(|x| x.attempt_id.is_some() && x.attempt_id == signal.attempt)
                .and_then(|x| x.sender_domain.clone())
                .or_else(|| {
                    lead.as_ref()
                        .and_then(|l| l.sender_email.as_deref())
                        .and_then(|e| e.rsplit_once('@'))
                        .map(|(_, d)| d.to_ascii_lowercase())
                });
            if domain.is_some() {
                signal.to_mut().sender_domain = domain;
            }
        }
        let signal = signal.as_ref();
        let mut plan = plan(signal, lead.as_ref(), &touches, now);
        if !plan.suppress.is_empty() || !plan.lift.is_empty() {
            let wanted: Vec<_> = plan.suppress.iter().chain(&plan.lift).cloned().collect();
            let found = store.suppression_entries(t, &wanted).await?;
            let on_list = |k: &(_, String)| found.iter().find(|e| e.kind == k.0 && e.value == k.1);
            plan.suppress.retain(|k| on_list(k).is_none());
            plan.lift
                .retain(|k| on_list(k).is_some_and(|e| e.reason.starts_with(SMS_STOP_REASON)));
        }
        let outcome = store
            .apply_signal(
                signal,
                token,
                raw,
                &plan,
                lead.as_ref().map(|l| l.version),
                now,
            )
            .await?;
        match outcome {
            ApplyOutcome::Contended => continue,
            ApplyOutcome::Applied => {
                publish_once(store, bus, signal, now).await?;
                Box::pin(settle_from_signal(store, signal, &touches)).await;
                Box::pin(after_call(store, signal, &touches, now)).await;
            }
            // A retry of an event applied earlier whose publication may
            // have failed: publish now, unless another delivery is. What
            // follows a call's end is idempotent: it is done again in case
            // the first delivery stopped before it.
            ApplyOutcome::Duplicate => {
                publish_once(store, bus, signal, now).await?;
                Box::pin(after_call(store, signal, &touches, now)).await;
            }
            ApplyOutcome::Replay => {}
        }
        return Ok(Applied { outcome, plan });
    }
    Err(Error::Conflict(format!(
        "lead kept changing while applying event {}",
        signal.event_id
    )))
}

/// What the end of a call changes at the desk: its slot is free, an
/// unanswered call is dialled again later, a voicemail brings the next
/// text or email forward, and the day's outcomes count it once. Each write
/// is conditional on the attempt, so a redelivery changes nothing; a
/// failure is logged (the slot's lease frees it anyway), never the event's.
async fn after_call(store: &Store, signal: &Signal, touches: &[Touch], now: DateTime<Utc>) {
    use crate::domain::dialing::outcome;
    if !outcome::ends_call(signal.kind) {
        return;
    }
    let Some(attempt) = signal.attempt.as_deref() else {
        return;
    };
    let Some(call) = touches
        .iter()
        .find(|t| t.channel == Channel::Voice && t.attempt_id.as_deref() == Some(attempt))
    else {
        return;
    };
    let t = &signal.tenant;
    let result: Result<()> = async {
        if let Some(slot) = call.desk.call_slot {
            store.release_call_slot(t, slot, attempt, now).await?;
        }
        let config = store.require_config(t).await?;
        let next = outcome::after_call(signal.kind, call, touches, &config.dialer, now);
        if let Some(at) = next.redial_at {
            let why = format!("{}: dialled again at {at}", signal.kind.as_str());
            store.redial(call, attempt, at, &why).await?;
        }
        if let Some((step, at)) = &next.wake {
            store.bring_forward(step, *at).await?;
        }
        if !matches!(
            signal.kind,
            SignalKind::CallUnknown | SignalKind::CallStatus
        ) {
            let day = now.with_timezone(&config.tz()).date_naive();
            let name = signal.kind.as_str().trim_start_matches("call_");
            store.count_call_outcome(t, day, attempt, name).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(tenant = %t, attempt, error = %e, "call end not fully applied at the desk");
    }
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

/// Publishes an applied event on the bus once: the delivery that takes
/// the publication lease publishes and marks it; concurrent redeliveries
/// see the lease or the mark and do not.
async fn publish_once(
    store: &Store,
    bus: &dyn EventPublisher,
    signal: &Signal,
    now: DateTime<Utc>,
) -> Result<()> {
    let (t, p, id) = (&signal.tenant, &signal.provider, &signal.event_id);
    if !store.claim_publication(t, p, id, now).await? {
        return Ok(());
    }
    let detail = serde_json::to_value(signal).map_err(|e| Error::messaging("serialize", e))?;
    bus.publish(&signal.kind.detail_type(), &detail).await?;
    store.mark_published(t, p, id).await
}
