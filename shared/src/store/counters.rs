//! Daily counters, as the control plane shows them.

use super::*;
use crate::error::Result;
use chrono::NaiveDate;

impl Store {
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
}
