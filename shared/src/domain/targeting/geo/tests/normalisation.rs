//! Normalisation of messy spellings to one key, and properties: no input panics, every
//! answer is a real ISO entry, case and padding do not matter.

use super::*;
use proptest::prelude::*;

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
