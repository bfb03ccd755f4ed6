//! Dispatch tick: reads only the due touches (sparse, sharded index), and for
//! each one checks the switches, the lead, suppression, the recipient-local
//! window and every daily cap, then sends it exactly once: reserve (touch +
//! caps in one transaction) -> send -> confirm -> wake the next step.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::Serialize;
use shared::domain::dispatch::caps::{caps_for_touch, sender_candidates};
use shared::domain::dispatch::sequence::StepCondition;
use shared::domain::dispatch::window::SendWindow;
use shared::domain::lead::LeadStatus;
use shared::domain::targeting::suppression::{
    canonical_phone, domain_matches, lead_suppression_keys, suppression_keys, SuppressionKind,
};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::{Channel, Touch, TouchState};
use shared::error::{Error, Result};
use shared::ports::{ChannelSender, Clock};
use shared::store::{short_id, Reservation, Store};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub struct App {
    pub store: Store,
    /// The shadow outbox: where every send of a tenant in shadow mode goes.
    pub sender: Arc<dyn ChannelSender>,
    /// Real provider senders; none yet. A tenant out of shadow mode without
    /// one is not sent to (and not silently shadowed either).
    pub live: Option<Arc<dyn ChannelSender>>,
    pub clock: Arc<dyn Clock>,
    /// How long a reservation may stay unconfirmed before it is in doubt.
    pub lease: Duration,
    /// Due touches read per shard per tick.
    pub per_shard_limit: i32,
}

/// What one tick did, for logs, metrics, tests and the demo.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct TickReport {
    pub due: u32,
    pub sent: u32,
    pub waiting_for_window: u32,
    pub waiting_for_cap: u32,
    pub cancelled: u32,
    pub skipped: u32,
    pub blocked: u32,
    pub in_doubt: u32,
    pub lost_race: u32,
    pub errors: u32,
    pub dynamodb_requests: u64,
}

enum Outcome {
    Sent,
    Window,
    Cap,
    Cancelled,
    Skipped,
    Blocked,
    InDoubt,
    LostRace,
}

fn window_for(config: &TenantConfig, channel: Channel) -> &SendWindow {
    match channel {
        Channel::Email => &config.windows.email,
        Channel::Voice => &config.windows.call,
        Channel::Sms => &config.windows.sms,
        Channel::Linkedin => &config.windows.linkedin,
    }
}

/// Is a full cap specific to one sender (so another mailbox/number may
/// still send), rather than tenant- or lead-wide?
fn sender_specific(scope: &str) -> bool {
    ["#domain#", "#mailbox#", "#number#", "#connect#"]
        .iter()
        .any(|p| scope.contains(p))
}

