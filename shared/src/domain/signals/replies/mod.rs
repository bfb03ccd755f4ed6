//! What a reply to our outreach means: an absence notice (and when the
//! person is back), another automatic message, or a person who is
//! interested, wants a meeting, objects, asks us to wait, points us to
//! someone else, opts out, or asks a question. Pure and deterministic: the
//! webhook handlers decide what to do with the answer.
//!
//! The reply is read whole, in order of how much each part can be trusted:
//! the headers mail systems put on automatic mail (RFC 3834
//! `Auto-Submitted`, `X-Autoreply`, `Precedence`, Exchange's inbox-rule
//! stamp), the subject they write ("Automatic reply:", "Abwesenheitsnotiz",
//! "Réponse automatique", "Respuesta automática"), then the body without the
//! history quoted below it (see `quoted`).
//!
//! Where two readings fit, the one that costs least to get wrong wins:
//! an opt-out beats everything a person writes; someone pointing us
//! elsewhere beats a deferral; a deferral beats a proposed time ("not now,
//! let's talk in March" is not a booking); a proposed time beats an
//! objection or interest; an objection beats interest unless a "but"
//! turns it ("not interested in a call, but send me something").
//!
//! `neutral_question` is a person's question that is neither interest nor
//! refusal: how we got their address, who we are, what it costs, whether
//! we integrate with X. Asking for material ("send me a deck", "case
//! studies?") is interest; asking for a time is booking intent. A human
//! reply in which nothing matched also lands there, with evidence saying
//! so: it needs a person to read it.

mod dates;
pub mod eval;
mod phrases;
pub mod quoted;
mod words;

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};
use dates::{Kind, Mention};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use words::{emails, Match, Words};

/// What a reply means for the sequence that prompted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyClass {
    OutOfOffice,
    Interested,
    BookingIntent,
    Objection,
    NotNow,
    WrongPerson,
    Unsubscribe,
    OtherAuto,
    NeutralQuestion,
}

impl ReplyClass {
    pub const ALL: [ReplyClass; 9] = [
        ReplyClass::OutOfOffice,
        ReplyClass::Interested,
        ReplyClass::BookingIntent,
        ReplyClass::Objection,
        ReplyClass::NotNow,
        ReplyClass::WrongPerson,
        ReplyClass::Unsubscribe,
        ReplyClass::OtherAuto,
        ReplyClass::NeutralQuestion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReplyClass::OutOfOffice => "out_of_office",
            ReplyClass::Interested => "interested",
            ReplyClass::BookingIntent => "booking_intent",
            ReplyClass::Objection => "objection",
            ReplyClass::NotNow => "not_now",
            ReplyClass::WrongPerson => "wrong_person",
            ReplyClass::Unsubscribe => "unsubscribe",
            ReplyClass::OtherAuto => "other_auto",
            ReplyClass::NeutralQuestion => "neutral_question",
        }
    }

    /// Sent by a machine, not a person: it is no reply to the sequence.
    pub fn is_auto(self) -> bool {
        matches!(self, ReplyClass::OutOfOffice | ReplyClass::OtherAuto)
    }

    /// Its place in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ReplyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of `ReplyClass::ALL`'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown reply class {0:?} (expected one of out_of_office, interested, booking_intent, objection, not_now, wrong_person, unsubscribe, other_auto, neutral_question)")]
pub struct UnknownClass(pub String);

impl FromStr for ReplyClass {
    type Err = UnknownClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReplyClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownClass(s.to_string()))
    }
}

/// A reply as received on any channel.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// "email", "sms" or "linkedin".
    pub channel: &'a str,
    pub headers: &'a [(String, String)],
    pub subject: &'a str,
    pub body: &'a str,
    pub received_at: DateTime<Utc>,
}

/// What a reply means, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub class: ReplyClass,
    /// What decided it: the header, the subject or the words matched.
    pub evidence: String,
    /// For `out_of_office` and `not_now`: when to write again, if the reply
    /// says.
    pub return_date: Option<NaiveDate>,
    /// For `wrong_person`: the address the reply points us to.
    pub referral_email: Option<String>,
}

