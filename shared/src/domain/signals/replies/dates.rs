//! Dates a reply gives for when its writer is back or wants to hear from us
//! again, in English, German, French and Spanish: written dates ("back on 3
//! December", "zurück am 3.12.", "jusqu'au 3/12", "hasta el 3 de
//! diciembre"), weekdays ("back Thursday"), months ("im Januar"), quarters
//! ("in Q2") and deferrals ("next year", "in drei Monaten", "après les
//! fêtes").
//!
//! The choices, so the figures can be read:
//! - A date without a year is its next occurrence on or after the day the
//!   reply arrived, unless it fell in the two months before: that is a day
//!   just gone ("away from 30 November"), not one a year ahead. A date
//!   before the day the reply arrived is ignored.
//! - Numbers with dots are day.month everywhere. With slashes they follow
//!   the language: day/month in German, French and Spanish; month/day in
//!   English (US order) unless the first number is over 12, or the sender's
//!   address is in a country that writes the day first (.uk, .ie, .au, ...).
//! - "until X" / "bis X" / "jusqu'au X" / "hasta X" give X itself, not the
//!   day after: writers mix "until" (inclusive) and "back on", and a day
//!   early is the cheaper mistake for a follow-up.
//! - A month alone is its first day ("in January" → 1 January), "mid" the
//!   15th, "end of" its last day. Year-level deferrals ("next year", "in
//!   the new year", "after Christmas", "après les fêtes", "early 2027") are
//!   2 January: 1 January is a holiday in every market we sell to.
//! - "next quarter" / "Q2" / "second trimestre" are the quarter's first day;
//!   "in 3 months" adds to the day the reply arrived; seasons start on the
//!   first of March, June, September and December.
//! - A weekday alone is its next occurrence after the reply's day.

mod tables;

use super::words::Words;
use chrono::{Datelike, Days, Months, NaiveDate};
use tables::*;

/// The language a reply is written in, as far as dates care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    En,
    De,
    Fr,
    Es,
}

/// What kind of expression a date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A written day ("3 December", "3.12.", "Monday 14th", "the 14th").
    Day,
    /// A weekday alone ("back Thursday").
    Weekday,
    /// A month, quarter or season ("in January", "Q2", "im Frühjahr").
    Period,
    /// A deferral from now ("next year", "in 3 months", "after Christmas").
    Deferral,
}

/// A date found in the text: words `first..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mention {
    pub date: NaiveDate,
    pub first: usize,
    pub end: usize,
    pub kind: Kind,
    /// The second date of a range written as one ("Dec 1-4").
    pub range_end: bool,
}

/// The language most of the text's common words belong to (English on a tie).
pub(super) fn guess_lang(words: &Words) -> Lang {
    let mut best = (Lang::En, 0usize);
    for &(lang, list) in STOPWORDS {
        let n = words
            .words
            .iter()
            .filter(|w| list.contains(&w.norm.as_str()))
            .count();
        if n > best.1 {
            best = (lang, n);
        }
    }
    best.0
}

/// Country domains whose writers put the day first even in English.
const DAY_FIRST_TLDS: &[&str] = &[
    ".uk", ".ie", ".au", ".nz", ".za", ".in", ".sg", ".hk", ".mt", ".ng", ".ke",
];

/// Whether numeric slash dates are day/month for this writer.
pub(super) fn day_first(lang: Lang, sender: Option<&str>) -> bool {
    lang != Lang::En || sender.is_some_and(|s| DAY_FIRST_TLDS.iter().any(|t| s.ends_with(t)))
}

