//! Paged reads for the operator console: every list is one partition (or
//! index partition) read a page at a time with an opaque cursor, never a
//! table scan, so a page costs the same with 100 or 100,000 leads.

use super::*;
use crate::domain::lead::Lead;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Where the next page starts: DynamoDB's LastEvaluatedKey, opaque to the
/// browser (base64url of its string attributes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor(pub String);

impl Cursor {
    fn encode(key: &Item) -> Cursor {
        let m: std::collections::BTreeMap<&str, &str> = key
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_s().ok()?.as_str())))
            .collect();
        Cursor(B64.encode(serde_json::to_vec(&m).unwrap_or_default()))
    }

    /// The key the cursor stands for; a cursor that is not one of ours is
    /// an invalid request, not a store error.
    fn decode(&self, pk_attr: &str, pk: &str) -> Result<Item> {
        let bad = || Error::invalid("cursor", "not a cursor of this list");
        let bytes = B64.decode(&self.0).map_err(|_| bad())?;
        let m: std::collections::BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|_| bad())?;
        // A cursor of another tenant's list would read that partition;
        // one with other keys than the list's would fail in the store.
        if m.get(pk_attr).map(String::as_str) != Some(pk) {
            return Err(bad());
        }
        let wanted: &[&str] = match pk_attr {
            "GSI1PK" => &["GSI1PK", "GSI1SK", "PK", "SK"],
            "DuePK" => &["DuePK", "DueSK", "PK", "SK"],
            _ => &["PK", "SK"],
        };
        let tenant_prefix: String = pk.split_inclusive('#').take(2).collect();
        if m.len() != wanted.len()
            || !wanted.iter().all(|k| m.contains_key(*k))
            || !m["PK"].starts_with(&tenant_prefix)
        {
            return Err(bad());
        }
        Ok(m.into_iter().map(|(k, v)| (k, s(v))).collect())
    }
}

/// One page of a list and the cursor of the next (None at the end).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// What a list of leads shows of each: read with a projection, so a page
/// moves a few hundred bytes a lead, not the whole item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadRow {
    pub id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub company_domain: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub score: Option<u8>,
    pub campaign: Option<String>,
    pub timezone: Option<String>,
    pub reply_class: Option<String>,
}

const PROJECTION: &[&str] = &[
    "id",
    "email",
    "phone",
    "company",
    "company_domain",
    "status",
    "tier",
    "score",
    "campaign",
    "timezone",
    "reply_class",
];

/// A filter on the leads list, applied by DynamoDB while it pages.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub status: Option<String>,
    pub tier: Option<u8>,
    pub campaign: Option<String>,
    pub timezone: Option<String>,
    /// Lower-case text looked for in email, company, names and domain.
    pub text: Option<String>,
}

/// A filter expression with its attribute names and values.
type Filter<'a> = (
    &'a str,
    Vec<(&'a str, &'a str)>,
    Vec<(&'a str, AttributeValue)>,
);

/// At most this many reads for one filtered page: a rare filter over a
/// large tenant returns a short page with a cursor rather than reading on.
const MAX_READS: usize = 4;

impl Store {
    /// One page of a partition in sort-key order (`forward` false: newest
    /// first), at most `limit` items, after `cursor`.
    #[allow(clippy::too_many_arguments)]
    async fn page(
        &self,
        index: Option<&str>,
        pk_attr: &str,
        pk: String,
        sk_prefix: Option<&str>,
        forward: bool,
        limit: usize,
        cursor: Option<&Cursor>,
        filter: Option<Filter<'_>>,
        projection: &[&str],
    ) -> Result<Page<Item>> {
        let mut start = cursor.map(|c| c.decode(pk_attr, &pk)).transpose()?;
        let mut items = Vec::new();
        for _ in 0..MAX_READS {
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
                .scan_index_forward(forward)
                .set_exclusive_start_key(start.take());
            q = match sk_prefix {
                Some(p) => q
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                    .expression_attribute_names("#sk", sk_attr)
                    .expression_attribute_values(":sk", s(p)),
                None => q.key_condition_expression("#pk = :pk"),
            };
            if !projection.is_empty() {
                // The keys too: the cursor is made of them.
                let mut attrs: Vec<String> = Vec::new();
                for (i, a) in projection
                    .iter()
                    .chain(["PK", "SK", "GSI1PK", "GSI1SK"].iter())
                    .enumerate()
                {
                    let name = format!("#p{i}");
                    q = q.expression_attribute_names(name.clone(), *a);
                    attrs.push(name);
                }
                q = q.projection_expression(attrs.join(", "));
            }
            match &filter {
                Some((expr, names, values)) => {
                    q = q.filter_expression(*expr);
                    for (k, v) in names {
                        q = q.expression_attribute_names(*k, *v);
                    }
                    for (k, v) in values {
                        q = q.expression_attribute_values(*k, v.clone());
                    }
                    // A filtered read looks at more items than it keeps.
                    q = q.limit(((limit - items.len()) * 4).clamp(50, 500) as i32);
                }
                None => q = q.limit((limit - items.len()) as i32),
            }
            let out = q.send().await.map_err(sdk("query"))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
            if items.len() >= limit {
                break;
            }
        }
        if items.len() > limit {
            // The cursor must point at the last item kept, not read.
            items.truncate(limit);
            let last = items.last().expect("limit > 0");
            let mut k = Item::new();
            let sk_attr = match pk_attr {
                "GSI1PK" => "GSI1SK",
                "DuePK" => "DueSK",
                _ => "SK",
            };
            for a in [pk_attr, sk_attr, "PK", "SK"] {
                if let Some(v) = last.get(a) {
                    k.insert(a.to_string(), v.clone());
                }
            }
            start = Some(k);
        }
        Ok(Page {
            items,
            next: start.as_ref().map(Cursor::encode),
        })
    }

