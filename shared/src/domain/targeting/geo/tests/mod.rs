//! Tests of country and subdivision normalisation, one file per subject; the helper they share.

use super::*;

mod countries;
mod data_set;
mod normalisation;
mod subdivisions;
mod timezone_consistency;
mod without_country;

fn sub(country: Option<&str>, raw: &str) -> Option<(&'static str, &'static str)> {
    subdivision_code(country, raw)
}
