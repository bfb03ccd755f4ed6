//! Timing and limits (SPEC §6-8): send windows, warmup rows, daily caps,
//! sequence planning.

pub mod caps;
pub mod decide;
pub mod failure;
pub mod sequence;
pub mod warmup;
pub mod window;
