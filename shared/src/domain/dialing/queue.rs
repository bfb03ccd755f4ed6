//! The call queue and the desk's plan for one tick: which queued calls may
//! be dialled now and in what order (the zone whose window closes soonest
//! first, then by score), which go back to wait for their window, which
//! slots of the tenant's semaphore are free and which numbers are paced
//! enough to dial again. Pure: time is a parameter.

use super::{after_hours_windows, DialerSettings};
use crate::domain::dispatch::window::SendWindow;
use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;

/// One call waiting in the queue, as the desk sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub score: u8,
    pub tz: Tz,
    /// The lead's call window (`super::call_window`).
    pub window: SendWindow,
    /// It may have its one after-hours voicemail attempt now.
    pub after_hours_ok: bool,
    pub due_at: DateTime<Utc>,
    /// Ties go to the lead id, so the order is the same on every tick.
    pub lead_id: String,
}

/// Why a queued call is where it is in the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranked {
    /// Index into the candidates given.
    #[serde(skip)]
    pub index: usize,
    pub zone: String,
    pub score: u8,
    /// When the stretch it may be called in ends.
    pub window_closes_at: DateTime<Utc>,
    /// Outside its window: the one voicemail attempt.
    pub after_hours: bool,
}

/// A queued call that cannot be dialled now: it leaves the queue until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopens {
    pub index: usize,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// The queue in dialling order (top `queue_size`), and what leaves it.
pub fn rank(
    candidates: &[Candidate],
    settings: &DialerSettings,
    now: DateTime<Utc>,
) -> (Vec<Ranked>, Vec<Reopens>) {
    let mut ranked = vec![];
    let mut reopens = vec![];
    for (index, c) in candidates.iter().enumerate() {
        match callable(c, now) {
            Some((closes, after_hours)) => ranked.push(Ranked {
                index,
                zone: c.tz.name().to_string(),
                score: c.score,
                window_closes_at: closes,
                after_hours,
            }),
            None => reopens.push(Reopens {
                index,
                at: next_opening(c, now),
                reason: format!(
                    "outside its call window {} in {}",
                    c.window.describe(),
                    c.tz.name()
                ),
            }),
        }
    }
    // In-window calls before any after-hours voicemail; among them the
    // stretch that ends soonest (East before Central before Pacific as the
    // day moves west), then the best score, then the longest waiting.
    ranked.sort_by(|a, b| {
        let (ca, cb) = (&candidates[a.index], &candidates[b.index]);
        (
            a.after_hours,
            a.window_closes_at,
            std::cmp::Reverse(a.score),
        )
            .cmp(&(
                b.after_hours,
                b.window_closes_at,
                std::cmp::Reverse(b.score),
            ))
            .then(ca.due_at.cmp(&cb.due_at))
            .then(ca.lead_id.cmp(&cb.lead_id))
    });
    ranked.truncate(settings.queue_size as usize);
    (ranked, reopens)
}

/// If `c` may be called at `now`: when that stretch closes, and whether
/// it is the after-hours attempt.
pub fn callable(c: &Candidate, now: DateTime<Utc>) -> Option<(DateTime<Utc>, bool)> {
    if c.window.start < c.window.end && c.window.is_open(now, c.tz) {
        return Some((c.window.current_or_next(now, c.tz).1, false));
    }
    if c.after_hours_ok {
        for w in after_hours_windows(&c.window) {
            if w.is_open(now, c.tz) {
                return Some((w.current_or_next(now, c.tz).1, true));
            }
        }
    }
    None
}

/// The next time `c` may be called: its window's next opening, or the
/// after-hours stretch before it when it still has that attempt.
pub fn next_opening(c: &Candidate, now: DateTime<Utc>) -> DateTime<Utc> {
    let mut at = if c.window.start < c.window.end {
        c.window.current_or_next(now, c.tz).0
    } else {
        now + Duration::days(7)
    };
    if c.after_hours_ok {
        for w in after_hours_windows(&c.window) {
            at = at.min(w.current_or_next(now, c.tz).0);
        }
    }
    at.max(now)
}

/// One slot of the tenant's call semaphore as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotState {
    pub slot: u32,
    pub attempt: Option<String>,
    pub lead_id: Option<String>,
    pub campaign: Option<String>,
    pub number: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub lease_until: Option<DateTime<Utc>>,
}

impl SlotState {
    pub fn busy(&self, now: DateTime<Utc>) -> bool {
        self.attempt.is_some() && self.lease_until.is_some_and(|l| l > now)
    }
}

/// A number's pacing as stored: its last call, and its calls in the
/// clock hour `hour` (`YYYY-MM-DDTHH`, UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NumberState {
    pub last_at: Option<DateTime<Utc>>,
    pub hour: Option<String>,
    pub in_hour: u32,
}

