//! Erasure on request (GDPR art. 17, CCPA deletion): who a request names,
//! the keyed hashes that stand in for an erased person's email and numbers
//! on the suppression list (so no later import or prospecting run brings
//! them back), and the scrubbing of free text that mentions them.
//!
//! A hash is HMAC-SHA256 over `erasure`, the tenant, the kind and the
//! canonical value, hex. Keyed, because an email or a phone number has so
//! little entropy that a plain hash of one is read back by trying them all;
//! per tenant, because each tenant's list is its own (the same person erased
//! by one client is no business of another's). Only the person's own
//! numbers are hashed, never a company switchboard: colleagues share it,
//! and erasing one person must not refuse every colleague at the next import.
//! Nor is the company domain suppressed: the rest of the company did not ask.

use super::enrichment::EnrichmentPatch;
use super::suppression::{canonical_email, canonical_phone_in, SuppressionKind};
use crate::domain::lead::Lead;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use std::sync::Arc;

/// Why an erased person's hashed entries are on the list, and why an
/// import refuses their rows.
pub const ERASED_REASON: &str = "erased on request";
/// What replaces a mention of an erased person in text that is kept.
pub const ERASED_TEXT: &str = "[erased]";
/// Hex characters of a hash that name an erasure in its audit row and
/// report: enough to tell erasures apart, never enough to test guesses
/// against (and useless without the key anyway).
pub const REFERENCE_LEN: usize = 12;
/// The shortest mention scrubbed from text: shorter strings would match
/// words that are not the person.
const MIN_MENTION: usize = 5;

/// The secret the hashes are keyed with: the deployment's, never written
/// to the table. Changing it makes every earlier erasure unrecognisable.
#[derive(Clone)]
pub struct ErasureKey(Arc<[u8]>);

impl ErasureKey {
    /// None for an empty secret (an unset variable must not key anything).
    pub fn new(secret: &str) -> Option<Self> {
        (!secret.is_empty()).then(|| Self(Arc::from(secret.as_bytes())))
    }

    /// The keyed hash of one canonical identifier of a person in `tenant`.
    pub fn hash(&self, tenant: &str, kind: IdentifierKind, canonical: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("hmac accepts any key");
        // Newline-separated: no tenant id, kind or canonical value holds
        // one, so two different triples never give the same message; the
        // `erasure` label keeps these apart from anything else the same key
        // signs (unsubscribe links).
        mac.update(format!("erasure\n{tenant}\n{}\n{canonical}", kind.as_str()).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for ErasureKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ErasureKey(..)")
    }
}

/// The kinds of identifier an erased person is recognised by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierKind {
    Email,
    Phone,
}

impl IdentifierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Email => "email",
            IdentifierKind::Phone => "phone",
        }
    }
}

/// A field of an erasure request that is not what it should be; the value
/// is not repeated (it is the data being erased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadIdentifier {
    pub field: &'static str,
    pub reason: String,
}

/// The identifiers of one person: canonical emails and E.164 numbers of
/// their own. A request names one of each at most; the leads it finds may
/// add more (a lead found by the email may hold the person's mobile).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub emails: Vec<String>,
    pub phones: Vec<String>,
}