/// Everything the decision reads, worked out once.
struct Reading<'a> {
    channel: &'a str,
    body: Words<'a>,
    subject: Words<'a>,
    /// A header that only machines put on mail.
    auto_header: Option<String>,
    /// `X-Auto-Response-Suppress`: Exchange puts it on auto-replies, but
    /// also on ordinary mail and newsletters, so it only supports.
    suppress_header: Option<String>,
    referral: Option<String>,
    mentions: Vec<Mention>,
    subject_mentions: Vec<Mention>,
}

/// What `reply` means. Never panics, whatever the input.
pub fn classify(reply: &Reply) -> Classification {
    let fresh = quoted::fresh_text(reply.body);
    let body = Words::new(&fresh);
    let subject = Words::new(reply.subject);
    let sender = header(reply.headers, "from").and_then(|v| emails(v).into_iter().next());
    let referral = emails(&fresh)
        .into_iter()
        .find(|e| Some(e) != sender.as_ref());
    let today = reply.received_at.date_naive();
    let day_first = dates::day_first(dates::guess_lang(&body), sender.as_deref());
    let (auto_header, suppress_header) = auto_headers(reply.headers);
    let reading = Reading {
        channel: reply.channel,
        mentions: dates::mentions(&body, day_first, today),
        subject_mentions: dates::mentions(&subject, day_first, today),
        body,
        subject,
        auto_header,
        suppress_header,
        referral,
    };
    decide(&reading)
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The header that marks the message automatic, if any; and Exchange's
/// weaker hint.
fn auto_headers(headers: &[(String, String)]) -> (Option<String>, Option<String>) {
    let mut strong = None;
    let mut weak = None;
    for (name, value) in headers {
        let n = name.trim().to_ascii_lowercase();
        let v = value.trim().to_ascii_lowercase();
        let says_yes = !v.is_empty() && !matches!(v.as_str(), "no" | "false" | "0");
        let is_auto = match n.as_str() {
            "auto-submitted" => says_yes,
            "x-autoreply"
            | "x-autorespond"
            | "x-autoresponder"
            | "x-auto-reply"
            | "x-autoreply-from"
            | "x-mail-autoreply"
            | "x-autogenerated"
            | "x-fc-machinegenerated" => says_yes,
            "precedence" | "x-precedence" => {
                matches!(v.as_str(), "auto_reply" | "bulk" | "junk")
            }
            "x-ms-exchange-inbox-rules-loop" | "x-ms-exchange-generated-message-source" => true,
            "return-path" => v == "<>" || v.contains("mailer-daemon"),
            "content-type" => v.starts_with("multipart/report"),
            "list-id" | "list-unsubscribe" | "feedback-id" => true,
            _ => {
                n.starts_with("x-ms-exchange-")
                    && (v.contains("autoreply") || v.contains("auto-reply") || v == "oof")
            }
        };
        let evidence = || format!("header {}: {}", name.trim(), value.trim());
        if is_auto && strong.is_none() {
            strong = Some(evidence());
        } else if n == "x-auto-response-suppress" && weak.is_none() {
            weak = Some(evidence());
        }
    }
    (strong, weak)
}

fn quoted_match(words: &Words, m: &Match) -> String {
    format!("'{}'", words.quote(m.first, m.end))
}

fn verdict(class: ReplyClass, evidence: Vec<String>) -> Classification {
    Classification {
        class,
        evidence: evidence.join("; "),
        return_date: None,
        referral_email: None,
    }
}

/// The rules a person's reply goes through; the first that reads it
/// decides. The order is the precedence the module doc explains.
const PERSON_RULES: &[fn(&Reading) -> Option<Classification>] = &[
    opt_out,
    departure,
    absence,
    elsewhere,
    later,
    meeting,
    objection_or_interest,
    leaning_in,
    referral_only,
    asks,
];

fn decide(r: &Reading) -> Classification {
    match machine_evidence(r) {
        Some(evidence) => machine(r, evidence),
        None => PERSON_RULES
            .iter()
            .find_map(|rule| rule(r))
            .unwrap_or_else(|| unread(r)),
    }
}

fn matched(words: &Words, m: &Match) -> String {
    format!("matched {}", quoted_match(words, m))
}

/// What marks the message as a machine's: a header, an automatic-reply
/// subject, or a system notice in the body (bounces often carry no header).
fn machine_evidence(r: &Reading) -> Option<Vec<String>> {
    let mut evidence = Vec::new();
    if let Some(h) = &r.auto_header {
        evidence.push(h.clone());
    }
    if let Some(m) = r.subject.first(phrases::AUTO_SUBJECT) {
        evidence.push(format!("subject {}", quoted_match(&r.subject, &m)));
    }
    if let Some(m) = r.body.first(phrases::SYSTEM_BODY) {
        evidence.push(matched(&r.body, &m));
    }
    (!evidence.is_empty()).then_some(evidence)
}

/// An automatic message: a departure notice naming a successor (someone
/// to write to instead), an absence notice, or anything else a machine
/// sends (bounces, acknowledgements, "not monitored", departures without a
/// successor).
fn machine(r: &Reading, mut evidence: Vec<String>) -> Classification {
    let body = &r.body;
    let left = body.first(phrases::LEFT_COMPANY);
    if let (Some(m), Some(email)) = (&left, &r.referral) {
        evidence.push(matched(body, m));
        return wrong_person(evidence, Some(email.clone()));
    }
    let ooo = body.first(phrases::OOO_BODY);
    let subject_ooo = r.subject.first(phrases::OOO_SUBJECT);
    if ooo.is_some() || subject_ooo.is_some() {
        return out_of_office(r, evidence, ooo, subject_ooo);
    }
    if let Some(m) = &left {
        evidence.push(format!(
            "matched {} without a new address",
            quoted_match(body, m)
        ));
        return verdict(ReplyClass::OtherAuto, evidence);
    }
    // A machine that names a return day, or speaks of leave or travel,
    // is an absence notice; a bounce or an acknowledgement is not.
    if body.first(phrases::SYSTEM_BODY).is_none() {
        let absence = body.first(phrases::AUTO_ABSENCE);
        let back =
            dates::return_date(body, &r.mentions).filter(|m| dates::return_score(body, m) >= 2);
        if absence.is_some() || back.is_some() {
            return out_of_office(r, evidence, absence, None);
        }
    }
    verdict(ReplyClass::OtherAuto, evidence)
}

/// "STOP", "unsubscribe", "take me off your list", and opt-outs in other
/// words ("remove this address from your outreach").
fn opt_out(r: &Reading) -> Option<Classification> {
    let body = &r.body;
    if let Some(e) = opt_out_keyword(r) {
        return Some(verdict(ReplyClass::Unsubscribe, vec![e]));
    }
    let m = body.first(phrases::UNSUBSCRIBE).or_else(|| {
        in_one_sentence(body, phrases::REMOVAL_VERBS, |(first, end)| {
            words_in(body, phrases::REMOVAL_OBJECTS, first, end)
        })
    })?;
    Some(verdict(ReplyClass::Unsubscribe, vec![matched(body, &m)]))
}

/// "I have left the company", written by the person or a colleague.
fn departure(r: &Reading) -> Option<Classification> {
    let m = r.body.first(phrases::LEFT_COMPANY)?;
    Some(wrong_person(vec![matched(&r.body, &m)], r.referral.clone()))
}

/// An absence written by hand ("on vacation, back jan 3") or sent by a
/// system that marks it only in the subject.
fn absence(r: &Reading) -> Option<Classification> {
    let ooo = r.body.first(phrases::OOO_BODY);
    let subject_ooo = r.subject.first(phrases::OOO_SUBJECT);
    if ooo.is_none() && subject_ooo.is_none() {
        return None;
    }
    let evidence = r.suppress_header.iter().cloned().collect();
    Some(out_of_office(r, evidence, ooo, subject_ooo))
}

/// "Not the right person, ask jane@acme.com".
fn elsewhere(r: &Reading) -> Option<Classification> {
    let m = r.body.first(phrases::WRONG_PERSON)?;
    Some(wrong_person(vec![matched(&r.body, &m)], r.referral.clone()))
}

/// Not now: said outright, a deferral ("next year", "in 3 months"), or a
/// month, quarter or season ahead with "again", "try", "not" and the like
/// ("Try me in March?", "mejor en abril").
fn later(r: &Reading) -> Option<Classification> {
    let body = &r.body;
    if let Some(m) = body.first(phrases::NOT_NOW) {
        return Some(not_now(r, matched(body, &m)));
    }
    if let Some(m) = r.mentions.iter().find(|m| m.kind == Kind::Deferral) {
        return Some(not_now(
            r,
            format!("matched '{}'", body.quote(m.first, m.end)),
        ));
    }
    let m = r.mentions.iter().find(|m| m.kind == Kind::Period)?;
    let w = body.first(phrases::DEFERRAL_WORDS)?;
    Some(not_now(
        r,
        format!(
            "matched '{}' with {}",
            body.quote(m.first, m.end),
            quoted_match(body, &w)
        ),
    ))
}

/// Asking for or offering a time: "can we schedule a call", "Tuesday at
/// 3pm?", "free Thursday afternoon", a calendar link.
fn meeting(r: &Reading) -> Option<Classification> {
    let body = &r.body;
    let evidence = if let Some(m) = body.first(phrases::BOOKING) {
        matched(body, &m)
    } else if let Some((first, end)) = proposed_time(body, &r.mentions) {
        format!("proposes a time '{}'", body.quote(first, end))
    } else {
        let (first, end) = offered_day(body, &r.mentions)?;
        format!("offers a day '{}'", body.quote(first, end))
    };
    Some(verdict(ReplyClass::BookingIntent, vec![evidence]))
}

/// A reply that opens with "yes", "sure", "ja", "oui", "sí".
fn leaning_in(r: &Reading) -> Option<Classification> {
    phrases::YES.contains(&r.body.norm(0)).then(|| {
        verdict(
            ReplyClass::Interested,
            vec![format!("opens with '{}'", r.body.quote(0, 1))],
        )
    })
}

/// Nothing but another person's address ("This would be for our CRO,
/// hannah@kinetica.ai"): we are being sent elsewhere.
fn referral_only(r: &Reading) -> Option<Classification> {
    let email = r.referral.as_ref()?;
    Some(wrong_person(
        vec![format!("names another address {email}")],
        Some(email.clone()),
    ))
}

/// A question that is neither interest nor refusal.
fn asks(r: &Reading) -> Option<Classification> {
    let evidence = match r.body.first(phrases::QUESTION) {
        Some(m) => matched(&r.body, &m),
        None => format!("asks '{}'", question(&r.body)?),
    };
    Some(verdict(ReplyClass::NeutralQuestion, vec![evidence]))
}

/// A person's reply no rule reads: a person has to.
fn unread(r: &Reading) -> Classification {
    let start: String = r.body.text.trim().chars().take(40).collect();
    let evidence = if start.is_empty() {
        "empty reply: nothing to read but the envelope".to_string()
    } else {
        format!("no intent phrase matched in '{start}': for a person to read")
    };
    verdict(ReplyClass::NeutralQuestion, vec![evidence])
}

fn out_of_office(
    r: &Reading,
    mut evidence: Vec<String>,
    body_match: Option<Match>,
    subject_match: Option<Match>,
) -> Classification {
    match (&body_match, &subject_match) {
        (Some(m), _) => evidence.push(format!("matched {}", quoted_match(&r.body, m))),
        (None, Some(m)) => evidence.push(format!("subject {}", quoted_match(&r.subject, m))),
        (None, None) => {}
    }
    let (back, words) = match dates::return_date(&r.body, &r.mentions) {
        Some(m) => (Some(m), &r.body),
        None => (
            dates::return_date(&r.subject, &r.subject_mentions),
            &r.subject,
        ),
    };
    if let Some(m) = &back {
        evidence.push(format!("return '{}'", words.quote(m.first, m.end)));
    }
    Classification {
        return_date: back.map(|m| m.date),
        ..verdict(ReplyClass::OutOfOffice, evidence)
    }
}

fn not_now(r: &Reading, why: String) -> Classification {
    let mut evidence = vec![why];
    let later = dates::follow_up_date(&r.mentions);
    if let Some(m) = &later {
        evidence.push(format!("follow up '{}'", r.body.quote(m.first, m.end)));
    }
    Classification {
        return_date: later.map(|m| m.date),
        ..verdict(ReplyClass::NotNow, evidence)
    }
}

fn wrong_person(mut evidence: Vec<String>, referral: Option<String>) -> Classification {
    if let Some(e) = &referral {
        if !evidence.iter().any(|x| x.contains(e.as_str())) {
            evidence.push(format!("referral {e}"));
        }
    }
    Classification {
        referral_email: referral,
        ..verdict(ReplyClass::WrongPerson, evidence)
    }
}

/// An SMS that is a carrier opt-out keyword, or any message with a
/// sentence that is nothing but an opt-out word ("Remove.", "STOP",
/// "unsubscribe please").
fn opt_out_keyword(r: &Reading) -> Option<String> {
    use super::twilio::{keyword, Keyword};
    if r.channel.eq_ignore_ascii_case("sms") && keyword(r.body.text) == Some(Keyword::Stop) {
        return Some(format!("SMS keyword '{}'", r.body.text.trim()));
    }
    r.body.sentences().into_iter().find_map(|(first, end)| {
        let kept: Vec<&str> = (first..end)
            .map(|i| r.body.norm(i))
            .filter(|w| !phrases::OPT_OUT_COURTESY.contains(w))
            .collect();
        let said = kept.join(" ");
        phrases::OPT_OUT_WORDS
            .contains(&said.as_str())
            .then(|| format!("opt-out keyword '{}'", r.body.quote(first, end)))
    })
}

/// Objection or interest, where "but" gives the last word: "not
/// interested in a call, but send it over" is interest, "interesting, but
/// we already use X" an objection.
fn objection_or_interest(r: &Reading) -> Option<Classification> {
    let body = &r.body;
    let objections = body.matches(phrases::OBJECTION);
    let mut interests = body.matches(phrases::INTERESTED);
    // "not interested" holds "interested": that is no interest.
    interests.retain(|i| {
        !objections
            .iter()
            .any(|o| o.first <= i.first && i.end <= o.end)
    });
    // Interest with a negation just before it is refusal: "zero
    // interest", "aucun intérêt", "keinerlei Interesse", "ningún interés".
    let negated: Vec<Match> = interests
        .iter()
        .filter_map(|i| {
            let from = i.first.saturating_sub(2);
            (from..i.first)
                .find(|&k| phrases::NEGATIONS.contains(&body.norm(k)))
                .map(|k| Match {
                    pattern: "negated interest",
                    first: k,
                    end: i.end,
                })
        })
        .collect();
    interests.retain(|i| !negated.iter().any(|n| n.end == i.end));
    let mut objections: Vec<Match> = objections
        .into_iter()
        .chain(negated)
        .chain(short_refusal(body))
        .collect();
    objections.sort_by_key(|m| m.first);
    let contrasts = body.matches(phrases::CONTRAST);
    let last_turn = |after: usize| contrasts.iter().rev().find(|c| c.first >= after).copied();
    match (objections.first(), interests.first()) {
        (Some(o), Some(_)) => {
            let turned = last_turn(o.end).and_then(|c| {
                interests
                    .iter()
                    .find(|i| i.first > c.first)
                    .map(|i| (c, *i))
            });
            Some(match turned {
                Some((c, i)) => verdict(
                    ReplyClass::Interested,
                    vec![format!(
                        "matched {} after {} {}",
                        quoted_match(body, &i),
                        quoted_match(body, &c),
                        quoted_match(body, o)
                    )],
                ),
                None => verdict(
                    ReplyClass::Objection,
                    vec![format!("matched {}", quoted_match(body, o))],
                ),
            })
        }
        (Some(o), None) => Some(verdict(
            ReplyClass::Objection,
            vec![format!("matched {}", quoted_match(body, o))],
        )),
        (None, Some(i)) => Some(verdict(
            ReplyClass::Interested,
            vec![format!("matched {}", quoted_match(body, i))],
        )),
        (None, None) => None,
    }
}

/// A sentence that is only a refusal word: "No.", "Nope", "Pass.", "Nein."
fn short_refusal<'b>(body: &'b Words) -> impl Iterator<Item = Match<'static>> + 'b {
    body.sentences()
        .into_iter()
        .filter_map(move |(first, end)| {
            let said: Vec<&str> = (first..end).map(|i| body.norm(i)).collect();
            let refusal = matches!(
                said.as_slice(),
                ["no"] | ["nope"] | ["pass"] | ["nein"] | ["non"] | ["no", "thanks"] | ["nah"]
            );
            refusal.then_some(Match {
                pattern: "refusal",
                first,
                end,
            })
        })
}

