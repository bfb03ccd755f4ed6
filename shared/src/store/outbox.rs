//! The shadow outbox: what a tenant in shadow mode would have sent, one
//! row per attempt, written by the confirm that records the send.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub tenant: String,
    pub attempt_id: String,
    pub lead_id: String,
    pub step: u8,
    pub channel: String,
    pub sender: String,
    #[serde(default)]
    pub sender_domain: Option<String>,
    pub to: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub body: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    pub sent_at: DateTime<Utc>,
}

impl Store {
    /// Every shadow send of `tenant`, oldest first.
    pub async fn outbox(&self, tenant: &str) -> Result<Vec<OutboxEntry>> {
        self.query_all(None, "PK", keys::outbox(tenant), Some("A#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }
}
