//! Going live and back, what is really configured, and the operator's
//! answer for touches in doubt (SPEC §8: going live is a checked step).

use super::*;
use shared::domain::providers::{go_live_blockers, ReadinessFacts};
use shared::domain::touch::Channel;
use shared::settle::{settle, Answer};

/// What each channel really goes through: the outbox in shadow mode, else
/// its configured provider (or nothing); and what enrichment uses.
pub(crate) fn integrations(config: &TenantConfig) -> Value {
    let mut out = serde_json::Map::new();
    for channel in shared::domain::touch::Channel::ALL {
        let v = match (config.shadow_mode, config.providers.for_channel(channel)) {
            (true, Some(p)) => format!("shadow (outbox); {} set for go-live", p.provider.as_str()),
            (true, None) => "shadow (outbox)".to_string(),
            (false, Some(p)) => format!("live via {}", p.provider.as_str()),
            (false, None) => "not configured: its touches are held".to_string(),
        };
        out.insert(channel.as_str().to_string(), Value::String(v));
    }
    let sources: Vec<&str> = config
        .enrichment
        .waterfall
        .iter()
        .map(String::as_str)
        .collect();
    out.insert(
        "enrichment".into(),
        Value::String(if sources.is_empty() {
            "time zone only (no provider configured)".into()
        } else {
            sources.join(", ")
        }),
    );
    Value::Object(out)
}

#[derive(Debug, Deserialize, Default)]
struct Resolution {
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    provider_id: Option<String>,
}

impl App {
    /// What stops the tenant from going live (each item by name), and
    /// each configured channel's probe.
    async fn readiness(&self, tenant: &str) -> Result<(TenantConfig, Value, bool)> {
        let config = self
            .store
            .with_warmup(self.store.require_config(tenant).await?)
            .await?;
        let probes: Vec<(Channel, std::result::Result<(), String>)> = match &self.live {
            Some(live) => live
                .probe(&config)
                .await
                .into_iter()
                .map(|(c, _, r)| (c, r.map_err(|e| e.to_string())))
                .collect(),
            None => vec![],
        };
        let missing = go_live_blockers(
            &config,
            &ReadinessFacts {
                probes: &probes,
                unsubscribe_url: &self.links.base_url,
                mailgun_signing_key: self.mailgun_signing_key_set,
            },
        );
        let channels: Vec<Value> = config
            .providers
            .configured()
            .into_iter()
            .map(|(channel, p)| {
                let probe = probes.iter().find(|(c, _)| *c == channel).map(|(_, r)| r);
                json!({
                    "channel": channel, "provider": p.provider.as_str(), "secret": p.secret,
                    "credentials": match probe {
                        Some(Ok(())) => "working".to_string(),
                        Some(Err(e)) => format!("failing: {e}"),
                        None => "not checked".to_string(),
                    },
                })
            })
            .collect();
        let ready = missing.is_empty();
        Ok((
            config,
            json!({"ready": ready, "missing": missing, "channels": channels}),
            ready,
        ))
    }

    pub(crate) async fn live_routes(
        &self,
        tenant: &str,
        method: &str,
        rest: &[&str],
        body: &str,
        now: DateTime<Utc>,
    ) -> Option<Result<(u16, Value)>> {
        Some(match (method, rest) {
            ("GET", ["readiness"]) => self.readiness(tenant).await.map(|(_, v, _)| (200, v)),
            ("POST", ["go-live"]) => self.go_live(tenant, now).await,
            ("POST", ["go-shadow"]) => self.set_shadow(tenant, true, now).await,
            ("GET", ["in-doubt"]) => self.list_in_doubt(tenant).await,
            ("POST", ["in-doubt", lead, step]) => {
                self.resolve_in_doubt(tenant, lead, step, body, now).await
            }
            _ => return None,
        })
    }

    /// `POST /admin/go-live`: out of shadow mode only when nothing is
    /// missing; otherwise 409 with every missing item.
    async fn go_live(&self, tenant: &str, now: DateTime<Utc>) -> Result<(u16, Value)> {
        let (config, report, ready) = self.readiness(tenant).await?;
        if !ready {
            return Ok((
                409,
                json!({"error": "not ready to go live", "missing": report["missing"], "channels": report["channels"]}),
            ));
        }
        if !config.shadow_mode {
            return Ok((
                200,
                json!({"tenant": tenant, "shadow_mode": false, "changed": false}),
            ));
        }
        self.set_shadow(tenant, false, now).await
    }

    async fn set_shadow(
        &self,
        tenant: &str,
        shadow: bool,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let mut config = self.store.require_config(tenant).await?;
        let changed = config.shadow_mode != shadow;
        if changed {
            config.shadow_mode = shadow;
            let detail = if shadow {
                "back to shadow mode: sends go to the outbox"
            } else {
                "live: sends go to the providers"
            };
            self.store
                .put_config(&config, &[], &crate::console::actor(), detail, now)
                .await?;
        }
        Ok((
            200,
            json!({"tenant": tenant, "shadow_mode": shadow, "changed": changed}),
        ))
    }

    async fn list_in_doubt(&self, tenant: &str) -> Result<(u16, Value)> {
        let rows: Vec<Value> = self
            .store
            .in_doubt(tenant)
            .await?
            .into_iter()
            .map(|t| {
                json!({
                    "lead": t.lead_id, "step": t.step, "channel": t.channel,
                    "recipient": t.recipient, "sender": t.sender, "attempt": t.attempt_id,
                    "via": t.via, "lease_until": t.lease_until, "reason": t.end_reason,
                })
            })
            .collect();
        Ok((200, json!({"in_doubt": rows})))
    }

    /// `POST /admin/in-doubt/{lead}/{step}` with `sent`, `not_sent` or
    /// `cancel`: sent confirms it (the sequence goes on as after any send);
    /// not_sent gives its caps back and makes it due again; cancel gives
    /// the caps back and passes the step over (the sequence goes on).
    async fn resolve_in_doubt(
        &self,
        tenant: &str,
        lead_id: &str,
        step: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let r: Resolution = parse_json(body)?;
        if !matches!(r.resolution.as_str(), "sent" | "not_sent" | "cancel") {
            return Err(Error::invalid(
                "resolution",
                "one of sent, not_sent, cancel",
            ));
        }
        let step: u8 = step
            .parse()
            .map_err(|_| Error::invalid("step", "a step number"))?;
        let config = self.store.require_config(tenant).await?;
        let lead = self
            .store
            .lead(tenant, lead_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("lead {lead_id}")))?;
        let touches = self.store.touches(tenant, lead_id).await?;
        let touch = touches
            .iter()
            .find(|t| t.step == step)
            .ok_or_else(|| Error::NotFound(format!("step {step} of lead {lead_id}")))?;
        let control = self.store.control(tenant).await?;
        let answer = Answer::parse(&r.resolution, r.provider_id.clone())
            .ok_or_else(|| Error::invalid("resolution", "one of sent, not_sent, cancel"))?;
        settle(
            &self.store,
            &config,
            &control,
            &lead,
            &touches,
            touch,
            &answer,
            now,
        )
        .await?;
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "in_doubt_resolved",
                &format!("lead {lead_id} step {step}: {}", r.resolution),
                now,
            )
            .await?;
        Ok((
            200,
            json!({"lead": lead_id, "step": step, "resolution": r.resolution}),
        ))
    }
}
