//! The streaming CSV reader: any encoding and delimiter in, one row in
//! memory at a time, each row a lead or an error naming line, field and
//! reason.

use super::columns::{field_for, normal_header, Field, Tool};
use super::dialect::{sniff_decimal_comma, sniff_delimiter, Utf8Reader};
use super::record::LeadDraft;
use super::{row_at, IntakeContext, Row, RowError, RowResult};
use crate::domain::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the reader found out about a file, for the import report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detected {
    /// "UTF-8", "UTF-8 with BOM", "UTF-16 LE", "UTF-16 BE", "Windows-1252".
    pub encoding: &'static str,
    /// Bytes of a UTF-8 file that were not UTF-8 and were read as
    /// Windows-1252 (a file pasted together from two sources).
    #[serde(skip_serializing_if = "is_zero")]
    pub windows_1252_bytes: u64,
    /// "comma", "semicolon", "tab" or "pipe".
    pub delimiter: &'static str,
    /// Numbers are written with a decimal comma ("4,2").
    pub decimal_comma: bool,
    /// The tool whose export the header row matches.
    pub tool: &'static str,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Default, Serialize)]
pub struct ParsedCsv {
    #[serde(skip)]
    pub leads: Vec<Row>,
    pub errors: Vec<RowError>,
    pub unmapped_columns: Vec<String>,
    pub detected: Option<Detected>,
}

/// Turns CRLF into LF while streaming. The csv crate's line numbers drift on
/// CRLF files, and a row error must name the line a person sees.
pub struct CrlfToLf<R> {
    inner: R,
    pending_cr: bool,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
}

impl<R: Read> CrlfToLf<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            pending_cr: false,
            raw: vec![0; 64 * 1024],
            out: Vec::with_capacity(64 * 1024),
            pos: 0,
        }
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            self.out.clear();
            self.pos = 0;
            let got = self.inner.read(&mut self.raw)?;
            if got == 0 {
                if std::mem::take(&mut self.pending_cr) {
                    self.out.push(b'\r');
                    continue;
                }
                return Ok(0);
            }
            for &b in &self.raw[..got] {
                if std::mem::take(&mut self.pending_cr) && b != b'\n' {
                    self.out.push(b'\r');
                }
                if b == b'\r' {
                    self.pending_cr = true;
                } else {
                    self.out.push(b);
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Drops the first line (Excel's `sep=;` hint) before the CSV reader sees it.
pub struct SkipFirstLine<R> {
    inner: R,
    skipping: bool,
}

impl<R: Read> Read for SkipFirstLine<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 || !self.skipping {
                return Ok(n);
            }
            if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
                self.skipping = false;
                buf.copy_within(i + 1..n, 0);
                if n - i - 1 > 0 {
                    return Ok(n - i - 1);
                }
            }
        }
    }
}

type Source<R> = CrlfToLf<SkipFirstLine<Utf8Reader<R>>>;

/// A streaming CSV reader of leads: one row in memory at a time, so a file of
/// any length imports in bounded memory. The encoding, delimiter, decimal
/// commas and the tool that wrote the file are detected from its start. Bad
/// rows come out as `RowError`s (line, field, reason), blank rows are
/// skipped, and the next row is read as usual.
pub struct CsvLeads<R: Read> {
    reader: csv::Reader<Source<R>>,
    mapping: Vec<Option<Field>>,
    labels: Vec<String>,
    unmapped: Vec<String>,
    record: csv::StringRecord,
    done: bool,
    tenant: TenantId,
    ctx: IntakeContext,
    source: String,
    now: DateTime<Utc>,
    detected: Detected,
    fallback: Arc<AtomicU64>,
    /// Lines before the header that the CSV reader does not see.
    line_offset: u64,
    /// One-value rows not yet known to be errors: a run of them that holds
    /// a report footer ("Copyright (c) ... salesforce.com", "Confidential
    /// Information - Do Not Distribute") is the footer, dropped silently.
    short_rows: Vec<RowError>,
    /// Rows decided and waiting to be handed out.
    ready: std::collections::VecDeque<RowResult>,
    in_footer: bool,
}

/// The most one-value rows held back while deciding whether they are a
/// report footer.
const MAX_FOOTER_LINES: usize = 16;

