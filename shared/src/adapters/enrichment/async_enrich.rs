//! Async enrich: submit a contact, then poll for the result, in the shape
//! of FullEnrich's bulk API.

use super::*;

/// An asynchronous enrichment API in the shape of FullEnrich's bulk contact
/// enrichment (API v2): submit a contact, get an id back, poll for the
/// result.
///
/// From FullEnrich's OpenAPI document (docs.fullenrich.com/api/v2, version
/// 2.0.0): Bearer auth; `POST /api/v2/contact/enrich/bulk`
/// with `{name, data: [{first_name, last_name, domain, company_name,
/// linkedin_url, enrich_fields}]}` (a contact needs a full name with a
/// domain or company name, or a LinkedIn URL) answers `{enrichment_id}`;
/// `GET /api/v2/contact/enrich/bulk/{enrichment_id}` answers `{id, status,
/// data: [{contact_info, profile}], cost}` with status one of CREATED,
/// IN_PROGRESS, CANCELED, CREDITS_INSUFFICIENT, FINISHED, RATE_LIMIT,
/// UNKNOWN, and documents a 400 with code `error.enrichment.in_progress`
/// for a result that is not ready. Work emails cost 1 credit and phones 10,
/// so only what the query lacks is asked for.
pub struct AsyncEnrich {
    http: Resilient,
    base_url: String,
    api_key: String,
    cost: u32,
    poll_interval: Duration,
    max_wait: Duration,
}

impl AsyncEnrich {
    pub const NAME: &'static str = "async_enrich";
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(10);

