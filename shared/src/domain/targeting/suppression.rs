//! Suppression matching: canonical emails, domains with all their
//! subdomains, and phone numbers, checked at intake and before every send;
//! and the list as operators upload and download it (CSV or plain lines).

use super::intake::RowError;
use chrono::{DateTime, SecondsFormat, Utc};
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

/// A phone number in E.164, read as `phone::parse_phone` reads it with no
/// country: an international number, or a valid North American one.
pub fn canonical_phone(raw: &str) -> Option<String> {
    canonical_phone_in(raw, None)
}

/// A phone number in E.164, national numbers read in `country` (ISO
/// alpha-2): the one form leads, suppression lists and DNC entries share,
/// so "020 7946 0958" on a GB tenant's list stops "+44 20 7946 0958".
pub fn canonical_phone_in(raw: &str, country: Option<&str>) -> Option<String> {
    super::phone::e164(raw.trim().trim_start_matches('\''), country)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    Email,
    Domain,
    Phone,
    /// A person erased on request: the keyed hash of one of their
    /// identifiers (`targeting::erasure`), never the value itself.
    Erased,
}

impl SuppressionKind {
    pub const ALL: [SuppressionKind; 4] = [
        SuppressionKind::Email,
        SuppressionKind::Domain,
        SuppressionKind::Phone,
        SuppressionKind::Erased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Email => "email",
            SuppressionKind::Domain => "domain",
            SuppressionKind::Phone => "phone",
            SuppressionKind::Erased => "erased",
        }
    }

    /// `email`, `domain`, `phone` or `erased`, in any case.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim().to_lowercase();
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The canonical form of `raw` as an entry of this kind, the form the
    /// list is keyed by; None when `raw` is not one.
    pub fn canonical(self, raw: &str) -> Option<String> {
        self.canonical_in(raw, None)
    }

    /// As `canonical`, with national phone numbers read in `country`.
    pub fn canonical_in(self, raw: &str, country: Option<&str>) -> Option<String> {
        match self {
            SuppressionKind::Email => canonical_email(raw),
            SuppressionKind::Domain => canonical_domain(raw),
            SuppressionKind::Phone => canonical_phone_in(raw, country),
            SuppressionKind::Erased => {
                let h = raw.trim().to_lowercase();
                (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some(h)
            }
        }
    }

    /// The kind of a bare value on a line of its own: with an `@` it is an
    /// email; starting with `+`, or mostly digits, a phone; else a domain
    /// (never `erased`: a hash is only read from a `kind` column).
    pub fn detect(raw: &str) -> Self {
        let raw = raw.trim();
        let chars = raw.chars().filter(|c| !c.is_whitespace()).count();
        let digits = raw.chars().filter(char::is_ascii_digit).count();
        if raw.contains('@') {
            SuppressionKind::Email
        } else if raw.starts_with('+') || digits * 2 > chars {
            SuppressionKind::Phone
        } else {
            SuppressionKind::Domain
        }
    }

    /// The sort key of an entry of this kind in the tenant's list.
    pub fn key(self, value: &str) -> String {
        format!("{}#{value}", self.as_str())
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

/// Every suppression entry that would block `lead`: its email, its domains
/// with their parents, and each of its numbers (own, mobile, company).
pub fn lead_suppression_keys(lead: &crate::domain::lead::Lead) -> Vec<(SuppressionKind, String)> {
    let mut keys = suppression_keys(lead.email.as_deref(), lead.company_domain.as_deref(), None);
    for p in lead.phones().filter_map(canonical_phone) {
        if !keys.contains(&(SuppressionKind::Phone, p.clone())) {
            keys.push((SuppressionKind::Phone, p));
        }
    }
    keys
}

/// One entry of a tenant's suppression list. `value` is canonical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionEntry {
    pub kind: SuppressionKind,
    pub value: String,
    pub reason: String,
    pub added_at: DateTime<Utc>,
}

impl SuppressionEntry {
    pub fn key(&self) -> String {
        self.kind.key(&self.value)
    }
}

/// The list as CSV, `kind,value,reason,added_at`: what an export returns
/// and what an import reads back.
pub fn to_csv(entries: &[SuppressionEntry]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["kind", "value", "reason", "added_at"])
        .expect("CSV written to memory");
    for e in entries {
        let added_at = e.added_at.to_rfc3339_opts(SecondsFormat::Millis, true);
        w.write_record([
            e.kind.as_str(),
            &spreadsheet_safe(&e.value),
            &spreadsheet_safe(&e.reason),
            &added_at,
        ])
        .expect("CSV written to memory");
    }
    String::from_utf8(w.into_inner().expect("CSV written to memory")).expect("UTF-8 in, UTF-8 out")
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP's
/// CSV injection list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell a spreadsheet shows as text: one that would start a formula gets
/// a leading `'` (OWASP), which `from_spreadsheet` takes off again on import.
/// An E.164 number (`+` and digits only) is left as it is: it calls
/// nothing, and a DNC list's numbers must read back exactly.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let e164 = cell
        .strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    if cell.starts_with(FORMULA_START) && !e164 {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A cell as `spreadsheet_safe` wrote it, back to its value.
pub fn from_spreadsheet(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => cell,
    }
}

/// An entry read from an uploaded list, with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedEntry {
    pub line: u64,
    pub kind: SuppressionKind,
    pub value: String,
    /// From the file's `reason` column, when it has one and it is filled.
    pub reason: Option<String>,
}

