//! Tests of the parent module.

use super::*;
use crate::domain::ids::LeadId;
use crate::domain::lead::{Lead, LeadStatus};
use crate::domain::targeting::intake::Row;
use serde_json::json;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn apify_place() -> Value {
    json!({
        "title": "Saguaro Street Motors",
        "categoryName": "Used car dealer",
        "categories": ["Used car dealer", "Car dealer"],
        "street": "107 Example Ave",
        "city": "Mesa",
        "state": "Arizona",
        "postalCode": "85201",
        "countryCode": "us",
        "website": "https://www.SaguaroStreetMotors.example/inventory",
        "phone": "(480) 555-0101",
        "phoneUnformatted": "+14805550101",
        "totalScore": 3.6,
        "reviewsCount": 48,
        "claimThisBusiness": true,
        "permanentlyClosed": false,
        "placeId": "demo-place-01"
    })
}

fn map(kind: DatasetKind, record: &Value) -> Result<Built, FieldError> {
    map_record(
        kind,
        &IntakeContext::default(),
        &tenant(),
        record,
        "t",
        now(),
    )
}

fn place(record: &Value) -> Lead {
    map(DatasetKind::Places, record).unwrap().lead
}

fn with(extra: Value) -> Value {
    let mut p = apify_place();
    p.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    p
}

#[test]
fn given_an_apify_place_when_mapped_then_every_field_lands() {
    let built = map_record(
        DatasetKind::Places,
        &IntakeContext::default(),
        &tenant(),
        &apify_place(),
        "places.json",
        now(),
    )
    .unwrap();
    assert!(built.dropped.is_empty(), "{:?}", built.dropped);
    let lead = built.lead;
    assert_eq!(lead.company.as_deref(), Some("Saguaro Street Motors"));
    assert_eq!(
        lead.company_domain.as_deref(),
        Some("saguarostreetmotors.example")
    );
    // A listing's number is the business's line, not a person's.
    assert_eq!(lead.company_phone.as_deref(), Some("+14805550101"));
    assert_eq!(lead.phone, None);
    assert_eq!(lead.city.as_deref(), Some("Mesa"));
    assert_eq!(lead.state.as_deref(), Some("AZ"));
    assert_eq!(lead.country.as_deref(), Some("US"));
    assert_eq!(lead.industry.as_deref(), Some("Used car dealer"));
    assert_eq!(lead.rating, Some(3.6));
    assert_eq!(lead.reviews, Some(48));
    // claimThisBusiness: true means nobody has claimed the profile.
    assert_eq!(lead.has_gbp, Some(false));
    assert_eq!(lead.place_id.as_deref(), Some("demo-place-01"));
    assert_eq!(lead.review_response_rate, None);
    assert_eq!(lead.hold, None);
    assert_eq!(lead.status, LeadStatus::New);
    assert_eq!(lead.source, "places.json");
    assert_eq!((lead.created_at, lead.updated_at), (now(), now()));
    assert_eq!(
        lead.id,
        LeadId::from_dedup_key(&tenant(), "place:demo-place-01").to_string()
    );
}

