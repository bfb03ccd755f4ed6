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

use chrono_tz::{Tz, TZ_VARIANTS};

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
    tz: Tz,
}

impl CountryEntry {
    /// The US and Canada: several zones, and their phone area codes say which one.
    fn is_nanp_multi_zone(&self) -> bool {
        self.alpha2 == "us" || self.alpha2 == "ca"
    }
}

/// A country however it is written, read by the one country reader the
/// project has (`geo`), then found in the zone table.
fn find_country(input: &str) -> Option<&'static CountryEntry> {
    let alpha2 = super::geo::country_code(input)?.to_ascii_lowercase();
    COUNTRIES.iter().find(|entry| entry.alpha2 == alpha2)
}

mod tables;
use tables::{AUSTRALIAN_STATES, CANADIAN_PROVINCES, COUNTRIES, NANP_AREA_CODES, US_STATES};

#[cfg(test)]
mod tests;
