//! Leads: import with merge, the version-checked save, status transitions, listing and the timeline.

use super::*;
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::touch::Touch;
use crate::error::{Error, Result};
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    Created,
    Merged(Vec<&'static str>),
    /// Nothing new. `awaiting_enrichment`: the stored lead is still `new`,
    /// not suppressed, and was last written over 15 minutes ago: its first
    /// enrichment message was lost, and a re-import should queue it again.
    Unchanged {
        awaiting_enrichment: bool,
    },
}

pub(crate) fn unchanged(stored: &Lead, now: DateTime<Utc>) -> ImportOutcome {
    ImportOutcome::Unchanged {
        awaiting_enrichment: stored.status == LeadStatus::New
            && stored.suppressed.is_none()
            && stored.updated_at < now - Duration::minutes(15),
    }
}

impl Store {
    pub(crate) fn lead_item(&self, lead: &Lead) -> Result<Item> {
        let mut i = to_item(lead)?;
        i.extend(Self::key(keys::lead(&lead.tenant, &lead.id), "LEAD"));
        i.insert("GSI1PK".into(), s(keys::leads_index(&lead.tenant)));
        i.insert("GSI1SK".into(), s(lead.id.clone()));
        // What the console's search matches, lower-cased (DynamoDB's
        // `contains` is case-sensitive).
        let search: Vec<String> = [
            &lead.email,
            &lead.first_name,
            &lead.last_name,
            &lead.company,
            &lead.company_domain,
            &lead.phone,
            &lead.city,
        ]
        .iter()
        .filter_map(|f| f.as_deref().map(str::to_lowercase))
        .collect();
        if !search.is_empty() {
            i.insert("search".into(), s(search.join(" | ")));
        }
        Ok(i)
    }

    pub(crate) fn event_put(
        &self,
        tenant: &str,
        lead: &str,
        at: DateTime<Utc>,
        kind: &str,
        detail: &str,
    ) -> Result<TransactWriteItem> {
        self.put_tx(
            Self::event_item(tenant, lead, at, kind, detail)?,
            None,
            vec![],
        )
    }

    /// One timeline event of a lead, as stored.
    pub(crate) fn event_item(
        tenant: &str,
        lead: &str,
        at: DateTime<Utc>,
        kind: &str,
        detail: &str,
    ) -> Result<Item> {
        let mut i = to_item(&TimelineEvent {
            at,
            kind: kind.into(),
            detail: detail.into(),
        })?;
        i.extend(Self::key(
            keys::lead(tenant, lead),
            format!("EV#{}#{}", ts(at), short_id()),
        ));
        Ok(i)
    }

    pub async fn lead(&self, tenant: &str, lead: &str) -> Result<Option<Lead>> {
        self.get(keys::lead(tenant, lead), "LEAD")
            .await?
            .map(from_item)
            .transpose()
    }

    /// Inserts a new lead, or merges a re-import into the stored one.
    pub async fn import_lead(&self, incoming: &Lead, now: DateTime<Utc>) -> Result<ImportOutcome> {
        for _ in 0..5 {
            match self.lead(&incoming.tenant, &incoming.id).await? {
                None => {
                    let mut lead = incoming.clone();
                    lead.version = 1;
                    let items = vec![
                        self.put_tx(
                            self.lead_item(&lead)?,
                            Some("attribute_not_exists(PK)"),
                            vec![],
                        )?,
                        self.event_put(
                            &lead.tenant,
                            &lead.id,
                            now,
                            "imported",
                            &format!("from {}", lead.source),
                        )?,
                    ];
                    if self.transact("import_lead", items).await?.is_none() {
                        return Ok(ImportOutcome::Created);
                    }
                }
                Some(mut existing) => {
                    let changed = crate::domain::targeting::intake::merge(&mut existing, incoming);
                    if changed.is_empty() {
                        return Ok(unchanged(&existing, now));
                    }
                    let detail = format!("merged from {}: {}", incoming.source, changed.join(", "));
                    if self
                        .save_lead(&mut existing, "merged", &detail, now)
                        .await?
                    {
                        return Ok(ImportOutcome::Merged(changed));
                    }
                }
            }
        }
        Err(Error::Conflict(format!(
            "lead {} kept changing during import",
            incoming.id
        )))
    }

