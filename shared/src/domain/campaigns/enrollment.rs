//! Enrollment (SPEC §1, §5): who may enter a campaign. A lead is in at
//! most one campaign at a time (it has one `campaign`), and a person
//! reached in one campaign is not contacted by another while it runs:
//! entering a campaign claims the person's email and own numbers for it
//! until the sequence could have ended, and a claim held for another
//! campaign refuses the entry.

use super::{is_nurture_step, Campaign};
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::targeting::suppression::{canonical_email, canonical_phone};
use crate::domain::tenant::TenantConfig;
use chrono::{DateTime, Duration, Utc};

/// Days a claim outlives the last step: replies and late calls land
/// inside it, so a second lead of the same person is not started on them.
pub const CLAIM_GRACE_DAYS: i64 = 14;

/// Days the nurture track may run once entered.
pub const NURTURE_CLAIM_DAYS: i64 = 180;

/// A claim on a way to reach a person: `email#<canonical>` or
/// `phone#<e164>`. The company switchboard is not one: colleagues share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    pub until: DateTime<Utc>,
}

/// The ways to reach this person that a claim covers.
pub fn reach_keys(lead: &Lead) -> Vec<String> {
    let mut keys: Vec<String> = lead
        .email
        .as_deref()
        .and_then(canonical_email)
        .map(|e| format!("email#{e}"))
        .into_iter()
        .collect();
    for p in [&lead.phone, &lead.mobile_phone]
        .into_iter()
        .flatten()
        .filter_map(|p| canonical_phone(p))
    {
        let key = format!("phone#{p}");
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The claims a lead entering `campaign` at `now` takes: until its last
/// step's day, plus the grace (and the nurture track's run, if it has one).
pub fn claims(
    lead: &Lead,
    campaign: &Campaign,
    config: &TenantConfig,
    now: DateTime<Utc>,
) -> Vec<Claim> {
    let last_day = campaign
        .sequence
        .iter()
        .filter(|s| !is_nurture_step(s.step))
        .map(|s| i64::from(s.day))
        .max()
        .unwrap_or(0);
    let nurture = if campaign.nurture_steps(config).is_empty() {
        0
    } else {
        NURTURE_CLAIM_DAYS
    };
    let until = now + Duration::days(last_day + CLAIM_GRACE_DAYS + nurture);
    reach_keys(lead)
        .into_iter()
        .map(|key| Claim { key, until })
        .collect()
}

/// May `lead` enter `campaign` now? `Err` names why not.
///
/// - its status is one of the tenant's `stop_states` (by default dnc,
///   closed, invalid, contacted, booked), or terminal;
/// - it is held or was suppressed at intake;
/// - it is in another campaign that still runs (drafted onwards), unless
///   that campaign ended with "not now" and its re-entry date has come;
/// - the campaign does not send (a draft or archived one), or does not
///   take the lead's tier there.
pub fn may_enroll(
    lead: &Lead,
    campaign: &Campaign,
    config: &TenantConfig,
    tier: Option<crate::domain::lead::Tier>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use super::CampaignStatus::*;
    match campaign.status {
        Active | Paused => {}
        Draft | Archived => {
            return Err(format!(
                "campaign {} is {}",
                campaign.id.as_str(),
                campaign.status.as_str()
            ))
        }
    }
    if config.stop_states.iter().any(|s| s == lead.status.as_str()) || lead.status.is_terminal() {
        return Err(format!("lead is {} (a stop state)", lead.status));
    }
    if let Some(hold) = &lead.hold {
        return Err(format!("lead is held: {hold}"));
    }
    if let Some(why) = &lead.suppressed {
        return Err(format!("lead was suppressed at intake: {why}"));
    }
    let enrolled = !matches!(
        lead.status,
        LeadStatus::New | LeadStatus::Enriched | LeadStatus::Scored | LeadStatus::Held
    );
    let same = super::campaign_of(lead.campaign.as_deref()) == campaign.id.as_str();
    if enrolled && !same {
        match lead.reenter_at {
            Some(at) if at <= now => {}
            Some(at) => {
                return Err(format!(
                    "lead is in campaign {} and may re-enter another from {at}",
                    super::campaign_of(lead.campaign.as_deref())
                ))
            }
            None => {
                return Err(format!(
                    "lead is in campaign {} while it runs",
                    super::campaign_of(lead.campaign.as_deref())
                ))
            }
        }
    }
    if let Some(tier) = tier {
        if !campaign.takes(tier) {
            return Err(format!(
                "campaign {} takes {:?}, not {}",
                campaign.id.as_str(),
                campaign.tiers,
                tier.label()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TenantId;
    use crate::domain::lead::Tier;

    fn config() -> TenantConfig {
        TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        )
    }

    fn now() -> DateTime<Utc> {
        "2026-12-01T17:00:00Z".parse().unwrap()
    }

    fn lead(status: LeadStatus) -> Lead {
        Lead {
            tenant: "acme".into(),
            id: "l1".into(),
            email: Some(" Owner@Dealer.Example ".into()),
            phone: Some("+1 602 555 0100".into()),
            mobile_phone: Some("+16025550100".into()),
            company_phone: Some("+16025550199".into()),
            status,
            ..Default::default()
        }
    }

    #[test]
    fn a_claim_covers_the_persons_email_and_own_numbers_not_the_switchboard() {
        assert_eq!(
            reach_keys(&lead(LeadStatus::Scored)),
            vec!["email#owner@dealer.example", "phone#+16025550100"]
        );
    }

    #[test]
    fn a_claim_lasts_the_sequence_and_its_grace() {
        let config = config();
        let c = Campaign::legacy(&config, now());
        let last = c.sequence.iter().map(|s| s.day).max().unwrap();
        let claims = claims(&lead(LeadStatus::Scored), &c, &config, now());
        assert_eq!(
            claims[0].until,
            now() + Duration::days(i64::from(last) + CLAIM_GRACE_DAYS)
        );
    }

    #[test]
    fn stop_states_and_a_running_campaign_refuse_entry() {
        let config = config();
        let mut c = Campaign::legacy(&config, now());
        assert!(may_enroll(
            &lead(LeadStatus::Scored),
            &c,
            &config,
            Some(Tier::Tier1),
            now()
        )
        .is_ok());
        for s in ["dnc", "closed", "invalid", "contacted", "booked"] {
            let l = lead(LeadStatus::parse(s).unwrap());
            let why = may_enroll(&l, &c, &config, None, now()).unwrap_err();
            assert!(why.contains("stop state"), "{s}: {why}");
        }
        // A tenant that takes contacted out of its stop states still
        // cannot move a lead out of a campaign that runs.
        let mut open = config.clone();
        open.stop_states.retain(|s| s != "contacted");
        let mut l = lead(LeadStatus::Contacted);
        l.campaign = Some("dealers".into());
        let why = may_enroll(&l, &c, &open, None, now()).unwrap_err();
        assert!(why.contains("campaign dealers while it runs"), "{why}");
        // ...until its "not now" date has come.
        l.reenter_at = Some(now() + Duration::days(30));
        assert!(may_enroll(&l, &c, &open, None, now())
            .unwrap_err()
            .contains("re-enter"));
        l.reenter_at = Some(now() - Duration::days(1));
        assert!(may_enroll(&l, &c, &open, None, now()).is_ok());
        // Tiers and the campaign's own status.
        assert!(may_enroll(
            &lead(LeadStatus::Scored),
            &c,
            &config,
            Some(Tier::Tier3),
            now()
        )
        .unwrap_err()
        .contains("takes"));
        c.status = super::super::CampaignStatus::Archived;
        assert!(
            may_enroll(&lead(LeadStatus::Scored), &c, &config, None, now())
                .unwrap_err()
                .contains("archived")
        );
    }
}
