//! Safety and learning (SPEC §10-11): the bounce circuit breaker and decay.

pub mod breaker;
pub mod decay;
