//! What an operator does with a campaign beyond editing it: its report
//! (from its results counters: the funnel, sends per channel per day,
//! reply rates by step and hour, bounce rate by warmup day, channels, A/B
//! results, today's share), and enrolling leads by hand.

use super::*;
use shared::domain::campaigns::enrollment::may_enroll;
use shared::domain::campaigns::recommend::recommend;
use shared::domain::campaigns::report;

/// Leads one enrolment request may name.
pub const ENROLL_MAX: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrollRequest {
    leads: Vec<String>,
}

impl App {
    /// `GET /admin/campaigns/{id}/report`: the campaign's results
    /// counters (one query, however many leads it has; see
    /// `domain::campaigns::results`), its status and today's share.
    pub async fn campaign_report(
        &self,
        tenant: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Value> {
        let (config, (campaign, version), rows) = futures::try_join!(
            self.store.require_config(tenant),
            self.store.campaign(tenant, id, now),
            self.store.campaign_results(tenant, id),
        )?;
        let r = report::build(id, &rows);
        let today = now.with_timezone(&config.tz()).date_naive();
        let share = campaign
            .daily_share
            .map(|cap| (campaign.share_scope(), cap));
        let counters = self.store.counters(tenant, today).await?;
        let share_today = share.map(|(scope, cap)| {
            let used = counters
                .iter()
                .find(|(s, _, _)| *s == scope)
                .map_or(0, |(_, used, _)| *used);
            json!({"used": used, "cap": cap})
        });
        let mut out = serde_json::to_value(&r).unwrap_or_default();
        out["name"] = json!(campaign.name);
        out["status"] = json!(campaign.status);
        out["version"] = json!(version);
        out["share_today"] = share_today.unwrap_or(Value::Null);
        Ok(out)
    }

    /// `POST /admin/campaigns/{id}/enroll` `{"leads": [...]}`: puts leads
    /// not yet in a sequence into this campaign (scored against its target,
    /// then drafted); each lead it cannot take is named with the reason.
    pub async fn enroll(
        &self,
        tenant: &str,
        id: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let req: EnrollRequest = parse_body(body, "enroll")?;
        if req.leads.is_empty() || req.leads.len() > ENROLL_MAX {
            return Err(Error::invalid(
                "enroll.leads",
                format!("name 1 to {ENROLL_MAX} leads, not {}", req.leads.len()),
            ));
        }
        let config = self.store.require_config(tenant).await?;
        let (campaign, _) = self.store.campaign(tenant, id, now).await?;
        let mut enrolled = Vec::new();
        let mut refused = Vec::new();
        let mut to_craft = Vec::new();
        for lead_id in &req.leads {
            match self
                .enroll_one(tenant, lead_id, &campaign, &config, now)
                .await?
            {
                Ok(craft) => {
                    enrolled.push(lead_id.clone());
                    if craft {
                        to_craft.push(json!({"tenant": tenant, "lead_id": lead_id}));
                    }
                }
                Err(why) => refused.push(json!({"lead": lead_id, "reason": why})),
            }
        }
        self.craft.send_all(&to_craft).await?;
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "campaign_enroll",
                &format!(
                    "campaign {id}: {} enrolled, {} refused",
                    enrolled.len(),
                    refused.len()
                ),
                now,
            )
            .await?;
        Ok((
            200,
            json!({"campaign": id, "enrolled": enrolled, "refused": refused}),
        ))
    }

    /// Ok(true): enrolled and to be drafted; Ok(false): enrolled, drafted
    /// once it is scored; Err: why not.
    async fn enroll_one(
        &self,
        tenant: &str,
        lead_id: &str,
        campaign: &shared::domain::campaigns::Campaign,
        config: &TenantConfig,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<bool, String>> {
        for _ in 0..3 {
            let Some(mut lead) = self.store.lead(tenant, lead_id).await? else {
                return Ok(Err("no such lead".into()));
            };
            let scored = !matches!(lead.status, LeadStatus::New | LeadStatus::Enriched);
            let rec = recommend(&lead, config, std::slice::from_ref(campaign), 0);
            let tier = scored.then_some(rec.card.tier);
            if let Err(why) = may_enroll(&lead, campaign, config, tier, now) {
                return Ok(Err(why));
            }
            if !matches!(
                lead.status,
                LeadStatus::New | LeadStatus::Enriched | LeadStatus::Scored | LeadStatus::Held
            ) {
                // Re-entry after "not now": its new sequence is drafted by
                // the signals work that sets the date; nothing to draft here.
                return Ok(Err(format!(
                    "lead is {}: it already has a sequence",
                    lead.status
                )));
            }
            lead.campaign = Some(campaign.id.as_str().to_string());
            lead.campaign_pinned = true;
            let detail = if scored {
                lead.score = Some(rec.card.score);
                lead.tier = Some(rec.card.tier);
                lead.reasons = rec.card.reasons.clone();
                lead.offer = Some(rec.card.offer.clone());
                lead.recommended_channels = rec.card.channels.clone();
                lead.stop_reason = None;
                let from = lead.status;
                lead.status = LeadStatus::Scored;
                format!(
                    "{from} -> scored: enrolled by an operator in campaign {} (score {}, {})",
                    campaign.id.as_str(),
                    rec.card.score,
                    rec.card.tier.label()
                )
            } else {
                format!(
                    "enrolled by an operator in campaign {}: drafted once scored",
                    campaign.id.as_str()
                )
            };
            if self
                .store
                .save_lead(&mut lead, "status", &detail, now)
                .await?
            {
                return Ok(Ok(scored));
            }
        }
        Ok(Err("the lead kept changing; try again".into()))
    }
}
