//! A loopback HTTP/1.1 server that stands in for API Gateway (HTTP API,
//! payload format 2.0) in front of a handler: each request becomes the
//! `ApiGatewayV2httpRequest` API Gateway would send the Lambda, and the
//! `ApiGatewayV2httpResponse` the handler returns is written back as API
//! Gateway would write it. A browser, curl or a test's HTTP client can then
//! use the admin function (or any handler) over real HTTP, locally.
//!
//! Built on the hyper 1 that reqwest already brings (one HTTP stack per
//! binary, see the root Cargo.toml); there is no routing here: every
//! request goes to the one handler, as with a `$default` route.

use crate::runner::LocalStack;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue, Method};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine as _;
use futures::future::BoxFuture;
use futures::FutureExt as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// What answers every request: an API Gateway v2 request in, its response out.
pub type Handler = Arc<
    dyn Fn(ApiGatewayV2httpRequest) -> BoxFuture<'static, ApiGatewayV2httpResponse> + Send + Sync,
>;

/// API Gateway's payload limit: a larger request body is refused with 413
/// and never reaches the handler.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How much of a body over the limit is read and thrown away before the
/// 413, so that a client still sending it reads the answer instead of a
/// reset connection. Past this the connection is simply closed.
const DRAIN_BYTES: usize = 4 * MAX_BODY_BYTES;

/// A running server. Dropping it (or `stop`) closes the listener and every
/// open connection.
pub struct Served {
    pub addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

impl Served {
    /// The base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and drops every connection, requests in flight included.
    pub fn stop(self) {
        drop(self)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // The connections live in the accept loop's JoinSet: aborting the
        // loop drops the listener and aborts them all.
        self.accept_loop.abort();
    }
}

/// Binds `addr` (`127.0.0.1:0` takes any free port), spawns the accept
/// loop on the current tokio runtime and returns at once.
pub async fn serve(addr: SocketAddr, handler: Handler) -> std::io::Result<Served> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let accept_loop = tokio::spawn(accept(listener, handler));
    Ok(Served { addr, accept_loop })
}

/// Serves a `LocalStack` over HTTP: every request goes through
/// `LocalStack::handle_http` (webhooks to webhook-ingest, the rest to
/// admin), one at a time, as the runner's own `http` calls do. The test
/// keeps its handle on the stack and may lock it between requests (to run
/// the schedules, say).
///
/// The requests are handled on a thread of their own, on a single-threaded
/// runtime that runs as long as the server: rustc cannot prove the admin
/// handler's future `Send` (a higher-ranked lifetime deep in it), so it
/// cannot be a task of a multi-threaded runtime, and a thread that runs it
/// to completion needs no such proof. That runtime keeps running between
/// requests, so connections the stack's clients open on it stay usable
/// from the caller's runtime; once the server is stopped, a pooled
/// connection opened there is gone, and the stack's next request opens
/// another.
pub async fn serve_stack(
    stack: Arc<tokio::sync::Mutex<LocalStack>>,
    addr: SocketAddr,
) -> std::io::Result<Served> {
    type Call = (
        ApiGatewayV2httpRequest,
        tokio::sync::oneshot::Sender<ApiGatewayV2httpResponse>,
    );
    let (calls, mut incoming) = tokio::sync::mpsc::unbounded_channel::<Call>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("local-stack-http".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                // Ends when the server is dropped: its handler holds the
                // only senders.
                while let Some((req, reply)) = incoming.recv().await {
                    let handled =
                        AssertUnwindSafe(async { stack.lock().await.handle_http(req).await })
                            .catch_unwind()
                            .await;
                    let resp = handled.unwrap_or_else(|_| crashed());
                    // A client that hung up no longer wants the answer.
                    if reply.send(resp).is_err() {
                        tracing::debug!("local server: the client left before the answer");
                    }
                }
            })
        })?;
    let handler: Handler = Arc::new(move |req| {
        let calls = calls.clone();
        async move {
            let (reply, answer) = tokio::sync::oneshot::channel();
            if calls.send((req, reply)).is_err() {
                return crashed();
            }
            answer.await.unwrap_or_else(|_| crashed())
        }
        .boxed()
    });
    serve(addr, handler).await
}

