//! Phone numbers as lead sources write them, turned into E.164 for dialing, matching and zoning.
//!
//! Lead sources hand us "(02) 9374 4000", "+44 (0)20 7946 0958", "303-555-0103 ext. 12" or
//! "tel:+33142685300", often with a country column beside them and sometimes without.
//! [`parse_phone`] reads such a value with Google's libphonenumber metadata (the `phonenumber`
//! crate) and keeps only numbers the metadata says are valid: a dropped lead costs less than a
//! call to a stranger, and a number that passes here can be matched against suppression/DNC
//! lists by its E.164 form ([`e164`]).
//!
//! National numbers are read in the lead's own country and never assumed North American: the
//! one exception is a value with no country at all that is a valid 10-digit NANP number (or 11
//! digits with the leading 1), which older intake paths stored that way and still read as US.
//!
//! [`number_zone`] gives the time zone a number's area code pins, for the few countries with
//! several zones where that is the only hint (Australia, Brazil, Mexico).
//!
//! The metadata is loaded on first use (about 0.1 s in a release build, 0.5 s in debug) and each
//! country's patterns are compiled the first time one of its numbers is read (a few ms), so a
//! cold Lambda pays that on its first parses; the throughput test at the bottom measures both.

use chrono_tz::{America, Australia, Tz};
use phonenumber::country::Id;
use phonenumber::metadata::{Metadata, DATABASE};
use phonenumber::{ParseError, PhoneNumber, Type};

// The line kind is a core type: leads carry it.
pub use crate::domain::lead::PhoneKind;

/// A valid phone number, in the forms the rest of the system keys on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPhone {
    /// "+61293744000": what suppression lists, dedup keys and dialers compare.
    pub e164: String,
    /// "12" for "303-555-0103 ext. 12"; kept apart so it never changes the E.164 match key.
    pub extension: Option<String>,
    pub kind: PhoneKind,
    /// ISO alpha-2 region of the number ("AU"), from the library; None for non-geographic
    /// codes such as +800.
    pub region: Option<String>,
    /// National significant number digits, no trunk prefix ("293744000"); Italian numbers keep
    /// their leading 0, which is part of the number there and not a trunk prefix.
    pub national_number: String,
}

/// Why a raw value is not a usable phone number. Each message is one line a sales-ops user can
/// act on, and quotes the value as given: cut to [`MAX_QUOTED_CHARS`] characters, with line
/// breaks, tabs and unusual spaces shown as plain spaces so the message stays one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("\"{raw}\" has no digits")]
    NoDigits { raw: String },
    #[error("\"{raw}\" is not a phone number")]
    NotANumber { raw: String },
    #[error("\"{raw}\" is too short to be a phone number")]
    TooShort { raw: String },
    #[error("\"{raw}\" is too long to be a phone number")]
    TooLong { raw: String },
    #[error("\"{raw}\" is a national number and the lead has no country to read it in")]
    NeedsCountry { raw: String },
    #[error("\"{raw}\" is a national number and the lead's country \"{country}\" is not a country code we know")]
    UnknownCountry { raw: String, country: String },
    #[error("\"{raw}\" has an unknown country code")]
    UnknownCountryCode { raw: String },
    /// `region` is the ISO code the number was read in ("GB"), or "+800" for non-geographic codes.
    #[error("\"{raw}\" has the wrong number of digits for a {region} number")]
    WrongLength { raw: String, region: String },
    #[error("\"{raw}\" is not a valid {region} number (no such area code or prefix, or a digit missing or extra)")]
    InvalidNumber { raw: String, region: String },
}

/// Error messages quote the raw value; a pasted paragraph must not become the message.
pub const MAX_QUOTED_CHARS: usize = 64;

/// Longer input is not a phone field but pasted notes; refusing it early also bounds the work
/// the library's regexes do on hostile input.
const MAX_INPUT_BYTES: usize = 256;

/// Fewer digits than this, with no country to read them in, cannot be a number anywhere that
/// we could dial from a lead list (country code plus the shortest national numbers).
const MIN_INTERNATIONAL_DIGITS: usize = 7;

