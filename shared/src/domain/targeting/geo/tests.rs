use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn sub(country: Option<&str>, raw: &str) -> Option<(&'static str, &'static str)> {
    subdivision_code(country, raw)
}

// --- Countries ---------------------------------------------------------------------------

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

// --- Subdivisions by country -------------------------------------------------------------

fn assert_subdivisions(country: &'static str, cases: &[(&str, &'static str)]) {
    for &(input, code) in cases {
        assert_eq!(
            sub(Some(country), input),
            Some((country, code)),
            "{country} {input:?}"
        );
    }
}

#[test]
fn given_us_states_when_resolving_then_usps_codes() {
    assert_subdivisions(
        "US",
        &[
            ("TX", "TX"),
            ("tx", "TX"),
            ("US-TX", "TX"),
            ("us-tx", "TX"),
            ("Texas", "TX"),
            ("Tex.", "TX"),
            ("Calif.", "CA"),
            ("California", "CA"),
            ("Wash. D.C.", "DC"),
            ("Washington DC", "DC"),
            ("Washington, D.C.", "DC"),
            ("D.C.", "DC"),
            ("District of Columbia", "DC"),
            ("Washington", "WA"),
            ("WA", "WA"),
            ("Hawai'i", "HI"),
            ("Puerto Rico", "PR"),
            ("PR", "PR"),
            ("Guam", "GU"),
            ("U.S. Virgin Islands", "VI"),
            ("Virgin Islands", "VI"),
            ("American Samoa", "AS"),
            ("Northern Mariana Islands", "MP"),
            ("N.Y.", "NY"),
            ("New York State", "NY"),
            ("Mass.", "MA"),
            ("W. Va.", "WV"),
            ("Penna.", "PA"),
        ],
    );
    let states = iso_subdivisions("US")
        .iter()
        .filter(|s| s.subdivision_type == "State")
        .count();
    assert_eq!(states, 50);
}

#[test]
fn given_canadian_provinces_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "CA",
        &[
            ("ON", "ON"),
            ("Ontario", "ON"),
            ("Ont.", "ON"),
            ("Québec", "QC"),
            ("Quebec", "QC"),
            ("Que\u{301}bec", "QC"),
            ("PQ", "QC"),
            ("B.C.", "BC"),
            ("British Columbia", "BC"),
            ("Colombie-Britannique", "BC"),
            ("Newfoundland", "NL"),
            ("P.E.I.", "PE"),
            ("NWT", "NT"),
            ("Northwest Territories", "NT"),
            ("Yukon", "YT"),
        ],
    );
}

#[test]
fn given_australian_states_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "AU",
        &[
            ("NSW", "NSW"),
            ("N.S.W.", "NSW"),
            ("New South Wales", "NSW"),
            ("Vic.", "VIC"),
            ("Queensland", "QLD"),
            ("WA", "WA"),
            ("Western Australia", "WA"),
            ("NT", "NT"),
            ("Northern Territory", "NT"),
            ("A.C.T.", "ACT"),
            ("Tasmania", "TAS"),
        ],
    );
}

#[test]
fn given_mexican_states_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "MX",
        &[
            ("CMX", "CMX"),
            ("CDMX", "CMX"),
            ("Ciudad de México", "CMX"),
            ("Mexico City", "CMX"),
            ("Distrito Federal", "CMX"),
            ("Nuevo León", "NLE"),
            ("Nuevo Leon", "NLE"),
            ("Nueva León", "NLE"),
            ("NLE", "NLE"),
            ("Jalisco", "JAL"),
            ("Estado de México", "MEX"),
            ("Yucatan", "YUC"),
            ("Veracruz", "VER"),
            ("Coahuila", "COA"),
        ],
    );
}

#[test]
fn given_brazilian_states_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "BR",
        &[
            ("SP", "SP"),
            ("São Paulo", "SP"),
            ("Sao Paulo", "SP"),
            ("Rio de Janeiro", "RJ"),
            ("Distrito Federal", "DF"),
            ("Federal District", "DF"),
            ("Pará", "PA"),
            ("PA", "PA"),
            ("Rio Grande do Sul", "RS"),
        ],
    );
}

