//! Gatekeeper batches: frozen scope, expiry, executed once.

use super::*;
use crate::error::Result;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

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

impl Store {
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
}
