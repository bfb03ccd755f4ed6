//! The DynamoDB store: one table, every key tenant-scoped (`T#<tenant>#...`),
//! a sharded sparse index of due touches, and atomic conditional counters.
//!
//! The key map is `keys`: read it first. One `Store` type, its operations
//! kept by aggregate, one file each.

mod alerts;
mod batches;
mod bulk;
mod campaigns;
mod counters;
mod desk;
mod dispatch;
mod doubt;
mod drafts;
mod erasure;
pub mod keys;
mod landing;
mod leads;
mod memory;
mod operators;
mod outbox;
mod pages;
mod providers;
mod results;
mod sends;
mod signals;
mod suppressions;
mod tenants;
mod unsent;

pub use crate::domain::targeting::erasure::ErasureKey;
pub use crate::domain::tenant::Control;
pub use batches::Batch;
pub use desk::{desk_sort_key, queue_pk, DeskClaim, DeskState, Enqueued, QueuedCall, DESK_SK};
pub use dispatch::{DuePage, ReadSet, ShardLease};
pub use drafts::Sequenced;
pub use erasure::ErasureReport;
pub use leads::{ImportOutcome, TimelineEvent};
pub use operators::SessionRow;
pub use outbox::OutboxEntry;
pub use pages::{Cursor, LeadFilter, LeadRow, Page};
pub use providers::ProspectState;
pub use sends::{Landed, Release, Reservation, ReserveRequest};
pub use signals::ApplyOutcome;

use crate::error::{Error, Result};
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
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

/// Counts every DynamoDB request this store makes: the cost metric.
#[derive(Debug, Default)]
pub struct RequestCounter(AtomicU64);

impl RequestCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A fault injector for crash tests: after `n` more requests every request
/// fails before it is sent, as if the process had died between two
/// requests. Shared with test doubles so a "dead" process calls no provider.
#[derive(Debug)]
pub struct Fuse(AtomicI64);

impl Fuse {
    pub fn new(requests: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(requests)))
    }
    /// Spends one request; false once the fuse has blown.
    pub fn spend(&self) -> bool {
        self.0.fetch_sub(1, Ordering::SeqCst) > 0
    }
    pub fn blown(&self) -> bool {
        self.0.load(Ordering::SeqCst) <= 0
    }
    /// Blows it now (a process that dies while a provider call is in flight).
    pub fn blow(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    shards: u32,
    requests: Arc<RequestCounter>,
    fuse: Option<Arc<Fuse>>,
    /// Keys the hashes that stand in for people erased on request: with
    /// it, an import recognises and refuses them (see `import_rows`).
    erasure_key: Option<ErasureKey>,
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
            fuse: None,
            erasure_key: None,
        }
    }

    /// The same store, keying erased people's hashes with `key`.
    pub fn with_erasure_key(self, key: ErasureKey) -> Self {
        Self {
            erasure_key: Some(key),
            ..self
        }
    }

    /// The key erased people's hashes are made with, if this deployment
    /// set one.
    pub fn erasure_key(&self) -> Option<&ErasureKey> {
        self.erasure_key.as_ref()
    }

    /// The same store (same counter) that dies after the fuse's requests.
    pub fn with_fuse(&self, fuse: Arc<Fuse>) -> Self {
        Self {
            fuse: Some(fuse),
            ..self.clone()
        }
    }

    /// Counts one request, or refuses it if the fuse has blown.
    fn spend(&self) -> Result<()> {
        if let Some(f) = &self.fuse {
            if !f.spend() {
                return Err(Error::store("request", "process killed (fuse blown)"));
            }
        }
        self.requests.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
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
        self.spend()?;
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
        self.spend()?;
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
                self.spend()?;
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
            self.spend()?;
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
        self.spend()?;
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

    fn delete_tx(
        &self,
        key: Item,
        condition: Option<&str>,
        values: Vec<(String, AttributeValue)>,
    ) -> Result<TransactWriteItem> {
        let mut b = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .set_condition_expression(condition.map(str::to_string));
        for (k, v) in values {
            b = b.expression_attribute_values(k, v);
        }
        Ok(TransactWriteItem::builder()
            .delete(b.build().map_err(|e| Error::store("build delete", e))?)
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