/// An uploaded suppression list, read: good entries, and bad lines with
/// line, field and reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListedFile {
    /// Data lines read (blank lines are not counted).
    pub lines: u64,
    pub entries: Vec<ListedEntry>,
    pub errors: Vec<RowError>,
    /// Header columns that were not read.
    pub ignored_columns: Vec<String>,
}

/// How the lines of an uploaded CSV list are laid out.
enum Layout {
    /// A header with `kind` and `value` (and maybe `reason`) columns.
    KindValue {
        kind: usize,
        value: usize,
        reason: Option<usize>,
    },
    /// A header with `email`, `domain` and/or `phone` columns (and maybe
    /// `reason`): every filled cell is an entry of its column's kind.
    Columns {
        columns: Vec<(usize, SuppressionKind)>,
        reason: Option<usize>,
    },
}

fn column_name(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The layout a header row announces, and the columns it leaves unread;
/// None when the first line is no such header (a plain list).
fn layout(header: &csv::StringRecord) -> Option<(Layout, Vec<String>)> {
    let names: Vec<String> = header.iter().map(column_name).collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let reason = find(&["reason"]);
    let ignored = |used: &[usize]| {
        header
            .iter()
            .enumerate()
            .filter(|(i, h)| !used.contains(i) && Some(*i) != reason && !h.trim().is_empty())
            .map(|(_, h)| h.trim().to_string())
            .collect()
    };
    if let (Some(kind), Some(value)) = (find(&["kind", "type"]), find(&["value"])) {
        let layout = Layout::KindValue {
            kind,
            value,
            reason,
        };
        return Some((layout, ignored(&[kind, value])));
    }
    // Only these exact names: a lead file's `website` column must not turn
    // every lead's company into a domain entry.
    let columns: Vec<(usize, SuppressionKind)> = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match n.as_str() {
            "email" | "emailaddress" => Some((i, SuppressionKind::Email)),
            "domain" => Some((i, SuppressionKind::Domain)),
            "phone" | "phonenumber" => Some((i, SuppressionKind::Phone)),
            _ => None,
        })
        .collect();
    if columns.is_empty() {
        return None;
    }
    let used: Vec<usize> = columns.iter().map(|(i, _)| *i).collect();
    Some((Layout::Columns { columns, reason }, ignored(&used)))
}

fn listed(
    line: u64,
    field: &str,
    kind: SuppressionKind,
    raw: &str,
    reason: Option<&str>,
    country: Option<&str>,
) -> Result<ListedEntry, RowError> {
    kind.canonical_in(raw, country)
        .map(|value| ListedEntry {
            line,
            kind,
            value,
            reason: reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string),
        })
        .ok_or_else(|| RowError {
            line,
            field: field.to_string(),
            reason: format!("{:?} is not a valid {}", raw.trim(), kind.as_str()),
        })
}

