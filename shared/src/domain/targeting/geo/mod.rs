//! Country and state/province normalisation for lead intake: free-text country and region
//! cells become ISO 3166-1 alpha-2 codes and ISO 3166-2 subdivision codes.
//!
//! The codes and ISO names of all 249 ISO 3166-1 entries and their ~5,000 subdivisions come
//! from the `rust_iso3166` crate (Debian iso-codes data). ISO names subdivisions in their own
//! language ("Bayern", "Catalunya", "Lombardia"), so [`data`] adds what people actually type
//! in a CRM: English and native names, abbreviations ("Calif.", "N.S.W.", "CDMX"), pre-reform
//! names ("Orissa", "Rhône-Alpes") and report-friendly country names.
//!
//! Matching ignores case, accents ("Québec" = "Quebec"), dots ("U.S.A."), apostrophes,
//! punctuation and extra spaces, a leading "the", and reads "St" as "Saint" and "&" as "and".
//!
//! Without a country, [`subdivision_code`] only answers when the region is unambiguous. A bare
//! code, or a code-like abbreviation such as "NRW", is only read as a US, Canadian or
//! Australian one, as in `timezone.rs`: two-letter codes clash across countries ("PA" is
//! Pennsylvania and Pará, "TN" Tennessee and Tamil Nadu; 40 of the 78 US/CA/AU codes are also
//! codes in another supported country). A name is looked up in US/CA/AU first, then in the
//! other countries with curated names (MX, BR, DE, IN, GB, IE, ES, IT, FR, NL), each step only
//! answering when exactly one subdivision there has that name. Other countries' subdivisions
//! need their country or an "XX-" prefix: their names are too often generic words or city
//! names ("North" is a Cameroonian region, "Santiago" a Dominican province).
//!
//! Each lookup normalises its input once and reads one or two hash maps, built on first use
//! (a few milliseconds), so it stays cheap on 100,000-row imports.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::LazyLock;

mod data;
#[cfg(test)]
mod tests;

/// Countries whose bare subdivision codes are understood without a country, as in
/// `timezone.rs`: their state/province codes are what a US-centred CRM holds.
const DEFAULT_REGION_COUNTRIES: &[&str] = &["US", "CA", "AU"];

/// Countries with hand-curated subdivision names, the only ones whose names resolve without a
/// country ("Limburg" is then the Dutch province, not the Belgian one).
const SUPPORTED_COUNTRIES: &[&str] = &[
    "US", "CA", "AU", "MX", "BR", "DE", "IN", "GB", "IE", "ES", "IT", "FR", "NL",
];

/// ISO 3166-1 alpha-2 (upper case, e.g. "US") of a country written as alpha-2, alpha-3, ISO
/// English name, a common English, native or former name ("USA", "U.S.", "America", "UK",
/// "England", "Deutschland", "Holland", "Éire", "Korea, Republic of", "Türkiye", "UAE", ...),
/// in any case, with or without accents, dots, extra spaces or a leading "the".
/// `None` when unknown. Never panics.
pub fn country_code(raw: &str) -> Option<&'static str> {
    if is_not_available(raw) {
        return None;
    }
    COUNTRIES.by_key.get(normalize(raw).as_str()).copied()
}

/// English short name of a country by alpha-2, in any case ("US" -> "United States"), for
/// reports: ISO's name, or a plainer common one where ISO's reads badly ("Korea (Republic
/// of)" -> "South Korea").
pub fn country_name(alpha2: &str) -> Option<&'static str> {
    let &[first, second] = alpha2.trim().as_bytes() else {
        return None;
    };
    let upper = [first.to_ascii_uppercase(), second.to_ascii_uppercase()];
    COUNTRIES
        .names
        .get(std::str::from_utf8(&upper).ok()?)
        .copied()
}