#[test]
fn given_a_places_api_new_place_when_mapped_then_address_components_fill_the_location() {
    let record = json!({
        "name": "places/demo-place-77",
        "id": "demo-place-77",
        "displayName": {"text": "Copper Canyon Auto Sales", "languageCode": "en"},
        "formattedAddress": "12 Example Rd, Tucson, AZ 85705, USA",
        "addressComponents": [
            {"longText": "Tucson", "shortText": "Tucson", "types": ["locality", "political"]},
            {"longText": "Arizona", "shortText": "AZ", "types": ["administrative_area_level_1", "political"]},
            {"longText": "United States", "shortText": "US", "types": ["country", "political"]}
        ],
        "nationalPhoneNumber": "(520) 555-0102",
        "internationalPhoneNumber": "+1 520-555-0102",
        "websiteUri": "http://coppercanyonauto.example/",
        "rating": 4.0,
        "userRatingCount": 132,
        "primaryType": "car_dealer",
        "primaryTypeDisplayName": {"text": "Car Dealer", "languageCode": "en-US"},
        "businessStatus": "OPERATIONAL"
    });
    assert_eq!(DatasetKind::detect(&record), DatasetKind::Places);
    let lead = place(&record);
    assert_eq!(lead.company.as_deref(), Some("Copper Canyon Auto Sales"));
    assert_eq!(
        lead.website.as_deref(),
        Some("http://coppercanyonauto.example/")
    );
    assert_eq!(lead.company_phone.as_deref(), Some("+15205550102"));
    assert_eq!(
        (
            lead.city.as_deref(),
            lead.state.as_deref(),
            lead.country.as_deref()
        ),
        (Some("Tucson"), Some("AZ"), Some("US"))
    );
    assert_eq!(lead.industry.as_deref(), Some("Car Dealer"));
    assert_eq!((lead.rating, lead.reviews), (Some(4.0), Some(132)));
    assert_eq!(lead.has_gbp, None);
    assert_eq!(lead.place_id.as_deref(), Some("demo-place-77"));
    let mut closed = record.clone();
    closed["businessStatus"] = json!("CLOSED_TEMPORARILY");
    assert!(place(&closed).hold.is_some());
    closed["businessStatus"] = json!("CLOSED_PERMANENTLY");
    assert_eq!(
        map(DatasetKind::Places, &closed).unwrap_err().0,
        "businessStatus"
    );
}

#[test]
fn given_response_data_when_mapping_a_place_then_the_rate_is_stated_counted_or_estimated() {
    let rate = |extra: Value| place(&with(extra)).review_response_rate;
    assert_eq!(rate(json!({"responseRate": 0.25})), Some(0.25));
    assert_eq!(rate(json!({"ownerResponseRate": "40%"})), Some(0.4));
    assert_eq!(rate(json!({"ownerResponseCount": 12})), Some(0.25));
    let reviews = json!({"reviews": [
        {"stars": 5, "responseFromOwnerText": "Thank you!"},
        {"stars": 1, "responseFromOwnerText": null},
        {"stars": 4},
        {"stars": 3, "responseFromOwnerText": ""}
    ]});
    assert_eq!(rate(reviews), Some(0.25));
    for bad in [
        json!({"responseRate": 140}),
        json!({"ownerResponseCount": 49}),
    ] {
        let built = map(DatasetKind::Places, &with(bad.clone())).unwrap();
        assert_eq!(built.lead.review_response_rate, None, "{bad}");
        assert_eq!(built.dropped[0].field, "review_response_rate", "{bad}");
    }
}

#[test]
fn given_bad_values_in_a_place_when_mapped_then_the_value_is_dropped_by_name_and_the_place_stays() {
    let dropped = |change: Value| {
        let built = map(DatasetKind::Places, &with(change)).unwrap();
        assert_eq!(built.lead.place_id.as_deref(), Some("demo-place-01"));
        built.dropped
    };
    let d = dropped(json!({"totalScore": 7.2}));
    assert_eq!(d[0].field, "totalScore");
    assert!(d[0].reason.contains("7.2"), "{d:?}");
    assert_eq!(
        dropped(json!({"totalScore": "great"}))[0].field,
        "totalScore"
    );
    let d = dropped(json!({"phoneUnformatted": "555-01"}));
    assert_eq!(d[0].field, "phoneUnformatted");
    assert!(d[0].reason.contains("555-01"), "{d:?}");
    assert_eq!(
        dropped(json!({"reviewsCount": -3}))[0].field,
        "reviewsCount"
    );
    assert_eq!(
        dropped(json!({"claimThisBusiness": "maybe"}))[0].field,
        "claimThisBusiness"
    );
    assert_eq!(
        map(
            DatasetKind::Places,
            &with(json!({"permanentlyClosed": true}))
        )
        .unwrap_err()
        .0,
        "permanentlyClosed"
    );
    assert!(place(&with(json!({"temporarilyClosed": true})))
        .hold
        .is_some_and(|h| h.contains("temporarily closed")));
    let anonymous = json!({"title": "Nameless Lot", "phone": "(480) 555-0199"});
    assert!(map(DatasetKind::Places, &anonymous).is_err());
}

