//! Streaming lead import, shared by the admin API and the local `import`
//! tool: rows come from any iterator (a CSV or JSON dataset reader), are
//! checked against suppression at intake (people erased on request are
//! refused outright), deduplicated within the file, and
//! written in chunks of 50 with a few requests each, several chunks in
//! flight. Memory stays bounded by the chunks in flight plus one id per
//! distinct lead (to count duplicates within the file). Re-importing the
//! same rows changes nothing.

use crate::domain::ids::TenantId;
use crate::domain::lead::{Lead, LeadRef};
use crate::domain::targeting::erasure::{erased_field, ErasureKey, ERASED_REASON};
use crate::domain::targeting::intake::csv_rows::DetectionHandle;
use crate::domain::targeting::intake::datasets::{parse_json_dataset, DatasetKind};
use crate::domain::targeting::intake::{
    merge, CsvLeads, Detected, IntakeContext, Row, RowError, RowResult,
};
use crate::domain::targeting::suppression::{
    domain_matches, lead_suppression_keys, SuppressionEntry, SuppressionKind,
};
use crate::domain::tenant::TenantConfig;
use crate::error::{Error, Result};
use crate::ports::WorkQueue;
use crate::store::{ImportOutcome, Store};
use chrono::{DateTime, Utc};
use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Leads a chunk: the store writes a chunk in one transaction.
pub const CHUNK: usize = 50;
/// Chunks in flight at once.
pub const PARALLEL: usize = 4;
/// Row errors and merges listed one by one in a report; the counts are exact.
pub const LISTED: usize = 1000;

/// A merge of an incoming row into a lead: a stored one, or (`into_line`)
/// an earlier row of the same file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MergeRecord {
    pub line: u64,
    pub lead_id: String,
    pub fields: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub into_line: Option<u64>,
}

/// A lead imported but held, not prospected, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HeldRecord {
    pub line: u64,
    pub lead_id: String,
    pub reason: String,
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
    /// New leads held at intake (an existing customer, a temporarily closed
    /// business): kept, never contacted.
    pub held: u64,
    pub error_count: u64,
    pub errors: Vec<RowError>,
    /// Rows of people erased on request: refused and not stored. `refused`
    /// lists the first `LISTED` by line and the field that matched (never
    /// its value).
    pub refused_erased: u64,
    pub refused: Vec<RowError>,
    pub merges: Vec<MergeRecord>,
    pub held_leads: Vec<HeldRecord>,
    /// Values left out of leads that did import (a bad phone, an unknown
    /// country), each with line, column and reason.
    pub dropped_count: u64,
    pub dropped: Vec<RowError>,
    pub unmapped_columns: Vec<String>,
    /// Encoding, delimiter, decimal commas and the tool, for a CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected: Option<Detected>,
}

impl ImportReport {
    pub fn summary(&self) -> String {
        format!(
            "{}: {} rows, {} created, {} merged, {} unchanged, {} duplicates in file, {} suppressed, {} held, {} refused (erased on request), {} errors, {} values dropped",
            self.source,
            self.rows,
            self.created,
            self.merged,
            self.unchanged,
            self.duplicates_in_file,
            self.suppressed_at_intake,
            self.held,
            self.refused_erased,
            self.error_count,
            self.dropped_count
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
            "csv"
            | "tsv"
            | "txt"
            | "text/csv"
            | "text/plain"
            | "text/tab-separated-values"
            | "text/comma-separated-values"
            | "text/x-csv"
            | "application/csv"
            | "application/x-csv"
            | "application/vnd.ms-excel" => LeadFormat::Csv,
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

/// The media type of a `Content-Type` header, lower case, without its
/// parameters ("text/csv; charset=utf-8" → "text/csv"); "" when absent.
pub fn media_type(content_type: Option<&str>) -> String {
    content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_lowercase()
        })
        .unwrap_or_default()
}

impl LeadFormat {
    /// The format of an uploaded file from its content type, its file name
    /// and its first bytes. Types clients send for any file
    /// (`application/octet-stream`, a form's urlencoded type, `text/plain`)
    /// and no type at all are decided by the name, else by the content: a
    /// body opening with `[` or `{` is JSON, anything else CSV. None: the
    /// type or the content is one no lead file has (a PDF, an Excel
    /// workbook).
    pub fn for_upload(
        content_type: Option<&str>,
        file_name: Option<&str>,
        bytes: &[u8],
    ) -> Option<Self> {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            // An .xlsx (a zip) or .xls (OLE) workbook: not a CSV whatever
            // its type says.
            return None;
        }
        let mime = media_type(content_type);
        let by_name = file_name
            .and_then(|n| n.rsplit_once('.'))
            .and_then(|(_, ext)| match ext.to_lowercase().as_str() {
                "csv" | "tsv" | "txt" => Some(LeadFormat::Csv),
                "json" | "jsonl" | "ndjson" => Some(LeadFormat::Json(None)),
                _ => None,
            });
        let first = bytes
            .strip_prefix(&[0xEF, 0xBB, 0xBF])
            .unwrap_or(bytes)
            .iter()
            .find(|b| !b.is_ascii_whitespace());
        let sniffed = match first {
            Some(b'[' | b'{') => LeadFormat::Json(None),
            _ => LeadFormat::Csv,
        };
        match mime.as_str() {
            ""
            | "application/octet-stream"
            | "binary/octet-stream"
            | "application/x-www-form-urlencoded"
            | "text/plain" => Some(by_name.unwrap_or(sniffed)),
            m => LeadFormat::parse(m),
        }
    }
}