    /// A page of the tenant's leads (id order) that pass `filter`.
    pub async fn leads_filtered(
        &self,
        tenant: &str,
        filter: &LeadFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<LeadRow>> {
        let mut clauses = Vec::new();
        let mut names: Vec<(&str, &str)> = Vec::new();
        let mut values: Vec<(&str, AttributeValue)> = Vec::new();
        if let Some(st) = &filter.status {
            clauses.push("#status = :status");
            names.push(("#status", "status"));
            values.push((":status", s(st.clone())));
        }
        if let Some(tier) = filter.tier {
            clauses.push("#tier = :tier");
            names.push(("#tier", "tier"));
            values.push((":tier", s(format!("tier{tier}"))));
        }
        if let Some(c) = &filter.campaign {
            clauses.push("#campaign = :campaign");
            names.push(("#campaign", "campaign"));
            values.push((":campaign", s(c.clone())));
        }
        if let Some(z) = &filter.timezone {
            clauses.push("#tz = :tz");
            names.push(("#tz", "timezone"));
            values.push((":tz", s(z.clone())));
        }
        if let Some(q) = filter.text.as_deref().filter(|q| !q.is_empty()) {
            clauses
                .push("(contains(#search, :q) OR contains(#email, :q) OR contains(#cdomain, :q))");
            names.push(("#search", "search"));
            names.push(("#email", "email"));
            names.push(("#cdomain", "company_domain"));
            values.push((":q", s(q.to_lowercase())));
        }
        let expr = clauses.join(" AND ");
        let page = self
            .page(
                Some("TenantIndex"),
                "GSI1PK",
                keys::leads_index(tenant),
                None,
                true,
                limit,
                cursor,
                (!clauses.is_empty()).then_some((expr.as_str(), names, values)),
                PROJECTION,
            )
            .await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(from_item)
                .collect::<Result<_>>()?,
            next: page.next,
        })
    }

    /// A page of the audit trail, newest first: (at, actor, action, detail).
    pub async fn audit_page(
        &self,
        tenant: &str,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<(String, String, String, String)>> {
        let page = self
            .page(
                None,
                "PK",
                keys::audit(tenant),
                None,
                false,
                limit,
                cursor,
                None,
                &[],
            )
            .await?;
        let get = |i: &Item, k: &str| {
            i.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        Ok(Page {
            items: page
                .items
                .iter()
                .map(|i| {
                    let sk = get(i, "SK");
                    let at = sk.split('#').next().unwrap_or_default().to_string();
                    (at, get(i, "actor"), get(i, "action"), get(i, "detail"))
                })
                .collect(),
            next: page.next,
        })
    }

    /// A page of the suppression list in key order (`<kind>#<value>`),
    /// only keys starting with `prefix` (a kind) if given.
    pub async fn suppressions_page(
        &self,
        tenant: &str,
        prefix: Option<&str>,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Item>> {
        self.page(
            None,
            "PK",
            keys::suppression(tenant),
            prefix,
            true,
            limit,
            cursor,
            None,
            &[],
        )
        .await
    }
}

impl Store {
    /// A page of the drafts waiting for approval, of `campaign` and `tier`
    /// if given.
    pub async fn drafts_page(
        &self,
        tenant: &str,
        campaign: Option<&str>,
        tier: Option<u8>,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<crate::domain::touch::Touch>> {
        let mut clauses = Vec::new();
        let mut names: Vec<(&str, &str)> = Vec::new();
        let mut values: Vec<(&str, AttributeValue)> = Vec::new();
        if let Some(c) = campaign {
            clauses.push("#campaign = :campaign");
            names.push(("#campaign", "campaign"));
            values.push((":campaign", s(c)));
        }
        if let Some(t) = tier {
            clauses.push("#tier = :tier");
            names.push(("#tier", "tier"));
            values.push((":tier", s(format!("tier{t}"))));
        }
        let expr = clauses.join(" AND ");
        let page = self
            .page(
                Some("TenantIndex"),
                "GSI1PK",
                keys::drafts_index(tenant),
                None,
                true,
                limit,
                cursor,
                (!clauses.is_empty()).then_some((expr.as_str(), names, values)),
                &[],
            )
            .await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(from_item)
                .collect::<Result<_>>()?,
            next: page.next,
        })
    }

    /// Many leads by id, read together (BatchGetItem); missing ones are
    /// left out.
    pub async fn leads_by_id(&self, tenant: &str, ids: &[String]) -> Result<Vec<Lead>> {
        let mut seen = std::collections::BTreeSet::new();
        let keys: Vec<Item> = ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .map(|id| Self::key(keys::lead(tenant, id), "LEAD"))
            .collect();
        self.batch_get(keys)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }
}
