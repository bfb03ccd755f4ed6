//! Tests of the parent module.

use super::*;
use proptest::prelude::*;
use serde::Deserialize;

fn ok(raw: &str, country: Option<&str>) -> ParsedPhone {
    parse_phone(raw, country).unwrap_or_else(|e| panic!("\"{raw}\" in {country:?}: {e}"))
}

fn e164_of(raw: &str, country: Option<&str>) -> String {
    ok(raw, country).e164
}

#[test]
fn examples_from_each_country_read_to_e164() {
    let cases = [
        ("+44 (0)20 7946 0958", None, "+442079460958"),
        ("+44 (0)20 7946 0958", Some("DE"), "+442079460958"),
        ("0044 20 7946 0958", None, "+442079460958"),
        ("0044 20 7946 0958", Some("GB"), "+442079460958"),
        ("089 1234567", Some("DE"), "+49891234567"),
        ("01 42 68 53 00", Some("FR"), "+33142685300"),
        ("03-1234-5678", Some("JP"), "+81312345678"),
        ("(02) 9374 4000", Some("AU"), "+61293744000"),
        ("55 1234 5678", Some("MX"), "+525512345678"),
        ("912 345 678", Some("ES"), "+34912345678"),
        ("020 7946 0958", Some("GB"), "+442079460958"),
        ("06 1234 5678", Some("IT"), "+390612345678"),
        ("(11) 96123-4567", Some("BR"), "+5511961234567"),
        ("098765 43210", Some("IN"), "+919876543210"),
        ("+61 2 9374 4000", Some("AU"), "+61293744000"),
        ("+33 (0)1 42 68 53 00", Some("US"), "+33142685300"),
    ];
    for (raw, country, want) in cases {
        assert_eq!(e164_of(raw, country), want, "\"{raw}\" in {country:?}");
    }
}

#[test]
fn parsed_fields_describe_the_number() {
    let p = ok("(02) 9374 4000", Some("AU"));
    assert_eq!(
        p,
        ParsedPhone {
            e164: "+61293744000".into(),
            extension: None,
            kind: PhoneKind::FixedLine,
            region: Some("AU".into()),
            national_number: "293744000".into(),
        }
    );
    assert_eq!(ok("07400 123456", Some("GB")).kind, PhoneKind::Mobile);
    assert_eq!(ok("0800 123 4567", Some("DE")).kind, PhoneKind::TollFree);
    assert_eq!(
        ok("(201) 555-0123", Some("US")).kind,
        PhoneKind::FixedLineOrMobile
    );
    let non_geographic = ok("+800 1234 5678", None);
    assert_eq!(non_geographic.region, None);
    assert_eq!(non_geographic.kind, PhoneKind::TollFree);
    // Canada shares +1 with the US; the region still says which.
    assert_eq!(ok("+1 506 234 5678", None).region.as_deref(), Some("CA"));
}

#[test]
fn italian_leading_zero_keeps_type_and_region() {
    let p = ok("06 1234 5678", Some("IT"));
    assert_eq!(p.national_number, "0612345678");
    assert_eq!(p.kind, PhoneKind::FixedLine);
    assert_eq!(p.region.as_deref(), Some("IT"));
    assert_eq!(ok("+39 312 345 6789", None).kind, PhoneKind::Mobile);
}

#[test]
fn extensions_are_kept_apart_from_the_number() {
    for raw in [
        "303-555-0103 ext. 12",
        "303-555-0103 x12",
        "303-555-0103 ext 12",
        "303-555-0103 #12",
        "303-555-0103;ext=12",
        "303-555-0103 extension 12",
        "tel:+1-303-555-0103;ext=12",
    ] {
        for country in [Some("US"), None] {
            let p = ok(raw, country);
            assert_eq!(p.e164, "+13035550103", "\"{raw}\" in {country:?}");
            assert_eq!(
                p.extension.as_deref(),
                Some("12"),
                "\"{raw}\" in {country:?}"
            );
        }
    }
    assert_eq!(
        ok("+44 20 7946 0958 ext. 345", None).extension.as_deref(),
        Some("345")
    );
    assert_eq!(ok("303-555-0103", Some("US")).extension, None);
    let noted = ok("303-555-0103 x12 (front desk)", Some("US"));
    assert_eq!(
        (noted.e164.as_str(), noted.extension.as_deref()),
        ("+13035550103", Some("12"))
    );
}

