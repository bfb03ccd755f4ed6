//! Real exports, read as a user would import them: one fixture per tool, in
//! that tool's own header order (tests/fixtures/intake), each lead checked
//! field by field; then one file in every encoding and delimiter Excel
//! writes, which must give the same leads.

use chrono::{DateTime, Utc};
use shared::domain::ids::{LeadId, TenantId};
use shared::domain::lead::Lead;
use shared::domain::targeting::intake::{parse_csv, IntakeContext, ParsedCsv, Row};
use shared::domain::targeting::phone::PhoneKind;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn parse(bytes: &[u8]) -> ParsedCsv {
    parse_csv(
        &tenant(),
        &IntakeContext::default(),
        bytes,
        "fixture.csv",
        now(),
    )
    .unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/intake/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lead<'a>(parsed: &'a ParsedCsv, company: &str) -> &'a Lead {
    &row(parsed, company).lead
}

fn row<'a>(parsed: &'a ParsedCsv, company: &str) -> &'a Row {
    parsed
        .leads
        .iter()
        .find(|r| r.lead.company.as_deref() == Some(company))
        .unwrap_or_else(|| panic!("no lead for {company}: {:#?}", parsed.errors))
}

fn s(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

#[test]
fn given_an_apollo_people_export_when_imported_then_every_usable_field_lands() {
    let parsed = parse(&fixture("apollo_people.csv"));
    let d = parsed.detected.as_ref().unwrap();
    assert_eq!(d.tool, "Apollo people export");
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.leads.len(), 6);

    let dana = lead(&parsed, "Front Range Motors");
    assert_eq!(s(&dana.first_name), Some("Dana"));
    assert_eq!(s(&dana.last_name), Some("Reyes"));
    assert_eq!(s(&dana.title), Some("Owner"));
    assert_eq!(s(&dana.email), Some("dana@frontrangemotors.example"));
    assert_eq!(s(&dana.email_status), Some("verified"));
    assert_eq!(s(&dana.seniority), Some("owner"));
    // The direct line is the person's phone; the mobile is kept apart; the
    // corporate number is the company's, never the person's.
    assert_eq!(s(&dana.phone), Some("+13035550103"));
    assert_eq!(s(&dana.mobile_phone), Some("+17205550144"));
    assert_eq!(s(&dana.company_phone), Some("+13035550100"));
    assert_eq!(dana.employees, Some(18));
    assert_eq!(s(&dana.industry), Some("automotive"));
    assert_eq!(
        s(&dana.linkedin_url),
        Some("http://www.linkedin.com/in/dana-reyes-demo")
    );
    assert_eq!(s(&dana.company_domain), Some("frontrangemotors.example"));
    assert_eq!(
        (s(&dana.city), s(&dana.state), s(&dana.country)),
        (Some("Denver"), Some("CO"), Some("US"))
    );
    assert_eq!(s(&dana.lifecycle_stage), Some("Cold"));
    assert_eq!(dana.hold, None);
    assert!(parsed
        .unmapped_columns
        .iter()
        .any(|c| c == "Apollo Contact Id"));

    // Email unavailable, but a website and the company's number: a lead,
    // identified by domain + switchboard + name, with no direct phone.
    let lee = lead(&parsed, "Mesa Auto Group");
    assert_eq!(lee.email, None);
    assert_eq!(s(&lee.email_status), Some("unavailable"));
    assert_eq!(s(&lee.seniority), Some("c_suite"));
    assert_eq!(lee.phone, None);
    assert_eq!(s(&lee.company_phone), Some("+14805550110"));
    assert!(!lee.has_direct_phone());
    assert_eq!(
        lee.id,
        LeadId::from_dedup_key(
            &tenant(),
            "domain-phone:mesaautogroup.example|+14805550110|lee ortiz"
        )
        .to_string()
    );

    // Apollo's locked-email placeholder is no email: two people at two
    // companies stay two leads, neither "verified".
    let kim = row(&parsed, "Harbour Cars");
    let ana = lead(&parsed, "Plains Pre-Owned");
    assert_eq!((&kim.lead.email, &ana.email), (&None, &None));
    assert_ne!(kim.lead.id, ana.id);
    assert!(
        kim.dropped
            .iter()
            .any(|d| d.field == "Email" && d.reason.contains("placeholder")),
        "{:?}",
        kim.dropped
    );
    // An Australian national number, read in Australia.
    assert_eq!(s(&kim.lead.phone), Some("+61293744000"));
    assert_eq!(
        (s(&kim.lead.state), s(&kim.lead.country)),
        (Some("NSW"), Some("AU"))
    );

    // Do Not Call: the person's numbers are not kept, and the report says so.
    let ben = row(&parsed, "Gulf Coast Autos");
    assert_eq!((&ben.lead.phone, &ben.lead.mobile_phone), (&None, &None));
    assert!(ben.dropped.iter().any(|d| d.field == "Mobile Phone"));
    assert_eq!(s(&ben.lead.email_status), Some("likely_to_engage"));

    // A "Do Not Contact" stage is imported held.
    let cy = lead(&parsed, "Sun Valley Cars");
    assert!(cy
        .hold
        .as_deref()
        .is_some_and(|h| h.contains("Do Not Contact")));
}

