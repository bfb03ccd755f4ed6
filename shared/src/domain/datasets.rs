//! Lead intake from JSON datasets: a streaming reader for a JSON array, JSON
//! Lines or an object wrapping the array, and mappers from Google Places
//! crawls and people-search records to leads, so a JSON dataset imports like
//! CSV rows, with the same row errors and the same dedup key.

use super::ids::{LeadId, TenantId};
use super::intake::{dedup_key, field_for, lead_from_record, RowError};
use super::lead::{Lead, LeadStatus};
use super::suppression::{canonical_domain, canonical_email, canonical_phone, email_domain};
use super::timezone::country_alpha2;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{self, Read};

// ---------------------------------------------------------------------------------------
// Streaming reader
// ---------------------------------------------------------------------------------------

/// Keys under which an API response or an export wraps its array of records:
/// people-search APIs answer `{"people": [...], "contacts": [...]}`, the
/// Places API `{"places": [...]}`, many exports `{"items": [...]}`.
const WRAPPER_KEYS: [&[u8]; 7] = [
    b"people",
    b"contacts",
    b"items",
    b"places",
    b"results",
    b"data",
    b"records",
];

/// Longest key worth remembering while looking for a wrapper key.
const MAX_KEY: usize = 16;

const CHUNK: usize = 8 * 1024;

/// The layout of a JSON dataset, told apart by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// `[ {...}, {...} ]`: records are numbered from 1 in array order.
    Array,
    /// One object per line (also a single object, pretty-printed or not):
    /// records are numbered by the line they start on.
    Lines,
    /// `{"people": [...], ...}`: an object whose member under one of the
    /// known keys is an array of objects; numbered from 1 across every such
    /// member.
    Wrapped,
}

/// One record: its number (array position, or line for JSON Lines) and the
/// object, or why it could not be read.
pub type JsonRecord = (u64, Result<Value, RowError>);

/// Reads records from a JSON dataset one at a time, holding only the record
/// being read: memory is bounded by the largest record (plus an 8 KiB read
/// buffer), whatever the size of the input. The form is detected from the
/// first byte that is not whitespace (a UTF-8 BOM is skipped): `[` is an
/// array; `{` is a wrapper object when, before that first object closes, a
/// member named `people`, `contacts`, `items`, `places`, `results`, `data` or
/// `records` holds an array of objects, else JSON Lines. While the form is
/// undecided the members before the wrapper array are held (small in
/// practice: `breadcrumbs` and the like); a JSON Lines record with such a
/// member would be taken for a wrapper.
///
/// A malformed record yields a `RowError` and reading goes on: with JSON
/// Lines always from the next line; in an array from the next structural
/// boundary the scanner can find, which after an unterminated string may be
/// wrong. Read errors and a truncated input end the iteration.
pub struct JsonRecords<R> {
    src: ByteSource<R>,
    state: State,
    form: Option<JsonForm>,
    /// The bytes of the record being read.
    record: Vec<u8>,
    /// Open brackets of the value being scanned.
    stack: Vec<u8>,
    /// The last object key read, up to `MAX_KEY + 1` bytes.
    key: Vec<u8>,
    /// Records started so far.
    count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// Inside an array of records; `in_object` when the array is a member of
    /// a wrapper object.
    Elements {
        in_object: bool,
    },
    /// Between the members of a wrapper object.
    Members,
    Lines,
    Done,
}

/// How scanning a value ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    Complete,
    /// The input ended inside the value.
    Eof,
    /// The value is malformed and was cut short at a raw newline inside a
    /// string.
    Cut,
}

impl<R: Read> JsonRecords<R> {
    pub fn new(input: R) -> Self {
        Self {
            src: ByteSource::new(input),
            state: State::Start,
            form: None,
            record: Vec::new(),
            stack: Vec::new(),
            key: Vec::with_capacity(MAX_KEY + 1),
            count: 0,
        }
    }

    /// The form, once the first record has been asked for.
    pub fn form(&self) -> Option<JsonForm> {
        self.form
    }

    /// Bytes the reader holds on to: its read buffer and the buffers of the
    /// record being read. Stays near the size of the largest record.
    pub fn buffered_capacity(&self) -> usize {
        self.src.buf.len() + self.record.capacity() + self.stack.capacity() + self.key.capacity()
    }

    fn step(&mut self) -> io::Result<Option<JsonRecord>> {
        match self.state {
            State::Start => self.start(),
            State::Elements { in_object } => self.next_element(in_object),
            State::Members => self.next_member(),
            State::Lines => self.next_line(),
            State::Done => Ok(None),
        }
    }

    fn start(&mut self) -> io::Result<Option<JsonRecord>> {
        if self.src.peek()? == Some(0xEF) {
            self.src.bump();
            for expected in [0xBB, 0xBF] {
                if self.src.peek()? != Some(expected) {
                    return self.fail(1, "the input starts with a broken byte order mark".into());
                }
                self.src.bump();
            }
        }
        match self.skip_ws(false)? {
            None => {
                self.state = State::Done;
                Ok(None)
            }
            Some(b'[') => {
                self.src.bump();
                self.form = Some(JsonForm::Array);
                self.state = State::Elements { in_object: false };
                Ok(None)
            }
            Some(b'{') => self.detect_object(),
            Some(b) => self.fail(
                1,
                format!(
                    "expected a JSON array, JSON Lines or an object, found {:?}",
                    char::from(b)
                ),
            ),
        }
    }

    /// Reads the first object, keeping its bytes, until it either closes (a
    /// JSON Lines record) or shows a wrapper key holding an array of objects.
    fn detect_object(&mut self) -> io::Result<Option<JsonRecord>> {
        let line = self.src.line;
        self.record.clear();
        self.take(true);
        loop {
            match self.skip_ws(true)? {
                Some(b'}') => {
                    self.take(true);
                    self.form = Some(JsonForm::Lines);
                    self.state = State::Lines;
                    self.count += 1;
                    return Ok(Some(self.parse_record(line)));
                }
                Some(b',') => {
                    self.take(true);
                    continue;
                }
                Some(b'"') => {}
                _ => return self.first_line_malformed(line),
            }
            if self.scan_string(true, true)? != Scan::Complete {
                return self.first_line_malformed(line);
            }
            if self.skip_ws(true)? != Some(b':') {
                return self.first_line_malformed(line);
            }
            self.take(true);
            let wrapper = self.is_wrapper_key();
            let scan = match self.skip_ws(true)? {
                Some(b'[') if wrapper => {
                    self.take(true);
                    if matches!(self.skip_ws(true)?, Some(b'{' | b']')) {
                        self.record.clear();
                        self.form = Some(JsonForm::Wrapped);
                        self.state = State::Elements { in_object: true };
                        return Ok(None);
                    }
                    self.rest_of_array(true)?
                }
                _ => self.scan_value(true)?,
            };
            if scan != Scan::Complete {
                return self.first_line_malformed(line);
            }
        }
    }

    /// The first object is malformed: take the input as JSON Lines, report the
    /// first line and go on with the next.
    fn first_line_malformed(&mut self, line: u64) -> io::Result<Option<JsonRecord>> {
        while let Some(b) = self.src.peek()? {
            if b == b'\n' {
                break;
            }
            self.take(true);
        }
        self.form = Some(JsonForm::Lines);
        self.state = State::Lines;
        self.count += 1;
        Ok(Some(self.parse_record(line)))
    }

