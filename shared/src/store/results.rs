//! Campaign results counters: what an event adds (`Tally`, decided in
//! `domain::campaigns::results`) as items of the transaction that records
//! the event, and a campaign's counters read back in one query.

use super::*;
use crate::domain::campaigns::report::CounterRow;
use crate::domain::campaigns::results::Tally;
use aws_sdk_dynamodb::types::TransactWriteItem;

impl Store {
    /// One `ADD` update per counters item of `tally`, for a transaction.
    /// No condition: the transaction's own conditions make it count once.
    pub(super) fn tally_items(
        &self,
        tenant: &str,
        tally: &Tally,
    ) -> Result<Vec<TransactWriteItem>> {
        let pk = keys::results(tenant, &tally.campaign);
        tally
            .adds
            .iter()
            .filter(|(_, fields)| !fields.is_empty())
            .map(|(sk, fields)| {
                let names: Vec<(String, &str)> = fields
                    .keys()
                    .enumerate()
                    .map(|(i, f)| (format!("#f{i}"), *f))
                    .collect();
                let adds: Vec<String> = (0..fields.len()).map(|i| format!("#f{i} :n{i}")).collect();
                let values: Vec<(String, AttributeValue)> = fields
                    .values()
                    .enumerate()
                    .map(|(i, v)| (format!(":n{i}"), n(v)))
                    .collect();
                let name_refs: Vec<(&str, &str)> =
                    names.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                self.update_tx(
                    Self::key(pk.clone(), sk.clone()),
                    &format!("ADD {}", adds.join(", ")),
                    None,
                    &name_refs,
                    values,
                )
            })
            .collect()
    }

    /// A campaign's results counters: sort key -> attribute -> count. One
    /// query (a campaign's counters are a few hundred small items).
    pub async fn campaign_results(&self, tenant: &str, campaign: &str) -> Result<Vec<CounterRow>> {
        Ok(self
            .query_all(None, "PK", keys::results(tenant, campaign), None)
            .await?
            .into_iter()
            .map(|item| {
                let sk = item
                    .get("SK")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                let counts = item
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "PK" | "SK"))
                    .filter_map(|(k, v)| {
                        let x = v.as_n().ok()?.parse::<i64>().ok()?;
                        Some((k.clone(), x))
                    })
                    .collect();
                (sk, counts)
            })
            .collect())
    }
}