/// Every date the text gives, on or after `today`, in text order.
pub(super) fn mentions(words: &Words, day_first: bool, today: NaiveDate) -> Vec<Mention> {
    let mut found: Vec<Mention> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let here = parse_at(words, i, day_first, today);
        match here.iter().map(|m| m.end).max() {
            Some(end) => {
                found.extend(here.into_iter().filter(|m| m.date >= today));
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    found
}

/// The date expressions that start at word `i` (two for a range "Dec 1-4").
fn parse_at(w: &Words, i: usize, day_first: bool, today: NaiveDate) -> Vec<Mention> {
    let one = |date: Option<NaiveDate>, end: usize, kind: Kind| {
        date.map(|date| Mention {
            date,
            first: i,
            end,
            kind,
            range_end: false,
        })
        .into_iter()
        .collect::<Vec<_>>()
    };
    let morning = matches!(w.norm(i), "morgen" | "manana")
        && i.checked_sub(1)
            .is_some_and(|b| MORNING_BEFORE.contains(&w.norm(b)));
    if let Some((named, end)) = NAMED
        .iter()
        .find_map(|&(p, n)| w.match_at(p, i).map(|end| (n, end)))
        .filter(|_| !morning)
    {
        return one(named_date(named, today), end, named_kind(named));
    }
    if let Some((date, end, unit)) = duration(w, i, today) {
        let kind = match unit {
            Unit::Day => Kind::Day,
            _ => Kind::Deferral,
        };
        return one(Some(date), end, kind);
    }
    if let Some((date, end)) = quarter(w, i, today) {
        return one(Some(date), end, Kind::Period);
    }
    if let Some((date, end)) = season(w, i, today) {
        return one(Some(date), end, Kind::Period);
    }
    if let Some((date, end)) = year_start(w, i) {
        return one(Some(date), end, Kind::Deferral);
    }
    if let Some(found) = weekday_date(w, i, day_first, today) {
        return found;
    }
    if let Some(found) = written_day(w, i, day_first, today) {
        return found;
    }
    if let Some((date, end)) = month_period(w, i, today) {
        return one(Some(date), end, Kind::Period);
    }
    if let Some((date, end)) = ordinal_day(w, i, today) {
        return one(Some(date), end, Kind::Day);
    }
    Vec::new()
}

fn named_kind(n: Named) -> Kind {
    match n {
        // Days away are a meeting's, not a deferral's ("call next week?").
        Named::Today | Named::Tomorrow | Named::NextWeek => Kind::Day,
        Named::EndOfYear => Kind::Period,
        _ => Kind::Deferral,
    }
}

fn named_date(n: Named, today: NaiveDate) -> Option<NaiveDate> {
    match n {
        Named::NextYear => NaiveDate::from_ymd_opt(today.year() + 1, 1, 2),
        Named::AfterHolidays => on_or_after(today, 1, 2),
        Named::NextQuarter => {
            let q = (today.month0() / 3 + 1) % 4;
            let year = today.year() + i32::from(q == 0);
            NaiveDate::from_ymd_opt(year, q * 3 + 1, 1)
        }
        Named::NextMonth => first_of_month(today)?.checked_add_months(Months::new(1)),
        Named::NextWeek => {
            let to_monday = 7 - today.weekday().num_days_from_monday();
            today.checked_add_days(Days::new(u64::from(to_monday)))
        }
        Named::EndOfYear => NaiveDate::from_ymd_opt(today.year(), 12, 31),
        Named::Today => Some(today),
        Named::Tomorrow => today.succ_opt(),
    }
}

fn first_of_month(d: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
}

/// How far back a written day without a year is still taken as just gone
/// rather than as next year's.
const JUST_GONE_DAYS: i64 = 62;

/// A written `month`/`day` without a year: this year's, or next year's if
/// this year's is more than two months gone (a day just gone stays in the
/// past, to be ignored).
fn yearless_day(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    match NaiveDate::from_ymd_opt(today.year(), month, day) {
        Some(d) if d >= today || (today - d).num_days() <= JUST_GONE_DAYS => Some(d),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

/// The next `month`/`day` on or after `today`.
fn on_or_after(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    [today.year(), today.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .find(|d| *d >= today)
}

/// The last day of `month` in `year`.
fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)?
        .checked_add_months(Months::new(1))?
        .pred_opt()
}

/// "in 3 months", "in drei Monaten", "dans 3 mois", "en 3 meses", "in a
/// couple of weeks", "in a year".
fn duration(w: &Words, i: usize, today: NaiveDate) -> Option<(NaiveDate, usize, Unit)> {
    if !DURATION_OPENERS.contains(&w.norm(i)) {
        return None;
    }
    let mut j = i + 1;
    // Fillers between the opener and the number: "in like 6 weeks",
    // "in about 3 months", "dentro de tres meses".
    while j < i + 3
        && matches!(
            w.norm(j),
            "about"
                | "around"
                | "like"
                | "roughly"
                | "etwa"
                | "ca"
                | "environ"
                | "de"
                | "unos"
                | "unas"
        )
    {
        j += 1;
    }
    let n = if w.match_at("a couple of", j).is_some() {
        j += 3;
        2
    } else {
        let n = number(w.norm(j))?;
        j += 1;
        n
    };
    let unit = UNITS
        .iter()
        .find(|(u, _)| *u == w.norm(j))
        .map(|&(_, u)| u)?;
    let date = match unit {
        Unit::Day => today.checked_add_days(Days::new(u64::from(n))),
        Unit::Week => today.checked_add_days(Days::new(7 * u64::from(n))),
        Unit::Month => today.checked_add_months(Months::new(n)),
        Unit::Year => today.checked_add_months(Months::new(12 * n)),
    }?;
    Some((date, j + 1, unit))
}

fn number(word: &str) -> Option<u32> {
    if let Ok(n) = word.parse::<u32>() {
        return (1..=36).contains(&n).then_some(n);
    }
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|&(_, n)| n)
}

/// "Q2", "Q3 2027", "second quarter", "zweites Quartal", "deuxième
/// trimestre", "segundo trimestre": the quarter's first day.
fn quarter(w: &Words, i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let word = w.norm(i);
    let (q, mut end) = match word.strip_prefix('q').and_then(|d| d.parse::<u32>().ok()) {
        Some(q) if (1..=4).contains(&q) => (q, i + 1),
        _ => {
            let q = QUARTER_ORDINALS
                .iter()
                .find(|(o, _)| *o == word)
                .map(|&(_, q)| q)?;
            if !QUARTER_WORDS.contains(&w.norm(i + 1)) {
                return None;
            }
            (q, i + 2)
        }
    };
    // "after Q1": the quarter after it.
    let after = i
        .checked_sub(1)
        .is_some_and(|b| AFTER_WORDS.contains(&w.norm(b)));
    let month = if after {
        q % 4 * 3 + 1
    } else {
        (q - 1) * 3 + 1
    };
    let date = match year(w.norm(end)) {
        Some(y) => {
            end += 1;
            NaiveDate::from_ymd_opt(y, month, 1)
        }
        None => on_or_after(today, month, 1),
    }?;
    Some((date, end))
}

/// "in the spring", "im Frühjahr", "au printemps", "en verano", "after the
/// summer": the season's first day (or the next season's, after "after").
fn season(w: &Words, i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let &(name, month) = SEASONS.iter().find(|(s, _)| *s == w.norm(i))?;
    let before = i.checked_sub(1).map_or("", |b| w.norm(b));
    let determined = if name == "fall" {
        matches!(before, "the" | "this" | "next")
    } else {
        SEASON_DETERMINERS.contains(&before)
    };
    if !determined {
        return None;
    }
    let after = (1..=3)
        .filter_map(|k| i.checked_sub(k))
        .any(|b| AFTER_WORDS.contains(&w.norm(b)));
    let month = if after { month % 12 + 3 } else { month };
    Some((on_or_after(today, month, 1)?, i + 1))
}

/// "early 2027", "Anfang 2027", "début 2027", "principios de 2027": the
/// year's start (2 January, as for "next year").
fn year_start(w: &Words, i: usize) -> Option<(NaiveDate, usize)> {
    let q = MONTH_QUALIFIERS
        .iter()
        .find(|(q, _)| *q == w.norm(i))
        .map(|&(_, d)| d)?;
    if q != 1 {
        return None;
    }
    let mut j = i + 1;
    if matches!(w.norm(j), "of" | "de") {
        j += 1;
    }
    let y = year(w.norm(j))?;
    Some((NaiveDate::from_ymd_opt(y, 1, 2)?, j + 1))
}

/// A four-digit year this century.
fn year(word: &str) -> Option<i32> {
    let y: i32 = word.parse().ok()?;
    (word.len() == 4 && (2000..=2099).contains(&y)).then_some(y)
}

/// A day of the month, bare or ordinal ("7", "7th", "1er", "1o").
fn day_number(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if digits.is_empty()
        || digits.len() > 2
        || !matches!(
            suffix,
            "" | "st" | "nd" | "rd" | "th" | "er" | "re" | "e" | "eme" | "o" | "a"
        )
    {
        return None;
    }
    let d: u32 = digits.parse().ok()?;
    (1..=31).contains(&d).then_some(d)
}

fn has_ordinal_suffix(word: &str) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|s| word.ends_with(s)) && day_number(word).is_some()
}

