//! The send decision for campaigns: a paused campaign waits, an archived
//! one ends, a share is one more cap, and the attempts warning moves a
//! lead to the nurture track while the cap ends it.

use super::tests::{config, open, plan, touch, World};
use super::*;
use crate::domain::campaigns::presets::SequencePreset;
use crate::domain::campaigns::{Campaign, CampaignStatus, NURTURE_FIRST_STEP};

fn campaign(status: CampaignStatus) -> Campaign {
    let mut c = Campaign::legacy(&config(), open());
    c.id = crate::domain::campaigns::CampaignId::parse("spas").unwrap();
    c.status = status;
    c
}

fn world(c: Campaign) -> World {
    let mut w = World::new();
    w.config = c.effective(&w.config);
    w.campaign = Some(c);
    w
}

#[test]
fn a_paused_campaign_puts_its_touches_back_and_an_archived_one_ends_them() {
    let t = touch(1, TouchState::Due);
    for status in [CampaignStatus::Paused, CampaignStatus::Draft] {
        match world(campaign(status)).decide(&t, open()) {
            Decision::Wait {
                until,
                kind: WaitKind::Paused,
                reason,
            } => {
                assert!(reason.contains("campaign spas is"), "{reason}");
                // Out of the head of the due index, back soon after a resume.
                assert_eq!(until, open() + Duration::minutes(PAUSED_RECHECK_MINUTES));
            }
            other => panic!("{status:?}: {other:?}"),
        }
    }
    match world(campaign(CampaignStatus::Archived)).decide(&t, open()) {
        Decision::Cancel { reason } => assert_eq!(reason, "campaign spas is archived"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        world(campaign(CampaignStatus::Active)).decide(&t, open()),
        Decision::Send(_)
    ));
}

