//! Errors of every function, counted per function and hour: printed as the
//! `Errors` metric the template's CloudWatch alarm watches, and kept in
//! the store, where the breaker evaluator's schedule turns more than
//! `ERRORS_PER_HOUR_ALERT` in an hour into one Slack alert for that hour.

use crate::domain::safety::breaker::hour_bucket;
use crate::ports::Alerter;
use crate::store::Store;
use chrono::{DateTime, Duration, Utc};

/// More errors than this in one function in one hour alert (SPEC §10).
pub const ERRORS_PER_HOUR_ALERT: u32 = 10;

/// Every function whose errors are counted.
pub const FUNCTIONS: [&str; 9] = [
    "webhook-ingest",
    "enrich",
    "score",
    "craft",
    "dispatch-tick",
    "decay-cron",
    "breaker-evaluator",
    "prospect",
    "admin",
];

/// The `Errors` metric line (CloudWatch embedded metric format), with no
/// dimension so the alarm sees every function's errors together.
pub fn emf(function: &str, n: u32) -> String {
    serde_json::json!({
        "_aws": {"CloudWatchMetrics": [{"Namespace": "Outbound", "Dimensions": [[]],
                  "Metrics": [{"Name": "Errors", "Unit": "Count"}]}]},
        "Errors": n,
        "Function": function,
    })
    .to_string()
}

/// Counts `n` errors of `function` at `now`. Never fails its caller: a
/// count that cannot be written is logged (the metric line is printed).
pub async fn count_errors(store: &Store, function: &str, n: u32, now: DateTime<Utc>) {
    if n == 0 {
        return;
    }
    println!("{}", emf(function, n));
    if let Err(e) = store.count_function_errors(function, n, now).await {
        tracing::warn!(error = %e, function, "error count not written");
    }
}

/// Does an hour with `count` errors alert?
pub fn alerts(count: u32) -> bool {
    count > ERRORS_PER_HOUR_ALERT
}

/// Alerts once for each function and hour (this one and the one before,
/// so errors late in an hour are not missed) with more than the threshold.
/// Returns the alerts sent.
pub async fn alert_error_hours(
    store: &Store,
    alerter: &dyn Alerter,
    now: DateTime<Utc>,
) -> crate::error::Result<Vec<String>> {
    let hours = [hour_bucket(now - Duration::hours(1)), hour_bucket(now)];
    let counts = store.function_errors(&FUNCTIONS, &hours).await?;
    let mut sent = Vec::new();
    for (function, hour, count) in counts {
        if !alerts(count) {
            continue;
        }
        let key = format!("errors#{function}#{hour}");
        if !store
            .claim_alert("ops", &key, now, now + Duration::hours(2))
            .await?
        {
            continue;
        }
        let text = format!(
            "{function}: {count} errors in the hour from {hour}:00 UTC (more than {ERRORS_PER_HOUR_ALERT}); see its logs"
        );
        match alerter.alert("ops", &text).await {
            Ok(()) => sent.push(text),
            Err(e) => tracing::error!(error = %e, function, "error alert not sent"),
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_ten_in_an_hour_alerts_and_ten_does_not() {
        assert!(!alerts(10));
        assert!(alerts(11));
        let line: serde_json::Value = serde_json::from_str(&emf("score", 3)).unwrap();
        assert_eq!(line["Errors"], 3);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "Errors"
        );
    }
}
