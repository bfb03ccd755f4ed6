//! CSV intake dialect: turns a spreadsheet export's bytes (UTF-8, UTF-16, Windows-1252) into
//! UTF-8 in bounded memory, and sniffs its delimiter and decimal commas, so rows parse the way the
//! exporting tool wrote them.

use encoding_rs::{CoderResult, Decoder, UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::Serialize;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Input is read, and its encoding sniffed, in blocks of this size.
const BLOCK: usize = 64 * 1024;
/// A decoded character may not fit a tiny caller buffer, so smaller reads go through this one.
const SPILL: usize = 4 * 1024;
/// The BOM-less UTF-16 check looks only at the header, which is ASCII in practice.
const UTF16_PROBE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 with BOM",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
            Self::Windows1252 => "Windows-1252",
        }
    }

    /// UTF-8 input gets a Windows-1252 decoder too, for the bytes that turn out not to be UTF-8.
    fn transcoder(self) -> Transcoder {
        let encoding = match self {
            Self::Utf16Le => UTF_16LE,
            Self::Utf16Be => UTF_16BE,
            _ => WINDOWS_1252,
        };
        let utf8 = matches!(self, Self::Utf8 | Self::Utf8Bom);
        Transcoder {
            utf8,
            decoder: encoding.new_decoder_without_bom_handling(),
        }
    }
}

/// Reads any input and yields UTF-8 bytes (BOM removed), streaming through fixed buffers so memory
/// stays bounded whatever the file size. See [`Utf8Reader::new`] for how the encoding is chosen.
pub struct Utf8Reader<R> {
    src: Source<R>,
    spill: Box<[u8]>,
    /// The part of `spill` decoded but not yet handed out.
    pending: Range<usize>,
    encoding: TextEncoding,
    sample: String,
}

impl<R: Read> Utf8Reader<R> {
    /// Reads the first 64 KiB and picks the encoding: a BOM decides; otherwise a NUL in every other
    /// byte of most of the first 100 bytes means BOM-less UTF-16; otherwise the block must be valid
    /// UTF-8 (a sequence cut by the block's end does not count against it) or it is Windows-1252.
    /// Invalid sequences later in a UTF-8 file are decoded as Windows-1252 and counted, never lost.
    pub fn new(inner: R) -> io::Result<Self> {
        // A placeholder until the first block has been read and sniffed.
        let transcoder = TextEncoding::Utf8.transcoder();
        let (raw, fallback) = (vec![0; BLOCK].into_boxed_slice(), Arc::default());
        let mut src = Source {
            inner,
            raw,
            start: 0,
            end: 0,
            eof: false,
            done: false,
            transcoder,
            fallback,
        };
        while src.end < BLOCK && !src.eof {
            src.refill()?;
        }
        let (encoding, bom) = detect(&src.raw[..src.end], src.eof);
        let sample = decode_sample(encoding, &src.raw[bom..src.end], src.eof);
        (src.start, src.transcoder) = (bom, encoding.transcoder());
        let spill = vec![0; SPILL].into_boxed_slice();
        Ok(Self {
            src,
            spill,
            pending: 0..0,
            encoding,
            sample,
        })
    }

    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// Bytes of a UTF-8 file that were not valid UTF-8 and were decoded as Windows-1252.
    pub fn fallback_bytes(&self) -> u64 {
        self.src.fallback.load(Ordering::Relaxed)
    }

    /// The same count as [`Self::fallback_bytes`], still readable once the reader has been moved
    /// into a CSV parser.
    pub fn fallback_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.src.fallback)
    }

    /// Decoded start of the file (up to 64 KiB, cut after its last complete line when the file is
    /// longer) for sniffing; reading still starts at the beginning of the file.
    pub fn sample(&self) -> &str {
        &self.sample
    }

    /// Bytes held by the reader's own buffers; fixed after construction.
    pub fn buffered_capacity(&self) -> usize {
        self.src.raw.len() + self.spill.len() + self.sample.capacity()
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            if buf.len() >= SPILL {
                return self.src.decode_into(buf);
            }
            self.pending = 0..self.src.decode_into(&mut self.spill)?;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.spill[self.pending.start..][..n]);
        self.pending.start += n;
        Ok(n)
    }
}

