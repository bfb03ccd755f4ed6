//! Which campaign-results counters an event adds to: the pure half of the
//! campaign report (SPEC §1). The store adds a `Tally` to the campaign's
//! results partition in the same transaction that records the event, so
//! the report reads one partition instead of every lead and touch.
//!
//! Counters, one item per sort key of `T#t#RESULTS#<campaign>`, one
//! attribute per event kind:
//! - `FUNNEL`: `enrolled`, `contacted`, `replied`, `booked`, `bounced`,
//!   `unsubscribed`, `nurtured` (leads, each counted once a lead)
//! - `STEP#nn`: `sent`, `replied`, `booked`
//! - `HOUR#hh` (the recipient's local hour): `sent`, `replied`
//! - `CHANNEL#<channel>`: `sent`, `replied`, `booked`
//! - `DAY#<date>` (the tenant's day): one attribute per channel, its sends
//! - `WDAY#nnn` (day of the sending domain's warmup, emails): `sent`, `bounced`
//! - `VARIANT#<template>#<label>`: `drafted`, `sent`, `replied`, `booked`
//!
//! When each is counted, and why it is counted once:
//! - sent (and its hour, day and warmup day): by the transaction that
//!   confirms the send (`sending -> sent` for its attempt): a retried
//!   confirm fails its condition and adds nothing.
//! - contacted, nurtured: with the lead's `queued -> contacted` change
//!   and the attempts warning's flag (the same transaction).
//! - enrolled, drafted: by the transaction that writes the lead's
//!   sequence (once: it is conditional on the lead's version and on the
//!   touches being new). A redraft after a rejection adds no draft.
//! - replied, booked, bounced, unsubscribed: by the transaction that
//!   applies the signal (deduplicated by event id), only when the signal
//!   changes the lead that way (a reply counted, a status reached) and
//!   the lead's `results_counted` does not name the stage yet: a second
//!   reply, or a booking made again after a cancellation, counts nothing.
//!   The mark is written on the lead in the same transaction.
//!
//! Attribution, and its limits (no read is added to find more):
//! - A reply or booking counts for the touch the signal names by its
//!   attempt, else the lead's last sent touch on the signal's channel,
//!   else its last sent touch (of the lead's current campaign): its step,
//!   channel, variant and hour. A booking made from a link in an earlier
//!   email still counts for the last touch sent.
//! - A bounce counts for the touch its attempt names, else the last sent
//!   email, under the warmup day that touch was sent on.
//! - The hour and warmup day are fixed at the send (`Touch::counted_as`);
//!   touches sent before these counters existed have none, and their
//!   replies and bounces count in the funnel and by step, channel and
//!   variant, not by hour or warmup day. Sends from before are not counted.
//! - A lead whose first send's confirm landed without its follow-up, and
//!   which replied before the follow-up ran, is never counted contacted
//!   (its status left `queued` by the reply).
//! - Touches sent because the person asked (a call's recording) are not
//!   outreach: they count nowhere, and nothing is attributed to them.

use super::campaign_of;
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::signals::Signal;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::{Channel, CountedSend, Touch, TouchState};
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

pub const FUNNEL: &str = "FUNNEL";

pub fn step_key(step: u8) -> String {
    format!("STEP#{step:02}")
}
pub fn hour_key(hour: u8) -> String {
    format!("HOUR#{hour:02}")
}
pub fn channel_key(channel: Channel) -> String {
    format!("CHANNEL#{channel}")
}
pub fn day_key(day: NaiveDate) -> String {
    format!("DAY#{day}")
}
pub fn warmup_day_key(day: u32) -> String {
    format!("WDAY#{day:03}")
}
/// A variant label never holds `#` (see `Message::variant_label`): the
/// last `#` splits the key.
pub fn variant_key(template: &str, label: &str) -> String {
    format!("VARIANT#{template}#{label}")
}