#[test]
fn given_german_states_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "DE",
        &[
            ("BY", "BY"),
            ("Bayern", "BY"),
            ("Bavaria", "BY"),
            ("Nordrhein-Westfalen", "NW"),
            ("North Rhine-Westphalia", "NW"),
            ("NRW", "NW"),
            ("Baden-Württemberg", "BW"),
            ("Baden-Wuerttemberg", "BW"),
            ("Baden Wurttemberg", "BW"),
            ("Thüringen", "TH"),
            ("Thuringia", "TH"),
            ("Lower Saxony", "NI"),
            ("Berlin", "BE"),
            ("ST", "ST"),
        ],
    );
}

#[test]
fn given_indian_states_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "IN",
        &[
            ("MH", "MH"),
            ("Maharashtra", "MH"),
            ("Karnataka", "KA"),
            ("Tamil Nadu", "TN"),
            ("Delhi", "DL"),
            ("New Delhi", "DL"),
            ("Orissa", "OD"),
            ("Odisha", "OD"),
            ("Telangana", "TS"),
            ("Uttarakhand", "UK"),
            ("Jammu & Kashmir", "JK"),
            ("Pondicherry", "PY"),
        ],
    );
}

#[test]
fn given_uk_nations_and_counties_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "GB",
        &[
            ("England", "ENG"),
            ("Scotland", "SCT"),
            ("Wales", "WLS"),
            ("Northern Ireland", "NIR"),
            ("GB-ENG", "ENG"),
            ("UK-SCT", "SCT"),
            ("Kent", "KEN"),
            ("County Durham", "DUR"),
            ("City of Edinburgh", "EDH"),
            ("Edinburgh", "EDH"),
            ("Vale of Glamorgan", "VGL"),
            ("St Helens", "SHN"),
        ],
    );
    assert_eq!(sub(Some("United Kingdom"), "Scotland"), Some(("GB", "SCT")));
    assert_eq!(sub(Some("UK"), "wales"), Some(("GB", "WLS")));
}

#[test]
fn given_irish_counties_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "IE",
        &[
            ("Cork", "CO"),
            ("County Cork", "CO"),
            ("Co. Cork", "CO"),
            ("Dublin", "D"),
            ("Co. Dublin", "D"),
            ("Leinster", "L"),
        ],
    );
}

#[test]
fn given_spanish_communities_when_resolving_then_communities_win_over_provinces() {
    assert_subdivisions(
        "ES",
        &[
            ("Catalonia", "CT"),
            ("Cataluña", "CT"),
            ("Catalunya", "CT"),
            ("Andalucía", "AN"),
            ("Andalusia", "AN"),
            ("Madrid", "MD"),
            ("Comunidad de Madrid", "MD"),
            ("Murcia", "MC"),
            ("Navarra", "NC"),
            ("Asturias", "AS"),
            ("Basque Country", "PV"),
            ("País Vasco", "PV"),
            ("Canary Islands", "CN"),
            ("Balearic Islands", "IB"),
            ("Illes Balears", "IB"),
            ("Comunidad Valenciana", "VC"),
            ("Valencian Community", "VC"),
            ("Castilla y León", "CL"),
            ("La Rioja", "RI"),
            ("Barcelona", "B"),
            ("M", "M"),
            ("Seville", "SE"),
        ],
    );
}

#[test]
fn given_italian_regions_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "IT",
        &[
            ("Lombardia", "25"),
            ("Lombardy", "25"),
            ("25", "25"),
            ("IT-25", "25"),
            ("Toscana", "52"),
            ("Tuscany", "52"),
            ("Sicily", "82"),
            ("Valle d'Aosta", "23"),
            ("Aosta Valley", "23"),
            ("Friuli-Venezia Giulia", "36"),
            ("Emilia Romagna", "45"),
            ("Milan", "MI"),
            ("Roma", "RM"),
        ],
    );
}

