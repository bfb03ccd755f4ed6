//! Domain health (SPEC §10): per sending domain, a bounce rate above its
//! threshold halves the domain's daily cap, a complaint rate above its
//! threshold pauses the domain (and alerts), an unsubscribe rate above its
//! threshold flags the domain's content for review; never on fewer sends
//! than the minimum sample; a domain recovers after a clean period.

use super::breaker::RateBucket;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DomainHealthConfig {
    /// The rolling window the rates are taken over.
    pub window_hours: u32,
    /// Fewer sends than this in the window: no verdict either way.
    pub min_sends: u32,
    /// Above this bounce rate the domain's daily cap is halved (0.05 = 5%).
    pub bounce_rate: f64,
    /// Above this complaint rate the domain pauses (0.001 = 0.1%).
    pub complaint_rate: f64,
    /// Above this unsubscribe rate its content is flagged (0.02 = 2%).
    pub unsubscribe_rate: f64,
    /// Hours without a breach after which a halved or paused domain (and
    /// a content flag) recovers.
    pub clean_hours: u32,
}

impl Default for DomainHealthConfig {
    fn default() -> Self {
        Self {
            window_hours: 72,
            min_sends: 50,
            bounce_rate: 0.05,
            complaint_rate: 0.001,
            unsubscribe_rate: 0.02,
            clean_hours: 72,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainState {
    #[default]
    Healthy,
    /// Its daily cap is halved.
    Halved,
    /// Nothing is sent from it.
    Paused,
}

impl DomainState {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainState::Healthy => "healthy",
            DomainState::Halved => "halved",
            DomainState::Paused => "paused",
        }
    }
}

/// One sending domain's health, kept on the tenant's control row (read
/// before every send anyway).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainHealth {
    #[serde(default)]
    pub state: DomainState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// The last evaluation that found a rate over its threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_breach_at: Option<DateTime<Utc>>,
    /// Unsubscribes ran high: an operator should read what it sends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub content_review: bool,
    #[serde(default)]
    pub reason: String,
}

impl DomainHealth {
    /// The domain's daily cap given its health.
    pub fn cap(&self, cap: u32) -> u32 {
        match self.state {
            DomainState::Healthy => cap,
            DomainState::Halved => cap / 2,
            DomainState::Paused => 0,
        }
    }
}

/// The window's totals for one domain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub sends: u32,
    pub bounces: u32,
    pub complaints: u32,
    pub unsubscribes: u32,
}

impl Totals {
    pub fn of(buckets: &[RateBucket]) -> Self {
        buckets.iter().fold(Self::default(), |t, b| Totals {
            sends: t.sends + b.sends,
            bounces: t.bounces + b.bounces,
            complaints: t.complaints + b.complaints,
            unsubscribes: t.unsubscribes + b.unsubscribes,
        })
    }
}

/// What changed, for the audit trail (and an alert when it pauses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: &'static str,
    pub detail: String,
    pub alert: bool,
}

fn rate(n: u32, of: u32) -> f64 {
    if of == 0 {
        0.0
    } else {
        f64::from(n) / f64::from(of)
    }
}

