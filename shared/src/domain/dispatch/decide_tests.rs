//! Tests of the send decision: one per rule, and properties that hold
//! whatever the context.

use super::*;
use crate::domain::dispatch::failure::{
    self, after_send_failure, AfterFailure, FinalKind, LeadMark, SendError,
};
use crate::domain::ids::TenantId;
use crate::domain::lead::Tier;
use crate::domain::touch::Message;
use proptest::prelude::*;

pub(super) fn config() -> TenantConfig {
    TenantConfig::default_for(
        TenantId::parse("acme").unwrap(),
        "Acme",
        "2026-11-02".parse().unwrap(),
    )
}

pub(crate) fn lead() -> Lead {
    Lead {
        tenant: "acme".into(),
        id: "01JD0000000000000000000000".into(),
        email: Some("jo@desert.example".into()),
        company_domain: Some("desert.example".into()),
        phone: Some("+16025550100".into()),
        status: LeadStatus::Queued,
        tier: Some(Tier::Tier1),
        version: 7,
        ..Default::default()
    }
}

pub(crate) fn touch(step: u8, state: TouchState) -> Touch {
    Touch {
        tenant: "acme".into(),
        lead_id: lead().id,
        step,
        campaign: None,
        day: u32::from(step - 1) * 3,
        channel: Channel::Email,
        fallback_from: None,
        state,
        recipient: "jo@desert.example".into(),
        timezone: Some("America/Phoenix".into()),
        company_domain: Some("desert.example".into()),
        lead_email: Some("jo@desert.example".into()),
        lead_phone: Some("+16025550100".into()),
        lead_other_phones: vec![],
        tier: Some(Tier::Tier1),
        send_conditions: vec![],
        first_sms: false,
        guard: None,
        draft_notes: vec![],
        message: Message::default(),
        fingerprint: String::new(),
        due_at: None,
        attempt_id: None,
        lease_until: None,
        attempted_at: None,
        sent_at: None,
        provider_message_id: None,
        sender: None,
        sender_domain: None,
        end_reason: None,
        wait_reason: None,
        next_step: Some(step + 1),
        caps_taken: vec![],
        caps_day: None,
        via: None,
        follow_up: false,
        requested: false,
        send_failures: 0,
        desk: Default::default(),
        counted_as: None,
        created_at: "2026-11-01T00:00:00Z".parse().unwrap(),
    }
}

/// Tuesday 10:00 in Phoenix: inside every default window.
pub(super) fn open() -> DateTime<Utc> {
    "2026-12-01T17:00:00Z".parse().unwrap()
}

#[derive(Debug, Clone)]
pub(super) struct World {
    pub(super) config: TenantConfig,
    pub(super) campaign: Option<crate::domain::campaigns::Campaign>,
    pub(super) control: Control,
    pub(super) lead: Option<Lead>,
    pub(super) later: Vec<Touch>,
    pub(super) known: Known,
    pub(super) has_sender: bool,
}

impl World {
    pub(super) fn new() -> Self {
        Self {
            config: config(),
            campaign: None,
            control: Control::default(),
            lead: Some(lead()),
            later: vec![touch(2, TouchState::Planned), touch(3, TouchState::Planned)],
            known: Known::default(),
            has_sender: true,
        }
    }
    pub(super) fn decide(&self, t: &Touch, now: DateTime<Utc>) -> Decision {
        decide(
            t,
            &Context {
                config: &self.config,
                campaign: self.campaign.as_ref(),
                control: &self.control,
                lead: self.lead.as_ref(),
                later: &self.later,
                known: &self.known,
                has_sender: self.has_sender,
                lease: Duration::minutes(5),
                desk: None,
            },
            now,
        )
    }
}

pub(super) fn plan(d: Decision) -> SendPlan {
    match d {
        Decision::Send(p) => *p,
        other => panic!("expected a send, got {other:?}"),
    }
}

