//! The DynamoDB store: one table, every key tenant-scoped (`T#<tenant>#...`),
//! a sharded sparse index of due touches, and atomic conditional counters.
//!
//! Key map (PK / SK):
//! - `T#t` / `CONFIG`, `AUTH`, `CONTROL`: tenant config, hashed token, switches
//! - `TENANTS` / `T#t`: the tenant registry (schedules walk it)
//! - `T#t#DOMAIN#d` / `WARMUP#<date>`: warmup rows of a sending domain
//! - `T#t#L#<lead>` / `LEAD`, `TOUCH#nn`, `EV#<ts>#<id>`: a lead, its touches, its timeline
//! - `T#t#SUPP` / `<kind>#<value>`: suppression entries
//! - `T#t#CTR#<date>` / `<scope>`: daily counters (TTL)
//! - `T#t#RATE` / `<hour>`: hourly send/bounce buckets (TTL)
//! - `T#t#WH#<provider>#<event>` / `EVENT`; `T#t#WHTOKEN#<provider>#<token>` / `TOKEN`
//! - `T#t#PROVIDER#<name>` / `CIRCUIT`: an enrichment provider's circuit state
//! - `T#t#CREDITS` / `<month>#<provider>`: enrichment credits spent in a month
//! - `T#t#PROSPECT` / `CURSOR`, `<month>`: prospecting cursor and leads pulled
//! - `T#t#BATCH#<id>` / `BATCH`; `T#t#OUTBOX` / `A#<attempt>`; `T#t#AUDIT` / `<ts>#<id>`
//!
//! `DueIndex` (DuePK = `DUE#<shard>`, DueSK = `<due>#<tenant>#<lead>#<step>`) holds
//! only touches that are due or whose send lease is running; `TenantIndex`
//! (GSI1PK = `T#t#LEADS` or `T#t#DRAFTS`) lists a tenant's leads and drafts.

use crate::domain::dispatch::caps::CapReservation;
use crate::domain::dispatch::warmup::WarmupRow;
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::safety::breaker::RateBucket;
use crate::domain::targeting::enrichment::CircuitState;
use crate::domain::targeting::suppression::{SuppressionEntry, SuppressionKind};
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::{Touch, TouchState};
use crate::error::{Error, Result};
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, PutRequest, ReturnValue,
    TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use futures::stream::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub type Item = HashMap<String, AttributeValue>;

const DAY_SECS: i64 = 86_400;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Key builders: the one place that knows the key layout.
pub mod keys {
    pub fn tenant(t: &str) -> String {
        format!("T#{t}")
    }
    pub fn lead(t: &str, lead: &str) -> String {
        format!("T#{t}#L#{lead}")
    }
    pub fn touch_sk(step: u8) -> String {
        format!("TOUCH#{step:02}")
    }
    pub fn leads_index(t: &str) -> String {
        format!("T#{t}#LEADS")
    }
    pub fn drafts_index(t: &str) -> String {
        format!("T#{t}#DRAFTS")
    }
    pub fn domain(t: &str, d: &str) -> String {
        format!("T#{t}#DOMAIN#{d}")
    }
    pub fn suppression(t: &str) -> String {
        format!("T#{t}#SUPP")
    }
    pub fn counters(t: &str, day: &str) -> String {
        format!("T#{t}#CTR#{day}")
    }
    pub fn rates(t: &str) -> String {
        format!("T#{t}#RATE")
    }
    pub fn webhook_event(t: &str, provider: &str, id: &str) -> String {
        format!("T#{t}#WH#{provider}#{id}")
    }
    pub fn webhook_token(t: &str, provider: &str, token: &str) -> String {
        format!("T#{t}#WHTOKEN#{provider}#{token}")
    }
    pub fn batch(t: &str, id: &str) -> String {
        format!("T#{t}#BATCH#{id}")
    }
    pub fn outbox(t: &str) -> String {
        format!("T#{t}#OUTBOX")
    }
    pub fn provider(t: &str, name: &str) -> String {
        format!("T#{t}#PROVIDER#{name}")
    }
    pub fn credits(t: &str) -> String {
        format!("T#{t}#CREDITS")
    }
    pub fn prospect(t: &str) -> String {
        format!("T#{t}#PROSPECT")
    }
    pub fn audit(t: &str) -> String {
        format!("T#{t}#AUDIT")
    }
    pub const REGISTRY: &str = "TENANTS";
}

/// Tenant-wide switches, read before every send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Control {
    #[serde(default)]
    pub paused: bool,
    #[serde(default)]
    pub pause_reason: Option<String>,
    #[serde(default)]
    pub emergency_stop: bool,
    #[serde(default)]
    pub breaker_open: bool,
    #[serde(default)]
    pub breaker_reason: Option<String>,
    /// When an operator last closed the breaker: bounces before it were
    /// reviewed and no longer count.
    #[serde(default)]
    pub breaker_reset_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Control {
    /// Why nothing may be sent now, if so.
    pub fn blocked(&self) -> Option<String> {
        if self.emergency_stop {
            Some("emergency stop".into())
        } else if self.breaker_open {
            Some(format!(
                "bounce breaker open: {}",
                self.breaker_reason.as_deref().unwrap_or("")
            ))
        } else if self.paused {
            Some(format!(
                "sending paused: {}",
                self.pause_reason.as_deref().unwrap_or("")
            ))
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub id: String,
    pub tenant: String,
    /// Frozen scope: (lead id, step, fingerprint) of every draft.
    pub scope: Vec<(String, u8, String)>,
    pub preview_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub tenant: String,
    pub attempt_id: String,
    pub lead_id: String,
    pub step: u8,
    pub channel: String,
    pub sender: String,
    #[serde(default)]
    pub sender_domain: Option<String>,
    pub to: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub body: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    pub sent_at: DateTime<Utc>,
}

/// Where scheduled prospecting is in its source, and this month's count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProspectState {
    pub cursor: Option<String>,
    pub exhausted: bool,
    pub pulled: u32,
}

/// What a reservation attempt found.
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    Reserved,
    /// Another tick took (or changed) the touch first.
    TouchGone,
    /// This cap is full; nothing was taken.
    CapFull(String),
    /// Emergency stop, pause or breaker switched on meanwhile.
    Blocked,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    Created,
    Merged(Vec<&'static str>),
    /// Nothing new. `awaiting_enrichment`: the stored lead is still `new`,
    /// not suppressed, and was last written over 15 minutes ago: its first
    /// enrichment message was lost, and a re-import should queue it again.
    Unchanged {
        awaiting_enrichment: bool,
    },
}

fn unchanged(stored: &Lead, now: DateTime<Utc>) -> ImportOutcome {
    ImportOutcome::Unchanged {
        awaiting_enrichment: stored.status == LeadStatus::New
            && stored.suppressed.is_none()
            && stored.updated_at < now - Duration::minutes(15),
    }
}

/// Outcome of writing a signal once.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    Applied,
    /// The same event was already applied (a provider retry).
    Duplicate,
    /// The token was already used by a different event: a replay.
    Replay,
    /// Something the write depended on changed; read again and retry.
    Contended,
}

/// Counts every DynamoDB request this store makes: the cost metric.
#[derive(Debug, Default)]
pub struct RequestCounter(AtomicU64);

impl RequestCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    shards: u32,
    requests: Arc<RequestCounter>,
}

fn sdk<E, R>(op: &'static str) -> impl Fn(SdkError<E, R>) -> Error
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
    SdkError<E, R>: std::error::Error,
{
    move |e| Error::store(op, DisplayErrorContext(e))
}

fn to_item<T: Serialize>(v: &T) -> Result<Item> {
    serde_dynamo::to_item(v).map_err(|e| Error::store("serialize", e))
}
fn from_item<T: for<'de> Deserialize<'de>>(item: Item) -> Result<T> {
    serde_dynamo::from_item(item).map_err(|e| Error::store("deserialize", e))
}

/// The lowercase DueSK of a touch at `due`.
pub fn due_sort_key(due: DateTime<Utc>, tenant: &str, lead: &str, step: u8) -> String {
    format!("{}#{tenant}#{lead}#{step:02}", ts(due))
}

/// True when a single-item write failed its condition expression.
fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    e: &SdkError<E, R>,
) -> bool {
    e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException")
}