/// The clock hour a pacing count belongs to.
pub fn hour_key(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H").to_string()
}

/// Free slots of the semaphore (`0..max_concurrent`): never taken, or
/// whose lease ran out. A slot above a lowered maximum is never reused.
pub fn free_slots(
    settings: &DialerSettings,
    slots: &BTreeMap<u32, SlotState>,
    now: DateTime<Utc>,
) -> Vec<u32> {
    (0..settings.max_concurrent)
        .filter(|i| !slots.get(i).is_some_and(|s| s.busy(now)))
        .collect()
}

/// Calls in flight: slots whose lease runs.
pub fn in_flight(slots: &BTreeMap<u32, SlotState>, now: DateTime<Utc>) -> usize {
    slots.values().filter(|s| s.busy(now)).count()
}

/// When `number` may dial again: after the gap since its last call, and
/// not before the next hour once the hour's count is used.
pub fn number_ready_at(
    settings: &DialerSettings,
    state: Option<&NumberState>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(st) = state else { return now };
    let mut at = st.last_at.map_or(now, |l| {
        l + Duration::seconds(i64::from(settings.min_gap_secs))
    });
    if st.hour.as_deref() == Some(hour_key(now).as_str())
        && st.in_hour >= settings.per_number_per_hour
    {
        let hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
        at = at.max(hour + Duration::hours(1));
    }
    at.max(now)
}

