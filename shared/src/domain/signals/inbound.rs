//! Mail found in a tenant's own mailbox (SMTP senders have no webhooks):
//! a delivery status notification (RFC 3464 `multipart/report`) is a
//! bounce of the message it reports on; anything else is a reply. Both are
//! tied to the touch by the `Message-ID` we gave it (`<attempt@domain>`),
//! found in `In-Reply-To`, `References` or the report's original headers.

use super::{bad, ParseError};
use crate::domain::targeting::suppression::canonical_email;
use mailparse::{parse_headers, parse_mail, MailHeaderMap, ParsedMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundMail {
    /// A delivery report saying a message did not (or not yet) arrive.
    Bounce {
        /// The message's own id, when it has one.
        id: Option<String>,
        /// Ids of the message that bounced (ours, `<attempt@domain>`).
        about: Vec<String>,
        /// `Final-Recipient` of the failed delivery.
        recipient: Option<String>,
        /// `failed` with a 5.x.x status: the address will never take mail.
        permanent: bool,
        /// `5.1.1 (smtp; 550 5.1.1 user unknown)`.
        detail: String,
    },
    /// A person's (or an auto-responder's) answer.
    Reply {
        id: Option<String>,
        /// `In-Reply-To` first, then `References` newest first.
        about: Vec<String>,
        from: Option<String>,
        subject: String,
        /// The text/plain body (or the text of the HTML one).
        body: String,
        headers: Vec<(String, String)>,
    },
}

/// `<a@b>`, `<c@d>` from a header listing ids.
fn ids(value: &str) -> Vec<String> {
    value
        .split(['<', '>', ' ', ',', '\t', '\r', '\n'])
        .filter(|s| s.contains('@'))
        .map(|s| format!("<{s}>"))
        .collect()
}

/// The attempt id an id of ours carries: `<attempt@domain>` -> `attempt`.
pub fn attempt_of(id: &str) -> Option<&str> {
    let inner = id.trim().strip_prefix('<')?.strip_suffix('>')?;
    let (local, _) = inner.split_once('@')?;
    // Ours are `<lead>-<step>-<nonce>`: three dash-separated parts.
    (local.split('-').count() >= 3 && !local.is_empty()).then_some(local)
}

fn address(from: &str) -> Option<String> {
    let inner = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if b > a => &from[a + 1..b],
        _ => from,
    };
    canonical_email(inner.trim())
}

/// The first text/plain part's text, else an HTML part's text with the
/// tags dropped.
fn text(mail: &ParsedMail<'_>) -> String {
    fn find<'a>(m: &'a ParsedMail<'a>, kind: &str) -> Option<&'a ParsedMail<'a>> {
        if m.subparts.is_empty() {
            return (m.ctype.mimetype == kind).then_some(m);
        }
        // Attached messages are not the reply's text.
        if m.ctype.mimetype == "message/rfc822" {
            return None;
        }
        m.subparts.iter().find_map(|p| find(p, kind))
    }
    if let Some(body) = find(mail, "text/plain").and_then(|p| p.get_body().ok()) {
        return body;
    }
    if let Some(html) = find(mail, "text/html").and_then(|p| p.get_body().ok()) {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        return out;
    }
    String::new()
}

