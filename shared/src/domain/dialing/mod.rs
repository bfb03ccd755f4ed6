//! The dialing desk (SPEC §7-8): how a tenant's calls are paced, made
//! concurrent and capped, which lead is called next, and what a call's end
//! changes. Calls never go out as ordinary touches: a due call step joins
//! its tenant's call queue, and the desk dials from it.

pub mod outcome;
pub mod queue;

use crate::domain::dispatch::window::SendWindow;
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Calls and texts never start before this, recipient local time,
/// whatever the configuration says (SPEC §7).
pub const LEGAL_START: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => unreachable!(),
};
/// ... nor at or after this.
pub const LEGAL_END: NaiveTime = match NaiveTime::from_hms_opt(21, 0, 0) {
    Some(t) => t,
    None => unreachable!(),
};
/// A call campaign's calls start no earlier than this when it keeps the
/// tenant's windows (SPEC §7: 09:00-18:00 for call campaigns).
pub const CALL_CAMPAIGN_START: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => unreachable!(),
};

/// The desk's settings, per tenant (the concurrency is the tenant's: its
/// calls share one semaphore); a campaign may turn the after-hours
/// voicemail attempt on for its own leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialerSettings {
    /// Calls in flight at once, all campaigns together.
    pub max_concurrent: u32,
    /// At least this long between two calls from one number.
    pub min_gap_secs: u32,
    /// At most this many calls from one number in one clock hour.
    pub per_number_per_hour: u32,
    /// The provider cuts a call after this long.
    pub max_call_secs: u32,
    /// A slot whose call never reported its end is free again after this.
    pub slot_lease_secs: u32,
    /// How many of the best leads the queue considers (top-k by score).
    pub queue_size: u32,
    /// A lead outside its window may be called once, between its window
    /// and the legal hours, for a voicemail.
    pub after_hours_voicemail: bool,
    /// After no answer (or busy), the n-th redial of a day waits this
    /// many minutes; the last figure repeats.
    pub redial_backoff_mins: Vec<u32>,
}

impl Default for DialerSettings {
    fn default() -> Self {
        Self {
            max_concurrent: 5,
            min_gap_secs: 300,
            per_number_per_hour: 20,
            max_call_secs: 120,
            slot_lease_secs: 300,
            queue_size: 100,
            after_hours_voicemail: false,
            redial_backoff_mins: vec![30, 60, 120],
        }
    }
}

impl DialerSettings {
    /// The first bad field and why.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(1..=50).contains(&self.max_concurrent) {
            return Some(("dialer.max_concurrent", "must be 1-50".into()));
        }
        if !(60..=7_200).contains(&self.max_call_secs) {
            // Retell's own bounds for max_call_duration_ms: 1 minute to 2 hours.
            return Some(("dialer.max_call_secs", "must be 60-7200".into()));
        }
        if self.slot_lease_secs <= self.max_call_secs {
            return Some((
                "dialer.slot_lease_secs",
                "must be longer than max_call_secs (a call still running keeps its slot)".into(),
            ));
        }
        if self.per_number_per_hour == 0 {
            return Some(("dialer.per_number_per_hour", "must be at least 1".into()));
        }
        if self.queue_size == 0 || self.queue_size > 1_000 {
            return Some(("dialer.queue_size", "must be 1-1000".into()));
        }
        if self.redial_backoff_mins.is_empty() || self.redial_backoff_mins.contains(&0) {
            return Some((
                "dialer.redial_backoff_mins",
                "name at least one wait, each at least 1 minute".into(),
            ));
        }
        None
    }

    /// The calls one number can really make in an hour: the gap and the
    /// hourly target both bound it (with the SPEC's 5 minutes, 12).
    pub fn effective_per_number_per_hour(&self) -> u32 {
        let by_gap = 3_600 / self.min_gap_secs.max(1);
        by_gap.min(self.per_number_per_hour)
    }
}

