//! Tests of the parent module.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 30, 9, 0, 0).unwrap()
}

fn lead() -> Lead {
    Lead {
        tenant: "t1".into(),
        id: "lead-1".into(),
        first_name: Some("Jo".into()),
        company: Some("Quill Widgets LLC".into()),
        city: Some("Phoenix".into()),
        state: Some("AZ".into()),
        title: Some("Service Manager".into()),
        industry: Some("Auto repair".into()),
        rating: Some(3.6),
        reviews: Some(1234),
        created_at: now(),
        updated_at: now(),
        ..Default::default()
    }
}

fn rejection(days_ago: i64, fingerprint: &str) -> Rejection {
    Rejection {
        at: now() - TimeDelta::days(days_ago),
        step: 1,
        channel: Channel::Email,
        template_id: format!("t-{days_ago}"),
        opener: format!("opener {days_ago}"),
        fingerprint: fingerprint.into(),
        reason: "too salesy".into(),
    }
}

/// A draft that passes every rule for `lead()`.
const GOOD: &str =
    "Hi Jo,\n\nI was looking at Quill Widgets in Phoenix: a 3.6 rating across 1,234 reviews. \
    Shops that answer every review win back the next buyer. Worth a call on Tuesday?";

fn run(
    settings: &GuardSettings,
    channel: Channel,
    body: &str,
    rejections: &[Rejection],
) -> GuardReport {
    check(
        settings,
        channel,
        Some("Your reviews"),
        body,
        "fp-new",
        &lead(),
        rejections,
        now(),
    )
}

fn rules(report: &GuardReport) -> Vec<GuardRule> {
    report.findings.iter().map(|f| f.rule).collect()
}

fn detail(report: &GuardReport, rule: GuardRule) -> &str {
    &report
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .expect("finding")
        .detail
}