/// What happened, as the results count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A lead's sequence was written in the campaign.
    Enrolled,
    /// A step was drafted (counted per template and variant).
    Drafted,
    Sent,
    /// A lead's first send of its sequence (`queued -> contacted`).
    Contacted,
    /// A lead reached the attempts warning.
    Nurtured,
    Replied,
    Booked,
    Bounced,
    Unsubscribed,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Enrolled => "enrolled",
            Event::Drafted => "drafted",
            Event::Sent => "sent",
            Event::Contacted => "contacted",
            Event::Nurtured => "nurtured",
            Event::Replied => "replied",
            Event::Booked => "booked",
            Event::Bounced => "bounced",
            Event::Unsubscribed => "unsubscribed",
        }
    }
}

/// The counters (sort key, attribute) that `event` adds one to, given the
/// touch it is about (None: a lead's event no touch explains).
pub fn counters(event: Event, touch: Option<&Touch>) -> Vec<(String, &'static str)> {
    let field = event.as_str();
    let touch = touch.filter(|t| !t.requested);
    let variant = touch
        .filter(|t| !t.message.template_id.is_empty())
        .map(|t| variant_key(&t.message.template_id, &t.message.variant_label()));
    let counted = touch.and_then(|t| t.counted_as);
    let mut out = Vec::new();
    match event {
        Event::Enrolled | Event::Contacted | Event::Nurtured | Event::Unsubscribed => {
            out.push((FUNNEL.to_string(), field));
        }
        Event::Drafted => {
            if touch.is_some_and(|t| t.state != TouchState::Skipped) {
                out.extend(variant.map(|v| (v, field)));
            }
        }
        Event::Sent => {
            let Some(t) = touch else { return out };
            out.push((step_key(t.step), field));
            out.push((channel_key(t.channel), field));
            out.extend(variant.map(|v| (v, field)));
            if let Some(c) = counted {
                out.push((hour_key(c.hour), field));
                out.push((day_key(c.day), t.channel.as_str()));
                out.extend(c.warmup_day.map(|d| (warmup_day_key(d), field)));
            }
        }
        Event::Replied | Event::Booked => {
            out.push((FUNNEL.to_string(), field));
            let Some(t) = touch else { return out };
            out.push((step_key(t.step), field));
            out.push((channel_key(t.channel), field));
            out.extend(variant.map(|v| (v, field)));
            if let (Event::Replied, Some(c)) = (event, counted) {
                out.push((hour_key(c.hour), field));
            }
        }
        Event::Bounced => {
            out.push((FUNNEL.to_string(), field));
            if let Some(d) = counted.and_then(|c| c.warmup_day) {
                out.push((warmup_day_key(d), field));
            }
        }
    }
    out
}

/// Increments for one campaign's results partition: sort key -> attribute
/// -> how much. One item per sort key, so a transaction updates each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub campaign: String,
    pub adds: BTreeMap<String, BTreeMap<&'static str, i64>>,
}

