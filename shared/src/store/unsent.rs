//! Touches that are not sent this time: moved later (a window, a cap),
//! held with a note (a switch, a paused campaign), or ended (cancelled,
//! skipped) with what follows them.

use super::*;
use crate::domain::dispatch::decide::AfterSend;
use crate::domain::touch::{Touch, TouchState};
use chrono::{DateTime, Utc};

impl Store {
    /// Moves a due touch to a later time (window closed, cap full, ramp,
    /// provider backoff), with the reason.
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

    /// Notes why a due touch is held where it is (a switch, no provider).
    pub async fn note_wait(&self, touch: &Touch, due_sk: &str, why: &str) -> Result<bool> {
        let tx = self.update_tx(
            Self::key(
                keys::lead(&touch.tenant, &touch.lead_id),
                keys::touch_sk(touch.step),
            ),
            "SET wait_reason = :why",
            Some("#state = :due AND DueSK = :old"),
            &[("#state", "state")],
            vec![
                (":why".into(), s(why)),
                (":due".into(), s(TouchState::Due.as_str())),
                (":old".into(), s(due_sk)),
            ],
        )?;
        Ok(self.transact("note_wait", vec![tx]).await?.is_none())
    }

    /// Ends a touch that is in `from` (skipped, cancelled), taking it out of
    /// both indexes, with a timeline event; a skip wakes what follows it.
    pub async fn end_touch(
        &self,
        touch: &Touch,
        from: TouchState,
        to: TouchState,
        why: &str,
        after: Option<&AfterSend>,
        now: DateTime<Utc>,
    ) -> Result<Landed> {
        let items = |with_after: bool| -> Result<Vec<TransactWriteItem>> {
            let mut values = vec![
                (":to".into(), s(to.as_str())),
                (":from".into(), s(from.as_str())),
                (":why".into(), s(why)),
            ];
            let update = if with_after || after.is_none() {
                "SET #state = :to, end_reason = :why REMOVE DuePK, DueSK, GSI1PK, GSI1SK"
            } else {
                values.push((
                    ":dsk".into(),
                    s(due_sort_key(now, &touch.tenant, &touch.lead_id, touch.step)),
                ));
                values.push((":yes".into(), AttributeValue::Bool(true)));
                "SET #state = :to, end_reason = :why, DueSK = :dsk, follow_up = :yes REMOVE GSI1PK, GSI1SK"
            };
            let mut items = vec![
                self.update_tx(
                    Self::key(
                        keys::lead(&touch.tenant, &touch.lead_id),
                        keys::touch_sk(touch.step),
                    ),
                    update,
                    Some("#state = :from"),
                    &[("#state", "state")],
                    values,
                )?,
                self.event_put(
                    &touch.tenant,
                    &touch.lead_id,
                    now,
                    to.as_str(),
                    &format!("step {} ({}): {why}", touch.step, touch.channel),
                )?,
            ];
            if let (true, Some(after)) = (with_after, after) {
                items.extend(self.after_items(touch, after, now)?);
                if after.flag_attempts {
                    items.push(self.flag_attempts_tx(touch, now)?);
                }
            }
            Ok(items)
        };
        let Some(codes) = self.transact("end_touch", items(true)?).await? else {
            return Ok(Landed::Whole);
        };
        if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") || after.is_none() {
            return Ok(Landed::NotOurs);
        }
        Ok(match self.transact("end_touch", items(false)?).await? {
            None => Landed::FollowUpLeft,
            Some(_) => Landed::NotOurs,
        })
    }

    /// The lead's `attempts_exceeded_200` flag, outside a send's update.
    pub(super) fn flag_attempts_tx(
        &self,
        touch: &Touch,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem> {
        self.update_tx(
            Self::key(keys::lead(&touch.tenant, &touch.lead_id), "LEAD"),
            "SET attempts_exceeded_200 = :yes, updated_at = :now ADD version :one",
            None,
            &[],
            vec![
                (":yes".into(), AttributeValue::Bool(true)),
                (":now".into(), s(ts(now))),
                (":one".into(), n(1)),
            ],
        )
    }
}