#[test]
fn a_share_is_reserved_with_every_other_cap_and_a_full_one_waits() {
    let mut c = campaign(CampaignStatus::Active);
    c.daily_share = Some(3);
    let mut w = world(c);
    let t = touch(1, TouchState::Due);
    let p = plan(w.decide(&t, open()));
    let caps: Vec<&str> = p.senders[0].1.iter().map(|c| c.scope.as_str()).collect();
    assert!(caps.contains(&"campaign#spas"), "{caps:?}");
    assert!(caps.contains(&"email#tenant"), "{caps:?}");
    w.known.loads.insert("campaign#spas".into(), 3);
    match w.decide(&t, open()) {
        Decision::Wait { kind, reason, .. } => {
            assert_eq!(kind, WaitKind::Cap);
            assert!(reason.contains("campaign#spas"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// A world whose lead has `attempts` and a nurture track after step 3.
fn nurturing(attempts: u32) -> World {
    let mut c = campaign(CampaignStatus::Active);
    c.nurture = Some(SequencePreset::Email24x7);
    let mut w = world(c);
    w.lead.as_mut().unwrap().attempts = attempts;
    let mut first = touch(NURTURE_FIRST_STEP, TouchState::Planned);
    first.day = 0;
    let mut second = touch(NURTURE_FIRST_STEP + 1, TouchState::Planned);
    second.day = 3;
    w.later.extend([first, second]);
    w
}

#[test]
fn the_send_that_reaches_the_warning_moves_the_lead_to_nurture() {
    let w = nurturing(199);
    let p = plan(w.decide(&touch(1, TouchState::Due), open()));
    assert!(p.after.flag_attempts);
    assert_eq!(p.after.cancel, vec![2, 3], "the rest of the main sequence");
    assert_eq!(
        p.after.wake,
        Some(Wake {
            step: NURTURE_FIRST_STEP,
            at: open()
        })
    );
    // One short of it, the sequence goes on as before.
    let p = plan(nurturing(198).decide(&touch(1, TouchState::Due), open()));
    assert!(!p.after.flag_attempts);
    assert!(p.after.cancel.is_empty());
    assert_eq!(p.after.wake.map(|w| w.step), Some(2));
}

#[test]
fn a_main_step_due_past_the_warning_gives_way_to_nurture_and_the_cap_ends_it() {
    match nurturing(250).decide(&touch(2, TouchState::Due), open()) {
        Decision::Skip { reason, after } => {
            assert!(reason.contains("nurture"), "{reason}");
            assert_eq!(after.wake.map(|w| w.step), Some(NURTURE_FIRST_STEP));
        }
        other => panic!("{other:?}"),
    }
    // On the nurture track, the next step counts its days from this one,
    // and the main sequence is not woken again.
    let mut w = nurturing(250);
    w.later.retain(|t| t.step > NURTURE_FIRST_STEP);
    let mut first = touch(NURTURE_FIRST_STEP, TouchState::Due);
    first.day = 0;
    let p = plan(w.decide(&first, open()));
    assert_eq!(
        p.after.wake,
        Some(Wake {
            step: NURTURE_FIRST_STEP + 1,
            at: open() + Duration::days(3)
        })
    );
    assert!(p.after.cancel.is_empty());
    match nurturing(500).decide(&first, open()) {
        Decision::Cancel { reason } => assert!(reason.contains("max attempts (500)"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_main_sequence_ends_without_waking_the_nurture_track() {
    let mut w = nurturing(3);
    w.later.retain(|t| t.step > 3);
    let p = plan(w.decide(&touch(3, TouchState::Due), open()));
    assert_eq!(p.after.wake, None);
}

#[test]
fn a_campaigns_own_ramp_is_one_more_limit_and_the_tenants_still_holds() {
    let day = open().date_naive();
    let mut c = campaign(CampaignStatus::Active);
    c.ramp.enabled = true;
    c.ramp.start = Some(day - Duration::days(1));
    c.ramp.per_day = 4;
    c.ramp.tiers = vec![crate::domain::lead::Tier::Tier1];
    let mut w = world(c.clone());
    w.config.approval.ramp.enabled = true;
    w.config.approval.ramp.start = Some(day);
    w.config.approval.ramp.per_day = 9;
    w.config.approval.ramp.tiers = vec![crate::domain::lead::Tier::Tier1];
    let mut t = touch(1, TouchState::Due);
    t.tier = Some(crate::domain::lead::Tier::Tier1);
    let p = plan(w.decide(&t, open()));
    let caps: Vec<(&str, u32)> = p.senders[0]
        .1
        .iter()
        .map(|c| (c.scope.as_str(), c.limit))
        .collect();
    assert!(caps.contains(&("ramp#tenant", 9)), "{caps:?}");
    assert!(caps.contains(&("ramp#campaign#spas", 4)), "{caps:?}");
    // A tier the campaign's ramp does not send to waits for its end.
    w.config
        .approval
        .ramp
        .tiers
        .push(crate::domain::lead::Tier::Tier2);
    t.tier = Some(crate::domain::lead::Tier::Tier2);
    match w.decide(&t, open()) {
        Decision::Wait { kind, .. } => assert_eq!(kind, WaitKind::Ramp),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unapproved_nurture_draft_does_not_hold_the_move_and_main_drafts_are_cancelled() {
    let mut w = nurturing(199);
    w.later[1].state = TouchState::Draft; // main step 3 still waits for approval
    w.later.last_mut().unwrap().state = TouchState::Draft; // so does nurture step 102
    let p = plan(w.decide(&touch(1, TouchState::Due), open()));
    assert_eq!(p.after.cancel, vec![2, 3]);
    assert_eq!(p.after.wake.map(|w| w.step), Some(NURTURE_FIRST_STEP));
    // Once a nurture step is due, the track is entered: never again.
    let mut w = nurturing(250);
    w.later[2].state = TouchState::Due;
    assert!(matches!(
        w.decide(&touch(2, TouchState::Due), open()),
        Decision::Send(_)
    ));
}

#[test]
fn a_follow_up_of_a_landed_send_does_not_count_it_twice() {
    let w = nurturing(199);
    // The confirm landed (attempts now 199 + 1 would be counted twice if
    // the follow-up added its send again): here the lead shows 199 after
    // an earlier send, and the follow-up must not reach the warning.
    let mut sent = touch(1, TouchState::Sent);
    sent.follow_up = true;
    match w.decide(&sent, open()) {
        Decision::FollowUp { after } => {
            assert!(!after.flag_attempts);
            assert_eq!(after.wake.map(|w| w.step), Some(2));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_claim_taken_by_another_campaign_ends_this_sequence_and_every_send_checks_the_claims() {
    let mut w = world(campaign(CampaignStatus::Active));
    let t = touch(1, TouchState::Due);
    let p = plan(w.decide(&t, open()));
    assert!(!p.claims.is_empty(), "the person's email is checked");
    w.known.claimed = Some(p.claims[0].clone());
    match w.decide(&t, open()) {
        Decision::Cancel { reason } => {
            assert!(
                reason.contains("being reached by another campaign"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn what_a_person_asked_for_goes_after_the_sequence_stopped_but_never_past_an_opt_out() {
    let mut t = touch(201, TouchState::Due);
    t.requested = true;
    let mut w = world(campaign(CampaignStatus::Paused));
    for status in [LeadStatus::Booked, LeadStatus::Closed, LeadStatus::Replied] {
        w.lead.as_mut().unwrap().status = status;
        w.lead.as_mut().unwrap().paused_until = Some(open() + Duration::days(3));
        assert!(
            matches!(w.decide(&t, open()), Decision::Send(_)),
            "{status:?}"
        );
    }
    for status in [
        LeadStatus::Dnc,
        LeadStatus::Unsubscribed,
        LeadStatus::Invalid,
    ] {
        w.lead.as_mut().unwrap().status = status;
        assert!(
            matches!(w.decide(&t, open()), Decision::Cancel { .. }),
            "{status:?}"
        );
    }
    // A suppression entry stops it like any other send.
    w.lead.as_mut().unwrap().status = LeadStatus::Booked;
    w.known.suppressed = vec!["email#jo@desert.example".into()];
    assert!(matches!(w.decide(&t, open()), Decision::Cancel { .. }));
    // And a sequence step of a booked lead still ends.
    w.known.suppressed.clear();
    w.campaign.as_mut().unwrap().status = CampaignStatus::Active;
    let step = touch(2, TouchState::Due);
    assert!(matches!(w.decide(&step, open()), Decision::Cancel { .. }));
}