/// `(country alpha-2, subdivision code)` of a state/province/region written as a code ("TX",
/// "tx", "US-TX"), an ISO or English name ("Texas", "Bayern", "Bavaria") or a common alias
/// ("Calif.", "Wash. D.C.", "Québec", "Nuevo Leon", "CDMX"). The code is the part of the
/// ISO 3166-2 code after the hyphen, upper case ("TX", "ON", "NSW", "BY", "CMX", "25").
///
/// `country` is the country in any form [`country_code`] reads; when it is given, only its
/// subdivisions match, and an unknown country gives `None`. A blank country counts as none,
/// and then the region must be unambiguous (see the module docs: "WA" and "NT" exist in the
/// US/Canada and Australia, so they need the country). Never panics.
pub fn subdivision_code(country: Option<&str>, raw: &str) -> Option<(&'static str, &'static str)> {
    let country = match country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(country) => Some(country_code(country)?),
        None => None,
    };
    if is_not_available(raw) {
        return None;
    }
    let index = &*SUBDIVISIONS;
    if let Some(hit) = prefixed_subdivision(index, country, raw) {
        return Some(hit);
    }
    let key = normalize(raw);
    match country {
        Some(country) => index
            .by_country
            .get(country)?
            .get(key.as_str())
            .map(|hit| (country, hit.code)),
        None => index.countryless.get(key.as_str()).copied(),
    }
}

/// "US-TX", "us tx", "GB-ENG": an alpha-2 prefix names the country, so the code needs no
/// guessing. Only code-like remainders count, so "La Rioja" is not read as Laos + "Rioja".
fn prefixed_subdivision(
    index: &SubdivisionIndex,
    country: Option<&'static str>,
    raw: &str,
) -> Option<(&'static str, &'static str)> {
    let (prefix, rest) = raw.trim().split_at_checked(2)?;
    let rest = rest.strip_prefix(['-', ' ', '_'])?;
    if !prefix.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let prefix_country = country_code(prefix)?;
    if country.is_some_and(|country| country != prefix_country) {
        return None;
    }
    let key = normalize(rest);
    if !is_code_like(&key) {
        return None;
    }
    index
        .by_country
        .get(prefix_country)?
        .get(key.as_str())
        .map(|hit| (prefix_country, hit.code))
}

// ---------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------

/// The lookup key of a free-text value: lower case, accents folded to ASCII, dots and
/// apostrophes dropped, any other punctuation or whitespace run turned into one space,
/// "&" read as "and", then [`tidy_words`]. Data keys and inputs go through the same function,
/// so whatever it does to one it does to the other.
fn normalize(raw: &str) -> String {
    let mut key = KeyWriter {
        out: String::with_capacity(raw.len() + 4),
        gap: Gap::None,
        spaced: 0,
        boundaries: 0,
    };
    for ch in raw.chars() {
        if is_elided(ch) {
            continue;
        }
        if ch == '&' {
            key.gap = Gap::Punctuation;
            key.start_word();
            key.out.push_str("and");
            key.gap = Gap::Punctuation;
        } else if ch.is_ascii_alphanumeric() {
            key.start_word();
            key.out.push(ch.to_ascii_lowercase());
        } else if ch.is_alphanumeric() {
            for lower in ch.to_lowercase().filter(|&c| !is_elided(c)) {
                key.start_word();
                match fold(lower) {
                    Some(ascii) => key.out.push_str(ascii),
                    None => key.out.push(lower),
                }
            }
        } else if !ch.is_whitespace() {
            key.gap = Gap::Punctuation;
        } else if key.gap == Gap::None {
            key.gap = Gap::Space;
        }
    }
    if key.boundaries > 0 {
        tidy_words(&key.out, key.spaced)
    } else {
        key.out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    None,
    /// Only whitespace since the last word ("U. S. A." once the dots are gone).
    Space,
    /// Other punctuation too ("N/A").
    Punctuation,
}

struct KeyWriter {
    out: String,
    gap: Gap,
    /// Bit `i` is set when word boundary `i` was whitespace only.
    spaced: u64,
    boundaries: u32,
}

impl KeyWriter {
    fn start_word(&mut self) {
        if self.gap != Gap::None && !self.out.is_empty() {
            if self.gap == Gap::Space && self.boundaries < u64::BITS {
                self.spaced |= 1 << self.boundaries;
            }
            self.boundaries += 1;
            self.out.push(' ');
        }
        self.gap = Gap::None;
    }
}

/// Word-level rules on a multi-word key: a leading "the" goes ("The Netherlands"), a leading
/// "st"/"ste" becomes "saint"/"sainte" ("St. Lucia"), and single letters apart only by
/// spaces join ("U. S. A." -> "usa", "Washington D. C." -> "washington dc"), but not across
/// other punctuation, so "N/A" does not become Namibia. Single-word keys skip this so codes
/// such as "ST" (Sachsen-Anhalt) stay codes.
fn tidy_words(key: &str, spaced: u64) -> String {
    let words: Vec<&str> = key.split(' ').collect();
    let first = usize::from(words[0] == "the");
    let single = |word: &str| word.chars().nth(1).is_none();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &word) in words.iter().enumerate().skip(first) {
        let word = match word {
            "st" if i == first && words.len() > first + 1 => "saint",
            "ste" if i == first && words.len() > first + 1 => "sainte",
            word => word,
        };
        if i > first {
            let boundary = i - 1;
            let spaced = u32::try_from(boundary)
                .ok()
                .and_then(|bit| spaced.checked_shr(bit))
                .is_some_and(|bits| bits & 1 == 1);
            if !(spaced && single(words[i - 1]) && single(word)) {
                out.push(' ');
            }
        }
        out.push_str(word);
    }
    out
}

