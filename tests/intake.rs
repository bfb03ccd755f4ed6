//! Intake on the local stack, as a user moving off Apollo, HubSpot or a
//! spreadsheet would do it: real exports through the admin API, in the
//! encodings and content types browsers and curl send, read back from
//! DynamoDB field by field; merges across write chunks; DNC entries typed
//! in national format.

use aws_lambda_events::encodings::Body;
use integration_tests::*;
use local_stack::runner::{HttpAnswer, LocalStack};
use serde_json::Value;
use shared::domain::ids::TenantId;
use shared::domain::lead::Lead;
use shared::domain::targeting::intake::{parse_csv, IntakeContext};

fn fixture(name: &str) -> Vec<u8> {
    let path = local_stack::emulators::repo_root()
        .join("tests/fixtures/intake")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Posts raw bytes, base64-encoded as API Gateway hands a binary body over.
async fn post_bytes(
    ls: &mut LocalStack,
    auth: &str,
    path: &str,
    content_type: &str,
    bytes: &[u8],
) -> HttpAnswer {
    use base64::Engine;
    let mut req = LocalStack::request(
        "POST",
        path,
        &[("authorization", auth), ("content-type", content_type)],
        "",
    );
    req.body = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
    req.is_base64_encoded = true;
    let resp = ls.admin.handle(req).await;
    let body = match resp.body {
        Some(Body::Text(t)) => t,
        Some(Body::Binary(b)) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    HttpAnswer {
        status: resp.status_code as u16,
        body,
    }
}

/// What a stored lead says, without what the store itself stamps.
fn comparable(mut lead: Lead) -> Lead {
    lead.version = 0;
    lead.created_at = chrono::DateTime::UNIX_EPOCH;
    lead.updated_at = chrono::DateTime::UNIX_EPOCH;
    lead.source = String::new();
    lead
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tools_export_lands_in_dynamodb_field_for_field() {
    let mut ls = stack("intake-tools", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "tools", |c| c.enrichment.waterfall = vec![]).await;
    let tid = TenantId::parse("tools").unwrap();
    let files = [
        ("apollo_people.csv", "text/csv"),
        ("apollo_companies.csv", "application/vnd.ms-excel"),
        ("hubspot_contacts.csv", "text/comma-separated-values"),
        ("hubspot_companies.csv", "application/octet-stream"),
        ("salesforce_leads.csv", "application/x-www-form-urlencoded"),
        ("clay.csv", "text/csv; charset=utf-8"),
        ("apify_google_maps.csv", "text/csv"),
        ("apify_linkedin.csv", "text/plain"),
        ("lemlist.csv", "text/csv"),
        ("instantly.csv", "text/csv"),
    ];
    for (name, content_type) in files {
        let bytes = fixture(name);
        let expected =
            parse_csv(&tid, &IntakeContext::default(), &bytes[..], name, ls.now()).unwrap();
        let r = post_bytes(&mut ls, &auth, "/admin/leads/import", content_type, &bytes).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let report = r.json();
        assert_eq!(
            report["created"].as_u64(),
            Some(expected.leads.len() as u64),
            "{name}: {report}"
        );
        assert_eq!(
            report["error_count"].as_u64(),
            Some(expected.errors.len() as u64),
            "{name}: {report}"
        );
        assert_eq!(
            report["detected"]["tool"],
            expected.detected.as_ref().unwrap().tool,
            "{name}"
        );
        let held = expected
            .leads
            .iter()
            .filter(|r| r.lead.hold.is_some())
            .count() as u64;
        assert_eq!(report["held"].as_u64(), Some(held), "{name}: {report}");
        assert_eq!(
            report["queued_for_enrichment"].as_u64(),
            Some(expected.leads.len() as u64 - held),
            "{name}: held leads are not enriched: {report}"
        );
        for row in &expected.leads {
            let stored = ls
                .store
                .lead("tools", &row.lead.id)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{name} line {}: not stored", row.line));
            assert_eq!(
                comparable(stored),
                comparable(row.lead.clone()),
                "{name} line {}",
                row.line
            );
        }
    }
    // Two branches of one business are two leads, grouped by its domain.
    let r = ls
        .http(
            "GET",
            "/admin/leads?company=saguarostreetmotors.example",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let branches = r.json()["leads"].as_array().unwrap().len();
    assert_eq!(branches, 2, "{}", r.body);
    ls.cleanup().await;
}

/// The sample every encoding is checked with: accents, curly quotes,
/// decimals.
const SAMPLE: &str = "Email,First Name,Company,City,Country,Phone,Rating\r\n\
jose@autosmuller.example,José,Autos Müller “Premium”,München,Deutschland,089 1234567,4.2\r\n\
zoe@cafe.example,Zoë,Café O’Brien,Dublin,Ireland,01 234 5678,3.5\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_file_in_any_encoding_delimiter_or_upload_form_gives_the_same_leads() {
    let mut ls = stack("intake-encodings", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "enc", |c| c.enrichment.waterfall = vec![]).await;
    let r = post_bytes(
        &mut ls,
        &auth,
        "/admin/leads/import",
        "text/csv",
        SAMPLE.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["created"], 2, "{}", r.body);
    let ids = [
        lead_id("enc", "jose@autosmuller.example"),
        lead_id("enc", "zoe@cafe.example"),
    ];
    let mut reference = Vec::new();
    for id in &ids {
        reference.push(comparable(ls.store.lead("enc", id).await.unwrap().unwrap()));
    }
    assert_eq!(
        reference[0].company.as_deref(),
        Some("Autos Müller “Premium”")
    );
    assert_eq!(reference[0].phone.as_deref(), Some("+49891234567"));
    assert_eq!(reference[0].rating, Some(4.2));

    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(SAMPLE);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(SAMPLE.encode_utf16().flat_map(u16::to_le_bytes));
    let semicolon = SAMPLE
        .replace(',', ";")
        .replace("4.2", "4,2")
        .replace("3.5", "3,5");
    let tab = SAMPLE.replace(',', "\t");
    let semicolon_1252 = encoding_rs::WINDOWS_1252.encode(&semicolon).0.into_owned();
    let variants: Vec<(&str, Vec<u8>, &str)> = vec![
        ("Windows-1252", cp1252.into_owned(), "Windows-1252"),
        ("UTF-16 LE", utf16, "UTF-16 LE"),
        ("semicolon", semicolon.into_bytes(), "UTF-8"),
        ("tab", tab.into_bytes(), "UTF-8"),
        ("Windows-1252 semicolon", semicolon_1252, "Windows-1252"),
    ];
    for (name, bytes, encoding) in variants {
        let r = post_bytes(
            &mut ls,
            &auth,
            "/admin/leads/import",
            "application/vnd.ms-excel",
            &bytes,
        )
        .await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let report = r.json();
        assert_eq!(report["error_count"], 0, "{name}: {report}");
        assert_eq!(
            report["unchanged"], 2,
            "{name}: the same leads, nothing changed: {report}"
        );
        assert_eq!(report["detected"]["encoding"], encoding, "{name}: {report}");
        for (id, want) in ids.iter().zip(&reference) {
            let got = comparable(ls.store.lead("enc", id).await.unwrap().unwrap());
            assert_eq!(&got, want, "{name}");
        }
    }

    // A browser form: multipart/form-data with the file in one part.
    let boundary = "----formboundary7MA4YWxkTrZu0gW";
    let mut form = Vec::new();
    form.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
            .as_bytes(),
    );
    form.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\nContent-Type: application/vnd.ms-excel\r\n\r\n").as_bytes());
    form.extend(encoding_rs::WINDOWS_1252.encode(SAMPLE).0.iter());
    form.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = post_bytes(
        &mut ls,
        &auth,
        "/admin/leads/import",
        &format!("multipart/form-data; boundary={boundary}"),
        &form,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["unchanged"], 2, "{}", r.body);
    assert_eq!(r.json()["source"], "leads.csv", "{}", r.body);

    // What is no lead file is named, with 415.
    let r = post_bytes(
        &mut ls,
        &auth,
        "/admin/leads/import",
        "application/pdf",
        b"%PDF-1.7",
    )
    .await;
    assert_eq!(r.status, 415, "{}", r.body);
    assert!(r.body.contains("application/pdf"), "{}", r.body);
    let r = post_bytes(
        &mut ls,
        &auth,
        "/admin/leads/import",
        "application/vnd.ms-excel",
        b"PK\x03\x04\x14\x00\x06\x00",
    )
    .await;
    assert_eq!(r.status, 415, "an .xlsx workbook is not CSV: {}", r.body);
    ls.cleanup().await;
}

fn lead_id(tenant: &str, email: &str) -> String {
    shared::domain::ids::LeadId::from_dedup_key(
        &TenantId::parse(tenant).unwrap(),
        &format!("email:{email}"),
    )
    .to_string()
}

fn email_row(i: usize, title: &str, city: &str) -> String {
    format!("dup{i}@dealer.example,Lead {i},{title},{city},AZ\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_split_across_write_chunks_merges_newer_wins_for_a_few_requests() {
    let mut ls = stack("intake-merge", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "mrg", |c| c.enrichment.waterfall = vec![]).await;
    let header = "Email,First Name,Title,City,State\n";
    // 300 distinct rows, then the first 10 again with newer values: each
    // duplicate lands in a later chunk than its first row (50 a chunk, 4 in
    // flight), and must win.
    let mut plain = String::from(header);
    for i in 0..310 {
        plain.push_str(&email_row(i, "Owner", "Mesa"));
    }
    let mut dup = String::from(header);
    for i in 0..300 {
        dup.push_str(&email_row(i, "Owner", "Mesa"));
    }
    for i in 0..10 {
        dup.push_str(&email_row(i, "General Manager", "Tempe"));
    }
    let before = ls.admin.store.requests();
    let r = post_bytes(
        &mut ls,
        &auth,
        "/admin/leads/import",
        "text/csv",
        dup.as_bytes(),
    )
    .await;
    let with_dups = ls.admin.store.requests() - before;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(
        (
            report["created"].as_u64(),
            report["merged"].as_u64(),
            report["duplicates_in_file"].as_u64()
        ),
        (Some(300), Some(10), Some(10)),
        "{report}"
    );
    let merges = report["merges"].as_array().unwrap();
    assert_eq!(merges.len(), 10);
    assert!(
        merges.iter().all(|m| m["line"].as_u64().unwrap() > 301),
        "{report}"
    );
    for i in 0..10 {
        let stored = ls
            .store
            .lead("mrg", &lead_id("mrg", &format!("dup{i}@dealer.example")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.title.as_deref(), stored.city.as_deref()),
            (Some("General Manager"), Some("Tempe")),
            "dup{i}: the later row wins"
        );
    }
    // The same file size without duplicates, in another tenant.
    let auth2 = tenant(&mut ls, "mrg2", |c| c.enrichment.waterfall = vec![]).await;
    let before = ls.admin.store.requests();
    let r = post_bytes(
        &mut ls,
        &auth2,
        "/admin/leads/import",
        "text/csv",
        plain.as_bytes(),
    )
    .await;
    let without = ls.admin.store.requests() - before;
    assert_eq!(r.status, 200, "{}", r.body);
    eprintln!(
        "DynamoDB requests for 310 rows: {without} without duplicates, {with_dups} with 10 duplicates across chunks"
    );
    // One merge write per duplicate, nothing like a row-by-row retry.
    assert!(with_dups <= without + 12, "{with_dups} vs {without}");
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dnc_number_typed_in_national_form_stops_the_lead_that_has_it_in_e164() {
    let mut ls = stack("intake-dnc", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "uk", |c| {
        c.enrichment.waterfall = vec![];
        c.intake.default_country = Some("GB".into());
    })
    .await;
    let r = ls
        .http(
            "POST",
            "/admin/suppressions",
            &[("authorization", &auth)],
            r#"{"kind": "phone", "value": "020 7946 0958", "reason": "asked not to be called"}"#,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let csv = "Company,Website,Phone,Country\n\
Thames Motors,thamesmotors.example,+44 (0)20 7946 0958,United Kingdom\n\
Severn Cars,severncars.example,029 2018 0000,\n";
    let r = post_bytes(
        &mut ls,
        &auth,
        "/admin/leads/import",
        "text/csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report: Value = r.json();
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["suppressed_at_intake"], 1, "{report}");
    assert_eq!(report["queued_for_enrichment"], 1, "{report}");
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_field_or_config_is_refused_by_name_and_the_rest_is_kept() {
    let mut ls = stack("oversized", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "big", |_| {}).await;
    // GIVEN a file whose second row carries a 20 KB note
    let mut text = csv(&emails("o", 3, "NY"));
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let huge = "x".repeat(20_000);
    text = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                // notes is the last column
                format!("{l}{huge}")
            } else {
                l.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // WHEN it is imported
    let report = import(&mut ls, &auth, &text).await;
    // THEN that row is refused by column and size, and the others land
    assert_eq!(report["created"], 2, "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["field"], "notes");
    assert!(
        errors[0]["reason"]
            .as_str()
            .unwrap()
            .ends_with("bytes; a field holds at most 16384 bytes"),
        "{report}"
    );
    // AND a config too large for one item is refused by its largest part,
    // without a word of the store's own error
    let mut config = ls
        .http("GET", "/admin/config", &[("authorization", &auth)], "")
        .await
        .json();
    config["excluded_domains"] = (0..30_000)
        .map(|i| Value::String(format!("customer-{i}.example")))
        .collect();
    let r = ls
        .http(
            "PUT",
            "/admin/config",
            &[("authorization", &auth)],
            &config.to_string(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "config.excluded_domains", "{}", r.body);
    for internal in [
        "ValidationException",
        "Item size",
        "aws",
        "dispatch failure",
    ] {
        assert!(!r.body.contains(internal), "{}", r.body);
    }
    ls.cleanup().await;
}
