//! Recipient time-zone resolution: picks the IANA zone a lead's sends are scheduled in.
//!
//! It turns whatever location hints we hold about a recipient (HQ IANA zone, country,
//! state/province, phone) into one zone, so sends land in the recipient's business hours.
//!
//! Pure: no I/O, never reads the clock. Every mapping below is a static table.
//!
//! Resolution order (first hit wins, see [`resolve_timezone`]):
//!
//! 1. a valid HQ IANA zone name ([`TimezoneSource::HqTimezone`]);
//! 2. the region: US state, Canadian province/territory or Australian state/territory, when
//!    the country is that country or absent, and the region code is unambiguous ("WA" and
//!    "NT" exist in both the US/Canada and Australia, so they need the country);
//! 3. the country, when it is not the United States or Canada: its only zone, or a documented
//!    capital/business-centre zone for multi-zone countries (Australia -> Sydney,
//!    Brazil -> São Paulo, Mexico -> Mexico City, ...);
//! 4. the NANP area code of the phone, when the phone is North American
//!    ([`nanp_area_code_timezone`]);
//! 5. the documented fallback for the United States (America/New_York) and Canada
//!    (America/Toronto): it comes after the phone because an area code pins a US or Canadian
//!    number to its zone, while the country alone is a guess among six zones;
//! 6. the tenant default ([`TimezoneSource::TenantDefault`]).
//!
//! States, provinces and area codes split across zones map to the zone covering most of
//! their population; each such choice is documented next to its table entry.

use chrono_tz::{Africa, America, Asia, Atlantic, Australia, Europe, Pacific, Tz, TZ_VARIANTS};

/// Which hint decided the zone of a [`ResolvedTimezone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimezoneSource {
    HqTimezone,
    UsState,
    CanadianProvince,
    AustralianState,
    Country,
    PhoneAreaCode,
    /// The country code of an international number.
    PhoneCountry,
    TenantDefault,
}

/// What we know about where a recipient is. Every field is optional and free text.
#[derive(Debug, Clone, Default)]
pub struct LocationHints<'a> {
    /// IANA name like "America/Phoenix" (case-insensitive); invalid names are ignored.
    pub hq_timezone: Option<&'a str>,
    /// ISO-3166 alpha-2 ("US", "us"), alpha-3 ("USA", "GBR") or a common name
    /// ("United States", "Canada", "Australia", "United Kingdom", "UK", ...).
    pub country: Option<&'a str>,
    /// State/province/territory: code ("AZ", "ON", "NSW", also "US-AZ") or full name
    /// ("Arizona", "Ontario", "New South Wales"); case-insensitive, trimmed.
    pub region: Option<&'a str>,
    /// Any format: "+1 (602) 555-0100", "602-555-0100", "16025550100", "tel:+1-602-555-0100".
    pub phone: Option<&'a str>,
}

/// The zone chosen for a recipient and the hint it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedTimezone {
    pub tz: Tz,
    pub source: TimezoneSource,
}

/// Resolve a recipient's zone from its hints.
///
/// Order: valid HQ timezone; else region (US state / Canadian province / Australian state,
/// when the country is that country or absent and the region code is unambiguous); else
/// country when it is neither the US nor Canada (single-zone countries, and a documented
/// capital-zone choice for multi-zone ones); else NANP area code from the phone (only when
/// the phone is North American: it starts with "+1", or it has no "+" prefix and the country
/// is the US, Canada or absent); else the US/Canada country fallback (America/New_York,
/// America/Toronto); else the tenant default.
///
/// Never panics, whatever the strings.
pub fn resolve_timezone(hints: &LocationHints<'_>, tenant_default: Tz) -> ResolvedTimezone {
    let found = |tz: Tz, source: TimezoneSource| ResolvedTimezone { tz, source };

    if let Some(tz) = hints.hq_timezone.and_then(parse_iana_zone) {
        return found(tz, TimezoneSource::HqTimezone);
    }

    let country = CountryHint::classify(hints.country);
    let nanp_area = hints
        .phone
        .filter(|phone| phone_is_nanp(phone, country))
        .and_then(nanp_area_code);
    // A number outside North America, read from its country code.
    let international = hints
        .phone
        .filter(|phone| !phone_is_nanp(phone, country))
        .and_then(|phone| super::phone::parse_phone(phone, None).ok());

    if let Some(resolved) = hints
        .region
        .and_then(|region| resolve_region(region, country))
    {
        // An area code in another zone than most of its own state (El Paso
        // 915 in Texas) knows better than the state.
        if let Some((state, tz)) = nanp_area.and_then(nanp_area_code_region) {
            let same_state =
                super::geo::subdivision_code(Some(&state[..2]), hints.region.unwrap_or(""))
                    .is_some_and(|(c, code)| c == &state[..2] && code == &state[3..]);
            if same_state && tz != resolved.tz {
                return found(tz, TimezoneSource::PhoneAreaCode);
            }
        }
        return resolved;
    }

    if let CountryHint::Known(entry) = country {
        if !entry.is_nanp_multi_zone() {
            // In a country of several zones, the number's area code says
            // which (Perth, not Sydney).
            if let Some(tz) = international
                .as_ref()
                .filter(|p| {
                    p.region
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(entry.alpha2))
                })
                .and_then(super::phone::number_zone)
            {
                return found(tz, TimezoneSource::PhoneAreaCode);
            }
            return found(entry.tz, TimezoneSource::Country);
        }
    }

    if let Some(tz) = nanp_area.and_then(nanp_area_code_timezone) {
        return found(tz, TimezoneSource::PhoneAreaCode);
    }

    // No country given: a +61 or +64 number says where the recipient is.
    if matches!(country, CountryHint::Absent) {
        if let Some(p) = &international {
            if let Some(tz) = super::phone::number_zone(p) {
                return found(tz, TimezoneSource::PhoneAreaCode);
            }
            if let Some(tz) = p.region.as_deref().and_then(country_timezone) {
                return found(tz, TimezoneSource::PhoneCountry);
            }
        }
    }

    if let CountryHint::Known(entry) = country {
        return found(entry.tz, TimezoneSource::Country);
    }

    found(tenant_default, TimezoneSource::TenantDefault)
}

/// Zone of a US state, DC, Puerto Rico or a populated US territory, by USPS code ("AZ",
/// "us-az") or full name ("Arizona"), case-insensitively. States split across zones map to
/// the zone covering most of their population (see the table).
pub fn us_state_timezone(code_or_name: &str) -> Option<Tz> {
    find_region(US_STATES, "us-", code_or_name)
}

/// Zone of a Canadian province or territory, by code ("ON", "ca-on") or name ("Ontario",
/// "Québec"), case-insensitively.
pub fn canadian_province_timezone(code_or_name: &str) -> Option<Tz> {
    find_region(CANADIAN_PROVINCES, "ca-", code_or_name)
}

/// Zone of an Australian state or territory, by code ("NSW", "au-nsw") or name
/// ("New South Wales"), case-insensitively.
pub fn australian_state_timezone(code_or_name: &str) -> Option<Tz> {
    find_region(AUSTRALIAN_STATES, "au-", code_or_name)
}

/// Zone of a country, by ISO-3166 alpha-2, alpha-3 or common name. Multi-zone countries map
/// to a documented capital/business-centre zone (US -> America/New_York,
/// CA -> America/Toronto, AU -> Australia/Sydney, BR -> America/Sao_Paulo, ...).
pub fn country_timezone(code_or_name: &str) -> Option<Tz> {
    find_country(code_or_name).map(|entry| entry.tz)
}

/// The upper-case ISO-3166 alpha-2 code of a country given by alpha-2, alpha-3 or common
/// name ("United States", "USA", "us" -> "US"); None when the country is not known.
pub fn country_alpha2(code_or_name: &str) -> Option<String> {
    find_country(code_or_name).map(|entry| entry.alpha2.to_ascii_uppercase())
}

/// The NANP area code of a phone number, whatever its formatting: text before the first
/// digit ("tel:", "Phone:") and an extension after it (from the first letter on, as in
/// "x12" or "ext. 12") are dropped, non-digits are stripped, then 10 digits, or 11 digits
/// starting with 1, give the first three of the ten. The area code must start with 2-9.
/// Says nothing about whether the number really is North American.
pub fn nanp_area_code(phone: &str) -> Option<u16> {
    let number = &phone[phone.find(|c: char| c.is_ascii_digit())?..];
    let number = number
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or(number, |extension| &number[..extension]);
    let digits: Vec<u16> = number
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u16::from(b - b'0'))
        .collect();
    let national = match digits.as_slice() {
        ten @ [_, _, _, _, _, _, _, _, _, _] => ten,
        [1, ten @ ..] if ten.len() == 10 => ten,
        _ => return None,
    };
    let area_code = national[0] * 100 + national[1] * 10 + national[2];
    (national[0] >= 2).then_some(area_code)
}

