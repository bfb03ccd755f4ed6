//! Tests of the parent module.

use super::*;
use proptest::prelude::*;
use Delimiter::{Comma, Pipe, Semicolon, Tab};
use TextEncoding::*;

const TEXT: &str = "Name,Company,Note\r\nJosé Müller,“quoted” Café,It’s 5 € – ok\r\n";

/// Hands out at most `step` bytes per read, like a slow pipe.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Decodes `bytes` arriving `step` bytes at a time, read back `chunk` bytes at a time.
fn decode(bytes: &[u8], step: usize, chunk: usize) -> (String, TextEncoding, u64) {
    let mut reader = Utf8Reader::new(Trickle(bytes, step)).unwrap();
    let (mut out, mut buf) = (Vec::new(), vec![0; chunk]);
    loop {
        match reader.read(&mut buf).unwrap() {
            0 => break,
            n => out.extend_from_slice(&buf[..n]),
        }
    }
    (
        String::from_utf8(out).unwrap(),
        reader.encoding(),
        reader.fallback_bytes(),
    )
}

fn utf16(text: &str, bom: bool, le: bool) -> Vec<u8> {
    let units = std::iter::repeat_n(0xFEFF, usize::from(bom)).chain(text.encode_utf16());
    units
        .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
        .collect()
}

fn unicode_variants(text: &str) -> Vec<(Vec<u8>, TextEncoding)> {
    vec![
        ([b"\xEF\xBB\xBF", text.as_bytes()].concat(), Utf8Bom),
        (utf16(text, true, true), Utf16Le),
        (utf16(text, true, false), Utf16Be),
        (text.as_bytes().to_vec(), Utf8),
        (utf16(text, false, true), Utf16Le),
        (utf16(text, false, false), Utf16Be),
    ]
}

#[test]
fn every_encoding_decodes_to_the_same_text() {
    let (cp1252, _, unmappable) = WINDOWS_1252.encode(TEXT);
    assert!(!unmappable);
    let mut cases = unicode_variants(TEXT);
    cases.push((cp1252.into_owned(), Windows1252));
    for (bytes, encoding) in &cases {
        for chunk in [1, 2, 3, 7, SPILL, BLOCK] {
            let got = decode(bytes, usize::MAX, chunk);
            assert_eq!(
                got,
                (TEXT.to_owned(), *encoding, 0),
                "{encoding:?}, reads of {chunk}"
            );
        }
    }
}

#[test]
fn chunk_boundaries_inside_characters_do_not_change_the_text() {
    // Longer than a block, so refills split sequences and surrogate pairs on the input side.
    let text = format!("name,note\n{}", "Zoë 👍🏽 “ok” – 5 €\n".repeat(4000));
    for (bytes, encoding) in unicode_variants(&text) {
        for (step, chunk) in [
            (1, 1),
            (3, 2),
            (7, 3),
            (usize::MAX, 7),
            (5, SPILL),
            (1 << 20, BLOCK),
        ] {
            let got = decode(&bytes, step, chunk);
            assert!(
                got == (text.clone(), encoding, 0),
                "{encoding:?}, in {step}, out {chunk}"
            );
        }
    }
}

#[test]
fn late_invalid_byte_in_utf8_is_read_as_windows_1252_and_counted() {
    let bytes = [b"name,city\n".repeat(7000).as_slice(), b"Ren\xe9,Paris\n"].concat();
    let reader = Utf8Reader::new(bytes.as_slice()).unwrap();
    assert_eq!(reader.encoding(), Utf8);
    let counter = reader.fallback_counter();
    let mut buffered = io::BufReader::new(reader);
    let mut text = String::new();
    buffered.read_to_string(&mut text).unwrap();
    assert!(text.ends_with("\nRené,Paris\n") && text.len() == bytes.len() + 1);
    assert_eq!(buffered.get_ref().fallback_bytes(), 1);
    assert_eq!(counter.load(Ordering::Relaxed), 1);
}

