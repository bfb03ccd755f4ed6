//! The quality guard (SPEC §5): checks each draft before it is queued, and
//! remembers what operators rejected for a lead so the same draft, template
//! or opener is not put in front of them again.
//!
//! Phrases are matched on words (maximal alphanumeric runs, lowercased), not
//! substrings: "Jo" is not found in "Joe's", "leverage" not in "leveraged",
//! and "best-in-class" matches "best in class".

use crate::domain::lead::Lead;
use crate::domain::touch::Channel;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GuardMode {
    /// No checks at all.
    Off,
    /// Findings are reported to the approver; nothing is blocked.
    Soft,
    /// A draft with any finding is not queued.
    #[default]
    Hard,
}

/// The tenant's guard settings (`TenantConfig.guard`); a missing field takes
/// its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardSettings {
    pub mode: GuardMode,
    /// At this many rejections within `memory_days` the lead is held.
    pub max_rejections: u32,
    /// How long a rejection is remembered.
    pub memory_days: i64,
    /// Lead facts (see [`evidence`]) the subject and body must mention.
    pub min_evidence: usize,
    /// Openers that read as mass mail; matched anywhere in the first sentence.
    pub banned_openers: Vec<String>,
    /// Filler that says nothing about the lead.
    pub generic_phrases: Vec<String>,
    /// Above this many generic-phrase occurrences per 100 words a draft is
    /// flagged.
    pub max_generic_per_100_words: f64,
}

const DEFAULT_BANNED_OPENERS: &[&str] = &[
    "I hope this email finds you well",
    "I hope this finds you well",
    "I hope you're doing well",
    "I hope you are doing well",
    "hope all is well",
    "my name is",
    "I wanted to reach out",
    "I'm reaching out",
    "I am reaching out",
    "just checking in",
    "just following up",
    "quick question",
    "I came across your",
    "to whom it may concern",
    "dear sir or madam",
    "allow me to introduce",
];

const DEFAULT_GENERIC_PHRASES: &[&str] = &[
    "synergy",
    "synergies",
    "leverage",
    "best-in-class",
    "cutting-edge",
    "game-changer",
    "game changing",
    "next level",
    "world-class",
    "innovative solution",
    "circle back",
    "touch base",
    "revolutionary",
    "at your earliest convenience",
    "value proposition",
    "streamline",
    "robust",
    "seamless",
    "low-hanging fruit",
    "move the needle",
    "paradigm",
    "disrupt",
    "scalable solution",
    "win-win",
    "state-of-the-art",
    "one-stop shop",
    "unlock your potential",
    "take your business to the next level",
];

/// The lead facts [`evidence`] can find; `min_evidence` above this count
/// could never be met.
const FACT_KINDS: usize = 8;

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            mode: GuardMode::Hard,
            max_rejections: 3,
            memory_days: 30,
            min_evidence: 2,
            banned_openers: DEFAULT_BANNED_OPENERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            generic_phrases: DEFAULT_GENERIC_PHRASES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            max_generic_per_100_words: 2.0,
        }
    }
}

impl GuardSettings {
    /// Checks the settings, naming the first bad field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, r: &str| Err((format!("guard.{f}"), r.to_string()));
        if self.max_rejections == 0 {
            return bad(
                "max_rejections",
                "must be at least 1 (0 would hold every lead)",
            );
        }
        if !(1..=3650).contains(&self.memory_days) {
            return bad("memory_days", "must be within 1..3650");
        }
        if self.min_evidence > FACT_KINDS {
            return bad(
                "min_evidence",
                "must be at most 8: there are only 8 lead facts to find",
            );
        }
        if !self.max_generic_per_100_words.is_finite() || self.max_generic_per_100_words < 0.0 {
            return bad("max_generic_per_100_words", "must be a number, 0 or more");
        }
        for (field, list) in [
            ("banned_openers", &self.banned_openers),
            ("generic_phrases", &self.generic_phrases),
        ] {
            if let Some(i) = list.iter().position(|p| words(p).is_empty()) {
                return bad(&format!("{field}[{i}]"), "must contain a word");
            }
        }
        Ok(())
    }
}