/// Whether word `i` names a day a meeting could be on: a weekday (also
/// abbreviated), "tomorrow" and its kin, or a written date.
fn is_day(body: &Words, mentions: &[Mention], i: usize) -> bool {
    let w = body.norm(i);
    NEAR_DAYS.contains(&w)
        || dates_weekday(w)
        || matches!(
            w,
            "mon" | "tue" | "tues" | "wed" | "thu" | "thur" | "thurs" | "fri"
        )
        || mentions
            .iter()
            .any(|m| m.kind == Kind::Day && (m.first..m.end).contains(&i))
}

/// A day offered for a meeting: "free Thursday afternoon", "open Wed/Thu",
/// "am 9.12. Zeit", "libre el lunes".
fn offered_day(body: &Words, mentions: &[Mention]) -> Option<(usize, usize)> {
    body.sentences().into_iter().find_map(|(first, end)| {
        let day = (first..end).find(|&i| is_day(body, mentions, i))?;
        let offer = words_in(body, phrases::AVAILABILITY_WORDS, first, end)?;
        Some((day.min(offer.first), day.max(offer.end - 1) + 1))
    })
}

/// The first match of `patterns` within words `first..end`.
fn words_in<'p>(body: &Words, patterns: &[&'p str], first: usize, end: usize) -> Option<Match<'p>> {
    body.matches(patterns)
        .into_iter()
        .find(|m| m.first >= first && m.end <= end)
}

