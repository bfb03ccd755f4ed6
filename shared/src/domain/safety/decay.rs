//! Decay detection (SPEC §11): ghosted, stalled, hesitant, and revival.

use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::tenant::DecayConfig;
use chrono::{DateTime, Duration, Utc};

/// The decay status a lead should move to now, if any.
pub fn classify(lead: &Lead, now: DateTime<Utc>, cfg: &DecayConfig) -> Option<LeadStatus> {
    if lead.status.is_terminal() || lead.replies > 0 {
        return None;
    }
    let sent = lead.last_sent_at?;
    let target = if lead.opens >= cfg.hesitant_min_opens {
        LeadStatus::Hesitant
    } else if lead.opens >= 1 {
        let opened = lead.last_open_at.unwrap_or(sent);
        (now - opened >= Duration::days(cfg.stalled_after_days)).then_some(LeadStatus::Stalled)?
    } else {
        (now - sent >= Duration::hours(cfg.ghosted_after_hours)).then_some(LeadStatus::Ghosted)?
    };
    (lead.status != target && lead.status.can_move_to(target)).then_some(target)
}

/// Idle 30-120 days since the last activity: a revival candidate.
pub fn is_revival_candidate(lead: &Lead, now: DateTime<Utc>, cfg: &DecayConfig) -> bool {
    let Some(last) = lead.last_activity_at.or(lead.last_sent_at) else {
        return false;
    };
    let idle = (now - last).num_days();
    !lead.status.is_terminal()
        && lead.replies == 0
        && (cfg.revival_min_idle_days..=cfg.revival_max_idle_days).contains(&idle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DecayConfig {
        DecayConfig {
            ghosted_after_hours: 72,
            stalled_after_days: 7,
            hesitant_min_opens: 2,
            revival_min_idle_days: 30,
            revival_max_idle_days: 120,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sent_lead() -> Lead {
        Lead {
            status: LeadStatus::Contacted,
            last_sent_at: Some(t("2026-11-02T14:00:00Z")),
            ..Default::default()
        }
    }

    #[test]
    fn ghosted_after_72h_without_open() {
        let l = sent_lead();
        assert_eq!(classify(&l, t("2026-11-05T13:59:00Z"), &cfg()), None);
        assert_eq!(
            classify(&l, t("2026-11-05T14:00:00Z"), &cfg()),
            Some(LeadStatus::Ghosted)
        );
    }

    #[test]
    fn stalled_after_a_week_opened_and_hesitant_after_two_opens() {
        let mut l = sent_lead();
        l.status = LeadStatus::Engaged;
        l.opens = 1;
        l.last_open_at = Some(t("2026-11-02T15:00:00Z"));
        assert_eq!(classify(&l, t("2026-11-08T00:00:00Z"), &cfg()), None);
        assert_eq!(
            classify(&l, t("2026-11-12T00:00:00Z"), &cfg()),
            Some(LeadStatus::Stalled)
        );
        l.opens = 2;
        assert_eq!(
            classify(&l, t("2026-11-03T00:00:00Z"), &cfg()),
            Some(LeadStatus::Hesitant)
        );
    }

    #[test]
    fn replied_leads_never_decay() {
        let mut l = sent_lead();
        l.replies = 1;
        assert_eq!(classify(&l, t("2026-12-30T00:00:00Z"), &cfg()), None);
    }

    #[test]
    fn revival_window() {
        let l = sent_lead();
        assert!(!is_revival_candidate(&l, t("2026-11-20T00:00:00Z"), &cfg()));
        assert!(is_revival_candidate(&l, t("2026-12-20T00:00:00Z"), &cfg()));
        assert!(!is_revival_candidate(&l, t("2027-06-20T00:00:00Z"), &cfg()));
    }
}