/// A month name at word `i`: (month, whether it may stand alone).
fn month_name(w: &Words, i: usize) -> Option<(u32, bool)> {
    let word = w.norm(i);
    MONTHS
        .iter()
        .find(|(m, _, _)| *m == word)
        .map(|&(_, m, full)| (m, full))
}

/// A weekday, then maybe the date it names: "Monday 14th December",
/// "Montag, dem 14. Dezember 2026", "lunes 14", "lundi prochain", "back
/// Thursday".
fn weekday_date(w: &Words, i: usize, day_first: bool, today: NaiveDate) -> Option<Vec<Mention>> {
    let &(_, day) = WEEKDAYS.iter().find(|(d, _)| *d == w.norm(i))?;
    let mut j = i + 1;
    if matches!(w.norm(j), "the" | "dem" | "den" | "le" | "el" | "der") {
        j += 1;
    }
    if let Some(mut found) = written_day(w, j, day_first, today) {
        for m in &mut found {
            if !m.range_end {
                m.first = i;
            }
        }
        return Some(found);
    }
    let mention = |date: NaiveDate, end: usize, kind| Mention {
        date,
        first: i,
        end,
        kind,
        range_end: false,
    };
    // "el lunes 14": the day of the month, next on or after today.
    let is_time = matches!(w.norm(j + 1), "am" | "pm" | "uhr" | "h") || w.sep_before(j + 1) == ":";
    if let Some(d) =
        day_number(w.norm(j)).filter(|_| !is_time && !w.sep_before(j).contains(['\n', '.']))
    {
        let date = (0..12)
            .filter_map(|k| first_of_month(today)?.checked_add_months(Months::new(k)))
            .filter_map(|m| NaiveDate::from_ymd_opt(m.year(), m.month(), d))
            .find(|date| *date >= today)?;
        return Some(vec![mention(date, j + 1, Kind::Day)]);
    }
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    // "next Wednesday", "mercredi prochain", "nächsten Mittwoch", "el
    // próximo miércoles": that weekday of next week, not this one.
    let before = i.checked_sub(1).map_or("", |b| w.norm(b));
    let after = w.norm(i + 1);
    let next_week = matches!(
        before,
        "next" | "naechsten" | "naechster" | "kommenden" | "proximo"
    ) || matches!(after, "prochain" | "prochaine");
    let this_week_left = 7 - today.weekday().num_days_from_monday();
    let ahead = if next_week && ahead < this_week_left {
        ahead + 7
    } else {
        ahead
    };
    let date = today.checked_add_days(Days::new(u64::from(ahead)))?;
    let end = if matches!(after, "prochain" | "prochaine") {
        i + 2
    } else {
        i + 1
    };
    Some(vec![mention(date, end, Kind::Weekday)])
}

