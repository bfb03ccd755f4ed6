//! The one HTTP and TLS stack of a process: reqwest on rustls with the ring
//! crypto provider, trusting the Mozilla root certificates compiled into
//! the binary. The provider adapters and the AWS SDK all send through
//! reqwest, so each binary carries a single hyper, a single rustls and a
//! single crypto library. The TLS configuration (roots included) is built
//! once, on first use, and shared; each adapter and each SDK config hold
//! their own client on top of it, made once at a function's cold start.
//!
//! The clients themselves are not process-wide: a pooled connection belongs
//! to the async runtime that opened it, and a client shared across runtimes
//! (one per test, or a runtime rebuilt after a panic) fails its next request
//! with "dispatch task is gone" once the first runtime is dropped.
//!
//! The roots are compiled in, as trust anchors, rather than read from the
//! platform store: a cold start reads and parses no certificate files (the
//! platform loader opens every file in the CA directory, once per client),
//! and a laptop trusts the same set as Lambda. The price is that a root
//! added or revoked upstream reaches the binaries with a `webpki-roots`
//! update, not an OS update.

use crate::error::{Error, Result};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use rustls::pki_types::CertificateDer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// How long a provider adapter waits for a connection (TCP and TLS) before
/// the attempt fails and may be retried. A host that takes longer is as
/// good as down; each adapter's own timeout still bounds the whole request.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The compiled-in roots as certificates, for a TLS client that takes
/// certificates rather than a `ClientConfig` (the SMTP sender's lettre,
/// which parses them into its own store when it connects). Same Mozilla
/// set as the trust anchors of `tls_config`; nothing reads it at a cold
/// start, and a binary that sends no SMTP links none of it.
pub fn root_certificates() -> &'static [CertificateDer<'static>] {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
}

/// The TLS configuration every client of the process is built from: the
/// roots are copied out of the binary once, and no certificate is parsed.
fn tls_config() -> Result<rustls::ClientConfig> {
    static CONFIG: OnceLock<rustls::ClientConfig> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let roots: rustls::RootCertStore = webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let built = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls: {e}")))?
        .with_root_certificates(roots)
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

/// An HTTP client for AWS SDK configs: requests go out through reqwest on
/// the same TLS configuration as `client()`. Each distinct set of SDK
/// connector settings (connect and read timeouts) gets its own reqwest
/// client, built when an SDK client first asks for it and kept by this
/// `SharedHttpClient` only: a new call gives new connections, as for
/// `client()`. `sdk_config` calls it once per cold start.
pub fn sdk_client() -> SharedHttpClient {
    SharedHttpClient::new(SdkHttpClient::default())
}

type Timeouts = (Option<Duration>, Option<Duration>);

#[derive(Debug, Default)]
struct SdkHttpClient {
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

impl HttpClient for SdkHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        connectors
            .entry(timeouts)
            .or_insert_with(|| SharedHttpConnector::new(SdkConnector::new(timeouts)))
            .clone()
    }
}

/// A reqwest client as the SDK's connector. It follows no redirects, so the
/// SDK sees every response as the service sent it. A client that could not
/// be built fails each request with the reason.
#[derive(Debug)]
struct SdkConnector {
    http: std::result::Result<reqwest::Client, String>,
}

impl SdkConnector {
    fn new((connect, read): Timeouts) -> Self {
        let build = || -> Result<reqwest::Client> {
            let mut builder = reqwest::Client::builder()
                .tls_backend_preconfigured(tls_config()?)
                .redirect(reqwest::redirect::Policy::none());
            if let Some(connect) = connect {
                builder = builder.connect_timeout(connect);
            }
            if let Some(read) = read {
                builder = builder.read_timeout(read);
            }
            builder
                .build()
                .map_err(|e| Error::Config(format!("http client: {e}")))
        };
        Self {
            http: build().map_err(|e| e.to_string()),
        }
    }
}

