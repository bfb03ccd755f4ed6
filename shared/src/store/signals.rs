//! Provider signals applied once, their publication to the bus, and the hourly rate buckets.

use super::*;
use crate::domain::safety::breaker::RateBucket;
use crate::domain::signals::effects::{Plan, SMS_STOP_REASON};
use crate::domain::signals::Signal;
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
    /// Applies a provider event once: the dedup record, the token record,
    /// the lead (version-checked), its ended touches, the suppression
    /// entries written (each only if absent) and lifted (each only if a
    /// STOP wrote it), the rate bucket and the timeline, in one transaction.
    /// `lead_version` is the version `plan.lead` was read at.
    pub async fn apply_signal(
        &self,
        signal: &Signal,
        token: Option<&str>,
        raw: &str,
        plan: &Plan,
        lead_version: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<ApplyOutcome> {
        let tenant = signal.tenant.as_str();
        let (provider, event_id) = (signal.provider.as_str(), signal.event_id.as_str());
        let keep = n(now.timestamp() + 90 * DAY_SECS);
        let mut ev = Self::key(keys::webhook_event(tenant, provider, event_id), "EVENT");
        ev.insert("raw".into(), s(kept_raw(raw)));
        ev.insert("received_at".into(), s(ts(now)));
        ev.insert("summary".into(), s(&plan.summary));
        ev.insert("kind".into(), s(signal.kind.as_str()));
        ev.insert("published".into(), AttributeValue::Bool(false));
        ev.insert("ttl".into(), keep.clone());
        let mut items = vec![self.put_tx(ev, Some("attribute_not_exists(PK)"), vec![])?];
        let token_idx = token.map(|_| items.len());
        if let Some(tok) = token {
            let mut i = Self::key(keys::webhook_token(provider, tok), "TOKEN");
            i.insert("event_id".into(), s(event_id));
            i.insert("tenant".into(), s(tenant));
            i.insert("ttl".into(), keep.clone());
            items.push(self.put_tx(
                i,
                Some("attribute_not_exists(PK) OR event_id = :eid"),
                vec![(":eid", s(event_id))],
            )?);
        }
        if let (Some(lead), Some(old_version)) = (&plan.lead, lead_version) {
            let mut lead = lead.clone();
            lead.version = old_version + 1;
            lead.updated_at = now;
            items.push(self.put_tx(
                self.lead_item(&lead)?,
                Some("version = :v"),
                vec![(":v", n(old_version))],
            )?);
            // The timeline names the event it came from: erasing the lead
            // finds the event (and the raw payload kept with it) from here.
            let mut event = Self::event_item(tenant, &lead.id, now, "signal", &plan.summary)?;
            event.insert(
                WEBHOOK_EVENT_ATTR.into(),
                s(keys::webhook_event(tenant, provider, event_id)),
            );
            items.push(self.put_tx(event, None, vec![])?);
            // The campaign's results count what the signal changed, with
            // the lead that marks it counted.
            items.extend(self.tally_items(tenant, &plan.results)?);
            for (touch, to) in &plan.end {
                items.push(self.update_tx(
                    Self::key(keys::lead(tenant, &lead.id), keys::touch_sk(touch.step)),
                    "SET #state = :to, end_reason = :why REMOVE DuePK, DueSK, GSI1PK, GSI1SK",
                    Some("#state = :from"),
                    &[("#state", "state")],
                    vec![
                        (":to".into(), s(to.as_str())),
                        (":from".into(), s(touch.state.as_str())),
                        (":why".into(), s(&plan.summary)),
                    ],
                )?);
            }
        }
        for (kind, value) in &plan.suppress {
            let mut i = Self::key(
                keys::suppression(tenant),
                format!("{}#{}", kind.as_str(), value),
            );
            i.insert("reason".into(), s(&plan.suppress_reason));
            i.insert("added_at".into(), s(ts(now)));
            // An entry already there keeps its own reason: a STOP must not
            // make an operator's entry liftable by START.
            items.push(self.put_tx(i, Some("attribute_not_exists(PK)"), vec![])?);
        }
        for (kind, value) in &plan.lift {
            items.push(self.delete_tx(
                Self::key(
                    keys::suppression(tenant),
                    format!("{}#{}", kind.as_str(), value),
                ),
                Some("begins_with(reason, :stop)"),
                vec![(":stop".into(), s(SMS_STOP_REASON))],
            )?);
        }
        // The tenant's hour counts every signal by kind (and a reply by
        // class) for the status report, and the rates the breaker reads;
        // the sending domain's hour the rates its health reads.
        let mut fields = vec![format!("sig_{}", signal.kind.as_str())];
        if let Some(r) = &signal.reply {
            fields.push(format!("reply_{}", r.class.as_str()));
        }
        fields.extend(plan.rate_field.map(str::to_string));
        for (i, bucket) in rate_scopes(tenant, signal.sender_domain.as_deref())
            .into_iter()
            .enumerate()
        {
            let fields: Vec<&String> = if i == 0 {
                fields.iter().collect()
            } else {
                match fields.last().filter(|_| plan.rate_field.is_some()) {
                    Some(f) => vec![f],
                    None => continue,
                }
            };
            let names: Vec<(String, &str)> = fields
                .iter()
                .enumerate()
                .map(|(j, f)| (format!("#f{j}"), f.as_str()))
                .collect();
            let adds: Vec<String> = (0..names.len()).map(|j| format!("#f{j} :one")).collect();
            let mut name_refs: Vec<(&str, &str)> =
                names.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            name_refs.push(("#ttl", "ttl"));
            items.push(self.update_tx(
                Self::key(bucket, crate::domain::safety::breaker::hour_bucket(now)),
                &format!("ADD {} SET #ttl = :ttl", adds.join(", ")),
                None,
                &name_refs,
                vec![
                    (":one".into(), n(1)),
                    (":ttl".into(), n(now.timestamp() + 8 * DAY_SECS)),
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

    /// Takes the right to publish an applied event: one caller at a time
    /// (a lease, so a publisher that died is replaced), none once it is
    /// published. Concurrent redeliveries publish it once.
    pub async fn claim_publication(
        &self,
        tenant: &str,
        provider: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.update_tx(
            Self::key(keys::webhook_event(tenant, provider, event_id), "EVENT"),
            "SET publishing_until = :until",
            Some("published = :f AND (attribute_not_exists(publishing_until) OR publishing_until < :now)"),
            &[],
            vec![
                (":until".into(), s(ts(now + chrono::Duration::seconds(PUBLISH_LEASE_SECS)))),
                (":now".into(), s(ts(now))),
                (":f".into(), AttributeValue::Bool(false)),
            ],
        )?;
        Ok(self
            .transact("claim_publication", vec![tx])
            .await?
            .is_none())
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
        self.rate_buckets_of(keys::rates(tenant), labels).await
    }

    /// One sending domain's hourly buckets (domain health).
    pub async fn domain_rate_buckets(
        &self,
        tenant: &str,
        domain: &str,
        labels: &[String],
    ) -> Result<Vec<RateBucket>> {
        self.rate_buckets_of(domain_rates(tenant, domain), labels)
            .await
    }

    /// Every count of the tenant's hours `labels`, summed by field: sends
    /// per channel, signals by kind, replies by class (the status report).
    pub async fn hour_counts(
        &self,
        tenant: &str,
        labels: &[String],
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut out = std::collections::BTreeMap::new();
        for i in self.hour_items(keys::rates(tenant), labels).await? {
            for (k, v) in &i {
                if matches!(k.as_str(), "PK" | "SK" | "ttl") {
                    continue;
                }
                if let Some(x) = v.as_n().ok().and_then(|x| x.parse::<u64>().ok()) {
                    *out.entry(k.clone()).or_default() += x;
                }
            }
        }
        Ok(out)
    }

    async fn rate_buckets_of(&self, pk: String, labels: &[String]) -> Result<Vec<RateBucket>> {
        let num = |i: &Item, k: &str| {
            i.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(self
            .hour_items(pk, labels)
            .await?
            .iter()
            .map(|i| RateBucket {
                sends: num(i, "sends"),
                bounces: num(i, "bounces"),
                complaints: num(i, "complaints"),
                unsubscribes: num(i, "unsubscribes"),
            })
            .collect())
    }

    /// The hourly items of partition `pk` from the first to the last of
    /// `labels`, in one query (a week of hours is a few KiB).
    pub(super) async fn hour_items(&self, pk: String, labels: &[String]) -> Result<Vec<Item>> {
        let (Some(first), Some(last)) = (labels.iter().min(), labels.iter().max()) else {
            return Ok(vec![]);
        };
        self.spend()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :a AND :b")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":a", s(first.clone()))
            .expression_attribute_values(":b", s(last.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk("query rates"))?;
        Ok(out.items.unwrap_or_default())
    }

    // ------------------------------------------------------------ providers
}

/// The attribute of a lead's timeline event that holds the partition key
/// of the webhook event it was applied from.
pub(crate) const WEBHOOK_EVENT_ATTR: &str = "webhook_event";

/// How long a publisher holds an event before another may publish it.
pub const PUBLISH_LEASE_SECS: i64 = 60;

/// The rate buckets a bounce or complaint counts in: the tenant's (the
/// breaker) and, when known, its sending domain's (domain health).
fn rate_scopes(tenant: &str, domain: Option<&str>) -> Vec<String> {
    let mut out = vec![keys::rates(tenant)];
    if let Some(d) = domain.filter(|d| !d.is_empty()) {
        out.push(domain_rates(tenant, d));
    }
    out
}

/// The partition of one sending domain's hourly rate buckets.
pub(crate) fn domain_rates(tenant: &str, domain: &str) -> String {
    format!("{}#{}", keys::rates(tenant), domain.to_ascii_lowercase())
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

    /// The lead a campaign claimed `key` (`phone#+1...`, `email#...`) for.
    pub async fn lead_by_reach(&self, tenant: &str, key: &str) -> Result<Option<String>> {
        Ok(self
            .get(keys::tenant(tenant), &format!("REACH#{key}"))
            .await?
            .and_then(|i| i.get("lead_id").and_then(|v| v.as_s().ok()).cloned()))
    }
}