#[test]
fn given_french_regions_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "FR",
        &[
            ("Île-de-France", "IDF"),
            ("Ile de France", "IDF"),
            ("IDF", "IDF"),
            ("Brittany", "BRE"),
            ("Bretagne", "BRE"),
            ("Provence-Alpes-Côte d'Azur", "PAC"),
            ("PACA", "PAC"),
            ("Normandy", "NOR"),
            ("Rhône-Alpes", "ARA"),
            ("Corsica", "20R"),
            ("Corse", "20R"),
            ("Pays de la Loire", "PDL"),
            ("Paris", "75C"),
            ("Gironde", "33"),
        ],
    );
}

#[test]
fn given_dutch_provinces_when_resolving_then_iso_codes() {
    assert_subdivisions(
        "NL",
        &[
            ("Noord-Holland", "NH"),
            ("North Holland", "NH"),
            ("Zuid-Holland", "ZH"),
            ("South Holland", "ZH"),
            ("Noord-Brabant", "NB"),
            ("Fryslân", "FR"),
            ("Friesland", "FR"),
            ("Utrecht", "UT"),
            ("Limburg", "LI"),
        ],
    );
}

#[test]
fn given_other_countries_when_resolving_then_their_iso_data_answers() {
    assert_eq!(sub(Some("CN"), "Guangdong"), Some(("CN", "GD")));
    assert_eq!(sub(Some("China"), "Beijing"), Some(("CN", "BJ")));
    assert_eq!(sub(Some("KR"), "Busan"), Some(("KR", "26")));
    assert_eq!(sub(Some("SE"), "Stockholm"), Some(("SE", "AB")));
    assert_eq!(sub(Some("SE"), "Skåne"), Some(("SE", "M")));
    assert_eq!(sub(Some("JP"), "Tokyo"), Some(("JP", "13")));
    assert_eq!(sub(Some("CH"), "Zürich"), Some(("CH", "ZH")));
    assert_eq!(sub(Some("CH"), "Geneva"), Some(("CH", "GE")));
    assert_eq!(sub(Some("AT"), "Wien"), Some(("AT", "9")));
    assert_eq!(sub(Some("AT"), "Vienna"), Some(("AT", "9")));
    assert_eq!(sub(Some("BE"), "Limburg"), Some(("BE", "VLI")));
    assert_eq!(sub(Some("PL"), "Mazowieckie"), Some(("PL", "14")));
}

// --- Whole data set ----------------------------------------------------------------------

#[test]
fn given_every_iso_subdivision_when_resolving_its_code_then_it_round_trips() {
    let mut total = 0;
    for country in rust_iso3166::ALL {
        for subdivision in iso_subdivisions(country.alpha2) {
            let (_, code) = subdivision.code.split_once('-').expect("CC-CODE");
            let expected = Some((country.alpha2, code));
            assert_eq!(
                sub(Some(country.alpha2), code),
                expected,
                "{}",
                subdivision.code
            );
            assert_eq!(
                sub(None, subdivision.code),
                expected,
                "{}",
                subdivision.code
            );
            assert_eq!(
                sub(Some(country.alpha3), &subdivision.code.to_ascii_lowercase()),
                expected,
                "{}",
                subdivision.code
            );
            total += 1;
        }
    }
    assert!(total > 5000, "{total} subdivisions");
}

#[test]
fn given_every_iso_subdivision_when_resolving_its_name_then_it_round_trips_unless_shared() {
    let mut unreachable = Vec::new();
    for country in rust_iso3166::ALL {
        let subdivisions = iso_subdivisions(country.alpha2);
        for subdivision in subdivisions {
            let (_, code) = subdivision.code.split_once('-').expect("CC-CODE");
            let key = normalize(subdivision.name);
            let shared = subdivisions
                .iter()
                .filter(|other| normalize(other.name) == key)
                .count()
                > 1;
            let curated_elsewhere = data::SUBDIVISION_ALIASES.iter().any(|(c, other, names)| {
                *c == country.alpha2 && *other != code && names.iter().any(|n| normalize(n) == key)
            });
            let is_code_of_another = subdivisions.iter().any(|other| {
                other.code != subdivision.code
                    && normalize(other.code.split_once('-').unwrap().1) == key
            });
            if shared || curated_elsewhere || is_code_of_another {
                continue;
            }
            if sub(Some(country.alpha2), subdivision.name) != Some((country.alpha2, code)) {
                unreachable.push(subdivision.code);
            }
        }
    }
    assert!(
        unreachable.is_empty(),
        "unreachable by name: {unreachable:?}"
    );
}

