//! What a dispatch decision writes, each in one transaction: reserve
//! (touch + caps + every check), release and in doubt (landing a send is
//! in `landing`, what sends nothing in `unsent`).

use super::*;
use crate::domain::campaigns::results;
use crate::domain::dispatch::caps::{CapReservation, SenderChoice};
use crate::domain::dispatch::decide::AfterSend;
use crate::domain::dispatch::failure::LeadMark;
use crate::domain::targeting::suppression::SuppressionKind;
use crate::domain::targeting::suppression::{canonical_email, canonical_phone};
use crate::domain::touch::{Channel, Touch, TouchState};
use crate::error::{Error, Result};
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// What a reservation attempt found.
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    Reserved,
    /// Another tick took (or changed) the touch first.
    TouchGone,
    /// This cap is full; nothing was taken.
    CapFull(String),
    /// Emergency stop, pause or breaker switched on meanwhile.
    Blocked,
    /// These suppression entries exist.
    Suppressed(Vec<String>),
    /// The lead changed since it was read.
    LeadChanged,
    /// The touch's campaign was paused or archived meanwhile.
    CampaignStopped,
    /// This claim on the person is held for another campaign.
    PersonClaimed(String),
    /// The desk's slot was taken by another call meanwhile.
    SlotTaken,
    /// The number dialled meanwhile (its gap or its hour).
    NumberBusy,
}

/// Everything one reservation takes and checks.
#[derive(Debug, Clone)]
pub struct ReserveRequest<'a> {
    pub touch: &'a Touch,
    pub due_sk: &'a str,
    pub attempt_id: &'a str,
    pub sender: &'a SenderChoice,
    pub caps: &'a [CapReservation],
    pub day: NaiveDate,
    pub lease_until: DateTime<Utc>,
    /// When the reservation is made.
    pub at: DateTime<Utc>,
    pub lead_version: u64,
    pub suppression: &'a [(SuppressionKind, String)],
    /// Claims on the person that must not be another campaign's.
    pub claims: &'a [String],
    /// `shadow` or `live`: whom a reconciliation asks.
    pub via: &'a str,
    /// A call's slot and number pacing (the dialing desk).
    pub desk: Option<&'a super::DeskClaim>,
}

/// How a confirm (or a finished follow-up) landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    /// Everything, the next step and the lead's status included.
    Whole,
    /// The touch's own change landed; what follows it did not (the next
    /// step or the lead changed meanwhile). The touch stays in the due
    /// index with a follow-up mark, for the next tick.
    FollowUpLeft,
    /// The touch was not in the expected state: someone else moved it.
    NotOurs,
}

/// What a released reservation becomes.
#[derive(Debug, Clone)]
pub enum Release<'a> {
    /// Due again at this time.
    Retry { at: DateTime<Utc>, why: &'a str },
    /// Passed over; the sequence goes on. `mark` is what the failure
    /// taught about the lead (an invalid number, an opt-out), written in
    /// the same transaction.
    Skip {
        why: &'a str,
        after: &'a AfterSend,
        mark: Option<LeadMark>,
    },
}

