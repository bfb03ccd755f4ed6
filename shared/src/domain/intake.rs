//! Lead intake from CSV: header mapping by common column names, per-row
//! validation that names line, field and reason, and the dedup key.

use super::ids::{LeadId, TenantId};
use super::lead::{Lead, LeadStatus};
use super::suppression::{canonical_domain, canonical_email, canonical_phone};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Read;

/// A lead field a CSV column can map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Email,
    FirstName,
    LastName,
    FullName,
    Title,
    Seniority,
    EmailStatus,
    Company,
    Website,
    Phone,
    Linkedin,
    City,
    State,
    Country,
    Industry,
    Employees,
    Rating,
    Reviews,
    Gbp,
    ResponseRate,
    HqTimezone,
    Notes,
}

pub(super) fn field_for(header: &str) -> Option<Field> {
    let h: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    Some(match h.as_str() {
        "email" | "emailaddress" | "workemail" | "mail" => Field::Email,
        "firstname" | "first" | "givenname" => Field::FirstName,
        "lastname" | "last" | "surname" | "familyname" => Field::LastName,
        "name" | "fullname" | "contactname" => Field::FullName,
        "title" | "jobtitle" | "position" | "role" => Field::Title,
        "seniority" | "level" => Field::Seniority,
        "emailstatus" | "emailverification" | "emailverified" => Field::EmailStatus,
        "company" | "companyname" | "organization" | "organisation" | "account" | "business"
        | "businessname" => Field::Company,
        "website" | "url" | "domain" | "companywebsite" | "companydomain" => Field::Website,
        "phone" | "phonenumber" | "mobile" | "directphone" | "telephone" => Field::Phone,
        "linkedin" | "linkedinurl" | "linkedinprofile" | "personlinkedinurl" => Field::Linkedin,
        "city" | "town" => Field::City,
        "state" | "region" | "province" | "stateprovince" => Field::State,
        "country" | "countrycode" => Field::Country,
        "industry" | "category" | "vertical" => Field::Industry,
        "employees" | "employeecount" | "companysize" | "headcount" | "numberofemployees" => {
            Field::Employees
        }
        "rating" | "googlerating" | "totalscore" | "reviewscore" => Field::Rating,
        "reviews" | "reviewcount" | "reviewscount" | "numberofreviews" => Field::Reviews,
        "gbp" | "gbpclaimed" | "claimed" | "hasgbp" | "claimedprofile" => Field::Gbp,
        "reviewresponserate" | "responserate" => Field::ResponseRate,
        "timezone" | "hqtimezone" | "tz" => Field::HqTimezone,
        "notes" | "note" | "tech" | "technologies" => Field::Notes,
        _ => return None,
    })
}

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Default, Serialize)]
pub struct ParsedCsv {
    pub leads: Vec<(u64, Lead)>,
    pub errors: Vec<RowError>,
    pub unmapped_columns: Vec<String>,
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The dedup key: canonical email, else company domain + phone, else (for
/// a Google Places record) its place id.
pub fn dedup_key(lead: &Lead) -> Option<String> {
    if let Some(e) = lead.email.as_deref() {
        return Some(format!("email:{e}"));
    }
    match (
        lead.company_domain.as_deref(),
        lead.phone.as_deref(),
        lead.place_id.as_deref(),
    ) {
        (Some(d), Some(p), _) => Some(format!("domain-phone:{d}|{p}")),
        (_, _, Some(place)) => Some(format!("place:{place}")),
        _ => None,
    }
}

/// Turns CRLF into LF while streaming. The csv crate's line numbers drift on
/// CRLF files, and a row error must name the line a person sees.
pub struct CrlfToLf<R> {
    inner: R,
    pending_cr: bool,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
}

impl<R: Read> CrlfToLf<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            pending_cr: false,
            raw: vec![0; 64 * 1024],
            out: Vec::with_capacity(64 * 1024),
            pos: 0,
        }
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            self.out.clear();
            self.pos = 0;
            let got = self.inner.read(&mut self.raw)?;
            if got == 0 {
                if std::mem::take(&mut self.pending_cr) {
                    self.out.push(b'\r');
                    continue;
                }
                return Ok(0);
            }
            for &b in &self.raw[..got] {
                if std::mem::take(&mut self.pending_cr) && b != b'\n' {
                    self.out.push(b'\r');
                }
                if b == b'\r' {
                    self.pending_cr = true;
                } else {
                    self.out.push(b);
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// One parsed row: its line and the lead, or why it was refused.
pub type RowResult = Result<(u64, Lead), RowError>;

/// A streaming CSV reader of leads: one row in memory at a time, so a file of
/// any length imports in bounded memory. Bad rows come out as `RowError`s
/// (line, field, reason) and the next row is read as usual.
pub struct CsvLeads<R: Read> {
    reader: csv::Reader<CrlfToLf<R>>,
    mapping: Vec<Option<Field>>,
    unmapped: Vec<String>,
    record: csv::StringRecord,
    done: bool,
    tenant: TenantId,
    source: String,
    now: DateTime<Utc>,
}

impl<R: Read> CsvLeads<R> {
    /// Reads the header row. Fails only when there is no readable header.
    pub fn new(
        tenant: &TenantId,
        input: R,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, csv::Error> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(CrlfToLf::new(input));
        let headers = reader.headers()?.clone();
        let mut unmapped = Vec::new();
        let mapping = headers
            .iter()
            .map(|h| {
                let f = field_for(h);
                if f.is_none() && !h.trim().is_empty() {
                    unmapped.push(h.trim_start_matches('\u{feff}').to_string());
                }
                f
            })
            .collect();
        Ok(Self {
            reader,
            mapping,
            unmapped,
            record: csv::StringRecord::new(),
            done: false,
            tenant: tenant.clone(),
            source: source.to_string(),
            now,
        })
    }

    /// Header columns that map to no lead field (reported, not fatal).
    pub fn unmapped_columns(&self) -> &[String] {
        &self.unmapped
    }

    /// True when no column maps to an identity field: every row would fail.
    pub fn has_identity_column(&self) -> bool {
        self.mapping.iter().flatten().any(|f| {
            matches!(
                f,
                Field::Email | Field::Website | Field::Phone | Field::Linkedin
            )
        })
    }
}

impl<R: Read> Iterator for CsvLeads<R> {
    type Item = RowResult;

    fn next(&mut self) -> Option<RowResult> {
        if self.done {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    // The input itself failed: report it once and stop.
                    self.done = true;
                    return Some(Err(RowError {
                        line,
                        field: "-".into(),
                        reason: format!("input could not be read: {e}"),
                    }));
                }
                Some(Err(RowError {
                    line,
                    field: "-".into(),
                    reason: format!("unreadable row: {e}"),
                }))
            }
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Some(
                    lead_from_record(
                        &self.tenant,
                        &self.mapping,
                        &self.record,
                        &self.source,
                        self.now,
                    )
                    .map(|lead| (line, lead))
                    .map_err(|(field, reason)| RowError {
                        line,
                        field,
                        reason,
                    }),
                )
            }
        }
    }
}

