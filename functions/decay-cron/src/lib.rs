//! Decay cron (daily): ghosted (no open 72 h after a send), stalled (opened,
//! no reply after 7 days), hesitant (2+ opens, no reply), and revival
//! candidates (idle 30-120 days).

use serde::Serialize;
use shared::domain::safety::decay::{classify, is_revival_candidate};
use shared::error::Result;
use shared::ports::Clock;
use shared::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct DecayReport {
    /// status -> number of leads moved into it this run.
    pub moved: BTreeMap<String, u32>,
    pub revival_candidates: u32,
    pub errors: u32,
}

impl App {
    pub async fn run(&self) -> Result<DecayReport> {
        let result = self.run_inner().await;
        let errors = match &result {
            Ok(r) => r.errors,
            Err(_) => 1,
        };
        shared::ops::count_errors(&self.store, "decay-cron", errors, self.clock.now()).await;
        result
    }

    async fn run_inner(&self) -> Result<DecayReport> {
        let mut report = DecayReport::default();
        for tenant in self.store.tenants().await? {
            let Some(config) = self.store.config(&tenant).await? else {
                continue;
            };
            let now = self.clock.now();
            for lead in self.store.leads(&tenant).await? {
                if is_revival_candidate(&lead, now, &config.decay) {
                    report.revival_candidates += 1;
                }
                let Some(to) = classify(&lead, now, &config.decay) else {
                    continue;
                };
                let cause = match to.as_str() {
                    "ghosted" => format!(
                        "no open {} h after the last send",
                        config.decay.ghosted_after_hours
                    ),
                    "stalled" => format!(
                        "opened but no reply after {} days",
                        config.decay.stalled_after_days
                    ),
                    _ => format!("{} opens and no reply", lead.opens),
                };
                match self
                    .store
                    .transition(&tenant, &lead.id, to, &cause, now)
                    .await
                {
                    Ok(Some(_)) => *report.moved.entry(to.to_string()).or_default() += 1,
                    Ok(None) => {}
                    Err(e) => {
                        report.errors += 1;
                        tracing::error!(error = %e, tenant, lead = %lead.id, "decay transition failed");
                    }
                }
            }
        }
        Ok(report)
    }
}
