//! Tests of what each signal does: one per rule of SPEC §6 and §9.

use super::*;
use crate::domain::dispatch::decide::tests::{lead, touch};
use crate::domain::signals::replies::ReplyClass;
use crate::domain::signals::ReplyNote;
use chrono::NaiveDate;

fn now() -> DateTime<Utc> {
    "2026-12-01T15:00:00Z".parse().unwrap()
}

fn signal(kind: SignalKind) -> Signal {
    Signal {
        provider: "test".into(),
        event_id: "ev-1".into(),
        kind,
        tenant: "acme".into(),
        lead_id: Some(lead().id),
        occurred_at: now(),
        ..Signal::default()
    }
}

fn reply(class: ReplyClass, date: Option<&str>) -> Signal {
    Signal {
        reply: Some(ReplyNote {
            class,
            evidence: "matched 'x'".into(),
            return_date: date.map(|d| d.parse::<NaiveDate>().unwrap()),
            referral_email: None,
        }),
        ..signal(SignalKind::Replied)
    }
}

/// Steps 1 (sent) and 2-5 pending on every channel.
fn touches() -> Vec<Touch> {
    let chans = [
        Channel::Email,
        Channel::Voice,
        Channel::Linkedin,
        Channel::Email,
        Channel::Sms,
    ];
    chans
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let state = if i == 0 {
                TouchState::Sent
            } else {
                TouchState::Planned
            };
            Touch {
                channel: *c,
                ..touch(i as u8 + 1, state)
            }
        })
        .collect()
}

fn contacted() -> Lead {
    Lead {
        status: LeadStatus::Contacted,
        mobile_phone: Some("+16025550111".into()),
        company_phone: Some("+16025550999".into()),
        ..lead()
    }
}

#[test]
fn an_out_of_office_reply_pauses_until_the_return_date_and_stops_nothing() {
    let p = plan(
        &reply(ReplyClass::OutOfOffice, Some("2026-12-08")),
        Some(&contacted()),
        &touches(),
        now(),
    );
    let l = p.lead.unwrap();
    assert!(p.end.is_empty(), "an OOO must not end a touch: {:?}", p.end);
    assert_eq!(l.status, LeadStatus::Contacted);
    assert_eq!(l.replies, 0);
    assert_eq!(
        l.paused_until,
        Some("2026-12-08T00:00:00Z".parse().unwrap())
    );
    assert!(
        p.summary.contains("paused until 2026-12-08"),
        "{}",
        p.summary
    );
    // Without a date (or with one already past): seven days.
    for date in [None, Some("2026-11-20")] {
        let p = plan(
            &reply(ReplyClass::OutOfOffice, date),
            Some(&contacted()),
            &touches(),
            now(),
        );
        assert_eq!(
            p.lead.unwrap().paused_until,
            Some(now() + Duration::days(OOO_DEFAULT_DAYS))
        );
    }
}

#[test]
fn a_system_notice_changes_nothing_but_the_timeline() {
    let p = plan(
        &reply(ReplyClass::OtherAuto, None),
        Some(&contacted()),
        &touches(),
        now(),
    );
    assert!(p.end.is_empty());
    assert_eq!(p.lead.unwrap().status, LeadStatus::Contacted);
}

#[test]
fn a_human_reply_stops_every_channel_and_interest_alerts() {
    for class in [
        ReplyClass::Interested,
        ReplyClass::BookingIntent,
        ReplyClass::Objection,
        ReplyClass::NeutralQuestion,
        ReplyClass::NotNow,
    ] {
        let p = plan(&reply(class, None), Some(&contacted()), &touches(), now());
        assert_eq!(p.end.len(), 4, "{class:?}");
        assert!(p.end.iter().all(|(_, s)| *s == TouchState::Cancelled));
        let l = p.lead.unwrap();
        assert_eq!(l.status, LeadStatus::Replied, "{class:?}");
        assert_eq!(l.replies, 1);
        assert_eq!(l.reply_class.as_deref(), Some(class.as_str()));
        assert_eq!(
            p.alert.is_some(),
            matches!(class, ReplyClass::Interested | ReplyClass::BookingIntent),
            "{class:?}"
        );
    }
}