/// The numbers that may dial now, least recently used first.
pub fn ready_numbers(
    settings: &DialerSettings,
    numbers: &[String],
    states: &BTreeMap<String, NumberState>,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut ready: Vec<(Option<DateTime<Utc>>, String)> = numbers
        .iter()
        .filter(|n| number_ready_at(settings, states.get(*n), now) <= now)
        .map(|n| (states.get(n).and_then(|s| s.last_at), n.clone()))
        .collect();
    ready.sort();
    ready.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dialing::{call_window, CallHours};
    use chrono_tz::America::{Chicago, Denver, Los_Angeles, New_York, Phoenix};
    use chrono_tz::Pacific::Honolulu;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn cand(lead: &str, tz: Tz, score: u8) -> Candidate {
        Candidate {
            score,
            tz,
            window: call_window(&SendWindow::business_days(9, 0, 18, 0), None),
            after_hours_ok: false,
            due_at: utc("2026-12-01T13:00:00Z"),
            lead_id: lead.into(),
        }
    }

    #[test]
    fn the_zone_whose_window_closes_soonest_goes_first_then_the_score() {
        let c = vec![
            cand("pacific-hi", Los_Angeles, 99),
            cand("east-lo", New_York, 10),
            cand("central", Chicago, 70),
            cand("east-hi", New_York, 90),
            cand("hawaii", Honolulu, 95),
            cand("arizona", Phoenix, 80),
            cand("mountain", Denver, 60),
        ];
        // Tuesday 19:30 UTC: 14:30 New York ... 09:30 Honolulu: all open.
        let (ranked, reopens) = rank(&c, &DialerSettings::default(), utc("2026-12-01T19:30:00Z"));
        assert!(reopens.is_empty());
        let order: Vec<&str> = ranked.iter().map(|r| c[r.index].lead_id.as_str()).collect();
        // Arizona keeps MST in winter: it closes with Denver; Denver's
        // lead has the lower score.
        assert_eq!(
            order,
            [
                "east-hi",
                "east-lo",
                "central",
                "arizona",
                "mountain",
                "pacific-hi",
                "hawaii"
            ]
        );
        // 14:00 UTC: 09:00 in New York only.
        let (ranked, reopens) = rank(&c, &DialerSettings::default(), utc("2026-12-01T14:00:00Z"));
        let order: Vec<&str> = ranked.iter().map(|r| c[r.index].lead_id.as_str()).collect();
        assert_eq!(order, ["east-hi", "east-lo"]);
        assert_eq!(reopens.len(), 5);
        let hawaii = reopens
            .iter()
            .find(|r| c[r.index].lead_id == "hawaii")
            .unwrap();
        assert_eq!(hawaii.at, utc("2026-12-01T19:00:00Z"), "09:00 HST");
    }

    #[test]
    fn a_lead_with_its_own_hours_is_called_inside_them_only() {
        let mut c = cand("lead", New_York, 50);
        c.window = call_window(
            &SendWindow::business_days(9, 0, 18, 0),
            Some(CallHours::parse("13:00-15:00").unwrap()),
        );
        let s = DialerSettings::default();
        assert!(rank(&[c.clone()], &s, utc("2026-12-01T16:00:00Z"))
            .0
            .is_empty());
        let (ranked, _) = rank(&[c], &s, utc("2026-12-01T18:30:00Z"));
        assert_eq!(ranked[0].window_closes_at, utc("2026-12-01T20:00:00Z"));
    }

    #[test]
    fn after_hours_voicemail_comes_after_every_in_window_call_and_only_when_allowed() {
        let mut late = cand("late", New_York, 99);
        late.after_hours_ok = true;
        let open = cand("open", Chicago, 1);
        let s = DialerSettings::default();
        // 23:30 UTC: 18:30 New York (after hours), 17:30 Chicago (open).
        let (ranked, _) = rank(&[late.clone(), open], &s, utc("2026-12-01T23:30:00Z"));
        assert_eq!(ranked.len(), 2);
        assert!(!ranked[0].after_hours && ranked[1].after_hours);
        assert_eq!(
            ranked[1].window_closes_at,
            utc("2026-12-02T02:00:00Z"),
            "21:00"
        );
        // Never after 21:00, even for the attempt.
        assert!(rank(&[late.clone()], &s, utc("2026-12-02T02:00:00Z"))
            .0
            .is_empty());
        late.after_hours_ok = false;
        assert!(rank(&[late], &s, utc("2026-12-01T23:30:00Z")).0.is_empty());
    }

    #[test]
    fn slots_free_when_their_lease_runs_out_and_numbers_wait_their_gap_and_hour() {
        let s = DialerSettings::default();
        let now = utc("2026-12-01T15:10:00Z");
        let slot = |i, lease: &str| {
            (
                i,
                SlotState {
                    slot: i,
                    attempt: Some(format!("a{i}")),
                    lead_id: None,
                    campaign: None,
                    number: None,
                    started_at: None,
                    lease_until: Some(utc(lease)),
                },
            )
        };
        let slots: BTreeMap<u32, SlotState> = [
            slot(0, "2026-12-01T15:12:00Z"),
            slot(1, "2026-12-01T15:10:00Z"),
            slot(7, "2026-12-01T15:30:00Z"),
        ]
        .into();
        assert_eq!(free_slots(&s, &slots, now), vec![1, 2, 3, 4]);
        assert_eq!(in_flight(&slots, now), 2);
        let numbers = vec!["+1a".to_string(), "+1b".into(), "+1c".into()];
        let states: BTreeMap<String, NumberState> = [
            (
                "+1a".to_string(),
                NumberState {
                    last_at: Some(utc("2026-12-01T15:06:00Z")),
                    hour: Some(hour_key(now)),
                    in_hour: 1,
                },
            ),
            (
                "+1b".to_string(),
                NumberState {
                    last_at: Some(utc("2026-12-01T15:05:00Z")),
                    hour: Some(hour_key(now)),
                    in_hour: 1,
                },
            ),
        ]
        .into();
        assert_eq!(
            ready_numbers(&s, &numbers, &states, now),
            vec!["+1c", "+1b"]
        );
        let full = NumberState {
            last_at: Some(utc("2026-12-01T14:00:00Z")),
            hour: Some(hour_key(now)),
            in_hour: 20,
        };
        assert_eq!(
            number_ready_at(&s, Some(&full), now),
            utc("2026-12-01T16:00:00Z")
        );
    }

    proptest! {
        /// Whatever the queue and the hour: nothing ranked is outside
        /// 08:00-21:00 local, nothing in-window is outside its window, and
        /// no after-hours call ranks before an in-window one.
        #[test]
        fn ranked_calls_are_callable_and_ordered(
            secs in 0i64..(14 * 86_400),
            zones in proptest::collection::vec((0usize..6, 0u8..100, any::<bool>()), 1..30),
        ) {
            let tzs = [New_York, Chicago, Denver, Phoenix, Los_Angeles, Honolulu];
            let now = utc("2026-11-30T00:00:00Z") + Duration::seconds(secs);
            let c: Vec<Candidate> = zones.iter().enumerate().map(|(i, (z, score, ah))| Candidate {
                after_hours_ok: *ah,
                ..cand(&format!("l{i}"), tzs[*z], *score)
            }).collect();
            let (ranked, reopens) = rank(&c, &DialerSettings::default(), now);
            prop_assert_eq!(ranked.len() + reopens.len(), c.len());
            for r in &ranked {
                let cand = &c[r.index];
                let local = now.with_timezone(&cand.tz).time();
                prop_assert!(local >= super::super::LEGAL_START && local < super::super::LEGAL_END);
                if !r.after_hours {
                    prop_assert!(cand.window.is_open(now, cand.tz));
                }
                prop_assert!(r.window_closes_at > now);
            }
            for w in ranked.windows(2) {
                prop_assert!((w[0].after_hours, w[0].window_closes_at) <= (w[1].after_hours, w[1].window_closes_at));
            }
            for r in &reopens {
                prop_assert!(r.at >= now);
            }
        }
    }
}