    fn next_element(&mut self, in_object: bool) -> io::Result<Option<JsonRecord>> {
        loop {
            match self.skip_ws(false)? {
                None => {
                    let n = self.count + 1;
                    return self.fail(n, "the input ended before the array was closed".into());
                }
                Some(b']') => {
                    self.src.bump();
                    if in_object {
                        self.state = State::Members;
                        return Ok(None);
                    }
                    return self.finish();
                }
                Some(b',') => {
                    self.src.bump();
                }
                Some(_) => {
                    self.count += 1;
                    let n = self.count;
                    self.record.clear();
                    return match self.scan_value(true)? {
                        Scan::Eof => self.fail(n, "the input ended inside this record".into()),
                        Scan::Complete | Scan::Cut => Ok(Some(self.parse_record(n))),
                    };
                }
            }
        }
    }

    /// Skips the members of a wrapper object that are not records, until the
    /// next wrapper array or the end of the object.
    fn next_member(&mut self) -> io::Result<Option<JsonRecord>> {
        let malformed = "the object around the records is malformed";
        loop {
            match self.skip_ws(false)? {
                None => {
                    let n = self.count + 1;
                    return self.fail(n, "the input ended before the object was closed".into());
                }
                Some(b'}') => {
                    self.src.bump();
                    return self.finish();
                }
                Some(b',') => {
                    self.src.bump();
                    continue;
                }
                Some(b'"') => {}
                Some(_) => return self.fail(self.count + 1, malformed.into()),
            }
            if self.scan_string(false, true)? != Scan::Complete
                || self.skip_ws(false)? != Some(b':')
            {
                return self.fail(self.count + 1, malformed.into());
            }
            self.src.bump();
            let wrapper = self.is_wrapper_key();
            let scan = match self.skip_ws(false)? {
                Some(b'[') if wrapper => {
                    self.src.bump();
                    if matches!(self.skip_ws(false)?, Some(b'{' | b']')) {
                        self.state = State::Elements { in_object: true };
                        return Ok(None);
                    }
                    self.rest_of_array(false)?
                }
                _ => self.scan_value(false)?,
            };
            if scan != Scan::Complete {
                return self.fail(self.count + 1, malformed.into());
            }
        }
    }

    fn next_line(&mut self) -> io::Result<Option<JsonRecord>> {
        loop {
            let line = self.src.line;
            self.record.clear();
            let mut ended = true;
            while let Some(b) = self.src.peek()? {
                self.src.bump();
                if b == b'\n' {
                    ended = false;
                    break;
                }
                self.record.push(b);
            }
            if self.record.iter().all(|b| is_ws(*b)) {
                if ended {
                    self.state = State::Done;
                    return Ok(None);
                }
                continue;
            }
            self.count += 1;
            return Ok(Some(self.parse_record(line)));
        }
    }

    /// After the top-level value: only whitespace may follow.
    fn finish(&mut self) -> io::Result<Option<JsonRecord>> {
        if self.skip_ws(false)?.is_some() {
            let n = self.count + 1;
            return self.fail(n, "unexpected data after the end of the JSON".into());
        }
        self.state = State::Done;
        Ok(None)
    }

    fn fail(&mut self, number: u64, reason: String) -> io::Result<Option<JsonRecord>> {
        self.state = State::Done;
        Ok(Some((number, Err(row_error(number, "-", reason)))))
    }

    fn parse_record(&self, number: u64) -> JsonRecord {
        let result = match serde_json::from_slice::<Value>(&self.record) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(other) => Err(row_error(
                number,
                "-",
                format!("expected a JSON object, found {}", json_type(&other)),
            )),
            Err(e) => Err(row_error(number, "-", format!("malformed JSON: {e}"))),
        };
        (number, result)
    }

    fn is_wrapper_key(&self) -> bool {
        WRAPPER_KEYS.contains(&self.key.as_slice())
    }

    /// Consumes the byte last peeked, keeping it in the record if asked.
    fn take(&mut self, keep: bool) {
        let b = self.src.bump();
        if keep {
            self.record.push(b);
        }
    }

    fn skip_ws(&mut self, keep: bool) -> io::Result<Option<u8>> {
        while let Some(b) = self.src.peek()? {
            if !is_ws(b) {
                return Ok(Some(b));
            }
            self.take(keep);
        }
        Ok(None)
    }

    /// Scans one value starting at the next byte, which is not whitespace.
    /// Always consumes at least one byte.
    fn scan_value(&mut self, keep: bool) -> io::Result<Scan> {
        self.stack.clear();
        match self.src.peek()? {
            None => Ok(Scan::Eof),
            Some(b'"') => self.scan_string(keep, false),
            Some(b'{' | b'[') => self.scan_container(keep),
            Some(_) => {
                self.take(keep);
                while let Some(b) = self.src.peek()? {
                    if is_ws(b) || matches!(b, b',' | b']' | b'}') {
                        break;
                    }
                    self.take(keep);
                }
                Ok(Scan::Complete)
            }
        }
    }

    /// Scans the rest of an array whose `[` was already consumed.
    fn rest_of_array(&mut self, keep: bool) -> io::Result<Scan> {
        self.stack.clear();
        self.stack.push(b'[');
        self.scan_container(keep)
    }

    /// Scans until every bracket on the stack (and any opened on the way) is
    /// closed. A closing bracket closes its nearest opener of the same kind,
    /// dropping any left open inside it, or else the innermost one, so a
    /// malformed record still ends near where it should.
    fn scan_container(&mut self, keep: bool) -> io::Result<Scan> {
        loop {
            let Some(b) = self.src.peek()? else {
                return Ok(Scan::Eof);
            };
            match b {
                b'"' => match self.scan_string(keep, false)? {
                    Scan::Complete => {}
                    other => return Ok(other),
                },
                b'{' | b'[' => {
                    self.take(keep);
                    self.stack.push(b);
                }
                b'}' | b']' => {
                    let open = if b == b'}' { b'{' } else { b'[' };
                    let at = self
                        .stack
                        .iter()
                        .rposition(|&o| o == open)
                        .unwrap_or(self.stack.len().saturating_sub(1));
                    self.take(keep);
                    self.stack.truncate(at);
                    if self.stack.is_empty() {
                        return Ok(Scan::Complete);
                    }
                }
                _ => self.take(keep),
            }
        }
    }

    /// Scans a string starting at its opening quote; with `as_key` its
    /// content (escapes left as they are) is remembered in `self.key`.
    fn scan_string(&mut self, keep: bool, as_key: bool) -> io::Result<Scan> {
        self.take(keep);
        if as_key {
            self.key.clear();
        }
        let mut escaped = false;
        loop {
            let Some(b) = self.src.peek()? else {
                return Ok(Scan::Eof);
            };
            if b == b'\n' {
                return Ok(Scan::Cut);
            }
            self.take(keep);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                return Ok(Scan::Complete);
            }
            if as_key && self.key.len() <= MAX_KEY {
                self.key.push(b);
            }
        }
    }
}

impl<R: Read> Iterator for JsonRecords<R> {
    type Item = JsonRecord;

    fn next(&mut self) -> Option<JsonRecord> {
        loop {
            if self.state == State::Done {
                return None;
            }
            match self.step() {
                Ok(Some(record)) => return Some(record),
                Ok(None) => {}
                Err(e) => {
                    let n = if self.state == State::Lines {
                        self.src.line
                    } else {
                        self.count + 1
                    };
                    self.state = State::Done;
                    return Some((n, Err(row_error(n, "-", format!("read error: {e}")))));
                }
            }
        }
    }
}

