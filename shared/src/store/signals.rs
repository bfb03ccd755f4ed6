//! Provider signals applied once, their publication to the bus, and the hourly rate buckets.

use super::*;
use crate::domain::lead::Lead;
use crate::domain::safety::breaker::RateBucket;
use crate::domain::targeting::suppression::SuppressionKind;
use crate::domain::touch::{Touch, TouchState};
use crate::error::Result;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

/// Outcome of writing a signal once.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    Applied,
    /// The same event was already applied (a provider retry).
    Duplicate,
    /// The token was already used by a different event: a replay.
    Replay,
    /// Something the write depended on changed; read again and retry.
    Contended,
}

impl Store {
    /// Applies a provider event once: the dedup record, the token record, the
    /// lead (version-checked), cancelled touches, suppression, the rate bucket
    /// and the timeline, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_signal(
        &self,
        tenant: &str,
        provider: &str,
        event_id: &str,
        token: Option<&str>,
        raw: &str,
        lead: Option<(&Lead, u64)>,
        cancel: &[(Touch, TouchState)],
        suppress: Option<(SuppressionKind, String)>,
        rate_field: Option<&str>,
        summary: &str,
        now: DateTime<Utc>,
    ) -> Result<ApplyOutcome> {
        let keep = n(now.timestamp() + 90 * DAY_SECS);
        let mut ev = Self::key(keys::webhook_event(tenant, provider, event_id), "EVENT");
        ev.insert("raw".into(), s(kept_raw(raw)));
        ev.insert("received_at".into(), s(ts(now)));
        ev.insert("summary".into(), s(summary));
        ev.insert("published".into(), AttributeValue::Bool(false));
        ev.insert("ttl".into(), keep.clone());
        let mut items = vec![self.put_tx(ev, Some("attribute_not_exists(PK)"), vec![])?];
        let token_idx = token.map(|_| items.len());
        if let Some(tok) = token {
            let mut i = Self::key(keys::webhook_token(provider, tok), "TOKEN");
            i.insert("event_id".into(), s(event_id));
            i.insert("ttl".into(), keep.clone());
            items.push(self.put_tx(
                i,
                Some("attribute_not_exists(PK) OR event_id = :eid"),
                vec![(":eid", s(event_id))],
            )?);
        }
        if let Some((lead, old_version)) = lead {
            let mut lead = lead.clone();
            lead.version = old_version + 1;
            lead.updated_at = now;
            items.push(self.put_tx(
                self.lead_item(&lead)?,
                Some("version = :v"),
                vec![(":v", n(old_version))],
            )?);
            items.push(self.event_put(tenant, &lead.id, now, "signal", summary)?);
            for (touch, to) in cancel {
                items.push(self.update_tx(
                    Self::key(keys::lead(tenant, &lead.id), keys::touch_sk(touch.step)),
                    "SET #state = :to, end_reason = :why REMOVE DuePK, DueSK, GSI1PK, GSI1SK",
                    Some("#state = :from"),
                    &[("#state", "state")],
                    vec![
                        (":to".into(), s(to.as_str())),
                        (":from".into(), s(touch.state.as_str())),
                        (":why".into(), s(summary)),
                    ],
                )?);
            }
        }
        if let Some((kind, value)) = suppress {
            let mut i = Self::key(
                keys::suppression(tenant),
                format!("{}#{}", kind.as_str(), value),
            );
            i.insert("reason".into(), s(summary));
            i.insert("added_at".into(), s(ts(now)));
            items.push(self.put_tx(i, None, vec![])?);
        }
        if let Some(field) = rate_field {
            items.push(self.update_tx(
                Self::key(
                    keys::rates(tenant),
                    crate::domain::safety::breaker::hour_bucket(now),
                ),
                "ADD #f :one SET #ttl = :ttl",
                None,
                &[("#f", field), ("#ttl", "ttl")],
                vec![
                    (":one".into(), n(1)),
                    (":ttl".into(), n(now.timestamp() + 3 * DAY_SECS)),
                ],
            )?);
        }
        match self.transact("apply_signal", items).await? {
            None => Ok(ApplyOutcome::Applied),
            Some(codes) => {
                let failed =
                    |i: usize| codes.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
                if failed(0) {
                    Ok(ApplyOutcome::Duplicate)
                } else if token_idx.is_some_and(failed) {
                    Ok(ApplyOutcome::Replay)
                } else {
                    Ok(ApplyOutcome::Contended)
                }
            }
        }
    }

    /// Was the event applied but its bus publication not yet confirmed?
    pub async fn event_unpublished(
        &self,
        tenant: &str,
        provider: &str,
        event_id: &str,
    ) -> Result<bool> {
        Ok(self
            .get(keys::webhook_event(tenant, provider, event_id), "EVENT")
            .await?
            .and_then(|i| i.get("published").and_then(|v| v.as_bool().ok()).copied())
            == Some(false))
    }

    pub async fn mark_published(&self, tenant: &str, provider: &str, event_id: &str) -> Result<()> {
        let tx = self.update_tx(
            Self::key(keys::webhook_event(tenant, provider, event_id), "EVENT"),
            "SET published = :t",
            Some("attribute_exists(PK)"),
            &[],
            vec![(":t".into(), AttributeValue::Bool(true))],
        )?;
        self.transact("mark_published", vec![tx]).await?;
        Ok(())
    }

    // ----------------------------------------------------- rates and counters

    /// Hourly buckets `labels` (e.g. the last 24 hours), missing ones as zero.
    pub async fn rate_buckets(&self, tenant: &str, labels: &[String]) -> Result<Vec<RateBucket>> {
        let (Some(first), Some(last)) = (labels.iter().min(), labels.iter().max()) else {
            return Ok(vec![]);
        };
        self.spend()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :a AND :b")
            .expression_attribute_values(":pk", s(keys::rates(tenant)))
            .expression_attribute_values(":a", s(first.clone()))
            .expression_attribute_values(":b", s(last.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk("query rates"))?;
        let num = |i: &Item, k: &str| {
            i.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(out
            .items
            .unwrap_or_default()
            .iter()
            .map(|i| RateBucket {
                sends: num(i, "sends"),
                bounces: num(i, "bounces"),
                complaints: num(i, "complaints"),
            })
            .collect())
    }

    // ------------------------------------------------------------ providers
}

/// How much of a webhook's body is kept with its event: enough to read it,
/// never enough to pass DynamoDB's item limit.
pub const RAW_KEPT_BYTES: usize = 64 * 1024;

fn kept_raw(raw: &str) -> &str {
    if raw.len() <= RAW_KEPT_BYTES {
        return raw;
    }
    let mut end = RAW_KEPT_BYTES;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    &raw[..end]
}

impl Store {
    /// Claims a webhook token that carries no event we apply (an ignored
    /// event type): single use holds whatever the event's outcome. True if
    /// this is its first use, or a redelivery of the same body.
    pub async fn claim_webhook_token(
        &self,
        provider: &str,
        token: &str,
        body_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut i = Self::key(keys::webhook_token(provider, token), "TOKEN");
        i.insert("event_id".into(), s(format!("body:{body_digest}")));
        i.insert("ttl".into(), n(now.timestamp() + 90 * DAY_SECS));
        self.spend()?;
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(i))
            .condition_expression("attribute_not_exists(PK) OR event_id = :eid")
            .expression_attribute_values(":eid", s(format!("body:{body_digest}")))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(crate::error::Error::store(
                "claim_webhook_token",
                aws_sdk_dynamodb::error::DisplayErrorContext(e),
            )),
        }
    }

    /// Does this tenant exist? (One read of its registry entry.)
    pub async fn tenant_exists(&self, tenant: &str) -> Result<bool> {
        Ok(self
            .get(keys::REGISTRY.to_string(), &keys::tenant(tenant))
            .await?
            .is_some())
    }
}
