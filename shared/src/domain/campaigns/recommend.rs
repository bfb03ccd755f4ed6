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
