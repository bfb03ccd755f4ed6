//! Warmup ramps: which row of a sending domain's schedule is active today,
//! and ramps generated from a domain's age.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmupRow {
    pub week: u32,
    pub starts_at: NaiveDate,
    pub daily_cap: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowPhase {
    Past,
    Active,
    Upcoming,
}

/// The active row: the one with the latest `starts_at <= today`.
pub fn active_row(rows: &[WarmupRow], today: NaiveDate) -> Option<&WarmupRow> {
    rows.iter()
        .filter(|r| r.starts_at <= today)
        .max_by_key(|r| r.starts_at)
}

/// The email cap of a domain today: the active warmup row, else (no ramp at
/// all) the post-warmup cap. A domain whose ramp starts in the future has
/// cap 0: it is not warmed yet.
pub fn domain_daily_cap(rows: &[WarmupRow], today: NaiveDate, after_warmup: u32) -> u32 {
    match active_row(rows, today) {
        Some(row) => row.daily_cap,
        None if rows.is_empty() => after_warmup,
        None => 0,
    }
}

/// A sending domain's email cap today: its warmup rows; without rows but
/// with the day it was first used, SPEC §8's ramp by its age (the
/// post-warmup cap from day 22); with neither, the post-warmup cap.
pub fn sending_domain_cap(
    domain: &crate::domain::tenant::SendingDomain,
    today: NaiveDate,
    after_warmup: u32,
) -> u32 {
    match (domain.warmup.is_empty(), domain.first_used) {
        (true, Some(first)) if today < first => 0,
        (true, Some(first)) => {
            let age = (today - first).num_days() + 1;
            if age >= 22 {
                after_warmup
            } else {
                cap_for_domain_age(age as u32)
            }
        }
        _ => domain_daily_cap(&domain.warmup, today, after_warmup),
    }
}

pub fn phase(rows: &[WarmupRow], row: &WarmupRow, today: NaiveDate) -> RowPhase {
    match active_row(rows, today) {
        Some(active) if active == row => RowPhase::Active,
        _ if row.starts_at > today => RowPhase::Upcoming,
        _ => RowPhase::Past,
    }
}

/// The ramp of a sending domain added to a running tenant: the rows it was
/// given, else SPEC §8's age-based ramp from the day it was first used
/// (`since`; today for a domain nobody has sent from).
pub fn ramp_for_new_domain(given: &[WarmupRow], since: NaiveDate) -> Vec<WarmupRow> {
    if !given.is_empty() {
        return given.to_vec();
    }
    [1u32, 4, 8, 15, 22]
        .iter()
        .enumerate()
        .map(|(i, day)| WarmupRow {
            week: i as u32 + 1,
            starts_at: since + chrono::Duration::days(i64::from(day - 1)),
            daily_cap: cap_for_domain_age(*day),
        })
        .collect()
}

/// SPEC §8 age-based ramp: days 1-3: 5, 4-7: 10, 8-14: 20, 15-21: 35, 22+: 50.
pub fn cap_for_domain_age(age_days: u32) -> u32 {
    match age_days {
        0..=3 => 5,
        4..=7 => 10,
        8..=14 => 20,
        15..=21 => 35,
        _ => 50,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ramp() -> Vec<WarmupRow> {
        [20, 40, 60, 80, 150]
            .iter()
            .enumerate()
            .map(|(i, c)| WarmupRow {
                week: i as u32 + 1,
                starts_at: d("2026-11-02") + chrono::Duration::days(7 * i as i64),
                daily_cap: *c,
            })
            .collect()
    }

    #[test]
    fn given_a_domain_with_no_rows_but_a_first_day_then_it_ramps_by_age() {
        let mut domain = crate::domain::tenant::SendingDomain {
            domain: "x.example".into(),
            warmup: vec![],
            first_used: Some(d("2026-12-01")),
        };
        let cap = |day: &str, dom: &crate::domain::tenant::SendingDomain| {
            sending_domain_cap(dom, d(day), 50)
        };
        assert_eq!(cap("2026-11-30", &domain), 0, "not in use yet");
        assert_eq!(cap("2026-12-01", &domain), 5);
        assert_eq!(cap("2026-12-04", &domain), 10);
        assert_eq!(cap("2026-12-08", &domain), 20);
        assert_eq!(cap("2026-12-15", &domain), 35);
        assert_eq!(cap("2026-12-22", &domain), 50);
        domain.warmup = ramp();
        assert_eq!(cap("2026-12-08", &domain), 150, "its own rows win");
        domain.warmup.clear();
        domain.first_used = None;
        assert_eq!(cap("2026-12-08", &domain), 50, "nothing known: post-warmup");
    }

    #[test]
    fn active_row_is_latest_started() {
        let rows = ramp();
        assert_eq!(active_row(&rows, d("2026-11-02")).unwrap().daily_cap, 20);
        assert_eq!(active_row(&rows, d("2026-11-10")).unwrap().daily_cap, 40);
        assert_eq!(active_row(&rows, d("2027-03-01")).unwrap().daily_cap, 150);
        assert!(active_row(&rows, d("2026-11-01")).is_none());
    }

    #[test]
    fn a_new_domain_without_rows_ramps_by_its_age() {
        let rows = ramp_for_new_domain(&[], d("2026-12-01"));
        let cap = |day: &str| domain_daily_cap(&rows, d(day), 50);
        assert_eq!(cap("2026-11-30"), 0, "not before its first day");
        assert_eq!(cap("2026-12-01"), 5);
        assert_eq!(cap("2026-12-04"), 10);
        assert_eq!(cap("2026-12-08"), 20);
        assert_eq!(cap("2026-12-15"), 35);
        assert_eq!(cap("2026-12-22"), 50);
        assert_eq!(ramp_for_new_domain(&ramp(), d("2026-12-01")), ramp());
    }

    #[test]
    fn caps_before_during_and_without_a_ramp() {
        let rows = ramp();
        assert_eq!(domain_daily_cap(&rows, d("2026-10-01"), 50), 0);
        assert_eq!(domain_daily_cap(&rows, d("2026-11-17"), 50), 60);
        assert_eq!(domain_daily_cap(&[], d("2026-11-17"), 50), 50);
    }

    #[test]
    fn phases() {
        let rows = ramp();
        let today = d("2026-11-10");
        let phases: Vec<_> = rows.iter().map(|r| phase(&rows, r, today)).collect();
        assert_eq!(
            phases,
            vec![
                RowPhase::Past,
                RowPhase::Active,
                RowPhase::Upcoming,
                RowPhase::Upcoming,
                RowPhase::Upcoming
            ]
        );
    }

    #[test]
    fn age_ramp() {
        assert_eq!(
            [1, 3, 4, 7, 8, 14, 15, 21, 22, 400].map(cap_for_domain_age),
            [5, 5, 10, 10, 20, 20, 35, 35, 50, 50]
        );
    }
}
