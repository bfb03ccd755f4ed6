//! Adapters: the ports implemented on AWS services and provider HTTP APIs.

pub mod aws;
pub mod bus;
pub mod enrichment;
pub mod http;
pub mod imap;
pub mod outbox;
pub mod prospecting;
pub mod queue;
pub mod secrets;
pub mod senders;
pub mod slack;
pub mod writer;
