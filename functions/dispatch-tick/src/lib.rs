//! Dispatch tick: read -> decide -> apply. It walks the shards of the due
//! index from a random one, takes a short lease on each shard it finds work
//! in (concurrent ticks split the shards instead of fighting over touches),
//! reads what the page's decisions need in a few batch requests, asks the
//! pure `decide` what to do with each touch, and applies the answer in one
//! transaction: reserve (touch + caps + switches + lead + suppression) ->
//! send -> confirm (sent + lead + next step + outbox).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shared::adapters::outbox::ShadowOutbox;
use shared::domain::campaigns::results::count_send;
use shared::domain::campaigns::{campaign_of, Campaign};
use shared::domain::dispatch::decide::{
    before_reading, decide, AfterSend, Context, Decision, Known, SendPlan, WaitKind,
};
use shared::domain::dispatch::failure::{after_send_failure, FinalKind, SendError};
use shared::domain::lead::Lead;
use shared::domain::targeting::enrichment::CircuitPolicy;
use shared::domain::tenant::{Control, TenantConfig};
use shared::domain::touch::{Touch, TouchState};
use shared::error::{Error, Result};
use shared::ports::{Alerter, Attempt, ChannelSender, Clock, Delivery};
use shared::store::{short_id, Enqueued, Landed, Release, Reservation, ReserveRequest, Store};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

mod desk;
mod page;
mod reconcile;
use desk::DeskTurn;
use page::Tenants;

/// Send errors of one tenant in one hour above which operators are alerted.
pub const SEND_ERRORS_ALERT_PER_HOUR: u32 = 10;

pub struct App {
    pub store: Store,
    /// The shadow outbox: what every send of a tenant in shadow mode goes through.
    pub sender: Arc<dyn ChannelSender>,
    /// The real provider sender; a tenant out of shadow mode without one
    /// is held (and not silently shadowed either).
    pub live: Option<Arc<dyn ChannelSender>>,
    /// Where operator alerts go (a failing channel, a run of send errors).
    pub alerter: Option<Arc<dyn Alerter>>,
    /// When a live provider's circuit opens, and for how long.
    pub circuit: CircuitPolicy,
    pub clock: Arc<dyn Clock>,
    /// How long a reservation may stay unconfirmed before it is reconciled.
    pub lease: Duration,
    /// Due touches read per shard per tick.
    pub per_shard_limit: i32,
    /// This dispatcher's name on shard leases: successive ticks of one
    /// process keep their shards; concurrent processes split them.
    pub id: String,
    /// How long a shard lease lasts (renewed while a page is worked).
    pub shard_lease: Duration,
}

impl App {
    /// A dispatcher over `store` with the shadow outbox, no live provider
    /// and the default leases.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            sender: Arc::new(ShadowOutbox::new()),
            live: None,
            alerter: None,
            circuit: CircuitPolicy::default(),
            clock,
            lease: Duration::minutes(5),
            per_shard_limit: 200,
            id: format!("tick-{}", short_id()),
            shard_lease: Duration::seconds(50),
        }
    }
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
    /// Sends a provider refused for now (rate limit, outage): due again
    /// after a backoff, caps given back.
    pub provider_retries: u32,
    /// Expired reservations the provider accounted for (sent, or never sent
    /// and due again).
    pub reconciled: u32,
    /// Expired reservations the provider cannot account for yet (its
    /// records lag): asked again later, still never resent.
    pub awaiting_provider: u32,
    /// Follow-ups (next step, lead status) finished after a send or skip.
    pub followed_up: u32,
    pub lost_race: u32,
    /// Call steps that joined their tenant's call queue.
    pub queued_calls: u32,
    /// Dialing desks worked, and queued calls left for a later tick
    /// (no free slot or paced number yet).
    pub desks: u32,
    pub calls_waiting: u32,
    pub errors: u32,
    /// Shards this tick worked, and shards with work another tick held.
    pub shards_worked: u32,
    pub shards_left_to_others: u32,
    pub dynamodb_requests: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Window,
    Cap,
    Cancelled,
    Skipped,
    Blocked,
    InDoubt,
    /// A provider refused for now; due again after a backoff.
    Retry,
    Reconciled,
    AwaitingProvider,
    FollowedUp,
    LostRace,
    /// Joined the call queue.
    Queued,
    /// Left in the call queue for a later tick.
    Paced,
}

