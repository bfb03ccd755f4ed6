//! Tests of the parent module.

use super::*;
use chrono::{LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::{Africa, America, Asia, Australia, Europe, Pacific};
use proptest::prelude::*;
use std::collections::HashSet;

const DEFAULT: Tz = Europe::Berlin;

fn resolve(hints: LocationHints<'_>) -> ResolvedTimezone {
    resolve_timezone(&hints, DEFAULT)
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, min, 0))
        .expect("valid test date")
}

/// UTC offset, in minutes, of `tz` at the given UTC instant.
fn offset_minutes_at_utc(tz: Tz, utc: NaiveDateTime) -> i32 {
    tz.from_utc_datetime(&utc).offset().fix().local_minus_utc() / 60
}

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

// --- Region rules -------------------------------------------------------------------

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

// --- Countries ----------------------------------------------------------------------

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

// --- Phone numbers ------------------------------------------------------------------

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

// --- Offsets across DST -------------------------------------------------------------

#[test]
fn given_arizona_when_us_dst_starts_and_ends_then_phoenix_stays_utc_minus_7_while_denver_moves() {
    // US DST 2026: starts Sunday 2026-03-08, ends Sunday 2026-11-01.
    let before_march = at(2026, 3, 7, 18, 0);
    let after_march = at(2026, 3, 9, 18, 0);
    let before_november = at(2026, 10, 31, 18, 0);
    let after_november = at(2026, 11, 2, 18, 0);

    for instant in [before_march, after_march, before_november, after_november] {
        assert_eq!(offset_minutes_at_utc(America::Phoenix, instant), -7 * 60);
    }
    assert_eq!(
        offset_minutes_at_utc(America::Denver, before_march),
        -7 * 60
    );
    assert_eq!(offset_minutes_at_utc(America::Denver, after_march), -6 * 60);
    assert_eq!(
        offset_minutes_at_utc(America::Denver, before_november),
        -6 * 60
    );
    assert_eq!(
        offset_minutes_at_utc(America::Denver, after_november),
        -7 * 60
    );
}

#[test]
fn given_hawaii_when_checking_january_and_july_then_utc_minus_10_all_year() {
    let tz = us_state_timezone("HI").expect("Hawaii");
    assert_eq!(offset_minutes_at_utc(tz, at(2026, 1, 15, 12, 0)), -10 * 60);
    assert_eq!(offset_minutes_at_utc(tz, at(2026, 7, 15, 12, 0)), -10 * 60);
}

#[test]
fn given_january_and_july_when_checking_sydney_and_brisbane_then_only_sydney_has_dst() {
    let sydney = australian_state_timezone("NSW").expect("NSW");
    let brisbane = australian_state_timezone("QLD").expect("QLD");
    let january = at(2026, 1, 15, 0, 0);
    let july = at(2026, 7, 15, 0, 0);
    assert_eq!(offset_minutes_at_utc(sydney, january), 11 * 60);
    assert_eq!(offset_minutes_at_utc(sydney, july), 10 * 60);
    assert_eq!(offset_minutes_at_utc(brisbane, january), 10 * 60);
    assert_eq!(offset_minutes_at_utc(brisbane, july), 10 * 60);
}

#[test]
fn given_regina_and_st_johns_when_checking_offsets_then_no_dst_and_half_hour() {
    let january = at(2026, 1, 15, 12, 0);
    let july = at(2026, 7, 15, 12, 0);
    assert_eq!(offset_minutes_at_utc(America::Regina, january), -6 * 60);
    assert_eq!(offset_minutes_at_utc(America::Regina, july), -6 * 60);
    assert_eq!(
        offset_minutes_at_utc(America::St_Johns, january),
        -(3 * 60 + 30)
    );
    assert_eq!(
        offset_minutes_at_utc(America::St_Johns, july),
        -(2 * 60 + 30)
    );
}

#[test]
fn given_dst_start_day_when_converting_9am_new_york_then_it_is_13_utc() {
    let local = America::New_York
        .from_local_datetime(&at(2026, 3, 8, 9, 0))
        .single()
        .expect("9:00 exists on the DST start day");
    assert_eq!(local.naive_utc(), at(2026, 3, 8, 13, 0));
    // The day before, still on EST.
    let before = America::New_York
        .from_local_datetime(&at(2026, 3, 7, 9, 0))
        .single()
        .expect("9:00 exists");
    assert_eq!(before.naive_utc(), at(2026, 3, 7, 14, 0));
}

#[test]
fn given_dst_end_day_when_converting_9am_new_york_then_it_is_14_utc() {
    let local = America::New_York
        .from_local_datetime(&at(2026, 11, 1, 9, 0))
        .single()
        .expect("9:00 exists on the DST end day");
    assert_eq!(local.naive_utc(), at(2026, 11, 1, 14, 0));
    assert_eq!(local.hour(), 9);
}

#[test]
fn given_dst_transition_hours_when_converting_then_gap_is_none_and_overlap_is_ambiguous() {
    let gap = America::New_York.from_local_datetime(&at(2026, 3, 8, 2, 30));
    assert!(matches!(gap, LocalResult::None), "{gap:?}");
    let overlap = America::New_York.from_local_datetime(&at(2026, 11, 1, 1, 30));
    match overlap {
        LocalResult::Ambiguous(earliest, latest) => {
            assert_eq!(earliest.naive_utc(), at(2026, 11, 1, 5, 30));
            assert_eq!(latest.naive_utc(), at(2026, 11, 1, 6, 30));
        }
        other => panic!("expected an ambiguous local time, got {other:?}"),
    }
    // Phoenix has no gap: 2:30 on the US DST start day is an ordinary time.
    let phoenix = America::Phoenix
        .from_local_datetime(&at(2026, 3, 8, 2, 30))
        .single()
        .expect("no DST in Arizona");
    assert_eq!(phoenix.naive_utc(), at(2026, 3, 8, 9, 30));
}

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
