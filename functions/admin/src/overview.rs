//! The tenant at a glance: the funnel by lead status, and the control
//! plane (config, warmup rows, today's counters, switches, integrations).

use super::*;

impl App {
    pub async fn funnel(&self, tenant: &str) -> Result<Value> {
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        let mut suppressed = 0;
        for l in self.store.leads(tenant).await? {
            *counts.entry(l.status.to_string()).or_default() += 1;
            if l.suppressed.is_some() {
                suppressed += 1;
            }
        }
        let sum = |ss: &[LeadStatus]| {
            ss.iter()
                .map(|s| counts.get(s.as_str()).copied().unwrap_or(0))
                .sum::<u32>()
        };
        use LeadStatus::*;
        Ok(json!({
            "by_status": counts,
            "suppressed_at_intake": suppressed,
            "pipeline": sum(&[New, Enriched, Scored, Held, Queued]),
            "outreach": sum(&[Contacted]),
            "engaged": sum(&[Engaged, Replied]),
            "at_risk": sum(&[Ghosted, Stalled, Hesitant]),
            "terminal": sum(&[Booked, Bounced, Unsubscribed, Dnc, Closed, Invalid]),
            "booked": sum(&[Booked]),
        }))
    }

    pub(crate) async fn control_plane(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let config = self
            .store
            .config_with_warmup(tenant)
            .await?
            .ok_or_else(|| Error::NotFound(format!("tenant {tenant}")))?;
        let today = now.with_timezone(&config.tz()).date_naive();
        let warmup: Vec<Value> = config
            .domains
            .iter()
            .map(|d| {
                let rows: Vec<Value> = d
                    .warmup
                    .iter()
                    .map(|r| json!({"week": r.week, "starts_at": r.starts_at, "daily_cap": r.daily_cap, "phase": phase(&d.warmup, r, today)}))
                    .collect();
                json!({"domain": d.domain, "rows": rows})
            })
            .collect();
        let counters: Vec<Value> = self
            .store
            .counters(tenant, today)
            .await?
            .into_iter()
            .map(|(scope, used, cap)| json!({"scope": scope, "used": used, "cap": cap}))
            .collect();
        let control = self.store.control(tenant).await?;
        // Each sending domain's health (SPEC §10) and the cap it leaves today.
        let domain_health: Vec<Value> = config
            .domains
            .iter()
            .map(|d| {
                let h = control
                    .domains
                    .get(&d.domain.to_ascii_lowercase())
                    .cloned()
                    .unwrap_or_default();
                let cap = shared::domain::dispatch::warmup::sending_domain_cap(
                    d,
                    today,
                    config.caps.email_per_domain_after_warmup,
                );
                json!({"domain": d.domain, "state": h.state, "since": h.since, "reason": h.reason,
                       "content_review": h.content_review, "cap_today": h.cap(cap), "cap_before_health": cap})
            })
            .collect();
        Ok((
            200,
            json!({
                "tenant": tenant, "name": config.name, "shadow_mode": config.shadow_mode,
                "icp": config.icp, "offers": config.offers, "tiers": config.tiers,
                "channels": config.channels, "sequence": config.sequence,
                "warmup": warmup, "counters_today": counters, "today": today,
                "domain_health": domain_health,
                "control": control,
                "integrations": live::integrations(&config),
            }),
        ))
    }
}
