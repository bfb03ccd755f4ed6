//! Importing lead files (CSV, or JSON datasets) straight into a store,
//! streamed: the file is read row by row, so memory stays bounded whatever
//! its size. Used by the `import` tool and by the tests.

use shared::domain::ids::TenantId;
use shared::error::{Error, Result};
use shared::import::{import_rows, open_rows, ImportReport, LeadFormat};
use shared::ports::WorkQueue;
use shared::store::Store;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// The format of `path`: a `--format` value, else its extension.
pub fn choose_format(flag: Option<&str>, path: &Path) -> Result<LeadFormat> {
    let name = flag
        .map(str::to_string)
        .or_else(|| {
            path.extension()
                .and_then(|e| e.to_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    LeadFormat::parse(&name).ok_or_else(|| {
        Error::invalid(
            "format",
            format!("unknown format {name:?}: use csv, json, jsonl, places or people"),
        )
    })
}

/// Streams `path` into `store` for `tenant`, calling `progress` after every
/// chunk written. Rows that fail are in the report; the rest import.
pub async fn import_file(
    store: &Store,
    enrich: &dyn WorkQueue,
    tenant: &str,
    path: &Path,
    format: LeadFormat,
    now: chrono::DateTime<chrono::Utc>,
    progress: &mut (dyn FnMut(&ImportReport) + Send),
) -> Result<ImportReport> {
    let tid = TenantId::parse(tenant)?;
    let source = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_string();
    let file =
        File::open(path).map_err(|e| Error::invalid("file", format!("{}: {e}", path.display())))?;
    let reader = BufReader::with_capacity(256 * 1024, file);
    let config = store.require_config(tenant).await?;
    let opened = open_rows(format, &tid, &config.intake, reader, &source, now)?;
    let mut report =
        import_rows(store, enrich, &config, &source, opened.rows, now, progress).await?;
    report.unmapped_columns = opened.unmapped;
    report.detected = opened.detection.map(|d| d.get());
    Ok(report)
}

/// Peak resident memory of this process so far, in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Writes a synthetic CSV of `rows` leads (no real people: `.example`
/// domains, 555-01xx numbers), one bad row in every `bad_every` (0 = none).
pub fn write_synthetic_csv(path: &Path, rows: usize, bad_every: usize) -> std::io::Result<()> {
    use std::io::Write;
    const STATES: [(&str, u16); 8] = [
        ("AZ", 602),
        ("TX", 214),
        ("NY", 212),
        ("CA", 415),
        ("FL", 305),
        ("HI", 808),
        ("WA", 206),
        ("IL", 312),
    ];
    const TITLES: [&str; 4] = [
        "Owner",
        "General Manager",
        "Sales Manager",
        "Office Manager",
    ];
    let mut w = std::io::BufWriter::new(File::create(path)?);
    writeln!(
        w,
        "First Name,Last Name,Email Address,Company,Website,Phone,City,State,Country,Title,Rating,Reviews,GBP Claimed,Industry"
    )?;
    for i in 0..rows {
        if bad_every > 0 && i % bad_every == bad_every - 1 {
            writeln!(
                w,
                "Bad,Row{i},not-an-email-{i},Broken Motors {i},,,,,US,,,,,"
            )?;
            continue;
        }
        let (state, area) = STATES[i % STATES.len()];
        writeln!(
            w,
            "Pat{i},Lee{},pat{i}@motors{i}.example,\"Motors {i}, LLC\",https://motors{i}.example,({area}) 555-01{:02},Town{},{state},US,{},{:.1},{},{},used car dealer",
            i % 97,
            i % 100,
            i % 50,
            TITLES[i % TITLES.len()],
            3.0 + (i % 20) as f64 / 10.0,
            10 + i % 200,
            if i % 3 == 0 { "no" } else { "yes" },
        )?;
    }
    w.flush()
}
