//! What a dispatch tick reads: pages of due touches by shard, the short
//! lease that gives one tick a shard to itself, and everything a decision
//! about a page needs, in as few BatchGetItem requests as the keys allow.

use super::*;
use crate::domain::lead::Lead;
use crate::domain::tenant::{Control, TenantConfig};
use crate::domain::touch::Touch;
use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};

/// The due-index sort key of a shard's lease row: sorts before every due
/// time, so the page query that finds the work also finds who holds it.
const LEASE_SK: &str = "!LEASE";

/// Who works a shard, until when.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardLease {
    pub owner: String,
    pub until: DateTime<Utc>,
}

/// One query's worth of a shard: its lease, and its due touches (each with
/// the sort key it was found under, the reservation's condition).
#[derive(Debug, Default)]
pub struct DuePage {
    pub lease: Option<ShardLease>,
    pub touches: Vec<(Touch, String)>,
    /// Dialing desks due: (tenant, the desk row's due-index key).
    pub desks: Vec<(String, String)>,
}

/// What the decisions about a page read: configs and switches per tenant,
/// leads and their later steps per lead.
#[derive(Debug, Default)]
pub struct ReadSet {
    pub configs: HashMap<String, TenantConfig>,
    pub controls: HashMap<String, Control>,
    pub leads: HashMap<(String, String), Lead>,
    pub touches: HashMap<(String, String), Vec<Touch>>,
    /// Today's counts by tenant, then cap scope (counters never taken are
    /// absent).
    pub loads: HashMap<String, BTreeMap<String, u32>>,
    /// Stored campaigns by (tenant, campaign id).
    pub campaigns: HashMap<(String, String), crate::domain::campaigns::Campaign>,
}

impl Store {
    /// Due touches of one shard with due time <= `now`, oldest first, and
    /// the shard's lease row: one query.
    pub async fn due_page(&self, shard: u32, now: DateTime<Utc>, limit: i32) -> Result<DuePage> {
        self.spend()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("DueIndex")
            .key_condition_expression("DuePK = :pk AND DueSK <= :now")
            .expression_attribute_values(":pk", s(format!("DUE#{shard}")))
            // '~' sorts after every character used in the rest of the key.
            .expression_attribute_values(":now", s(format!("{}~", ts(now))))
            .limit(limit + 1)
            .send()
            .await
            .map_err(sdk("query due"))?;
        let mut page = DuePage::default();
        for item in out.items.unwrap_or_default() {
            let due_sk = item
                .get("DueSK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if due_sk == LEASE_SK {
                let owner = item.get("owner").and_then(|v| v.as_s().ok());
                let until = item
                    .get("until")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
                if let (Some(owner), Some(until)) = (owner, until) {
                    page.lease = Some(ShardLease {
                        owner: owner.clone(),
                        until: until.with_timezone(&Utc),
                    });
                }
            } else if item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(super::DESK_SK)
            {
                if let Some(t) = item.get("tenant").and_then(|v| v.as_s().ok()) {
                    page.desks.push((t.clone(), due_sk));
                }
            } else if page.touches.len() < limit as usize {
                page.touches.push((from_item(item)?, due_sk));
            }
        }
        Ok(page)
    }

    /// Takes (or renews) a shard's lease for `owner` until `until`, unless
    /// another owner holds one that has not run out. One conditional write.
    pub async fn take_shard(
        &self,
        shard: u32,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        self.spend()?;
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(keys::DISPATCH, keys::shard_lease(shard))))
            .update_expression("SET #o = :me, #u = :until, DuePK = :dpk, DueSK = :dsk")
            .condition_expression("attribute_not_exists(#o) OR #o = :me OR #u <= :now")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#u", "until")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":until", s(ts(until)))
            .expression_attribute_values(":now", s(ts(now)))
            .expression_attribute_values(":dpk", s(format!("DUE#{shard}")))
            .expression_attribute_values(":dsk", s(LEASE_SK))
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(Error::store("take_shard", DisplayErrorContext(e))),
        }
    }

    /// Reads configs and switches of `tenants`, the `leads` and the touches
    /// `steps` name, in BatchGetItem requests of up to 100 keys.
    pub async fn read_set(
        &self,
        tenants: &[String],
        leads: &[(String, String)],
        steps: &[(String, String, u8)],
        counters: &[(String, NaiveDate, String)],
        campaigns: &[(String, String)],
    ) -> Result<ReadSet> {
        let mut wanted = Vec::new();
        for t in tenants {
            wanted.push(Self::key(keys::tenant(t), "CONFIG"));
            wanted.push(Self::key(keys::tenant(t), "CONTROL"));
        }
        for (t, c) in campaigns {
            wanted.push(Self::key(keys::tenant(t), format!("CAMPAIGN#{c}")));
        }
        for (t, l) in leads {
            wanted.push(Self::key(keys::lead(t, l), "LEAD"));
        }
        for (t, l, step) in steps {
            wanted.push(Self::key(keys::lead(t, l), keys::touch_sk(*step)));
        }
        for (t, day, scope) in counters {
            wanted.push(Self::key(
                keys::counters(t, &day.to_string()),
                scope.clone(),
            ));
        }
        wanted.sort_by(|a, b| {
            let k = |i: &Item| (i["PK"].as_s().ok().cloned(), i["SK"].as_s().ok().cloned());
            k(a).cmp(&k(b))
        });
        wanted.dedup();
        let mut set = ReadSet::default();
        for t in tenants {
            set.controls.insert(t.clone(), Control::default());
        }
        for item in self.batch_get(wanted).await? {
            let sk = item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let pk = item
                .get("PK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if let Some((tenant, _day)) = pk
                .strip_prefix("T#")
                .and_then(|rest| rest.split_once("#CTR#"))
            {
                let used = item
                    .get("n")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                set.loads
                    .entry(tenant.to_string())
                    .or_default()
                    .insert(sk, used);
                continue;
            }
            match sk.as_str() {
                "CONFIG" => {
                    let c: TenantConfig = self.config_from_item(item)?;
                    set.configs.insert(c.tenant.to_string(), c);
                }
                "CONTROL" => {
                    let pk = item["PK"].as_s().cloned().unwrap_or_default();
                    let tenant = pk.trim_start_matches("T#").to_string();
                    set.controls.insert(tenant, from_item(item)?);
                }
                campaign if campaign.starts_with("CAMPAIGN#") => {
                    let tenant = pk.trim_start_matches("T#").to_string();
                    let (c, _) = Self::campaign_from_item(&item)?;
                    set.campaigns.insert((tenant, c.id.as_str().to_string()), c);
                }
                "LEAD" => {
                    let l: Lead = from_item(item)?;
                    set.leads.insert((l.tenant.clone(), l.id.clone()), l);
                }
                _ => {
                    let t: Touch = from_item(item)?;
                    set.touches
                        .entry((t.tenant.clone(), t.lead_id.clone()))
                        .or_default()
                        .push(t);
                }
            }
        }
        Ok(set)
    }

    /// The earliest due time in the index (for the local runner's clock).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let mut best: Option<DateTime<Utc>> = None;
        for shard in 0..self.shards {
            self.spend()?;
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("DueIndex")
                // Due times start with a digit: the lease row ('!') is not one.
                .key_condition_expression("DuePK = :pk AND DueSK >= :zero")
                .expression_attribute_values(":pk", s(format!("DUE#{shard}")))
                .expression_attribute_values(":zero", s("0"))
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
}
