//! Tests of the parent module.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, h, m, s).unwrap()
}

fn lead() -> Lead {
    Lead {
        tenant: "t1".into(),
        id: "lead-1".into(),
        first_name: Some("Avery".into()),
        last_name: Some("Quill".into()),
        company: Some("Quill Widgets".into()),
        company_domain: Some("quill-widgets.example".into()),
        created_at: at(9, 0, 0),
        updated_at: at(9, 0, 0),
        ..Default::default()
    }
}

fn full_patch() -> EnrichmentPatch {
    EnrichmentPatch {
        email: Some(" Avery.Quill@Quill-Widgets.example ".into()),
        email_status: Some("Verified".into()),
        title: Some("Head of Operations".into()),
        seniority: Some("Head".into()),
        phone: Some("(602) 555-0134".into()),
        linkedin_url: Some("https://www.linkedin.com/in/avery-quill-example".into()),
        employees: Some(42),
        city: Some("Phoenix".into()),
        state: Some("Arizona".into()),
        country: Some("United States".into()),
        hq_timezone: Some("america/phoenix".into()),
        company: Some("Quill Widgets LLC".into()),
        company_domain: Some("https://www.other.example/about".into()),
        industry: Some("Manufacturing".into()),
    }
}

#[test]
fn given_a_sparse_lead_when_asking_what_is_missing_then_every_gap_is_named() {
    let missing = Missing::of(&lead());
    assert_eq!(
        missing.names(),
        vec![
            "email",
            "title",
            "phone",
            "linkedin_url",
            "employees",
            "hq_location",
            "timezone"
        ]
    );
    assert_eq!(
        missing.to_string(),
        "email, title, phone, linkedin_url, employees, hq_location, timezone"
    );
}

#[test]
fn given_blank_strings_when_asking_what_is_missing_then_blank_counts_as_missing() {
    let mut l = lead();
    l.email = Some("  ".into());
    l.state = Some("AZ".into());
    l.hq_timezone = Some("America/Phoenix".into());
    let missing = Missing::of(&l);
    assert!(missing.email);
    assert!(!missing.hq_location, "a state alone is a location");
    assert!(!missing.timezone);
}

#[test]
fn given_a_complete_lead_when_asking_what_is_missing_then_nothing_is() {
    let mut l = lead();
    apply_patch(&mut l, &full_patch());
    assert!(Missing::of(&l).is_empty());
    assert_eq!(Missing::of(&l).to_string(), "");
}

#[test]
fn given_a_lead_when_building_the_query_then_only_non_blank_identifiers_are_sent() {
    let mut l = lead();
    l.email = Some(" ".into());
    l.linkedin_url = Some(" https://www.linkedin.com/in/avery ".into());
    let q = EnrichmentQuery::from_lead(&l);
    assert_eq!(
        q,
        EnrichmentQuery {
            first_name: Some("Avery".into()),
            last_name: Some("Quill".into()),
            email: None,
            company: Some("Quill Widgets".into()),
            company_domain: Some("quill-widgets.example".into()),
            linkedin_url: Some("https://www.linkedin.com/in/avery".into()),
            phone: None,
        }
    );
    assert_eq!(q.full_name().as_deref(), Some("Avery Quill"));
}

#[test]
fn given_an_empty_lead_when_applying_a_patch_then_every_field_is_filled_in_canonical_form() {
    let mut l = lead();
    l.company = None;
    l.company_domain = None;
    let filled = apply_patch(&mut l, &full_patch());
    assert_eq!(
        l.email.as_deref(),
        Some("avery.quill@quill-widgets.example")
    );
    assert_eq!(l.email_status.as_deref(), Some("verified"));
    assert_eq!(l.seniority.as_deref(), Some("head"));
    assert_eq!(l.phone.as_deref(), Some("+16025550134"));
    assert_eq!(l.hq_timezone.as_deref(), Some("America/Phoenix"));
    assert_eq!(l.company_domain.as_deref(), Some("other.example"));
    assert_eq!(l.employees, Some(42));
    assert_eq!(
        filled,
        vec![
            "email",
            "email_status",
            "title",
            "seniority",
            "phone",
            "linkedin_url",
            "city",
            "state",
            "country",
            "hq_timezone",
            "company",
            "company_domain",
            "industry",
            "employees"
        ]
    );
}