/// Rows of leads opened from a file: the rows, read one at a time, the
/// columns that map to nothing, and (for a CSV) what was detected.
pub struct OpenedRows {
    pub rows: Box<dyn Iterator<Item = RowResult> + Send>,
    pub unmapped: Vec<String>,
    pub detection: Option<DetectionHandle>,
}

/// Rows of leads read one at a time from `input`. Fails when the input
/// cannot be a lead file at all (no header, or no column that identifies a
/// lead).
pub fn open_rows<R: std::io::Read + Send + 'static>(
    format: LeadFormat,
    tenant: &TenantId,
    ctx: &IntakeContext,
    input: R,
    source: &str,
    now: DateTime<Utc>,
) -> Result<OpenedRows> {
    match format {
        LeadFormat::Csv => {
            let rows = CsvLeads::new(tenant, ctx, input, source, now)
                .map_err(|e| Error::invalid("csv", format!("header row unreadable: {e}")))?;
            if !rows.has_identity_column() {
                let d = rows.detected();
                return Err(Error::invalid(
                    "header",
                    format!(
                        "no column maps to email, website, phone, LinkedIn or place id (read as {}, {}-delimited; unmapped: {})",
                        d.encoding,
                        d.delimiter,
                        rows.unmapped_columns().join(", ")
                    ),
                ));
            }
            let unmapped = rows.unmapped_columns().to_vec();
            let detection = Some(rows.detection());
            Ok(OpenedRows {
                rows: Box::new(rows),
                unmapped,
                detection,
            })
        }
        LeadFormat::Json(kind) => Ok(OpenedRows {
            rows: Box::new(parse_json_dataset(tenant, ctx, input, kind, source, now)),
            unmapped: vec![],
            detection: None,
        }),
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
    let keys = lead_suppression_keys(lead);
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

/// The key to recognise erased people by, when the tenant has any. With
/// erased people on the list and no key to recognise them, nothing is
/// imported: the import fails rather than bring one of them back.
fn erasure_check<'a>(store: &'a Store, listed: &HashSet<String>) -> Result<Option<&'a ErasureKey>> {
    let prefix = SuppressionKind::Erased.key("");
    if !listed.iter().any(|k| k.starts_with(&prefix)) {
        return Ok(None);
    }
    store.erasure_key().map(Some).ok_or_else(|| {
        Error::Config(
            "the tenant has people erased on request, and this function has no ERASURE_KEY or LINK_SIGNING_KEY to recognise them: nothing imported".into(),
        )
    })
}

/// One chunk's result, folded into the report as chunks complete.
struct ChunkDone {
    lines: Vec<u64>,
    ids: Vec<String>,
    suppressed: Vec<bool>,
    held: Vec<Option<String>>,
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
            ImportOutcome::Created => lead.suppressed.is_none() && lead.hold.is_none(),
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
        held: leads.iter().map(|l| l.hold.clone()).collect(),
        outcomes,
        queued: to_enrich.len() as u64,
    })
}