/// Cancellation reasons of a failed transaction, if it was one.
fn cancel_codes(
    err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>,
) -> Option<Vec<String>> {
    match err {
        SdkError::ServiceError(se) => match se.err() {
            TransactWriteItemsError::TransactionCanceledException(tc) => Some(
                tc.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_string())
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>, shards: u32) -> Self {
        Self {
            client,
            table: table.into(),
            shards: shards.max(1),
            requests: Arc::new(RequestCounter::default()),
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.get()
    }
    pub fn shards(&self) -> u32 {
        self.shards
    }
    pub fn table(&self) -> &str {
        &self.table
    }
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn shard_of(&self, lead_id: &str) -> u32 {
        let h = lead_id.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        (h % u64::from(self.shards)) as u32
    }

    fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
        HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>> {
        self.requests.bump();
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk("get_item"))?;
        Ok(out.item)
    }

    async fn put(&self, item: Item) -> Result<()> {
        self.requests.bump();
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk("put_item"))?;
        Ok(())
    }

    /// Reads many items with BatchGetItem (100 keys a request, strongly
    /// consistent), retrying unprocessed keys. Missing items are left out.
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending = chunk.to_vec();
            let mut rounds = 0;
            while !pending.is_empty() {
                rounds += 1;
                if rounds > 5 {
                    return Err(Error::store(
                        "batch_get_item",
                        "unprocessed keys after 5 rounds",
                    ));
                }
                self.requests.bump();
                let ka = KeysAndAttributes::builder()
                    .set_keys(Some(pending))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| Error::store("batch_get build", e))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, ka)
                    .send()
                    .await
                    .map_err(sdk("batch_get_item"))?;
                found.extend(
                    out.responses
                        .unwrap_or_default()
                        .remove(&self.table)
                        .unwrap_or_default(),
                );
                pending = out
                    .unprocessed_keys
                    .and_then(|mut m| m.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }

    /// Queries a partition (or an index partition) to the end.
    async fn query_all(
        &self,
        index: Option<&str>,
        pk_attr: &str,
        pk: String,
        sk_prefix: Option<&str>,
    ) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            self.requests.bump();
            let sk_attr = match index {
                Some("TenantIndex") => "GSI1SK",
                Some(_) => "DueSK",
                None => "SK",
            };
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .expression_attribute_names("#pk", pk_attr)
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_exclusive_start_key(start.take());
            q = match sk_prefix {
                Some(p) => q
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                    .expression_attribute_names("#sk", sk_attr)
                    .expression_attribute_values(":sk", s(p)),
                None => q.key_condition_expression("#pk = :pk"),
            };
            if index.is_none() {
                q = q.consistent_read(true);
            }
            let out = q.send().await.map_err(sdk("query"))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn transact(
        &self,
        op: &'static str,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<String>>> {
        self.requests.bump();
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(None),
            Err(e) => match cancel_codes(&e) {
                Some(codes) => Ok(Some(codes)),
                None => Err(Error::store(op, DisplayErrorContext(e))),
            },
        }
    }

    fn put_tx(
        &self,
        item: Item,
        condition: Option<&str>,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem> {
        let mut b = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            b = b.condition_expression(c);
        }
        for (k, v) in values {
            b = b.expression_attribute_values(k, v);
        }
        Ok(TransactWriteItem::builder()
            .put(b.build().map_err(|e| Error::store("build put", e))?)
            .build())
    }

    #[allow(clippy::too_many_arguments)]
    fn update_tx(
        &self,
        key: Item,
        update: &str,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: Vec<(String, AttributeValue)>,
    ) -> Result<TransactWriteItem> {
        let mut b = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update)
            .set_condition_expression(condition.map(str::to_string));
        for (k, v) in names {
            b = b.expression_attribute_names(*k, *v);
        }
        for (k, v) in values {
            b = b.expression_attribute_values(k, v);
        }
        Ok(TransactWriteItem::builder()
            .update(b.build().map_err(|e| Error::store("build update", e))?)
            .build())
    }

    // ---------------------------------------------------------------- tenants

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

    fn config_item(&self, config: &TenantConfig, now: DateTime<Utc>) -> Result<Item> {
        let json =
            serde_json::to_string(config).map_err(|e| Error::store("serialize config", e))?;
        let mut i = Self::key(keys::tenant(config.tenant.as_str()), "CONFIG");
        i.insert("config".into(), s(json));
        i.insert("updated_at".into(), s(ts(now)));
        Ok(i)
    }

    /// Replaces a tenant's config (already validated), with an audit entry.
    pub async fn put_config(
        &self,
        config: &TenantConfig,
        actor: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let t = config.tenant.as_str();
        let items = vec![
            self.put_tx(
                self.config_item(config, now)?,
                Some("attribute_exists(PK)"),
                vec![],
            )?,
            self.audit_put(t, actor, "config_updated", detail, now)?,
        ];
        match self.transact("put_config", items).await? {
            None => Ok(()),
            Some(_) => Err(Error::NotFound(format!("tenant {t}"))),
        }
    }

    pub async fn config(&self, tenant: &str) -> Result<Option<TenantConfig>> {
        let Some(item) = self.get(keys::tenant(tenant), "CONFIG").await? else {
            return Ok(None);
        };
        let json = item
            .get("config")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| Error::store("config", "CONFIG item lacks `config`"))?;
        serde_json::from_str(json)
            .map(Some)
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
        let Some(mut config) = self.config(tenant).await? else {
            return Ok(None);
        };
        for d in &mut config.domains {
            d.warmup = self.warmup_rows(tenant, &d.domain).await?;
        }
        Ok(Some(config))
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
        self.requests.bump();
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

    /// Closes the breaker by hand; the rolling window restarts after `now`.
    pub async fn reset_breaker(&self, tenant: &str, now: DateTime<Utc>) -> Result<bool> {
        self.requests.bump();
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

    fn audit_item(
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

    fn audit_put(
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

    fn lead_item(&self, lead: &Lead) -> Result<Item> {
        let mut i = to_item(lead)?;
        i.extend(Self::key(keys::lead(&lead.tenant, &lead.id), "LEAD"));
        i.insert("GSI1PK".into(), s(keys::leads_index(&lead.tenant)));
        i.insert("GSI1SK".into(), s(lead.id.clone()));
        Ok(i)
    }

    fn event_put(
        &self,
        tenant: &str,
        lead: &str,
        at: DateTime<Utc>,
        kind: &str,
        detail: &str,
    ) -> Result<TransactWriteItem> {
        let mut i = to_item(&TimelineEvent {
            at,
            kind: kind.into(),
            detail: detail.into(),
        })?;
        i.extend(Self::key(
            keys::lead(tenant, lead),
            format!("EV#{}#{}", ts(at), short_id()),
        ));
        self.put_tx(i, None, vec![])
    }

    pub async fn lead(&self, tenant: &str, lead: &str) -> Result<Option<Lead>> {
        self.get(keys::lead(tenant, lead), "LEAD")
            .await?
            .map(from_item)
            .transpose()
    }

    /// Inserts a new lead, or merges a re-import into the stored one.
    pub async fn import_lead(&self, incoming: &Lead, now: DateTime<Utc>) -> Result<ImportOutcome> {
        for _ in 0..5 {
            match self.lead(&incoming.tenant, &incoming.id).await? {
                None => {
                    let mut lead = incoming.clone();
                    lead.version = 1;
                    let items = vec![
                        self.put_tx(
                            self.lead_item(&lead)?,
                            Some("attribute_not_exists(PK)"),
                            vec![],
                        )?,
                        self.event_put(
                            &lead.tenant,
                            &lead.id,
                            now,
                            "imported",
                            &format!("from {}", lead.source),
                        )?,
                    ];
                    if self.transact("import_lead", items).await?.is_none() {
                        return Ok(ImportOutcome::Created);
                    }
                }
                Some(mut existing) => {
                    let changed = crate::domain::targeting::intake::merge(&mut existing, incoming);
                    if changed.is_empty() {
                        return Ok(unchanged(&existing, now));
                    }
                    let detail = format!("merged from {}: {}", incoming.source, changed.join(", "));
                    if self
                        .save_lead(&mut existing, "merged", &detail, now)
                        .await?
                    {
                        return Ok(ImportOutcome::Merged(changed));
                    }
                }
            }
        }
        Err(Error::Conflict(format!(
            "lead {} kept changing during import",
            incoming.id
        )))
    }

    /// Imports a chunk of distinct leads of one tenant (at most 50) in a few
    /// requests: one BatchGetItem finds which exist; the new ones go in one
    /// transaction (lead + "imported" event each, conditional on absence);
    /// existing ones merge one by one. A lost race (someone created one of
    /// the leads meanwhile) falls back to `import_lead` for that chunk, so
    /// the outcome is the same as importing one at a time.
    pub async fn import_leads(
        &self,
        incoming: &[Lead],
        now: DateTime<Utc>,
    ) -> Result<Vec<ImportOutcome>> {
        assert!(incoming.len() <= 50, "at most 50 leads a chunk");
        let Some(first) = incoming.first() else {
            return Ok(vec![]);
        };
        let tenant = first.tenant.clone();
        let stored: HashMap<String, Lead> = self
            .batch_get(
                incoming
                    .iter()
                    .map(|l| Self::key(keys::lead(&tenant, &l.id), "LEAD"))
                    .collect(),
            )
            .await?
            .into_iter()
            .map(|i| from_item::<Lead>(i).map(|l| (l.id.clone(), l)))
            .collect::<Result<_>>()?;
        let mut creates = Vec::new();
        for lead in incoming.iter().filter(|l| !stored.contains_key(&l.id)) {
            let mut lead = lead.clone();
            lead.version = 1;
            creates.push(self.put_tx(
                self.lead_item(&lead)?,
                Some("attribute_not_exists(PK)"),
                vec![],
            )?);
            creates.push(self.event_put(
                &tenant,
                &lead.id,
                now,
                "imported",
                &format!("from {}", lead.source),
            )?);
        }
        if !creates.is_empty() && self.transact("import_leads", creates).await?.is_some() {
            let mut out = Vec::with_capacity(incoming.len());
            for lead in incoming {
                out.push(self.import_lead(lead, now).await?);
            }
            return Ok(out);
        }
        let mut out = Vec::with_capacity(incoming.len());
        for lead in incoming {
            out.push(match stored.get(&lead.id) {
                None => ImportOutcome::Created,
                Some(existing) => {
                    let mut merged = existing.clone();
                    let changed = crate::domain::targeting::intake::merge(&mut merged, lead);
                    if changed.is_empty() {
                        unchanged(existing, now)
                    } else {
                        let detail = format!("merged from {}: {}", lead.source, changed.join(", "));
                        if self.save_lead(&mut merged, "merged", &detail, now).await? {
                            ImportOutcome::Merged(changed)
                        } else {
                            self.import_lead(lead, now).await?
                        }
                    }
                }
            });
        }
        Ok(out)
    }

    /// Writes `lead` if nobody changed it since it was read (version check),
    /// with a timeline event. Returns false on a lost race: re-read and retry.
    pub async fn save_lead(
        &self,
        lead: &mut Lead,
        kind: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let old = lead.version;
        lead.version = old + 1;
        lead.updated_at = now;
        let items = vec![
            self.put_tx(
                self.lead_item(lead)?,
                Some("version = :v"),
                vec![(":v", n(old))],
            )?,
            self.event_put(&lead.tenant, &lead.id, now, kind, detail)?,
        ];
        match self.transact("save_lead", items).await? {
            None => Ok(true),
            Some(_) => {
                lead.version = old;
                Ok(false)
            }
        }
    }

    /// Moves a lead's status if the state machine allows it from what is
    /// stored now. Returns the status it moved from, or None if not allowed.
    pub async fn transition(
        &self,
        tenant: &str,
        lead_id: &str,
        to: LeadStatus,
        cause: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LeadStatus>> {
        for _ in 0..5 {
            let Some(mut lead) = self.lead(tenant, lead_id).await? else {
                return Err(Error::NotFound(format!("lead {lead_id}")));
            };
            let from = lead.status;
            if !from.can_move_to(to) {
                return Ok(None);
            }
            lead.status = to;
            if self
                .save_lead(
                    &mut lead,
                    "status",
                    &format!("{from} -> {to}: {cause}"),
                    now,
                )
                .await?
            {
                return Ok(Some(from));
            }
        }
        Err(Error::Conflict(format!("lead {lead_id} kept changing")))
    }

    /// `queued -> contacted` after a lead's first send, in one request; a
    /// lead that moved on meanwhile (a reply, say) is left as it is.
    pub async fn mark_contacted(
        &self,
        tenant: &str,
        lead_id: &str,
        cause: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            self.update_tx(
                Self::key(keys::lead(tenant, lead_id), "LEAD"),
                "SET #status = :to, updated_at = :now ADD version :one",
                Some("#status = :from"),
                &[("#status", "status")],
                vec![
                    (":to".into(), s(LeadStatus::Contacted.as_str())),
                    (":from".into(), s(LeadStatus::Queued.as_str())),
                    (":now".into(), s(ts(now))),
                    (":one".into(), n(1)),
                ],
            )?,
            self.event_put(
                tenant,
                lead_id,
                now,
                "status",
                &format!("queued -> contacted: {cause}"),
            )?,
        ];
        Ok(self.transact("mark_contacted", items).await?.is_none())
    }

    pub async fn leads(&self, tenant: &str) -> Result<Vec<Lead>> {
        self.query_all(
            Some("TenantIndex"),
            "GSI1PK",
            keys::leads_index(tenant),
            None,
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
    }

    /// One page of a tenant's leads in id order, after `after` (a lead id),
    /// and the cursor of the next page (None at the end).
    pub async fn leads_page(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<Lead>, Option<String>)> {
        self.requests.bump();
        let start = after.map(|id| {
            let mut k = Self::key(keys::lead(tenant, id), "LEAD");
            k.insert("GSI1PK".into(), s(keys::leads_index(tenant)));
            k.insert("GSI1SK".into(), s(id));
            k
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("TenantIndex")
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(keys::leads_index(tenant)))
            .set_exclusive_start_key(start)
            .limit(limit)
            .send()
            .await
            .map_err(sdk("query"))?;
        let leads: Vec<Lead> = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_>>()?;
        let next = match out.last_evaluated_key {
            Some(k) if !k.is_empty() => leads.last().map(|l| l.id.clone()),
            _ => None,
        };
        Ok((leads, next))
    }

    /// The lead, its touches and its timeline, in one query.
    pub async fn lead_view(
        &self,
        tenant: &str,
        lead_id: &str,
    ) -> Result<Option<(Lead, Vec<Touch>, Vec<TimelineEvent>)>> {
        let items = self
            .query_all(None, "PK", keys::lead(tenant, lead_id), None)
            .await?;
        let mut lead = None;
        let mut touches = Vec::new();
        let mut events = Vec::new();
        for i in items {
            let sk = i
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == "LEAD" {
                lead = Some(from_item(i)?);
            } else if sk.starts_with("TOUCH#") {
                touches.push(from_item(i)?);
            } else if sk.starts_with("EV#") {
                events.push(from_item(i)?);
            }
        }
        Ok(lead.map(|l| (l, touches, events)))
    }

    /// A lead and its touches, without its (ever-growing) timeline: two
    /// bounded requests, for the approval routes.
    pub async fn lead_and_touches(
        &self,
        tenant: &str,
        lead_id: &str,
    ) -> Result<Option<(Lead, Vec<Touch>)>> {
        let Some(lead) = self.lead(tenant, lead_id).await? else {
            return Ok(None);
        };
        Ok(Some((lead, self.touches(tenant, lead_id).await?)))
    }

    pub async fn touches(&self, tenant: &str, lead_id: &str) -> Result<Vec<Touch>> {
        self.query_all(None, "PK", keys::lead(tenant, lead_id), Some("TOUCH#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    pub async fn touch(&self, tenant: &str, lead_id: &str, step: u8) -> Result<Option<Touch>> {
        self.get(keys::lead(tenant, lead_id), &keys::touch_sk(step))
            .await?
            .map(from_item)
            .transpose()
    }

    // ------------------------------------------------------------ suppression

    fn suppression_key(tenant: &str, kind: SuppressionKind, value: &str) -> Item {
        Self::key(keys::suppression(tenant), kind.key(value))
    }

    fn suppression_entry(item: &Item) -> Result<SuppressionEntry> {
        let g = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str);
        let sk = g("SK").unwrap_or_default();
        let (kind, value) = sk
            .split_once('#')
            .and_then(|(k, v)| Some((SuppressionKind::parse(k)?, v)))
            .ok_or_else(|| Error::store("suppression entry", format!("bad key {sk:?}")))?;
        let added_at = g("added_at")
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .ok_or_else(|| Error::store("suppression entry", format!("{sk}: bad added_at")))?;
        Ok(SuppressionEntry {
            kind,
            value: value.to_string(),
            reason: g("reason").unwrap_or_default().to_string(),
            added_at: added_at.with_timezone(&Utc),
        })
    }

    /// Adds (or overwrites) one entry. `value` must be canonical.
    pub async fn add_suppression(
        &self,
        tenant: &str,
        kind: SuppressionKind,
        value: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut i = Self::suppression_key(tenant, kind, &value.to_lowercase());
        i.insert("reason".into(), s(reason));
        i.insert("added_at".into(), s(ts(now)));
        self.put(i).await
    }

    /// Adds many entries (canonical values, with reasons) and returns
    /// `(added, already_present)`. Entries already on the list keep their
    /// reason and date, and a value repeated in `entries` counts as already
    /// present after its first time, so adding the same entries again adds
    /// nothing. Requests: one BatchGetItem per 100 distinct entries to find
    /// the present ones, then one BatchWriteItem per 25 new ones (4 in
    /// flight), plus a retry for any unprocessed items. BatchWriteItem has no
    /// conditions: an entry added by someone else between the read and the
    /// write is overwritten with this reason and counted as added.
    pub async fn add_suppressions(
        &self,
        tenant: &str,
        entries: &[(SuppressionKind, String, String)],
        now: DateTime<Utc>,
    ) -> Result<(u32, u32)> {
        let mut seen = HashSet::new();
        let mut distinct = Vec::with_capacity(entries.len());
        for (kind, value, reason) in entries {
            let value = value.to_lowercase();
            if seen.insert(kind.key(&value)) {
                distinct.push((*kind, value, reason));
            }
        }
        let repeated = (entries.len() - distinct.len()) as u32;
        let present: HashSet<String> = self
            .batch_get(
                distinct
                    .iter()
                    .map(|(kind, value, _)| Self::suppression_key(tenant, *kind, value))
                    .collect(),
            )
            .await?
            .into_iter()
            .filter_map(|i| i.get("SK").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        let new: Vec<Item> = distinct
            .iter()
            .filter(|(kind, value, _)| !present.contains(&kind.key(value)))
            .map(|(kind, value, reason)| {
                let mut i = Self::suppression_key(tenant, *kind, value);
                i.insert("reason".into(), s(reason.as_str()));
                i.insert("added_at".into(), s(ts(now)));
                i
            })
            .collect();
        let added = new.len() as u32;
        self.batch_put(new).await?;
        Ok((added, present.len() as u32 + repeated))
    }

    /// Writes items with BatchWriteItem, 25 a request and 4 requests in
    /// flight, retrying unprocessed items with a short backoff.
    async fn batch_put(&self, items: Vec<Item>) -> Result<()> {
        let writes = items.chunks(25).map(|chunk| async move {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|i| {
                    PutRequest::builder()
                        .set_item(Some(i.clone()))
                        .build()
                        .map(|p| WriteRequest::builder().put_request(p).build())
                        .map_err(|e| Error::store("batch_write build", e))
                })
                .collect::<Result<_>>()?;
            for round in 0..6u32 {
                if pending.is_empty() {
                    return Ok(());
                }
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(25 << round)).await;
                }
                self.requests.bump();
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(sdk("batch_write_item"))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
            }
            if pending.is_empty() {
                Ok(())
            } else {
                Err(Error::store(
                    "batch_write_item",
                    "unprocessed items after 6 rounds",
                ))
            }
        });
        let mut in_flight = futures::stream::iter(writes).buffer_unordered(4);
        while let Some(done) = in_flight.next().await {
            done?;
        }
        Ok(())
    }

    /// Removes one entry; returns it, or None if it was not on the list.
    /// One DeleteItem. Only the list changes: see the admin route for what
    /// this means for leads.
    pub async fn remove_suppression(
        &self,
        tenant: &str,
        kind: SuppressionKind,
        value: &str,
    ) -> Result<Option<SuppressionEntry>> {
        self.requests.bump();
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::suppression_key(
                tenant,
                kind,
                &value.to_lowercase(),
            )))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk("delete_item"))?;
        out.attributes
            .filter(|a| !a.is_empty())
            .map(|a| Self::suppression_entry(&a))
            .transpose()
    }

    /// The tenant's list, or only its entries of `kind` (a narrower query),
    /// in key order.
    pub async fn suppressions_of(
        &self,
        tenant: &str,
        kind: Option<SuppressionKind>,
    ) -> Result<Vec<SuppressionEntry>> {
        let prefix = kind.map(|k| k.key(""));
        self.query_all(None, "PK", keys::suppression(tenant), prefix.as_deref())
            .await?
            .iter()
            .map(Self::suppression_entry)
            .collect()
    }

    /// The tenant's whole list, in key order.
    pub async fn suppressions(&self, tenant: &str) -> Result<Vec<SuppressionEntry>> {
        self.suppressions_of(tenant, None).await
    }

    /// The keys (`<kind>#<value>`) among `supp_keys` that are on the list,
    /// in one BatchGetItem per 100 keys.
    pub async fn suppression_hits(
        &self,
        tenant: &str,
        supp_keys: &[(SuppressionKind, String)],
    ) -> Result<Vec<String>> {
        let mut hits: Vec<String> = self
            .batch_get(
                supp_keys
                    .iter()
                    .map(|(kind, value)| Self::suppression_key(tenant, *kind, value))
                    .collect(),
            )
            .await?
            .into_iter()
            .filter_map(|i| i.get("SK").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        hits.sort();
        Ok(hits)
    }

    /// Everything a send must check, in one BatchGetItem: the tenant's
    /// switches, the lead as stored now, and any suppression entry among
    /// `supp_keys`.
    pub async fn send_context(
        &self,
        tenant: &str,
        lead_id: &str,
        supp_keys: &[(SuppressionKind, String)],
    ) -> Result<(Control, Option<Lead>, Vec<String>)> {
        let mut wanted = vec![
            Self::key(keys::tenant(tenant), "CONTROL"),
            Self::key(keys::lead(tenant, lead_id), "LEAD"),
        ];
        for (kind, value) in supp_keys {
            let k = Self::suppression_key(tenant, *kind, value);
            if !wanted.contains(&k) {
                wanted.push(k);
            }
        }
        let mut control = Control::default();
        let mut lead = None;
        let mut hits = Vec::new();
        for item in self.batch_get(wanted).await? {
            let pk = item
                .get("PK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let sk = item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == "CONTROL" {
                control = from_item(item)?;
            } else if sk == "LEAD" {
                lead = Some(from_item(item)?);
            } else if pk == keys::suppression(tenant) {
                hits.push(sk);
            }
        }
        hits.sort();
        Ok((control, lead, hits))
    }

    // ---------------------------------------------------------------- touches

    fn touch_item(&self, touch: &Touch) -> Result<Item> {
        let mut i = to_item(touch)?;
        i.extend(Self::key(
            keys::lead(&touch.tenant, &touch.lead_id),
            keys::touch_sk(touch.step),
        ));
        if touch.state == TouchState::Draft {
            i.insert("GSI1PK".into(), s(keys::drafts_index(&touch.tenant)));
            i.insert(
                "GSI1SK".into(),
                s(format!("{}#{:02}", touch.lead_id, touch.step)),
            );
        }
        if let (TouchState::Due, Some(due)) = (touch.state, touch.due_at) {
            i.insert(
                "DuePK".into(),
                s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
            );
            i.insert(
                "DueSK".into(),
                s(due_sort_key(due, &touch.tenant, &touch.lead_id, touch.step)),
            );
        }
        Ok(i)
    }

    /// Writes a lead's drafted sequence and moves the lead to `queued`, once:
    /// a redelivered craft message finds the touches there and changes nothing.
    pub async fn put_sequence(
        &self,
        lead: &mut Lead,
        touches: &[Touch],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let old = lead.version;
        let from = lead.status;
        lead.status = LeadStatus::Queued;
        lead.version = old + 1;
        lead.updated_at = now;
        let mut items = vec![
            self.put_tx(
                self.lead_item(lead)?,
                Some("version = :v"),
                vec![(":v", n(old))],
            )?,
            self.event_put(
                &lead.tenant,
                &lead.id,
                now,
                "status",
                &format!(
                    "{from} -> queued: {} drafts await approval",
                    touches
                        .iter()
                        .filter(|t| t.state == TouchState::Draft)
                        .count()
                ),
            )?,
        ];
        for t in touches {
            items.push(self.put_tx(
                self.touch_item(t)?,
                Some("attribute_not_exists(PK)"),
                vec![],
            )?);
        }
        match self.transact("put_sequence", items).await? {
            None => Ok(true),
            Some(_) => {
                lead.version = old;
                lead.status = from;
                Ok(false)
            }
        }
    }

    pub async fn drafts(&self, tenant: &str) -> Result<Vec<Touch>> {
        self.query_all(
            Some("TenantIndex"),
            "GSI1PK",
            keys::drafts_index(tenant),
            None,
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
    }

    /// Approves one draft if its fingerprint is still `fingerprint`: the
    /// first sendable step becomes due now, the others planned.
    pub async fn approve_draft(
        &self,
        touch: &Touch,
        fingerprint: &str,
        make_due_at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let key = Self::key(
            keys::lead(&touch.tenant, &touch.lead_id),
            keys::touch_sk(touch.step),
        );
        let mut values = vec![
            (":draft".to_string(), s(TouchState::Draft.as_str())),
            (":fp".to_string(), s(fingerprint)),
        ];
        let update = match make_due_at {
            Some(due) => {
                values.push((":due".into(), s(TouchState::Due.as_str())));
                values.push((":due_at".into(), s(ts(due))));
                values.push((
                    ":dpk".into(),
                    s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
                ));
                values.push((
                    ":dsk".into(),
                    s(due_sort_key(due, &touch.tenant, &touch.lead_id, touch.step)),
                ));
                "SET #state = :due, due_at = :due_at, DuePK = :dpk, DueSK = :dsk REMOVE GSI1PK, GSI1SK"
            }
            None => {
                values.push((":planned".into(), s(TouchState::Planned.as_str())));
                "SET #state = :planned REMOVE GSI1PK, GSI1SK"
            }
        };
        let tx = self.update_tx(
            key,
            update,
            Some("#state = :draft AND fingerprint = :fp"),
            &[("#state", "state")],
            values,
        )?;
        Ok(self.transact("approve_draft", vec![tx]).await?.is_none())
    }

    /// Replaces a draft's text with an operator's edit, if it is still the
    /// draft the operator saw (`old.fingerprint`). Its new fingerprint voids
    /// any open batch that froze the old one.
    pub async fn edit_draft(&self, old: &Touch, new: &Touch, now: DateTime<Utc>) -> Result<bool> {
        let items = vec![
            self.put_tx(
                self.touch_item(new)?,
                Some("#state = :draft AND fingerprint = :fp"),
                vec![
                    (":draft", s(TouchState::Draft.as_str())),
                    (":fp", s(old.fingerprint.clone())),
                ],
            )
            .map(with_state_name)?,
            self.event_put(
                &new.tenant,
                &new.lead_id,
                now,
                "draft_edited",
                &format!(
                    "step {} edited by an operator ({} -> {})",
                    new.step, old.fingerprint, new.fingerprint
                ),
            )?,
        ];
        Ok(self.transact("edit_draft", items).await?.is_none())
    }

    /// Rejects a draft, if it is still the one the operator saw: the touch is
    /// cancelled with the reason, the rejection is remembered on the lead
    /// (version-checked), and when `hold` the lead is held and its other
    /// pending touches cancelled. Returns false on a lost race.
    pub async fn reject_draft(
        &self,
        touch: &Touch,
        lead: &Lead,
        pending: &[Touch],
        hold: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let t = &touch.tenant;
        let old = lead.version;
        let mut next = lead.clone();
        next.version = old + 1;
        next.updated_at = now;
        if let Some(why) = hold {
            next.status = LeadStatus::Held;
            next.stop_reason = Some(why.to_string());
        }
        let mut items = vec![
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
                "SET #state = :cancelled, end_reason = :why REMOVE GSI1PK, GSI1SK, DuePK, DueSK",
                Some("#state = :draft AND fingerprint = :fp"),
                &[("#state", "state")],
                vec![
                    (":cancelled".into(), s(TouchState::Cancelled.as_str())),
                    (":draft".into(), s(TouchState::Draft.as_str())),
                    (":fp".into(), s(touch.fingerprint.clone())),
                    (":why".into(), s(format!("rejected: {reason}"))),
                ],
            )?,
            self.put_tx(
                self.lead_item(&next)?,
                Some("version = :v"),
                vec![(":v", n(old))],
            )?,
            self.event_put(
                t,
                &touch.lead_id,
                now,
                "draft_rejected",
                &format!(
                    "step {} ({}, template {}) rejected: {reason}{}",
                    touch.step,
                    touch.channel,
                    touch.message.template_id,
                    hold.map(|h| format!("; lead held: {h}"))
                        .unwrap_or_default()
                ),
            )?,
        ];
        if let Some(why) = hold {
            for p in pending
                .iter()
                .filter(|p| p.step != touch.step && p.state.is_pending())
            {
                items.push(self.update_tx(
                    Self::key(keys::lead(t, &p.lead_id), keys::touch_sk(p.step)),
                    "SET #state = :cancelled, end_reason = :why REMOVE GSI1PK, GSI1SK, DuePK, DueSK",
                    Some("#state = :from"),
                    &[("#state", "state")],
                    vec![
                        (":cancelled".into(), s(TouchState::Cancelled.as_str())),
                        (":from".into(), s(p.state.as_str())),
                        (":why".into(), s(format!("lead held: {why}"))),
                    ],
                )?);
            }
        }
        Ok(self.transact("reject_draft", items).await?.is_none())
    }

    /// Puts the new draft of a rejected step in place of the rejected one,
    /// once: a redelivered redraft finds it replaced and changes nothing.
    pub async fn replace_rejected(
        &self,
        old: &Touch,
        new: &Touch,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            with_state_name(self.put_tx(
                self.touch_item(new)?,
                Some("#state = :cancelled AND fingerprint = :fp"),
                vec![
                    (":cancelled", s(TouchState::Cancelled.as_str())),
                    (":fp", s(old.fingerprint.clone())),
                ],
            )?),
            self.event_put(
                &new.tenant,
                &new.lead_id,
                now,
                "redrafted",
                &match new.state {
                    TouchState::Draft => format!(
                        "step {} redrafted with template {}",
                        new.step, new.message.template_id
                    ),
                    _ => format!(
                        "step {} could not be redrafted: {}",
                        new.step,
                        new.end_reason.as_deref().unwrap_or("")
                    ),
                },
            )?,
        ];
        Ok(self.transact("replace_rejected", items).await?.is_none())
    }

    pub async fn put_batch(&self, batch: &Batch) -> Result<()> {
        let mut i = to_item(batch)?;
        i.extend(Self::key(keys::batch(&batch.tenant, &batch.id), "BATCH"));
        i.insert(
            "ttl".into(),
            n((batch.expires_at + Duration::days(30)).timestamp()),
        );
        self.put(i).await
    }

    pub async fn batch(&self, tenant: &str, id: &str) -> Result<Option<Batch>> {
        self.get(keys::batch(tenant, id), "BATCH")
            .await?
            .map(from_item)
            .transpose()
    }

    /// open -> `to`, at most once. Returns false when the batch was not open
    /// (already executed, voided or unknown).
    pub async fn close_batch(
        &self,
        tenant: &str,
        id: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.update_tx(
            Self::key(keys::batch(tenant, id), "BATCH"),
            "SET #state = :to, closed_at = :now",
            Some("#state = :open"),
            &[("#state", "state")],
            vec![
                (":to".into(), s(to)),
                (":now".into(), s(ts(now))),
                (":open".into(), s("open")),
            ],
        )?;
        Ok(self.transact("close_batch", vec![tx]).await?.is_none())
    }

    /// Due touches of one shard with due time <= `now`, oldest first.
    pub async fn due_touches(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        limit: i32,
    ) -> Result<Vec<(Touch, String)>> {
        self.requests.bump();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("DueIndex")
            .key_condition_expression("DuePK = :pk AND DueSK <= :now")
            .expression_attribute_values(":pk", s(format!("DUE#{shard}")))
            // '~' sorts after every character used in the rest of the key.
            .expression_attribute_values(":now", s(format!("{}~", ts(now))))
            .limit(limit)
            .send()
            .await
            .map_err(sdk("query due"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|i| {
                let due_sk = i
                    .get("DueSK")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                Ok((from_item(i)?, due_sk))
            })
            .collect()
    }

    /// The earliest due time in the index (for the local runner's clock).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let mut best: Option<DateTime<Utc>> = None;
        for shard in 0..self.shards {
            self.requests.bump();
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("DueIndex")
                .key_condition_expression("DuePK = :pk")
                .expression_attribute_values(":pk", s(format!("DUE#{shard}")))
                .limit(1)
                .send()
                .await
                .map_err(sdk("query next due"))?;
            if let Some(sk) = out
                .items
                .unwrap_or_default()
                .first()
                .and_then(|i| i.get("DueSK"))
                .and_then(|v| v.as_s().ok())
            {
                if let Some(t) = sk
                    .split('#')
                    .next()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                {
                    let t = t.with_timezone(&Utc);
                    best = Some(best.map_or(t, |b| b.min(t)));
                }
            }
        }
        Ok(best)
    }

    /// Step 1 of the never-twice protocol: in one transaction, move the touch
    /// from `due` to `sending` (with attempt id and lease, re-keyed in the due
    /// index at the lease's expiry) and take every cap. All or nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn reserve(
        &self,
        touch: &Touch,
        due_sk: &str,
        attempt_id: &str,
        sender: &str,
        sender_domain: Option<&str>,
        lease_until: DateTime<Utc>,
        caps: &[CapReservation],
        day: NaiveDate,
    ) -> Result<Reservation> {
        let t = &touch.tenant;
        let mut values = vec![
            (":due".to_string(), s(TouchState::Due.as_str())),
            (":sending".to_string(), s(TouchState::Sending.as_str())),
            (":old".to_string(), s(due_sk)),
            (":attempt".to_string(), s(attempt_id)),
            (":lease".to_string(), s(ts(lease_until))),
            (
                ":dsk".to_string(),
                s(due_sort_key(lease_until, t, &touch.lead_id, touch.step)),
            ),
            (":sender".to_string(), s(sender)),
        ];
        let mut update = "SET #state = :sending, attempt_id = :attempt, lease_until = :lease, DueSK = :dsk, sender = :sender".to_string();
        if let Some(d) = sender_domain {
            update.push_str(", sender_domain = :sd");
            values.push((":sd".into(), s(d)));
        }
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            &update,
            Some("#state = :due AND DueSK = :old"),
            &[("#state", "state")],
            values,
        )?];
        let expires =
            (day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::days(3)).timestamp();
        for cap in caps {
            items.push(self.update_tx(
                Self::key(keys::counters(t, &day.to_string()), cap.scope.clone()),
                "ADD n :one SET #ttl = :ttl, cap = :limit",
                Some("attribute_not_exists(n) OR n < :limit"),
                &[("#ttl", "ttl")],
                vec![
                    (":one".into(), n(1)),
                    (":limit".into(), n(cap.limit)),
                    (":ttl".into(), n(expires)),
                ],
            )?);
        }
        // The switches are checked inside the same transaction, so a stop
        // that lands between the tick's read and this write still wins.
        items.push(self.control_check(t)?);
        match self.transact("reserve", items).await? {
            None => Ok(Reservation::Reserved),
            Some(codes) => {
                if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                    return Ok(Reservation::TouchGone);
                }
                if codes.last().map(String::as_str) == Some("ConditionalCheckFailed") {
                    return Ok(Reservation::Blocked);
                }
                let full = codes[..codes.len() - 1]
                    .iter()
                    .skip(1)
                    .position(|c| c == "ConditionalCheckFailed")
                    .map(|i| caps[i].scope.clone());
                match full {
                    Some(scope) => Ok(Reservation::CapFull(scope)),
                    // Conflicts with a concurrent transaction: let a later tick retry.
                    None => Ok(Reservation::TouchGone),
                }
            }
        }
    }

    /// Writes what would have been sent, once per attempt id.
    pub async fn put_outbox(&self, entry: &OutboxEntry) -> Result<()> {
        let mut i = to_item(entry)?;
        i.extend(Self::key(
            keys::outbox(&entry.tenant),
            format!("A#{}", entry.attempt_id),
        ));
        i.insert(
            "ttl".into(),
            n((entry.sent_at + Duration::days(90)).timestamp()),
        );
        self.requests.bump();
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(i))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Same attempt already written: the send happened once.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(Error::store("put_outbox", DisplayErrorContext(e))),
        }
    }

    pub async fn outbox(&self, tenant: &str) -> Result<Vec<OutboxEntry>> {
        self.query_all(None, "PK", keys::outbox(tenant), Some("A#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Step 3: `sending -> sent` for this attempt, the lead's send counters,
    /// the hourly send bucket and the timeline, in one transaction.
    pub async fn confirm(
        &self,
        touch: &Touch,
        attempt_id: &str,
        provider_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let t = &touch.tenant;
        let hour = crate::domain::safety::breaker::hour_bucket(now);
        let mut items = vec![
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
                "SET #state = :sent, sent_at = :now, provider_message_id = :pid REMOVE DuePK, DueSK, lease_until",
                Some("#state = :sending AND attempt_id = :attempt"),
                &[("#state", "state")],
                vec![
                    (":sent".into(), s(TouchState::Sent.as_str())),
                    (":sending".into(), s(TouchState::Sending.as_str())),
                    (":attempt".into(), s(attempt_id)),
                    (":now".into(), s(ts(now))),
                    (":pid".into(), s(provider_id)),
                ],
            )?,
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), "LEAD"),
                "ADD attempts :one, version :one SET last_sent_at = :now, last_activity_at = :now, first_sent_at = if_not_exists(first_sent_at, :now)",
                None,
                &[],
                vec![(":one".into(), n(1)), (":now".into(), s(ts(now)))],
            )?,
            self.event_put(t, &touch.lead_id, now, "sent", &format!("step {} on {} ({})", touch.step, touch.channel, provider_id))?,
        ];
        // The bounce rate is a rate of emails: only they count as sends.
        if touch.channel == crate::domain::touch::Channel::Email {
            items.push(self.update_tx(
                Self::key(keys::rates(t), hour),
                "ADD sends :one SET #ttl = :ttl",
                None,
                &[("#ttl", "ttl")],
                vec![
                    (":one".into(), n(1)),
                    (":ttl".into(), n(now.timestamp() + 3 * DAY_SECS)),
                ],
            )?);
        }
        Ok(self.transact("confirm", items).await?.is_none())
    }

    /// Gives back a reservation whose send failed before reaching the
    /// provider: the touch is due again at `retry_at` and every cap is returned.
    pub async fn release(
        &self,
        touch: &Touch,
        attempt_id: &str,
        caps: &[CapReservation],
        day: NaiveDate,
        retry_at: DateTime<Utc>,
        why: &str,
    ) -> Result<bool> {
        let t = &touch.tenant;
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            "SET #state = :due, due_at = :at, DueSK = :dsk, end_reason = :why REMOVE attempt_id, lease_until",
            Some("#state = :sending AND attempt_id = :attempt"),
            &[("#state", "state")],
            vec![
                (":due".into(), s(TouchState::Due.as_str())),
                (":sending".into(), s(TouchState::Sending.as_str())),
                (":attempt".into(), s(attempt_id)),
                (":at".into(), s(ts(retry_at))),
                (":dsk".into(), s(due_sort_key(retry_at, t, &touch.lead_id, touch.step))),
                (":why".into(), s(why)),
            ],
        )?];
        for cap in caps {
            items.push(self.update_tx(
                Self::key(keys::counters(t, &day.to_string()), cap.scope.clone()),
                "ADD n :minus",
                Some("n > :zero"),
                &[],
                vec![(":minus".into(), n(-1)), (":zero".into(), n(0))],
            )?);
        }
        Ok(self.transact("release", items).await?.is_none())
    }

    /// Moves a due touch to a later time (window closed, cap full).
    pub async fn reschedule(
        &self,
        touch: &Touch,
        due_sk: &str,
        at: DateTime<Utc>,
        why: &str,
    ) -> Result<bool> {
        let tx = self.update_tx(
            Self::key(
                keys::lead(&touch.tenant, &touch.lead_id),
                keys::touch_sk(touch.step),
            ),
            "SET due_at = :at, DueSK = :dsk, wait_reason = :why",
            Some("#state = :due AND DueSK = :old"),
            &[("#state", "state")],
            vec![
                (":at".into(), s(ts(at))),
                (
                    ":dsk".into(),
                    s(due_sort_key(at, &touch.tenant, &touch.lead_id, touch.step)),
                ),
                (":why".into(), s(why)),
                (":due".into(), s(TouchState::Due.as_str())),
                (":old".into(), s(due_sk)),
            ],
        )?;
        Ok(self.transact("reschedule", vec![tx]).await?.is_none())
    }

    /// Ends a touch that is in `from` (skipped, cancelled, in doubt), taking
    /// it out of both indexes, with a timeline event.
    pub async fn end_touch(
        &self,
        touch: &Touch,
        from: TouchState,
        to: TouchState,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            self.update_tx(
                Self::key(
                    keys::lead(&touch.tenant, &touch.lead_id),
                    keys::touch_sk(touch.step),
                ),
                "SET #state = :to, end_reason = :why REMOVE DuePK, DueSK, GSI1PK, GSI1SK",
                Some("#state = :from"),
                &[("#state", "state")],
                vec![
                    (":to".into(), s(to.as_str())),
                    (":from".into(), s(from.as_str())),
                    (":why".into(), s(why)),
                ],
            )?,
            self.event_put(
                &touch.tenant,
                &touch.lead_id,
                now,
                to.as_str(),
                &format!("step {} ({}): {why}", touch.step, touch.channel),
            )?,
        ];
        Ok(self.transact("end_touch", items).await?.is_none())
    }

    /// Makes a planned step due (after the previous step was sent).
    pub async fn activate(
        &self,
        tenant: &str,
        lead_id: &str,
        step: u8,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.update_tx(
            Self::key(keys::lead(tenant, lead_id), keys::touch_sk(step)),
            "SET #state = :due, due_at = :at, DuePK = :dpk, DueSK = :dsk",
            Some("#state = :planned"),
            &[("#state", "state")],
            vec![
                (":due".into(), s(TouchState::Due.as_str())),
                (":planned".into(), s(TouchState::Planned.as_str())),
                (":at".into(), s(ts(at))),
                (":dpk".into(), s(format!("DUE#{}", self.shard_of(lead_id)))),
                (":dsk".into(), s(due_sort_key(at, tenant, lead_id, step))),
            ],
        )?;
        Ok(self.transact("activate", vec![tx]).await?.is_none())
    }

    /// A lease that expired unconfirmed: in doubt, out of the due index,
    /// never resent blindly.
    pub async fn mark_in_doubt(
        &self,
        touch: &Touch,
        due_sk: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            self.update_tx(
                Self::key(keys::lead(&touch.tenant, &touch.lead_id), keys::touch_sk(touch.step)),
                "SET #state = :doubt, end_reason = :why REMOVE DuePK, DueSK",
                Some("#state = :sending AND DueSK = :old"),
                &[("#state", "state")],
                vec![
                    (":doubt".into(), s(TouchState::InDoubt.as_str())),
                    (":sending".into(), s(TouchState::Sending.as_str())),
                    (":old".into(), s(due_sk)),
                    (":why".into(), s("send lease expired without confirmation; reconcile from provider events")),
                ],
            )?,
            self.event_put(&touch.tenant, &touch.lead_id, now, "in_doubt", &format!("step {}: lease expired unconfirmed", touch.step))?,
        ];
        Ok(self.transact("mark_in_doubt", items).await?.is_none())
    }

    // ---------------------------------------------------------------- signals

    /// Applies a provider event once: the dedup record, the token record, the
    /// lead (version-checked), cancelled touches, suppression, the rate bucket
    /// and the timeline, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_signal(
        &self,
        tenant: &str,
        provider: &str,
        event_id: &str,
        token: Option<&str>,
        raw: &str,
        lead: Option<(&Lead, u64)>,
        cancel: &[(Touch, TouchState)],
        suppress: Option<(SuppressionKind, String)>,
        rate_field: Option<&str>,
        summary: &str,
        now: DateTime<Utc>,
    ) -> Result<ApplyOutcome> {
        let keep = n(now.timestamp() + 90 * DAY_SECS);
        let mut ev = Self::key(keys::webhook_event(tenant, provider, event_id), "EVENT");
        ev.insert("raw".into(), s(raw));
        ev.insert("received_at".into(), s(ts(now)));
        ev.insert("summary".into(), s(summary));
        ev.insert("published".into(), AttributeValue::Bool(false));
        ev.insert("ttl".into(), keep.clone());
        let mut items = vec![self.put_tx(ev, Some("attribute_not_exists(PK)"), vec![])?];
        let token_idx = token.map(|_| items.len());
        if let Some(tok) = token {
            let mut i = Self::key(keys::webhook_token(tenant, provider, tok), "TOKEN");
            i.insert("event_id".into(), s(event_id));
            i.insert("ttl".into(), keep.clone());
            items.push(self.put_tx(
                i,
                Some("attribute_not_exists(PK) OR event_id = :eid"),
                vec![(":eid", s(event_id))],
            )?);
        }
        if let Some((lead, old_version)) = lead {
            let mut lead = lead.clone();
            lead.version = old_version + 1;
            lead.updated_at = now;
            items.push(self.put_tx(
                self.lead_item(&lead)?,
                Some("version = :v"),
                vec![(":v", n(old_version))],
            )?);
            items.push(self.event_put(tenant, &lead.id, now, "signal", summary)?);
            for (touch, to) in cancel {
                items.push(self.update_tx(
                    Self::key(keys::lead(tenant, &lead.id), keys::touch_sk(touch.step)),
                    "SET #state = :to, end_reason = :why REMOVE DuePK, DueSK, GSI1PK, GSI1SK",
                    Some("#state = :from"),
                    &[("#state", "state")],
                    vec![
                        (":to".into(), s(to.as_str())),
                        (":from".into(), s(touch.state.as_str())),
                        (":why".into(), s(summary)),
                    ],
                )?);
            }
        }
        if let Some((kind, value)) = suppress {
            let mut i = Self::key(
                keys::suppression(tenant),
                format!("{}#{}", kind.as_str(), value),
            );
            i.insert("reason".into(), s(summary));
            i.insert("added_at".into(), s(ts(now)));
            items.push(self.put_tx(i, None, vec![])?);
        }
        if let Some(field) = rate_field {
            items.push(self.update_tx(
                Self::key(
                    keys::rates(tenant),
                    crate::domain::safety::breaker::hour_bucket(now),
                ),
                "ADD #f :one SET #ttl = :ttl",
                None,
                &[("#f", field), ("#ttl", "ttl")],
                vec![
                    (":one".into(), n(1)),
                    (":ttl".into(), n(now.timestamp() + 3 * DAY_SECS)),
                ],
            )?);
        }
        match self.transact("apply_signal", items).await? {
            None => Ok(ApplyOutcome::Applied),
            Some(codes) => {
                let failed =
                    |i: usize| codes.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
                if failed(0) {
                    Ok(ApplyOutcome::Duplicate)
                } else if token_idx.is_some_and(failed) {
                    Ok(ApplyOutcome::Replay)
                } else {
                    Ok(ApplyOutcome::Contended)
                }
            }
        }
    }

    /// Was the event applied but its bus publication not yet confirmed?
    pub async fn event_unpublished(
        &self,
        tenant: &str,
        provider: &str,
        event_id: &str,
    ) -> Result<bool> {
        Ok(self
            .get(keys::webhook_event(tenant, provider, event_id), "EVENT")
            .await?
            .and_then(|i| i.get("published").and_then(|v| v.as_bool().ok()).copied())
            == Some(false))
    }

    pub async fn mark_published(&self, tenant: &str, provider: &str, event_id: &str) -> Result<()> {
        let tx = self.update_tx(
            Self::key(keys::webhook_event(tenant, provider, event_id), "EVENT"),
            "SET published = :t",
            Some("attribute_exists(PK)"),
            &[],
            vec![(":t".into(), AttributeValue::Bool(true))],
        )?;
        self.transact("mark_published", vec![tx]).await?;
        Ok(())
    }

    // ----------------------------------------------------- rates and counters

    /// Hourly buckets `labels` (e.g. the last 24 hours), missing ones as zero.
    pub async fn rate_buckets(&self, tenant: &str, labels: &[String]) -> Result<Vec<RateBucket>> {
        let (Some(first), Some(last)) = (labels.iter().min(), labels.iter().max()) else {
            return Ok(vec![]);
        };
        self.requests.bump();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :a AND :b")
            .expression_attribute_values(":pk", s(keys::rates(tenant)))
            .expression_attribute_values(":a", s(first.clone()))
            .expression_attribute_values(":b", s(last.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk("query rates"))?;
        let num = |i: &Item, k: &str| {
            i.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(out
            .items
            .unwrap_or_default()
            .iter()
            .map(|i| RateBucket {
                sends: num(i, "sends"),
                bounces: num(i, "bounces"),
                complaints: num(i, "complaints"),
            })
            .collect())
    }

    // ------------------------------------------------------------ providers

    /// A provider's circuit state for a tenant (closed if never written).
    pub async fn circuit(&self, tenant: &str, provider: &str) -> Result<CircuitState> {
        Ok(
            match self
                .get(keys::provider(tenant, provider), "CIRCUIT")
                .await?
            {
                Some(i) => from_item(i)?,
                None => CircuitState::default(),
            },
        )
    }

    pub async fn put_circuit(
        &self,
        tenant: &str,
        provider: &str,
        state: &CircuitState,
    ) -> Result<()> {
        let mut i = to_item(state)?;
        i.extend(Self::key(keys::provider(tenant, provider), "CIRCUIT"));
        self.put(i).await
    }

    /// Takes `cost` credits of `provider` for `month`, atomically, only
    /// while the month's total stays within `budget` (None: no limit).
    pub async fn take_credits(
        &self,
        tenant: &str,
        provider: &str,
        month: &str,
        cost: u32,
        budget: Option<u32>,
    ) -> Result<bool> {
        self.requests.bump();
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                keys::credits(tenant),
                format!("{month}#{provider}"),
            )))
            .update_expression("ADD used :c SET ttl_at = :ttl")
            .expression_attribute_values(":c", n(cost))
            .expression_attribute_values(":ttl", n(Utc::now().timestamp() + 400 * DAY_SECS));
        if let Some(budget) = budget {
            if cost > budget {
                return Ok(false);
            }
            u = u
                .condition_expression("attribute_not_exists(used) OR used <= :room")
                .expression_attribute_values(":room", n(budget - cost));
        }
        match u.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(Error::store("update_item", DisplayErrorContext(e))),
        }
    }

    /// Gives back credits taken for a call that was not charged (no match,
    /// or the provider failed).
    pub async fn refund_credits(
        &self,
        tenant: &str,
        provider: &str,
        month: &str,
        cost: u32,
    ) -> Result<()> {
        self.requests.bump();
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                keys::credits(tenant),
                format!("{month}#{provider}"),
            )))
            .update_expression("ADD used :c")
            .condition_expression("attribute_exists(used)")
            .expression_attribute_values(":c", n(-i64::from(cost)))
            .send()
            .await
            .map(|_| ())
            .or_else(|e| {
                if is_condition_failure(&e) {
                    Ok(())
                } else {
                    Err(Error::store("update_item", DisplayErrorContext(e)))
                }
            })
    }

    /// Credits spent this `month`, per provider.
    pub async fn credits_used(&self, tenant: &str, month: &str) -> Result<Vec<(String, u32)>> {
        Ok(self
            .query_all(
                None,
                "PK",
                keys::credits(tenant),
                Some(&format!("{month}#")),
            )
            .await?
            .into_iter()
            .filter_map(|i| {
                let sk = i.get("SK")?.as_s().ok()?;
                let provider = sk.split_once('#')?.1.to_string();
                let used = i.get("used")?.as_n().ok()?.parse().ok()?;
                Some((provider, used))
            })
            .collect())
    }

    // ------------------------------------------------------------ prospecting

    /// The prospecting cursor of a tenant and the new leads it pulled in
    /// `month`: one BatchGetItem.
    pub async fn prospect_state(&self, tenant: &str, month: &str) -> Result<ProspectState> {
        let mut state = ProspectState::default();
        for i in self
            .batch_get(vec![
                Self::key(keys::prospect(tenant), "CURSOR"),
                Self::key(keys::prospect(tenant), month),
            ])
            .await?
        {
            let sk = i
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == "CURSOR" {
                state.cursor = i.get("cursor").and_then(|v| v.as_s().ok()).cloned();
                state.exhausted = i
                    .get("exhausted")
                    .and_then(|v| v.as_bool().ok())
                    .copied()
                    .unwrap_or(false);
            } else {
                state.pulled = i
                    .get("pulled")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
        }
        Ok(state)
    }

    /// Records a prospecting run: the next cursor (None: the source is
    /// exhausted) and the new leads it added to the month's count.
    pub async fn save_prospect(
        &self,
        tenant: &str,
        month: &str,
        cursor: Option<&str>,
        added: u32,
    ) -> Result<()> {
        let mut c = Self::key(keys::prospect(tenant), "CURSOR");
        if let Some(cur) = cursor {
            c.insert("cursor".into(), s(cur));
        }
        c.insert("exhausted".into(), AttributeValue::Bool(cursor.is_none()));
        let items = vec![
            self.put_tx(c, None, vec![])?,
            self.update_tx(
                Self::key(keys::prospect(tenant), month),
                "ADD pulled :n",
                None,
                &[],
                vec![(":n".into(), n(added))],
            )?,
        ];
        match self.transact("save_prospect", items).await? {
            None => Ok(()),
            Some(codes) => Err(Error::store("save_prospect", codes.join(","))),
        }
    }

    /// Today's counters of a tenant: scope -> (used, cap).
    pub async fn counters(&self, tenant: &str, day: NaiveDate) -> Result<Vec<(String, u32, u32)>> {
        let num = |i: &Item, k: &str| {
            i.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(self
            .query_all(None, "PK", keys::counters(tenant, &day.to_string()), None)
            .await?
            .iter()
            .map(|i| {
                (
                    i.get("SK")
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default(),
                    num(i, "n"),
                    num(i, "cap"),
                )
            })
            .collect())
    }

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

/// A short random id for sort-key uniqueness.
/// A conditional put whose condition names `#state` (a reserved word).
fn with_state_name(tx: TransactWriteItem) -> TransactWriteItem {
    let put = tx.put.expect("a put");
    let put = Put::builder()
        .table_name(put.table_name)
        .set_item(Some(put.item))
        .set_condition_expression(put.condition_expression)
        .set_expression_attribute_values(put.expression_attribute_values)
        .expression_attribute_names("#state", "state")
        .build()
        .expect("table and item are set");
    TransactWriteItem::builder().put(put).build()
}

pub fn short_id() -> String {
    use rand::Rng;
    let v: u64 = rand::rng().random();
    format!("{v:016x}")
}
