//! Streaming lead import, shared by the admin API and the local `import`
//! tool: rows come from any iterator (a CSV or JSON dataset reader), are
//! checked against suppression at intake, deduplicated within the file, and
//! written in chunks of 50 with a few requests each, several chunks in
//! flight. Memory stays bounded by the chunks in flight plus one id per
//! distinct lead (to count duplicates within the file). Re-importing the
//! same rows changes nothing.

use crate::adapters::dynamo::{ImportOutcome, Store};
use crate::domain::datasets::{parse_json_dataset, DatasetKind};
use crate::domain::ids::TenantId;
use crate::domain::intake::{merge, CsvLeads, RowError, RowResult};
use crate::domain::lead::{Lead, LeadRef};
use crate::domain::suppression::{
    domain_matches, suppression_keys, SuppressionEntry, SuppressionKind,
};
use crate::domain::tenant::TenantConfig;
use crate::error::{Error, Result};
use crate::ports::WorkQueue;
use chrono::{DateTime, Utc};
use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use std::collections::HashSet;

/// Leads a chunk: the store writes a chunk in one transaction.
pub const CHUNK: usize = 50;
/// Chunks in flight at once.
pub const PARALLEL: usize = 4;
/// Row errors and merges listed one by one in a report; the counts are exact.
pub const LISTED: usize = 1000;

/// A merge of an incoming row into a stored lead.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MergeRecord {
    pub line: u64,
    pub lead_id: String,
    pub fields: Vec<&'static str>,
}

/// What an import did. Counts are exact; `errors` and `merges` list the
/// first `LISTED` of each.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub source: String,
    /// Data rows read (good and bad).
    pub rows: u64,
    pub created: u64,
    pub merged: u64,
    pub unchanged: u64,
    /// Rows whose lead appeared earlier in the same file (merged into it).
    pub duplicates_in_file: u64,
    /// New leads marked suppressed at intake (kept, never contacted).
    pub suppressed_at_intake: u64,
    pub queued_for_enrichment: u64,
    pub error_count: u64,
    pub errors: Vec<RowError>,
    pub merges: Vec<MergeRecord>,
    pub unmapped_columns: Vec<String>,
}

impl ImportReport {
    pub fn summary(&self) -> String {
        format!(
            "{}: {} rows, {} created, {} merged, {} unchanged, {} duplicates in file, {} suppressed, {} errors",
            self.source,
            self.rows,
            self.created,
            self.merged,
            self.unchanged,
            self.duplicates_in_file,
            self.suppressed_at_intake,
            self.error_count
        )
    }
}

/// The shape of an upload or a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadFormat {
    Csv,
    /// A JSON array, JSON Lines, or an object wrapping the records (`people`,
    /// `items`, ...). `None`: tell Places from people-search by the first record.
    Json(Option<DatasetKind>),
}

impl LeadFormat {
    /// From an explicit name (`csv`, `json`, `jsonl`, `places`, `people`, ...),
    /// a file extension or a content type.
    pub fn parse(name: &str) -> Option<Self> {
        let n = name.trim().to_lowercase();
        let n = n.split(';').next().unwrap_or_default().trim();
        Some(match n {
            "csv" | "txt" | "text/csv" | "text/plain" => LeadFormat::Csv,
            "json"
            | "jsonl"
            | "ndjson"
            | "application/json"
            | "application/x-ndjson"
            | "application/jsonl" => LeadFormat::Json(None),
            other => LeadFormat::Json(Some(DatasetKind::parse(other)?)),
        })
    }
}

/// Rows of leads read one at a time from `input`, and the CSV columns that
/// map to nothing. Fails when the input cannot be a lead file at all (no
/// header, or no column that identifies a lead).
pub fn open_rows<R: std::io::Read + Send + 'static>(
    format: LeadFormat,
    tenant: &TenantId,
    input: R,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(Box<dyn Iterator<Item = RowResult> + Send>, Vec<String>)> {
    match format {
        LeadFormat::Csv => {
            let rows = CsvLeads::new(tenant, input, source, now)
                .map_err(|e| Error::invalid("csv", format!("header row unreadable: {e}")))?;
            if !rows.has_identity_column() {
                return Err(Error::invalid(
                    "header",
                    format!(
                        "no column maps to email, website, phone or LinkedIn (unmapped: {})",
                        rows.unmapped_columns().join(", ")
                    ),
                ));
            }
            let unmapped = rows.unmapped_columns().to_vec();
            Ok((Box::new(rows), unmapped))
        }
        LeadFormat::Json(kind) => Ok((
            Box::new(parse_json_dataset(tenant, input, kind, source, now)),
            vec![],
        )),
    }
}

/// Why a lead is suppressed at intake, if it is: the tenant's suppression
/// list (emails, domains with all their subdomains, phones) or its excluded
/// customer domains.
pub fn intake_suppression(
    lead: &Lead,
    listed: &HashSet<String>,
    config: &TenantConfig,
) -> Option<String> {
    let keys = suppression_keys(
        lead.email.as_deref(),
        lead.company_domain.as_deref(),
        lead.phone.as_deref(),
    );
    keys.iter().find_map(|(k, v)| {
        let key = k.key(v);
        if listed.contains(&key) {
            return Some(format!("suppression list: {key}"));
        }
        (*k == SuppressionKind::Domain)
            .then(|| {
                config
                    .excluded_domains
                    .iter()
                    .find(|ex| domain_matches(ex, v))
            })
            .flatten()
            .map(|ex| format!("excluded customer domain {ex}"))
    })
}

