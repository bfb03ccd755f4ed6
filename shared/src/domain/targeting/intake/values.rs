//! How exported values read: placeholder emails, lifecycle stages that mean
//! "already a customer", yes/no flags, employee bands, free-text locations.

pub use super::dialect::{parse_decimal, parse_whole};
use crate::domain::targeting::geo::{country_code, subdivision_code};

/// Lower case with every run of other characters as one `_`: "C suite" and
/// "C-Suite" → `c_suite`, "Likely to engage" → `likely_to_engage`.
pub fn token(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Local parts tools write in place of an address they will not reveal or
/// do not have. Apollo writes `email_not_unlocked@<domain>` for an email
/// the plan has not unlocked.
const PLACEHOLDER_LOCAL_PARTS: &[&str] = &[
    "email_not_unlocked",
    "emailnotunlocked",
    "not_unlocked",
    "noemail",
    "no-email",
    "no_email",
    "none",
    "null",
    "unknown",
    "na",
    "n-a",
    "notavailable",
    "not_available",
];

/// What an email value is when it is a placeholder rather than an address
/// ("Apollo's placeholder for a locked email"); None for a real-looking one.
pub fn email_placeholder(raw: &str) -> Option<&'static str> {
    let lower = raw.trim().to_lowercase();
    if matches!(
        lower.as_str(),
        "n/a" | "na" | "none" | "-" | "null" | "unknown"
    ) {
        return Some("a placeholder");
    }
    let (local, domain) = lower.rsplit_once('@')?;
    if local.starts_with("email_not_unlocked") {
        return Some("Apollo's placeholder for a locked email");
    }
    if PLACEHOLDER_LOCAL_PARTS.contains(&local)
        || matches!(domain, "example.com" | "example.org" | "domain.com")
    {
        return Some("a placeholder");
    }
    None
}

/// Stages that mean "not a prospect" by default: customers, evangelists,
/// open deals, and contacts the source tool already saw opt out, bounce or
/// ask not to be contacted. A `*` at the end matches any rest ("customer_*"
/// matches Salesforce's "Customer - Direct").
pub const DEFAULT_SKIP_STAGES: &[&str] = &[
    "customer",
    "customer_*",
    "existing_customer",
    "current_customer",
    "evangelist",
    "opportunity",
    "open_deal",
    "closed_won",
    "do_not_contact",
    "unsubscribed",
    "emailsunsubscribed",
    "bounced",
    "emailsbounced",
];

/// Why a lead at this lifecycle stage is held instead of prospected, if it is.
pub fn hold_for_stage(stage: &str, skip: &[String]) -> Option<String> {
    let t = token(stage);
    let hit = skip.iter().any(|s| match s.trim().strip_suffix('*') {
        Some(base) => {
            let base = token(base);
            !base.is_empty() && (t == base || t.starts_with(&format!("{base}_")))
        }
        None => t == token(s),
    });
    hit.then(|| {
        format!(
            "stage {:?} in the source: existing customers, open deals and opted-out contacts are not prospected",
            stage.trim()
        )
    })
}

/// Yes/no as exports write it.
pub fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "claimed" | "x" | "oui" | "ja" | "sí" | "si" => Some(true),
        "no" | "n" | "false" | "0" | "unclaimed" | "non" | "nein" => Some(false),
        _ => None,
    }
}

/// A head count or a band as tools write them: "250", "1,200", "11-50",
/// "51 - 200 employees", "10,001+", "10K+". A band gives its lower bound,
/// which lies inside the band, so band rules still match.
pub fn parse_employees(raw: &str, decimal_comma: bool) -> Option<u32> {
    let t = raw
        .trim()
        .to_lowercase()
        .replace("employees", "")
        .replace("employee", "");
    let t = t.trim().trim_end_matches('+').trim();
    let first = t
        .split(['-', '–', '—'])
        .next()
        .unwrap_or(t)
        .trim()
        .replace(" to ", "");
    let (digits, scale) = match first.strip_suffix('k') {
        Some(d) => (d.trim().to_string(), 1000.0),
        None => (first.to_string(), 1.0),
    };
    if scale > 1.0 {
        let x = parse_decimal(&digits, decimal_comma)? * scale;
        return (x >= 0.0 && x < f64::from(u32::MAX)).then_some(x as u32);
    }
    parse_whole(&digits, decimal_comma).and_then(|n| u32::try_from(n).ok())
}

/// A free-text location split into what it names.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LocationParts {
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<&'static str>,
}