#[test]
fn given_two_branches_sharing_a_website_and_phone_when_mapped_then_they_are_two_leads() {
    let a = place(&apify_place());
    let b = place(&with(
        json!({"placeId": "demo-place-02", "city": "Gilbert"}),
    ));
    assert_eq!(
        (&a.company_domain, &a.company_phone),
        (&b.company_domain, &b.company_phone)
    );
    assert_ne!(a.id, b.id);
}

fn apollo_person() -> Value {
    json!({
        "id": "p-001",
        "first_name": "Rowan",
        "last_name": "Vale",
        "name": "Rowan Vale",
        "title": "Owner",
        "seniority": "Owner",
        "email": " Rowan@SaguaroStreetMotors.example ",
        "email_status": "Verified",
        "linkedin_url": "http://www.linkedin.example/in/rowan-vale-demo",
        "city": "Chandler",
        "state": "Arizona",
        "country": "United States",
        "time_zone": "America/Phoenix",
        "phone_numbers": [{"raw_number": "(480) 555-0121", "sanitized_number": "+14805550121"}],
        "organization": {
            "name": "Saguaro Street Motors",
            "website_url": "http://www.saguarostreetmotors.example",
            "primary_domain": "saguarostreetmotors.example",
            "estimated_num_employees": 14,
            "industry": "automotive",
            "city": "Mesa",
            "state": "Arizona",
            "country": "United States",
            "phone": "+1 480-555-0101"
        }
    })
}

#[test]
fn given_an_apollo_person_when_mapped_then_person_and_organization_fields_land() {
    let person = apollo_person();
    assert_eq!(DatasetKind::detect(&person), DatasetKind::People);
    let lead = map(DatasetKind::People, &person).unwrap().lead;
    assert_eq!(lead.first_name.as_deref(), Some("Rowan"));
    assert_eq!(lead.last_name.as_deref(), Some("Vale"));
    assert_eq!(lead.title.as_deref(), Some("Owner"));
    assert_eq!(lead.seniority.as_deref(), Some("owner"));
    assert_eq!(
        lead.email.as_deref(),
        Some("rowan@saguarostreetmotors.example")
    );
    assert_eq!(lead.email_status.as_deref(), Some("verified"));
    assert_eq!(lead.phone.as_deref(), Some("+14805550121"));
    assert_eq!(lead.company_phone.as_deref(), Some("+14805550101"));
    assert_eq!(lead.company.as_deref(), Some("Saguaro Street Motors"));
    assert_eq!(
        lead.company_domain.as_deref(),
        Some("saguarostreetmotors.example")
    );
    assert_eq!(lead.employees, Some(14));
    assert_eq!(lead.industry.as_deref(), Some("automotive"));
    // The organization's HQ wins over where the person lives.
    assert_eq!(lead.city.as_deref(), Some("Mesa"));
    assert_eq!(lead.state.as_deref(), Some("AZ"));
    assert_eq!(lead.country.as_deref(), Some("US"));
    assert_eq!(lead.hq_timezone.as_deref(), Some("America/Phoenix"));
    assert_eq!(
        lead.id,
        LeadId::from_dedup_key(&tenant(), "email:rowan@saguarostreetmotors.example").to_string()
    );
}

#[test]
fn given_a_locked_email_and_no_direct_phone_when_mapped_then_the_switchboard_is_no_direct_phone() {
    let mut person = apollo_person();
    person["email"] = json!("email_not_unlocked@domain.com");
    person["phone_numbers"] = json!([]);
    person["first_name"] = Value::Null;
    person["last_name"] = Value::Null;
    let built = map(DatasetKind::People, &person).unwrap();
    let lead = built.lead;
    assert_eq!(lead.email, None);
    assert_eq!(lead.phone, None);
    assert!(!lead.has_direct_phone());
    assert_eq!(lead.company_phone.as_deref(), Some("+14805550101"));
    assert_eq!(
        (lead.first_name.as_deref(), lead.last_name.as_deref()),
        (Some("Rowan"), Some("Vale"))
    );
    let key = "domain-phone:saguarostreetmotors.example|+14805550101|rowan vale";
    assert_eq!(lead.id, LeadId::from_dedup_key(&tenant(), key).to_string());
    // A colleague on the same switchboard is another lead.
    person["name"] = json!("Tamsin Reed");
    assert_ne!(map(DatasetKind::People, &person).unwrap().lead.id, lead.id);
}

