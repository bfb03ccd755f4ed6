//! Validated identifiers: a tenant id, a lead id and attempt ids can't be
//! malformed once built, and lead ids are stable for the same dedup key.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A tenant (client) id: 2-40 chars of `[a-z0-9-]`, so it can sit inside a
/// DynamoDB key (`T#<tenant>#...`) without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl TenantId {
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let err = |reason| InvalidId {
            kind: "tenant id",
            value: value.to_string(),
            reason,
        };
        if value.len() < 2 || value.len() > 40 {
            return Err(err("must be 2-40 characters"));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err("only a-z, 0-9 and '-' are allowed"));
        }
        Ok(Self(value.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<TenantId> for String {
    fn from(value: TenantId) -> Self {
        value.0
    }
}
impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A lead id: 20 lowercase hex chars derived from the tenant and the lead's
/// dedup key, so re-importing the same person yields the same id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LeadId(String);

impl LeadId {
    pub fn from_dedup_key(tenant: &TenantId, dedup_key: &str) -> Self {
        let digest = Sha256::digest(format!("{}\n{}", tenant.as_str(), dedup_key).as_bytes());
        Self(hex::encode(&digest[..10]))
    }
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        if value.len() == 20
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(value.to_string()))
        } else {
            Err(InvalidId {
                kind: "lead id",
                value: value.to_string(),
                reason: "must be 20 lowercase hex characters",
            })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Stable 64-bit hash, used for sharding and deterministic jitter.
    pub fn hash64(&self) -> u64 {
        u64::from_str_radix(&self.0[..16], 16).unwrap_or(0)
    }
}
impl TryFrom<String> for LeadId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<LeadId> for String {
    fn from(value: LeadId) -> Self {
        value.0
    }
}
impl fmt::Display for LeadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Short hex digest of arbitrary text (fingerprints, preview hashes).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_validated() {
        assert!(TenantId::parse("acme-1").is_ok());
        assert!(TenantId::parse("A").is_err());
        assert!(TenantId::parse("has#hash").is_err());
        assert!(TenantId::parse("UPPER").is_err());
    }

    #[test]
    fn lead_ids_are_stable_and_tenant_scoped() {
        let a = TenantId::parse("acme").unwrap();
        let b = TenantId::parse("beta").unwrap();
        let x = LeadId::from_dedup_key(&a, "email:jo@x.com");
        assert_eq!(x, LeadId::from_dedup_key(&a, "email:jo@x.com"));
        assert_ne!(x, LeadId::from_dedup_key(&b, "email:jo@x.com"));
        assert!(LeadId::parse(x.as_str()).is_ok());
    }
}