// Rejections are remembered on the lead, a core type.
pub use crate::domain::lead::Rejection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardRule {
    PriorRejections,
    RejectedFingerprint,
    LowPersonalisation,
    BannedOpener,
    GenericPhrases,
}

/// One rule a draft broke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: GuardRule,
    /// What exactly is wrong, short enough for a one-line summary.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GuardReport {
    pub findings: Vec<Finding>,
    /// True only in Hard mode with at least one finding.
    pub blocked: bool,
    /// The lead facts found in the text ("company", "city", "rating", ...),
    /// for the approver.
    pub evidence: Vec<String>,
}

impl GuardReport {
    /// One line for logs and the approval screen; "" when nothing was found.
    pub fn summary(&self) -> String {
        if self.findings.is_empty() {
            return String::new();
        }
        let verdict = if self.blocked { "blocked" } else { "flagged" };
        let details: Vec<&str> = self.findings.iter().map(|f| f.detail.as_str()).collect();
        format!("{verdict}: {}", details.join("; "))
    }
}

/// Rejections still remembered at `now`: those less than `memory_days` old.
/// A rejection exactly `memory_days` old is forgotten, so "30 days" means a
/// rejection at 09:00 on the 1st stops counting at 09:00 on the 31st. One
/// dated after `now` (clock skew between functions) is remembered.
pub fn remembered<'a>(
    rejections: &'a [Rejection],
    settings: &GuardSettings,
    now: DateTime<Utc>,
) -> impl Iterator<Item = &'a Rejection> {
    let memory = TimeDelta::try_days(settings.memory_days).unwrap_or(TimeDelta::MAX);
    rejections.iter().filter(move |r| now - r.at < memory)
}

/// Should the lead be held: it has been rejected `max_rejections` times
/// within the memory.
pub fn should_hold(rejections: &[Rejection], settings: &GuardSettings, now: DateTime<Utc>) -> bool {
    remembered(rejections, settings, now).count() >= settings.max_rejections as usize
}

/// Template ids and openers rejected for this lead and still remembered,
/// for the writer to stay away from.
pub fn avoided(
    rejections: &[Rejection],
    settings: &GuardSettings,
    now: DateTime<Utc>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut templates, mut openers) = (BTreeSet::new(), BTreeSet::new());
    for r in remembered(rejections, settings, now) {
        if !r.template_id.is_empty() {
            templates.insert(r.template_id.clone());
        }
        if !r.opener.is_empty() {
            openers.insert(r.opener.clone());
        }
    }
    (templates, openers)
}

/// Lowercased words of a text: its maximal alphanumeric runs.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Where `needle` occurs as a run of whole words in `haystack`.
fn positions<'a>(haystack: &'a [String], needle: &'a [String]) -> impl Iterator<Item = usize> + 'a {
    let width = needle.len().max(1);
    haystack
        .windows(width)
        .enumerate()
        .filter(move |(_, w)| !needle.is_empty() && *w == needle)
        .map(|(i, _)| i)
}

fn occurrences(haystack: &[String], needle: &[String]) -> usize {
    positions(haystack, needle).count()
}

/// Words a reader counts: whitespace-separated pieces with a letter or digit.
fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Words that open a greeting ("Hi Jo,", "Good morning Jo -").
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "howdy",
    "dear",
    "greetings",
    "morning",
    "good morning",
    "good afternoon",
    "good evening",
];

/// Where a greeting clause ends on its line: the earliest `,` `!` `:` `;`,
/// dash or spaced hyphen, and the delimiter's length.
fn greeting_end(line: &str) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for delim in [",", "!", ":", ";", "\u{2014}", "\u{2013}", " -"] {
        if let Some(i) = line.find(delim) {
            if best.is_none_or(|(b, _)| i < b) {
                best = Some((i, delim.len()));
            }
        }
    }
    best
}