#[test]
fn given_an_apollo_companies_export_when_imported_then_companies_land_with_their_switchboard() {
    let parsed = parse(&fixture("apollo_companies.csv"));
    assert_eq!(
        parsed.detected.as_ref().unwrap().tool,
        "Apollo companies export"
    );
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    let frm = lead(&parsed, "Front Range Motors");
    assert_eq!(frm.phone, None);
    assert_eq!(s(&frm.company_phone), Some("+13035550100"));
    assert_eq!(
        (s(&frm.city), s(&frm.state), s(&frm.country)),
        (Some("Denver"), Some("CO"), Some("US"))
    );
    assert_eq!(frm.employees, Some(18));
    let rhein = lead(&parsed, "Rhein Autohaus");
    // A German national number read in Germany, not as +1.
    assert_eq!(s(&rhein.company_phone), Some("+49891234567"));
    assert_eq!(
        (s(&rhein.state), s(&rhein.country)),
        (Some("BY"), Some("DE"))
    );
    assert!(rhein.hold.is_some(), "an account at stage Customer is held");
}

#[test]
fn given_a_hubspot_contacts_export_when_imported_then_website_region_mobile_and_stage_are_read() {
    let parsed = parse(&fixture("hubspot_contacts.csv"));
    assert_eq!(
        parsed.detected.as_ref().unwrap().tool,
        "HubSpot contacts export"
    );
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    let jo = lead(&parsed, "Mile High Autos");
    assert_eq!(s(&jo.website), Some("https://milehighautos.example"));
    assert_eq!(s(&jo.company_domain), Some("milehighautos.example"));
    assert_eq!((s(&jo.state), s(&jo.country)), (Some("CO"), Some("US")));
    // "303-555-0103 ext. 12": the number, with its extension apart.
    assert_eq!(s(&jo.phone), Some("+13035550103"));
    assert_eq!(s(&jo.phone_ext), Some("12"));
    assert_eq!(s(&jo.mobile_phone), Some("+17205550171"));
    assert_eq!(s(&jo.title), Some("Owner"));
    assert_eq!(jo.employees, Some(25));
    assert_eq!(jo.hold, None);
    let sam = lead(&parsed, "Border Motors");
    assert!(sam.hold.as_deref().is_some_and(|h| h.contains("Customer")));
    let ruth = lead(&parsed, "Lakeshore Auto");
    assert_eq!((s(&ruth.state), s(&ruth.country)), (Some("ON"), Some("CA")));
    assert_eq!(s(&ruth.phone), Some("+14165550190"));
}

#[test]
fn given_a_hubspot_companies_export_when_imported_then_a_uk_national_number_is_read_in_the_uk() {
    let parsed = parse(&fixture("hubspot_companies.csv"));
    assert_eq!(
        parsed.detected.as_ref().unwrap().tool,
        "HubSpot companies export"
    );
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    let mh = lead(&parsed, "Mile High Autos");
    assert_eq!(s(&mh.company_phone), Some("+13035550105"));
    assert_eq!(mh.phone, None);
    let thames = lead(&parsed, "Thames Motors");
    assert_eq!(s(&thames.company_phone), Some("+442079460958"));
    assert_eq!(
        (s(&thames.state), s(&thames.country)),
        (Some("ENG"), Some("GB"))
    );
    assert!(thames.hold.is_some(), "an open opportunity is held");
}

