//! The tenant suppression list: add, import, remove, list, and the entries that hit a set of keys.

use super::*;
use crate::domain::targeting::suppression::{SuppressionEntry, SuppressionKind};
use crate::error::{Error, Result};
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, ReturnValue, WriteRequest};
use chrono::{DateTime, Utc};
use futures::stream::StreamExt;
use std::collections::HashSet;

impl Store {
    pub(crate) fn suppression_key(tenant: &str, kind: SuppressionKind, value: &str) -> Item {
        Self::key(keys::suppression(tenant), kind.key(value))
    }

    pub(crate) fn suppression_entry(item: &Item) -> Result<SuppressionEntry> {
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
    pub(crate) async fn batch_put(&self, items: Vec<Item>) -> Result<()> {
        let requests = items
            .into_iter()
            .map(|i| {
                PutRequest::builder()
                    .set_item(Some(i))
                    .build()
                    .map(|p| WriteRequest::builder().put_request(p).build())
                    .map_err(|e| Error::store("batch_write build", e))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    /// Deletes items by key with BatchWriteItem, as `batch_put` writes.
    /// A key of no item is no error.
    pub(crate) async fn batch_delete(&self, keys: Vec<Item>) -> Result<()> {
        let requests = keys
            .into_iter()
            .map(|k| {
                DeleteRequest::builder()
                    .set_key(Some(k))
                    .build()
                    .map(|d| WriteRequest::builder().delete_request(d).build())
                    .map_err(|e| Error::store("batch_write build", e))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    pub(super) async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<()> {
        let writes = requests.chunks(25).map(|chunk| async move {
            let mut pending: Vec<WriteRequest> = chunk.to_vec();
            for round in 0..6u32 {
                if pending.is_empty() {
                    return Ok(());
                }
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(25 << round)).await;
                }
                self.spend()?;
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
        self.spend()?;
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

    /// The entries among `supp_keys` that are on the list, whole (with
    /// their reasons), in one BatchGetItem per 100 keys.
    pub async fn suppression_entries(
        &self,
        tenant: &str,
        supp_keys: &[(SuppressionKind, String)],
    ) -> Result<Vec<SuppressionEntry>> {
        if supp_keys.is_empty() {
            return Ok(vec![]);
        }
        self.batch_get(
            supp_keys
                .iter()
                .map(|(kind, value)| Self::suppression_key(tenant, *kind, value))
                .collect(),
        )
        .await?
        .iter()
        .map(Self::suppression_entry)
        .collect()
    }
}