/// The state or province ("US-TX", "CA-ON") and zone of a geographic NANP
/// area code, where the table knows its state.
pub fn nanp_area_code_region(area_code: u16) -> Option<(&'static str, Tz)> {
    NANP_AREA_CODES
        .iter()
        .find(|(region, _, codes)| codes.contains(&area_code) && region.len() == 5)
        .map(|(region, tz, _)| (*region, *tz))
}

/// Zone of a geographic NANP area code (US, Canada, US territories, NANP Caribbean).
/// Non-geographic codes (toll-free 8xx, 900, 5xx personal, ...) and unassigned ones give
/// `None`. Area codes straddling zones map to the zone covering most of their population.
pub fn nanp_area_code_timezone(area_code: u16) -> Option<Tz> {
    NANP_AREA_CODES
        .iter()
        .find(|(_, _, codes)| codes.contains(&area_code))
        .map(|(_, tz, _)| *tz)
}

// ---------------------------------------------------------------------------------------
// Resolution helpers
// ---------------------------------------------------------------------------------------

/// An IANA name, exact first, then case-insensitively ("america/phoenix").
fn parse_iana_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    name.parse::<Tz>().ok().or_else(|| {
        TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
    })
}

#[derive(Debug, Clone, Copy)]
enum CountryHint {
    /// No country, or only whitespace.
    Absent,
    Known(&'static CountryEntry),
    /// A country we do not know: neither region nor NANP rules may assume it is ours.
    Unrecognized,
}

impl CountryHint {
    fn classify(country: Option<&str>) -> Self {
        match country.map(str::trim).filter(|c| !c.is_empty()) {
            None => CountryHint::Absent,
            Some(country) => {
                find_country(country).map_or(CountryHint::Unrecognized, CountryHint::Known)
            }
        }
    }

    fn is(self, alpha2: &str) -> bool {
        matches!(self, CountryHint::Known(entry) if entry.alpha2 == alpha2)
    }
}

fn resolve_region(region: &str, country: CountryHint) -> Option<ResolvedTimezone> {
    let us = || us_state_timezone(region).map(|tz| (tz, TimezoneSource::UsState));
    let ca = || canadian_province_timezone(region).map(|tz| (tz, TimezoneSource::CanadianProvince));
    let au = || australian_state_timezone(region).map(|tz| (tz, TimezoneSource::AustralianState));

    let hit = match country {
        CountryHint::Absent => match (us(), ca(), au()) {
            (Some(hit), None, None) | (None, Some(hit), None) | (None, None, Some(hit)) => {
                Some(hit)
            }
            // Unknown, or ambiguous ("WA": Washington or Western Australia; "NT": Northwest
            // Territories or Northern Territory): the region alone cannot decide.
            _ => None,
        },
        c if c.is("us") => us(),
        c if c.is("ca") => ca(),
        c if c.is("au") => au(),
        _ => None,
    };
    hit.map(|(tz, source)| ResolvedTimezone { tz, source })
}

/// A phone is North American when it says so ("+1..."), or when it carries no international
/// prefix ("+" before its first digit) and nothing says the recipient is outside the
/// US/Canada.
fn phone_is_nanp(phone: &str, country: CountryHint) -> bool {
    let Some(start) = phone.find(|c: char| c == '+' || c.is_ascii_digit()) else {
        return false;
    };
    if let Some(international) = phone[start..].strip_prefix('+') {
        return international
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .starts_with('1');
    }
    matches!(country, CountryHint::Absent) || country.is("us") || country.is("ca")
}

/// Lower-case, drop dots ("N.S.W.", "U.S.A."), turn commas/underscores/whitespace runs into
/// one space ("Washington,  D.C." -> "washington dc").
fn normalize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for ch in input.chars() {
        if ch == '.' {
            continue;
        }
        if ch.is_whitespace() || ch == ',' || ch == '_' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

#[derive(Debug)]
struct RegionEntry {
    /// Lower-case code.
    code: &'static str,
    /// Lower-case, normalized names and aliases.
    names: &'static [&'static str],
    tz: Tz,
}

fn find_region(table: &[RegionEntry], iso_prefix: &str, input: &str) -> Option<Tz> {
    let key = normalize(input);
    let key = key.strip_prefix(iso_prefix).unwrap_or(&key);
    table
        .iter()
        .find(|entry| entry.code == key || entry.names.contains(&key))
        .map(|entry| entry.tz)
}

#[derive(Debug)]
struct CountryEntry {
    /// Lower-case ISO-3166 alpha-2.
    alpha2: &'static str,
    /// Lower-case ISO-3166 alpha-3.
    alpha3: &'static str,
    /// Lower-case, normalized names and aliases.
    names: &'static [&'static str],
    tz: Tz,
}

impl CountryEntry {
    /// The US and Canada: several zones, and their phone area codes say which one.
    fn is_nanp_multi_zone(&self) -> bool {
        self.alpha2 == "us" || self.alpha2 == "ca"
    }
}

fn find_country(input: &str) -> Option<&'static CountryEntry> {
    let key = normalize(input);
    let key = key.strip_prefix("the ").unwrap_or(&key);
    COUNTRIES
        .iter()
        .find(|entry| entry.alpha2 == key || entry.alpha3 == key || entry.names.contains(&key))
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