/// The lines report tools write after the data.
fn is_footer_text(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    [
        "copyright (c)",
        "confidential information",
        "generated by",
        "grand totals",
        "total",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

impl<R: Read> CsvLeads<R> {
    /// Reads the header row. Fails only when there is no readable header.
    pub fn new(
        tenant: &TenantId,
        ctx: &IntakeContext,
        input: R,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, csv::Error> {
        let text = Utf8Reader::new(input)?;
        let encoding = text.encoding().label();
        let fallback = text.fallback_counter();
        let (delimiter, sep_line) = sniff_delimiter(text.sample());
        let decimal_comma = sniff_decimal_comma(text.sample(), delimiter);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(delimiter.byte())
            .from_reader(CrlfToLf::new(SkipFirstLine {
                inner: text,
                skipping: sep_line,
            }));
        let headers = reader.headers()?.clone();
        let normal: Vec<String> = headers.iter().map(normal_header).collect();
        let tool = Tool::detect(&normal);
        let mut unmapped = Vec::new();
        let mut labels = Vec::with_capacity(headers.len());
        let mapping = headers
            .iter()
            .map(|h| {
                let label = h.trim_start_matches('\u{feff}').trim().to_string();
                let f = field_for(tool, &label);
                if f.is_none() && !label.is_empty() && !unmapped.contains(&label) {
                    unmapped.push(label.clone());
                }
                labels.push(label);
                f
            })
            .collect();
        Ok(Self {
            reader,
            mapping,
            labels,
            unmapped,
            record: csv::StringRecord::new(),
            done: false,
            tenant: tenant.clone(),
            ctx: ctx.clone(),
            source: source.to_string(),
            now,
            detected: Detected {
                encoding,
                windows_1252_bytes: 0,
                delimiter: delimiter.label(),
                decimal_comma,
                tool: tool.label(),
            },
            fallback,
            line_offset: u64::from(sep_line),
            short_rows: Vec::new(),
            ready: std::collections::VecDeque::new(),
            in_footer: false,
        })
    }

    /// Header columns that map to no lead field (reported once, not fatal).
    pub fn unmapped_columns(&self) -> &[String] {
        &self.unmapped
    }

    /// What was detected; the Windows-1252 byte count grows as rows are read.
    pub fn detected(&self) -> Detected {
        Detected {
            windows_1252_bytes: self.fallback.load(Ordering::Relaxed),
            ..self.detected.clone()
        }
    }

    /// A handle that reads the detection once the rows have been consumed
    /// (the reader itself moves into the import).
    pub fn detection(&self) -> DetectionHandle {
        DetectionHandle {
            detected: self.detected.clone(),
            fallback: self.fallback.clone(),
        }
    }

    /// True when some column can identify a lead; without one every row
    /// would fail.
    pub fn has_identity_column(&self) -> bool {
        self.mapping.iter().flatten().any(|f| f.identifies())
    }

    fn row(&self, line: u64) -> Option<RowResult> {
        let fields = self.record.len();
        let expected = self.mapping.len();
        if self.record.iter().all(str::is_empty) {
            return None;
        }
        let extra_blank = fields > expected && self.record.iter().skip(expected).all(str::is_empty);
        if fields != expected && !extra_blank {
            return Some(Err(RowError {
                line,
                field: "-".into(),
                reason: format!(
                    "{fields} fields, the header has {expected} (a comma inside an unquoted value, or a missing one, shifts the columns)"
                ),
            }));
        }
        let mut draft = LeadDraft::new();
        for ((value, field), label) in self.record.iter().zip(&self.mapping).zip(&self.labels) {
            if let Some(field) = field {
                draft.set(*field, label, value);
            }
        }
        if draft.is_blank() {
            return None;
        }
        let read = draft.finish(
            &self.ctx,
            &self.tenant,
            &self.source,
            self.now,
            self.detected.decimal_comma,
        );
        Some(row_at(line, read))
    }
}

/// Reads a reader's detection after its rows were consumed.
#[derive(Debug, Clone)]
pub struct DetectionHandle {
    detected: Detected,
    fallback: Arc<AtomicU64>,
}

impl DetectionHandle {
    pub fn get(&self) -> Detected {
        Detected {
            windows_1252_bytes: self.fallback.load(Ordering::Relaxed),
            ..self.detected.clone()
        }
    }
}

impl<R: Read> Iterator for CsvLeads<R> {
    type Item = RowResult;

    fn next(&mut self) -> Option<RowResult> {
        loop {
            if let Some(row) = self.ready.pop_front() {
                return Some(row);
            }
            if self.done {
                return None;
            }
            match self.reader.read_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    self.ready.extend(self.short_rows.drain(..).map(Err));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line()) + self.line_offset;
                    let reason = if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        // The input itself failed: report it once and stop.
                        self.done = true;
                        format!("input could not be read: {e}")
                    } else {
                        format!("unreadable row: {e}")
                    };
                    self.ready.extend(self.short_rows.drain(..).map(Err));
                    self.ready.push_back(Err(RowError {
                        line,
                        field: "-".into(),
                        reason,
                    }));
                }
                Ok(true) => {
                    let line = self.record.position().map_or(0, |p| p.line()) + self.line_offset;
                    let filled: Vec<&str> = self.record.iter().filter(|v| !v.is_empty()).collect();
                    let one_value = filled.len() == 1
                        && self.mapping.len() > 2
                        && self.record.get(0).is_some_and(|v| !v.is_empty());
                    if one_value {
                        if self.in_footer || is_footer_text(filled[0]) {
                            self.in_footer = true;
                            self.short_rows.clear();
                            continue;
                        }
                        if let Some(Err(e)) = self.row(line) {
                            // A footer is a few lines; a long run of one-value
                            // rows is the file's own content, reported as it
                            // comes so memory stays bounded.
                            if self.short_rows.len() >= MAX_FOOTER_LINES {
                                self.ready.extend(self.short_rows.drain(..).map(Err));
                            }
                            self.short_rows.push(e);
                            continue;
                        }
                    }
                    self.in_footer = false;
                    self.ready.extend(self.short_rows.drain(..).map(Err));
                    if let Some(row) = self.row(line) {
                        self.ready.push_back(row);
                    }
                }
            }
        }
    }
}

/// Parses a whole CSV of leads in memory (small uploads and tests). Bad rows
/// are reported and skipped; the rest import.
pub fn parse_csv(
    tenant: &TenantId,
    ctx: &IntakeContext,
    input: impl Read,
    source: &str,
    now: DateTime<Utc>,
) -> Result<ParsedCsv, csv::Error> {
    let mut rows = CsvLeads::new(tenant, ctx, input, source, now)?;
    let mut out = ParsedCsv::default();
    for row in rows.by_ref() {
        match row {
            Ok(row) => out.leads.push(row),
            Err(e) => out.errors.push(e),
        }
    }
    out.unmapped_columns = rows.unmapped_columns().to_vec();
    out.detected = Some(rows.detected());
    Ok(out)
}