/// Parse `raw` with `default_country` (ISO alpha-2, any case; None = unknown) as the region for
/// national-format numbers.
pub fn parse_phone(raw: &str, default_country: Option<&str>) -> Result<ParsedPhone, PhoneError> {
    enlarge_regex_cache();
    let quoted = quote(raw);
    if raw.len() > MAX_INPUT_BYTES {
        return Err(PhoneError::TooLong { raw: quoted });
    }
    let text = rfc3966_extension_spelled_out(ascii_digits(raw));
    let text = strip_trailing_notes(&text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(PhoneError::NoDigits { raw: quoted });
    }
    // Text before the first '+' or digit is a label ("Tel:", "Mobile -") the library skips too.
    let start = text
        .find(|c: char| c == '+' || c.is_ascii_digit())
        .unwrap_or(0);
    let number = &text[start..];

    // "tel:03-331-6005;phone-context=+64" carries its country code at the end.
    if number.to_ascii_lowercase().contains(";phone-context=+") {
        return read_international(number)
            .and_then(within_e164)
            .map_err(|e| e.into_error(quoted));
    }
    if let Some(after_plus) = number.strip_prefix('+') {
        // "+0044 ..." is someone writing both the plus and their dialing prefix.
        let lead: String = after_plus
            .chars()
            .filter(char::is_ascii_digit)
            .take(2)
            .collect();
        let international = if lead == "00" {
            international(after_plus, 2)
        } else {
            number.to_owned()
        };
        return read_international(&international)
            .and_then(within_e164)
            .map_err(|e| e.into_error(quoted));
    }

    match default_country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(country) => match country_id(country) {
            Some((id, meta)) => read_in_country(number, &digits, id, meta),
            None => read_without_country(number, &digits, Some(country)),
        },
        None => read_without_country(number, &digits, None),
    }
    .and_then(within_e164)
    .map_err(|e| e.into_error(quoted))
}

/// E.164 allows at most 15 digits. A reading that comes to more (a long
/// German number whose "ext" was taken for vanity letters) is no number.
fn within_e164(p: ParsedPhone) -> Result<ParsedPhone, Failure> {
    if p.e164.len() > 16 {
        return Err(Failure::TooLong);
    }
    Ok(p)
}

/// A number's E.164 form for matching (suppression/DNC lists): same rules; convenience.
pub fn e164(raw: &str, default_country: Option<&str>) -> Option<String> {
    parse_phone(raw, default_country).ok().map(|p| p.e164)
}

/// The zone the number itself pins, for countries with several zones where the number's area
/// code says which: Australia (fixed lines only: its mobiles roam nationwide), Brazil (DDD,
/// mobiles included) and Mexico (area code, mobiles included).
///
/// Mobile numbers that are not tied to a region give None. NANP (+1) numbers give None (the
/// caller has an area-code table). Single-zone countries give None too (the caller maps
/// country -> zone); so do Christmas Island and the Cocos Islands, which share +61 with
/// Australia but are regions of their own.
pub fn number_zone(p: &ParsedPhone) -> Option<Tz> {
    let tied_to_a_place = matches!(
        p.kind,
        PhoneKind::FixedLine | PhoneKind::FixedLineOrMobile | PhoneKind::Mobile
    );
    if !tied_to_a_place {
        return None;
    }
    let nsn = p.national_number.as_str();
    match p.region.as_deref()? {
        "AU" if p.kind != PhoneKind::Mobile => australia_zone(nsn),
        "BR" => brazil_zone(nsn),
        "MX" => mexico_zone(nsn),
        _ => None,
    }
}

/// Room for every metadata regex that parsing can touch (about 700 distinct patterns).
const REGEX_CACHE_CAPACITY: usize = 1024;

/// The library compiles its metadata regexes lazily into one process-wide LRU cache of 100,
/// fewer than a lead list from 20 countries cycles through; past that every parse recompiles
/// what it needs (measured: about 560 parses/s instead of 60,000). Room for all of them costs
/// memory instead, only for the countries actually seen: roughly 0.1 MB per pattern, so about
/// 80 MB if numbers from every country in the world come through one process.
fn enlarge_regex_cache() {
    static ENLARGED: std::sync::Once = std::sync::Once::new();
    ENLARGED.call_once(|| {
        let cache = DATABASE.cache();
        let mut cache = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.capacity() < REGEX_CACHE_CAPACITY {
            cache.set_capacity(REGEX_CACHE_CAPACITY);
        }
    });
}

