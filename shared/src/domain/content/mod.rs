//! Content and approval (SPEC §5): templates and variants, the quality
//! guard, drafting with rejection memory, the AI writer, SMS segments.

pub mod drafting;
pub mod followup;
pub mod guard;
pub mod reply;
pub mod sms;
pub mod template;
pub mod writer;
