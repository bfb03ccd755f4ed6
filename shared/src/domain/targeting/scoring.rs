//! ICP scoring: a deterministic 0-100 score whose human-readable reasons add
//! up to it, the tier it lands in, and the recommended offer and channels.

use super::geo::{country_code, subdivision_code};
use crate::domain::lead::{Lead, Tier};
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::Channel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoringWeights {
    pub industry: u32,
    pub sub_industry: u32,
    /// Base points for a matching title, before the seniority multiplier.
    pub title: u32,
    pub owner_multiplier: f64,
    pub vp_multiplier: f64,
    pub company_size: u32,
    pub location: u32,
    pub rating_band: u32,
    pub review_count_band: u32,
    pub website: u32,
    pub gbp: u32,
    pub review_response_gap: u32,
    pub verified_email: u32,
    pub direct_phone: u32,
    pub intent_cap: u32,
    pub rating_min: f64,
    pub rating_max: f64,
    pub reviews_min: u32,
    pub reviews_max: u32,
    /// Below this response rate, a review-response gap counts.
    pub response_gap_below: f64,
}

impl Default for ScoringWeights {
    fn default() -> Self {
        Self {
            industry: 20,
            sub_industry: 5,
            title: 10,
            owner_multiplier: 1.5,
            vp_multiplier: 1.2,
            company_size: 10,
            location: 10,
            rating_band: 10,
            review_count_band: 10,
            website: 5,
            gbp: 5,
            review_response_gap: 5,
            verified_email: 5,
            direct_phone: 5,
            intent_cap: 20,
            rating_min: 3.2,
            rating_max: 4.0,
            reviews_min: 15,
            reviews_max: 150,
            response_gap_below: 0.3,
        }
    }
}

// A score's reasons are kept on the lead, a core type.
pub use crate::domain::lead::ScoreReason;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreCard {
    pub score: u8,
    pub tier: Tier,
    pub reasons: Vec<ScoreReason>,
    /// The first avoid rule that matched: a hard disqualifier.
    pub disqualified: Option<String>,
    pub offer: String,
    pub channels: Vec<Channel>,
}

fn contains_any(haystack: Option<&str>, needles: &[String]) -> Option<String> {
    let h = haystack?.to_lowercase();
    needles
        .iter()
        .find(|n| !n.is_empty() && h.contains(&n.to_lowercase()))
        .cloned()
}

/// Employee-count band like `11-50` or `201+`.
/// Checks a company-size band: `11-50` or `200+`.
pub fn valid_band(band: &str) -> bool {
    let band = band.trim();
    if let Some(lo) = band.strip_suffix('+') {
        return lo.trim().parse::<u32>().is_ok();
    }
    matches!(band.split_once('-'), Some((lo, hi)) if matches!((lo.trim().parse::<u32>(), hi.trim().parse::<u32>()), (Ok(lo), Ok(hi)) if lo <= hi))
}

impl ScoringWeights {
    /// Validates the weights, naming the first bad field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, r: &str| Err((format!("weights.{f}"), r.to_string()));
        for (name, m) in [
            ("owner_multiplier", self.owner_multiplier),
            ("vp_multiplier", self.vp_multiplier),
        ] {
            if !(0.0..=5.0).contains(&m) {
                return bad(name, "must be within 0..5");
            }
        }
        if !(0.0..=5.0).contains(&self.rating_min) || !(0.0..=5.0).contains(&self.rating_max) {
            return bad("rating_min", "ratings are within 0..5");
        }
        if self.rating_min > self.rating_max {
            return bad("rating_min", "must not be above rating_max");
        }
        if self.reviews_min > self.reviews_max {
            return bad("reviews_min", "must not be above reviews_max");
        }
        if !(0.0..=1.0).contains(&self.response_gap_below) {
            return bad("response_gap_below", "is a share within 0..1");
        }
        if self.intent_cap > 100 {
            return bad("intent_cap", "a score is at most 100");
        }
        for (name, w) in [
            ("industry", self.industry),
            ("sub_industry", self.sub_industry),
            ("title", self.title),
            ("company_size", self.company_size),
            ("location", self.location),
            ("rating_band", self.rating_band),
            ("review_count_band", self.review_count_band),
            ("website", self.website),
            ("gbp", self.gbp),
            ("review_response_gap", self.review_response_gap),
            ("verified_email", self.verified_email),
            ("direct_phone", self.direct_phone),
        ] {
            if w > 100 {
                return bad(name, "a score is at most 100");
            }
        }
        Ok(())
    }
}

