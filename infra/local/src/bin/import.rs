//! `import`: streams a lead file (CSV, or a JSON dataset) into a stack.
//!
//! ```text
//! import --tenant ID [--format csv|json|places|people] [--generate N] [--twice] [--drain] FILE
//! ```
//!
//! With `TABLE_NAME` and `ENRICH_QUEUE_URL` in the environment (the `stack`
//! tool prints them; AWS credentials work the same way) it imports into that
//! stack, as the admin API would. Otherwise it starts its own local stack,
//! creates the tenant with the default config, and imports there: a
//! self-contained run that validates a file and measures the import.
//! `--generate N` first writes a synthetic N-row CSV to FILE; `--twice`
//! imports it a second time to show that nothing changes; `--drain` (own
//! stack only) then runs enrichment, scoring and drafting over the queue.

use chrono::Utc;
use local_stack::emulators::OwnedStack;
use local_stack::import::{choose_format, import_file, peak_rss_kib, write_synthetic_csv};
use local_stack::runner::LocalStack;
use shared::adapters::{aws, queue::SqsQueue};
use shared::config::Env;
use shared::domain::ids::TenantId;
use shared::domain::tenant::TenantConfig;
use shared::import::ImportReport;
use shared::ports::WorkQueue;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Args {
    tenant: String,
    format: Option<String>,
    generate: Option<usize>,
    twice: bool,
    drain: bool,
    file: PathBuf,
}

fn usage(why: &str) -> ! {
    eprintln!("{why}\nusage: import --tenant ID [--format csv|json|places|people] [--generate N] [--twice] [--drain] FILE");
    std::process::exit(2);
}

fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let (mut tenant, mut format, mut generate, mut file) = (None, None, None, None);
    let (mut twice, mut drain) = (false, false);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--tenant" => tenant = it.next(),
            "--format" => format = it.next(),
            "--generate" => {
                generate = Some(
                    it.next()
                        .and_then(|n| n.replace('_', "").parse().ok())
                        .unwrap_or_else(|| usage("--generate needs a row count")),
                )
            }
            "--twice" => twice = true,
            "--drain" => drain = true,
            "-h" | "--help" => usage("streams a lead file into a stack"),
            f if !f.starts_with("--") => file = Some(PathBuf::from(f)),
            other => usage(&format!("unknown option {other}")),
        }
    }
    Args {
        tenant: tenant.unwrap_or_else(|| usage("--tenant is required")),
        format,
        generate,
        twice,
        drain,
        file: file.unwrap_or_else(|| usage("FILE is required")),
    }
}

/// Prints progress to stderr at most every 2 seconds.
fn progress_printer(started: Instant) -> impl FnMut(&ImportReport) + Send {
    let mut last = Instant::now();
    move |r: &ImportReport| {
        if last.elapsed() >= Duration::from_secs(2) {
            last = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {:>9} rows  {:>7.0} rows/s  {} created, {} merged, {} unchanged, {} errors",
                r.rows,
                r.rows as f64 / secs.max(0.001),
                r.created,
                r.merged,
                r.unchanged,
                r.error_count
            );
        }
    }
}

fn print_report(pass: &str, r: &ImportReport, secs: f64) {
    println!(
        "{pass}: {} in {secs:.1} s ({:.0} rows/s); {} queued for enrichment",
        r.summary(),
        r.rows as f64 / secs.max(0.001),
        r.queued_for_enrichment
    );
    for e in r.errors.iter().take(5) {
        println!("  line {}: {}: {}", e.line, e.field, e.reason);
    }
    if r.error_count > 5 {
        println!("  ... {} more row errors", r.error_count - 5);
    }
    for d in r.dropped.iter().take(5) {
        println!("  line {}: {} left out: {}", d.line, d.field, d.reason);
    }
    if r.dropped_count > 5 {
        println!("  ... {} more values left out", r.dropped_count - 5);
    }
    for h in r.held_leads.iter().take(5) {
        println!("  line {}: held: {}", h.line, h.reason);
    }
    if !r.unmapped_columns.is_empty() {
        println!("  unmapped columns: {}", r.unmapped_columns.join(", "));
    }
    if let Some(d) = &r.detected {
        println!(
            "  read as {} ({}-delimited{}), {}",
            d.encoding,
            d.delimiter,
            if d.decimal_comma {
                ", decimal commas"
            } else {
                ""
            },
            d.tool
        );
    }
}

async fn run(a: &Args, store: &shared::store::Store, enrich: &dyn WorkQueue) -> Result<(), String> {
    let format = choose_format(a.format.as_deref(), &a.file).map_err(|e| e.to_string())?;
    let passes = if a.twice { 2 } else { 1 };
    for pass in 1..=passes {
        let started = Instant::now();
        let requests = store.requests();
        let mut progress = progress_printer(started);
        let r = import_file(
            store,
            enrich,
            &a.tenant,
            &a.file,
            format,
            Utc::now(),
            &mut progress,
        )
        .await
        .map_err(|e| {
            format!("import stopped: {e} (an import is idempotent: run it again to resume)")
        })?;
        print_report(&format!("pass {pass}"), &r, started.elapsed().as_secs_f64());
        println!(
            "  {} DynamoDB requests ({:.3} per row)",
            store.requests() - requests,
            (store.requests() - requests) as f64 / (r.rows.max(1)) as f64
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let a = args();
    if let Some(n) = a.generate {
        let t = Instant::now();
        if let Err(e) = write_synthetic_csv(&a.file, n, 1000) {
            usage(&format!("cannot write {}: {e}", a.file.display()));
        }
        println!(
            "wrote {n} synthetic rows to {} ({:.1} MB) in {:.1} s",
            a.file.display(),
            std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
    }
    let env = Env::from_process();
    let outcome = if env.get("TABLE_NAME").is_some() {
        let sdk = aws::sdk_config().await;
        match (
            aws::store_from_env(&env, &sdk),
            env.require("ENRICH_QUEUE_URL"),
        ) {
            (Ok(store), Ok(url)) => {
                let q = SqsQueue::new(aws::sqs(&sdk), url);
                run(&a, &store, &q).await
            }
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        }
    } else {
        own_stack(&a).await
    };
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak memory of the import process: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    if let Err(e) = outcome {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

async fn own_stack(a: &Args) -> Result<(), String> {
    println!("no TABLE_NAME in the environment: starting a local stack of its own");
    let stack = OwnedStack::start().map_err(|e| e.to_string())?;
    let mut ls = LocalStack::start(&stack.endpoints, "outbound-import", Utc::now(), None).await?;
    let tenant = TenantId::parse(&a.tenant).map_err(|e| e.to_string())?;
    let config = TenantConfig::default_for(tenant, &a.tenant, Utc::now().date_naive());
    ls.store
        .create_tenant(&config, "unused", Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let enrich = ls.admin.enrich.clone();
    run(a, &ls.store, enrich.as_ref()).await?;
    if a.drain {
        let t = Instant::now();
        ls.drain().await?;
        println!(
            "drained enrich -> score -> craft in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        if let Ok(funnel) = ls.admin.funnel(&a.tenant).await {
            println!("funnel: {funnel}");
        }
    }
    Ok(())
}
