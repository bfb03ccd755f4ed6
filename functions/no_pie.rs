//! The build script of every function package (and of `bench/hello`, so
//! that the baseline is linked alike): a release binary for Linux is linked
//! position-dependent, `-no-pie`, and (on x86_64) with identical code folded.
//!
//! A position-independent executable is relocated by the dynamic loader at
//! every start: each pointer in its tables (string tables of time zones and
//! ISO subdivisions, vtables) is rewritten, and each page holding one is
//! copied on write. For the largest functions that is ~90,000 relocations,
//! ~2 MB of `.rela.dyn` and ~2 ms of a cold start. Linked at a fixed
//! address, the pointers are final in the file and the pages are only read
//! when used. The price is that the binary itself is not placed at a random
//! address (the heap, stack and shared libraries still are).
//!
//! It is a build script rather than a rustflag because a build script can
//! see the profile, and `-no-pie` reaches only this package's binaries: the
//! tests, the debug builds and the proc-macro libraries (which a rustflag
//! for the host would break) are linked as before. The same script runs in
//! `cargo lambda build --release` (which `sam build` calls), so the deployed
//! binaries are linked as the benchmark measures them. The flag goes to the
//! C compiler driver that rustc links with (gcc, clang or cargo-lambda's
//! `zig cc`), after rustc's own `-pie`, and the last of the two wins.

fn main() {
    println!("cargo:rerun-if-changed={}", file!());
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if release && linux {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        // Identical code folding: monomorphised copies that compiled to
        // the same machine code are kept once (~140 KB of admin). Only where
        // rustc links with its own lld by default (x86_64 Linux, built
        // natively); GNU ld, which aarch64 Linux links with, has no --icf.
        let target = std::env::var("TARGET").unwrap_or_default();
        let host = std::env::var("HOST").unwrap_or_default();
        if target == "x86_64-unknown-linux-gnu" && host == target {
            println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
        }
    }
}
