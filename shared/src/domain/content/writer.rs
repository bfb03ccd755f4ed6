//! The AI writer's domain side: what it is asked (a prompt built from the
//! ICP, the offer and the lead's evidence) and how its answer is read.
//! The HTTP call lives in `adapters::writer`; the port is `ports::Writer`.

use crate::domain::dispatch::sequence::SequenceStep;
use crate::domain::lead::Lead;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::Channel;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt::Write as _;

/// One message asked of the writer, for one step of one lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteRequest {
    /// Standing instructions (voice, rules, output format).
    pub system: String,
    /// This lead, this step: the evidence and what to write.
    pub user: String,
    pub channel: Channel,
    /// Email asks for a subject; other channels do not.
    pub wants_subject: bool,
    /// Upper bound on the body's length in characters (SMS, LinkedIn notes).
    pub max_chars: usize,
}

/// What the writer wrote, before the footer and headers are added by us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Written {
    pub subject: Option<String>,
    pub body: String,
    /// The model that wrote it, for the record.
    pub model: String,
}

/// The longest body asked for on a channel: a LinkedIn connection note is
/// capped by LinkedIn at 300, an SMS past 300 costs several segments, a
/// voice brief is read by a caller before dialling.
pub fn max_chars(channel: Channel) -> usize {
    match channel {
        Channel::Email => 1200,
        Channel::Linkedin => 300,
        Channel::Sms => 300,
        Channel::Voice => 1500,
    }
}

/// Imported notes can be long; the model needs the gist, not a dossier.
const MAX_NOTES_CHARS: usize = 500;
/// An opener is a first line; longer entries are cut so one bad record
/// cannot swell the prompt.
const MAX_OPENER_CHARS: usize = 200;

/// Builds the request for one step. `channel` is where the message goes,
/// which may differ from `step.channel` when craft fell back to another
/// channel. `avoid_openers` are openers of drafts rejected for this lead.
pub fn build_request(
    config: &TenantConfig,
    lead: &Lead,
    step: &SequenceStep,
    channel: Channel,
    avoid_openers: &[String],
) -> WriteRequest {
    let max = max_chars(channel);
    WriteRequest {
        system: system_prompt(config, channel, max),
        user: user_prompt(config, lead, step, channel, max, avoid_openers),
        channel,
        wants_subject: channel == Channel::Email,
        max_chars: max,
    }
}