/// A written day: "3.12.", "12/08", "11/30/2026", "2026-12-03", "3
/// December", "3rd of December", "3 de diciembre de 2027", "December 7th",
/// "Dec. 3, 2026", "Dec 1-4".
fn written_day(w: &Words, i: usize, day_first: bool, today: NaiveDate) -> Option<Vec<Mention>> {
    let single = |date: Option<NaiveDate>, end: usize| {
        date.map(|date| {
            vec![Mention {
                date,
                first: i,
                end,
                kind: Kind::Day,
                range_end: false,
            }]
        })
    };
    if let Some((date, end)) = numeric(w, i, day_first, today) {
        return single(Some(date), end);
    }
    // Day first: "3 December", "3. Dezember", "3rd of December", "3 de diciembre".
    if let Some(d) = day_number(w.norm(i)) {
        let mut j = i + 1;
        if matches!(w.norm(j), "of" | "de") {
            j += 1;
        }
        if let Some((m, _)) = month_name(w, j) {
            let (date, end) = with_year(w, j + 1, today, m, d);
            return single(date, end);
        }
        return None;
    }
    // Month first: "December 7th", "Dec. 3, 2026", "Dec 1-4".
    let (m, _) = month_name(w, i)?;
    let d = day_number(w.norm(i + 1))?;
    if year(w.norm(i + 1)).is_some() {
        return None;
    }
    let (date, end) = with_year(w, i + 2, today, m, d);
    let mut found = single(date, end)?;
    let sep = w.sep_before(i + 2);
    if matches!(sep.trim(), "-" | "–" | "—") {
        if let Some(to) = day_number(w.norm(i + 2)) {
            let (to_date, to_end) = with_year(w, i + 3, today, m, to);
            if let Some(to_date) = to_date {
                found.push(Mention {
                    date: to_date,
                    first: i + 2,
                    end: to_end,
                    kind: Kind::Day,
                    range_end: true,
                });
            }
        }
    }
    Some(found)
}