const fn region(code: &'static str, names: &'static [&'static str], tz: Tz) -> RegionEntry {
    RegionEntry { code, names, tz }
}

/// US states, DC, Puerto Rico and the populated territories. Split states, by population:
/// - Alaska: America/Anchorage (the western Aleutians keep Hawaii-Aleutian time).
/// - Arizona: America/Phoenix, no DST (the Navajo Nation observes DST; it is a minority).
/// - Florida: America/New_York (the western panhandle is Central).
/// - Idaho: America/Boise, Mountain (the northern panhandle is Pacific).
/// - Indiana: America/Indiana/Indianapolis (the north-west, Gary, and south-west, Evansville,
///   corners are Central).
/// - Kansas, Nebraska, North Dakota, South Dakota: America/Chicago (their western parts are
///   Mountain; in South Dakota that includes Rapid City).
/// - Kentucky: America/New_York (the western half, Bowling Green and Paducah, is Central).
/// - Michigan: America/Detroit (four Upper Peninsula counties are Central).
/// - Oregon: America/Los_Angeles (most of Malheur County is Mountain).
/// - Tennessee: America/Chicago (East Tennessee, Knoxville and Chattanooga, is Eastern).
/// - Texas: America/Chicago (El Paso and Hudspeth counties are Mountain).
/// - Nevada: America/Los_Angeles (West Wendover is Mountain).
const US_STATES: &[RegionEntry] = &[
    region("al", &["alabama"], America::Chicago),
    region("ak", &["alaska"], America::Anchorage),
    region("az", &["arizona"], America::Phoenix),
    region("ar", &["arkansas"], America::Chicago),
    region("ca", &["california"], America::Los_Angeles),
    region("co", &["colorado"], America::Denver),
    region("ct", &["connecticut"], America::New_York),
    region("de", &["delaware"], America::New_York),
    region(
        "dc",
        &["district of columbia", "washington dc", "washington d c"],
        America::New_York,
    ),
    region("fl", &["florida"], America::New_York),
    region("ga", &["georgia"], America::New_York),
    region("hi", &["hawaii", "hawai'i", "hawaiʻi"], Pacific::Honolulu),
    region("id", &["idaho"], America::Boise),
    region("il", &["illinois"], America::Chicago),
    region("in", &["indiana"], America::Indiana::Indianapolis),
    region("ia", &["iowa"], America::Chicago),
    region("ks", &["kansas"], America::Chicago),
    region("ky", &["kentucky"], America::New_York),
    region("la", &["louisiana"], America::Chicago),
    region("me", &["maine"], America::New_York),
    region("md", &["maryland"], America::New_York),
    region("ma", &["massachusetts"], America::New_York),
    region("mi", &["michigan"], America::Detroit),
    region("mn", &["minnesota"], America::Chicago),
    region("ms", &["mississippi"], America::Chicago),
    region("mo", &["missouri"], America::Chicago),
    region("mt", &["montana"], America::Denver),
    region("ne", &["nebraska"], America::Chicago),
    region("nv", &["nevada"], America::Los_Angeles),
    region("nh", &["new hampshire"], America::New_York),
    region("nj", &["new jersey"], America::New_York),
    region("nm", &["new mexico"], America::Denver),
    region("ny", &["new york", "new york state"], America::New_York),
    region("nc", &["north carolina"], America::New_York),
    region("nd", &["north dakota"], America::Chicago),
    region("oh", &["ohio"], America::New_York),
    region("ok", &["oklahoma"], America::Chicago),
    region("or", &["oregon"], America::Los_Angeles),
    region("pa", &["pennsylvania"], America::New_York),
    region("ri", &["rhode island"], America::New_York),
    region("sc", &["south carolina"], America::New_York),
    region("sd", &["south dakota"], America::Chicago),
    region("tn", &["tennessee"], America::Chicago),
    region("tx", &["texas"], America::Chicago),
    region("ut", &["utah"], America::Denver),
    region("vt", &["vermont"], America::New_York),
    region("va", &["virginia"], America::New_York),
    region(
        "wa",
        &["washington", "washington state"],
        America::Los_Angeles,
    ),
    region("wv", &["west virginia"], America::New_York),
    region("wi", &["wisconsin"], America::Chicago),
    region("wy", &["wyoming"], America::Denver),
    region("pr", &["puerto rico"], America::Puerto_Rico),
    region(
        "vi",
        &[
            "us virgin islands",
            "virgin islands",
            "united states virgin islands",
        ],
        America::St_Thomas,
    ),
    region("gu", &["guam"], Pacific::Guam),
    region("mp", &["northern mariana islands"], Pacific::Saipan),
    region("as", &["american samoa"], Pacific::Pago_Pago),
];

/// Canadian provinces and territories. Split ones, by population:
/// - British Columbia: America/Vancouver (the East Kootenays and the Peace River region keep
///   Mountain time).
/// - Newfoundland and Labrador: America/St_Johns, UTC-3:30 (most of Labrador is Atlantic).
/// - Ontario: America/Toronto (the north-west, Kenora, is Central).
/// - Quebec: America/Toronto (tzdb's zone for most of Quebec; America/Montreal is an alias
///   of it. The Magdalen Islands and the Lower North Shore are Atlantic).
/// - Saskatchewan: America/Regina, Central Standard all year, no DST (Lloydminster follows
///   Alberta).
/// - Northwest Territories: America/Edmonton (Yellowknife is a tzdb alias of it).
/// - Nunavut: America/Iqaluit, Eastern (the Kivalliq region is Central, the Kitikmeot Mountain).
/// - Yukon: America/Whitehorse, UTC-7 all year since 2020.
const CANADIAN_PROVINCES: &[RegionEntry] = &[
    region("ab", &["alberta"], America::Edmonton),
    region("bc", &["british columbia"], America::Vancouver),
    region("mb", &["manitoba"], America::Winnipeg),
    region("nb", &["new brunswick"], America::Moncton),
    region(
        "nl",
        &[
            "newfoundland and labrador",
            "newfoundland & labrador",
            "newfoundland",
            "nf",
            "nfld",
        ],
        America::St_Johns,
    ),
    region("ns", &["nova scotia"], America::Halifax),
    region("nt", &["northwest territories", "nwt"], America::Edmonton),
    region("nu", &["nunavut"], America::Iqaluit),
    region("on", &["ontario"], America::Toronto),
    region("pe", &["prince edward island", "pei"], America::Halifax),
    region("qc", &["quebec", "québec", "pq"], America::Toronto),
    region("sk", &["saskatchewan"], America::Regina),
    region("yt", &["yukon", "yukon territory"], America::Whitehorse),
];

/// Australian states and territories. Queensland, the Northern Territory and Western
/// Australia have no DST;
/// New South Wales' Broken Hill follows South Australia, and Lord Howe Island has its own
/// zone, both minorities.
const AUSTRALIAN_STATES: &[RegionEntry] = &[
    region("nsw", &["new south wales"], Australia::Sydney),
    region("vic", &["victoria"], Australia::Melbourne),
    region("qld", &["queensland"], Australia::Brisbane),
    region("wa", &["western australia"], Australia::Perth),
    region("sa", &["south australia"], Australia::Adelaide),
    region("tas", &["tasmania"], Australia::Hobart),
    region("nt", &["northern territory"], Australia::Darwin),
    region(
        "act",
        &["australian capital territory", "canberra"],
        Australia::Sydney,
    ),
];

const fn country(
    alpha2: &'static str,
    alpha3: &'static str,
    names: &'static [&'static str],
    tz: Tz,
) -> CountryEntry {
    CountryEntry {
        alpha2,
        alpha3,
        names,
        tz,
    }
}

/// Countries common in B2B outreach. Multi-zone countries map to the zone of their capital
/// or main business centre, a documented guess that only applies when no region is known:
/// - United States: America/New_York (Eastern holds the largest share of population and
///   business; after the phone's area code, see the module docs).
/// - Canada: America/Toronto (Ontario and Quebec; after the phone's area code).
/// - Australia: Australia/Sydney (NSW, Victoria and the ACT share its offsets).
/// - Brazil: America/Sao_Paulo (Brasília time; the west and Amazonas are 1-2 h behind).
/// - Mexico: America/Mexico_City (Baja California, Sonora and Quintana Roo differ).
/// - Russia: Europe/Moscow. Indonesia: Asia/Jakarta. Chile: America/Santiago (Easter
///   Island differs). New Zealand: Pacific/Auckland (Chatham Islands differ). Spain:
///   Europe/Madrid (the Canary Islands are one hour behind). Portugal: Europe/Lisbon (the
///   Azores are one hour behind). France, Netherlands, Denmark: their European zone
///   (overseas territories, Greenland and the Faroes differ). Ecuador: America/Guayaquil
///   (Galápagos differ). Argentina: America/Argentina/Buenos_Aires (one offset country-wide).
const COUNTRIES: &[CountryEntry] = &[
    // North America and the NANP Caribbean
    country(
        "us",
        "usa",
        &[
            "united states",
            "united states of america",
            "america",
            "us of a",
        ],
        America::New_York,
    ),
    country("ca", "can", &["canada"], America::Toronto),
    country("mx", "mex", &["mexico", "méxico"], America::Mexico_City),
    country("pr", "pri", &["puerto rico"], America::Puerto_Rico),
    country("jm", "jam", &["jamaica"], America::Jamaica),
    country("do", "dom", &["dominican republic"], America::Santo_Domingo),
    country("bs", "bhs", &["bahamas"], America::Nassau),
    country("bm", "bmu", &["bermuda"], Atlantic::Bermuda),
    country("ky", "cym", &["cayman islands"], America::Cayman),
    country("cr", "cri", &["costa rica"], America::Costa_Rica),
    country("pa", "pan", &["panama", "panamá"], America::Panama),
    country("gt", "gtm", &["guatemala"], America::Guatemala),
    // South America
    country("br", "bra", &["brazil", "brasil"], America::Sao_Paulo),
    country(
        "ar",
        "arg",
        &["argentina"],
        America::Argentina::Buenos_Aires,
    ),
    country("cl", "chl", &["chile"], America::Santiago),
    country("co", "col", &["colombia"], America::Bogota),
    country("pe", "per", &["peru", "perú"], America::Lima),
    country("uy", "ury", &["uruguay"], America::Montevideo),
    country("ec", "ecu", &["ecuador"], America::Guayaquil),
    // Europe
    country(
        "gb",
        "gbr",
        &[
            "united kingdom",
            "uk",
            "great britain",
            "britain",
            "england",
            "scotland",
            "wales",
            "northern ireland",
            "united kingdom of great britain and northern ireland",
        ],
        Europe::London,
    ),
    country(
        "ie",
        "irl",
        &["ireland", "republic of ireland", "eire", "éire"],
        Europe::Dublin,
    ),
    country("de", "deu", &["germany", "deutschland"], Europe::Berlin),
    country("fr", "fra", &["france"], Europe::Paris),
    country(
        "nl",
        "nld",
        &["netherlands", "holland", "nederland"],
        Europe::Amsterdam,
    ),
    country(
        "be",
        "bel",
        &["belgium", "belgië", "belgique"],
        Europe::Brussels,
    ),
    country("lu", "lux", &["luxembourg"], Europe::Luxembourg),
    country(
        "ch",
        "che",
        &["switzerland", "schweiz", "suisse", "svizzera"],
        Europe::Zurich,
    ),
    country("at", "aut", &["austria", "österreich"], Europe::Vienna),
    country("es", "esp", &["spain", "españa", "espana"], Europe::Madrid),
    country("pt", "prt", &["portugal"], Europe::Lisbon),
    country("it", "ita", &["italy", "italia"], Europe::Rome),
    country("se", "swe", &["sweden", "sverige"], Europe::Stockholm),
    country("no", "nor", &["norway", "norge"], Europe::Oslo),
    country("dk", "dnk", &["denmark", "danmark"], Europe::Copenhagen),
    country("fi", "fin", &["finland", "suomi"], Europe::Helsinki),
    country("is", "isl", &["iceland"], Atlantic::Reykjavik),
    country("pl", "pol", &["poland", "polska"], Europe::Warsaw),
    country(
        "cz",
        "cze",
        &["czech republic", "czechia", "česko"],
        Europe::Prague,
    ),
    country("sk", "svk", &["slovakia"], Europe::Bratislava),
    country("hu", "hun", &["hungary"], Europe::Budapest),
    country("ro", "rou", &["romania"], Europe::Bucharest),
    country("bg", "bgr", &["bulgaria"], Europe::Sofia),
    country("gr", "grc", &["greece"], Europe::Athens),
    country("hr", "hrv", &["croatia"], Europe::Zagreb),
    country("si", "svn", &["slovenia"], Europe::Ljubljana),
    country("rs", "srb", &["serbia"], Europe::Belgrade),
    country("ee", "est", &["estonia"], Europe::Tallinn),
    country("lv", "lva", &["latvia"], Europe::Riga),
    country("lt", "ltu", &["lithuania"], Europe::Vilnius),
    country("ua", "ukr", &["ukraine"], Europe::Kyiv),
    country("cy", "cyp", &["cyprus"], Asia::Nicosia),
    country("mt", "mlt", &["malta"], Europe::Malta),
    country(
        "ru",
        "rus",
        &["russia", "russian federation"],
        Europe::Moscow,
    ),
    country(
        "tr",
        "tur",
        &["turkey", "türkiye", "turkiye"],
        Europe::Istanbul,
    ),
    // Middle East and Africa
    country("il", "isr", &["israel"], Asia::Jerusalem),
    country(
        "ae",
        "are",
        &["united arab emirates", "uae", "emirates"],
        Asia::Dubai,
    ),
    country("sa", "sau", &["saudi arabia", "ksa"], Asia::Riyadh),
    country("qa", "qat", &["qatar"], Asia::Qatar),
    country("eg", "egy", &["egypt"], Africa::Cairo),
    country("za", "zaf", &["south africa", "rsa"], Africa::Johannesburg),
    country("ng", "nga", &["nigeria"], Africa::Lagos),
    country("ke", "ken", &["kenya"], Africa::Nairobi),
    country("ma", "mar", &["morocco"], Africa::Casablanca),
    // Asia-Pacific
    country("in", "ind", &["india"], Asia::Kolkata),
    country("pk", "pak", &["pakistan"], Asia::Karachi),
    country("sg", "sgp", &["singapore"], Asia::Singapore),
    country("my", "mys", &["malaysia"], Asia::Kuala_Lumpur),
    country("th", "tha", &["thailand"], Asia::Bangkok),
    country("vn", "vnm", &["vietnam", "viet nam"], Asia::Ho_Chi_Minh),
    country("ph", "phl", &["philippines"], Asia::Manila),
    country("id", "idn", &["indonesia"], Asia::Jakarta),
    country("jp", "jpn", &["japan"], Asia::Tokyo),
    country(
        "kr",
        "kor",
        &["south korea", "korea", "republic of korea"],
        Asia::Seoul,
    ),
    country(
        "cn",
        "chn",
        &["china", "prc", "people's republic of china"],
        Asia::Shanghai,
    ),
    country("hk", "hkg", &["hong kong"], Asia::Hong_Kong),
    country("tw", "twn", &["taiwan"], Asia::Taipei),
    country("au", "aus", &["australia"], Australia::Sydney),
    country("nz", "nzl", &["new zealand", "aotearoa"], Pacific::Auckland),
];

