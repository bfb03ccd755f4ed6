//! Touches in doubt: a send whose lease ran out unconfirmed and that the
//! provider could not account for. They leave the due index for the
//! tenant's doubt list, and come back only through an answer: the
//! provider's (a webhook, a lookup) or an operator's.

use super::*;
use crate::domain::touch::{Touch, TouchState};
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// A lease that ran out unconfirmed and that the provider cannot
    /// account for: in doubt, out of the due index, on the doubt list,
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
                "SET #state = :doubt, end_reason = :why, GSI1PK = :gpk, GSI1SK = :gsk REMOVE DuePK, DueSK",
                Some("#state = :sending AND DueSK = :old"),
                &[("#state", "state")],
                vec![
                    (":doubt".into(), s(TouchState::InDoubt.as_str())),
                    (":sending".into(), s(TouchState::Sending.as_str())),
                    (":old".into(), s(due_sk)),
                    (":why".into(), s("send lease expired without confirmation and the provider cannot say whether it went out; reconcile from provider events")),
                    (":gpk".into(), s(keys::doubt_index(&touch.tenant))),
                    (":gsk".into(), s(format!("{}#{}#{:02}", ts(now), touch.lead_id, touch.step))),
                ],
            )?,
            self.event_put(&touch.tenant, &touch.lead_id, now, "in_doubt", &format!("step {}: lease expired unconfirmed", touch.step))?,
        ];
        Ok(self.transact("mark_in_doubt", items).await?.is_none())
    }

    /// The tenant's touches in doubt, oldest first.
    pub async fn in_doubt(&self, tenant: &str) -> Result<Vec<Touch>> {
        self.query_all(
            Some("TenantIndex"),
            "GSI1PK",
            keys::doubt_index(tenant),
            None,
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
    }

    /// Takes a touch in doubt back into `sending` under a short lease, so
    /// an answer can be applied by the ordinary confirm or release. If
    /// this process dies before it applies it, the lease runs out and the
    /// dispatcher reconciles it again (and, with no answer, puts it back in
    /// doubt). Returns the touch as it now stands, or None if it was not
    /// in doubt under that attempt.
    pub async fn reopen_in_doubt(
        &self,
        touch: &Touch,
        now: DateTime<Utc>,
    ) -> Result<Option<Touch>> {
        let Some(attempt) = touch.attempt_id.as_deref() else {
            return Ok(None);
        };
        let lease = now + Duration::minutes(2);
        let items = vec![self.update_tx(
            Self::key(
                keys::lead(&touch.tenant, &touch.lead_id),
                keys::touch_sk(touch.step),
            ),
            "SET #state = :sending, lease_until = :lease, DuePK = :dpk, DueSK = :dsk REMOVE GSI1PK, GSI1SK",
            Some("#state = :doubt AND attempt_id = :attempt"),
            &[("#state", "state")],
            vec![
                (":doubt".into(), s(TouchState::InDoubt.as_str())),
                (":sending".into(), s(TouchState::Sending.as_str())),
                (":attempt".into(), s(attempt)),
                (":lease".into(), s(ts(lease))),
                (
                    ":dpk".into(),
                    s(format!("DUE#{}", self.shard_of(&touch.lead_id))),
                ),
                (
                    ":dsk".into(),
                    s(due_sort_key(lease, &touch.tenant, &touch.lead_id, touch.step)),
                ),
            ],
        )?];
        if self.transact("reopen_in_doubt", items).await?.is_some() {
            return Ok(None);
        }
        let mut reopened = touch.clone();
        reopened.state = TouchState::Sending;
        reopened.lease_until = Some(lease);
        Ok(Some(reopened))
    }

    /// A lease that ran out unconfirmed while the provider's records of
    /// its time are not final yet: the touch stays `sending` under a lease
    /// until `until`, when the dispatcher asks again. False if the touch
    /// moved meanwhile (a webhook settled it, another tick got there).
    pub async fn await_provider(
        &self,
        touch: &Touch,
        due_sk: &str,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(attempt) = touch.attempt_id.as_deref() else {
            return Ok(false);
        };
        let items = vec![self.update_tx(
            Self::key(
                keys::lead(&touch.tenant, &touch.lead_id),
                keys::touch_sk(touch.step),
            ),
            "SET lease_until = :lease, DueSK = :dsk",
            Some("#state = :sending AND DueSK = :old AND attempt_id = :attempt"),
            &[("#state", "state")],
            vec![
                (":sending".into(), s(TouchState::Sending.as_str())),
                (":old".into(), s(due_sk)),
                (":attempt".into(), s(attempt)),
                (":lease".into(), s(ts(until))),
                (
                    ":dsk".into(),
                    s(due_sort_key(
                        until,
                        &touch.tenant,
                        &touch.lead_id,
                        touch.step,
                    )),
                ),
            ],
        )?];
        Ok(self.transact("await_provider", items).await?.is_none())
    }
}
