//! Scheduled prospecting, the pure part: the people-search filters a tenant
//! configures, and the pacing of a monthly lead quota over the days of the
//! month (SPEC §8).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The filters of a people search, as a tenant's prospecting config carries
/// them; serialized as the body of Apollo's people search (names as in its
/// API reference). Empty filters are left out of the request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PeopleSearchFilters {
    /// Job titles, any of which a person may hold ("owner", "general manager").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub person_titles: Vec<String>,
    /// Also match similar titles (the API's default is true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_similar_titles: Option<bool>,
    /// owner, founder, c_suite, partner, vp, head, director, manager, senior,
    /// entry, intern.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub person_seniorities: Vec<String>,
    /// Where people live ("arizona", "texas, us").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub person_locations: Vec<String>,
    /// Where their employer has its HQ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organization_locations: Vec<String>,
    /// Employer headcount ranges as "min,max" ("11,50").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organization_num_employees_ranges: Vec<String>,
    /// Employer keyword tags ("used car dealer").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub q_organization_keyword_tags: Vec<String>,
    /// Employer domains, without `www.`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub q_organization_domains_list: Vec<String>,
    /// verified, unverified, likely to engage, unavailable.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact_email_status: Vec<String>,
    /// Free-text keywords.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_keywords: Option<String>,
}

/// Days in the month of `date`.
pub fn days_in_month(date: NaiveDate) -> u32 {
    let (y, m) = (date.year(), date.month());
    let first_next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .expect("valid date");
    first_next.pred_opt().expect("valid date").day()
}

/// How many new leads may be pulled now: by the end of day `d` of a month
/// of `n` days, at most `ceil(quota * d / n)` in total, so the quota is
/// spread evenly and an unused day's share rolls forward. Capped by
/// `page_size` per run.
pub fn paced_allowance(
    quota: u32,
    pulled_this_month: u32,
    page_size: u32,
    now: DateTime<Utc>,
) -> u32 {
    let today = now.date_naive();
    let n = u64::from(days_in_month(today));
    let d = u64::from(today.day());
    let target = (u64::from(quota) * d).div_ceil(n) as u32;
    target.saturating_sub(pulled_this_month).min(page_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn a_quota_is_spread_over_the_month() {
        // 300 a month in a 30-day month: 10 a day.
        assert_eq!(paced_allowance(300, 0, 100, at(2026, 11, 1)), 10);
        assert_eq!(paced_allowance(300, 10, 100, at(2026, 11, 1)), 0);
        assert_eq!(paced_allowance(300, 10, 100, at(2026, 11, 2)), 10);
        // a missed day's share rolls forward, within the page size
        assert_eq!(paced_allowance(300, 0, 25, at(2026, 11, 3)), 25);
        assert_eq!(paced_allowance(300, 300, 25, at(2026, 11, 30)), 0);
        assert_eq!(
            days_in_month(NaiveDate::from_ymd_opt(2028, 2, 10).unwrap()),
            29
        );
        assert_eq!(
            days_in_month(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            31
        );
    }

    proptest! {
        #[test]
        fn pulling_every_allowance_never_exceeds_the_quota_and_uses_it_all(
            quota in 0u32..5000, page in 1u32..200, month in 1u32..=12,
        ) {
            let mut pulled = 0;
            let days = days_in_month(NaiveDate::from_ymd_opt(2026, month, 1).unwrap());
            for day in 1..=days {
                // 96 runs a day (every 15 minutes)
                for _ in 0..96 {
                    pulled += paced_allowance(quota, pulled, page, at(2026, month, day));
                }
                let share = (u64::from(quota) * u64::from(day)).div_ceil(u64::from(days)) as u32;
                prop_assert!(pulled <= share);
            }
            prop_assert!(pulled <= quota);
            prop_assert!(page * 96 < quota / days || pulled == quota);
        }
    }
}