/// "N.A." in a country or region cell means "not available", not Namibia or Naples (which
/// "NA" and "Namibia" still reach).
fn is_not_available(raw: &str) -> bool {
    let raw = raw.trim();
    ["n.a.", "n.a", "n. a."]
        .iter()
        .any(|marker| raw.eq_ignore_ascii_case(marker))
}

/// Dropped without leaving a gap: dots join abbreviations ("U.S."), apostrophes join elisions
/// ("Hawai'i", "Côte d’Ivoire"), combining marks are accents written apart from their letter.
fn is_elided(ch: char) -> bool {
    matches!(
        ch,
        '.' | '\'' | '’' | '‘' | '`' | '´' | 'ʻ' | 'ʼ' | 'ʹ'
            | '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// ASCII spelling of a lower-case Latin letter with diacritics, covering Latin-1, Latin
/// Extended-A, the Romanian/Vietnamese/Azerbaijani letters of Extended-B and the Latin
/// Extended Additional block (transliterated place names: "Ḩalab", "Đà Nẵng").
fn fold(ch: char) -> Option<&'static str> {
    let ascii = match ch {
        'à'..='å' | 'ā'..='ą' | 'ǎ' | 'ȁ' | 'ȃ' => "a",
        'æ' | 'ǣ' => "ae",
        'ç' | 'ć'..='č' => "c",
        'è'..='ë' | 'ē'..='ě' | 'ȅ' | 'ȇ' | 'ǝ' | 'ə' => "e",
        'ì'..='ï' | 'ĩ'..='ı' | 'ǐ' => "i",
        'ð' | 'ď'..='đ' => "d",
        'ñ' | 'ń'..='ŋ' => "n",
        'ò'..='ö' | 'ø' | 'ō'..='ő' | 'ơ' | 'ǒ' | 'ǿ' => "o",
        'ù'..='ü' | 'ũ'..='ų' | 'ư' | 'ǔ'..='ǜ' => "u",
        'ý' | 'ÿ' | 'ŷ'..='Ÿ' => "y",
        'þ' => "th",
        'ß' => "ss",
        'ĝ'..='ģ' | 'ǧ' => "g",
        'ĥ'..='ħ' => "h",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' | 'ǩ' => "k",
        'ĺ'..='ł' => "l",
        'œ' => "oe",
        'ŕ'..='ř' => "r",
        'ś'..='š' | 'ș' | 'ſ' => "s",
        'ţ'..='ŧ' | 'ț' => "t",
        'ŵ' => "w",
        'ź'..='ž' => "z",
        '\u{1E00}'..='\u{1EFF}' => fold_latin_extended_additional(ch),
        _ => return None,
    };
    Some(ascii)
}

/// U+1E00-U+1EFF is laid out alphabetically (upper/lower pairs), then the Vietnamese letters.
fn fold_latin_extended_additional(ch: char) -> &'static str {
    match ch {
        '\u{1E00}'..='\u{1E01}' | '\u{1E9A}' | '\u{1EA0}'..='\u{1EB7}' => "a",
        '\u{1E02}'..='\u{1E07}' => "b",
        '\u{1E08}'..='\u{1E09}' => "c",
        '\u{1E0A}'..='\u{1E13}' => "d",
        '\u{1E14}'..='\u{1E1D}' | '\u{1EB8}'..='\u{1EC7}' => "e",
        '\u{1E1E}'..='\u{1E1F}' => "f",
        '\u{1E20}'..='\u{1E21}' => "g",
        '\u{1E22}'..='\u{1E2B}' | '\u{1E96}' => "h",
        '\u{1E2C}'..='\u{1E2F}' | '\u{1EC8}'..='\u{1ECB}' => "i",
        '\u{1E30}'..='\u{1E35}' => "k",
        '\u{1E36}'..='\u{1E3D}' => "l",
        '\u{1E3E}'..='\u{1E43}' => "m",
        '\u{1E44}'..='\u{1E4B}' => "n",
        '\u{1E4C}'..='\u{1E53}' | '\u{1ECC}'..='\u{1EE3}' => "o",
        '\u{1E54}'..='\u{1E57}' => "p",
        '\u{1E58}'..='\u{1E5F}' => "r",
        '\u{1E60}'..='\u{1E69}' | '\u{1E9B}' => "s",
        '\u{1E6A}'..='\u{1E71}' | '\u{1E97}' => "t",
        '\u{1E72}'..='\u{1E7B}' | '\u{1EE4}'..='\u{1EF1}' => "u",
        '\u{1E7C}'..='\u{1E7F}' => "v",
        '\u{1E80}'..='\u{1E89}' | '\u{1E98}' => "w",
        '\u{1E8A}'..='\u{1E8D}' => "x",
        '\u{1E8E}'..='\u{1E8F}' | '\u{1E99}' | '\u{1EF2}'..='\u{1EF9}' => "y",
        '\u{1E90}'..='\u{1E95}' => "z",
        '\u{1E9E}' => "ss",
        _ => "",
    }
}

