//! The one HTTPS stack of a process: rustls on the ring crypto provider,
//! trusting the Mozilla root certificates compiled into the binary. The
//! roots, the provider adapters' `reqwest::Client` and the AWS SDK's HTTP
//! client are each built once, on first use, and shared.
//!
//! The roots are compiled in rather than read from the platform store: a
//! cold start reads no certificate files (the platform loader opens every
//! file in the CA directory, once per client), and a laptop trusts the same
//! set as Lambda. The price is that a root added or revoked upstream reaches
//! the binaries with a `webpki-root-certs` update, not an OS update.

use crate::error::{Error, Result};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use base64::Engine;
use rustls::pki_types::CertificateDer;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long a provider adapter waits for a connection (TCP and TLS) before
/// the attempt fails and may be retried. A host that takes longer is as
/// good as down; each adapter's own timeout still bounds the whole request.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The roots every connection is verified against, parsed once.
struct Roots {
    store: Arc<rustls::RootCertStore>,
    /// The certificates the store accepted, for the SDK's TLS context,
    /// which takes certificates rather than a built store.
    certs: Vec<&'static CertificateDer<'static>>,
}

fn roots() -> &'static Roots {
    static ROOTS: OnceLock<Roots> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut store = rustls::RootCertStore::empty();
        let mut certs = Vec::new();
        for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
            match store.add(cert.clone()) {
                Ok(()) => certs.push(cert),
                Err(e) => tracing::warn!(error = %e, "compiled-in root certificate skipped"),
            }
        }
        Roots {
            store: Arc::new(store),
            certs,
        }
    })
}

fn tls_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls: {e}")))?
        .with_root_certificates(roots().store.clone())
        .with_no_client_auth())
}

/// The `reqwest::Client` every provider adapter shares: one connection pool
/// and one TLS configuration per process. A clone is a cheap handle on the
/// same client. It has no overall timeout: each adapter sets its own on
/// every request (`RequestBuilder::timeout`).
pub fn client() -> Result<reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    let built = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| Error::Config(format!("http client: {e}")))?;
    Ok(CLIENT.get_or_init(|| built).clone())
}

/// The HTTP client for every AWS SDK config: the SDK's own client (hyper 1,
/// rustls 0.23) on the same crypto provider and roots as `client()`. The SDK
/// keeps its own connection pool, timeouts and error classification, and
/// builds its TLS configuration from these roots at its first request.
pub fn sdk_client() -> SharedHttpClient {
    static SDK_CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    SDK_CLIENT
        .get_or_init(|| {
            let trust = TrustStore::empty().with_pem_certificate(roots_pem());
            let context = TlsContext::builder()
                .with_trust_store(trust)
                .build()
                .expect("a TLS context is only a trust store, which always builds");
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::rustls(CryptoMode::Ring))
                .tls_context(context)
                .build_https()
        })
        .clone()
}

/// The accepted roots as one PEM bundle, the form the SDK's trust store takes.
fn roots_pem() -> Vec<u8> {
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut pem = Vec::new();
    for cert in &roots().certs {
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in base64.encode(cert.as_ref()).as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    pem
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    #[test]
    fn every_compiled_in_root_is_trusted() {
        // GIVEN the roots shipped in the binary
        let shipped = webpki_root_certs::TLS_SERVER_ROOT_CERTS.len();
        // WHEN the store is built
        let roots = roots();
        // THEN none was refused, and there are as many as a browser trusts
        assert_eq!(roots.store.len(), shipped);
        assert_eq!(roots.certs.len(), shipped);
        assert!(shipped > 100, "only {shipped} roots");
    }

    #[test]
    fn the_sdk_is_handed_the_same_roots() {
        // WHEN the roots are encoded for the SDK's trust store
        let pem = roots_pem();
        // THEN they decode to exactly the certificates the store accepted
        let decoded = CertificateDer::pem_slice_iter(&pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap();
        let accepted: Vec<_> = roots().certs.iter().map(|c| (*c).clone()).collect();
        assert_eq!(decoded, accepted);
    }

    #[test]
    fn reqwest_takes_the_preconfigured_tls() {
        // An unrecognised preconfigured backend (a rustls of another version
        // than reqwest's) fails here rather than on the first request.
        client().unwrap();
        sdk_client();
    }
}