/// Reads an uploaded suppression list: CSV with a header (`kind,value[,reason]`,
/// or `email`/`domain`/`phone` columns with an optional `reason`), or plain
/// lines of one value each (kind detected by `SuppressionKind::detect`).
/// Lines are numbered from 1 as in the file, header included; a bad line is
/// reported and the others are read.
pub fn read_list(text: &str) -> ListedFile {
    read_list_in(text, None)
}

/// As `read_list`, with national phone numbers read in `country` (the
/// tenant's default country), so a DNC entry typed "020 7946 0958" matches.
pub fn read_list_in(text: &str, country: Option<&str>) -> ListedFile {
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let header = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(first.as_bytes())
        .records()
        .next()
        .and_then(|r| r.ok())
        .unwrap_or_default();
    fn push(out: &mut ListedFile, got: Result<ListedEntry, RowError>) {
        match got {
            Ok(e) => out.entries.push(e),
            Err(e) => out.errors.push(e),
        }
    }
    let mut out = ListedFile::default();
    let Some((layout, ignored)) = layout(&header) else {
        for (i, raw) in text.lines().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            out.lines += 1;
            let kind = SuppressionKind::detect(raw);
            push(
                &mut out,
                listed(i as u64 + 1, kind.as_str(), kind, raw, None, country),
            );
        }
        return out;
    };
    out.ignored_columns = ignored;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Err(e) => {
                out.lines += 1;
                out.errors.push(RowError {
                    line: e.position().map_or(0, |p| p.line()),
                    field: "-".into(),
                    reason: format!("unreadable row: {e}"),
                });
            }
            Ok(true) => {
                out.lines += 1;
                let line = record.position().map_or(0, |p| p.line());
                let cell = |i: usize| from_spreadsheet(record.get(i).unwrap_or(""));
                match &layout {
                    Layout::KindValue {
                        kind,
                        value,
                        reason,
                    } => {
                        let got = match SuppressionKind::parse(cell(*kind)) {
                            None => Err(RowError {
                                line,
                                field: "kind".into(),
                                reason: format!("{:?} is not email, domain or phone", cell(*kind)),
                            }),
                            Some(k) => {
                                listed(line, "value", k, cell(*value), reason.map(cell), country)
                            }
                        };
                        push(&mut out, got);
                    }
                    Layout::Columns { columns, reason } => {
                        let mut filled = columns.iter().filter(|(i, _)| !cell(*i).is_empty());
                        let Some(first) = filled.next() else {
                            out.errors.push(RowError {
                                line,
                                field: "-".into(),
                                reason: "no email, domain or phone on this line".into(),
                            });
                            continue;
                        };
                        for (i, k) in std::iter::once(first).chain(filled) {
                            push(
                                &mut out,
                                listed(line, k.as_str(), *k, cell(*i), reason.map(cell), country),
                            );
                        }
                    }
                }
            }
        }
    }
    out
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

    #[test]
    fn kinds_are_detected_from_bare_values() {
        use SuppressionKind::*;
        for (raw, kind) in [
            ("jo@dealer.example", Email),
            ("+44 20 7946 0958", Phone),
            ("(602) 555-0100", Phone),
            ("602.555.0100", Phone),
            ("555", Phone),
            ("dealer.example", Domain),
            ("https://www.dealer.example/x", Domain),
            ("7eleven.com", Domain),
        ] {
            assert_eq!(SuppressionKind::detect(raw), kind, "{raw}");
        }
    }

    fn values(f: &ListedFile) -> Vec<(u64, &str, &str)> {
        f.entries
            .iter()
            .map(|e| (e.line, e.kind.as_str(), e.value.as_str()))
            .collect()
    }

    fn bad_lines(f: &ListedFile) -> Vec<(u64, &str)> {
        f.errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect()
    }

    #[test]
    fn plain_lines_detect_their_kind_and_report_bad_lines_by_number() {
        // GIVEN one value a line, with a blank line and two bad values
        let f = read_list(
            "Jo@Dealer.example\r\n\nwww.customer.example\n(602) 555-0100\nnot-a-thing\n555\n",
        );
        // THEN the good ones are canonical, the bad ones named by line
        assert_eq!(
            values(&f),
            vec![
                (1, "email", "jo@dealer.example"),
                (3, "domain", "customer.example"),
                (4, "phone", "+16025550100"),
            ]
        );
        assert_eq!(bad_lines(&f), vec![(5, "domain"), (6, "phone")]);
        assert_eq!(f.lines, 5);
    }

    #[test]
    fn kind_value_csv_reads_reasons_and_names_the_bad_field() {
        let f = read_list(
            "kind,value,reason\nemail,a@b.example,asked\nfax,123,\nphone,12,\ndomain,\"x.example\",\n",
        );
        assert_eq!(
            values(&f),
            vec![(2, "email", "a@b.example"), (5, "domain", "x.example")]
        );
        assert_eq!(f.entries[0].reason.as_deref(), Some("asked"));
        assert_eq!(f.entries[1].reason, None);
        assert_eq!(bad_lines(&f), vec![(3, "kind"), (4, "value")]);
    }

    #[test]
    fn column_csv_takes_every_filled_cell_and_ignores_websites() {
        let f = read_list(
            "Email,Phone,Website,Reason\na@b.example,,https://b.example,x\n,+14155550100,,\n,,,\n",
        );
        assert_eq!(
            values(&f),
            vec![(2, "email", "a@b.example"), (3, "phone", "+14155550100")]
        );
        assert_eq!(bad_lines(&f), vec![(4, "-")]);
        assert_eq!(f.ignored_columns, vec!["Website".to_string()]);
    }

    #[test]
    fn an_export_reads_back_as_the_same_entries() {
        let at: DateTime<Utc> = "2026-12-01T15:00:00Z".parse().unwrap();
        let entries: Vec<SuppressionEntry> = [
            (
                SuppressionKind::Email,
                "a@b.example",
                "said \"stop\", twice",
            ),
            (SuppressionKind::Domain, "customer.example", "customer"),
            (SuppressionKind::Phone, "+16025550100", ""),
            (
                SuppressionKind::Email,
                "c@b.example",
                "=HYPERLINK(\"http://x.example\")",
            ),
            (SuppressionKind::Domain, "d.example", "@SUM(1+1)"),
        ]
        .into_iter()
        .map(|(kind, value, reason)| SuppressionEntry {
            kind,
            value: value.into(),
            reason: reason.into(),
            added_at: at,
        })
        .collect();
        let csv = to_csv(&entries);
        assert!(csv.starts_with("kind,value,reason,added_at\n"));
        // No cell a spreadsheet would run: every formula start is quoted,
        // but a plain E.164 number (which calls nothing) reads as itself.
        for row in csv::Reader::from_reader(csv.as_bytes()).records() {
            for cell in row.unwrap().iter() {
                let number = cell
                    .strip_prefix('+')
                    .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
                assert!(
                    !cell.starts_with(FORMULA_START) || number,
                    "{cell:?} is a formula"
                );
            }
        }
        assert!(csv.contains(",+16025550100,") && csv.contains("'=HYPERLINK"));
        assert_eq!(spreadsheet_safe("+1 602 555"), "'+1 602 555");
        assert_eq!(spreadsheet_safe("+1+cmd"), "'+1+cmd");
        let f = read_list(&csv);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.ignored_columns, vec!["added_at".to_string()]);
        let back: Vec<(SuppressionKind, String, Option<String>)> = f
            .entries
            .into_iter()
            .map(|e| (e.kind, e.value, e.reason))
            .collect();
        let want: Vec<(SuppressionKind, String, Option<String>)> = entries
            .iter()
            .map(|e| {
                (
                    e.kind,
                    e.value.clone(),
                    Some(e.reason.clone()).filter(|r| !r.is_empty()),
                )
            })
            .collect();
        assert_eq!(back, want);
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
