//! Erasing a person on request: every item that holds their data deleted
//! or scrubbed, keyed hashes left on the suppression list in their place,
//! and the erasure audited without the data.
//!
//! Where a person's data is kept, and how each place is found without a
//! Scan of the table:
//! - their leads (`T#t#L#<lead>`: the lead, its touches, its timeline):
//!   the tenant's leads index, projected to the contact fields, plus the
//!   lead id the email would make and the holders of the person's campaign
//!   claims (the index lags writes; those two do not). Deleting a touch
//!   takes it out of the due index, the drafts, the doubt list and the
//!   call queue, which are its own attributes;
//! - the raw payloads of the webhook events applied to those leads
//!   (`T#t#WH#...`): each signal's timeline event names its event;
//! - the shadow outbox (`T#t#OUTBOX`): entries of those leads or to the
//!   person's addresses;
//! - campaign claims (`T#t` / `REACH#email#...`, `REACH#phone#...`) and
//!   suppression entries holding the email or numbers in clear;
//! - audit rows mentioning the person (`T#t#AUDIT`): rewritten with
//!   `[erased]` in place of each mention;
//! - approval batches listing the leads, found from the audit's
//!   `batch_created` rows: the leads taken out of the frozen scope, and an
//!   open batch made void (what it froze is gone);
//! - the leads' ids elsewhere (a lead id is an unkeyed hash of the email):
//!   their daily call counters, and the dialing desk's slots.
//!
//! Order: the hashed entries are written first (an import running
//! meanwhile is refused from then on) and each lead's own item is deleted
//! last, so a run that dies half way is finished by running it again.

use super::signals::WEBHOOK_EVENT_ATTR;
use super::*;
use crate::domain::dispatch::caps::lead_calls_scope;
use crate::domain::ids::{LeadId, TenantId};
use crate::domain::lead::Lead;
use crate::domain::targeting::erasure::{
    reference, ErasureKey, ErasureRequest, Mentions, Person, ERASED_REASON,
};
use crate::domain::targeting::suppression::{canonical_email, canonical_phone, SuppressionKind};
use crate::error::Result;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Longest operator reason kept in the audit row.
const REASON_KEPT: usize = 200;
/// Days back a lead's call counter may still be stored (its TTL is three
/// days past its day; DynamoDB deletes expired items within about two).
const COUNTER_DAYS: i64 = 7;

/// What an erasure did, in counts: no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// The first characters of the keyed hash of the person's first
    /// identifier: how the audit row names this erasure ("" when the
    /// request found no identifier at all).
    pub reference: String,
    /// Identifiers now on the suppression list as keyed hashes.
    pub identifiers: u32,
    pub leads: u32,
    pub touches: u32,
    pub timeline_events: u32,
    /// Other items of the leads' partitions.
    pub other_lead_items: u32,
    pub webhook_events: u32,
    pub outbox_entries: u32,
    pub reach_claims: u32,
    /// Suppression entries holding an identifier in clear, deleted (the
    /// hashed entries stand for them).
    pub clear_suppression_entries: u32,
    /// Hashed entries written now; `hashed_entries_present` were there
    /// from an earlier erasure of the same person.
    pub hashed_entries_added: u32,
    pub hashed_entries_present: u32,
    pub audit_rows_scrubbed: u32,
    pub batches_rewritten: u32,
    /// The leads' daily call counters (`voice#lead#<id>`, kept a few days).
    pub call_counters: u32,
    /// Dialing-desk slots whose last call was one of the leads, cleared.
    pub desk_slots: u32,
}

impl ErasureReport {
    /// Items deleted or rewritten: 0 when the person left no trace.
    pub fn items(&self) -> u32 {
        self.leads
            + self.touches
            + self.timeline_events
            + self.other_lead_items
            + self.webhook_events
            + self.outbox_entries
            + self.reach_claims
            + self.clear_suppression_entries
            + self.audit_rows_scrubbed
            + self.batches_rewritten
            + self.call_counters
            + self.desk_slots
    }

    pub fn summary(&self) -> String {
        format!(
            "{} leads, {} touches, {} timeline events, {} other lead items, {} webhook events, {} outbox entries, {} claims, {} clear suppression entries, {} call counters deleted; {} audit rows, {} batches and {} desk slots scrubbed; {} identifiers hashed ({} new)",
            self.leads,
            self.touches,
            self.timeline_events,
            self.other_lead_items,
            self.webhook_events,
            self.outbox_entries,
            self.reach_claims,
            self.clear_suppression_entries,
            self.call_counters,
            self.audit_rows_scrubbed,
            self.batches_rewritten,
            self.desk_slots,
            self.identifiers,
            self.hashed_entries_added,
        )
    }
}

/// A lead's contact fields, as the leads index projects them.
#[derive(Debug, Deserialize)]
struct Contact {
    id: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    mobile_phone: Option<String>,
}