/// A lead's own calling hours (`call_hours`, e.g. `10:00-16:00`): they
/// replace the campaign's window times, on the window's days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl CallHours {
    /// `HH:MM-HH:MM`, start before end.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("{s:?} is not HH:MM-HH:MM"))?;
        let t = |v: &str| {
            NaiveTime::parse_from_str(v.trim(), "%H:%M")
                .map_err(|_| format!("{:?} is not a time (HH:MM)", v.trim()))
        };
        let (start, end) = (t(a)?, t(b)?);
        if end <= start {
            return Err(format!("{s:?}: the end must be after the start"));
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for CallHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl TryFrom<String> for CallHours {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<CallHours> for String {
    fn from(h: CallHours) -> String {
        h.to_string()
    }
}

/// The window a lead may be called in: its own hours on the campaign
/// window's days (else the campaign's window), never outside 08:00-21:00.
pub fn call_window(campaign: &SendWindow, hours: Option<CallHours>) -> SendWindow {
    let (start, end) = match hours {
        Some(h) => (h.start, h.end),
        None if campaign.start == NaiveTime::MIN && campaign.end == NaiveTime::MIN => {
            (LEGAL_START, LEGAL_END)
        }
        None => (campaign.start, campaign.end),
    };
    let start = start.clamp(LEGAL_START, LEGAL_END);
    let end = end.clamp(LEGAL_START, LEGAL_END);
    SendWindow {
        start,
        // An empty window (hours wholly outside the legal ones) stays empty:
        // one minute at the legal edge would call someone who said not then.
        end: end.max(start),
        days: campaign.days.clone(),
    }
}

/// The two stretches around a lead's window where an after-hours
/// voicemail attempt may go: from 08:00 to its start, and from its end
/// to 21:00, on the same days.
pub fn after_hours_windows(window: &SendWindow) -> Vec<SendWindow> {
    let mut out = vec![];
    if window.start > LEGAL_START {
        out.push(SendWindow {
            start: LEGAL_START,
            end: window.start,
            days: window.days.clone(),
        });
    }
    if window.end < LEGAL_END {
        out.push(SendWindow {
            start: window.end.max(LEGAL_START),
            end: LEGAL_END,
            days: window.days.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn lead_hours_replace_the_campaign_window_inside_the_legal_hours() {
        let campaign = SendWindow::business_days(9, 0, 18, 0);
        let w = call_window(&campaign, Some(CallHours::parse("10:30-16:00").unwrap()));
        assert_eq!((w.start, w.end), (hm(10, 30), hm(16, 0)));
        assert_eq!(w.days, campaign.days);
        // Whatever the config says: never before 08:00 or after 21:00.
        let w = call_window(&campaign, Some(CallHours::parse("06:00-23:30").unwrap()));
        assert_eq!((w.start, w.end), (LEGAL_START, LEGAL_END));
        let w = call_window(&SendWindow::always(), None);
        assert_eq!((w.start, w.end), (LEGAL_START, LEGAL_END));
        let w = call_window(&campaign, Some(CallHours::parse("05:00-07:00").unwrap()));
        assert_eq!(w.start, w.end, "hours wholly before 08:00 leave no window");
    }

    #[test]
    fn after_hours_is_between_the_window_and_the_legal_hours() {
        let w = call_window(&SendWindow::business_days(9, 0, 18, 0), None);
        let around = after_hours_windows(&w);
        let spans: Vec<_> = around.iter().map(|w| (w.start, w.end)).collect();
        assert_eq!(spans, vec![(hm(8, 0), hm(9, 0)), (hm(18, 0), hm(21, 0))]);
        let whole = call_window(&SendWindow::business_days(8, 0, 21, 0), None);
        assert!(after_hours_windows(&whole).is_empty());
    }

    #[test]
    fn call_hours_come_in_with_an_import_and_a_bad_value_is_named() {
        use crate::domain::ids::TenantId;
        use crate::domain::targeting::intake::{csv_rows::parse_csv, IntakeContext};
        let csv = "email,phone,state,best time to call\n\
                   a@a.example,+12125550100,NY,10:00-16:00\n\
                   b@b.example,+12125550101,NY,after lunch\n";
        let parsed = parse_csv(
            &TenantId::parse("acme").unwrap(),
            &IntakeContext::default(),
            csv.as_bytes(),
            "test",
            "2026-12-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(parsed.leads.len(), 2, "a bad value loses nothing else");
        assert_eq!(
            parsed.leads[0]
                .lead
                .call_hours
                .map(|h| h.to_string())
                .as_deref(),
            Some("10:00-16:00")
        );
        let dropped = &parsed.leads[1].dropped;
        assert_eq!(parsed.leads[1].lead.call_hours, None);
        assert!(
            dropped.iter().any(|d| d.line == 3
                && d.field == "best time to call"
                && d.reason.contains("HH:MM")),
            "{dropped:?}"
        );
    }

    #[test]
    fn call_hours_are_checked_and_named() {
        assert!(CallHours::parse("16:00-10:00")
            .unwrap_err()
            .contains("after the start"));
        assert!(CallHours::parse("ten to four").is_err());
        assert_eq!(
            CallHours::parse(" 09:15 - 17:45 ").unwrap().to_string(),
            "09:15-17:45"
        );
    }

    #[test]
    fn settings_defaults_are_the_spec_numbers_and_bad_ones_are_named() {
        let s = DialerSettings::default();
        assert_eq!(s.problem(), None);
        assert_eq!(
            (s.max_concurrent, s.min_gap_secs, s.max_call_secs),
            (5, 300, 120)
        );
        assert_eq!(
            s.effective_per_number_per_hour(),
            12,
            "the 5-minute gap binds before 20/h"
        );
        let bad = DialerSettings {
            slot_lease_secs: 100,
            ..s
        };
        assert_eq!(bad.problem().unwrap().0, "dialer.slot_lease_secs");
    }
}