#[test]
fn punctuation_and_scripts_are_ignored() {
    for raw in [
        "tel:+1-303-555-0103",
        "tel:303-555-0103",
        "303.555.0103",
        "(303) 555-0103",
        "303\u{a0}555\u{a0}0103",
        "303\u{2013}555\u{2014}0103",
        "303\u{2212}555\u{2010}0103",
        "３０３－５５５－０１０３",
        "＋１ ３０３ ５５５ ０１０３",
        "Phone: 303 555 0103",
        "+1 303 555 0103 (main)",
        "  303 555 0103  ",
    ] {
        assert_eq!(e164_of(raw, Some("US")), "+13035550103", "\"{raw}\"");
    }
    assert_eq!(
        e164_of("０３－１２３４－５６７８", Some("JP")),
        "+81312345678"
    );
    assert_eq!(e164_of("1-800-FLOWERS", Some("US")), "+18003569377");
}

#[test]
fn country_is_read_in_any_case_and_unknown_ones_never_guess() {
    assert_eq!(e164_of("020 7946 0958", Some("gb")), "+442079460958");
    assert_eq!(e164_of("020 7946 0958", Some(" Gb ")), "+442079460958");
    assert_eq!(e164_of("020 7946 0958", Some("uk")), "+442079460958");
    // A blank country cell is no country.
    assert_eq!(e164_of("212-555-0100", Some("  ")), "+12125550100");
    for country in ["XX", "Germany", "ZZ", "001", "éé"] {
        let err = parse_phone("2125550100", Some(country)).unwrap_err();
        assert_eq!(
            err,
            PhoneError::UnknownCountry {
                raw: "2125550100".into(),
                country: country.into()
            }
        );
        // International forms need no country.
        assert_eq!(e164_of("+44 20 7946 0958", Some(country)), "+442079460958");
    }
    assert_eq!(
        parse_phone("020 7946 0958", Some("Germany"))
            .unwrap_err()
            .to_string(),
        "\"020 7946 0958\" is a national number and the lead's country \"Germany\" is not a country code we know"
    );
}

#[test]
fn without_a_country_only_international_and_nanp_numbers_are_read() {
    assert_eq!(e164_of("+44 20 7946 0958", None), "+442079460958");
    assert_eq!(e164_of("0044 20 7946 0958", None), "+442079460958");
    assert_eq!(e164_of("011 44 20 7946 0958", None), "+442079460958");
    assert_eq!(e164_of("+0044 20 7946 0958", None), "+442079460958");
    assert_eq!(
        e164_of("tel:03-331-6005;phone-context=+64", None),
        "+6433316005"
    );
    assert_eq!(e164_of("(212) 555-0100", None), "+12125550100");
    assert_eq!(e164_of("1 212 555 0100", None), "+12125550100");
    assert_eq!(e164_of("2125550100", None), "+12125550100");
    for raw in [
        "0207 946 0958",
        "020 7946 0958",
        "089 1234567",
        "03-1234-5678",
    ] {
        assert_eq!(
            parse_phone(raw, None),
            Err(PhoneError::NeedsCountry { raw: raw.into() })
        );
    }
    // Ten digits that are not a valid NANP number are not forced into +1.
    assert_eq!(
        parse_phone("0612345678", None),
        Err(PhoneError::NeedsCountry {
            raw: "0612345678".into()
        })
    );
}