impl TickReport {
    fn count(&mut self, o: Outcome) {
        match o {
            Outcome::Sent => self.sent += 1,
            Outcome::Window => self.waiting_for_window += 1,
            Outcome::Cap => self.waiting_for_cap += 1,
            Outcome::Cancelled => self.cancelled += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Blocked => self.blocked += 1,
            Outcome::InDoubt => self.in_doubt += 1,
            Outcome::Retry => self.provider_retries += 1,
            Outcome::Reconciled => self.reconciled += 1,
            Outcome::AwaitingProvider => self.awaiting_provider += 1,
            Outcome::FollowedUp => self.followed_up += 1,
            Outcome::LostRace => self.lost_race += 1,
            Outcome::Queued => self.queued_calls += 1,
            Outcome::Paced => self.calls_waiting += 1,
        }
    }
}

/// Everything one touch's decision is made on.
struct Facts {
    /// The tenant's config as the touch's campaign sees it.
    config: Arc<TenantConfig>,
    campaign: Arc<Campaign>,
    control: Control,
    lead: Option<Lead>,
    later: Vec<Touch>,
    known: Known,
    /// The touch is in its tenant's call queue (the desk decides about it).
    queued: bool,
}

impl App {
    pub async fn tick(&self) -> Result<TickReport> {
        let result = self.tick_inner().await;
        let errors = match &result {
            Ok(r) => r.errors,
            Err(_) => 1,
        };
        shared::ops::count_errors(&self.store, "dispatch-tick", errors, self.clock.now()).await;
        result
    }

    async fn tick_inner(&self) -> Result<TickReport> {
        let now = self.clock.now();
        let before = self.store.requests();
        let mut report = TickReport::default();
        let mut tenants = Tenants::default();
        let shards = self.store.shards();
        let first = rand::random::<u32>() % shards;
        for i in 0..shards {
            let shard = (first + i) % shards;
            let page = self
                .store
                .due_page(shard, now, self.per_shard_limit)
                .await?;
            if page.touches.is_empty() && page.desks.is_empty() {
                continue;
            }
            let held_by_other = page
                .lease
                .as_ref()
                .is_some_and(|l| l.owner != self.id && l.until > now);
            if held_by_other
                || !self
                    .store
                    .take_shard(shard, &self.id, now, now + self.shard_lease)
                    .await?
            {
                report.shards_left_to_others += 1;
                continue;
            }
            report.shards_worked += 1;
            self.work(shard, page.touches, now, &mut tenants, &mut report)
                .await?;
            for (tenant, desk_sk) in page.desks {
                self.run_desk(&tenant, &desk_sk, now, &mut tenants, &mut report)
                    .await;
            }
        }
        // Calls queued in this tick are dialled in it too: their desk was
        // woken for now, so the desk row's key is known.
        let late: Vec<String> = tenants
            .queued_for
            .difference(&tenants.desks_run)
            .cloned()
            .collect();
        for tenant in late {
            let desk_sk = shared::store::desk_sort_key(&tenant, now);
            self.run_desk(&tenant, &desk_sk, now, &mut tenants, &mut report)
                .await;
        }
        report.dynamodb_requests = self.store.requests() - before;
        Ok(report)
    }

