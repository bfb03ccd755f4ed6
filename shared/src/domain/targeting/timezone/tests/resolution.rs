//! Resolution precedence: which hint wins (HQ zone, region, country, phone, tenant default),
//! the source each path reports, its serialised names, and properties over arbitrary hints.

use super::*;
use chrono_tz::{America, Asia, Australia, Europe, Pacific};
use proptest::prelude::*;

// --- The number knows better --------------------------------------------------------

#[test]
fn given_an_area_code_in_another_zone_than_its_state_when_resolving_then_the_area_code_wins() {
    let el_paso = resolve(LocationHints {
        country: Some("US"),
        region: Some("TX"),
        phone: Some("+19155550180"),
        ..Default::default()
    });
    assert_eq!(
        (el_paso.tz, el_paso.source),
        (America::Denver, TimezoneSource::PhoneAreaCode)
    );
    let by_name = resolve(LocationHints {
        region: Some("Texas"),
        phone: Some("(915) 555-0180"),
        ..Default::default()
    });
    assert_eq!(by_name.tz, America::Denver);
    // A Dallas number in Texas: the state's own zone.
    let dallas = resolve(LocationHints {
        region: Some("TX"),
        phone: Some("+12145550100"),
        ..Default::default()
    });
    assert_eq!(
        (dallas.tz, dallas.source),
        (America::Chicago, TimezoneSource::UsState)
    );
    // A mobile from another state says nothing about where the business is.
    let moved = resolve(LocationHints {
        region: Some("TX"),
        phone: Some("+12065550100"),
        ..Default::default()
    });
    assert_eq!(
        (moved.tz, moved.source),
        (America::Chicago, TimezoneSource::UsState)
    );
}

#[test]
fn given_only_an_international_number_when_resolving_then_its_country_gives_the_zone() {
    let sydney = resolve(LocationHints {
        phone: Some("+61293744000"),
        ..Default::default()
    });
    assert_eq!(sydney.tz, Australia::Sydney);
    let auckland = resolve(LocationHints {
        phone: Some("+64211234567"),
        ..Default::default()
    });
    assert_eq!(auckland.tz, Pacific::Auckland);
    let london = resolve(LocationHints {
        phone: Some("+442079460958"),
        ..Default::default()
    });
    assert_eq!(
        (london.tz, london.source),
        (Europe::London, TimezoneSource::PhoneCountry)
    );
}

#[test]
fn given_a_country_of_several_zones_when_the_number_has_an_area_code_then_it_picks_the_zone() {
    let perth = resolve(LocationHints {
        country: Some("Australia"),
        phone: Some("+61892223333"),
        ..Default::default()
    });
    assert_eq!(perth.tz, Australia::Perth);
    // Its own country's number only: a UK number does not move an
    // Australian lead.
    let mixed = resolve(LocationHints {
        country: Some("AU"),
        phone: Some("+442079460958"),
        ..Default::default()
    });
    assert_eq!(mixed.tz, Australia::Sydney);
}

// --- Source paths -------------------------------------------------------------------

#[test]
fn given_valid_hq_timezone_when_resolving_then_hq_wins_over_every_other_hint() {
    let resolved = resolve(LocationHints {
        hq_timezone: Some("America/Phoenix"),
        country: Some("Canada"),
        region: Some("Ontario"),
        phone: Some("+1 416 555 0100"),
    });
    assert_eq!(resolved.tz, America::Phoenix);
    assert_eq!(resolved.source, TimezoneSource::HqTimezone);
}