/// Why a reading failed, before the raw value is attached for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    NotANumber,
    TooShort,
    TooLong,
    NeedsCountry,
    UnknownCountry(String),
    UnknownCountryCode,
    WrongLength(String),
    InvalidNumber(String),
}

impl Failure {
    fn into_error(self, raw: String) -> PhoneError {
        match self {
            Failure::NotANumber => PhoneError::NotANumber { raw },
            Failure::TooShort => PhoneError::TooShort { raw },
            Failure::TooLong => PhoneError::TooLong { raw },
            Failure::NeedsCountry => PhoneError::NeedsCountry { raw },
            Failure::UnknownCountry(country) => PhoneError::UnknownCountry {
                raw,
                country: quote(&country),
            },
            Failure::UnknownCountryCode => PhoneError::UnknownCountryCode { raw },
            Failure::WrongLength(region) => PhoneError::WrongLength { raw, region },
            Failure::InvalidNumber(region) => PhoneError::InvalidNumber { raw, region },
        }
    }
}

/// A number written with its country code. Parsed with no default country on purpose: given
/// one, the library strips a national prefix ("(0)") by that country's rules instead of the
/// rules of the country the number belongs to.
fn read_international(text: &str) -> Result<ParsedPhone, Failure> {
    let parsed = phonenumber::parse(None, text).map_err(|e| library_failure(&e, text))?;
    accept(&parsed)
}

fn read_in_country(
    number: &str,
    digits: &str,
    id: Id,
    meta: &Metadata,
) -> Result<ParsedPhone, Failure> {
    let national = || {
        let parsed =
            phonenumber::parse(Some(id), number).map_err(|e| library_failure(&e, number))?;
        accept(&parsed)
    };
    // The country's own dialing-out prefix (011 in the US, 0011 in Australia, 010 in Japan)
    // means the rest is international; the library does the same, but would then strip a "(0)"
    // by the lead country's rules, so the rest is read on its own.
    let idd = idd_length(meta, digits);
    let through_idd = idd.map(|idd| read_international(&international(number, idd)));
    if let Some(Ok(phone)) = through_idd {
        return Ok(phone);
    }
    let read = national();
    if read.is_ok() {
        return read;
    }
    // "00" is how most of the world dials out; a lead whose country dials out otherwise (US,
    // Australia, Japan) still often carries a "0044 ..." copied from a European signature,
    // and Brazil's "00 + carrier" prefix can swallow the country code of one. No valid
    // national number starts with 00, so this only rescues what would be dropped.
    if digits.starts_with("00") && idd != Some(2) {
        let abroad = read_international(&international(number, 2));
        if abroad.is_ok() {
            return abroad;
        }
        // The value says it is international; why the national reading failed is beside
        // the point.
        return through_idd.unwrap_or(abroad);
    }
    through_idd.unwrap_or(read)
}

fn read_without_country(
    number: &str,
    digits: &str,
    unknown_country: Option<&str>,
) -> Result<ParsedPhone, Failure> {
    // With no country to read a dialing-out prefix in, "00" (most of the world) and "011"
    // (NANP) are the only ones common enough to take as international.
    if digits.starts_with("00") {
        return read_international(&international(number, 2));
    }
    if digits.starts_with("011") {
        return read_international(&international(number, 3));
    }
    // Backward compatibility with leads stored before countries were captured: a bare valid
    // NANP number is US. Never when a country was given, even one we do not recognize: a
    // German lead's "2125550100" must not become a New York number by accident.
    if unknown_country.is_none() {
        if let Ok(parsed) = phonenumber::parse(Some(Id::US), number) {
            let written_nationally = matches!(
                parsed.code().source(),
                phonenumber::country::Source::Default | phonenumber::country::Source::Number
            );
            if written_nationally && parsed.code().value() == 1 {
                if let Ok(phone) = accept(&parsed) {
                    return Ok(phone);
                }
            }
            let extension_digits = parsed.extension().map_or(0, |e| e.len());
            if digits.len().saturating_sub(extension_digits) < MIN_INTERNATIONAL_DIGITS {
                return Err(Failure::TooShort);
            }
        }
    }
    if digits.len() < MIN_INTERNATIONAL_DIGITS {
        return Err(Failure::TooShort);
    }
    Err(match unknown_country {
        Some(country) => Failure::UnknownCountry(country.to_owned()),
        None => Failure::NeedsCountry,
    })
}

