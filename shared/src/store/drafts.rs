//! Touches as drafts: the sequence written at craft time, approval, edit, rejection and redraft.

use super::*;
use crate::domain::campaigns::enrollment::Claim;
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::touch::{Touch, TouchState};
use crate::error::Result;
use chrono::{DateTime, Utc};

/// How writing a lead's drafted sequence went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sequenced {
    Written,
    /// The lead changed (or was drafted) meanwhile: read it again.
    LeadChanged,
    /// Another lead of the same person holds one of its claims: why.
    PersonClaimed(String),
}

impl Store {
    pub(crate) fn touch_item(&self, touch: &Touch) -> Result<Item> {
        let mut i = to_item(touch)?;
        i.extend(Self::key(
            keys::lead(&touch.tenant, &touch.lead_id),
            keys::touch_sk(touch.step),
        ));
        if touch.state == TouchState::Draft {
            i.insert("GSI1PK".into(), s(keys::drafts_index(&touch.tenant)));
            i.insert(
                "GSI1SK".into(),
                s(format!("{}#{:02}", touch.lead_id, touch.step)),
            );
        }
        if let (TouchState::Due, Some(due)) = (touch.state, touch.due_at) {
            i.insert(
                "DuePK".into(),
                s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
            );
            i.insert(
                "DueSK".into(),
                s(due_sort_key(due, &touch.tenant, &touch.lead_id, touch.step)),
            );
        }
        Ok(i)
    }

    /// Writes a lead's drafted sequence and moves the lead to `queued`, once:
    /// a redelivered craft message finds the touches there and changes nothing.
    pub async fn put_sequence(
        &self,
        lead: &mut Lead,
        touches: &[Touch],
        claims: &[Claim],
        now: DateTime<Utc>,
    ) -> Result<Sequenced> {
        let old = lead.version;
        let from = lead.status;
        lead.status = LeadStatus::Queued;
        lead.version = old + 1;
        lead.updated_at = now;
        let mut items = vec![
            self.put_tx(
                self.lead_item(lead)?,
                Some("version = :v"),
                vec![(":v", n(old))],
            )?,
            self.event_put(
                &lead.tenant,
                &lead.id,
                now,
                "status",
                &format!(
                    "{from} -> queued: {} drafts await approval",
                    touches
                        .iter()
                        .filter(|t| t.state == TouchState::Draft)
                        .count()
                ),
            )?,
        ];
        for t in touches {
            items.push(self.put_tx(
                self.touch_item(t)?,
                Some("attribute_not_exists(PK)"),
                vec![],
            )?);
        }
        // The campaign's results count the lead enrolled and its steps
        // drafted, once: with the sequence's own write.
        items.extend(self.tally_items(
            &lead.tenant,
            &crate::domain::campaigns::results::on_sequence(lead, touches),
        )?);
        // The person is claimed for this lead's campaign in the same write:
        // two leads of one person (a map listing and an email contact)
        // racing into two campaigns cannot both enter.
        let claims_at = items.len();
        for c in claims {
            let mut i = Self::key(keys::tenant(&lead.tenant), format!("REACH#{}", c.key));
            i.insert("lead_id".into(), s(&lead.id));
            i.insert(
                "campaign".into(),
                s(crate::domain::campaigns::campaign_of(
                    lead.campaign.as_deref(),
                )),
            );
            i.insert("claimed_until".into(), s(ts(c.until)));
            // Leads of one campaign sharing a number (a shared line) are the
            // intake's business; a claim keeps other campaigns off.
            items.push(self.put_tx(
                i,
                Some("attribute_not_exists(PK) OR lead_id = :me OR campaign = :campaign OR claimed_until < :now"),
                vec![
                    (":me", s(&lead.id)),
                    (":now", s(ts(now))),
                    (
                        ":campaign",
                        s(crate::domain::campaigns::campaign_of(lead.campaign.as_deref())),
                    ),
                ],
            )?);
        }
        let Some(codes) = self.transact("put_sequence", items).await? else {
            return Ok(Sequenced::Written);
        };
        lead.version = old;
        lead.status = from;
        let failed = |i: usize| codes.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
        if let Some(i) = (claims_at..claims_at + claims.len()).find(|i| failed(*i)) {
            let key = &claims[i - claims_at].key;
            let holder = self
                .get(keys::tenant(&lead.tenant), &format!("REACH#{key}"))
                .await?
                .unwrap_or_default();
            let field = |f: &str| {
                holder
                    .get(f)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default()
            };
            return Ok(Sequenced::PersonClaimed(format!(
                "{key} is being reached by lead {} in campaign {} until {}",
                field("lead_id"),
                field("campaign"),
                field("claimed_until")
            )));
        }
        Ok(Sequenced::LeadChanged)
    }