#[test]
fn given_hq_timezone_in_other_case_with_spaces_when_resolving_then_it_is_accepted() {
    let resolved = resolve(LocationHints {
        hq_timezone: Some("  america/phoenix "),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::Phoenix);
    assert_eq!(resolved.source, TimezoneSource::HqTimezone);
}

#[test]
fn given_invalid_hq_timezone_when_resolving_then_it_falls_through_to_the_region() {
    for bad in ["Mars/Olympus_Mons", "", "   ", "EST5EDT-ish", "America/"] {
        let resolved = resolve(LocationHints {
            hq_timezone: Some(bad),
            country: Some("US"),
            region: Some("AZ"),
            phone: None,
        });
        assert_eq!(resolved.tz, America::Phoenix, "hq {bad:?}");
        assert_eq!(resolved.source, TimezoneSource::UsState, "hq {bad:?}");
    }
}

#[test]
fn given_us_state_when_resolving_then_source_is_us_state() {
    let resolved = resolve(LocationHints {
        country: Some("United States"),
        region: Some("Texas"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::Chicago);
    assert_eq!(resolved.source, TimezoneSource::UsState);
}

#[test]
fn given_canadian_province_when_resolving_then_source_is_canadian_province() {
    let resolved = resolve(LocationHints {
        country: Some("CA"),
        region: Some("SK"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::Regina);
    assert_eq!(resolved.source, TimezoneSource::CanadianProvince);
}

#[test]
fn given_australian_state_when_resolving_then_source_is_australian_state() {
    let resolved = resolve(LocationHints {
        country: Some("Australia"),
        region: Some("Queensland"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, Australia::Brisbane);
    assert_eq!(resolved.source, TimezoneSource::AustralianState);
}

#[test]
fn given_single_zone_country_when_resolving_then_source_is_country() {
    let resolved = resolve(LocationHints {
        country: Some("United Kingdom"),
        region: Some("Greater London"),
        phone: Some("+44 20 7946 0958"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, Europe::London);
    assert_eq!(resolved.source, TimezoneSource::Country);
}

#[test]
fn given_only_a_nanp_phone_when_resolving_then_source_is_phone_area_code() {
    let resolved = resolve(LocationHints {
        phone: Some("+1 (602) 555-0100"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::Phoenix);
    assert_eq!(resolved.source, TimezoneSource::PhoneAreaCode);
}

#[test]
fn given_no_hints_when_resolving_then_tenant_default_is_used() {
    let resolved = resolve_timezone(&LocationHints::default(), Asia::Tokyo);
    assert_eq!(
        resolved,
        ResolvedTimezone {
            tz: Asia::Tokyo,
            source: TimezoneSource::TenantDefault
        }
    );
}

#[test]
fn given_unusable_hints_when_resolving_then_tenant_default_is_used() {
    let resolved = resolve(LocationHints {
        hq_timezone: Some("nope"),
        country: Some("Atlantis"),
        region: Some("AZ"),
        phone: Some("602-555-0100"),
    });
    assert_eq!(resolved.tz, DEFAULT);
    assert_eq!(resolved.source, TimezoneSource::TenantDefault);
}

// --- Serialised names ---------------------------------------------------------------

#[test]
fn given_snake_case_names_when_deserializing_timezone_source_then_variants_round_trip() {
    use serde::de::{value::Error, IntoDeserializer};
    use serde::Deserialize;
    let cases = [
        ("hq_timezone", TimezoneSource::HqTimezone),
        ("us_state", TimezoneSource::UsState),
        ("canadian_province", TimezoneSource::CanadianProvince),
        ("australian_state", TimezoneSource::AustralianState),
        ("country", TimezoneSource::Country),
        ("phone_area_code", TimezoneSource::PhoneAreaCode),
        ("tenant_default", TimezoneSource::TenantDefault),
    ];
    for (name, source) in cases {
        let parsed =
            TimezoneSource::deserialize(IntoDeserializer::<Error>::into_deserializer(name));
        assert_eq!(parsed, Ok(source), "{name}");
    }
    let camel =
        TimezoneSource::deserialize(IntoDeserializer::<Error>::into_deserializer("HqTimezone"));
    assert!(camel.is_err());
}

// --- Properties ---------------------------------------------------------------------

fn any_tz() -> impl Strategy<Value = Tz> {
    (0..TZ_VARIANTS.len()).prop_map(|i| TZ_VARIANTS[i])
}

fn any_hint() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<String>(),
        "[ +()0-9.a-zA-Z/_-]{0,24}",
        prop::sample::select(vec![
            "US".to_owned(),
            "WA".to_owned(),
            "+1 602 555 0100".to_owned(),
            "America/Phoenix".to_owned(),
            "tel:".to_owned(),
        ]),
    ])
}

proptest! {
    #[test]
    fn given_arbitrary_strings_when_resolving_then_it_never_panics(
        hq in any_hint(),
        country in any_hint(),
        region in any_hint(),
        phone in any_hint(),
        default in any_tz(),
    ) {
        let hints = LocationHints {
            hq_timezone: hq.as_deref(),
            country: country.as_deref(),
            region: region.as_deref(),
            phone: phone.as_deref(),
        };
        let resolved = resolve_timezone(&hints, default);
        if resolved.source == TimezoneSource::TenantDefault {
            prop_assert_eq!(resolved.tz, default);
        }
        if let Some(phone) = phone.as_deref() {
            let _ = nanp_area_code(phone);
        }
    }

    #[test]
    fn given_all_hints_none_when_resolving_then_default_is_returned(default in any_tz()) {
        let resolved = resolve_timezone(&LocationHints::default(), default);
        let expected = ResolvedTimezone { tz: default, source: TimezoneSource::TenantDefault };
        prop_assert_eq!(resolved, expected);
    }
}
