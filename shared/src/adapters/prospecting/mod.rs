//! Prospecting sources: the port a scheduled prospecting run pulls the next
//! page of records from, and its adapters on a people-search API
//! (Apollo-style) and on a paged dataset URL (Apify dataset items).

use super::enrichment::retry_after;
use crate::config::Env;
use crate::domain::targeting::intake::datasets::DatasetKind;
use crate::error::{Error, Result};
use async_trait::async_trait;
use reqwest::header::{ACCEPT, CACHE_CONTROL};
use reqwest::{Client, RequestBuilder, Response, StatusCode, Url};
use serde_json::Value;
use std::time::Duration;

/// One page of records from a prospecting source.
#[derive(Debug, Clone, PartialEq)]
pub struct ProspectPage {
    pub records: Vec<Value>,
    /// How the records map to leads (see `domain::targeting::intake::datasets::map_record`).
    pub kind: DatasetKind,
    /// Where the next page starts; None when the source is exhausted.
    pub next_cursor: Option<String>,
}

/// A source of prospect records, read a page at a time by a scheduled run
/// that stores the cursor between runs.
#[async_trait]
pub trait ProspectSource: Send + Sync {
    fn name(&self) -> &str;
    /// Fetches up to `limit` records starting at `cursor` (None = from the
    /// start). MUST return `next_cursor: None` once the source is exhausted,
    /// and MUST fail with a retryable `Error::Provider` on a transient failure
    /// (rate limit, 5xx, timeout) so the run retries the same cursor later.
    async fn fetch(&self, cursor: Option<&str>, limit: u32) -> Result<ProspectPage>;
}

/// How a prospecting adapter retries a request that failed transiently (429,
/// 408, 5xx, a timeout or a connection error): the same policy as the
/// enrichment adapters. A `Retry-After` longer than `max_delay` is not waited
/// out: the request fails (retryable) and the next scheduled run tries again.
pub use crate::domain::targeting::enrichment::RetryPolicy;

/// Per-request timeout of the `from_env` constructors.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

fn provider_error(provider: &str, message: impl Into<String>, retryable: bool) -> Error {
    Error::Provider {
        provider: provider.to_string(),
        message: message.into(),
        retryable,
    }
}

fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// The start of an error body, enough to tell what the provider objected to.
fn snippet(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &body[..at]),
        None => body.to_string(),
    }
}