#[test]
fn given_typed_phone_numbers_when_mapped_then_mobile_direct_and_hq_go_apart() {
    let mut person = apollo_person();
    person["phone_numbers"] = json!([
        {"sanitized_number": "+14805550199", "type": "work_hq"},
        {"sanitized_number": "+16025550150", "type": "mobile"},
        {"sanitized_number": "+14805550122", "type": "work_direct"}
    ]);
    let lead = map(DatasetKind::People, &person).unwrap().lead;
    assert_eq!(lead.phone.as_deref(), Some("+14805550122"));
    assert_eq!(lead.mobile_phone.as_deref(), Some("+16025550150"));
    assert_eq!(lead.company_phone.as_deref(), Some("+14805550199"));
}

#[test]
fn given_bad_people_values_when_mapped_then_they_are_dropped_by_name() {
    let dropped_field = |change: &dyn Fn(&mut Value)| {
        let mut person = apollo_person();
        change(&mut person);
        let built = map(DatasetKind::People, &person).unwrap();
        built.dropped[0].field.clone()
    };
    assert_eq!(
        dropped_field(&|p| p["email"] = json!("rowan at saguaro")),
        "email"
    );
    assert_eq!(
        dropped_field(&|p| p["phone_numbers"][0]["sanitized_number"] = json!("555-01")),
        "phone_numbers/0"
    );
    assert_eq!(
        dropped_field(&|p| p["organization"]["estimated_num_employees"] = json!("dozens")),
        "organization/estimated_num_employees"
    );
    let nobody = json!({"first_name": "Tamsin", "title": "GM", "organization": {"name": "Magnolia Motor Co"}});
    assert_eq!(map(DatasetKind::People, &nobody).unwrap_err().0, "email");
}

#[test]
fn given_flat_records_with_csv_column_names_when_mapped_then_they_read_like_csv_rows() {
    let row = json!({"Email Address": "JO@Dealer.example", "Company": "Desert Motors", "Phone": 6025550100_u64, "Google Rating": "3.6", "GBP Claimed": true});
    assert_eq!(DatasetKind::detect(&row), DatasetKind::Csv);
    let lead = map(DatasetKind::Csv, &row).unwrap().lead;
    assert_eq!(lead.email.as_deref(), Some("jo@dealer.example"));
    assert_eq!(lead.phone.as_deref(), Some("+16025550100"));
    assert_eq!((lead.rating, lead.has_gbp), (Some(3.6), Some(true)));
    let bad = json!({"email": "jo@dealer.example", "rating": "9.5"});
    let built = map(DatasetKind::Csv, &bad).unwrap();
    assert_eq!(built.lead.rating, None);
    assert_eq!(built.dropped[0].field, "rating");
}

#[test]
fn given_kind_names_when_parsing_then_aliases_are_accepted() {
    assert_eq!(DatasetKind::parse("CSV"), Some(DatasetKind::Csv));
    assert_eq!(
        DatasetKind::parse("google-places"),
        Some(DatasetKind::Places)
    );
    assert_eq!(DatasetKind::parse(" places "), Some(DatasetKind::Places));
    assert_eq!(
        DatasetKind::parse("people-search"),
        Some(DatasetKind::People)
    );
    assert_eq!(DatasetKind::parse("people"), Some(DatasetKind::People));
    assert_eq!(DatasetKind::parse("xlsx"), None);
    for kind in [DatasetKind::Csv, DatasetKind::Places, DatasetKind::People] {
        assert_eq!(DatasetKind::parse(kind.as_str()), Some(kind));
    }
}