#[test]
fn given_every_curated_subdivision_alias_when_resolving_then_it_reaches_its_own_subdivision() {
    for &(country, code, aliases) in data::SUBDIVISION_ALIASES {
        assert!(
            iso_code(country, code).is_some(),
            "{country}-{code} is not ISO"
        );
        for alias in aliases {
            assert_eq!(
                sub(Some(country), alias),
                Some((country, code)),
                "{country} {alias:?}"
            );
        }
    }
}

#[test]
fn given_iso_names_when_normalising_then_they_fold_to_plain_ascii() {
    let mut names: Vec<&str> = rust_iso3166::ALL.iter().map(|c| c.name).collect();
    for country in rust_iso3166::ALL {
        names.extend(iso_subdivisions(country.alpha2).iter().map(|s| s.name));
    }
    for name in names {
        let key = normalize(name);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '),
            "{name:?} -> {key:?}"
        );
    }
}

#[test]
fn given_supported_countries_when_counting_then_each_has_its_subdivisions() {
    let expected_minimum = [
        ("US", 57),
        ("CA", 13),
        ("AU", 8),
        ("MX", 32),
        ("BR", 27),
        ("DE", 16),
        ("IN", 36),
        ("GB", 4),
        ("IE", 26),
        ("ES", 19),
        ("IT", 20),
        ("FR", 13),
        ("NL", 12),
    ];
    for (country, minimum) in expected_minimum {
        let count = iso_subdivisions(country).len();
        assert!(count >= minimum, "{country}: {count}");
        assert!(SUPPORTED_COUNTRIES.contains(&country));
    }
}

// --- Without a country -------------------------------------------------------------------

#[test]
fn given_no_country_when_the_region_is_unambiguous_then_it_resolves() {
    let cases = [
        ("TX", ("US", "TX")),
        ("tx", ("US", "TX")),
        ("Texas", ("US", "TX")),
        ("Calif.", ("US", "CA")),
        ("Wash. D.C.", ("US", "DC")),
        ("Washington DC", ("US", "DC")),
        ("Washington", ("US", "WA")),
        ("Western Australia", ("AU", "WA")),
        ("Northern Territory", ("AU", "NT")),
        ("Northwest Territories", ("CA", "NT")),
        ("NSW", ("AU", "NSW")),
        ("ON", ("CA", "ON")),
        ("Québec", ("CA", "QC")),
        ("Quebec", ("CA", "QC")),
        ("PA", ("US", "PA")),
        ("Nuevo León", ("MX", "NLE")),
        ("Nueva León", ("MX", "NLE")),
        ("CDMX", ("MX", "CMX")),
        ("Bavaria", ("DE", "BY")),
        ("Bayern", ("DE", "BY")),
        ("Catalonia", ("ES", "CT")),
        ("Lombardy", ("IT", "25")),
        ("Île-de-France", ("FR", "IDF")),
        ("Noord-Holland", ("NL", "NH")),
        ("Scotland", ("GB", "SCT")),
        ("Maharashtra", ("IN", "MH")),
        ("Goa", ("IN", "GA")),
        ("São Paulo", ("BR", "SP")),
        ("Limburg", ("NL", "LI")),
        ("US-TX", ("US", "TX")),
        ("DE-BY", ("DE", "BY")),
        ("MX-CMX", ("MX", "CMX")),
        ("JP-13", ("JP", "13")),
        ("cn-gd", ("CN", "GD")),
    ];
    for (input, expected) in cases {
        assert_eq!(sub(None, input), Some(expected), "{input:?}");
        assert_eq!(
            sub(Some("  "), input),
            Some(expected),
            "blank country, {input:?}"
        );
    }
}