/// The undecoded side of the reader: `raw[start..end]` is input not yet decoded.
struct Source<R> {
    inner: R,
    raw: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    transcoder: Transcoder,
    fallback: Arc<AtomicU64>,
}

impl<R: Read> Source<R> {
    /// Decodes into `dst` (at least 4 bytes, room for any character); 0 only at the end of input.
    fn decode_into(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        while !self.done {
            if self.start == self.end && !self.eof {
                self.refill()?;
                continue;
            }
            let src = &self.raw[self.start..self.end];
            let (read, written, fallback, finished) = self.transcoder.step(src, dst, self.eof);
            self.start += read;
            self.done = finished;
            if fallback > 0 {
                self.fallback.fetch_add(fallback, Ordering::Relaxed);
            }
            if written > 0 || finished {
                return Ok(written);
            }
            if self.eof {
                return Err(io::Error::other("decoder stalled at end of input"));
            }
            // Only an incomplete UTF-8 sequence is left: fetch the rest of it.
            self.refill()?;
        }
        Ok(0)
    }

    fn refill(&mut self) -> io::Result<()> {
        self.raw.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        let n = read_retrying(&mut self.inner, &mut self.raw[self.end..])?;
        self.end += n;
        self.eof = n == 0;
        Ok(())
    }
}