/// `month`/`day` with the year written at word `j` ("2026", "de 2027"), or
/// else its next occurrence; and the end of what was read.
fn with_year(w: &Words, j: usize, today: NaiveDate, m: u32, d: u32) -> (Option<NaiveDate>, usize) {
    let k = if w.norm(j) == "de" { j + 1 } else { j };
    match year(w.norm(k)) {
        Some(y) if !w.sep_before(k).contains('\n') => (NaiveDate::from_ymd_opt(y, m, d), k + 1),
        _ => (yearless_day(today, m, d), j),
    }
}

/// "3.12.", "03.12.26", "12/08", "11/30/2026", "2026-12-03".
fn numeric(w: &Words, i: usize, day_first: bool, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let is_num = |k: usize| {
        let n = w.norm(k);
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    };
    if !is_num(i) || !is_num(i + 1) {
        return None;
    }
    let sep = w.sep_before(i + 1);
    if !matches!(sep, "." | "/" | "-") {
        return None;
    }
    let third = (is_num(i + 2) && w.sep_before(i + 2) == sep).then(|| w.norm(i + 2));
    let a: u32 = w.norm(i).parse().ok()?;
    let b: u32 = w.norm(i + 1).parse().ok()?;
    if sep == "-" {
        // Only ISO (2026-12-03) and dd-mm-yyyy: a bare "1-4" is a range.
        let c: u32 = third?.parse().ok()?;
        let (y, m, d) = if w.norm(i).len() == 4 {
            (a, b, c)
        } else if third?.len() == 4 {
            (c, b, a)
        } else {
            return None;
        };
        return Some((
            NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?,
            i + 3,
        ));
    }
    if w.norm(i).len() > 2 || w.norm(i + 1).len() > 2 {
        return None;
    }
    let (d, m) = if sep == "." || day_first || a > 12 {
        (a, b)
    } else {
        (b, a)
    };
    match third {
        Some(y) if y.len() == 4 || y.len() == 2 => {
            let y: i32 = y.parse().ok()?;
            let y = if y < 100 { 2000 + y } else { y };
            Some((NaiveDate::from_ymd_opt(y, m, d)?, i + 3))
        }
        Some(_) => None,
        None => Some((yearless_day(today, m, d)?, i + 2)),
    }
}