/// Imports `rows` for `tenant`. `progress` is called after every chunk
/// written. A store or queue failure stops the import with the error; since
/// an import is idempotent, running it again resumes where it stopped.
///
/// The same lead on several rows merges in line order, newer wins: rows in
/// one chunk merge before the write, and a chunk holding a lead that a chunk
/// still in flight also holds waits for the chunks in flight, so writes of
/// one lead never race (a race would let the older row win, and cost a
/// failed transaction and a row-by-row retry).
pub async fn import_rows(
    store: &Store,
    enrich: &dyn WorkQueue,
    config: &TenantConfig,
    source: &str,
    mut rows: impl Iterator<Item = RowResult>,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(&ImportReport) + Send),
) -> Result<ImportReport> {
    let tenant = config.tenant.as_str();
    let listed: HashSet<String> = store
        .suppressions(tenant)
        .await?
        .iter()
        .map(SuppressionEntry::key)
        .collect();
    let erased_key = erasure_check(store, &listed)?;
    let mut report = ImportReport {
        source: source.to_string(),
        ..Default::default()
    };
    let mut seen: HashSet<String> = HashSet::new();
    // Leads in chunks not yet written, with how many such chunks hold each.
    let mut in_flight_ids: HashMap<String, usize> = HashMap::new();
    let mut chunk: Vec<(u64, Lead)> = Vec::with_capacity(CHUNK);
    let mut in_flight = FuturesUnordered::new();
    let fold =
        |report: &mut ImportReport, in_flight_ids: &mut HashMap<String, usize>, done: ChunkDone| {
            report.queued_for_enrichment += done.queued;
            for ((((line, id), suppressed), held), outcome) in done
                .lines
                .into_iter()
                .zip(done.ids)
                .zip(done.suppressed)
                .zip(done.held)
                .zip(done.outcomes)
            {
                if let Some(n) = in_flight_ids.get_mut(&id) {
                    *n -= 1;
                    if *n == 0 {
                        in_flight_ids.remove(&id);
                    }
                }
                let note_held = |report: &mut ImportReport, id: &str| {
                    if let Some(reason) = &held {
                        report.held += 1;
                        if report.held_leads.len() < LISTED {
                            report.held_leads.push(HeldRecord {
                                line,
                                lead_id: id.to_string(),
                                reason: reason.clone(),
                            });
                        }
                    }
                };
                match outcome {
                    ImportOutcome::Created => {
                        report.created += 1;
                        if suppressed {
                            report.suppressed_at_intake += 1;
                        }
                        note_held(report, &id);
                    }
                    ImportOutcome::Merged(fields) => {
                        report.merged += 1;
                        if fields.contains(&"hold") {
                            note_held(report, &id);
                        }
                        if report.merges.len() < LISTED {
                            report.merges.push(MergeRecord {
                                line,
                                lead_id: id,
                                fields,
                                into_line: None,
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
            Some(Ok(Row {
                line,
                mut lead,
                dropped,
            })) => {
                report.rows += 1;
                // Before anything of the row is kept or echoed: an erased
                // person's values go nowhere, not even into the report.
                if let Some(field) = erased_key.and_then(|key| {
                    erased_field(key, tenant, &lead, |h| {
                        listed.contains(&SuppressionKind::Erased.key(h))
                    })
                }) {
                    report.refused_erased += 1;
                    if report.refused.len() < LISTED {
                        report.refused.push(RowError {
                            line,
                            field: field.into(),
                            reason: ERASED_REASON.into(),
                        });
                    }
                    continue;
                }
                report.dropped_count += dropped.len() as u64;
                let room = LISTED.saturating_sub(report.dropped.len());
                report.dropped.extend(dropped.into_iter().take(room));
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
                lead.suppressed = intake_suppression(&lead, &listed, config);
                match chunk.iter_mut().find(|(_, l)| l.id == lead.id) {
                    // The same lead twice in one chunk: one write, the later
                    // row's values winning.
                    // Counted as a duplicate in the file, not as a merge
                    // into a stored lead, so that importing the same file
                    // again still reports nothing merged.
                    Some((earlier_line, earlier)) => {
                        let fields = merge(earlier, &lead);
                        earlier.suppressed = intake_suppression(earlier, &listed, config);
                        if !fields.is_empty() && report.merges.len() < LISTED {
                            report.merges.push(MergeRecord {
                                line,
                                lead_id: lead.id.clone(),
                                fields,
                                into_line: Some(*earlier_line),
                            });
                        }
                    }
                    None => chunk.push((line, lead)),
                }
            }
        }
        if chunk.len() == CHUNK || (at_end && !chunk.is_empty()) {
            let waits_for_earlier = chunk.iter().any(|(_, l)| in_flight_ids.contains_key(&l.id));
            while (waits_for_earlier && !in_flight.is_empty()) || in_flight.len() >= PARALLEL {
                if let Some(done) = in_flight.next().await {
                    fold(&mut report, &mut in_flight_ids, done?);
                    progress(&report);
                }
            }
            for (_, l) in &chunk {
                *in_flight_ids.entry(l.id.clone()).or_default() += 1;
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
        fold(&mut report, &mut in_flight_ids, done?);
        progress(&report);
    }
    Ok(report)
}
