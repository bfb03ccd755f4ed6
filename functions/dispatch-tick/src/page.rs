//! One page of due touches: the tenants' configs, switches and the
//! touches' campaigns (read once a tick, in one batch read), then the
//! leads, their later steps and the counters of every sender the page's
//! touches could go from, in one batch read; then each touch decided and
//! applied in turn, on its campaign's view of the tenant's config.

use super::*;
use shared::domain::campaigns::DEFAULT_CAMPAIGN;
use shared::domain::dispatch::caps::{caps_for_touch, sender_candidates};
use std::collections::BTreeMap;

/// Tenants read so far in this tick.
#[derive(Default)]
pub(crate) struct Tenants {
    configs: HashMap<String, Option<Arc<TenantConfig>>>,
    controls: HashMap<String, Control>,
    /// Each campaign as stored, with the tenant's config as it sees it;
    /// None for a campaign id with no campaign.
    campaigns: HashMap<(String, String), Option<View>>,
    /// Today's counts by cap scope, per tenant: as last read, plus this
    /// tick's own reservations.
    loads: HashMap<String, BTreeMap<String, u32>>,
    /// Tenants this tick queued calls for, and tenants whose desk it ran:
    /// a call queued now is dialled in the same tick.
    pub(crate) queued_for: BTreeSet<String>,
    pub(crate) desks_run: BTreeSet<String>,
}

/// A campaign and its view of the tenant's config.
#[derive(Clone)]
pub(crate) struct View {
    pub(crate) campaign: Arc<Campaign>,
    pub(crate) config: Arc<TenantConfig>,
}

fn campaign_key(t: &Touch) -> (String, String) {
    (
        t.tenant.clone(),
        campaign_of(t.campaign.as_deref()).to_string(),
    )
}

impl Tenants {
    pub(crate) fn control(&self, tenant: &str) -> Control {
        self.controls.get(tenant).cloned().unwrap_or_default()
    }

    pub(crate) fn config(&self, tenant: &str) -> Option<Arc<TenantConfig>> {
        self.configs.get(tenant).cloned().flatten()
    }

    /// Today's counts as known, taken out (and put back with `put_loads`).
    pub(crate) fn take_loads(&mut self, tenant: &str) -> BTreeMap<String, u32> {
        self.loads.remove(tenant).unwrap_or_default()
    }

    pub(crate) fn put_loads(&mut self, tenant: &str, loads: BTreeMap<String, u32>) {
        self.loads.insert(tenant.to_string(), loads);
    }

    /// Merges counts read from the store with what this tick knows.
    pub(crate) fn merge_loads(&mut self, read: HashMap<String, BTreeMap<String, u32>>) {
        for (tenant, read) in read {
            let loads = self.loads.entry(tenant).or_default();
            for (scope, used) in read {
                let known = loads.entry(scope).or_default();
                *known = (*known).max(used);
            }
        }
    }

    pub(crate) fn view(&self, t: &Touch) -> Option<&View> {
        self.campaigns
            .get(&campaign_key(t))
            .and_then(Option::as_ref)
    }
}

impl App {
    /// Reads the configs, switches and campaigns of `page`'s touches this
    /// tick has not read yet: one batch read.
    pub(crate) async fn load(
        &self,
        page: &[(Touch, String)],
        now: DateTime<Utc>,
        tenants: &mut Tenants,
    ) -> Result<()> {
        let new: Vec<String> = page
            .iter()
            .map(|(t, _)| t.tenant.clone())
            .filter(|t| !tenants.configs.contains_key(t))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let unread: Vec<(String, String)> = page
            .iter()
            .map(|(t, _)| campaign_key(t))
            .filter(|k| !tenants.campaigns.contains_key(k))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !new.is_empty() || !unread.is_empty() {
            let mut read = self.store.read_set(&new, &[], &[], &[], &unread).await?;
            for t in new {
                let config = match read.configs.get(&t) {
                    Some(c) => Some(Arc::new(self.store.with_warmup(c.clone()).await?)),
                    None => {
                        tracing::error!(tenant = %t, "due touches of an unknown tenant");
                        None
                    }
                };
                tenants.configs.insert(t.clone(), config);
                tenants.controls.insert(
                    t.clone(),
                    read.controls.get(&t).cloned().unwrap_or_default(),
                );
            }
            for key in unread {
                let Some(Some(config)) = tenants.configs.get(&key.0) else {
                    tenants.campaigns.insert(key, None);
                    continue;
                };
                let campaign = match read.campaigns.remove(&key) {
                    Some(c) => Some(c),
                    // A tenant from before campaigns: its default campaign
                    // is its config, until an operator writes it.
                    None if key.1 == DEFAULT_CAMPAIGN => Some(Campaign::legacy(config, now)),
                    None => {
                        tracing::error!(tenant = %key.0, campaign = %key.1, "due touches of an unknown campaign");
                        None
                    }
                };
                let view = campaign.map(|c| View {
                    config: Arc::new(c.effective(config)),
                    campaign: Arc::new(c),
                });
                tenants.campaigns.insert(key, view);
            }
        }
        Ok(())
    }

