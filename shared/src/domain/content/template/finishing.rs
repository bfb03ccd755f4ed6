//! Finishing a draft into the message that is sent, the same for every
//! source (template, AI writer, operator edit): the email footer and RFC 8058
//! headers, SMS opt-out and segments, the call brief; and the compliance
//! check that approval and sending apply to it.

use super::*;

/// Channel-specific finishing, applied to every draft (template, AI or
/// operator edit) so none can skip it.
#[derive(Debug, Clone)]
pub struct Finish<'a> {
    pub channel: Channel,
    pub compliance: &'a Compliance,
    /// This is the first SMS the sequence sends to the lead's number.
    pub first_sms: bool,
    pub sms_max_segments: usize,
    /// The facts block a voice step's call brief opens with.
    pub call_facts: Option<String>,
}

/// Turns a draft into the message that is sent: the email footer and
/// RFC 8058 headers; SMS opt-out wording on the first SMS, GSM-safe text and
/// the segment limit; the call brief's facts for voice.
pub fn finish(draft: &Draft, f: &Finish<'_>) -> Result<Message, RenderError> {
    let core = draft
        .body
        .split_once(FOOTER_MARK)
        .map(|(a, _)| a)
        .unwrap_or(&draft.body)
        .trim()
        .to_string();
    let mut headers = BTreeMap::new();
    let body = match f.channel {
        Channel::Email => {
            let c = f.compliance;
            headers.insert(
                "List-Unsubscribe".to_string(),
                format!("<{}>, <{}>", c.unsubscribe_url, c.unsubscribe_mailto),
            );
            headers.insert(
                "List-Unsubscribe-Post".to_string(),
                "List-Unsubscribe=One-Click".to_string(),
            );
            // Data never writes a header: a header built from config that
            // is not safe refuses the draft (the subject is made safe below).
            if let Some(reason) = headers
                .iter()
                .find_map(|(name, value)| headers::header_problem(name, value))
            {
                return Err(RenderError::Limit {
                    template: draft.template_id.clone(),
                    reason,
                });
            }
            format!(
                "{core}{FOOTER_MARK}{}, {}\nDon't want these emails? Unsubscribe: {}",
                c.sender_company, c.physical_address, c.unsubscribe_url
            )
        }
        Channel::Sms => {
            let mut text = sms::gsm_normalise(&core);
            if f.first_sms {
                text = sms::with_opt_out(&text, sms::DEFAULT_OPT_OUT);
            }
            let seg = sms::segments(&text);
            if seg.segments > f.sms_max_segments {
                return Err(RenderError::Limit {
                    template: draft.template_id.clone(),
                    reason: format!(
                        "SMS is {} segments ({} {:?} units), more than the limit of {}",
                        seg.segments, seg.units, seg.encoding, f.sms_max_segments
                    ),
                });
            }
            text
        }
        Channel::Voice => match &f.call_facts {
            Some(facts) => format!("{facts}\n\nTalking points:\n{core}"),
            None => core,
        },
        Channel::Linkedin => core,
    };
    Ok(Message {
        subject: draft.subject.as_deref().map(headers::safe_subject),
        body,
        headers,
        template_id: draft.template_id.clone(),
        subject_variant: draft.subject_variant.map(|i| i as u8),
        body_variant: Some(draft.body_variant as u8),
        ..Default::default()
    })
}

/// The facts a caller needs before dialling, from the lead as it is now.
pub fn call_facts(lead: &Lead, config: &TenantConfig) -> String {
    let name = [lead.first_name.as_deref(), lead.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut lines = vec![format!(
        "CALL BRIEF: {}{}{}",
        if name.is_empty() { "the owner" } else { &name },
        lead.title
            .as_deref()
            .map(|t| format!(", {t}"))
            .unwrap_or_default(),
        lead.company
            .as_deref()
            .map(|c| format!(" at {c}"))
            .unwrap_or_default()
    )];
    let zone = lead
        .timezone
        .clone()
        .unwrap_or_else(|| config.timezone.clone());
    // The number the call goes to, which line it is, and the extension to
    // ask for.
    let number = lead.address(crate::domain::touch::Channel::Voice);
    let line = if number.is_empty() {
        "none".to_string()
    } else if lead.phone.as_deref() == Some(number.as_str()) {
        match &lead.phone_ext {
            Some(ext) => format!("{number} ext. {ext} (direct)"),
            None => format!("{number} (direct)"),
        }
    } else if lead.mobile_phone.as_deref() == Some(number.as_str()) {
        format!("{number} (mobile)")
    } else {
        let ext = lead
            .company_phone_ext
            .as_deref()
            .map(|e| format!(" ext. {e}"))
            .unwrap_or_default();
        let ask = lead
            .first_name
            .as_deref()
            .map(|n| format!(": ask for {n}"))
            .unwrap_or_default();
        format!("{number}{ext} (company line{ask})")
    };
    lines.push(format!(
        "Phone: {line} (local zone {zone}; call window {})",
        config.windows.call.describe()
    ));
    let mut facts = Vec::new();
    if let (Some(r), Some(n)) = (lead.rating, lead.reviews) {
        facts.push(format!("{r:.1} stars over {n} Google reviews"));
    }
    if let Some(rate) = lead.review_response_rate {
        facts.push(format!("answers {:.0}% of reviews", rate * 100.0));
    }
    if let Some(city) = &lead.city {
        facts.push(format!("in {city}"));
    }
    if !facts.is_empty() {
        lines.push(format!("Facts: {}", facts.join("; ")));
    }
    if let (Some(score), Some(tier)) = (lead.score, lead.tier) {
        let why: Vec<&str> = lead
            .reasons
            .iter()
            .filter(|r| r.points > 0)
            .take(3)
            .map(|r| r.reason.as_str())
            .collect();
        lines.push(format!(
            "Why them: score {score}, {}{}",
            tier.label(),
            if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", why.join("; "))
            }
        ));
    }
    lines.join("\n")
}

