//! `POST /admin/erasures`: erases a person on request (GDPR art. 17, CCPA
//! deletion) and answers with what was erased, in counts only.
//!
//! The body names the person: `{"email": ..., "phone": ..., "lead_id": ...,
//! "reason": ...}`, at least one of the first three. See
//! `Store::erase_person` for what is deleted, what is scrubbed and what
//! stays (keyed hashes on the suppression list, so a later import or
//! prospecting run refuses the person).

use crate::App;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::domain::ids::LeadId;
use shared::domain::targeting::erasure::{ErasureKey, ErasureRequest, Person};
use shared::error::{Error, Result};
use shared::store::Store;

/// What an erasure does not reach, told to the operator with its report.
const NOT_REACHED: &str = "Erased from this tenant's table. Not reached: copies at providers \
(Mailgun, Twilio, Retell, HeyReach, enrichment APIs), log lines, table backups until they \
expire, and webhook events about the person that named no lead of theirs (kept 90 days).";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    lead_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

impl App {
    /// The key erased people are hashed with: the store's (`ERASURE_KEY`,
    /// else `LINK_SIGNING_KEY`, as every function reads it), else the
    /// unsubscribe links' key this function is given (the same secret).
    pub(crate) fn erasure_key(&self) -> Result<ErasureKey> {
        self.store
            .erasure_key()
            .cloned()
            .or_else(|| ErasureKey::new(&self.links.signing_key))
            .ok_or_else(|| Error::Config("no ERASURE_KEY or LINK_SIGNING_KEY is set".into()))
    }

    /// The store, keyed to recognise erased people (an import refuses them).
    pub(crate) fn keyed_store(&self) -> Store {
        match (self.store.erasure_key(), self.erasure_key()) {
            (None, Ok(key)) => self.store.clone().with_erasure_key(key),
            _ => self.store.clone(),
        }
    }

    /// `POST /admin/erasures`.
    pub(crate) async fn erase(
        &self,
        tenant: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        if body.trim().is_empty() {
            return Err(Error::invalid(
                "body",
                "empty: send {\"email\": ..., \"phone\": ..., \"reason\": ...} (an email, a phone or a lead_id at least)",
            ));
        }
        let b: Body =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(body))
                .map_err(|e| {
                    let field = match e.path().to_string() {
                        p if p == "." => "body".to_string(),
                        p => p,
                    };
                    Error::invalid(field, e.into_inner().to_string())
                })?;
        let country = self.default_country(tenant).await?;
        let person =
            Person::from_request(b.email.as_deref(), b.phone.as_deref(), country.as_deref())
                .map_err(|e| Error::invalid(e.field, e.reason))?;
        let lead_ids = match b
            .lead_id
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            None => vec![],
            Some(id) => vec![LeadId::parse(id)
                .map_err(|_| Error::invalid("lead_id", "is not a lead id (20 hex characters)"))?
                .to_string()],
        };
        if person.is_empty() && lead_ids.is_empty() {
            return Err(Error::invalid(
                "email",
                "name the person: an email, a phone or a lead_id is required",
            ));
        }
        let request = ErasureRequest {
            person,
            lead_ids,
            reason: b.reason.unwrap_or_else(|| "requested by the person".into()),
        };
        let report = self
            .store
            .erase_person(
                tenant,
                &request,
                &self.erasure_key()?,
                &crate::console::actor(),
                now,
            )
            .await?;
        Ok((
            200,
            json!({"erasure": report, "items": report.items(), "note": NOT_REACHED}),
        ))
    }
}
