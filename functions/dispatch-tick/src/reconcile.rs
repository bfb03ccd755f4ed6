//! A reservation whose lease ran out unconfirmed: the provider is asked
//! whether the attempt went out before anything else happens to it.

use super::*;

impl App {
    /// A reservation whose lease ran out unconfirmed: the provider says
    /// whether the attempt went out. Sent: confirm it (and wake what
    /// follows); never sent: give the caps back and make it due again;
    /// unknown: in doubt, for an operator.
    pub(crate) async fn reconcile(
        &self,
        touch: &Touch,
        due_sk: &str,
        facts: &Facts,
        after: &AfterSend,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let via = touch.via.as_deref().unwrap_or("shadow");
        let delivery = match (&touch.attempt_id, self.sender_for(via)) {
            (Some(attempt), Some(sender)) => sender.lookup(touch, &facts.config, attempt).await?,
            _ => Delivery::Unknown,
        };
        let attempt = touch.attempt_id.as_deref().unwrap_or_default();
        match delivery {
            Delivery::Sent(provider_id) => {
                let version = facts.lead.as_ref().map_or(0, |l| l.version);
                let landed = self
                    .store
                    .confirm(
                        touch,
                        attempt,
                        &provider_id,
                        after,
                        version,
                        None,
                        // It went out when it was attempted.
                        count_send(touch, &facts.config, touch.attempted_at.unwrap_or(now)),
                        now,
                    )
                    .await?;
                tracing::warn!(tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, "unconfirmed send found at the provider: confirmed");
                Ok(match landed {
                    Landed::NotOurs => Outcome::LostRace,
                    _ => Outcome::Reconciled,
                })
            }
            Delivery::NotSent => {
                let day = touch
                    .caps_day
                    .unwrap_or_else(|| now.with_timezone(&facts.config.tz()).date_naive());
                let why = format!("attempt {attempt} never reached the provider; due again");
                let landed = self
                    .store
                    .release(
                        touch,
                        attempt,
                        &touch.caps_taken,
                        day,
                        Release::Retry { at: now, why: &why },
                        now,
                    )
                    .await?;
                Ok(match landed {
                    Landed::NotOurs => Outcome::LostRace,
                    _ => Outcome::Reconciled,
                })
            }
            Delivery::NotYet(until) => {
                Ok(if self.store.await_provider(touch, due_sk, until).await? {
                    tracing::info!(tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, %until, "unconfirmed send: the provider's records are not final yet; asking again then");
                    Outcome::AwaitingProvider
                } else {
                    Outcome::LostRace
                })
            }
            Delivery::Unknown => Ok(if self.store.mark_in_doubt(touch, due_sk, now).await? {
                tracing::warn!(tenant = %touch.tenant, lead = %touch.lead_id, step = touch.step, "send in doubt");
                Outcome::InDoubt
            } else {
                Outcome::LostRace
            }),
        }
    }
}
