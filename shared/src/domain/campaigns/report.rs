//! A campaign's report (SPEC §1) from its results counters (see
//! `results`): the funnel to booked, sends per day per channel, reply
//! rate by step and by the recipient's hour, bounce rate by warmup day,
//! each channel's sends, replies and bookings, and A/B results. Pure: the
//! store reads the campaign's one results partition, this shapes it.

use super::results::FUNNEL;
use crate::domain::touch::Channel;
use serde::Serialize;
use std::collections::BTreeMap;

/// One counters item: its sort key and its counts by attribute.
pub type CounterRow = (String, BTreeMap<String, i64>);

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CampaignReport {
    pub campaign: String,
    /// The funnel's stages, also given flat below.
    pub funnel: Funnel,
    pub enrolled: u64,
    pub contacted: u64,
    pub replied: u64,
    pub booked: u64,
    /// Leads whose email bounced, who unsubscribed, and who reached the
    /// attempts warning (moved to the nurture track).
    pub bounced: u64,
    pub unsubscribed: u64,
    pub nurtured: u64,
    /// Touches sent (every channel).
    pub sent: u64,
    pub per_day: Vec<DayRow>,
    pub by_step: Vec<StepRow>,
    pub by_hour: Vec<HourRow>,
    pub by_warmup_day: Vec<WarmupDayRow>,
    pub by_channel: Vec<ChannelRow>,
    pub ab: Vec<VariantRow>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Funnel {
    pub enrolled: u64,
    pub contacted: u64,
    pub replied: u64,
    pub booked: u64,
}

/// Sends on one of the tenant's days, by channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayRow {
    pub day: String,
    pub email: u64,
    pub voice: u64,
    pub sms: u64,
    pub linkedin: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    pub step: u8,
    pub sent: u64,
    pub replied: u64,
    pub booked: u64,
    pub reply_rate: f64,
}

/// Sends by the hour they reached the recipient (their local time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourRow {
    pub hour: u8,
    pub sent: u64,
    pub replied: u64,
    pub reply_rate: f64,
}

/// Emails by the day of their sending domain's warmup (1 = its first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarmupDayRow {
    pub day: u32,
    pub sent: u64,
    pub bounced: u64,
    pub bounce_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRow {
    pub channel: String,
    pub sent: u64,
    pub replied: u64,
    pub booked: u64,
    pub reply_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantRow {
    pub template_id: String,
    pub variant: String,
    pub drafted: u64,
    pub sent: u64,
    pub replied: u64,
    pub booked: u64,
    pub reply_rate: f64,
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A counter's value (counters only go up from zero; a negative one, which
/// nothing writes, reads as zero).
fn get(counts: &BTreeMap<String, i64>, field: &str) -> u64 {
    counts.get(field).copied().unwrap_or(0).max(0) as u64
}

/// The A/B rows of counters items (`VARIANT#<template>#<label>`), by
/// template then label.
pub fn variants(rows: &[CounterRow]) -> Vec<VariantRow> {
    let mut out: BTreeMap<(String, String), [u64; 4]> = BTreeMap::new();
    for (key, c) in rows {
        let Some((template, label)) = key
            .strip_prefix("VARIANT#")
            .and_then(|k| k.rsplit_once('#'))
        else {
            continue;
        };
        let v = out
            .entry((template.to_string(), label.to_string()))
            .or_default();
        for (i, f) in ["drafted", "sent", "replied", "booked"].iter().enumerate() {
            v[i] += get(c, f);
        }
    }
    out.into_iter()
        .map(
            |((template_id, variant), [drafted, sent, replied, booked])| VariantRow {
                template_id,
                variant,
                drafted,
                sent,
                replied,
                booked,
                reply_rate: rate(replied, sent),
            },
        )
        .collect()
}

/// The report of campaign `id` from its counters items.
pub fn build(id: &str, rows: &[CounterRow]) -> CampaignReport {
    let mut r = CampaignReport {
        campaign: id.to_string(),
        ..Default::default()
    };
    for (key, c) in rows {
        let (kind, rest) = key.split_once('#').unwrap_or((key.as_str(), ""));
        match kind {
            FUNNEL => {
                r.enrolled = get(c, "enrolled");
                r.contacted = get(c, "contacted");
                r.replied = get(c, "replied");
                r.booked = get(c, "booked");
                r.bounced = get(c, "bounced");
                r.unsubscribed = get(c, "unsubscribed");
                r.nurtured = get(c, "nurtured");
            }
            "STEP" => {
                if let Ok(step) = rest.parse() {
                    let (sent, replied) = (get(c, "sent"), get(c, "replied"));
                    r.by_step.push(StepRow {
                        step,
                        sent,
                        replied,
                        booked: get(c, "booked"),
                        reply_rate: rate(replied, sent),
                    });
                }
            }
            "HOUR" => {
                if let Ok(hour) = rest.parse() {
                    let (sent, replied) = (get(c, "sent"), get(c, "replied"));
                    r.by_hour.push(HourRow {
                        hour,
                        sent,
                        replied,
                        reply_rate: rate(replied, sent),
                    });
                }
            }
            "WDAY" => {
                if let Ok(day) = rest.parse() {
                    let (sent, bounced) = (get(c, "sent"), get(c, "bounced"));
                    r.by_warmup_day.push(WarmupDayRow {
                        day,
                        sent,
                        bounced,
                        bounce_rate: rate(bounced, sent),
                    });
                }
            }
            "CHANNEL" => {
                let (sent, replied) = (get(c, "sent"), get(c, "replied"));
                r.sent += sent;
                r.by_channel.push(ChannelRow {
                    channel: rest.to_string(),
                    sent,
                    replied,
                    booked: get(c, "booked"),
                    reply_rate: rate(replied, sent),
                });
            }
            "DAY" => {
                let n = |ch: Channel| get(c, ch.as_str());
                let mut d = DayRow {
                    day: rest.to_string(),
                    email: n(Channel::Email),
                    voice: n(Channel::Voice),
                    sms: n(Channel::Sms),
                    linkedin: n(Channel::Linkedin),
                    total: 0,
                };
                d.total = d.email + d.voice + d.sms + d.linkedin;
                r.per_day.push(d);
            }
            _ => {}
        }
    }
    // Sort keys order these already; sorted again so the report does not
    // depend on the order items were read in.
    r.by_step.sort_by_key(|s| s.step);
    r.by_hour.sort_by_key(|h| h.hour);
    r.by_warmup_day.sort_by_key(|w| w.day);
    r.per_day.sort_by(|a, b| a.day.cmp(&b.day));
    r.by_channel.sort_by(|a, b| a.channel.cmp(&b.channel));
    r.ab = variants(rows);
    r.funnel = Funnel {
        enrolled: r.enrolled,
        contacted: r.contacted,
        replied: r.replied,
        booked: r.booked,
    };
    r
}