/// Up to three letters/digits in one word: read as a code, never as a name.
fn is_code_like(key: &str) -> bool {
    !key.is_empty() && key.len() <= 3 && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Keys derived from an ISO or curated name, beyond the name itself: the part outside
/// brackets and the bracketed qualifier put first ("Korea (Republic of)" -> "Korea",
/// "Republic of Korea"), ISO's inverted form put straight ("Durham, County" -> "County
/// Durham", "Durham"), each side of a bilingual slash, German umlauts spelt out
/// ("Thüringen" -> "Thueringen"), and a country's generic type words dropped ("Anhui Sheng").
fn derived_names(name: &str, type_suffixes: &[&str]) -> Vec<String> {
    let mut names = Vec::new();
    if let (Some(open), Some(close)) = (name.find('('), name.rfind(')')) {
        if open < close {
            let outer = format!("{} {}", &name[..open], &name[close + 1..]);
            let inner = &name[open + 1..close];
            names.push(format!("{inner} {outer}"));
            names.push(outer);
        }
    }
    if let Some((head, tail)) = name.split_once(", ") {
        names.push(format!("{tail} {head}"));
        names.push(head.to_string());
    }
    if name.contains('/') {
        names.extend(name.split('/').map(str::to_string));
    }
    if name.contains(['ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü']) {
        let spelt_out = name
            .replace('ä', "ae")
            .replace('ö', "oe")
            .replace('ü', "ue")
            .replace('Ä', "Ae")
            .replace('Ö', "Oe")
            .replace('Ü', "Ue");
        names.push(spelt_out);
    }
    let mut keys: Vec<String> = names.iter().map(|n| normalize(n)).collect();
    let full = normalize(name);
    for suffix in type_suffixes {
        if let Some(base) = full.strip_suffix(suffix) {
            keys.push(base.to_string());
        }
    }
    keys
}

// ---------------------------------------------------------------------------------------
// Indexes
// ---------------------------------------------------------------------------------------

/// How a key was obtained; a lower level wins a clash, and a clash between different values
/// at the same level makes the key ambiguous (it then resolves to nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// ISO alpha-2/alpha-3 or subdivision code.
    Code,
    /// Hand-curated name or abbreviation from [`data`].
    Alias,
    /// ISO name.
    Name,
    /// Mechanically derived from a name ([`derived_names`]).
    Derived,
}

