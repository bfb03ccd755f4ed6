//! A tenant's switches: pause, emergency stop and the bounce breaker,
//! checked before every send and inside every reservation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
}

impl Control {
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