#[test]
fn given_imported_values_when_applying_a_patch_then_they_are_never_overwritten() {
    let mut l = lead();
    l.email = Some("avery@quill-widgets.example".into());
    l.title = Some("Owner".into());
    l.employees = Some(7);
    let filled = apply_patch(&mut l, &full_patch());
    assert_eq!(l.email.as_deref(), Some("avery@quill-widgets.example"));
    assert_eq!(l.title.as_deref(), Some("Owner"));
    assert_eq!(l.employees, Some(7));
    assert_eq!(l.company.as_deref(), Some("Quill Widgets"));
    assert_eq!(l.company_domain.as_deref(), Some("quill-widgets.example"));
    assert!(!filled.contains(&"email"));
    assert!(!filled.contains(&"title"));
    assert!(!filled.contains(&"employees"));
    assert!(
        !filled.contains(&"email_status"),
        "the status describes another address than the lead's"
    );
}

#[test]
fn given_invalid_values_when_applying_a_patch_then_they_are_dropped() {
    let mut l = lead();
    let patch = EnrichmentPatch {
        email: Some("not-an-email".into()),
        email_status: Some("verified".into()),
        phone: Some("555".into()),
        hq_timezone: Some("Mars/Olympus_Mons".into()),
        employees: Some(0),
        title: Some("   ".into()),
        ..Default::default()
    };
    assert!(apply_patch(&mut l, &patch).is_empty());
    assert_eq!(l.email, None);
    assert_eq!(l.email_status, None);
    assert_eq!(l.phone, None);
    assert_eq!(l.hq_timezone, None);
    assert_eq!(l.employees, None);
    assert_eq!(l.title, None);
}

#[test]
fn given_a_lead_in_another_country_when_applying_a_patch_then_its_location_is_not_mixed() {
    let mut l = lead();
    l.country = Some("Canada".into());
    let filled = apply_patch(&mut l, &full_patch());
    assert_eq!(l.city, None);
    assert_eq!(l.state, None);
    assert_eq!(l.country.as_deref(), Some("Canada"));
    assert!(!filled.contains(&"city"));
}

#[test]
fn given_a_lead_with_only_its_country_when_the_patch_agrees_then_city_and_state_are_filled() {
    let mut l = lead();
    l.country = Some("united states".into());
    let filled = apply_patch(&mut l, &full_patch());
    assert_eq!(l.city.as_deref(), Some("Phoenix"));
    // A provider's "Arizona" is stored as the ISO subdivision code.
    assert_eq!(l.state.as_deref(), Some("AZ"));
    assert_eq!(l.country.as_deref(), Some("united states"));
    assert!(filled.contains(&"state") && !filled.contains(&"country"));
}

#[test]
fn given_the_lead_email_when_the_patch_confirms_it_then_its_status_is_taken() {
    let mut l = lead();
    l.email = Some("avery.quill@quill-widgets.example".into());
    let filled = apply_patch(&mut l, &full_patch());
    assert_eq!(l.email_status.as_deref(), Some("verified"));
    assert!(filled.contains(&"email_status") && !filled.contains(&"email"));
}

#[test]
fn given_patches_when_asking_if_empty_then_only_a_patch_with_nothing_usable_is() {
    assert!(EnrichmentPatch::default().is_empty());
    assert!(EnrichmentPatch {
        title: Some(" ".into()),
        employees: Some(0),
        ..Default::default()
    }
    .is_empty());
    assert!(!EnrichmentPatch {
        employees: Some(3),
        ..Default::default()
    }
    .is_empty());
}

#[test]
fn given_lookups_when_serialised_then_the_outcome_is_tagged() {
    let pending = Lookup::Pending {
        job_id: "job-1".into(),
    };
    let json = serde_json::to_value(&pending).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"outcome": "pending", "job_id": "job-1"})
    );
    assert_eq!(serde_json::from_value::<Lookup>(json).unwrap(), pending);
}

#[test]
fn given_provider_errors_then_only_rate_limits_and_outages_are_retryable() {
    assert!(ProviderError::RateLimited { retry_after: None }.is_retryable());
    assert!(ProviderError::Unavailable("503".into()).is_retryable());
    assert!(!ProviderError::Rejected("401".into()).is_retryable());
    assert!(!ProviderError::Malformed("eof".into()).is_retryable());
    assert!(!ProviderError::CircuitOpen { until: at(9, 0, 0) }.is_retryable());
    assert_eq!(
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(2))
        }
        .to_string(),
        "rate limited, retry after 2000 ms"
    );
}

