//! Memory and learning (SPEC §11): entries by category, the rules the
//! system keeps (constraints from the config), and recommendations from
//! each campaign's results that change nothing until an admin approves.

use super::*;
use shared::domain::campaigns::learning::{
    keep_variant, recommend, Change, MemoryCategory, MemoryEntry, Recommendation, MAX_ENTRY,
};
use shared::domain::campaigns::report;

impl App {
    /// Every campaign's open recommendations (one results query a
    /// campaign), less those already decided.
    async fn recommendations(&self, who: &Who, now: DateTime<Utc>) -> Result<Vec<Recommendation>> {
        let decided = self.store.decided_recommendations(&who.tenant).await?;
        let mut out = Vec::new();
        for (c, _) in self.store.campaigns(&who.tenant, now).await? {
            let rows = self
                .store
                .campaign_results(&who.tenant, c.id.as_str())
                .await?;
            let r = report::build(c.id.as_str(), &rows);
            out.extend(
                recommend(&r)
                    .into_iter()
                    .filter(|r| !decided.contains(&r.id)),
            );
        }
        Ok(out)
    }

    pub(super) async fn memory(
        &self,
        who: &Who,
        _req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let config = self.store.require_config(&who.tenant).await?;
        let entries = self.store.memory(&who.tenant, 200).await?;
        let built_in = vec![
            format!(
                "Email caps: {} a mailbox, {} a tenant a day; warmup ramps each new domain",
                config.caps.email_per_mailbox, config.caps.email_per_tenant
            ),
            format!(
                "SMS caps: {} a number, {} a tenant a day",
                config.caps.sms_per_number, config.caps.sms_per_tenant
            ),
            "Calls only between 08:00 and 21:00 recipient-local time, whatever the windows say"
                .to_string(),
            "Unsubscribe, do-not-contact and erasure are honoured on every channel".to_string(),
        ];
        let categories: Vec<Value> = MemoryCategory::ALL
            .iter()
            .map(|c| {
                let mine: Vec<&MemoryEntry> =
                    entries.iter().filter(|e| e.category == *c).collect();
                json!({"id": c.as_str(), "label": c.label(), "entries": mine,
                       "built_in": if *c == MemoryCategory::Constraint { built_in.clone() } else { vec![] }})
            })
            .collect();
        let recs = self.recommendations(who, now).await?;
        let campaigns = self.campaign_ids(who).await?;
        self.page(
            who,
            "memory.html",
            "memory",
            "Memory and learning",
            json!({"categories": categories, "recommendations": recs, "campaigns": campaigns,
                   "kinds": MemoryCategory::ALL.iter().map(|c| json!({"id": c.as_str(), "label": c.label()})).collect::<Vec<_>>()}),
        )
        .await
    }

    pub(super) async fn add_memory_form(
        &self,
        who: &Who,
        form: &Form,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let category = MemoryCategory::parse(form.get("category")).ok_or_else(|| {
            Error::invalid(
                "category",
                "system_learning, operator_note, playbook or constraint",
            )
        })?;
        // A note is anyone's who works the queue; what steers the team is an admin's.
        who.require(if category == MemoryCategory::OperatorNote {
            Action::ApproveDrafts
        } else {
            Action::EditConfig
        })?;
        let text = form.get("text").trim();
        if text.is_empty() || text.chars().count() > MAX_ENTRY {
            return Err(Error::invalid(
                "text",
                format!("1 to {MAX_ENTRY} characters"),
            ));
        }
        let entry = MemoryEntry {
            id: shared::store::short_id(),
            category,
            text: text.to_string(),
            campaign: form.opt("campaign"),
            by: actor(),
            at: now,
        };
        self.store.add_memory(&who.tenant, &entry, now).await?;
        Ok(http::redirect("/console/memory"))
    }

    /// Removes an entry (an admin's call: memory steers the team).
    pub(super) async fn remove_memory_form(
        &self,
        who: &Who,
        form: &Form,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::EditConfig)?;
        let at: DateTime<Utc> = form
            .get("at")
            .parse()
            .map_err(|_| Error::invalid("at", "not an entry's time"))?;
        if !self
            .store
            .remove_memory(&who.tenant, at, form.get("id"), &actor(), now)
            .await?
        {
            return Err(Error::NotFound("that entry (removed already?)".into()));
        }
        Ok(http::redirect("/console/memory"))
    }

    /// Approves or dismisses a recommendation still offered. Approving a
    /// variant keeps only that variant in the tenant's templates; a send
    /// hour becomes a playbook entry (windows are not changed for you).
    pub(super) async fn decide_form(
        &self,
        who: &Who,
        id: &str,
        decision: &str,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::EditConfig)?;
        let approved = match decision {
            "approve" => true,
            "dismiss" => false,
            other => return Err(Error::NotFound(format!("no decision {other}"))),
        };
        let rec = self
            .recommendations(who, now)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| {
                Error::Conflict(format!(
                    "{id} is no longer recommended (decided, or the results changed)"
                ))
            })?;
        let who_acts = actor();
        if !approved {
            self.store
                .decide_recommendation(&who.tenant, &rec, false, None, &who_acts, now)
                .await?;
            return Ok(http::redirect("/console/memory"));
        }
        // The decision is recorded first (once: a double submit stops
        // here), then the change is made.
        let (category, done) = match &rec.change {
            Change::KeepVariant { .. } => (
                MemoryCategory::SystemLearning,
                "the template keeps only this variant",
            ),
            Change::SendHour { .. } => (
                MemoryCategory::Playbook,
                "windows unchanged: edit the campaign's windows to act on it",
            ),
        };
        let entry = MemoryEntry {
            id: shared::store::short_id(),
            category,
            text: format!("{} ({}); {done}", rec.text, rec.evidence),
            campaign: Some(rec.campaign.clone()),
            by: who_acts.clone(),
            at: now,
        };
        if !self
            .store
            .decide_recommendation(&who.tenant, &rec, true, Some(&entry), &who_acts, now)
            .await?
        {
            return Err(Error::Conflict(format!("{id} was decided already")));
        }
        if let Change::KeepVariant {
            template_id,
            subject,
            body,
        } = &rec.change
        {
            let mut config = self.store.require_config(&who.tenant).await?;
            let done = keep_variant(&mut config.templates, template_id, *subject, *body)
                .map_err(|e| Error::Conflict(format!("approved, but not applied: {e}")))?;
            self.store
                .put_config(
                    &config,
                    &[],
                    &who_acts,
                    &format!("recommendation {id}: {done}"),
                    now,
                )
                .await?;
        }
        Ok(http::redirect("/console/memory"))
    }
}