fn dataset(input: &str, kind: Option<DatasetKind>) -> JsonDataset<&[u8]> {
    parse_json_dataset(
        &tenant(),
        &IntakeContext::default(),
        input.as_bytes(),
        kind,
        "t",
        now(),
    )
}

#[test]
fn given_the_demo_places_file_when_imported_then_one_bad_phone_is_dropped_not_the_place() {
    let input = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/local/demo/places.json"
    ));
    let mut data = dataset(input, None);
    let results: Vec<_> = data.by_ref().collect();
    assert_eq!(data.kind(), Some(DatasetKind::Places));
    assert_eq!(data.form(), Some(JsonForm::Array));
    let leads: Vec<&Row> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(leads.len(), 12, "{results:?}");
    let dropped: Vec<(u64, &str)> = leads
        .iter()
        .flat_map(|r| r.dropped.iter().map(|d| (d.line, d.field.as_str())))
        .collect();
    assert_eq!(dropped, vec![(10, "phoneUnformatted")]);
    assert!(leads
        .iter()
        .all(|r| r.lead.country.as_deref() == Some("US")));
    let no_site = leads
        .iter()
        .find(|r| r.lead.website.is_none())
        .expect("one place has no website");
    assert_eq!(no_site.lead.place_id.as_deref(), Some("demo-place-06"));
    assert_eq!(leads[0].lead.review_response_rate, Some(0.25));
    let trust_gap = leads
        .iter()
        .filter(|r| {
            r.lead.rating.is_some_and(|x| (3.2..=4.0).contains(&x))
                && r.lead.reviews.is_some_and(|n| (15..=150).contains(&n))
        })
        .count();
    assert!(trust_gap >= 3, "{trust_gap}");
}

#[test]
fn given_the_demo_people_file_when_imported_then_the_duplicate_shares_an_id() {
    let input = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/local/demo/people.jsonl"
    ));
    let mut data = dataset(input, None);
    let leads: Vec<Row> = data.by_ref().map(Result::unwrap).collect();
    assert_eq!(data.kind(), Some(DatasetKind::People));
    assert_eq!(data.form(), Some(JsonForm::Lines));
    assert_eq!(leads.len(), 10);
    assert_eq!(leads[0].line, 1);
    assert_eq!(leads[9].line, 10);
    assert_eq!(leads[0].lead.id, leads[9].lead.id);
    let ids: std::collections::HashSet<_> = leads.iter().map(|r| &r.lead.id).collect();
    assert_eq!(ids.len(), 9);
}

#[test]
fn given_a_jsonl_dataset_with_bad_rows_when_parsed_then_errors_and_drops_name_line_and_field() {
    let input = [
        r#"{"title": "Good Lot", "placeId": "g1", "totalScore": 3.9}"#,
        r#"{"title": "Starry Lot", "placeId": "g2", "totalScore": 5.5}"#,
        "",
        r#"{"title": "Noisy Lot", "placeId": "g3", "phone": "call us"}"#,
        r#"{"title": "Ghost Lot", "totalScore": 3.0}"#,
        r#"{"title": "Broken"#,
    ]
    .join("\n");
    let summary: Vec<_> = dataset(&input, None)
        .map(|r| match r {
            Ok(row) => (
                row.line,
                row.dropped
                    .first()
                    .map_or("ok".to_string(), |d| format!("dropped {}", d.field)),
            ),
            Err(e) => (e.line, e.field),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "ok".to_string()),
            (2, "dropped totalScore".to_string()),
            (4, "dropped phone".to_string()),
            (5, "email".to_string()),
            (6, "-".to_string()),
        ]
    );
}

#[test]
fn given_a_kind_when_parsing_then_it_overrides_detection() {
    let input = r#"[{"email": "jo@dealer.example", "first_name": "Jo"}]"#;
    let leads: Vec<_> = dataset(input, Some(DatasetKind::Csv)).collect();
    assert_eq!(leads.len(), 1);
    assert_eq!(
        leads[0].as_ref().unwrap().lead.email.as_deref(),
        Some("jo@dealer.example")
    );
}