/// The first match of `patterns` in a sentence that also passes `also`;
/// the match then spans both.
fn in_one_sentence<'p>(
    body: &Words,
    patterns: &[&'p str],
    also: impl Fn((usize, usize)) -> Option<Match<'p>>,
) -> Option<Match<'p>> {
    body.sentences().into_iter().find_map(|(first, end)| {
        let m = words_in(body, patterns, first, end)?;
        let other = also((first, end))?;
        Some(Match {
            pattern: m.pattern,
            first: m.first.min(other.first),
            end: m.end.max(other.end),
        })
    })
}

/// Days a time can be proposed on, besides the weekdays.
const NEAR_DAYS: &[&str] = &[
    "today", "tomorrow", "tonight", "heute", "morgen", "demain", "aujourd", "hoy", "manana",
];

/// A day with a time next to it ("Tuesday at 3pm", "Donnerstag um 14
/// Uhr", "mardi à 15h", "mañana a las 12"): a proposed meeting.
fn proposed_time(body: &Words, mentions: &[Mention]) -> Option<(usize, usize)> {
    let is_day = |i: usize| is_day(body, mentions, i);
    (0..body.len()).filter(|&t| is_time(body, t)).find_map(|t| {
        let from = t.saturating_sub(4);
        let to = (t + 5).min(body.len());
        (from..to)
            .filter(|&d| is_day(d))
            .find(|&d| !body.crosses_sentence(d.min(t), d.max(t) + 1))
            .map(|d| (d.min(t), d.max(t) + 1))
    })
}