impl Person {
    /// From a request's raw values; national numbers are read in `country`
    /// (the tenant's default), as the suppression list reads them.
    pub fn from_request(
        email: Option<&str>,
        phone: Option<&str>,
        country: Option<&str>,
    ) -> Result<Self, BadIdentifier> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let mut person = Person::default();
        if let Some(e) = given(email) {
            person.emails.push(canonical_email(e).ok_or(BadIdentifier {
                field: "email",
                reason: "is not a valid email address".into(),
            })?);
        }
        if let Some(p) = given(phone) {
            person.phones.push(
                canonical_phone_in(p, country).ok_or(BadIdentifier {
                    field: "phone",
                    reason:
                        "is not a valid phone number (E.164, or national in the tenant's country)"
                            .into(),
                })?,
            );
        }
        Ok(person)
    }

    /// The person a lead is: its email and its own numbers (not the
    /// company's switchboard).
    pub fn of_lead(lead: &Lead) -> Self {
        Self::of_contact(
            lead.email.as_deref(),
            [lead.phone.as_deref(), lead.mobile_phone.as_deref()],
        )
    }

    /// As `of_lead`, from the contact fields alone.
    pub fn of_contact(email: Option<&str>, phones: [Option<&str>; 2]) -> Self {
        let mut person = Person::default();
        person.emails.extend(email.and_then(canonical_email));
        for p in phones.into_iter().flatten() {
            if let Some(p) = canonical_phone_in(p, None) {
                if !person.phones.contains(&p) {
                    person.phones.push(p);
                }
            }
        }
        person
    }

    /// The person a provider's answer matched: the email and number
    /// `apply_patch` would store (national numbers read in `country`, the
    /// lead's).
    pub fn of_patch(patch: &EnrichmentPatch, country: Option<&str>) -> Self {
        let mut person = Person::default();
        person
            .emails
            .extend(patch.email.as_deref().and_then(canonical_email));
        person.phones.extend(
            patch
                .phone
                .as_deref()
                .and_then(|p| canonical_phone_in(p, country)),
        );
        person
    }

    pub fn is_empty(&self) -> bool {
        self.emails.is_empty() && self.phones.is_empty()
    }

    /// Adds `other`'s identifiers; true if any was new.
    pub fn absorb(&mut self, other: &Person) -> bool {
        let mut grew = false;
        for (mine, theirs) in [
            (&mut self.emails, &other.emails),
            (&mut self.phones, &other.phones),
        ] {
            for v in theirs {
                if !mine.contains(v) {
                    mine.push(v.clone());
                    grew = true;
                }
            }
        }
        grew
    }

    /// Does `other` (a lead's person) share an identifier with this one?
    pub fn overlaps(&self, other: &Person) -> bool {
        other.emails.iter().any(|e| self.emails.contains(e))
            || other.phones.iter().any(|p| self.phones.contains(p))
    }

    /// Every identifier, with its kind.
    pub fn identifiers(&self) -> impl Iterator<Item = (IdentifierKind, &str)> {
        let emails = self
            .emails
            .iter()
            .map(|e| (IdentifierKind::Email, e.as_str()));
        let phones = self
            .phones
            .iter()
            .map(|p| (IdentifierKind::Phone, p.as_str()));
        emails.chain(phones)
    }

    /// The keyed hash of every identifier, in order (emails first).
    pub fn hashes(&self, key: &ErasureKey, tenant: &str) -> Vec<String> {
        self.identifiers()
            .map(|(kind, v)| key.hash(tenant, kind, v))
            .collect()
    }

    /// The suppression entries that hold these identifiers in clear.
    pub fn clear_entries(&self) -> Vec<(SuppressionKind, String)> {
        self.identifiers()
            .map(|(kind, v)| {
                let kind = match kind {
                    IdentifierKind::Email => SuppressionKind::Email,
                    IdentifierKind::Phone => SuppressionKind::Phone,
                };
                (kind, v.to_string())
            })
            .collect()
    }

    /// The campaign claims (`email#...`, `phone#...`) on these identifiers.
    pub fn reach_keys(&self) -> Vec<String> {
        self.identifiers()
            .map(|(kind, v)| format!("{}#{v}", kind.as_str()))
            .collect()
    }
}

/// What an erasure request names: the person's identifiers (canonical),
/// leads by id (their identifiers are added), and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureRequest {
    pub person: Person,
    pub lead_ids: Vec<String>,
    pub reason: String,
}

/// The first characters of a hash: how an erasure is named.
pub fn reference(hash: &str) -> &str {
    &hash[..hash.len().min(REFERENCE_LEN)]
}

/// The identifier of `lead` (the field it is in, and its hash) that is
/// among `erased`, the hashes on the tenant's list: why its row is refused.
pub fn erased_field(
    key: &ErasureKey,
    tenant: &str,
    lead: &Lead,
    erased: impl Fn(&str) -> bool,
) -> Option<&'static str> {
    Person::of_lead(lead)
        .identifiers()
        .find(|(kind, v)| erased(&key.hash(tenant, *kind, v)))
        .map(|(kind, _)| kind.as_str())
}

/// Takes what a provider's answer says of the person it matched out of
/// it (email, number, title, seniority, LinkedIn), leaving what it says of
/// the company: for an answer that matched a person erased on request.
/// Returns the fields taken out.
pub fn forget_person(patch: &mut EnrichmentPatch) -> Vec<&'static str> {
    let mut taken = Vec::new();
    for (slot, name) in [
        (&mut patch.email, "email"),
        (&mut patch.email_status, "email_status"),
        (&mut patch.phone, "phone"),
        (&mut patch.title, "title"),
        (&mut patch.seniority, "seniority"),
        (&mut patch.linkedin_url, "linkedin_url"),
    ] {
        if slot.take().is_some() {
            taken.push(name);
        }
    }
    taken
}

