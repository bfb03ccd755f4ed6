//! Region rules and tables: US states, Canadian provinces and Australian states, ambiguous
//! codes and the documented split states.

use super::*;
use chrono_tz::{America, Australia, Europe, Pacific};

#[test]
fn given_region_without_country_when_code_is_unambiguous_then_region_is_used() {
    let cases = [
        ("AZ", America::Phoenix, TimezoneSource::UsState),
        (
            "Ontario",
            America::Toronto,
            TimezoneSource::CanadianProvince,
        ),
        ("NSW", Australia::Sydney, TimezoneSource::AustralianState),
        ("BC", America::Vancouver, TimezoneSource::CanadianProvince),
    ];
    for (region, tz, source) in cases {
        let resolved = resolve(LocationHints {
            region: Some(region),
            ..Default::default()
        });
        assert_eq!((resolved.tz, resolved.source), (tz, source), "{region}");
    }
}

#[test]
fn given_ambiguous_region_code_without_country_when_resolving_then_region_is_skipped() {
    for region in ["WA", "nt"] {
        let resolved = resolve(LocationHints {
            region: Some(region),
            ..Default::default()
        });
        assert_eq!(resolved.source, TimezoneSource::TenantDefault, "{region}");
    }
}

#[test]
fn given_ambiguous_region_code_with_country_when_resolving_then_country_disambiguates() {
    let cases = [
        ("US", "WA", America::Los_Angeles),
        ("Australia", "WA", Australia::Perth),
        ("AU", "NT", Australia::Darwin),
        ("Canada", "NT", America::Edmonton),
    ];
    for (country, region, tz) in cases {
        let resolved = resolve(LocationHints {
            country: Some(country),
            region: Some(region),
            ..Default::default()
        });
        assert_eq!(resolved.tz, tz, "{country}/{region}");
    }
}

#[test]
fn given_region_of_another_country_when_resolving_then_region_is_ignored() {
    // "CA" is California, but the lead is in Germany.
    let resolved = resolve(LocationHints {
        country: Some("DE"),
        region: Some("CA"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, Europe::Berlin);
    assert_eq!(resolved.source, TimezoneSource::Country);
}

#[test]
fn given_state_names_and_codes_in_any_case_when_looking_up_then_they_match() {
    for input in [
        "AZ",
        "az",
        "Az",
        " arizona ",
        "ARIZONA",
        "Arizona",
        "US-AZ",
        "us-az",
    ] {
        assert_eq!(
            us_state_timezone(input),
            Some(America::Phoenix),
            "{input:?}"
        );
    }
    for input in ["new  york", "New York", "NY", "ny"] {
        assert_eq!(
            us_state_timezone(input),
            Some(America::New_York),
            "{input:?}"
        );
    }
    for input in ["DC", "d.c.", "District of Columbia", "Washington, D.C."] {
        assert_eq!(
            us_state_timezone(input),
            Some(America::New_York),
            "{input:?}"
        );
    }
    assert_eq!(us_state_timezone("Hawaii"), Some(Pacific::Honolulu));
    assert_eq!(us_state_timezone("ak"), Some(America::Anchorage));
    assert_eq!(us_state_timezone("Puerto Rico"), Some(America::Puerto_Rico));
    assert_eq!(us_state_timezone("Bavaria"), None);
    assert_eq!(us_state_timezone(""), None);
}

#[test]
fn given_documented_split_states_when_looking_up_then_majority_zone_is_returned() {
    let cases = [
        ("Indiana", America::Indiana::Indianapolis),
        ("Kentucky", America::New_York),
        ("Tennessee", America::Chicago),
        ("Florida", America::New_York),
        ("Texas", America::Chicago),
        ("Idaho", America::Boise),
        ("Oregon", America::Los_Angeles),
        ("Nebraska", America::Chicago),
        ("Kansas", America::Chicago),
        ("North Dakota", America::Chicago),
        ("South Dakota", America::Chicago),
        ("Michigan", America::Detroit),
        ("Arizona", America::Phoenix),
        ("Hawaii", Pacific::Honolulu),
        ("Alaska", America::Anchorage),
    ];
    for (state, tz) in cases {
        assert_eq!(us_state_timezone(state), Some(tz), "{state}");
    }
}

#[test]
fn given_all_50_states_dc_and_pr_when_looking_up_by_code_then_each_resolves() {
    let codes = [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
        "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
        "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
        "VA", "WA", "WV", "WI", "WY", "DC", "PR",
    ];
    assert_eq!(codes.len(), 52);
    for code in codes {
        assert!(us_state_timezone(code).is_some(), "{code}");
    }
    for entry in US_STATES {
        for name in entry.names {
            assert_eq!(us_state_timezone(name), Some(entry.tz), "{name}");
        }
    }
}

#[test]
fn given_canadian_provinces_when_looking_up_then_documented_zones_are_returned() {
    let cases = [
        ("Saskatchewan", America::Regina),
        ("BC", America::Vancouver),
        ("British Columbia", America::Vancouver),
        ("Newfoundland and Labrador", America::St_Johns),
        ("NL", America::St_Johns),
        ("Alberta", America::Edmonton),
        ("Manitoba", America::Winnipeg),
        ("Québec", America::Toronto),
        ("quebec", America::Toronto),
        ("Nova Scotia", America::Halifax),
        ("PEI", America::Halifax),
        ("New Brunswick", America::Moncton),
        ("Yukon", America::Whitehorse),
        ("Nunavut", America::Iqaluit),
        ("ca-on", America::Toronto),
    ];
    for (province, tz) in cases {
        assert_eq!(canadian_province_timezone(province), Some(tz), "{province}");
    }
}

#[test]
fn given_australian_states_when_looking_up_then_documented_zones_are_returned() {
    let cases = [
        ("Queensland", Australia::Brisbane),
        ("QLD", Australia::Brisbane),
        ("NSW", Australia::Sydney),
        ("n.s.w.", Australia::Sydney),
        ("New South Wales", Australia::Sydney),
        ("Victoria", Australia::Melbourne),
        ("WA", Australia::Perth),
        ("Western Australia", Australia::Perth),
        ("SA", Australia::Adelaide),
        ("Tasmania", Australia::Hobart),
        ("NT", Australia::Darwin),
        ("ACT", Australia::Sydney),
    ];
    for (state, tz) in cases {
        assert_eq!(australian_state_timezone(state), Some(tz), "{state}");
    }
}