#[test]
fn dialing_out_prefixes_of_the_lead_country_are_international() {
    assert_eq!(e164_of("011 44 20 7946 0958", Some("US")), "+442079460958");
    assert_eq!(e164_of("0011 44 20 7946 0958", Some("AU")), "+442079460958");
    assert_eq!(e164_of("010 44 20 7946 0958", Some("JP")), "+442079460958");
    // A European-style 00 from a lead in a country that dials out otherwise.
    assert_eq!(e164_of("0044 20 7946 0958", Some("AU")), "+442079460958");
    assert_eq!(e164_of("0044 (0)20 7946 0958", Some("US")), "+442079460958");
    assert_eq!(e164_of("0055 11 96123 4567", Some("BR")), "+5511961234567");
}

#[test]
fn legacy_mexican_prefixes_are_rewritten() {
    for raw in [
        "+52 1 55 1234 5678",
        "044 55 1234 5678",
        "045 55 1234 5678",
        "01 55 1234 5678",
        "55 1234 5678",
    ] {
        assert_eq!(e164_of(raw, Some("MX")), "+525512345678", "\"{raw}\"");
    }
    assert_eq!(
        ok("+52 1 55 1234 5678 ext 9", None).extension.as_deref(),
        Some("9")
    );
}

#[test]
fn errors_name_the_value_and_why() {
    let message =
        |raw: &str, country: Option<&str>| parse_phone(raw, country).unwrap_err().to_string();
    assert_eq!(
        message("12345", None),
        "\"12345\" is too short to be a phone number"
    );
    assert_eq!(
        message("12345", Some("GB")),
        "\"12345\" is too short to be a phone number"
    );
    assert_eq!(
        message("0207 946 0958", None),
        "\"0207 946 0958\" is a national number and the lead has no country to read it in"
    );
    assert_eq!(
        message("+99 123", None),
        "\"+99 123\" has an unknown country code"
    );
    assert_eq!(
        message("+999 1234 5678", None),
        "\"+999 1234 5678\" has an unknown country code"
    );
    assert_eq!(message("abc", None), "\"abc\" has no digits");
    assert_eq!(message("", Some("US")), "\"\" has no digits");
    assert_eq!(message("+abc", None), "\"+abc\" has no digits");
    assert_eq!(
        message("+44 20 7946 09581234", None),
        "\"+44 20 7946 09581234\" has the wrong number of digits for a GB number"
    );
    assert_eq!(
        message("+44 2079 4609 5812 3456 7890", None),
        "\"+44 2079 4609 5812 3456 7890\" is too long to be a phone number"
    );
    assert_eq!(
        message("+44 20 7946 095", None),
        "\"+44 20 7946 095\" is not a valid GB number (no such area code or prefix, or a digit missing or extra)"
    );
    assert_eq!(
        message("+44 20 7946 09", None),
        "\"+44 20 7946 09\" has the wrong number of digits for a GB number"
    );
    assert_eq!(
        message("(555) 555-5555", Some("US")),
        "\"(555) 555-5555\" is not a valid US number (no such area code or prefix, or a digit missing or extra)"
    );
    assert_eq!(
        message("020 7946 0958", Some("US")),
        "\"020 7946 0958\" has the wrong number of digits for a US number"
    );
    assert_eq!(
        message("+1 23", None),
        "\"+1 23\" is too short to be a phone number"
    );
    let long = "1".repeat(400);
    let err = message(&long, None);
    assert!(
        err.ends_with("…\" is too long to be a phone number"),
        "{err}"
    );
    assert!(err.chars().count() < 120, "{err}");
    assert!(!message("555\n0100", None).contains('\n'));
    assert_eq!(
        message("020\u{a0}7946\u{2013}0958", None),
        "\"020 7946\u{2013}0958\" is a national number and the lead has no country to read it in"
    );
}

