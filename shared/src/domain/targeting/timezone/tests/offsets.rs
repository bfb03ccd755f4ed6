//! UTC offsets across DST: Arizona, Hawaii, Australia, Regina and St. John's, and local
//! times on transition days.

use super::*;
use chrono::{LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::America;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, min, 0))
        .expect("valid test date")
}

/// UTC offset, in minutes, of `tz` at the given UTC instant.
fn offset_minutes_at_utc(tz: Tz, utc: NaiveDateTime) -> i32 {
    tz.from_utc_datetime(&utc).offset().fix().local_minus_utc() / 60
}

#[test]
fn given_arizona_when_us_dst_starts_and_ends_then_phoenix_stays_utc_minus_7_while_denver_moves() {
    // US DST 2026: starts Sunday 2026-03-08, ends Sunday 2026-11-01.
    let before_march = at(2026, 3, 7, 18, 0);
    let after_march = at(2026, 3, 9, 18, 0);
    let before_november = at(2026, 10, 31, 18, 0);
    let after_november = at(2026, 11, 2, 18, 0);

    for instant in [before_march, after_march, before_november, after_november] {
        assert_eq!(offset_minutes_at_utc(America::Phoenix, instant), -7 * 60);
    }
    assert_eq!(
        offset_minutes_at_utc(America::Denver, before_march),
        -7 * 60
    );
    assert_eq!(offset_minutes_at_utc(America::Denver, after_march), -6 * 60);
    assert_eq!(
        offset_minutes_at_utc(America::Denver, before_november),
        -6 * 60
    );
    assert_eq!(
        offset_minutes_at_utc(America::Denver, after_november),
        -7 * 60
    );
}

#[test]
fn given_hawaii_when_checking_january_and_july_then_utc_minus_10_all_year() {
    let tz = us_state_timezone("HI").expect("Hawaii");
    assert_eq!(offset_minutes_at_utc(tz, at(2026, 1, 15, 12, 0)), -10 * 60);
    assert_eq!(offset_minutes_at_utc(tz, at(2026, 7, 15, 12, 0)), -10 * 60);
}

#[test]
fn given_january_and_july_when_checking_sydney_and_brisbane_then_only_sydney_has_dst() {
    let sydney = australian_state_timezone("NSW").expect("NSW");
    let brisbane = australian_state_timezone("QLD").expect("QLD");
    let january = at(2026, 1, 15, 0, 0);
    let july = at(2026, 7, 15, 0, 0);
    assert_eq!(offset_minutes_at_utc(sydney, january), 11 * 60);
    assert_eq!(offset_minutes_at_utc(sydney, july), 10 * 60);
    assert_eq!(offset_minutes_at_utc(brisbane, january), 10 * 60);
    assert_eq!(offset_minutes_at_utc(brisbane, july), 10 * 60);
}

#[test]
fn given_regina_and_st_johns_when_checking_offsets_then_no_dst_and_half_hour() {
    let january = at(2026, 1, 15, 12, 0);
    let july = at(2026, 7, 15, 12, 0);
    assert_eq!(offset_minutes_at_utc(America::Regina, january), -6 * 60);
    assert_eq!(offset_minutes_at_utc(America::Regina, july), -6 * 60);
    assert_eq!(
        offset_minutes_at_utc(America::St_Johns, january),
        -(3 * 60 + 30)
    );
    assert_eq!(
        offset_minutes_at_utc(America::St_Johns, july),
        -(2 * 60 + 30)
    );
}

#[test]
fn given_dst_start_day_when_converting_9am_new_york_then_it_is_13_utc() {
    let local = America::New_York
        .from_local_datetime(&at(2026, 3, 8, 9, 0))
        .single()
        .expect("9:00 exists on the DST start day");
    assert_eq!(local.naive_utc(), at(2026, 3, 8, 13, 0));
    // The day before, still on EST.
    let before = America::New_York
        .from_local_datetime(&at(2026, 3, 7, 9, 0))
        .single()
        .expect("9:00 exists");
    assert_eq!(before.naive_utc(), at(2026, 3, 7, 14, 0));
}

#[test]
fn given_dst_end_day_when_converting_9am_new_york_then_it_is_14_utc() {
    let local = America::New_York
        .from_local_datetime(&at(2026, 11, 1, 9, 0))
        .single()
        .expect("9:00 exists on the DST end day");
    assert_eq!(local.naive_utc(), at(2026, 11, 1, 14, 0));
    assert_eq!(local.hour(), 9);
}

#[test]
fn given_dst_transition_hours_when_converting_then_gap_is_none_and_overlap_is_ambiguous() {
    let gap = America::New_York.from_local_datetime(&at(2026, 3, 8, 2, 30));
    assert!(matches!(gap, LocalResult::None), "{gap:?}");
    let overlap = America::New_York.from_local_datetime(&at(2026, 11, 1, 1, 30));
    match overlap {
        LocalResult::Ambiguous(earliest, latest) => {
            assert_eq!(earliest.naive_utc(), at(2026, 11, 1, 5, 30));
            assert_eq!(latest.naive_utc(), at(2026, 11, 1, 6, 30));
        }
        other => panic!("expected an ambiguous local time, got {other:?}"),
    }
    // Phoenix has no gap: 2:30 on the US DST start day is an ordinary time.
    let phoenix = America::Phoenix
        .from_local_datetime(&at(2026, 3, 8, 2, 30))
        .single()
        .expect("no DST in Arizona");
    assert_eq!(phoenix.naive_utc(), at(2026, 3, 8, 9, 30));
}