fn read_retrying(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

struct Transcoder {
    utf8: bool,
    decoder: Decoder,
}

impl Transcoder {
    /// Returns (bytes read, bytes written, bytes decoded as Windows-1252 fallback, finished).
    fn step(&mut self, src: &[u8], dst: &mut [u8], last: bool) -> (usize, usize, u64, bool) {
        if self.utf8 {
            let (read, written, fallback) = self.lenient_utf8(src, dst, last);
            (read, written, fallback, last && read == src.len())
        } else {
            let (result, read, written, _) = self.decoder.decode_to_utf8(src, dst, last);
            (read, written, 0, last && result == CoderResult::InputEmpty)
        }
    }

    /// Copies valid UTF-8 and decodes each invalid byte as Windows-1252. A sequence cut at the end
    /// of `src` waits for more input unless `last`, when it is invalid too.
    fn lenient_utf8(&mut self, src: &[u8], dst: &mut [u8], last: bool) -> (usize, usize, u64) {
        let (mut read, mut written, mut fallback) = (0, 0, 0);
        while read < src.len() && written < dst.len() {
            let chunk_end = src.len().min(read + dst.len() - written);
            let chunk = &src[read..chunk_end];
            let (valid, error_len) = match std::str::from_utf8(chunk) {
                Ok(_) => (chunk.len(), None),
                Err(e) => (e.valid_up_to(), e.error_len()),
            };
            dst[written..written + valid].copy_from_slice(&chunk[..valid]);
            read += valid;
            written += valid;
            let cut = valid < chunk.len();
            if error_len.is_none() && !(last && cut && chunk_end == src.len()) {
                if cut {
                    break;
                }
                continue;
            }
            // Byte by byte: the rest of a broken sequence is continuation bytes, invalid alone.
            let (one, out) = (&src[read..read + 1], &mut dst[written..]);
            let (_, r, w) = self
                .decoder
                .decode_to_utf8_without_replacement(one, out, false);
            if r == 0 {
                break;
            }
            read += 1;
            written += w;
            fallback += 1;
        }
        (read, written, fallback)
    }
}

/// Returns the encoding and the length of its BOM.
fn detect(head: &[u8], eof: bool) -> (TextEncoding, usize) {
    use TextEncoding::*;
    let boms: [(&[u8], _); 3] = [
        (b"\xEF\xBB\xBF", Utf8Bom),
        (b"\xFF\xFE", Utf16Le),
        (b"\xFE\xFF", Utf16Be),
    ];
    if let Some((bom, encoding)) = boms.iter().find(|(bom, _)| head.starts_with(bom)) {
        return (*encoding, bom.len());
    }
    if let Some(encoding) = bomless_utf16(head) {
        return (encoding, 0);
    }
    match std::str::from_utf8(head) {
        // A sequence cut by the block's end is no evidence; one cut by the end of the file is.
        Err(e) if e.error_len().is_some() || eof => (Windows1252, 0),
        _ => (Utf8, 0),
    }
}

fn bomless_utf16(head: &[u8]) -> Option<TextEncoding> {
    let units = head[..head.len().min(UTF16_PROBE)].chunks_exact(2);
    let total = units.len();
    let nul_at = |i: usize| units.clone().filter(|u| u[i] == 0 && u[1 - i] != 0).count();
    let (le, be) = (nul_at(1), nul_at(0));
    // "Most", not all: a header may hold a few non-Latin-1 letters.
    match total {
        0 | 1 => None,
        _ if le * 2 > total => Some(TextEncoding::Utf16Le),
        _ if be * 2 > total => Some(TextEncoding::Utf16Be),
        _ => None,
    }
}

fn decode_sample(encoding: TextEncoding, head: &[u8], eof: bool) -> String {
    let mut buf = vec![0; BLOCK];
    let (_, written, _, finished) = encoding.transcoder().step(head, &mut buf, eof);
    let mut text = String::from_utf8_lossy(&buf[..written]).into_owned();
    // A cut-off last line would look like a short row or a shortened number to the sniffers.
    if !finished {
        if let Some(i) = text.rfind('\n') {
            text.truncate(i + 1);
        }
    }
    text
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Delimiter {
    Comma,
    Semicolon,
    Tab,
    Pipe,
}

impl Delimiter {
    /// In order of preference when two split the header equally.
    const ALL: [Delimiter; 4] = [Self::Comma, Self::Semicolon, Self::Tab, Self::Pipe];

    pub fn byte(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Semicolon => b';',
            Self::Tab => b'\t',
            Self::Pipe => b'|',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Comma => "comma",
            Self::Semicolon => "semicolon",
            Self::Tab => "tab",
            Self::Pipe => "pipe",
        }
    }
}

/// The delimiter that splits the header (first non-blank line, quoted fields skipped) into the most
/// fields; ties go to comma. An Excel `sep=X` first line wins, and the flag tells the caller to
/// skip it (a `sep=` line naming an unsupported delimiter is still flagged; the header decides).
pub fn sniff_delimiter(sample: &str) -> (Delimiter, bool) {
    let (hint, header, _) = layout(sample);
    if let Some(Some(delimiter)) = hint {
        return (delimiter, true);
    }
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = Delimiter::ALL.iter().position(|d| d.byte() == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (1..counts.len()).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    (Delimiter::ALL[best], hint.is_some())
}

/// Whether the data rows write numbers with a decimal comma ("4,2", "3,75", "0,1234"; a comma then
/// 1, 2 or 4+ digits, no dot). Never in comma-delimited files; "1,234" is ambiguous and not
/// counted, and the comma form must outnumber dot decimals, so one stray "1,5" does not flip a
/// dot-decimal file.
pub fn sniff_decimal_comma(sample: &str, delimiter: Delimiter) -> bool {
    if delimiter == Delimiter::Comma {
        return false;
    }
    let (_, _, body) = layout(sample);
    let (mut comma, mut dot) = (0usize, 0usize);
    for_each_field(body, delimiter.byte(), |field| {
        comma += usize::from(is_plain_decimal(field, ','));
        dot += usize::from(is_plain_decimal(field, '.'));
    });
    comma > dot
}

fn is_plain_decimal(field: &str, separator: char) -> bool {
    let field = field.trim();
    let unsigned = field.strip_prefix(['-', '+']).unwrap_or(field);
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match unsigned.split_once(separator) {
        Some((int, frac)) => all_digits(int) && all_digits(frac) && frac.len() != 3,
        None => false,
    }
}

/// Splits a sample into (the `sep=` hint if the first line is one, the header record, the rest).
fn layout(sample: &str) -> (Option<Option<Delimiter>>, &str, &str) {
    let first = &sample[..sample.find('\n').map_or(sample.len(), |i| i + 1)];
    let hint = sep_hint(first);
    let mut rest = &sample[if hint.is_some() { first.len() } else { 0 }..];
    while let Some(i) = rest.find('\n') {
        if !rest[..i].trim().is_empty() {
            break;
        }
        rest = &rest[i + 1..];
    }
    let mut quoted = false;
    let header_end = rest
        .bytes()
        .position(|b| {
            quoted ^= b == b'"';
            b == b'\n' && !quoted
        })
        .map_or(rest.len(), |i| i + 1);
    (hint, &rest[..header_end], &rest[header_end..])
}

fn sep_hint(line: &str) -> Option<Option<Delimiter>> {
    let line = line.trim_end_matches(['\r', '\n']);
    let line = line.strip_prefix('"').unwrap_or(line);
    let prefix = line.get(..4)?;
    if !prefix.eq_ignore_ascii_case("sep=") {
        return None;
    }
    let named = line[4..].bytes().next();
    Some(Delimiter::ALL.into_iter().find(|d| Some(d.byte()) == named))
}

/// Calls `f` with each field of `text` (RFC 4180 quoting: delimiters and newlines inside quotes).
fn for_each_field(text: &str, delimiter: u8, mut f: impl FnMut(&str)) {
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if !quoted && (c == '\n' || c == char::from(delimiter)) => {
                f(&field);
                field.clear();
            }
            c => field.push(c),
        }
    }
    f(&field);
}