/// A hole a template, a writer or an editor left: `{{ x }}`, `{first_name}`,
/// `[First Name]`, `{% ... %}`.
pub fn unfilled_placeholder(text: &str) -> Option<String> {
    for marker in ["{{", "}}", "{%", "%}"] {
        if let Some(i) = text.find(marker) {
            return Some(snippet(text, i));
        }
    }
    let looks_like_variable = |inner: &str| {
        let norm = inner.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        !norm.is_empty()
            && norm.len() <= 30
            && (VARIABLES.contains(&norm.as_str())
                || [
                    "name",
                    "firstname",
                    "company_name",
                    "your_name",
                    "city_name",
                ]
                .contains(&norm.as_str()))
    };
    for (open, close) in [('{', '}'), ('[', ']'), ('<', '>')] {
        let mut rest = text;
        let mut offset = 0;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + 1..];
            if let Some(j) = after.find(close) {
                if looks_like_variable(&after[..j]) {
                    return Some(snippet(text, offset + i));
                }
            }
            offset += i + 1;
            rest = after;
        }
    }
    None
}

fn snippet(text: &str, at: usize) -> String {
    text[at..].chars().take(24).collect()
}

/// Why a message may not be approved or sent, if it may not: a hole left
/// unfilled; for email the footer's address, the unsubscribe link and both
/// RFC 8058 headers; for the first SMS its opt-out wording.
pub fn compliance_problem(
    message: &Message,
    channel: Channel,
    compliance: &Compliance,
    first_sms: bool,
) -> Option<String> {
    for (part, text) in [
        ("subject", message.subject.as_deref().unwrap_or("")),
        ("body", message.body.as_str()),
    ] {
        if let Some(hole) = unfilled_placeholder(text) {
            return Some(format!("{part} has an unfilled variable near {hole:?}"));
        }
    }
    match channel {
        Channel::Email => {
            if let Some(problem) = headers::message_header_problem(message) {
                return Some(problem);
            }
            if message
                .subject
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
            {
                return Some("email has no subject".into());
            }
            let Some((_, footer)) = message.body.rsplit_once(FOOTER_MARK) else {
                return Some("footer is missing".into());
            };
            if !footer.contains(&compliance.physical_address) {
                return Some("footer lacks the sender's physical address".into());
            }
            if !footer.contains(&compliance.unsubscribe_url) {
                return Some("footer lacks the unsubscribe link".into());
            }
            let list = message
                .headers
                .get("List-Unsubscribe")
                .map(String::as_str)
                .unwrap_or("");
            if !list.contains(&format!("<{}>", compliance.unsubscribe_url))
                || !list.contains(&format!("<{}>", compliance.unsubscribe_mailto))
            {
                return Some(
                    "List-Unsubscribe header must carry the https unsubscribe URL and the mailto"
                        .into(),
                );
            }
            if message
                .headers
                .get("List-Unsubscribe-Post")
                .map(String::as_str)
                != Some("List-Unsubscribe=One-Click")
            {
                return Some("missing List-Unsubscribe-Post: List-Unsubscribe=One-Click".into());
            }
            None
        }
        Channel::Sms if first_sms && !sms::has_opt_out(&message.body) => {
            Some("the first SMS to a number must carry opt-out wording (Reply STOP)".into())
        }
        _ => None,
    }
}

/// The text above the footer, as the quality guard and an editor see it.
pub fn core_text(body: &str) -> &str {
    body.split_once(FOOTER_MARK).map(|(a, _)| a).unwrap_or(body)
}