/// The body after its greeting: a greeting line ("Hi Jo," / "Jo,") or a
/// greeting clause on the first line ("Hi Jo, I saw ..." / "Hello Jo - I
/// saw ..."). A body without one is returned whole.
fn after_greeting(body: &str) -> &str {
    let text = body.trim_start();
    let line_end = text.find('\n').unwrap_or(text.len());
    let line = &text[..line_end];
    let line_words = words(line);
    let greets = GREETINGS.iter().any(|g| {
        let g = words(g);
        line_words.starts_with(&g)
    });
    match greeting_end(line) {
        Some((i, len)) => {
            let clause = word_count(&line[..i]);
            let rest_of_line = line[i + len..].trim();
            // "Jo," / "Jo Lee," alone on a line, or "Jo, I saw ...": a name
            // clause. Two words before a comma with more after it, or
            // lowercase ones, are more likely an opener ("Quick question,").
            let capitalised = line[..i]
                .split_whitespace()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase));
            let name_only =
                capitalised && (clause == 1 || (clause <= 3 && rest_of_line.is_empty()));
            if (greets && clause <= 5) || name_only {
                return &text[i + len..];
            }
            text
        }
        None if greets && line_words.len() <= 4 => &text[line_end..],
        None => text,
    }
}

/// The first sentence of a text: up to a line break or a `.` `!` `?`
/// followed by a space (so "4.8" does not end it).
fn first_sentence(text: &str) -> &str {
    let text = text.trim_start();
    let line = &text[..text.find('\n').unwrap_or(text.len())];
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|(_, n)| n.is_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Longest opener kept, in characters: enough to tell two openers apart.
const OPENER_CHARS: usize = 80;

/// Lowercased, curly apostrophes straightened, whitespace collapsed,
/// punctuation trimmed from both ends, at most 80 characters (cut at a word
/// boundary where there is one).
fn normalise_opener(sentence: &str) -> String {
    let collapsed = sentence
        .to_lowercase()
        .replace(['\u{2018}', '\u{2019}'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let trimmed = collapsed.trim_matches(|c: char| !c.is_alphanumeric());
    let cut = match trimmed.char_indices().nth(OPENER_CHARS) {
        None => trimmed,
        Some((end, next)) => {
            let head = &trimmed[..end];
            match head.rfind(' ') {
                Some(space) if next.is_alphanumeric() => &head[..space],
                _ => head,
            }
        }
    };
    cut.trim_matches(|c: char| !c.is_alphanumeric()).to_string()
}

/// The opener of a message body: its first sentence after any greeting,
/// normalised (lowercase, single spaces, no surrounding punctuation, at most
/// 80 characters) so two drafts that open the same way compare equal.
/// An empty body has the opener "".
pub fn opener(body: &str) -> String {
    normalise_opener(first_sentence(after_greeting(body)))
}

/// Legal-form words dropped from a company name: drafts say "Quill Widgets",
/// not "Quill Widgets LLC".
const COMPANY_SUFFIXES: &[&str] = &[
    "llc",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "co",
    "corp",
    "corporation",
    "company",
    "plc",
    "llp",
    "pllc",
    "lp",
    "pc",
    "gmbh",
    "pty",
];

/// Words that make a number a review count rather than any number.
fn is_review_word(w: &str) -> bool {
    w.starts_with("review") || matches!(w, "rating" | "ratings" | "stars" | "google" | "yelp")
}

/// Does `number` occur in `text` as a whole number (not inside "14.6" or
/// "4.65")?
fn has_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(i, m)| {
        let before = text[..i].chars().next_back();
        let after = text[i + m.len()..].chars().next();
        let digit_after = after.is_some_and(|c| c.is_ascii_digit());
        // "4.6." ends a sentence; "4.65" is another number.
        let decimal_after = after == Some('.')
            && text[i + m.len() + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit());
        let number_before = before.is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',');
        !digit_after && !decimal_after && !number_before
    })
}