#[test]
fn e164_is_the_match_key_or_nothing() {
    assert_eq!(
        e164("303-555-0103 ext. 12", Some("us")),
        Some("+13035550103".into())
    );
    assert_eq!(e164("020 7946 0958", None), None);
    assert_eq!(e164("not a phone", Some("US")), None);
}

#[test]
fn kind_reads_from_snake_case() {
    use serde::de::{value::Error, IntoDeserializer};
    let read = |s: &'static str| {
        PhoneKind::deserialize(IntoDeserializer::<Error>::into_deserializer(s)).unwrap()
    };
    assert_eq!(read("fixed_line_or_mobile"), PhoneKind::FixedLineOrMobile);
    assert_eq!(read("toll_free"), PhoneKind::TollFree);
    assert_eq!(read("uan"), PhoneKind::Uan);
}

#[test]
fn australian_numbers_are_zoned_by_area_code() {
    let zone = |raw: &str| number_zone(&ok(raw, Some("AU")));
    assert_eq!(zone("(02) 9374 4000"), Some(Australia::Sydney));
    assert_eq!(zone("(02) 6563 2066"), Some(Australia::Lord_Howe));
    assert_eq!(zone("(03) 9123 4567"), Some(Australia::Melbourne));
    assert_eq!(zone("(03) 6234 5678"), Some(Australia::Hobart));
    assert_eq!(zone("(07) 3123 4567"), Some(Australia::Brisbane));
    assert_eq!(zone("(08) 8123 4567"), Some(Australia::Adelaide));
    assert_eq!(zone("(08) 8087 1234"), Some(Australia::Adelaide));
    assert_eq!(zone("(08) 7123 4567"), Some(Australia::Adelaide));
    assert_eq!(zone("(08) 8981 2345"), Some(Australia::Darwin));
    assert_eq!(zone("(08) 9123 4567"), Some(Australia::Perth));
    assert_eq!(zone("(08) 6123 4567"), Some(Australia::Perth));
    // Mobiles roam nationwide; toll-free numbers are nowhere.
    assert_eq!(zone("0412 345 678"), None);
    assert_eq!(zone("1800 123 456"), None);
    // Christmas Island shares +61 but is its own region with one zone.
    assert_eq!(zone("+61 8 9164 1234"), None);
}

#[test]
fn brazilian_numbers_are_zoned_by_ddd() {
    let zone = |raw: &str| number_zone(&ok(raw, Some("BR")));
    assert_eq!(zone("(11) 96123-4567"), Some(America::Sao_Paulo));
    assert_eq!(zone("(21) 2123-4567"), Some(America::Sao_Paulo));
    assert_eq!(zone("(65) 3123-4567"), Some(America::Cuiaba));
    assert_eq!(zone("(66) 99123-4567"), Some(America::Cuiaba));
    assert_eq!(zone("(67) 3123-4567"), Some(America::Campo_Grande));
    assert_eq!(zone("(68) 3223-4567"), Some(America::Rio_Branco));
    assert_eq!(zone("(69) 3223-4567"), Some(America::Porto_Velho));
    assert_eq!(zone("(92) 3123-4567"), Some(America::Manaus));
    assert_eq!(zone("(97) 3343-1234"), Some(America::Manaus));
    assert_eq!(zone("(95) 3623-1234"), Some(America::Boa_Vista));
    assert_eq!(zone("(91) 3123-4567"), Some(America::Belem));
    assert_eq!(zone("(96) 3223-1234"), Some(America::Belem));
    assert_eq!(zone("(93) 3523-1234"), Some(America::Santarem));
    assert_eq!(zone("(81) 3123-4567"), Some(America::Recife));
    assert_eq!(zone("(81) 3619-1352"), Some(America::Noronha));
    assert_eq!(zone("(85) 3123-4567"), Some(America::Fortaleza));
    assert_eq!(zone("(82) 3123-4567"), Some(America::Maceio));
    assert_eq!(zone("(71) 3123-4567"), Some(America::Bahia));
    assert_eq!(zone("(63) 3223-1234"), Some(America::Araguaina));
    assert_eq!(zone("0800 123 4567"), None);
}

