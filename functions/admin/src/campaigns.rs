//! The campaign routes (SPEC §1): create, read, edit, list, and the status
//! changes (activate, pause, resume, archive). The user edits the target,
//! the offer and the choices; the steps are generated unless marked custom.

use super::*;
use shared::domain::campaigns::presets::SequencePreset;
use shared::domain::campaigns::{
    Campaign, CampaignId, CampaignSenders, CampaignStatus, StatusChange, WindowsPolicy,
};
use shared::domain::dispatch::sequence::SequenceStep;
use shared::domain::lead::Tier;
use shared::domain::tenant::{Icp, RampSettings};

/// What an operator may write of a campaign; anything left out keeps its
/// value (or, for a new campaign, the tenant's).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignEdit {
    id: Option<String>,
    name: Option<String>,
    target: Option<Icp>,
    offer: Option<String>,
    preset: Option<SequencePreset>,
    custom: Option<bool>,
    sequence: Option<Vec<SequenceStep>>,
    nurture: Option<Option<SequencePreset>>,
    senders: Option<CampaignSenders>,
    windows: Option<WindowsPolicy>,
    tiers: Option<Vec<Tier>>,
    auto_enroll: Option<bool>,
    ramp: Option<RampSettings>,
    daily_share: Option<Option<u32>>,
}

impl CampaignEdit {
    fn parse(body: &str) -> Result<Self> {
        parse_body(body, "campaign")
    }

    fn apply_to(self, c: &mut Campaign) {
        let edited_steps = self.sequence.is_some();
        if let Some(v) = self.name {
            c.name = v;
        }
        if let Some(v) = self.target {
            c.target = v;
        }
        if let Some(v) = self.offer {
            c.offer = v;
        }
        if let Some(v) = self.preset {
            c.preset = v;
        }
        if let Some(v) = self.sequence {
            c.sequence = v;
        }
        // Steps given by hand are custom unless the edit says otherwise.
        c.custom = self.custom.unwrap_or(c.custom || edited_steps);
        if let Some(v) = self.nurture {
            c.nurture = v;
        }
        if let Some(v) = self.senders {
            c.senders = v;
        }
        if let Some(v) = self.windows {
            c.windows = v;
        }
        if let Some(v) = self.tiers {
            c.tiers = v;
        }
        if let Some(v) = self.auto_enroll {
            c.auto_enroll = v;
        }
        if let Some(v) = self.ramp {
            c.ramp = v;
        }
        if let Some(v) = self.daily_share {
            c.daily_share = v;
        }
    }
}

fn view(c: &Campaign, version: u64) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["version"] = json!(version);
    v
}

impl App {
    pub(crate) async fn campaign_routes(
        &self,
        tenant: &str,
        method: &str,
        rest: &[&str],
        body: &str,
        now: DateTime<Utc>,
    ) -> Option<Result<(u16, Value)>> {
        Some(match (method, rest) {
            ("GET", ["campaigns"]) => self.list_campaigns(tenant, now).await,
            ("POST", ["campaigns"]) => self.create_campaign(tenant, body, now).await,
            ("GET", ["campaigns", id]) => self
                .store
                .campaign(tenant, id, now)
                .await
                .map(|(c, v)| (200, view(&c, v))),
            ("PUT", ["campaigns", id]) => self.edit_campaign(tenant, id, body, now).await,
            ("GET", ["campaigns", id, "report"]) => self
                .campaign_report(tenant, id, now)
                .await
                .map(|r| (200, r)),
            ("GET", ["campaigns", id, "dialer"]) => self.dialer_view(tenant, id, now).await,
            ("POST", ["campaigns", id, "enroll"]) => self.enroll(tenant, id, body, now).await,
            ("POST", ["campaigns", id, action]) => {
                let change = match *action {
                    "activate" => StatusChange::Activate,
                    "pause" => StatusChange::Pause,
                    "resume" => StatusChange::Resume,
                    "archive" => StatusChange::Archive,
                    _ => return None,
                };
                self.change_campaign(tenant, id, change, now).await
            }
            _ => return None,
        })
    }

