//! How well `classify` does on a labelled set of replies (JSON lines): per
//! class precision and recall, the confusion matrix, return dates and
//! referral addresses found, and the lines it got wrong. The unit tests
//! hold the figures on the repository's own set; the `classify` tool
//! prints them for any file.

use super::{classify, Classification, Reply, ReplyClass};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The day a labelled reply arrived when its line does not say.
pub const DEFAULT_RECEIVED_AT: &str = "2026-12-01T10:00:00Z";

/// How many misclassified lines the report prints.
const MISSES_SHOWN: usize = 40;

/// A line of the labelled set, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    channel: String,
    headers: BTreeMap<String, String>,
    subject: String,
    body: String,
    label: String,
    #[serde(default)]
    return_date: Option<String>,
    #[serde(default)]
    referral_email: Option<String>,
    #[serde(default)]
    received_at: Option<String>,
    /// The language it is written in, for the report ("en", "de", ...).
    #[serde(default)]
    lang: Option<String>,
}

/// A line of the set that cannot be read: its number (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("line {line}: {reason}")]
    BadLine { line: usize, reason: String },
    #[error("the set has no replies")]
    Empty,
}

/// Precision and recall of one class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassFigures {
    pub class: ReplyClass,
    /// Lines labelled with the class.
    pub support: usize,
    /// Lines classified as the class.
    pub predicted: usize,
    /// Lines both labelled and classified as the class.
    pub correct: usize,
}

impl ClassFigures {
    /// Right among those classified as the class (1.0 when none were).
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.predicted)
    }
    /// Found among those labelled with the class (1.0 when none were).
    pub fn recall(&self) -> f64 {
        ratio(self.correct, self.support)
    }
}

fn ratio(n: usize, of: usize) -> f64 {
    if of == 0 {
        1.0
    } else {
        n as f64 / of as f64
    }
}

/// A line classified otherwise than labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub line: usize,
    pub expected: ReplyClass,
    pub got: ReplyClass,
    pub evidence: String,
    /// The body's first 60 characters, on one line.
    pub body_start: String,
}

/// A labelled return date or referral not found as labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailMiss {
    pub line: usize,
    pub expected: String,
    pub got: Option<String>,
}

/// The figures for a labelled set.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub lines: usize,
    /// In `ReplyClass::ALL` order.
    pub classes: Vec<ClassFigures>,
    /// `confusion[actual][predicted]`, indexed by `ReplyClass::index`.
    pub confusion: [[usize; 9]; 9],
    pub return_dates_right: usize,
    pub return_dates_expected: usize,
    pub referrals_right: usize,
    pub referrals_expected: usize,
    /// Per language (as the lines say; "?" where they do not): lines, right.
    pub languages: BTreeMap<String, (usize, usize)>,
    pub misses: Vec<Miss>,
    pub return_date_misses: Vec<DetailMiss>,
    pub referral_misses: Vec<DetailMiss>,
}

impl EvalReport {
    pub fn figures(&self, class: ReplyClass) -> &ClassFigures {
        &self.classes[class.index()]
    }

    pub fn correct(&self) -> usize {
        self.classes.iter().map(|c| c.correct).sum()
    }
}

/// Classifies every line of a labelled JSON-lines set and measures the
/// result. Blank lines are skipped; any other line that is not a labelled
/// reply is an error naming it.
pub fn evaluate(jsonl: &str) -> Result<EvalReport, EvalError> {
    let default_at = DateTime::parse_from_rfc3339(DEFAULT_RECEIVED_AT)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default();
    let mut report = EvalReport {
        lines: 0,
        classes: ReplyClass::ALL
            .into_iter()
            .map(|class| ClassFigures {
                class,
                support: 0,
                predicted: 0,
                correct: 0,
            })
            .collect(),
        confusion: [[0; 9]; 9],
        return_dates_right: 0,
        return_dates_expected: 0,
        referrals_right: 0,
        referrals_expected: 0,
        languages: BTreeMap::new(),
        misses: Vec::new(),
        return_date_misses: Vec::new(),
        referral_misses: Vec::new(),
    };
    for (i, text) in jsonl.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let line = i + 1;
        let bad = |reason: String| EvalError::BadLine { line, reason };
        let l: Line = serde_json::from_str(text).map_err(|e| bad(json_reason(&e)))?;
        let expected: ReplyClass = l.label.parse().map_err(|e| bad(format!("label: {e}")))?;
        if !matches!(l.channel.as_str(), "email" | "sms" | "linkedin") {
            return Err(bad(format!(
                "channel: {:?} is not email, sms or linkedin",
                l.channel
            )));
        }
        let want_date = match &l.return_date {
            Some(d) => Some(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|e| bad(format!("return_date: {d:?} is not YYYY-MM-DD ({e})")))?,
            ),
            None => None,
        };
        let received_at = match &l.received_at {
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map_err(|e| bad(format!("received_at: {t:?} is not RFC 3339 ({e})")))?
                .with_timezone(&Utc),
            None => default_at,
        };
        let headers: Vec<(String, String)> = l.headers.into_iter().collect();
        let got = classify(&Reply {
            channel: &l.channel,
            headers: &headers,
            subject: &l.subject,
            body: &l.body,
            received_at,
        });
        tally(&mut report, line, expected, &got, &l.body);
        let lang = report
            .languages
            .entry(l.lang.unwrap_or_else(|| "?".into()))
            .or_default();
        lang.0 += 1;
        lang.1 += usize::from(got.class == expected);
        if let Some(want) = want_date {
            report.return_dates_expected += 1;
            if got.return_date == Some(want) {
                report.return_dates_right += 1;
            } else {
                report.return_date_misses.push(DetailMiss {
                    line,
                    expected: want.to_string(),
                    got: got.return_date.map(|d| d.to_string()),
                });
            }
        }
        if let Some(want) = l.referral_email {
            report.referrals_expected += 1;
            if got.referral_email.as_deref() == Some(want.trim().to_lowercase().as_str()) {
                report.referrals_right += 1;
            } else {
                report.referral_misses.push(DetailMiss {
                    line,
                    expected: want,
                    got: got.referral_email.clone(),
                });
            }
        }
    }
    if report.lines == 0 {
        return Err(EvalError::Empty);
    }
    Ok(report)
}