#[test]
fn mexican_numbers_are_zoned_by_area_code() {
    let zone = |raw: &str| number_zone(&ok(raw, Some("MX")));
    assert_eq!(zone("55 1234 5678"), Some(America::Mexico_City));
    assert_eq!(zone("33 1234 5678"), Some(America::Mexico_City));
    assert_eq!(zone("664 123 4567"), Some(America::Tijuana));
    assert_eq!(zone("686 123 4567"), Some(America::Tijuana));
    assert_eq!(zone("662 123 4567"), Some(America::Hermosillo));
    assert_eq!(zone("669 123 4567"), Some(America::Mazatlan));
    assert_eq!(zone("624 123 4567"), Some(America::Mazatlan));
    assert_eq!(zone("614 123 4567"), Some(America::Chihuahua));
    assert_eq!(zone("656 123 4567"), Some(America::Ciudad_Juarez));
    assert_eq!(zone("998 123 4567"), Some(America::Cancun));
    assert_eq!(zone("899 123 4567"), Some(America::Matamoros));
    assert_eq!(zone("800 123 4567"), None);
}

#[test]
fn single_zone_and_nanp_numbers_have_no_number_zone() {
    assert_eq!(number_zone(&ok("020 7946 0958", Some("GB"))), None);
    assert_eq!(number_zone(&ok("(212) 555-0100", Some("US"))), None);
    assert_eq!(number_zone(&ok("+1 506 234 5678", None)), None);
    assert_eq!(number_zone(&ok("089 1234567", Some("DE"))), None);
}

/// The countries the property tests draw from: ISO code and whether it is in the NANP.
const COUNTRIES: [(&str, bool); 20] = [
    ("US", true),
    ("CA", true),
    ("GB", false),
    ("DE", false),
    ("FR", false),
    ("ES", false),
    ("IT", false),
    ("NL", false),
    ("AU", false),
    ("NZ", false),
    ("JP", false),
    ("MX", false),
    ("BR", false),
    ("IN", false),
    ("IE", false),
    ("ZA", false),
    ("SG", false),
    ("SE", false),
    ("CH", false),
    ("PL", false),
];

/// Valid national significant numbers for a country: the library's own example fixed-line
/// and mobile numbers, plus a few hand-picked ones for shapes the examples miss.
fn samples(country: &str) -> Vec<String> {
    let d = DATABASE.by_id(country).unwrap().descriptors();
    let mut out: Vec<String> = [d.fixed_line(), d.mobile()]
        .into_iter()
        .flatten()
        .filter_map(|desc| desc.example())
        .map(str::to_owned)
        .collect();
    let extra: &[&str] = match country {
        "GB" => &["2079460958"],
        "FR" => &["142685300"],
        "AU" => &["293744000"],
        "MX" => &["5512345678"],
        "DE" => &["891234567"],
        "JP" => &["312345678"],
        _ => &[],
    };
    out.extend(extra.iter().map(|s| (*s).to_owned()));
    out.dedup();
    out
}

/// One way of writing an NSN: groups of 2-4 digits joined by one separator, the first
/// group optionally in parentheses.
fn written(nsn: &str, cuts: &[usize], separator: &str, parens: bool) -> String {
    let mut groups = Vec::new();
    let mut rest = nsn;
    for &cut in cuts {
        if rest.len() <= cut + 1 {
            break;
        }
        let (head, tail) = rest.split_at(cut);
        groups.push(head.to_owned());
        rest = tail;
    }
    groups.push(rest.to_owned());
    if parens && groups.len() > 1 {
        groups[0] = format!("({})", groups[0]);
    }
    groups.join(separator)
}

