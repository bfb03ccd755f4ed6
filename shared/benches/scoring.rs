//! Scoring throughput: leads scored per second on one core. Run with
//! `cargo bench -p shared --bench scoring`; prints its figures.

use shared::domain::ids::TenantId;
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::targeting::scoring::score_lead;
use shared::domain::tenant::TenantConfig;
use std::hint::black_box;
use std::time::Instant;

fn leads(n: usize) -> Vec<Lead> {
    (0..n)
        .map(|i| Lead {
            id: format!("{i:020x}"),
            email: Some(format!("owner{i}@dealer{i}.example")),
            title: Some(["Owner", "General Manager", "Sales Manager", "CEO"][i % 4].into()),
            industry: Some(["Used car dealer", "Auto dealer", "Bakery"][i % 3].into()),
            notes: Some("independent lot".into()),
            employees: Some((i % 300) as u32),
            country: Some("US".into()),
            state: Some(["AZ", "NY", "HI", "TX"][i % 4].into()),
            rating: Some(2.5 + (i % 25) as f64 / 10.0),
            reviews: Some((i % 400) as u32),
            website: (i % 7 != 0).then(|| format!("https://dealer{i}.example")),
            has_gbp: Some(i % 5 != 0),
            review_response_rate: Some((i % 10) as f64 / 10.0),
            phone: (i % 2 == 0).then(|| "+16025550100".into()),
            status: LeadStatus::Enriched,
            ..Default::default()
        })
        .collect()
}

fn main() {
    let config = TenantConfig::default_for(
        TenantId::parse("bench").unwrap(),
        "Bench",
        "2026-11-02".parse().unwrap(),
    );
    let leads = leads(100_000);
    // Warm up, then measure a few rounds and report the best.
    let mut best = f64::MAX;
    let mut checksum = 0u64;
    for round in 0..6 {
        let start = Instant::now();
        for lead in &leads {
            checksum += u64::from(black_box(score_lead(black_box(lead), &config, 0)).score);
        }
        let secs = start.elapsed().as_secs_f64();
        if round > 0 {
            best = best.min(secs);
        }
    }
    println!(
        "scoring: {} leads in {:.3} s on one core = {:.0} leads/s/core (checksum {checksum})",
        leads.len(),
        best,
        leads.len() as f64 / best
    );
}
