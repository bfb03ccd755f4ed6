//! Campaigns: one item each in the tenant's partition (`CAMPAIGN#<id>`),
//! written with an audit entry and a version, so two operators editing at
//! once cannot overwrite each other.

use super::*;
use crate::domain::campaigns::{Campaign, DEFAULT_CAMPAIGN};
use chrono::{DateTime, Utc};

const PREFIX: &str = "CAMPAIGN#";

impl Store {
    fn campaign_item(&self, tenant: &str, c: &Campaign, version: u64) -> Result<Item> {
        let json = serde_json::to_string(c).map_err(|e| Error::store("serialize campaign", e))?;
        let mut i = Self::key(keys::tenant(tenant), format!("{PREFIX}{}", c.id.as_str()));
        i.insert("campaign".into(), s(json));
        i.insert("status".into(), s(c.status.as_str()));
        i.insert("version".into(), n(version));
        i.insert("updated_at".into(), s(ts(c.updated_at)));
        Ok(i)
    }

    pub(crate) fn campaign_from_item(item: &Item) -> Result<(Campaign, u64)> {
        let json = item
            .get("campaign")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| Error::store("campaign", "item lacks `campaign`"))?;
        let c = serde_json::from_str(json).map_err(|e| {
            Error::store("campaign", format!("stored campaign does not parse: {e}"))
        })?;
        let version = item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok((c, version))
    }

    /// The tenant's campaigns with their versions, by id. Until an operator
    /// writes it, the `default` campaign is read from the tenant's config
    /// (its ICP, offer and sequence: what a tenant from before campaigns
    /// had), at version 0.
    pub async fn campaigns(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Campaign, u64)>> {
        let config = self.require_config(tenant).await?;
        self.campaigns_with(&config, now).await
    }

    /// As `campaigns`, with the tenant's config already read.
    pub async fn campaigns_with(
        &self,
        config: &crate::domain::tenant::TenantConfig,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Campaign, u64)>> {
        let tenant = config.tenant.as_str();
        let stored: Vec<(Campaign, u64)> = self
            .query_all(None, "PK", keys::tenant(tenant), Some(PREFIX))
            .await?
            .iter()
            .map(Self::campaign_from_item)
            .collect::<Result<_>>()?;
        if stored
            .iter()
            .any(|(c, _)| c.id.as_str() == DEFAULT_CAMPAIGN)
        {
            return Ok(stored);
        }
        let mut all = vec![(Campaign::legacy(config, now), 0)];
        all.extend(stored);
        Ok(all)
    }

    /// One campaign and its version (the legacy one for a tenant that has
    /// stored none), or NotFound naming it.
    pub async fn campaign(
        &self,
        tenant: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(Campaign, u64)> {
        if let Some(item) = self
            .get(keys::tenant(tenant), &format!("{PREFIX}{id}"))
            .await?
        {
            return Self::campaign_from_item(&item);
        }
        self.campaigns(tenant, now)
            .await?
            .into_iter()
            .find(|(c, v)| *v == 0 && c.id.as_str() == id)
            .ok_or_else(|| Error::NotFound(format!("campaign {id}")))
    }

    /// Writes a campaign (already validated) if it is still at `version`
    /// (0: not stored yet), with an audit entry. A stale version is a
    /// conflict that names the campaign; nothing is written.
    pub async fn put_campaign(
        &self,
        tenant: &str,
        c: &Campaign,
        version: u64,
        actor: &str,
        action: &str,
    ) -> Result<u64> {
        let next = version + 1;
        let condition = if version == 0 {
            "attribute_not_exists(PK)"
        } else {
            "version = :v"
        };
        let values = if version == 0 {
            vec![]
        } else {
            vec![(":v", n(version))]
        };
        let items = vec![
            self.put_tx(
                self.campaign_item(tenant, c, next)?,
                Some(condition),
                values,
            )?,
            self.audit_put(
                tenant,
                actor,
                action,
                &format!("campaign {} ({})", c.id.as_str(), c.status.as_str()),
                c.updated_at,
            )?,
        ];
        match self.transact("put_campaign", items).await? {
            None => Ok(next),
            Some(_) => Err(Error::Conflict(format!(
                "campaign {} changed meanwhile (or already exists); read it again",
                c.id.as_str()
            ))),
        }
    }
}