    pub async fn drafts(&self, tenant: &str) -> Result<Vec<Touch>> {
        self.query_all(
            Some("TenantIndex"),
            "GSI1PK",
            keys::drafts_index(tenant),
            None,
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
    }

    /// Approves one draft if its fingerprint is still `fingerprint`: the
    /// first sendable step becomes due now, the others planned.
    pub async fn approve_draft(
        &self,
        touch: &Touch,
        fingerprint: &str,
        make_due_at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let key = Self::key(
            keys::lead(&touch.tenant, &touch.lead_id),
            keys::touch_sk(touch.step),
        );
        let mut values = vec![
            (":draft".to_string(), s(TouchState::Draft.as_str())),
            (":fp".to_string(), s(fingerprint)),
        ];
        let update = match make_due_at {
            Some(due) => {
                values.push((":due".into(), s(TouchState::Due.as_str())));
                values.push((":due_at".into(), s(ts(due))));
                values.push((
                    ":dpk".into(),
                    s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
                ));
                values.push((
                    ":dsk".into(),
                    s(due_sort_key(due, &touch.tenant, &touch.lead_id, touch.step)),
                ));
                "SET #state = :due, due_at = :due_at, DuePK = :dpk, DueSK = :dsk REMOVE GSI1PK, GSI1SK"
            }
            None => {
                values.push((":planned".into(), s(TouchState::Planned.as_str())));
                "SET #state = :planned REMOVE GSI1PK, GSI1SK"
            }
        };
        let tx = self.update_tx(
            key,
            update,
            Some("#state = :draft AND fingerprint = :fp"),
            &[("#state", "state")],
            values,
        )?;
        Ok(self.transact("approve_draft", vec![tx]).await?.is_none())
    }

    /// Replaces a draft's text with an operator's edit, if it is still the
    /// draft the operator saw (`old.fingerprint`). Its new fingerprint voids
    /// any open batch that froze the old one.
    pub async fn edit_draft(&self, old: &Touch, new: &Touch, now: DateTime<Utc>) -> Result<bool> {
        let items = vec![
            self.put_tx(
                self.touch_item(new)?,
                Some("#state = :draft AND fingerprint = :fp"),
                vec![
                    (":draft", s(TouchState::Draft.as_str())),
                    (":fp", s(old.fingerprint.clone())),
                ],
            )
            .map(with_state_name)?,
            self.event_put(
                &new.tenant,
                &new.lead_id,
                now,
                "draft_edited",
                &format!(
                    "step {} edited by an operator ({} -> {})",
                    new.step, old.fingerprint, new.fingerprint
                ),
            )?,
        ];
        Ok(self.transact("edit_draft", items).await?.is_none())
    }

    /// Rejects a draft, if it is still the one the operator saw: the touch is
    /// cancelled with the reason, the rejection is remembered on the lead
    /// (version-checked), and when `hold` the lead is held and its other
    /// pending touches cancelled. Returns false on a lost race.
    pub async fn reject_draft(
        &self,
        touch: &Touch,
        lead: &Lead,
        pending: &[Touch],
        hold: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let t = &touch.tenant;
        let old = lead.version;
        let mut next = lead.clone();
        next.version = old + 1;
        next.updated_at = now;
        if let Some(why) = hold {
            next.status = LeadStatus::Held;
            next.stop_reason = Some(why.to_string());
        }
        let mut items = vec![
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
                "SET #state = :cancelled, end_reason = :why REMOVE GSI1PK, GSI1SK, DuePK, DueSK",
                Some("#state = :draft AND fingerprint = :fp"),
                &[("#state", "state")],
                vec![
                    (":cancelled".into(), s(TouchState::Cancelled.as_str())),
                    (":draft".into(), s(TouchState::Draft.as_str())),
                    (":fp".into(), s(touch.fingerprint.clone())),
                    (":why".into(), s(format!("rejected: {reason}"))),
                ],
            )?,
            self.put_tx(
                self.lead_item(&next)?,
                Some("version = :v"),
                vec![(":v", n(old))],
            )?,
            self.event_put(
                t,
                &touch.lead_id,
                now,
                "draft_rejected",
                &format!(
                    "step {} ({}, template {}) rejected: {reason}{}",
                    touch.step,
                    touch.channel,
                    touch.message.template_id,
                    hold.map(|h| format!("; lead held: {h}"))
                        .unwrap_or_default()
                ),
            )?,
        ];
        if let Some(why) = hold {
            for p in pending
                .iter()
                .filter(|p| p.step != touch.step && p.state.is_pending())
            {
                items.push(self.update_tx(
                    Self::key(keys::lead(t, &p.lead_id), keys::touch_sk(p.step)),
                    "SET #state = :cancelled, end_reason = :why REMOVE GSI1PK, GSI1SK, DuePK, DueSK",
                    Some("#state = :from"),
                    &[("#state", "state")],
                    vec![
                        (":cancelled".into(), s(TouchState::Cancelled.as_str())),
                        (":from".into(), s(p.state.as_str())),
                        (":why".into(), s(format!("lead held: {why}"))),
                    ],
                )?);
            }
        }
        Ok(self.transact("reject_draft", items).await?.is_none())
    }

