//! The whole data set: every ISO subdivision's code and name, every curated alias, ASCII
//! folding of ISO names, subdivision counts and index sizes.

use super::*;
use std::collections::HashSet;

#[test]
fn given_every_iso_subdivision_when_resolving_its_code_then_it_round_trips() {
    let mut total = 0;
    for country in rust_iso3166::ALL {
        for subdivision in iso_subdivisions(country.alpha2) {
            let (_, code) = subdivision.code.split_once('-').expect("CC-CODE");
            let expected = Some((country.alpha2, code));
            assert_eq!(
                sub(Some(country.alpha2), code),
                expected,
                "{}",
                subdivision.code
            );
            assert_eq!(
                sub(None, subdivision.code),
                expected,
                "{}",
                subdivision.code
            );
            assert_eq!(
                sub(Some(country.alpha3), &subdivision.code.to_ascii_lowercase()),
                expected,
                "{}",
                subdivision.code
            );
            total += 1;
        }
    }
    assert!(total > 5000, "{total} subdivisions");
}

#[test]
fn given_every_iso_subdivision_when_resolving_its_name_then_it_round_trips_unless_shared() {
    let mut unreachable = Vec::new();
    for country in rust_iso3166::ALL {
        let subdivisions = iso_subdivisions(country.alpha2);
        for subdivision in subdivisions {
            let (_, code) = subdivision.code.split_once('-').expect("CC-CODE");
            let key = normalize(subdivision.name);
            let shared = subdivisions
                .iter()
                .filter(|other| normalize(other.name) == key)
                .count()
                > 1;
            let curated_elsewhere = data::SUBDIVISION_ALIASES.iter().any(|(c, other, names)| {
                *c == country.alpha2 && *other != code && names.iter().any(|n| normalize(n) == key)
            });
            let is_code_of_another = subdivisions.iter().any(|other| {
                other.code != subdivision.code
                    && normalize(other.code.split_once('-').unwrap().1) == key
            });
            if shared || curated_elsewhere || is_code_of_another {
                continue;
            }
            if sub(Some(country.alpha2), subdivision.name) != Some((country.alpha2, code)) {
                unreachable.push(subdivision.code);
            }
        }
    }
    assert!(
        unreachable.is_empty(),
        "unreachable by name: {unreachable:?}"
    );
}

#[test]
fn given_every_curated_subdivision_alias_when_resolving_then_it_reaches_its_own_subdivision() {
    for &(country, code, aliases) in data::SUBDIVISION_ALIASES {
        assert!(
            iso_code(country, code).is_some(),
            "{country}-{code} is not ISO"
        );
        for alias in aliases {
            assert_eq!(
                sub(Some(country), alias),
                Some((country, code)),
                "{country} {alias:?}"
            );
        }
    }
}

#[test]
fn given_iso_names_when_normalising_then_they_fold_to_plain_ascii() {
    let mut names: Vec<&str> = rust_iso3166::ALL.iter().map(|c| c.name).collect();
    for country in rust_iso3166::ALL {
        names.extend(iso_subdivisions(country.alpha2).iter().map(|s| s.name));
    }
    for name in names {
        let key = normalize(name);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '),
            "{name:?} -> {key:?}"
        );
    }
}

#[test]
fn given_supported_countries_when_counting_then_each_has_its_subdivisions() {
    let expected_minimum = [
        ("US", 57),
        ("CA", 13),
        ("AU", 8),
        ("MX", 32),
        ("BR", 27),
        ("DE", 16),
        ("IN", 36),
        ("GB", 4),
        ("IE", 26),
        ("ES", 19),
        ("IT", 20),
        ("FR", 13),
        ("NL", 12),
    ];
    for (country, minimum) in expected_minimum {
        let count = iso_subdivisions(country).len();
        assert!(count >= minimum, "{country}: {count}");
        assert!(SUPPORTED_COUNTRIES.contains(&country));
    }
}

#[test]
fn given_the_indexes_when_built_then_their_sizes_are_as_documented() {
    let countries: HashSet<&str> = COUNTRIES.by_key.values().copied().collect();
    assert_eq!(countries.len(), 249);
    let subdivisions: usize = SUBDIVISIONS
        .by_country
        .values()
        .map(|keys| {
            keys.values()
                .map(|hit| hit.code)
                .collect::<HashSet<_>>()
                .len()
        })
        .sum();
    assert!(subdivisions > 5000, "{subdivisions}");
}

#[test]
fn the_compact_table_holds_every_iso_subdivision_of_the_crate() {
    let mut total = 0;
    for country in rust_iso3166::ALL {
        let ours = iso_subdivisions(country.alpha2);
        let theirs = rust_iso3166::iso3166_2::SUBDIVISION_COUNTRY_MAP
            .get(country.alpha2)
            .map_or(&[][..], |s| *s);
        assert_eq!(ours.len(), theirs.len(), "{}", country.alpha2);
        for (a, b) in ours.iter().zip(theirs) {
            assert_eq!(
                (a.code, a.name, a.subdivision_type),
                (b.code, b.name, b.subdivision_type)
            );
        }
        total += ours.len();
    }
    assert!(total > 4_000, "{total} subdivisions");
}