#[test]
fn given_no_country_when_the_region_is_ambiguous_then_none() {
    // WA: Washington / Western Australia; NT: Northwest Territories / Northern Territory;
    // Distrito Federal: Brazil / Mexico's former name; Ulster: Ireland / Northern Ireland;
    // SP, BY, CMX: codes outside US/CA/AU are never guessed.
    for input in [
        "WA",
        "wa",
        "W.A.",
        "NT",
        "N.T.",
        "Distrito Federal",
        "Ulster",
        "SP",
        "BY",
        "CMX",
        "NRW",
        "Central",
        "Tokyo",
        "North",
        "Santiago",
    ] {
        assert_eq!(sub(None, input), None, "{input:?}");
    }
    assert_eq!(sub(Some("US"), "WA"), Some(("US", "WA")));
    assert_eq!(sub(Some("AU"), "WA"), Some(("AU", "WA")));
    assert_eq!(sub(Some("Australia"), "W.A."), Some(("AU", "WA")));
    assert_eq!(sub(Some("CA"), "NT"), Some(("CA", "NT")));
    assert_eq!(sub(Some("AU"), "NT"), Some(("AU", "NT")));
    assert_eq!(sub(Some("BR"), "SP"), Some(("BR", "SP")));
    // Only supported countries' names count without a country: Punjab is also Pakistan's.
    assert_eq!(sub(None, "Punjab"), Some(("IN", "PB")));
    assert_eq!(sub(Some("IN"), "Punjab"), Some(("IN", "PB")));
    assert_eq!(sub(Some("PK"), "Punjab"), Some(("PK", "PB")));
    assert_eq!(sub(Some("JP"), "Tokyo"), Some(("JP", "13")));
}

#[test]
fn given_a_country_when_the_region_belongs_elsewhere_then_none() {
    assert_eq!(sub(Some("CA"), "US-TX"), None);
    assert_eq!(sub(Some("US"), "Ontario"), None);
    assert_eq!(sub(Some("US"), "NSW"), None);
    assert_eq!(sub(Some("DE"), "Texas"), None);
    assert_eq!(sub(Some("Atlantis"), "TX"), None);
    assert_eq!(sub(Some("AQ"), "TX"), None);
    // A two-letter word that is also a country code is not read as a prefix.
    assert_eq!(sub(Some("ES"), "La Rioja"), Some(("ES", "RI")));
    // Without a country only supported countries' names count: La Rioja is Spain's, not
    // Argentina's.
    assert_eq!(sub(None, "La Rioja"), Some(("ES", "RI")));
    assert_eq!(sub(Some("AR"), "La Rioja"), Some(("AR", "F")));
}

#[test]
fn given_garbage_regions_when_resolving_then_none() {
    for bad in [
        "",
        " ",
        "-",
        "--",
        "N/A",
        "null",
        "none",
        "unknown",
        "???",
        "US-",
        "US-XX",
        "N.A.",
        "n/a",
        "#N/A",
        "Texas (TX)",
        "\u{301}",
        "&",
        "..",
    ] {
        assert_eq!(sub(None, bad), None, "{bad:?}");
        assert_eq!(sub(Some("US"), bad), None, "US {bad:?}");
    }
}

// --- Normalisation -----------------------------------------------------------------------

#[test]
fn given_messy_spellings_when_normalising_then_they_share_one_key() {
    assert_eq!(normalize("  U.S.A. "), "usa");
    assert_eq!(normalize("U. S. A."), "usa");
    assert_eq!(normalize("The  Netherlands"), "netherlands");
    assert_eq!(normalize("Korea, Republic of"), "korea republic of");
    assert_eq!(normalize("Korea (Republic of)"), "korea republic of");
    assert_eq!(normalize("St. Lucia"), "saint lucia");
    assert_eq!(normalize("ST"), "st");
    assert_eq!(normalize("Washington, D.C."), "washington dc");
    assert_eq!(normalize("Trinidad & Tobago"), "trinidad and tobago");
    assert_eq!(normalize("Québec"), "quebec");
    assert_eq!(normalize("Que\u{301}bec"), "quebec");
    assert_eq!(normalize("ÉIRE"), "eire");
    assert_eq!(normalize("Straße"), "strasse");
    assert_eq!(normalize("Łódź"), "lodz");
    assert_eq!(normalize("Đà Nẵng"), "da nang");
    assert_eq!(normalize("İstanbul"), "istanbul");
    assert_eq!(normalize("Hawaiʻi"), "hawaii");
    assert_eq!(normalize("N/A"), "n a");
    assert_eq!(normalize("N. / A."), "n a");
    assert_eq!(normalize("the"), "the");
    assert_eq!(normalize("St"), "st");
    assert_eq!(normalize("The St. Helens"), "saint helens");
}

