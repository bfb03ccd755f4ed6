//! The send decision: what to do with one touch the dispatch tick found in
//! the due index, and why, from what the tick read. Pure: no I/O, time is a
//! parameter. Every rule of the send path lives here; the handler only
//! reads the context, calls `decide`, and applies the result.

use super::caps::{
    caps_for_touch, sender_candidates, with_domain_health, CapReservation, SenderChoice,
};
use super::sequence::{due_at, StepCondition};
use super::window::SendWindow;
use crate::domain::campaigns::{is_nurture_step, Campaign, CampaignStatus};
use crate::domain::dialing::{
    call_window, queue::callable, queue::next_opening, queue::Candidate, LEGAL_END, LEGAL_START,
};
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::targeting::suppression::{
    canonical_phone, domain_matches, lead_suppression_keys, suppression_keys, SuppressionKind,
};
use crate::domain::tenant::{Control, TenantConfig};
use crate::domain::touch::{Channel, DeskMarks, Touch, TouchState};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// What the tick knows when it decides about one touch.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The tenant's config as the touch's campaign sees it
    /// (`Campaign::effective`).
    pub config: &'a TenantConfig,
    /// The touch's campaign as stored now (None: a tenant from before
    /// campaigns whose default campaign was never written).
    pub campaign: Option<&'a Campaign>,
    pub control: &'a Control,
    /// The lead as stored now (`None`: deleted).
    pub lead: Option<&'a Lead>,
    /// The lead's later steps as stored, any order.
    pub later: &'a [Touch],
    /// What earlier reservation attempts of this touch found out.
    pub known: &'a Known,
    /// Is there a sender for this tenant's mode (the shadow outbox, or a
    /// live provider once it is out of shadow mode)?
    pub has_sender: bool,
    /// How long a reservation may stay unconfirmed.
    pub lease: Duration,
    /// Set when the dialing desk decides about a queued call: the numbers
    /// its pacing lets dial now. None: a touch found in the shards' due
    /// index, where a call step is queued rather than dialled.
    pub desk: Option<DeskView<'a>>,
}

/// What the dialing desk lends a decision about a queued call.
#[derive(Debug, Clone, Copy)]
pub struct DeskView<'a> {
    /// Numbers free to dial now (their gap kept, their hour not full).
    pub ready_numbers: &'a [String],
}

