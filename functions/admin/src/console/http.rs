//! The console's HTTP edge: security headers on every answer, redirects,
//! error pages, form and cookie reading, and the assets compiled into the
//! binary (nothing is fetched from elsewhere at run time).

use super::render;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse as Response};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use shared::domain::operators::session;
use shared::edge::{body_bytes, header};
use shared::error::{Error, Result};
use std::collections::BTreeMap;

/// No inline script or style anywhere: the CSP allows only our own files.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");

fn headers(content_type: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static(content_type));
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "strict-transport-security",
        HeaderValue::from_static("max-age=31536000"),
    );
    h.insert(
        "cache-control",
        HeaderValue::from_static("no-store, max-age=0"),
    );
    h
}

/// An HTML page.
pub fn html(status: u16, body: String) -> Response {
    let mut r = Response::default();
    r.status_code = i64::from(status);
    r.headers = headers("text/html; charset=utf-8");
    r.body = Some(Body::Text(body));
    r
}

/// A 303 to `to` (after a form: the browser GETs the result).
pub fn redirect(to: &str) -> Response {
    let mut r = html(303, String::new());
    match HeaderValue::from_str(to) {
        Ok(v) => {
            r.headers.insert("location", v);
        }
        // Our paths are ASCII; anything else goes home rather than nowhere.
        Err(_) => {
            r.headers
                .insert("location", HeaderValue::from_static("/console"));
        }
    }
    r
}

/// A CSV download.
pub fn csv(body: String, filename: &str) -> Response {
    let mut r = Response::default();
    r.status_code = 200;
    r.headers = headers("text/csv; charset=utf-8");
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers.insert("content-disposition", v);
    }
    r.body = Some(Body::Text(body));
    r
}

/// A page saying what went wrong, in words, with the right status.
pub fn page_error(status: u16, message: &str) -> Response {
    html(status, render::error_page(status, message))
}

pub fn error_page(e: &Error) -> Response {
    let status = e.http_status();
    // What failed inside stays in the logs.
    let message = match e {
        Error::Invalid { field, reason } => format!("{field}: {reason}"),
        Error::Store { .. } | Error::Messaging { .. } => {
            "The store is unavailable for a moment; try again.".to_string()
        }
        _ if status >= 500 => "Something failed on our side; it was logged. Try again.".to_string(),
        other => other.to_string(),
    };
    if status >= 500 {
        tracing::error!(error = %e, status, "console request failed");
    }
    page_error(status, &message)
}

/// A compiled-in asset, cached for five minutes (a deploy reaches every
/// browser soon after).
pub fn asset(file: &str) -> Response {
    let (body, content_type) = match file {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return page_error(404, "No such file."),
    };
    let mut r = Response::default();
    r.status_code = 200;
    r.headers = headers(content_type);
    r.headers.insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=300"),
    );
    r.body = Some(Body::Text(body.to_string()));
    r
}

/// The session cookie, from API Gateway's `cookies` (payload 2.0) or the
/// `Cookie` header.
pub fn session_cookie(req: &ApiGatewayV2httpRequest) -> Option<String> {
    cookie(req, session::COOKIE)
}

pub fn cookie(req: &ApiGatewayV2httpRequest, name: &str) -> Option<String> {
    let from_list = req.cookies.iter().flatten().find_map(|c| {
        let (k, v) = c.split_once('=')?;
        (k.trim() == name).then(|| v.trim().to_string())
    });
    from_list.or_else(|| {
        header(req, "cookie")?.split(';').find_map(|c| {
            let (k, v) = c.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    })
}

/// A form's fields (urlencoded body, or the query string of a GET).
#[derive(Debug, Default, Clone)]
pub struct Form {
    pub fields: BTreeMap<String, Vec<String>>,
}

/// The largest form the console takes (a suppression file pasted in).
const MAX_FORM: usize = 5 * 1024 * 1024;

impl Form {
    pub fn read(req: &ApiGatewayV2httpRequest) -> Result<Form> {
        let raw = body_bytes(req)?;
        if raw.len() > MAX_FORM {
            return Err(Error::TooLarge(format!(
                "a form of {} bytes (at most {MAX_FORM})",
                raw.len()
            )));
        }
        let ct = header(req, "content-type").unwrap_or("");
        if !raw.is_empty() && !ct.starts_with("application/x-www-form-urlencoded") {
            return Err(Error::UnsupportedMediaType(format!(
                "the console takes forms (application/x-www-form-urlencoded), not {ct:?}"
            )));
        }
        Ok(Form::parse(&raw))
    }

    pub fn query(req: &ApiGatewayV2httpRequest) -> Form {
        Form::parse(req.raw_query_string.as_deref().unwrap_or("").as_bytes())
    }

    pub fn parse(raw: &[u8]) -> Form {
        let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(raw) {
            fields
                .entry(k.into_owned())
                .or_default()
                .push(v.into_owned());
        }
        Form { fields }
    }

    /// A field's first value ("" when absent).
    pub fn get(&self, k: &str) -> &str {
        self.fields
            .get(k)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// A field's value, trimmed, None when empty.
    pub fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k).trim().to_string()).filter(|v| !v.is_empty())
    }
}