proptest! {
    #[test]
    fn given_any_string_when_resolving_then_nothing_panics(
        raw in any::<String>(),
        country in proptest::option::of(any::<String>()),
    ) {
        let _ = country_code(&raw);
        let _ = country_name(&raw);
        let _ = subdivision_code(country.as_deref(), &raw);
        let _ = subdivision_code(None, &raw);
    }

    #[test]
    fn given_odd_unicode_when_resolving_then_nothing_panics(
        raw in "[\\PC\u{300}-\u{36F}&.'’ -]{0,40}",
    ) {
        let _ = country_code(&raw);
        let _ = subdivision_code(Some("US"), &raw);
        let _ = subdivision_code(None, &raw);
    }

    #[test]
    fn given_any_answer_when_checking_then_it_is_a_real_iso_entry(raw in "[A-Za-z .,'-]{0,24}") {
        if let Some(alpha2) = country_code(&raw) {
            prop_assert!(country_name(alpha2).is_some());
        }
        if let Some((country, code)) = subdivision_code(None, &raw) {
            prop_assert_eq!(iso_code(country, code), Some(code));
        }
    }

    #[test]
    fn given_ascii_input_when_changing_case_and_padding_then_the_answer_is_the_same(
        raw in "[A-Za-z .,'-]{0,24}",
    ) {
        let padded = format!("  {}  ", raw.to_ascii_uppercase());
        prop_assert_eq!(country_code(&raw), country_code(&padded));
        prop_assert_eq!(subdivision_code(None, &raw), subdivision_code(None, &padded));
        prop_assert_eq!(
            subdivision_code(Some("us"), &raw),
            subdivision_code(Some("US"), &padded)
        );
    }
}

#[test]
fn given_the_indexes_when_built_then_their_sizes_are_as_documented() {
    let countries: HashSet<&str> = COUNTRIES.by_key.values().copied().collect();
    assert_eq!(countries.len(), 249);
    let subdivisions: usize = SUBDIVISIONS
        .by_country
        .values()
        .map(|keys| {
            keys.values()
                .map(|hit| hit.code)
                .collect::<HashSet<_>>()
                .len()
        })
        .sum();
    assert!(subdivisions > 5000, "{subdivisions}");
}

// --- Consistency with timezone.rs --------------------------------------------------------

#[test]
fn given_every_name_timezone_rs_knows_when_resolving_then_geo_agrees() {
    for &(alpha2, names) in TIMEZONE_RS_COUNTRIES {
        assert_eq!(country_code(alpha2), Some(alpha2));
        for name in names {
            assert_eq!(country_code(name), Some(alpha2), "{name:?}");
        }
    }
    for &(country, code, names) in TIMEZONE_RS_REGIONS {
        let expected = Some((country, code));
        assert_eq!(sub(Some(country), code), expected);
        assert_eq!(sub(Some(country), &format!("{country}-{code}")), expected);
        for name in names {
            assert_eq!(sub(Some(country), name), expected, "{name:?}");
        }
        let countryless = if code == "WA" || code == "NT" {
            None
        } else {
            expected
        };
        assert_eq!(sub(None, code), countryless, "{code}");
    }
}

