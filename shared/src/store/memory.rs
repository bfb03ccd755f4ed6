//! Memory entries and recommendation decisions (SPEC §11): `T#t#MEMORY /
//! E#<at>#<id>` an entry, `R#<recommendation id>` an operator's decision
//! on a recommendation (approved or dismissed), so it is not offered again.

use super::*;
use crate::domain::campaigns::learning::{MemoryEntry, Recommendation};

fn memory_pk(t: &str) -> String {
    format!("T#{t}#MEMORY")
}

impl Store {
    /// Writes an entry, with an audit row.
    pub async fn add_memory(
        &self,
        tenant: &str,
        e: &MemoryEntry,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut item = to_item(e)?;
        item.extend(Self::key(
            memory_pk(tenant),
            format!("E#{}#{}", ts(e.at), e.id),
        ));
        let put = self.put_tx(item, None, vec![])?;
        let audit = self.put_tx(
            Self::audit_item(tenant, &e.by, "memory_added", e.category.as_str(), now),
            None,
            vec![],
        )?;
        self.transact("add_memory", vec![put, audit]).await?;
        Ok(())
    }

    /// Removes the entry written at `at` with `id` (false: it was not
    /// there), with an audit row.
    pub async fn remove_memory(
        &self,
        tenant: &str,
        at: DateTime<Utc>,
        id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let delete = self.delete_tx(
            Self::key(memory_pk(tenant), format!("E#{}#{id}", ts(at))),
            Some("attribute_exists(PK)"),
            vec![],
        )?;
        let audit = self.put_tx(
            Self::audit_item(tenant, actor, "memory_removed", id, now),
            None,
            vec![],
        )?;
        Ok(self
            .transact("remove_memory", vec![delete, audit])
            .await?
            .is_none())
    }

    /// The newest `limit` entries (one query).
    pub async fn memory(&self, tenant: &str, limit: usize) -> Result<Vec<MemoryEntry>> {
        self.spend()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :e)")
            .expression_attribute_values(":pk", s(memory_pk(tenant)))
            .expression_attribute_values(":e", s("E#"))
            .scan_index_forward(false)
            .limit(limit as i32)
            .send()
            .await
            .map_err(sdk("query"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// The ids of recommendations an operator already decided.
    pub async fn decided_recommendations(
        &self,
        tenant: &str,
    ) -> Result<std::collections::BTreeSet<String>> {
        Ok(self
            .query_all(None, "PK", memory_pk(tenant), Some("R#"))
            .await?
            .iter()
            .filter_map(|i| {
                i.get("SK")?
                    .as_s()
                    .ok()?
                    .strip_prefix("R#")
                    .map(str::to_string)
            })
            .collect())
    }

    /// Records the decision on `rec` once (false if it was decided
    /// already), with the entry it leaves (if any) and an audit row.
    pub async fn decide_recommendation(
        &self,
        tenant: &str,
        rec: &Recommendation,
        approved: bool,
        entry: Option<&MemoryEntry>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut d = Self::key(memory_pk(tenant), format!("R#{}", rec.id));
        d.insert("approved".into(), AttributeValue::Bool(approved));
        d.insert("by".into(), s(actor));
        d.insert("at".into(), s(ts(now)));
        d.insert("text".into(), s(rec.text.clone()));
        let mut items = vec![self.put_tx(d, Some("attribute_not_exists(PK)"), vec![])?];
        if let Some(e) = entry {
            let mut item = to_item(e)?;
            item.extend(Self::key(
                memory_pk(tenant),
                format!("E#{}#{}", ts(e.at), e.id),
            ));
            items.push(self.put_tx(item, None, vec![])?);
        }
        items.push(self.put_tx(
            Self::audit_item(
                tenant,
                actor,
                if approved {
                    "recommendation_approved"
                } else {
                    "recommendation_dismissed"
                },
                &format!("{}: {}", rec.id, rec.text),
                now,
            ),
            None,
            vec![],
        )?);
        Ok(self
            .transact("decide_recommendation", items)
            .await?
            .is_none())
    }
}