#[test]
fn a_due_touch_in_its_window_is_sent_with_every_cap_and_check() {
    let w = World::new();
    let p = plan(w.decide(&touch(1, TouchState::Due), open()));
    let (sender, caps) = &p.senders[0];
    assert_eq!(
        sender.identity,
        format!("sam@{}", sender.domain.as_deref().unwrap())
    );
    let scopes: Vec<&str> = caps.iter().map(|c| c.scope.as_str()).collect();
    assert!(scopes.iter().any(|s| s.starts_with("email#domain#")));
    assert!(scopes.iter().any(|s| s.starts_with("email#mailbox#")));
    assert!(scopes.contains(&"email#tenant"));
    assert!(p
        .suppression
        .contains(&(SuppressionKind::Email, "jo@desert.example".into())));
    assert!(p
        .suppression
        .contains(&(SuppressionKind::Domain, "desert.example".into())));
    assert!(p
        .suppression
        .contains(&(SuppressionKind::Phone, "+16025550100".into())));
    assert_eq!(p.lead_version, 7);
    assert_eq!(p.lease_until, open() + Duration::minutes(5));
    assert_eq!(
        p.after,
        AfterSend {
            wake: Some(Wake {
                step: 2,
                at: open() + Duration::days(3)
            }),
            contacted: true,
            flag_attempts: false,
            cancel: vec![],
        }
    );
}

