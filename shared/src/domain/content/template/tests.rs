//! Tests of the parent module.

use super::*;
use crate::domain::dispatch::sequence::{default_sequence, email_linkedin_cadence};
use crate::domain::ids::TenantId;

fn config() -> TenantConfig {
    TenantConfig::default_for(
        TenantId::parse("acme").unwrap(),
        "Acme",
        "2026-11-02".parse().unwrap(),
    )
}

fn compliance() -> Compliance {
    Compliance {
        physical_address: "100 Example St, Austin TX".into(),
        sender_company: "Northwind".into(),
        unsubscribe_url: "https://u.example/unsubscribe/tok".into(),
        unsubscribe_mailto: "mailto:unsubscribe@u.example?subject=tok".into(),
    }
}

fn lead(id: &str) -> Lead {
    Lead {
        tenant: "acme".into(),
        id: id.into(),
        first_name: Some("Jo".into()),
        company: Some("Desert Motors".into()),
        city: Some("Phoenix".into()),
        rating: Some(3.6),
        reviews: Some(48),
        email: Some("jo@desert.example".into()),
        phone: Some("+16025550100".into()),
        linkedin_url: Some("https://linkedin.example/in/jo".into()),
        tier: Some(Tier::Tier2),
        ..Default::default()
    }
}

fn finish_email(d: &Draft) -> Message {
    finish(
        d,
        &Finish {
            channel: Channel::Email,
            compliance: &compliance(),
            first_sms: false,
            sms_max_segments: 2,
            call_facts: None,
        },
    )
    .unwrap()
}

#[test]
fn email_carries_footer_and_one_click_headers() {
    let c = config();
    let l = lead("l1");
    let step = &c.sequence[0];
    let t = c.templates.candidates(step, Channel::Email, l.tier, None)[0];
    assert_eq!(t.id, "email-intro");
    let d = render(t, (Some(0), 0), &variables(&c, &l)).unwrap();
    assert!(d.body.starts_with("Hi Jo,"));
    assert_eq!(
        d.subject.as_deref(),
        Some("Desert Motors's 48 Google reviews")
    );
    let m = finish_email(&d);
    assert_eq!(
        compliance_problem(&m, Channel::Email, &compliance(), false),
        None
    );
    assert_eq!(
        m.headers["List-Unsubscribe"],
        "<https://u.example/unsubscribe/tok>, <mailto:unsubscribe@u.example?subject=tok>"
    );
    assert_eq!(core_text(&m.body), d.body);
}

#[test]
fn a_missing_variable_blocks_and_names_the_variable() {
    let c = config();
    let mut l = lead("l1");
    l.first_name = Some("  ".into());
    let t = c.templates.get("email-intro").unwrap();
    let err = render(t, (Some(0), 0), &variables(&c, &l)).unwrap_err();
    assert!(err.is_missing_variable());
    assert!(err.to_string().contains("first_name"), "{err}");
    assert!(err.to_string().contains("subject[0]") || err.to_string().contains("body[0]"));
}