fn dates_weekday(word: &str) -> bool {
    matches!(
        word,
        "monday"
            | "tuesday"
            | "wednesday"
            | "thursday"
            | "friday"
            | "montag"
            | "dienstag"
            | "mittwoch"
            | "donnerstag"
            | "freitag"
            | "lundi"
            | "mardi"
            | "mercredi"
            | "jeudi"
            | "vendredi"
            | "lunes"
            | "martes"
            | "miercoles"
            | "jueves"
            | "viernes"
    )
}

/// A clock time: "3pm", "15h", "11h30", "14 Uhr", "2:30", "at 4", "a las 10".
fn is_time(body: &Words, i: usize) -> bool {
    let w = body.norm(i);
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let rest = &w[digits.len()..];
    let hour_ok =
        !digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit());
    if hour_ok && matches!(rest, "am" | "pm" | "h" | "uhr") {
        return true;
    }
    if let Some((h, m)) = w.split_once('h') {
        if !h.is_empty()
            && h.len() <= 2
            && m.len() == 2
            && w.bytes().filter(|b| b.is_ascii_digit()).count() == w.len() - 1
        {
            return true;
        }
    }
    if !hour_ok || !rest.is_empty() {
        return false;
    }
    let next = body.norm(i + 1);
    let before = i.checked_sub(1).map_or("", |b| body.norm(b));
    matches!(next, "am" | "pm" | "uhr" | "h")
        || (body.sep_before(i + 1) == ":" && next.len() == 2)
        || matches!(
            before,
            "at" | "um" | "las" | "vers" | "around" | "gegen" | "after"
        )
}

/// The first sentence that asks something.
fn question(body: &Words) -> Option<String> {
    body.sentences()
        .into_iter()
        .find(|&(first, end)| {
            body.sep_before(end).trim_start().starts_with('?')
                || body.sep_before(first).contains('¿')
        })
        .map(|(first, end)| body.quote(first, end).to_string())
}
