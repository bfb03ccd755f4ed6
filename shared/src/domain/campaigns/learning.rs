//! Memory and learning (SPEC §11): what the system and its operators keep
//! (system learning, operator notes, playbooks, constraints) and the
//! recommendations computed from a campaign's results, which change
//! nothing until an operator approves them. Pure: the reports come from the
//! results counters, the decision is made here, the store records it.

use super::report::CampaignReport;
use crate::domain::content::template::TemplateSet;
use serde::{Deserialize, Serialize};

/// What a memory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryCategory {
    /// Learned from results (an approved recommendation).
    SystemLearning,
    /// Something an operator wants remembered.
    OperatorNote,
    /// How the team works a situation.
    Playbook,
    /// A rule that must hold (a customer's wish, a legal limit).
    Constraint,
}

impl MemoryCategory {
    pub const ALL: [MemoryCategory; 4] = [
        MemoryCategory::SystemLearning,
        MemoryCategory::OperatorNote,
        MemoryCategory::Playbook,
        MemoryCategory::Constraint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemoryCategory::SystemLearning => "system_learning",
            MemoryCategory::OperatorNote => "operator_note",
            MemoryCategory::Playbook => "playbook",
            MemoryCategory::Constraint => "constraint",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemoryCategory::SystemLearning => "System learning",
            MemoryCategory::OperatorNote => "Operator notes",
            MemoryCategory::Playbook => "Playbooks",
            MemoryCategory::Constraint => "Constraints",
        }
    }

    pub fn parse(s: &str) -> Option<MemoryCategory> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One memory entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryEntry {
    pub id: String,
    pub category: MemoryCategory,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Who wrote it (`op:<login>`), or which recommendation it came from.
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The longest entry an operator may write.
pub const MAX_ENTRY: usize = 2_000;

/// What a recommendation would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Keep only this variant of a template (its subject and body): the
    /// A/B test is decided. Applied to the tenant's templates.
    KeepVariant {
        template_id: String,
        subject: Option<usize>,
        body: usize,
    },
    /// Emails of the campaign reply best at this recipient-local hour.
    /// Recorded as a playbook; the windows are not changed automatically.
    SendHour { hour: u8 },
}

/// A recommendation computed from results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Stable while the results say the same thing: approving names it.
    pub id: String,
    pub campaign: String,
    pub change: Change,
    pub text: String,
    /// The figures behind it.
    pub evidence: String,
}

/// The least sends each side of a comparison needs.
pub const MIN_SENDS: u64 = 30;
/// How sure a difference must be (two-proportion z, about 95%).
pub const MIN_Z: f64 = 1.96;

/// The z statistic of rate a (x1/n1) against rate b (x2/n2); 0 when
/// either side is empty or nothing differs.
pub fn z(x1: u64, n1: u64, x2: u64, n2: u64) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 0.0;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let p = (x1 + x2) as f64 / (n1 + n2) as f64;
    let se = (p * (1.0 - p) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        0.0
    } else {
        (p1 - p2) / se
    }
}

fn pct(x: u64, n: u64) -> String {
    if n == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * x as f64 / n as f64)
    }
}

/// The variant indices of a label ("subject B, body A" → (Some(1), 0)).
pub fn parse_variant(label: &str) -> Option<(Option<usize>, usize)> {
    let idx = |s: &str| {
        let c = s.trim().chars().next()?;
        c.is_ascii_uppercase().then(|| usize::from(c as u8 - b'A'))
    };
    let mut subject = None;
    let mut body = None;
    for part in label.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("subject ") {
            subject = Some(idx(v)?);
        } else if let Some(v) = part.strip_prefix("body ") {
            body = Some(idx(v)?);
        }
    }
    Some((subject, body?))
}

/// What the campaign's results recommend: a send hour that replies
/// clearly better than the others, and A/B winners.
pub fn recommend(report: &CampaignReport) -> Vec<Recommendation> {
    let c = &report.campaign;
    let mut out = Vec::new();
    let (all_sent, all_replied) = report
        .by_hour
        .iter()
        .fold((0, 0), |(s, r), h| (s + h.sent, r + h.replied));
    if let Some(best) = report
        .by_hour
        .iter()
        .filter(|h| h.sent >= MIN_SENDS)
        .max_by(|a, b| a.reply_rate.total_cmp(&b.reply_rate))
    {
        let (rest_sent, rest_replied) = (all_sent - best.sent, all_replied - best.replied);
        if rest_sent >= MIN_SENDS && z(best.replied, best.sent, rest_replied, rest_sent) >= MIN_Z {
            out.push(Recommendation {
                id: format!("{c}:send-hour:{:02}", best.hour),
                campaign: c.clone(),
                change: Change::SendHour { hour: best.hour },
                text: format!(
                    "Send {c}'s emails around {:02}:00 recipient time",
                    best.hour
                ),
                evidence: format!(
                    "reply rate {} over {} sends at {:02}:00, {} over {} sends at other hours",
                    pct(best.replied, best.sent),
                    best.sent,
                    best.hour,
                    pct(rest_replied, rest_sent),
                    rest_sent
                ),
            });
        }
    }
    let mut templates: Vec<&str> = report.ab.iter().map(|v| v.template_id.as_str()).collect();
    templates.sort_unstable();
    templates.dedup();
    for t in templates {
        let rows: Vec<_> = report
            .ab
            .iter()
            .filter(|v| v.template_id == t && v.sent > 0)
            .collect();
        if rows.len() < 2 || rows.iter().any(|v| v.sent < MIN_SENDS) {
            continue;
        }
        let best = rows
            .iter()
            .max_by(|a, b| a.reply_rate.total_cmp(&b.reply_rate))
            .expect("two rows");
        let Some((subject, body)) = parse_variant(&best.variant) else {
            continue;
        };
        // The winner must beat every other variant, not just their sum.
        let clear = rows
            .iter()
            .filter(|v| v.variant != best.variant)
            .all(|v| z(best.replied, best.sent, v.replied, v.sent) >= MIN_Z);
        if !clear {
            continue;
        }
        let others: Vec<String> = rows
            .iter()
            .filter(|v| v.variant != best.variant)
            .map(|v| format!("{} {} of {}", v.variant, pct(v.replied, v.sent), v.sent))
            .collect();
        out.push(Recommendation {
            id: format!("{c}:variant:{t}:{}", best.variant.replace([' ', ','], "")),
            campaign: c.clone(),
            change: Change::KeepVariant {
                template_id: t.to_string(),
                subject,
                body,
            },
            text: format!("Keep only {} of template {t}", best.variant),
            evidence: format!(
                "{} replied {} of {} sends; {}",
                best.variant,
                pct(best.replied, best.sent),
                best.sent,
                others.join("; ")
            ),
        });
    }
    out
}

