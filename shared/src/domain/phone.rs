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
use serde::{Deserialize, Serialize};

/// What kind of line a number is, where libphonenumber knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    Mobile,
    FixedLine,
    FixedLineOrMobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    Uan,
    Voicemail,
    Unknown,
}

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
        return read_international(number).map_err(|e| e.into_error(quoted));
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
        return read_international(&international).map_err(|e| e.into_error(quoted));
    }

    match default_country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(country) => match country_id(country) {
            Some((id, meta)) => read_in_country(number, &digits, id, meta),
            None => read_without_country(number, &digits, Some(country)),
        },
        None => read_without_country(number, &digits, None),
    }
    .map_err(|e| e.into_error(quoted))
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(raw: &str, country: Option<&str>) -> ParsedPhone {
        parse_phone(raw, country).unwrap_or_else(|e| panic!("\"{raw}\" in {country:?}: {e}"))
    }

    fn e164_of(raw: &str, country: Option<&str>) -> String {
        ok(raw, country).e164
    }

    #[test]
    fn examples_from_each_country_read_to_e164() {
        let cases = [
            ("+44 (0)20 7946 0958", None, "+442079460958"),
            ("+44 (0)20 7946 0958", Some("DE"), "+442079460958"),
            ("0044 20 7946 0958", None, "+442079460958"),
            ("0044 20 7946 0958", Some("GB"), "+442079460958"),
            ("089 1234567", Some("DE"), "+49891234567"),
            ("01 42 68 53 00", Some("FR"), "+33142685300"),
            ("03-1234-5678", Some("JP"), "+81312345678"),
            ("(02) 9374 4000", Some("AU"), "+61293744000"),
            ("55 1234 5678", Some("MX"), "+525512345678"),
            ("912 345 678", Some("ES"), "+34912345678"),
            ("020 7946 0958", Some("GB"), "+442079460958"),
            ("06 1234 5678", Some("IT"), "+390612345678"),
            ("(11) 96123-4567", Some("BR"), "+5511961234567"),
            ("098765 43210", Some("IN"), "+919876543210"),
            ("+61 2 9374 4000", Some("AU"), "+61293744000"),
            ("+33 (0)1 42 68 53 00", Some("US"), "+33142685300"),
        ];
        for (raw, country, want) in cases {
            assert_eq!(e164_of(raw, country), want, "\"{raw}\" in {country:?}");
        }
    }

    #[test]
    fn parsed_fields_describe_the_number() {
        let p = ok("(02) 9374 4000", Some("AU"));
        assert_eq!(
            p,
            ParsedPhone {
                e164: "+61293744000".into(),
                extension: None,
                kind: PhoneKind::FixedLine,
                region: Some("AU".into()),
                national_number: "293744000".into(),
            }
        );
        assert_eq!(ok("07400 123456", Some("GB")).kind, PhoneKind::Mobile);
        assert_eq!(ok("0800 123 4567", Some("DE")).kind, PhoneKind::TollFree);
        assert_eq!(
            ok("(201) 555-0123", Some("US")).kind,
            PhoneKind::FixedLineOrMobile
        );
        let non_geographic = ok("+800 1234 5678", None);
        assert_eq!(non_geographic.region, None);
        assert_eq!(non_geographic.kind, PhoneKind::TollFree);
        // Canada shares +1 with the US; the region still says which.
        assert_eq!(ok("+1 506 234 5678", None).region.as_deref(), Some("CA"));
    }

    #[test]
    fn italian_leading_zero_keeps_type_and_region() {
        let p = ok("06 1234 5678", Some("IT"));
        assert_eq!(p.national_number, "0612345678");
        assert_eq!(p.kind, PhoneKind::FixedLine);
        assert_eq!(p.region.as_deref(), Some("IT"));
        assert_eq!(ok("+39 312 345 6789", None).kind, PhoneKind::Mobile);
    }

    #[test]
    fn extensions_are_kept_apart_from_the_number() {
        for raw in [
            "303-555-0103 ext. 12",
            "303-555-0103 x12",
            "303-555-0103 ext 12",
            "303-555-0103 #12",
            "303-555-0103;ext=12",
            "303-555-0103 extension 12",
            "tel:+1-303-555-0103;ext=12",
        ] {
            for country in [Some("US"), None] {
                let p = ok(raw, country);
                assert_eq!(p.e164, "+13035550103", "\"{raw}\" in {country:?}");
                assert_eq!(
                    p.extension.as_deref(),
                    Some("12"),
                    "\"{raw}\" in {country:?}"
                );
            }
        }
        assert_eq!(
            ok("+44 20 7946 0958 ext. 345", None).extension.as_deref(),
            Some("345")
        );
        assert_eq!(ok("303-555-0103", Some("US")).extension, None);
        let noted = ok("303-555-0103 x12 (front desk)", Some("US"));
        assert_eq!(
            (noted.e164.as_str(), noted.extension.as_deref()),
            ("+13035550103", Some("12"))
        );
    }

    #[test]
    fn punctuation_and_scripts_are_ignored() {
        for raw in [
            "tel:+1-303-555-0103",
            "tel:303-555-0103",
            "303.555.0103",
            "(303) 555-0103",
            "303\u{a0}555\u{a0}0103",
            "303\u{2013}555\u{2014}0103",
            "303\u{2212}555\u{2010}0103",
            "３０３－５５５－０１０３",
            "＋１ ３０３ ５５５ ０１０３",
            "Phone: 303 555 0103",
            "+1 303 555 0103 (main)",
            "  303 555 0103  ",
        ] {
            assert_eq!(e164_of(raw, Some("US")), "+13035550103", "\"{raw}\"");
        }
        assert_eq!(
            e164_of("０３－１２３４－５６７８", Some("JP")),
            "+81312345678"
        );
        assert_eq!(e164_of("1-800-FLOWERS", Some("US")), "+18003569377");
    }

    #[test]
    fn country_is_read_in_any_case_and_unknown_ones_never_guess() {
        assert_eq!(e164_of("020 7946 0958", Some("gb")), "+442079460958");
        assert_eq!(e164_of("020 7946 0958", Some(" Gb ")), "+442079460958");
        assert_eq!(e164_of("020 7946 0958", Some("uk")), "+442079460958");
        // A blank country cell is no country.
        assert_eq!(e164_of("212-555-0100", Some("  ")), "+12125550100");
        for country in ["XX", "Germany", "ZZ", "001", "éé"] {
            let err = parse_phone("2125550100", Some(country)).unwrap_err();
            assert_eq!(
                err,
                PhoneError::UnknownCountry {
                    raw: "2125550100".into(),
                    country: country.into()
                }
            );
            // International forms need no country.
            assert_eq!(e164_of("+44 20 7946 0958", Some(country)), "+442079460958");
        }
        assert_eq!(
            parse_phone("020 7946 0958", Some("Germany"))
                .unwrap_err()
                .to_string(),
            "\"020 7946 0958\" is a national number and the lead's country \"Germany\" is not a country code we know"
        );
    }

    #[test]
    fn without_a_country_only_international_and_nanp_numbers_are_read() {
        assert_eq!(e164_of("+44 20 7946 0958", None), "+442079460958");
        assert_eq!(e164_of("0044 20 7946 0958", None), "+442079460958");
        assert_eq!(e164_of("011 44 20 7946 0958", None), "+442079460958");
        assert_eq!(e164_of("+0044 20 7946 0958", None), "+442079460958");
        assert_eq!(
            e164_of("tel:03-331-6005;phone-context=+64", None),
            "+6433316005"
        );
        assert_eq!(e164_of("(212) 555-0100", None), "+12125550100");
        assert_eq!(e164_of("1 212 555 0100", None), "+12125550100");
        assert_eq!(e164_of("2125550100", None), "+12125550100");
        for raw in [
            "0207 946 0958",
            "020 7946 0958",
            "089 1234567",
            "03-1234-5678",
        ] {
            assert_eq!(
                parse_phone(raw, None),
                Err(PhoneError::NeedsCountry { raw: raw.into() })
            );
        }
        // Ten digits that are not a valid NANP number are not forced into +1.
        assert_eq!(
            parse_phone("0612345678", None),
            Err(PhoneError::NeedsCountry {
                raw: "0612345678".into()
            })
        );
    }

    #[test]
    fn dialing_out_prefixes_of_the_lead_country_are_international() {
        assert_eq!(e164_of("011 44 20 7946 0958", Some("US")), "+442079460958");
        assert_eq!(e164_of("0011 44 20 7946 0958", Some("AU")), "+442079460958");
        assert_eq!(e164_of("010 44 20 7946 0958", Some("JP")), "+442079460958");
        // A European-style 00 from a lead in a country that dials out otherwise.
        assert_eq!(e164_of("0044 20 7946 0958", Some("AU")), "+442079460958");
        assert_eq!(e164_of("0044 (0)20 7946 0958", Some("US")), "+442079460958");
        assert_eq!(e164_of("0055 11 96123 4567", Some("BR")), "+5511961234567");
    }

    #[test]
    fn legacy_mexican_prefixes_are_rewritten() {
        for raw in [
            "+52 1 55 1234 5678",
            "044 55 1234 5678",
            "045 55 1234 5678",
            "01 55 1234 5678",
            "55 1234 5678",
        ] {
            assert_eq!(e164_of(raw, Some("MX")), "+525512345678", "\"{raw}\"");
        }
        assert_eq!(
            ok("+52 1 55 1234 5678 ext 9", None).extension.as_deref(),
            Some("9")
        );
    }

    #[test]
    fn errors_name_the_value_and_why() {
        let message =
            |raw: &str, country: Option<&str>| parse_phone(raw, country).unwrap_err().to_string();
        assert_eq!(
            message("12345", None),
            "\"12345\" is too short to be a phone number"
        );
        assert_eq!(
            message("12345", Some("GB")),
            "\"12345\" is too short to be a phone number"
        );
        assert_eq!(
            message("0207 946 0958", None),
            "\"0207 946 0958\" is a national number and the lead has no country to read it in"
        );
        assert_eq!(
            message("+99 123", None),
            "\"+99 123\" has an unknown country code"
        );
        assert_eq!(
            message("+999 1234 5678", None),
            "\"+999 1234 5678\" has an unknown country code"
        );
        assert_eq!(message("abc", None), "\"abc\" has no digits");
        assert_eq!(message("", Some("US")), "\"\" has no digits");
        assert_eq!(message("+abc", None), "\"+abc\" has no digits");
        assert_eq!(
            message("+44 20 7946 09581234", None),
            "\"+44 20 7946 09581234\" has the wrong number of digits for a GB number"
        );
        assert_eq!(
            message("+44 2079 4609 5812 3456 7890", None),
            "\"+44 2079 4609 5812 3456 7890\" is too long to be a phone number"
        );
        assert_eq!(
            message("+44 20 7946 095", None),
            "\"+44 20 7946 095\" is not a valid GB number (no such area code or prefix, or a digit missing or extra)"
        );
        assert_eq!(
            message("+44 20 7946 09", None),
            "\"+44 20 7946 09\" has the wrong number of digits for a GB number"
        );
        assert_eq!(
            message("(555) 555-5555", Some("US")),
            "\"(555) 555-5555\" is not a valid US number (no such area code or prefix, or a digit missing or extra)"
        );
        assert_eq!(
            message("020 7946 0958", Some("US")),
            "\"020 7946 0958\" has the wrong number of digits for a US number"
        );
        assert_eq!(
            message("+1 23", None),
            "\"+1 23\" is too short to be a phone number"
        );
        let long = "1".repeat(400);
        let err = message(&long, None);
        assert!(
            err.ends_with("…\" is too long to be a phone number"),
            "{err}"
        );
        assert!(err.chars().count() < 120, "{err}");
        assert!(!message("555\n0100", None).contains('\n'));
        assert_eq!(
            message("020\u{a0}7946\u{2013}0958", None),
            "\"020 7946\u{2013}0958\" is a national number and the lead has no country to read it in"
        );
    }

    #[test]
    fn e164_is_the_match_key_or_nothing() {
        assert_eq!(
            e164("303-555-0103 ext. 12", Some("us")),
            Some("+13035550103".into())
        );
        assert_eq!(e164("020 7946 0958", None), None);
        assert_eq!(e164("not a phone", Some("US")), None);
    }

    #[test]
    fn kind_reads_from_snake_case() {
        use serde::de::{value::Error, IntoDeserializer};
        let read = |s: &'static str| {
            PhoneKind::deserialize(IntoDeserializer::<Error>::into_deserializer(s)).unwrap()
        };
        assert_eq!(read("fixed_line_or_mobile"), PhoneKind::FixedLineOrMobile);
        assert_eq!(read("toll_free"), PhoneKind::TollFree);
        assert_eq!(read("uan"), PhoneKind::Uan);
    }

    #[test]
    fn australian_numbers_are_zoned_by_area_code() {
        let zone = |raw: &str| number_zone(&ok(raw, Some("AU")));
        assert_eq!(zone("(02) 9374 4000"), Some(Australia::Sydney));
        assert_eq!(zone("(02) 6563 2066"), Some(Australia::Lord_Howe));
        assert_eq!(zone("(03) 9123 4567"), Some(Australia::Melbourne));
        assert_eq!(zone("(03) 6234 5678"), Some(Australia::Hobart));
        assert_eq!(zone("(07) 3123 4567"), Some(Australia::Brisbane));
        assert_eq!(zone("(08) 8123 4567"), Some(Australia::Adelaide));
        assert_eq!(zone("(08) 8087 1234"), Some(Australia::Adelaide));
        assert_eq!(zone("(08) 7123 4567"), Some(Australia::Adelaide));
        assert_eq!(zone("(08) 8981 2345"), Some(Australia::Darwin));
        assert_eq!(zone("(08) 9123 4567"), Some(Australia::Perth));
        assert_eq!(zone("(08) 6123 4567"), Some(Australia::Perth));
        // Mobiles roam nationwide; toll-free numbers are nowhere.
        assert_eq!(zone("0412 345 678"), None);
        assert_eq!(zone("1800 123 456"), None);
        // Christmas Island shares +61 but is its own region with one zone.
        assert_eq!(zone("+61 8 9164 1234"), None);
    }

    #[test]
    fn brazilian_numbers_are_zoned_by_ddd() {
        let zone = |raw: &str| number_zone(&ok(raw, Some("BR")));
        assert_eq!(zone("(11) 96123-4567"), Some(America::Sao_Paulo));
        assert_eq!(zone("(21) 2123-4567"), Some(America::Sao_Paulo));
        assert_eq!(zone("(65) 3123-4567"), Some(America::Cuiaba));
        assert_eq!(zone("(66) 99123-4567"), Some(America::Cuiaba));
        assert_eq!(zone("(67) 3123-4567"), Some(America::Campo_Grande));
        assert_eq!(zone("(68) 3223-4567"), Some(America::Rio_Branco));
        assert_eq!(zone("(69) 3223-4567"), Some(America::Porto_Velho));
        assert_eq!(zone("(92) 3123-4567"), Some(America::Manaus));
        assert_eq!(zone("(97) 3343-1234"), Some(America::Manaus));
        assert_eq!(zone("(95) 3623-1234"), Some(America::Boa_Vista));
        assert_eq!(zone("(91) 3123-4567"), Some(America::Belem));
        assert_eq!(zone("(96) 3223-1234"), Some(America::Belem));
        assert_eq!(zone("(93) 3523-1234"), Some(America::Santarem));
        assert_eq!(zone("(81) 3123-4567"), Some(America::Recife));
        assert_eq!(zone("(81) 3619-1352"), Some(America::Noronha));
        assert_eq!(zone("(85) 3123-4567"), Some(America::Fortaleza));
        assert_eq!(zone("(82) 3123-4567"), Some(America::Maceio));
        assert_eq!(zone("(71) 3123-4567"), Some(America::Bahia));
        assert_eq!(zone("(63) 3223-1234"), Some(America::Araguaina));
        assert_eq!(zone("0800 123 4567"), None);
    }

    #[test]
    fn mexican_numbers_are_zoned_by_area_code() {
        let zone = |raw: &str| number_zone(&ok(raw, Some("MX")));
        assert_eq!(zone("55 1234 5678"), Some(America::Mexico_City));
        assert_eq!(zone("33 1234 5678"), Some(America::Mexico_City));
        assert_eq!(zone("664 123 4567"), Some(America::Tijuana));
        assert_eq!(zone("686 123 4567"), Some(America::Tijuana));
        assert_eq!(zone("662 123 4567"), Some(America::Hermosillo));
        assert_eq!(zone("669 123 4567"), Some(America::Mazatlan));
        assert_eq!(zone("624 123 4567"), Some(America::Mazatlan));
        assert_eq!(zone("614 123 4567"), Some(America::Chihuahua));
        assert_eq!(zone("656 123 4567"), Some(America::Ciudad_Juarez));
        assert_eq!(zone("998 123 4567"), Some(America::Cancun));
        assert_eq!(zone("899 123 4567"), Some(America::Matamoros));
        assert_eq!(zone("800 123 4567"), None);
    }

    #[test]
    fn single_zone_and_nanp_numbers_have_no_number_zone() {
        assert_eq!(number_zone(&ok("020 7946 0958", Some("GB"))), None);
        assert_eq!(number_zone(&ok("(212) 555-0100", Some("US"))), None);
        assert_eq!(number_zone(&ok("+1 506 234 5678", None)), None);
        assert_eq!(number_zone(&ok("089 1234567", Some("DE"))), None);
    }

    /// The countries the property tests draw from: ISO code and whether it is in the NANP.
    const COUNTRIES: [(&str, bool); 20] = [
        ("US", true),
        ("CA", true),
        ("GB", false),
        ("DE", false),
        ("FR", false),
        ("ES", false),
        ("IT", false),
        ("NL", false),
        ("AU", false),
        ("NZ", false),
        ("JP", false),
        ("MX", false),
        ("BR", false),
        ("IN", false),
        ("IE", false),
        ("ZA", false),
        ("SG", false),
        ("SE", false),
        ("CH", false),
        ("PL", false),
    ];

    /// Valid national significant numbers for a country: the library's own example fixed-line
    /// and mobile numbers, plus a few hand-picked ones for shapes the examples miss.
    fn samples(country: &str) -> Vec<String> {
        let d = DATABASE.by_id(country).unwrap().descriptors();
        let mut out: Vec<String> = [d.fixed_line(), d.mobile()]
            .into_iter()
            .flatten()
            .filter_map(|desc| desc.example())
            .map(str::to_owned)
            .collect();
        let extra: &[&str] = match country {
            "GB" => &["2079460958"],
            "FR" => &["142685300"],
            "AU" => &["293744000"],
            "MX" => &["5512345678"],
            "DE" => &["891234567"],
            "JP" => &["312345678"],
            _ => &[],
        };
        out.extend(extra.iter().map(|s| (*s).to_owned()));
        out.dedup();
        out
    }

    /// One way of writing an NSN: groups of 2-4 digits joined by one separator, the first
    /// group optionally in parentheses.
    fn written(nsn: &str, cuts: &[usize], separator: &str, parens: bool) -> String {
        let mut groups = Vec::new();
        let mut rest = nsn;
        for &cut in cuts {
            if rest.len() <= cut + 1 {
                break;
            }
            let (head, tail) = rest.split_at(cut);
            groups.push(head.to_owned());
            rest = tail;
        }
        groups.push(rest.to_owned());
        if parens && groups.len() > 1 {
            groups[0] = format!("({})", groups[0]);
        }
        groups.join(separator)
    }

    #[derive(Debug, Clone)]
    enum Form {
        National { trunk: bool },
        Plus { trunk_in_parens: bool },
        DoubleZero,
    }

    fn form() -> impl Strategy<Value = Form> {
        prop_oneof![
            any::<bool>().prop_map(|trunk| Form::National { trunk }),
            any::<bool>().prop_map(|trunk_in_parens| Form::Plus { trunk_in_parens }),
            Just(Form::DoubleZero),
        ]
    }

    fn separator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![" ", "-", ".", "", "\u{a0}", "\u{2013}", " - ", "/"])
    }

    fn extension_suffix() -> impl Strategy<Value = Option<(&'static str, String)>> {
        prop::option::of((
            prop::sample::select(vec![
                " ext. ",
                " x",
                " ext ",
                " #",
                ";ext=",
                " extension ",
                " Ext: ",
            ]),
            "[1-9][0-9]{0,4}",
        ))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn written_forms_read_back_to_the_same_e164(
            country in 0..COUNTRIES.len(),
            pick in any::<prop::sample::Index>(),
            form in form(),
            cuts in prop::collection::vec(2usize..=4, 1..5),
            separator in separator(),
            parens in any::<bool>(),
            lower_case in any::<bool>(),
            extension in extension_suffix(),
        ) {
            let (iso, nanp) = COUNTRIES[country];
            let meta = DATABASE.by_id(iso).unwrap();
            let nsns = samples(iso);
            let nsn = pick.get(&nsns);
            let code = meta.country_code();
            let body = written(nsn, &cuts, separator, parens);
            let text = match &form {
                Form::National { trunk } => match meta.national_prefix() {
                    Some(prefix) if *trunk => format!("{prefix}{body}"),
                    _ => body,
                },
                Form::Plus { trunk_in_parens } => {
                    let trunk = match meta.national_prefix() {
                        Some("0") if *trunk_in_parens => "(0)",
                        _ => "",
                    };
                    format!("+{code} {trunk}{body}")
                }
                Form::DoubleZero => format!("00{code} {body}"),
            };
            let text = match &extension {
                Some((marker, digits)) => format!("{text}{marker}{digits}"),
                None => text,
            };
            let lead_country = if lower_case { iso.to_ascii_lowercase() } else { iso.to_owned() };
            let parsed = parse_phone(&text, Some(&lead_country));
            let parsed = match parsed {
                Ok(p) => p,
                Err(e) => return Err(TestCaseError::fail(format!("{text:?} in {iso}: {e}"))),
            };
            prop_assert_eq!(&parsed.e164, &format!("+{code}{nsn}"), "{:?} in {}", text, iso);
            prop_assert_eq!(parsed.extension, extension.map(|(_, d)| d), "{:?}", text);
            prop_assert_eq!(parsed.region.as_deref(), Some(iso), "{:?}", text);
            if !nanp {
                prop_assert!(!parsed.e164.starts_with("+1"), "{:?} in {}", text, iso);
            }
        }

        /// Whatever digits a non-NANP lead carries in national form, reading them in the lead's
        /// country never yields a North American number.
        #[test]
        fn national_digits_outside_nanp_never_become_plus_one(
            country in 2..COUNTRIES.len(),
            digits in "0?[1-9][0-9]{5,12}",
            separator in separator(),
            cuts in prop::collection::vec(2usize..=4, 1..5),
        ) {
            let (iso, _) = COUNTRIES[country];
            let meta = DATABASE.by_id(iso).unwrap();
            // A leading dialing-out prefix makes it international, not national.
            prop_assume!(idd_length(meta, &digits).is_none());
            let text = written(&digits, &cuts, separator, false);
            if let Ok(p) = parse_phone(&text, Some(iso)) {
                prop_assert!(!p.e164.starts_with("+1"), "{:?} in {} -> {}", text, iso, p.e164);
                let own_code = format!("+{}", meta.country_code());
                prop_assert!(p.e164.starts_with(&own_code), "{:?} in {} -> {}", text, iso, p.e164);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(
            raw in any::<String>(),
            country in prop::option::of(prop::sample::select(vec!["US", "gb", "DE", "br", "MX", "XX", "", "001", "Ü"])),
        ) {
            let _ = parse_phone(&raw, country);
            let _ = e164(&raw, country);
        }

        #[test]
        fn phone_shaped_text_never_panics(
            raw in "(tel:)?[+＋]?[0-9０-９ ()\\-.;=#x/*~]{0,40}(;phone-context=[^ ]{0,8})?(;ext=[0-9]{0,9})?",
            country in prop::option::of(prop::sample::select(vec!["US", "gb", "DE", "br", "MX", "AU", "JP", "IT"])),
        ) {
            if let Ok(p) = parse_phone(&raw, country) {
                prop_assert!(p.e164.starts_with('+'));
                prop_assert!(p.e164[1..].bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(p.e164.len() <= 16, "{}", p.e164);
                let _ = number_zone(&p);
            }
        }
    }

    /// `cargo test --release -- --ignored --nocapture throughput` (run alone, so the metadata
    /// is still unloaded when it starts).
    #[test]
    #[ignore = "a measurement, not a check; run in release"]
    fn throughput() {
        let rss = || {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS"))
                        .map(str::to_owned)
                })
                .unwrap_or_default()
        };
        println!("before the metadata: {}", rss());
        let started = std::time::Instant::now();
        let _ = DATABASE.by_id("US");
        println!(
            "metadata load on first use: {:?}; {}",
            started.elapsed(),
            rss()
        );
        // The library compiles each metadata regex on first use, into a shared cache of 100.
        let started = std::time::Instant::now();
        let _ = parse_phone("(212) 555-0100", Some("US"));
        println!("first parse after the load: {:?}", started.elapsed());

        let inputs: Vec<(&str, Option<&str>)> = vec![
            ("(212) 555-0100", Some("US")),
            ("303-555-0103 ext. 12", None),
            ("+44 (0)20 7946 0958", None),
            ("020 7946 0958", Some("gb")),
            ("089 1234567", Some("DE")),
            ("01 42 68 53 00", Some("FR")),
            ("03-1234-5678", Some("JP")),
            ("(02) 9374 4000", Some("AU")),
            ("55 1234 5678", Some("MX")),
            ("(11) 96123-4567", Some("BR")),
            ("0044 20 7946 0958", None),
            ("020 7946 0958", None),
        ];
        let runs = |label: &str, inputs: &[(&str, Option<&str>)]| {
            let n = 100_000;
            let started = std::time::Instant::now();
            let mut valid = 0usize;
            for i in 0..n {
                let (raw, country) = inputs[i % inputs.len()];
                valid += usize::from(parse_phone(std::hint::black_box(raw), country).is_ok());
            }
            let elapsed = started.elapsed();
            println!(
                "{label}: {n} parses in {elapsed:?} = {:.0} numbers/s ({valid} valid)",
                n as f64 / elapsed.as_secs_f64()
            );
        };
        runs("US only", &inputs[..1]);
        runs("12 mixed inputs, 9 countries", &inputs);
        let everywhere: Vec<String> = COUNTRIES
            .iter()
            .flat_map(|(iso, _)| {
                let code = DATABASE.by_id(*iso).unwrap().country_code();
                samples(iso)
                    .into_iter()
                    .map(move |nsn| format!("+{code} {nsn}"))
            })
            .collect();
        let everywhere: Vec<(&str, Option<&str>)> =
            everywhere.iter().map(|s| (s.as_str(), None)).collect();
        runs(
            &format!("{} numbers from 20 countries", everywhere.len()),
            &everywhere,
        );
        println!("after all runs: {}", rss());
    }
}