    /// One turn of a tenant's desk; its failure is counted, never the tick's.
    async fn run_desk(
        &self,
        tenant: &str,
        desk_sk: &str,
        now: DateTime<Utc>,
        tenants: &mut Tenants,
        report: &mut TickReport,
    ) {
        tenants.desks_run.insert(tenant.to_string());
        if let Err(e) = Box::pin(self.desk(tenant, desk_sk, now, tenants, report)).await {
            tracing::error!(error = %e, tenant = %tenant, "dialing desk failed");
            report.errors += 1;
        }
    }

    fn sender_for(&self, via: &str) -> Option<Arc<dyn ChannelSender>> {
        match via {
            "live" => self.live.clone(),
            _ => Some(self.sender.clone()),
        }
    }

    /// read -> decide -> apply for one touch. A reservation that fails on
    /// one of its checks teaches the decision something (a full cap, a
    /// suppression entry, a changed lead, a thrown switch) and it decides
    /// again; each round costs the one request that found it out.
    async fn dispatch(
        &self,
        touch: &Touch,
        due_sk: &str,
        facts: &mut Facts,
        mut desk: Option<&mut DeskTurn>,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        for _ in 0..8 {
            let has_sender = facts.config.shadow_mode || self.live.is_some();
            let decision = decide(
                touch,
                &Context {
                    config: &facts.config,
                    campaign: Some(&facts.campaign),
                    control: &facts.control,
                    lead: facts.lead.as_ref(),
                    later: &facts.later,
                    known: &facts.known,
                    has_sender,
                    lease: self.lease,
                    desk: desk.as_deref().map(DeskTurn::view),
                },
                now,
            );
            let plan = match decision {
                Decision::Send(plan) => plan,
                other => return self.apply(touch, due_sk, facts, other, now).await,
            };
            let (sender, caps) = &plan.senders[0];
            let attempt = format!("{}-{:02}-{}", touch.lead_id, touch.step, short_id());
            let claim = match desk.as_deref() {
                Some(turn) => match turn.claim(touch, &sender.identity, plan.after_hours, now) {
                    Some(c) => Some(c),
                    None => return Ok(Outcome::Paced),
                },
                None => None,
            };
            let via = if facts.config.shadow_mode {
                "shadow"
            } else {
                "live"
            };
            let reservation = self
                .store
                .reserve(&ReserveRequest {
                    touch,
                    due_sk,
                    attempt_id: &attempt,
                    sender,
                    caps,
                    day: plan.day,
                    lease_until: plan.lease_until,
                    at: self.clock.now(),
                    lead_version: plan.lead_version,
                    suppression: &plan.suppression,
                    claims: &plan.claims,
                    via,
                    desk: claim.as_ref(),
                })
                .await?;
            match reservation {
                Reservation::Reserved => {
                    for cap in caps {
                        *facts.known.loads.entry(cap.scope.clone()).or_default() += 1;
                    }
                    let mut dialled;
                    let touch = match (&claim, desk.as_deref_mut()) {
                        (Some(c), Some(turn)) => {
                            turn.taken(c, now);
                            dialled = touch.clone();
                            dialled.desk.call_slot = Some(c.slot);
                            dialled.desk.after_hours = c.after_hours;
                            &dialled
                        }
                        _ => touch,
                    };
                    return Box::pin(self.send(touch, facts, &plan, &attempt, via, now)).await;
                }
                // Another tick dialled meanwhile: this desk tries later.
                Reservation::SlotTaken | Reservation::NumberBusy => {
                    if let Some(turn) = desk.as_deref_mut() {
                        turn.contended();
                    }
                    return Ok(Outcome::Paced);
                }
                Reservation::TouchGone => return Ok(Outcome::LostRace),
                Reservation::CapFull(scope) => {
                    facts.known.full_caps.insert(scope);
                }
                Reservation::Suppressed(hits) => facts.known.suppressed = hits,
                Reservation::PersonClaimed(key) => facts.known.claimed = Some(key),
                Reservation::LeadChanged => {
                    facts.lead = self.store.lead(&touch.tenant, &touch.lead_id).await?;
                }
                Reservation::CampaignStopped => {
                    let id = campaign_of(touch.campaign.as_deref());
                    let (campaign, _) = self.store.campaign(&touch.tenant, id, now).await?;
                    if campaign.status.sends() {
                        // Paused and resumed meanwhile: next tick.
                        return Ok(Outcome::LostRace);
                    }
                    facts.campaign = Arc::new(campaign);
                }
                Reservation::Blocked => {
                    facts.control = self.store.control(&touch.tenant).await?;
                    if facts.control.blocked().is_none() {
                        // Switched off and on again meanwhile: next tick.
                        return Ok(Outcome::LostRace);
                    }
                }
            }
        }
        Err(Error::Conflict(format!(
            "the decision for {} step {} did not settle",
            touch.lead_id, touch.step
        )))
    }

