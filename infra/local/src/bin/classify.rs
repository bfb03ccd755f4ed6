//! `classify`: runs the reply classifier over a labelled set of replies and
//! prints how it did.
//!
//! ```text
//! classify [FILE.jsonl]
//! ```
//!
//! Without FILE it reads the repository's own set,
//! `tests/fixtures/replies/labelled.jsonl`. Prints per-class precision and
//! recall, the confusion matrix, return dates and referral addresses found,
//! and the lines it got wrong. Exits 1 when the file cannot be read or a
//! line is not a labelled reply (the message names the line).

use shared::domain::signals::replies::eval::evaluate;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: classify [FILE.jsonl]

Classifies every reply of a labelled JSON-lines set and prints per-class
precision and recall, the confusion matrix, return dates and referral
emails found, and the misclassified lines.

Each line: {\"channel\": \"email\"|\"sms\"|\"linkedin\", \"headers\": {..},
\"subject\": \"..\", \"body\": \"..\", \"label\": \"<class>\", and optionally
\"return_date\": \"YYYY-MM-DD\", \"referral_email\": \"..\",
\"received_at\": \"RFC 3339\" (default 2026-12-01T10:00:00Z), \"lang\": \"..\"}.

Without FILE: the repository's tests/fixtures/replies/labelled.jsonl.";

/// Where the repository's own set is, from this crate or the current dir.
const OWN_SET: &str = "tests/fixtures/replies/labelled.jsonl";

fn own_set() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<PathBuf> = manifest.ancestors().map(|d| d.join(OWN_SET)).collect();
    if let Ok(cwd) = std::env::current_dir() {
        candidates.extend(cwd.ancestors().map(|d| d.join(OWN_SET)));
    }
    candidates.into_iter().find(|p| p.is_file())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [] => match own_set() {
            Some(p) => p,
            None => {
                eprintln!("classify: no FILE given and {OWN_SET} not found from here\n\n{USAGE}");
                return ExitCode::from(1);
            }
        },
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [file] if !file.starts_with('-') => PathBuf::from(file),
        _ => {
            eprintln!("classify: expected at most one FILE\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("classify: cannot read {}: {e}", path.display());
            return ExitCode::from(1);
        }
    };
    match evaluate(&text) {
        Ok(report) => {
            println!("{}\n", path.display());
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("classify: {}: {e}", path.display());
            ExitCode::from(1)
        }
    }
}
