//! The one HTTPS stack of a process: rustls on the ring crypto provider,
//! trusting the Mozilla root certificates compiled into the binary. The
//! roots and the TLS configuration are built once, on first use, and shared;
//! each adapter and the SDK config hold their own client on top of them,
//! made once at a function's cold start.
//!
//! The clients themselves are not process-wide: a pooled connection belongs
//! to the async runtime that opened it, and a client shared across runtimes
//! (one per test, or a runtime rebuilt after a panic) fails its next request
//! with "dispatch task is gone" once the first runtime is dropped.
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

/// The compiled-in roots the store accepted, for a TLS client that takes
/// certificates rather than a `ClientConfig` (the SMTP sender's lettre).
pub fn root_certificates() -> &'static [&'static CertificateDer<'static>] {
    &roots().certs
}

fn tls_config() -> Result<rustls::ClientConfig> {
    static CONFIG: OnceLock<rustls::ClientConfig> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let built = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls: {e}")))?
        .with_root_certificates(roots().store.clone())
        .with_no_client_auth();
    Ok(CONFIG.get_or_init(|| built).clone())
}

/// A `reqwest::Client` for a provider adapter, on the process's one TLS
/// configuration. An adapter makes it once and keeps it (and its pool) for
/// the life of the process. It has no overall timeout: each adapter sets
/// its own on every request (`RequestBuilder::timeout`).
pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| Error::Config(format!("http client: {e}")))
}

/// The HTTP client for every AWS SDK config: the SDK's own client (hyper 1,
/// rustls 0.23) on the same crypto provider and roots as `client()`. The SDK
/// keeps its own connection pool, timeouts and error classification, and
/// builds its TLS configuration from these roots at its first request.
/// `sdk_config` calls it once per cold start.
pub fn sdk_client() -> SharedHttpClient {
    let trust = TrustStore::empty().with_pem_certificate(roots_pem());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context is only a trust store, which always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The accepted roots as one PEM bundle, the form the SDK's trust store
/// takes; encoded once per process.
fn roots_pem() -> &'static [u8] {
    static PEM: OnceLock<Vec<u8>> = OnceLock::new();
    PEM.get_or_init(|| {
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
    })
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
        let decoded = CertificateDer::pem_slice_iter(pem)
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

    #[test]
    fn a_client_made_in_one_runtime_is_not_handed_to_the_next() {
        // GIVEN a keep-alive HTTP server that outlives every runtime and
        // answers every request after the first one slowly
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            use std::io::{BufRead, BufReader, Write};
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut out = stream;
                    let (mut line, mut served) = (String::new(), 0);
                    while reader.read_line(&mut line).unwrap_or(0) > 0 {
                        if line == "\r\n" {
                            if served > 0 {
                                std::thread::sleep(std::time::Duration::from_millis(400));
                            }
                            served += 1;
                            let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if out.write_all(ok).is_err() {
                                return;
                            }
                        }
                        line.clear();
                    }
                });
            }
        });
        let runtime = || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap()
        };
        let call = |url: String| async move {
            // as a cold start does: the client is made where it is used
            let http = client().unwrap();
            http.get(&url).send().await?.text().await
        };
        // WHEN one runtime (one test of a binary) calls the host and leaves
        // its connection idle
        let first = runtime();
        assert_eq!(first.block_on(call(url.clone())).unwrap(), "ok");
        // AND another runtime calls the same host while the first one is
        // dropped before the answer comes
        let second = runtime();
        let pending = second.spawn(call(url.clone()));
        std::thread::sleep(std::time::Duration::from_millis(100));
        drop(first);
        // THEN the second call was on a connection of its own, which the
        // first runtime's end did not take down
        let answer = second.block_on(pending).unwrap();
        assert_eq!(answer.unwrap(), "ok");
    }
}
