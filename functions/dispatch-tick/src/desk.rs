//! The dialing desk's turn in a tick: read the tenant's call queue and
//! its semaphore, rank the queue (the zone whose window closes soonest
//! first, then by score), send back what cannot be called now, and dial
//! the best calls while a slot is free and a number is paced to dial;
//! each dial is the ordinary reserve -> send -> confirm, with the slot and
//! the number's pacing taken in the reservation's transaction.

use super::*;
use shared::domain::dialing::queue::{
    free_slots, hour_key, number_ready_at, rank, ready_numbers, Candidate, NumberState,
};
use shared::domain::dialing::{call_window, DialerSettings};
use shared::domain::dispatch::decide::{recipient_tz, DeskView};
use shared::store::{DeskClaim, QueuedCall};
use std::collections::BTreeMap;

/// How soon a desk with calls still queued looks again.
const DESK_EVERY_SECS: i64 = 60;

/// What one desk has to dial with in this tick: free slots and numbers
/// its pacing lets dial, used up as calls go out.
pub(crate) struct DeskTurn {
    settings: DialerSettings,
    free: Vec<u32>,
    ready: Vec<String>,
    numbers: BTreeMap<String, NumberState>,
    tz: chrono_tz::Tz,
    /// Another dialer took a slot or a number meanwhile: stop for now.
    contended: bool,
    /// The tenant has no number: each call is decided (and waits) anyway.
    no_numbers: bool,
}

impl DeskTurn {
    pub(crate) fn view(&self) -> DeskView<'_> {
        DeskView {
            ready_numbers: &self.ready,
        }
    }

    fn open(&self) -> bool {
        !self.contended && !self.free.is_empty() && (!self.ready.is_empty() || self.no_numbers)
    }

    /// The slot and pacing a dial from `number` takes now.
    pub(crate) fn claim(
        &self,
        touch: &Touch,
        number: &str,
        after_hours: bool,
        now: DateTime<Utc>,
    ) -> Option<DeskClaim> {
        let slot = *self.free.first()?;
        let state = self.numbers.get(number);
        let hour = hour_key(now);
        Some(DeskClaim {
            slot,
            number: number.to_string(),
            lease_until: now + Duration::seconds(i64::from(self.settings.slot_lease_secs)),
            gap_cutoff: now - Duration::seconds(i64::from(self.settings.min_gap_secs)),
            in_hour: state
                .filter(|s| s.hour.as_deref() == Some(hour.as_str()))
                .map(|s| s.in_hour),
            per_hour: self.settings.per_number_per_hour,
            after_hours,
            day: now.with_timezone(&self.tz).date_naive(),
            local_hour: now.with_timezone(&self.tz).format("%H").to_string(),
            campaign: shared::domain::campaigns::campaign_of(touch.campaign.as_deref()).to_string(),
        })
    }

    /// A dial went out on `claim`: its slot and number are used.
    pub(crate) fn taken(&mut self, claim: &DeskClaim, now: DateTime<Utc>) {
        self.free.retain(|s| *s != claim.slot);
        self.ready.retain(|n| *n != claim.number);
        let hour = hour_key(now);
        let st = self.numbers.entry(claim.number.clone()).or_default();
        st.in_hour = if st.hour.as_deref() == Some(hour.as_str()) {
            st.in_hour + 1
        } else {
            1
        };
        st.hour = Some(hour);
        st.last_at = Some(now);
    }

    pub(crate) fn contended(&mut self) {
        self.contended = true;
    }
}

/// A touch carrying only what loading its tenant and campaign, its time
/// zone and its keys need: the queue's projection, not the stored call.
fn stub(q: &QueuedCall, now: DateTime<Utc>) -> Touch {
    let mut t = stub_for(&q.tenant, now);
    t.lead_id = q.lead_id.clone();
    t.step = q.step;
    t.recipient = q.recipient.clone();
    t.campaign = q.campaign.clone();
    t.timezone = q.timezone.clone();
    t.due_at = q.due_at;
    t.desk = q.desk.clone();
    t
}

/// An empty call step of `tenant`.
fn stub_for(tenant: &str, now: DateTime<Utc>) -> Touch {
    serde_json::from_value(serde_json::json!({
        "tenant": tenant, "lead_id": "", "step": 0, "day": 0,
        "channel": "voice", "state": "due", "recipient": "",
        "message": {"body": "", "template_id": ""}, "fingerprint": "", "created_at": now,
    }))
    .expect("a touch from fixed fields")
}

