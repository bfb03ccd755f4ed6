//! The edge between Lambda events and the library: tracing setup, API
//! Gateway HTTP responses, and SQS batches with partial failures.

use crate::error::Error;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use serde::Serialize;
use std::future::Future;

/// JSON logs (CloudWatch-friendly) with the level from RUST_LOG.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .try_init();
}

pub fn json_response<T: Serialize>(status: u16, body: &T) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(status);
    r.headers = headers;
    r.body = Some(Body::Text(
        serde_json::to_string(body).unwrap_or_else(|_| "{}".into()),
    ));
    r
}

pub fn html_response(status: u16, html: String) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(status);
    r.headers = headers;
    r.body = Some(Body::Text(html));
    r
}

/// A CSV download: `text/csv`, offered as `filename`.
pub fn csv_response(status: u16, csv: String, filename: &str) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert("content-disposition", v);
    }
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(status);
    r.headers = headers;
    r.body = Some(Body::Text(csv));
    r
}

pub fn error_response(e: &Error) -> ApiGatewayV2httpResponse {
    let status = e.http_status();
    if status >= 500 {
        tracing::error!(error = %e, status, "request failed");
    } else {
        tracing::info!(error = %e, status, "request rejected");
    }
    let (field, reason) = match e {
        Error::Invalid { field, reason } => (Some(field.clone()), reason.clone()),
        // What the AWS SDK says is for the logs, never for a client.
        Error::Store { .. } => (None, "the store is unavailable; try again".to_string()),
        Error::Messaging { .. } => (
            None,
            "the queue or bus is unavailable; try again".to_string(),
        ),
        other => (None, other.to_string()),
    };
    json_response(
        status,
        &serde_json::json!({ "error": reason, "field": field }),
    )
}

/// The request body as text (API Gateway may base64-encode it).
pub fn body_text(req: &ApiGatewayV2httpRequest) -> Result<String, Error> {
    String::from_utf8(body_bytes(req)?).map_err(|_| Error::invalid("body", "not UTF-8"))
}

/// The request body as bytes: a file upload need not be UTF-8 (API Gateway
/// base64-encodes such bodies).
pub fn body_bytes(req: &ApiGatewayV2httpRequest) -> Result<Vec<u8>, Error> {
    let raw = req.body.clone().unwrap_or_default();
    if req.is_base64_encoded {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|e| Error::invalid("body", format!("not valid base64: {e}")))
    } else {
        Ok(raw.into_bytes())
    }
}

/// A path segment with its `%XX` escapes decoded (`+` stays a plus: it is
/// not a space in a path).
pub fn decode_path_segment(raw: &str) -> Result<String, Error> {
    let bad = || {
        Error::invalid(
            "path",
            format!("{raw:?} is not a valid URL-encoded segment"),
        )
    };
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

pub fn header<'a>(req: &'a ApiGatewayV2httpRequest, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Which function a batch belongs to, for its error count (`ops`).
pub struct ErrorCount<'a> {
    pub store: &'a crate::store::Store,
    pub function: &'static str,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Runs `handle` on every record of the batch; the ones that fail with a
/// retryable error are reported back so only they are redelivered. A
/// non-retryable failure is logged and dropped (it would fail the same way
/// again), after being counted. Every failure counts as an error of the
/// function (the hourly alert).
pub async fn process_sqs<F, Fut>(
    event: SqsEvent,
    errors: ErrorCount<'_>,
    handle: F,
) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let mut failed = 0u32;
    let mut failures = Vec::new();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %id);
        let _guard = span.enter();
        match handle(message).await {
            Ok(()) => {}
            Err(e) if e.is_retryable() => {
                failed += 1;
                tracing::warn!(error = %e, "message failed, will be redelivered");
                let mut f = BatchItemFailure::default();
                f.item_identifier = id;
                failures.push(f);
            }
            Err(e) => {
                failed += 1;
                tracing::error!(error = %e, "message rejected permanently");
                println!(
                    "{}",
                    serde_json::json!({"_aws": {"CloudWatchMetrics": [{"Namespace": "Outbound", "Dimensions": [[]], "Metrics": [{"Name": "RejectedMessages", "Unit": "Count"}]}]}, "RejectedMessages": 1})
                );
            }
        }
    }
    crate::ops::count_errors(errors.store, errors.function, failed, errors.now).await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

/// Parses an SQS message body as JSON of type `T`.
pub fn parse_body<T: serde::de::DeserializeOwned>(m: &SqsMessage) -> Result<T, Error> {
    let body = m.body.as_deref().unwrap_or("");
    serde_json::from_str(body).map_err(|e| Error::invalid("body", format!("{e}: {body:.200}")))
}

/// A scheduled handler's answer to the runtime: its report as JSON, or its
/// failure with the error's kind as `errorType`.
pub fn reply<T: serde::Serialize>(
    result: Result<T, Error>,
) -> Result<serde_json::Value, lambda_runtime::Diagnostic> {
    let value = result?;
    serde_json::to_value(value).map_err(|e| lambda_runtime::Diagnostic {
        error_type: "Serialization".into(),
        error_message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_decode_escapes_and_keep_plus_signs() {
        assert_eq!(
            decode_path_segment("jo%40dealer.example").unwrap(),
            "jo@dealer.example"
        );
        assert_eq!(decode_path_segment("+16025550100").unwrap(), "+16025550100");
        assert_eq!(decode_path_segment("%2B1%20602").unwrap(), "+1 602");
        assert!(decode_path_segment("50%").is_err());
        assert!(decode_path_segment("%zz").is_err());
        assert!(decode_path_segment("%ff").is_err());
    }
}