#[test]
fn candidates_prefer_the_step_tier_and_offer_specific_template() {
    let c = config();
    let voice = &c.sequence[1];
    let ids = |tier| {
        c.templates
            .candidates(voice, Channel::Voice, tier, Some("reviews"))
            .iter()
            .map(|t| t.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(Some(Tier::Tier1)), ["voice-brief-tier1", "voice-brief"]);
    assert_eq!(ids(Some(Tier::Tier2)), ["voice-brief"]);
    // A voice step that fell back to email gets the generic follow-up.
    let email: Vec<_> = c
        .templates
        .candidates(voice, Channel::Email, Some(Tier::Tier2), None)
        .iter()
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(
        email,
        ["email-follow-up", "email-follow-up-2", "email-follow-up-3"]
    );
}

#[test]
fn every_step_of_both_cadences_renders_for_a_full_lead() {
    let c = config();
    let l = lead("l9");
    let vars = variables(&c, &l);
    for seq in [default_sequence(), email_linkedin_cadence()] {
        for step in &seq {
            let t = c.templates.candidates(step, step.channel, l.tier, None);
            assert!(!t.is_empty(), "no template for {step:?}");
            let d = render(t[0], assign_variants(&l, t[0]), &vars).unwrap();
            assert!(unfilled_placeholder(&d.body).is_none());
        }
    }
    c.templates.validate().unwrap();
}

#[test]
fn validation_names_unknown_variables_and_missing_subjects() {
    let mut set = TemplateSet::default();
    set.templates[0].body[1] = "Hi {{ frist_name }}".into();
    let (field, reason) = set.validate().unwrap_err();
    assert_eq!(field, "templates[0].body[1]");
    assert!(reason.contains("frist_name"), "{reason}");
    let mut set = TemplateSet::default();
    set.templates[0].subject.clear();
    assert_eq!(set.validate().unwrap_err().0, "templates[0].subject");
    let mut set = TemplateSet::default();
    set.templates[1].body[0] = "{% if %}".into();
    assert_eq!(set.validate().unwrap_err().0, "templates[1].body[0]");
}

#[test]
fn templates_that_would_spin_or_balloon_are_refused_and_never_rendered() {
    // A string iterates by character: three nested loops over a company
    // name are millions of steps.
    let spin = "{% for a in company %}{% for b in company %}{% for c in company %}{{ first_name }}{% endfor %}{% endfor %}{% endfor %}";
    let balloon = "{{ first_name * 100000000 }}";
    for (source, why) in [(spin, "steps"), (balloon, "multiplication")] {
        let mut set = TemplateSet::default();
        set.templates[1].body[0] = source.into();
        let started = std::time::Instant::now();
        let (field, reason) = set.validate().unwrap_err();
        assert_eq!(field, "templates[1].body[0]", "{reason}");
        assert!(reason.contains(why), "{reason}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // A template stored before these checks fails its lead's draft,
        // quickly, with a reason; it never hangs or eats the memory.
        let vars: BTreeMap<String, String> = [
            ("first_name".to_string(), "Jo".to_string()),
            ("company".to_string(), "Desert Motors of Phoenix ".repeat(8)),
        ]
        .into();
        let err = render(&set.templates[1], (None, 0), &vars).unwrap_err();
        assert!(
            matches!(err, RenderError::Limit { .. } | RenderError::Render { .. }),
            "{err}"
        );
    }
}

#[test]
fn variants_are_stable_and_balanced_over_10000_leads() {
    let c = config();
    let t = c.templates.get("email-intro").unwrap();
    let mut subject = [0usize; 2];
    let mut body = [0usize; 2];
    let mut both = [[0usize; 2]; 2];
    for i in 0..10_000 {
        let l = lead(&format!("lead-{i}"));
        let (s, b) = assign_variants(&l, t);
        assert_eq!((s, b), assign_variants(&l, t), "stable for a lead");
        let s = s.unwrap();
        subject[s] += 1;
        body[b] += 1;
        both[s][b] += 1;
    }
    for counts in [subject, body] {
        for n in counts {
            assert!(
                (4_800..=5_200).contains(&n),
                "{counts:?} is not within 2% of even"
            );
        }
    }
    // Subject and body are assigned independently: each pair ~2,500.
    for row in both {
        for n in row {
            assert!((2_350..=2_650).contains(&n), "{both:?}");
        }
    }
}

#[test]
fn first_sms_gets_opt_out_and_the_segment_limit_holds() {
    let d = Draft {
        subject: None,
        body: "Hi Jo, Sam here \u{2014} still worth a chat?".into(),
        template_id: "sms".into(),
        subject_variant: None,
        body_variant: 0,
    };
    let c = compliance();
    let f = |first_sms, max| Finish {
        channel: Channel::Sms,
        compliance: &c,
        first_sms,
        sms_max_segments: max,
        call_facts: None,
    };
    let m = finish(&d, &f(true, 1)).unwrap();
    assert!(m.body.ends_with("Reply STOP to opt out."), "{}", m.body);
    assert!(m.body.contains(" - "), "em dash made GSM-safe: {}", m.body);
    assert_eq!(
        compliance_problem(&m, Channel::Sms, &compliance(), true),
        None
    );
    let plain = finish(&d, &f(false, 1)).unwrap();
    assert!(compliance_problem(&plain, Channel::Sms, &compliance(), true).is_some());
    let long = Draft {
        body: "x".repeat(200),
        ..d
    };
    let err = finish(&long, &f(false, 1)).unwrap_err();
    assert!(err.to_string().contains("2 segments"), "{err}");
}

#[test]
fn approval_checks_catch_holes_missing_footer_and_headers() {
    let c = config();
    let l = lead("l1");
    let t = c.templates.get("email-value").unwrap();
    let m = finish_email(&render(t, (Some(0), 0), &variables(&c, &l)).unwrap());
    let problem = |m: &Message| compliance_problem(m, Channel::Email, &compliance(), false);
    assert_eq!(problem(&m), None);
    let mut hole = m.clone();
    hole.body = hole.body.replacen("Jo", "{first_name}", 1);
    assert!(problem(&hole).unwrap().contains("unfilled variable"));
    let mut bracket = m.clone();
    bracket.subject = Some("hello [First Name]".into());
    assert!(problem(&bracket).unwrap().contains("subject"));
    let mut no_footer = m.clone();
    no_footer.body = core_text(&m.body).to_string();
    assert_eq!(problem(&no_footer).unwrap(), "footer is missing");
    let mut no_header = m.clone();
    no_header.headers.remove("List-Unsubscribe-Post");
    assert!(problem(&no_header)
        .unwrap()
        .contains("List-Unsubscribe-Post"));
    let mut https_only = m.clone();
    https_only.headers.insert(
        "List-Unsubscribe".into(),
        "<https://u.example/unsubscribe/tok>".into(),
    );
    assert!(problem(&https_only).unwrap().contains("mailto"));
    assert_eq!(unfilled_placeholder("Prices [2026] and <b>"), None);
}

#[test]
fn voice_steps_produce_a_call_brief() {
    let c = config();
    let mut l = lead("l1");
    l.title = Some("Owner".into());
    let t = c.templates.get("voice-brief").unwrap();
    let d = render(t, (None, 0), &variables(&c, &l)).unwrap();
    let m = finish(
        &d,
        &Finish {
            channel: Channel::Voice,
            compliance: &compliance(),
            first_sms: false,
            sms_max_segments: 2,
            call_facts: Some(call_facts(&l, &c)),
        },
    )
    .unwrap();
    assert!(
        m.body.starts_with("CALL BRIEF: Jo, Owner at Desert Motors"),
        "{}",
        m.body
    );
    assert!(m.body.contains("3.6 stars over 48 Google reviews"));
    assert!(m.body.contains("Talking points:\nOpening:"));
}

#[test]
fn a_call_brief_says_which_line_is_dialled_and_the_extension() {
    let c = config();
    let mut l = lead("l1");
    l.phone = Some("+13035550103".into());
    l.phone_ext = Some("12".into());
    let facts = call_facts(&l, &c);
    assert!(
        facts.contains("Phone: +13035550103 ext. 12 (direct)"),
        "{facts}"
    );
    l.phone = None;
    l.company_phone = Some("+13035550100".into());
    let facts = call_facts(&l, &c);
    assert!(
        facts.contains("Phone: +13035550100 (company line: ask for Jo)"),
        "{facts}"
    );
}

#[test]
fn linkedin_connection_notes_keep_to_300_characters() {
    let c = config();
    let mut l = lead("l1");
    l.company = Some("A".repeat(300));
    let t = c.templates.get("linkedin-connect").unwrap();
    let err = render(t, (None, 0), &variables(&c, &l)).unwrap_err();
    assert!(err.to_string().contains("limit of 300"), "{err}");
}

proptest::proptest! {
    /// Any lead, any number of variants: the bucket is in range and the
    /// same every time it is asked.
    #[test]
    fn variant_buckets_are_in_range_and_stable(lead in "[a-z0-9]{1,20}", tenant in "[a-z]{1,10}", n in 1usize..8) {
        let b = bucket(&[&tenant, &lead, "t", "body"], n);
        proptest::prop_assert!(b < n);
        proptest::prop_assert_eq!(b, bucket(&[&tenant, &lead, "t", "body"], n));
    }

    /// Whatever a lead's fields hold, a rendered and finished email either
    /// passes the approval checks or was refused by name: never a hole.
    #[test]
    fn rendered_emails_never_carry_a_hole(first in "[A-Za-z]{0,8}", company in "[A-Za-z ]{0,12}", city in "[A-Za-z]{0,8}") {
        let c = config();
        let mut l = lead("p");
        l.first_name = Some(first);
        l.company = Some(company);
        l.city = Some(city);
        for t in &c.templates.templates {
            if t.channel != Channel::Email {
                continue;
            }
            if let Ok(d) = render(t, assign_variants(&l, t), &variables(&c, &l)) {
                let m = finish_email(&d);
                proptest::prop_assert_eq!(compliance_problem(&m, Channel::Email, &compliance(), false), None);
            }
        }
    }
}

#[test]
fn old_single_string_templates_still_load() {
    let t: MessageTemplate = serde_json::from_value(serde_json::json!({
        "id": "x", "step": 1, "channel": "email", "subject": "s {{ company }}", "body": "b"
    }))
    .unwrap();
    assert_eq!(t.subject, ["s {{ company }}"]);
    assert_eq!(t.body, ["b"]);
}