/// Collects keys with priorities, remembering ambiguity until [`Keys::finish`].
struct Keys<L, V> {
    map: HashMap<String, (L, Option<V>)>,
}

impl<L: Ord + Copy, V: PartialEq + Copy> Keys<L, V> {
    fn new() -> Self {
        Keys {
            map: HashMap::new(),
        }
    }

    fn add(&mut self, key: String, level: L, value: V) {
        if key.is_empty() {
            return;
        }
        match self.map.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert((level, Some(value)));
            }
            Entry::Occupied(mut slot) => {
                let (held_level, held) = slot.get_mut();
                if level < *held_level {
                    *held_level = level;
                    *held = Some(value);
                } else if level == *held_level && *held != Some(value) {
                    *held = None;
                }
            }
        }
    }

    fn finish(self) -> HashMap<String, (L, V)> {
        self.map
            .into_iter()
            .filter_map(|(key, (level, value))| Some((key, (level, value?))))
            .collect()
    }
}

struct CountryIndex {
    /// Normalised key -> alpha-2.
    by_key: HashMap<String, &'static str>,
    /// Alpha-2 -> report name.
    names: HashMap<&'static str, &'static str>,
}

static COUNTRIES: LazyLock<CountryIndex> = LazyLock::new(build_country_index);

