//! `POST /admin/leads/{id}/reply {"body"}`: an operator answers a lead in
//! the thread the lead replied to, from the same mailbox; the email is due
//! at once and goes out through the dispatch tick like any send (window,
//! caps, opt-outs and switches hold).

use super::*;
use shared::domain::content::drafting::DraftContext;
use shared::domain::content::reply::{next_reply_step, operator_reply};
use shared::domain::touch::{Channel, TouchState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyRequest {
    body: String,
}

impl App {
    pub(crate) async fn reply_to_lead(
        &self,
        tenant: &str,
        lead_id: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let r: ReplyRequest = parse_body(body, "reply")?;
        let config = self.store.require_config(tenant).await?;
        let (lead, touches, _) = self
            .store
            .lead_view(tenant, lead_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("lead {lead_id}")))?;
        // The thread's subject: the first email the lead got.
        let subject = touches
            .iter()
            .filter(|t| t.channel == Channel::Email && t.state == TouchState::Sent)
            .min_by_key(|t| t.sent_at)
            .and_then(|t| t.message.subject.clone());
        let step = next_reply_step(touches.iter().map(|t| t.step)).ok_or_else(|| {
            Error::Refused(format!("lead {lead_id} already has 40 operator replies"))
        })?;
        let compliance = self.links.compliance(&config, &lead);
        let ctx = DraftContext {
            config: &config,
            lead: &lead,
            compliance: &compliance,
            now,
        };
        let touch = operator_reply(&ctx, step, subject.as_deref(), &r.body)
            .map_err(|reason| Error::invalid("reply.body", reason))?;
        let who = crate::console::actor();
        if !self
            .store
            .put_requested(
                std::slice::from_ref(&touch),
                &format!("reply by {who}"),
                now,
            )
            .await?
        {
            return Err(Error::Conflict(
                "another reply was written at the same moment; reload".into(),
            ));
        }
        self.store
            .audit(
                tenant,
                &who,
                "reply_sent",
                &format!("lead {lead_id} step {step}"),
                now,
            )
            .await?;
        Ok((
            201,
            json!({"lead_id": lead_id, "step": step, "state": "due", "due_at": now,
                   "subject": touch.message.subject, "to": touch.recipient}),
        ))
    }
}
