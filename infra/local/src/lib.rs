//! Local tooling that is not a Lambda: the emulators, provisioning from the
//! SAM template, the event-source runner on a simulated clock, and the demo.

pub mod emulators;
pub mod imap_server;
pub mod import;
pub mod live;
pub mod mail_server;
pub mod mailgun;
pub mod provision;
pub mod runner;
pub mod schedule;
pub mod serve;
pub mod sink;
pub mod standins;
