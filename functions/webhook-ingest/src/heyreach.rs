//! HeyReach's webhooks: connection request sent or accepted (the source
//! of `linkedin_connected`), a reply, a campaign completed. HeyReach signs
//! nothing: the URL carries `?tenant=<id>&secret=<s>`, compared in constant
//! time with the tenant's `webhook_secrets` (two while one is rotated).
//! There is no single-use token; events are de-duplicated by their id.

use super::*;
use shared::domain::providers::ProviderKind;
use shared::domain::signals::heyreach::parse;
use shared::domain::signals::replies::{classify, Reply};
use shared::domain::signals::schemes::verify_url_secret;
use shared::domain::signals::ReplyNote;

impl App {
    pub(crate) async fn heyreach(
        &self,
        req: &ApiGatewayV2httpRequest,
        body: String,
    ) -> Result<(u16, Value)> {
        let tenant = query(req, "tenant")
            .ok_or_else(|| Error::invalid("tenant", "the webhook URL must carry ?tenant=<id>"))?
            .to_string();
        let presented = query(req, "secret").unwrap_or_default();
        let (_, secret) = self
            .tenant_secret(&tenant, "heyreach", |c| {
                c.providers
                    .linkedin
                    .as_ref()
                    .filter(|p| p.provider == ProviderKind::Heyreach)
                    .map(|p| p.secret.clone())
            })
            .await?;
        let current: Vec<&str> = match &secret["webhook_secrets"] {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => secret["webhook_secret"].as_str().into_iter().collect(),
        };
        verify_url_secret(presented, &current).map_err(|e| unauthorized("heyreach", e))?;
        let event = parse(body.as_bytes()).map_err(malformed)?;
        let now = self.clock.now();
        let reply = event
            .message
            .as_deref()
            .filter(|_| event.kind == SignalKind::LinkedinReplied);
        let reply = reply.map(|text| {
            let c = classify(&Reply {
                channel: "linkedin",
                headers: &[],
                subject: "",
                body: text,
                received_at: now,
            });
            ReplyNote {
                class: c.class,
                evidence: c.evidence,
                return_date: c.return_date,
                referral_email: c.referral_email,
            }
        });
        let lead_id = self
            .find_lead(
                &tenant,
                event.attempt.as_deref().and_then(lead_of_attempt),
                event.email.as_deref(),
                None,
            )
            .await?;
        let signal = Signal {
            provider: "heyreach".into(),
            event_id: event.event_id.clone(),
            kind: event.kind,
            tenant,
            lead_id,
            email: event.email.clone(),
            occurred_at: when(event.occurred_at, now),
            detail: event.profile_url.clone().unwrap_or_default(),
            attempt: event.attempt.clone(),
            reply,
            ..Signal::default()
        };
        self.ingest(signal, None, &body).await
    }
}