    /// Applies a decision that sends nothing.
    async fn apply(
        &self,
        touch: &Touch,
        due_sk: &str,
        facts: &Facts,
        decision: Decision,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let lost = |done: bool, o: Outcome| if done { o } else { Outcome::LostRace };
        let ended = |l: Landed, o: Outcome| match l {
            Landed::NotOurs => Outcome::LostRace,
            _ => o,
        };
        Ok(match decision {
            Decision::Send(_) => unreachable!("sends are applied by dispatch"),
            Decision::Stale => Outcome::LostRace,
            Decision::Queue { marks, suppression } => {
                match self
                    .store
                    .enqueue_call(touch, due_sk, &marks, &suppression, now)
                    .await?
                {
                    Enqueued::Queued => Outcome::Queued,
                    Enqueued::Gone => Outcome::LostRace,
                    // A person on the list never waits in the call queue.
                    Enqueued::Suppressed(hits) => ended(
                        self.store
                            .end_touch(
                                touch,
                                TouchState::Due,
                                TouchState::Cancelled,
                                &format!("suppressed: {}", hits.join(", ")),
                                None,
                                now,
                            )
                            .await?,
                        Outcome::Cancelled,
                    ),
                }
            }
            // Still in the queue, untouched: the desk tries it next tick.
            Decision::Wait {
                kind: WaitKind::Pacing,
                ..
            } if facts.queued => Outcome::Paced,
            Decision::Wait { until, reason, .. } if facts.queued => lost(
                self.store
                    .unqueue_call(
                        (&touch.tenant, &touch.lead_id, touch.step),
                        due_sk,
                        until,
                        &reason,
                    )
                    .await?,
                Outcome::Window,
            ),
            Decision::Wait {
                until,
                kind,
                reason,
            } => {
                let o = match kind {
                    WaitKind::Window => Outcome::Window,
                    WaitKind::Cap | WaitKind::Ramp | WaitKind::Backoff => Outcome::Cap,
                    WaitKind::Paused | WaitKind::Away => Outcome::Blocked,
                    WaitKind::Pacing => Outcome::Paced,
                };
                lost(
                    self.store.reschedule(touch, due_sk, until, &reason).await?,
                    o,
                )
            }
            Decision::Hold { reason } => {
                if touch.wait_reason.as_deref() != Some(reason.as_str()) {
                    tracing::info!(tenant = %touch.tenant, why = %reason, "sending held");
                    self.store.note_wait(touch, due_sk, &reason).await?;
                    // A live channel without a provider needs an operator:
                    // told once a day, not at every tick.
                    if !facts.config.shadow_mode && reason.starts_with("no live") {
                        let key = format!("no-provider#{}", touch.channel);
                        self.alert_once(
                            &touch.tenant,
                            &key,
                            &format!("{reason}: its touches are held"),
                            now,
                        )
                        .await;
                    }
                }
                Outcome::Blocked
            }
            Decision::Cancel { reason } => ended(
                self.store
                    .end_touch(
                        touch,
                        TouchState::Due,
                        TouchState::Cancelled,
                        &reason,
                        None,
                        now,
                    )
                    .await?,
                Outcome::Cancelled,
            ),
            Decision::Skip { reason, after } => ended(
                self.store
                    .end_touch(
                        touch,
                        TouchState::Due,
                        TouchState::Skipped,
                        &reason,
                        Some(&after),
                        now,
                    )
                    .await?,
                Outcome::Skipped,
            ),
            Decision::FollowUp { after } => {
                let version = facts.lead.as_ref().map_or(0, |l| l.version);
                ended(
                    self.store
                        .finish_follow_up(touch, due_sk, &after, version, now)
                        .await?,
                    Outcome::FollowedUp,
                )
            }
            Decision::Reconcile { after } => {
                Box::pin(self.reconcile(touch, due_sk, facts, &after, now)).await?
            }
        })
    }

