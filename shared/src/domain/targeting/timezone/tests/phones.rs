//! Phone numbers: area-code parsing, the NANP table and its agreement with state zones, and
//! international prefixes.

use super::*;
use chrono_tz::{America, Europe, Pacific};
use std::collections::HashSet;

#[test]
fn given_phone_in_any_format_when_parsing_then_area_code_is_extracted() {
    for phone in [
        "+1 (602) 555-0100",
        "602-555-0100",
        "16025550100",
        "6025550100",
        "(602) 555 0100",
        "+1.602.555.0100",
        "1 602 555 0100 x123",
        "602-555-0100 ext. 12",
        "tel:+1-602-555-0100",
        "Phone: 602 555 0100",
        "TEL:6025550100",
    ] {
        assert_eq!(nanp_area_code(phone), Some(602), "{phone:?}");
    }
    for phone in [
        "",
        "555-0100",
        "+44 20 7946 0958",
        "26025550100",
        "0125550100",
    ] {
        assert_eq!(nanp_area_code(phone), None, "{phone:?}");
    }
}

#[test]
fn given_arizona_and_hawaii_area_codes_when_looking_up_then_no_dst_zones_are_returned() {
    for code in [480, 520, 602, 623, 928] {
        assert_eq!(
            nanp_area_code_timezone(code),
            Some(America::Phoenix),
            "{code}"
        );
    }
    assert_eq!(nanp_area_code_timezone(808), Some(Pacific::Honolulu));
    assert_eq!(nanp_area_code_timezone(907), Some(America::Anchorage));
}

#[test]
fn given_well_known_area_codes_when_looking_up_then_expected_zones_are_returned() {
    let cases = [
        (212, America::New_York),
        (415, America::Los_Angeles),
        (312, America::Chicago),
        (303, America::Denver),
        (915, America::Denver),
        (219, America::Chicago),
        (317, America::Indiana::Indianapolis),
        (270, America::Chicago),
        (865, America::New_York),
        (850, America::Chicago),
        (305, America::New_York),
        (313, America::Detroit),
        (208, America::Boise),
        (416, America::Toronto),
        (514, America::Toronto),
        (604, America::Vancouver),
        (306, America::Regina),
        (709, America::St_Johns),
        (902, America::Halifax),
        (403, America::Edmonton),
        (204, America::Winnipeg),
        (787, America::Puerto_Rico),
    ];
    for (code, tz) in cases {
        assert_eq!(nanp_area_code_timezone(code), Some(tz), "{code}");
    }
}

#[test]
fn given_non_geographic_area_codes_when_looking_up_then_none() {
    for code in [
        0, 100, 211, 411, 500, 600, 700, 800, 833, 844, 855, 866, 877, 888, 900, 911, 999,
    ] {
        assert_eq!(nanp_area_code_timezone(code), None, "{code}");
    }
}

#[test]
fn given_nanp_table_when_checking_then_codes_are_unique_and_cover_every_state_and_province() {
    let mut seen = HashSet::new();
    for (_, _, codes) in NANP_AREA_CODES {
        for code in *codes {
            assert!((200..1000).contains(code), "{code} is not an NPA");
            assert!(seen.insert(*code), "area code {code} listed twice");
        }
    }
    assert!(seen.len() >= 350, "only {} area codes", seen.len());

    let jurisdictions: HashSet<&str> = NANP_AREA_CODES.iter().map(|(j, _, _)| *j).collect();
    for entry in US_STATES {
        let label = format!("US-{}", entry.code.to_ascii_uppercase());
        assert!(
            jurisdictions.contains(label.as_str()),
            "no area code for {label}"
        );
    }
    for entry in CANADIAN_PROVINCES {
        let label = format!("CA-{}", entry.code.to_ascii_uppercase());
        // PE shares 902/782 with NS; YT and NU share 867 with NT.
        if !["CA-PE", "CA-YT", "CA-NU"].contains(&label.as_str()) {
            assert!(
                jurisdictions.contains(label.as_str()),
                "no area code for {label}"
            );
        }
    }
}

#[test]
fn given_nanp_table_when_comparing_with_state_zones_then_only_documented_splits_differ() {
    // (jurisdiction, area-code group zone) pairs allowed to differ from the state table.
    let documented_splits = [
        ("US-FL", America::Chicago),
        ("US-IN", America::Chicago),
        ("US-KY", America::Chicago),
        ("US-TN", America::New_York),
        ("US-TX", America::Denver),
    ];
    let mut compared = 0;
    for (jurisdiction, tz, codes) in NANP_AREA_CODES {
        let state_zone = if jurisdiction.starts_with("US-") {
            us_state_timezone(jurisdiction)
        } else if jurisdiction.starts_with("CA-") {
            canadian_province_timezone(jurisdiction)
        } else {
            continue; // NANP Caribbean: one zone per country.
        };
        let state_zone = state_zone.expect("every US/CA label names a known region");
        compared += 1;
        if state_zone != *tz {
            assert!(
                documented_splits.contains(&(*jurisdiction, *tz)),
                "{jurisdiction} {codes:?} -> {tz:?} but the region is {state_zone:?}"
            );
        }
    }
    assert!(compared > 60);
}

#[test]
fn given_phone_with_non_nanp_international_prefix_when_resolving_then_its_own_country_decides() {
    // Norwegian and Danish numbers: 10 digits that would read as Saskatchewan's 474 and
    // Oregon's 458 if taken as North American.
    assert_eq!(nanp_area_code("+47 412 34 567"), Some(474));
    assert_eq!(nanp_area_code("+45 8123 4567"), Some(458));
    assert!(nanp_area_code_timezone(474).is_some() && nanp_area_code_timezone(458).is_some());
    for (phone, tz) in [
        ("+47 412 34 567", Europe::Oslo),
        ("+45 8123 4567", Europe::Copenhagen),
    ] {
        let resolved = resolve(LocationHints {
            phone: Some(phone),
            ..Default::default()
        });
        assert_eq!(
            (resolved.tz, resolved.source),
            (tz, TimezoneSource::PhoneCountry),
            "{phone}"
        );
    }
    let resolved = resolve(LocationHints {
        country: Some("US"),
        phone: Some("+49 602 555 0100"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::New_York);
    assert_eq!(resolved.source, TimezoneSource::Country);
}

#[test]
fn given_unknown_country_when_phone_has_plus_one_then_area_code_applies() {
    let with_plus = resolve(LocationHints {
        country: Some("Atlantis"),
        phone: Some("+1 808 555 0100"),
        ..Default::default()
    });
    assert_eq!(with_plus.tz, Pacific::Honolulu);
    assert_eq!(with_plus.source, TimezoneSource::PhoneAreaCode);

    let without_plus = resolve(LocationHints {
        country: Some("Atlantis"),
        phone: Some("808 555 0100"),
        ..Default::default()
    });
    assert_eq!(without_plus.source, TimezoneSource::TenantDefault);
}

#[test]
fn given_canada_and_a_canadian_phone_when_resolving_then_area_code_is_used() {
    let resolved = resolve(LocationHints {
        country: Some("Canada"),
        phone: Some("(604) 555-0100"),
        ..Default::default()
    });
    assert_eq!(resolved.tz, America::Vancouver);
    assert_eq!(resolved.source, TimezoneSource::PhoneAreaCode);
}
