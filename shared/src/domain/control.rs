//! A tenant's switches: pause, emergency stop and the bounce breaker,
//! checked before every send and inside every reservation.

use super::targeting::enrichment::CircuitState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Tenant-wide switches, read before every send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Control {
    #[serde(default)]
    pub paused: bool,
    #[serde(default)]
    pub pause_reason: Option<String>,
    #[serde(default)]
    pub emergency_stop: bool,
    #[serde(default)]
    pub breaker_open: bool,
    #[serde(default)]
    pub breaker_reason: Option<String>,
    /// When an operator last closed the breaker: bounces before it were
    /// reviewed and no longer count.
    #[serde(default)]
    pub breaker_reset_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Each live provider's circuit (`mailgun`, `twilio` ...): after a run
    /// of failures its sends wait instead of piling up. Kept on this row
    /// because every tick reads it anyway: an open circuit costs no read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub circuits: BTreeMap<String, CircuitState>,
    /// Each sending domain's health (SPEC §10), by domain: halved or
    /// paused ones send less or nothing. Absent: healthy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub domains: BTreeMap<String, crate::domain::safety::domain_health::DomainHealth>,
}

impl Control {
    /// Until when `provider`'s circuit refuses sends, if it is open at `now`.
    pub fn circuit_open(&self, provider: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.circuits
            .get(provider)
            .filter(|c| !c.allows(now))
            .and_then(|c| c.opened_until)
    }

    /// Why nothing may be sent now, if so.
    pub fn blocked(&self) -> Option<String> {
        if self.emergency_stop {
            Some("emergency stop".into())
        } else if self.breaker_open {
            Some(format!(
                "bounce breaker open: {}",
                self.breaker_reason.as_deref().unwrap_or("")
            ))
        } else if self.paused {
            Some(format!(
                "sending paused: {}",
                self.pause_reason.as_deref().unwrap_or("")
            ))
        } else {
            None
        }
    }
}
