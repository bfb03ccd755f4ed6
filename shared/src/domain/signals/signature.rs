//! Webhook signature schemes, verified in constant time and rejected when
//! stale. Mailgun: hex HMAC-SHA256 over `timestamp || token`.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is missing field `{0}`")]
    Missing(&'static str),
    #[error("signature does not match")]
    Mismatch,
    #[error("timestamp {timestamp} is outside the {tolerance_secs}s tolerance")]
    Stale { timestamp: i64, tolerance_secs: i64 },
    #[error("timestamp `{0}` is not a unix time")]
    BadTimestamp(String),
    #[error("no signing key is configured")]
    NoKey,
}

/// Verifies a Mailgun webhook signature: `signature` must be the hex
/// HMAC-SHA256 of `timestamp` followed by `token`, keyed with the webhook
/// signing key, and `timestamp` within `tolerance_secs` of `now`.
pub fn verify_mailgun(
    signing_key: &str,
    timestamp: &str,
    token: &str,
    signature_hex: &str,
    now: DateTime<Utc>,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    if signing_key.is_empty() {
        return Err(SignatureError::NoKey);
    }
    if timestamp.is_empty() {
        return Err(SignatureError::Missing("timestamp"));
    }
    if token.is_empty() {
        return Err(SignatureError::Missing("token"));
    }
    let expected = hex::decode(signature_hex).map_err(|_| SignatureError::Mismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_key.as_bytes())
        .map_err(|_| SignatureError::NoKey)?;
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)?;
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp(timestamp.to_string()))?;
    if (now.timestamp() - ts).abs() > tolerance_secs {
        return Err(SignatureError::Stale {
            timestamp: ts,
            tolerance_secs,
        });
    }
    Ok(())
}

/// Signs like Mailgun does: for tests, the demo and local tooling.
pub fn sign_mailgun(signing_key: &str, timestamp: &str, token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signing_key.as_bytes()).expect("hmac accepts any key");
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// HMAC-SHA256 tag for links we issue (unsubscribe tokens).
pub fn sign_link(key: &str, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("hmac accepts any key");
    mac.update(payload.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

pub fn verify_link(key: &str, payload: &str, tag_hex: &str) -> bool {
    let Ok(tag) = hex::decode(tag_hex) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("hmac accepts any key");
    mac.update(payload.as_bytes());
    mac.verify_truncated_left(&tag).is_ok() && tag.len() == 16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn accepts_a_fresh_valid_signature() {
        let sig = sign_mailgun("key-1", "1700000000", "tok");
        assert_eq!(
            verify_mailgun("key-1", "1700000000", "tok", &sig, now(), 300),
            Ok(())
        );
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key="key", msg="The quick brown fox jumps over the lazy dog")
        let sig = sign_mailgun("key", "The quick brown fox ", "jumps over the lazy dog");
        assert_eq!(
            sig,
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn rejects_forged_tampered_and_stale() {
        let sig = sign_mailgun("key-1", "1700000000", "tok");
        assert_eq!(
            verify_mailgun("other", "1700000000", "tok", &sig, now(), 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_mailgun("key-1", "1700000000", "tok2", &sig, now(), 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_mailgun("key-1", "1700000000", "tok", "zz", now(), 300),
            Err(SignatureError::Mismatch)
        );
        let old = sign_mailgun("key-1", "1699990000", "tok");
        assert!(matches!(
            verify_mailgun("key-1", "1699990000", "tok", &old, now(), 300),
            Err(SignatureError::Stale { .. })
        ));
    }

    #[test]
    fn link_tags_round_trip() {
        let tag = sign_link("k", "acme/lead");
        assert!(verify_link("k", "acme/lead", &tag));
        assert!(!verify_link("k", "acme/other", &tag));
        assert!(!verify_link("k", "acme/lead", "00"));
    }
}