/// Splits a number into (negative, integer digits without grouping, fraction digits). Of two
/// different separators the last is decimal; a lone separator with 1–2 digits after it is decimal
/// in any locale; otherwise the locale (`decimal_comma`) decides. Groups after the first have 3
/// digits, so a misread separator is rejected rather than silently scaling the value by 1000.
fn split_number(raw: &str, decimal_comma: bool) -> Option<(bool, String, &str)> {
    let s = raw.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let spaced = s.contains(is_group_space);
    let (commas, dots) = (s.matches(',').count(), s.matches('.').count());
    let short_tail = |sep: char| s.rsplit(sep).next().map_or(0, str::len) <= 2;
    let (decimal, group) = match (commas, dots) {
        (0, 0) => (None, None),
        (_, 0) if commas == 1 && (decimal_comma || short_tail(',')) => (Some(','), None),
        (_, 0) => (None, Some(',')),
        (0, _) if dots == 1 && (!decimal_comma || short_tail('.')) => (Some('.'), None),
        (0, _) => (None, Some('.')),
        _ if s.rfind(',') > s.rfind('.') => (Some(','), Some('.')),
        _ => (Some('.'), Some(',')),
    };
    let (int, frac) = match decimal {
        Some(d) => s.split_once(d).filter(|(_, frac)| !frac.is_empty())?,
        None => (s, ""),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if s.is_empty() || (spaced && group.is_some()) || !all_digits(frac) {
        return None;
    }
    let mut digits = String::with_capacity(int.len());
    let is_group = |c| Some(c) == group || is_group_space(c);
    for (i, g) in int.split(is_group).enumerate() {
        let ok = match i {
            0 => g.len() <= 3 || (group.is_none() && !spaced),
            _ => g.len() == 3,
        };
        if !ok || !all_digits(g) || (g.is_empty() && int.len() > g.len()) {
            return None;
        }
        digits.push_str(g);
    }
    Some((negative, digits, frac))
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// A decimal as spreadsheets write it: "4.2", "4,2", "1,234.5", "1.234,5", "1 234,5" (space, NBSP
/// or narrow NBSP grouping). Percentages and anything else non-numeric give `None`.
pub fn parse_decimal(raw: &str, decimal_comma: bool) -> Option<f64> {
    let (negative, int, frac) = split_number(raw, decimal_comma)?;
    let sign = if negative { "-" } else { "" };
    let value: f64 = format!("{sign}0{int}.{frac}0").parse().ok()?;
    value.is_finite().then_some(value)
}

/// A whole number as spreadsheets write it: "1,234", "1.234" (decimal comma), "1 234", "1234.0".
/// A fractional part other than zeros, a negative number or an overflow gives `None`.
pub fn parse_whole(raw: &str, decimal_comma: bool) -> Option<u64> {
    let (negative, int, frac) = split_number(raw, decimal_comma)?;
    let value: u64 = format!("0{int}").parse().ok()?;
    (frac.bytes().all(|b| b == b'0') && (!negative || value == 0)).then_some(value)
}

#[cfg(test)]
mod tests;
