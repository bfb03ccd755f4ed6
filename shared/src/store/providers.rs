//! Provider state: enrichment circuits, monthly credits, the prospecting cursor.

use super::*;
use crate::domain::targeting::enrichment::CircuitState;
use crate::error::{Error, Result};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;

/// Where scheduled prospecting is in its source, and this month's count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProspectState {
    pub cursor: Option<String>,
    pub exhausted: bool,
    pub pulled: u32,
}

impl Store {
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
        self.spend()?;
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
        self.spend()?;
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
}