#[derive(Debug, Clone)]
enum Form {
    National { trunk: bool },
    Plus { trunk_in_parens: bool },
    DoubleZero,
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![
        any::<bool>().prop_map(|trunk| Form::National { trunk }),
        any::<bool>().prop_map(|trunk_in_parens| Form::Plus { trunk_in_parens }),
        Just(Form::DoubleZero),
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "-", ".", "", "\u{a0}", "\u{2013}", " - ", "/"])
}

fn extension_suffix() -> impl Strategy<Value = Option<(&'static str, String)>> {
    prop::option::of((
        prop::sample::select(vec![
            " ext. ",
            " x",
            " ext ",
            " #",
            ";ext=",
            " extension ",
            " Ext: ",
        ]),
        "[1-9][0-9]{0,4}",
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn written_forms_read_back_to_the_same_e164(
        country in 0..COUNTRIES.len(),
        pick in any::<prop::sample::Index>(),
        form in form(),
        cuts in prop::collection::vec(2usize..=4, 1..5),
        separator in separator(),
        parens in any::<bool>(),
        lower_case in any::<bool>(),
        extension in extension_suffix(),
    ) {
        let (iso, nanp) = COUNTRIES[country];
        let meta = DATABASE.by_id(iso).unwrap();
        let nsns = samples(iso);
        let nsn = pick.get(&nsns);
        let code = meta.country_code();
        let body = written(nsn, &cuts, separator, parens);
        let text = match &form {
            Form::National { trunk } => match meta.national_prefix() {
                Some(prefix) if *trunk => format!("{prefix}{body}"),
                _ => body,
            },
            Form::Plus { trunk_in_parens } => {
                let trunk = match meta.national_prefix() {
                    Some("0") if *trunk_in_parens => "(0)",
                    _ => "",
                };
                format!("+{code} {trunk}{body}")
            }
            Form::DoubleZero => format!("00{code} {body}"),
        };
        let text = match &extension {
            Some((marker, digits)) => format!("{text}{marker}{digits}"),
            None => text,
        };
        let lead_country = if lower_case { iso.to_ascii_lowercase() } else { iso.to_owned() };
        let parsed = parse_phone(&text, Some(&lead_country));
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("{text:?} in {iso}: {e}"))),
        };
        prop_assert_eq!(&parsed.e164, &format!("+{code}{nsn}"), "{:?} in {}", text, iso);
        prop_assert_eq!(parsed.extension, extension.map(|(_, d)| d), "{:?}", text);
        prop_assert_eq!(parsed.region.as_deref(), Some(iso), "{:?}", text);
        if !nanp {
            prop_assert!(!parsed.e164.starts_with("+1"), "{:?} in {}", text, iso);
        }
    }

    /// Whatever digits a non-NANP lead carries in national form, reading them in the lead's
    /// country never yields a North American number.
    #[test]
    fn national_digits_outside_nanp_never_become_plus_one(
        country in 2..COUNTRIES.len(),
        digits in "0?[1-9][0-9]{5,12}",
        separator in separator(),
        cuts in prop::collection::vec(2usize..=4, 1..5),
    ) {
        let (iso, _) = COUNTRIES[country];
        let meta = DATABASE.by_id(iso).unwrap();
        // A leading dialing-out prefix makes it international, not national.
        prop_assume!(idd_length(meta, &digits).is_none());
        let text = written(&digits, &cuts, separator, false);
        if let Ok(p) = parse_phone(&text, Some(iso)) {
            prop_assert!(!p.e164.starts_with("+1"), "{:?} in {} -> {}", text, iso, p.e164);
            let own_code = format!("+{}", meta.country_code());
            prop_assert!(p.e164.starts_with(&own_code), "{:?} in {} -> {}", text, iso, p.e164);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(
        raw in any::<String>(),
        country in prop::option::of(prop::sample::select(vec!["US", "gb", "DE", "br", "MX", "XX", "", "001", "Ü"])),
    ) {
        let _ = parse_phone(&raw, country);
        let _ = e164(&raw, country);
    }

    #[test]
    fn phone_shaped_text_never_panics(
        raw in "(tel:)?[+＋]?[0-9０-９ ()\\-.;=#x/*~]{0,40}(;phone-context=[^ ]{0,8})?(;ext=[0-9]{0,9})?",
        country in prop::option::of(prop::sample::select(vec!["US", "gb", "DE", "br", "MX", "AU", "JP", "IT"])),
    ) {
        if let Ok(p) = parse_phone(&raw, country) {
            prop_assert!(p.e164.starts_with('+'));
            prop_assert!(p.e164[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(p.e164.len() <= 16, "{}", p.e164);
            let _ = number_zone(&p);
        }
    }
}

/// `cargo test --release -- --ignored --nocapture throughput` (run alone, so the metadata
/// is still unloaded when it starts).
#[test]
#[ignore = "a measurement, not a check; run in release"]
fn throughput() {
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS"))
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    println!("before the metadata: {}", rss());
    let started = std::time::Instant::now();
    let _ = DATABASE.by_id("US");
    println!(
        "metadata load on first use: {:?}; {}",
        started.elapsed(),
        rss()
    );
    // The library compiles each metadata regex on first use, into a shared cache of 100.
    let started = std::time::Instant::now();
    let _ = parse_phone("(212) 555-0100", Some("US"));
    println!("first parse after the load: {:?}", started.elapsed());

    let inputs: Vec<(&str, Option<&str>)> = vec![
        ("(212) 555-0100", Some("US")),
        ("303-555-0103 ext. 12", None),
        ("+44 (0)20 7946 0958", None),
        ("020 7946 0958", Some("gb")),
        ("089 1234567", Some("DE")),
        ("01 42 68 53 00", Some("FR")),
        ("03-1234-5678", Some("JP")),
        ("(02) 9374 4000", Some("AU")),
        ("55 1234 5678", Some("MX")),
        ("(11) 96123-4567", Some("BR")),
        ("0044 20 7946 0958", None),
        ("020 7946 0958", None),
    ];
    let runs = |label: &str, inputs: &[(&str, Option<&str>)]| {
        let n = 100_000;
        let started = std::time::Instant::now();
        let mut valid = 0usize;
        for i in 0..n {
            let (raw, country) = inputs[i % inputs.len()];
            valid += usize::from(parse_phone(std::hint::black_box(raw), country).is_ok());
        }
        let elapsed = started.elapsed();
        println!(
            "{label}: {n} parses in {elapsed:?} = {:.0} numbers/s ({valid} valid)",
            n as f64 / elapsed.as_secs_f64()
        );
    };
    runs("US only", &inputs[..1]);
    runs("12 mixed inputs, 9 countries", &inputs);
    let everywhere: Vec<String> = COUNTRIES
        .iter()
        .flat_map(|(iso, _)| {
            let code = DATABASE.by_id(*iso).unwrap().country_code();
            samples(iso)
                .into_iter()
                .map(move |nsn| format!("+{code} {nsn}"))
        })
        .collect();
    let everywhere: Vec<(&str, Option<&str>)> =
        everywhere.iter().map(|s| (s.as_str(), None)).collect();
    runs(
        &format!("{} numbers from 20 countries", everywhere.len()),
        &everywhere,
    );
    println!("after all runs: {}", rss());
}

#[test]
fn a_reading_longer_than_e164_allows_is_refused() {
    // Found by `phone_shaped_text_never_panics`: "ext" read as the vanity
    // letters 3-9-8 made a 16-digit German number.
    match parse_phone("210;ext=00000000", Some("DE")) {
        Ok(p) => assert!(p.e164.len() <= 16, "{}", p.e164),
        Err(e) => assert!(e.to_string().contains("210"), "{e}"),
    }
}