    /// Sends a reserved touch and confirms it, or gives the reservation back.
    async fn send(
        &self,
        touch: &Touch,
        facts: &mut Facts,
        plan: &SendPlan,
        attempt: &str,
        via: &str,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let (sender, caps) = &plan.senders[0];
        let lead = facts.lead.as_ref().expect("a send plan has a lead");
        let mut sending = touch.clone();
        sending.state = TouchState::Sending;
        sending.attempt_id = Some(attempt.to_string());
        sending.sender = Some(sender.identity.clone());
        sending.sender_domain = sender.domain.clone();
        let channel = self
            .sender_for(via)
            .ok_or_else(|| Error::Config("no live sender".into()))?;
        let result = channel
            .send(&Attempt {
                touch: &sending,
                lead,
                config: &facts.config,
                sender: &sender.identity,
                attempt_id: attempt,
            })
            .await;
        if via == "live" {
            self.note_circuit(touch, &facts.config, &mut facts.control, &result, now)
                .await;
        }
        let e = match result {
            Ok(provider_id) => {
                let outbox = (via == "shadow")
                    .then(|| ShadowOutbox::entry(&sending, lead, &sender.identity, attempt, now));
                return match self
                    .store
                    .confirm(
                        &sending,
                        attempt,
                        &provider_id,
                        &plan.after,
                        plan.lead_version,
                        outbox.as_ref(),
                        count_send(&sending, &facts.config, now),
                        now,
                    )
                    .await?
                {
                    Landed::Whole | Landed::FollowUpLeft => {
                        // A shadow call rings nobody and reports no end: its
                        // slot is free at once (the number's gap still holds).
                        if let (true, Some(slot)) = (via == "shadow", sending.desk.call_slot) {
                            if let Err(e) = self
                                .store
                                .release_call_slot(&touch.tenant, slot, attempt, now)
                                .await
                            {
                                tracing::warn!(error = %e, "shadow call's slot left to its lease");
                            }
                        }
                        Ok(Outcome::Sent)
                    }
                    // Only a reconciliation after the lease ran out can have
                    // moved it, and it asked the provider first.
                    Landed::NotOurs => Err(Error::Conflict(format!(
                        "attempt {attempt} could not be confirmed"
                    ))),
                };
            }
            Err(e) => e,
        };
        tracing::warn!(tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, error = %e, "send failed");
        self.count_error(&touch.tenant, now).await;
        let ctx = Context {
            config: &facts.config,
            campaign: Some(&facts.campaign),
            control: &facts.control,
            lead: facts.lead.as_ref(),
            later: &facts.later,
            known: &facts.known,
            has_sender: true,
            lease: self.lease,
            desk: None,
        };
        let scopes: Vec<String> = caps.iter().map(|c| c.scope.clone()).collect();
        let Some(failed) = after_send_failure(touch, &ctx, &e, now) else {
            // Kept reserved: reconciled from the provider's records once
            // the lease runs out.
            return Err(Error::Provider {
                provider: e.provider().to_string(),
                message: e.to_string(),
                retryable: false,
            });
        };
        if let Some(text) = &failed.alert {
            self.alert_once(
                &touch.tenant,
                &format!("credentials#{}", e.provider()),
                text,
                now,
            )
            .await;
        }
        match failed.decision {
            Decision::Wait { until, reason, .. } => {
                self.store
                    .release(
                        &sending,
                        attempt,
                        &scopes,
                        plan.day,
                        Release::Retry {
                            at: until,
                            why: &reason,
                        },
                        now,
                    )
                    .await?;
                Ok(Outcome::Retry)
            }
            Decision::Skip { reason, after } => {
                self.store
                    .release(
                        &sending,
                        attempt,
                        &scopes,
                        plan.day,
                        Release::Skip {
                            why: &reason,
                            after: &after,
                            mark: failed.mark,
                        },
                        now,
                    )
                    .await?;
                Ok(Outcome::Skipped)
            }
            other => unreachable!("a send failure decides a wait or a skip, not {other:?}"),
        }
    }