impl Tally {
    pub fn new(campaign: Option<&str>) -> Self {
        Self {
            campaign: campaign_of(campaign).to_string(),
            adds: BTreeMap::new(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.adds.is_empty()
    }
    /// Counts `event` about `touch`.
    pub fn count(&mut self, event: Event, touch: Option<&Touch>) {
        for (key, field) in counters(event, touch) {
            *self.adds.entry(key).or_default().entry(field).or_default() += 1;
        }
    }
    /// How much `key`'s `field` goes up by (0 if not counted).
    pub fn get(&self, key: &str, field: &str) -> i64 {
        self.adds
            .get(key)
            .and_then(|f| f.get(field))
            .copied()
            .unwrap_or(0)
    }
}

/// When the warmup of `domain` began: its first row, else the day it was
/// first used.
fn warmup_start(config: &TenantConfig, domain: &str) -> Option<NaiveDate> {
    let d = config
        .domains
        .iter()
        .find(|d| d.domain.eq_ignore_ascii_case(domain))?;
    d.warmup.iter().map(|r| r.starts_at).min().or(d.first_used)
}

/// The buckets a send at `at` counts in: the tenant's day, the
/// recipient's hour, and (an email) its domain's warmup day.
pub fn count_send(touch: &Touch, config: &TenantConfig, at: DateTime<Utc>) -> CountedSend {
    let day = at.with_timezone(&config.tz()).date_naive();
    let tz: Tz = touch
        .timezone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or_else(|| config.tz());
    let warmup_day = (touch.channel == Channel::Email)
        .then_some(touch.sender_domain.as_deref())
        .flatten()
        .and_then(|d| warmup_start(config, d))
        .map(|start| (day - start).num_days() + 1)
        .filter(|n| *n >= 1)
        .map(|n| n as u32);
    CountedSend {
        day,
        hour: at.with_timezone(&tz).hour() as u8,
        warmup_day,
    }
}

/// A confirmed send of `touch` (its `counted_as` set by `count_send`).
pub fn on_send(touch: &Touch) -> Tally {
    let mut t = Tally::new(touch.campaign.as_deref());
    t.count(Event::Sent, Some(touch));
    t
}

/// What follows a send or a skip, for the funnel: the lead contacted, the
/// attempts warning reached.
pub fn on_after(campaign: Option<&str>, contacted: bool, nurtured: bool) -> Tally {
    let mut t = Tally::new(campaign);
    if contacted {
        t.count(Event::Contacted, None);
    }
    if nurtured {
        t.count(Event::Nurtured, None);
    }
    t
}

/// A lead's sequence written: the lead enrolled, each step drafted.
pub fn on_sequence(lead: &Lead, touches: &[Touch]) -> Tally {
    let mut t = Tally::new(lead.campaign.as_deref());
    t.count(Event::Enrolled, None);
    for touch in touches {
        t.count(Event::Drafted, Some(touch));
    }
    t
}

fn has_replied(l: &Lead) -> bool {
    matches!(l.status, LeadStatus::Replied | LeadStatus::Booked)
}

/// The lead's last sent outreach touch of `campaign` on `channel` (any
/// channel if None).
fn last_sent<'a>(
    touches: &'a [Touch],
    campaign: &str,
    channel: Option<Channel>,
) -> Option<&'a Touch> {
    touches
        .iter()
        .filter(|t| t.state == TouchState::Sent && !t.requested)
        .filter(|t| campaign_of(t.campaign.as_deref()) == campaign)
        .filter(|t| channel.is_none_or(|c| t.channel == c))
        .max_by_key(|t| (t.sent_at, t.step))
}

/// What applying `signal` counts, from the lead as it was (`before`) and
/// as it is to be written (`after`, whose `results_counted` is marked with
/// what is counted now). `touches` are the lead's, as read.
pub fn on_signal(
    signal: &Signal,
    before: Option<&Lead>,
    after: Option<&mut Lead>,
    touches: &[Touch],
) -> Tally {
    let (Some(before), Some(after)) = (before, after) else {
        return Tally::default();
    };
    let campaign = campaign_of(after.campaign.as_deref()).to_string();
    let mut tally = Tally::new(Some(&campaign));
    let named = signal.attempt.as_deref().and_then(|a| {
        touches
            .iter()
            .find(|t| t.attempt_id.as_deref() == Some(a) && t.state == TouchState::Sent)
    });
    let answered = named
        .or_else(|| {
            signal
                .kind
                .channel()
                .and_then(|c| last_sent(touches, &campaign, Some(c)))
        })
        .or_else(|| last_sent(touches, &campaign, None));
    let bounced = named.or_else(|| last_sent(touches, &campaign, Some(Channel::Email)));
    let reached = |l: &Lead, s: LeadStatus| l.status == s;
    let events = [
        (
            Event::Replied,
            after.replies > before.replies || (has_replied(after) && !has_replied(before)),
            answered,
        ),
        (
            Event::Booked,
            reached(after, LeadStatus::Booked) && !reached(before, LeadStatus::Booked),
            answered,
        ),
        (
            Event::Bounced,
            (after.email_bounced && !before.email_bounced)
                || (reached(after, LeadStatus::Bounced) && !reached(before, LeadStatus::Bounced)),
            bounced,
        ),
        (
            Event::Unsubscribed,
            reached(after, LeadStatus::Unsubscribed) && !reached(before, LeadStatus::Unsubscribed),
            None,
        ),
    ];
    for (event, happened, touch) in events {
        let mark = format!("{campaign}#{}", event.as_str());
        if happened && !after.results_counted.contains(&mark) {
            tally.count(event, touch);
            after.results_counted.push(mark);
        }
    }
    tally
}

#[cfg(test)]
#[path = "results_tests.rs"]
mod tests;
