//! Recipient-local send windows: when a touch may go out, and when the next
//! opening is, across DST changes and zones without DST.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A daily window `[start, end)` in the recipient's local time, on `days`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub days: Vec<Weekday>,
}

impl SendWindow {
    pub fn business_days(sh: u32, sm: u32, eh: u32, em: u32) -> Self {
        Self {
            start: NaiveTime::from_hms_opt(sh, sm, 0).expect("valid start"),
            end: NaiveTime::from_hms_opt(eh, em, 0).expect("valid end"),
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
        }
    }

    /// 24/7: every day, the whole day.
    pub fn always() -> Self {
        Self {
            start: NaiveTime::MIN,
            end: NaiveTime::MIN,
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ],
        }
    }

    /// "Mon-Fri 08:00-18:00" style, for briefs and the control plane.
    pub fn describe(&self) -> String {
        let days: Vec<String> = self.days.iter().map(|d| d.to_string()).collect();
        format!(
            "{} {}-{}",
            days.join(","),
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.days.is_empty() {
            return Err("a window needs at least one day".into());
        }
        if self.end <= self.start && !self.is_all_day() {
            return Err("end must be after start (00:00-00:00 means all day)".into());
        }
        Ok(())
    }

    fn is_all_day(&self) -> bool {
        self.start == NaiveTime::MIN && self.end == NaiveTime::MIN
    }

    fn local_bounds(&self, tz: Tz, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.days.contains(&date.weekday()) {
            return None;
        }
        let start = resolve_local(tz, date, self.start)?;
        let end = if self.is_all_day() {
            resolve_local(tz, date.succ_opt()?, NaiveTime::MIN)?
        } else {
            resolve_local(tz, date, self.end)?
        };
        Some((start, end))
    }

    /// Is `now` inside the window in zone `tz`?
    pub fn is_open(&self, now: DateTime<Utc>, tz: Tz) -> bool {
        let date = now.with_timezone(&tz).date_naive();
        self.local_bounds(tz, date)
            .is_some_and(|(s, e)| now >= s && now < e)
    }

    /// The current window `[start, end)` if open now, else the next one.
    pub fn current_or_next(&self, now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let today = now.with_timezone(&tz).date_naive();
        for offset in 0..15 {
            let date = today + Duration::days(offset);
            if let Some((s, e)) = self.local_bounds(tz, date) {
                if now < e {
                    return (s.max(now), e);
                }
            }
        }
        // Unreachable for a validated window (some weekday matches within a week).
        (
            now + Duration::days(7),
            now + Duration::days(7) + Duration::hours(1),
        )
    }

    /// When a touch due at `due` may go out: `due` itself if the window is
    /// open, else the next opening, plus a humanising delay (deterministic per
    /// `seed`) that never leaves the window.
    pub fn schedule(
        &self,
        due: DateTime<Utc>,
        tz: Tz,
        seed: u64,
        jitter_max_secs: u32,
    ) -> DateTime<Utc> {
        let (start, end) = self.current_or_next(due, tz);
        if start == due {
            return due;
        }
        let room = (end - start).num_seconds().max(1) as u64 - 1;
        let jitter = if jitter_max_secs == 0 {
            0
        } else {
            seed % (u64::from(jitter_max_secs).min(room) + 1)
        };
        start + Duration::seconds(jitter as i64)
    }
}

/// Local wall time -> UTC, robust to DST gaps (use the instant after the gap)
/// and folds (use the earlier instant).
fn resolve_local(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => {
            // In a spring-forward gap: walk forward minute by minute.
            (1..=180).find_map(
                |m| match tz.from_local_datetime(&(naive + Duration::minutes(m))) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                        Some(t.with_timezone(&Utc))
                    }
                    LocalResult::None => None,
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::{New_York, Phoenix};
    use chrono_tz::Pacific::Honolulu;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn email_window_is_nine_to_eleven_recipient_local() {
        let w = SendWindow::business_days(9, 0, 11, 0);
        // Monday 2026-11-23, 14:30 UTC = 09:30 New York (EST), 07:30 Phoenix.
        let now = utc("2026-11-23T14:30:00Z");
        assert!(w.is_open(now, New_York));
        assert!(!w.is_open(now, Phoenix));
        assert!(!w.is_open(now, Honolulu));
    }

    #[test]
    fn weekends_are_closed_and_next_opening_is_monday() {
        let w = SendWindow::business_days(9, 0, 11, 0);
        let sat = utc("2026-11-21T15:00:00Z");
        assert!(!w.is_open(sat, New_York));
        let (start, _) = w.current_or_next(sat, New_York);
        assert_eq!(start, utc("2026-11-23T14:00:00Z"));
    }

    #[test]
    fn arizona_keeps_its_offset_when_new_york_changes() {
        let w = SendWindow::business_days(9, 0, 11, 0);
        // Before and after the 2026-03-08 US DST change, 09:00 Phoenix = 16:00 UTC.
        for day in ["2026-03-06T16:00:00Z", "2026-03-09T16:00:00Z"] {
            assert!(w.is_open(utc(day), Phoenix));
        }
        // New York 09:00 is 14:00 UTC before, 13:00 UTC after.
        assert!(w.is_open(utc("2026-03-06T14:00:00Z"), New_York));
        assert!(w.is_open(utc("2026-03-09T13:00:00Z"), New_York));
        assert!(!w.is_open(utc("2026-03-09T12:59:00Z"), New_York));
    }

    #[test]
    fn all_day_window_is_always_open() {
        let w = SendWindow::always();
        assert!(w.is_open(utc("2026-11-21T03:00:00Z"), Honolulu));
    }

    proptest! {
        #[test]
        fn scheduled_time_is_inside_the_window_and_not_before_due(
            secs in 0i64..(400 * 86_400), seed in any::<u64>(), jitter in 0u32..3600,
            zone in 0usize..4,
        ) {
            let zones = [New_York, Phoenix, Honolulu, chrono_tz::Australia::Sydney];
            let tz = zones[zone];
            let w = SendWindow::business_days(9, 0, 11, 0);
            let due = utc("2026-01-01T00:00:00Z") + Duration::seconds(secs);
            let at = w.schedule(due, tz, seed, jitter);
            prop_assert!(at >= due);
            prop_assert!(w.is_open(at, tz), "{at} not open in {tz}");
        }
    }
}