/// Geographic NANP area codes (as assigned by early 2026, including overlays announced for
/// 2024-2026), grouped by jurisdiction. Area codes that straddle zones, by population:
/// - Florida 850 and its overlay 448 (the panhandle): America/Chicago. Pensacola, Fort
///   Walton Beach and Panama City are Central and outnumber Eastern Tallahassee.
/// - Indiana 219 (Gary, Hammond, Lake and Porter counties): America/Chicago. Indiana 812/930
///   stay on America/Indiana/Indianapolis although Evansville is Central.
/// - Kentucky 270 and 364 (Bowling Green, Paducah, Owensboro): America/Chicago.
/// - Tennessee 423 and 865 (Chattanooga, Knoxville, Tri-Cities): America/New_York.
/// - Texas 915 (El Paso): America/Denver.
/// - Idaho 208/986: America/Boise (the northern panhandle is Pacific).
/// - Oregon 541/458: America/Los_Angeles (Malheur County is Mountain).
/// - Nebraska 308, Kansas 785/620, the Dakotas 701/605: America/Chicago (western parts are
///   Mountain).
/// - Michigan 906 (Upper Peninsula): America/Detroit (four counties are Central).
/// - Ontario 807 (Thunder Bay, Kenora): America/Toronto (Kenora district is Central).
/// - British Columbia 250/778/236/672/257: America/Vancouver (the East Kootenays and Peace
///   River keep Mountain time).
/// - Newfoundland and Labrador 709/879: America/St_Johns (Labrador is mostly Atlantic).
/// - 867 (Yukon, Northwest Territories, Nunavut): America/Edmonton. The three territories
///   have about equal population; Mountain time is the NWT's zone, matches Yukon's
///   year-round UTC-7 in winter and western Nunavut, while Iqaluit is Eastern.
/// - Arizona 928 includes the Navajo Nation, which observes DST: America/Phoenix anyway.
const NANP_AREA_CODES: &[(&str, Tz, &[u16])] = &[
    // United States
    ("US-AL", America::Chicago, &[205, 251, 256, 334, 659, 938]),
    ("US-AK", America::Anchorage, &[907]),
    ("US-AZ", America::Phoenix, &[480, 520, 602, 623, 928]),
    ("US-AR", America::Chicago, &[327, 479, 501, 870]),
    (
        "US-CA",
        America::Los_Angeles,
        &[
            209, 213, 279, 310, 323, 341, 350, 357, 369, 408, 415, 424, 442, 510, 530, 559, 562,
            619, 626, 628, 650, 657, 661, 669, 707, 714, 738, 747, 760, 805, 818, 820, 831, 837,
            840, 858, 909, 916, 925, 949, 951,
        ],
    ),
    ("US-CO", America::Denver, &[303, 719, 720, 970, 983]),
    ("US-CT", America::New_York, &[203, 475, 860, 959]),
    ("US-DE", America::New_York, &[302]),
    ("US-DC", America::New_York, &[202, 771]),
    (
        "US-FL",
        America::New_York,
        &[
            239, 305, 321, 324, 352, 386, 407, 561, 645, 656, 689, 727, 728, 754, 772, 786, 813,
            863, 904, 941, 954,
        ],
    ),
    ("US-FL", America::Chicago, &[448, 850]),
    (
        "US-GA",
        America::New_York,
        &[229, 404, 470, 478, 678, 706, 762, 770, 912, 943],
    ),
    ("US-HI", Pacific::Honolulu, &[808]),
    ("US-ID", America::Boise, &[208, 986]),
    (
        "US-IL",
        America::Chicago,
        &[
            217, 224, 309, 312, 331, 447, 464, 618, 630, 708, 730, 773, 779, 815, 847, 861, 872,
        ],
    ),
    (
        "US-IN",
        America::Indiana::Indianapolis,
        &[260, 317, 463, 574, 765, 812, 930],
    ),
    ("US-IN", America::Chicago, &[219]),
    ("US-IA", America::Chicago, &[319, 515, 563, 641, 712]),
    ("US-KS", America::Chicago, &[316, 620, 785, 913]),
    ("US-KY", America::New_York, &[502, 606, 859]),
    ("US-KY", America::Chicago, &[270, 364]),
    ("US-LA", America::Chicago, &[225, 318, 337, 457, 504, 985]),
    ("US-ME", America::New_York, &[207]),
    ("US-MD", America::New_York, &[227, 240, 301, 410, 443, 667]),
    (
        "US-MA",
        America::New_York,
        &[339, 351, 413, 508, 617, 774, 781, 857, 978],
    ),
    (
        "US-MI",
        America::Detroit,
        &[
            231, 248, 269, 313, 517, 586, 616, 679, 734, 810, 906, 947, 989,
        ],
    ),
    (
        "US-MN",
        America::Chicago,
        &[218, 320, 507, 612, 651, 763, 924, 952],
    ),
    ("US-MS", America::Chicago, &[228, 601, 662, 769]),
    (
        "US-MO",
        America::Chicago,
        &[235, 314, 417, 557, 573, 636, 660, 816, 975],
    ),
    ("US-MT", America::Denver, &[406]),
    ("US-NE", America::Chicago, &[308, 402, 531]),
    ("US-NV", America::Los_Angeles, &[702, 725, 775]),
    ("US-NH", America::New_York, &[603]),
    (
        "US-NJ",
        America::New_York,
        &[201, 551, 609, 640, 732, 848, 856, 862, 908, 973],
    ),
    ("US-NM", America::Denver, &[505, 575]),
    (
        "US-NY",
        America::New_York,
        &[
            212, 315, 329, 332, 347, 363, 516, 518, 585, 607, 624, 631, 646, 680, 716, 718, 838,
            845, 914, 917, 929, 934,
        ],
    ),
    (
        "US-NC",
        America::New_York,
        &[252, 336, 472, 704, 743, 828, 910, 919, 980, 984],
    ),
    ("US-ND", America::Chicago, &[701]),
    (
        "US-OH",
        America::New_York,
        &[
            216, 220, 234, 283, 326, 330, 380, 419, 436, 440, 513, 567, 614, 740, 937,
        ],
    ),
    ("US-OK", America::Chicago, &[405, 539, 572, 580, 918]),
    ("US-OR", America::Los_Angeles, &[458, 503, 541, 971]),
    (
        "US-PA",
        America::New_York,
        &[
            215, 223, 267, 272, 412, 445, 484, 570, 582, 610, 717, 724, 814, 835, 878,
        ],
    ),
    ("US-RI", America::New_York, &[401]),
    ("US-SC", America::New_York, &[803, 821, 839, 843, 854, 864]),
    ("US-SD", America::Chicago, &[605]),
    ("US-TN", America::Chicago, &[615, 629, 731, 901, 931]),
    ("US-TN", America::New_York, &[423, 865]),
    (
        "US-TX",
        America::Chicago,
        &[
            210, 214, 254, 281, 325, 346, 361, 409, 430, 432, 469, 512, 682, 713, 726, 737, 806,
            817, 830, 832, 903, 936, 940, 945, 956, 972, 979,
        ],
    ),
    ("US-TX", America::Denver, &[915]),
    ("US-UT", America::Denver, &[385, 435, 801]),
    ("US-VT", America::New_York, &[802]),
    (
        "US-VA",
        America::New_York,
        &[276, 434, 540, 571, 703, 757, 804, 826, 948],
    ),
    (
        "US-WA",
        America::Los_Angeles,
        &[206, 253, 360, 425, 509, 564],
    ),
    ("US-WV", America::New_York, &[304, 681]),
    (
        "US-WI",
        America::Chicago,
        &[262, 274, 353, 414, 534, 608, 715, 920],
    ),
    ("US-WY", America::Denver, &[307]),
    // US territories
    ("US-PR", America::Puerto_Rico, &[787, 939]),
    ("US-VI", America::St_Thomas, &[340]),
    ("US-GU", Pacific::Guam, &[671]),
    ("US-MP", Pacific::Saipan, &[670]),
    ("US-AS", Pacific::Pago_Pago, &[684]),
    // Canada
    ("CA-AB", America::Edmonton, &[368, 403, 587, 780, 825]),
    ("CA-BC", America::Vancouver, &[236, 250, 257, 604, 672, 778]),
    ("CA-MB", America::Winnipeg, &[204, 431, 584]),
    ("CA-NB", America::Moncton, &[428, 506]),
    ("CA-NL", America::St_Johns, &[709, 879]),
    // Nova Scotia and Prince Edward Island share 902/782.
    ("CA-NS", America::Halifax, &[782, 902]),
    (
        "CA-ON",
        America::Toronto,
        &[
            226, 249, 289, 343, 365, 382, 416, 437, 519, 548, 613, 647, 683, 705, 742, 753, 807,
            905, 942,
        ],
    ),
    (
        "CA-QC",
        America::Toronto,
        &[263, 354, 367, 418, 438, 450, 468, 514, 579, 581, 819, 873],
    ),
    ("CA-SK", America::Regina, &[306, 474, 639]),
    ("CA-NT", America::Edmonton, &[867]),
    // NANP Caribbean and Atlantic
    ("BS", America::Nassau, &[242]),
    ("BB", America::Barbados, &[246]),
    ("AI", America::Anguilla, &[264]),
    ("AG", America::Antigua, &[268]),
    ("VG", America::Tortola, &[284]),
    ("KY", America::Cayman, &[345]),
    ("BM", Atlantic::Bermuda, &[441]),
    ("GD", America::Grenada, &[473]),
    ("TC", America::Grand_Turk, &[649]),
    ("JM", America::Jamaica, &[658, 876]),
    ("MS", America::Montserrat, &[664]),
    ("SX", America::Lower_Princes, &[721]),
    ("LC", America::St_Lucia, &[758]),
    ("DM", America::Dominica, &[767]),
    ("VC", America::St_Vincent, &[784]),
    ("DO", America::Santo_Domingo, &[809, 829, 849]),
    ("TT", America::Port_of_Spain, &[868]),
    ("KN", America::St_Kitts, &[869]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
    use proptest::prelude::*;
    use std::collections::HashSet;

    const DEFAULT: Tz = Europe::Berlin;

    fn resolve(hints: LocationHints<'_>) -> ResolvedTimezone {
        resolve_timezone(&hints, DEFAULT)
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    /// UTC offset, in minutes, of `tz` at the given UTC instant.
    fn offset_minutes_at_utc(tz: Tz, utc: NaiveDateTime) -> i32 {
        tz.from_utc_datetime(&utc).offset().fix().local_minus_utc() / 60
    }

    // --- The number knows better --------------------------------------------------------

    #[test]
    fn given_an_area_code_in_another_zone_than_its_state_when_resolving_then_the_area_code_wins() {
        let el_paso = resolve(LocationHints {
            country: Some("US"),
            region: Some("TX"),
            phone: Some("+19155550180"),
            ..Default::default()
        });
        assert_eq!(
            (el_paso.tz, el_paso.source),
            (America::Denver, TimezoneSource::PhoneAreaCode)
        );
        let by_name = resolve(LocationHints {
            region: Some("Texas"),
            phone: Some("(915) 555-0180"),
            ..Default::default()
        });
        assert_eq!(by_name.tz, America::Denver);
        // A Dallas number in Texas: the state's own zone.
        let dallas = resolve(LocationHints {
            region: Some("TX"),
            phone: Some("+12145550100"),
            ..Default::default()
        });
        assert_eq!(
            (dallas.tz, dallas.source),
            (America::Chicago, TimezoneSource::UsState)
        );
        // A mobile from another state says nothing about where the business is.
        let moved = resolve(LocationHints {
            region: Some("TX"),
            phone: Some("+12065550100"),
            ..Default::default()
        });
        assert_eq!(
            (moved.tz, moved.source),
            (America::Chicago, TimezoneSource::UsState)
        );
    }

    #[test]
    fn given_only_an_international_number_when_resolving_then_its_country_gives_the_zone() {
        let sydney = resolve(LocationHints {
            phone: Some("+61293744000"),
            ..Default::default()
        });
        assert_eq!(sydney.tz, Australia::Sydney);
        let auckland = resolve(LocationHints {
            phone: Some("+64211234567"),
            ..Default::default()
        });
        assert_eq!(auckland.tz, Pacific::Auckland);
        let london = resolve(LocationHints {
            phone: Some("+442079460958"),
            ..Default::default()
        });
        assert_eq!(
            (london.tz, london.source),
            (Europe::London, TimezoneSource::PhoneCountry)
        );
    }

    #[test]
    fn given_a_country_of_several_zones_when_the_number_has_an_area_code_then_it_picks_the_zone() {
        let perth = resolve(LocationHints {
            country: Some("Australia"),
            phone: Some("+61892223333"),
            ..Default::default()
        });
        assert_eq!(perth.tz, Australia::Perth);
        // Its own country's number only: a UK number does not move an
        // Australian lead.
        let mixed = resolve(LocationHints {
            country: Some("AU"),
            phone: Some("+442079460958"),
            ..Default::default()
        });
        assert_eq!(mixed.tz, Australia::Sydney);
    }

    // --- Source paths -------------------------------------------------------------------

    #[test]
    fn given_valid_hq_timezone_when_resolving_then_hq_wins_over_every_other_hint() {
        let resolved = resolve(LocationHints {
            hq_timezone: Some("America/Phoenix"),
            country: Some("Canada"),
            region: Some("Ontario"),
            phone: Some("+1 416 555 0100"),
        });
        assert_eq!(resolved.tz, America::Phoenix);
        assert_eq!(resolved.source, TimezoneSource::HqTimezone);
    }

    #[test]
    fn given_hq_timezone_in_other_case_with_spaces_when_resolving_then_it_is_accepted() {
        let resolved = resolve(LocationHints {
            hq_timezone: Some("  america/phoenix "),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::Phoenix);
        assert_eq!(resolved.source, TimezoneSource::HqTimezone);
    }

    #[test]
    fn given_invalid_hq_timezone_when_resolving_then_it_falls_through_to_the_region() {
        for bad in ["Mars/Olympus_Mons", "", "   ", "EST5EDT-ish", "America/"] {
            let resolved = resolve(LocationHints {
                hq_timezone: Some(bad),
                country: Some("US"),
                region: Some("AZ"),
                phone: None,
            });
            assert_eq!(resolved.tz, America::Phoenix, "hq {bad:?}");
            assert_eq!(resolved.source, TimezoneSource::UsState, "hq {bad:?}");
        }
    }

    #[test]
    fn given_us_state_when_resolving_then_source_is_us_state() {
        let resolved = resolve(LocationHints {
            country: Some("United States"),
            region: Some("Texas"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::Chicago);
        assert_eq!(resolved.source, TimezoneSource::UsState);
    }

    #[test]
    fn given_canadian_province_when_resolving_then_source_is_canadian_province() {
        let resolved = resolve(LocationHints {
            country: Some("CA"),
            region: Some("SK"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::Regina);
        assert_eq!(resolved.source, TimezoneSource::CanadianProvince);
    }

    #[test]
    fn given_australian_state_when_resolving_then_source_is_australian_state() {
        let resolved = resolve(LocationHints {
            country: Some("Australia"),
            region: Some("Queensland"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, Australia::Brisbane);
        assert_eq!(resolved.source, TimezoneSource::AustralianState);
    }

    #[test]
    fn given_single_zone_country_when_resolving_then_source_is_country() {
        let resolved = resolve(LocationHints {
            country: Some("United Kingdom"),
            region: Some("Greater London"),
            phone: Some("+44 20 7946 0958"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, Europe::London);
        assert_eq!(resolved.source, TimezoneSource::Country);
    }

    #[test]
    fn given_only_a_nanp_phone_when_resolving_then_source_is_phone_area_code() {
        let resolved = resolve(LocationHints {
            phone: Some("+1 (602) 555-0100"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::Phoenix);
        assert_eq!(resolved.source, TimezoneSource::PhoneAreaCode);
    }

    #[test]
    fn given_no_hints_when_resolving_then_tenant_default_is_used() {
        let resolved = resolve_timezone(&LocationHints::default(), Asia::Tokyo);
        assert_eq!(
            resolved,
            ResolvedTimezone {
                tz: Asia::Tokyo,
                source: TimezoneSource::TenantDefault
            }
        );
    }

    #[test]
    fn given_unusable_hints_when_resolving_then_tenant_default_is_used() {
        let resolved = resolve(LocationHints {
            hq_timezone: Some("nope"),
            country: Some("Atlantis"),
            region: Some("AZ"),
            phone: Some("602-555-0100"),
        });
        assert_eq!(resolved.tz, DEFAULT);
        assert_eq!(resolved.source, TimezoneSource::TenantDefault);
    }

    // --- Region rules -------------------------------------------------------------------

    #[test]
    fn given_region_without_country_when_code_is_unambiguous_then_region_is_used() {
        let cases = [
            ("AZ", America::Phoenix, TimezoneSource::UsState),
            (
                "Ontario",
                America::Toronto,
                TimezoneSource::CanadianProvince,
            ),
            ("NSW", Australia::Sydney, TimezoneSource::AustralianState),
            ("BC", America::Vancouver, TimezoneSource::CanadianProvince),
        ];
        for (region, tz, source) in cases {
            let resolved = resolve(LocationHints {
                region: Some(region),
                ..Default::default()
            });
            assert_eq!((resolved.tz, resolved.source), (tz, source), "{region}");
        }
    }

    #[test]
    fn given_ambiguous_region_code_without_country_when_resolving_then_region_is_skipped() {
        for region in ["WA", "nt"] {
            let resolved = resolve(LocationHints {
                region: Some(region),
                ..Default::default()
            });
            assert_eq!(resolved.source, TimezoneSource::TenantDefault, "{region}");
        }
    }

    #[test]
    fn given_ambiguous_region_code_with_country_when_resolving_then_country_disambiguates() {
        let cases = [
            ("US", "WA", America::Los_Angeles),
            ("Australia", "WA", Australia::Perth),
            ("AU", "NT", Australia::Darwin),
            ("Canada", "NT", America::Edmonton),
        ];
        for (country, region, tz) in cases {
            let resolved = resolve(LocationHints {
                country: Some(country),
                region: Some(region),
                ..Default::default()
            });
            assert_eq!(resolved.tz, tz, "{country}/{region}");
        }
    }

    #[test]
    fn given_region_of_another_country_when_resolving_then_region_is_ignored() {
        // "CA" is California, but the lead is in Germany.
        let resolved = resolve(LocationHints {
            country: Some("DE"),
            region: Some("CA"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, Europe::Berlin);
        assert_eq!(resolved.source, TimezoneSource::Country);
    }

    #[test]
    fn given_state_names_and_codes_in_any_case_when_looking_up_then_they_match() {
        for input in [
            "AZ",
            "az",
            "Az",
            " arizona ",
            "ARIZONA",
            "Arizona",
            "US-AZ",
            "us-az",
        ] {
            assert_eq!(
                us_state_timezone(input),
                Some(America::Phoenix),
                "{input:?}"
            );
        }
        for input in ["new  york", "New York", "NY", "ny"] {
            assert_eq!(
                us_state_timezone(input),
                Some(America::New_York),
                "{input:?}"
            );
        }
        for input in ["DC", "d.c.", "District of Columbia", "Washington, D.C."] {
            assert_eq!(
                us_state_timezone(input),
                Some(America::New_York),
                "{input:?}"
            );
        }
        assert_eq!(us_state_timezone("Hawaii"), Some(Pacific::Honolulu));
        assert_eq!(us_state_timezone("ak"), Some(America::Anchorage));
        assert_eq!(us_state_timezone("Puerto Rico"), Some(America::Puerto_Rico));
        assert_eq!(us_state_timezone("Bavaria"), None);
        assert_eq!(us_state_timezone(""), None);
    }

    #[test]
    fn given_documented_split_states_when_looking_up_then_majority_zone_is_returned() {
        let cases = [
            ("Indiana", America::Indiana::Indianapolis),
            ("Kentucky", America::New_York),
            ("Tennessee", America::Chicago),
            ("Florida", America::New_York),
            ("Texas", America::Chicago),
            ("Idaho", America::Boise),
            ("Oregon", America::Los_Angeles),
            ("Nebraska", America::Chicago),
            ("Kansas", America::Chicago),
            ("North Dakota", America::Chicago),
            ("South Dakota", America::Chicago),
            ("Michigan", America::Detroit),
            ("Arizona", America::Phoenix),
            ("Hawaii", Pacific::Honolulu),
            ("Alaska", America::Anchorage),
        ];
        for (state, tz) in cases {
            assert_eq!(us_state_timezone(state), Some(tz), "{state}");
        }
    }

    #[test]
    fn given_all_50_states_dc_and_pr_when_looking_up_by_code_then_each_resolves() {
        let codes = [
            "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
            "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
            "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
            "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR",
        ];
        assert_eq!(codes.len(), 52);
        for code in codes {
            assert!(us_state_timezone(code).is_some(), "{code}");
        }
        for entry in US_STATES {
            for name in entry.names {
                assert_eq!(us_state_timezone(name), Some(entry.tz), "{name}");
            }
        }
    }

    #[test]
    fn given_canadian_provinces_when_looking_up_then_documented_zones_are_returned() {
        let cases = [
            ("Saskatchewan", America::Regina),
            ("BC", America::Vancouver),
            ("British Columbia", America::Vancouver),
            ("Newfoundland and Labrador", America::St_Johns),
            ("NL", America::St_Johns),
            ("Alberta", America::Edmonton),
            ("Manitoba", America::Winnipeg),
            ("Québec", America::Toronto),
            ("quebec", America::Toronto),
            ("Nova Scotia", America::Halifax),
            ("PEI", America::Halifax),
            ("New Brunswick", America::Moncton),
            ("Yukon", America::Whitehorse),
            ("Nunavut", America::Iqaluit),
            ("ca-on", America::Toronto),
        ];
        for (province, tz) in cases {
            assert_eq!(canadian_province_timezone(province), Some(tz), "{province}");
        }
    }

    #[test]
    fn given_australian_states_when_looking_up_then_documented_zones_are_returned() {
        let cases = [
            ("Queensland", Australia::Brisbane),
            ("QLD", Australia::Brisbane),
            ("NSW", Australia::Sydney),
            ("n.s.w.", Australia::Sydney),
            ("New South Wales", Australia::Sydney),
            ("Victoria", Australia::Melbourne),
            ("WA", Australia::Perth),
            ("Western Australia", Australia::Perth),
            ("SA", Australia::Adelaide),
            ("Tasmania", Australia::Hobart),
            ("NT", Australia::Darwin),
            ("ACT", Australia::Sydney),
        ];
        for (state, tz) in cases {
            assert_eq!(australian_state_timezone(state), Some(tz), "{state}");
        }
    }

    // --- Countries ----------------------------------------------------------------------

    #[test]
    fn given_common_b2b_countries_when_looking_up_then_each_resolves() {
        let cases = [
            ("UK", Europe::London),
            ("GB", Europe::London),
            ("United Kingdom", Europe::London),
            ("IE", Europe::Dublin),
            ("DE", Europe::Berlin),
            ("Deutschland", Europe::Berlin),
            ("FR", Europe::Paris),
            ("The Netherlands", Europe::Amsterdam),
            ("ES", Europe::Madrid),
            ("IT", Europe::Rome),
            ("PT", Europe::Lisbon),
            ("SE", Europe::Stockholm),
            ("NO", Europe::Oslo),
            ("DK", Europe::Copenhagen),
            ("FI", Europe::Helsinki),
            ("PL", Europe::Warsaw),
            ("CH", Europe::Zurich),
            ("AT", Europe::Vienna),
            ("BE", Europe::Brussels),
            ("NZ", Pacific::Auckland),
            ("SG", Asia::Singapore),
            ("IN", Asia::Kolkata),
            ("JP", Asia::Tokyo),
            ("ZA", Africa::Johannesburg),
            ("AE", Asia::Dubai),
            ("UAE", Asia::Dubai),
            ("IL", Asia::Jerusalem),
            ("BR", America::Sao_Paulo),
            ("MX", America::Mexico_City),
            ("AR", America::Argentina::Buenos_Aires),
            ("CL", America::Santiago),
            ("CO", America::Bogota),
            ("US", America::New_York),
            ("usa", America::New_York),
            ("U.S.A.", America::New_York),
            ("United States of America", America::New_York),
            ("ca", America::Toronto),
            ("AU", Australia::Sydney),
        ];
        for (input, tz) in cases {
            assert_eq!(country_timezone(input), Some(tz), "{input}");
        }
        assert!(COUNTRIES.len() >= 40, "{} countries", COUNTRIES.len());
        assert_eq!(country_timezone("Atlantis"), None);
    }

    #[test]
    fn given_country_table_when_checking_keys_then_no_key_maps_to_two_countries() {
        let mut seen = HashSet::new();
        for entry in COUNTRIES {
            for key in [entry.alpha2, entry.alpha3].iter().chain(entry.names) {
                assert!(seen.insert(*key), "duplicate country key {key}");
                assert_eq!(normalize(key), *key, "key {key} is not normalized");
            }
        }
    }

    #[test]
    fn given_region_tables_when_checking_keys_then_they_are_normalized_and_unique() {
        for table in [US_STATES, CANADIAN_PROVINCES, AUSTRALIAN_STATES] {
            let mut seen = HashSet::new();
            for entry in table {
                for key in std::iter::once(&entry.code).chain(entry.names) {
                    assert!(seen.insert(*key), "duplicate region key {key}");
                    assert_eq!(normalize(key), *key, "key {key} is not normalized");
                }
            }
        }
    }

    #[test]
    fn given_us_or_canada_without_region_or_phone_when_resolving_then_documented_fallback() {
        let cases = [
            ("US", America::New_York),
            ("Canada", America::Toronto),
            ("Australia", Australia::Sydney),
        ];
        for (country, tz) in cases {
            let resolved = resolve(LocationHints {
                country: Some(country),
                ..Default::default()
            });
            assert_eq!(resolved.tz, tz, "{country}");
            assert_eq!(resolved.source, TimezoneSource::Country, "{country}");
        }
    }

    #[test]
    fn given_us_country_and_arizona_phone_when_resolving_then_area_code_beats_the_fallback() {
        let resolved = resolve(LocationHints {
            country: Some("US"),
            phone: Some("602-555-0100"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::Phoenix);
        assert_eq!(resolved.source, TimezoneSource::PhoneAreaCode);
    }

    #[test]
    fn given_us_country_and_toll_free_phone_when_resolving_then_country_fallback_is_used() {
        let resolved = resolve(LocationHints {
            country: Some("US"),
            phone: Some("1-800-555-0100"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::New_York);
        assert_eq!(resolved.source, TimezoneSource::Country);
    }

    // --- Phone numbers ------------------------------------------------------------------

    #[test]
    fn given_phone_in_any_format_when_parsing_then_area_code_is_extracted() {
        for phone in [
            "+1 (602) 555-0100",
            "602-555-0100",
            "16025550100",
            "6025550100",
            "(602) 555 0100",
            "+1.602.555.0100",
            "1 602 555 0100 x123",
            "602-555-0100 ext. 12",
            "tel:+1-602-555-0100",
            "Phone: 602 555 0100",
            "TEL:6025550100",
        ] {
            assert_eq!(nanp_area_code(phone), Some(602), "{phone:?}");
        }
        for phone in [
            "",
            "555-0100",
            "+44 20 7946 0958",
            "26025550100",
            "0125550100",
        ] {
            assert_eq!(nanp_area_code(phone), None, "{phone:?}");
        }
    }

    #[test]
    fn given_arizona_and_hawaii_area_codes_when_looking_up_then_no_dst_zones_are_returned() {
        for code in [480, 520, 602, 623, 928] {
            assert_eq!(
                nanp_area_code_timezone(code),
                Some(America::Phoenix),
                "{code}"
            );
        }
        assert_eq!(nanp_area_code_timezone(808), Some(Pacific::Honolulu));
        assert_eq!(nanp_area_code_timezone(907), Some(America::Anchorage));
    }

    #[test]
    fn given_well_known_area_codes_when_looking_up_then_expected_zones_are_returned() {
        let cases = [
            (212, America::New_York),
            (415, America::Los_Angeles),
            (312, America::Chicago),
            (303, America::Denver),
            (915, America::Denver),
            (219, America::Chicago),
            (317, America::Indiana::Indianapolis),
            (270, America::Chicago),
            (865, America::New_York),
            (850, America::Chicago),
            (305, America::New_York),
            (313, America::Detroit),
            (208, America::Boise),
            (416, America::Toronto),
            (514, America::Toronto),
            (604, America::Vancouver),
            (306, America::Regina),
            (709, America::St_Johns),
            (902, America::Halifax),
            (403, America::Edmonton),
            (204, America::Winnipeg),
            (787, America::Puerto_Rico),
        ];
        for (code, tz) in cases {
            assert_eq!(nanp_area_code_timezone(code), Some(tz), "{code}");
        }
    }

    #[test]
    fn given_non_geographic_area_codes_when_looking_up_then_none() {
        for code in [
            0, 100, 211, 411, 500, 600, 700, 800, 833, 844, 855, 866, 877, 888, 900, 911, 999,
        ] {
            assert_eq!(nanp_area_code_timezone(code), None, "{code}");
        }
    }

    #[test]
    fn given_nanp_table_when_checking_then_codes_are_unique_and_cover_every_state_and_province() {
        let mut seen = HashSet::new();
        for (_, _, codes) in NANP_AREA_CODES {
            for code in *codes {
                assert!((200..1000).contains(code), "{code} is not an NPA");
                assert!(seen.insert(*code), "area code {code} listed twice");
            }
        }
        assert!(seen.len() >= 350, "only {} area codes", seen.len());

        let jurisdictions: HashSet<&str> = NANP_AREA_CODES.iter().map(|(j, _, _)| *j).collect();
        for entry in US_STATES {
            let label = format!("US-{}", entry.code.to_ascii_uppercase());
            assert!(
                jurisdictions.contains(label.as_str()),
                "no area code for {label}"
            );
        }
        for entry in CANADIAN_PROVINCES {
            let label = format!("CA-{}", entry.code.to_ascii_uppercase());
            // PE shares 902/782 with NS; YT and NU share 867 with NT.
            if !["CA-PE", "CA-YT", "CA-NU"].contains(&label.as_str()) {
                assert!(
                    jurisdictions.contains(label.as_str()),
                    "no area code for {label}"
                );
            }
        }
    }

    #[test]
    fn given_nanp_table_when_comparing_with_state_zones_then_only_documented_splits_differ() {
        // (jurisdiction, area-code group zone) pairs allowed to differ from the state table.
        let documented_splits = [
            ("US-FL", America::Chicago),
            ("US-IN", America::Chicago),
            ("US-KY", America::Chicago),
            ("US-TN", America::New_York),
            ("US-TX", America::Denver),
        ];
        let mut compared = 0;
        for (jurisdiction, tz, codes) in NANP_AREA_CODES {
            let state_zone = if jurisdiction.starts_with("US-") {
                us_state_timezone(jurisdiction)
            } else if jurisdiction.starts_with("CA-") {
                canadian_province_timezone(jurisdiction)
            } else {
                continue; // NANP Caribbean: one zone per country.
            };
            let state_zone = state_zone.expect("every US/CA label names a known region");
            compared += 1;
            if state_zone != *tz {
                assert!(
                    documented_splits.contains(&(*jurisdiction, *tz)),
                    "{jurisdiction} {codes:?} -> {tz:?} but the region is {state_zone:?}"
                );
            }
        }
        assert!(compared > 60);
    }

    #[test]
    fn given_phone_with_non_nanp_international_prefix_when_resolving_then_its_own_country_decides()
    {
        // Norwegian and Danish numbers: 10 digits that would read as Saskatchewan's 474 and
        // Oregon's 458 if taken as North American.
        assert_eq!(nanp_area_code("+47 412 34 567"), Some(474));
        assert_eq!(nanp_area_code("+45 8123 4567"), Some(458));
        assert!(nanp_area_code_timezone(474).is_some() && nanp_area_code_timezone(458).is_some());
        for (phone, tz) in [
            ("+47 412 34 567", Europe::Oslo),
            ("+45 8123 4567", Europe::Copenhagen),
        ] {
            let resolved = resolve(LocationHints {
                phone: Some(phone),
                ..Default::default()
            });
            assert_eq!(
                (resolved.tz, resolved.source),
                (tz, TimezoneSource::PhoneCountry),
                "{phone}"
            );
        }
        let resolved = resolve(LocationHints {
            country: Some("US"),
            phone: Some("+49 602 555 0100"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::New_York);
        assert_eq!(resolved.source, TimezoneSource::Country);
    }

    #[test]
    fn given_unknown_country_when_phone_has_plus_one_then_area_code_applies() {
        let with_plus = resolve(LocationHints {
            country: Some("Atlantis"),
            phone: Some("+1 808 555 0100"),
            ..Default::default()
        });
        assert_eq!(with_plus.tz, Pacific::Honolulu);
        assert_eq!(with_plus.source, TimezoneSource::PhoneAreaCode);

        let without_plus = resolve(LocationHints {
            country: Some("Atlantis"),
            phone: Some("808 555 0100"),
            ..Default::default()
        });
        assert_eq!(without_plus.source, TimezoneSource::TenantDefault);
    }

    #[test]
    fn given_canada_and_a_canadian_phone_when_resolving_then_area_code_is_used() {
        let resolved = resolve(LocationHints {
            country: Some("Canada"),
            phone: Some("(604) 555-0100"),
            ..Default::default()
        });
        assert_eq!(resolved.tz, America::Vancouver);
        assert_eq!(resolved.source, TimezoneSource::PhoneAreaCode);
    }

    // --- Offsets across DST -------------------------------------------------------------

    #[test]
    fn given_arizona_when_us_dst_starts_and_ends_then_phoenix_stays_utc_minus_7_while_denver_moves()
    {
        // US DST 2026: starts Sunday 2026-03-08, ends Sunday 2026-11-01.
        let before_march = at(2026, 3, 7, 18, 0);
        let after_march = at(2026, 3, 9, 18, 0);
        let before_november = at(2026, 10, 31, 18, 0);
        let after_november = at(2026, 11, 2, 18, 0);

        for instant in [before_march, after_march, before_november, after_november] {
            assert_eq!(offset_minutes_at_utc(America::Phoenix, instant), -7 * 60);
        }
        assert_eq!(
            offset_minutes_at_utc(America::Denver, before_march),
            -7 * 60
        );
        assert_eq!(offset_minutes_at_utc(America::Denver, after_march), -6 * 60);
        assert_eq!(
            offset_minutes_at_utc(America::Denver, before_november),
            -6 * 60
        );
        assert_eq!(
            offset_minutes_at_utc(America::Denver, after_november),
            -7 * 60
        );
    }

    #[test]
    fn given_hawaii_when_checking_january_and_july_then_utc_minus_10_all_year() {
        let tz = us_state_timezone("HI").expect("Hawaii");
        assert_eq!(offset_minutes_at_utc(tz, at(2026, 1, 15, 12, 0)), -10 * 60);
        assert_eq!(offset_minutes_at_utc(tz, at(2026, 7, 15, 12, 0)), -10 * 60);
    }

    #[test]
    fn given_january_and_july_when_checking_sydney_and_brisbane_then_only_sydney_has_dst() {
        let sydney = australian_state_timezone("NSW").expect("NSW");
        let brisbane = australian_state_timezone("QLD").expect("QLD");
        let january = at(2026, 1, 15, 0, 0);
        let july = at(2026, 7, 15, 0, 0);
        assert_eq!(offset_minutes_at_utc(sydney, january), 11 * 60);
        assert_eq!(offset_minutes_at_utc(sydney, july), 10 * 60);
        assert_eq!(offset_minutes_at_utc(brisbane, january), 10 * 60);
        assert_eq!(offset_minutes_at_utc(brisbane, july), 10 * 60);
    }

    #[test]
    fn given_regina_and_st_johns_when_checking_offsets_then_no_dst_and_half_hour() {
        let january = at(2026, 1, 15, 12, 0);
        let july = at(2026, 7, 15, 12, 0);
        assert_eq!(offset_minutes_at_utc(America::Regina, january), -6 * 60);
        assert_eq!(offset_minutes_at_utc(America::Regina, july), -6 * 60);
        assert_eq!(
            offset_minutes_at_utc(America::St_Johns, january),
            -(3 * 60 + 30)
        );
        assert_eq!(
            offset_minutes_at_utc(America::St_Johns, july),
            -(2 * 60 + 30)
        );
    }

    #[test]
    fn given_dst_start_day_when_converting_9am_new_york_then_it_is_13_utc() {
        let local = America::New_York
            .from_local_datetime(&at(2026, 3, 8, 9, 0))
            .single()
            .expect("9:00 exists on the DST start day");
        assert_eq!(local.naive_utc(), at(2026, 3, 8, 13, 0));
        // The day before, still on EST.
        let before = America::New_York
            .from_local_datetime(&at(2026, 3, 7, 9, 0))
            .single()
            .expect("9:00 exists");
        assert_eq!(before.naive_utc(), at(2026, 3, 7, 14, 0));
    }

    #[test]
    fn given_dst_end_day_when_converting_9am_new_york_then_it_is_14_utc() {
        let local = America::New_York
            .from_local_datetime(&at(2026, 11, 1, 9, 0))
            .single()
            .expect("9:00 exists on the DST end day");
        assert_eq!(local.naive_utc(), at(2026, 11, 1, 14, 0));
        assert_eq!(local.hour(), 9);
    }

    #[test]
    fn given_dst_transition_hours_when_converting_then_gap_is_none_and_overlap_is_ambiguous() {
        let gap = America::New_York.from_local_datetime(&at(2026, 3, 8, 2, 30));
        assert!(matches!(gap, LocalResult::None), "{gap:?}");
        let overlap = America::New_York.from_local_datetime(&at(2026, 11, 1, 1, 30));
        match overlap {
            LocalResult::Ambiguous(earliest, latest) => {
                assert_eq!(earliest.naive_utc(), at(2026, 11, 1, 5, 30));
                assert_eq!(latest.naive_utc(), at(2026, 11, 1, 6, 30));
            }
            other => panic!("expected an ambiguous local time, got {other:?}"),
        }
        // Phoenix has no gap: 2:30 on the US DST start day is an ordinary time.
        let phoenix = America::Phoenix
            .from_local_datetime(&at(2026, 3, 8, 2, 30))
            .single()
            .expect("no DST in Arizona");
        assert_eq!(phoenix.naive_utc(), at(2026, 3, 8, 9, 30));
    }

    #[test]
    fn given_snake_case_names_when_deserializing_timezone_source_then_variants_round_trip() {
        use serde::de::{value::Error, IntoDeserializer};
        use serde::Deserialize;
        let cases = [
            ("hq_timezone", TimezoneSource::HqTimezone),
            ("us_state", TimezoneSource::UsState),
            ("canadian_province", TimezoneSource::CanadianProvince),
            ("australian_state", TimezoneSource::AustralianState),
            ("country", TimezoneSource::Country),
            ("phone_area_code", TimezoneSource::PhoneAreaCode),
            ("tenant_default", TimezoneSource::TenantDefault),
        ];
        for (name, source) in cases {
            let parsed =
                TimezoneSource::deserialize(IntoDeserializer::<Error>::into_deserializer(name));
            assert_eq!(parsed, Ok(source), "{name}");
        }
        let camel =
            TimezoneSource::deserialize(IntoDeserializer::<Error>::into_deserializer("HqTimezone"));
        assert!(camel.is_err());
    }

    // --- Properties ---------------------------------------------------------------------

    fn any_tz() -> impl Strategy<Value = Tz> {
        (0..TZ_VARIANTS.len()).prop_map(|i| TZ_VARIANTS[i])
    }

    fn any_hint() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            any::<String>(),
            "[ +()0-9.a-zA-Z/_-]{0,24}",
            prop::sample::select(vec![
                "US".to_owned(),
                "WA".to_owned(),
                "+1 602 555 0100".to_owned(),
                "America/Phoenix".to_owned(),
                "tel:".to_owned(),
            ]),
        ])
    }

    proptest! {
        #[test]
        fn given_arbitrary_strings_when_resolving_then_it_never_panics(
            hq in any_hint(),
            country in any_hint(),
            region in any_hint(),
            phone in any_hint(),
            default in any_tz(),
        ) {
            let hints = LocationHints {
                hq_timezone: hq.as_deref(),
                country: country.as_deref(),
                region: region.as_deref(),
                phone: phone.as_deref(),
            };
            let resolved = resolve_timezone(&hints, default);
            if resolved.source == TimezoneSource::TenantDefault {
                prop_assert_eq!(resolved.tz, default);
            }
            if let Some(phone) = phone.as_deref() {
                let _ = nanp_area_code(phone);
            }
        }

        #[test]
        fn given_all_hints_none_when_resolving_then_default_is_returned(default in any_tz()) {
            let resolved = resolve_timezone(&LocationHints::default(), default);
            let expected = ResolvedTimezone { tz: default, source: TimezoneSource::TenantDefault };
            prop_assert_eq!(resolved, expected);
        }
    }
}
