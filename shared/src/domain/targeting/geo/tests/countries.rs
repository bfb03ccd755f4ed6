//! Countries: documented spellings, every ISO 3166-1 entry and curated alias, report names
//! and garbage that must not resolve.

use super::*;

#[test]
fn given_the_documented_country_spellings_when_resolving_then_each_gives_its_alpha2() {
    let cases = [
        ("United States", "US"),
        ("United States of America", "US"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("U. S. A.", "US"),
        ("US", "US"),
        ("us", "US"),
        ("America", "US"),
        ("  united   STATES ", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("Northern Ireland", "GB"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("Spain", "ES"),
        ("Mexico", "MX"),
        ("México", "MX"),
        ("Brasil", "BR"),
        ("Brazil", "BR"),
        ("Italia", "IT"),
        ("Nederland", "NL"),
        ("The Netherlands", "NL"),
        ("Netherlands", "NL"),
        ("Holland", "NL"),
        ("Netherlands (Kingdom of the)", "NL"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Österreich", "AT"),
        ("Oesterreich", "AT"),
        ("Polska", "PL"),
        ("Sverige", "SE"),
        ("Norge", "NO"),
        ("Danmark", "DK"),
        ("Suomi", "FI"),
        ("Éire", "IE"),
        ("Eire", "IE"),
        ("Ireland", "IE"),
        ("Republic of Ireland", "IE"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Korea (Republic of)", "KR"),
        ("Republic of Korea", "KR"),
        ("Korea", "KR"),
        ("North Korea", "KP"),
        ("Korea, Democratic People's Republic of", "KP"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("Türkiye", "TR"),
        ("Turkiye", "TR"),
        ("Turkey", "TR"),
        ("UAE", "AE"),
        ("U.A.E.", "AE"),
        ("United Arab Emirates", "AE"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d’Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("The Bahamas", "BS"),
        ("The Gambia", "GM"),
        ("St. Lucia", "LC"),
        ("St Kitts & Nevis", "KN"),
        ("Trinidad & Tobago", "TT"),
        ("Bosnia & Herzegovina", "BA"),
        ("Congo", "CG"),
        ("DR Congo", "CD"),
        ("Democratic Republic of the Congo", "CD"),
        ("Bolivia", "BO"),
        ("Iran", "IR"),
        ("Taiwan", "TW"),
        ("Hong Kong", "HK"),
        ("Macau", "MO"),
        ("British Virgin Islands", "VG"),
        ("U.S. Virgin Islands", "VI"),
        ("Virgin Islands, U.S.", "VI"),
        ("Saint Helena", "SH"),
        ("Bonaire", "BQ"),
        ("Curacao", "CW"),
        ("Reunion", "RE"),
        ("Åland Islands", "AX"),
        ("Aland", "AX"),
        ("Laos", "LA"),
        ("Syria", "SY"),
        ("Canada", "CA"),
        ("Cabo Verde", "CV"),
        ("Cape Verde", "CV"),
        ("Holy See", "VA"),
        ("Vatican", "VA"),
        ("日本", "JP"),
        ("Россия", "RU"),
    ];
    for (input, expected) in cases {
        assert_eq!(country_code(input), Some(expected), "{input:?}");
    }
}

#[test]
fn given_every_iso_entry_when_resolving_its_codes_and_names_then_each_round_trips() {
    assert_eq!(rust_iso3166::ALL.len(), 249);
    for country in rust_iso3166::ALL {
        let alpha2 = country.alpha2;
        assert_eq!(country_code(alpha2), Some(alpha2), "alpha-2 {alpha2}");
        assert_eq!(
            country_code(&alpha2.to_ascii_lowercase()),
            Some(alpha2),
            "lower-case alpha-2 {alpha2}"
        );
        assert_eq!(
            country_code(country.alpha3),
            Some(alpha2),
            "alpha-3 {alpha2}"
        );
        assert_eq!(
            country_code(&country.alpha3.to_ascii_lowercase()),
            Some(alpha2),
            "lower-case alpha-3 {alpha2}"
        );
        assert_eq!(
            country_code(country.name),
            Some(alpha2),
            "ISO name {alpha2}"
        );
        assert_eq!(
            country_code(&country.name.to_uppercase()),
            Some(alpha2),
            "upper-case ISO name {alpha2}"
        );
        let name = country_name(alpha2).expect("every ISO entry has a name");
        assert_eq!(country_code(name), Some(alpha2), "report name {name:?}");
    }
}

#[test]
fn given_every_curated_country_alias_when_resolving_then_it_reaches_its_own_country() {
    for &(alpha2, aliases) in data::COUNTRY_ALIASES {
        assert!(rust_iso3166::from_alpha2(alpha2).is_some(), "{alpha2}");
        for alias in aliases {
            assert_eq!(country_code(alias), Some(alpha2), "{alias:?}");
        }
    }
    for &(alpha2, name) in data::COUNTRY_REPORT_NAMES {
        assert_eq!(country_name(alpha2), Some(name));
    }
}

#[test]
fn given_alpha2_in_any_case_when_naming_then_the_report_name_is_returned() {
    assert_eq!(country_name("US"), Some("United States"));
    assert_eq!(country_name(" us "), Some("United States"));
    assert_eq!(country_name("GB"), Some("United Kingdom"));
    assert_eq!(country_name("KR"), Some("South Korea"));
    assert_eq!(country_name("DE"), Some("Germany"));
    assert_eq!(country_name("CI"), Some("Côte d'Ivoire"));
    assert_eq!(country_name("TR"), Some("Türkiye"));
    for bad in ["", "U", "USA", "XX", "ZZ", "ü", "u\u{301}"] {
        assert_eq!(country_name(bad), None, "{bad:?}");
    }
}

#[test]
fn given_unknown_or_garbage_countries_when_resolving_then_none() {
    for bad in [
        "",
        "   ",
        "-",
        "N/A",
        "n/a",
        "N.A.",
        "#N/A",
        "null",
        "unknown",
        "???",
        "Atlantis",
        "Virgin Islands",
        "XX",
        "the",
        "Korea Republic",
        "1",
        "840",
    ] {
        assert_eq!(country_code(bad), None, "{bad:?}");
    }
}
