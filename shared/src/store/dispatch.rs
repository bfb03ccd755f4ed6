//! The send path: the send context, due touches by shard, reserve, outbox, confirm, release, reschedule, end, in doubt.

use super::*;
use crate::domain::dispatch::caps::CapReservation;
use crate::domain::lead::Lead;
use crate::domain::targeting::suppression::SuppressionKind;
use crate::domain::touch::{Touch, TouchState};
use crate::error::{Error, Result};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub tenant: String,
    pub attempt_id: String,
    pub lead_id: String,
    pub step: u8,
    pub channel: String,
    pub sender: String,
    #[serde(default)]
    pub sender_domain: Option<String>,
    pub to: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub body: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    pub sent_at: DateTime<Utc>,
}

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
}

impl Store {
    /// Everything a send must check, in one BatchGetItem: the tenant's
    /// switches, the lead as stored now, and any suppression entry among
    /// `supp_keys`.
    pub async fn send_context(
        &self,
        tenant: &str,
        lead_id: &str,
        supp_keys: &[(SuppressionKind, String)],
    ) -> Result<(Control, Option<Lead>, Vec<String>)> {
        let mut wanted = vec![
            Self::key(keys::tenant(tenant), "CONTROL"),
            Self::key(keys::lead(tenant, lead_id), "LEAD"),
        ];
        for (kind, value) in supp_keys {
            let k = Self::suppression_key(tenant, *kind, value);
            if !wanted.contains(&k) {
                wanted.push(k);
            }
        }
        let mut control = Control::default();
        let mut lead = None;
        let mut hits = Vec::new();
        for item in self.batch_get(wanted).await? {
            let pk = item
                .get("PK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let sk = item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == "CONTROL" {
                control = from_item(item)?;
            } else if sk == "LEAD" {
                lead = Some(from_item(item)?);
            } else if pk == keys::suppression(tenant) {
                hits.push(sk);
            }
        }
        hits.sort();
        Ok((control, lead, hits))
    }

    // ---------------------------------------------------------------- touches

