//! Targeting (SPEC §2-4): lead intake and dedup, suppression, erasure on
//! request, enrichment, recipient time zones, phone numbers and places, scoring, prospecting.

pub mod enrichment;
pub mod erasure;
pub mod geo;
pub mod intake;
pub mod phone;
pub mod prospecting;
pub mod scoring;
pub mod suppression;
pub mod timezone;