/// A reader with a fixed buffer, read a byte at a time, counting lines.
struct ByteSource<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// 1-based line of the next byte.
    line: u64,
}

impl<R: Read> ByteSource<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; CHUNK].into_boxed_slice(),
            pos: 0,
            len: 0,
            line: 1,
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        while self.pos == self.len {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Ok(None),
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// Consumes the byte `peek` returned.
    fn bump(&mut self) -> u8 {
        let b = self.buf[self.pos];
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        b
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn row_error(line: u64, field: &str, reason: String) -> RowError {
    RowError {
        line,
        field: field.to_string(),
        reason,
    }
}

// ---------------------------------------------------------------------------------------
// Dataset kinds
// ---------------------------------------------------------------------------------------

/// What a dataset's records describe, which decides how they map to leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    /// Flat records keyed by the CSV column names intake knows (`email`,
    /// `company`, `phone`, ...): a CSV file, or JSON shaped like one.
    Csv,
    /// Google Places crawl records (Apify Google Maps scraper, Places API).
    Places,
    /// People-search API person records (Apollo-style).
    People,
}

impl DatasetKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(DatasetKind::Csv),
            "places" | "google-places" => Some(DatasetKind::Places),
            "people" | "people-search" => Some(DatasetKind::People),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DatasetKind::Csv => "csv",
            DatasetKind::Places => "places",
            DatasetKind::People => "people",
        }
    }

    /// Guesses the kind from a dataset's first record: Places keys
    /// (`totalScore`, `placeId`, `displayName`, ...) win, then people-search
    /// keys (`first_name`, `organization`, `seniority`, ...); anything else is
    /// taken as flat CSV-like columns.
    pub fn detect(first_record: &Value) -> DatasetKind {
        let has = |keys: &[&str]| keys.iter().any(|k| first_record.get(k).is_some());
        if has(&[
            "totalScore",
            "placeId",
            "displayName",
            "userRatingCount",
            "claimThisBusiness",
            "categoryName",
        ]) {
            DatasetKind::Places
        } else if has(&[
            "first_name",
            "organization",
            "seniority",
            "email_status",
            "phone_numbers",
        ]) {
            DatasetKind::People
        } else {
            DatasetKind::Csv
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mappers
// ---------------------------------------------------------------------------------------

/// Why a record could not become a lead: the lead field at fault and the
/// reason, as in a CSV row error.
pub type FieldError = (String, String);

/// Maps one record of a dataset of the given kind to a lead.
pub fn map_record(
    kind: DatasetKind,
    tenant: &TenantId,
    record: &Value,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Lead, FieldError> {
    match kind {
        DatasetKind::Csv => flat_lead(tenant, record, source, now),
        DatasetKind::Places => places_lead(tenant, record, source, now),
        DatasetKind::People => people_lead(tenant, record, source, now),
    }
}

/// A Google Places record as a lead for the business.
///
/// Two shapes are read. Field names were checked against public code that
/// reads them (typed dataset items and field masks), not against a live run:
/// - the Apify Google Maps scraper (`compass/crawler-google-places`,
///   apify.com/compass/crawler-google-places) dataset item: `title`, `website`, `phone`, `phoneUnformatted`, `street`, `city`,
///   `state`, `postalCode`, `countryCode`, `totalScore`, `reviewsCount`,
///   `categoryName`, `categories`, `claimThisBusiness` (true when the owner
///   has NOT claimed the profile), `permanentlyClosed`, `placeId`, and, on
///   detail-page crawls, `reviews[].responseFromOwnerText`;
/// - the Places API (New) `Place` (developers.google.com/maps/documentation/
///   places/web-service/reference/rest/v1/places): `id`, `displayName.text`, `websiteUri`,
///   `internationalPhoneNumber`, `nationalPhoneNumber`, `formattedAddress`,
///   `addressComponents[]{longText, shortText, types}`, `rating`,
///   `userRatingCount`, `primaryType`, `primaryTypeDisplayName.text`,
///   `businessStatus` (it has no claimed flag).
///
/// Claimed flags of other crawls (`isClaimed`, `is_claimed`, `claimed`) and a
/// review-response rate (`reviewResponseRate`, `responseRate`,
/// `ownerResponseRate`; 0..1, 0..100 or "35%") or an owner-response count
/// (`ownerResponseCount`, over `reviewsCount`) are read when present; without
/// them the rate is estimated from the fetched `reviews` that carry an owner
/// response. A permanently closed business is an error, not a lead.
pub fn places_lead(
    tenant: &TenantId,
    record: &Value,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Lead, FieldError> {
    if !record.is_object() {
        return bad("-", "the record is not a JSON object");
    }
    let closed = record.get("permanentlyClosed") == Some(&Value::Bool(true))
        || text(record, "/businessStatus").as_deref() == Some("CLOSED_PERMANENTLY");
    if closed {
        return bad("business_status", "the business is permanently closed");
    }
    let mut lead = new_lead(tenant, source, now);
    lead.company = text(record, "/title")
        .or_else(|| text(record, "/displayName/text"))
        .or_else(|| text(record, "/displayName"))
        .or_else(|| text(record, "/name").filter(|n| !n.starts_with("places/")));
    if let Some((_, website)) = first_text(record, &["/website", "/websiteUri"]) {
        lead.company_domain = canonical_domain(&website);
        lead.website = Some(website);
    }
    lead.phone = phone(
        record,
        &[
            "/phoneUnformatted",
            "/internationalPhoneNumber",
            "/phone",
            "/nationalPhoneNumber",
        ],
        "phone",
    )?;
    lead.city = text(record, "/city")
        .or_else(|| address_component(record, "locality", false))
        .or_else(|| address_component(record, "postal_town", false));
    lead.state = text(record, "/state")
        .or_else(|| address_component(record, "administrative_area_level_1", true));
    lead.country = text(record, "/countryCode")
        .or_else(|| address_component(record, "country", true))
        .or_else(|| text(record, "/country"))
        .map(|c| country_alpha2(&c).unwrap_or(c));
    lead.industry = text(record, "/categoryName")
        .or_else(|| text(record, "/primaryTypeDisplayName/text"))
        .or_else(|| text(record, "/categories/0"))
        .or_else(|| text(record, "/primaryType").map(|t| t.replace('_', " ")));
    if let Some((key, rating)) = first_number(record, &["/totalScore", "/rating"])
        .map_err(|(key, raw)| not_a("rating", &raw, key, "a rating between 0 and 5"))?
    {
        if !(0.0..=5.0).contains(&rating) {
            return Err(not_a(
                "rating",
                &rating.to_string(),
                key,
                "a rating between 0 and 5",
            ));
        }
        lead.rating = Some(rating);
    }
    lead.reviews = count(record, &["/reviewsCount", "/userRatingCount"], "reviews")?;
    lead.has_gbp = match flag(record, "/claimThisBusiness", "gbp")? {
        Some(unclaimed) => Some(!unclaimed),
        None => first_flag(record, &["/isClaimed", "/is_claimed", "/claimed"], "gbp")?,
    };
    lead.review_response_rate = response_rate(record, lead.reviews)?;
    lead.place_id = text(record, "/placeId")
        .or_else(|| text(record, "/place_id"))
        .or_else(|| record.get("displayName").and_then(|_| text(record, "/id")))
        .or_else(|| {
            text(record, "/name").and_then(|n| n.strip_prefix("places/").map(str::to_string))
        });
    identify(
        tenant,
        lead,
        "place_id",
        "no website + phone and no place id to identify the business",
    )
}

/// A people-search person record as a lead, in the shape of Apollo's
/// `mixed_people/search` and `people/match` `person` (docs.apollo.io/reference/
/// people-api-search and /people-enrichment; field names checked against
/// public code that reads them): `first_name`, `last_name`, `name`,
/// `title`, `seniority`, `email`, `email_status`, `linkedin_url`, `city`,
/// `state`, `country`, `time_zone`, `phone_numbers[].sanitized_number`, and
/// `organization{name, website_url, primary_domain, estimated_num_employees,
/// industry, city, state, country, phone}`.
///
/// City, state and country are the organization's (its HQ) where it has them,
/// else the person's. `time_zone` (the person's IANA zone) becomes the lead's
/// `hq_timezone`, the strongest hint timezone resolution takes. Without a
/// direct phone the organization's phone is used, so people at one company
/// with no email share the domain + phone dedup key, as in CSV intake. Apollo's
/// placeholder for an email the plan has not revealed
/// (`email_not_unlocked@domain.com`) counts as no email.
pub fn people_lead(
    tenant: &TenantId,
    record: &Value,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Lead, FieldError> {
    if !record.is_object() {
        return bad("-", "the record is not a JSON object");
    }
    let mut lead = new_lead(tenant, source, now);
    lead.first_name = text(record, "/first_name");
    lead.last_name = text(record, "/last_name");
    if let Some(name) = text(record, "/name") {
        let mut parts = name.splitn(2, ' ');
        lead.first_name = lead.first_name.take().or(parts.next().map(str::to_string));
        lead.last_name = lead
            .last_name
            .take()
            .or(parts.next().map(|s| s.trim().to_string()));
    }
    lead.title = text(record, "/title");
    lead.seniority = text(record, "/seniority").map(|s| s.to_lowercase());
    lead.email_status = text(record, "/email_status").map(|s| s.to_lowercase());
    if let Some(raw) = text(record, "/email") {
        if !raw.to_lowercase().starts_with("email_not_unlocked@") {
            match canonical_email(&raw) {
                Some(e) => lead.email = Some(e),
                None => return bad("email", format!("{raw:?} is not an email address")),
            }
        }
    }
    lead.linkedin_url = text(record, "/linkedin_url");
    lead.phone = phone(
        record,
        &[
            "/phone_numbers/0/sanitized_number",
            "/phone_numbers/0/raw_number",
            "/sanitized_phone",
        ],
        "phone",
    )?;
    if lead.phone.is_none() {
        lead.phone = phone(
            record,
            &[
                "/organization/primary_phone/sanitized_number",
                "/organization/sanitized_phone",
                "/organization/phone",
            ],
            "organization.phone",
        )?;
    }
    lead.company =
        text(record, "/organization/name").or_else(|| text(record, "/organization_name"));
    if let Some(website) = text(record, "/organization/website_url") {
        lead.company_domain = canonical_domain(&website);
        lead.website = Some(website);
    }
    if lead.company_domain.is_none() {
        lead.company_domain =
            text(record, "/organization/primary_domain").and_then(|d| canonical_domain(&d));
    }
    lead.employees = count(
        record,
        &["/organization/estimated_num_employees"],
        "employees",
    )?;
    lead.industry = text(record, "/organization/industry");
    let place = |field: &str| {
        text(record, &format!("/organization/{field}"))
            .or_else(|| text(record, &format!("/{field}")))
    };
    lead.city = place("city");
    lead.state = place("state");
    lead.country = place("country").map(|c| country_alpha2(&c).unwrap_or(c));
    lead.hq_timezone = text(record, "/time_zone");
    identify(
        tenant,
        lead,
        "email",
        "no email, and no company website + phone to identify the person",
    )
}

/// A flat record keyed by CSV column names (`email`, `Company`, `Phone
/// Number`, ...) as a lead, exactly as a CSV row with those headers would be.
/// Nested values are ignored.
pub fn flat_lead(
    tenant: &TenantId,
    record: &Value,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Lead, FieldError> {
    let Some(object) = record.as_object() else {
        return bad("-", "the record is not a JSON object");
    };
    let mut mapping = Vec::with_capacity(object.len());
    let mut values = Vec::with_capacity(object.len());
    for (key, value) in object {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        mapping.push(field_for(key));
        values.push(value);
    }
    lead_from_record(
        tenant,
        &mapping,
        &csv::StringRecord::from(values),
        source,
        now,
    )
}

fn new_lead(tenant: &TenantId, source: &str, now: DateTime<Utc>) -> Lead {
    Lead {
        tenant: tenant.to_string(),
        status: LeadStatus::New,
        source: source.to_string(),
        created_at: now,
        updated_at: now,
        ..Default::default()
    }
}

/// Fills the company domain from the email when there is no website, then
/// gives the lead its id from the dedup key; no key is an error naming `field`.
fn identify(
    tenant: &TenantId,
    mut lead: Lead,
    field: &str,
    reason: &str,
) -> Result<Lead, FieldError> {
    if lead.company_domain.is_none() {
        lead.company_domain = lead
            .email
            .as_deref()
            .and_then(email_domain)
            .map(str::to_string);
    }
    let Some(key) = dedup_key(&lead) else {
        return bad(field, reason);
    };
    lead.id = LeadId::from_dedup_key(tenant, &key).to_string();
    Ok(lead)
}

fn bad<T>(field: &str, reason: impl Into<String>) -> Result<T, FieldError> {
    Err((field.to_string(), reason.into()))
}

fn not_a(field: &str, raw: &str, pointer: &str, what: &str) -> FieldError {
    (
        field.to_string(),
        format!(
            "{raw:?} ({}) is not {what}",
            pointer.trim_start_matches('/')
        ),
    )
}

/// Non-empty trimmed text at a JSON pointer; a number is given as its text.
fn text(record: &Value, pointer: &str) -> Option<String> {
    match record.pointer(pointer)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first_text<'p>(record: &Value, pointers: &[&'p str]) -> Option<(&'p str, String)> {
    pointers
        .iter()
        .find_map(|p| text(record, p).map(|t| (*p, t)))
}

/// The first number among `pointers`, also when given as text ("4.2",
/// "1,234"); Err names the pointer and the raw value that is not a number.
fn first_number<'p>(
    record: &Value,
    pointers: &[&'p str],
) -> Result<Option<(&'p str, f64)>, (&'p str, String)> {
    for &p in pointers {
        match record.pointer(p) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                if let Some(x) = n.as_f64() {
                    return Ok(Some((p, x)));
                }
            }
            Some(Value::String(s)) if s.trim().is_empty() => {}
            Some(Value::String(s)) => {
                return match s.trim().replace(',', "").parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Some((p, x))),
                    _ => Err((p, s.clone())),
                }
            }
            Some(other) => return Err((p, other.to_string())),
        }
    }
    Ok(None)
}

fn count(record: &Value, pointers: &[&str], field: &str) -> Result<Option<u32>, FieldError> {
    let whole = "a whole number";
    match first_number(record, pointers).map_err(|(p, raw)| not_a(field, &raw, p, whole))? {
        None => Ok(None),
        Some((_, x)) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
            Ok(Some(x as u32))
        }
        Some((p, x)) => Err(not_a(field, &x.to_string(), p, whole)),
    }
}