/// Parses a whole CSV of leads in memory (small uploads and tests). Bad rows
/// are reported and skipped; the rest import.
pub fn parse_csv(
    tenant: &TenantId,
    input: impl Read,
    source: &str,
    now: DateTime<Utc>,
) -> Result<ParsedCsv, csv::Error> {
    let mut rows = CsvLeads::new(tenant, input, source, now)?;
    let mut out = ParsedCsv::default();
    for row in rows.by_ref() {
        match row {
            Ok(lead) => out.leads.push(lead),
            Err(e) => out.errors.push(e),
        }
    }
    out.unmapped_columns = rows.unmapped_columns().to_vec();
    Ok(out)
}

pub(super) fn lead_from_record(
    tenant: &TenantId,
    mapping: &[Option<Field>],
    record: &csv::StringRecord,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Lead, (String, String)> {
    let mut lead = Lead {
        tenant: tenant.to_string(),
        status: LeadStatus::New,
        source: source.to_string(),
        created_at: now,
        updated_at: now,
        ..Default::default()
    };
    let bad = |f: &str, r: String| Err((f.to_string(), r));
    for (value, field) in record.iter().zip(mapping) {
        let Some(field) = field else { continue };
        let Some(v) = non_empty(value) else { continue };
        match field {
            Field::Email => match canonical_email(&v) {
                Some(e) => lead.email = Some(e),
                None => return bad("email", format!("\"{v}\" is not an email address")),
            },
            Field::FirstName => lead.first_name = Some(v),
            Field::LastName => lead.last_name = Some(v),
            Field::FullName => {
                let mut parts = v.splitn(2, ' ');
                lead.first_name = lead.first_name.take().or(parts.next().map(str::to_string));
                lead.last_name = lead.last_name.take().or(parts.next().map(str::to_string));
            }
            Field::Title => lead.title = Some(v),
            Field::Seniority => lead.seniority = Some(v.to_lowercase()),
            Field::EmailStatus => lead.email_status = Some(v.to_lowercase()),
            Field::Company => lead.company = Some(v),
            Field::Website => {
                lead.company_domain = canonical_domain(&v);
                lead.website = Some(v);
            }
            Field::Phone => match canonical_phone(&v) {
                Some(p) => lead.phone = Some(p),
                None => return bad("phone", format!("\"{v}\" is not a phone number")),
            },
            Field::Linkedin => lead.linkedin_url = Some(v),
            Field::City => lead.city = Some(v),
            Field::State => lead.state = Some(v),
            Field::Country => lead.country = Some(v),
            Field::Industry => lead.industry = Some(v),
            Field::Employees => match v.replace(',', "").parse::<u32>() {
                Ok(n) => lead.employees = Some(n),
                Err(_) => return bad("employees", format!("\"{v}\" is not a whole number")),
            },
            Field::Rating => match v.parse::<f64>() {
                Ok(r) if (0.0..=5.0).contains(&r) => lead.rating = Some(r),
                _ => return bad("rating", format!("\"{v}\" is not a rating between 0 and 5")),
            },
            Field::Reviews => match v.replace(',', "").parse::<u32>() {
                Ok(n) => lead.reviews = Some(n),
                Err(_) => return bad("reviews", format!("\"{v}\" is not a whole number")),
            },
            Field::Gbp => match v.to_lowercase().as_str() {
                "yes" | "y" | "true" | "1" | "claimed" => lead.has_gbp = Some(true),
                "no" | "n" | "false" | "0" | "unclaimed" => lead.has_gbp = Some(false),
                _ => return bad("gbp", format!("\"{v}\" is not yes/no")),
            },
            Field::ResponseRate => match v.trim_end_matches('%').parse::<f64>() {
                Ok(r) => lead.review_response_rate = Some(if r > 1.0 { r / 100.0 } else { r }),
                Err(_) => return bad("review_response_rate", format!("\"{v}\" is not a rate")),
            },
            Field::HqTimezone => lead.hq_timezone = Some(v),
            Field::Notes => lead.notes = Some(v),
        }
    }
    if lead.company_domain.is_none() {
        lead.company_domain = lead
            .email
            .as_deref()
            .and_then(super::suppression::email_domain)
            .map(str::to_string);
    }
    let Some(key) = dedup_key(&lead) else {
        return bad(
            "email",
            "no email, and no website + phone to identify the lead".into(),
        );
    };
    lead.id = LeadId::from_dedup_key(tenant, &key).to_string();
    Ok(lead)
}

/// Merges a re-imported lead into the stored one: every non-empty incoming
/// field wins (newer data), empty ones keep what was there. Returns the
/// names of the fields that changed.
pub fn merge(existing: &mut Lead, incoming: &Lead) -> Vec<&'static str> {
    let mut changed = Vec::new();
    macro_rules! take {
        ($($f:ident),*) => {$(
            if incoming.$f.is_some() && incoming.$f != existing.$f {
                existing.$f = incoming.$f.clone();
                changed.push(stringify!($f));
            }
        )*};
    }
    take!(
        email,
        first_name,
        last_name,
        title,
        seniority,
        email_status,
        company,
        website,
        company_domain,
        phone,
        linkedin_url,
        city,
        state,
        country,
        industry,
        employees,
        rating,
        reviews,
        has_gbp,
        review_response_rate,
        hq_timezone,
        notes,
        place_id
    );
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    #[test]
    fn maps_common_headers_and_reports_bad_rows_with_line_and_field() {
        let csv = "\u{feff}First Name,Email Address,Company,Phone,Rating\r\nJo,JO@Dealer.example,Desert Motors,602-555-0100,3.6\r\nAl,not-an-email,X,,\r\nBo,bo@y.example,Y,,9.5\r\n,,Z,,\r\n";
        let t = TenantId::parse("acme").unwrap();
        let parsed = parse_csv(&t, csv.as_bytes(), "test.csv", now()).unwrap();
        assert_eq!(parsed.leads.len(), 1);
        let lead = &parsed.leads[0].1;
        assert_eq!(lead.email.as_deref(), Some("jo@dealer.example"));
        assert_eq!(lead.phone.as_deref(), Some("+16025550100"));
        assert_eq!(
            parsed
                .errors
                .iter()
                .map(|e| (e.line, e.field.as_str()))
                .collect::<Vec<_>>(),
            vec![(3, "email"), (4, "rating"), (5, "email")]
        );
    }

    #[test]
    fn same_person_gets_the_same_id_and_merge_keeps_non_empty_fields() {
        let t = TenantId::parse("acme").unwrap();
        let a = parse_csv(
            &t,
            "email,title\njo@x.example,Owner\n".as_bytes(),
            "a",
            now(),
        )
        .unwrap();
        let b = parse_csv(
            &t,
            "email,city\n Jo@X.example ,Mesa\n".as_bytes(),
            "b",
            now(),
        )
        .unwrap();
        let mut first = a.leads[0].1.clone();
        let second = &b.leads[0].1;
        assert_eq!(first.id, second.id);
        let changed = merge(&mut first, second);
        assert_eq!(changed, vec!["city"]);
        assert_eq!(first.title.as_deref(), Some("Owner"));
    }
}
