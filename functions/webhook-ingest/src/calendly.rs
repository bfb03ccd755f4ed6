//! Calendly's webhooks: a meeting booked, cancelled, or moved (the
//! cancelled half of a reschedule). Signed `t=<s>,v1=<hex>` over `t.body`
//! with the subscription's signing key (the tenant's `providers.booking`
//! secret); the URL carries `?tenant=<id>`. The lead is the one the link's
//! `utm_content` names, else the invitee's email.

use super::*;
use shared::domain::providers::ProviderKind;
use shared::domain::signals::bookings::{parse, BookingKind};
use shared::domain::signals::schemes::verify_calendly;

impl App {
    pub(crate) async fn calendly(
        &self,
        req: &ApiGatewayV2httpRequest,
        body: String,
    ) -> Result<(u16, Value)> {
        let tenant = query(req, "tenant")
            .ok_or_else(|| Error::invalid("tenant", "the webhook URL must carry ?tenant=<id>"))?
            .to_string();
        let header_value = header(req, "calendly-webhook-signature").unwrap_or_default();
        if header_value.is_empty() {
            return Err(unauthorized(
                "calendly",
                SignatureError::Missing("Calendly-Webhook-Signature"),
            ));
        }
        let (_, secret) = self
            .tenant_secret(&tenant, "calendly", |c| {
                c.providers
                    .booking
                    .as_ref()
                    .filter(|p| p.provider == ProviderKind::Calendly)
                    .map(|p| p.secret.clone())
            })
            .await?;
        let now = self.clock.now();
        verify_calendly(
            secret["signing_key"].as_str().unwrap_or_default(),
            body.as_bytes(),
            header_value,
            now,
            CALENDLY_TOLERANCE_SECS,
        )
        .map_err(|e| unauthorized("calendly", e))?;
        let token = header_value
            .split(',')
            .find_map(|p| p.trim().strip_prefix("v1="))
            .unwrap_or(header_value);
        let booking = parse(body.as_bytes()).map_err(malformed)?;
        let kind = match booking.kind {
            BookingKind::Booked => SignalKind::Booked,
            BookingKind::Cancelled => SignalKind::BookingCancelled,
            BookingKind::Rescheduled => SignalKind::BookingMoved,
        };
        let lead_id = self
            .find_lead(
                &tenant,
                booking.utm_content.as_deref(),
                Some(&booking.email),
                None,
            )
            .await?;
        let detail = match booking.starts_at {
            Some(at) => format!("{} for {}", booking.email, at.format("%Y-%m-%d %H:%M UTC")),
            None => booking.email.clone(),
        };
        let signal = Signal {
            provider: "calendly".into(),
            event_id: booking.event_id(),
            kind,
            tenant,
            lead_id,
            email: Some(booking.email.clone()),
            occurred_at: now,
            detail,
            ..Signal::default()
        };
        self.ingest(signal, Some(token), &body).await
    }
}