    /// Imports a chunk of distinct leads of one tenant (at most 50) in a few
    /// requests: one BatchGetItem finds which exist; the new ones go in one
    /// transaction (lead + "imported" event each, conditional on absence);
    /// existing ones merge one by one. A lost race (someone created one of
    /// the leads meanwhile) falls back to `import_lead` for that chunk, so
    /// the outcome is the same as importing one at a time.
    pub async fn import_leads(
        &self,
        incoming: &[Lead],
        now: DateTime<Utc>,
    ) -> Result<Vec<ImportOutcome>> {
        assert!(incoming.len() <= 50, "at most 50 leads a chunk");
        let Some(first) = incoming.first() else {
            return Ok(vec![]);
        };
        let tenant = first.tenant.clone();
        let stored: HashMap<String, Lead> = self
            .batch_get(
                incoming
                    .iter()
                    .map(|l| Self::key(keys::lead(&tenant, &l.id), "LEAD"))
                    .collect(),
            )
            .await?
            .into_iter()
            .map(|i| from_item::<Lead>(i).map(|l| (l.id.clone(), l)))
            .collect::<Result<_>>()?;
        let mut creates = Vec::new();
        for lead in incoming.iter().filter(|l| !stored.contains_key(&l.id)) {
            let mut lead = lead.clone();
            lead.version = 1;
            creates.push(self.put_tx(
                self.lead_item(&lead)?,
                Some("attribute_not_exists(PK)"),
                vec![],
            )?);
            creates.push(self.event_put(
                &tenant,
                &lead.id,
                now,
                "imported",
                &format!("from {}", lead.source),
            )?);
        }
        if !creates.is_empty() && self.transact("import_leads", creates).await?.is_some() {
            let mut out = Vec::with_capacity(incoming.len());
            for lead in incoming {
                out.push(self.import_lead(lead, now).await?);
            }
            return Ok(out);
        }
        let mut out = Vec::with_capacity(incoming.len());
        for lead in incoming {
            out.push(match stored.get(&lead.id) {
                None => ImportOutcome::Created,
                Some(existing) => {
                    let mut merged = existing.clone();
                    let changed = crate::domain::targeting::intake::merge(&mut merged, lead);
                    if changed.is_empty() {
                        unchanged(existing, now)
                    } else {
                        let detail = format!("merged from {}: {}", lead.source, changed.join(", "));
                        if self.save_lead(&mut merged, "merged", &detail, now).await? {
                            ImportOutcome::Merged(changed)
                        } else {
                            self.import_lead(lead, now).await?
                        }
                    }
                }
            });
        }
        Ok(out)
    }

    /// Writes `lead` if nobody changed it since it was read (version check),
    /// with a timeline event. Returns false on a lost race: re-read and retry.
    pub async fn save_lead(
        &self,
        lead: &mut Lead,
        kind: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let old = lead.version;
        lead.version = old + 1;
        lead.updated_at = now;
        let items = vec![
            self.put_tx(
                self.lead_item(lead)?,
                Some("version = :v"),
                vec![(":v", n(old))],
            )?,
            self.event_put(&lead.tenant, &lead.id, now, kind, detail)?,
        ];
        match self.transact("save_lead", items).await? {
            None => Ok(true),
            Some(_) => {
                lead.version = old;
                Ok(false)
            }
        }
    }