/// Every name `timezone.rs` knows, so both modules read a CRM cell the same way.
const TIMEZONE_RS_COUNTRIES: &[(&str, &[&str])] = &[
    (
        "US",
        &[
            "usa",
            "united states",
            "united states of america",
            "america",
            "us of a",
        ],
    ),
    ("CA", &["can", "canada"]),
    ("MX", &["mex", "mexico", "méxico"]),
    ("PR", &["pri", "puerto rico"]),
    ("JM", &["jam", "jamaica"]),
    ("DO", &["dom", "dominican republic"]),
    ("BS", &["bhs", "bahamas"]),
    ("BM", &["bmu", "bermuda"]),
    ("KY", &["cym", "cayman islands"]),
    ("CR", &["cri", "costa rica"]),
    ("PA", &["pan", "panama", "panamá"]),
    ("GT", &["gtm", "guatemala"]),
    ("BR", &["bra", "brazil", "brasil"]),
    ("AR", &["arg", "argentina"]),
    ("CL", &["chl", "chile"]),
    ("CO", &["col", "colombia"]),
    ("PE", &["per", "peru", "perú"]),
    ("UY", &["ury", "uruguay"]),
    ("EC", &["ecu", "ecuador"]),
    (
        "GB",
        &[
            "gbr",
            "united kingdom",
            "uk",
            "great britain",
            "britain",
            "england",
            "scotland",
            "wales",
            "northern ireland",
            "united kingdom of great britain and northern ireland",
        ],
    ),
    (
        "IE",
        &["irl", "ireland", "republic of ireland", "eire", "éire"],
    ),
    ("DE", &["deu", "germany", "deutschland"]),
    ("FR", &["fra", "france"]),
    ("NL", &["nld", "netherlands", "holland", "nederland"]),
    ("BE", &["bel", "belgium", "belgië", "belgique"]),
    ("LU", &["lux", "luxembourg"]),
    (
        "CH",
        &["che", "switzerland", "schweiz", "suisse", "svizzera"],
    ),
    ("AT", &["aut", "austria", "österreich"]),
    ("ES", &["esp", "spain", "españa", "espana"]),
    ("PT", &["prt", "portugal"]),
    ("IT", &["ita", "italy", "italia"]),
    ("SE", &["swe", "sweden", "sverige"]),
    ("NO", &["nor", "norway", "norge"]),
    ("DK", &["dnk", "denmark", "danmark"]),
    ("FI", &["fin", "finland", "suomi"]),
    ("IS", &["isl", "iceland"]),
    ("PL", &["pol", "poland", "polska"]),
    ("CZ", &["cze", "czech republic", "czechia", "česko"]),
    ("SK", &["svk", "slovakia"]),
    ("HU", &["hun", "hungary"]),
    ("RO", &["rou", "romania"]),
    ("BG", &["bgr", "bulgaria"]),
    ("GR", &["grc", "greece"]),
    ("HR", &["hrv", "croatia"]),
    ("SI", &["svn", "slovenia"]),
    ("RS", &["srb", "serbia"]),
    ("EE", &["est", "estonia"]),
    ("LV", &["lva", "latvia"]),
    ("LT", &["ltu", "lithuania"]),
    ("UA", &["ukr", "ukraine"]),
    ("CY", &["cyp", "cyprus"]),
    ("MT", &["mlt", "malta"]),
    ("RU", &["rus", "russia", "russian federation"]),
    ("TR", &["tur", "turkey", "türkiye", "turkiye"]),
    ("IL", &["isr", "israel"]),
    ("AE", &["are", "united arab emirates", "uae", "emirates"]),
    ("SA", &["sau", "saudi arabia", "ksa"]),
    ("QA", &["qat", "qatar"]),
    ("EG", &["egy", "egypt"]),
    ("ZA", &["zaf", "south africa", "rsa"]),
    ("NG", &["nga", "nigeria"]),
    ("KE", &["ken", "kenya"]),
    ("MA", &["mar", "morocco"]),
    ("IN", &["ind", "india"]),
    ("PK", &["pak", "pakistan"]),
    ("SG", &["sgp", "singapore"]),
    ("MY", &["mys", "malaysia"]),
    ("TH", &["tha", "thailand"]),
    ("VN", &["vnm", "vietnam", "viet nam"]),
    ("PH", &["phl", "philippines"]),
    ("ID", &["idn", "indonesia"]),
    ("JP", &["jpn", "japan"]),
    ("KR", &["kor", "south korea", "korea", "republic of korea"]),
    ("CN", &["chn", "china", "prc", "people's republic of china"]),
    ("HK", &["hkg", "hong kong"]),
    ("TW", &["twn", "taiwan"]),
    ("AU", &["aus", "australia"]),
    ("NZ", &["nzl", "new zealand", "aotearoa"]),
];

