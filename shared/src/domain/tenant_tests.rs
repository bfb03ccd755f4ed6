//! Tests of the tenant's config: the SPEC defaults, and validation naming the bad field.

use super::*;

#[test]
fn default_config_is_valid_and_matches_spec_numbers() {
    let c = TenantConfig::default_for(
        TenantId::parse("acme").unwrap(),
        "Acme",
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
    );
    c.validate().unwrap();
    assert_eq!(c.tiers.tier1_min, 80);
    assert_eq!(c.tiers.tier2_min, 60);
    assert_eq!(c.caps.email_per_tenant, 200);
    assert_eq!(c.sequence.len(), 5);
    assert!(c.shadow_mode, "new tenants start in shadow mode");
    let caps: Vec<u32> = c.domains[0].warmup.iter().map(|r| r.daily_cap).collect();
    assert_eq!(caps, vec![20, 40, 60, 80, 150]);
}

#[test]
fn validation_names_the_bad_field() {
    let mut c = TenantConfig::default_for(
        TenantId::parse("acme").unwrap(),
        "Acme",
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
    );
    c.timezone = "Mars/Olympus".into();
    assert_eq!(c.validate().unwrap_err().field, "timezone");
}