    /// Puts fresh drafts in place of steps that were skipped for want of an
    /// address the lead now has (an email a call captured), once: each
    /// only while it is still the skipped step it was.
    pub async fn replace_skipped(
        &self,
        pairs: &[(Touch, Touch)],
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let Some((first, _)) = pairs.first() else {
            return Ok(false);
        };
        let mut items = vec![];
        for (old, new) in pairs {
            items.push(with_state_name(self.put_tx(
                self.touch_item(new)?,
                Some("#state = :skipped AND fingerprint = :fp"),
                vec![
                    (":skipped", s(TouchState::Skipped.as_str())),
                    (":fp", s(old.fingerprint.clone())),
                ],
            )?));
        }
        items.push(self.event_put(&first.tenant, &first.lead_id, now, "redrafted", why)?);
        Ok(self.transact("replace_skipped", items).await?.is_none())
    }

    /// Puts the new draft of a rejected step in place of the rejected one,
    /// once: a redelivered redraft finds it replaced and changes nothing.
    pub async fn replace_rejected(
        &self,
        old: &Touch,
        new: &Touch,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            with_state_name(self.put_tx(
                self.touch_item(new)?,
                Some("#state = :cancelled AND fingerprint = :fp"),
                vec![
                    (":cancelled", s(TouchState::Cancelled.as_str())),
                    (":fp", s(old.fingerprint.clone())),
                ],
            )?),
            self.event_put(
                &new.tenant,
                &new.lead_id,
                now,
                "redrafted",
                &match new.state {
                    TouchState::Draft => format!(
                        "step {} redrafted with template {}",
                        new.step, new.message.template_id
                    ),
                    _ => format!(
                        "step {} could not be redrafted: {}",
                        new.step,
                        new.end_reason.as_deref().unwrap_or("")
                    ),
                },
            )?,
        ];
        Ok(self.transact("replace_rejected", items).await?.is_none())
    }

    /// Writes touches a person asked for (a call's recording) with a
    /// timeline line, once: if any of them is already there (a redelivered
    /// request), nothing is written and false is returned.
    pub async fn put_requested(
        &self,
        touches: &[Touch],
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(first) = touches.first() else {
            return Ok(false);
        };
        let mut items = Vec::new();
        for t in touches {
            items.push(self.put_tx(
                self.touch_item(t)?,
                Some("attribute_not_exists(SK)"),
                vec![],
            )?);
        }
        items.push(self.event_put(&first.tenant, &first.lead_id, now, "requested", why)?);
        Ok(self.transact("put_requested", items).await?.is_none())
    }
}
