//! Campaign rules: status changes, generated sequences, the legacy
//! campaign and validation by field.

use super::*;
use crate::domain::ids::TenantId;
use proptest::prelude::*;

fn config() -> TenantConfig {
    TenantConfig::default_for(
        TenantId::parse("acme").unwrap(),
        "Acme",
        "2026-11-02".parse().unwrap(),
    )
}

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

fn campaign(config: &TenantConfig) -> Campaign {
    let mut c = Campaign::legacy(config, now());
    c.id = CampaignId::parse("med-spas").unwrap();
    c.name = "Med spas".into();
    c.status = CampaignStatus::Draft;
    c.custom = false;
    c.regenerate(config);
    c
}

#[test]
fn every_status_change_is_allowed_or_refused_as_the_table_says() {
    use CampaignStatus::*;
    use StatusChange::*;
    let table = [
        (Draft, Activate, Some(Active)),
        (Draft, Pause, None),
        (Draft, Resume, None),
        (Draft, Archive, Some(Archived)),
        (Active, Activate, Some(Active)),
        (Active, Pause, Some(Paused)),
        (Active, Resume, Some(Active)),
        (Active, Archive, Some(Archived)),
        (Paused, Activate, None),
        (Paused, Pause, Some(Paused)),
        (Paused, Resume, Some(Active)),
        (Paused, Archive, Some(Archived)),
        (Archived, Activate, None),
        (Archived, Pause, None),
        (Archived, Resume, None),
        (Archived, Archive, Some(Archived)),
    ];
    for (from, change, to) in table {
        assert_eq!(from.after(change).ok(), to, "{from:?} {change:?}");
    }
    assert!(Active.sends());
    for s in [Draft, Paused, Archived] {
        assert!(!s.sends(), "{s:?}");
    }
}

#[test]
fn a_tenant_from_before_campaigns_reads_as_one_active_campaign_with_nothing_lost() {
    let config = config();
    let c = Campaign::legacy(&config, now());
    assert_eq!(c.id.as_str(), DEFAULT_CAMPAIGN);
    assert_eq!(c.status, CampaignStatus::Active);
    assert_eq!(c.target, config.icp);
    assert_eq!(c.sequence, config.sequence);
    assert!(c.custom, "its steps are kept as they are");
    assert_eq!(c.offer, config.icp.recommended_offer);
    assert_eq!(
        c.tiers,
        vec![Tier::Tier1, Tier::Tier2],
        "tiers 1 and 2 were crafted before"
    );
    assert_eq!(c.auto_enroll, config.approval.auto_enroll);
    assert_eq!(c.windows.resolve(&config.windows), config.windows);
    c.validate(&config).unwrap();
}

#[test]
fn a_campaign_without_numbers_or_seats_gets_only_its_email_steps() {
    // GIVEN a tenant with a mailbox only
    let mut config = config();
    config.phone_numbers.clear();
    config.linkedin_seats.clear();
    let c = campaign(&config);
    // THEN the default preset keeps its two emails, renumbered, days kept
    let steps: Vec<_> = c
        .sequence
        .iter()
        .map(|s| (s.step, s.day, s.channel))
        .collect();
    assert_eq!(steps, [(1, 0, Channel::Email), (2, 8, Channel::Email)]);
    c.validate(&config).unwrap();
    // AND a call-first campaign there is refused, naming why
    let mut call = campaign(&config);
    call.preset = SequencePreset::CallFirst;
    call.regenerate(&config);
    assert_eq!(call.sequence.len(), 2, "its emails remain");
    let mut linkedin_only = campaign(&config);
    linkedin_only.senders.mailboxes = vec![];
    linkedin_only.preset = SequencePreset::EmailLinkedin8Step;
    let none = linkedin_only
        .preset
        .generate(&BTreeSet::from([Channel::Voice]));
    assert!(none.is_empty());
    linkedin_only.sequence = none;
    let err = linkedin_only.validate(&config).unwrap_err();
    assert_eq!(err.field, "sequence");
    assert!(
        err.reason.contains("email_linkedin_8_step"),
        "{}",
        err.reason
    );
}

#[test]
fn a_campaign_names_the_field_it_gets_wrong() {
    let config = config();
    let check = |edit: &dyn Fn(&mut Campaign), field: &str| {
        let mut c = campaign(&config);
        edit(&mut c);
        match c.validate(&config) {
            Ok(()) => panic!("{field}: accepted"),
            Err(err) => assert_eq!(err.field, field, "{err}"),
        }
    };
    check(&|c| c.name = " ".into(), "name");
    check(&|c| c.name = "a\r\nBcc: x".into(), "name");
    check(&|c| c.offer = "nope".into(), "offer");
    check(
        &|c| c.senders.mailboxes = vec!["someone@else.example".into()],
        "senders.mailboxes[0]",
    );
    check(
        &|c| c.senders.phone_numbers = vec!["+15550000000".into()],
        "senders.phone_numbers[0]",
    );
    check(&|c| c.tiers.clear(), "tiers");
    check(&|c| c.daily_share = Some(0), "daily_share");
    check(
        &|c| {
            c.target.industries.clear();
            c.target.titles.clear()
        },
        "target",
    );
    check(&|c| c.sequence[2].day = 1, "sequence[2].day");
    check(&|c| c.sequence[1].step = 7, "sequence[1].step");
    check(
        &|c| {
            c.ramp.enabled = true;
            c.ramp.start = None
        },
        "ramp.start",
    );
    assert!(CampaignId::parse("Med Spas").is_err());
    assert!(serde_json::from_str::<CampaignId>("\"x\"").is_err());
}

#[test]
fn a_24x7_email_policy_opens_email_only() {
    let config = config();
    let w = WindowsPolicy::Email24x7.resolve(&config.windows);
    assert_eq!(w.email, SendWindow::always());
    assert_eq!(w.call, config.windows.call);
    assert_eq!(w.sms, config.windows.sms);
}

#[test]
fn a_campaign_survives_a_round_trip_through_json() {
    let config = config();
    let mut c = campaign(&config);
    c.windows = WindowsPolicy::Email24x7;
    c.nurture = Some(SequencePreset::Email24x7);
    c.daily_share = Some(30);
    let text = serde_json::to_string(&c).unwrap();
    for preset in SequencePreset::ALL {
        assert_eq!(
            serde_json::to_value(preset).unwrap(),
            serde_json::json!(preset.as_str())
        );
    }
    assert_eq!(serde_json::from_str::<Campaign>(&text).unwrap(), c);
}

fn any_channels() -> impl Strategy<Value = BTreeSet<Channel>> {
    proptest::collection::btree_set(
        prop_oneof![
            Just(Channel::Email),
            Just(Channel::Voice),
            Just(Channel::Sms),
            Just(Channel::Linkedin),
        ],
        0..=4,
    )
}

proptest! {
    #[test]
    fn a_generated_sequence_uses_only_available_channels_in_order(
        preset in prop::sample::select(SequencePreset::ALL.to_vec()),
        available in any_channels(),
    ) {
        let steps = preset.generate(&available);
        let full = preset.steps();
        prop_assert_eq!(
            steps.len(),
            full.iter().filter(|s| available.contains(&s.channel)).count()
        );
        for (i, s) in steps.iter().enumerate() {
            prop_assert!(available.contains(&s.channel));
            prop_assert_eq!(usize::from(s.step), i + 1);
        }
        for w in steps.windows(2) {
            prop_assert!(w[0].day <= w[1].day);
        }
    }
}
