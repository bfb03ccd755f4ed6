//! Which campaign a lead is for (SPEC §1, §4): it is scored against every
//! active campaign's target, with reasons per campaign; the best score is
//! recommended (a campaign that takes the lead's tier first, then the
//! score, then the primary ICP, then the older campaign), and the lead's
//! tier is that campaign's.

use super::Campaign;
use crate::domain::lead::{CampaignScore, Lead, ScoreReason};
use crate::domain::targeting::scoring::{score_lead, ScoreCard};
use crate::domain::tenant::TenantConfig;
use std::cmp::Reverse;

#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// The recommended campaign; None when the tenant has no campaign that
    /// could send (every one a draft or archived).
    pub campaign: Option<String>,
    /// The recommended campaign's card (the tenant's ICP without one); its
    /// reasons end with one line per campaign scored, naming each.
    pub card: ScoreCard,
    /// Every campaign's score, best first.
    pub scores: Vec<CampaignScore>,
    /// The recommended campaign does not take leads of this tier.
    pub tier_not_taken: bool,
}

/// Scores `lead` against the active campaigns (the paused ones when none is
/// active, so a lead waits in its campaign rather than nowhere).
pub fn recommend(
    lead: &Lead,
    config: &TenantConfig,
    campaigns: &[Campaign],
    intent_points: u32,
) -> Recommendation {
    let active: Vec<&Campaign> = campaigns.iter().filter(|c| c.status.sends()).collect();
    let candidates = if active.is_empty() {
        campaigns
            .iter()
            .filter(|c| c.status == super::CampaignStatus::Paused)
            .collect()
    } else {
        active
    };
    let mut cards: Vec<(&Campaign, ScoreCard)> = candidates
        .into_iter()
        .map(|c| (c, score_lead(lead, &c.effective(config), intent_points)))
        .collect();
    cards.sort_by_key(|(c, card)| {
        Reverse((
            c.takes(card.tier),
            card.score,
            c.primary(),
            Reverse(c.created_at),
            Reverse(c.id.clone()),
        ))
    });
    let Some((best, best_card)) = cards.first().cloned() else {
        return Recommendation {
            campaign: None,
            card: score_lead(lead, config, intent_points),
            scores: vec![],
            tier_not_taken: false,
        };
    };
    let mut card = best_card.clone();
    for (i, (c, other)) in cards.iter().enumerate() {
        card.reasons.push(ScoreReason {
            points: 0,
            reason: format!(
                "campaign {} \"{}\": {} ({}){}",
                c.id.as_str(),
                c.name,
                other.score,
                other.tier.label(),
                if i == 0 {
                    " - recommended"
                } else {
                    " - also matched"
                }
            ),
        });
    }
    Recommendation {
        campaign: Some(best.id.as_str().to_string()),
        tier_not_taken: !best.takes(card.tier),
        card,
        scores: cards
            .iter()
            .map(|(c, card)| CampaignScore {
                campaign: c.id.as_str().to_string(),
                score: card.score,
                tier: card.tier,
                reasons: card.reasons.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaigns::{CampaignId, CampaignStatus};
    use crate::domain::ids::TenantId;
    use crate::domain::lead::{LeadStatus, Tier};
    use chrono::{DateTime, Duration, Utc};

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

    fn dealer(state: &str) -> Lead {
        Lead {
            email: Some("owner@dealer.example".into()),
            title: Some("Owner".into()),
            industry: Some("Used car dealer".into()),
            notes: Some("independent lot".into()),
            employees: Some(12),
            country: Some("US".into()),
            state: Some(state.into()),
            rating: Some(3.6),
            reviews: Some(48),
            website: Some("https://dealer.example".into()),
            has_gbp: Some(true),
            review_response_rate: Some(0.1),
            status: LeadStatus::Enriched,
            ..Default::default()
        }
    }

    fn campaign(id: &str, primary: bool, states: &[&str], age_days: i64) -> Campaign {
        let config = config();
        let mut c = Campaign::legacy(&config, now());
        c.id = CampaignId::parse(id).unwrap();
        c.target.primary = primary;
        c.target.us_states = states.iter().map(|s| s.to_string()).collect();
        c.created_at = now() - Duration::days(age_days);
        c
    }

    #[test]
    fn the_best_score_wins_and_every_campaign_is_named() {
        let all = [
            campaign("everywhere", true, &[], 10),
            campaign("texas", false, &["TX"], 5),
        ];
        // A Texan matches both: a tie, and the primary ICP wins it.
        let r = recommend(&dealer("TX"), &config(), &all, 0);
        assert_eq!(r.campaign.as_deref(), Some("everywhere"));
        assert_eq!(r.scores.len(), 2);
        assert_eq!(r.scores[0].score, r.scores[1].score);
        for id in ["everywhere", "texas"] {
            assert!(r
                .card
                .reasons
                .iter()
                .any(|x| x.points == 0 && x.reason.starts_with(&format!("campaign {id} "))));
        }
        assert_eq!(
            r.card.reasons.iter().map(|x| x.points).sum::<i32>(),
            i32::from(r.card.score),
            "the naming lines add nothing"
        );
        // A New Yorker scores higher where the location is not limited.
        let all = [
            campaign("everywhere", false, &[], 10),
            campaign("texas", true, &["TX"], 5),
        ];
        let r = recommend(&dealer("NY"), &config(), &all, 0);
        assert_eq!(r.campaign.as_deref(), Some("everywhere"));
        assert!(r.scores[0].score > r.scores[1].score);
        // Between two that are not primary, the older wins a tie.
        let all = [
            campaign("newer", false, &[], 1),
            campaign("older", false, &[], 9),
        ];
        let r = recommend(&dealer("TX"), &config(), &all, 0);
        assert_eq!(r.campaign.as_deref(), Some("older"));
    }

    #[test]
    fn only_active_campaigns_compete_and_a_tier_not_taken_loses() {
        let mut paused = campaign("paused", true, &[], 10);
        paused.status = CampaignStatus::Paused;
        let mut tier2_only = campaign("tier2", false, &[], 5);
        tier2_only.tiers = vec![Tier::Tier2];
        let active = campaign("active", false, &["TX"], 1);
        let r = recommend(
            &dealer("NY"),
            &config(),
            &[paused.clone(), tier2_only, active],
            0,
        );
        // The paused one is not scored; "tier2" scores higher but does
        // not take a tier-1 lead.
        assert_eq!(r.campaign.as_deref(), Some("active"));
        assert_eq!(r.scores.len(), 2);
        assert!(!r.tier_not_taken);
        // With nothing active, a paused campaign still holds the lead.
        let r = recommend(&dealer("NY"), &config(), &[paused.clone()], 0);
        assert_eq!(r.campaign.as_deref(), Some("paused"));
        let mut archived = paused;
        archived.status = CampaignStatus::Archived;
        let r = recommend(&dealer("NY"), &config(), &[archived], 0);
        assert_eq!(r.campaign, None);
        assert!(r.scores.is_empty());
    }
}