#[test]
fn given_a_salesforce_report_with_its_footer_when_imported_then_the_footer_is_no_error() {
    let parsed = parse(&fixture("salesforce_leads.csv"));
    assert_eq!(
        parsed.detected.as_ref().unwrap().tool,
        "Salesforce report export"
    );
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.leads.len(), 2);
    let noor = lead(&parsed, "Valley Trucks");
    assert_eq!(s(&noor.phone), Some("+15595550123"));
    assert_eq!(s(&noor.mobile_phone), Some("+15595550124"));
    assert_eq!((s(&noor.state), s(&noor.country)), (Some("CA"), Some("US")));
    // Salesforce's Hot/Warm/Cold rating is not a star rating.
    assert_eq!(noor.rating, None);
    assert_eq!(noor.employees, Some(30));
    let luis = lead(&parsed, "Autos del Norte");
    // A Mexico City number read in Mexico, not as a New Jersey one.
    assert_eq!(s(&luis.phone), Some("+525512345678"));
    assert_eq!(
        (s(&luis.state), s(&luis.country)),
        (Some("CMX"), Some("MX"))
    );
    assert_eq!(s(&luis.last_name), Some("García"));
}

#[test]
fn given_a_clay_table_when_imported_then_locations_and_not_found_cells_are_read() {
    let parsed = parse(&fixture("clay.csv"));
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    let mia = lead(&parsed, "Capitol Cars");
    assert_eq!(s(&mia.email), Some("mia@capitolcars.example"));
    assert_eq!(
        (s(&mia.city), s(&mia.state), s(&mia.country)),
        (Some("Austin"), Some("TX"), Some("US"))
    );
    assert_eq!(mia.employees, Some(11));
    assert_eq!(mia.mobile_phone, None);
    assert_eq!(mia.phone, None);
    let tom = row(&parsed, "Isar Autos");
    // "Not found" is no value: nothing dropped for it; LinkedIn identifies.
    assert_eq!(tom.lead.email, None);
    assert!(tom.dropped.is_empty(), "{:?}", tom.dropped);
    assert_eq!(s(&tom.lead.phone), Some("+4915123456789"));
    assert_eq!(tom.lead.phone_kind, Some(PhoneKind::Mobile));
    assert_eq!(
        (s(&tom.lead.state), s(&tom.lead.country)),
        (Some("BY"), Some("DE"))
    );
    assert_eq!(
        tom.lead.id,
        LeadId::from_dedup_key(&tenant(), "linkedin:linkedin.com/in/tom-weiss-demo").to_string()
    );
}

#[test]
fn given_an_apify_google_maps_export_when_imported_then_branches_closures_and_uk_numbers_are_right()
{
    let parsed = parse(&fixture("apify_google_maps.csv"));
    let d = parsed.detected.as_ref().unwrap();
    assert_eq!(
        (d.tool, d.encoding),
        ("Apify Google Maps scraper export", "UTF-8 with BOM")
    );
    // The permanently closed lot is refused, by name.
    assert_eq!(parsed.errors.len(), 1, "{:#?}", parsed.errors);
    assert!(parsed.errors[0].reason.contains("permanently closed"));
    let mesa = lead(&parsed, "Saguaro Street Motors");
    let gilbert = lead(&parsed, "Saguaro Street Motors - Gilbert");
    // Two branches sharing a website and phone are two leads.
    assert_ne!(mesa.id, gilbert.id);
    assert_eq!(mesa.company_domain, gilbert.company_domain);
    assert_eq!(s(&mesa.company_phone), Some("+14805550101"));
    assert_eq!(mesa.phone, None, "a listing's phone is the business's line");
    assert_eq!((mesa.rating, mesa.reviews), (Some(3.6), Some(48)));
    assert_eq!(mesa.has_gbp, Some(true));
    assert_eq!(gilbert.has_gbp, Some(false));
    assert_eq!((s(&mesa.state), s(&mesa.country)), (Some("AZ"), Some("US")));
    assert_eq!(s(&mesa.industry), Some("Used car dealer"));
    assert_eq!(s(&mesa.place_id), Some("ChIJmesa-branch-1"));
    assert_eq!(
        s(&mesa.website),
        Some("https://www.saguarostreetmotors.example/")
    );
    let closed = lead(&parsed, "Desert Bloom Autos");
    assert!(closed
        .hold
        .as_deref()
        .is_some_and(|h| h.contains("temporarily closed")));
    let camden = lead(&parsed, "Camden Car Centre");
    assert_eq!(s(&camden.company_phone), Some("+442079460958"));
    assert!(parsed.unmapped_columns.iter().any(|c| c == "url"));
}