/// Applies an approved variant choice to the templates; what the change
/// did, or why it cannot (the template changed since).
pub fn keep_variant(
    templates: &mut TemplateSet,
    template_id: &str,
    subject: Option<usize>,
    body: usize,
) -> Result<String, String> {
    let t = templates
        .templates
        .iter_mut()
        .find(|t| t.id == template_id)
        .ok_or_else(|| format!("template {template_id} no longer exists"))?;
    let b = t
        .body
        .get(body)
        .cloned()
        .ok_or_else(|| format!("template {template_id} no longer has body variant {body}"))?;
    if let Some(s) = subject {
        let s =
            t.subject.get(s).cloned().ok_or_else(|| {
                format!("template {template_id} no longer has subject variant {s}")
            })?;
        t.subject = vec![s];
    }
    t.body = vec![b];
    Ok(format!(
        "template {template_id} keeps one subject and one body"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaigns::report::{HourRow, VariantRow};

    fn hour(h: u8, sent: u64, replied: u64) -> HourRow {
        HourRow {
            hour: h,
            sent,
            replied,
            reply_rate: replied as f64 / sent.max(1) as f64,
        }
    }

    fn variant(label: &str, sent: u64, replied: u64) -> VariantRow {
        VariantRow {
            template_id: "intro".into(),
            variant: label.into(),
            drafted: sent,
            sent,
            replied,
            booked: 0,
            reply_rate: replied as f64 / sent.max(1) as f64,
        }
    }

    fn report() -> CampaignReport {
        CampaignReport {
            campaign: "spring".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_clearly_better_hour_is_recommended_and_a_noisy_one_is_not() {
        let mut r = report();
        r.by_hour = vec![hour(9, 100, 15), hour(13, 100, 4), hour(16, 100, 3)];
        let recs = recommend(&r);
        assert_eq!(recs.len(), 1, "{recs:?}");
        assert_eq!(recs[0].change, Change::SendHour { hour: 9 });
        assert_eq!(recs[0].id, "spring:send-hour:09");
        assert!(
            recs[0].evidence.contains("15.0% over 100 sends"),
            "{}",
            recs[0].evidence
        );
        // The same lead with too few sends, or a small gap: nothing.
        r.by_hour = vec![hour(9, 20, 5), hour(13, 100, 4)];
        assert!(recommend(&r).is_empty());
        r.by_hour = vec![hour(9, 100, 6), hour(13, 100, 4)];
        assert!(recommend(&r).is_empty());
    }

    #[test]
    fn an_ab_winner_must_beat_every_other_variant_with_enough_sends() {
        let mut r = report();
        r.ab = vec![
            variant("subject A, body A", 120, 18),
            variant("subject B, body A", 120, 4),
        ];
        let recs = recommend(&r);
        assert_eq!(recs.len(), 1, "{recs:?}");
        assert_eq!(
            recs[0].change,
            Change::KeepVariant {
                template_id: "intro".into(),
                subject: Some(0),
                body: 0
            }
        );
        r.ab.push(variant("subject C, body A", 120, 15));
        assert!(recommend(&r).is_empty(), "C is as good as A");
        r.ab = vec![
            variant("subject A, body A", 29, 9),
            variant("subject B, body A", 120, 4),
        ];
        assert!(recommend(&r).is_empty(), "too few sends of A");
    }

    #[test]
    fn labels_parse_back_to_variant_indices() {
        assert_eq!(parse_variant("subject B, body A"), Some((Some(1), 0)));
        assert_eq!(parse_variant("body C"), Some((None, 2)));
        assert_eq!(parse_variant(""), None);
    }

    #[test]
    fn z_is_zero_without_data_and_signed_by_the_better_side() {
        assert_eq!(z(0, 0, 1, 10), 0.0);
        assert!(z(20, 100, 5, 100) > 3.0);
        assert!(z(5, 100, 20, 100) < -3.0);
    }
}
