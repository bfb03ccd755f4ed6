//! Prospect (every 15 minutes): for each tenant with prospecting on, pulls
//! the next page from its source (a people-search API with the tenant's
//! filters, or a dataset URL) within its monthly lead quota, paced evenly
//! over the days of the month. Records import exactly like an upload
//! (dedup, suppression at intake, the enrichment queue). A run that should
//! have found leads and found none raises an alert, as does a source that
//! fails or runs dry.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::adapters::prospecting::{PeopleSearch, ProspectSource};
use shared::domain::ids::TenantId;
use shared::domain::targeting::enrichment::month_key;
use shared::domain::targeting::intake::datasets::map_record;
use shared::domain::targeting::intake::row_at;
use shared::domain::targeting::prospecting::paced_allowance;
use shared::domain::tenant::TenantConfig;
use shared::error::{Error, Result};
use shared::import::import_rows;
use shared::ports::{Alerter, Clock, WorkQueue};
use shared::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Where the deployment's people-search API is (credentials from the
/// environment); each tenant brings its own filters.
#[derive(Debug, Clone)]
pub struct PeopleSearchAccess {
    pub base_url: String,
    pub api_key: String,
    pub timeout: Duration,
}

pub struct App {
    pub store: Store,
    pub enrich: Arc<dyn WorkQueue>,
    pub alerter: Arc<dyn Alerter>,
    pub clock: Arc<dyn Clock>,
    pub people_search: Option<PeopleSearchAccess>,
    pub dataset: Option<Arc<dyn ProspectSource>>,
}

/// What one run did for one tenant.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct TenantRun {
    pub asked: u32,
    pub records: u32,
    pub created: u32,
    pub errors: u32,
    pub note: String,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct ProspectReport {
    pub tenants: BTreeMap<String, TenantRun>,
    pub alerts: u32,
}

impl App {
    pub async fn run(&self) -> Result<ProspectReport> {
        let result = self.run_inner().await;
        let errors = match &result {
            // Rows a source got wrong are the import's report, not errors.
            Ok(_) => 0,
            Err(_) => 1,
        };
        shared::ops::count_errors(&self.store, "prospect", errors, self.clock.now()).await;
        result
    }

    async fn run_inner(&self) -> Result<ProspectReport> {
        let mut report = ProspectReport::default();
        let now = self.clock.now();
        for tenant in self.store.tenants().await? {
            let Some(config) = self.store.config(&tenant).await? else {
                continue;
            };
            if !config.prospecting.enabled {
                continue;
            }
            let run = match self.run_tenant(&config, now).await {
                Ok(run) => run,
                Err(e) => TenantRun {
                    note: format!("source failed: {e}"),
                    ..Default::default()
                },
            };
            let alert =
                run.note.starts_with("source failed") || (run.asked > 0 && run.created == 0);
            if alert {
                report.alerts += 1;
                let text = format!(
                    "prospecting for {tenant} found no new leads: {} (asked {}, got {} records, {} bad)",
                    run.note, run.asked, run.records, run.errors
                );
                if let Err(e) = self.alerter.alert(&tenant, &text).await {
                    tracing::error!(error = %e, "prospecting alert failed");
                }
            }
            tracing::info!(tenant = %tenant, asked = run.asked, created = run.created, note = %run.note, "prospecting run");
            report.tenants.insert(tenant, run);
        }
        Ok(report)
    }

    fn source(&self, config: &TenantConfig) -> Result<Arc<dyn ProspectSource>> {
        match config.prospecting.source.as_str() {
            "people_search" => {
                let access = self.people_search.as_ref().ok_or_else(|| {
                    Error::Config("no people-search API configured (PEOPLE_SEARCH_API_KEY)".into())
                })?;
                Ok(Arc::new(PeopleSearch::new(
                    &access.base_url,
                    access.api_key.clone(),
                    config.prospecting.filters.clone(),
                    access.timeout,
                )?))
            }
            "dataset_url" => self.dataset.clone().ok_or_else(|| {
                Error::Config("no dataset URL configured (PROSPECT_DATASET_URL)".into())
            }),
            other => Err(Error::Config(format!("unknown prospecting source {other}"))),
        }
    }

    async fn run_tenant(&self, config: &TenantConfig, now: DateTime<Utc>) -> Result<TenantRun> {
        let tenant = config.tenant.as_str();
        let month = month_key(now);
        let state = self.store.prospect_state(tenant, &month).await?;
        let p = &config.prospecting;
        let asked = paced_allowance(p.monthly_quota, state.pulled, p.page_size, now);
        if asked == 0 {
            return Ok(TenantRun {
                note: format!(
                    "paced: {} of {} this month already",
                    state.pulled, p.monthly_quota
                ),
                ..Default::default()
            });
        }
        if state.exhausted {
            // Alerted once, on the run that found the source dry.
            return Ok(TenantRun {
                note: "the source has no more records (reset its cursor or change the filters)"
                    .into(),
                ..Default::default()
            });
        }
        let source = self.source(config)?;
        let page = source.fetch(state.cursor.as_deref(), asked).await?;
        let tid = TenantId::parse(tenant)?;
        let origin = format!("prospect:{}", source.name());
        let kind = page.kind;
        let rows = page.records.iter().enumerate().map(|(i, record)| {
            let line = i as u64 + 1;
            row_at(
                line,
                map_record(kind, &config.intake, &tid, record, &origin, now),
            )
        });
        let imported = import_rows(
            &self.store,
            self.enrich.as_ref(),
            config,
            &origin,
            rows,
            now,
            &mut |_| {},
        )
        .await?;
        let created = imported.created as u32;
        self.store
            .save_prospect(tenant, &month, page.next_cursor.as_deref(), created)
            .await?;
        self.store
            .audit(tenant, "prospect", "prospect", &imported.summary(), now)
            .await?;
        Ok(TenantRun {
            asked,
            records: page.records.len() as u32,
            created,
            errors: imported.error_count as u32,
            note: if page.records.is_empty() {
                "the source returned no records".into()
            } else if created == 0 {
                "every record was a duplicate or bad".into()
            } else {
                format!("{} new leads", created)
            },
        })
    }
}
