//! The status report every 6 hours per tenant (SPEC §11): sends per
//! channel, replies by class, bookings, bounces, complaints, the breaker
//! and each domain's state, errors and touches in doubt, as one text for
//! Slack (or email).

use super::control::Control;
use super::safety::domain_health::DomainState;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// How often a tenant gets its report.
pub const REPORT_EVERY_HOURS: i64 = 6;

/// Is `now` in the first half hour of a report's slot (00, 06, 12, 18
/// UTC)? Only then does the evaluator's schedule try to claim the slot's
/// report: two tries a slot instead of a write every run.
pub fn in_report_slot(now: DateTime<Utc>) -> bool {
    use chrono::Timelike;
    i64::from(now.hour()) % REPORT_EVERY_HOURS == 0 && now.minute() < 30
}

/// What the report is made from: the hours' counts (`hour_counts`), the
/// switches row, and what the store counted besides.
#[derive(Debug, Clone, Default)]
pub struct StatusFacts {
    pub tenant: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `sends` (email), `sent_<channel>`, `sig_<kind>`, `reply_<class>`...
    pub counts: BTreeMap<String, u64>,
    pub control: Control,
    pub send_errors: u64,
    pub in_doubt: usize,
}

fn count(f: &StatusFacts, key: &str) -> u64 {
    f.counts.get(key).copied().unwrap_or(0)
}

/// The report's text.
pub fn status_report(f: &StatusFacts) -> String {
    let mut out = format!(
        "Status of {} from {} to {} UTC\n",
        f.tenant,
        f.from.format("%Y-%m-%d %H:%M"),
        f.to.format("%Y-%m-%d %H:%M")
    );
    let sends = [
        ("email", count(f, "sends")),
        ("call", count(f, "sent_voice")),
        ("linkedin", count(f, "sent_linkedin")),
        ("sms", count(f, "sent_sms")),
    ];
    out.push_str(&format!(
        "Sent: {}\n",
        sends
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let replies: Vec<String> = f
        .counts
        .iter()
        .filter_map(|(k, n)| k.strip_prefix("reply_").map(|c| format!("{n} {c}")))
        .collect();
    let replied =
        count(f, "sig_replied") + count(f, "sig_sms_replied") + count(f, "sig_linkedin_replied");
    let classified: u64 = f
        .counts
        .iter()
        .filter(|(k, _)| k.starts_with("reply_"))
        .map(|(_, n)| *n)
        .sum();
    let unread = replied.saturating_sub(classified);
    out.push_str(&format!(
        "Replies: {}{}\n",
        if replies.is_empty() {
            "none".to_string()
        } else {
            replies.join(", ")
        },
        if unread > 0 {
            format!(" ({unread} not classified)")
        } else {
            String::new()
        }
    ));
    out.push_str(&format!(
        "Booked: {} (cancelled {})\n",
        count(f, "sig_booked") + count(f, "sig_call_booked"),
        count(f, "sig_booking_cancelled")
    ));
    out.push_str(&format!(
        "Bounces: {}, complaints: {}, unsubscribes: {}, SMS STOPs: {}\n",
        count(f, "bounces"),
        count(f, "complaints"),
        count(f, "unsubscribes"),
        count(f, "sig_sms_stop")
    ));
    let c = &f.control;
    let mut state = Vec::new();
    if c.emergency_stop {
        state.push("EMERGENCY STOP".to_string());
    }
    if c.paused {
        state.push(format!(
            "paused ({})",
            c.pause_reason.as_deref().unwrap_or("by an operator")
        ));
    }
    state.push(if c.breaker_open {
        format!(
            "breaker OPEN ({})",
            c.breaker_reason.as_deref().unwrap_or("")
        )
    } else {
        "breaker closed".to_string()
    });
    out.push_str(&format!("Sending: {}\n", state.join("; ")));
    let domains: Vec<String> = c
        .domains
        .iter()
        .filter(|(_, h)| h.state != DomainState::Healthy || h.content_review)
        .map(|(d, h)| {
            format!(
                "{d} {}{}",
                h.state.as_str(),
                if h.content_review {
                    ", content to review"
                } else {
                    ""
                }
            )
        })
        .collect();
    out.push_str(&format!(
        "Domains: {}\n",
        if domains.is_empty() {
            "all healthy".to_string()
        } else {
            domains.join("; ")
        }
    ));
    out.push_str(&format!(
        "Send errors: {}, touches in doubt: {}",
        f.send_errors, f.in_doubt
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::safety::domain_health::DomainHealth;

    #[test]
    fn a_report_is_tried_in_the_first_half_hour_of_each_six_hour_slot() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(in_report_slot(at("2026-12-01T06:00:00Z")));
        assert!(in_report_slot(at("2026-12-01T18:29:59Z")));
        assert!(!in_report_slot(at("2026-12-01T18:30:00Z")));
        assert!(!in_report_slot(at("2026-12-01T15:00:00Z")));
    }

    #[test]
    fn the_report_names_every_figure() {
        let mut control = Control {
            breaker_open: true,
            breaker_reason: Some("24h bounce rate 8.3%".into()),
            ..Control::default()
        };
        control.domains.insert(
            "mail.acme.example".into(),
            DomainHealth {
                state: DomainState::Halved,
                ..DomainHealth::default()
            },
        );
        let counts: BTreeMap<String, u64> = [
            ("sends", 40),
            ("sent_sms", 3),
            ("sig_replied", 4),
            ("reply_interested", 2),
            ("reply_out_of_office", 1),
            ("sig_booked", 1),
            ("bounces", 2),
            ("complaints", 1),
            ("sig_sms_stop", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let text = status_report(&StatusFacts {
            tenant: "acme".into(),
            from: "2026-12-01T06:00:00Z".parse().unwrap(),
            to: "2026-12-01T12:00:00Z".parse().unwrap(),
            counts,
            control,
            send_errors: 3,
            in_doubt: 1,
        });
        for want in [
            "Status of acme from 2026-12-01 06:00 to 2026-12-01 12:00 UTC",
            "Sent: 40 email, 0 call, 0 linkedin, 3 sms",
            "Replies: 2 interested, 1 out_of_office (1 not classified)",
            "Booked: 1 (cancelled 0)",
            "Bounces: 2, complaints: 1, unsubscribes: 0, SMS STOPs: 1",
            "breaker OPEN (24h bounce rate 8.3%)",
            "Domains: mail.acme.example halved",
            "Send errors: 3, touches in doubt: 1",
        ] {
            assert!(text.contains(want), "{want:?} not in:\n{text}");
        }
    }
}
