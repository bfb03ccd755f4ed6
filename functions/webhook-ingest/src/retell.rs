//! Retell's call webhooks: `call_ended` and `call_analyzed` carry the
//! call's outcome (SPEC §9), its recording and whether the person asked
//! for it. Signed `v=<ms>,d=<hex>` with the tenant's API key over the body
//! and the timestamp, 5 minutes' tolerance; the tenant and lead ride in the
//! call's metadata that dispatch set.

use super::*;
use shared::domain::providers::ProviderKind;
use shared::domain::signals::calls::{parse, CallOutcome};
use shared::domain::signals::schemes::verify_retell;

impl App {
    pub(crate) async fn retell(
        &self,
        req: &ApiGatewayV2httpRequest,
        body: String,
    ) -> Result<(u16, Value)> {
        let header_value = header(req, "x-retell-signature").unwrap_or_default();
        if header_value.is_empty() {
            return Err(unauthorized(
                "retell",
                SignatureError::Missing("x-retell-signature"),
            ));
        }
        let event = parse(body.as_bytes()).map_err(malformed)?;
        let tenant = event
            .tenant
            .clone()
            .or_else(|| query(req, "tenant").map(str::to_string))
            .ok_or_else(|| {
                Error::invalid(
                    "call.metadata.tenant",
                    "missing: cannot tell whose call this is",
                )
            })?;
        let (_, secret) = self
            .tenant_secret(&tenant, "retell", |c| {
                c.providers
                    .voice
                    .as_ref()
                    .filter(|p| p.provider == ProviderKind::Retell)
                    .map(|p| p.secret.clone())
            })
            .await?;
        let now = self.clock.now();
        verify_retell(
            secret["api_key"].as_str().unwrap_or_default(),
            body.as_bytes(),
            header_value,
            now,
            RETELL_TOLERANCE_MS,
        )
        .map_err(|e| unauthorized("retell", e))?;
        // The signature block is single use: its digest part is the token.
        let token = header_value
            .split(',')
            .find_map(|p| p.trim().strip_prefix("d="))
            .unwrap_or(header_value);
        let Some(outcome) = event.outcome.filter(|_| event.event != "call_started") else {
            return self.ignore("retell", token, &body).await;
        };
        let kind = match outcome {
            CallOutcome::Booked => SignalKind::CallBooked,
            CallOutcome::Dnc => SignalKind::CallDnc,
            CallOutcome::Rejected => SignalKind::CallRejected,
            CallOutcome::ContactedClosed => SignalKind::CallClosed,
            CallOutcome::Voicemail => SignalKind::CallVoicemail,
            CallOutcome::EmailCaptured => SignalKind::CallEmailCaptured,
            CallOutcome::Unknown => SignalKind::CallUnknown,
            CallOutcome::NoAnswer => SignalKind::CallNoAnswer,
        };
        let lead_hint = event
            .lead_id
            .as_deref()
            .or(event.attempt_id.as_deref().and_then(lead_of_attempt));
        let signal = Signal {
            provider: "retell".into(),
            event_id: event.event_id(),
            kind,
            tenant: tenant.clone(),
            lead_id: self.find_lead(&tenant, lead_hint, None, None).await?,
            email: event.captured_email.clone(),
            occurred_at: now,
            detail: event.evidence.clone(),
            attempt: event.attempt_id.clone(),
            recording_url: event.recording_url.clone(),
            followup_requested: event.recording_followup_requested,
            ..Signal::default()
        };
        self.ingest(signal, Some(token), &body).await
    }
}
