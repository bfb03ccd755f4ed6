//! The dialing desk's items: each tenant's call queue (its due call steps,
//! kept in the due index under `CALL#<tenant>` so they never crowd the
//! shards' pages), the desk row that wakes the desk through the due index,
//! the semaphore's slots, each number's pacing, and the day's outcomes.

use super::*;
use crate::domain::dialing::queue::{hour_key, NumberState, SlotState};
use crate::domain::touch::{DeskMarks, Touch, TouchState};
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

/// The desk row's sort key (and the one the due page recognises it by).
pub const DESK_SK: &str = "DESK";

/// What the desk reads of its own partition in one query.
#[derive(Debug, Default, Clone)]
pub struct DeskState {
    pub slots: BTreeMap<u32, SlotState>,
    pub numbers: BTreeMap<String, NumberState>,
    /// Today's outcomes by name.
    pub outcomes: BTreeMap<String, u32>,
    /// Today's calls by (tenant-local hour `HH`, number).
    pub per_hour: BTreeMap<(String, String), u32>,
}

/// What putting a call in the queue came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    Queued,
    /// Another tick moved the touch first.
    Gone,
    /// These suppression entries exist: the call ends here.
    Suppressed(Vec<String>),
}

/// A queued call as the desk ranks it: the few attributes it needs, read
/// with a projection (a call step's message is read only for the calls
/// about to be dialled).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct QueuedCall {
    pub tenant: String,
    pub lead_id: String,
    pub step: u8,
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub recipient: String,
    #[serde(flatten)]
    pub desk: DeskMarks,
    /// Its key in the due index (the condition of every move).
    #[serde(rename = "DueSK")]
    pub due_sk: String,
}

/// What a dial takes besides the caps: a slot of the semaphore and its
/// number's pacing, checked in the reservation's transaction.
#[derive(Debug, Clone)]
pub struct DeskClaim {
    pub slot: u32,
    pub number: String,
    pub lease_until: DateTime<Utc>,
    /// The number's last call must be at or before this.
    pub gap_cutoff: DateTime<Utc>,
    /// The hour's count as read, when the stored hour is this one.
    pub in_hour: Option<u32>,
    pub per_hour: u32,
    /// The lead's one after-hours voicemail attempt.
    pub after_hours: bool,
    /// The tenant's day and local hour (`HH`) the call counts in.
    pub day: NaiveDate,
    pub local_hour: String,
    pub campaign: String,
}

fn slot_sk(slot: u32) -> String {
    format!("SLOT#{slot:02}")
}
fn number_sk(number: &str) -> String {
    format!("NUM#{number}")
}
fn day_sk(day: NaiveDate) -> String {
    format!("DAY#{day}")
}
/// The desk row's due-index key when it is woken for `at`.
pub fn desk_sort_key(tenant: &str, at: DateTime<Utc>) -> String {
    format!("{}#{tenant}#!desk", ts(at))
}

/// A tenant's call queue in the due index.
pub fn queue_pk(tenant: &str) -> String {
    format!("CALL#{tenant}")
}

