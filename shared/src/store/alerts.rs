//! Operator alerts sent once: a row per alert key claims it for a period,
//! so a failing channel alerts when it starts failing, not every minute;
//! and an hourly count of a tenant's send errors.

use super::*;
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// Claims alert `key` of `tenant` until `until`: true for the first
    /// caller (who sends the alert), false while the claim lasts.
    pub async fn claim_alert(
        &self,
        tenant: &str,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut i = Self::key(keys::alerts(tenant), key);
        i.insert("at".into(), s(ts(now)));
        i.insert("until".into(), n(until.timestamp()));
        i.insert("ttl".into(), n((until + Duration::days(1)).timestamp()));
        self.spend()?;
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(i))
            .condition_expression("attribute_not_exists(PK) OR #until < :now")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(crate::error::Error::store(
                "claim_alert",
                aws_sdk_dynamodb::error::DisplayErrorContext(e),
            )),
        }
    }

    /// Counts one send error of `tenant` in the hour of `now`; returns the
    /// hour's count so far.
    pub async fn count_send_error(&self, tenant: &str, now: DateTime<Utc>) -> Result<u32> {
        self.spend()?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                keys::send_errors(tenant),
                crate::domain::safety::breaker::hour_bucket(now),
            )))
            .update_expression("ADD n :one SET #ttl = :ttl")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(now.timestamp() + 2 * DAY_SECS))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| {
                crate::error::Error::store(
                    "count_send_error",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e),
                )
            })?;
        Ok(out
            .attributes()
            .and_then(|a| a.get("n"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Counts `count` errors of `function` in the hour of `now`.
    pub async fn count_function_errors(
        &self,
        function: &str,
        count: u32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.spend()?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                keys::send_errors("ops"),
                format!(
                    "{}#{function}",
                    crate::domain::safety::breaker::hour_bucket(now)
                ),
            )))
            .update_expression("ADD n :n SET #ttl = :ttl")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":n", n(count))
            .expression_attribute_values(":ttl", n(now.timestamp() + 2 * DAY_SECS))
            .send()
            .await
            .map_err(|e| {
                crate::error::Error::store(
                    "count_function_errors",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e),
                )
            })?;
        Ok(())
    }

    /// `(function, hour, errors)` of every function and hour with errors,
    /// in one batch read.
    pub async fn function_errors(
        &self,
        functions: &[&str],
        hours: &[String],
    ) -> Result<Vec<(String, String, u32)>> {
        let wanted: Vec<Item> = hours
            .iter()
            .flat_map(|h| {
                functions
                    .iter()
                    .map(move |f| Self::key(keys::send_errors("ops"), format!("{h}#{f}")))
            })
            .collect();
        Ok(self
            .batch_get(wanted)
            .await?
            .iter()
            .filter_map(|i| {
                let sk = i.get("SK")?.as_s().ok()?;
                let (hour, function) = sk.split_once('#')?;
                let count = i.get("n")?.as_n().ok()?.parse().ok()?;
                Some((function.to_string(), hour.to_string(), count))
            })
            .collect())
    }

    /// The tenant's send errors over the hours `labels`.
    pub async fn send_errors_in(&self, tenant: &str, labels: &[String]) -> Result<u64> {
        Ok(self
            .hour_items(keys::send_errors(tenant), labels)
            .await?
            .iter()
            .filter_map(|i| i.get("n")?.as_n().ok()?.parse::<u64>().ok())
            .sum())
    }
}