#[test]
fn defaults_are_valid_and_filled_in_when_missing() {
    let s = GuardSettings::default();
    assert_eq!(s.validate(), Ok(()));
    assert_eq!(
        (s.mode, s.max_rejections, s.memory_days, s.min_evidence),
        (GuardMode::Hard, 3, 30, 2)
    );
    assert!(s.banned_openers.len() >= 12 && s.generic_phrases.len() >= 25);
    let parsed: GuardSettings =
        serde_json::from_str(r#"{"mode":"soft","min_evidence":3}"#).unwrap();
    assert_eq!(parsed.mode, GuardMode::Soft);
    assert_eq!(parsed.min_evidence, 3);
    assert_eq!(parsed.banned_openers, s.banned_openers);
}

#[test]
fn invalid_settings_name_the_field() {
    let field = |f: fn(&mut GuardSettings)| {
        let mut s = GuardSettings::default();
        f(&mut s);
        s.validate().unwrap_err().0
    };
    assert_eq!(field(|s| s.max_rejections = 0), "guard.max_rejections");
    assert_eq!(field(|s| s.memory_days = 0), "guard.memory_days");
    assert_eq!(field(|s| s.min_evidence = 9), "guard.min_evidence");
    assert_eq!(
        field(|s| s.max_generic_per_100_words = -1.0),
        "guard.max_generic_per_100_words"
    );
    assert_eq!(
        field(|s| s.max_generic_per_100_words = f64::NAN),
        "guard.max_generic_per_100_words"
    );
    assert_eq!(
        field(|s| s.banned_openers.push("  ".into())),
        format!("guard.banned_openers[{}]", DEFAULT_BANNED_OPENERS.len())
    );
    assert_eq!(
        field(|s| s.generic_phrases[0] = "!!".into()),
        "guard.generic_phrases[0]"
    );
}

#[test]
fn a_rejection_is_forgotten_exactly_memory_days_later() {
    let s = GuardSettings::default();
    let exactly = [rejection(30, "a")];
    assert_eq!(remembered(&exactly, &s, now()).count(), 0);
    let mut almost = rejection(30, "a");
    almost.at += TimeDelta::seconds(1);
    assert_eq!(remembered(&[almost], &s, now()).count(), 1);
    // Dated after `now` (clock skew): still remembered.
    assert_eq!(remembered(&[rejection(-1, "a")], &s, now()).count(), 1);
}

#[test]
fn a_lead_is_held_at_max_rejections_within_memory() {
    let s = GuardSettings::default();
    let two = [rejection(1, "a"), rejection(2, "b")];
    assert!(!should_hold(&two, &s, now()));
    let three = [rejection(1, "a"), rejection(2, "b"), rejection(29, "c")];
    assert!(should_hold(&three, &s, now()));
    let one_expired = [rejection(1, "a"), rejection(2, "b"), rejection(31, "c")];
    assert!(!should_hold(&one_expired, &s, now()));
}

#[test]
fn avoided_lists_remembered_templates_and_openers() {
    let s = GuardSettings::default();
    let (templates, openers) = avoided(&[rejection(1, "a"), rejection(40, "b")], &s, now());
    assert_eq!(templates.into_iter().collect::<Vec<_>>(), ["t-1"]);
    assert_eq!(openers.into_iter().collect::<Vec<_>>(), ["opener 1"]);
}

#[test]
fn a_good_draft_passes() {
    let report = run(&GuardSettings::default(), Channel::Email, GOOD, &[]);
    assert_eq!(report.findings, []);
    assert!(!report.blocked);
    assert_eq!(report.summary(), "");
    assert_eq!(
        report.evidence,
        ["first_name", "company", "city", "rating", "review_count"]
    );
}

#[test]
fn prior_rejections_are_a_finding_with_count_and_date() {
    let s = GuardSettings::default();
    let rejections = [rejection(3, "a"), rejection(10, "b"), rejection(20, "c")];
    let report = run(&s, Channel::Email, GOOD, &rejections);
    assert_eq!(rules(&report), [GuardRule::PriorRejections]);
    assert_eq!(
        detail(&report, GuardRule::PriorRejections),
        "3 rejections since 2026-06-10 (held at 3 within 30 days)"
    );
    let report = run(&s, Channel::Email, GOOD, &rejections[..2]);
    assert_eq!(report.findings, []);
}

#[test]
fn a_rejected_fingerprint_is_a_finding_while_remembered() {
    let s = GuardSettings::default();
    let report = run(&s, Channel::Email, GOOD, &[rejection(2, "fp-new")]);
    assert_eq!(rules(&report), [GuardRule::RejectedFingerprint]);
    assert_eq!(
        detail(&report, GuardRule::RejectedFingerprint),
        "same draft as rejected on 2026-06-28 (template t-2, \"too salesy\")"
    );
    assert_eq!(
        run(&s, Channel::Email, GOOD, &[rejection(2, "fp-other")]).findings,
        []
    );
    assert_eq!(
        run(&s, Channel::Email, GOOD, &[rejection(30, "fp-new")]).findings,
        []
    );
}

#[test]
fn low_personalisation_says_what_was_found_and_needed() {
    let s = GuardSettings::default();
    let body = "Hi Jo,\n\nShops that answer every review win back the next buyer. Worth a call?";
    let report = check(&s, Channel::Email, None, body, "fp", &lead(), &[], now());
    assert_eq!(rules(&report), [GuardRule::LowPersonalisation]);
    assert_eq!(
        detail(&report, GuardRule::LowPersonalisation),
        "1 lead fact found (first_name), 2 needed"
    );
    let report = check(
        &s,
        Channel::Email,
        None,
        "Shops that answer reviews win.",
        "fp",
        &lead(),
        &[],
        now(),
    );
    assert_eq!(
        detail(&report, GuardRule::LowPersonalisation),
        "no lead facts found, 2 needed"
    );
    // The subject counts too.
    let report = check(
        &s,
        Channel::Email,
        Some("Quill Widgets"),
        body,
        "fp",
        &lead(),
        &[],
        now(),
    );
    assert_eq!(report.findings, []);
}

#[test]
fn banned_openers_are_found_after_a_greeting_or_without_one() {
    let s = GuardSettings::default();
    for (body, opener) in [
        (
            "Hi Jo,\n\nI hope this email finds you well. Quill Widgets in Phoenix has 3.6 stars.",
            "I hope this email finds you well",
        ),
        (
            "Hi Jo, quick question about Quill Widgets in Phoenix.",
            "quick question",
        ),
        (
            "Quick question: does Quill Widgets in Phoenix answer reviews?",
            "quick question",
        ),
        (
            "Jo -\nMy name is Sam and I saw Quill Widgets in Phoenix.",
            "my name is",
        ),
        (
            "Dear Sir or Madam, Quill Widgets in Phoenix caught my eye.",
            "dear sir or madam",
        ),
        (
            "Hello Jo \u{2014} I\u{2019}m reaching out about Quill Widgets in Phoenix.",
            "I'm reaching out",
        ),
    ] {
        let report = check(&s, Channel::Email, None, body, "fp", &lead(), &[], now());
        assert_eq!(rules(&report), [GuardRule::BannedOpener], "{body}");
        assert_eq!(
            detail(&report, GuardRule::BannedOpener),
            format!("banned opener \"{opener}\"")
        );
    }
}

#[test]
fn a_banned_phrase_later_in_the_body_is_not_an_opener() {
    let s = GuardSettings::default();
    let body = format!("{GOOD} Quick question to end with.");
    assert_eq!(run(&s, Channel::Email, &body, &[]).findings, []);
}

#[test]
fn generic_phrase_density_names_phrases_and_threshold() {
    let s = GuardSettings::default();
    let body = format!("{GOOD} We leverage best in class, seamless synergy. Synergy!");
    let report = run(&s, Channel::Email, &body, &[]);
    assert_eq!(rules(&report), [GuardRule::GenericPhrases]);
    // 5 occurrences in 2 subject + 39 body words.
    assert_eq!(
        detail(&report, GuardRule::GenericPhrases),
        "12.2 generic phrases per 100 words (max 2): \"synergy\" x2, \"leverage\", \"best-in-class\", \"seamless\""
    );
    // One in 34 words is 2.9 per 100; with a threshold of 3 it passes.
    let one = format!("{GOOD} Seamless.");
    assert_eq!(
        rules(&run(&s, Channel::Email, &one, &[])),
        [GuardRule::GenericPhrases]
    );
    let lenient = GuardSettings {
        max_generic_per_100_words: 3.0,
        ..s
    };
    assert_eq!(run(&lenient, Channel::Email, &one, &[]).findings, []);
    // "leveraged" is not "leverage".
    let s = GuardSettings::default();
    assert_eq!(
        run(&s, Channel::Email, &format!("{GOOD} We leveraged it."), &[]).findings,
        []
    );
}

#[test]
fn modes_decide_whether_findings_block() {
    let body = "Quick question: can we touch base?";
    let hard = run(&GuardSettings::default(), Channel::Email, body, &[]);
    assert!(hard.blocked);
    assert_eq!(
        rules(&hard),
        [
            GuardRule::LowPersonalisation,
            GuardRule::BannedOpener,
            GuardRule::GenericPhrases
        ]
    );
    let soft = run(
        &GuardSettings {
            mode: GuardMode::Soft,
            ..GuardSettings::default()
        },
        Channel::Email,
        body,
        &[],
    );
    assert!(!soft.blocked);
    assert_eq!(soft.findings, hard.findings);
    let off = run(
        &GuardSettings {
            mode: GuardMode::Off,
            ..GuardSettings::default()
        },
        Channel::Email,
        body,
        &[rejection(1, "fp-new")],
    );
    assert_eq!((off.findings.len(), off.blocked), (0, false));
}

#[test]
fn summary_is_one_line() {
    let hard = run(
        &GuardSettings::default(),
        Channel::Email,
        "Quick question: can we touch base?",
        &[],
    );
    assert_eq!(
        hard.summary(),
        "blocked: no lead facts found, 2 needed; banned opener \"quick question\"; \
         12.5 generic phrases per 100 words (max 2): \"touch base\""
    );
    let soft = GuardReport {
        blocked: false,
        ..hard
    };
    assert!(soft.summary().starts_with("flagged: no lead facts"));
}

#[test]
fn voice_briefs_are_checked_only_against_rejections() {
    let s = GuardSettings::default();
    let brief = "Quick question: synergy synergy synergy.";
    assert_eq!(run(&s, Channel::Voice, brief, &[]).findings, []);
    let report = run(&s, Channel::Voice, brief, &[rejection(1, "fp-new")]);
    assert_eq!(rules(&report), [GuardRule::RejectedFingerprint]);
    assert!(report.blocked);
    // SMS and LinkedIn get every rule.
    assert!(run(&s, Channel::Sms, brief, &[]).blocked);
    assert!(run(&s, Channel::Linkedin, brief, &[]).blocked);
}

#[test]
fn opener_skips_greetings() {
    for (body, expected) in [
        (
            "Hi Jo,\n\nI saw your 3.6 rating. More text.",
            "i saw your 3.6 rating",
        ),
        ("Hi Jo, I saw your rating! More.", "i saw your rating"),
        ("Hello Jo - saw   your\treviews? More.", "saw your reviews"),
        ("Hello Jo \u{2014} saw your reviews.", "saw your reviews"),
        ("Jo,\nSaw your reviews.", "saw your reviews"),
        ("Jo, saw your reviews.", "saw your reviews"),
        ("Jo Lee,\n\nSaw your reviews.", "saw your reviews"),
        ("Good morning Jo!\nSaw your reviews", "saw your reviews"),
        ("Dear Mr. Lee,\n\nSaw your reviews.", "saw your reviews"),
        ("Hey\nSaw your reviews.", "saw your reviews"),
        ("Saw your reviews. Then more.", "saw your reviews"),
        (
            "Quick question, do you answer reviews?",
            "quick question, do you answer reviews",
        ),
        ("Quick question,\nDo you answer reviews?", "quick question"),
        (
            "  \n\nHi Jo,\n\n\u{201C}Saw your reviews\u{201D}\u{2026}",
            "saw your reviews",
        ),
        ("", ""),
        ("Hi Jo,", ""),
    ] {
        assert_eq!(opener(body), expected, "{body:?}");
    }
}

#[test]
fn a_long_opener_is_cut_at_a_word() {
    let body = format!("Hi Jo, {}", "reviews matter ".repeat(20));
    let o = opener(&body);
    assert!(o.chars().count() <= 80, "{o}");
    assert!(o.ends_with("reviews") || o.ends_with("matter"), "{o}");
}

#[test]
fn evidence_matches_whole_words() {
    let lead = lead();
    let found = |body: &str| evidence(None, body, &lead);
    assert_eq!(found("Joe's shop"), Vec::<String>::new());
    assert_eq!(found("Hi JO!"), ["first_name"]);
    assert_eq!(found("QUILL WIDGETS llc"), ["company"]);
    assert_eq!(found("quill widgets' reviews"), ["company"]);
    assert_eq!(found("Quill Widgetsville"), Vec::<String>::new());
    assert_eq!(found("in Phoenix, AZ"), ["city", "state"]);
    // A state code counts only in capitals: "az" is not Arizona.
    assert_eq!(found("az"), Vec::<String>::new());
    assert_eq!(
        found("as a service manager in auto repair"),
        ["title", "industry"]
    );
    assert_eq!(found("a 3.6 rating."), ["rating"]);
    assert_eq!(found("13.6 or 3.65 or 3.6.1"), Vec::<String>::new());
    assert_eq!(found("1,234 Google reviews"), ["review_count"]);
    assert_eq!(found("reviews: 1234"), ["review_count"]);
    // A bare number is not a review count.
    assert_eq!(found("1234 widgets sold"), Vec::<String>::new());
}

#[test]
fn evidence_of_whole_ratings_and_spelled_states() {
    let lead = Lead {
        rating: Some(5.0),
        state: Some("Arizona".into()),
        ..lead()
    };
    assert_eq!(
        evidence(Some("5 stars in arizona"), "", &lead),
        ["state", "rating"]
    );
    assert_eq!(evidence(None, "a 5.0 rating", &lead), ["rating"]);
    assert_eq!(evidence(None, "5 locations", &lead), Vec::<String>::new());
}

fn body_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,300}",
        prop::collection::vec(
            prop::sample::select(vec![
                "Hi", "Jo", ",", "\n", "Quill", "Widgets", "Phoenix", "3.6", "1,234", "reviews",
                "quick", "question", "synergy", "leverage", "touch", "base", "I", "hope", ".",
                "saw", "your", "-", "!", "AZ",
            ]),
            0..60,
        )
        .prop_map(|w| w.join(" ")),
    ]
}

