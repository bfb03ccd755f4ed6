//! Pure business rules: no I/O, no clock reads (time is always a parameter).

pub mod breaker;
pub mod caps;
pub mod decay;
pub mod drafting;
pub mod enrichment;
pub mod geo;
pub mod guard;
pub mod ids;
pub mod intake;
pub mod lead;
pub mod phone;
pub mod prospecting;
pub mod scoring;
pub mod sequence;
pub mod signals;
pub mod signature;
pub mod sms;
pub mod suppression;
pub mod template;
pub mod tenant;
pub mod timezone;
pub mod touch;
pub mod warmup;
pub mod window;
pub mod writer;

/// JSON datasets live with the rest of intake; the old path still works.
pub use intake::datasets;
