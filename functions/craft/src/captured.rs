//! An email captured on a call starts the lead's email steps (the dialing
//! desk's "outcomes drive what follows"): each step the lead skipped for
//! want of an email, and still ahead of it, is drafted now for an
//! operator's approval (cold email is approved by hand), once.

use super::*;

impl App {
    /// The email steps of the lead a call captured an address for.
    pub async fn email_captured(&self, signal: &Signal) -> Result<()> {
        let Some(lead_id) = &signal.lead_id else {
            return Ok(());
        };
        let tenant_config = Box::new(self.store.require_config(&signal.tenant).await?);
        let now = self.clock.now();
        let campaigns = self.store.campaigns_with(&tenant_config, now).await?;
        let Some((lead, touches)) = self.store.lead_and_touches(&signal.tenant, lead_id).await?
        else {
            return Err(Error::NotFound(format!("lead {lead_id}")));
        };
        // Only a lead still in its sequence: a reply, a booking or an
        // opt-out ended it, and an address alone does not restart it.
        if !lead.email_usable() || lead.status.is_terminal() || lead.replies > 0 {
            return Ok(());
        }
        let id = campaign_of(lead.campaign.as_deref());
        let Some((campaign, _)) = campaigns.iter().find(|(c, _)| c.id.as_str() == id) else {
            return Ok(());
        };
        let config = Box::new(campaign.effective(&tenant_config));
        let compliance = self.links.compliance(&config, &lead);
        let ctx = DraftContext {
            config: &config,
            lead: &lead,
            compliance: &compliance,
            now,
        };
        let last_sent = touches
            .iter()
            .filter(|t| t.state == TouchState::Sent && !t.requested)
            .map(|t| t.step)
            .max()
            .unwrap_or(0);
        let used: std::collections::BTreeSet<String> = touches
            .iter()
            .filter(|t| t.state != TouchState::Skipped)
            .map(|t| t.message.template_id.clone())
            .collect();
        let plans = plans(&config, &lead);
        let mut pairs = vec![];
        for (i, step) in config.sequence.iter().enumerate() {
            let Some(old) = touches.iter().find(|t| t.step == step.step) else {
                continue;
            };
            let skipped_for_email = old.state == TouchState::Skipped
                && old.step > last_sent
                && old
                    .end_reason
                    .as_deref()
                    .is_some_and(|r| r.contains("no email fallback") || r.contains("no email"));
            let (plan, first_sms) = plans[i].clone();
            let sends_email = matches!(
                plan,
                StepPlan::Send {
                    channel: shared::domain::touch::Channel::Email,
                    ..
                }
            );
            if !skipped_for_email || !sends_email {
                continue;
            }
            let (ai, notes) = self
                .ai_text(&config, &lead, step, shared::domain::touch::Channel::Email)
                .await?;
            let mut fresh = draft_step(&ctx, step, &plan, first_sms, ai.as_ref(), &used);
            if let Some(n) = notes {
                fresh.draft_notes.insert(0, n);
            }
            fresh.draft_notes.insert(
                0,
                format!(
                    "drafted after a call captured the address (event {})",
                    signal.event_id
                ),
            );
            fresh.next_step = old.next_step;
            pairs.push((old.clone(), fresh));
        }
        if pairs.is_empty() {
            return Ok(());
        }
        let steps: Vec<String> = pairs.iter().map(|(o, _)| o.step.to_string()).collect();
        let why = format!(
            "email captured on a call (event {}): step(s) {} drafted for approval",
            signal.event_id,
            steps.join(", ")
        );
        let written = self.store.replace_skipped(&pairs, &why, now).await?;
        tracing::info!(tenant = %signal.tenant, lead = %lead_id, written, "email steps after a captured address");
        Ok(())
    }
}
