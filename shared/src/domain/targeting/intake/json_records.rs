//! A streaming reader of JSON datasets (a JSON array, JSON Lines, or an
//! object wrapping the array) that holds one record in memory at a time.

use super::RowError;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