/// Keep a parsed number only if the metadata says it is a valid number, and describe it.
fn accept(parsed: &PhoneNumber) -> Result<ParsedPhone, Failure> {
    let code = parsed.code().value();
    // The library's own `number_type` and `country().id()` drop the national number's leading
    // zeros, which loses every Italian fixed line ("06 ..." is typed Unknown, region None);
    // its `is_valid` keeps them. So type and region are worked out here from the full digits.
    let nsn = parsed.national().to_string();
    let meta = region_metadata(code, &nsn);
    let kind = meta.map_or(Type::Unknown, |m| number_type(m, &nsn));
    if kind == Type::Unknown || !phonenumber::is_valid(parsed) {
        let modern = (code == 52)
            .then(|| mexico_legacy_rewrite(&nsn))
            .flatten()
            .and_then(|modern| modern_mexican(modern, parsed));
        return modern.ok_or_else(|| invalid_reason(code, &nsn, meta));
    }
    Ok(ParsedPhone {
        e164: format!("+{code}{nsn}"),
        extension: extension(parsed),
        kind: phone_kind(kind),
        region: meta
            .map(Metadata::id)
            .filter(|id| id.len() == 2)
            .map(str::to_owned),
        national_number: nsn,
    })
}

fn extension(parsed: &PhoneNumber) -> Option<String> {
    parsed
        .extension()
        .map(|e| e.to_string())
        .filter(|e| !e.is_empty())
}

/// Mexico dropped its dialing prefixes in 2019 (01 long distance, 044/045 mobile, and the 1
/// after +52 for mobiles), but lead lists still carry them and current metadata rejects them.
/// Every such form maps to exactly one 10-digit number, so rewriting is safe.
fn mexico_legacy_rewrite(nsn: &str) -> Option<&str> {
    match nsn.len() {
        11 => nsn.strip_prefix('1'),
        12 => nsn.strip_prefix("01"),
        13 => nsn.strip_prefix("044").or_else(|| nsn.strip_prefix("045")),
        _ => None,
    }
}

fn modern_mexican(nsn: &str, legacy: &PhoneNumber) -> Option<ParsedPhone> {
    let modern = phonenumber::parse(None, format!("+52{nsn}")).ok()?;
    let mut phone = accept(&modern).ok()?;
    phone.extension = extension(legacy);
    Some(phone)
}

/// Tell a length mistake (a digit dropped or doubled) from a number in no allocated range.
fn invalid_reason(code: u16, nsn: &str, meta: Option<&Metadata>) -> Failure {
    let meta = meta.or_else(|| DATABASE.by_code(&code).and_then(|m| m.first().copied()));
    let Some(meta) = meta else {
        return Failure::UnknownCountryCode;
    };
    let region = if meta.id().len() == 2 {
        meta.id().to_owned()
    } else {
        format!("+{code}")
    };
    // The general descriptor carries no lengths in this metadata build; the number types do.
    let d = meta.descriptors();
    let lengths: Vec<u16> = [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|desc| desc.possible_length().iter().copied())
    .collect();
    let len = u16::try_from(nsn.len()).unwrap_or(u16::MAX);
    // Too long for one country is not too long to be a phone number: a UK number typed into a
    // US lead is the usual cause, so the message names the country it was read in.
    match lengths.iter().min() {
        Some(&min) if len < min => Failure::TooShort,
        _ if !lengths.contains(&len) => Failure::WrongLength(region),
        _ => Failure::InvalidNumber(region),
    }
}

fn library_failure(error: &ParseError, text: &str) -> Failure {
    match error {
        ParseError::InvalidCountryCode => Failure::UnknownCountryCode,
        ParseError::TooShortAfterIdd | ParseError::TooShortNsn => Failure::TooShort,
        ParseError::TooLong => Failure::TooLong,
        ParseError::NoNumber | ParseError::MalformedInteger(_) => {
            if text.chars().filter(char::is_ascii_digit).count() < MIN_INTERNATIONAL_DIGITS {
                Failure::TooShort
            } else {
                Failure::NotANumber
            }
        }
    }
}

