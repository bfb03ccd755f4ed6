//! `GET /admin/campaigns/{id}/dialer`: the dialing desk as its manager
//! sees it: calls in flight, the queue's next 20 with why each is there,
//! calls per hour per number today, and today's outcomes.

use super::*;
use shared::domain::campaigns::campaign_of;
use shared::domain::dialing::call_window;
use shared::domain::dialing::queue::{free_slots, number_ready_at, rank, Candidate};

/// How many of the queue's next calls the view lists.
const NEXT: usize = 20;

impl App {
    pub(crate) async fn dialer_view(
        &self,
        tenant: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let (campaign, _) = self.store.campaign(tenant, id, now).await?;
        let tenant_config = self.store.require_config(tenant).await?;
        let config = campaign.effective(&tenant_config);
        let settings = &config.dialer;
        let day = now.with_timezone(&config.tz()).date_naive();
        let state = self.store.desk_state(tenant, day).await?;
        let queue: Vec<_> = self
            .store
            .call_queue(tenant, now)
            .await?
            .into_iter()
            .filter(|q| campaign_of(q.campaign.as_deref()) == campaign.id.as_str())
            .collect();
        let candidates: Vec<Candidate> = queue
            .iter()
            .map(|t| Candidate {
                score: t.desk.queue_score.unwrap_or(0),
                tz: t
                    .timezone
                    .as_deref()
                    .and_then(|z| z.parse().ok())
                    .unwrap_or_else(|| config.tz()),
                window: call_window(&config.windows.call, t.desk.call_hours),
                after_hours_ok: t.desk.after_hours_ok && settings.after_hours_voicemail,
                due_at: t.due_at.unwrap_or(now),
                lead_id: t.lead_id.clone(),
            })
            .collect();
        let (ranked, waiting) = rank(&candidates, settings, now);
        let next: Vec<Value> = ranked
            .iter()
            .take(NEXT)
            .map(|r| {
                let t = &queue[r.index];
                json!({
                    "lead_id": t.lead_id,
                    "step": t.step,
                    "to": t.recipient,
                    "zone": r.zone,
                    "score": r.score,
                    "window_closes_at": r.window_closes_at,
                    "after_hours_voicemail": r.after_hours,
                    "waiting_since": t.due_at,
                    "redials": t.desk.redials,
                    "why": format!(
                        "{}score {}, its {} window closes {}",
                        if r.after_hours { "after-hours voicemail attempt; " } else { "" },
                        r.score,
                        r.zone,
                        r.window_closes_at.format("%H:%M UTC")
                    ),
                })
            })
            .collect();
        let in_flight: Vec<Value> = state
            .slots
            .values()
            .filter(|s| s.busy(now))
            .map(|s| {
                json!({
                    "slot": s.slot,
                    "lead_id": s.lead_id,
                    "campaign": s.campaign,
                    "from": s.number,
                    "started_at": s.started_at,
                    "lease_until": s.lease_until,
                    "this_campaign": s.campaign.as_deref() == Some(campaign.id.as_str()),
                })
            })
            .collect();
        let mut per_hour = serde_json::Map::new();
        for ((hour, number), n) in &state.per_hour {
            let row = per_hour.entry(number.clone()).or_insert_with(|| json!({}));
            row[hour] = json!(n);
        }
        let numbers: Vec<Value> = campaign
            .phone_numbers(&tenant_config)
            .into_iter()
            .map(|n| {
                let st = state.numbers.get(n);
                json!({
                    "number": n,
                    "last_call_at": st.and_then(|s| s.last_at),
                    "ready_at": number_ready_at(settings, st, now),
                })
            })
            .collect();
        Ok((
            200,
            json!({
                "campaign": campaign.id.as_str(),
                "status": campaign.status.as_str(),
                "settings": settings,
                "call_window": config.windows.call.describe(),
                "in_flight": in_flight,
                "free_slots": free_slots(settings, &state.slots, now).len(),
                "queue": {
                    "callable_now": ranked.len(),
                    "outside_window": waiting.len(),
                    "next": next,
                },
                "numbers": numbers,
                "calls_per_hour_per_number_today": per_hour,
                "outcomes_today": state.outcomes,
                "at": now,
            }),
        ))
    }
}