    /// Keeps the provider's circuit (on the tenant's switches row) in step
    /// with what the call did: a success closes it, a failure that is the
    /// provider's (not the recipient's) counts towards opening it. Written
    /// only when it changes, so a healthy provider costs no request.
    async fn note_circuit(
        &self,
        touch: &Touch,
        config: &TenantConfig,
        control: &mut Control,
        result: &std::result::Result<String, SendError>,
        now: DateTime<Utc>,
    ) {
        let Some(provider) = config.providers.for_channel(touch.channel) else {
            return;
        };
        let name = provider.provider.as_str();
        let before = control.circuits.get(name).copied().unwrap_or_default();
        let mut state = before;
        match result {
            Ok(_) => state.record_success(),
            Err(SendError::Final {
                kind: FinalKind::BadCredentials,
                ..
            })
            | Err(SendError::Retryable { .. })
            | Err(SendError::Unknown { .. }) => state.record_failure(now, &self.circuit),
            Err(SendError::Final { .. }) => return,
        }
        if state == before {
            return;
        }
        control.circuits.insert(name.to_string(), state);
        if state.opened_until != before.opened_until && state.opened_until.is_some() {
            tracing::warn!(tenant = %touch.tenant, provider = name, until = ?state.opened_until, "provider circuit open");
        }
        if let Err(e) = self
            .store
            .put_circuit_state(&touch.tenant, name, &state)
            .await
        {
            tracing::warn!(error = %e, "circuit state not written");
        }
    }

    /// Counts a send error; past the hourly threshold, alerts once an hour.
    async fn count_error(&self, tenant: &str, now: DateTime<Utc>) {
        let Some(_) = &self.alerter else { return };
        match self.store.count_send_error(tenant, now).await {
            Ok(n) if n > SEND_ERRORS_ALERT_PER_HOUR => {
                let text = format!("more than {SEND_ERRORS_ALERT_PER_HOUR} send errors in the last hour ({n} so far); see the touches' reasons");
                let key = format!(
                    "errors#{}",
                    shared::domain::safety::breaker::hour_bucket(now)
                );
                self.alert_once(tenant, &key, &text, now).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "send error not counted"),
        }
    }

    /// Sends `text` to the tenant's operators unless alert `key` was sent
    /// in the last day. A failing alert never fails the tick.
    async fn alert_once(&self, tenant: &str, key: &str, text: &str, now: DateTime<Utc>) {
        let Some(alerter) = &self.alerter else { return };
        match self
            .store
            .claim_alert(tenant, key, now, now + Duration::hours(24))
            .await
        {
            Ok(true) => {
                if let Err(e) = alerter.alert(tenant, text).await {
                    tracing::warn!(error = %e, "alert not delivered");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "alert not claimed"),
        }
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
                {"Name": "Reconciled", "Unit": "Count"}, {"Name": "Errors", "Unit": "Count"}
            ]}]},
        "Sent": r.sent, "Due": r.due, "DynamoDBRequests": r.dynamodb_requests,
        "InDoubt": r.in_doubt, "Reconciled": r.reconciled, "Errors": r.errors
    })
    .to_string()
}
