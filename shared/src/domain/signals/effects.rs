//! What a provider signal does to a lead, its sequence and the tenant's
//! suppression list (SPEC §6, §9): one pure decision, applied by the store
//! in one transaction.

use super::replies::ReplyClass;
use super::{Signal, SignalKind};
use crate::domain::campaigns::results::{self, Tally};
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::targeting::suppression::{canonical_email, canonical_phone, SuppressionKind};
use crate::domain::touch::{Channel, Touch, TouchState};
use chrono::{DateTime, Duration, NaiveTime, Utc};

/// An out-of-office notice without a return date pauses this long.
pub const OOO_DEFAULT_DAYS: i64 = 7;
/// "Not now" without a date: the lead may re-enter after this long.
pub const NOT_NOW_DEFAULT_DAYS: i64 = 90;
/// The reason every suppression entry a STOP writes starts with: START
/// lifts exactly these, never an unsubscribe or an operator's entry.
pub const SMS_STOP_REASON: &str = "sms STOP";

/// Twilio error codes that say the number itself can never take an SMS
/// (invalid, unknown, landline, unreachable carrier): later SMS and call
/// steps are skipped. Others (30003 handset off, 30007 filtered) may pass.
pub const PERMANENT_SMS_ERRORS: [u32; 6] = [21211, 21614, 30005, 30006, 21610, 21612];

/// Which pending touches the signal ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ends {
    Nothing,
    Channels(&'static [Channel]),
    Everything,
}

/// The decision: everything applying `signal` changes, written at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The lead as it is to be written (None: no lead, or nothing changes
    /// but the timeline is still written when `timeline` is set).
    pub lead: Option<Lead>,
    /// Pending touches ended, and the state each ends in.
    pub end: Vec<(Touch, TouchState)>,
    pub suppress: Vec<(SuppressionKind, String)>,
    /// The reason those entries carry (a STOP's starts with
    /// `SMS_STOP_REASON`, which is how START knows its own).
    pub suppress_reason: String,
    /// Entries to lift (START), each only if a STOP wrote it.
    pub lift: Vec<(SuppressionKind, String)>,
    /// Rolling-rate field to count (`bounces`, `complaints`).
    pub rate_field: Option<&'static str>,
    /// The timeline line: what happened, its cause and the event id.
    pub summary: String,
    /// Tell the operator now (an interested reply, a booking, a complaint).
    pub alert: Option<String>,
    /// A colleague the wrong person named: a new lead to take in.
    pub referral: Option<String>,
    /// Send the call's recording by SMS and email (once).
    pub recording_followup: bool,
    /// What the campaign's results count (with the lead's write; its
    /// `results_counted` is marked in `lead`).
    pub results: Tally,
}

