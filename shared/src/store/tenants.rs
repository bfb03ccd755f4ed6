//! A tenant: its config, token, switches (pause, emergency stop, breaker), warmup rows and audit trail.

use super::*;
use crate::domain::dispatch::warmup::WarmupRow;
use crate::domain::tenant::Control;
use crate::domain::tenant::TenantConfig;
use crate::error::{Error, Result};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The largest config stored: one DynamoDB item holds 400 KB, and the
/// config is one item.
pub const MAX_CONFIG_BYTES: usize = 300 * 1024;

impl Store {
    /// Creates a tenant: config, hashed token, switches, registry entry and
    /// warmup rows, all or nothing. Fails with Conflict if it exists.
    pub async fn create_tenant(
        &self,
        config: &TenantConfig,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let t = config.tenant.as_str();
        let mut items = vec![
            self.put_tx(
                self.config_item(config, now)?,
                Some("attribute_not_exists(PK)"),
                vec![],
            )?,
            self.put_tx(
                HashMap::from([
                    ("PK".into(), s(keys::tenant(t))),
                    ("SK".into(), s("AUTH")),
                    ("token_sha256".into(), s(token_hash)),
                ]),
                None,
                vec![],
            )?,
            self.put_tx(
                {
                    let mut i = to_item(&Control {
                        updated_at: Some(now),
                        ..Default::default()
                    })?;
                    i.extend(Self::key(keys::tenant(t), "CONTROL"));
                    i
                },
                None,
                vec![],
            )?,
            self.put_tx(
                HashMap::from([
                    ("PK".into(), s(keys::REGISTRY)),
                    ("SK".into(), s(keys::tenant(t))),
                    ("tenant".into(), s(t)),
                    ("created_at".into(), s(ts(now))),
                    (
                        "reads_mail".into(),
                        AttributeValue::Bool(reads_mail(config)),
                    ),
                ]),
                None,
                vec![],
            )?,
        ];
        for d in &config.domains {
            for row in &d.warmup {
                let mut i = to_item(row)?;
                i.extend(Self::key(
                    keys::domain(t, &d.domain),
                    format!("WARMUP#{}", row.starts_at),
                ));
                items.push(self.put_tx(i, None, vec![])?);
            }
        }
        match self.transact("create_tenant", items).await? {
            None => Ok(()),
            Some(codes) if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") => {
                Err(Error::Conflict(format!("tenant {t} already exists")))
            }
            Some(codes) => Err(Error::store(
                "create_tenant",
                format!("cancelled: {codes:?}"),
            )),
        }
    }

    pub(crate) fn config_item(&self, config: &TenantConfig, now: DateTime<Utc>) -> Result<Item> {
        let json =
            serde_json::to_string(config).map_err(|e| Error::store("serialize config", e))?;
        if json.len() > MAX_CONFIG_BYTES {
            // Name the part that made it so large, not DynamoDB's complaint.
            let largest = serde_json::to_value(config)
                .ok()
                .and_then(|v| {
                    v.as_object().and_then(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.to_string().len()))
                            .max_by_key(|(_, n)| *n)
                    })
                })
                .unwrap_or_default();
            return Err(Error::invalid(
                format!("config.{}", largest.0),
                format!(
                    "the config is {} bytes ({} of them in `{}`); a tenant's config holds at most {MAX_CONFIG_BYTES}",
                    json.len(),
                    largest.1,
                    largest.0
                ),
            ));
        }
        let mut i = Self::key(keys::tenant(config.tenant.as_str()), "CONFIG");
        i.insert("config".into(), s(json));
        i.insert("updated_at".into(), s(ts(now)));
        Ok(i)
    }

    /// Replaces a tenant's config (already validated), with an audit entry
    /// and the warmup rows of domains it adds, in one transaction.
    pub async fn put_config(
        &self,
        config: &TenantConfig,
        new_domains: &[(String, Vec<WarmupRow>)],
        actor: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let t = config.tenant.as_str();
        let mut items = vec![
            self.put_tx(
                self.config_item(config, now)?,
                Some("attribute_exists(PK)"),
                vec![],
            )?,
            self.audit_put(t, actor, "config_updated", detail, now)?,
            // The mailbox reader lists only tenants whose email goes out over
            // their own SMTP mailboxes: one read when there are none.
            self.update_tx(
                Self::key(keys::REGISTRY.to_string(), keys::tenant(t)),
                "SET reads_mail = :r",
                Some("attribute_exists(PK)"),
                &[],
                vec![(":r".into(), AttributeValue::Bool(reads_mail(config)))],
            )?,
        ];
        for (domain, rows) in new_domains {
            for row in rows {
                let mut i = to_item(row)?;
                i.extend(Self::key(
                    keys::domain(t, domain),
                    format!("WARMUP#{}", row.starts_at),
                ));
                items.push(self.put_tx(i, None, vec![])?);
            }
        }
        match self.transact("put_config", items).await? {
            None => Ok(()),
            Some(_) => Err(Error::NotFound(format!("tenant {t}"))),
        }
    }

    pub async fn config(&self, tenant: &str) -> Result<Option<TenantConfig>> {
        let Some(item) = self.get(keys::tenant(tenant), "CONFIG").await? else {
            return Ok(None);
        };
        self.config_from_item(item).map(Some)
    }

    pub(crate) fn config_from_item(&self, item: Item) -> Result<TenantConfig> {
        let json = item
            .get("config")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| Error::store("config", "CONFIG item lacks `config`"))?;
        serde_json::from_str(json)
            .map_err(|e| Error::store("config", format!("stored config does not parse: {e}")))
    }

    /// The tenant config, or NotFound naming the tenant.
    pub async fn require_config(&self, tenant: &str) -> Result<TenantConfig> {
        self.config(tenant)
            .await?
            .ok_or_else(|| Error::NotFound(format!("tenant {tenant}")))
    }

    /// The tenant config with the warmup rows read from their own items.
    pub async fn config_with_warmup(&self, tenant: &str) -> Result<Option<TenantConfig>> {
        let Some(config) = self.config(tenant).await? else {
            return Ok(None);
        };
        self.with_warmup(config).await.map(Some)
    }

    /// The config with its domains' warmup rows (one query per domain).
    pub async fn with_warmup(&self, mut config: TenantConfig) -> Result<TenantConfig> {
        let tenant = config.tenant.to_string();
        for d in &mut config.domains {
            d.warmup = self.warmup_rows(&tenant, &d.domain).await?;
        }
        Ok(config)
    }

    pub async fn warmup_rows(&self, tenant: &str, domain: &str) -> Result<Vec<WarmupRow>> {
        self.query_all(None, "PK", keys::domain(tenant, domain), Some("WARMUP#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    pub async fn token_hash(&self, tenant: &str) -> Result<Option<String>> {
        Ok(self
            .get(keys::tenant(tenant), "AUTH")
            .await?
            .and_then(|i| i.get("token_sha256").and_then(|v| v.as_s().ok()).cloned()))
    }

    /// Tenants whose replies and bounces arrive in their own mailboxes.
    pub async fn mail_reading_tenants(&self) -> Result<Vec<String>> {
        Ok(self
            .query_all(None, "PK", keys::REGISTRY.to_string(), Some("T#"))
            .await?
            .into_iter()
            .filter(|i| i.get("reads_mail").and_then(|v| v.as_bool().ok()) == Some(&true))
            .filter_map(|i| i.get("tenant").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    /// Where the reader of `mailbox` stopped: its UIDVALIDITY and the last
    /// UID it read.
    pub async fn mailbox_cursor(&self, tenant: &str, mailbox: &str) -> Result<Option<(u32, u32)>> {
        Ok(self
            .get(
                keys::tenant(tenant),
                &format!("MAILBOX#{}", mailbox.to_ascii_lowercase()),
            )
            .await?
            .and_then(|i| {
                let num = |k: &str| i.get(k)?.as_n().ok()?.parse::<u32>().ok();
                Some((num("uid_validity")?, num("last_uid")?))
            }))
    }

    pub async fn set_mailbox_cursor(
        &self,
        tenant: &str,
        mailbox: &str,
        uid_validity: u32,
        last_uid: u32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut i = Self::key(
            keys::tenant(tenant),
            format!("MAILBOX#{}", mailbox.to_ascii_lowercase()),
        );
        i.insert("uid_validity".into(), n(uid_validity));
        i.insert("last_uid".into(), n(last_uid));
        i.insert("read_at".into(), s(ts(now)));
        self.put(i).await
    }

    pub async fn tenants(&self) -> Result<Vec<String>> {
        Ok(self
            .query_all(None, "PK", keys::REGISTRY.to_string(), Some("T#"))
            .await?
            .into_iter()
            .filter_map(|i| i.get("tenant").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    pub async fn control(&self, tenant: &str) -> Result<Control> {
        match self.get(keys::tenant(tenant), "CONTROL").await? {
            Some(i) => from_item(i),
            None => Ok(Control::default()),
        }
    }

    /// Sets one switch; returns false when it already had that value.
    pub async fn set_switch(
        &self,
        tenant: &str,
        switch: &str,
        on: bool,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let reason_attr = match switch {
            "paused" => Some("pause_reason"),
            "breaker_open" => Some("breaker_reason"),
            "emergency_stop" => None,
            other => return Err(Error::invalid("switch", format!("unknown switch {other}"))),
        };
        let mut update = "SET #sw = :on, updated_at = :now".to_string();
        let mut names = vec![("#sw", switch)];
        let mut values = vec![(":on", AttributeValue::Bool(on)), (":now", s(ts(now)))];
        if let Some(attr) = reason_attr {
            update.push_str(", #reason = :reason");
            names.push(("#reason", attr));
            values.push((":reason", reason.map_or(AttributeValue::Null(true), s)));
        }
        self.spend()?;
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant(tenant), "CONTROL")))
            .update_expression(update)
            .condition_expression(
                "attribute_exists(PK) AND (attribute_not_exists(#sw) OR #sw <> :on)",
            );
        for (k, v) in names {
            req = req.expression_attribute_names(k, v);
        }
        for (k, v) in values {
            req = req.expression_attribute_values(k, v);
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(Error::store("set_switch", DisplayErrorContext(e))),
        }
    }

    /// Writes one provider's circuit state on the tenant's switches row.
    /// Advisory: two containers racing may each write their own view; the
    /// next failure or success corrects it.
    pub async fn put_circuit_state(
        &self,
        tenant: &str,
        provider: &str,
        state: &crate::domain::targeting::enrichment::CircuitState,
    ) -> Result<()> {
        let mut circuits = self.control(tenant).await?.circuits;
        circuits.insert(provider.to_string(), *state);
        let value = serde_dynamo::to_attribute_value(&circuits)
            .map_err(|e| Error::store("put_circuit_state", e))?;
        self.spend()?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant(tenant), "CONTROL")))
            .update_expression("SET circuits = :c")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":c", value)
            .send()
            .await
            .map_err(|e| Error::store("put_circuit_state", DisplayErrorContext(e)))?;
        Ok(())
    }

    /// Writes every sending domain's health on the tenant's switches row,
    /// where each send's decision reads it at no extra cost.
    pub async fn put_domain_health(
        &self,
        tenant: &str,
        domains: &std::collections::BTreeMap<
            String,
            crate::domain::safety::domain_health::DomainHealth,
        >,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let value = serde_dynamo::to_attribute_value(domains)
            .map_err(|e| Error::store("put_domain_health", e))?;
        self.spend()?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant(tenant), "CONTROL")))
            .update_expression("SET domains = :d, updated_at = :now")
            .expression_attribute_values(":d", value)
            .expression_attribute_values(":now", s(ts(now)))
            .send()
            .await
            .map_err(|e| Error::store("put_domain_health", DisplayErrorContext(e)))?;
        Ok(())
    }

    /// Closes the breaker by hand; the rolling window restarts after `now`.
    pub async fn reset_breaker(&self, tenant: &str, now: DateTime<Utc>) -> Result<bool> {
        self.spend()?;
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant(tenant), "CONTROL")))
            .update_expression("SET breaker_open = :f, breaker_reason = :null, breaker_reset_at = :now, updated_at = :now")
            .condition_expression("breaker_open = :t")
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":null", AttributeValue::Null(true))
            .expression_attribute_values(":now", s(ts(now)))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|x| x.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(Error::store("reset_breaker", DisplayErrorContext(e))),
        }
    }

    pub async fn audit(
        &self,
        tenant: &str,
        actor: &str,
        action: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put(Self::audit_item(tenant, actor, action, detail, now))
            .await
    }

    pub(crate) fn audit_item(
        tenant: &str,
        actor: &str,
        action: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Item {
        let mut i = Self::key(keys::audit(tenant), format!("{}#{}", ts(now), short_id()));
        i.insert("actor".into(), s(actor));
        i.insert("action".into(), s(action));
        i.insert("detail".into(), s(detail));
        i
    }

    pub(crate) fn audit_put(
        &self,
        tenant: &str,
        actor: &str,
        action: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem> {
        self.put_tx(
            Self::audit_item(tenant, actor, action, detail, now),
            None,
            vec![],
        )
    }

    pub async fn audit_trail(&self, tenant: &str) -> Result<Vec<(String, String, String, String)>> {
        Ok(self
            .query_all(None, "PK", keys::audit(tenant), None)
            .await?
            .into_iter()
            .map(|i| {
                let g = |k: &str| {
                    i.get(k)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                (g("SK"), g("actor"), g("action"), g("detail"))
            })
            .collect())
    }

    // ------------------------------------------------------------------ leads

    /// A condition check on the tenant's switches, for transactions that
    /// must not run while sending is blocked.
    pub fn control_check(&self, tenant: &str) -> Result<TransactWriteItem> {
        let c = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::tenant(tenant), "CONTROL")))
            .condition_expression("emergency_stop = :f AND breaker_open = :f AND paused = :f")
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .build()
            .map_err(|e| Error::store("build check", e))?;
        Ok(TransactWriteItem::builder().condition_check(c).build())
    }
}

/// Does the tenant send email from its own SMTP mailboxes (whose replies
/// and bounces the mailbox reader must fetch)?
fn reads_mail(config: &TenantConfig) -> bool {
    config
        .providers
        .email
        .as_ref()
        .is_some_and(|p| p.provider == crate::domain::providers::ProviderKind::Smtp)
}
