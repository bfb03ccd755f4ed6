//! The send decision for calls: a due call step joins the call queue
//! (after the lead's own checks), waits for the lead's own window, and at
//! the desk goes only from a number its pacing lets dial.

use super::tests::{open, plan, touch, World};
use super::*;
use crate::domain::dialing::CallHours;

fn call() -> Touch {
    Touch {
        channel: Channel::Voice,
        recipient: "+16025550100".into(),
        ..touch(1, TouchState::Due)
    }
}

fn world() -> World {
    let mut w = World::new();
    w.config.phone_numbers = vec!["+15125550100".into(), "+15125550101".into()];
    w
}

fn decide_at_desk(w: &World, t: &Touch, ready: &[String], now: DateTime<Utc>) -> Decision {
    decide(
        t,
        &Context {
            config: &w.config,
            campaign: w.campaign.as_ref(),
            control: &w.control,
            lead: w.lead.as_ref(),
            later: &w.later,
            known: &w.known,
            has_sender: w.has_sender,
            lease: Duration::minutes(5),
            desk: Some(DeskView {
                ready_numbers: ready,
            }),
        },
        now,
    )
}

#[test]
fn a_due_call_joins_the_queue_with_the_leads_score_and_hours() {
    let mut w = world();
    let l = w.lead.as_mut().unwrap();
    l.score = Some(77);
    l.call_hours = Some(CallHours::parse("09:30-15:00").unwrap());
    match w.decide(&call(), open()) {
        Decision::Queue { marks, suppression } => {
            assert!(suppression.contains(&(SuppressionKind::Phone, "+16025550100".into())));
            assert_eq!(marks.queue_score, Some(77));
            assert_eq!(
                marks.call_hours.map(|h| h.to_string()).as_deref(),
                Some("09:30-15:00")
            );
            assert!(!marks.after_hours_ok, "off unless the campaign turns it on");
        }
        other => panic!("{other:?}"),
    }
    // A replied lead's call is cancelled, never queued.
    w.lead.as_mut().unwrap().replies = 1;
    assert!(matches!(w.decide(&call(), open()), Decision::Cancel { .. }));
}

#[test]
fn a_call_waits_for_the_leads_own_window_and_never_leaves_the_legal_hours() {
    let mut w = world();
    // 10:00 in Phoenix; the lead takes calls from 13:00.
    w.lead.as_mut().unwrap().call_hours = Some(CallHours::parse("13:00-16:00").unwrap());
    match w.decide(&call(), open()) {
        Decision::Wait { until, kind, .. } => {
            assert_eq!(kind, WaitKind::Window);
            assert_eq!(
                until,
                "2026-12-01T20:00:00Z".parse::<DateTime<Utc>>().unwrap()
            );
        }
        other => panic!("{other:?}"),
    }
    // 22:00 in Phoenix: closed even to the after-hours attempt.
    w.lead.as_mut().unwrap().call_hours = None;
    w.config.dialer.after_hours_voicemail = true;
    let late: DateTime<Utc> = "2026-12-02T05:00:00Z".parse().unwrap();
    let d = w.decide(&call(), late);
    assert!(
        matches!(
            d,
            Decision::Wait {
                kind: WaitKind::Window,
                ..
            }
        ),
        "{d:?}"
    );
    // 19:00 in Phoenix: its one voicemail attempt, then never again.
    let evening: DateTime<Utc> = "2026-12-02T02:00:00Z".parse().unwrap();
    let ready = w.config.phone_numbers.clone();
    assert!(plan(decide_at_desk(&w, &call(), &ready, evening)).after_hours);
    w.lead.as_mut().unwrap().after_hours_call_once_done = true;
    let d = decide_at_desk(&w, &call(), &ready, evening);
    assert!(
        matches!(
            d,
            Decision::Wait {
                kind: WaitKind::Window,
                ..
            }
        ),
        "{d:?}"
    );
}

#[test]
fn at_the_desk_a_call_goes_only_from_a_paced_number_and_its_own() {
    let mut w = world();
    let ready = vec!["+15125550101".to_string()];
    let p = plan(decide_at_desk(&w, &call(), &ready, open()));
    assert_eq!(p.senders.len(), 1);
    assert_eq!(p.senders[0].0.identity, "+15125550101");
    assert!(!p.after_hours);
    // Held to the number it first heard from: that one, or wait.
    w.lead.as_mut().unwrap().sender_phone = Some("+15125550100".into());
    match decide_at_desk(&w, &call(), &ready, open()) {
        Decision::Wait { kind, reason, .. } => {
            assert_eq!(kind, WaitKind::Pacing);
            assert!(reason.contains("+15125550100"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decide_at_desk(&w, &call(), &[], open()),
        Decision::Wait {
            kind: WaitKind::Pacing,
            ..
        }
    ));
    // The lead's daily call cap is one of the caps reserved with the slot.
    let all = w.config.phone_numbers.clone();
    let p = plan(decide_at_desk(&w, &call(), &all, open()));
    assert!(p.senders[0]
        .1
        .iter()
        .any(|c| c.scope.starts_with("voice#lead#") && c.limit == 3));
}