impl App {
    /// One turn of `tenant`'s desk (its row was due under `desk_sk`).
    pub(crate) async fn desk(
        &self,
        tenant: &str,
        desk_sk: &str,
        now: DateTime<Utc>,
        tenants: &mut Tenants,
        report: &mut TickReport,
    ) -> Result<()> {
        report.desks += 1;
        // The semaphore and the numbers first: while every slot is busy,
        // or every number waits its gap, nothing can be dialled and the
        // queue is not read. The desk sleeps until the first of them frees
        // (a call's end wakes it sooner).
        let probe = Touch {
            campaign: None,
            ..stub_for(tenant, now)
        };
        self.load(&[(probe, String::new())], now, tenants).await?;
        let Some(config) = tenants.config(tenant) else {
            return Err(Error::NotFound(format!("tenant {tenant} of a call queue")));
        };
        let settings = config.dialer.clone();
        let day = now.with_timezone(&config.tz()).date_naive();
        let state = self.store.desk_state(tenant, day).await?;
        let free = free_slots(&settings, &state.slots, now);
        let ready = ready_numbers(&settings, &config.phone_numbers, &state.numbers, now);
        if !config.phone_numbers.is_empty() && (free.is_empty() || ready.is_empty()) {
            let slot_free = state
                .slots
                .values()
                .filter(|s| s.busy(now))
                .filter_map(|s| s.lease_until)
                .min()
                .filter(|_| free.is_empty());
            let number_ready = config
                .phone_numbers
                .iter()
                .map(|n| number_ready_at(&settings, state.numbers.get(n), now))
                .min()
                .filter(|_| ready.is_empty());
            let at = slot_free
                .into_iter()
                .chain(number_ready)
                .max()
                .unwrap_or(now)
                .max(now + Duration::seconds(DESK_EVERY_SECS));
            report.calls_waiting += 1;
            return self.store.arm_desk(tenant, Some(at), None).await;
        }
        let queue = self.store.call_queue(tenant, now).await?;
        if queue.is_empty() {
            // Nothing queued: the desk sleeps until a call step joins.
            return self.store.arm_desk(tenant, None, Some(desk_sk)).await;
        }
        // Configs and campaigns as the page's touches would load them.
        let keys: Vec<(Touch, String)> = queue
            .iter()
            .map(|q| (stub(q, now), String::new()))
            .collect();
        self.load(&keys, now, tenants).await?;
        let again = Some(now + Duration::seconds(DESK_EVERY_SECS));
        if tenants.control(tenant).blocked().is_some() {
            // A switch is thrown: nothing is dialled; the desk looks again.
            return self.store.arm_desk(tenant, again, None).await;
        }
        let mut entries = vec![];
        let mut candidates = vec![];
        for (q, (stub, _)) in queue.into_iter().zip(keys) {
            let Some(view) = tenants.view(&stub) else {
                report.errors += 1;
                continue;
            };
            candidates.push(Candidate {
                score: q.desk.queue_score.unwrap_or(0),
                tz: recipient_tz(&view.config, &stub),
                window: call_window(&view.config.windows.call, q.desk.call_hours),
                after_hours_ok: q.desk.after_hours_ok && view.config.dialer.after_hours_voicemail,
                due_at: q.due_at.unwrap_or(now),
                lead_id: q.lead_id.clone(),
            });
            entries.push((q, stub));
        }
        let (ranked, reopens) = rank(&candidates, &settings, now);
        for r in reopens {
            let (q, _) = &entries[r.index];
            let moved = self
                .store
                .unqueue_call((&q.tenant, &q.lead_id, q.step), &q.due_sk, r.at, &r.reason)
                .await?;
            report.count(if moved {
                Outcome::Window
            } else {
                Outcome::LostRace
            });
        }
        let mut turn = DeskTurn {
            no_numbers: config.phone_numbers.is_empty(),
            free,
            ready,
            numbers: state.numbers,
            tz: config.tz(),
            settings,
            contended: false,
        };
        let mut next = 0;
        while turn.open() && next < ranked.len() {
            // A few more than the free slots: some will not go (a lead
            // replied, a number is paced) and the next ones are read with them.
            let take = (turn.free.len() * 2).max(4);
            let chunk: Vec<(Touch, String)> = ranked[next..]
                .iter()
                .take(take)
                .map(|r| {
                    (
                        entries[r.index].1.clone(),
                        entries[r.index].0.due_sk.clone(),
                    )
                })
                .collect();
            next += chunk.len();
            // The calls themselves are read with their leads and later steps.
            let mut read = self.read_for(&chunk, tenants, now, true).await?;
            for (stub, sk) in chunk {
                let key = (stub.tenant.clone(), stub.lead_id.clone());
                let mut later = read.touches.remove(&key).unwrap_or_default();
                let Some(at) = later.iter().position(|t| t.step == stub.step) else {
                    report.count(Outcome::LostRace);
                    continue;
                };
                let touch = later.remove(at);
                if !turn.open() {
                    break;
                }
                report.due += 1;
                let Some(view) = tenants.view(&touch).cloned() else {
                    report.errors += 1;
                    continue;
                };
                let mut facts = Facts {
                    config: view.config,
                    campaign: view.campaign,
                    control: tenants.control(tenant),
                    lead: read.leads.remove(&key),
                    later,
                    known: Known {
                        loads: tenants.take_loads(tenant),
                        ..Known::default()
                    },
                    queued: true,
                };
                let outcome =
                    Box::pin(self.dispatch(&touch, &sk, &mut facts, Some(&mut turn), now)).await;
                tenants.put_loads(tenant, std::mem::take(&mut facts.known.loads));
                match outcome {
                    Ok(o) => report.count(o),
                    Err(e) => {
                        tracing::error!(error = %e, tenant = %tenant, lead = %touch.lead_id, step = touch.step, "call failed");
                        report.errors += 1;
                    }
                }
            }
        }
        report.calls_waiting += (ranked.len() - next.min(ranked.len())) as u32;
        // Calls still queued: the next tick's desk fills the slots their
        // calls' ends free. An empty ranking (all sent back) sleeps.
        if ranked.is_empty() {
            self.store.arm_desk(tenant, None, Some(desk_sk)).await
        } else {
            self.store.arm_desk(tenant, again, None).await
        }
    }
}
