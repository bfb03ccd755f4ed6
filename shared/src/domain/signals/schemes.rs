//! The webhook signature schemes of Twilio, Retell and Calendly, and
//! HeyReach's URL secret (it signs nothing), each compared in constant
//! time. Mailgun's is in `signature`. Vectors come from the providers'
//! SDK tests (see PROVIDERS.md); Calendly publishes none.

use super::signature::SignatureError;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the auth
/// token, over the full public URL followed by every POST parameter
/// sorted by name, name then value. Twilio signs no timestamp (replays
/// are caught by its event ids, not here).
pub fn sign_twilio(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Verifies a form-encoded Twilio webhook. Twilio may have signed the URL
/// with or without the default port, so both are tried (as its SDKs do).
pub fn verify_twilio(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> Result<(), SignatureError> {
    if auth_token.is_empty() {
        return Err(SignatureError::NoKey);
    }
    if signature.is_empty() {
        return Err(SignatureError::Missing("X-Twilio-Signature"));
    }
    let matches = url_variants(url)
        .iter()
        .any(|u| ct_eq(&sign_twilio(auth_token, u, params), signature));
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Verifies a Twilio webhook with a JSON body: the URL carries
/// `bodySHA256=<hex sha256 of the body>`, which must match the body, and
/// the signature is over the URL alone.
pub fn verify_twilio_json(
    auth_token: &str,
    url: &str,
    body: &[u8],
    signature: &str,
) -> Result<(), SignatureError> {
    let given = url
        .split_once('?')
        .map(|(_, q)| q)
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("bodySHA256="))
        .ok_or(SignatureError::Missing("bodySHA256"))?;
    let actual = hex::encode(Sha256::digest(body));
    if !ct_eq(&actual, &given.to_ascii_lowercase()) {
        return Err(SignatureError::Mismatch);
    }
    verify_twilio(auth_token, url, &[], signature)
}

/// The URL as given, and with its scheme's default port added or removed.
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let port = match scheme {
        "https" => ":443",
        "http" => ":80",
        _ => return out,
    };
    let (host, path) = rest
        .find(['/', '?'])
        .map_or((rest, ""), |i| rest.split_at(i));
    if let Some(bare) = host.strip_suffix(port) {
        out.push(format!("{scheme}://{bare}{path}"));
    } else if !host.contains(':') {
        out.push(format!("{scheme}://{host}{port}{path}"));
    }
    out
}

/// Retell's `x-retell-signature: v=<unix ms>,d=<hex>`: HMAC-SHA256, keyed
/// with the API key, over the raw body followed by the timestamp.
pub fn sign_retell(api_key: &str, body: &[u8], timestamp_ms: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(api_key.as_bytes()).expect("any key");
    mac.update(body);
    mac.update(timestamp_ms.to_string().as_bytes());
    format!(
        "v={timestamp_ms},d={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Verifies a Retell webhook, and that it was signed within `tolerance_ms`.
pub fn verify_retell(
    api_key: &str,
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
    tolerance_ms: i64,
) -> Result<(), SignatureError> {
    if api_key.is_empty() {
        return Err(SignatureError::NoKey);
    }
    let v = field(header, "v").ok_or(SignatureError::Missing("v"))?;
    let d = field(header, "d").ok_or(SignatureError::Missing("d"))?;
    let ts: i64 = v
        .parse()
        .map_err(|_| SignatureError::BadTimestamp(v.to_string()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(api_key.as_bytes()).expect("any key");
    mac.update(body);
    mac.update(v.as_bytes());
    let expected = hex::decode(d).map_err(|_| SignatureError::Mismatch)?;
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)?;
    if (now.timestamp_millis() - ts).abs() > tolerance_ms {
        return Err(SignatureError::Stale {
            timestamp: ts / 1000,
            tolerance_secs: tolerance_ms / 1000,
        });
    }
    Ok(())
}

/// Calendly's `Calendly-Webhook-Signature: t=<unix s>,v1=<hex>`:
/// HMAC-SHA256, keyed with the subscription's signing key, over
/// `t + "." + body`.
pub fn sign_calendly(signing_key: &str, body: &[u8], timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_key.as_bytes()).expect("any key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Verifies a Calendly webhook, and that it was signed within
/// `tolerance_secs` (Calendly names none; 180 s is common).
pub fn verify_calendly(
    signing_key: &str,
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    if signing_key.is_empty() {
        return Err(SignatureError::NoKey);
    }
    let t = field(header, "t").ok_or(SignatureError::Missing("t"))?;
    let v1 = field(header, "v1").ok_or(SignatureError::Missing("v1"))?;
    let ts: i64 = t
        .parse()
        .map_err(|_| SignatureError::BadTimestamp(t.to_string()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_key.as_bytes()).expect("any key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected = hex::decode(v1).map_err(|_| SignatureError::Mismatch)?;
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)?;
    if (now.timestamp() - ts).abs() > tolerance_secs {
        return Err(SignatureError::Stale {
            timestamp: ts,
            tolerance_secs,
        });
    }
    Ok(())
}

/// HeyReach signs nothing: the webhook URL carries a per-tenant secret.
/// Any of the tenant's current secrets (two while one is rotated) opens it.
pub fn verify_url_secret(presented: &str, current: &[&str]) -> Result<(), SignatureError> {
    if current.iter().all(|s| s.is_empty()) {
        return Err(SignatureError::NoKey);
    }
    if presented.is_empty() {
        return Err(SignatureError::Missing("secret"));
    }
    let mut ok = false;
    for s in current.iter().filter(|s| !s.is_empty()) {
        // Every secret is compared, so the time says nothing of which.
        ok |= ct_eq(presented, s);
    }
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// `name=value` out of a comma-separated signature header.
fn field<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(',')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn twilio_form_vector_from_its_sdk() {
        // twilio-python request_validator tests.
        assert_eq!(
            sign_twilio("12345", TWILIO_URL, &params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        let mut shuffled = params();
        shuffled.reverse();
        assert_eq!(
            verify_twilio(
                "12345",
                TWILIO_URL,
                &shuffled,
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="
            ),
            Ok(())
        );
        // Signed with the port, received without it, and the other way.
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        let sig = sign_twilio("12345", with_port, &params());
        assert_eq!(verify_twilio("12345", TWILIO_URL, &params(), &sig), Ok(()));
        assert_eq!(
            verify_twilio(
                "12345",
                with_port,
                &params(),
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="
            ),
            Ok(())
        );
    }

    #[test]
    fn twilio_json_vector_from_its_sdk() {
        let body = br#"{"property": "value", "boolean": true}"#;
        assert_eq!(
            hex::encode(Sha256::digest(body)),
            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        let url = format!(
            "{TWILIO_URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        assert_eq!(
            verify_twilio_json("12345", &url, body, "a9nBmqA0ju/hNViExpshrM61xv4="),
            Ok(())
        );
        // The body changed after signing: its digest no longer matches.
        assert_eq!(
            verify_twilio_json("12345", &url, b"{}", "a9nBmqA0ju/hNViExpshrM61xv4="),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn twilio_refuses_a_changed_parameter_url_or_key() {
        let good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        let mut changed = params();
        changed[2].1 = "1235".into();
        for (token, url, p) in [
            ("12345", TWILIO_URL, changed),
            (
                "12345",
                "https://mycompany.com/other.php?foo=1&bar=2",
                params(),
            ),
            ("54321", TWILIO_URL, params()),
        ] {
            assert_eq!(
                verify_twilio(token, url, &p, good),
                Err(SignatureError::Mismatch)
            );
        }
        assert_eq!(
            verify_twilio("12345", TWILIO_URL, &params(), ""),
            Err(SignatureError::Missing("X-Twilio-Signature"))
        );
        assert_eq!(
            verify_twilio("", TWILIO_URL, &params(), good),
            Err(SignatureError::NoKey)
        );
    }

    fn at_ms(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    #[test]
    fn retell_vector_from_its_sdk_and_its_tolerance() {
        // retell-typescript-sdk webhook_auth test.
        let body = br#"{"event":"call_ended"}"#;
        let header = sign_retell("test-api-key", body, 1_700_000_000_000);
        assert_eq!(
            header,
            "v=1700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e"
        );
        let now = at_ms(1_700_000_000_000 + 299_000);
        assert_eq!(
            verify_retell("test-api-key", body, &header, now, 300_000),
            Ok(())
        );
        assert!(matches!(
            verify_retell(
                "test-api-key",
                body,
                &header,
                at_ms(1_700_000_301_000),
                300_000
            ),
            Err(SignatureError::Stale { .. })
        ));
        assert_eq!(
            verify_retell(
                "test-api-key",
                br#"{"event":"call_started"}"#,
                &header,
                now,
                300_000
            ),
            Err(SignatureError::Mismatch)
        );
        // A timestamp moved forward breaks the signature.
        let moved = header.replace("v=1700000000000", "v=1700000100000");
        assert_eq!(
            verify_retell("test-api-key", body, &moved, now, 300_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_retell("test-api-key", body, "d=00", now, 300_000),
            Err(SignatureError::Missing("v"))
        );
    }

    #[test]
    fn calendly_signs_time_dot_body_within_its_tolerance() {
        let body = br#"{"event":"invitee.created"}"#;
        let header = sign_calendly("whsec", body, 1_700_000_000);
        let now = DateTime::from_timestamp(1_700_000_100, 0).unwrap();
        assert_eq!(verify_calendly("whsec", body, &header, now, 180), Ok(()));
        // The same HMAC computed by hand over "t.body".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec").unwrap();
        mac.update(b"1700000000.");
        mac.update(body);
        assert!(header.ends_with(&hex::encode(mac.finalize().into_bytes())));
        let late = DateTime::from_timestamp(1_700_000_181, 0).unwrap();
        assert!(matches!(
            verify_calendly("whsec", body, &header, late, 180),
            Err(SignatureError::Stale { .. })
        ));
        assert_eq!(
            verify_calendly("other", body, &header, now, 180),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_url_secret_opens_with_either_current_secret_only() {
        assert_eq!(verify_url_secret("s-new", &["s-old", "s-new"]), Ok(()));
        assert_eq!(verify_url_secret("s-old", &["s-old", ""]), Ok(()));
        assert_eq!(
            verify_url_secret("s-ol", &["s-old"]),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_url_secret("", &["s-old"]),
            Err(SignatureError::Missing("secret"))
        );
        assert_eq!(verify_url_secret("x", &[""]), Err(SignatureError::NoKey));
    }

    proptest! {
        #[test]
        fn signature_headers_of_any_bytes_never_panic(
            header in any::<String>(), body in any::<Vec<u8>>(), url in any::<String>(),
        ) {
            let now = at_ms(1_700_000_000_000);
            let _ = verify_retell("k", &body, &header, now, 300_000);
            let _ = verify_calendly("k", &body, &header, now, 180);
            let _ = verify_twilio("k", &url, &[], &header);
            let _ = verify_twilio_json("k", &url, &body, &header);
            let _ = verify_url_secret(&header, &["k"]);
        }
    }
}