const TIMEZONE_RS_REGIONS: &[(&str, &str, &[&str])] = &[
    ("US", "AL", &["alabama"]),
    ("US", "AK", &["alaska"]),
    ("US", "AZ", &["arizona"]),
    ("US", "AR", &["arkansas"]),
    ("US", "CA", &["california"]),
    ("US", "CO", &["colorado"]),
    ("US", "CT", &["connecticut"]),
    ("US", "DE", &["delaware"]),
    (
        "US",
        "DC",
        &["district of columbia", "washington dc", "washington d c"],
    ),
    ("US", "FL", &["florida"]),
    ("US", "GA", &["georgia"]),
    ("US", "HI", &["hawaii", "hawai'i", "hawaiʻi"]),
    ("US", "ID", &["idaho"]),
    ("US", "IL", &["illinois"]),
    ("US", "IN", &["indiana"]),
    ("US", "IA", &["iowa"]),
    ("US", "KS", &["kansas"]),
    ("US", "KY", &["kentucky"]),
    ("US", "LA", &["louisiana"]),
    ("US", "ME", &["maine"]),
    ("US", "MD", &["maryland"]),
    ("US", "MA", &["massachusetts"]),
    ("US", "MI", &["michigan"]),
    ("US", "MN", &["minnesota"]),
    ("US", "MS", &["mississippi"]),
    ("US", "MO", &["missouri"]),
    ("US", "MT", &["montana"]),
    ("US", "NE", &["nebraska"]),
    ("US", "NV", &["nevada"]),
    ("US", "NH", &["new hampshire"]),
    ("US", "NJ", &["new jersey"]),
    ("US", "NM", &["new mexico"]),
    ("US", "NY", &["new york", "new york state"]),
    ("US", "NC", &["north carolina"]),
    ("US", "ND", &["north dakota"]),
    ("US", "OH", &["ohio"]),
    ("US", "OK", &["oklahoma"]),
    ("US", "OR", &["oregon"]),
    ("US", "PA", &["pennsylvania"]),
    ("US", "RI", &["rhode island"]),
    ("US", "SC", &["south carolina"]),
    ("US", "SD", &["south dakota"]),
    ("US", "TN", &["tennessee"]),
    ("US", "TX", &["texas"]),
    ("US", "UT", &["utah"]),
    ("US", "VT", &["vermont"]),
    ("US", "VA", &["virginia"]),
    ("US", "WA", &["washington", "washington state"]),
    ("US", "WV", &["west virginia"]),
    ("US", "WI", &["wisconsin"]),
    ("US", "WY", &["wyoming"]),
    ("US", "PR", &["puerto rico"]),
    (
        "US",
        "VI",
        &[
            "us virgin islands",
            "virgin islands",
            "united states virgin islands",
        ],
    ),
    ("US", "GU", &["guam"]),
    ("US", "MP", &["northern mariana islands"]),
    ("US", "AS", &["american samoa"]),
    ("CA", "AB", &["alberta"]),
    ("CA", "BC", &["british columbia"]),
    ("CA", "MB", &["manitoba"]),
    ("CA", "NB", &["new brunswick"]),
    (
        "CA",
        "NL",
        &[
            "newfoundland and labrador",
            "newfoundland & labrador",
            "newfoundland",
            "nf",
            "nfld",
        ],
    ),
    ("CA", "NS", &["nova scotia"]),
    ("CA", "NT", &["northwest territories", "nwt"]),
    ("CA", "NU", &["nunavut"]),
    ("CA", "ON", &["ontario"]),
    ("CA", "PE", &["prince edward island", "pei"]),
    ("CA", "QC", &["quebec", "québec", "pq"]),
    ("CA", "SK", &["saskatchewan"]),
    ("CA", "YT", &["yukon", "yukon territory"]),
    ("AU", "NSW", &["new south wales"]),
    ("AU", "VIC", &["victoria"]),
    ("AU", "QLD", &["queensland"]),
    ("AU", "WA", &["western australia"]),
    ("AU", "SA", &["south australia"]),
    ("AU", "TAS", &["tasmania"]),
    ("AU", "NT", &["northern territory"]),
    ("AU", "ACT", &["australian capital territory", "canberra"]),
];