/// Reads one raw message.
pub fn read(raw: &[u8]) -> Result<InboundMail, ParseError> {
    let mail = parse_mail(raw).map_err(|e| bad("message", format!("not a mail message: {e}")))?;
    let h = &mail.headers;
    let id = h
        .get_first_value("Message-ID")
        .and_then(|v| ids(&v).into_iter().next());
    let report = mail.ctype.mimetype == "multipart/report"
        && mail
            .ctype
            .params
            .get("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));
    if report {
        let status = mail
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == "message/delivery-status")
            .ok_or_else(|| {
                bad(
                    "message/delivery-status",
                    "a delivery report without its status part",
                )
            })?;
        let body = status.get_body_raw().unwrap_or_default();
        // Per-message fields, a blank line, then one group per recipient.
        let text = String::from_utf8_lossy(&body).replace("\r\n", "\n");
        let mut recipient = None;
        let mut action = String::new();
        let mut code = String::new();
        let mut diagnostic = String::new();
        for group in text.split("\n\n").filter(|g| !g.trim().is_empty()) {
            let block = format!("{}\n\n", group.trim());
            let Ok((fields, _)) = parse_headers(block.as_bytes()) else {
                continue;
            };
            if let Some(a) = fields.get_first_value("Action") {
                action = a.trim().to_ascii_lowercase();
                code = fields
                    .get_first_value("Status")
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                diagnostic = fields
                    .get_first_value("Diagnostic-Code")
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                recipient = fields
                    .get_first_value("Final-Recipient")
                    .or_else(|| fields.get_first_value("Original-Recipient"))
                    .and_then(|r| address(r.rsplit(';').next().unwrap_or("")));
                if action == "failed" {
                    break;
                }
            }
        }
        if action.is_empty() {
            return Err(bad("Action", "a delivery report naming no action"));
        }
        let original = mail
            .subparts
            .iter()
            .find(|p| {
                matches!(
                    p.ctype.mimetype.as_str(),
                    "message/rfc822" | "text/rfc822-headers" | "message/global-headers"
                )
            })
            .and_then(|p| p.get_body_raw().ok())
            .unwrap_or_default();
        let mut about: Vec<String> = parse_headers(&original)
            .ok()
            .and_then(|(hs, _)| hs.get_first_value("Message-ID"))
            .map(|v| ids(&v))
            .unwrap_or_default();
        // Some servers put no original part: the report's own thread headers.
        about.extend(
            h.get_first_value("In-Reply-To")
                .map(|v| ids(&v))
                .unwrap_or_default(),
        );
        about.extend(
            h.get_first_value("References")
                .map(|v| ids(&v))
                .unwrap_or_default(),
        );
        return Ok(InboundMail::Bounce {
            id,
            about,
            recipient,
            permanent: action == "failed" && code.starts_with('5'),
            detail: [code.as_str(), action.as_str(), diagnostic.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    let mut about = h
        .get_first_value("In-Reply-To")
        .map(|v| ids(&v))
        .unwrap_or_default();
    let mut refs = h
        .get_first_value("References")
        .map(|v| ids(&v))
        .unwrap_or_default();
    refs.reverse();
    about.extend(refs);
    Ok(InboundMail::Reply {
        id,
        about,
        from: h.get_first_value("From").and_then(|f| address(&f)),
        subject: h.get_first_value("Subject").unwrap_or_default(),
        body: text(&mail),
        headers: h.iter().map(|x| (x.get_key(), x.get_value())).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DSN: &str = "From: MAILER-DAEMON@mx.example\r\nTo: sam@acme-mail.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; Jo@Dealer.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: sam@acme-mail.example\r\nTo: jo@dealer.example\r\nMessage-ID: <L1-01-abcd@acme-mail.example>\r\nSubject: Quick question\r\n\r\n--B--\r\n";

    #[test]
    fn a_delivery_report_is_a_bounce_of_the_message_it_names() {
        let InboundMail::Bounce {
            about,
            recipient,
            permanent,
            detail,
            id,
        } = read(DSN.as_bytes()).unwrap()
        else {
            panic!("not a bounce")
        };
        assert_eq!(about[0], "<L1-01-abcd@acme-mail.example>");
        assert_eq!(attempt_of(&about[0]), Some("L1-01-abcd"));
        assert_eq!(recipient.as_deref(), Some("jo@dealer.example"));
        assert!(permanent);
        assert!(
            detail.contains("5.1.1") && detail.contains("user unknown"),
            "{detail}"
        );
        assert_eq!(id.as_deref(), Some("<dsn-1@mx.example>"));
        // A delay is not a bounce.
        let delayed = DSN
            .replace("Action: failed", "Action: delayed")
            .replace("Status: 5.1.1", "Status: 4.4.1");
        let InboundMail::Bounce { permanent, .. } = read(delayed.as_bytes()).unwrap() else {
            panic!()
        };
        assert!(!permanent);
    }

    #[test]
    fn a_reply_names_our_message_and_keeps_its_text_and_headers() {
        let raw = "From: Jo <Jo@Dealer.example>\r\nTo: sam@acme-mail.example\r\nSubject: Re: Quick question\r\nMessage-ID: <r1@dealer.example>\r\nIn-Reply-To: <L1-04-ffff@acme-mail.example>\r\nReferences: <L1-01-abcd@acme-mail.example> <L1-04-ffff@acme-mail.example>\r\nAuto-Submitted: auto-replied\r\nContent-Type: multipart/alternative; boundary=\"A\"\r\n\r\n--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nI am out until Monday.\r\n--A\r\nContent-Type: text/html\r\n\r\n<p>I am out until Monday.</p>\r\n--A--\r\n";
        let InboundMail::Reply {
            about,
            from,
            subject,
            body,
            headers,
            ..
        } = read(raw.as_bytes()).unwrap()
        else {
            panic!("not a reply")
        };
        assert_eq!(
            about,
            vec![
                "<L1-04-ffff@acme-mail.example>",
                "<L1-04-ffff@acme-mail.example>",
                "<L1-01-abcd@acme-mail.example>"
            ]
        );
        assert_eq!(from.as_deref(), Some("jo@dealer.example"));
        assert_eq!(subject, "Re: Quick question");
        assert_eq!(body.trim(), "I am out until Monday.");
        assert!(headers
            .iter()
            .any(|(k, v)| k == "Auto-Submitted" && v == "auto-replied"));
        // An HTML-only reply is read as text.
        let html = "From: jo@dealer.example\r\nContent-Type: text/html\r\n\r\n<div>Call me <b>Tuesday</b></div>\r\n";
        let InboundMail::Reply { body, .. } = read(html.as_bytes()).unwrap() else {
            panic!()
        };
        assert!(
            body.contains("Call me") && body.contains("Tuesday"),
            "{body}"
        );
    }

    #[test]
    fn only_our_ids_carry_an_attempt() {
        assert_eq!(attempt_of("<L1-01-abcd@x.example>"), Some("L1-01-abcd"));
        assert_eq!(attempt_of("<CAF=abc@mail.gmail.com>"), None);
        assert_eq!(attempt_of("no-brackets@x"), None);
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
            let _ = read(&bytes);
        }

        #[test]
        fn any_report_shape_never_panics(body in "(Action: [a-z]{0,8}\r\n|Status: [0-9.]{0,6}\r\n|Final-Recipient: [^\r\n]{0,20}\r\n|\r\n){0,8}") {
            let raw = DSN.replace("Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; Jo@Dealer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n", &body);
            let _ = read(raw.as_bytes());
        }
    }
}