#[test]
fn given_an_apify_linkedin_export_when_imported_then_profile_and_location_are_read() {
    let parsed = parse(&fixture("apify_linkedin.csv"));
    assert_eq!(
        parsed.detected.as_ref().unwrap().tool,
        "Apify LinkedIn scraper export"
    );
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    let ivy = lead(&parsed, "Harbour City Motors");
    assert_eq!(s(&ivy.email), Some("ivy@harbourcitymotors.example"));
    assert_eq!(s(&ivy.phone), Some("+64211234567"));
    assert_eq!(s(&ivy.title), Some("Owner"));
    assert_eq!(
        (s(&ivy.city), s(&ivy.country)),
        (Some("Auckland"), Some("NZ"))
    );
    assert_eq!(s(&ivy.company_domain), Some("harbourcitymotors.example"));
    assert_eq!(ivy.employees, Some(11));
    let raj = lead(&parsed, "Prairie Motors");
    // No job title: the headline stands in; the profile identifies him.
    assert_eq!(s(&raj.title), Some("General Manager | Used Cars"));
    assert_eq!(
        (s(&raj.city), s(&raj.state), s(&raj.country)),
        (Some("Wichita"), Some("KS"), Some("US"))
    );
    assert_eq!(
        raj.id,
        LeadId::from_dedup_key(&tenant(), "linkedin:linkedin.com/in/raj-patel-demo").to_string()
    );
}

#[test]
fn given_lemlist_and_instantly_exports_when_imported_then_opted_out_leads_are_held() {
    let lem = parse(&fixture("lemlist.csv"));
    assert_eq!(lem.detected.as_ref().unwrap().tool, "lemlist leads export");
    assert!(lem.errors.is_empty(), "{:#?}", lem.errors);
    let ola = lead(&lem, "Fjord Bil");
    assert_eq!(s(&ola.phone), Some("+4722123456"));
    assert_eq!(s(&ola.title), Some("Daglig leder"));
    assert_eq!(s(&ola.company_domain), Some("fjordbil.example"));
    assert_eq!(ola.hold, None);
    assert!(lead(&lem, "Lakeside Auto").hold.is_some());

    let ins = parse(&fixture("instantly.csv"));
    assert_eq!(
        ins.detected.as_ref().unwrap().tool,
        "Instantly leads export"
    );
    assert!(ins.errors.is_empty(), "{:#?}", ins.errors);
    let max = lead(&ins, "River City Autos");
    assert_eq!(s(&max.phone), Some("+19165550175"));
    assert_eq!(
        (s(&max.city), s(&max.state), s(&max.country)),
        (Some("Sacramento"), Some("CA"), Some("US"))
    );
    assert_eq!(s(&max.linkedin_url), Some("linkedin.com/in/max-brown-demo"));
    assert!(
        lead(&ins, "Bayview Cars").hold.is_some(),
        "bounced in Instantly"
    );
}

