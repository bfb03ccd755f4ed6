//! The AI writer's domain side: what it is asked (a prompt built from the
//! ICP, the offer and the lead's evidence) and how its answer is read.
//! The HTTP call lives in `adapters::writer`; the port is `ports::Writer`.

use super::touch::Channel;
use serde::{Deserialize, Serialize};

/// One message asked of the writer, for one step of one lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteRequest {
    /// Standing instructions (voice, rules, output format).
    pub system: String,
    /// This lead, this step: the evidence and what to write.
    pub user: String,
    pub channel: Channel,
    /// Email asks for a subject; other channels do not.
    pub wants_subject: bool,
    /// Upper bound on the body's length in characters (SMS, LinkedIn notes).
    pub max_chars: usize,
}

/// What the writer wrote, before the footer and headers are added by us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Written {
    pub subject: Option<String>,
    pub body: String,
    /// The model that wrote it, for the record.
    pub model: String,
}
