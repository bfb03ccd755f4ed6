//! The key map: every partition and sort key of the one table, tenant-scoped.
//!
//! Key map (PK / SK):
//! - `T#t` / `CONFIG`, `AUTH`, `CONTROL`: tenant config, hashed token, switches
//! - `TENANTS` / `T#t`: the tenant registry (schedules walk it)
//! - `T#t#DOMAIN#d` / `WARMUP#<date>`: warmup rows of a sending domain
//! - `T#t` / `CAMPAIGN#<id>`, `REACH#email#<e>`, `REACH#phone#<p>`: campaigns, and
//!   which lead a campaign claimed a person's email or number for
//! - `T#t#L#<lead>` / `LEAD`, `TOUCH#nn`, `EV#<ts>#<id>`: a lead, its touches, its timeline
//!   (a signal's event names its webhook event in `webhook_event`)
//! - `T#t#SUPP` / `<kind>#<value>`: suppression entries (`erased#<hash>`: a person
//!   erased on request, by the keyed hash of an email or number)
//! - `T#t#CTR#<date>` / `<scope>`: daily counters (TTL)
//! - `T#t#RESULTS#<campaign>` / `FUNNEL`, `STEP#nn`, `HOUR#hh`, `CHANNEL#<c>`, `DAY#<date>`,
//!   `WDAY#nnn`, `VARIANT#<template>#<label>`: a campaign's results counters, one
//!   attribute per event (`sent`, `replied`...; see `domain::campaigns::results`)
//! - `T#t#RATE` / `<hour>`: hourly send/bounce buckets (TTL)
//! - `T#t#WH#<provider>#<event>` / `EVENT`
//! - `WHTOKEN#<provider>#<token>` / `TOKEN`: a used webhook token (deployment-wide, TTL)
//! - `T#t#PROVIDER#<name>` / `CIRCUIT`: an enrichment provider's circuit state
//! - `T#t#CREDITS` / `<month>#<provider>`: enrichment credits spent in a month
//! - `T#t#PROSPECT` / `CURSOR`, `<month>`: prospecting cursor and leads pulled
//! - `T#t#BATCH#<id>` / `BATCH`; `T#t#OUTBOX` / `A#<attempt>`; `T#t#AUDIT` / `<ts>#<id>`
//! - `DISPATCH` / `SHARD#<n>`: which dispatch tick works a shard, until when
//! - `T#t#ALERT` / `<key>`: an operator alert already sent (TTL: sent once per period)
//! - `T#t#ERRORS` / `<hour>`: send errors in an hour (TTL)
//! - `T#t#DESK` / `DESK`, `SLOT#nn`, `NUM#<number>`, `DAY#<date>`: the dialing desk's
//!   wake-up row, semaphore slots, numbers' pacing and the day's call outcomes
//!
//! `DueIndex` (DuePK = `DUE#<shard>`, DueSK = `<due>#<tenant>#<lead>#<step>`) holds
//! only touches that are due, whose send lease is running, or whose follow-up
//! is unfinished, plus each shard's lease row (DueSK `!LEASE`, sorting first); `TenantIndex`
//! (GSI1PK = `T#t#LEADS`, `T#t#DRAFTS` or `T#t#DOUBT`) lists a tenant's leads, drafts
//! and touches in doubt. Call steps waiting for the dialing desk sit in the same index
//! under DuePK = `CALL#<tenant>` (the tenant's call queue), out of the shards' pages.

pub fn tenant(t: &str) -> String {
    format!("T#{t}")
}
pub fn lead(t: &str, lead: &str) -> String {
    format!("T#{t}#L#{lead}")
}
pub fn touch_sk(step: u8) -> String {
    format!("TOUCH#{step:02}")
}
pub fn leads_index(t: &str) -> String {
    format!("T#{t}#LEADS")
}
pub fn doubt_index(t: &str) -> String {
    format!("T#{t}#DOUBT")
}

pub fn drafts_index(t: &str) -> String {
    format!("T#{t}#DRAFTS")
}
pub fn domain(t: &str, d: &str) -> String {
    format!("T#{t}#DOMAIN#{d}")
}
pub fn suppression(t: &str) -> String {
    format!("T#{t}#SUPP")
}
pub fn counters(t: &str, day: &str) -> String {
    format!("T#{t}#CTR#{day}")
}
/// A campaign's results counters (no TTL: the report's history).
pub fn results(t: &str, campaign: &str) -> String {
    format!("T#{t}#RESULTS#{campaign}")
}
pub fn rates(t: &str) -> String {
    format!("T#{t}#RATE")
}
pub fn webhook_event(t: &str, provider: &str, id: &str) -> String {
    format!("T#{t}#WH#{provider}#{id}")
}
/// A provider's single-use webhook token: deployment-wide, not a tenant's,
/// because one signing key signs every tenant's events.
pub fn alerts(t: &str) -> String {
    format!("T#{t}#ALERT")
}

pub fn send_errors(t: &str) -> String {
    format!("T#{t}#ERRORS")
}

pub fn webhook_token(provider: &str, token: &str) -> String {
    format!("WHTOKEN#{provider}#{token}")
}
pub fn batch(t: &str, id: &str) -> String {
    format!("T#{t}#BATCH#{id}")
}
pub fn outbox(t: &str) -> String {
    format!("T#{t}#OUTBOX")
}
pub fn provider(t: &str, name: &str) -> String {
    format!("T#{t}#PROVIDER#{name}")
}
pub fn credits(t: &str) -> String {
    format!("T#{t}#CREDITS")
}
pub fn prospect(t: &str) -> String {
    format!("T#{t}#PROSPECT")
}
pub fn desk(t: &str) -> String {
    format!("T#{t}#DESK")
}
pub fn audit(t: &str) -> String {
    format!("T#{t}#AUDIT")
}
pub const REGISTRY: &str = "TENANTS";
/// Not a tenant's: the dispatch ticks' shard leases.
pub const DISPATCH: &str = "DISPATCH";
pub fn shard_lease(shard: u32) -> String {
    format!("SHARD#{shard}")
}