impl Contact {
    fn person(&self) -> Person {
        Person::of_contact(
            self.email.as_deref(),
            [self.phone.as_deref(), self.mobile_phone.as_deref()],
        )
    }
}

fn str_attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// The key (PK, SK) of a stored item.
fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(k, _)| k.as_str() == "PK" || k.as_str() == "SK")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Distinct keys, in a stable order (a batch request refuses duplicates).
fn distinct(keys: impl IntoIterator<Item = Item>) -> Vec<Item> {
    let mut seen = HashSet::new();
    keys.into_iter()
        .filter(|k| {
            seen.insert((
                str_attr(k, "PK").unwrap_or_default().to_string(),
                str_attr(k, "SK").unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

impl Store {
    /// Erases a person from `tenant`: see the module's note for what is
    /// deleted or scrubbed. `key` keys the hashes left on the suppression
    /// list; `actor` is who asked, recorded in the audit row with the
    /// counts, the reference and the reason (mentions of the person
    /// scrubbed from it). Idempotent: erasing the same person again
    /// succeeds, finds nothing and reports 0 items.
    pub async fn erase_person(
        &self,
        tenant: &str,
        request: &ErasureRequest,
        key: &ErasureKey,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ErasureReport> {
        let t = tenant;
        let (person, leads) = self.leads_of_person(t, request).await?;
        let mut report = ErasureReport::default();

        // Refuse the person at intake from now on, before anything goes.
        let hashes = person.hashes(key, t);
        report.reference = hashes
            .first()
            .map(|h| reference(h).to_string())
            .unwrap_or_default();
        report.identifiers = hashes.len() as u32;
        let entries: Vec<(SuppressionKind, String, String)> = hashes
            .iter()
            .map(|h| {
                (
                    SuppressionKind::Erased,
                    h.clone(),
                    ERASED_REASON.to_string(),
                )
            })
            .collect();
        let (added, present) = self.add_suppressions(t, &entries, now).await?;
        report.hashed_entries_added = added;
        report.hashed_entries_present = present;

        // Read what holds the person's data.
        let lead_ids: HashSet<&str> = leads.iter().map(|l| l.id.as_str()).collect();
        let mut lead_items = Vec::new();
        let mut other_items = Vec::new();
        let mut webhook_pks = BTreeSet::new();
        for lead in &leads {
            for item in self
                .query_all(None, "PK", keys::lead(t, &lead.id), None)
                .await?
            {
                let sk = str_attr(&item, "SK").unwrap_or_default();
                if sk == "LEAD" {
                    report.leads += 1;
                    lead_items.push(key_of(&item));
                    continue;
                }
                if sk.starts_with("TOUCH#") {
                    report.touches += 1;
                } else if sk.starts_with("EV#") {
                    report.timeline_events += 1;
                    webhook_pks.extend(str_attr(&item, WEBHOOK_EVENT_ATTR).map(str::to_string));
                } else {
                    report.other_lead_items += 1;
                }
                other_items.push(key_of(&item));
            }
        }
        let addressed_to_person = |to: &str| {
            canonical_email(to).is_some_and(|e| person.emails.contains(&e))
                || canonical_phone(to).is_some_and(|p| person.phones.contains(&p))
        };
        let outbox: Vec<Item> = self
            .query_fields(
                None,
                keys::outbox(t),
                Some("A#"),
                &["PK", "SK", "lead_id", "to"],
            )
            .await?
            .iter()
            .filter(|i| {
                str_attr(i, "lead_id").is_some_and(|l| lead_ids.contains(l))
                    || str_attr(i, "to").is_some_and(addressed_to_person)
            })
            .map(key_of)
            .collect();
        report.outbox_entries = outbox.len() as u32;
        let webhook_events = self
            .present(
                webhook_pks
                    .iter()
                    .map(|pk| Self::key(pk.clone(), "EVENT"))
                    .collect(),
            )
            .await?;
        report.webhook_events = webhook_events.len() as u32;
        let claims = self
            .present(
                person
                    .reach_keys()
                    .iter()
                    .map(|k| Self::key(keys::tenant(t), format!("REACH#{k}")))
                    .collect(),
            )
            .await?;
        report.reach_claims = claims.len() as u32;
        let clear = self
            .present(
                person
                    .clear_entries()
                    .iter()
                    .map(|(kind, v)| Self::suppression_key(t, *kind, v))
                    .collect(),
            )
            .await?;
        report.clear_suppression_entries = clear.len() as u32;
        let counters = self
            .present(
                leads
                    .iter()
                    .flat_map(|l| {
                        (-COUNTER_DAYS..=1).map(move |d| {
                            let day = (now + chrono::Duration::days(d)).date_naive();
                            Self::key(keys::counters(t, &day.to_string()), lead_calls_scope(&l.id))
                        })
                    })
                    .collect(),
            )
            .await?;
        report.call_counters = counters.len() as u32;
        let mentions = Mentions::new(&person, &leads);
        let (audit_rows, batch_ids) = self.scrubbed_audit(t, &mentions).await?;
        report.audit_rows_scrubbed = audit_rows.len() as u32;
        let batches = self.batches_without(t, &batch_ids, &lead_ids, now).await?;
        report.batches_rewritten = batches.len() as u32;

        // Delete and rewrite; each lead's own item last.
        self.batch_delete(distinct(
            outbox
                .into_iter()
                .chain(webhook_events)
                .chain(claims)
                .chain(clear)
                .chain(counters),
        ))
        .await?;
        report.desk_slots = self.clear_desk_slots(t, &lead_ids).await?;
        self.rewrite_audit(audit_rows).await?;
        self.batch_put(batches).await?;
        self.batch_delete(distinct(other_items)).await?;
        self.batch_delete(distinct(lead_items)).await?;

        let reason = request.reason.chars().take(REASON_KEPT).collect::<String>();
        let reason = mentions.scrub(&reason).unwrap_or(reason);
        let detail = match report.reference.as_str() {
            "" => format!("no identifier found: {}", report.summary()),
            r => format!("ref {r}: {}", report.summary()),
        };
        self.audit(
            t,
            actor,
            "erasure",
            &format!("{detail}; reason: {reason}"),
            now,
        )
        .await?;
        Ok(report)
    }

    /// The person a request names, grown by the identifiers of every lead
    /// found, and those leads: leads that share an identifier with the
    /// person, until no new one is found (a lead found by the email may
    /// hold the mobile another lead was imported with).
    async fn leads_of_person(
        &self,
        t: &str,
        request: &ErasureRequest,
    ) -> Result<(Person, Vec<Lead>)> {
        let mut person = request.person.clone();
        let contacts = self.lead_contacts(t).await?;
        let tenant_id = TenantId::parse(t).ok();
        let mut found: BTreeMap<String, Lead> = BTreeMap::new();
        let mut wanted: BTreeSet<String> = request.lead_ids.iter().cloned().collect();
        loop {
            for c in &contacts {
                if person.overlaps(&c.person()) {
                    wanted.insert(c.id.clone());
                }
            }
            if let Some(tid) = &tenant_id {
                for e in &person.emails {
                    wanted.insert(LeadId::from_dedup_key(tid, &format!("email:{e}")).to_string());
                }
            }
            let claim_keys: Vec<Item> = person
                .reach_keys()
                .iter()
                .map(|k| Self::key(keys::tenant(t), format!("REACH#{k}")))
                .collect();
            for claim in self.batch_get(distinct(claim_keys)).await? {
                wanted.extend(str_attr(&claim, "lead_id").map(str::to_string));
            }
            wanted.retain(|id| !found.contains_key(id));
            if wanted.is_empty() {
                break;
            }
            let items = self
                .batch_get(
                    std::mem::take(&mut wanted)
                        .iter()
                        .map(|id| Self::key(keys::lead(t, id), "LEAD"))
                        .collect(),
                )
                .await?;
            let mut new = 0;
            for item in items {
                let lead: Lead = from_item(item)?;
                let theirs = Person::of_lead(&lead);
                if request.lead_ids.contains(&lead.id) || person.overlaps(&theirs) {
                    person.absorb(&theirs);
                    found.insert(lead.id.clone(), lead);
                    new += 1;
                }
            }
            if new == 0 {
                break;
            }
        }
        Ok((person, found.into_values().collect()))
    }

    /// Every lead of the tenant, only its id and contact fields, from the
    /// leads index.
    async fn lead_contacts(&self, t: &str) -> Result<Vec<Contact>> {
        self.query_fields(
            Some("TenantIndex"),
            keys::leads_index(t),
            None,
            &["id", "email", "phone", "mobile_phone"],
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
    }

    /// Every item of partition `pk` (of the table, or of the tenant index),
    /// with only `fields`, page by page: how an erasure reads partitions
    /// that only grow (the leads index, the outbox, the audit trail)
    /// without holding their bodies in memory.
    async fn query_fields(
        &self,
        index: Option<&str>,
        pk: String,
        sk_prefix: Option<&str>,
        fields: &[&str],
    ) -> Result<Vec<Item>> {
        let (pk_attr, sk_attr) = match index {
            Some(_) => ("GSI1PK", "GSI1SK"),
            None => ("PK", "SK"),
        };
        let names: Vec<String> = (0..fields.len()).map(|i| format!("#f{i}")).collect();
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            self.spend()?;
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .expression_attribute_names("#pk", pk_attr)
                .expression_attribute_values(":pk", s(pk.clone()))
                .projection_expression(names.join(", "))
                .set_exclusive_start_key(start.take());
            for (name, field) in names.iter().zip(fields) {
                q = q.expression_attribute_names(name, *field);
            }
            q = match sk_prefix {
                Some(p) => q
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                    .expression_attribute_names("#sk", sk_attr)
                    .expression_attribute_values(":sk", s(p)),
                None => q.key_condition_expression("#pk = :pk"),
            };
            if index.is_none() {
                q = q.consistent_read(true);
            }
            let page = q.send().await.map_err(sdk("query fields"))?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    /// Takes the leads' ids off the dialing desk's slots whose call has
    /// ended (a slot keeps its last call's lead); a slot still on a call
    /// keeps it until the call ends (then the next call overwrites it).
    async fn clear_desk_slots(&self, t: &str, leads: &HashSet<&str>) -> Result<u32> {
        let mut cleared = 0;
        for slot in self
            .query_all(None, "PK", keys::desk(t), Some("SLOT#"))
            .await?
        {
            let Some(lead) = str_attr(&slot, "lead_id").filter(|l| leads.contains(l)) else {
                continue;
            };
            let tx = self.update_tx(
                key_of(&slot),
                "REMOVE lead_id",
                Some("lead_id = :l AND attribute_not_exists(call_attempt)"),
                &[],
                vec![(":l".into(), s(lead))],
            )?;
            if self.transact("clear_desk_slot", vec![tx]).await?.is_none() {
                cleared += 1;
            }
        }
        Ok(cleared)
    }

    /// The keys among `keys` that have an item.
    async fn present(&self, keys: Vec<Item>) -> Result<Vec<Item>> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        Ok(self
            .batch_get(distinct(keys))
            .await?
            .iter()
            .map(key_of)
            .collect())
    }

    /// The tenant's audit rows that mention the person (each key with its
    /// detail scrubbed), and the ids of every batch the trail says was
    /// created.
    async fn scrubbed_audit(
        &self,
        t: &str,
        mentions: &Mentions,
    ) -> Result<(Vec<(Item, String)>, Vec<String>)> {
        let mut scrubbed = Vec::new();
        let mut batch_ids = BTreeSet::new();
        for row in self
            .query_fields(
                None,
                keys::audit(t),
                None,
                &["PK", "SK", "action", "detail"],
            )
            .await?
        {
            let detail = str_attr(&row, "detail").unwrap_or_default();
            if str_attr(&row, "action") == Some("batch_created") {
                batch_ids.extend(detail.split_whitespace().next().map(str::to_string));
            }
            if let Some(clean) = mentions.scrub(detail) {
                scrubbed.push((key_of(&row), clean));
            }
        }
        Ok((scrubbed, batch_ids.into_iter().collect()))
    }

    /// Writes the scrubbed details over the audit rows' own, 25 rows a
    /// transaction (only the detail changes: the rest of a row is as it was).
    async fn rewrite_audit(&self, rows: Vec<(Item, String)>) -> Result<()> {
        for chunk in rows.chunks(25) {
            let items = chunk
                .iter()
                .map(|(key, detail)| {
                    self.update_tx(
                        key.clone(),
                        "SET detail = :d",
                        Some("attribute_exists(PK)"),
                        &[],
                        vec![(":d".into(), s(detail.as_str()))],
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            if let Some(codes) = self.transact("rewrite_audit", items).await? {
                return Err(crate::error::Error::Conflict(format!(
                    "audit rows changed while being scrubbed: {codes:?}"
                )));
            }
        }
        Ok(())
    }

    /// The batches among `ids` whose frozen scope lists one of `leads`,
    /// rewritten without them; one still open is made void, since what it
    /// froze is gone.
    async fn batches_without(
        &self,
        t: &str,
        ids: &[String],
        leads: &HashSet<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Item>> {
        if ids.is_empty() || leads.is_empty() {
            return Ok(vec![]);
        }
        let items = self
            .batch_get(
                ids.iter()
                    .map(|id| Self::key(keys::batch(t, id), "BATCH"))
                    .collect(),
            )
            .await?;
        let mut out = Vec::new();
        for item in items {
            let mut batch: Batch = from_item(item.clone())?;
            let before = batch.scope.len();
            batch
                .scope
                .retain(|(lead, _, _)| !leads.contains(lead.as_str()));
            if batch.scope.len() == before {
                continue;
            }
            let voided = batch.state == "open";
            if voided {
                batch.state = "void".into();
            }
            let mut rewritten = to_item(&batch)?;
            if voided {
                rewritten.insert("closed_at".into(), s(ts(now)));
            }
            // Its key, TTL and anything else it had stay as they were.
            for (k, v) in item {
                rewritten.entry(k).or_insert(v);
            }
            out.push(rewritten);
        }
        Ok(out)
    }
}
