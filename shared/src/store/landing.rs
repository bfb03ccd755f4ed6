//! Landing a send: confirm (sent + lead + next step + outbox + the
//! campaign's results, in one transaction) and finishing a follow-up that
//! the confirm could not land with it.

use super::*;
use crate::domain::campaigns::results;
use crate::domain::dispatch::decide::AfterSend;
use crate::domain::lead::LeadStatus;
use crate::domain::touch::{Channel, CountedSend, Touch, TouchState};
use crate::error::{Error, Result};
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// Step 3: `sending -> sent` for this attempt, the lead's counters (and
    /// queued -> contacted), the next step due, the timeline, the hourly
    /// send bucket and the shadow outbox row, in one transaction. If the
    /// next step or the lead changed since they were read, the send is
    /// still recorded, and the touch keeps a follow-up mark in the due index.
    /// The campaign's results count the send (in `counted`'s buckets) in
    /// the same transaction, so a confirm that lands counts it once.
    #[allow(clippy::too_many_arguments)]
    pub async fn confirm(
        &self,
        touch: &Touch,
        attempt_id: &str,
        provider_id: &str,
        after: &AfterSend,
        lead_version: u64,
        outbox: Option<&OutboxEntry>,
        counted: CountedSend,
        now: DateTime<Utc>,
    ) -> Result<Landed> {
        let touch = &Touch {
            counted_as: Some(counted),
            ..touch.clone()
        };
        let whole = self.confirm_items(
            touch,
            attempt_id,
            provider_id,
            Some((after, lead_version)),
            outbox,
            now,
        )?;
        let Some(codes) = self.transact("confirm", whole).await? else {
            return Ok(Landed::Whole);
        };
        if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
            return Ok(Landed::NotOurs);
        }
        let part = self.confirm_items(touch, attempt_id, provider_id, None, outbox, now)?;
        Ok(match self.transact("confirm", part).await? {
            None => Landed::FollowUpLeft,
            Some(_) => Landed::NotOurs,
        })
    }

    fn confirm_items(
        &self,
        touch: &Touch,
        attempt_id: &str,
        provider_id: &str,
        after: Option<(&AfterSend, u64)>,
        outbox: Option<&OutboxEntry>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TransactWriteItem>> {
        let t = &touch.tenant;
        let mut touch_values = vec![
            (":sent".into(), s(TouchState::Sent.as_str())),
            (":sending".into(), s(TouchState::Sending.as_str())),
            (":attempt".into(), s(attempt_id)),
            (":now".into(), s(ts(now))),
            (":pid".into(), s(provider_id)),
        ];
        // The buckets the send is counted in stay with the touch: its
        // reply or bounce is counted in the same ones.
        let counted = match &touch.counted_as {
            Some(c) => {
                touch_values.push((
                    ":counted".into(),
                    serde_dynamo::to_attribute_value(c)
                        .map_err(|e| Error::store("serialize", e))?,
                ));
                ", counted_as = :counted"
            }
            None => "",
        };
        let touch_update = if after.is_some() {
            format!("SET #state = :sent, sent_at = :now, provider_message_id = :pid{counted} REMOVE DuePK, DueSK, lease_until, caps_taken, caps_day")
        } else {
            touch_values.push((
                ":dsk".into(),
                s(due_sort_key(now, t, &touch.lead_id, touch.step)),
            ));
            touch_values.push((":yes".into(), AttributeValue::Bool(true)));
            format!("SET #state = :sent, sent_at = :now, provider_message_id = :pid, DueSK = :dsk, follow_up = :yes{counted} REMOVE lease_until, caps_taken, caps_day")
        };
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            &touch_update,
            Some("#state = :sending AND attempt_id = :attempt"),
            &[("#state", "state")],
            touch_values,
        )?];
        let mut lead_update = "ADD attempts :one, version :one SET last_sent_at = :now, last_activity_at = :now, first_sent_at = if_not_exists(first_sent_at, :now)".to_string();
        let mut lead_values = vec![(":one".into(), n(1)), (":now".into(), s(ts(now)))];
        // Sticky rotation: the first sender on a channel holds the lead, and
        // the first email's Message-ID is what later emails thread under.
        if let Some(sender) = &touch.sender {
            let attr = touch.channel.sticky_attribute();
            lead_update.push_str(&format!(", {attr} = if_not_exists({attr}, :sender)"));
            lead_values.push((":sender".into(), s(sender)));
        }
        if touch.channel == Channel::Email
            && crate::adapters::senders::live::is_message_id(provider_id)
        {
            lead_update.push_str(", email_thread = if_not_exists(email_thread, :pid)");
            lead_values.push((":pid".into(), s(provider_id)));
        }
        if after.is_some_and(|(a, _)| a.flag_attempts) || touch.desk.after_hours {
            lead_values.push((":yes".into(), AttributeValue::Bool(true)));
        }
        if after.is_some_and(|(a, _)| a.flag_attempts) {
            lead_update.push_str(", attempts_exceeded_200 = :yes");
        }
        if touch.desk.after_hours {
            lead_update.push_str(", after_hours_call_once_done = :yes");
        }
        let mut lead_condition = None;
        if let Some((after, version)) = after.filter(|(a, _)| a.contacted) {
            debug_assert!(after.contacted);
            lead_update.push_str(", #status = :contacted, updated_at = :now");
            lead_values.push((":contacted".into(), s(LeadStatus::Contacted.as_str())));
            lead_values.push((":v".into(), n(version)));
            lead_condition = Some("version = :v");
        }
        items.push(self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), "LEAD"),
            &lead_update,
            lead_condition,
            if lead_condition.is_some() {
                &[("#status", "status")]
            } else {
                &[]
            },
            lead_values,
        )?);
        items.push(self.event_put(
            t,
            &touch.lead_id,
            now,
            "sent",
            &format!("step {} on {} ({})", touch.step, touch.channel, provider_id),
        )?);
        if let Some((after, _)) = after {
            items.extend(self.after_items(touch, after, now)?);
        }
        items.extend(self.tally_items(t, &results::on_send(touch))?);
        // The bounce rate is a rate of emails: only they count as sends.
        // The tenant's buckets feed the breaker, the domain's its health
        // (kept for the longest window domain health may use); other
        // channels' sends are counted for the status report.
        if touch.channel != Channel::Email {
            items.push(self.update_tx(
                Self::key(
                    keys::rates(t),
                    crate::domain::safety::breaker::hour_bucket(now),
                ),
                "ADD #f :one SET #ttl = :ttl",
                None,
                &[("#f", &format!("sent_{}", touch.channel)), ("#ttl", "ttl")],
                vec![
                    (":one".into(), n(1)),
                    (":ttl".into(), n(now.timestamp() + 8 * DAY_SECS)),
                ],
            )?);
        }
        if touch.channel == Channel::Email {
            let domain = touch.sender_domain.as_deref().filter(|d| !d.is_empty());
            let scopes = std::iter::once(keys::rates(t))
                .chain(domain.map(|d| super::signals::domain_rates(t, d)));
            for pk in scopes {
                items.push(self.update_tx(
                    Self::key(pk, crate::domain::safety::breaker::hour_bucket(now)),
                    "ADD sends :one SET #ttl = :ttl",
                    None,
                    &[("#ttl", "ttl")],
                    vec![
                        (":one".into(), n(1)),
                        (":ttl".into(), n(now.timestamp() + 8 * DAY_SECS)),
                    ],
                )?);
            }
        }
        if let Some(entry) = outbox {
            let mut i = to_item(entry)?;
            i.extend(Self::key(
                keys::outbox(&entry.tenant),
                format!("A#{}", entry.attempt_id),
            ));
            i.insert(
                "ttl".into(),
                n((entry.sent_at + Duration::days(90)).timestamp()),
            );
            items.push(self.put_tx(i, None, vec![])?);
        }
        Ok(items)
    }

    /// Finishes a follow-up: the next step due and the lead contacted (if
    /// still right), and the mark and index entry removed. If something
    /// moved meanwhile, the mark stays for the next tick's fresh read.
    pub async fn finish_follow_up(
        &self,
        touch: &Touch,
        due_sk: &str,
        after: &AfterSend,
        lead_version: u64,
        now: DateTime<Utc>,
    ) -> Result<Landed> {
        let t = &touch.tenant;
        let mut items = vec![self.update_tx(
            Self::key(keys::lead(t, &touch.lead_id), keys::touch_sk(touch.step)),
            "REMOVE DuePK, DueSK, follow_up",
            Some("follow_up = :yes AND DueSK = :old"),
            &[],
            vec![
                (":yes".into(), AttributeValue::Bool(true)),
                (":old".into(), s(due_sk)),
            ],
        )?];
        if after.contacted {
            let mut update = "SET #status = :contacted, updated_at = :now".to_string();
            let mut values = vec![
                (":contacted".into(), s(LeadStatus::Contacted.as_str())),
                (":now".into(), s(ts(now))),
                (":one".into(), n(1)),
                (":v".into(), n(lead_version)),
            ];
            if after.flag_attempts {
                update.push_str(", attempts_exceeded_200 = :yes");
                values.push((":yes".into(), AttributeValue::Bool(true)));
            }
            update.push_str(" ADD version :one");
            items.push(self.update_tx(
                Self::key(keys::lead(t, &touch.lead_id), "LEAD"),
                &update,
                Some("version = :v"),
                &[("#status", "status")],
                values,
            )?);
        } else if after.flag_attempts {
            items.push(self.flag_attempts_tx(touch, now)?);
        }
        items.extend(self.after_items(touch, after, now)?);
        Ok(match self.transact("finish_follow_up", items).await? {
            None => Landed::Whole,
            Some(codes) if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") => {
                Landed::NotOurs
            }
            Some(_) => Landed::FollowUpLeft,
        })
    }
}