/// The region a number belongs to, worked out like the library's `is_valid` does (which
/// keeps leading zeros), so kind, region and validity agree.
fn region_metadata(code: u16, nsn: &str) -> Option<&'static Metadata> {
    let regions = DATABASE.region(&code)?;
    if let [only] = regions.as_slice() {
        // Non-geographic codes (+800, +882, ...) share the id "001", so look them up by code.
        return if *only == "001" {
            DATABASE.by_code(&code)?.first().copied()
        } else {
            DATABASE.by_id(*only)
        };
    }
    regions.into_iter().find_map(|region| {
        let meta = DATABASE.by_id(region)?;
        let belongs = match meta.leading_digits() {
            Some(leading) => leading.find(nsn).is_some_and(|m| m.start() == 0),
            None => number_type(meta, nsn) != Type::Unknown,
        };
        belongs.then_some(meta)
    })
}

/// The library's classification, in its order (the more specific tariff types win over fixed
/// and mobile), but fed the national number with its leading zeros.
fn number_type(meta: &Metadata, nsn: &str) -> Type {
    let d = meta.descriptors();
    if !d.general().is_match(nsn) {
        return Type::Unknown;
    }
    let matches = |desc: Option<&phonenumber::metadata::Descriptor>| {
        desc.is_some_and(|desc| desc.is_match(nsn))
    };
    let tariffs = [
        (d.premium_rate(), Type::PremiumRate),
        (d.toll_free(), Type::TollFree),
        (d.shared_cost(), Type::SharedCost),
        (d.voip(), Type::Voip),
        (d.personal_number(), Type::PersonalNumber),
        (d.pager(), Type::Pager),
        (d.uan(), Type::Uan),
        (d.voicemail(), Type::Voicemail),
    ];
    if let Some((_, kind)) = tariffs.iter().find(|(desc, _)| matches(*desc)) {
        return *kind;
    }
    if matches(d.fixed_line()) {
        // Countries whose fixed and mobile ranges are one pattern (the NANP) cannot tell them
        // apart, and say so.
        let same_pattern = d.fixed_line().map(|f| f.national_number().as_str())
            == d.mobile().map(|m| m.national_number().as_str());
        return if same_pattern || matches(d.mobile()) {
            Type::FixedLineOrMobile
        } else {
            Type::FixedLine
        };
    }
    if matches(d.mobile()) {
        return Type::Mobile;
    }
    Type::Unknown
}

fn phone_kind(kind: Type) -> PhoneKind {
    match kind {
        Type::Mobile => PhoneKind::Mobile,
        Type::FixedLine => PhoneKind::FixedLine,
        Type::FixedLineOrMobile => PhoneKind::FixedLineOrMobile,
        Type::TollFree => PhoneKind::TollFree,
        Type::PremiumRate => PhoneKind::PremiumRate,
        Type::SharedCost => PhoneKind::SharedCost,
        Type::Voip => PhoneKind::Voip,
        Type::PersonalNumber => PhoneKind::PersonalNumber,
        Type::Pager => PhoneKind::Pager,
        Type::Uan => PhoneKind::Uan,
        Type::Voicemail => PhoneKind::Voicemail,
        Type::Emergency
        | Type::ShortCode
        | Type::StandardRate
        | Type::Carrier
        | Type::NoInternational
        | Type::Unknown => PhoneKind::Unknown,
    }
}

/// The library's country ids are case-sensitive ("gb" is rejected) and lead data is not.
/// "UK" is not ISO 3166 but is what people type for Great Britain, and nothing else uses it.
fn country_id(country: &str) -> Option<(Id, &'static Metadata)> {
    let upper = country.to_ascii_uppercase();
    let code = if upper == "UK" { "GB" } else { upper.as_str() };
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    // Both checks: the library unwraps the metadata of any id it is given.
    let meta = DATABASE.by_id(code)?;
    let id = code.parse().ok()?;
    Some((id, meta))
}