/// `n` with thousands separators: 1234 -> "1,234".
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Lead facts the subject or body mentions, by name: `first_name`,
/// `company`, `city`, `state`, `title`, `industry`, `rating`,
/// `review_count`. Names and places match case-insensitively on whole
/// words; a two- or three-letter state code ("IN", "OR") only in capitals,
/// since in lowercase it is an ordinary word. A rating matches as written
/// to one decimal ("4.6"), or "4 stars" for a whole one; a review count
/// only next to a word like "reviews", since a bare "12" is usually
/// something else.
pub fn evidence(subject: Option<&str>, body: &str, lead: &Lead) -> Vec<String> {
    let texts: Vec<&str> = subject.into_iter().chain([body]).collect();
    let tokens: Vec<Vec<String>> = texts.iter().map(|t| words(t)).collect();
    let mentions = |phrase: &str| {
        let needle = words(phrase);
        !needle.is_empty() && tokens.iter().any(|t| occurrences(t, &needle) > 0)
    };
    fn fact(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let mut found = Vec::new();

    if fact(&lead.first_name).is_some_and(mentions) {
        found.push("first_name");
    }
    if let Some(company) = fact(&lead.company) {
        let full = words(company);
        let mut short = full.clone();
        while short.len() > 1
            && short
                .last()
                .is_some_and(|w| COMPANY_SUFFIXES.contains(&w.as_str()))
        {
            short.pop();
        }
        if mentions(company) || tokens.iter().any(|t| occurrences(t, &short) > 0) {
            found.push("company");
        }
    }
    if fact(&lead.city).is_some_and(mentions) {
        found.push("city");
    }
    if let Some(state) = fact(&lead.state) {
        let is_code = state.len() <= 3 && state.chars().all(|c| c.is_ascii_uppercase());
        let hit = if is_code {
            texts
                .iter()
                .any(|t| t.split(|c: char| !c.is_alphanumeric()).any(|w| w == state))
        } else {
            mentions(state)
        };
        if hit {
            found.push("state");
        }
    }
    if fact(&lead.title).is_some_and(mentions) {
        found.push("title");
    }
    if fact(&lead.industry).is_some_and(mentions) {
        found.push("industry");
    }
    if let Some(rating) = lead.rating.filter(|r| r.is_finite() && *r > 0.0) {
        // As templates render it ("4.6"), as stored ("4.65"), or "5 stars".
        let mut written = vec![format!("{rating:.1}")];
        if rating.fract() != 0.0 {
            written.push(format!("{rating}"));
        }
        let whole = rating.fract() == 0.0
            && [format!("{rating:.0} star"), format!("{rating:.0} stars")]
                .iter()
                .any(|w| mentions(w));
        if whole
            || texts
                .iter()
                .any(|t| written.iter().any(|w| has_number(t, w)))
        {
            found.push("rating");
        }
    }
    if let Some(reviews) = lead.reviews.filter(|n| *n > 0) {
        let forms = [words(&reviews.to_string()), words(&grouped(reviews))];
        let near_review_word = tokens.iter().any(|t| {
            forms.iter().any(|form| {
                positions(t, form).any(|i| {
                    let from = i.saturating_sub(3);
                    let to = (i + form.len() + 3).min(t.len());
                    t[from..to].iter().any(|w| is_review_word(w))
                })
            })
        });
        if near_review_word {
            found.push("review_count");
        }
    }
    found.into_iter().map(String::from).collect()
}

/// How a float threshold reads in a detail: 2 not 2.0, 2.5 as is.
fn threshold(v: f64) -> String {
    format!("{v}")
}

/// A density to one decimal, or two when one would read as not above the
/// threshold ("2.0 per 100 words (max 2)").
fn shown_density(density: f64, max: f64) -> String {
    let one = format!("{density:.1}");
    if one.parse::<f64>().is_ok_and(|d| d <= max) {
        format!("{density:.2}")
    } else {
        one
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The check. `body` is the message body without the compliance footer
/// (the footer is ours, not the writer's). Voice call briefs are read only
/// by our caller, so only the rejection rules apply to them.
#[allow(clippy::too_many_arguments)]
pub fn check(
    settings: &GuardSettings,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
    fingerprint: &str,
    lead: &Lead,
    rejections: &[Rejection],
    now: DateTime<Utc>,
) -> GuardReport {
    let evidence = evidence(subject, body, lead);
    if settings.mode == GuardMode::Off {
        return GuardReport {
            evidence,
            ..GuardReport::default()
        };
    }
    let mut findings = Vec::new();
    let mut finding = |rule, detail: String| findings.push(Finding { rule, detail });

    let remembered: Vec<&Rejection> = remembered(rejections, settings, now).collect();
    if remembered.len() >= settings.max_rejections as usize {
        let since = remembered
            .iter()
            .map(|r| r.at)
            .min()
            .map(day)
            .unwrap_or_default();
        finding(
            GuardRule::PriorRejections,
            format!(
                "{} rejections since {since} (held at {} within {} days)",
                remembered.len(),
                settings.max_rejections,
                settings.memory_days
            ),
        );
    }
    if let Some(r) = remembered
        .iter()
        .find(|r| !fingerprint.is_empty() && r.fingerprint == fingerprint)
    {
        let reason = if r.reason.trim().is_empty() {
            String::new()
        } else {
            format!(", \"{}\"", r.reason.trim())
        };
        finding(
            GuardRule::RejectedFingerprint,
            format!(
                "same draft as rejected on {} (template {}{reason})",
                day(r.at),
                r.template_id
            ),
        );
    }

    if channel != Channel::Voice {
        if evidence.len() < settings.min_evidence {
            let found = if evidence.is_empty() {
                "no lead facts found".to_string()
            } else {
                let noun = if evidence.len() == 1 { "fact" } else { "facts" };
                format!(
                    "{} lead {noun} found ({})",
                    evidence.len(),
                    evidence.join(", ")
                )
            };
            finding(
                GuardRule::LowPersonalisation,
                format!("{found}, {} needed", settings.min_evidence),
            );
        }

        let opening = [words(&opener(body)), words(first_sentence(body))];
        let banned: Vec<String> = settings
            .banned_openers
            .iter()
            .filter(|b| {
                let needle = words(b);
                opening.iter().any(|o| occurrences(o, &needle) > 0)
            })
            .map(|b| format!("\"{}\"", b.trim()))
            .collect();
        if !banned.is_empty() {
            let noun = if banned.len() == 1 {
                "opener"
            } else {
                "openers"
            };
            finding(
                GuardRule::BannedOpener,
                format!("banned {noun} {}", banned.join(", ")),
            );
        }

        let texts: Vec<&str> = subject.into_iter().chain([body]).collect();
        let tokens: Vec<Vec<String>> = texts.iter().map(|t| words(t)).collect();
        let total_words: usize = texts.iter().map(|t| word_count(t)).sum();
        let mut seen = BTreeSet::new();
        let mut hits = Vec::new();
        let mut count = 0;
        for phrase in &settings.generic_phrases {
            let needle = words(phrase);
            if !seen.insert(needle.clone()) {
                continue;
            }
            let n: usize = tokens.iter().map(|t| occurrences(t, &needle)).sum();
            if n > 0 {
                count += n;
                let shown = format!("\"{}\"", phrase.trim());
                hits.push(if n == 1 {
                    shown
                } else {
                    format!("{shown} x{n}")
                });
            }
        }
        if total_words > 0 {
            let density = count as f64 * 100.0 / total_words as f64;
            if density > settings.max_generic_per_100_words {
                finding(
                    GuardRule::GenericPhrases,
                    format!(
                        "{} generic phrases per 100 words (max {}): {}",
                        shown_density(density, settings.max_generic_per_100_words),
                        threshold(settings.max_generic_per_100_words),
                        hits.join(", ")
                    ),
                );
            }
        }
    }

    let blocked = settings.mode == GuardMode::Hard && !findings.is_empty();
    GuardReport {
        findings,
        blocked,
        evidence,
    }
}

#[cfg(test)]
mod tests;