    /// Moves a lead's status if the state machine allows it from what is
    /// stored now. Returns the status it moved from, or None if not allowed.
    pub async fn transition(
        &self,
        tenant: &str,
        lead_id: &str,
        to: LeadStatus,
        cause: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LeadStatus>> {
        for _ in 0..5 {
            let Some(mut lead) = self.lead(tenant, lead_id).await? else {
                return Err(Error::NotFound(format!("lead {lead_id}")));
            };
            let from = lead.status;
            if !from.can_move_to(to) {
                return Ok(None);
            }
            lead.status = to;
            if self
                .save_lead(
                    &mut lead,
                    "status",
                    &format!("{from} -> {to}: {cause}"),
                    now,
                )
                .await?
            {
                return Ok(Some(from));
            }
        }
        Err(Error::Conflict(format!("lead {lead_id} kept changing")))
    }

    /// `queued -> contacted` after a lead's first send, in one request; a
    /// lead that moved on meanwhile (a reply, say) is left as it is.
    pub async fn mark_contacted(
        &self,
        tenant: &str,
        lead_id: &str,
        cause: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            self.update_tx(
                Self::key(keys::lead(tenant, lead_id), "LEAD"),
                "SET #status = :to, updated_at = :now ADD version :one",
                Some("#status = :from"),
                &[("#status", "status")],
                vec![
                    (":to".into(), s(LeadStatus::Contacted.as_str())),
                    (":from".into(), s(LeadStatus::Queued.as_str())),
                    (":now".into(), s(ts(now))),
                    (":one".into(), n(1)),
                ],
            )?,
            self.event_put(
                tenant,
                lead_id,
                now,
                "status",
                &format!("queued -> contacted: {cause}"),
            )?,
        ];
        Ok(self.transact("mark_contacted", items).await?.is_none())
    }

    pub async fn leads(&self, tenant: &str) -> Result<Vec<Lead>> {
        self.query_all(
            Some("TenantIndex"),
            "GSI1PK",
            keys::leads_index(tenant),
            None,
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
    }

    /// One page of a tenant's leads in id order, after `after` (a lead id),
    /// and the cursor of the next page (None at the end).
    pub async fn leads_page(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<Lead>, Option<String>)> {
        self.spend()?;
        let start = after.map(|id| {
            let mut k = Self::key(keys::lead(tenant, id), "LEAD");
            k.insert("GSI1PK".into(), s(keys::leads_index(tenant)));
            k.insert("GSI1SK".into(), s(id));
            k
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("TenantIndex")
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(keys::leads_index(tenant)))
            .set_exclusive_start_key(start)
            .limit(limit)
            .send()
            .await
            .map_err(sdk("query"))?;
        let leads: Vec<Lead> = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_>>()?;
        let next = match out.last_evaluated_key {
            Some(k) if !k.is_empty() => leads.last().map(|l| l.id.clone()),
            _ => None,
        };
        Ok((leads, next))
    }

    /// The lead, its touches and its timeline, in one query.
    pub async fn lead_view(
        &self,
        tenant: &str,
        lead_id: &str,
    ) -> Result<Option<(Lead, Vec<Touch>, Vec<TimelineEvent>)>> {
        let items = self
            .query_all(None, "PK", keys::lead(tenant, lead_id), None)
            .await?;
        let mut lead = None;
        let mut touches = Vec::new();
        let mut events = Vec::new();
        for i in items {
            let sk = i
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == "LEAD" {
                lead = Some(from_item(i)?);
            } else if sk.starts_with("TOUCH#") {
                touches.push(from_item(i)?);
            } else if sk.starts_with("EV#") {
                events.push(from_item(i)?);
            }
        }
        Ok(lead.map(|l| (l, touches, events)))
    }

    /// A lead and its touches, without its (ever-growing) timeline: two
    /// bounded requests, for the approval routes.
    pub async fn lead_and_touches(
        &self,
        tenant: &str,
        lead_id: &str,
    ) -> Result<Option<(Lead, Vec<Touch>)>> {
        let Some(lead) = self.lead(tenant, lead_id).await? else {
            return Ok(None);
        };
        Ok(Some((lead, self.touches(tenant, lead_id).await?)))
    }

    pub async fn touches(&self, tenant: &str, lead_id: &str) -> Result<Vec<Touch>> {
        self.query_all(None, "PK", keys::lead(tenant, lead_id), Some("TOUCH#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    pub async fn touch(&self, tenant: &str, lead_id: &str, step: u8) -> Result<Option<Touch>> {
        self.get(keys::lead(tenant, lead_id), &keys::touch_sk(step))
            .await?
            .map(from_item)
            .transpose()
    }

    // ------------------------------------------------------------ suppression
}