    async fn list_campaigns(&self, tenant: &str, now: DateTime<Utc>) -> Result<(u16, Value)> {
        let all = self.store.campaigns(tenant, now).await?;
        let rows: Vec<Value> = all.iter().map(|(c, v)| view(c, *v)).collect();
        Ok((200, json!({ "campaigns": rows })))
    }

    /// A new campaign starts from the tenant's target, offer, senders and
    /// enrolment settings, as a draft; what the body names replaces them.
    async fn create_campaign(
        &self,
        tenant: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let edit = CampaignEdit::parse(body)?;
        let id = edit
            .id
            .as_deref()
            .ok_or_else(|| Error::invalid("campaign.id", "required"))?;
        let id = CampaignId::parse(id).map_err(|e| Error::invalid("campaign.id", e.reason))?;
        let config = self.store.require_config(tenant).await?;
        if self
            .store
            .campaigns(tenant, now)
            .await?
            .iter()
            .any(|(c, _)| c.id == id)
        {
            return Err(Error::Conflict(format!("campaign {} exists", id.as_str())));
        }
        let mut c = Campaign::legacy(&config, now);
        c.id = id;
        c.created_at = now;
        c.status = CampaignStatus::Draft;
        // The tenant's ramp holds over every campaign; one of its own is
        // asked for.
        c.ramp = RampSettings::default();
        c.custom = false;
        c.preset = SequencePreset::default();
        edit.apply_to(&mut c);
        c.regenerate(&config);
        c.validate(&config)
            .map_err(|e| Error::invalid(format!("campaign.{}", e.field), e.reason))?;
        let version = self
            .store
            .put_campaign(tenant, &c, 0, &crate::console::actor(), "campaign_created")
            .await?;
        Ok((201, view(&c, version)))
    }

    async fn edit_campaign(
        &self,
        tenant: &str,
        id: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let edit = CampaignEdit::parse(body)?;
        if edit.id.as_deref().is_some_and(|given| given != id) {
            return Err(Error::invalid("campaign.id", "an id cannot change"));
        }
        let config = self.store.require_config(tenant).await?;
        let (mut c, version) = self.store.campaign(tenant, id, now).await?;
        if c.status == CampaignStatus::Archived {
            return Err(Error::Conflict(format!(
                "campaign {id} is archived; its history is kept as it was"
            )));
        }
        let before = c.clone();
        edit.apply_to(&mut c);
        c.updated_at = now;
        c.regenerate(&config);
        c.validate(&config)
            .map_err(|e| Error::invalid(format!("campaign.{}", e.field), e.reason))?;
        let version = self
            .store
            .put_campaign(
                tenant,
                &c,
                version,
                &crate::console::actor(),
                "campaign_updated",
            )
            .await?;
        // Whom it is for changed: every lead is scored again against the
        // campaigns (paged, as after a config change).
        let rescore = c.status != CampaignStatus::Draft
            && (before.target != c.target || before.offer != c.offer || before.tiers != c.tiers);
        if rescore {
            self.rescore_all(tenant).await?;
        }
        let mut out = view(&c, version);
        out["rescoring"] = json!(rescore);
        Ok((200, out))
    }

    async fn change_campaign(
        &self,
        tenant: &str,
        id: &str,
        change: StatusChange,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let (mut c, version) = self.store.campaign(tenant, id, now).await?;
        let status = c.status.after(change).map_err(|reason| {
            Error::Conflict(format!("campaign {id} is {}: {reason}", c.status.as_str()))
        })?;
        if status == c.status {
            return Ok((200, view(&c, version)));
        }
        c.status = status;
        c.updated_at = now;
        let action = format!("campaign_{}", status.as_str());
        let version = self
            .store
            .put_campaign(tenant, &c, version, &crate::console::actor(), &action)
            .await?;
        // The campaigns a lead is scored against changed: leads not yet
        // enrolled find their campaign again. Those enrolled keep theirs.
        self.rescore_all(tenant).await?;
        let mut out = view(&c, version);
        out["rescoring"] = json!(true);
        Ok((200, out))
    }

    async fn rescore_all(&self, tenant: &str) -> Result<()> {
        self.score
            .send_all(&[json!({"tenant": tenant, "rescore": ""})])
            .await
    }
}