fn flag(record: &Value, pointer: &str, field: &str) -> Result<Option<bool>, FieldError> {
    match record.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(not_a(field, s, pointer, "true or false")),
        },
        Some(other) => Err(not_a(field, &other.to_string(), pointer, "true or false")),
    }
}

fn first_flag(record: &Value, pointers: &[&str], field: &str) -> Result<Option<bool>, FieldError> {
    for p in pointers {
        if let Some(b) = flag(record, p, field)? {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// The first parseable phone among `pointers`, in E.164; a present phone that
/// is not a phone number is an error naming `field`, as in CSV intake.
fn phone(record: &Value, pointers: &[&str], field: &str) -> Result<Option<String>, FieldError> {
    match first_text(record, pointers) {
        None => Ok(None),
        Some((p, raw)) => canonical_phone(&raw)
            .map(Some)
            .ok_or_else(|| not_a(field, &raw, p, "a phone number")),
    }
}

/// A Places API (New) address component of the given type.
fn address_component(record: &Value, kind: &str, short: bool) -> Option<String> {
    let component = record
        .get("addressComponents")?
        .as_array()?
        .iter()
        .find(|c| {
            c.get("types")
                .and_then(Value::as_array)
                .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(kind)))
        })?;
    let pointer = if short { "/shortText" } else { "/longText" };
    text(component, pointer).or_else(|| text(component, "/longText"))
}

/// The share of reviews the owner answers, 0..1: a rate the record states,
/// else an owner-response count over the review count, else the share of the
/// fetched reviews that carry an owner response.
fn response_rate(record: &Value, reviews: Option<u32>) -> Result<Option<f64>, FieldError> {
    const FIELD: &str = "review_response_rate";
    let rate_keys = [
        "/reviewResponseRate",
        "/responseRate",
        "/ownerResponseRate",
        "/review_response_rate",
    ];
    for p in rate_keys {
        let raw = match record.pointer(p) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if s.trim().is_empty() => continue,
            Some(Value::String(s)) => s.trim().to_string(),
            Some(other) => other.to_string(),
        };
        let rate = match raw.trim_end_matches('%').trim().parse::<f64>() {
            Ok(r) if r > 1.0 => r / 100.0,
            Ok(r) => r,
            Err(_) => return Err(not_a(FIELD, &raw, p, "a rate")),
        };
        if !(0.0..=1.0).contains(&rate) {
            return Err(not_a(FIELD, &raw, p, "a rate between 0 and 1 (or 0-100%)"));
        }
        return Ok(Some(rate));
    }
    let answered = count(
        record,
        &["/ownerResponseCount", "/ownerResponsesCount"],
        FIELD,
    )?;
    if let (Some(answered), Some(total)) = (answered, reviews) {
        if total == 0 {
            return Ok(None);
        }
        if answered > total {
            return bad(
                FIELD,
                format!("{answered} owner responses is more than the {total} reviews"),
            );
        }
        return Ok(Some(f64::from(answered) / f64::from(total)));
    }
    let fetched = record
        .get("reviews")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter(|r| r.is_object()).collect::<Vec<_>>())
        .unwrap_or_default();
    if fetched.is_empty() {
        return Ok(None);
    }
    let answered = fetched
        .iter()
        .filter(|r| text(r, "/responseFromOwnerText").is_some())
        .count();
    Ok(Some(answered as f64 / fetched.len() as f64))
}