impl App {
    pub async fn tick(&self) -> Result<TickReport> {
        let now = self.clock.now();
        let before = self.store.requests();
        let mut report = TickReport::default();
        let mut configs: HashMap<String, Arc<TenantConfig>> = HashMap::new();
        let mut blocked: HashSet<String> = HashSet::new();
        for shard in 0..self.store.shards() {
            let due = self
                .store
                .due_touches(shard, now, self.per_shard_limit)
                .await?;
            for (touch, due_sk) in due {
                report.due += 1;
                if blocked.contains(&touch.tenant) {
                    report.blocked += 1;
                    continue;
                }
                let config = match configs.get(&touch.tenant) {
                    Some(c) => c.clone(),
                    None => match self.store.config_with_warmup(&touch.tenant).await {
                        Ok(Some(c)) => {
                            let c = Arc::new(c);
                            configs.insert(touch.tenant.clone(), c.clone());
                            c
                        }
                        Ok(None) => {
                            tracing::error!(tenant = %touch.tenant, "due touch of an unknown tenant");
                            report.errors += 1;
                            continue;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "config read failed");
                            report.errors += 1;
                            continue;
                        }
                    },
                };
                match self.process(&config, &touch, &due_sk, now).await {
                    Ok(Outcome::Sent) => report.sent += 1,
                    Ok(Outcome::Window) => report.waiting_for_window += 1,
                    Ok(Outcome::Cap) => report.waiting_for_cap += 1,
                    Ok(Outcome::Cancelled) => report.cancelled += 1,
                    Ok(Outcome::Skipped) => report.skipped += 1,
                    Ok(Outcome::Blocked) => {
                        report.blocked += 1;
                        blocked.insert(touch.tenant.clone());
                    }
                    Ok(Outcome::InDoubt) => report.in_doubt += 1,
                    Ok(Outcome::LostRace) => report.lost_race += 1,
                    Err(e) => {
                        tracing::error!(error = %e, tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, "touch failed");
                        report.errors += 1;
                    }
                }
            }
        }
        report.dynamodb_requests = self.store.requests() - before;
        Ok(report)
    }

    async fn process(
        &self,
        config: &TenantConfig,
        touch: &Touch,
        due_sk: &str,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        if touch.state == TouchState::Sending {
            // The due index holds a reservation at its lease's expiry: the
            // sender crashed between reserve and confirm. Never resend blindly.
            return Ok(if self.store.mark_in_doubt(touch, due_sk, now).await? {
                tracing::warn!(tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, "send in doubt");
                Outcome::InDoubt
            } else {
                Outcome::LostRace
            });
        }
        if touch.state != TouchState::Due {
            return Ok(Outcome::LostRace);
        }
        // The window is checked first, from what the touch carries: a touch
        // outside its window costs one write, no reads.
        let tz: chrono_tz::Tz = touch
            .timezone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or_else(|| config.tz());
        let window = window_for(config, touch.channel);
        let seed = shared::domain::ids::LeadId::parse(&touch.lead_id)
            .map(|l| l.hash64())
            .unwrap_or(0)
            .wrapping_add(u64::from(touch.step));
        if !window.is_open(now, tz) {
            let at = window.schedule(now, tz, seed, config.windows.jitter_max_secs);
            let why = format!("outside the {} window in {}", touch.channel, tz.name());
            return Ok(if self.store.reschedule(touch, due_sk, at, &why).await? {
                Outcome::Window
            } else {
                Outcome::LostRace
            });
        }
        let mut keys = suppression_keys(
            (touch.channel == Channel::Email)
                .then_some(touch.recipient.as_str())
                .or(touch.lead_email.as_deref()),
            touch.company_domain.as_deref(),
            matches!(touch.channel, Channel::Voice | Channel::Sms)
                .then_some(touch.recipient.as_str())
                .or(touch.lead_phone.as_deref()),
        );
        for phone in touch
            .lead_phone
            .iter()
            .chain(&touch.lead_other_phones)
            .filter_map(|p| canonical_phone(p))
        {
            if !keys.contains(&(SuppressionKind::Phone, phone.clone())) {
                keys.push((SuppressionKind::Phone, phone));
            }
        }
        let (control, lead, hits) = self
            .store
            .send_context(&touch.tenant, &touch.lead_id, &keys)
            .await?;
        if let Some(why) = control.blocked() {
            tracing::info!(tenant = %touch.tenant, why, "sending blocked");
            return Ok(Outcome::Blocked);
        }
        let end = |to: TouchState, why: String| async move {
            self.store
                .end_touch(touch, TouchState::Due, to, &why, now)
                .await
                .map(|done| match (done, to) {
                    (false, _) => Outcome::LostRace,
                    (true, TouchState::Skipped) => Outcome::Skipped,
                    (true, _) => Outcome::Cancelled,
                })
        };
        let Some(lead) = lead else {
            return end(TouchState::Cancelled, "lead no longer exists".into()).await;
        };
        if lead.status.is_terminal()
            || lead.replies > 0
            || matches!(lead.status, LeadStatus::Replied)
        {
            return end(
                TouchState::Cancelled,
                format!("lead is {} (sequence stopped)", lead.status),
            )
            .await;
        }
        // An entry on any way to reach the lead (its email on a call, its
        // phone on an email or a LinkedIn step, a parent domain of either
        // domain) stops every channel, as it does at intake. The keys read
        // above are the lead's addresses as drafted; one more read covers
        // any it has gained or changed since (or a touch drafted before
        // touches carried them).
        let lead_keys = lead_suppression_keys(&lead);
        let unread: Vec<_> = lead_keys
            .iter()
            .filter(|k| !keys.contains(k))
            .cloned()
            .collect();
        let mut hits = hits;
        if !unread.is_empty() {
            hits.extend(self.store.suppression_hits(&touch.tenant, &unread).await?);
        }
        if !hits.is_empty() {
            return end(
                TouchState::Cancelled,
                format!("suppressed: {}", hits.join(", ")),
            )
            .await;
        }
        // A later import can say the lead became a customer (or its
        // business closed): nothing more goes out.
        if let Some(hold) = &lead.hold {
            return end(TouchState::Cancelled, format!("held: {hold}")).await;
        }
        let excluded = keys
            .iter()
            .chain(&lead_keys)
            .filter(|(kind, _)| *kind == SuppressionKind::Domain)
            .find_map(|(_, domain)| {
                config
                    .excluded_domains
                    .iter()
                    .find(|ex| domain_matches(ex, domain))
            });
        if let Some(ex) = excluded {
            return end(
                TouchState::Cancelled,
                format!("excluded customer domain {ex}"),
            )
            .await;
        }
        if touch
            .send_conditions
            .contains(&StepCondition::LinkedinConnected)
            && !lead.linkedin_connected
        {
            return self
                .skip(
                    config,
                    touch,
                    &lead,
                    "condition linkedin_connected not met: the connection request was not accepted",
                    now,
                )
                .await;
        }
        // Ramp mode: while it lasts only the allowed tiers are sent to; the
        // others wait for its end (the ramp's own daily cap is reserved below).
        let tenant_tz = config.tz();
        let day = now.with_timezone(&tenant_tz).date_naive();
        let ramp = &config.approval.ramp;
        if ramp.active_on(day) && !touch.tier.is_some_and(|t| ramp.tiers.contains(&t)) {
            let end_day = ramp.last_day().unwrap_or(day) + Duration::days(1);
            let after = tenant_tz
                .from_local_datetime(&end_day.and_hms_opt(0, 5, 0).expect("valid time"))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now + Duration::days(1));
            let at = window.schedule(after, tz, seed, config.windows.jitter_max_secs);
            let why = format!(
                "ramp mode until {}: only {:?} are sent to",
                end_day - Duration::days(1),
                ramp.tiers
            );
            return Ok(if self.store.reschedule(touch, due_sk, at, &why).await? {
                Outcome::Cap
            } else {
                Outcome::LostRace
            });
        }
        if touch.channel == Channel::Email && lead.email_bounced {
            return self
                .skip(config, touch, &lead, "email address bounced", now)
                .await;
        }
        let current = lead.address(touch.channel);
        if current != touch.recipient {
            return end(
                TouchState::Cancelled,
                "recipient changed after approval; needs a new draft".into(),
            )
            .await;
        }
        if lead.attempts >= config.caps.max_attempts_per_lead {
            return end(
                TouchState::Cancelled,
                format!(
                    "max attempts ({}) reached",
                    config.caps.max_attempts_per_lead
                ),
            )
            .await;
        }

        let sender = match (&config.shadow_mode, &self.live) {
            (true, _) => self.sender.clone(),
            (false, Some(live)) => live.clone(),
            (false, None) => {
                return Err(Error::Config(format!(
                    "tenant {} is out of shadow mode but no live {} provider is configured",
                    touch.tenant, touch.channel
                )))
            }
        };
        let rotation = seed.wrapping_add(u64::from(day.num_days_from_ce() as u32));
        let mut reserved = None;
        let mut full_scope = String::new();
        for candidate in sender_candidates(config, touch.channel, rotation) {
            let caps = caps_for_touch(config, touch, &candidate, day);
            let attempt = format!("{}-{:02}-{}", touch.lead_id, touch.step, short_id());
            match self
                .store
                .reserve(
                    touch,
                    due_sk,
                    &attempt,
                    &candidate.identity,
                    candidate.domain.as_deref(),
                    now + self.lease,
                    &caps,
                    day,
                )
                .await?
            {
                Reservation::Reserved => {
                    reserved = Some((candidate, caps, attempt));
                    break;
                }
                Reservation::TouchGone => return Ok(Outcome::LostRace),
                Reservation::Blocked => return Ok(Outcome::Blocked),
                Reservation::CapFull(scope) => {
                    full_scope = scope;
                    if !sender_specific(&full_scope) {
                        break;
                    }
                }
            }
        }
        let Some((candidate, caps, attempt)) = reserved else {
            // Every sender is at its cap today: try again when the tenant's
            // next day has started and the recipient's window is open.
            let tomorrow = tenant_tz
                .from_local_datetime(
                    &(day + Duration::days(1))
                        .and_hms_opt(0, 5, 0)
                        .expect("valid time"),
                )
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now + Duration::hours(24));
            let at = window.schedule(tomorrow, tz, seed, config.windows.jitter_max_secs);
            let why = if full_scope.is_empty() {
                format!("no {} sender configured", touch.channel)
            } else {
                format!("daily cap full: {full_scope}")
            };
            return Ok(if self.store.reschedule(touch, due_sk, at, &why).await? {
                Outcome::Cap
            } else {
                Outcome::LostRace
            });
        };

        let mut sending = touch.clone();
        sending.sender_domain = candidate.domain.clone();
        match sender
            .send(&sending, &lead, &candidate.identity, &attempt)
            .await
        {
            Ok(provider_id) => {
                if !self
                    .store
                    .confirm(touch, &attempt, &provider_id, now)
                    .await?
                {
                    // Only the lease-expiry path can have moved it: it is in doubt.
                    return Err(Error::Conflict(format!(
                        "attempt {attempt} could not be confirmed"
                    )));
                }
            }
            Err(e) => {
                let retry_at = now + Duration::minutes(5);
                self.store
                    .release(touch, &attempt, &caps, day, retry_at, &e.to_string())
                    .await?;
                if !e.is_retryable() {
                    let mut due = touch.clone();
                    due.state = TouchState::Due;
                    return self
                        .skip(config, &due, &lead, &format!("send failed: {e}"), now)
                        .await;
                }
                return Err(e);
            }
        }

        if lead.status == LeadStatus::Queued {
            self.store
                .mark_contacted(
                    &touch.tenant,
                    &touch.lead_id,
                    &format!("step {} sent on {}", touch.step, touch.channel),
                    now,
                )
                .await?;
        }
        if let Some(next) = touch.next_step {
            self.wake_next(config, touch, next, lead.first_sent_at.unwrap_or(now), now)
                .await?;
        }
        Ok(Outcome::Sent)
    }

    /// Skips a due touch and wakes the step after it: a skipped step does
    /// not end the sequence (a stop cancels instead).
    async fn skip(
        &self,
        config: &TenantConfig,
        touch: &Touch,
        lead: &shared::domain::lead::Lead,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        if !self
            .store
            .end_touch(touch, TouchState::Due, TouchState::Skipped, why, now)
            .await?
        {
            return Ok(Outcome::LostRace);
        }
        if let Some(next) = touch.next_step {
            let first = lead.first_sent_at.unwrap_or(now);
            self.wake_next(config, touch, next, first, now).await?;
        }
        Ok(Outcome::Skipped)
    }

    /// Makes the next step due at its day. When that step is no longer
    /// planned (rejected and not redrafted, skipped), the first planned step
    /// after it is woken instead; one still waiting for approval stops the
    /// walk, and its approval makes it due.
    async fn wake_next(
        &self,
        config: &TenantConfig,
        touch: &Touch,
        next: u8,
        first_sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let due = |step: u8| {
            config
                .sequence
                .iter()
                .find(|s| s.step == step)
                .map(|s| shared::domain::dispatch::sequence::due_at(first_sent_at, s.day).max(now))
                .unwrap_or(now)
        };
        if self
            .store
            .activate(&touch.tenant, &touch.lead_id, next, due(next))
            .await?
        {
            return Ok(());
        }
        // Rare path: one query of the lead's touches.
        let touches = self.store.touches(&touch.tenant, &touch.lead_id).await?;
        for t in touches.iter().filter(|t| t.step >= next) {
            match t.state {
                TouchState::Skipped | TouchState::Cancelled => continue,
                TouchState::Planned => {
                    self.store
                        .activate(&touch.tenant, &touch.lead_id, t.step, due(t.step))
                        .await?;
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }
}

/// One CloudWatch Embedded Metric Format line for a tick.
pub fn emf_line(r: &TickReport) -> String {
    serde_json::json!({
        "_aws": {"Timestamp": chrono::Utc::now().timestamp_millis(), "CloudWatchMetrics": [{
            "Namespace": "Outbound", "Dimensions": [[]],
            "Metrics": [
                {"Name": "Sent", "Unit": "Count"}, {"Name": "Due", "Unit": "Count"},
                {"Name": "DynamoDBRequests", "Unit": "Count"}, {"Name": "InDoubt", "Unit": "Count"},
                {"Name": "Errors", "Unit": "Count"}
            ]}]},
        "Sent": r.sent, "Due": r.due, "DynamoDBRequests": r.dynamodb_requests,
        "InDoubt": r.in_doubt, "Errors": r.errors
    })
    .to_string()
}