#[test]
fn given_no_retry_after_when_computing_delays_then_they_double_up_to_the_cap() {
    let p = RetryPolicy {
        max_retries: 8,
        base: Duration::from_millis(500),
        max_delay: Duration::from_secs(5),
    };
    let delays: Vec<_> = (0..9).map(|a| p.delay(a, None)).collect();
    let ms = |n| Some(Duration::from_millis(n));
    assert_eq!(
        delays,
        vec![
            ms(500),
            ms(1000),
            ms(2000),
            ms(4000),
            ms(5000),
            ms(5000),
            ms(5000),
            ms(5000),
            None
        ]
    );
}

#[test]
fn given_a_retry_after_when_computing_the_delay_then_it_is_honoured_or_the_call_gives_up() {
    let p = RetryPolicy::default();
    assert_eq!(
        p.delay(0, Some(Duration::from_secs(7))),
        Some(Duration::from_secs(7))
    );
    assert_eq!(p.delay(0, Some(Duration::from_secs(30))), Some(p.max_delay));
    assert_eq!(p.delay(0, Some(Duration::from_secs(31))), None);
    assert_eq!(p.delay(3, Some(Duration::from_secs(1))), None);
}

#[test]
fn given_retry_after_values_when_parsing_then_seconds_and_http_dates_are_understood() {
    let now = at(7, 27, 0);
    assert_eq!(
        parse_retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Sat, 21 Nov 2026 07:28:00 GMT", now),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        parse_retry_after("Sat, 21 Nov 2026 07:00:00 GMT", now),
        Some(Duration::ZERO),
        "a date in the past means retry now"
    );
    assert_eq!(parse_retry_after("-5", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("", now), None);
}

#[test]
fn given_failures_below_the_threshold_then_the_circuit_stays_closed() {
    let policy = CircuitPolicy::default();
    let mut c = CircuitState::default();
    for _ in 0..4 {
        c.record_failure(at(9, 0, 0), &policy);
    }
    assert!(c.allows(at(9, 0, 0)));
    c.record_success();
    assert_eq!(c, CircuitState::default());
}

#[test]
fn given_the_threshold_reached_then_the_circuit_opens_and_half_opens_after_the_period() {
    let policy = CircuitPolicy::default();
    let mut c = CircuitState::default();
    for _ in 0..5 {
        c.record_failure(at(9, 0, 0), &policy);
    }
    assert_eq!(c.opened_until, Some(at(9, 5, 0)));
    assert!(!c.allows(at(9, 4, 59)));
    assert!(c.allows(at(9, 5, 0)), "half-open: one trial may go");
}

#[test]
fn given_a_half_open_circuit_when_the_trial_fails_then_it_reopens_at_once() {
    let policy = CircuitPolicy::default();
    let mut c = CircuitState {
        consecutive_failures: 5,
        opened_until: Some(at(9, 5, 0)),
    };
    c.record_failure(at(9, 6, 0), &policy);
    assert_eq!(c.opened_until, Some(at(9, 11, 0)));
    assert!(!c.allows(at(9, 6, 1)));
}

#[test]
fn given_a_half_open_circuit_when_two_callers_ask_then_only_the_first_is_admitted() {
    let policy = CircuitPolicy::default();
    let mut c = CircuitState {
        consecutive_failures: 5,
        opened_until: Some(at(9, 5, 0)),
    };
    assert!(c.admit(at(9, 6, 0), &policy));
    assert!(!c.admit(at(9, 6, 0), &policy));
    c.record_success();
    assert!(c.admit(at(9, 6, 1), &policy));
}

#[test]
fn given_instants_when_keying_the_month_then_it_is_year_and_month() {
    assert_eq!(month_key(at(23, 59, 59)), "2026-11");
    assert_eq!(
        month_key(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
        "2027-01"
    );
}

#[test]
fn given_budgets_when_spending_then_the_limit_is_inclusive_and_none_is_unlimited() {
    assert!(budget_allows(99, 1, Some(100)));
    assert!(!budget_allows(100, 1, Some(100)));
    assert!(!budget_allows(u32::MAX, 1, Some(u32::MAX)));
    assert!(budget_allows(u32::MAX, 1, None));
    assert!(budget_allows(0, 0, Some(0)));
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        Just(Some("  ".into())),
        "[A-Za-z .@+()0-9/_-]{1,24}".prop_map(Some),
    ]
}

prop_compose! {
    fn any_patch()(
        email in prop_oneof![opt_text(), "[a-z]{1,8}@[a-z]{1,8}\\.example".prop_map(Some)],
        email_status in opt_text(), title in opt_text(), seniority in opt_text(),
        phone in prop_oneof![opt_text(), "\\+?[0-9]{8,12}".prop_map(Some)],
        linkedin_url in opt_text(), employees in proptest::option::of(0u32..100_000),
        city in opt_text(), state in opt_text(), country in opt_text(),
        hq_timezone in prop_oneof![opt_text(), Just(Some("Europe/Paris".to_string()))],
        company in opt_text(), company_domain in opt_text(), industry in opt_text(),
    ) -> EnrichmentPatch {
        EnrichmentPatch {
            email, email_status, title, seniority, phone, linkedin_url, employees,
            city, state, country, hq_timezone, company, company_domain, industry,
        }
    }
}

prop_compose! {
    fn any_lead()(
        email in opt_text(), email_status in opt_text(), title in opt_text(),
        seniority in opt_text(), phone in opt_text(), linkedin_url in opt_text(),
        employees in proptest::option::of(0u32..100_000),
        city in opt_text(), state in opt_text(), country in opt_text(),
        hq_timezone in opt_text(), company in opt_text(), company_domain in opt_text(),
        industry in opt_text(),
    ) -> Lead {
        Lead {
            email, email_status, title, seniority, phone, linkedin_url, employees,
            city, state, country, hq_timezone, company, company_domain, industry,
            ..lead()
        }
    }
}

fn text_fields(l: &Lead) -> [(&'static str, Option<String>); 13] {
    [
        ("email", l.email.clone()),
        ("email_status", l.email_status.clone()),
        ("title", l.title.clone()),
        ("seniority", l.seniority.clone()),
        ("phone", l.phone.clone()),
        ("linkedin_url", l.linkedin_url.clone()),
        ("city", l.city.clone()),
        ("state", l.state.clone()),
        ("country", l.country.clone()),
        ("hq_timezone", l.hq_timezone.clone()),
        ("company", l.company.clone()),
        ("company_domain", l.company_domain.clone()),
        ("industry", l.industry.clone()),
    ]
}

proptest! {
    #[test]
    fn apply_patch_never_overwrites_a_non_empty_field(l in any_lead(), patch in any_patch()) {
        let before = l.clone();
        let mut after = l;
        let filled = apply_patch(&mut after, &patch);
        for ((name, was), (_, now)) in text_fields(&before).into_iter().zip(text_fields(&after)) {
            if !blank(&was) {
                prop_assert_eq!(&was, &now, "{} was overwritten", name);
                prop_assert!(!filled.contains(&name));
            } else if was != now {
                prop_assert!(filled.contains(&name), "{} changed but was not reported", name);
            }
        }
        if before.employees.is_some() {
            prop_assert_eq!(before.employees, after.employees);
        }
        // A second application finds nothing more to fill.
        prop_assert!(apply_patch(&mut after.clone(), &patch).is_empty());
    }

    #[test]
    fn a_delay_never_exceeds_max_delay(
        attempt in 0u32..64,
        max_retries in 0u32..64,
        base_ms in 0u64..10_000,
        max_ms in 0u64..60_000,
        retry_after_ms in proptest::option::of(0u64..120_000),
    ) {
        let p = RetryPolicy {
            max_retries,
            base: Duration::from_millis(base_ms),
            max_delay: Duration::from_millis(max_ms),
        };
        let d = p.delay(attempt, retry_after_ms.map(Duration::from_millis));
        if let Some(d) = d {
            prop_assert!(d <= p.max_delay);
            prop_assert!(attempt < max_retries);
        }
    }

    #[test]
    fn the_circuit_never_allows_a_call_while_open(
        failures in 0u32..20,
        threshold in 1u32..10,
        offset_s in 0i64..600,
    ) {
        let policy = CircuitPolicy { failure_threshold: threshold, open_for: chrono::Duration::minutes(5) };
        let mut c = CircuitState::default();
        for _ in 0..failures {
            c.record_failure(at(9, 0, 0), &policy);
        }
        let later = at(9, 0, 0) + chrono::Duration::seconds(offset_s);
        let open = failures >= threshold && offset_s < 300;
        prop_assert_eq!(c.allows(later), !open);
    }
}