    /// `base_url` is scheme and host (`https://app.example.com`); the
    /// endpoint paths are appended.
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        settings: HttpSettings,
    ) -> Result<Self> {
        Ok(Self {
            http: Resilient::new(&settings)?,
            base_url: trim_base_url(&base_url.into()),
            api_key: api_key.into(),
            cost: 1,
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
            max_wait: Self::DEFAULT_MAX_WAIT,
        })
    }

    /// How often to ask for the result, and how long one lookup waits for
    /// it before answering `Pending`. A Lambda has 30 s: keep both small.
    pub fn with_polling(mut self, poll_interval: Duration, max_wait: Duration) -> Self {
        self.poll_interval = poll_interval;
        self.max_wait = max_wait;
        self
    }

    /// Credits one reveal costs (1 unless told otherwise).
    pub fn with_cost(mut self, cost: u32) -> Self {
        self.cost = cost;
        self
    }

    /// None when `ASYNC_ENRICH_API_KEY` is unset. With a key,
    /// `ASYNC_ENRICH_API_URL` is required; `ASYNC_ENRICH_TIMEOUT_MS`,
    /// `ASYNC_ENRICH_MAX_RETRIES`, `ASYNC_ENRICH_COST`,
    /// `ASYNC_ENRICH_POLL_INTERVAL_MS` and `ASYNC_ENRICH_MAX_WAIT_MS` are
    /// optional.
    pub fn from_env(env: &Env) -> Result<Option<Self>> {
        let Some(key) = env.get("ASYNC_ENRICH_API_KEY") else {
            return Ok(None);
        };
        let url = env.require("ASYNC_ENRICH_API_URL")?;
        let settings = HttpSettings::from_env(env, "ASYNC_ENRICH")?;
        let cost = env.parse_or("ASYNC_ENRICH_COST", 1u32)?;
        let ms = |name: &str, default: Duration| {
            env.parse_or(name, default.as_millis() as u64)
                .map(Duration::from_millis)
        };
        let poll_interval = ms("ASYNC_ENRICH_POLL_INTERVAL_MS", Self::DEFAULT_POLL_INTERVAL)?;
        let max_wait = ms("ASYNC_ENRICH_MAX_WAIT_MS", Self::DEFAULT_MAX_WAIT)?;
        Ok(Some(
            Self::new(url, key, settings)?
                .with_cost(cost)
                .with_polling(poll_interval, max_wait),
        ))
    }

    fn jobs_url(&self) -> String {
        format!("{}/api/v2/contact/enrich/bulk", self.base_url)
    }

    async fn submit(&self, body: &SubmitRequest<'_>) -> std::result::Result<String, ProviderError> {
        let url = self.jobs_url();
        let reply = self
            .http
            .send(|http| {
                http.post(&url)
                    .bearer_auth(&self.api_key)
                    .header("accept", "application/json")
                    .json(body)
            })
            .await?;
        let submitted: Submitted = parse_json(&reply.into_success()?)?;
        non_empty(submitted.enrichment_id)
            .ok_or_else(|| ProviderError::Malformed("no `enrichment_id` in the response".into()))
    }

    /// The job's result, or None while it is still running.
    async fn poll(&self, job_id: &str) -> std::result::Result<Option<Lookup>, ProviderError> {
        let url = format!("{}/{job_id}", self.jobs_url());
        let reply = self
            .http
            .send(|http| {
                http.get(&url)
                    .bearer_auth(&self.api_key)
                    .header("accept", "application/json")
            })
            .await?;
        if reply.status == 400 && not_ready(&reply.body) {
            return Ok(None);
        }
        let job: JobResult = parse_json(&reply.into_success()?)?;
        match job.status.as_deref().unwrap_or("") {
            "CREATED" | "IN_PROGRESS" => Ok(None),
            "FINISHED" => {
                let patch = job
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .map(EnrichedContact::into_patch)
                    .unwrap_or_default();
                Ok(Some(if patch.is_empty() {
                    Lookup::NotFound
                } else {
                    Lookup::Found(patch)
                }))
            }
            "RATE_LIMIT" => Err(ProviderError::RateLimited { retry_after: None }),
            "CANCELED" | "CREDITS_INSUFFICIENT" => Err(ProviderError::Rejected(format!(
                "job {job_id} ended {}",
                job.status.unwrap_or_default()
            ))),
            other => Err(ProviderError::Malformed(format!(
                "job {job_id} has status {other:?}"
            ))),
        }
    }

    /// Polls every `poll_interval` until the job is done or waiting once
    /// more would pass `max_wait`.
    async fn wait_for(
        &self,
        job_id: &str,
        poll_at_once: bool,
    ) -> std::result::Result<Lookup, ProviderError> {
        let deadline = Instant::now() + self.max_wait;
        let mut wait_first = !poll_at_once;
        loop {
            if wait_first {
                if Instant::now() + self.poll_interval > deadline {
                    return Ok(Lookup::Pending {
                        job_id: job_id.to_string(),
                    });
                }
                tokio::time::sleep(self.poll_interval).await;
            }
            wait_first = true;
            if let Some(done) = self.poll(job_id).await? {
                return Ok(done);
            }
        }
    }
}

/// FullEnrich's documented "not ready yet" error.
fn not_ready(body: &str) -> bool {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_string))
        .is_some_and(|code| code == "error.enrichment.in_progress")
}

#[derive(Serialize)]
struct SubmitRequest<'a> {
    name: String,
    data: [SubmitContact<'a>; 1],
}

#[derive(Serialize)]
struct SubmitContact<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linkedin_url: Option<&'a str>,
    enrich_fields: Vec<&'static str>,
}

impl<'a> SubmitRequest<'a> {
    /// None when the provider could not search (no LinkedIn URL, and no
    /// full name with a company) or there is nothing to ask for.
    fn from_query(q: &'a EnrichmentQuery) -> Option<Self> {
        let named = q.first_name.is_some() && q.last_name.is_some();
        let employer = q.company_domain.is_some() || q.company.is_some();
        if !(q.linkedin_url.is_some() || (named && employer)) {
            return None;
        }
        let mut enrich_fields = Vec::new();
        if q.email.is_none() {
            enrich_fields.push("contact.work_emails");
        }
        if q.phone.is_none() {
            enrich_fields.push("contact.phones");
        }
        if enrich_fields.is_empty() {
            return None;
        }
        Some(Self {
            // Shown in the provider's dashboard.
            name: q
                .full_name()
                .unwrap_or_else(|| "outbound enrichment".to_string()),
            data: [SubmitContact {
                first_name: q.first_name.as_deref(),
                last_name: q.last_name.as_deref(),
                domain: q.company_domain.as_deref(),
                company_name: q.company.as_deref(),
                linkedin_url: q.linkedin_url.as_deref(),
                enrich_fields,
            }],
        })
    }
}

