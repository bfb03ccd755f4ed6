//! Subdivisions with their country given: states, provinces and regions of each supported
//! country, and other countries through their ISO data.

use super::*;

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
