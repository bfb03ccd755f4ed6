//! Operators' credentials: stored only as an Argon2id PHC string (salted,
//! memory-hard; the RustCrypto `argon2` crate, not hand-written), checked
//! in constant time by the crate. A password too short or too common is
//! refused with the reason.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// At least this many characters (NIST SP 800-63B's floor for a
/// memorised secret chosen by the person is 8; 12 for an operator who can
/// pause a tenant's sending).
pub const MIN_LEN: usize = 12;

/// Passwords refused whatever their length: the most common ones and
/// the product's own words.
const COMMON: [&str; 8] = [
    "password1234",
    "123456789012",
    "qwertyuiop12",
    "letmein12345",
    "outbound1234",
    "administrator",
    "passwordpassword",
    "changemechangeme",
];

/// Why a new password is refused.
pub fn problem(password: &str, login: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Some(format!("at least {MIN_LEN} characters ({chars} given)"));
    }
    if chars > 256 {
        return Some("at most 256 characters".into());
    }
    let folded = password.to_lowercase();
    if COMMON.contains(&folded.as_str()) {
        return Some("a commonly used password".into());
    }
    if !login.is_empty() && folded.contains(&login.to_lowercase()) {
        return Some("it contains the login".into());
    }
    None
}

/// The PHC string to store for `password`.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

/// Does `password` match the stored `phc` string? A malformed hash never
/// matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_stored_salted_and_only_its_own_text_matches() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted: one password, two hashes");
        assert!(!a.contains("correct"), "the text is not in the hash");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterY", &a));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert!(problem("short", "sam").unwrap().contains("at least 12"));
        assert!(problem("Password1234", "sam").unwrap().contains("common"));
        assert!(problem("sam-is-the-best-1", "sam")
            .unwrap()
            .contains("login"));
        assert_eq!(problem("correct horse battery", "sam"), None);
    }
}