#[derive(Deserialize)]
struct Submitted {
    enrichment_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JobResult {
    status: Option<String>,
    data: Option<Vec<EnrichedContact>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EnrichedContact {
    contact_info: Option<ContactInfo>,
    profile: Option<Profile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContactInfo {
    most_probable_work_email: Option<FoundEmail>,
    work_emails: Option<Vec<FoundEmail>>,
    most_probable_phone: Option<FoundPhone>,
    phones: Option<Vec<FoundPhone>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct FoundEmail {
    email: Option<String>,
    status: Option<String>,
}

impl FoundEmail {
    fn usable(&self) -> bool {
        self.email.is_some()
            && !matches!(self.status.as_deref(), Some("INVALID" | "INVALID_DOMAIN"))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FoundPhone {
    number: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Profile {
    location: Option<Place>,
    social_profiles: Option<SocialProfiles>,
    employment: Option<Employment>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Place {
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
}

impl Place {
    fn is_known(&self) -> bool {
        [&self.city, &self.region, &self.country]
            .iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SocialProfiles {
    professional_network: Option<ProfileLink>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileLink {
    url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Employment {
    current: Option<Position>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Position {
    title: Option<String>,
    seniority: Option<String>,
    company: Option<Employer>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Employer {
    name: Option<String>,
    domain: Option<String>,
    headcount: Option<f64>,
    industry: Option<Industry>,
    locations: Option<EmployerLocations>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Industry {
    main_industry: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmployerLocations {
    headquarters: Option<Place>,
}

impl EnrichedContact {
    fn into_patch(self) -> EnrichmentPatch {
        let info = self.contact_info.unwrap_or_default();
        let email = info
            .most_probable_work_email
            .into_iter()
            .chain(info.work_emails.unwrap_or_default())
            .find(FoundEmail::usable)
            .unwrap_or_default();
        let phone = info
            .most_probable_phone
            .into_iter()
            .chain(info.phones.unwrap_or_default())
            .filter_map(|p| p.number)
            .find_map(|n| canonical_phone(&n));

        let profile = self.profile.unwrap_or_default();
        let position = profile
            .employment
            .and_then(|e| e.current)
            .unwrap_or_default();
        let employer = position.company.unwrap_or_default();
        // The company's headquarters when known, else where the person is.
        let place = employer
            .locations
            .and_then(|l| l.headquarters)
            .filter(Place::is_known)
            .or(profile.location)
            .unwrap_or_default();

        EnrichmentPatch {
            email_status: email.email.as_ref().and(non_empty(email.status)),
            email: non_empty(email.email),
            title: non_empty(position.title),
            seniority: non_empty(position.seniority),
            phone,
            linkedin_url: non_empty(
                profile
                    .social_profiles
                    .and_then(|s| s.professional_network)
                    .and_then(|p| p.url),
            ),
            employees: employee_count(employer.headcount),
            city: non_empty(place.city),
            state: non_empty(place.region),
            country: non_empty(place.country),
            hq_timezone: None,
            company: non_empty(employer.name),
            company_domain: employer.domain.as_deref().and_then(canonical_domain),
            industry: non_empty(employer.industry.and_then(|i| i.main_industry)),
        }
    }
}

#[async_trait]
impl EnrichmentProvider for AsyncEnrich {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn cost(&self) -> u32 {
        self.cost
    }

    async fn lookup(
        &self,
        query: &EnrichmentQuery,
        pending: Option<&str>,
    ) -> std::result::Result<Lookup, ProviderError> {
        if let Some(job_id) = pending {
            return self.wait_for(job_id, true).await;
        }
        let Some(body) = SubmitRequest::from_query(query) else {
            return Ok(Lookup::NotFound);
        };
        let job_id = self.submit(&body).await?;
        self.wait_for(&job_id, false).await
    }
}
