//! A campaign's report (SPEC §1): its funnel, its sends per channel per
//! day, replies, bookings, bounces, unsubscribes and A/B results, from its
//! leads and their touches. Pure: the admin function and the demo read the
//! leads and touches, this adds them up.

use super::campaign_of;
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::touch::{Touch, TouchState};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CampaignReport {
    pub campaign: String,
    /// Leads recommended for it that are not enrolled yet (scored, held).
    pub recommended: u32,
    /// Leads enrolled (drafted onwards), by status.
    pub by_status: BTreeMap<String, u32>,
    pub enrolled: u32,
    pub contacted: u32,
    pub replied: u32,
    pub booked: u32,
    pub bounced: u32,
    pub unsubscribed: u32,
    /// Leads moved to the nurture track by the attempts warning.
    pub nurtured: u32,
    /// Sent touches by day (the tenant's), then channel.
    pub sends: BTreeMap<String, BTreeMap<String, u32>>,
    pub sent: u32,
    /// Touches still to go (approved, not sent yet), and drafts waiting.
    pub pending: u32,
    pub drafts: u32,
    pub variants: Vec<VariantRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantRow {
    pub template_id: String,
    pub variant: String,
    pub sent: u32,
    pub replied: u32,
    pub booked: u32,
    pub reply_rate: f64,
}

fn enrolled(status: LeadStatus) -> bool {
    !matches!(
        status,
        LeadStatus::New | LeadStatus::Enriched | LeadStatus::Scored | LeadStatus::Held
    )
}

/// The report of campaign `id` over `leads`, each with its touches.
pub fn build(id: &str, leads: &[(Lead, Vec<Touch>)], tz: Tz) -> CampaignReport {
    let mut r = CampaignReport {
        campaign: id.to_string(),
        ..Default::default()
    };
    let mut variants: BTreeMap<(String, String), [u32; 3]> = BTreeMap::new();
    for (lead, touches) in leads {
        let touches: Vec<&Touch> = touches
            .iter()
            .filter(|t| campaign_of(t.campaign.as_deref()) == id)
            .collect();
        let in_it = campaign_of(lead.campaign.as_deref()) == id;
        if !in_it && touches.is_empty() {
            continue;
        }
        if in_it && !enrolled(lead.status) {
            r.recommended += 1;
            continue;
        }
        r.enrolled += 1;
        *r.by_status.entry(lead.status.to_string()).or_default() += 1;
        let replied =
            lead.replies > 0 || matches!(lead.status, LeadStatus::Replied | LeadStatus::Booked);
        let booked = lead.status == LeadStatus::Booked;
        let any_sent = touches.iter().any(|t| t.state == TouchState::Sent);
        r.contacted += u32::from(any_sent);
        r.replied += u32::from(replied);
        r.booked += u32::from(booked);
        r.bounced += u32::from(lead.status == LeadStatus::Bounced || lead.email_bounced);
        r.unsubscribed += u32::from(lead.status == LeadStatus::Unsubscribed);
        r.nurtured += u32::from(lead.attempts_exceeded_200);
        for t in touches {
            match t.state {
                TouchState::Sent => {
                    r.sent += 1;
                    let day = t
                        .sent_at
                        .map(|at| at.with_timezone(&tz).date_naive().to_string())
                        .unwrap_or_default();
                    *r.sends
                        .entry(day)
                        .or_default()
                        .entry(t.channel.to_string())
                        .or_default() += 1;
                    if !t.message.template_id.is_empty() {
                        let v = variants
                            .entry((t.message.template_id.clone(), t.message.variant_label()))
                            .or_default();
                        v[0] += 1;
                        v[1] += u32::from(replied);
                        v[2] += u32::from(booked);
                    }
                }
                TouchState::Planned | TouchState::Due | TouchState::Sending => r.pending += 1,
                TouchState::Draft => r.drafts += 1,
                _ => {}
            }
        }
    }
    r.variants = variants
        .into_iter()
        .map(
            |((template_id, variant), [sent, replied, booked])| VariantRow {
                template_id,
                variant,
                sent,
                replied,
                booked,
                reply_rate: if sent > 0 {
                    f64::from(replied) / f64::from(sent)
                } else {
                    0.0
                },
            },
        )
        .collect();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::touch::{Channel, Message};

    fn lead(id: &str, campaign: Option<&str>, status: LeadStatus) -> Lead {
        Lead {
            tenant: "acme".into(),
            id: id.into(),
            campaign: campaign.map(str::to_string),
            status,
            ..Default::default()
        }
    }

    fn sent(lead: &str, step: u8, campaign: Option<&str>, channel: Channel, at: &str) -> Touch {
        let t: Touch = serde_json::from_value(serde_json::json!({
            "tenant": "acme", "lead_id": lead, "step": step, "day": 0,
            "channel": channel, "state": "sent", "fingerprint": "f",
            "message": Message { template_id: "t1".into(), body_variant: Some(step % 2), ..Default::default() },
            "sent_at": at, "created_at": at,
        }))
        .unwrap();
        Touch {
            campaign: campaign.map(str::to_string),
            ..t
        }
    }

    #[test]
    fn each_campaign_counts_only_its_own_leads_and_touches() {
        let tz: Tz = "America/Phoenix".parse().unwrap();
        let mut booked = lead("b", Some("dealers"), LeadStatus::Booked);
        booked.replies = 1;
        let leads = vec![
            (
                lead("a", None, LeadStatus::Contacted),
                vec![
                    sent("a", 1, None, Channel::Email, "2026-12-01T17:00:00Z"),
                    sent("a", 2, None, Channel::Voice, "2026-12-04T17:00:00Z"),
                ],
            ),
            (
                booked,
                vec![sent(
                    "b",
                    1,
                    Some("dealers"),
                    Channel::Email,
                    "2026-12-02T06:00:00Z",
                )],
            ),
            (lead("c", Some("dealers"), LeadStatus::Scored), vec![]),
        ];
        let d = build("default", &leads, tz);
        assert_eq!((d.enrolled, d.sent, d.contacted, d.booked), (1, 2, 1, 0));
        assert_eq!(d.sends["2026-12-01"]["email"], 1);
        assert_eq!(d.sends["2026-12-04"]["voice"], 1);
        let s = build("dealers", &leads, tz);
        assert_eq!(
            (s.enrolled, s.recommended, s.sent, s.replied, s.booked),
            (1, 1, 1, 1, 1)
        );
        // 06:00 UTC is the evening before in Phoenix.
        assert_eq!(s.sends["2026-12-01"]["email"], 1);
        assert_eq!(s.variants[0].reply_rate, 1.0);
    }
}