/// What applying `signal` to `lead` (with its `touches`) changes, at `now`.
pub fn plan(signal: &Signal, lead: Option<&Lead>, touches: &[Touch], now: DateTime<Utc>) -> Plan {
    use SignalKind as K;
    let mut summary = format!(
        "{} {} (event {})",
        signal.provider,
        signal.kind.as_str(),
        signal.event_id
    );
    if !signal.detail.is_empty() {
        summary.push_str(": ");
        summary.push_str(&signal.detail);
    }
    let mut out = Plan {
        summary,
        ..Plan::default()
    };
    let mut l = lead.cloned();
    let mut to: Option<LeadStatus> = None;
    let mut ends = Ends::Nothing;
    let mut counted_reply = false;
    let mut activity = false;
    let opt_out_everywhere = |out: &mut Plan, l: Option<&Lead>, reason_email: bool| {
        let email = signal
            .email
            .as_deref()
            .and_then(canonical_email)
            .or_else(|| l.and_then(|l| l.email.as_deref()).and_then(canonical_email));
        if let Some(e) = email.filter(|_| reason_email) {
            out.suppress.push((SuppressionKind::Email, e));
        }
        let phones = signal
            .phone
            .iter()
            .map(String::as_str)
            // The person's own numbers: a company line is their colleagues' too.
            .chain(
                l.into_iter()
                    .flat_map(|l| [l.phone.as_deref(), l.mobile_phone.as_deref()])
                    .flatten(),
            )
            .filter_map(canonical_phone);
        for p in phones {
            if !out.suppress.contains(&(SuppressionKind::Phone, p.clone())) {
                out.suppress.push((SuppressionKind::Phone, p));
            }
        }
    };
    match signal.kind {
        K::Delivered
        | K::SoftBounced
        | K::SmsDelivered
        | K::CallStatus
        | K::CallUnknown
        | K::CallNoAnswer => {}
        K::CallVoicemail | K::LinkedinRequestSent | K::LinkedinCompleted | K::BookingMoved => {}
        K::Opened => {
            if let Some(l) = l.as_mut() {
                l.opens += 1;
                l.last_open_at = Some(signal.occurred_at);
            }
            activity = true;
            to = Some(LeadStatus::Engaged);
        }
        K::Clicked => {
            if let Some(l) = l.as_mut() {
                l.clicks += 1;
            }
            activity = true;
            to = Some(LeadStatus::Engaged);
        }
        K::Replied | K::SmsReplied | K::LinkedinReplied => {
            let class = signal.reply.as_ref().map(|r| r.class);
            if let Some(r) = &signal.reply {
                out.summary
                    .push_str(&format!(" [{}: {}]", r.class.as_str(), r.evidence));
                if let Some(l) = l.as_mut() {
                    l.reply_class = Some(r.class.as_str().to_string());
                }
            }
            match class {
                Some(ReplyClass::OutOfOffice) => {
                    // Not an answer: the sequence waits for them, then goes on.
                    let back = return_at(signal, now, OOO_DEFAULT_DAYS);
                    if let Some(l) = l.as_mut() {
                        l.paused_until = Some(back);
                    }
                    out.summary
                        .push_str(&format!("; sequence paused until {}", back.date_naive()));
                }
                Some(ReplyClass::OtherAuto) => {}
                Some(ReplyClass::Unsubscribe) => {
                    opt_out_everywhere(&mut out, l.as_ref(), true);
                    if signal.kind == K::Replied {
                        out.rate_field = Some("unsubscribes");
                    }
                    to = Some(LeadStatus::Unsubscribed);
                    ends = Ends::Everything;
                }
                Some(c) => {
                    counted_reply = true;
                    ends = Ends::Everything;
                    to = Some(LeadStatus::Replied);
                    match c {
                        ReplyClass::Interested | ReplyClass::BookingIntent => {
                            out.alert = Some(format!(
                                "{} reply from {}: {}",
                                c.as_str(),
                                who(signal, l.as_ref()),
                                signal.reply.as_ref().map_or("", |r| r.evidence.as_str())
                            ));
                        }
                        ReplyClass::NotNow => {
                            let back = return_at(signal, now, NOT_NOW_DEFAULT_DAYS);
                            if let Some(l) = l.as_mut() {
                                l.reenter_at = Some(back);
                            }
                            out.summary
                                .push_str(&format!("; may re-enter from {}", back.date_naive()));
                        }
                        ReplyClass::WrongPerson => {
                            to = Some(LeadStatus::Closed);
                            out.referral = signal
                                .reply
                                .as_ref()
                                .and_then(|r| r.referral_email.as_deref())
                                .and_then(canonical_email);
                        }
                        _ => {}
                    }
                }
                // Unread (no classifier ran): an answer, as before.
                None => {
                    counted_reply = true;
                    ends = Ends::Everything;
                    to = Some(LeadStatus::Replied);
                }
            }
        }
        K::Bounced => {
            if let Some(l) = l.as_mut() {
                l.email_bounced = true;
            }
            opt_out_email(&mut out, signal, lead);
            out.rate_field = Some("bounces");
            ends = Ends::Channels(&[Channel::Email]);
            // Nothing left on other channels: the lead is bounced.
            if !touches
                .iter()
                .any(|x| x.state.is_pending() && x.channel != Channel::Email)
            {
                to = Some(LeadStatus::Bounced);
            }
        }
        K::Complained => {
            opt_out_email(&mut out, signal, lead);
            out.rate_field = Some("complaints");
            to = Some(LeadStatus::Unsubscribed);
            ends = Ends::Everything;
        }
        K::Unsubscribed => {
            opt_out_email(&mut out, signal, lead);
            out.rate_field = Some("unsubscribes");
            to = Some(LeadStatus::Unsubscribed);
            ends = Ends::Everything;
        }
        K::SmsStop | K::CallDnc => {
            opt_out_everywhere(&mut out, l.as_ref(), true);
            if signal.kind == K::SmsStop {
                if let Some(l) = l.as_mut() {
                    if !l.status.is_terminal() {
                        l.status_before_stop = Some(l.status);
                    }
                }
            }
            to = Some(LeadStatus::Dnc);
            ends = Ends::Everything;
        }
        K::SmsStart => {
            // Only what a STOP wrote is lifted; the store checks the
            // entry's reason, so an unsubscribe or an operator's stays.
            opt_out_everywhere(&mut out, l.as_ref(), true);
            out.lift = std::mem::take(&mut out.suppress);
            if let Some(l) = l.as_mut() {
                if l.status == LeadStatus::Dnc {
                    if let Some(before) = l.status_before_stop.take() {
                        l.status = before;
                        out.summary
                            .push_str(&format!("; back to {before} (the STOP is lifted)"));
                    }
                }
            }
        }
        K::SmsFailed => {
            let code = signal
                .detail
                .split(|c: char| !c.is_ascii_digit())
                .find_map(|w| w.parse::<u32>().ok());
            if code.is_some_and(|c| PERMANENT_SMS_ERRORS.contains(&c)) {
                if let Some(l) = l.as_mut() {
                    l.phone_invalid = true;
                }
                ends = Ends::Channels(&[Channel::Sms, Channel::Voice]);
                // No other way left to reach them: the lead is invalid.
                if lead.is_some_and(|l| l.email.is_none() || l.email_bounced)
                    && !touches.iter().any(|x| {
                        x.state.is_pending() && !matches!(x.channel, Channel::Sms | Channel::Voice)
                    })
                {
                    to = Some(LeadStatus::Invalid);
                }
            }
        }
        K::CallBooked | K::Booked => {
            to = Some(LeadStatus::Booked);
            ends = Ends::Everything;
            if let Some(l) = l.as_mut() {
                l.booked_at.get_or_insert(signal.occurred_at);
            }
            activity = true;
            out.alert = Some(format!(
                "meeting booked with {} ({})",
                who(signal, l.as_ref()),
                signal.provider
            ));
        }
        K::BookingCancelled => {
            // The meeting is off: the lead is open again for the operator
            // (its sequence stays stopped; they talk to a person now).
            if let Some(l) = l.as_mut() {
                if l.status == LeadStatus::Booked {
                    l.status = LeadStatus::Replied;
                    l.booked_at = None;
                    out.summary.push_str("; reopened (booking cancelled)");
                }
            }
        }
        K::CallRejected | K::CallClosed => {
            to = Some(LeadStatus::Closed);
            ends = Ends::Everything;
            activity = true;
        }
        K::CallEmailCaptured => {
            if let (Some(l), Some(e)) = (
                l.as_mut(),
                signal.email.as_deref().and_then(canonical_email),
            ) {
                if l.email.is_none() {
                    l.email = Some(e);
                }
            }
            activity = true;
        }
        K::LinkedinConnected => {
            if let Some(l) = l.as_mut() {
                l.linkedin_connected = true;
            }
        }
    }
    if signal.kind.channel() == Some(Channel::Voice) && signal.followup_requested {
        out.recording_followup = signal.recording_url.is_some();
    }
    if let Some(l) = l.as_mut() {
        if counted_reply {
            l.replies += 1;
        }
        if counted_reply || activity {
            l.last_activity_at = Some(signal.occurred_at);
        }
        if let Some(to) = to {
            if l.status.can_move_to(to) {
                out.summary.push_str(&format!("; {} -> {to}", l.status));
                l.status = to;
            }
        }
        if ends == Ends::Everything && l.stop_reason.is_none() {
            l.stop_reason = Some(format!(
                "{} via {} (event {})",
                signal.kind.as_str(),
                signal.provider,
                signal.event_id
            ));
        }
        for touch in touches.iter().filter(|t| t.state.is_pending()) {
            let state = match ends {
                Ends::Nothing => continue,
                Ends::Channels(chs) if chs.contains(&touch.channel) => TouchState::Skipped,
                Ends::Channels(_) => continue,
                Ends::Everything => TouchState::Cancelled,
            };
            out.end.push((touch.clone(), state));
        }
    }
    out.suppress_reason = if signal.kind == K::SmsStop {
        format!("{SMS_STOP_REASON} (event {})", signal.event_id)
    } else {
        out.summary.clone()
    };
    out.results = results::on_signal(signal, lead, l.as_mut(), touches);
    out.lead = l;
    out
}