/// API Gateway's answer for an invocation that failed.
fn crashed() -> ApiGatewayV2httpResponse {
    let mut resp = ApiGatewayV2httpResponse::default();
    resp.status_code = 500;
    resp.body = Some(Body::Text("Internal Server Error".to_string()));
    resp
}

async fn accept(listener: TcpListener, handler: Handler) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors and the like: wait rather than spin.
                tracing::warn!(error = %e, "local server: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let handler = handler.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(answer(req, peer, &handler).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, %peer, "local server: connection ended with an error");
            }
        });
    }
}

/// One HTTP exchange: read the request, call the handler, write its answer.
async fn answer(
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    handler: &Handler,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return plain(413, "request body larger than API Gateway's 10 MB limit")
        }
        Err(BodyError::Read(e)) => return plain(400, &format!("request body: {e}")),
    };
    let event = to_event(&parts, &body, peer);
    match AssertUnwindSafe(handler(event)).catch_unwind().await {
        Ok(resp) => from_response(resp),
        // API Gateway answers a crashed invocation with a bare 500.
        Err(_) => plain(500, "Internal Server Error"),
    }
}

enum BodyError {
    TooLarge,
    Read(hyper::Error),
}

async fn read_body(headers: &hyper::HeaderMap, mut body: Incoming) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_BYTES) {
        return Err(BodyError::TooLarge);
    }
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > DRAIN_BYTES {
                return Err(BodyError::TooLarge);
            }
            if seen <= MAX_BODY_BYTES {
                kept.extend_from_slice(&data);
            }
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    Ok(kept)
}

/// The event API Gateway (HTTP API, payload 2.0, `$default` route) hands
/// the function for this request.
pub fn to_event(
    parts: &hyper::http::request::Parts,
    body: &[u8],
    peer: SocketAddr,
) -> ApiGatewayV2httpRequest {
    static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let now = chrono::Utc::now();

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_string());
    event.route_key = Some("$default".to_string());
    event.raw_path = Some(path.clone());
    event.raw_query_string = Some(query.clone());
    event.headers = event_headers(&parts.headers);
    event.cookies = cookies(&parts.headers);
    event.query_string_parameters = query_parameters(&query);
    if !body.is_empty() {
        match std::str::from_utf8(body) {
            Ok(text) => event.body = Some(text.to_string()),
            Err(_) => {
                event.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
                event.is_base64_encoded = true;
            }
        }
    }

    let ctx = &mut event.request_context;
    ctx.route_key = Some("$default".to_string());
    ctx.stage = Some("$default".to_string());
    ctx.account_id = Some("000000000000".to_string());
    ctx.apiid = Some("local".to_string());
    ctx.request_id = Some(format!(
        "local-{}",
        REQUEST_IDS.fetch_add(1, Ordering::Relaxed)
    ));
    ctx.domain_name = parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    ctx.domain_prefix = ctx
        .domain_name
        .as_deref()
        .map(|d| d.split(['.', ':']).next().unwrap_or(d).to_string());
    ctx.time = Some(now.format("%d/%b/%Y:%H:%M:%S +0000").to_string());
    ctx.time_epoch = now.timestamp_millis();
    ctx.http.method = Method::from_bytes(parts.method.as_str().as_bytes()).unwrap_or(Method::GET);
    ctx.http.path = Some(path);
    ctx.http.protocol = Some(format!("{:?}", parts.version));
    ctx.http.source_ip = Some(peer.ip().to_string());
    ctx.http.user_agent = parts
        .headers
        .get(hyper::header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    event
}

/// Headers as API Gateway passes them: names lower-case (hyper's already
/// are), a repeated header's values joined with commas, the cookies with
/// `; ` (kept here as well as in `cookies`).
fn event_headers(headers: &hyper::HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in headers.keys() {
        let separator = if name == hyper::header::COOKIE {
            "; "
        } else {
            ","
        };
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(separator);
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_str(&joined),
        ) {
            out.insert(k, v);
        }
    }
    out
}

/// The `Cookie` header split into `name=value` items, as API Gateway v2
/// fills `cookies`; `None` when there is no cookie.
fn cookies(headers: &hyper::HeaderMap) -> Option<Vec<String>> {
    let items: Vec<String> = headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    (!items.is_empty()).then_some(items)
}

/// The query string decoded into name → values (in order).
fn query_parameters(query: &str) -> QueryMap {
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        params
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    QueryMap::from(params)
}