#[test]
fn sequence_cut_by_the_sample_end_is_still_utf8_but_cut_by_eof_is_not() {
    let text = format!("{}é\n", "a".repeat(BLOCK - 1));
    assert_eq!(decode(text.as_bytes(), usize::MAX, BLOCK), (text, Utf8, 0));
    let eof_cut = ("name\nRené".to_owned(), Windows1252, 0);
    assert_eq!(decode(b"name\nRen\xe9", 1, 1), eof_cut);
    // In a file already taken as UTF-8, the cut sequence falls back like any invalid byte.
    let bom_cut = ("name\nRenÃ".to_owned(), Utf8Bom, 1);
    assert_eq!(decode(b"\xEF\xBB\xBFname\nRen\xc3", 1, 1), bom_cut);
}

#[test]
fn bytes_undefined_in_windows_1252_decode_as_encoding_rs_does() {
    let bytes = b"name\nA\x81\x8d\x8f\x90\x9dZ\n";
    let expected = WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned();
    assert!(expected.contains("A\u{81}\u{8d}\u{8f}\u{90}\u{9d}Z"));
    assert_eq!(
        decode(bytes, usize::MAX, 3),
        (expected.clone(), Windows1252, 0)
    );
    let late = [b"x\n".repeat(BLOCK).as_slice(), bytes].concat();
    let (text, encoding, fallback) = decode(&late, usize::MAX, SPILL);
    assert!(text.ends_with(&expected) && encoding == Utf8 && fallback == 5);
}

#[test]
fn sample_is_the_decoded_start_and_reading_starts_at_the_beginning() {
    // The long file's sample is cut by the 64 KiB text limit, back to its last whole line.
    let long = format!("name;score\n{}", "Zoë;4,2\n".repeat(20_000));
    let cut = long.as_bytes()[..BLOCK]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    for (input, sample) in [(TEXT, TEXT), (&long, &long[..cut])] {
        let bytes = WINDOWS_1252.encode(input).0.into_owned();
        let mut reader = Utf8Reader::new(bytes.as_slice()).unwrap();
        assert_eq!((reader.sample(), reader.encoding()), (sample, Windows1252));
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, input);
    }
}

#[test]
fn fifty_megabytes_decode_through_fixed_buffers() {
    let input = b"name\n\xe9".chain(io::repeat(b'a').take(50_000_000));
    let mut reader = Utf8Reader::new(input).unwrap();
    assert_eq!(reader.encoding(), Windows1252);
    let (mut total, mut buf) = (0, vec![0; 8192]);
    while let n @ 1.. = reader.read(&mut buf).unwrap() {
        assert!(reader.buffered_capacity() < 256 * 1024);
        total += n;
    }
    assert_eq!(total, 50_000_007);
}

#[test]
fn sniffs_the_header_delimiter() {
    let cases = [
        ("name,email,company\na;b;c;d\n", Comma, false),
        ("name;email;company\n", Semicolon, false),
        ("name\temail\tcompany\n", Tab, false),
        ("name|email|company\n", Pipe, false),
        (
            "\"Name, Last, First\";\"City, State\";Email\n",
            Semicolon,
            false,
        ),
        ("\"Notes\nwith; newline\",Email,Phone\n", Comma, false),
        ("\r\n  \nname;email\n", Semicolon, false),
        ("sep=;\nname,email,company\n", Semicolon, true),
        ("SEP=|\r\nname,email\n", Pipe, true),
        ("sep=:\nname;email\n", Semicolon, true),
        ("a,b;c|d\n", Comma, false),
        ("name\n", Comma, false),
    ];
    for (sample, delimiter, hint) in cases {
        assert_eq!(sniff_delimiter(sample), (delimiter, hint), "{sample:?}");
    }
}

#[test]
fn sniffs_decimal_commas_in_data_rows() {
    assert!(sniff_decimal_comma(
        "name;score\nAna;4,2\nBo;3,75\n",
        Semicolon
    ));
    assert!(sniff_decimal_comma("name\tratio\nAna\t0,1234\n", Tab));
    assert!(sniff_decimal_comma(
        "sep=|\nname|score\nAna|\"-4,2\"\n",
        Pipe
    ));
    assert!(!sniff_decimal_comma("name,score\nAna,\"4,2\"\n", Comma));
    assert!(!sniff_decimal_comma(
        "name;employees\nAna;1,234\n",
        Semicolon
    ));
    assert!(!sniff_decimal_comma(
        "name;score\nAna;4.2\nBo;3.7\nCy;1,5\n",
        Semicolon
    ));
    assert!(!sniff_decimal_comma(
        "name;street\nAna;Main St 1,2\n",
        Semicolon
    ));
    assert!(!sniff_decimal_comma("4,2;name\nAna;x\n", Semicolon));
}