fn system_prompt(config: &TenantConfig, channel: Channel, max: usize) -> String {
    let sender = &config.sender;
    let mut s = String::new();
    let _ = write!(
        s,
        "You write one outbound sales message at a time for {}",
        one_line(&sender.name)
    );
    if !sender.company.trim().is_empty() {
        let _ = write!(s, " of {}", one_line(&sender.company));
    }
    s.push_str(".\n\nRules:\n");
    s.push_str("- Plain, specific and short. No hype, no superlatives, no flattery.\n");
    s.push_str(
        "- Use only the facts given to you: the lead's evidence, the offer and the \
         proof angles. Never invent a fact, number, name, customer or result. \
         Leave out what you do not know.\n",
    );
    s.push_str(
        "- No links, except the booking link when one is given. No placeholders: \
         write every word yourself.\n",
    );
    s.push_str(
        "- No footer, signature block, unsubscribe or opt-out text: it is added \
         after you.\n",
    );
    s.push_str(
        "- Do not start the way any opener listed as rejected starts, nor \
         paraphrase it.\n",
    );
    let _ = writeln!(
        s,
        "- The body is at most {max} characters. {}",
        channel_guidance(channel)
    );
    s.push_str("\nOutput: ");
    if channel == Channel::Email {
        s.push_str(r#"a single JSON object {"subject": "...", "body": "..."}"#);
    } else {
        s.push_str(r#"a single JSON object {"body": "..."}"#);
    }
    s.push_str(", and nothing else: no prose, no code fence.");
    s
}

fn channel_guidance(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "The subject is a few plain words, lower case is fine.",
        Channel::Linkedin => "It is a LinkedIn connection note: one or two sentences.",
        Channel::Sms => "It is a text message: one or two sentences.",
        Channel::Voice => {
            "It is a brief for a phone call: the opening line, the pain, the proof \
             and the ask, for the caller to say in their own words."
        }
    }
}

fn user_prompt(
    config: &TenantConfig,
    lead: &Lead,
    step: &SequenceStep,
    channel: Channel,
    max: usize,
    avoid_openers: &[String],
) -> String {
    let mut s = String::new();
    let icp = &config.icp;
    let _ = writeln!(s, "Who we sell to: {}", one_line(&icp.name));
    list(&mut s, "Their usual pains:", &icp.pains);
    list(&mut s, "Proof angles we can use:", &icp.proof_angles);

    let offer = lead
        .offer
        .as_deref()
        .and_then(|id| config.offers.iter().find(|o| o.id == id))
        .or_else(|| config.offers.first());
    if let Some(offer) = offer {
        s.push('\n');
        let _ = writeln!(s, "Offer: {}", one_line(&offer.name));
        field(&mut s, "Problem it solves", Some(&offer.problem));
        field(&mut s, "Call to action", Some(&offer.cta));
    }

    s.push('\n');
    let _ = writeln!(s, "Sender: {}", one_line(&config.sender.name));
    field(
        &mut s,
        "Booking link",
        Some(&config.sender.booking_link).filter(|l| !l.trim().is_empty()),
    );

    s.push('\n');
    let _ = writeln!(
        s,
        "Write step {} of the sequence (day {}) on {}.",
        step.step,
        step.day,
        channel.as_str()
    );
    field(&mut s, "Purpose of this step", Some(&step.purpose));
    let _ = writeln!(s, "Body limit: {max} characters.");

    s.push('\n');
    s.push_str("Evidence about the lead (the only facts you may use):\n");
    let evidence = evidence(lead);
    if evidence.is_empty() {
        s.push_str("- none: write without personal details\n");
    }
    for (label, value) in evidence {
        let _ = writeln!(s, "- {label}: {value}");
    }

    let openers: Vec<String> = avoid_openers
        .iter()
        .map(|o| truncate(&one_line(o), MAX_OPENER_CHARS))
        .filter(|o| !o.is_empty())
        .collect();
    if !openers.is_empty() {
        s.push('\n');
        s.push_str("Openers rejected before for this lead (do not reuse):\n");
        for o in openers {
            let _ = writeln!(s, "- \"{o}\"");
        }
    }
    s
}

/// The lead's facts that are present, labelled for the prompt.
fn evidence(lead: &Lead) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.as_deref().map(one_line).filter(|v| !v.is_empty());
    let mut out = Vec::new();
    let mut push = |label, value: Option<String>| {
        if let Some(v) = value {
            out.push((label, v));
        }
    };
    push("First name", text(&lead.first_name));
    push("Title", text(&lead.title));
    push("Company", text(&lead.company));
    let place: Vec<String> = [text(&lead.city), text(&lead.state)]
        .into_iter()
        .flatten()
        .collect();
    push("Location", (!place.is_empty()).then(|| place.join(", ")));
    push("Industry", text(&lead.industry));
    push(
        "Google rating",
        lead.rating
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| format!("{r:.1} of 5")),
    );
    push("Review count", lead.reviews.map(|n| n.to_string()));
    push(
        "Share of reviews answered",
        lead.review_response_rate
            .filter(|r| r.is_finite() && (0.0..=1.0).contains(r))
            .map(|r| format!("{:.0}%", r * 100.0)),
    );
    push("Website", text(&lead.website));
    push(
        "Notes",
        text(&lead.notes).map(|n| truncate(&n, MAX_NOTES_CHARS)),
    );
    out
}

fn list(s: &mut String, heading: &str, items: &[String]) {
    let items: Vec<String> = items
        .iter()
        .map(|i| one_line(i))
        .filter(|i| !i.is_empty())
        .collect();
    if items.is_empty() {
        return;
    }
    s.push_str(heading);
    s.push('\n');
    for i in items {
        let _ = writeln!(s, "- {i}");
    }
}

fn field(s: &mut String, label: &str, value: Option<&String>) {
    if let Some(v) = value.map(|v| one_line(v)).filter(|v| !v.is_empty()) {
        let _ = writeln!(s, "{label}: {v}");
    }
}

