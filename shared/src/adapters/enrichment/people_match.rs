//! People match: a synchronous lookup API in the shape of Apollo's.

use super::*;

/// A synchronous people-match API in the shape of Apollo's People
/// Enrichment endpoint (`POST /api/v1/people/match`), which charges per
/// reveal.
///
/// What the request and response look like, from Apollo's documentation
/// (docs.apollo.io/reference/people-enrichment and
/// docs.apollo.io/docs/enrich-people-data): the key goes in
/// an `X-Api-Key` header with `Content-Type: application/json` and
/// `Cache-Control: no-cache`; the identifiers are `first_name`, `last_name`,
/// `name`, `email`, `organization_name`, `domain` and `linkedin_url`;
/// personal emails and phones are withheld unless `reveal_personal_emails`
/// / `reveal_phone_number` are set, and a phone reveal is delivered later
/// to a webhook, so both are sent as false. A 200 can still hold no match,
/// and an unmatched person comes back as `null`.
///
/// The response fields read here (`person.email`, `email_status`, `title`,
/// `seniority`, `linkedin_url`, `city`, `state`, `country`, `time_zone`,
/// `phone_numbers[].sanitized_number`, and `person.organization.name`,
/// `primary_domain`, `website_url`, `industry`, `estimated_num_employees`,
/// `city`, `state`, `country`) were checked against published client code
/// rather than a schema in Apollo's reference; every one is optional here.
pub struct PeopleMatch {
    http: Resilient,
    base_url: String,
    api_key: String,
    cost: u32,
}

impl PeopleMatch {
    pub const NAME: &'static str = "people_match";

    /// `base_url` is scheme and host (`https://api.example.com`); the
    /// endpoint path is appended.
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
        })
    }

    /// Credits one match costs (1 unless told otherwise).
    pub fn with_cost(mut self, cost: u32) -> Self {
        self.cost = cost;
        self
    }

    /// None when `PEOPLE_MATCH_API_KEY` is unset: the provider is simply
    /// not configured. With a key, `PEOPLE_MATCH_API_URL` is required;
    /// `PEOPLE_MATCH_TIMEOUT_MS`, `PEOPLE_MATCH_MAX_RETRIES` and
    /// `PEOPLE_MATCH_COST` are optional.
    pub fn from_env(env: &Env) -> Result<Option<Self>> {
        let Some(key) = env.get("PEOPLE_MATCH_API_KEY") else {
            return Ok(None);
        };
        let url = env.require("PEOPLE_MATCH_API_URL")?;
        let settings = HttpSettings::from_env(env, "PEOPLE_MATCH")?;
        let cost = env.parse_or("PEOPLE_MATCH_COST", 1u32)?;
        Ok(Some(Self::new(url, key, settings)?.with_cost(cost)))
    }
}

#[derive(Serialize)]
struct MatchRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linkedin_url: Option<&'a str>,
    reveal_personal_emails: bool,
    reveal_phone_number: bool,
}

impl<'a> MatchRequest<'a> {
    /// None when the query cannot identify one person: an email, a LinkedIn
    /// URL, or a full name with a company. A name alone matches nobody
    /// reliably and would still cost a call.
    fn from_query(q: &'a EnrichmentQuery) -> Option<Self> {
        let named = q.first_name.is_some() && q.last_name.is_some();
        let employer = q.company_domain.is_some() || q.company.is_some();
        let identifies = q.email.is_some() || q.linkedin_url.is_some() || (named && employer);
        identifies.then_some(Self {
            first_name: q.first_name.as_deref(),
            last_name: q.last_name.as_deref(),
            email: q.email.as_deref(),
            organization_name: q.company.as_deref(),
            domain: q.company_domain.as_deref(),
            linkedin_url: q.linkedin_url.as_deref(),
            reveal_personal_emails: false,
            reveal_phone_number: false,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchedPerson {
    email: Option<String>,
    email_status: Option<String>,
    title: Option<String>,
    seniority: Option<String>,
    linkedin_url: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    time_zone: Option<String>,
    phone_numbers: Option<Vec<MatchedPhone>>,
    organization: Option<MatchedOrganization>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchedPhone {
    sanitized_number: Option<String>,
    raw_number: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchedOrganization {
    name: Option<String>,
    primary_domain: Option<String>,
    website_url: Option<String>,
    industry: Option<String>,
    estimated_num_employees: Option<f64>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
}

impl MatchedPerson {
    fn into_patch(self) -> EnrichmentPatch {
        let org = self.organization.unwrap_or_default();
        // Apollo stands a placeholder in for an email the account has not
        // unlocked; it is not an address.
        let email = non_empty(self.email).filter(|e| !e.starts_with("email_not_unlocked@"));
        let phone = self
            .phone_numbers
            .unwrap_or_default()
            .into_iter()
            .flat_map(|p| [p.sanitized_number, p.raw_number])
            .flatten()
            .find_map(|n| canonical_phone(&n));
        // City, state and country describe the company's headquarters when
        // Apollo knows them, else where the person is; never a mix.
        let org_has_place = [&org.city, &org.state, &org.country]
            .iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
        let (city, state, country) = if org_has_place {
            (org.city, org.state, org.country)
        } else {
            (self.city, self.state, self.country)
        };
        EnrichmentPatch {
            email_status: email.as_ref().and(non_empty(self.email_status)),
            email,
            title: non_empty(self.title),
            seniority: non_empty(self.seniority),
            phone,
            linkedin_url: non_empty(self.linkedin_url),
            employees: employee_count(org.estimated_num_employees),
            city: non_empty(city),
            state: non_empty(state),
            country: non_empty(country),
            // The person's own zone: it is when the recipient reads mail.
            hq_timezone: non_empty(self.time_zone),
            company: non_empty(org.name),
            company_domain: org
                .primary_domain
                .or(org.website_url)
                .as_deref()
                .and_then(canonical_domain),
            industry: non_empty(org.industry),
        }
    }
}

#[async_trait]
impl EnrichmentProvider for PeopleMatch {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn cost(&self) -> u32 {
        self.cost
    }

    async fn lookup(
        &self,
        query: &EnrichmentQuery,
        _pending: Option<&str>,
    ) -> std::result::Result<Lookup, ProviderError> {
        let Some(body) = MatchRequest::from_query(query) else {
            return Ok(Lookup::NotFound);
        };
        let url = format!("{}/api/v1/people/match", self.base_url);
        let reply = self
            .http
            .send(|http| {
                http.post(&url)
                    .header("x-api-key", &self.api_key)
                    .header("cache-control", "no-cache")
                    .header("accept", "application/json")
                    .json(&body)
            })
            .await?;
        let json: Value = parse_json(&reply.into_success()?)?;
        let person = match json.get("person") {
            None => {
                return Err(ProviderError::Malformed(
                    "no `person` in the response".into(),
                ))
            }
            Some(Value::Null) => return Ok(Lookup::NotFound),
            Some(person) => MatchedPerson::deserialize(person)
                .map_err(|e| ProviderError::Malformed(format!("person: {e}")))?,
        };
        let patch = person.into_patch();
        Ok(if patch.is_empty() {
            Lookup::NotFound
        } else {
            Lookup::Found(patch)
        })
    }
}
