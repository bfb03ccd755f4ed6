use super::*;
use crate::domain::ids::TenantId;
use crate::domain::signals::SignalKind;
use crate::domain::touch::Message;

fn config() -> TenantConfig {
    let start: NaiveDate = "2026-11-01".parse().unwrap();
    TenantConfig::default_for(TenantId::parse("acme").unwrap(), "Acme", start)
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn touch(step: u8, channel: Channel, state: TouchState) -> Touch {
    let t: Touch = serde_json::from_value(serde_json::json!({
        "tenant": "acme", "lead_id": "l1", "step": step, "day": 0,
        "channel": channel, "state": state, "fingerprint": "f",
        "campaign": "dealers", "timezone": "America/Phoenix",
        "sender_domain": "acme-mail.example.com",
        "message": Message { template_id: "intro".into(), subject_variant: Some(1), body_variant: Some(0), ..Default::default() },
        "created_at": "2026-11-30T00:00:00Z",
    }))
    .unwrap();
    t
}

fn sent(step: u8, channel: Channel, when: &str) -> Touch {
    let mut t = touch(step, channel, TouchState::Sent);
    t.sent_at = Some(at(when));
    t.attempt_id = Some(format!("a{step}"));
    t.counted_as = Some(count_send(&t, &config(), at(when)));
    t
}

fn lead(status: LeadStatus) -> Lead {
    Lead {
        tenant: "acme".into(),
        id: "l1".into(),
        campaign: Some("dealers".into()),
        status,
        ..Default::default()
    }
}

fn signal(kind: SignalKind, attempt: Option<&str>) -> Signal {
    serde_json::from_value(serde_json::json!({
        "provider": "mailgun", "event_id": "e1", "kind": kind, "tenant": "acme",
        "lead_id": "l1", "occurred_at": "2026-12-02T15:00:00Z", "detail": "",
        "attempt": attempt,
    }))
    .unwrap()
}

#[test]
fn a_send_is_counted_in_the_recipients_hour_the_tenants_day_and_its_domains_warmup_day() {
    // GIVEN an email to Phoenix sent 2026-12-02 04:30 UTC: 21:30 the day
    // before in Phoenix, 23:30 the day before in New York (the tenant)
    let t = touch(1, Channel::Email, TouchState::Sending);
    let c = count_send(&t, &config(), at("2026-12-02T04:30:00Z"));
    // THEN its hour is Phoenix's, its day New York's, and its warmup day
    // counts from the ramp's first row (2026-11-01 is day 1)
    assert_eq!(c.hour, 21);
    assert_eq!(c.day.to_string(), "2026-12-01");
    assert_eq!(c.warmup_day, Some(31));
    // AND a call has no warmup day; an unknown domain neither
    let call = touch(2, Channel::Voice, TouchState::Sending);
    assert_eq!(
        count_send(&call, &config(), at("2026-12-02T04:30:00Z")).warmup_day,
        None
    );
    let mut other = touch(1, Channel::Email, TouchState::Sending);
    other.sender_domain = Some("elsewhere.example".into());
    assert_eq!(
        count_send(&other, &config(), at("2026-12-02T04:30:00Z")).warmup_day,
        None
    );
}

#[test]
fn a_send_counts_its_step_channel_variant_hour_day_and_warmup_day() {
    let t = sent(2, Channel::Email, "2026-12-01T17:00:00Z");
    let tally = on_send(&t);
    assert_eq!(tally.campaign, "dealers");
    let keys: Vec<(&str, Vec<&str>)> = tally
        .adds
        .iter()
        .map(|(k, f)| (k.as_str(), f.keys().copied().collect()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("CHANNEL#email", vec!["sent"]),
            ("DAY#2026-12-01", vec!["email"]),
            ("HOUR#10", vec!["sent"]),
            ("STEP#02", vec!["sent"]),
            ("VARIANT#intro#subject B, body A", vec!["sent"]),
            ("WDAY#031", vec!["sent"]),
        ]
    );
    // AND a touch the person asked for counts nowhere
    let mut asked = t.clone();
    asked.requested = true;
    assert!(on_send(&asked).is_empty());
}

#[test]
fn the_funnel_counts_enrolment_drafts_contact_and_the_attempts_warning() {
    let l = lead(LeadStatus::Queued);
    let mut skipped = touch(3, Channel::Sms, TouchState::Skipped);
    skipped.message.template_id = "sms-1".into();
    let drafts = [
        touch(1, Channel::Email, TouchState::Draft),
        touch(2, Channel::Email, TouchState::Draft),
        skipped,
    ];
    let tally = on_sequence(&l, &drafts);
    assert_eq!(tally.get(FUNNEL, "enrolled"), 1);
    assert_eq!(tally.get("VARIANT#intro#subject B, body A", "drafted"), 2);
    assert_eq!(tally.get("VARIANT#sms-1#", "drafted"), 0, "a skipped step");
    let after = on_after(Some("dealers"), true, true);
    assert_eq!(
        (
            after.get(FUNNEL, "contacted"),
            after.get(FUNNEL, "nurtured")
        ),
        (1, 1)
    );
    assert!(on_after(None, false, false).is_empty());
    assert_eq!(on_after(None, true, false).campaign, "default");
}

#[test]
fn a_first_reply_counts_once_for_the_last_touch_sent_on_its_channel() {
    // GIVEN a lead sent an email (step 1), then a call (step 2)
    let touches = vec![
        sent(1, Channel::Email, "2026-12-01T17:00:00Z"),
        sent(2, Channel::Voice, "2026-12-01T20:00:00Z"),
    ];
    let before = lead(LeadStatus::Contacted);
    let mut after = before.clone();
    after.replies = 1;
    after.status = LeadStatus::Replied;
    // WHEN an email reply is counted
    let tally = on_signal(
        &signal(SignalKind::Replied, None),
        Some(&before),
        Some(&mut after),
        &touches,
    );
    // THEN the reply counts once, for the email (its channel), in the
    // hour that email reached the lead
    assert_eq!(tally.get(FUNNEL, "replied"), 1);
    assert_eq!(tally.get("STEP#01", "replied"), 1);
    assert_eq!(tally.get("STEP#02", "replied"), 0);
    assert_eq!(tally.get("CHANNEL#email", "replied"), 1);
    assert_eq!(tally.get("HOUR#10", "replied"), 1);
    assert_eq!(tally.get("VARIANT#intro#subject B, body A", "replied"), 1);
    assert_eq!(after.results_counted, vec!["dealers#replied"]);
    // WHEN a second reply comes
    let before = after.clone();
    after.replies = 2;
    let again = on_signal(
        &signal(SignalKind::Replied, None),
        Some(&before),
        Some(&mut after),
        &touches,
    );
    // THEN nothing more is counted
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn a_booking_counts_once_even_when_made_again_after_a_cancellation() {
    let touches = vec![sent(1, Channel::Email, "2026-12-01T17:00:00Z")];
    let before = lead(LeadStatus::Contacted);
    let mut after = before.clone();
    after.status = LeadStatus::Booked;
    // WHEN a lead books without replying first
    let tally = on_signal(
        &signal(SignalKind::Booked, None),
        Some(&before),
        Some(&mut after),
        &touches,
    );
    // THEN it counts as replied and booked, for the last touch sent
    assert_eq!(
        (tally.get(FUNNEL, "replied"), tally.get(FUNNEL, "booked")),
        (1, 1)
    );
    assert_eq!(tally.get("STEP#01", "booked"), 1);
    assert_eq!(tally.get("CHANNEL#email", "booked"), 1);
    // WHEN the booking is cancelled and made again
    let mut cancelled = after.clone();
    cancelled.status = LeadStatus::Replied;
    let mut rebooked = cancelled.clone();
    rebooked.status = LeadStatus::Booked;
    let again = on_signal(
        &signal(SignalKind::Booked, None),
        Some(&cancelled),
        Some(&mut rebooked),
        &touches,
    );
    // THEN nothing more is counted
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn a_bounce_counts_under_the_warmup_day_of_the_email_it_names() {
    let touches = vec![
        sent(1, Channel::Email, "2026-11-05T17:00:00Z"),
        sent(2, Channel::Email, "2026-12-01T17:00:00Z"),
    ];
    let before = lead(LeadStatus::Contacted);
    let mut after = before.clone();
    after.email_bounced = true;
    after.status = LeadStatus::Bounced;
    let tally = on_signal(
        &signal(SignalKind::Bounced, Some("a1")),
        Some(&before),
        Some(&mut after),
        &touches,
    );
    assert_eq!(tally.get(FUNNEL, "bounced"), 1);
    assert_eq!(tally.get("WDAY#005", "bounced"), 1, "{tally:?}");
    assert_eq!(tally.get("WDAY#031", "bounced"), 0);
    // AND a later bounce report of the same lead counts nothing
    let before = after.clone();
    let again = on_signal(
        &signal(SignalKind::Bounced, Some("a2")),
        Some(&before),
        Some(&mut after),
        &touches,
    );
    assert!(again.is_empty());
}

#[test]
fn signals_that_change_no_stage_count_nothing() {
    let touches = vec![sent(1, Channel::Email, "2026-12-01T17:00:00Z")];
    let before = lead(LeadStatus::Contacted);
    let mut after = before.clone();
    after.opens = 1;
    after.status = LeadStatus::Engaged;
    let tally = on_signal(
        &signal(SignalKind::Opened, None),
        Some(&before),
        Some(&mut after),
        &touches,
    );
    assert!(tally.is_empty());
    assert!(after.results_counted.is_empty());
    // AND without a lead nothing is counted
    assert!(on_signal(&signal(SignalKind::Replied, None), None, None, &touches).is_empty());
}

#[test]
fn the_report_reads_the_counters_back() {
    use crate::domain::campaigns::report::{build, CounterRow};
    let mut tally = Tally::new(Some("dealers"));
    let a = sent(1, Channel::Email, "2026-12-01T17:00:00Z");
    let b = sent(2, Channel::Sms, "2026-12-02T17:00:00Z");
    for t in [&a, &a, &b] {
        for (k, f) in on_send(t).adds {
            for (field, n) in f {
                *tally
                    .adds
                    .entry(k.clone())
                    .or_default()
                    .entry(field)
                    .or_default() += n;
            }
        }
    }
    tally.count(Event::Enrolled, None);
    tally.count(Event::Enrolled, None);
    tally.count(Event::Contacted, None);
    tally.count(Event::Replied, Some(&a));
    tally.count(Event::Bounced, Some(&a));
    let rows: Vec<CounterRow> = tally
        .adds
        .iter()
        .map(|(k, f)| {
            (
                k.clone(),
                f.iter().map(|(f, n)| (f.to_string(), *n)).collect(),
            )
        })
        .collect();
    let r = build("dealers", &rows);
    assert_eq!(r.sent, 3);
    assert_eq!(
        (
            r.funnel.enrolled,
            r.funnel.contacted,
            r.funnel.replied,
            r.funnel.booked
        ),
        (2, 1, 1, 0)
    );
    assert_eq!(r.bounced, 1);
    assert_eq!(r.by_step[0].step, 1);
    assert_eq!((r.by_step[0].sent, r.by_step[0].replied), (2, 1));
    assert_eq!(r.by_step[0].reply_rate, 0.5);
    assert_eq!(r.by_hour[0].hour, 10);
    assert_eq!((r.by_hour[0].sent, r.by_hour[0].replied), (3, 1));
    assert_eq!(r.per_day.len(), 2);
    assert_eq!((r.per_day[0].email, r.per_day[1].sms), (2, 1));
    assert_eq!(r.by_warmup_day.len(), 1, "only emails have a warmup day");
    assert_eq!(
        (
            r.by_warmup_day[0].day,
            r.by_warmup_day[0].sent,
            r.by_warmup_day[0].bounced
        ),
        (31, 2, 1)
    );
    assert_eq!(r.by_channel.len(), 2);
    assert_eq!(r.ab.len(), 1);
    assert_eq!(
        (r.ab[0].template_id.as_str(), r.ab[0].variant.as_str()),
        ("intro", "subject B, body A")
    );
    assert_eq!((r.ab[0].sent, r.ab[0].replied), (3, 1));
}
