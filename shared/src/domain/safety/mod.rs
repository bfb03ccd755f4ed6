//! Safety and learning (SPEC §10-11): the bounce circuit breaker, domain
//! health and decay.

pub mod breaker;
pub mod decay;
pub mod domain_health;
