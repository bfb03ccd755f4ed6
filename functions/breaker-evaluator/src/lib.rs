//! Breaker evaluator: after bounce/complaint signals (bus rule -> queue) and
//! on a schedule, computes each tenant's rolling bounce rate from hourly
//! buckets; above the threshold with enough sends, all sending pauses, the
//! reason is recorded and an alert goes out. Then each sending domain's
//! health (SPEC §10): halved, paused, content flagged or recovered, every
//! change audited and a pause alerted.

use chrono::Timelike;
use serde::Serialize;
use serde_json::Value;
use shared::domain::safety::breaker::{evaluate, window_buckets, BreakerDecision};
use shared::domain::safety::domain_health::{self, DomainHealth, Totals};
use shared::error::Result;
use shared::ports::{Alerter, Clock};
use shared::store::Store;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::sync::Arc;

pub struct App {
    pub store: Store,
    pub alerter: Arc<dyn Alerter>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub tenant: String,
    pub decision: BreakerDecision,
    /// True when this evaluation opened the breaker.
    pub tripped_now: bool,
    /// Each sending domain's health after this evaluation.
    pub domains: BTreeMap<String, DomainHealth>,
}

impl App {
    /// Accepts either an SQS batch of bus events or a scheduled event.
    pub async fn handle(&self, event: Value) -> Result<Value> {
        if let Some(records) = event.get("Records").and_then(Value::as_array) {
            let mut failures = Vec::new();
            let mut tenants = BTreeSet::new();
            for r in records {
                let id = r
                    .get("messageId")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let tenant = r
                    .get("body")
                    .and_then(Value::as_str)
                    .and_then(|b| serde_json::from_str::<Value>(b).ok())
                    .and_then(|e| {
                        e.pointer("/detail/tenant")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    });
                match tenant {
                    Some(t) => {
                        tenants.insert((t, id));
                    }
                    None => {
                        tracing::error!(message_id = %id, "breaker message without detail.tenant: dropped")
                    }
                }
            }
            let mut done = BTreeSet::new();
            for (tenant, id) in tenants {
                if done.contains(&tenant) {
                    continue;
                }
                match self.evaluate(&tenant).await {
                    Ok(_) => {
                        done.insert(tenant);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, tenant, "breaker evaluation failed");
                        failures.push(serde_json::json!({"itemIdentifier": id}));
                    }
                }
            }
            shared::ops::count_errors(
                &self.store,
                "breaker-evaluator",
                failures.len() as u32,
                self.clock.now(),
            )
            .await;
            return Ok(serde_json::json!({"batchItemFailures": failures}));
        }
        let mut results = Vec::new();
        let mut errors = 0;
        let now = self.clock.now();
        // Domain buckets are hourly: the schedule judges domains in the first
        // run of each hour (a bounce or complaint signal judges at once).
        let judge_domains = now.minute() < 15;
        let report = shared::domain::reporting::in_report_slot(now);
        for tenant in self.store.tenants().await? {
            match self.evaluate_with(&tenant, judge_domains).await {
                Ok(e) => {
                    if report {
                        if let Err(err) = self.status_report(&tenant).await {
                            errors += 1;
                            tracing::error!(error = %err, tenant, "status report failed");
                        }
                    }
                    results.push(e)
                }
                Err(e) => {
                    errors += 1;
                    tracing::error!(error = %e, tenant, "breaker evaluation failed");
                }
            }
        }
        shared::ops::count_errors(&self.store, "breaker-evaluator", errors, now).await;
        // Every function's errors: more than 10 in an hour alert, once. The
        // first run of each hour looks at it and the hour before.
        let error_alerts = if judge_domains {
            shared::ops::alert_error_hours(&self.store, self.alerter.as_ref(), now).await?
        } else {
            Vec::new()
        };
        Ok(
            serde_json::json!({"evaluated": results, "errors": errors, "error_alerts": error_alerts}),
        )
    }

    /// The breaker and the tenant's domains.
    pub async fn evaluate(&self, tenant: &str) -> Result<Evaluation> {
        self.evaluate_with(tenant, true).await
    }

    async fn evaluate_with(&self, tenant: &str, judge_domains: bool) -> Result<Evaluation> {
        let config = self.store.require_config(tenant).await?;
        let now = self.clock.now();
        let control = self.store.control(tenant).await?;
        // Hours an operator already reviewed (at a manual resume) don't count.
        let reviewed = control
            .breaker_reset_at
            .map(shared::domain::safety::breaker::hour_bucket);
        let labels: Vec<String> = window_buckets(now, config.breaker.window_hours)
            .into_iter()
            .filter(|l| reviewed.as_ref().is_none_or(|r| l > r))
            .collect();
        let buckets = self.store.rate_buckets(tenant, &labels).await?;
        let decision = evaluate(&buckets, &config.breaker);
        let mut tripped_now = false;
        if decision.trip
            && self
                .store
                .set_switch(tenant, "breaker_open", true, Some(&decision.reason), now)
                .await?
        {
            tripped_now = true;
            self.store
                .audit(
                    tenant,
                    "breaker-evaluator",
                    "breaker_open",
                    &decision.reason,
                    now,
                )
                .await?;
            let text = format!(
                "Bounce breaker OPEN: all outbound sending paused. {}",
                decision.reason
            );
            if let Err(e) = self.alerter.alert(tenant, &text).await {
                // The pause is in force either way; the failed alert is logged
                // and audited so an operator can see it was not delivered.
                tracing::error!(error = %e, tenant, "breaker alert failed");
                self.store
                    .audit(
                        tenant,
                        "breaker-evaluator",
                        "alert_failed",
                        &e.to_string(),
                        now,
                    )
                    .await?;
            }
        }
        let domains = if judge_domains {
            self.domain_health(tenant, &config, &control).await?
        } else {
            control.domains.clone()
        };
        Ok(Evaluation {
            tenant: tenant.to_string(),
            decision,
            tripped_now,
            domains,
        })
    }

    /// The tenant's status report, once every 6 hours (the first run
    /// after that claims it): to Slack. Returns its text when sent.
    pub async fn status_report(&self, tenant: &str) -> Result<Option<String>> {
        use shared::domain::reporting::{status_report, StatusFacts, REPORT_EVERY_HOURS};
        let now = self.clock.now();
        let every = chrono::Duration::hours(REPORT_EVERY_HOURS);
        if !self
            .store
            .claim_alert(
                tenant,
                "status-report",
                now,
                now + every - chrono::Duration::minutes(1),
            )
            .await?
        {
            return Ok(None);
        }
        let labels = window_buckets(now, REPORT_EVERY_HOURS as u32);
        let facts = StatusFacts {
            tenant: tenant.to_string(),
            from: now - every,
            to: now,
            counts: self.store.hour_counts(tenant, &labels).await?,
            control: self.store.control(tenant).await?,
            send_errors: self.store.send_errors_in(tenant, &labels).await?,
            in_doubt: self.store.in_doubt(tenant).await?.len(),
        };
        let text = status_report(&facts);
        if let Err(e) = self.alerter.alert(tenant, &text).await {
            tracing::error!(error = %e, tenant, "status report not delivered");
            self.store
                .audit(
                    tenant,
                    "breaker-evaluator",
                    "report_failed",
                    &e.to_string(),
                    now,
                )
                .await?;
        }
        Ok(Some(text))
    }

    /// Evaluates every sending domain of the tenant; writes the row only
    /// when something changed.
    async fn domain_health(
        &self,
        tenant: &str,
        config: &shared::domain::tenant::TenantConfig,
        control: &shared::domain::control::Control,
    ) -> Result<BTreeMap<String, DomainHealth>> {
        let now = self.clock.now();
        let cfg = &config.domain_health;
        let labels = window_buckets(now, cfg.window_hours);
        let mut domains = control.domains.clone();
        let mut changes = Vec::new();
        for d in &config.domains {
            let name = d.domain.to_ascii_lowercase();
            let buckets = self
                .store
                .domain_rate_buckets(tenant, &name, &labels)
                .await?;
            let current = domains.get(&name).cloned().unwrap_or_default();
            let (next, changed) =
                domain_health::evaluate(&name, &current, Totals::of(&buckets), cfg, now);
            if next != current {
                domains.insert(name.clone(), next);
            }
            changes.extend(changed);
        }
        if domains != control.domains {
            self.store.put_domain_health(tenant, &domains, now).await?;
        }
        for c in changes {
            self.store
                .audit(tenant, "breaker-evaluator", c.action, &c.detail, now)
                .await?;
            if c.alert {
                let text = format!("Sending domain PAUSED. {}", c.detail);
                if let Err(e) = self.alerter.alert(tenant, &text).await {
                    tracing::error!(error = %e, tenant, "domain health alert failed");
                    self.store
                        .audit(
                            tenant,
                            "breaker-evaluator",
                            "alert_failed",
                            &e.to_string(),
                            now,
                        )
                        .await?;
                }
            }
        }
        Ok(domains)
    }
}