#[test]
fn not_now_sets_the_reentry_date_or_ninety_days() {
    let p = plan(
        &reply(ReplyClass::NotNow, Some("2027-04-01")),
        Some(&contacted()),
        &touches(),
        now(),
    );
    assert_eq!(
        p.lead.unwrap().reenter_at,
        Some("2027-04-01T00:00:00Z".parse().unwrap())
    );
    let p = plan(
        &reply(ReplyClass::NotNow, None),
        Some(&contacted()),
        &touches(),
        now(),
    );
    assert_eq!(
        p.lead.unwrap().reenter_at,
        Some(now() + Duration::days(NOT_NOW_DEFAULT_DAYS))
    );
}

#[test]
fn the_wrong_person_closes_the_lead_and_hands_on_the_referral() {
    let mut s = reply(ReplyClass::WrongPerson, None);
    s.reply.as_mut().unwrap().referral_email = Some("Jane.Doe@Desert.example".into());
    let p = plan(&s, Some(&contacted()), &touches(), now());
    assert_eq!(p.lead.unwrap().status, LeadStatus::Closed);
    assert_eq!(p.referral.as_deref(), Some("jane.doe@desert.example"));
}

#[test]
fn an_unsubscribe_reply_suppresses_every_way_to_reach_the_person() {
    let p = plan(
        &reply(ReplyClass::Unsubscribe, None),
        Some(&contacted()),
        &touches(),
        now(),
    );
    assert_eq!(p.lead.unwrap().status, LeadStatus::Unsubscribed);
    assert_eq!(p.end.len(), 4);
    for want in [
        (SuppressionKind::Email, "jo@desert.example"),
        (SuppressionKind::Phone, "+16025550100"),
        (SuppressionKind::Phone, "+16025550111"),
    ] {
        assert!(
            p.suppress.contains(&(want.0, want.1.to_string())),
            "{want:?}"
        );
    }
    // The company's line is its other people's too.
    assert!(!p.suppress.iter().any(|(_, v)| v == "+16025550999"));
}

#[test]
fn stop_by_sms_is_dnc_on_every_channel_and_start_undoes_only_that() {
    let mut stop = signal(SignalKind::SmsStop);
    stop.phone = Some("+16025550111".into());
    let p = plan(&stop, Some(&contacted()), &touches(), now());
    let l = p.lead.clone().unwrap();
    assert_eq!(l.status, LeadStatus::Dnc);
    assert_eq!(l.status_before_stop, Some(LeadStatus::Contacted));
    let ended: Vec<Channel> = p.end.iter().map(|(t, _)| t.channel).collect();
    for c in [
        Channel::Email,
        Channel::Voice,
        Channel::Linkedin,
        Channel::Sms,
    ] {
        assert!(ended.contains(&c), "{c} not stopped");
    }
    assert!(p
        .suppress
        .contains(&(SuppressionKind::Email, "jo@desert.example".into())));
    assert!(p
        .suppress
        .contains(&(SuppressionKind::Phone, "+16025550111".into())));
    let stopped = p.suppress.clone();
    // START: the same entries are lifted (the store lifts only the ones a
    // STOP wrote), and the lead is back where it was.
    let mut start = signal(SignalKind::SmsStart);
    start.phone = stop.phone.clone();
    start.event_id = "ev-2".into();
    let p = plan(&start, Some(&l), &[], now());
    assert_eq!(p.lift, stopped);
    assert!(p.suppress.is_empty());
    let back = p.lead.unwrap();
    assert_eq!(back.status, LeadStatus::Contacted);
    assert_eq!(back.status_before_stop, None);
    // A STOP from a number no lead has still suppresses the number.
    let p = plan(&stop, None, &[], now());
    assert_eq!(
        p.suppress,
        vec![(SuppressionKind::Phone, "+16025550111".to_string())]
    );
}

#[test]
fn start_does_not_reopen_a_lead_stopped_by_anything_else() {
    let l = Lead {
        status: LeadStatus::Dnc,
        ..contacted()
    };
    let p = plan(&signal(SignalKind::SmsStart), Some(&l), &[], now());
    assert_eq!(p.lead.unwrap().status, LeadStatus::Dnc);
}

