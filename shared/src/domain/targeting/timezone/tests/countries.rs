//! The country table: common B2B countries, ISO keys, and the US/Canada fallback against
//! phone area codes.

use super::*;
use chrono_tz::{Africa, America, Asia, Australia, Europe, Pacific};
use std::collections::HashSet;

#[test]
fn given_common_b2b_countries_when_looking_up_then_each_resolves() {
    let cases = [
        ("UK", Europe::London),
        ("GB", Europe::London),
        ("United Kingdom", Europe::London),
        ("IE", Europe::Dublin),
        ("DE", Europe::Berlin),
        ("Deutschland", Europe::Berlin),
        ("FR", Europe::Paris),
        ("The Netherlands", Europe::Amsterdam),
        ("ES", Europe::Madrid),
        ("IT", Europe::Rome),
        ("PT", Europe::Lisbon),
        ("SE", Europe::Stockholm),
        ("NO", Europe::Oslo),
        ("DK", Europe::Copenhagen),
        ("FI", Europe::Helsinki),
        ("PL", Europe::Warsaw),
        ("CH", Europe::Zurich),
        ("AT", Europe::Vienna),
        ("BE", Europe::Brussels),
        ("NZ", Pacific::Auckland),
        ("SG", Asia::Singapore),
        ("IN", Asia::Kolkata),
        ("JP", Asia::Tokyo),
        ("ZA", Africa::Johannesburg),
        ("AE", Asia::Dubai),
        ("UAE", Asia::Dubai),
        ("IL", Asia::Jerusalem),
        ("BR", America::Sao_Paulo),
        ("MX", America::Mexico_City),
        ("AR", America::Argentina::Buenos_Aires),
        ("CL", America::Santiago),
        ("CO", America::Bogota),
        ("US", America::New_York),
        ("usa", America::New_York),
        ("U.S.A.", America::New_York),
        ("United States of America", America::New_York),
        ("ca", America::Toronto),
        ("AU", Australia::Sydney),
    ];
    for (input, tz) in cases {
        assert_eq!(country_timezone(input), Some(tz), "{input}");
    }
    assert!(COUNTRIES.len() >= 40, "{} countries", COUNTRIES.len());
    assert_eq!(country_timezone("Atlantis"), None);
}

#[test]
fn given_country_table_when_checking_keys_then_each_is_an_iso_country_once() {
    let mut seen = HashSet::new();
    for entry in COUNTRIES {
        assert!(seen.insert(entry.alpha2), "{} twice", entry.alpha2);
        assert_eq!(
            crate::domain::targeting::geo::country_code(entry.alpha2),
            Some(entry.alpha2.to_ascii_uppercase().as_str()),
            "{} is not an ISO 3166 alpha-2 code",
            entry.alpha2
        );
    }
}

#[test]
fn given_region_tables_when_checking_keys_then_they_are_normalized_and_unique() {
    for table in [US_STATES, CANADIAN_PROVINCES, AUSTRALIAN_STATES] {
        let mut seen = HashSet::new();
        for entry in table {
            for key in std::iter::once(&entry.code).chain(entry.names) {
                assert!(seen.insert(*key), "duplicate region key {key}");
                assert_eq!(normalize(key), *key, "key {key} is not normalized");
            }
        }
    }
}

#[test]
fn given_us_or_canada_without_region_or_phone_when_resolving_then_documented_fallback() {
    let cases = [
        ("US", America::New_York),
        ("Canada", America::Toronto),
        ("Australia", Australia::Sydney),
    ];
    for (country, tz) in cases {
        let resolved = resolve(LocationHints {
            country: Some(country),
            ..Default::default()
        });
        assert_eq!(resolved.tz, tz, "{country}");
        assert_eq!(resolved.source, TimezoneSource::Country, "{country}");
    }
}

#[test]
fn given_us_country_and_arizona_phone_when_resolving_then_area_code_beats_the_fallback() {
    let resolved = resolve(LocationHints {
        country: Some("US"),
        phone: Some("602-555-0100"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::Phoenix);
    assert_eq!(resolved.source, TimezoneSource::PhoneAreaCode);
}

#[test]
fn given_us_country_and_toll_free_phone_when_resolving_then_country_fallback_is_used() {
    let resolved = resolve(LocationHints {
        country: Some("US"),
        phone: Some("1-800-555-0100"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::New_York);
    assert_eq!(resolved.source, TimezoneSource::Country);
}