impl Store {
    /// Step 1 of the never-twice protocol: in one transaction, move the touch
    /// from `due` to `sending` (attempt id, lease, the caps it takes; re-keyed
    /// in the due index at the lease's expiry), take every cap, and check the
    /// switches, the lead's version and every suppression entry. All or nothing.
    pub async fn reserve(&self, r: &ReserveRequest<'_>) -> Result<Reservation> {
        let touch = r.touch;
        let t = &touch.tenant;
        let mut values = vec![
            (":due".to_string(), s(TouchState::Due.as_str())),
            (":sending".to_string(), s(TouchState::Sending.as_str())),
            (":old".to_string(), s(r.due_sk)),
            (":attempt".to_string(), s(r.attempt_id)),
            (":lease".to_string(), s(ts(r.lease_until))),
            (":attempted".to_string(), s(ts(r.at))),
            (
                ":dsk".to_string(),
                s(due_sort_key(r.lease_until, t, &touch.lead_id, touch.step)),
            ),
            (":sender".to_string(), s(&r.sender.identity)),
            (
                ":caps".to_string(),
                AttributeValue::L(r.caps.iter().map(|c| s(&c.scope)).collect()),
            ),
            (":day".to_string(), s(r.day.to_string())),
            (":via".to_string(), s(r.via)),
        ];
        let mut update = "SET #state = :sending, attempt_id = :attempt, lease_until = :lease, attempted_at = :attempted, DueSK = :dsk, sender = :sender, caps_taken = :caps, caps_day = :day, via = :via".to_string();
        if let Some(d) = &r.sender.domain {
            update.push_str(", sender_domain = :sd");
            values.push((":sd".into(), s(d)));
        }
        if let Some(claim) = r.desk {
            // Out of the call queue, into the shards' index at the lease's
            // expiry (a reconciliation finds it there), with its slot.
            update.push_str(", DuePK = :dpk, call_slot = :slot, after_hours = :ah");
            values.push((
                ":dpk".into(),
                s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
            ));
            values.push((":slot".into(), n(claim.slot)));
            values.push((":ah".into(), AttributeValue::Bool(claim.after_hours)));
        }
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            &update,
            Some("#state = :due AND DueSK = :old"),
            &[("#state", "state")],
            values,
        )?];
        let expires = (r.day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::days(3))
            .timestamp();
        for cap in r.caps {
            items.push(self.update_tx(
                Self::key(keys::counters(t, &r.day.to_string()), cap.scope.clone()),
                "ADD n :one SET #ttl = :ttl, cap = :limit",
                Some("attribute_not_exists(n) OR n < :limit"),
                &[("#ttl", "ttl")],
                vec![
                    (":one".into(), n(1)),
                    (":limit".into(), n(cap.limit)),
                    (":ttl".into(), n(expires)),
                ],
            )?);
        }
        // The switches, the lead and the suppression list are conditions of
        // the same transaction: a stop, a reply or an opt-out that lands
        // between the tick's read and this write still wins, and costs no read.
        let control_at = items.len();
        items.push(self.control_check(t)?);
        // A campaign paused or archived between the tick's read and this
        // write stops the send too. The default campaign of a tenant from
        // before campaigns has no item until an operator writes it.
        let campaign_at = items.len();
        items.push(self.check_named(
            Self::key(
                keys::tenant(t),
                format!(
                    "CAMPAIGN#{}",
                    crate::domain::campaigns::campaign_of(touch.campaign.as_deref())
                ),
            ),
            "attribute_not_exists(PK) OR #status = :active",
            &[("#status", "status")],
            vec![(":active", s("active"))],
        )?);
        let lead_at = items.len();
        items.push(self.check(
            Self::key(keys::lead(t, &touch.lead_id), "LEAD"),
            "version = :v",
            vec![(":v", n(r.lead_version))],
        )?);
        // A claim that lapsed and was taken for another campaign stops
        // this one: the person hears from one campaign at a time. A lead
        // without claims (drafted before campaigns) passes.
        let claims_at = items.len();
        let campaign = crate::domain::campaigns::campaign_of(touch.campaign.as_deref());
        for key in r.claims {
            items.push(self.check(
                Self::key(keys::tenant(t), format!("REACH#{key}")),
                "attribute_not_exists(PK) OR lead_id = :me OR campaign = :c OR claimed_until < :now",
                vec![
                    (":me", s(&touch.lead_id)),
                    (":c", s(campaign)),
                    (":now", s(ts(r.at))),
                ],
            )?);
        }
        let supp_at = items.len();
        for (kind, value) in r.suppression {
            items.push(self.check(
                Self::suppression_key(t, *kind, value),
                "attribute_not_exists(PK)",
                vec![],
            )?);
        }
        let desk_at = items.len();
        if let Some(claim) = r.desk {
            items.extend(self.desk_claim_items(touch, claim, r.attempt_id, r.at)?);
        }
        if items.len() > 100 {
            return Err(Error::store(
                "reserve",
                format!("{} items exceed one transaction", items.len()),
            ));
        }
        let Some(codes) = self.transact("reserve", items).await? else {
            return Ok(Reservation::Reserved);
        };
        let failed = |i: usize| codes.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
        if failed(0) {
            return Ok(Reservation::TouchGone);
        }
        if failed(control_at) {
            return Ok(Reservation::Blocked);
        }
        if failed(campaign_at) {
            return Ok(Reservation::CampaignStopped);
        }
        if r.desk.is_some() {
            if failed(desk_at) {
                return Ok(Reservation::SlotTaken);
            }
            if failed(desk_at + 1) {
                return Ok(Reservation::NumberBusy);
            }
        }
        if let Some(i) = (claims_at..supp_at).find(|i| failed(*i)) {
            return Ok(Reservation::PersonClaimed(r.claims[i - claims_at].clone()));
        }
        let hits: Vec<String> = (supp_at..desk_at)
            .filter(|i| failed(*i))
            .map(|i| {
                let (kind, value) = &r.suppression[i - supp_at];
                format!("{}#{}", kind.as_str(), value)
            })
            .collect();
        if !hits.is_empty() {
            return Ok(Reservation::Suppressed(hits));
        }
        if failed(lead_at) {
            return Ok(Reservation::LeadChanged);
        }
        match (1..control_at).find(|i| failed(*i)) {
            Some(i) => Ok(Reservation::CapFull(r.caps[i - 1].scope.clone())),
            // Conflicts with a concurrent transaction: let a later tick retry.
            None => Ok(Reservation::TouchGone),
        }
    }

    pub(super) fn check(
        &self,
        key: Item,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem> {
        self.check_named(key, condition, &[], values)
    }

    fn check_named(
        &self,
        key: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem> {
        let mut b = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition);
        for (k, v) in names {
            b = b.expression_attribute_names(*k, *v);
        }
        for (k, v) in values {
            b = b.expression_attribute_values(k, v);
        }
        Ok(TransactWriteItem::builder()
            .condition_check(b.build().map_err(|e| Error::store("build check", e))?)
            .build())
    }

    /// The writes that make `after` happen: the next step due (if it is
    /// still planned) and, with `contacted`, the status event. The lead's
    /// own status change is part of its update (see `confirm`).
    pub(super) fn after_items(
        &self,
        touch: &Touch,
        after: &AfterSend,
        now: DateTime<Utc>,
    ) -> Result<Vec<TransactWriteItem>> {
        let t = &touch.tenant;
        let mut items = Vec::new();
        if let Some(w) = after.wake {
            items.push(self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(w.step)),
                "SET #state = :due, due_at = :at, DuePK = :dpk, DueSK = :dsk",
                Some("#state = :planned"),
                &[("#state", "state")],
                vec![
                    (":due".into(), s(TouchState::Due.as_str())),
                    (":planned".into(), s(TouchState::Planned.as_str())),
                    (":at".into(), s(ts(w.at))),
                    (
                        ":dpk".into(),
                        s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
                    ),
                    (
                        ":dsk".into(),
                        s(due_sort_key(w.at, t, &touch.lead_id, w.step)),
                    ),
                ],
            )?);
        }
        for step in &after.cancel {
            items.push(self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(*step)),
                "SET #state = :cancelled, end_reason = :why REMOVE GSI1PK, GSI1SK",
                Some("#state IN (:planned, :draft)"),
                &[("#state", "state")],
                vec![
                    (":cancelled".into(), s(TouchState::Cancelled.as_str())),
                    (":planned".into(), s(TouchState::Planned.as_str())),
                    (":draft".into(), s(TouchState::Draft.as_str())),
                    (
                        ":why".into(),
                        s("the attempts warning moved the lead to its nurture track"),
                    ),
                ],
            )?);
        }
        if after.flag_attempts {
            items.push(self.event_put(
                t,
                &touch.lead_id,
                now,
                "attempts_exceeded_200",
                &if after.cancel.is_empty() {
                    "the attempts warning was reached".to_string()
                } else {
                    format!(
                        "the attempts warning was reached: moved to the nurture track (steps {:?} cancelled)",
                        after.cancel
                    )
                },
            )?);
        }
        if after.contacted {
            items.push(self.event_put(
                t,
                &touch.lead_id,
                now,
                "status",
                &format!(
                    "queued -> contacted: step {} sent on {}",
                    touch.step, touch.channel
                ),
            )?);
        }
        // The funnel counts the lead contacted and nurtured with the
        // changes that make it so.
        items.extend(self.tally_items(
            t,
            &results::on_after(
                touch.campaign.as_deref(),
                after.contacted,
                after.flag_attempts,
            ),
        )?);
        Ok(items)
    }

    /// Gives back a reservation whose attempt never reached the provider:
    /// every cap it took is returned, and the touch is due again or skipped.
    pub async fn release(
        &self,
        touch: &Touch,
        attempt_id: &str,
        caps: &[String],
        day: NaiveDate,
        then: Release<'_>,
        now: DateTime<Utc>,
    ) -> Result<Landed> {
        let whole = self.release_items(touch, attempt_id, caps, day, &then, true, now)?;
        let Some(codes) = self.transact("release", whole).await? else {
            return Ok(Landed::Whole);
        };
        if codes.first().map(String::as_str) == Some("ConditionalCheckFailed")
            || matches!(then, Release::Retry { .. })
        {
            return Ok(Landed::NotOurs);
        }
        let part = self.release_items(touch, attempt_id, caps, day, &then, false, now)?;
        Ok(match self.transact("release", part).await? {
            None => Landed::FollowUpLeft,
            Some(_) => Landed::NotOurs,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn release_items(
        &self,
        touch: &Touch,
        attempt_id: &str,
        caps: &[String],
        day: NaiveDate,
        then: &Release<'_>,
        with_after: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<TransactWriteItem>> {
        let t = &touch.tenant;
        let mut values = vec![
            (":sending".to_string(), s(TouchState::Sending.as_str())),
            (":attempt".to_string(), s(attempt_id)),
        ];
        let update = match then {
            Release::Retry { at, why } => {
                values.push((":due".into(), s(TouchState::Due.as_str())));
                values.push((":at".into(), s(ts(*at))));
                values.push((
                    ":dsk".into(),
                    s(due_sort_key(*at, t, &touch.lead_id, touch.step)),
                ));
                values.push((":why".into(), s(*why)));
                values.push((":one".into(), n(1)));
                "SET #state = :due, due_at = :at, DueSK = :dsk, wait_reason = :why REMOVE attempt_id, lease_until, caps_taken, caps_day, via ADD send_failures :one"
            }
            Release::Skip { why, .. } if with_after => {
                values.push((":skipped".into(), s(TouchState::Skipped.as_str())));
                values.push((":why".into(), s(*why)));
                "SET #state = :skipped, end_reason = :why REMOVE DuePK, DueSK, lease_until, caps_taken, caps_day"
            }
            Release::Skip { why, .. } => {
                values.push((":skipped".into(), s(TouchState::Skipped.as_str())));
                values.push((":why".into(), s(*why)));
                values.push((
                    ":dsk".into(),
                    s(due_sort_key(now, t, &touch.lead_id, touch.step)),
                ));
                values.push((":yes".into(), AttributeValue::Bool(true)));
                "SET #state = :skipped, end_reason = :why, DueSK = :dsk, follow_up = :yes REMOVE lease_until, caps_taken, caps_day"
            }
        };
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            update,
            Some("#state = :sending AND attempt_id = :attempt"),
            &[("#state", "state")],
            values,
        )?];
        for scope in caps {
            // No condition: a failed give-back would strand the touch in
            // `sending`; the counter lives for days, the lease for minutes.
            items.push(self.update_tx(
                Self::key(keys::counters(t, &day.to_string()), scope.clone()),
                "ADD n :minus",
                None,
                &[],
                vec![(":minus".into(), n(-1))],
            )?);
        }
        let flag = matches!(then, Release::Skip { after, .. } if with_after && after.flag_attempts);
        if let Release::Skip {
            mark: Some(mark), ..
        } = then
        {
            items.extend(self.mark_items(touch, *mark, flag, now)?);
        } else if flag {
            items.push(self.flag_attempts_tx(touch, now)?);
        }
        if let Release::Skip { why, after, .. } = then {
            items.push(self.event_put(
                t,
                &touch.lead_id,
                now,
                TouchState::Skipped.as_str(),
                &format!("step {} ({}): {why}", touch.step, touch.channel),
            )?);
            if with_after {
                items.extend(self.after_items(touch, after, now)?);
            }
        }
        Ok(items)
    }

    /// What a final refusal teaches about the lead: its email or number
    /// is dead (later steps on it skip), or it opted out (suppressed).
    fn mark_items(
        &self,
        touch: &Touch,
        mark: LeadMark,
        attempts_flag: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<TransactWriteItem>> {
        let t = &touch.tenant;
        // The attempts warning's flag rides on the same update: one
        // transaction may change the lead once.
        let also = if attempts_flag {
            ", attempts_exceeded_200 = :yes"
        } else {
            ""
        };
        let flag = |name: &str| {
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), "LEAD"),
                &format!("SET {name} = :yes{also}, updated_at = :now ADD version :one"),
                Some("attribute_exists(PK)"),
                &[],
                vec![
                    (":yes".into(), AttributeValue::Bool(true)),
                    (":now".into(), s(ts(now))),
                    (":one".into(), n(1)),
                ],
            )
        };
        Ok(match mark {
            LeadMark::EmailInvalid => vec![flag("email_bounced")?],
            LeadMark::PhoneInvalid => vec![flag("phone_invalid")?],
            LeadMark::OptedOut(channel) => {
                let entry = match channel {
                    Channel::Email => {
                        canonical_email(&touch.recipient).map(|v| (SuppressionKind::Email, v))
                    }
                    Channel::Sms | Channel::Voice => {
                        canonical_phone(&touch.recipient).map(|v| (SuppressionKind::Phone, v))
                    }
                    Channel::Linkedin => None,
                };
                match entry {
                    Some((kind, value)) => {
                        let mut i = Self::suppression_key(t, kind, &value);
                        i.insert(
                            "reason".into(),
                            s(format!("opted out at the provider ({channel})")),
                        );
                        i.insert("added_at".into(), s(ts(now)));
                        let mut out = vec![self.put_tx(i, None, vec![])?];
                        if attempts_flag {
                            out.push(self.flag_attempts_tx(touch, now)?);
                        }
                        out
                    }
                    None if attempts_flag => vec![self.flag_attempts_tx(touch, now)?],
                    None => vec![],
                }
            }
        })
    }
}