/// One file as people keep it: accents, curly quotes, decimal ratings.
const SAMPLE: &str = "Email,First Name,Last Name,Company,City,State,Country,Phone,Rating,Reviews,Notes\n\
jose@autosmuller.example,José,Müller,Autos Müller “Premium”,München,Bayern,Deutschland,089 1234567,4.2,1234,Öffnungszeiten – Mo–Fr\n\
zoe@cafe.example,Zoë,O’Brien,Café Cars,Dublin,,Ireland,01 234 5678,3.5,87,\n\
,,,,,,,,,,\n\
lu@lyon.example,Lu,Renée,Garage Élan,Lyon,,France,04 78 00 00 00,4.8,12,pièces détachées\n";

fn variants() -> Vec<(&'static str, Vec<u8>)> {
    let comma = SAMPLE.replace('\n', "\r\n");
    let semicolon = to_delimited(&comma, ';', true);
    let tab = to_delimited(&comma, '\t', true);
    let (cp1252, _, lossy) = encoding_rs::WINDOWS_1252.encode(&comma);
    assert!(!lossy);
    let mut utf16le = vec![0xFF, 0xFE];
    utf16le.extend(comma.encode_utf16().flat_map(u16::to_le_bytes));
    let mut utf16be = vec![0xFE, 0xFF];
    utf16be.extend(comma.encode_utf16().flat_map(u16::to_be_bytes));
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(comma.as_bytes());
    let semicolon_1252 = encoding_rs::WINDOWS_1252.encode(&semicolon).0.into_owned();
    vec![
        ("UTF-8 comma", comma.clone().into_bytes()),
        ("UTF-8 BOM", bom),
        ("Windows-1252", cp1252.into_owned()),
        ("UTF-16 LE", utf16le),
        ("UTF-16 BE", utf16be),
        ("semicolon, decimal commas", semicolon.clone().into_bytes()),
        ("tab, decimal commas", tab.into_bytes()),
        ("Windows-1252 semicolon", semicolon_1252),
    ]
}