// ---------------------------------------------------------------------------------------
// Whole datasets
// ---------------------------------------------------------------------------------------

/// Leads read from a JSON dataset one record at a time; see
/// [`parse_json_dataset`].
pub struct JsonDataset<R> {
    records: JsonRecords<R>,
    kind: Option<DatasetKind>,
    tenant: TenantId,
    source: String,
    now: DateTime<Utc>,
}

impl<R: Read> JsonDataset<R> {
    /// The kind, given or detected from the first readable record.
    pub fn kind(&self) -> Option<DatasetKind> {
        self.kind
    }
    pub fn form(&self) -> Option<JsonForm> {
        self.records.form()
    }
}

impl<R: Read> Iterator for JsonDataset<R> {
    type Item = Result<(u64, Lead), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (number, record) = self.records.next()?;
        let record = match record {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let kind = *self
            .kind
            .get_or_insert_with(|| DatasetKind::detect(&record));
        Some(
            map_record(kind, &self.tenant, &record, &self.source, self.now)
                .map(|lead| (number, lead))
                .map_err(|(field, reason)| RowError {
                    line: number,
                    field,
                    reason,
                }),
        )
    }
}

/// Streams the leads of a JSON dataset (array, JSON Lines or wrapped; see
/// [`JsonRecords`]) like CSV rows: each item is a lead with its record number
/// (line, for JSON Lines) or the row error for that record. With `kind` None
/// the kind is detected from the first readable record.
pub fn parse_json_dataset<R: Read>(
    tenant: &TenantId,
    input: R,
    kind: Option<DatasetKind>,
    source: &str,
    now: DateTime<Utc>,
) -> JsonDataset<R> {
    JsonDataset {
        records: JsonRecords::new(input),
        kind,
        tenant: tenant.clone(),
        source: source.to_string(),
        now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn records(input: &str) -> (Option<JsonForm>, Vec<JsonRecord>) {
        let mut reader = JsonRecords::new(input.as_bytes());
        let all: Vec<_> = reader.by_ref().collect();
        (reader.form(), all)
    }

    /// (number, field) of every error, and the number of every good record.
    fn outcome(all: &[JsonRecord]) -> (Vec<u64>, Vec<(u64, String)>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for (n, r) in all {
            match r {
                Ok(_) => ok.push(*n),
                Err(e) => {
                    assert_eq!(e.line, *n);
                    bad.push((*n, e.field.clone()));
                }
            }
        }
        (ok, bad)
    }

    fn apify_place() -> Value {
        json!({
            "title": "Saguaro Street Motors",
            "categoryName": "Used car dealer",
            "categories": ["Used car dealer", "Car dealer"],
            "street": "107 Example Ave",
            "city": "Mesa",
            "state": "Arizona",
            "postalCode": "85201",
            "countryCode": "us",
            "website": "https://www.SaguaroStreetMotors.example/inventory",
            "phone": "(480) 555-0101",
            "phoneUnformatted": "+14805550101",
            "totalScore": 3.6,
            "reviewsCount": 48,
            "claimThisBusiness": true,
            "permanentlyClosed": false,
            "placeId": "demo-place-01"
        })
    }

    #[test]
    fn given_an_apify_place_when_mapped_then_every_field_lands() {
        let lead = places_lead(&tenant(), &apify_place(), "places.json", now()).unwrap();
        assert_eq!(lead.company.as_deref(), Some("Saguaro Street Motors"));
        assert_eq!(
            lead.company_domain.as_deref(),
            Some("saguarostreetmotors.example")
        );
        assert_eq!(lead.phone.as_deref(), Some("+14805550101"));
        assert_eq!(lead.city.as_deref(), Some("Mesa"));
        assert_eq!(lead.state.as_deref(), Some("Arizona"));
        assert_eq!(lead.country.as_deref(), Some("US"));
        assert_eq!(lead.industry.as_deref(), Some("Used car dealer"));
        assert_eq!(lead.rating, Some(3.6));
        assert_eq!(lead.reviews, Some(48));
        // claimThisBusiness: true means nobody has claimed the profile.
        assert_eq!(lead.has_gbp, Some(false));
        assert_eq!(lead.place_id.as_deref(), Some("demo-place-01"));
        assert_eq!(lead.review_response_rate, None);
        assert_eq!(lead.status, LeadStatus::New);
        assert_eq!(lead.source, "places.json");
        assert_eq!((lead.created_at, lead.updated_at), (now(), now()));
        let key = "domain-phone:saguarostreetmotors.example|+14805550101";
        assert_eq!(lead.id, LeadId::from_dedup_key(&tenant(), key).to_string());
    }

    #[test]
    fn given_a_places_api_new_place_when_mapped_then_address_components_fill_the_location() {
        let place = json!({
            "name": "places/demo-place-77",
            "id": "demo-place-77",
            "displayName": {"text": "Copper Canyon Auto Sales", "languageCode": "en"},
            "formattedAddress": "12 Example Rd, Tucson, AZ 85705, USA",
            "addressComponents": [
                {"longText": "Tucson", "shortText": "Tucson", "types": ["locality", "political"]},
                {"longText": "Arizona", "shortText": "AZ", "types": ["administrative_area_level_1", "political"]},
                {"longText": "United States", "shortText": "US", "types": ["country", "political"]}
            ],
            "nationalPhoneNumber": "(520) 555-0102",
            "internationalPhoneNumber": "+1 520-555-0102",
            "websiteUri": "http://coppercanyonauto.example/",
            "rating": 4.0,
            "userRatingCount": 132,
            "primaryType": "car_dealer",
            "primaryTypeDisplayName": {"text": "Car Dealer", "languageCode": "en-US"},
            "businessStatus": "OPERATIONAL"
        });
        assert_eq!(DatasetKind::detect(&place), DatasetKind::Places);
        let lead = places_lead(&tenant(), &place, "api", now()).unwrap();
        assert_eq!(lead.company.as_deref(), Some("Copper Canyon Auto Sales"));
        assert_eq!(
            lead.website.as_deref(),
            Some("http://coppercanyonauto.example/")
        );
        assert_eq!(lead.phone.as_deref(), Some("+15205550102"));
        assert_eq!(
            (
                lead.city.as_deref(),
                lead.state.as_deref(),
                lead.country.as_deref()
            ),
            (Some("Tucson"), Some("AZ"), Some("US"))
        );
        assert_eq!(lead.industry.as_deref(), Some("Car Dealer"));
        assert_eq!((lead.rating, lead.reviews), (Some(4.0), Some(132)));
        assert_eq!(lead.has_gbp, None);
        assert_eq!(lead.place_id.as_deref(), Some("demo-place-77"));
    }

    #[test]
    fn given_response_data_when_mapping_a_place_then_the_rate_is_stated_counted_or_estimated() {
        let with = |extra: Value| {
            let mut p = apify_place();
            p.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            places_lead(&tenant(), &p, "t", now()).map(|l| l.review_response_rate)
        };
        assert_eq!(with(json!({"responseRate": 0.25})), Ok(Some(0.25)));
        assert_eq!(with(json!({"ownerResponseRate": "40%"})), Ok(Some(0.4)));
        assert_eq!(with(json!({"ownerResponseCount": 12})), Ok(Some(0.25)));
        let reviews = json!({"reviews": [
            {"stars": 5, "responseFromOwnerText": "Thank you!"},
            {"stars": 1, "responseFromOwnerText": null},
            {"stars": 4},
            {"stars": 3, "responseFromOwnerText": ""}
        ]});
        assert_eq!(with(reviews), Ok(Some(0.25)));
        assert_eq!(
            with(json!({"responseRate": 140})).unwrap_err().0,
            "review_response_rate"
        );
        assert_eq!(
            with(json!({"ownerResponseCount": 49})).unwrap_err().0,
            "review_response_rate"
        );
    }

    #[test]
    fn given_bad_places_when_mapped_then_the_error_names_the_field() {
        let bad_field = |change: Value| {
            let mut p = apify_place();
            p.as_object_mut()
                .unwrap()
                .extend(change.as_object().unwrap().clone());
            places_lead(&tenant(), &p, "t", now()).unwrap_err()
        };
        let (field, reason) = bad_field(json!({"totalScore": 7.2}));
        assert_eq!(field, "rating");
        assert!(reason.contains("totalScore"), "{reason}");
        assert_eq!(bad_field(json!({"totalScore": "great"})).0, "rating");
        let (field, reason) = bad_field(json!({"phoneUnformatted": "555-01"}));
        assert_eq!(field, "phone");
        assert!(reason.contains("555-01"), "{reason}");
        assert_eq!(bad_field(json!({"reviewsCount": -3})).0, "reviews");
        assert_eq!(bad_field(json!({"claimThisBusiness": "maybe"})).0, "gbp");
        assert_eq!(
            bad_field(json!({"permanentlyClosed": true})).0,
            "business_status"
        );
        let anonymous = json!({"title": "Nameless Lot", "phone": "(480) 555-0199"});
        assert_eq!(
            places_lead(&tenant(), &anonymous, "t", now())
                .unwrap_err()
                .0,
            "place_id"
        );
    }

    #[test]
    fn given_a_place_without_website_when_mapped_then_the_place_id_identifies_it() {
        let mut p = apify_place();
        p.as_object_mut().unwrap().remove("website");
        let lead = places_lead(&tenant(), &p, "t", now()).unwrap();
        assert_eq!(lead.company_domain, None);
        assert_eq!(
            lead.id,
            LeadId::from_dedup_key(&tenant(), "place:demo-place-01").to_string()
        );
    }

    fn apollo_person() -> Value {
        json!({
            "id": "p-001",
            "first_name": "Rowan",
            "last_name": "Vale",
            "name": "Rowan Vale",
            "title": "Owner",
            "seniority": "Owner",
            "email": " Rowan@SaguaroStreetMotors.example ",
            "email_status": "Verified",
            "linkedin_url": "http://www.linkedin.example/in/rowan-vale-demo",
            "city": "Chandler",
            "state": "Arizona",
            "country": "United States",
            "time_zone": "America/Phoenix",
            "phone_numbers": [{"raw_number": "(480) 555-0121", "sanitized_number": "+14805550121"}],
            "organization": {
                "name": "Saguaro Street Motors",
                "website_url": "http://www.saguarostreetmotors.example",
                "primary_domain": "saguarostreetmotors.example",
                "estimated_num_employees": 14,
                "industry": "automotive",
                "city": "Mesa",
                "state": "Arizona",
                "country": "United States",
                "phone": "+1 480-555-0101"
            }
        })
    }

    #[test]
    fn given_an_apollo_person_when_mapped_then_person_and_organization_fields_land() {
        let person = apollo_person();
        assert_eq!(DatasetKind::detect(&person), DatasetKind::People);
        let lead = people_lead(&tenant(), &person, "people.jsonl", now()).unwrap();
        assert_eq!(lead.first_name.as_deref(), Some("Rowan"));
        assert_eq!(lead.last_name.as_deref(), Some("Vale"));
        assert_eq!(lead.title.as_deref(), Some("Owner"));
        assert_eq!(lead.seniority.as_deref(), Some("owner"));
        assert_eq!(
            lead.email.as_deref(),
            Some("rowan@saguarostreetmotors.example")
        );
        assert_eq!(lead.email_status.as_deref(), Some("verified"));
        assert_eq!(lead.phone.as_deref(), Some("+14805550121"));
        assert_eq!(lead.company.as_deref(), Some("Saguaro Street Motors"));
        assert_eq!(
            lead.company_domain.as_deref(),
            Some("saguarostreetmotors.example")
        );
        assert_eq!(lead.employees, Some(14));
        assert_eq!(lead.industry.as_deref(), Some("automotive"));
        // The organization's HQ wins over where the person lives.
        assert_eq!(lead.city.as_deref(), Some("Mesa"));
        assert_eq!(lead.country.as_deref(), Some("US"));
        assert_eq!(lead.hq_timezone.as_deref(), Some("America/Phoenix"));
        assert_eq!(
            lead.id,
            LeadId::from_dedup_key(&tenant(), "email:rowan@saguarostreetmotors.example")
                .to_string()
        );
    }

    #[test]
    fn given_a_locked_email_and_no_direct_phone_when_mapped_then_company_domain_and_phone_identify()
    {
        let mut person = apollo_person();
        person["email"] = json!("email_not_unlocked@domain.com");
        person["phone_numbers"] = json!([]);
        person["first_name"] = Value::Null;
        person["last_name"] = Value::Null;
        let lead = people_lead(&tenant(), &person, "t", now()).unwrap();
        assert_eq!(lead.email, None);
        assert_eq!(lead.phone.as_deref(), Some("+14805550101"));
        assert_eq!(
            (lead.first_name.as_deref(), lead.last_name.as_deref()),
            (Some("Rowan"), Some("Vale"))
        );
        let key = "domain-phone:saguarostreetmotors.example|+14805550101";
        assert_eq!(lead.id, LeadId::from_dedup_key(&tenant(), key).to_string());
    }

    #[test]
    fn given_bad_people_when_mapped_then_the_error_names_the_field() {
        let mut person = apollo_person();
        person["email"] = json!("rowan at saguaro");
        assert_eq!(
            people_lead(&tenant(), &person, "t", now()).unwrap_err().0,
            "email"
        );
        let mut person = apollo_person();
        person["phone_numbers"][0]["sanitized_number"] = json!("555-01");
        assert_eq!(
            people_lead(&tenant(), &person, "t", now()).unwrap_err().0,
            "phone"
        );
        let mut person = apollo_person();
        person["organization"]["estimated_num_employees"] = json!("dozens");
        assert_eq!(
            people_lead(&tenant(), &person, "t", now()).unwrap_err().0,
            "employees"
        );
        let nobody = json!({"first_name": "Tamsin", "title": "GM", "organization": {"name": "Magnolia Motor Co"}});
        assert_eq!(
            people_lead(&tenant(), &nobody, "t", now()).unwrap_err().0,
            "email"
        );
    }

    #[test]
    fn given_flat_records_with_csv_column_names_when_mapped_then_they_read_like_csv_rows() {
        let row = json!({"Email Address": "JO@Dealer.example", "Company": "Desert Motors", "Phone": 6025550100_u64, "Google Rating": "3.6", "GBP Claimed": true});
        assert_eq!(DatasetKind::detect(&row), DatasetKind::Csv);
        let lead = flat_lead(&tenant(), &row, "t", now()).unwrap();
        assert_eq!(lead.email.as_deref(), Some("jo@dealer.example"));
        assert_eq!(lead.phone.as_deref(), Some("+16025550100"));
        assert_eq!((lead.rating, lead.has_gbp), (Some(3.6), Some(true)));
        let bad = json!({"email": "jo@dealer.example", "rating": "9.5"});
        assert_eq!(
            flat_lead(&tenant(), &bad, "t", now()).unwrap_err().0,
            "rating"
        );
    }

    #[test]
    fn given_kind_names_when_parsing_then_aliases_are_accepted() {
        assert_eq!(DatasetKind::parse("CSV"), Some(DatasetKind::Csv));
        assert_eq!(
            DatasetKind::parse("google-places"),
            Some(DatasetKind::Places)
        );
        assert_eq!(DatasetKind::parse(" places "), Some(DatasetKind::Places));
        assert_eq!(
            DatasetKind::parse("people-search"),
            Some(DatasetKind::People)
        );
        assert_eq!(DatasetKind::parse("people"), Some(DatasetKind::People));
        assert_eq!(DatasetKind::parse("xlsx"), None);
        for kind in [DatasetKind::Csv, DatasetKind::Places, DatasetKind::People] {
            assert_eq!(DatasetKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn given_an_array_when_read_then_records_are_numbered_in_order_and_a_bad_one_is_skipped() {
        let input = r#"
        [
          {"a": 1, "s": "with ] and } and \" inside"},
          {"b": [1, 2},
          {"c": {"d": [true, null]}},
          42,
          {"e": 1}
        ]
        "#;
        let (form, all) = records(input);
        assert_eq!(form, Some(JsonForm::Array));
        let (ok, bad) = outcome(&all);
        assert_eq!(ok, vec![1, 3, 5]);
        assert_eq!(bad, vec![(2, "-".to_string()), (4, "-".to_string())]);
        assert_eq!(
            all[0].1.as_ref().unwrap()["s"],
            json!("with ] and } and \" inside")
        );
    }

    #[test]
    fn given_json_lines_when_read_then_blank_lines_are_skipped_and_numbers_are_lines() {
        let input = "{\"a\": 1}\n\n{\"b\": \r\n{\"c\": \"x\"}\r\n   \n[1]\n{\"d\": 4}";
        let (form, all) = records(input);
        assert_eq!(form, Some(JsonForm::Lines));
        let (ok, bad) = outcome(&all);
        assert_eq!(ok, vec![1, 4, 7]);
        assert_eq!(bad, vec![(3, "-".to_string()), (6, "-".to_string())]);
    }

    #[test]
    fn given_a_malformed_first_line_when_read_then_it_is_reported_and_the_rest_read_as_lines() {
        let (form, all) = records("{\"a\": \"unterminated}\n{\"b\": 2}\n");
        assert_eq!(form, Some(JsonForm::Lines));
        assert_eq!(outcome(&all), (vec![2], vec![(1, "-".to_string())]));
    }

    #[test]
    fn given_a_wrapped_response_when_read_then_every_wrapper_array_is_streamed() {
        let input = r#"{"breadcrumbs": [{"label": "Titles", "value": ["owner"]}],
            "partial_results_only": false,
            "people": [{"first_name": "A"}, {"first_name": "B"}],
            "pagination": {"page": 1, "per_page": 3, "total_entries": 3, "total_pages": 1},
            "contacts": [{"first_name": "C"}],
            "tags": ["x", "y"]}"#;
        let (form, all) = records(input);
        assert_eq!(form, Some(JsonForm::Wrapped));
        let names: Vec<_> = all
            .iter()
            .map(|(n, r)| (*n, r.as_ref().unwrap()["first_name"].clone()))
            .collect();
        assert_eq!(
            names,
            vec![(1, json!("A")), (2, json!("B")), (3, json!("C"))]
        );
        let (form, all) = records(r#"{"items":[{"x":1}]}"#);
        assert_eq!((form, all.len()), (Some(JsonForm::Wrapped), 1));
        // An array of scalars under a wrapper key is not the records.
        let (form, all) = records(r#"{"data": [1, 2], "name": "x"}"#);
        assert_eq!((form, all.len()), (Some(JsonForm::Lines), 1));
    }

    #[test]
    fn given_a_bom_and_odd_starts_when_read_then_the_form_is_still_found() {
        let (form, all) = records("\u{feff}  [{\"a\": 1}]");
        assert_eq!((form, all.len()), (Some(JsonForm::Array), 1));
        let (form, all) = records("\u{feff}{\"a\": 1}\n{\"a\": 2}\n");
        assert_eq!((form, all.len()), (Some(JsonForm::Lines), 2));
        let (_, all) = records("  \n ");
        assert!(all.is_empty());
        let (_, all) = records("name,email\n");
        assert_eq!(outcome(&all), (vec![], vec![(1, "-".to_string())]));
        let (_, all) = records("[{\"a\": 1}, {\"b\": ");
        assert_eq!(outcome(&all), (vec![1], vec![(2, "-".to_string())]));
        let (_, all) = records("[{\"a\": 1}] trailing");
        assert_eq!(outcome(&all), (vec![1], vec![(2, "-".to_string())]));
    }

    /// Generates `[{...}, {...}, ...]` on demand: the whole input never exists
    /// in memory.
    struct GeneratedArray {
        total: u64,
        next: u64,
        pending: Vec<u8>,
        pos: usize,
        closed: bool,
    }

    impl Read for GeneratedArray {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.pending.len() {
                self.pending.clear();
                self.pos = 0;
                if self.next == 0 {
                    self.pending.extend_from_slice(b"[\n");
                }
                if self.next < self.total {
                    let i = self.next;
                    self.next += 1;
                    let sep = if i + 1 < self.total { "," } else { "" };
                    let item = format!(
                        "  {{\"title\": \"Lot {i}\", \"website\": \"https://lot{i}.example\", \"phoneUnformatted\": \"+1480555{:04}\", \"totalScore\": 3.5, \"reviewsCount\": {}, \"placeId\": \"p{i}\", \"note\": \"brackets ]}} in text\"}}{sep}\n",
                        i % 10_000,
                        i % 200
                    );
                    self.pending.extend_from_slice(item.as_bytes());
                } else if !self.closed {
                    self.closed = true;
                    self.pending.extend_from_slice(b"]\n");
                } else {
                    return Ok(0);
                }
            }
            let n = buf.len().min(self.pending.len() - self.pos);
            buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn given_a_50k_element_array_from_a_lazy_reader_when_streamed_then_memory_stays_bounded() {
        let input = GeneratedArray {
            total: 50_000,
            next: 0,
            pending: Vec::new(),
            pos: 0,
            closed: false,
        };
        let mut reader = JsonRecords::new(input);
        let mut seen = 0u64;
        let mut max_buffered = 0;
        while let Some((n, record)) = reader.next() {
            seen += 1;
            assert_eq!(n, seen);
            assert_eq!(record.unwrap()["placeId"], json!(format!("p{}", n - 1)));
            max_buffered = max_buffered.max(reader.buffered_capacity());
        }
        assert_eq!(seen, 50_000);
        assert_eq!(reader.form(), Some(JsonForm::Array));
        // The read buffer (8 KiB) plus one ~200-byte record: not the ~10 MB
        // the whole array takes.
        assert!(max_buffered < 16 * 1024, "{max_buffered}");
    }

    #[test]
    fn given_the_demo_places_file_when_imported_then_one_bad_phone_is_reported() {
        let input = include_str!("../../../infra/local/demo/places.json");
        let mut dataset =
            parse_json_dataset(&tenant(), input.as_bytes(), None, "places.json", now());
        let results: Vec<_> = dataset.by_ref().collect();
        assert_eq!(dataset.kind(), Some(DatasetKind::Places));
        assert_eq!(dataset.form(), Some(JsonForm::Array));
        let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].field.as_str()), (10, "phone"));
        let leads: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(leads.len(), 11);
        assert!(leads
            .iter()
            .all(|(_, l)| l.country.as_deref() == Some("US")));
        let no_site = leads
            .iter()
            .find(|(_, l)| l.website.is_none())
            .expect("one place has no website");
        assert_eq!(no_site.1.place_id.as_deref(), Some("demo-place-06"));
        assert_eq!(leads[0].1.review_response_rate, Some(0.25));
        let trust_gap = leads
            .iter()
            .filter(|(_, l)| {
                l.rating.is_some_and(|r| (3.2..=4.0).contains(&r))
                    && l.reviews.is_some_and(|n| (15..=150).contains(&n))
            })
            .count();
        assert!(trust_gap >= 3, "{trust_gap}");
    }

    #[test]
    fn given_the_demo_people_file_when_imported_then_the_duplicate_shares_an_id() {
        let input = include_str!("../../../infra/local/demo/people.jsonl");
        let mut dataset =
            parse_json_dataset(&tenant(), input.as_bytes(), None, "people.jsonl", now());
        let leads: Vec<_> = dataset.by_ref().map(Result::unwrap).collect();
        assert_eq!(dataset.kind(), Some(DatasetKind::People));
        assert_eq!(dataset.form(), Some(JsonForm::Lines));
        assert_eq!(leads.len(), 10);
        assert_eq!(leads[0].0, 1);
        assert_eq!(leads[9].0, 10);
        assert_eq!(leads[0].1.id, leads[9].1.id);
        let ids: std::collections::HashSet<_> = leads.iter().map(|(_, l)| &l.id).collect();
        assert_eq!(ids.len(), 9);
    }

    #[test]
    fn given_a_jsonl_dataset_with_bad_rows_when_parsed_then_errors_name_line_and_field() {
        let input = [
            r#"{"title": "Good Lot", "placeId": "g1", "totalScore": 3.9}"#,
            r#"{"title": "Starry Lot", "placeId": "g2", "totalScore": 5.5}"#,
            "",
            r#"{"title": "Noisy Lot", "placeId": "g3", "phone": "call us"}"#,
            r#"{"title": "Ghost Lot", "totalScore": 3.0}"#,
            r#"{"title": "Broken"#,
        ]
        .join("\n");
        let results: Vec<_> =
            parse_json_dataset(&tenant(), input.as_bytes(), None, "t", now()).collect();
        let summary: Vec<_> = results
            .iter()
            .map(|r| match r {
                Ok((n, _)) => (*n, "ok".to_string()),
                Err(e) => (e.line, e.field.clone()),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, "ok".to_string()),
                (2, "rating".to_string()),
                (4, "phone".to_string()),
                (5, "place_id".to_string()),
                (6, "-".to_string()),
            ]
        );
    }

    #[test]
    fn given_a_kind_when_parsing_then_it_overrides_detection() {
        let input = r#"[{"email": "jo@dealer.example", "first_name": "Jo"}]"#;
        let leads: Vec<_> = parse_json_dataset(
            &tenant(),
            input.as_bytes(),
            Some(DatasetKind::Csv),
            "t",
            now(),
        )
        .collect();
        assert_eq!(leads.len(), 1);
        assert_eq!(
            leads[0].as_ref().unwrap().1.email.as_deref(),
            Some("jo@dealer.example")
        );
    }
}