/// The HTTP response API Gateway writes for a function's answer.
pub fn from_response(resp: ApiGatewayV2httpResponse) -> hyper::Response<Full<Bytes>> {
    let status = u16::try_from(resp.status_code)
        .ok()
        .and_then(|s| hyper::StatusCode::from_u16(s).ok());
    let Some(status) = status else {
        return plain(502, "the function answered with an invalid status code");
    };
    let body: Vec<u8> = match resp.body {
        Some(Body::Binary(b)) => b,
        Some(Body::Text(t)) if resp.is_base64_encoded => {
            match base64::engine::general_purpose::STANDARD.decode(t.trim()) {
                Ok(b) => b,
                Err(_) => return plain(502, "the function's base64 body does not decode"),
            }
        }
        Some(Body::Text(t)) => t.into_bytes(),
        _ => Vec::new(),
    };
    let mut out = hyper::Response::new(Full::new(Bytes::from(body)));
    *out.status_mut() = status;
    let headers = out.headers_mut();
    for (name, value) in resp.headers.iter() {
        append(headers, name.as_str(), value.as_bytes());
    }
    // A name given in both maps keeps its `headers` values; only the values
    // `multi_value_headers` adds besides them are written.
    for (name, value) in resp.multi_value_headers.iter() {
        let already = resp
            .headers
            .get_all(name)
            .iter()
            .any(|v| v.as_bytes() == value.as_bytes());
        if !already {
            append(headers, name.as_str(), value.as_bytes());
        }
    }
    for cookie in &resp.cookies {
        append(headers, "set-cookie", cookie.as_bytes());
    }
    out
}

fn append(headers: &mut hyper::HeaderMap, name: &str, value: &[u8]) {
    if let (Ok(k), Ok(v)) = (
        hyper::header::HeaderName::from_bytes(name.as_bytes()),
        hyper::header::HeaderValue::from_bytes(value),
    ) {
        headers.append(k, v);
    }
}