/// A month as a period: "in January", "until March", "April 2027", "mid
/// January", "end of January", "Ende Januar", "début janvier", "finales de
/// enero".
fn month_period(w: &Words, i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let (day, j) = match MONTH_QUALIFIERS.iter().find(|(q, _)| *q == w.norm(i)) {
        Some(&(_, day)) => {
            let mut j = i + 1;
            if matches!(w.norm(j), "of" | "de" | "the") {
                j += 1;
            }
            (Some(day), j)
        }
        None => (None, i),
    };
    let (m, full) = month_name(w, j)?;
    let yr =
        year(w.norm(j + 1)).or_else(|| (w.norm(j + 1) == "de").then(|| year(w.norm(j + 2)))?);
    let end = match (yr, w.norm(j + 1)) {
        (Some(_), "de") => j + 3,
        (Some(_), _) => j + 2,
        (None, _) => j + 1,
    };
    let before = i.checked_sub(1).map_or("", |b| w.norm(b));
    // Abbreviations stand alone after a preposition too ("till Jan"), but
    // not those that are also common words ("may", "mar", "ago").
    let alone_ok = full || !matches!(w.norm(j), "may" | "mar" | "ago" | "ene" | "jun");
    if yr.is_none() && day.is_none() && !(alone_ok && MONTH_PREPOSITIONS.contains(&before)) {
        return None;
    }
    let y = match yr {
        Some(y) => y,
        None => {
            let this_year_end = last_day(today.year(), m)?;
            if this_year_end >= today {
                today.year()
            } else {
                today.year() + 1
            }
        }
    };
    let date = match day.unwrap_or(1) {
        0 => last_day(y, m)?,
        d => NaiveDate::from_ymd_opt(y, m, d)?,
    };
    let date = if yr.is_none() && date < today {
        date.with_year(y + 1)?
    } else {
        date
    };
    Some((date, end))
}

/// "the 14th", "on the 15th": that day of this month, or of the next one.
fn ordinal_day(w: &Words, i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    if w.norm(i) != "the" || !has_ordinal_suffix(w.norm(i + 1)) {
        return None;
    }
    let d = day_number(w.norm(i + 1))?;
    let date = (0..3)
        .filter_map(|k| first_of_month(today)?.checked_add_months(Months::new(k)))
        .filter_map(|m| NaiveDate::from_ymd_opt(m.year(), m.month(), d))
        .find(|date| *date >= today)?;
    Some((date, i + 2))
}

/// How strongly the words around a mention say it is a return date: 3 for
/// "back"/"zurück"/"retour"..., 2 for "until"/"bis"/"jusqu'au"/"hasta" or a
/// range's end, 1 for none.
pub(super) fn return_score(w: &Words, m: &Mention) -> u8 {
    let before: Vec<&str> = (1..=4)
        .filter_map(|k| m.first.checked_sub(k))
        .map(|b| w.norm(b))
        .collect();
    let is = |cues: &[&str], word: &str| {
        cues.iter().any(|c| match c.strip_suffix('*') {
            Some(p) => word.starts_with(p),
            None => *c == word,
        })
    };
    // "Monday to Friday", "lundi au vendredi": opening hours, not a return.
    let weekday_range = m.kind == Kind::Weekday
        && before.len() >= 2
        && is(UNTIL_CUES, before[0])
        && WEEKDAYS.iter().any(|(d, _)| *d == before[1]);
    if weekday_range {
        return 1;
    }
    let after = (m.end..m.end + 3).any(|k| RETURN_AFTER.contains(&w.norm(k)));
    if after || before.iter().any(|b| is(RETURN_CUES, b)) {
        3
    } else if m.range_end || before.iter().take(3).any(|b| is(UNTIL_CUES, b)) {
        2
    } else {
        1
    }
}

/// The return date of an absence notice: the date most clearly said to be
/// the return (a "back on" date over an "until" date over any date), the
/// latest of equals.
pub(super) fn return_date(w: &Words, found: &[Mention]) -> Option<Mention> {
    found
        .iter()
        .max_by_key(|m| (return_score(w, m), m.date))
        .copied()
}

/// When someone who deferred wants to hear from us: the latest date they
/// give ("busy until March, try me in April" → April).
pub(super) fn follow_up_date(found: &[Mention]) -> Option<Mention> {
    found.iter().max_by_key(|m| m.date).copied()
}
