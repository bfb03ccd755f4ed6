//! Header safety: every email header value built from data (a lead's
//! company in a subject, an operator's edit, a tenant's sending domain in
//! List-Unsubscribe) carries no CR, LF or other control character and fits
//! RFC 5322's 998-character line, so no data can write a header of its own.

/// RFC 5322 §2.1.1: a line is at most 998 characters; a header line holds
/// its name, ": " and the value.
pub const MAX_HEADER_LINE: usize = 998;

/// A subject as it may be sent: control characters (CR and LF among them)
/// become spaces, runs of spaces one, and it is cut to fit its line.
pub fn safe_subject(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    let mut space = false;
    for c in subject.trim().chars() {
        if c.is_control() || c.is_whitespace() {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    let max = MAX_HEADER_LINE - "Subject: ".len();
    if out.len() > max {
        let mut end = max;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out.trim_end().to_string()
}

/// Why a header may not be sent as it is, if so.
pub fn header_problem(name: &str, value: &str) -> Option<String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Some(format!(
            "header {name} contains a control character ({:?}): it could start a header of its own",
            c
        ));
    }
    let line = name.len() + 2 + value.len();
    (line > MAX_HEADER_LINE).then(|| {
        format!("header {name} is {line} characters on its line; at most {MAX_HEADER_LINE}")
    })
}

/// A host name as DNS allows it (RFC 1123 labels): what a sending domain
/// must be before it reaches a header.
pub fn is_hostname(s: &str) -> bool {
    s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Every problem of an email's headers and subject, first one.
pub fn message_header_problem(message: &crate::domain::touch::Message) -> Option<String> {
    if let Some(s) = &message.subject {
        if let Some(p) = header_problem("Subject", s) {
            return Some(p);
        }
    }
    message
        .headers
        .iter()
        .find_map(|(name, value)| header_problem(name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_line_break_in_a_subject_becomes_a_space_and_cannot_add_a_header() {
        assert_eq!(
            safe_subject("Hi Acme\r\nBcc: victim@x.example"),
            "Hi Acme Bcc: victim@x.example"
        );
        assert!(header_problem("Subject", "a\r\nBcc: x").is_some());
        assert!(header_problem("Subject", "fine").is_none());
        assert!(header_problem("List-Unsubscribe", &"x".repeat(990)).is_some());
    }

    #[test]
    fn hostnames_are_labels_of_letters_digits_and_hyphens() {
        assert!(is_hostname("acme-mail.example.com"));
        for bad in [
            "acme.example\r\nBcc: x",
            "a..b",
            "-a.example",
            "nodot",
            "a b.example",
            "",
        ] {
            assert!(!is_hostname(bad), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn a_safe_subject_is_always_a_valid_header(s in ".{0,3000}") {
            let safe = safe_subject(&s);
            prop_assert!(header_problem("Subject", &safe).is_none(), "{safe:?}");
        }

        /// Whatever the lead data in a subject (or an operator's edit) and
        /// whatever the config behind the unsubscribe headers: the email
        /// that comes out has no header with a control character or over
        /// its line, or it is refused.
        #[test]
        fn no_email_the_system_builds_has_an_unsafe_header(
            subject in "(.|\r|\n){0,1200}",
            url_tail in "(.|\r|\n){0,40}",
            domain in "(.|\r|\n){0,40}",
        ) {
            use crate::domain::content::template::{finish, Compliance, Draft, Finish};
            use crate::domain::touch::Channel;
            let compliance = Compliance {
                physical_address: "1 Main St".into(),
                sender_company: "Acme".into(),
                unsubscribe_url: format!("https://u.example/{url_tail}"),
                unsubscribe_mailto: format!("mailto:unsubscribe@{domain}"),
            };
            let draft = Draft {
                subject: Some(subject),
                body: "Hello".into(),
                template_id: "t".into(),
                subject_variant: None,
                body_variant: 0,
            };
            let f = Finish {
                channel: Channel::Email,
                compliance: &compliance,
                first_sms: false,
                sms_max_segments: 3,
                call_facts: None,
            };
            if let Ok(m) = finish(&draft, &f) {
                prop_assert!(message_header_problem(&m).is_none(), "{m:?}");
                let subject = m.subject.clone().unwrap_or_default();
                let all = m
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .chain([("Subject", subject.as_str())]);
                for (name, value) in all {
                    prop_assert!(!value.contains(['\r', '\n']), "{name}: {value:?}");
                    prop_assert!(name.len() + 2 + value.len() <= MAX_HEADER_LINE);
                }
            }
        }
    }
}