/// Collapses whitespace, newlines included, so imported data cannot add
/// lines that look like instructions of the prompt's own.
fn one_line(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(v: &str, max: usize) -> String {
    if v.chars().count() <= max {
        v.to_string()
    } else {
        let cut: String = v.chars().take(max).collect();
        format!("{}...", cut.trim_end())
    }
}

/// Reads the model's answer: the first JSON object in `text` (a code fence
/// or prose around it is tolerated), as `(subject, body)`, trimmed. The
/// error names what is wrong, for the record and the fallback's log.
pub fn parse_written(
    text: &str,
    request: &WriteRequest,
) -> Result<(Option<String>, String), String> {
    let object = first_object(text).ok_or("no JSON object in the answer")?;
    let body = match object.get("body") {
        None | Some(Value::Null) => return Err("body is missing".into()),
        Some(Value::String(b)) => b.trim().to_string(),
        Some(_) => return Err("body is not a string".into()),
    };
    if body.is_empty() {
        return Err("body is empty".into());
    }
    let subject = if request.wants_subject {
        let subject = match object.get("subject") {
            None | Some(Value::Null) => return Err("subject is missing".into()),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => return Err("subject is not a string".into()),
        };
        if subject.is_empty() {
            return Err("subject is empty".into());
        }
        // A line break in a subject would end up in a mail header.
        if subject.contains(['\r', '\n']) {
            return Err("subject spans more than one line".into());
        }
        if let Some(hole) = placeholder(&subject) {
            return Err(format!("subject has a template placeholder {hole:?}"));
        }
        Some(subject)
    } else {
        None
    };
    let chars = body.chars().count();
    if chars > request.max_chars {
        return Err(format!(
            "body is {chars} characters, over the {} allowed",
            request.max_chars
        ));
    }
    if let Some(hole) = placeholder(&body) {
        return Err(format!("body has a template placeholder {hole:?}"));
    }
    Ok((subject, body))
}

/// The first `{...}` in `text` that parses as a JSON object.
fn first_object(text: &str) -> Option<serde_json::Map<String, Value>> {
    text.match_indices('{').find_map(|(at, _)| {
        let mut values = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
        match values.next() {
            Some(Ok(Value::Object(map))) => Some(map),
            _ => None,
        }
    })
}

/// A hole the model left for a template engine to fill: `{{`, `}}`,
/// `{first_name}` or `[First Name]` (a bracketed run of words).
fn placeholder(text: &str) -> Option<String> {
    if let Some(at) = text.find("{{").or_else(|| text.find("}}")) {
        return Some(text[at..].chars().take(20).collect());
    }
    for (open, close) in [('{', '}'), ('[', ']')] {
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            if let Some(end) = after.find(close) {
                let inner = &after[..end];
                let wordy = !inner.trim().is_empty()
                    && inner.chars().count() <= 40
                    && inner
                        .chars()
                        .all(|c| c.is_alphabetic() || c == '_' || c == ' ' || c == '-');
                if wordy {
                    return Some(format!("{open}{inner}{close}"));
                }
            }
            rest = after;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TenantId;
    use crate::domain::lead::LeadStatus;

    fn config() -> TenantConfig {
        TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        )
    }

    fn lead() -> Lead {
        Lead {
            first_name: Some("Dana".into()),
            title: Some("General Manager".into()),
            company: Some("Sunset Motors".into()),
            city: Some("Tempe".into()),
            state: Some("AZ".into()),
            industry: Some("used car dealer".into()),
            rating: Some(3.64),
            reviews: Some(87),
            review_response_rate: Some(0.12),
            website: Some("https://sunset-motors.example".into()),
            notes: Some("Family-owned\nsince 1998".into()),
            status: LeadStatus::Queued,
            ..Default::default()
        }
    }

    fn email_request() -> WriteRequest {
        let c = config();
        build_request(&c, &lead(), &c.sequence[0], Channel::Email, &[])
    }

    fn sms_request() -> WriteRequest {
        let c = config();
        build_request(&c, &lead(), &c.sequence[0], Channel::Sms, &[])
    }

    #[test]
    fn given_a_lead_with_evidence_when_building_then_the_prompt_carries_it() {
        let c = config();
        let step = &c.sequence[0];
        let r = build_request(&c, &lead(), step, Channel::Email, &[]);
        for needle in [
            "First name: Dana",
            "Title: General Manager",
            "Company: Sunset Motors",
            "Location: Tempe, AZ",
            "Industry: used car dealer",
            "Google rating: 3.6 of 5",
            "Review count: 87",
            "Share of reviews answered: 12%",
            "Website: https://sunset-motors.example",
            "Notes: Family-owned since 1998",
        ] {
            assert!(r.user.contains(needle), "missing {needle:?} in\n{}", r.user);
        }
        assert!(r.user.contains(&c.icp.name));
        assert!(r.user.contains(&c.icp.pains[0]));
        assert!(r.user.contains(&c.icp.proof_angles[0]));
        assert!(r.user.contains(&c.offers[0].name));
        assert!(r.user.contains(&c.offers[0].problem));
        assert!(r.user.contains(&c.offers[0].cta));
        assert!(r.user.contains("Sender: Sam Rivera"));
        assert!(r
            .user
            .contains("Booking link: https://booking.example.com/sam"));
        assert!(r
            .user
            .contains(&format!("step {} of the sequence", step.step)));
        assert!(r.user.contains(&step.purpose));
        assert!(r.user.contains("on email"));
        assert!(r.system.contains(r#"{"subject": "...", "body": "..."}"#));
        assert!(r.wants_subject);
        assert_eq!(r.max_chars, 1200);
        assert_eq!(r.channel, Channel::Email);
    }

    #[test]
    fn given_absent_fields_when_building_then_they_are_left_out() {
        let c = config();
        let bare = Lead {
            company: Some("Sunset Motors".into()),
            first_name: Some("   ".into()),
            status: LeadStatus::Queued,
            ..Default::default()
        };
        let r = build_request(&c, &bare, &c.sequence[0], Channel::Email, &[]);
        assert!(r.user.contains("Company: Sunset Motors"));
        for absent in [
            "First name",
            "Title",
            "Location",
            "Industry",
            "Google rating",
            "Review count",
            "Share of reviews answered",
            "Website",
            "Notes",
            "rejected before",
        ] {
            assert!(!r.user.contains(absent), "{absent:?} in\n{}", r.user);
        }
    }

    #[test]
    fn given_only_a_state_when_building_then_the_location_is_the_state() {
        let c = config();
        let l = Lead {
            state: Some("AZ".into()),
            ..Default::default()
        };
        let r = build_request(&c, &l, &c.sequence[0], Channel::Email, &[]);
        assert!(r.user.contains("- Location: AZ\n"), "{}", r.user);
    }

    #[test]
    fn given_rejected_openers_when_building_then_they_are_listed_to_avoid() {
        let c = config();
        let openers = vec![
            "I noticed your reviews".to_string(),
            "Quick question\nabout Sunset".to_string(),
        ];
        let r = build_request(&c, &lead(), &c.sequence[0], Channel::Email, &openers);
        assert!(r.user.contains("rejected before"));
        assert!(r.user.contains("- \"I noticed your reviews\""));
        assert!(r.user.contains("- \"Quick question about Sunset\""));
    }

    #[test]
    fn given_the_lead_names_an_offer_when_building_then_that_offer_is_used() {
        let mut c = config();
        let mut second = c.offers[0].clone();
        second.id = "second".into();
        second.name = "The Second Offer".into();
        c.offers.push(second);
        let mut l = lead();
        l.offer = Some("second".into());
        let r = build_request(&c, &l, &c.sequence[0], Channel::Email, &[]);
        assert!(r.user.contains("Offer: The Second Offer"));
        l.offer = None;
        let r = build_request(&c, &l, &c.sequence[0], Channel::Email, &[]);
        assert!(r.user.contains(&format!("Offer: {}", c.offers[0].name)));
    }

    #[test]
    fn given_each_channel_when_building_then_the_limit_and_format_follow_it() {
        let c = config();
        let cases = [
            (Channel::Email, 1200, true),
            (Channel::Linkedin, 300, false),
            (Channel::Sms, 300, false),
            (Channel::Voice, 1500, false),
        ];
        for (channel, max, subject) in cases {
            let r = build_request(&c, &lead(), &c.sequence[0], channel, &[]);
            assert_eq!(r.max_chars, max, "{channel:?}");
            assert_eq!(r.wants_subject, subject, "{channel:?}");
            assert_eq!(r.system.contains("\"subject\""), subject, "{channel:?}");
            assert!(r.user.contains(&format!("on {}", channel.as_str())));
        }
    }

    #[test]
    fn given_no_booking_link_when_building_then_it_is_not_offered() {
        let mut c = config();
        c.sender.booking_link = String::new();
        let r = build_request(&c, &lead(), &c.sequence[0], Channel::Email, &[]);
        assert!(!r.user.contains("Booking link"));
    }

    #[test]
    fn given_plain_or_fenced_json_when_parsing_then_subject_and_body_are_read() {
        let r = email_request();
        let plain = r#"{"subject": " a note ", "body": " Hi Dana,\n\nshort note. "}"#;
        let fenced = format!("```json\n{plain}\n```");
        let prose = format!("Here is the message:\n{plain}\nHope it helps.");
        for text in [plain.to_string(), fenced, prose] {
            assert_eq!(
                parse_written(&text, &r),
                Ok((Some("a note".into()), "Hi Dana,\n\nshort note.".into())),
                "{text}"
            );
        }
    }

    #[test]
    fn given_a_channel_without_subject_when_parsing_then_any_subject_is_dropped() {
        let r = sms_request();
        assert_eq!(
            parse_written(r#"{"body": "Hi Dana"}"#, &r),
            Ok((None, "Hi Dana".into()))
        );
        assert_eq!(
            parse_written(r#"{"subject": "x", "body": "Hi Dana"}"#, &r),
            Ok((None, "Hi Dana".into()))
        );
    }

    #[test]
    fn given_bad_answers_when_parsing_then_each_is_rejected_with_its_reason() {
        let email = email_request();
        let sms = sms_request();
        let long = format!(r#"{{"body": "{}"}}"#, "a".repeat(301));
        let cases: Vec<(&str, &WriteRequest, &str)> = vec![
            ("Sorry, I cannot help.", &email, "no JSON object"),
            (r#"{"subject": "hi"}"#, &email, "body is missing"),
            (
                r#"{"subject": "hi", "body": "   "}"#,
                &email,
                "body is empty",
            ),
            (r#"{"body": "Hi Dana"}"#, &email, "subject is missing"),
            (
                r#"{"subject": " ", "body": "Hi Dana"}"#,
                &email,
                "subject is empty",
            ),
            (
                r#"{"subject": "a\nBcc: x@y", "body": "Hi"}"#,
                &email,
                "subject spans more than one line",
            ),
            (&long, &sms, "body is 301 characters, over the 300 allowed"),
            (r#"{"body": "Hi {{first_name}}"}"#, &sms, "placeholder"),
            (
                r#"{"body": "Hi {first_name}, hello"}"#,
                &sms,
                "placeholder \"{first_name}\"",
            ),
            (
                r#"{"body": "Hi [First Name], hello"}"#,
                &sms,
                "placeholder \"[First Name]\"",
            ),
            (
                r#"{"body": "Hi Dana at [Company]"}"#,
                &sms,
                "placeholder \"[Company]\"",
            ),
            (
                r#"{"subject": "for {company}", "body": "Hi"}"#,
                &email,
                "subject has a template placeholder",
            ),
        ];
        for (text, request, reason) in cases {
            let err = parse_written(text, request).unwrap_err();
            assert!(err.contains(reason), "{text}: {err:?} lacks {reason:?}");
        }
    }

    #[test]
    fn given_braces_and_brackets_that_are_not_holes_when_parsing_then_the_body_is_kept() {
        let r = sms_request();
        let body = "Rated 3.6 [87 reviews]; replies {12%} of the time.";
        let text = serde_json::json!({ "body": body }).to_string();
        assert_eq!(parse_written(&text, &r), Ok((None, body.into())));
    }
}
