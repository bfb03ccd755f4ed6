//! Console sessions: a signed, expiring token carried in a cookie
//! (HttpOnly, Secure, SameSite=Strict) and revocable through its session
//! id, which the store keeps; and the CSRF token every form carries,
//! derived from the session, so a form posted from elsewhere (or without
//! it) is refused. HMAC-SHA256 with the deployment's session key; every
//! comparison in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The session cookie's name: `__Host-` makes the browser refuse it from
/// anything but this host, over HTTPS, for the whole path.
pub const COOKIE: &str = "__Host-outbound_session";
/// The shortest session key accepted (bytes).
pub const MIN_KEY: usize = 32;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub tenant: String,
    pub login: String,
    /// The store's record of the session: revoking it ends the session.
    pub session_id: String,
    pub expires: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session key is shorter than {MIN_KEY} bytes")]
    WeakKey,
    #[error("not a session token")]
    Malformed,
    #[error("the session token's signature does not match")]
    BadSignature,
    #[error("the session expired")]
    Expired,
}

fn mac(key: &[u8], parts: &[&str]) -> Result<Vec<u8>, SessionError> {
    if key.len() < MIN_KEY {
        return Err(SessionError::WeakKey);
    }
    let mut m = Hmac::<Sha256>::new_from_slice(key).map_err(|_| SessionError::WeakKey)?;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            m.update(b"|");
        }
        m.update(p.as_bytes());
    }
    Ok(m.finalize().into_bytes().to_vec())
}

/// A token for `claims`, signed with `key`.
pub fn issue(key: &[u8], claims: &Claims) -> Result<String, SessionError> {
    let tenant = B64.encode(&claims.tenant);
    let login = B64.encode(&claims.login);
    let expires = claims.expires.timestamp().to_string();
    let sig = mac(key, &["v1", &tenant, &login, &claims.session_id, &expires])?;
    Ok(format!(
        "v1.{tenant}.{login}.{}.{expires}.{}",
        claims.session_id,
        B64.encode(sig)
    ))
}

/// The claims of `token` if it is ours, untouched and not expired at
/// `now`. (Whether its session was revoked is the store's answer.)
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<Claims, SessionError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [v, tenant, login, sid, expires, sig] = parts[..] else {
        return Err(SessionError::Malformed);
    };
    if v != "v1" || sid.is_empty() || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SessionError::Malformed);
    }
    let want = mac(key, &[v, tenant, login, sid, expires])?;
    let given = B64.decode(sig).map_err(|_| SessionError::Malformed)?;
    if !bool::from(want.ct_eq(&given)) {
        return Err(SessionError::BadSignature);
    }
    let text = |s: &str| {
        B64.decode(s)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(SessionError::Malformed)
    };
    let expires = expires
        .parse::<i64>()
        .ok()
        .and_then(|t| Utc.timestamp_opt(t, 0).single())
        .ok_or(SessionError::Malformed)?;
    if expires <= now {
        return Err(SessionError::Expired);
    }
    Ok(Claims {
        tenant: text(tenant)?,
        login: text(login)?,
        session_id: sid.to_string(),
        expires,
    })
}

/// The CSRF token of a session: every form of the session carries it.
pub fn csrf_token(key: &[u8], session_id: &str) -> Result<String, SessionError> {
    Ok(B64.encode(mac(key, &["csrf", session_id])?))
}

/// Does a posted form's token belong to this session?
pub fn csrf_ok(key: &[u8], session_id: &str, presented: &str) -> bool {
    csrf_token(key, session_id)
        .map(|want| {
            want.len() == presented.len() && bool::from(want.as_bytes().ct_eq(presented.as_bytes()))
        })
        .unwrap_or(false)
}

/// The `Set-Cookie` value that starts a session.
pub fn set_cookie(token: &str, max_age_secs: i64) -> String {
    format!("{COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict")
}

/// The `Set-Cookie` value that ends it in the browser.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The session token in a `Cookie` header, if any.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a-session-key-of-at-least-32-bytes!!";

    fn claims() -> Claims {
        Claims {
            tenant: "acme".into(),
            login: "sam@acme".into(),
            session_id: "s0123456789abcdef".into(),
            expires: "2026-12-01T20:00:00Z".parse().unwrap(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_token_round_trips_and_anything_changed_in_it_is_refused() {
        let t = issue(KEY, &claims()).unwrap();
        assert_eq!(verify(KEY, &t, now()).unwrap(), claims());
        // Another tenant, login, session or expiry: the signature no longer holds.
        let parts: Vec<&str> = t.split('.').collect();
        for i in 1..=4 {
            let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            p[i] = match i {
                1 => B64.encode("globex"),
                2 => B64.encode("admin@globex"),
                3 => "s0000000000000000".into(),
                _ => "4102444800".into(),
            };
            assert_eq!(
                verify(KEY, &p.join("."), now()),
                Err(SessionError::BadSignature),
                "part {i}"
            );
        }
        assert_eq!(
            verify(b"another-session-key-of-32-bytes-or-more", &t, now()),
            Err(SessionError::BadSignature)
        );
        assert_eq!(
            verify(KEY, &t, claims().expires),
            Err(SessionError::Expired)
        );
        assert_eq!(verify(KEY, "v1.x.y", now()), Err(SessionError::Malformed));
        assert_eq!(issue(b"short", &claims()), Err(SessionError::WeakKey));
    }

    #[test]
    fn the_csrf_token_is_the_sessions_own() {
        let token = csrf_token(KEY, "s1").unwrap();
        assert!(csrf_ok(KEY, "s1", &token));
        assert!(!csrf_ok(KEY, "s2", &token), "another session's token");
        assert!(!csrf_ok(KEY, "s1", ""), "no token");
    }

    #[test]
    fn the_cookie_is_http_only_secure_strict_and_read_back() {
        let c = set_cookie("v1.a.b.c.1.sig", 28_800);
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=28800",
        ] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
        assert_eq!(
            from_cookie_header("theme=dark; __Host-outbound_session=v1.a.b.c.1.sig; x=1"),
            Some("v1.a.b.c.1.sig")
        );
        assert_eq!(from_cookie_header("__Host-outbound_session="), None);
    }
}