/// Facts a failed reservation taught: its conditions are the last word on
/// suppression and caps, so a second decision uses them instead of a read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    /// Suppression entries found on the touch's addresses.
    pub suppressed: Vec<String>,
    /// Cap scopes full today.
    pub full_caps: BTreeSet<String>,
    /// Today's counts by cap scope, as read with the tick's page and bumped
    /// by its own reservations: senders are tried least loaded first, and
    /// one already at a limit is not tried. A scope not here counts 0.
    pub loads: BTreeMap<String, u32>,
    /// A claim on the person found held for another campaign.
    pub claimed: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Reserve (touch + caps + checks, one transaction), send, confirm.
    Send(Box<SendPlan>),
    /// Stay due, later.
    Wait {
        until: DateTime<Utc>,
        kind: WaitKind,
        reason: String,
    },
    /// Nothing may go out for this tenant now (emergency stop, breaker,
    /// pause, no provider): the touch stays as it is; the reason is noted.
    Hold { reason: String },
    /// The sequence stops here.
    Cancel { reason: String },
    /// This step is passed over; the sequence goes on.
    Skip { reason: String, after: AfterSend },
    /// A reservation's lease ran out unconfirmed: ask the provider whether
    /// the attempt went out before doing anything else.
    Reconcile { after: AfterSend },
    /// A sent or skipped touch whose follow-up (waking the next step,
    /// marking the lead contacted) did not land with it.
    FollowUp { after: AfterSend },
    /// The index entry is stale: another tick moved the touch.
    Stale,
    /// A call step that may be called: it joins the tenant's call queue,
    /// where the desk orders, paces and dials it, unless one of these
    /// suppression entries exists.
    Queue {
        marks: DeskMarks,
        suppression: Vec<(SuppressionKind, String)>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitKind {
    Window,
    Cap,
    Ramp,
    Backoff,
    /// Its campaign is paused (or not started).
    Paused,
    /// The person is away (an out-of-office reply gave the date).
    Away,
    /// A queued call whose number (or the lead's own) is not paced to
    /// dial yet: it stays in the queue.
    Pacing,
}

/// How often a paused campaign's touches are looked at again: they leave
/// the head of the due index (other campaigns' touches are not crowded
/// out), and a resumed campaign sends within this.
pub const PAUSED_RECHECK_MINUTES: i64 = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct SendPlan {
    /// The tenant's day the caps count against.
    pub day: NaiveDate,
    /// Senders to try in order, each with every cap it takes.
    pub senders: Vec<(SenderChoice, Vec<CapReservation>)>,
    /// Suppression entries that must not exist when the reservation lands.
    pub suppression: Vec<(SuppressionKind, String)>,
    /// The person's claims (`enrollment::reach_keys`) that must not be held
    /// for another campaign when the reservation lands.
    pub claims: Vec<String>,
    /// The lead's version the decision was made on: the reservation holds
    /// only if nobody changed the lead since.
    pub lead_version: u64,
    pub lease_until: DateTime<Utc>,
    pub after: AfterSend,
    /// If every sender turns out full: when to try again.
    pub retry_at: DateTime<Utc>,
    /// A call outside the lead's window: its one after-hours voicemail attempt.
    pub after_hours: bool,
}

/// What a send (or a skip) changes beyond the touch itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AfterSend {
    /// The next step to make due, and when.
    pub wake: Option<Wake>,
    /// The lead moves from queued to contacted.
    pub contacted: bool,
    /// The lead reached the attempts warning (SPEC §8): it is flagged
    /// `attempts_exceeded_200`.
    pub flag_attempts: bool,
    /// Planned steps that will not be sent: the rest of the main sequence
    /// of a lead moved to its nurture track.
    pub cancel: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wake {
    pub step: u8,
    pub at: DateTime<Utc>,
}

pub fn window_for(config: &TenantConfig, channel: Channel) -> &SendWindow {
    match channel {
        Channel::Email => &config.windows.email,
        Channel::Voice => &config.windows.call,
        Channel::Sms => &config.windows.sms,
        Channel::Linkedin => &config.windows.linkedin,
    }
}

/// How loaded a sender is: the fullest of its own caps, in millionths of
/// its limit (a whole number, so that equal loads compare equal).
fn sender_load(caps: &[CapReservation], used: &dyn Fn(&str) -> u32) -> u64 {
    caps.iter()
        .filter(|c| sender_specific(&c.scope))
        .map(|c| u64::from(used(&c.scope)) * 1_000_000 / u64::from(c.limit.max(1)))
        .max()
        .unwrap_or(0)
}

/// Is a full cap specific to one sender (so another mailbox or number may
/// still send), rather than tenant- or lead-wide?
pub fn sender_specific(scope: &str) -> bool {
    [
        "#domain#",
        "#mailbox#",
        "#number#",
        "#connect#",
        "#message#",
    ]
    .iter()
    .any(|p| scope.contains(p))
}

/// The recipient's zone: the touch's, else the tenant's.
pub fn recipient_tz(config: &TenantConfig, touch: &Touch) -> chrono_tz::Tz {
    touch
        .timezone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or_else(|| config.tz())
}

/// A per-touch seed: jitter and sender rotation differ between leads and
/// steps but are the same on every retry.
fn seed(touch: &Touch) -> u64 {
    crate::domain::ids::LeadId::parse(&touch.lead_id)
        .map(|l| l.hash64())
        .unwrap_or(0)
        .wrapping_add(u64::from(touch.step))
}

/// Every suppression entry that stops this touch: its own addresses as
/// drafted, and the lead's as stored now.
pub fn suppression_checks(touch: &Touch, lead: &Lead) -> Vec<(SuppressionKind, String)> {
    let mut keys = suppression_keys(
        (touch.channel == Channel::Email)
            .then_some(touch.recipient.as_str())
            .or(touch.lead_email.as_deref()),
        touch.company_domain.as_deref(),
        matches!(touch.channel, Channel::Voice | Channel::Sms)
            .then_some(touch.recipient.as_str())
            .or(touch.lead_phone.as_deref()),
    );
    let phones = touch
        .lead_phone
        .iter()
        .chain(&touch.lead_other_phones)
        .filter_map(|p| canonical_phone(p))
        .map(|p| (SuppressionKind::Phone, p));
    for key in phones.chain(lead_suppression_keys(lead)) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The step after `touch` to wake: the first later step still planned,
/// passing over skipped and cancelled ones. A step still waiting for
/// approval (or already moving) stops the walk: its approval wakes it.
pub fn next_wake(
    touch: &Touch,
    later: &[Touch],
    first_sent_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Wake> {
    // The two tracks do not run into each other: the main sequence ends
    // without waking the nurture track, which counts its days from the
    // step before (it starts whenever the warning is reached).
    let nurture = is_nurture_step(touch.step);
    let mut steps: Vec<&Touch> = later
        .iter()
        .filter(|t| t.step > touch.step && is_nurture_step(t.step) == nurture)
        .collect();
    steps.sort_by_key(|t| t.step);
    for t in steps {
        match t.state {
            TouchState::Skipped | TouchState::Cancelled => continue,
            TouchState::Planned => {
                let at = if nurture {
                    now + Duration::days(i64::from(t.day.saturating_sub(touch.day)))
                } else {
                    due_at(first_sent_at, t.day)
                };
                return Some(Wake {
                    step: t.step,
                    at: at.max(now),
                });
            }
            _ => return None,
        }
    }
    None
}

/// What follows this touch once it is sent or skipped. A send that brings
/// the lead to the attempts warning flags it and, when its campaign has a
/// nurture track, moves it there: the rest of the main sequence is
/// cancelled and the first nurture step woken instead.
fn after(touch: &Touch, ctx: &Context, sent: bool, now: DateTime<Utc>) -> AfterSend {
    let lead = ctx.lead;
    let first = lead.and_then(|l| l.first_sent_at).unwrap_or(now);
    // A follow-up of a send whose confirm landed has it counted already.
    let counting = sent && touch.state != TouchState::Sent;
    let attempts = lead.map_or(0, |l| l.attempts + u32::from(counting));
    let warned = lead.is_some_and(|l| l.attempts_exceeded_200);
    let mut out = AfterSend {
        wake: next_wake(touch, ctx.later, first, now),
        contacted: sent && lead.is_some_and(|l| l.status == LeadStatus::Queued),
        flag_attempts: !warned && attempts >= ctx.config.caps.attempts_warning,
        cancel: vec![],
    };
    if attempts >= ctx.config.caps.attempts_warning && !is_nurture_step(touch.step) {
        if let Some(nurture) = nurture_entry(ctx.later) {
            out.wake = Some(Wake {
                step: nurture.step,
                at: now + Duration::days(i64::from(nurture.day)),
            });
            out.cancel = ctx
                .later
                .iter()
                .filter(|t| !is_nurture_step(t.step) && t.step > touch.step)
                .filter(|t| matches!(t.state, TouchState::Planned | TouchState::Draft))
                .map(|t| t.step)
                .collect();
        }
    }
    out
}

/// The first approved step of a nurture track not yet entered (no step of
/// it woken or sent); drafts still waiting for approval do not hold it up.
fn nurture_entry(later: &[Touch]) -> Option<&Touch> {
    let nurture: Vec<&Touch> = later.iter().filter(|t| is_nurture_step(t.step)).collect();
    let entered = nurture.iter().any(|t| {
        matches!(
            t.state,
            TouchState::Due | TouchState::Sending | TouchState::Sent | TouchState::InDoubt
        )
    });
    if entered {
        return None;
    }
    nurture
        .into_iter()
        .filter(|t| t.state == TouchState::Planned)
        .min_by_key(|t| t.step)
}

/// The lead's score for the touch's campaign, else its best.
pub fn lead_score(lead: &Lead, campaign: Option<&str>) -> u8 {
    let id = crate::domain::campaigns::campaign_of(campaign);
    lead.campaign_scores
        .iter()
        .find(|s| s.campaign == id)
        .map(|s| s.score)
        .or(lead.score)
        .unwrap_or(0)
}

/// The first minutes of the tenant's next day, in UTC.
fn tenant_day_start(config: &TenantConfig, day: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    config
        .tz()
        .from_local_datetime(&day.and_hms_opt(0, 5, 0).expect("valid time"))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now + Duration::days(1))
}

/// The decisions about a due touch that need only the touch, the tenant's
/// config and its switches: outside the recipient's window it waits; with a
/// switch thrown it is held. The tick makes them before reading any lead.
pub fn before_reading(
    touch: &Touch,
    config: &TenantConfig,
    campaign: Option<&Campaign>,
    control: &Control,
    now: DateTime<Utc>,
) -> Option<Decision> {
    if touch.state != TouchState::Due {
        return None;
    }
    // A paused campaign's touches stay due, untouched, and go when it is
    // resumed; an archived one's end (its history stays). What a person
    // asked for is not the campaign's.
    if let Some(c) = campaign.filter(|_| !touch.requested) {
        match c.status {
            CampaignStatus::Active => {}
            CampaignStatus::Archived => {
                return Some(Decision::Cancel {
                    reason: format!("campaign {} is archived", c.id.as_str()),
                })
            }
            CampaignStatus::Paused | CampaignStatus::Draft => {
                return Some(Decision::Wait {
                    until: now + Duration::minutes(PAUSED_RECHECK_MINUTES),
                    kind: WaitKind::Paused,
                    reason: format!("campaign {} is {}", c.id.as_str(), c.status.as_str()),
                })
            }
        }
    }
    let tz = recipient_tz(config, touch);
    // A call's own window depends on the lead (its hours, its one
    // after-hours attempt): here only the legal hours, which hold for all.
    let legal;
    let window = if touch.channel == Channel::Voice {
        legal = SendWindow {
            start: LEGAL_START,
            end: LEGAL_END,
            days: config.windows.call.days.clone(),
        };
        &legal
    } else {
        window_for(config, touch.channel)
    };
    if !window.is_open(now, tz) {
        return Some(Decision::Wait {
            until: window.schedule(now, tz, seed(touch), config.windows.jitter_max_secs),
            kind: WaitKind::Window,
            reason: format!("outside the {} window in {}", touch.channel, tz.name()),
        });
    }
    control.blocked().map(|reason| Decision::Hold { reason })
}

/// What to do with `touch`, found in the due index at `now`.
pub fn decide(touch: &Touch, ctx: &Context, now: DateTime<Utc>) -> Decision {
    let config = ctx.config;
    match touch.state {
        TouchState::Due => {}
        TouchState::Sending if touch.lease_until.is_none_or(|l| l <= now) => {
            return Decision::Reconcile {
                after: after(touch, ctx, true, now),
            }
        }
        TouchState::Sent | TouchState::Skipped if touch.follow_up => {
            return Decision::FollowUp {
                after: after(touch, ctx, touch.state == TouchState::Sent, now),
            }
        }
        _ => return Decision::Stale,
    }
    // The window and the switches first: they need neither the lead nor
    // the later steps, and most waits are them.
    if let Some(d) = before_reading(touch, config, ctx.campaign, ctx.control, now) {
        return d;
    }
    let tz = recipient_tz(config, touch);
    let window = window_for(config, touch.channel);
    let seed = seed(touch);
    let jitter = config.windows.jitter_max_secs;
    let cancel = |reason: String| Decision::Cancel { reason };
    let Some(lead) = ctx.lead else {
        return cancel("lead no longer exists".into());
    };
    // What the person asked for (a call's recording) goes whatever became
    // of the sequence, unless they opted out or cannot be reached.
    let opted_out = matches!(
        lead.status,
        LeadStatus::Unsubscribed | LeadStatus::Dnc | LeadStatus::Invalid
    );
    if touch.requested && opted_out {
        return cancel(format!("lead is {}", lead.status));
    }
    if !touch.requested
        && (lead.status.is_terminal() || lead.replies > 0 || lead.status == LeadStatus::Replied)
    {
        return cancel(format!("lead is {} (sequence stopped)", lead.status));
    }
    // An entry on any way to reach the lead stops every channel, as it does
    // at intake. The reservation checks the entries; a failed check lands here.
    // Its claim on the person lapsed (a long pause) and another campaign
    // took it: that campaign reaches them now, this one stops.
    if let Some(key) = ctx.known.claimed.as_ref().filter(|_| !touch.requested) {
        return cancel(format!("{key} is being reached by another campaign"));
    }
    if !ctx.known.suppressed.is_empty() {
        return cancel(format!("suppressed: {}", ctx.known.suppressed.join(", ")));
    }
    // A later import can say the lead became a customer (or its business
    // closed): nothing more goes out.
    if let Some(hold) = &lead.hold {
        return cancel(format!("held: {hold}"));
    }
    let checks = suppression_checks(touch, lead);
    let excluded = checks
        .iter()
        .filter(|(kind, _)| *kind == SuppressionKind::Domain)
        .find_map(|(_, domain)| {
            config
                .excluded_domains
                .iter()
                .find(|ex| domain_matches(ex, domain))
        });
    if let Some(ex) = excluded {
        return cancel(format!("excluded customer domain {ex}"));
    }
    let skip = |reason: &str| Decision::Skip {
        reason: reason.to_string(),
        after: after(touch, ctx, false, now),
    };
    if touch
        .send_conditions
        .contains(&StepCondition::LinkedinConnected)
        && !lead.linkedin_connected
    {
        return skip(
            "condition linkedin_connected not met: the connection request was not accepted",
        );
    }
    // An out-of-office reply: nothing goes out before they are back, then
    // the sequence goes on inside the window.
    if let Some(back) = lead.paused_until.filter(|b| *b > now && !touch.requested) {
        return Decision::Wait {
            until: window.schedule(back, tz, seed, jitter),
            kind: WaitKind::Away,
            reason: format!("out of office until {}", back.date_naive()),
        };
    }
    // Ramp mode: while it lasts only the allowed tiers are sent to; the
    // others wait for its end (the ramp's own daily cap is reserved below).
    let day = now.with_timezone(&config.tz()).date_naive();
    let ramps = [
        Some(&config.approval.ramp),
        ctx.campaign.and_then(|c| c.own_ramp()),
    ];
    let waiting = ramps.into_iter().flatten().find(|r| {
        r.active_on(day) && !touch.requested && !touch.tier.is_some_and(|t| r.tiers.contains(&t))
    });
    if let Some(ramp) = waiting {
        let end_day = ramp.last_day().unwrap_or(day) + Duration::days(1);
        return Decision::Wait {
            until: window.schedule(tenant_day_start(config, end_day, now), tz, seed, jitter),
            kind: WaitKind::Ramp,
            reason: format!(
                "ramp mode until {}: only {:?} are sent to",
                end_day - Duration::days(1),
                ramp.tiers
            ),
        };
    }
    if touch.channel == Channel::Email && lead.email_bounced {
        return skip("email address bounced");
    }
    if matches!(touch.channel, Channel::Sms | Channel::Voice) && lead.phone_invalid {
        return skip("phone number refused by the provider");
    }
    // Checked again at send: a header no draft path may have let through.
    if touch.channel == Channel::Email {
        if let Some(problem) =
            crate::domain::content::template::headers::message_header_problem(&touch.message)
        {
            return cancel(format!("unsafe email header: {problem}"));
        }
    }
    if lead.address(touch.channel) != touch.recipient {
        return cancel("recipient changed after approval; needs a new draft".into());
    }
    if lead.attempts >= config.caps.max_attempts_per_lead {
        return cancel(format!(
            "max attempts ({}) reached",
            config.caps.max_attempts_per_lead
        ));
    }
    // Past the attempts warning with a nurture track not yet entered (the
    // warning was lowered, or the attempts came from elsewhere): the main
    // sequence gives way to it here.
    if !is_nurture_step(touch.step)
        && lead.attempts >= config.caps.attempts_warning
        && nurture_entry(ctx.later).is_some()
    {
        return skip(&format!(
            "{} attempts reached the warning ({}): moved to the nurture track",
            lead.attempts, config.caps.attempts_warning
        ));
    }
    // A call: inside the lead's own window, or its one after-hours
    // voicemail attempt; otherwise it waits for the next opening.
    let call = (touch.channel == Channel::Voice).then(|| Candidate {
        score: lead_score(lead, touch.campaign.as_deref()),
        tz,
        window: call_window(&config.windows.call, lead.call_hours),
        after_hours_ok: config.dialer.after_hours_voicemail && !lead.after_hours_call_once_done,
        due_at: touch.due_at.unwrap_or(now),
        lead_id: lead.id.clone(),
    });
    let mut after_hours = false;
    if let Some(c) = &call {
        match callable(c, now) {
            Some((_, late)) => after_hours = late,
            None => {
                return Decision::Wait {
                    until: next_opening(c, now),
                    kind: WaitKind::Window,
                    reason: format!(
                        "outside its call window {} in {}",
                        c.window.describe(),
                        tz.name()
                    ),
                }
            }
        }
    }
    if !ctx.has_sender {
        return Decision::Hold {
            reason: format!(
                "out of shadow mode but no live {} provider is configured",
                touch.channel
            ),
        };
    }
    if !config.shadow_mode {
        let Some(provider) = config.providers.for_channel(touch.channel) else {
            return Decision::Hold {
                reason: format!("no live {} provider in the tenant's config", touch.channel),
            };
        };
        let name = provider.provider.as_str();
        if let Some(until) = ctx.control.circuit_open(name, now) {
            return Decision::Wait {
                until,
                kind: WaitKind::Backoff,
                reason: format!("{name} circuit open after repeated failures, until {until}"),
            };
        }
    }
    // Senders in today's rotation, without those a failed reservation found
    // full; a full tenant- or lead-wide cap leaves none.
    let retry_at = window.schedule(
        tenant_day_start(config, day + Duration::days(1), now),
        tz,
        seed,
        jitter,
    );
    let rotation = seed.wrapping_add(u64::from(day.num_days_from_ce() as u32));
    let mut candidates = sender_candidates(config, touch.channel, rotation);
    // Sticky: once a lead heard from a mailbox, number or seat, every later
    // step goes from it (threads stay whole, replies reach one inbox); when
    // it is full the touch waits rather than switching. A sender removed
    // from the config frees the lead to the rotation.
    let sticky = lead.sticky_sender(touch.channel);
    if let Some(identity) = sticky {
        if candidates.iter().any(|c| c.identity == identity) {
            candidates.retain(|c| c.identity == identity);
        }
    }
    if candidates.is_empty() {
        return Decision::Wait {
            until: retry_at,
            kind: WaitKind::Cap,
            reason: format!("no {} sender configured", touch.channel),
        };
    }
    // At the desk: only numbers its pacing lets dial now; a lead held to
    // its number waits for that one.
    if let Some(desk) = ctx.desk.filter(|_| call.is_some()) {
        candidates.retain(|c| desk.ready_numbers.contains(&c.identity));
        if candidates.is_empty() {
            return Decision::Wait {
                until: now + Duration::minutes(1),
                kind: WaitKind::Pacing,
                reason: match sticky {
                    Some(n) => format!("its number {n} is paced (5-minute gap or hourly target)"),
                    None => "every number is paced".into(),
                },
            };
        }
    }
    let known = &ctx.known;
    let used = |scope: &str| known.loads.get(scope).copied().unwrap_or(0);
    let full_now: BTreeSet<String> = known
        .full_caps
        .iter()
        .cloned()
        .chain(
            candidates
                .iter()
                .flat_map(|c| {
                    with_domain_health(
                        caps_for_touch(config, ctx.campaign, touch, c, day),
                        ctx.control,
                    )
                })
                .filter(|cap| used(&cap.scope) >= cap.limit)
                .map(|cap| cap.scope),
        )
        .collect();
    let mut senders: Vec<(SenderChoice, Vec<CapReservation>)> = candidates
        .into_iter()
        .map(|c| {
            let caps = with_domain_health(
                caps_for_touch(config, ctx.campaign, touch, &c, day),
                ctx.control,
            );
            (c, caps)
        })
        .filter(|(_, caps)| caps.iter().all(|c| !full_now.contains(&c.scope)))
        .collect();
    // By load: the sender whose own caps (mailbox, domain, number, seat)
    // are least used, as a share of their limits, goes first; equal loads
    // keep the day's rotation, so a cold start still spreads.
    senders.sort_by_cached_key(|(_, caps)| sender_load(caps, &used));
    let shared_full = full_now.iter().find(|s| !sender_specific(s));
    if senders.is_empty() || shared_full.is_some() {
        let scopes: Vec<&str> = shared_full
            .into_iter()
            .chain(&full_now)
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let sticky_note = match sticky {
            Some(identity) if senders.is_empty() => {
                format!(" (the lead's sender {identity} is full; it does not switch)")
            }
            _ => String::new(),
        };
        return Decision::Wait {
            until: retry_at,
            kind: WaitKind::Cap,
            reason: format!("daily cap full: {}{sticky_note}", scopes.join(", ")),
        };
    }
    if let (Some(c), None) = (&call, ctx.desk) {
        return Decision::Queue {
            marks: DeskMarks {
                queue_score: Some(c.score),
                call_hours: lead.call_hours,
                after_hours_ok: c.after_hours_ok,
                ..DeskMarks::default()
            },
            suppression: checks,
        };
    }
    Decision::Send(Box::new(SendPlan {
        day,
        senders,
        suppression: checks,
        claims: crate::domain::campaigns::enrollment::reach_keys(lead),
        lead_version: lead.version,
        lease_until: now + ctx.lease,
        after: after(touch, ctx, true, now),
        retry_at,
        after_hours,
    }))
}

/// The sequence's next move once an attempt's fate is known outside a
/// tick (an operator resolving a touch in doubt): sent or not, the
/// sequence goes on.
pub fn after_answer(touch: &Touch, ctx: &Context, sent: bool, now: DateTime<Utc>) -> AfterSend {
    after(touch, ctx, sent, now)
}

/// The sequence's next move after a failed send skips its step.
pub(super) fn after_for_failure(touch: &Touch, ctx: &Context, now: DateTime<Utc>) -> AfterSend {
    after(touch, ctx, false, now)
}

#[cfg(test)]
#[path = "decide_tests.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[path = "decide_campaign_tests.rs"]
mod campaign_tests;

#[cfg(test)]
#[path = "decide_desk_tests.rs"]
mod desk_tests;