fn rejections_strategy() -> impl Strategy<Value = Vec<Rejection>> {
    prop::collection::vec(
        (
            -2i64..60,
            prop::sample::select(vec!["fp-new", "fp-a", "fp-b"]),
        ),
        0..5,
    )
    .prop_map(|v| v.into_iter().map(|(d, fp)| rejection(d, fp)).collect())
}

fn mode_strategy() -> impl Strategy<Value = GuardMode> {
    prop::sample::select(vec![GuardMode::Off, GuardMode::Soft, GuardMode::Hard])
}

proptest! {
    #[test]
    fn check_is_deterministic(
        body in body_strategy(),
        subject in prop::option::of("\\PC{0,40}"),
        mode in mode_strategy(),
        channel in prop::sample::select(Channel::ALL.to_vec()),
        rejections in rejections_strategy(),
    ) {
        let s = GuardSettings { mode, ..GuardSettings::default() };
        let a = check(&s, channel, subject.as_deref(), &body, "fp-new", &lead(), &rejections, now());
        let b = check(&s, channel, subject.as_deref(), &body, "fp-new", &lead(), &rejections, now());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn off_finds_nothing_and_soft_never_blocks(
        body in body_strategy(),
        channel in prop::sample::select(Channel::ALL.to_vec()),
        rejections in rejections_strategy(),
    ) {
        let base = GuardSettings::default();
        let off = GuardSettings { mode: GuardMode::Off, ..base.clone() };
        let soft = GuardSettings { mode: GuardMode::Soft, ..base.clone() };
        let off = run(&off, channel, &body, &rejections);
        prop_assert!(off.findings.is_empty() && !off.blocked);
        let soft = run(&soft, channel, &body, &rejections);
        prop_assert!(!soft.blocked);
        // Soft finds exactly what Hard finds; only the verdict differs.
        let hard = run(&base, channel, &body, &rejections);
        prop_assert_eq!(&soft.findings, &hard.findings);
        prop_assert_eq!(hard.blocked, !hard.findings.is_empty());
    }

    #[test]
    fn a_banned_opener_in_front_of_any_body_is_found(
        banned in prop::sample::select(DEFAULT_BANNED_OPENERS.to_vec()),
        greeting in prop::sample::select(vec!["", "Hi Jo,\n\n", "Hello Jo - ", "Jo,\n", "Dear Jo, "]),
        body in body_strategy(),
        channel in prop::sample::select(vec![Channel::Email, Channel::Sms, Channel::Linkedin]),
        mode in prop::sample::select(vec![GuardMode::Soft, GuardMode::Hard]),
    ) {
        let s = GuardSettings { mode, ..GuardSettings::default() };
        let draft = format!("{greeting}{banned} {body}");
        let report = run(&s, channel, &draft, &[]);
        prop_assert!(rules(&report).contains(&GuardRule::BannedOpener), "{:?}", draft);
    }

    /// With the word count fixed, turning one more neutral word into a
    /// generic one never takes a GenericPhrases finding away.
    #[test]
    fn more_generic_words_never_remove_the_density_finding(
        generic in prop::collection::vec(any::<bool>(), 1..150),
        flip in any::<prop::sample::Index>(),
        max in 0.0f64..20.0,
    ) {
        let s = GuardSettings { max_generic_per_100_words: max, ..GuardSettings::default() };
        let body = |g: &[bool]| {
            g.iter()
                .enumerate()
                .map(|(i, &g)| if g { ["synergy", "robust", "leverage"][i % 3] } else { "widget" })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let has = |g: &[bool]| {
            let report = check(&s, Channel::Email, None, &body(g), "fp", &lead(), &[], now());
            rules(&report).contains(&GuardRule::GenericPhrases)
        };
        let mut more = generic.clone();
        more[flip.index(generic.len())] = true;
        prop_assert!(!has(&generic) || has(&more));
    }

    #[test]
    fn an_opener_is_short_and_trimmed(body in "\\PC{0,400}") {
        let o = opener(&body);
        prop_assert!(o.chars().count() <= OPENER_CHARS);
        prop_assert_eq!(o.trim(), o.as_str());
    }
}
