//! Pure business rules: no I/O, no clock reads (time is always a parameter).
//!
//! The core types every capability shares sit at the top (`ids`, `lead`,
//! `tenant`, `touch`); the rules are grouped as SPEC groups them:
//! - `targeting`: intake, dedup, suppression, enrichment, time zones, scoring,
//!   prospecting (SPEC §2-4);
//! - `content`: templates, the quality guard, drafting, the AI writer, SMS
//!   (SPEC §5);
//! - `dispatch`: windows, warmup, caps, sequences (SPEC §6-8);
//! - `signals`: webhook signatures, provider events, what each does, reply
//!   classification (SPEC §9, §11);
//! - `dialing`: the call desk: queue, pacing, concurrency (SPEC §7-8);
//! - `safety`: the bounce breaker, domain health and decay (SPEC §10-11);
//! - `reporting`: the 6-hour status report (SPEC §11);
//! - `operators`: who signs in to the console, their roles, sessions and
//!   credentials (SPEC §12).

pub mod campaigns;
pub mod content;
pub mod control;
pub mod dialing;
pub mod dispatch;
pub mod ids;
pub mod lead;
pub mod operators;
pub mod providers;
pub mod reporting;
pub mod safety;
pub mod signals;
pub mod targeting;
pub mod tenant;
pub mod touch;