/// The same table with another delimiter, and decimal commas as a
/// European Excel writes them ("4,2"; "1234" has no separator).
fn to_delimited(csv_text: &str, delimiter: char, decimal_comma: bool) -> String {
    csv_text
        .split("\r\n")
        .map(|line| {
            line.split(',')
                .map(|cell| {
                    let is_decimal =
                        cell.contains('.') && cell.chars().all(|c| c.is_ascii_digit() || c == '.');
                    if decimal_comma && is_decimal {
                        cell.replace('.', ",")
                    } else {
                        cell.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(&delimiter.to_string())
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn given_one_file_in_every_encoding_and_delimiter_when_imported_then_the_leads_are_the_same() {
    let reference = parse(SAMPLE.as_bytes());
    assert!(reference.errors.is_empty(), "{:#?}", reference.errors);
    assert_eq!(
        reference.leads.len(),
        3,
        "the blank row is skipped silently"
    );
    let jose = &reference.leads[0].lead;
    assert_eq!(s(&jose.first_name), Some("José"));
    assert_eq!(s(&jose.company), Some("Autos Müller “Premium”"));
    assert_eq!(s(&jose.phone), Some("+49891234567"));
    assert_eq!((s(&jose.state), s(&jose.country)), (Some("BY"), Some("DE")));
    assert_eq!((jose.rating, jose.reviews), (Some(4.2), Some(1234)));
    assert_eq!(s(&reference.leads[1].lead.phone), Some("+35312345678"));
    assert_eq!(s(&reference.leads[2].lead.phone), Some("+33478000000"));
    for (name, bytes) in variants() {
        let parsed = parse(&bytes);
        assert!(parsed.errors.is_empty(), "{name}: {:#?}", parsed.errors);
        let leads: Vec<&Lead> = parsed.leads.iter().map(|r| &r.lead).collect();
        let want: Vec<&Lead> = reference.leads.iter().map(|r| &r.lead).collect();
        assert_eq!(leads, want, "{name}");
        let lines: Vec<u64> = parsed.leads.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 5], "{name}");
        let d = parsed.detected.unwrap();
        eprintln!(
            "{name}: {} / {} / decimal comma {}",
            d.encoding, d.delimiter, d.decimal_comma
        );
        match name {
            "Windows-1252" | "Windows-1252 semicolon" => assert_eq!(d.encoding, "Windows-1252"),
            "UTF-16 LE" => assert_eq!(d.encoding, "UTF-16 LE"),
            "UTF-16 BE" => assert_eq!(d.encoding, "UTF-16 BE"),
            _ => {}
        }
        if name.contains("semicolon") {
            assert_eq!(
                (d.delimiter, d.decimal_comma),
                ("semicolon", true),
                "{name}"
            );
        }
        if name.starts_with("tab") {
            assert_eq!(d.delimiter, "tab");
        }
    }
}

#[test]
fn given_rows_that_are_off_when_imported_then_each_says_what_is_wrong_and_good_values_stay() {
    let csv = "Email,Company,Phone,Rating,Country\n\
jo@a.example,A,303-555-0103 ext. 12,4.5,US\n\
al@b.example,Acme, Inc,303-555-0104,4.1,US\n\
bo@c.example,C,12345,9,Narnia\n\
,,,,\n\
not-an-email,D,,,\n";
    let parsed = parse(csv.as_bytes());
    let errors: Vec<(u64, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.line, e.reason.as_str()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].0, 3);
    assert!(
        errors[0].1.starts_with("6 fields, the header has 5"),
        "{}",
        errors[0].1
    );
    assert_eq!(errors[1].0, 6);
    assert!(
        errors[1].1.contains("not an email address"),
        "{}",
        errors[1].1
    );
    // Line 4 imports; its bad phone, rating and country are dropped by name.
    let bo = parsed.leads.iter().find(|r| r.line == 4).unwrap();
    assert_eq!(s(&bo.lead.email), Some("bo@c.example"));
    let dropped: Vec<&str> = bo.dropped.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(dropped, vec!["Country", "Phone", "Rating"]);
    assert_eq!(
        (&bo.lead.phone, bo.lead.rating, &bo.lead.country),
        (&None, None, &None)
    );
}

#[test]
fn given_an_open_deal_in_the_lead_status_when_imported_then_the_contact_is_held() {
    let csv = "Record ID,First Name,Email,Lifecycle Stage,Lead Status\n\
1,Jo,jo@a.example,Lead,Open Deal\n\
2,Al,al@b.example,Lead,Attempted to Contact\n";
    let parsed = parse(csv.as_bytes());
    assert_eq!(parsed.leads.len(), 2, "{:#?}", parsed.errors);
    let jo = &parsed.leads[0].lead;
    assert!(
        jo.hold.as_deref().is_some_and(|h| h.contains("Open Deal")),
        "{jo:?}"
    );
    assert_eq!(s(&jo.lifecycle_stage), Some("Lead"));
    assert_eq!(parsed.leads[1].lead.hold, None);
}

mod any_input {
    use super::*;
    use proptest::prelude::*;

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[a-zA-Z0-9 @.+()-]{0,12}",
            Just("\"quoted, with comma\"".to_string()),
            Just("jo@dealer.example".to_string()),
            Just("+44 20 7946 0958".to_string()),
            Just("Copyright (c) 2026".to_string()),
            Just("4,2".to_string()),
            "\\PC{0,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the rows, every one is a lead or an error at its own
        /// line, in order, and nothing panics.
        #[test]
        fn every_row_is_a_lead_or_a_named_error_in_line_order(
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 1..7), 0..40),
            delimiter in prop_oneof![Just(','), Just(';'), Just('\t')],
        ) {
            let d = delimiter.to_string();
            let mut text = ["Email", "Phone", "Company", "Country", "Rating"].join(&d);
            text.push('\n');
            for r in &rows {
                text.push_str(&r.join(&d));
                text.push('\n');
            }
            let parsed = parse(text.as_bytes());
            let mut lines: Vec<u64> = parsed.leads.iter().map(|r| r.line).collect();
            lines.extend(parsed.errors.iter().map(|e| e.line));
            lines.sort_unstable();
            let before = lines.len();
            lines.dedup();
            prop_assert_eq!(before, lines.len(), "one outcome per line");
            prop_assert!(lines.iter().all(|&l| l >= 2), "{:?}", lines);
            for e in &parsed.errors {
                prop_assert!(!e.reason.is_empty());
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_csv(&tenant(), &IntakeContext::default(), &bytes[..], "x", now());
        }
    }
}