/// One chunk's result, folded into the report as chunks complete.
struct ChunkDone {
    lines: Vec<u64>,
    ids: Vec<String>,
    suppressed: Vec<bool>,
    outcomes: Vec<ImportOutcome>,
    queued: u64,
}

async fn write_chunk(
    store: &Store,
    enrich: &dyn WorkQueue,
    chunk: Vec<(u64, Lead)>,
    now: DateTime<Utc>,
) -> Result<ChunkDone> {
    let (lines, leads): (Vec<u64>, Vec<Lead>) = chunk.into_iter().unzip();
    let outcomes = store.import_leads(&leads, now).await?;
    let to_enrich: Vec<serde_json::Value> = leads
        .iter()
        .zip(&outcomes)
        .filter(|(lead, outcome)| match outcome {
            ImportOutcome::Created => lead.suppressed.is_none(),
            ImportOutcome::Unchanged {
                awaiting_enrichment,
            } => *awaiting_enrichment,
            ImportOutcome::Merged(_) => false,
        })
        .map(|(lead, _)| {
            serde_json::to_value(LeadRef {
                tenant: lead.tenant.clone(),
                lead_id: lead.id.clone(),
            })
            .expect("serialisable")
        })
        .collect();
    enrich.send_all(&to_enrich).await?;
    Ok(ChunkDone {
        lines,
        ids: leads.iter().map(|l| l.id.clone()).collect(),
        suppressed: leads.iter().map(|l| l.suppressed.is_some()).collect(),
        outcomes,
        queued: to_enrich.len() as u64,
    })
}

/// Imports `rows` for `tenant`. `progress` is called after every chunk
/// written. A store or queue failure stops the import with the error; since
/// an import is idempotent, running it again resumes where it stopped.
pub async fn import_rows(
    store: &Store,
    enrich: &dyn WorkQueue,
    tenant: &str,
    source: &str,
    mut rows: impl Iterator<Item = RowResult>,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(&ImportReport) + Send),
) -> Result<ImportReport> {
    let config = store.require_config(tenant).await?;
    let listed: HashSet<String> = store
        .suppressions(tenant)
        .await?
        .iter()
        .map(SuppressionEntry::key)
        .collect();
    let mut report = ImportReport {
        source: source.to_string(),
        ..Default::default()
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut chunk: Vec<(u64, Lead)> = Vec::with_capacity(CHUNK);
    let mut in_flight = FuturesUnordered::new();
    let fold = |report: &mut ImportReport, done: ChunkDone| {
        report.queued_for_enrichment += done.queued;
        for (((line, id), suppressed), outcome) in done
            .lines
            .into_iter()
            .zip(done.ids)
            .zip(done.suppressed)
            .zip(done.outcomes)
        {
            match outcome {
                ImportOutcome::Created => {
                    report.created += 1;
                    if suppressed {
                        report.suppressed_at_intake += 1;
                    }
                }
                ImportOutcome::Merged(fields) => {
                    report.merged += 1;
                    if report.merges.len() < LISTED {
                        report.merges.push(MergeRecord {
                            line,
                            lead_id: id,
                            fields,
                        });
                    }
                }
                ImportOutcome::Unchanged { .. } => report.unchanged += 1,
            }
        }
    };
    loop {
        let row = rows.next();
        let at_end = row.is_none();
        match row {
            None => {}
            Some(Err(e)) => {
                report.rows += 1;
                report.error_count += 1;
                if report.errors.len() < LISTED {
                    report.errors.push(e);
                }
            }
            Some(Ok((line, mut lead))) => {
                report.rows += 1;
                if lead.tenant != tenant {
                    report.error_count += 1;
                    if report.errors.len() < LISTED {
                        report.errors.push(RowError {
                            line,
                            field: "tenant".into(),
                            reason: format!("row belongs to tenant {}", lead.tenant),
                        });
                    }
                    continue;
                }
                if !seen.insert(lead.id.clone()) {
                    report.duplicates_in_file += 1;
                }
                lead.suppressed = intake_suppression(&lead, &listed, &config);
                match chunk.iter_mut().find(|(_, l)| l.id == lead.id) {
                    // The same lead twice in one chunk: one write, merged.
                    Some((_, earlier)) => {
                        merge(earlier, &lead);
                        if earlier.suppressed.is_none() {
                            earlier.suppressed = lead.suppressed;
                        }
                    }
                    None => chunk.push((line, lead)),
                }
            }
        }
        if chunk.len() == CHUNK || (at_end && !chunk.is_empty()) {
            if in_flight.len() >= PARALLEL {
                if let Some(done) = in_flight.next().await {
                    fold(&mut report, done?);
                    progress(&report);
                }
            }
            in_flight.push(write_chunk(
                store,
                enrich,
                std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)),
                now,
            ));
        }
        if at_end {
            break;
        }
    }
    while let Some(done) = in_flight.next().await {
        fold(&mut report, done?);
        progress(&report);
    }
    Ok(report)
}
