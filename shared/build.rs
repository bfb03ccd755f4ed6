//! Writes ISO 3166-2 (from `rust_iso3166`, a build dependency) as one tab-
//! separated text for `domain::targeting::geo`: country, code, name and type
//! of every subdivision.
//!
//! The crate's own table is ~5,000 structs of seven string slices: ~0.6 MB
//! of pointers in every function binary that reads a state or province
//! (`.data.rel.ro`), most of it fields we never read. The same entries as
//! one string are a fifth of that, and pointer-free.

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let mut table = String::new();
    for country in rust_iso3166::ALL {
        let Some(subdivisions) =
            rust_iso3166::iso3166_2::SUBDIVISION_COUNTRY_MAP.get(country.alpha2)
        else {
            continue;
        };
        for s in subdivisions.iter() {
            for field in [s.code, s.name, s.subdivision_type] {
                assert!(
                    !field.contains(['\t', '\n']),
                    "ISO 3166-2 field {field:?} holds a tab or a newline"
                );
            }
            writeln!(
                table,
                "{}\t{}\t{}\t{}",
                country.alpha2, s.code, s.name, s.subdivision_type
            )
            .expect("writing to a String");
        }
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("iso3166_2.tsv"), table).expect("write iso3166_2.tsv");
}