/// How many leading digits are the country's dialing-out prefix, if the number starts with it.
fn idd_length(meta: &Metadata, digits: &str) -> Option<usize> {
    let found = meta.international_prefix()?.find(digits)?;
    // As in libphonenumber: a 0 right after it means a national number that merely looks
    // like one, since no country code starts with 0.
    let rest = &digits[found.end()..];
    (found.start() == 0 && found.end() > 0 && !rest.is_empty() && !rest.starts_with('0'))
        .then_some(found.end())
}

/// `number` with its first `prefix_digits` digits replaced by '+', keeping whatever follows
/// (separators, "(0)", an extension) for the library to read.
fn international(number: &str, prefix_digits: usize) -> String {
    let mut seen = 0;
    for (i, c) in number.char_indices() {
        if c.is_ascii_digit() {
            seen += 1;
            if seen == prefix_digits {
                return format!("+{}", &number[i + 1..]);
            }
        }
    }
    number.to_owned()
}

/// Fullwidth and other script digits become ASCII: the library's first check only accepts
/// ASCII digits and would drop "０３－１２３４－５６７８" as "not a number".
fn ascii_digits(raw: &str) -> String {
    // Zeros of the decimal digit blocks the library itself maps (Arabic-Indic, Devanagari,
    // Bengali, Thai, fullwidth, ...); each block runs 0..9 from its zero.
    const ZEROS: [u32; 15] = [
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
        0x0D66, 0x0E50, 0x0ED0, 0xFF10,
    ];
    raw.chars()
        .map(|c| {
            if c == '\u{FF0B}' {
                return '+';
            }
            let cp = u32::from(c);
            ZEROS
                .iter()
                .find(|&&zero| (zero..zero + 10).contains(&cp))
                .and_then(|&zero| char::from_digit(cp - zero, 10))
                .unwrap_or(c)
        })
        .collect()
}

/// The library reads ";ext=12" only inside a strict RFC 3966 URI (no spaces, a separator after
/// the country code); anywhere else it rejects the whole value. Spelled out as " ext. " it is
/// read everywhere, unless a phone-context parameter needs the URI reading.
fn rfc3966_extension_spelled_out(text: String) -> String {
    let lower = text.to_ascii_lowercase();
    match lower.find(";ext=") {
        Some(at) if !lower.contains(";phone-context=") => {
            format!("{} ext. {}", &text[..at], &text[at + ";ext=".len()..])
        }
        _ => text,
    }
}

/// Drop trailing digitless notes such as "(main)" or "[office]": the library reads letters as
/// a vanity number ("1-800-FLOWERS") and would glue "main" onto the digits as 6246.
fn strip_trailing_notes(text: &str) -> &str {
    let mut text = text.trim_end();
    loop {
        let open = match text.chars().last() {
            Some(')') => '(',
            Some(']') => '[',
            _ => return text,
        };
        let Some(at) = text.rfind(open) else {
            return text;
        };
        if text[at..].chars().any(|c| c.is_ascii_digit()) {
            return text;
        }
        text = text[..at].trim_end();
    }
}

fn quote(raw: &str) -> String {
    let mut chars = raw.chars().map(|c| {
        if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        }
    });
    let mut quoted: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    if chars.next().is_some() {
        quoted.push('…');
    }
    quoted
}

/// Australian geographic numbers by area code and, where a code spans zones, by the digits
/// after it. The 08 split follows the number blocks in libphonenumber's geocoding data:
/// 08 5/6/9 Western Australia, 08 79/89 Northern Territory, the rest of 08 7/8 South Australia
/// (08 80 included: Broken Hill and far-west NSW keep Adelaide time).
fn australia_zone(nsn: &str) -> Option<Tz> {
    // Lord Howe Island's blocks within 02 (libphonenumber's time-zone map); the island keeps
    // UTC+10:30 with a half-hour DST.
    const LORD_HOWE: [&str; 21] = [
        "255053", "255143", "255213", "255280", "255307", "255369", "255413", "255568", "255936",
        "255937", "265080", "265081", "265082", "265099", "265164", "265251", "265296", "265341",
        "265606", "265632", "265998",
    ];
    if LORD_HOWE.iter().any(|p| nsn.starts_with(p)) {
        return Some(Australia::Lord_Howe);
    }
    let zone = match nsn.as_bytes() {
        [b'2', ..] => Australia::Sydney,
        // Tasmania: same offset as Melbourne today, but its own DST history.
        [b'3', b'6', ..] => Australia::Hobart,
        [b'3', ..] => Australia::Melbourne,
        // Queensland keeps no DST; the Tweed (NSW) shares 07 5 and is a minority.
        [b'7', ..] => Australia::Brisbane,
        [b'8', b'7' | b'8', b'9', ..] => Australia::Darwin,
        [b'8', b'7' | b'8', ..] => Australia::Adelaide,
        [b'8', b'5' | b'6' | b'9', ..] => Australia::Perth,
        _ => return None,
    };
    Some(zone)
}