    /// Decides and applies every touch of one page.
    pub(crate) async fn work(
        &self,
        shard: u32,
        page: Vec<(Touch, String)>,
        now: DateTime<Utc>,
        tenants: &mut Tenants,
        report: &mut TickReport,
    ) -> Result<()> {
        self.load(&page, now, tenants).await?;
        // A touch outside its window, or of a tenant with a switch thrown,
        // is decided without a read.
        let mut rest = Vec::with_capacity(page.len());
        for (touch, due_sk) in page {
            let early = match tenants.view(&touch) {
                Some(view) => {
                    let control = tenants
                        .controls
                        .get(&touch.tenant)
                        .cloned()
                        .unwrap_or_default();
                    before_reading(&touch, &view.config, Some(&view.campaign), &control, now)
                        .map(|d| (d, view.clone(), control))
                }
                _ => None,
            };
            match early {
                Some((decision, view, control)) => {
                    report.due += 1;
                    let facts = Facts {
                        config: view.config,
                        campaign: view.campaign,
                        control,
                        lead: None,
                        later: vec![],
                        known: Known::default(),
                        queued: false,
                    };
                    match self.apply(&touch, &due_sk, &facts, decision, now).await {
                        Ok(outcome) => report.count(outcome),
                        Err(e) => {
                            tracing::error!(error = %e, tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, "touch failed");
                            report.errors += 1;
                        }
                    }
                }
                None => rest.push((touch, due_sk)),
            }
        }
        let page = rest;
        if page.is_empty() {
            return Ok(());
        }
        let mut read = self.read_for(&page, tenants, now, false).await?;
        let mut lease_until = now + self.shard_lease;
        let mut seen_leads = std::collections::BTreeSet::new();
        for (touch, due_sk) in page {
            report.due += 1;
            let Some(view) = tenants.view(&touch).cloned() else {
                report.errors += 1;
                continue;
            };
            // A long page (slow providers) keeps its shard.
            let wall = self.clock.now();
            if wall + self.shard_lease / 2 > lease_until {
                lease_until = wall + self.shard_lease;
                if !self
                    .store
                    .take_shard(shard, &self.id, wall, lease_until)
                    .await?
                {
                    break;
                }
            }
            let key = (touch.tenant.clone(), touch.lead_id.clone());
            // A second due touch of a lead this page already worked (a
            // follow-up the person asked for, due with a step) waits for
            // the next tick, which reads the lead as the first one left it.
            if !read.leads.contains_key(&key) && seen_leads.contains(&key) {
                continue;
            }
            seen_leads.insert(key.clone());
            let mut facts = Facts {
                config: view.config,
                campaign: view.campaign,
                control: tenants
                    .controls
                    .get(&touch.tenant)
                    .cloned()
                    .unwrap_or_default(),
                lead: read.leads.remove(&key),
                later: read.touches.remove(&key).unwrap_or_default(),
                known: Known {
                    loads: tenants.loads.remove(&touch.tenant).unwrap_or_default(),
                    ..Known::default()
                },
                queued: false,
            };
            // Boxed: a send's future (provider call, confirm, release) is large,
            // and a page of them would otherwise sit on the caller's stack.
            match Box::pin(self.dispatch(&touch, &due_sk, &mut facts, None, now)).await {
                Ok(outcome) => {
                    if outcome == Outcome::Queued {
                        tenants.queued_for.insert(touch.tenant.clone());
                    }
                    report.count(outcome)
                }
                Err(e) => {
                    tracing::error!(error = %e, tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, "touch failed");
                    report.errors += 1;
                }
            }
            // A campaign found paused by a reservation holds its other
            // touches too, and so does a switch found thrown.
            if !facts.campaign.status.sends() {
                let key = campaign_key(&touch);
                if let Some(Some(view)) = tenants.campaigns.get_mut(&key) {
                    view.campaign = facts.campaign.clone();
                }
            }
            tenants.controls.insert(touch.tenant.clone(), facts.control);
            tenants
                .loads
                .insert(touch.tenant.clone(), std::mem::take(&mut facts.known.loads));
        }
        Ok(())
    }
}

impl App {
    /// What deciding about `page` needs: its leads, their later steps and
    /// today's counters of every sender they could go from, in one batch
    /// read; the counts are merged into what the tick knows.
    pub(crate) async fn read_for(
        &self,
        page: &[(Touch, String)],
        tenants: &mut Tenants,
        now: DateTime<Utc>,
        with_own_step: bool,
    ) -> Result<shared::store::ReadSet> {
        let mut leads = BTreeSet::new();
        let mut steps = BTreeSet::new();
        for (t, _) in page {
            let Some(view) = tenants.view(t) else {
                continue;
            };
            leads.insert((t.tenant.clone(), t.lead_id.clone()));
            for s in view
                .config
                .sequence
                .iter()
                .map(|s| s.step)
                .chain(t.next_step)
                .filter(|s| *s > t.step || (with_own_step && *s == t.step))
                .chain(with_own_step.then_some(t.step))
            {
                steps.insert((t.tenant.clone(), t.lead_id.clone(), s));
            }
        }
        let leads: Vec<_> = leads.into_iter().collect();
        let steps: Vec<_> = steps.into_iter().collect();
        let counters = counter_keys(page, tenants, now);
        let mut read = self
            .store
            .read_set(&[], &leads, &steps, &counters, &[])
            .await?;
        tenants.merge_loads(std::mem::take(&mut read.loads));
        Ok(read)
    }
}

/// Today's counter of every cap each touch of the page could take, from
/// any of its tenant's senders on its channel: the decision tries the
/// least loaded sender first and skips one at its limit. A few keys more
/// in the batch read the page makes anyway, not a request of their own
/// (up to 100 keys go in one).
fn counter_keys(
    page: &[(Touch, String)],
    tenants: &Tenants,
    now: DateTime<Utc>,
) -> Vec<(String, chrono::NaiveDate, String)> {
    let mut keys = BTreeSet::new();
    for (touch, _) in page {
        let Some(view) = tenants.view(touch) else {
            continue;
        };
        let config = &view.config;
        let day = now.with_timezone(&config.tz()).date_naive();
        for sender in sender_candidates(config, touch.channel, 0) {
            for cap in caps_for_touch(config, Some(&view.campaign), touch, &sender, day) {
                keys.insert((touch.tenant.clone(), day, cap.scope));
            }
        }
    }
    keys.into_iter().collect()
}