/// The domain's health after an evaluation of `t` at `now`, and what changed.
pub fn evaluate(
    domain: &str,
    current: &DomainHealth,
    t: Totals,
    cfg: &DomainHealthConfig,
    now: DateTime<Utc>,
) -> (DomainHealth, Vec<Change>) {
    let sample = t.sends >= cfg.min_sends.max(1);
    let (b, c, u) = (
        rate(t.bounces, t.sends),
        rate(t.complaints, t.sends),
        rate(t.unsubscribes, t.sends),
    );
    let complaint = sample && c > cfg.complaint_rate;
    let bounce = sample && b > cfg.bounce_rate;
    let unsub = sample && u > cfg.unsubscribe_rate;
    let figures = format!(
        "{}h: {} sends, bounces {:.1}% ({}), complaints {:.2}% ({}), unsubscribes {:.1}% ({})",
        cfg.window_hours,
        t.sends,
        b * 100.0,
        t.bounces,
        c * 100.0,
        t.complaints,
        u * 100.0,
        t.unsubscribes
    );
    let mut next = current.clone();
    let mut changes = Vec::new();
    if complaint || bounce || unsub {
        next.last_breach_at = Some(now);
    }
    let target = if complaint {
        DomainState::Paused
    } else if bounce && current.state != DomainState::Paused {
        DomainState::Halved
    } else {
        current.state
    };
    if target != current.state {
        next.state = target;
        next.since = Some(now);
        next.reason = if complaint {
            format!(
                "complaints above {:.2}% — {figures}",
                cfg.complaint_rate * 100.0
            )
        } else {
            format!("bounces above {:.1}% — {figures}", cfg.bounce_rate * 100.0)
        };
        changes.push(Change {
            action: if target == DomainState::Paused {
                "domain_paused"
            } else {
                "domain_halved"
            },
            detail: format!("{domain}: {}", next.reason),
            alert: target == DomainState::Paused,
        });
    }
    if unsub && !current.content_review {
        next.content_review = true;
        changes.push(Change {
            action: "domain_content_flagged",
            detail: format!(
                "{domain}: unsubscribes above {:.1}%, its content needs review — {figures}",
                cfg.unsubscribe_rate * 100.0
            ),
            alert: false,
        });
    }
    // A clean period since the last breach: back to healthy.
    let clean = next
        .last_breach_at
        .is_none_or(|at| now - at >= Duration::hours(i64::from(cfg.clean_hours)));
    if clean && !(complaint || bounce || unsub) {
        if next.state != DomainState::Healthy {
            changes.push(Change {
                action: "domain_recovered",
                detail: format!(
                    "{domain}: {} for {}h without a breach, healthy again — {figures}",
                    next.state.as_str(),
                    cfg.clean_hours
                ),
                alert: false,
            });
            next.state = DomainState::Healthy;
            next.since = Some(now);
            next.reason = String::new();
        }
        if next.content_review {
            next.content_review = false;
            changes.push(Change {
                action: "domain_content_cleared",
                detail: format!(
                    "{domain}: unsubscribes back under the threshold for {}h",
                    cfg.clean_hours
                ),
                alert: false,
            });
        }
    }
    (next, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T12:00:00Z".parse().unwrap()
    }

    fn totals(sends: u32, bounces: u32, complaints: u32, unsubscribes: u32) -> Totals {
        Totals {
            sends,
            bounces,
            complaints,
            unsubscribes,
        }
    }

    fn eval(h: &DomainHealth, t: Totals) -> (DomainHealth, Vec<Change>) {
        evaluate("mail.example", h, t, &DomainHealthConfig::default(), now())
    }

    #[test]
    fn bounces_halve_exactly_above_five_percent() {
        // 5 of 100 is 5%: not above.
        let (h, c) = eval(&DomainHealth::default(), totals(100, 5, 0, 0));
        assert_eq!((h.state, c.len()), (DomainState::Healthy, 0));
        let (h, c) = eval(&DomainHealth::default(), totals(100, 6, 0, 0));
        assert_eq!(h.state, DomainState::Halved);
        assert_eq!(c[0].action, "domain_halved");
        assert!(!c[0].alert);
        assert_eq!(h.cap(50), 25);
    }

    #[test]
    fn complaints_pause_exactly_above_a_tenth_of_a_percent_and_alert() {
        // 1 in 1000 is 0.1%: not above; 2 in 1000 is.
        let (h, _) = eval(&DomainHealth::default(), totals(1000, 0, 1, 0));
        assert_eq!(h.state, DomainState::Healthy);
        let (h, c) = eval(&DomainHealth::default(), totals(1000, 0, 2, 0));
        assert_eq!(h.state, DomainState::Paused);
        assert!(c[0].alert);
        assert_eq!(h.cap(50), 0);
        // A paused domain is not eased to halved by bounces.
        let (h2, c) = eval(&h, totals(100, 10, 0, 0));
        assert_eq!((h2.state, c.len()), (DomainState::Paused, 0));
    }

    #[test]
    fn never_on_fewer_sends_than_the_minimum_sample() {
        // 49 sends, every one bounced and complained about: no verdict.
        let (h, c) = eval(&DomainHealth::default(), totals(49, 49, 49, 49));
        assert_eq!((h.state, c.len()), (DomainState::Healthy, 0));
        let (h, _) = eval(&DomainHealth::default(), totals(50, 3, 0, 0));
        assert_eq!(h.state, DomainState::Halved);
    }

    #[test]
    fn unsubscribes_flag_the_content_without_touching_the_cap() {
        let (h, c) = eval(&DomainHealth::default(), totals(100, 0, 0, 3));
        assert!(h.content_review);
        assert_eq!(h.state, DomainState::Healthy);
        assert_eq!(c[0].action, "domain_content_flagged");
        let (_, c) = eval(&DomainHealth::default(), totals(100, 0, 0, 2));
        assert!(c.is_empty());
    }

    #[test]
    fn a_domain_recovers_after_the_clean_period_and_not_before() {
        let cfg = DomainHealthConfig::default();
        let (h, _) = evaluate(
            "d",
            &DomainHealth::default(),
            totals(100, 0, 2, 3),
            &cfg,
            now(),
        );
        assert_eq!(h.state, DomainState::Paused);
        let later = |hours| now() + Duration::hours(hours);
        let (h1, c) = evaluate("d", &h, totals(100, 0, 0, 0), &cfg, later(71));
        assert_eq!((h1.state, c.len()), (DomainState::Paused, 0));
        let (h2, c) = evaluate("d", &h1, totals(100, 0, 0, 0), &cfg, later(72));
        assert_eq!(h2.state, DomainState::Healthy);
        assert!(!h2.content_review);
        let actions: Vec<_> = c.iter().map(|c| c.action).collect();
        assert_eq!(actions, vec!["domain_recovered", "domain_content_cleared"]);
        // A new breach in the clean period restarts it.
        let (h3, _) = evaluate("d", &h, totals(100, 7, 0, 0), &cfg, later(48));
        let (h4, _) = evaluate("d", &h3, totals(100, 0, 0, 0), &cfg, later(100));
        assert_eq!(h4.state, DomainState::Paused);
    }

    proptest! {
        #[test]
        fn below_the_sample_nothing_ever_changes(sends in 0u32..50, b in 0u32..100, c in 0u32..100, u in 0u32..100) {
            let (h, changes) = eval(&DomainHealth::default(), totals(sends, b, c, u));
            prop_assert_eq!(h.state, DomainState::Healthy);
            prop_assert!(changes.is_empty());
        }

        #[test]
        fn the_cap_never_grows(cap in 0u32..10_000, s in 0usize..3) {
            let state = [DomainState::Healthy, DomainState::Halved, DomainState::Paused][s];
            let h = DomainHealth { state, ..DomainHealth::default() };
            prop_assert!(h.cap(cap) <= cap);
        }
    }
}