/// Brazilian numbers by DDD, the two-digit area code that mobiles carry too. Zones follow the
/// IANA zone.tab split by state (Pará west is Santarem, Paraíba and the north-east Fortaleza,
/// Sergipe Maceio); everything not listed is Brasília time (Sao_Paulo).
fn brazil_zone(nsn: &str) -> Option<Tz> {
    // Fernando de Noronha (UTC-2) has its own block inside Recife's DDD.
    if nsn.starts_with("813619") {
        return Some(America::Noronha);
    }
    let zone = match nsn.get(..2)? {
        "63" => America::Araguaina,
        "65" | "66" => America::Cuiaba,
        "67" => America::Campo_Grande,
        "68" => America::Rio_Branco,
        "69" => America::Porto_Velho,
        "71" | "73" | "74" | "75" | "77" => America::Bahia,
        "79" | "82" => America::Maceio,
        "81" | "87" => America::Recife,
        "83" | "84" | "85" | "86" | "88" | "89" | "98" | "99" => America::Fortaleza,
        "91" | "94" | "96" => America::Belem,
        "93" => America::Santarem,
        // 97 also covers far-western Amazonas towns on Acre time (Eirunepe); most of its
        // numbers are on Manaus time.
        "92" | "97" => America::Manaus,
        "95" => America::Boa_Vista,
        _ => America::Sao_Paulo,
    };
    Some(zone)
}

/// Mexican numbers by area code (2 digits for Mexico City, Guadalajara and Monterrey, else 3,
/// and no 3-digit code starts with those 2, so the first 3 digits decide). Area codes are
/// those of libphonenumber's geocoding data; states follow the 2022 time-zone law.
fn mexico_zone(nsn: &str) -> Option<Tz> {
    let zone = match nsn.get(..3)? {
        // Baja California: Pacific time with US DST.
        "616" | "646" | "658" | "661" | "664" | "665" | "686" => America::Tijuana,
        // Sonora: UTC-7 all year.
        "622" | "623" | "631" | "632" | "633" | "634" | "637" | "638" | "641" | "642" | "643"
        | "644" | "645" | "647" | "651" | "653" | "662" => America::Hermosillo,
        // Baja California Sur, Sinaloa and Nayarit: UTC-7 all year.
        "612" | "613" | "615" | "624" | "660" | "667" | "668" | "669" | "672" | "673" | "687"
        | "690" | "691" | "692" | "693" | "694" | "695" | "696" | "697" | "698" | "699" | "311"
        | "319" | "323" | "324" | "327" | "389" => America::Mazatlan,
        // Bahía de Banderas (Nayarit) follows Puerto Vallarta on central time.
        "329" => America::Bahia_Banderas,
        // The border towns of Chihuahua keep US DST; the rest of the state does not.
        "656" => America::Ciudad_Juarez,
        "626" => America::Ojinaga,
        "614" | "621" | "625" | "627" | "628" | "629" | "635" | "636" | "639" | "648" | "649"
        | "652" | "657" | "659" => America::Chihuahua,
        // Tamaulipas and Coahuila border cities keep US DST (Matamoros, Reynosa, Nuevo Laredo,
        // Piedras Negras, Ciudad Acuña); smaller border towns share inland codes.
        "868" | "899" | "867" | "878" | "877" => America::Matamoros,
        // Quintana Roo: UTC-5 all year.
        "983" | "984" | "987" | "998" => America::Cancun,
        _ => America::Mexico_City,
    };
    Some(zone)
}

#[cfg(test)]
mod tests;