    /// Due touches of one shard with due time <= `now`, oldest first.
    pub async fn due_touches(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        limit: i32,
    ) -> Result<Vec<(Touch, String)>> {
        self.requests.bump();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("DueIndex")
            .key_condition_expression("DuePK = :pk AND DueSK <= :now")
            .expression_attribute_values(":pk", s(format!("DUE#{shard}")))
            // '~' sorts after every character used in the rest of the key.
            .expression_attribute_values(":now", s(format!("{}~", ts(now))))
            .limit(limit)
            .send()
            .await
            .map_err(sdk("query due"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|i| {
                let due_sk = i
                    .get("DueSK")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                Ok((from_item(i)?, due_sk))
            })
            .collect()
    }

    /// The earliest due time in the index (for the local runner's clock).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let mut best: Option<DateTime<Utc>> = None;
        for shard in 0..self.shards {
            self.requests.bump();
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("DueIndex")
                .key_condition_expression("DuePK = :pk")
                .expression_attribute_values(":pk", s(format!("DUE#{shard}")))
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

    /// Step 1 of the never-twice protocol: in one transaction, move the touch
    /// from `due` to `sending` (with attempt id and lease, re-keyed in the due
    /// index at the lease's expiry) and take every cap. All or nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn reserve(
        &self,
        touch: &Touch,
        due_sk: &str,
        attempt_id: &str,
        sender: &str,
        sender_domain: Option<&str>,
        lease_until: DateTime<Utc>,
        caps: &[CapReservation],
        day: NaiveDate,
    ) -> Result<Reservation> {
        let t = &touch.tenant;
        let mut values = vec![
            (":due".to_string(), s(TouchState::Due.as_str())),
            (":sending".to_string(), s(TouchState::Sending.as_str())),
            (":old".to_string(), s(due_sk)),
            (":attempt".to_string(), s(attempt_id)),
            (":lease".to_string(), s(ts(lease_until))),
            (
                ":dsk".to_string(),
                s(due_sort_key(lease_until, t, &touch.lead_id, touch.step)),
            ),
            (":sender".to_string(), s(sender)),
        ];
        let mut update = "SET #state = :sending, attempt_id = :attempt, lease_until = :lease, DueSK = :dsk, sender = :sender".to_string();
        if let Some(d) = sender_domain {
            update.push_str(", sender_domain = :sd");
            values.push((":sd".into(), s(d)));
        }
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            &update,
            Some("#state = :due AND DueSK = :old"),
            &[("#state", "state")],
            values,
        )?];
        let expires =
            (day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::days(3)).timestamp();
        for cap in caps {
            items.push(self.update_tx(
                Self::key(keys::counters(t, &day.to_string()), cap.scope.clone()),
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
        // The switches are checked inside the same transaction, so a stop
        // that lands between the tick's read and this write still wins.
        items.push(self.control_check(t)?);
        match self.transact("reserve", items).await? {
            None => Ok(Reservation::Reserved),
            Some(codes) => {
                if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                    return Ok(Reservation::TouchGone);
                }
                if codes.last().map(String::as_str) == Some("ConditionalCheckFailed") {
                    return Ok(Reservation::Blocked);
                }
                let full = codes[..codes.len() - 1]
                    .iter()
                    .skip(1)
                    .position(|c| c == "ConditionalCheckFailed")
                    .map(|i| caps[i].scope.clone());
                match full {
                    Some(scope) => Ok(Reservation::CapFull(scope)),
                    // Conflicts with a concurrent transaction: let a later tick retry.
                    None => Ok(Reservation::TouchGone),
                }
            }
        }
    }

    /// Writes what would have been sent, once per attempt id.
    pub async fn put_outbox(&self, entry: &OutboxEntry) -> Result<()> {
        let mut i = to_item(entry)?;
        i.extend(Self::key(
            keys::outbox(&entry.tenant),
            format!("A#{}", entry.attempt_id),
        ));
        i.insert(
            "ttl".into(),
            n((entry.sent_at + Duration::days(90)).timestamp()),
        );
        self.requests.bump();
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(i))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Same attempt already written: the send happened once.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(Error::store("put_outbox", DisplayErrorContext(e))),
        }
    }

    pub async fn outbox(&self, tenant: &str) -> Result<Vec<OutboxEntry>> {
        self.query_all(None, "PK", keys::outbox(tenant), Some("A#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Step 3: `sending -> sent` for this attempt, the lead's send counters,
    /// the hourly send bucket and the timeline, in one transaction.
    pub async fn confirm(
        &self,
        touch: &Touch,
        attempt_id: &str,
        provider_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let t = &touch.tenant;
        let hour = crate::domain::safety::breaker::hour_bucket(now);
        let mut items = vec![
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
                "SET #state = :sent, sent_at = :now, provider_message_id = :pid REMOVE DuePK, DueSK, lease_until",
                Some("#state = :sending AND attempt_id = :attempt"),
                &[("#state", "state")],
                vec![
                    (":sent".into(), s(TouchState::Sent.as_str())),
                    (":sending".into(), s(TouchState::Sending.as_str())),
                    (":attempt".into(), s(attempt_id)),
                    (":now".into(), s(ts(now))),
                    (":pid".into(), s(provider_id)),
                ],
            )?,
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), "LEAD"),
                "ADD attempts :one, version :one SET last_sent_at = :now, last_activity_at = :now, first_sent_at = if_not_exists(first_sent_at, :now)",
                None,
                &[],
                vec![(":one".into(), n(1)), (":now".into(), s(ts(now)))],
            )?,
            self.event_put(t, &touch.lead_id, now, "sent", &format!("step {} on {} ({})", touch.step, touch.channel, provider_id))?,
        ];
        // The bounce rate is a rate of emails: only they count as sends.
        if touch.channel == crate::domain::touch::Channel::Email {
            items.push(self.update_tx(
                Self::key(keys::rates(t), hour),
                "ADD sends :one SET #ttl = :ttl",
                None,
                &[("#ttl", "ttl")],
                vec![
                    (":one".into(), n(1)),
                    (":ttl".into(), n(now.timestamp() + 3 * DAY_SECS)),
                ],
            )?);
        }
        Ok(self.transact("confirm", items).await?.is_none())
    }

    /// Gives back a reservation whose send failed before reaching the
    /// provider: the touch is due again at `retry_at` and every cap is returned.
    pub async fn release(
        &self,
        touch: &Touch,
        attempt_id: &str,
        caps: &[CapReservation],
        day: NaiveDate,
        retry_at: DateTime<Utc>,
        why: &str,
    ) -> Result<bool> {
        let t = &touch.tenant;
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            "SET #state = :due, due_at = :at, DueSK = :dsk, end_reason = :why REMOVE attempt_id, lease_until",
            Some("#state = :sending AND attempt_id = :attempt"),
            &[("#state", "state")],
            vec![
                (":due".into(), s(TouchState::Due.as_str())),
                (":sending".into(), s(TouchState::Sending.as_str())),
                (":attempt".into(), s(attempt_id)),
                (":at".into(), s(ts(retry_at))),
                (":dsk".into(), s(due_sort_key(retry_at, t, &touch.lead_id, touch.step))),
                (":why".into(), s(why)),
            ],
        )?];
        for cap in caps {
            items.push(self.update_tx(
                Self::key(keys::counters(t, &day.to_string()), cap.scope.clone()),
                "ADD n :minus",
                Some("n > :zero"),
                &[],
                vec![(":minus".into(), n(-1)), (":zero".into(), n(0))],
            )?);
        }
        Ok(self.transact("release", items).await?.is_none())
    }

    /// Moves a due touch to a later time (window closed, cap full).
    pub async fn reschedule(
        &self,
        touch: &Touch,
        due_sk: &str,
        at: DateTime<Utc>,
        why: &str,
    ) -> Result<bool> {
        let tx = self.update_tx(
            Self::key(
                keys::lead(&touch.tenant, &touch.lead_id),
                keys::touch_sk(touch.step),
            ),
            "SET due_at = :at, DueSK = :dsk, wait_reason = :why",
            Some("#state = :due AND DueSK = :old"),
            &[("#state", "state")],
            vec![
                (":at".into(), s(ts(at))),
                (
                    ":dsk".into(),
                    s(due_sort_key(at, &touch.tenant, &touch.lead_id, touch.step)),
                ),
                (":why".into(), s(why)),
                (":due".into(), s(TouchState::Due.as_str())),
                (":old".into(), s(due_sk)),
            ],
        )?;
        Ok(self.transact("reschedule", vec![tx]).await?.is_none())
    }

    /// Ends a touch that is in `from` (skipped, cancelled, in doubt), taking
    /// it out of both indexes, with a timeline event.
    pub async fn end_touch(
        &self,
        touch: &Touch,
        from: TouchState,
        to: TouchState,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            self.update_tx(
                Self::key(
                    keys::lead(&touch.tenant, &touch.lead_id),
                    keys::touch_sk(touch.step),
                ),
                "SET #state = :to, end_reason = :why REMOVE DuePK, DueSK, GSI1PK, GSI1SK",
                Some("#state = :from"),
                &[("#state", "state")],
                vec![
                    (":to".into(), s(to.as_str())),
                    (":from".into(), s(from.as_str())),
                    (":why".into(), s(why)),
                ],
            )?,
            self.event_put(
                &touch.tenant,
                &touch.lead_id,
                now,
                to.as_str(),
                &format!("step {} ({}): {why}", touch.step, touch.channel),
            )?,
        ];
        Ok(self.transact("end_touch", items).await?.is_none())
    }

    /// Makes a planned step due (after the previous step was sent).
    pub async fn activate(
        &self,
        tenant: &str,
        lead_id: &str,
        step: u8,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.update_tx(
            Self::key(keys::lead(tenant, lead_id), keys::touch_sk(step)),
            "SET #state = :due, due_at = :at, DuePK = :dpk, DueSK = :dsk",
            Some("#state = :planned"),
            &[("#state", "state")],
            vec![
                (":due".into(), s(TouchState::Due.as_str())),
                (":planned".into(), s(TouchState::Planned.as_str())),
                (":at".into(), s(ts(at))),
                (":dpk".into(), s(format!("DUE#{}", self.shard_of(lead_id)))),
                (":dsk".into(), s(due_sort_key(at, tenant, lead_id, step))),
            ],
        )?;
        Ok(self.transact("activate", vec![tx]).await?.is_none())
    }

    /// A lease that expired unconfirmed: in doubt, out of the due index,
    /// never resent blindly.
    pub async fn mark_in_doubt(
        &self,
        touch: &Touch,
        due_sk: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            self.update_tx(
                Self::key(keys::lead(&touch.tenant, &touch.lead_id), keys::touch_sk(touch.step)),
                "SET #state = :doubt, end_reason = :why REMOVE DuePK, DueSK",
                Some("#state = :sending AND DueSK = :old"),
                &[("#state", "state")],
                vec![
                    (":doubt".into(), s(TouchState::InDoubt.as_str())),
                    (":sending".into(), s(TouchState::Sending.as_str())),
                    (":old".into(), s(due_sk)),
                    (":why".into(), s("send lease expired without confirmation; reconcile from provider events")),
                ],
            )?,
            self.event_put(&touch.tenant, &touch.lead_id, now, "in_doubt", &format!("step {}: lease expired unconfirmed", touch.step))?,
        ];
        Ok(self.transact("mark_in_doubt", items).await?.is_none())
    }

    // ---------------------------------------------------------------- signals
}
