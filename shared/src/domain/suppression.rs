//! Suppression matching: canonical emails, domains with all their
//! subdomains, and phone numbers, checked at intake and before every send.

use serde::{Deserialize, Serialize};

/// Canonical email: trimmed and lower-cased. Provider-specific dot/plus
/// rules are not applied: they are only safe for some providers and a wrong
/// merge would contact or suppress the wrong person.
pub fn canonical_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    if local.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || e.contains(char::is_whitespace)
        || domain.contains('@')
    {
        return None;
    }
    Some(e)
}

pub fn email_domain(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, d)| d)
}

/// Bare host of a website or domain: no scheme, path, port or `www.`.
pub fn canonical_domain(raw: &str) -> Option<String> {
    let mut d = raw.trim().to_lowercase();
    for prefix in ["https://", "http://"] {
        if let Some(rest) = d.strip_prefix(prefix) {
            d = rest.to_string();
        }
    }
    let d = d
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("")
        .trim_end_matches('.');
    let d = d.strip_prefix("www.").unwrap_or(d);
    (d.contains('.') && !d.contains(char::is_whitespace)).then(|| d.to_string())
}

/// `a.b.customer.com` -> [`a.b.customer.com`, `b.customer.com`, `customer.com`]:
/// every suffix with at least two labels, so an exclusion of `customer.com`
/// matches all its subdomains and nothing else.
pub fn domain_suffixes(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    (0..labels.len().saturating_sub(1))
        .map(|i| labels[i..].join("."))
        .collect()
}

pub fn domain_matches(excluded: &str, domain: &str) -> bool {
    let excluded = excluded.trim().trim_start_matches('.').to_lowercase();
    domain_suffixes(&domain.to_lowercase()).contains(&excluded)
}

/// Phone in E.164 (`+` and digits). Ten-digit numbers are taken as NANP.
pub fn canonical_phone(raw: &str) -> Option<String> {
    let plus = raw.trim().starts_with('+');
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    match (plus, digits.len()) {
        (false, 10) => Some(format!("+1{digits}")),
        (false, 11) if digits.starts_with('1') => Some(format!("+{digits}")),
        (true, 8..=15) => Some(format!("+{digits}")),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    Email,
    Domain,
    Phone,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Email => "email",
            SuppressionKind::Domain => "domain",
            SuppressionKind::Phone => "phone",
        }
    }
}

/// The suppression entries that would block a lead: its email, every suffix
/// of its email domain and company domain, and its phone.
pub fn suppression_keys(
    email: Option<&str>,
    company_domain: Option<&str>,
    phone: Option<&str>,
) -> Vec<(SuppressionKind, String)> {
    let mut keys = Vec::new();
    if let Some(e) = email.and_then(canonical_email) {
        if let Some(d) = email_domain(&e) {
            for s in domain_suffixes(d) {
                keys.push((SuppressionKind::Domain, s));
            }
        }
        keys.push((SuppressionKind::Email, e));
    }
    if let Some(d) = company_domain.and_then(canonical_domain) {
        for s in domain_suffixes(&d) {
            if !keys.contains(&(SuppressionKind::Domain, s.clone())) {
                keys.push((SuppressionKind::Domain, s));
            }
        }
    }
    if let Some(p) = phone.and_then(canonical_phone) {
        keys.push((SuppressionKind::Phone, p));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn subdomains_match_and_lookalikes_do_not() {
        assert!(domain_matches("customer.com", "customer.com"));
        assert!(domain_matches("customer.com", "sub.customer.com"));
        assert!(domain_matches("customer.com", "a.b.customer.com"));
        assert!(!domain_matches("customer.com", "notcustomer.com"));
        assert!(!domain_matches("customer.com", "customer.com.evil.io"));
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(
            canonical_email("  Jo.Doe+x@Example.COM "),
            Some("jo.doe+x@example.com".into())
        );
        assert_eq!(canonical_email("not-an-email"), None);
        assert_eq!(
            canonical_domain("https://www.Dealer.com/inventory"),
            Some("dealer.com".into())
        );
        assert_eq!(
            canonical_phone("(602) 555-0100"),
            Some("+16025550100".into())
        );
        assert_eq!(
            canonical_phone("+44 20 7946 0958"),
            Some("+442079460958".into())
        );
        assert_eq!(canonical_phone("555"), None);
    }

    proptest! {
        #[test]
        fn any_subdomain_of_an_excluded_domain_matches(sub in "[a-z]{1,8}(\\.[a-z]{1,8}){0,2}", user in "[a-z]{1,8}") {
            let email = format!("{user}@{sub}.customer.com");
            let keys = suppression_keys(Some(&email), None, None);
            prop_assert!(keys.contains(&(SuppressionKind::Domain, "customer.com".to_string())));
            let other = format!("{user}@{sub}notcustomer.com");
            let keys = suppression_keys(Some(&other), None, None);
            prop_assert!(!keys.contains(&(SuppressionKind::Domain, "customer.com".to_string())));
        }
    }
}