/// "Austin, Texas, United States", "Austin, TX", "London, England, United
/// Kingdom", "Germany": the last part is a country when it is one; the part
/// before it is a state when the table knows it; the first is the city.
pub fn split_location(raw: &str) -> LocationParts {
    let mut parts: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = LocationParts::default();
    if let Some(last) = parts.last() {
        if let Some(c) = country_code(last) {
            // "Georgia" is a state before it is a country when a city comes
            // before it.
            let state_first =
                parts.len() > 1 && c != "US" && subdivision_code(Some("US"), last).is_some();
            if !state_first {
                out.country = Some(c);
                parts.pop();
            }
        }
    }
    // A lone part before the country is a city that may also be a region
    // (Berlin, Auckland); in the US, Canada and Australia it is the state.
    let lone = parts.len() == 1 && out.country.is_some();
    let also_city = lone && !matches!(out.country, Some("US" | "CA" | "AU"));
    if let Some(last) = parts.last() {
        if parts.len() > 1 || out.country.is_some() {
            // "TX 78701": the state without its postal code.
            let words: Vec<&str> = last
                .split_whitespace()
                .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
                .collect();
            let state = words.join(" ");
            if let Some((country, _)) = subdivision_code(out.country, &state) {
                out.country.get_or_insert(country);
                out.state = Some(state);
                if !also_city {
                    parts.pop();
                }
            }
        }
    }
    // The city is the part next to the state ("123 Main St, Austin, TX").
    if let Some(city) = parts.last() {
        let lone_country =
            parts.len() == 1 && out.country.is_none() && country_code(city).is_some();
        if !lone_country {
            out.city = Some(city.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_tool_spellings_when_tokenised_then_they_compare_equal() {
        assert_eq!(token("C suite"), "c_suite");
        assert_eq!(token("C-Suite"), "c_suite");
        assert_eq!(token(" VP "), "vp");
        assert_eq!(token("Likely to engage"), "likely_to_engage");
    }

    #[test]
    fn given_placeholders_when_read_then_they_are_no_email() {
        assert!(email_placeholder("email_not_unlocked@acme.com").is_some());
        assert!(email_placeholder("EMAIL_NOT_UNLOCKED@domain.com").is_some());
        assert!(email_placeholder("n/a").is_some());
        assert!(email_placeholder("noemail@dealer.com").is_some());
        assert_eq!(email_placeholder("jo@dealer.com"), None);
        assert_eq!(email_placeholder("unlocked@dealer.com"), None);
    }

    #[test]
    fn given_lifecycle_stages_when_checked_then_customers_and_deals_are_held() {
        let skip: Vec<String> = DEFAULT_SKIP_STAGES.iter().map(|s| s.to_string()).collect();
        for stage in [
            "Customer",
            "customer",
            "Evangelist",
            "Opportunity",
            "Open Deal",
            "Customer - Direct",
            "Closed Won",
        ] {
            assert!(hold_for_stage(stage, &skip).is_some(), "{stage}");
        }
        for stage in [
            "Lead",
            "Subscriber",
            "Marketing Qualified Lead",
            "Prospect",
            "Customerish",
            "Other",
        ] {
            assert_eq!(hold_for_stage(stage, &skip), None, "{stage}");
        }
        assert_eq!(hold_for_stage("Customer", &[]), None);
    }

    #[test]
    fn given_head_counts_and_bands_when_read_then_a_number_inside_comes_out() {
        assert_eq!(parse_employees("250", false), Some(250));
        assert_eq!(parse_employees("1,200", false), Some(1200));
        assert_eq!(parse_employees("11-50", false), Some(11));
        assert_eq!(parse_employees("51 - 200 employees", false), Some(51));
        assert_eq!(parse_employees("10,001+", false), Some(10001));
        assert_eq!(parse_employees("10K+", false), Some(10000));
        assert_eq!(parse_employees("1.200", true), Some(1200));
        assert_eq!(parse_employees("lots", false), None);
    }

    #[test]
    fn given_free_text_locations_when_split_then_country_state_and_city_come_apart() {
        let p = split_location("Austin, Texas, United States");
        assert_eq!(
            (p.city.as_deref(), p.state.as_deref(), p.country),
            (Some("Austin"), Some("Texas"), Some("US"))
        );
        let p = split_location("Austin, TX");
        assert_eq!(
            (p.city.as_deref(), p.state.as_deref(), p.country),
            (Some("Austin"), Some("TX"), Some("US"))
        );
        let p = split_location("Munich, Germany");
        assert_eq!(
            (p.city.as_deref(), p.state, p.country),
            (Some("Munich"), None, Some("DE"))
        );
        let p = split_location("Berlin, Germany");
        assert_eq!(
            (p.city.as_deref(), p.state.as_deref(), p.country),
            (Some("Berlin"), Some("Berlin"), Some("DE"))
        );
        let p = split_location("Atlanta, Georgia");
        assert_eq!(
            (p.state.as_deref(), p.country),
            (Some("Georgia"), Some("US"))
        );
        let p = split_location("123 Main St, Austin, TX 78701, United States");
        assert_eq!(
            (p.city.as_deref(), p.state.as_deref(), p.country),
            (Some("Austin"), Some("TX"), Some("US"))
        );
        let p = split_location("Germany");
        assert_eq!((p.city, p.country), (None, Some("DE")));
    }
}
