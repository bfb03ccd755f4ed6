//! The schedules of the template's functions, as the local runner fires
//! them on its simulated clock.

use chrono::{DateTime, Duration, Utc};

/// `rate(N unit)` or `cron(M H * * ? *)` (the subset the template uses).
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Rate(Duration),
    Daily { hour: u32, minute: u32 },
}

impl Schedule {
    pub fn parse(expr: &str) -> Result<Self, String> {
        if let Some(inner) = expr.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
            let (n, unit) = inner
                .trim()
                .split_once(' ')
                .ok_or_else(|| format!("bad rate {expr}"))?;
            let n: i64 = n.parse().map_err(|_| format!("bad rate {expr}"))?;
            let d = match unit.trim_end_matches('s') {
                "minute" => Duration::minutes(n),
                "hour" => Duration::hours(n),
                "day" => Duration::days(n),
                _ => return Err(format!("bad rate unit in {expr}")),
            };
            return Ok(Schedule::Rate(d));
        }
        if let Some(inner) = expr.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
            let f: Vec<&str> = inner.split_whitespace().collect();
            if f.len() == 6 && f[2..].iter().all(|x| *x == "*" || *x == "?") {
                let minute = f[0]
                    .parse()
                    .map_err(|_| format!("unsupported cron {expr}"))?;
                let hour = f[1]
                    .parse()
                    .map_err(|_| format!("unsupported cron {expr}"))?;
                return Ok(Schedule::Daily { hour, minute });
            }
            return Err(format!("unsupported cron {expr} (only daily M H * * ? *)"));
        }
        Err(format!("unknown schedule {expr}"))
    }

    /// The first firing strictly after `t` (rates aligned to the epoch).
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Schedule::Rate(d) => {
                let step = d.num_seconds().max(1);
                let next = (t.timestamp().div_euclid(step) + 1) * step;
                DateTime::from_timestamp(next, 0).expect("valid time")
            }
            Schedule::Daily { hour, minute } => {
                let today = t
                    .date_naive()
                    .and_hms_opt(*hour, *minute, 0)
                    .expect("valid time")
                    .and_utc();
                if today > t {
                    today
                } else {
                    today + Duration::days(1)
                }
            }
        }
    }
}