fn build_country_index() -> CountryIndex {
    let mut keys = Keys::new();
    let mut names = HashMap::new();
    for country in rust_iso3166::ALL {
        keys.add(normalize(country.alpha2), Level::Code, country.alpha2);
        keys.add(normalize(country.alpha3), Level::Code, country.alpha2);
        keys.add(normalize(country.name), Level::Name, country.alpha2);
        for key in derived_names(country.name, &[]) {
            keys.add(key, Level::Derived, country.alpha2);
        }
        names.insert(country.alpha2, country.name);
    }
    for &(alpha2, name) in data::COUNTRY_REPORT_NAMES {
        if let Some(slot) = names.get_mut(alpha2) {
            *slot = name;
            keys.add(normalize(name), Level::Alias, alpha2);
        }
    }
    for &(alpha2, aliases) in data::COUNTRY_ALIASES {
        for alias in aliases {
            keys.add(normalize(alias), Level::Alias, alpha2);
            for key in derived_names(alias, &[]) {
                keys.add(key, Level::Derived, alpha2);
            }
        }
    }
    CountryIndex {
        by_key: keys
            .finish()
            .into_iter()
            .map(|(key, (_, alpha2))| (key, alpha2))
            .collect(),
        names,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SubdivisionHit {
    code: &'static str,
    level: Level,
}

struct SubdivisionIndex {
    /// Alpha-2 -> normalised key -> subdivision.
    by_country: HashMap<&'static str, HashMap<String, SubdivisionHit>>,
    /// Keys that resolve without a country (see the module docs).
    countryless: HashMap<String, (&'static str, &'static str)>,
}

static SUBDIVISIONS: LazyLock<SubdivisionIndex> = LazyLock::new(build_subdivision_index);

fn build_subdivision_index() -> SubdivisionIndex {
    let mut per_country: HashMap<&'static str, Keys<Level, &'static str>> = HashMap::new();
    for country in rust_iso3166::ALL {
        let subdivisions = iso_subdivisions(country.alpha2);
        if subdivisions.is_empty() {
            continue;
        }
        let suffixes = data::SUBDIVISION_TYPE_SUFFIXES
            .iter()
            .find(|(alpha2, _)| *alpha2 == country.alpha2)
            .map_or(&[][..], |(_, suffixes)| suffixes);
        let keys = per_country.entry(country.alpha2).or_insert_with(Keys::new);
        for subdivision in subdivisions {
            let Some((_, code)) = subdivision.code.split_once('-') else {
                continue;
            };
            keys.add(normalize(code), Level::Code, code);
            keys.add(normalize(subdivision.name), Level::Name, code);
            for key in derived_names(subdivision.name, suffixes) {
                keys.add(key, Level::Derived, code);
            }
            if country.alpha2 == "IE" && subdivision.subdivision_type == "County" {
                // Irish counties are written "County Cork" / "Co. Cork" as often as "Cork".
                for prefix in ["county", "co"] {
                    keys.add(
                        format!("{prefix} {}", normalize(subdivision.name)),
                        Level::Derived,
                        code,
                    );
                }
            }
        }
    }
    for &(alpha2, code, aliases) in data::SUBDIVISION_ALIASES {
        let (Some(keys), Some(code)) = (per_country.get_mut(alpha2), iso_code(alpha2, code)) else {
            continue;
        };
        for alias in aliases {
            keys.add(normalize(alias), Level::Alias, code);
            for key in derived_names(alias, &[]) {
                keys.add(key, Level::Derived, code);
            }
        }
    }

    let by_country: HashMap<&'static str, HashMap<String, SubdivisionHit>> = per_country
        .into_iter()
        .map(|(alpha2, keys)| {
            let keys = keys
                .finish()
                .into_iter()
                .map(|(key, (level, code))| (key, SubdivisionHit { code, level }))
                .collect();
            (alpha2, keys)
        })
        .collect();

    // Tier 0: US/CA/AU codes and names; tier 1: names of the other supported countries. A key
    // answers from the first tier that has it, and only when that tier has it once.
    let mut countryless = Keys::new();
    for (&alpha2, keys) in &by_country {
        let tier: u8 = if DEFAULT_REGION_COUNTRIES.contains(&alpha2) {
            0
        } else if SUPPORTED_COUNTRIES.contains(&alpha2) {
            1
        } else {
            continue;
        };
        for (key, hit) in keys {
            // Outside US/CA/AU, codes and code-like aliases ("NRW", India's former "OR") need
            // the country; short ISO names ("Goa") do not.
            let code_like =
                hit.level == Level::Code || (hit.level == Level::Alias && is_code_like(key));
            if tier > 0 && code_like {
                continue;
            }
            countryless.add(key.clone(), tier, (alpha2, hit.code));
        }
    }
    SubdivisionIndex {
        by_country,
        countryless: countryless
            .finish()
            .into_iter()
            .map(|(key, (_, hit))| (key, hit))
            .collect(),
    }
}

/// The crate's own `&'static str` for a curated (country, code) pair, `None` if ISO has no
/// such subdivision (the tests check that every curated pair exists).
fn iso_code(alpha2: &str, code: &str) -> Option<&'static str> {
    iso_subdivisions(alpha2).iter().find_map(|subdivision| {
        let (_, iso) = subdivision.code.split_once('-')?;
        (iso == code).then_some(iso)
    })
}

/// One ISO 3166-2 subdivision: `code` is the full code (`US-AZ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subdivision {
    pub code: &'static str,
    pub name: &'static str,
    pub subdivision_type: &'static str,
}

/// ISO 3166-2, as `build.rs` wrote it from `rust_iso3166`: one line per
/// subdivision, country, code, name and type separated by tabs.
static ISO_3166_2: &str = include_str!(concat!(env!("OUT_DIR"), "/iso3166_2.tsv"));

static SUBDIVISIONS_BY_COUNTRY: LazyLock<HashMap<&'static str, Vec<Subdivision>>> =
    LazyLock::new(|| {
        let mut by_country: HashMap<&'static str, Vec<Subdivision>> = HashMap::new();
        for line in ISO_3166_2.lines() {
            let mut fields = line.split('\t');
            let (Some(alpha2), Some(code), Some(name), Some(subdivision_type)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            by_country.entry(alpha2).or_default().push(Subdivision {
                code,
                name,
                subdivision_type,
            });
        }
        by_country
    });

/// ISO 3166-2 entries of a country by upper-case alpha-2, empty when it has none.
fn iso_subdivisions(alpha2: &str) -> &'static [Subdivision] {
    SUBDIVISIONS_BY_COUNTRY
        .get(alpha2)
        .map_or(&[][..], Vec::as_slice)
}