/// The date the reply gives (midnight UTC), if still ahead, else `now`
/// plus `default_days`.
fn return_at(signal: &Signal, now: DateTime<Utc>, default_days: i64) -> DateTime<Utc> {
    signal
        .reply
        .as_ref()
        .and_then(|r| r.return_date)
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        .filter(|d| *d > now)
        .unwrap_or(now + Duration::days(default_days))
}

/// An email opt-out (unsubscribe, complaint, hard bounce): the address.
fn opt_out_email(out: &mut Plan, signal: &Signal, lead: Option<&Lead>) {
    if let Some(e) = signal
        .email
        .as_deref()
        .and_then(canonical_email)
        .or_else(|| {
            lead.and_then(|l| l.email.as_deref())
                .and_then(canonical_email)
        })
    {
        out.suppress.push((SuppressionKind::Email, e));
    }
}

/// Who the signal is about, for an operator's alert.
fn who(signal: &Signal, lead: Option<&Lead>) -> String {
    let name = lead
        .map(|l| {
            [l.first_name.as_deref(), l.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|n| !n.is_empty());
    let address = signal
        .email
        .clone()
        .or_else(|| signal.phone.clone())
        .or_else(|| lead.and_then(|l| l.email.clone()))
        .unwrap_or_else(|| signal.lead_id.clone().unwrap_or_default());
    match (name, lead.and_then(|l| l.company.clone())) {
        (Some(n), Some(c)) => format!("{n} ({c}, {address})"),
        (Some(n), None) => format!("{n} ({address})"),
        _ => address,
    }
}

#[cfg(test)]
#[path = "effects_tests.rs"]
mod tests;