fn text(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}
fn time(item: &Item, key: &str) -> Option<DateTime<Utc>> {
    text(item, key)
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}
fn num(item: &Item, key: &str) -> u32 {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl Store {
    /// The desk's own partition: slots, numbers, the desk row and today's
    /// outcomes. One query.
    pub async fn desk_state(&self, tenant: &str, day: NaiveDate) -> Result<DeskState> {
        let items = self.query_all(None, "PK", keys::desk(tenant), None).await?;
        let mut out = DeskState::default();
        let today = day_sk(day);
        for item in items {
            let sk = text(&item, "SK").unwrap_or_default();
            if let Some(i) = sk.strip_prefix("SLOT#").and_then(|i| i.parse().ok()) {
                out.slots.insert(
                    i,
                    SlotState {
                        slot: i,
                        attempt: text(&item, "call_attempt"),
                        lead_id: text(&item, "lead_id"),
                        campaign: text(&item, "campaign"),
                        number: text(&item, "number"),
                        started_at: time(&item, "started_at"),
                        lease_until: time(&item, "lease_until"),
                    },
                );
            } else if let Some(number) = sk.strip_prefix("NUM#") {
                out.numbers.insert(
                    number.to_string(),
                    NumberState {
                        last_at: time(&item, "last_at"),
                        hour: text(&item, "hour"),
                        in_hour: num(&item, "in_hour"),
                    },
                );
            } else if sk == today {
                for (k, v) in &item {
                    let count = v.as_n().ok().and_then(|n| n.parse().ok()).unwrap_or(0);
                    if let Some(name) = k.strip_prefix("o_") {
                        out.outcomes.insert(name.to_string(), count);
                    } else if let Some((hour, number)) =
                        k.strip_prefix("h_").and_then(|k| k.split_once('#'))
                    {
                        out.per_hour
                            .insert((hour.to_string(), number.to_string()), count);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The tenant's queued calls due by `now` (the whole queue: the desk
    /// ranks it), projected to what ranking needs.
    pub async fn call_queue(&self, tenant: &str, now: DateTime<Utc>) -> Result<Vec<QueuedCall>> {
        const FIELDS: [&str; 13] = [
            "tenant",
            "lead_id",
            "step",
            "campaign",
            "timezone",
            "due_at",
            "recipient",
            "queue_score",
            "call_hours",
            "after_hours_ok",
            "redials",
            "DueSK",
            "call_slot",
        ];
        let projection: Vec<String> = (0..FIELDS.len()).map(|i| format!("#f{i}")).collect();
        let mut out = vec![];
        let mut start: Option<Item> = None;
        loop {
            self.spend()?;
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("DueIndex")
                .key_condition_expression("DuePK = :pk AND DueSK <= :now")
                .projection_expression(projection.join(", "))
                .expression_attribute_values(":pk", s(queue_pk(tenant)))
                .expression_attribute_values(":now", s(format!("{}~", ts(now))))
                .set_exclusive_start_key(start.take());
            for (i, f) in FIELDS.iter().enumerate() {
                q = q.expression_attribute_names(format!("#f{i}"), *f);
            }
            let page = q.send().await.map_err(sdk("query call queue"))?;
            for item in page.items.unwrap_or_default() {
                out.push(from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() && out.len() < 5_000 => start = Some(k),
                _ => break,
            }
        }
        Ok(out)
    }

    fn desk_row_key(tenant: &str) -> Item {
        Self::key(keys::desk(tenant), DESK_SK)
    }

    fn arm_tx(&self, tenant: &str, at: DateTime<Utc>) -> Result<TransactWriteItem> {
        self.update_tx(
            Self::desk_row_key(tenant),
            "SET DuePK = :dpk, DueSK = :dsk, tenant = :t",
            None,
            &[],
            vec![
                (":dpk".into(), s(format!("DUE#{}", self.shard_of(tenant)))),
                (":dsk".into(), s(desk_sort_key(tenant, at))),
                (":t".into(), s(tenant)),
            ],
        )
    }

    /// A due call step joins its tenant's call queue (leaving the shard's
    /// pages), with what the desk orders it by; the desk is woken. One
    /// transaction, which also checks the lead's suppression entries: a
    /// person on the list never waits in the queue.
    pub async fn enqueue_call(
        &self,
        touch: &Touch,
        due_sk: &str,
        marks: &DeskMarks,
        suppression: &[(
            crate::domain::targeting::suppression::SuppressionKind,
            String,
        )],
        now: DateTime<Utc>,
    ) -> Result<Enqueued> {
        let t = &touch.tenant;
        let mut set = "SET DuePK = :qpk, wait_reason = :why, after_hours_ok = :ah".to_string();
        let mut values = vec![
            (":qpk".to_string(), s(queue_pk(t))),
            (":why".to_string(), s("in the call queue")),
            (
                ":ah".to_string(),
                AttributeValue::Bool(marks.after_hours_ok),
            ),
            (":due".to_string(), s(TouchState::Due.as_str())),
            (":old".to_string(), s(due_sk)),
        ];
        if let Some(score) = marks.queue_score {
            set.push_str(", queue_score = :score");
            values.push((":score".into(), n(score)));
        }
        let mut remove = vec![];
        match marks.call_hours {
            Some(h) => {
                set.push_str(", call_hours = :hours");
                values.push((":hours".into(), s(h.to_string())));
            }
            None => remove.push("call_hours"),
        }
        if !remove.is_empty() {
            set.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let mut items = vec![
            self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
                &set,
                Some("#state = :due AND DueSK = :old"),
                &[("#state", "state")],
                values,
            )?,
            self.arm_tx(t, now)?,
        ];
        for (kind, value) in suppression {
            items.push(self.check(
                Self::suppression_key(t, *kind, value),
                "attribute_not_exists(PK)",
                vec![],
            )?);
        }
        let Some(codes) = self.transact("enqueue_call", items).await? else {
            return Ok(Enqueued::Queued);
        };
        let failed = |i: usize| codes.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
        let hits: Vec<String> = suppression
            .iter()
            .enumerate()
            .filter(|(i, _)| failed(i + 2))
            .map(|(_, (kind, value))| format!("{}#{}", kind.as_str(), value))
            .collect();
        Ok(if !hits.is_empty() && !failed(0) {
            Enqueued::Suppressed(hits)
        } else {
            Enqueued::Gone
        })
    }

    /// A queued call that cannot be dialled now goes back to the shards'
    /// due index until `at`.
    pub async fn unqueue_call(
        &self,
        (tenant, lead_id, step): (&str, &str, u8),
        due_sk: &str,
        at: DateTime<Utc>,
        why: &str,
    ) -> Result<bool> {
        let t = tenant;
        let tx = self.update_tx(
            Self::key(keys::lead(t, lead_id), keys::touch_sk(step)),
            "SET DuePK = :dpk, DueSK = :dsk, due_at = :at, wait_reason = :why",
            Some("#state = :due AND DueSK = :old"),
            &[("#state", "state")],
            vec![
                (":dpk".into(), s(format!("DUE#{}", self.shard_of(lead_id)))),
                (":dsk".into(), s(due_sort_key(at, t, lead_id, step))),
                (":at".into(), s(ts(at))),
                (":why".into(), s(why)),
                (":due".into(), s(TouchState::Due.as_str())),
                (":old".into(), s(due_sk)),
            ],
        )?;
        Ok(self.transact("unqueue_call", vec![tx]).await?.is_none())
    }

    /// Wakes the desk at `at`, or lets it sleep (out of the due index)
    /// unless something armed it since it was read as `read`.
    pub async fn arm_desk(
        &self,
        tenant: &str,
        at: Option<DateTime<Utc>>,
        read: Option<&str>,
    ) -> Result<()> {
        match at {
            Some(at) => {
                let tx = self.arm_tx(tenant, at)?;
                self.transact("arm_desk", vec![tx]).await?;
            }
            None => {
                let Some(read) = read else { return Ok(()) };
                let tx = self.update_tx(
                    Self::desk_row_key(tenant),
                    "REMOVE DuePK, DueSK",
                    Some("DueSK = :read"),
                    &[],
                    vec![(":read".into(), s(read))],
                )?;
                self.transact("desk_sleep", vec![tx]).await?;
            }
        }
        Ok(())
    }

    /// The items a dial adds to its reservation: the slot (free, or its
    /// lease ran out) and the number's pacing (its gap kept, its hour not
    /// full), each conditional.
    pub(super) fn desk_claim_items(
        &self,
        touch: &Touch,
        claim: &DeskClaim,
        attempt: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<TransactWriteItem>> {
        let t = &touch.tenant;
        let slot = self.update_tx(
            Self::key(keys::desk(t), slot_sk(claim.slot)),
            "SET call_attempt = :a, lead_id = :l, call_step = :step, #num = :num, started_at = :now, lease_until = :lease, campaign = :c",
            Some("attribute_not_exists(call_attempt) OR lease_until <= :now"),
            &[("#num", "number")],
            vec![
                (":a".into(), s(attempt)),
                (":l".into(), s(&touch.lead_id)),
                (":step".into(), n(touch.step)),
                (":num".into(), s(&claim.number)),
                (":now".into(), s(ts(now))),
                (":lease".into(), s(ts(claim.lease_until))),
                (":c".into(), s(&claim.campaign)),
            ],
        )?;
        let hour = hour_key(now);
        let mut values = vec![
            (":now".to_string(), s(ts(now))),
            (":cut".to_string(), s(ts(claim.gap_cutoff))),
            (":h".to_string(), s(&hour)),
            (":one".to_string(), n(1)),
        ];
        let (update, condition) = match claim.in_hour {
            Some(_) => {
                values.push((":max".into(), n(claim.per_hour)));
                (
                    "SET last_at = :now ADD in_hour :one",
                    "last_at <= :cut AND #hour = :h AND in_hour < :max",
                )
            }
            None => (
                "SET last_at = :now, #hour = :h, in_hour = :one",
                "attribute_not_exists(last_at) OR (last_at <= :cut AND #hour <> :h)",
            ),
        };
        let number = self.update_tx(
            Self::key(keys::desk(t), number_sk(&claim.number)),
            update,
            Some(condition),
            &[("#hour", "hour")],
            values,
        )?;
        let keep = (claim.day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
            + Duration::days(35))
        .timestamp();
        let tally = self.update_tx(
            Self::key(keys::desk(t), day_sk(claim.day)),
            "ADD #k :one SET #ttl = :ttl",
            None,
            &[
                ("#k", &format!("h_{}#{}", claim.local_hour, claim.number)),
                ("#ttl", "ttl"),
            ],
            vec![(":one".into(), n(1)), (":ttl".into(), n(keep))],
        )?;
        Ok(vec![slot, number, tally])
    }

    /// Frees the slot `attempt` holds (its call ended) and wakes the desk
    /// to fill it. A slot already free, or taken by another call since its
    /// lease ran out, is left (and the desk not woken by it).
    pub async fn release_call_slot(
        &self,
        tenant: &str,
        slot: u32,
        attempt: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let items = vec![
            self.update_tx(
                Self::key(keys::desk(tenant), slot_sk(slot)),
                "REMOVE call_attempt, lease_until SET last_attempt = :a",
                Some("call_attempt = :a"),
                &[],
                vec![(":a".into(), s(attempt))],
            )?,
            self.arm_tx(tenant, now)?,
        ];
        Ok(self.transact("release_call_slot", items).await?.is_none())
    }

    /// Makes a call step that went unanswered due again at `at` (through
    /// the shards' due index, which queues it), once per attempt.
    pub async fn redial(
        &self,
        touch: &Touch,
        attempt: &str,
        at: DateTime<Utc>,
        why: &str,
    ) -> Result<bool> {
        let t = &touch.tenant;
        let tx = self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            "SET #state = :due, due_at = :at, DuePK = :dpk, DueSK = :dsk, wait_reason = :why ADD redials :one REMOVE call_slot, after_hours",
            Some("#state = :sent AND attempt_id = :a AND attribute_not_exists(follow_up)"),
            &[("#state", "state")],
            vec![
                (":due".into(), s(TouchState::Due.as_str())),
                (":sent".into(), s(TouchState::Sent.as_str())),
                (":a".into(), s(attempt)),
                (":at".into(), s(ts(at))),
                (
                    ":dpk".into(),
                    s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
                ),
                (
                    ":dsk".into(),
                    s(due_sort_key(at, t, &touch.lead_id, touch.step)),
                ),
                (":why".into(), s(why)),
                (":one".into(), n(1)),
            ],
        )?;
        Ok(self.transact("redial", vec![tx]).await?.is_none())
    }

    /// Brings a later step forward to `at` (a voicemail's written
    /// follow-up): a planned one becomes due; a due one waiting for a later
    /// day moves to `at`. Each only if it is still as read.
    pub async fn bring_forward(&self, step: &Touch, at: DateTime<Utc>) -> Result<bool> {
        let t = &step.tenant;
        let tx = match (step.state, step.due_at) {
            (TouchState::Planned, _) => {
                let after = crate::domain::dispatch::decide::AfterSend {
                    wake: Some(crate::domain::dispatch::decide::Wake {
                        step: step.step,
                        at,
                    }),
                    ..Default::default()
                };
                self.after_items(step, &after, at)?
            }
            (TouchState::Due, Some(old)) => vec![self.update_tx(
                Self::key(keys::lead(t, &step.lead_id), keys::touch_sk(step.step)),
                "SET due_at = :at, DueSK = :dsk, wait_reason = :why",
                Some("#state = :due AND DueSK = :old"),
                &[("#state", "state")],
                vec![
                    (":at".into(), s(ts(at))),
                    (
                        ":dsk".into(),
                        s(due_sort_key(at, t, &step.lead_id, step.step)),
                    ),
                    (":why".into(), s("brought forward after a voicemail")),
                    (":due".into(), s(TouchState::Due.as_str())),
                    (
                        ":old".into(),
                        s(due_sort_key(old, t, &step.lead_id, step.step)),
                    ),
                ],
            )?],
            _ => return Ok(false),
        };
        Ok(self.transact("bring_forward", tx).await?.is_none())
    }

    /// Counts a call's outcome in the day's tally, once per attempt.
    pub async fn count_call_outcome(
        &self,
        tenant: &str,
        day: NaiveDate,
        attempt: &str,
        outcome: &str,
    ) -> Result<bool> {
        let keep = (day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::days(35))
            .timestamp();
        let tx = self.update_tx(
            Self::key(keys::desk(tenant), day_sk(day)),
            "ADD #o :one, seen :a SET #ttl = :ttl",
            Some("NOT contains(seen, :s)"),
            &[("#o", &format!("o_{outcome}")), ("#ttl", "ttl")],
            vec![
                (":one".into(), n(1)),
                (":a".into(), AttributeValue::Ss(vec![attempt.to_string()])),
                (":s".into(), s(attempt)),
                (":ttl".into(), n(keep)),
            ],
        )?;
        Ok(self
            .transact("count_call_outcome", vec![tx])
            .await?
            .is_none())
    }
}