fn in_band(employees: u32, band: &str) -> bool {
    let band = band.trim();
    if let Some(lo) = band.strip_suffix('+') {
        return lo.trim().parse::<u32>().is_ok_and(|lo| employees >= lo);
    }
    match band.split_once('-') {
        Some((lo, hi)) => match (lo.trim().parse::<u32>(), hi.trim().parse::<u32>()) {
            (Ok(lo), Ok(hi)) => (lo..=hi).contains(&employees),
            _ => false,
        },
        None => false,
    }
}

/// Scores `lead` against the tenant's ICP. `intent_points` are engagement
/// or intent signals gathered elsewhere; they count up to the intent cap.
pub fn score_lead(lead: &Lead, config: &TenantConfig, intent_points: u32) -> ScoreCard {
    let icp = &config.icp;
    let w = &config.weights;
    let mut reasons: Vec<ScoreReason> = Vec::new();
    let mut add = |points: u32, reason: String| {
        if points > 0 {
            reasons.push(ScoreReason {
                points: points as i32,
                reason,
            });
        }
    };

    let industry_text = [lead.industry.as_deref(), lead.notes.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(hit) = contains_any(Some(&industry_text), &icp.industries) {
        add(w.industry, format!("industry matches \"{hit}\""));
    }
    if let Some(hit) = contains_any(Some(&industry_text), &icp.sub_industries) {
        add(w.sub_industry, format!("sub-industry matches \"{hit}\""));
    }

    if let Some(title) = lead.title.as_deref() {
        let t = title.to_lowercase();
        let words = |ws: &[&str]| {
            ws.iter()
                .any(|w| t.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w))
        };
        let seniority = lead.seniority.as_deref().unwrap_or_default();
        let (mult, label) = if words(&["owner", "ceo", "founder", "president", "principal"])
            || matches!(seniority, "owner" | "founder" | "c_suite")
        {
            (w.owner_multiplier, "owner/CEO")
        } else if words(&["vp", "vice", "director", "head", "gm"])
            || t.contains("general manager")
            || matches!(seniority, "vp" | "head" | "director" | "partner")
        {
            (w.vp_multiplier, "VP/director")
        } else if contains_any(Some(title), &icp.titles).is_some() {
            (1.0, "target title")
        } else {
            (0.5, "other title")
        };
        let pts = (f64::from(w.title) * mult).round() as u32;
        add(pts, format!("title \"{title}\" is {label} (x{mult})"));
    }

    if let Some(n) = lead.employees {
        if let Some(band) = icp.company_sizes.iter().find(|b| in_band(n, b)) {
            add(
                w.company_size,
                format!("{n} employees is in target band {band}"),
            );
        }
    }

    // Leads and the ICP may name places differently ("US", "United
    // States"; "TX", "Texas"): both are read as ISO codes.
    let iso_country =
        |c: &str| country_code(c).map_or_else(|| c.trim().to_uppercase(), str::to_string);
    let us_state = |st: &str| {
        subdivision_code(Some("US"), st)
            .map_or_else(|| st.trim().to_uppercase(), |(_, code)| code.to_string())
    };
    let country = lead.country.as_deref().map(iso_country);
    let country_ok = icp.countries.is_empty()
        || country
            .as_deref()
            .is_some_and(|c| icp.countries.iter().any(|x| iso_country(x) == c));
    let state_ok = icp.us_states.is_empty()
        || lead.state.as_deref().is_some_and(|s| {
            let s = us_state(s);
            icp.us_states.iter().any(|x| us_state(x) == s)
        });
    if country_ok && state_ok && (country.is_some() || lead.state.is_some()) {
        add(w.location, "location is in the target market".into());
    }

    if let Some(r) = lead.rating {
        if r >= w.rating_min && r <= w.rating_max {
            add(
                w.rating_band,
                format!(
                    "Google rating {r:.1} is in the {:.1}-{:.1} trust-gap band",
                    w.rating_min, w.rating_max
                ),
            );
        }
    }
    if let Some(n) = lead.reviews {
        if n >= w.reviews_min && n <= w.reviews_max {
            add(
                w.review_count_band,
                format!(
                    "{n} reviews is in the {}-{} band",
                    w.reviews_min, w.reviews_max
                ),
            );
        }
    }
    if lead.website.as_deref().is_some_and(|s| !s.is_empty()) {
        add(w.website, "has a website".into());
    }
    if lead.has_gbp == Some(true) {
        add(w.gbp, "has a claimed Google Business Profile".into());
    }
    if let Some(rate) = lead.review_response_rate {
        if rate < w.response_gap_below {
            add(
                w.review_response_gap,
                format!("answers only {:.0}% of reviews", rate * 100.0),
            );
        }
    }
    if lead.has_email() {
        match lead.email_status.as_deref() {
            Some("verified" | "valid" | "deliverable") => {
                add(w.verified_email, "has a verified email address".into())
            }
            Some(status @ ("invalid" | "undeliverable" | "unavailable" | "bounced")) => {
                add(0, format!("email is {status}"))
            }
            // Unknown or guessed: half the points.
            other => add(
                w.verified_email / 2,
                format!(
                    "has an email address ({}, not verified)",
                    other.unwrap_or("status unknown")
                ),
            ),
        }
    }
    if lead.has_direct_phone() {
        add(w.direct_phone, "has a direct phone".into());
    }
    if intent_points > 0 {
        let capped = intent_points.min(w.intent_cap);
        add(
            capped,
            format!("intent/engagement signals (capped at {})", w.intent_cap),
        );
    }

    let avoid = &icp.avoid;
    let disqualified =
        if avoid.require_website && lead.website.as_deref().is_none_or(str::is_empty) {
            Some("avoid: no website".to_string())
        } else if avoid.require_gbp && lead.has_gbp == Some(false) {
            Some("avoid: no claimed Google Business Profile".to_string())
        } else if let (Some(min), Some(n)) = (avoid.min_reviews, lead.reviews) {
            (n < min).then(|| format!("avoid: {n} reviews is below the sales floor ({min})"))
        } else {
            None
        }
        .or_else(|| {
            contains_any(lead.notes.as_deref(), &avoid.competitor_tools)
                .map(|tool| format!("avoid: already uses competing tool \"{tool}\""))
        });

    let raw: i32 = reasons.iter().map(|r| r.points).sum();
    if let Some(why) = &disqualified {
        reasons.push(ScoreReason {
            points: -raw,
            reason: format!("{why} (hard disqualifier)"),
        });
    } else if raw > 100 {
        reasons.push(ScoreReason {
            points: 100 - raw,
            reason: "capped at 100".into(),
        });
    }
    let score = reasons.iter().map(|r| r.points).sum::<i32>().clamp(0, 100) as u8;
    let tier = if disqualified.is_some() {
        Tier::Tier3
    } else if score >= config.tiers.tier1_min {
        Tier::Tier1
    } else if score >= config.tiers.tier2_min {
        Tier::Tier2
    } else {
        Tier::Tier3
    };
    let channels = match tier {
        Tier::Tier1 => vec![Channel::Email, Channel::Voice],
        Tier::Tier2 => vec![Channel::Email],
        Tier::Tier3 => vec![],
    };
    ScoreCard {
        score,
        tier,
        reasons,
        disqualified,
        offer: icp.recommended_offer.clone(),
        channels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TenantId;
    use crate::domain::lead::LeadStatus;
    use proptest::prelude::*;

    fn config() -> TenantConfig {
        TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        )
    }

    fn dream_lead() -> Lead {
        Lead {
            email: Some("owner@dealer.example".into()),
            title: Some("Owner".into()),
            industry: Some("Used car dealer".into()),
            notes: Some("independent lot".into()),
            employees: Some(12),
            country: Some("US".into()),
            state: Some("AZ".into()),
            rating: Some(3.6),
            reviews: Some(48),
            website: Some("https://dealer.example".into()),
            has_gbp: Some(true),
            review_response_rate: Some(0.1),
            phone: Some("+16025550100".into()),
            status: LeadStatus::Enriched,
            ..Default::default()
        }
    }

    #[test]
    fn dream_dealer_is_tier_one_with_reasons_that_add_up() {
        let card = score_lead(&dream_lead(), &config(), 0);
        assert_eq!(card.tier, Tier::Tier1, "{card:?}");
        assert_eq!(
            card.reasons.iter().map(|r| r.points).sum::<i32>(),
            i32::from(card.score)
        );
        assert_eq!(card.offer, "reviews");
    }

    #[test]
    fn no_website_is_a_hard_disqualifier() {
        let mut lead = dream_lead();
        lead.website = None;
        let card = score_lead(&lead, &config(), 0);
        assert_eq!(card.score, 0);
        assert_eq!(card.tier, Tier::Tier3);
        assert!(card.disqualified.unwrap().contains("website"));
    }

    #[test]
    fn given_places_named_differently_by_lead_and_icp_when_scored_then_location_still_matches() {
        let points = |lead: &Lead, c: &TenantConfig| {
            score_lead(lead, c, 0)
                .reasons
                .iter()
                .any(|r| r.reason.contains("target market"))
        };
        let mut c = config();
        c.icp.countries = vec!["United States".into()];
        c.icp.us_states = vec!["Arizona".into(), "tx".into()];
        assert!(points(&dream_lead(), &c));
        let mut texan = dream_lead();
        texan.state = Some("Texas".into());
        texan.country = Some("USA".into());
        assert!(points(&texan, &c));
        let mut elsewhere = dream_lead();
        elsewhere.state = Some("NV".into());
        assert!(!points(&elsewhere, &c));
    }

    #[test]
    fn given_only_a_switchboard_when_scored_then_no_direct_phone_points() {
        let direct = |lead: &Lead| {
            score_lead(lead, &config(), 0)
                .reasons
                .iter()
                .any(|r| r.reason.contains("direct phone"))
        };
        let mut lead = dream_lead();
        assert!(direct(&lead));
        lead.company_phone = lead.phone.take();
        assert!(!direct(&lead));
        lead.mobile_phone = Some("+16025550177".into());
        assert!(direct(&lead));
    }

    proptest! {
        #[test]
        fn a_better_positive_signal_never_lowers_the_score(
            rating in proptest::option::of(0.0f64..5.0), reviews in proptest::option::of(0u32..1000),
            employees in proptest::option::of(0u32..5000), intent in 0u32..100, extra in 1u32..50,
            has_site in any::<bool>(), gbp in proptest::option::of(any::<bool>()),
            has_phone in any::<bool>(), has_email in any::<bool>(), signal in 0usize..6,
        ) {
            let mut lead = dream_lead();
            lead.rating = rating; lead.reviews = reviews; lead.employees = employees;
            lead.website = has_site.then(|| "https://x.example".to_string()); lead.has_gbp = gbp;
            lead.phone = has_phone.then(|| "+16025550100".to_string());
            lead.email = has_email.then(|| "o@x.example".to_string());
            let c = config();
            let before = score_lead(&lead, &c, intent).score;
            let mut better = lead.clone();
            let mut intent_after = intent;
            match signal {
                0 => better.website = Some("https://x.example".into()),
                1 => better.has_gbp = Some(true),
                2 => better.phone = Some("+16025550100".into()),
                3 => better.email = Some("o@x.example".into()),
                4 => intent_after = intent + extra,
                _ => better.review_response_rate = Some(0.0),
            }
            let after = score_lead(&better, &c, intent_after).score;
            prop_assert!(after >= before, "signal {signal}: {before} -> {after}");
        }

        #[test]
        fn score_is_deterministic_bounded_and_explained(
            rating in proptest::option::of(0.0f64..5.0), reviews in proptest::option::of(0u32..1000),
            employees in proptest::option::of(0u32..5000), intent in 0u32..100,
            has_site in any::<bool>(), gbp in proptest::option::of(any::<bool>()),
        ) {
            let mut lead = dream_lead();
            lead.rating = rating; lead.reviews = reviews; lead.employees = employees;
            lead.website = has_site.then(|| "https://x.example".to_string()); lead.has_gbp = gbp;
            let c = config();
            let a = score_lead(&lead, &c, intent);
            prop_assert_eq!(&a, &score_lead(&lead, &c, intent));
            prop_assert!(a.score <= 100);
            prop_assert_eq!(a.reasons.iter().map(|r| r.points).sum::<i32>(), i32::from(a.score));
        }
    }
}