#[test]
fn a_booking_stops_every_pending_touch_and_a_cancellation_reopens() {
    for kind in [SignalKind::Booked, SignalKind::CallBooked] {
        let p = plan(&signal(kind), Some(&contacted()), &touches(), now());
        assert_eq!(p.end.len(), 4, "{kind:?}");
        let l = p.lead.unwrap();
        assert_eq!(l.status, LeadStatus::Booked);
        assert_eq!(l.booked_at, Some(now()));
        assert!(p.alert.is_some());
    }
    let booked = plan(
        &signal(SignalKind::Booked),
        Some(&contacted()),
        &touches(),
        now(),
    )
    .lead
    .unwrap();
    let moved = plan(&signal(SignalKind::BookingMoved), Some(&booked), &[], now());
    assert_eq!(moved.lead.unwrap().status, LeadStatus::Booked);
    let cancelled = plan(
        &signal(SignalKind::BookingCancelled),
        Some(&booked),
        &[],
        now(),
    );
    let l = cancelled.lead.unwrap();
    assert_eq!(l.status, LeadStatus::Replied);
    assert_eq!(l.booked_at, None);
}

#[test]
fn a_bounce_skips_only_the_email_steps() {
    let p = plan(
        &signal(SignalKind::Bounced),
        Some(&contacted()),
        &touches(),
        now(),
    );
    assert!(p
        .end
        .iter()
        .all(|(t, s)| t.channel == Channel::Email && *s == TouchState::Skipped));
    assert_eq!(p.end.len(), 1);
    assert_eq!(p.rate_field, Some("bounces"));
    assert_eq!(p.lead.unwrap().status, LeadStatus::Contacted);
}

#[test]
fn a_permanent_sms_failure_skips_sms_and_calls_and_a_passing_one_nothing() {
    let mut s = signal(SignalKind::SmsFailed);
    s.detail = "undelivered, error 30006".into();
    let p = plan(&s, Some(&contacted()), &touches(), now());
    assert!(p.lead.as_ref().unwrap().phone_invalid);
    let ended: Vec<Channel> = p.end.iter().map(|(t, _)| t.channel).collect();
    assert_eq!(ended, vec![Channel::Voice, Channel::Sms]);
    s.detail = "undelivered, error 30003".into();
    let p = plan(&s, Some(&contacted()), &touches(), now());
    assert!(!p.lead.unwrap().phone_invalid);
    assert!(p.end.is_empty());
}

#[test]
fn call_outcomes_move_the_lead_as_spec_9_says() {
    let cases = [
        (SignalKind::CallDnc, LeadStatus::Dnc, 4),
        (SignalKind::CallRejected, LeadStatus::Closed, 4),
        (SignalKind::CallClosed, LeadStatus::Closed, 4),
        (SignalKind::CallVoicemail, LeadStatus::Contacted, 0),
        (SignalKind::CallUnknown, LeadStatus::Contacted, 0),
    ];
    for (kind, status, ended) in cases {
        let p = plan(&signal(kind), Some(&contacted()), &touches(), now());
        assert_eq!(p.lead.unwrap().status, status, "{kind:?}");
        assert_eq!(p.end.len(), ended, "{kind:?}");
    }
    let mut s = signal(SignalKind::CallEmailCaptured);
    s.email = Some("New@Desert.example".into());
    let no_email = Lead {
        email: None,
        ..contacted()
    };
    let p = plan(&s, Some(&no_email), &touches(), now());
    assert_eq!(p.lead.unwrap().email.as_deref(), Some("new@desert.example"));
    let mut s = signal(SignalKind::CallStatus);
    s.followup_requested = true;
    s.recording_url = Some("https://rec.example/1.wav".into());
    assert!(plan(&s, Some(&contacted()), &[], now()).recording_followup);
}

#[test]
fn a_linkedin_acceptance_marks_the_lead_connected() {
    let p = plan(
        &signal(SignalKind::LinkedinConnected),
        Some(&contacted()),
        &touches(),
        now(),
    );
    assert!(p.lead.unwrap().linkedin_connected);
    assert!(p.end.is_empty());
}

#[test]
fn every_change_names_its_cause_and_event_on_the_timeline() {
    for kind in SignalKind::ALL {
        let p = plan(&signal(kind), Some(&contacted()), &touches(), now());
        assert!(
            p.summary.contains("(event ev-1)"),
            "{kind:?}: {}",
            p.summary
        );
        if let Some(l) = &p.lead {
            if l.status != LeadStatus::Contacted {
                assert!(
                    p.summary.contains(&format!("-> {}", l.status)),
                    "{kind:?}: {}",
                    p.summary
                );
            }
        }
    }
}