/// Sends the request `build` makes, retrying transient failures as `policy`
/// says. Other 4xx statuses fail at once, not retryable. Transport errors are
/// reported without the URL, which may carry a token.
async fn send_with_retry(
    provider: &str,
    policy: RetryPolicy,
    build: impl Fn() -> RequestBuilder,
) -> Result<Response> {
    let mut attempt = 0u32;
    loop {
        let (reason, asked_wait) = match build().send().await {
            Ok(r) if r.status().is_success() => return Ok(r),
            Ok(r) if is_transient(r.status()) => {
                (format!("status {}", r.status()), retry_after(r.headers()))
            }
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                return Err(provider_error(
                    provider,
                    format!("status {status}: {}", snippet(&body)),
                    false,
                ));
            }
            Err(e) => (e.without_url().to_string(), None),
        };
        if attempt >= policy.max_retries {
            return Err(provider_error(
                provider,
                format!("{reason} after {} attempts", attempt + 1),
                true,
            ));
        }
        let Some(wait) = policy.delay(attempt, asked_wait) else {
            return Err(provider_error(
                provider,
                format!(
                    "{reason}; asked to retry after {}s, longer than the {}s a run waits",
                    asked_wait.unwrap_or_default().as_secs(),
                    policy.max_delay.as_secs()
                ),
                true,
            ));
        };
        tracing::warn!(
            provider,
            attempt = attempt + 1,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            reason = %reason,
            "prospect source request failed; retrying"
        );
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// Reads a successful response body as JSON: a body cut short is retryable,
/// a body that is not JSON is not.
async fn json_body(provider: &str, response: Response) -> Result<Value> {
    let bytes = response.bytes().await.map_err(|e| {
        provider_error(
            provider,
            format!("reading the response: {}", e.without_url()),
            true,
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| provider_error(provider, format!("the response is not JSON: {e}"), false))
}

fn parse_url(raw: &str, what: &str) -> Result<Url> {
    Url::parse(raw.trim()).map_err(|e| Error::Config(format!("{what} {raw:?} is not a URL: {e}")))
}

// ---------------------------------------------------------------------------------------
// People search
// ---------------------------------------------------------------------------------------

/// Apollo serves at most 500 pages of a search (100 per page).
const PEOPLE_SEARCH_MAX_PAGE: u32 = 500;
const PEOPLE_SEARCH_MAX_PER_PAGE: u32 = 100;
const PEOPLE_SEARCH_PATH: &str = "/api/v1/mixed_people/search";

pub use crate::domain::targeting::prospecting::PeopleSearchFilters;

/// Apollo-style people search (docs.apollo.io/reference/people-api-search):
/// `POST {base}/api/v1/mixed_people/search` with
/// an `x-api-key` header and the filters, `page` and `per_page` as a JSON
/// body. The cursor is the page number. Records are the response's `people`
/// then `contacts`; the last page is the one `pagination.total_pages` names
/// (or, without it, a page shorter than asked), capped at the API's 500.
pub struct PeopleSearch {
    http: Client,
    /// Bounds each request, connecting included.
    timeout: Duration,
    /// The configured base URL, without a trailing slash.
    base: String,
    endpoint: Url,
    api_key: String,
    filters: PeopleSearchFilters,
    retry: RetryPolicy,
}

impl PeopleSearch {
    pub const PROVIDER: &'static str = "people-search";

    /// `base_url` is the API's origin (`https://api.apollo.io` or a proxy);
    /// `timeout` bounds each request.
    pub fn new(
        base_url: &str,
        api_key: impl Into<String>,
        filters: PeopleSearchFilters,
        timeout: Duration,
    ) -> Result<Self> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        Ok(Self {
            http: super::http::client()?,
            timeout,
            endpoint: search_endpoint(&base, PEOPLE_SEARCH_PATH)?,
            base,
            api_key: api_key.into(),
            filters,
            retry: RetryPolicy::default(),
        })
    }

    /// From `PEOPLE_SEARCH_API_URL` and `PEOPLE_SEARCH_API_KEY`; None when
    /// neither is set, an error when only one is.
    pub fn from_env(env: &Env, filters: PeopleSearchFilters) -> Result<Option<Self>> {
        match (
            env.get("PEOPLE_SEARCH_API_URL"),
            env.get("PEOPLE_SEARCH_API_KEY"),
        ) {
            (None, None) => Ok(None),
            (Some(url), Some(key)) => Self::new(url, key, filters, DEFAULT_TIMEOUT).map(Some),
            _ => Err(Error::Config(
                "PEOPLE_SEARCH_API_URL and PEOPLE_SEARCH_API_KEY must be set together".into(),
            )),
        }
    }

    /// Another search path under the same base URL, such as Apollo's newer
    /// `/api/v1/mixed_people/api_search`.
    pub fn with_search_path(mut self, path: &str) -> Result<Self> {
        self.endpoint = search_endpoint(&self.base, path)?;
        Ok(self)
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

fn search_endpoint(base: &str, path: &str) -> Result<Url> {
    parse_url(
        &format!("{base}/{}", path.trim().trim_start_matches('/')),
        "PEOPLE_SEARCH_API_URL",
    )
}

#[async_trait]
impl ProspectSource for PeopleSearch {
    fn name(&self) -> &str {
        Self::PROVIDER
    }

    async fn fetch(&self, cursor: Option<&str>, limit: u32) -> Result<ProspectPage> {
        let page = match cursor {
            None => 1,
            Some(c) => c
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| Error::invalid("cursor", format!("{c:?} is not a page number")))?,
        };
        let per_page = limit.clamp(1, PEOPLE_SEARCH_MAX_PER_PAGE);
        let mut body = serde_json::to_value(&self.filters)
            .map_err(|e| Error::invalid("filters", e.to_string()))?;
        body["page"] = page.into();
        body["per_page"] = per_page.into();

        let response = send_with_retry(Self::PROVIDER, self.retry, || {
            self.http
                .post(self.endpoint.clone())
                .timeout(self.timeout)
                .header("x-api-key", &self.api_key)
                .header(ACCEPT, "application/json")
                .header(CACHE_CONTROL, "no-cache")
                .json(&body)
        })
        .await?;
        let json = json_body(Self::PROVIDER, response).await?;

        let mut records = Vec::new();
        let mut found = false;
        for key in ["people", "contacts"] {
            if let Some(list) = json.get(key).and_then(Value::as_array) {
                found = true;
                records.extend(list.iter().cloned());
            }
        }
        if !found {
            return Err(provider_error(
                Self::PROVIDER,
                "the response has no people or contacts array",
                false,
            ));
        }
        let more = match json
            .pointer("/pagination/total_pages")
            .and_then(Value::as_u64)
        {
            Some(total_pages) => u64::from(page) < total_pages,
            None => records.len() >= per_page as usize,
        };
        let next_cursor = (more && page < PEOPLE_SEARCH_MAX_PAGE).then(|| (page + 1).to_string());
        Ok(ProspectPage {
            records,
            kind: DatasetKind::People,
            next_cursor,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Dataset URL
// ---------------------------------------------------------------------------------------

/// Query parameters the adapter sets itself on a dataset URL.
const DATASET_PAGING_PARAMS: [&str; 4] = ["format", "clean", "offset", "limit"];
const APIFY_TOTAL: &str = "x-apify-pagination-total";

/// A dataset paged like Apify's dataset items API
/// (docs.apify.com/api/v2/dataset-items-get): `GET
/// {url}?format=json&clean=true&offset=N&limit=M`, with an optional Bearer
/// token. The cursor is the offset. `clean` skips empty items, so a page can
/// be shorter than `limit` while more follow: the next offset is always
/// `offset + limit`, and the source is exhausted when the
/// `X-Apify-Pagination-Total` header says so, or, without that header, when a
/// page is shorter than `limit`. The body is an array of items (or an object
/// with `items`, or `data.items`). The kind is the configured one, else
/// detected from the page's first record.
pub struct DatasetUrl {
    http: Client,
    /// Bounds each request, connecting included.
    timeout: Duration,
    url: Url,
    token: Option<String>,
    kind: Option<DatasetKind>,
    retry: RetryPolicy,
}

impl DatasetUrl {
    pub const PROVIDER: &'static str = "dataset";

    /// `url` is the items URL (`https://api.apify.com/v2/datasets/{id}/items`);
    /// any paging parameters already on it are replaced by the adapter's.
    pub fn new(url: &str, token: Option<String>, timeout: Duration) -> Result<Self> {
        let mut url = parse_url(url, "PROSPECT_DATASET_URL")?;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !DATASET_PAGING_PARAMS.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        Ok(Self {
            http: super::http::client()?,
            timeout,
            url,
            token: token.filter(|t| !t.trim().is_empty()),
            kind: None,
            retry: RetryPolicy::default(),
        })
    }

    /// From `PROSPECT_DATASET_URL` and the optional `PROSPECT_DATASET_TOKEN`;
    /// None when the URL is not set.
    pub fn from_env(env: &Env) -> Result<Option<Self>> {
        let Some(url) = env.get("PROSPECT_DATASET_URL") else {
            return Ok(None);
        };
        let token = env.get("PROSPECT_DATASET_TOKEN").map(str::to_string);
        Self::new(url, token, DEFAULT_TIMEOUT).map(Some)
    }

    pub fn with_kind(mut self, kind: DatasetKind) -> Self {
        self.kind = Some(kind);
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

#[async_trait]
impl ProspectSource for DatasetUrl {
    fn name(&self) -> &str {
        Self::PROVIDER
    }

    async fn fetch(&self, cursor: Option<&str>, limit: u32) -> Result<ProspectPage> {
        let offset = match cursor {
            None => 0,
            Some(c) => c
                .trim()
                .parse::<u64>()
                .map_err(|_| Error::invalid("cursor", format!("{c:?} is not an offset")))?,
        };
        let limit = u64::from(limit.max(1));
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("format", "json")
            .append_pair("clean", "true")
            .append_pair("offset", &offset.to_string())
            .append_pair("limit", &limit.to_string());

        let response = send_with_retry(Self::PROVIDER, self.retry, || {
            let request = self
                .http
                .get(url.clone())
                .timeout(self.timeout)
                .header(ACCEPT, "application/json");
            match &self.token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
        })
        .await?;
        let total = response
            .headers()
            .get(APIFY_TOTAL)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let json = json_body(Self::PROVIDER, response).await?;
        let items = match json {
            Value::Array(items) => items,
            mut other => match ["/items", "/data/items"]
                .into_iter()
                .find(|p| other.pointer(p).is_some_and(Value::is_array))
                .and_then(|p| other.pointer_mut(p))
                .map(Value::take)
            {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(provider_error(
                        Self::PROVIDER,
                        "the response is not an array of items",
                        false,
                    ))
                }
            },
        };
        let next = offset + limit;
        let exhausted = match total {
            Some(total) => next >= total,
            None => (items.len() as u64) < limit,
        };
        let kind = self
            .kind
            .or_else(|| items.first().map(DatasetKind::detect))
            .unwrap_or(DatasetKind::Csv);
        Ok(ProspectPage {
            records: items,
            kind,
            next_cursor: (!exhausted).then(|| next.to_string()),
        })
    }
}

#[cfg(test)]
mod tests;