impl HttpConnector for SdkConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let http = match &self.http {
            Ok(http) => http.clone(),
            Err(e) => {
                return HttpConnectorFuture::ready(Err(ConnectorError::user(e.clone().into())))
            }
        };
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        HttpConnectorFuture::new(async move {
            let (parts, body) = request.into_parts();
            // The SDK's requests to DynamoDB, SQS and EventBridge are in
            // memory; anything streamed is passed on as a stream.
            let body = match body.bytes() {
                Some(bytes) => reqwest::Body::from(bytes.to_vec()),
                None => reqwest::Body::wrap(body),
            };
            let response = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(connector_error)?;
            let response: http::Response<reqwest::Body> = response.into();
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// How the SDK's retry policy sees a failed send: a timeout or a broken
/// connection is worth retrying, a request reqwest could not build is not.
fn connector_error(e: reqwest::Error) -> ConnectorError {
    if e.is_timeout() {
        ConnectorError::timeout(e.into())
    } else if e.is_builder() {
        ConnectorError::user(e.into())
    } else {
        ConnectorError::io(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{header, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[test]
    fn every_compiled_in_root_is_trusted() {
        // GIVEN the roots shipped in the binary
        let shipped = webpki_roots::TLS_SERVER_ROOTS.len();
        // WHEN the TLS configuration is built
        client().unwrap();
        // THEN there are as many as a browser trusts
        assert!(shipped > 100, "only {shipped} roots");
    }

    #[test]
    fn smtp_is_handed_the_same_roots_as_https() {
        // GIVEN the certificates lettre is given and the trust anchors of
        // the HTTPS stack, two crates cut from one Mozilla list
        let anchors = &webpki_roots::TLS_SERVER_ROOTS;
        // WHEN each certificate is reduced to its trust anchor
        let from_certs: Vec<_> = root_certificates()
            .iter()
            .map(|c| {
                webpki::anchor_from_trusted_cert(c)
                    .unwrap()
                    .subject
                    .to_vec()
            })
            .collect();
        // THEN both name the same roots, in number and by subject
        assert_eq!(from_certs.len(), anchors.len());
        for anchor in anchors.iter() {
            assert!(from_certs.contains(&anchor.subject.to_vec()));
        }
    }

    #[test]
    fn reqwest_takes_the_preconfigured_tls() {
        // An unrecognised preconfigured backend (a rustls of another version
        // than reqwest's) fails here rather than on the first request.
        client().unwrap();
        SdkConnector::new((Some(Duration::from_secs(1)), None))
            .http
            .unwrap();
    }

    #[tokio::test]
    async fn the_sdk_round_trips_through_reqwest() {
        // GIVEN a DynamoDB endpoint that answers one GetItem
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(header("x-amz-target", "DynamoDB_20120810.GetItem"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/x-amz-json-1.0")
                    .set_body_string(r#"{"Item":{"pk":{"S":"a"}}}"#),
            )
            .expect(1)
            .mount(&server)
            .await;
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "a", "b", None, None, "test",
            ))
            .endpoint_url(server.uri())
            .http_client(sdk_client())
            .build();
        // WHEN the SDK reads the item
        let out = aws_sdk_dynamodb::Client::from_conf(config)
            .get_item()
            .table_name("t")
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("a".into()))
            .send()
            .await
            .unwrap();
        // THEN the request went out signed and the answer came back parsed
        let item = out.item.unwrap();
        assert_eq!(item["pk"].as_s().unwrap(), "a");
        let sent = &server.received_requests().await.unwrap()[0];
        assert!(sent.headers.contains_key("authorization"));
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_io_error_the_sdk_retries() {
        // GIVEN nothing listening on the endpoint's port
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "a", "b", None, None, "test",
            ))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .http_client(sdk_client())
            .build();
        // WHEN the SDK sends
        let err = aws_sdk_dynamodb::Client::from_conf(config)
            .list_tables()
            .send()
            .await
            .unwrap_err();
        // THEN it is a dispatch failure of the I/O kind
        match err {
            aws_sdk_dynamodb::error::SdkError::DispatchFailure(failure) => {
                assert!(failure.is_io(), "{failure:?}")
            }
            other => panic!("not a dispatch failure: {other:?}"),
        }
    }

    /// A keep-alive HTTP server on its own threads, outliving every runtime:
    /// it answers each request with `body`, every one after the first of a
    /// connection slowly. Returns its URL.
    fn keep_alive_server(content_type: &'static str, body: &'static str) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            use std::io::{BufRead, BufReader, Read, Write};
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut out = stream;
                    let (mut line, mut served, mut length) = (String::new(), 0, 0);
                    while reader.read_line(&mut line).unwrap_or(0) > 0 {
                        let lower = line.to_ascii_lowercase();
                        if let Some(n) = lower.strip_prefix("content-length:") {
                            length = n.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            let mut request_body = vec![0; length];
                            if reader.read_exact(&mut request_body).is_err() {
                                return;
                            }
                            length = 0;
                            if served > 0 {
                                std::thread::sleep(std::time::Duration::from_millis(400));
                            }
                            served += 1;
                            let ok = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n\
                                 content-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if out.write_all(ok.as_bytes()).is_err() {
                                return;
                            }
                        }
                        line.clear();
                    }
                });
            }
        });
        url
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_client_made_in_one_runtime_is_not_handed_to_the_next() {
        // GIVEN a keep-alive HTTP server that outlives every runtime and
        // answers every request after the first one slowly
        let url = keep_alive_server("text/plain", "ok");
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

    #[test]
    fn an_sdk_client_made_in_one_runtime_is_not_handed_to_the_next() {
        // GIVEN a keep-alive DynamoDB endpoint that outlives every runtime
        // and answers every request after the first one slowly
        let url = keep_alive_server("application/x-amz-json-1.0", r#"{"TableNames":["t"]}"#);
        let call = |url: String| async move {
            // as a cold start does: the SDK config gets a client of its own
            let config = aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "a", "b", None, None, "test",
                ))
                .endpoint_url(url)
                // a retry would hide a connection that died with its runtime
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                .http_client(sdk_client())
                .build();
            aws_sdk_dynamodb::Client::from_conf(config)
                .list_tables()
                .send()
                .await
                .map(|out| out.table_names.unwrap_or_default())
        };
        // WHEN one runtime calls the endpoint and leaves its connection idle
        let first = runtime();
        assert_eq!(first.block_on(call(url.clone())).unwrap(), ["t"]);
        // AND another runtime calls it while the first one is dropped
        // before the answer comes
        let second = runtime();
        let pending = second.spawn(call(url.clone()));
        std::thread::sleep(std::time::Duration::from_millis(100));
        drop(first);
        // THEN the second call was on a connection of its own
        let answer = second.block_on(pending).unwrap();
        assert_eq!(answer.unwrap(), ["t"]);
    }
}
