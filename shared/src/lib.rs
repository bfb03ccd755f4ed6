//! The library every outbound function shares: a pure `domain`, the `ports`
//! it needs from the outside world, and the `adapters` that implement them on
//! AWS (DynamoDB, SQS, EventBridge) and on provider HTTP APIs.

pub mod adapters;
pub mod apply;
pub mod config;
pub mod domain;
pub mod edge;
pub mod error;
pub mod import;
pub mod ops;
pub mod ports;
pub mod settle;
pub mod store;