#[test]
fn outside_the_window_it_waits_for_the_next_opening() {
    let w = World::new();
    let night: DateTime<Utc> = "2026-12-01T06:00:00Z".parse().unwrap();
    match w.decide(&touch(1, TouchState::Due), night) {
        Decision::Wait {
            until,
            kind,
            reason,
        } => {
            assert_eq!(kind, WaitKind::Window);
            assert!(until > night);
            assert!(reason.contains("America/Phoenix"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn switches_hold_every_touch_without_ending_it() {
    for set in [
        |c: &mut Control| c.paused = true,
        |c: &mut Control| c.emergency_stop = true,
        |c: &mut Control| c.breaker_open = true,
    ] {
        let mut w = World::new();
        set(&mut w.control);
        assert!(matches!(
            w.decide(&touch(1, TouchState::Due), open()),
            Decision::Hold { .. }
        ));
    }
}

#[test]
fn stopped_held_suppressed_or_excluded_leads_are_cancelled() {
    type Change = Box<dyn Fn(&mut World)>;
    let cases: Vec<(&str, Change)> = vec![
        ("no longer exists", Box::new(|w| w.lead = None)),
        (
            "replied",
            Box::new(|w| w.lead.as_mut().unwrap().status = LeadStatus::Replied),
        ),
        (
            "sequence stopped",
            Box::new(|w| w.lead.as_mut().unwrap().replies = 1),
        ),
        (
            "unsubscribed",
            Box::new(|w| w.lead.as_mut().unwrap().status = LeadStatus::Unsubscribed),
        ),
        (
            "suppressed: email#jo@desert.example",
            Box::new(|w| w.known.suppressed = vec!["email#jo@desert.example".into()]),
        ),
        (
            "held: customer",
            Box::new(|w| w.lead.as_mut().unwrap().hold = Some("customer".into())),
        ),
        (
            "excluded customer domain desert.example",
            Box::new(|w| w.config.excluded_domains = vec!["desert.example".into()]),
        ),
        (
            "recipient changed",
            Box::new(|w| w.lead.as_mut().unwrap().email = Some("new@desert.example".into())),
        ),
        (
            "max attempts",
            Box::new(|w| {
                let max = w.config.caps.max_attempts_per_lead;
                w.lead.as_mut().unwrap().attempts = max;
            }),
        ),
    ];
    for (why, change) in cases {
        let mut w = World::new();
        change(&mut w);
        match w.decide(&touch(1, TouchState::Due), open()) {
            Decision::Cancel { reason } => assert!(reason.contains(why), "{why}: {reason}"),
            other => panic!("{why}: {other:?}"),
        }
    }
}

#[test]
fn a_header_with_a_line_break_is_never_sent() {
    let w = World::new();
    let mut t = touch(1, TouchState::Due);
    t.message.subject = Some("Hi\r\nBcc: victim@x.example".into());
    match w.decide(&t, open()) {
        Decision::Cancel { reason } => assert!(reason.contains("unsafe email header"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_bounced_email_or_unmet_condition_skips_and_wakes_the_next_step() {
    let mut w = World::new();
    w.lead.as_mut().unwrap().email_bounced = true;
    match w.decide(&touch(1, TouchState::Due), open()) {
        Decision::Skip { reason, after } => {
            assert_eq!(reason, "email address bounced");
            assert_eq!(after.wake.map(|w| w.step), Some(2));
            assert!(!after.contacted, "a skip contacts nobody");
        }
        other => panic!("{other:?}"),
    }
    let w = World::new();
    let mut t = touch(1, TouchState::Due);
    t.send_conditions = vec![StepCondition::LinkedinConnected];
    assert!(matches!(w.decide(&t, open()), Decision::Skip { .. }));
}

#[test]
fn the_wake_passes_over_skipped_steps_and_stops_at_a_draft() {
    let first = open();
    let mut later = vec![
        touch(2, TouchState::Skipped),
        touch(3, TouchState::Planned),
        touch(4, TouchState::Planned),
    ];
    let t = touch(1, TouchState::Due);
    assert_eq!(
        next_wake(&t, &later, first, first),
        Some(Wake {
            step: 3,
            at: first + Duration::days(6)
        })
    );
    later[1].state = TouchState::Draft;
    assert_eq!(next_wake(&t, &later, first, first), None);
    assert_eq!(next_wake(&t, &[], first, first), None);
}

#[test]
fn a_full_sender_cap_moves_to_the_next_sender_and_a_shared_one_waits_for_tomorrow() {
    let mut w = World::new();
    w.config.mailboxes.push(crate::domain::tenant::Mailbox {
        address: "al@other.example".into(),
        domain: "other.example".into(),
        secret: None,
    });
    let first = plan(w.decide(&touch(1, TouchState::Due), open()));
    let (s0, caps0) = first.senders[0].clone();
    let mailbox = caps0
        .iter()
        .find(|c| c.scope.contains("#mailbox#"))
        .unwrap()
        .scope
        .clone();
    w.known.full_caps.insert(mailbox);
    let second = plan(w.decide(&touch(1, TouchState::Due), open()));
    assert_eq!(second.senders.len(), 1);
    assert_ne!(second.senders[0].0, s0);
    w.known.full_caps.insert("email#tenant".into());
    match w.decide(&touch(1, TouchState::Due), open()) {
        Decision::Wait {
            kind,
            until,
            reason,
        } => {
            assert_eq!(kind, WaitKind::Cap);
            assert!(until > open() + Duration::hours(6));
            assert!(reason.contains("email#tenant"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ramp_mode_keeps_other_tiers_waiting_for_its_end() {
    let mut w = World::new();
    w.config.approval.ramp.enabled = true;
    w.config.approval.ramp.start = Some("2026-11-30".parse().unwrap());
    let mut t = touch(1, TouchState::Due);
    t.tier = Some(Tier::Tier2);
    match w.decide(&t, open()) {
        Decision::Wait { kind, until, .. } => {
            assert_eq!(kind, WaitKind::Ramp);
            assert!(until.date_naive() >= "2026-12-14".parse().unwrap());
        }
        other => panic!("{other:?}"),
    }
    let p = plan(w.decide(&touch(1, TouchState::Due), open()));
    assert!(p.senders[0].1.iter().any(|c| c.scope == "ramp#tenant"));
}

#[test]
fn without_a_sender_it_holds_and_says_so() {
    let mut w = World::new();
    w.has_sender = false;
    match w.decide(&touch(1, TouchState::Due), open()) {
        Decision::Hold { reason } => assert!(reason.contains("no live email provider")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_expired_reservation_is_reconciled_and_a_live_one_is_stale() {
    let w = World::new();
    let mut t = touch(1, TouchState::Sending);
    t.lease_until = Some(open() - Duration::seconds(1));
    match w.decide(&t, open()) {
        Decision::Reconcile { after } => {
            assert!(after.contacted);
            assert_eq!(after.wake.map(|w| w.step), Some(2));
        }
        other => panic!("{other:?}"),
    }
    t.lease_until = Some(open() + Duration::minutes(1));
    assert_eq!(w.decide(&t, open()), Decision::Stale);
    assert_eq!(
        w.decide(&touch(1, TouchState::Sent), open()),
        Decision::Stale
    );
    let mut sent = touch(1, TouchState::Sent);
    sent.follow_up = true;
    assert!(matches!(w.decide(&sent, open()), Decision::FollowUp { .. }));
}

#[test]
fn a_provider_failure_backs_off_or_skips() {
    let w = World::new();
    let ctx = Context {
        config: &w.config,
        campaign: None,
        control: &w.control,
        lead: w.lead.as_ref(),
        later: &w.later,
        known: &w.known,
        has_sender: true,
        lease: Duration::minutes(5),
        desk: None,
    };
    let t = touch(1, TouchState::Due);
    let retryable = |rate_limited, retry_after: Option<u64>| SendError::Retryable {
        provider: "mailgun",
        reason: "503".into(),
        retry_after: retry_after.map(std::time::Duration::from_secs),
        rate_limited,
    };
    let fin = |kind| SendError::Final {
        provider: "twilio",
        kind,
        reason: "no".into(),
    };
    let wait_until = |a: Option<AfterFailure>| match a.map(|a| a.decision) {
        Some(Decision::Wait {
            kind: WaitKind::Backoff,
            until,
            ..
        }) => until,
        other => panic!("expected a backoff, got {other:?}"),
    };
    // A rate limit waits 5 minutes, or the provider's hint if longer.
    assert_eq!(
        wait_until(after_send_failure(&t, &ctx, &retryable(true, None), open())),
        open() + Duration::minutes(5)
    );
    assert_eq!(
        wait_until(after_send_failure(
            &t,
            &ctx,
            &retryable(true, Some(601)),
            open()
        )),
        open() + Duration::minutes(11)
    );
    // Other refusals back off exponentially with the touch's failures.
    let mut again = t.clone();
    again.send_failures = 3;
    assert_eq!(
        wait_until(after_send_failure(
            &again,
            &ctx,
            &retryable(false, None),
            open()
        )),
        open() + Duration::minutes(16)
    );
    // The last allowed refusal skips the step.
    again.send_failures = failure::MAX_SEND_FAILURES - 1;
    assert!(matches!(
        after_send_failure(&again, &ctx, &retryable(false, None), open()).map(|a| a.decision),
        Some(Decision::Skip { .. })
    ));
    // An invalid number skips, and marks the lead so later phone steps skip.
    let mut sms = t.clone();
    sms.channel = Channel::Sms;
    let a = after_send_failure(&sms, &ctx, &fin(FinalKind::InvalidRecipient), open()).unwrap();
    assert!(matches!(a.decision, Decision::Skip { .. }));
    assert_eq!(a.mark, Some(LeadMark::PhoneInvalid));
    // An opt-out at the provider suppresses.
    let a = after_send_failure(&sms, &ctx, &fin(FinalKind::OptedOut), open()).unwrap();
    assert_eq!(a.mark, Some(LeadMark::OptedOut(Channel::Sms)));
    // Refused credentials wait (the touch is not burnt) and alert.
    let a = after_send_failure(&t, &ctx, &fin(FinalKind::BadCredentials), open()).unwrap();
    assert!(matches!(a.decision, Decision::Wait { .. }));
    assert!(a.alert.is_some());
    assert_eq!(
        after_send_failure(
            &t,
            &ctx,
            &SendError::Unknown {
                provider: "mailgun",
                reason: "timed out".into()
            },
            open()
        ),
        None,
        "an unanswered call keeps its reservation for the provider's answer"
    );
}

#[test]
fn a_lead_keeps_its_first_sender_and_waits_when_it_is_full() {
    // GIVEN two mailboxes and a lead that first heard from the second one
    let mut w = World::new();
    w.config.mailboxes.push(crate::domain::tenant::Mailbox {
        address: "al@other.example".into(),
        domain: "other.example".into(),
        secret: None,
    });
    let t = touch(2, TouchState::Due);
    let lead = w.lead.as_mut().unwrap();
    lead.sender_email = Some("al@other.example".into());
    // WHEN a later step is decided
    let p = plan(w.decide(&t, open()));
    // THEN it goes from that mailbox only
    assert_eq!(p.senders.len(), 1);
    assert_eq!(p.senders[0].0.identity, "al@other.example");
    // AND when that mailbox is full it waits rather than switching
    let full = p.senders[0]
        .1
        .iter()
        .find(|c| c.scope.contains("#mailbox#"))
        .unwrap();
    w.known.full_caps.insert(full.scope.clone());
    match w.decide(&t, open()) {
        Decision::Wait {
            kind: WaitKind::Cap,
            reason,
            ..
        } => {
            assert!(reason.contains("does not switch"), "{reason}")
        }
        other => panic!("expected a wait, got {other:?}"),
    }
    // AND a lead with no sender yet spills over to the mailbox with room
    w.lead.as_mut().unwrap().sender_email = None;
    let p = plan(w.decide(&t, open()));
    assert!(p
        .senders
        .iter()
        .all(|(s, _)| s.identity != "al@other.example"));
    assert!(!p.senders.is_empty());
    // AND a sticky sender removed from the config frees the lead
    w.known.full_caps.clear();
    w.lead.as_mut().unwrap().sender_email = Some("gone@x.example".into());
    assert_eq!(plan(w.decide(&t, open())).senders.len(), 2);
}

#[test]
fn a_first_email_goes_from_the_least_loaded_mailbox_with_room() {
    // GIVEN three mailboxes on two domains, the first domain still warming
    let mut w = World::new();
    let mailbox = |address: &str, domain: &str| crate::domain::tenant::Mailbox {
        address: address.into(),
        domain: domain.into(),
        secret: None,
    };
    let first = w.config.mailboxes[0].clone();
    w.config
        .mailboxes
        .push(mailbox("bo@other.example", "other.example"));
    w.config
        .mailboxes
        .push(mailbox("cy@other.example", "other.example"));
    let t = touch(1, TouchState::Due);
    let scope = |p: &SendPlan, who: &str, part: &str| {
        p.senders
            .iter()
            .find(|(s, _)| s.identity == who)
            .and_then(|(_, caps)| caps.iter().find(|c| c.scope.contains(part)))
            .map(|c| (c.scope.clone(), c.limit))
            .unwrap()
    };
    let p = plan(w.decide(&t, open()));
    assert_eq!(p.senders.len(), 3);
    let (bo, bo_limit) = scope(&p, "bo@other.example", "#mailbox#");
    let (cy, _) = scope(&p, "cy@other.example", "#mailbox#");
    let (own, _) = scope(&p, &first.address, "#mailbox#");
    // WHEN bo has sent 5 today, cy 2 and the first mailbox none
    w.known.loads.insert(bo.clone(), 5);
    w.known.loads.insert(cy.clone(), 2);
    let p = plan(w.decide(&t, open()));
    // THEN the order is by load: the idle one, then cy, then bo
    let order: Vec<_> = p.senders.iter().map(|(s, _)| s.identity.clone()).collect();
    assert_eq!(
        order,
        [
            first.address.clone(),
            "cy@other.example".into(),
            "bo@other.example".into()
        ]
    );
    // AND a mailbox whose domain is nearly at its warmup cap counts as loaded
    let (domain, domain_limit) = scope(&p, &first.address, "#domain#");
    w.known.loads.insert(domain, domain_limit - 1);
    let p = plan(w.decide(&t, open()));
    assert_eq!(p.senders[0].0.identity, "cy@other.example");
    // AND a mailbox already at its limit is not tried at all
    w.known.loads.insert(cy, 1_000);
    w.known.loads.insert(own, 0);
    let p = plan(w.decide(&t, open()));
    assert!(p
        .senders
        .iter()
        .all(|(s, _)| s.identity != "cy@other.example"));
    // AND when every sender is at its limit the touch waits for tomorrow
    w.known.loads.insert(bo, bo_limit);
    let (domain, domain_limit) = scope(&plan(w.decide(&t, open())), &first.address, "#domain#");
    w.known.loads.insert(domain, domain_limit);
    assert!(matches!(
        w.decide(&t, open()),
        Decision::Wait {
            kind: WaitKind::Cap,
            ..
        }
    ));
}

#[test]
fn a_number_refused_for_good_skips_later_phone_steps() {
    let mut w = World::new();
    w.lead.as_mut().unwrap().phone_invalid = true;
    let mut t = touch(2, TouchState::Due);
    t.channel = Channel::Voice;
    t.recipient = "+16025550100".into();
    assert!(matches!(w.decide(&t, open()), Decision::Skip { .. }));
}

// ------------------------------------------------------------- properties

fn any_control() -> impl Strategy<Value = Control> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(p, e, b)| Control {
        paused: p,
        emergency_stop: e,
        breaker_open: b,
        ..Default::default()
    })
}

fn any_status() -> impl Strategy<Value = LeadStatus> {
    prop::sample::select(LeadStatus::ALL.to_vec())
}

prop_compose! {
    fn any_world()(
        control in any_control(),
        status in any_status(),
        replies in 0u32..2,
        attempts in prop::sample::select(vec![0u32, 3, 499, 500, 501]),
        hold in any::<bool>(),
        bounced in any::<bool>(),
        exists in prop::bool::weighted(0.95),
        suppressed in prop::bool::weighted(0.2),
        excluded in prop::bool::weighted(0.1),
        full in prop::collection::btree_set(prop::sample::select(vec![
            "email#tenant".to_string(),
            "email#mailbox#sam@acme-mail.example.com".to_string(),
            "email#domain#acme-mail.example.com".to_string(),
            "ramp#tenant".to_string(),
        ]), 0..3),
        ramp in any::<bool>(),
        has_sender in prop::bool::weighted(0.9),
    ) -> World {
        let mut w = World::new();
        w.control = control;
        if let Some(l) = w.lead.as_mut() {
            l.status = status;
            l.replies = replies;
            l.attempts = attempts;
            l.hold = hold.then(|| "customer".to_string());
            l.email_bounced = bounced;
        }
        if !exists { w.lead = None; }
        if suppressed { w.known.suppressed = vec!["domain#desert.example".into()]; }
        if excluded { w.config.excluded_domains = vec!["example".into()]; }
        w.known.full_caps = full;
        if ramp {
            w.config.approval.ramp.enabled = true;
            w.config.approval.ramp.start = Some("2026-11-01".parse().unwrap());
            w.config.approval.ramp.days = 60;
        }
        w.has_sender = has_sender;
        w
    }
}

proptest! {
    /// Whatever the context: a send is inside the recipient's window, with
    /// no switch on, to a live lead that is not stopped, held, suppressed,
    /// excluded or over its attempts, and it reserves every cap the tenant
    /// sets for that sender (none of them known full) and checks every
    /// suppression entry of the lead's addresses.
    #[test]
    fn a_send_breaks_no_rule(
        w in any_world(),
        minutes in 0i64..(14 * 24 * 60),
        tier2 in any::<bool>(),
    ) {
        let now = open() + Duration::minutes(minutes);
        let mut t = touch(1, TouchState::Due);
        if tier2 { t.tier = Some(Tier::Tier2); }
        let d = w.decide(&t, now);
        if let Decision::Send(p) = d {
            let tz = recipient_tz(&w.config, &t);
            prop_assert!(w.config.windows.email.is_open(now, tz), "outside the window at {now}");
            prop_assert!(w.control.blocked().is_none());
            let lead = w.lead.as_ref().expect("a lead");
            prop_assert!(!lead.status.is_terminal() && lead.status != LeadStatus::Replied);
            prop_assert_eq!(lead.replies, 0);
            prop_assert!(lead.hold.is_none());
            prop_assert!(!lead.email_bounced);
            prop_assert!(w.known.suppressed.is_empty());
            prop_assert!(w.config.excluded_domains.is_empty());
            prop_assert!(lead.attempts < w.config.caps.max_attempts_per_lead);
            prop_assert!(w.has_sender);
            for key in lead_suppression_keys(lead) {
                prop_assert!(p.suppression.contains(&key), "{key:?} not checked");
            }
            prop_assert!(!p.senders.is_empty());
            let day = now.with_timezone(&w.config.tz()).date_naive();
            for (sender, caps) in &p.senders {
                prop_assert_eq!(caps, &caps_for_touch(&w.config, None, &t, sender, day));
                for c in caps {
                    prop_assert!(!w.known.full_caps.contains(&c.scope), "{} is full", c.scope);
                }
            }
            if w.config.approval.ramp.active_on(day) {
                prop_assert_eq!(t.tier, Some(Tier::Tier1));
            }
        }
    }

    /// A wait is always for later, and a window wait lands in the window.
    #[test]
    fn a_wait_is_later(w in any_world(), minutes in 0i64..(14 * 24 * 60)) {
        let now = open() + Duration::minutes(minutes);
        let t = touch(1, TouchState::Due);
        if let Decision::Wait { until, kind, .. } = w.decide(&t, now) {
            prop_assert!(until > now);
            if kind == WaitKind::Window {
                prop_assert!(w.config.windows.email.is_open(until, recipient_tz(&w.config, &t)));
            }
        }
    }

    /// Only a due touch (or an expired reservation, or an unfinished
    /// follow-up) is ever acted on.
    #[test]
    fn only_due_touches_are_sent(w in any_world(), state in prop::sample::select(vec![
        TouchState::Draft, TouchState::Planned, TouchState::Sent, TouchState::InDoubt,
        TouchState::Skipped, TouchState::Cancelled, TouchState::Sending,
    ])) {
        let mut t = touch(1, state);
        t.lease_until = Some(open() + Duration::minutes(1));
        prop_assert_eq!(w.decide(&t, open()), Decision::Stale);
    }
}

#[test]
fn a_live_tenant_waits_while_its_providers_circuit_is_open_and_holds_without_a_provider() {
    use crate::domain::providers::{ProviderKind, ProviderRef};
    use crate::domain::targeting::enrichment::CircuitState;
    // GIVEN a live tenant with no email provider configured
    let mut w = World::new();
    w.config.shadow_mode = false;
    let t = touch(1, TouchState::Due);
    // THEN its email touches are held, naming what is missing
    match w.decide(&t, open()) {
        Decision::Hold { reason } => assert!(reason.contains("no live email provider"), "{reason}"),
        other => panic!("expected a hold, got {other:?}"),
    }
    // WHEN Mailgun is configured, it sends
    w.config.providers.email = Some(ProviderRef {
        provider: ProviderKind::Mailgun,
        secret: "outbound/acme/mailgun".into(),
    });
    assert!(matches!(w.decide(&t, open()), Decision::Send(_)));
    // AND while Mailgun's circuit is open it waits until the circuit's end
    let until = open() + Duration::minutes(5);
    w.control.circuits.insert(
        "mailgun".into(),
        CircuitState {
            consecutive_failures: 5,
            opened_until: Some(until),
        },
    );
    assert!(matches!(
        w.decide(&t, open()),
        Decision::Wait { kind: WaitKind::Backoff, until: u, .. } if u == until
    ));
    // AND once the open period is over, a trial send goes
    assert!(matches!(w.decide(&t, until), Decision::Send(_)));
}
