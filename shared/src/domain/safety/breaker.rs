//! The bounce circuit breaker: the rolling bounce rate over hourly buckets,
//! and whether it trips.

use crate::domain::tenant::BreakerConfig;
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBucket {
    pub sends: u32,
    pub bounces: u32,
    pub complaints: u32,
    pub unsubscribes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerDecision {
    pub sends: u32,
    pub bounces: u32,
    pub complaints: u32,
    pub bounce_rate: f64,
    pub trip: bool,
    pub reason: String,
}

/// Hour-bucket label of an instant: `2026-11-21T13`.
pub fn hour_bucket(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

/// The labels of the `hours` buckets ending with the one holding `now`.
pub fn window_buckets(now: DateTime<Utc>, hours: u32) -> Vec<String> {
    let top = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .unwrap_or(now);
    (0..hours)
        .map(|h| hour_bucket(top - Duration::hours(i64::from(h))))
        .collect()
}

/// Trips when the rolling bounce rate is above the threshold with at least
/// `min_sends` sends in the window.
pub fn evaluate(buckets: &[RateBucket], cfg: &BreakerConfig) -> BreakerDecision {
    let sends: u32 = buckets.iter().map(|b| b.sends).sum();
    let bounces: u32 = buckets.iter().map(|b| b.bounces).sum();
    let complaints: u32 = buckets.iter().map(|b| b.complaints).sum();
    let bounce_rate = if sends == 0 {
        0.0
    } else {
        f64::from(bounces) / f64::from(sends)
    };
    let trip = sends >= cfg.min_sends && bounce_rate > cfg.bounce_rate_threshold;
    let reason = format!(
        "{}h bounce rate {:.1}% ({bounces}/{sends} sends), threshold {:.1}% with at least {} sends",
        cfg.window_hours,
        bounce_rate * 100.0,
        cfg.bounce_rate_threshold * 100.0,
        cfg.min_sends
    );
    BreakerDecision {
        sends,
        bounces,
        complaints,
        bounce_rate,
        trip,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BreakerConfig {
        BreakerConfig {
            bounce_rate_threshold: 0.05,
            min_sends: 10,
            window_hours: 24,
        }
    }

    fn b(sends: u32, bounces: u32) -> RateBucket {
        RateBucket {
            sends,
            bounces,
            ..RateBucket::default()
        }
    }

    #[test]
    fn trips_above_five_percent_with_enough_sends() {
        assert!(evaluate(&[b(10, 1), b(9, 0)], &cfg()).trip);
        assert!(
            !evaluate(&[b(20, 1)], &cfg()).trip,
            "exactly 5% does not trip"
        );
        assert!(!evaluate(&[b(9, 5)], &cfg()).trip, "too few sends");
    }

    #[test]
    fn window_has_one_label_per_hour() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T13:45:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let w = window_buckets(now, 24);
        assert_eq!(w.len(), 24);
        assert_eq!(w[0], "2026-11-21T13");
        assert_eq!(w[23], "2026-11-20T14");
    }
}
