//! Regions without a country (or with the wrong one): what resolves unambiguously, what is
//! ambiguous, and garbage regions.

use super::*;

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