/// Mentions of an erased person in free text (an audit row's detail, an
/// operator's reason), found ASCII-case-insensitively and replaced.
#[derive(Debug, Clone, Default)]
pub struct Mentions {
    needles: Vec<String>,
}

impl Mentions {
    /// The person's emails, numbers (E.164 and its bare digits), the full
    /// name on each of their leads, and the leads' ids (a lead id is an
    /// unkeyed hash of the person's email).
    pub fn new(person: &Person, leads: &[Lead]) -> Self {
        let mut needles: Vec<String> = person.emails.clone();
        for p in &person.phones {
            needles.push(p.clone());
            needles.push(p.trim_start_matches('+').to_string());
        }
        for l in leads {
            needles.push(l.id.clone());
            if let (Some(first), Some(last)) = (&l.first_name, &l.last_name) {
                needles.push(format!("{} {}", first.trim(), last.trim()));
            }
        }
        needles.retain(|n| n.len() >= MIN_MENTION);
        // Longest first, so a number's E.164 form is replaced before its
        // digits alone would leave the `+` behind.
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        needles.dedup();
        Self { needles }
    }

    /// `text` with every mention replaced by `[erased]`; None when it
    /// mentions none.
    pub fn scrub(&self, text: &str) -> Option<String> {
        let mut out = text.to_string();
        let mut changed = false;
        for needle in &self.needles {
            while let Some(at) = find_ascii_ci(&out, needle) {
                out.replace_range(at..at + needle.len(), ERASED_TEXT);
                changed = true;
            }
        }
        changed.then_some(out)
    }
}