fn plain(status: u16, text: &str) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(text.to_string())));
    *out.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    out.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A server whose handler records every event and answers per path.
    async fn recording() -> (Served, Arc<Mutex<Vec<ApiGatewayV2httpRequest>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let handler: Handler = Arc::new(move |req: ApiGatewayV2httpRequest| {
            log.lock().unwrap().push(req.clone());
            async move {
                let mut resp = ApiGatewayV2httpResponse::default();
                match req.raw_path.as_deref() {
                    Some("/login") => {
                        resp.status_code = 201;
                        resp.headers
                            .insert("x-next", HeaderValue::from_static("/home"));
                        resp.cookies = vec![
                            "session=abc; HttpOnly; Path=/".to_string(),
                            "csrf=xyz; Path=/".to_string(),
                        ];
                    }
                    Some("/binary") => {
                        resp.status_code = 200;
                        resp.body = Some(Body::Text(
                            base64::engine::general_purpose::STANDARD.encode([0u8, 159, 146, 150]),
                        ));
                        resp.is_base64_encoded = true;
                    }
                    Some("/multi") => {
                        resp.status_code = 200;
                        resp.headers.insert("x-one", HeaderValue::from_static("a"));
                        resp.multi_value_headers
                            .append("x-one", HeaderValue::from_static("a"));
                        resp.multi_value_headers
                            .append("x-many", HeaderValue::from_static("1"));
                        resp.multi_value_headers
                            .append("x-many", HeaderValue::from_static("2"));
                    }
                    Some("/panic") => panic!("the handler crashed"),
                    _ => {
                        resp.status_code = 404;
                        resp.body = Some(Body::Text("no such page".to_string()));
                    }
                }
                resp
            }
            .boxed()
        });
        let served = serve("127.0.0.1:0".parse().unwrap(), handler)
            .await
            .expect("bound");
        (served, seen)
    }

    fn client() -> reqwest::Client {
        shared::adapters::http::client().unwrap()
    }

    #[tokio::test]
    async fn cookies_go_in_as_the_list_and_the_header_and_set_cookie_comes_out_once_each() {
        // GIVEN a server
        let (served, seen) = recording().await;
        // WHEN a browser-like client posts a form with two cookies
        let resp = client()
            .post(format!("{}/login?next=%2Fhome&tag=a&tag=b+c", served.url()))
            .header("Cookie", "theme=dark; session=old")
            .header("X-Forwarded-For", "10.0.0.1")
            .form(&[("email", "op@example.com"), ("password", "p w&d")])
            .send()
            .await
            .unwrap();
        // THEN the handler saw API Gateway's event
        let event = seen.lock().unwrap()[0].clone();
        assert_eq!(event.request_context.http.method, Method::POST);
        assert_eq!(event.raw_path.as_deref(), Some("/login"));
        assert_eq!(
            event.raw_query_string.as_deref(),
            Some("next=%2Fhome&tag=a&tag=b+c")
        );
        assert_eq!(event.query_string_parameters.first("next"), Some("/home"));
        assert_eq!(
            event.query_string_parameters.all("tag"),
            Some(vec!["a", "b c"])
        );
        assert_eq!(
            event.cookies,
            Some(vec!["theme=dark".to_string(), "session=old".to_string()])
        );
        assert_eq!(event.headers["cookie"], "theme=dark; session=old");
        assert_eq!(event.headers["x-forwarded-for"], "10.0.0.1");
        assert_eq!(
            event.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            event.body.as_deref(),
            Some("email=op%40example.com&password=p+w%26d")
        );
        assert!(!event.is_base64_encoded);
        assert_eq!(event.version.as_deref(), Some("2.0"));
        assert_eq!(
            event.request_context.http.source_ip.as_deref(),
            Some("127.0.0.1")
        );
        // AND the answer carries the status, the header and one Set-Cookie per cookie
        assert_eq!(resp.status(), 201);
        assert_eq!(resp.headers()["x-next"], "/home");
        let set: Vec<_> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            set,
            vec!["session=abc; HttpOnly; Path=/", "csrf=xyz; Path=/"]
        );
        served.stop();
    }

    #[tokio::test]
    async fn a_handlers_404_passes_through_and_a_request_without_cookies_has_none() {
        let (served, seen) = recording().await;
        let resp = client()
            .get(format!("{}/nowhere", served.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.text().await.unwrap(), "no such page");
        let event = seen.lock().unwrap()[0].clone();
        assert_eq!(event.cookies, None);
        assert_eq!(event.raw_query_string.as_deref(), Some(""));
        assert!(event.query_string_parameters.is_empty());
        assert_eq!(event.body, None);
    }

    #[tokio::test]
    async fn a_body_over_10_mb_is_refused_with_413_before_the_handler() {
        let (served, seen) = recording().await;
        let resp = client()
            .post(format!("{}/upload", served.url()))
            .body(vec![b'a'; MAX_BODY_BYTES + 1])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 413);
        assert!(seen.lock().unwrap().is_empty());
        // AND a body at the limit goes through
        let resp = client()
            .post(format!("{}/upload", served.url()))
            .body(vec![b'a'; MAX_BODY_BYTES])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404);
        assert_eq!(
            seen.lock().unwrap()[0].body.as_ref().map(String::len),
            Some(MAX_BODY_BYTES)
        );
    }

    #[tokio::test]
    async fn binary_bodies_are_base64_both_ways() {
        let (served, seen) = recording().await;
        let resp = client()
            .put(format!("{}/binary", served.url()))
            .body(vec![0xffu8, 0xfe, 0x00])
            .send()
            .await
            .unwrap();
        let event = seen.lock().unwrap()[0].clone();
        assert!(event.is_base64_encoded);
        assert_eq!(event.body.as_deref(), Some("//4A"));
        assert_eq!(event.request_context.http.method, Method::PUT);
        assert_eq!(
            resp.bytes().await.unwrap().as_ref(),
            &[0u8, 159, 146, 150][..]
        );
    }

    #[tokio::test]
    async fn multi_value_headers_are_written_once_each_and_a_crash_is_a_500() {
        let (served, _) = recording().await;
        let resp = client()
            .get(format!("{}/multi", served.url()))
            .send()
            .await
            .unwrap();
        let values = |name: &str| -> Vec<String> {
            resp.headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(values("x-one"), vec!["a"]);
        assert_eq!(values("x-many"), vec!["1", "2"]);
        let resp = client()
            .get(format!("{}/panic", served.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500);
    }

    #[tokio::test]
    async fn after_stop_the_port_refuses_connections() {
        let (served, _) = recording().await;
        let url = served.url();
        served.stop();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(client().get(&url).send().await.is_err());
    }
}