/// serde's message without its "at line 1 column N" (every line is line 1
/// to it).
fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((reason, _)) => format!("{reason} (column {})", e.column()),
        None => text,
    }
}

fn tally(
    report: &mut EvalReport,
    line: usize,
    expected: ReplyClass,
    got: &Classification,
    body: &str,
) {
    report.lines += 1;
    report.confusion[expected.index()][got.class.index()] += 1;
    report.classes[expected.index()].support += 1;
    report.classes[got.class.index()].predicted += 1;
    if got.class == expected {
        report.classes[expected.index()].correct += 1;
    } else {
        report.misses.push(Miss {
            line,
            expected,
            got: got.class,
            evidence: got.evidence.clone(),
            body_start: body
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(60)
                .collect(),
        });
    }
}

/// Short column names for the confusion matrix.
fn short(class: ReplyClass) -> &'static str {
    match class {
        ReplyClass::OutOfOffice => "ooo",
        ReplyClass::Interested => "int",
        ReplyClass::BookingIntent => "book",
        ReplyClass::Objection => "obj",
        ReplyClass::NotNow => "later",
        ReplyClass::WrongPerson => "wrong",
        ReplyClass::Unsubscribe => "unsub",
        ReplyClass::OtherAuto => "auto",
        ReplyClass::NeutralQuestion => "quest",
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let right = self.correct();
        writeln!(
            f,
            "{} replies, {} classified as labelled ({:.1}%)",
            self.lines,
            right,
            100.0 * ratio(right, self.lines)
        )?;
        if !self.languages.is_empty() {
            let langs: Vec<String> = self
                .languages
                .iter()
                .map(|(l, (n, ok))| format!("{l} {ok}/{n}"))
                .collect();
            writeln!(f, "by language: {}", langs.join(", "))?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:<18} {:>9} {:>7} {:>8}",
            "class", "precision", "recall", "support"
        )?;
        for c in &self.classes {
            writeln!(
                f,
                "{:<18} {:>9.3} {:>7.3} {:>8}",
                c.class.as_str(),
                c.precision(),
                c.recall(),
                c.support
            )?;
        }
        writeln!(f)?;
        writeln!(f, "confusion (rows: labelled, columns: classified)")?;
        write!(f, "{:<6}", "")?;
        for c in ReplyClass::ALL {
            write!(f, "{:>6}", short(c))?;
        }
        writeln!(f)?;
        for actual in ReplyClass::ALL {
            write!(f, "{:<6}", short(actual))?;
            for predicted in ReplyClass::ALL {
                write!(
                    f,
                    "{:>6}",
                    self.confusion[actual.index()][predicted.index()]
                )?;
            }
            writeln!(f)?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "return dates: {}/{} right",
            self.return_dates_right, self.return_dates_expected
        )?;
        writeln!(
            f,
            "referral emails: {}/{} right",
            self.referrals_right, self.referrals_expected
        )?;
        if !self.misses.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "misclassified: {} (first {} shown)",
                self.misses.len(),
                self.misses.len().min(MISSES_SHOWN)
            )?;
            for m in self.misses.iter().take(MISSES_SHOWN) {
                writeln!(
                    f,
                    "  line {}: expected {}, got {} ({})\n      {:?}",
                    m.line, m.expected, m.got, m.evidence, m.body_start
                )?;
            }
        }
        for (what, misses) in [
            ("return dates", &self.return_date_misses),
            ("referral emails", &self.referral_misses),
        ] {
            if misses.is_empty() {
                continue;
            }
            writeln!(f)?;
            writeln!(f, "{what} not found as labelled:")?;
            for m in misses.iter().take(MISSES_SHOWN) {
                writeln!(
                    f,
                    "  line {}: expected {}, got {}",
                    m.line,
                    m.expected,
                    m.got.as_deref().unwrap_or("none")
                )?;
            }
        }
        Ok(())
    }
}