/// Byte offset of `needle` in `hay`, ASCII letters compared without case
/// (other bytes exactly, so a match starts and ends on char boundaries).
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ErasureKey {
        ErasureKey::new("a-deployment-secret-of-some-length").unwrap()
    }

    #[test]
    fn a_hash_is_keyed_per_tenant_kind_and_value() {
        let k = key();
        let h = k.hash("acme", IdentifierKind::Email, "jo@x.example");
        // GIVEN the same value THEN the same hash (a later import matches)
        assert_eq!(h, k.hash("acme", IdentifierKind::Email, "jo@x.example"));
        assert_eq!(h.len(), 64);
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        // AND another tenant, kind, value or key gives another hash
        assert_ne!(h, k.hash("other", IdentifierKind::Email, "jo@x.example"));
        assert_ne!(h, k.hash("acme", IdentifierKind::Phone, "jo@x.example"));
        assert_ne!(h, k.hash("acme", IdentifierKind::Email, "jo@y.example"));
        let other_key = ErasureKey::new("another-secret").unwrap();
        assert_ne!(
            h,
            other_key.hash("acme", IdentifierKind::Email, "jo@x.example")
        );
        // AND it is not the plain SHA-256 of the value (which anyone could
        // compute from a guess)
        use sha2::Digest;
        assert_ne!(h, hex::encode(sha2::Sha256::digest(b"jo@x.example")));
        assert_eq!(reference(&h), &h[..12]);
    }

    #[test]
    fn an_empty_secret_keys_nothing_and_a_key_never_prints() {
        assert!(ErasureKey::new("").is_none());
        assert_eq!(format!("{:?}", key()), "ErasureKey(..)");
    }

    #[test]
    fn a_request_is_read_canonically_and_a_bad_field_is_named_without_its_value() {
        let p = Person::from_request(Some(" Jo@X.Example "), Some("(602) 555-0100"), None).unwrap();
        assert_eq!(p.emails, vec!["jo@x.example"]);
        assert_eq!(p.phones, vec!["+16025550100"]);
        let gb = Person::from_request(None, Some("020 7946 0958"), Some("GB")).unwrap();
        assert_eq!(gb.phones, vec!["+442079460958"]);
        assert!(Person::from_request(Some(""), Some("  "), None)
            .unwrap()
            .is_empty());
        let bad = Person::from_request(Some("not-an-email"), None, None).unwrap_err();
        assert_eq!(bad.field, "email");
        assert!(!bad.reason.contains("not-an-email"));
        let bad = Person::from_request(Some("a@b.example"), Some("555"), None).unwrap_err();
        assert_eq!(bad.field, "phone");
    }

    #[test]
    fn a_lead_is_its_email_and_own_numbers_never_the_switchboard() {
        let lead = Lead {
            email: Some("Jo@X.example".into()),
            phone: Some("+16025550100".into()),
            mobile_phone: Some("+16025550101".into()),
            company_phone: Some("+16025550199".into()),
            ..Default::default()
        };
        let p = Person::of_lead(&lead);
        assert_eq!(p.emails, vec!["jo@x.example"]);
        assert_eq!(p.phones, vec!["+16025550100", "+16025550101"]);
        assert_eq!(
            p.reach_keys(),
            vec![
                "email#jo@x.example",
                "phone#+16025550100",
                "phone#+16025550101"
            ]
        );
        // A colleague sharing only the switchboard is not the person.
        let colleague = Person::of_lead(&Lead {
            email: Some("sam@x.example".into()),
            company_phone: Some("+16025550199".into()),
            ..Default::default()
        });
        assert!(!p.overlaps(&colleague));
        let mut grown = Person::from_request(Some("jo@x.example"), None, None).unwrap();
        assert!(grown.overlaps(&p));
        assert!(grown.absorb(&p));
        assert!(!grown.absorb(&p));
        assert_eq!(grown, p);
    }

    #[test]
    fn a_lead_is_refused_by_the_field_whose_hash_is_listed() {
        let k = key();
        let listed = [k.hash("acme", IdentifierKind::Phone, "+16025550101")];
        let lead = Lead {
            email: Some("new@x.example".into()),
            mobile_phone: Some("+1 602 555 0101".into()),
            company_phone: Some("+16025550101".into()),
            ..Default::default()
        };
        let on_list = |h: &str| listed.iter().any(|l| l == h);
        assert_eq!(erased_field(&k, "acme", &lead, on_list), Some("phone"));
        // The same number as a switchboard only does not refuse.
        let switchboard = Lead {
            mobile_phone: None,
            ..lead.clone()
        };
        assert_eq!(erased_field(&k, "acme", &switchboard, on_list), None);
        // Nor does the same person in another tenant.
        assert_eq!(erased_field(&k, "other", &lead, on_list), None);
    }

    #[test]
    fn a_providers_answer_is_read_as_stored_and_forgets_the_person_not_the_company() {
        let mut patch = EnrichmentPatch {
            email: Some("Jo@X.example".into()),
            email_status: Some("verified".into()),
            phone: Some("020 7946 0958".into()),
            title: Some("Owner".into()),
            company: Some("X Ltd".into()),
            employees: Some(12),
            ..Default::default()
        };
        let p = Person::of_patch(&patch, Some("GB"));
        assert_eq!(p.emails, vec!["jo@x.example"]);
        assert_eq!(p.phones, vec!["+442079460958"]);
        assert_eq!(
            forget_person(&mut patch),
            vec!["email", "email_status", "phone", "title"]
        );
        assert!(Person::of_patch(&patch, Some("GB")).is_empty());
        assert_eq!(
            (patch.company.as_deref(), patch.employees),
            (Some("X Ltd"), Some(12))
        );
    }

    #[test]
    fn mentions_are_scrubbed_in_any_case_and_text_without_them_is_left() {
        let person =
            Person::from_request(Some("jo@x.example"), Some("+16025550100"), None).unwrap();
        let lead = Lead {
            id: "0123456789abcdef0123".into(),
            first_name: Some("Zebulon".into()),
            last_name: Some("Quaxworth".into()),
            ..Default::default()
        };
        let m = Mentions::new(&person, &[lead]);
        assert_eq!(
            m.scrub("suppress email JO@X.example").as_deref(),
            Some("suppress email [erased]")
        );
        assert_eq!(
            m.scrub("phone +16025550100, also 16025550100").as_deref(),
            Some("phone [erased], also [erased]")
        );
        assert_eq!(
            m.scrub("lead 0123456789abcdef0123 is zebulon quaxworth")
                .as_deref(),
            Some("lead [erased] is [erased]")
        );
        assert_eq!(m.scrub("batch 42 with 3 drafts"), None);
        assert_eq!(m.scrub("naïve text, no match"), None);
    }
}