/// `check!(function, decimal_comma; raw => expected, ...)`, several cases to a line.
macro_rules! check {
    ($f:ident, $dc:expr; $($raw:expr => $want:expr),* $(,)?) => {
        $(assert_eq!($f($raw, $dc), $want, "{}({:?}, {})", stringify!($f), $raw, $dc);)*
    };
}

#[test]
fn parses_numbers_as_spreadsheets_write_them() {
    check!(parse_decimal, false; "4.2" => Some(4.2), " 4.2 " => Some(4.2), "4,2" => Some(4.2),
        "3,75" => Some(3.75), "1,234" => Some(1234.0), "1.234" => Some(1.234),
        "1,234.5" => Some(1234.5), "1.234,5" => Some(1234.5), "1 234,5" => Some(1234.5),
        "-0.5" => Some(-0.5), "1,2345" => None, "35%" => None, "12,34.5" => None,
        "1.2.3" => None, "" => None, "-" => None, "inf" => None, "NaN" => None,
        "1e5" => None, "$5" => None);
    check!(parse_decimal, true; "4,2" => Some(4.2), "4.25" => Some(4.25),
        "1,234" => Some(1.234), "1.234" => Some(1234.0), "1.234,5" => Some(1234.5),
        "-1.234,56" => Some(-1234.56), "1,234,567.89" => Some(1_234_567.89),
        "1 234,5" => Some(1234.5), "1\u{a0}234,5" => Some(1234.5), ",5" => Some(0.5),
        "1\u{202f}234\u{202f}567,5" => Some(1_234_567.5), "1,2345" => Some(1.2345),
        "35 %" => None, "1 234.567,5" => None, "4," => None, "1234.567,5" => None);
    check!(parse_whole, false; "1,234" => Some(1234), "1 234" => Some(1234),
        "1234.0" => Some(1234), "1,234,567" => Some(1_234_567), "12.5" => None,
        "1.234" => None, "-3" => None, "18446744073709551616" => None);
    check!(parse_whole, true; "1.234" => Some(1234), "1234,00" => Some(1234),
        "1,234" => None);
}

fn group_thousands(digits: &str, separator: char) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

proptest! {
    #[test]
    fn two_decimal_numbers_round_trip(value in 0.0f64..1e6) {
        let cents = (value * 100.0).round() as u64;
        let int = (cents / 100).to_string();
        let european = format!("{},{:02}", group_thousands(&int, '.'), cents % 100);
        let english = format!("{}.{:02}", group_thousands(&int, ','), cents % 100);
        prop_assert_eq!(parse_decimal(&european, true), Some(cents as f64 / 100.0));
        prop_assert_eq!(parse_decimal(&english, false), Some(cents as f64 / 100.0));
    }

    #[test]
    fn arbitrary_text_never_panics(
        text in any::<String>(),
        numeric in "[-+0-9.,% \u{a0}\u{202f}\"\n;]{0,24}",
        decimal_comma in any::<bool>(),
    ) {
        for s in [&text, &numeric] {
            let _ = (parse_decimal(s, decimal_comma), parse_whole(s, decimal_comma));
            let (delimiter, _) = sniff_delimiter(s);
            let _ = sniff_decimal_comma(s, delimiter);
        }
    }

    #[test]
    fn any_bytes_decode_the_same_whatever_the_read_size(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        chunk in 1usize..9,
    ) {
        prop_assert_eq!(decode(&bytes, 3, chunk), decode(&bytes, usize::MAX, BLOCK));
    }

    #[test]
    fn any_text_survives_utf8_and_utf16_with_bom(text in any::<String>(), chunk in 1usize..9) {
        for (bytes, encoding) in unicode_variants(&text).into_iter().take(3) {
            prop_assert_eq!(decode(&bytes, 3, chunk), (text.clone(), encoding, 0));
        }
    }
}
