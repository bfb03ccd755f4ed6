//! Admin: the operators' HTTP function. Per-tenant bearer tokens (stored as
//! SHA-256, compared in constant time); bootstrap, CSV import, drafts and
//! batch approval, pause/resume, emergency stop, leads and timelines, the
//! suppression list (add, remove, import, export), the control plane with
//! today's counters, and the one-click unsubscribe page.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shared::apply::apply_signal;
use shared::domain::content::template::UnsubscribeLinks;
use shared::domain::dispatch::warmup::phase;
use shared::domain::ids::TenantId;
use shared::domain::lead::LeadStatus;
use shared::domain::signals::signature::verify_link;
use shared::domain::signals::{Signal, SignalKind};
use shared::domain::targeting::suppression::{
    read_list_in, to_csv, SuppressionEntry, SuppressionKind,
};
use shared::domain::tenant::TenantConfig;
use shared::edge::{
    body_bytes, csv_response, decode_path_segment, error_response, header, html_response,
    json_response,
};
use shared::error::{Error, Result};
use shared::import::{import_rows, open_rows, LeadFormat, LISTED};
use shared::ports::{Clock, EventPublisher, WorkQueue};
use shared::store::{short_id, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

mod campaign_work;
mod campaigns;
mod console;
mod dialer;
mod drafts;
mod erasures;
mod live;
mod overview;
mod replies;
mod unsubscribe;
mod upload;

pub struct App {
    pub store: Store,
    pub enrich: Arc<dyn WorkQueue>,
    /// The score queue: re-scoring after a config change.
    pub score: Arc<dyn WorkQueue>,
    pub bus: Arc<dyn EventPublisher>,
    pub clock: Arc<dyn Clock>,
    /// The deployer's credential for creating tenants.
    pub bootstrap_token: String,
    /// The craft queue: a rejected draft is written again there.
    pub craft: Arc<dyn WorkQueue>,
    /// Unsubscribe links: their base URL and the key that signs them.
    pub links: UnsubscribeLinks,
    pub batch_ttl: Duration,
    /// The live providers, for go-live's credential probes (None: every
    /// configured channel is reported unchecked, and go-live refuses).
    pub live: Option<Arc<shared::adapters::senders::live::LiveSenders>>,
    /// Is Mailgun's webhook signing key set for this deployment?
    pub mailgun_signing_key_set: bool,
    /// Signs the console's session cookies and CSRF tokens (32+ bytes).
    pub session_key: Vec<u8>,
}

/// Hash stored for a tenant token's secret part.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[derive(Debug, Deserialize)]
struct Bootstrap {
    tenant: String,
    name: String,
    #[serde(default)]
    warmup_start: Option<NaiveDate>,
    #[serde(default)]
    config: Option<TenantConfig>,
}

#[derive(Debug, Deserialize, Default)]
struct Reason {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SuppressionRequest {
    kind: SuppressionKind,
    value: String,
    #[serde(default)]
    reason: Option<String>,
}

/// What removing a suppression entry does not do, told to the operator.
const REMOVAL_NOTE: &str =
    "Only the list entry was removed. Leads are unchanged: a lead in a stop \
state (unsubscribed, dnc, bounced, ...) stays stopped, and a lead marked suppressed at intake \
stays marked and is never enrolled (a re-import does not un-mark it). Touches already approved \
are no longer blocked by this entry at send time.";

fn entry_json(e: &SuppressionEntry) -> Value {
    json!({"entry": e.key(), "kind": e.kind, "value": e.value, "reason": e.reason, "added_at": e.added_at})
}

/// The `kind` query parameter, if given.
fn kind_filter(req: &ApiGatewayV2httpRequest) -> Result<Option<SuppressionKind>> {
    req.query_string_parameters
        .first("kind")
        .map(|k| {
            SuppressionKind::parse(k).ok_or_else(|| {
                Error::invalid("kind", format!("{k:?} is not email, domain or phone"))
            })
        })
        .transpose()
}

pub(crate) fn parse_json<T: for<'de> Deserialize<'de> + Default>(body: &str) -> Result<T> {
    if body.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(body).map_err(|e| Error::invalid("body", format!("bad JSON: {e}")))
}

impl App {
    pub async fn handle(&self, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let response = self.handle_inner(req).await;
        if response.status_code >= 500 {
            shared::ops::count_errors(&self.store, "admin", 1, self.clock.now()).await;
        }
        response
    }

    async fn handle_inner(&self, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let method = req.request_context.http.method.as_str().to_string();
        let path = req.raw_path.clone().unwrap_or_default();
        if let Some(token) = path.strip_prefix("/unsubscribe/") {
            return self.unsubscribe(&method, token).await;
        }
        if path == "/console" || path.starts_with("/console/") {
            return Box::pin(self.console(&req)).await;
        }
        if (method.as_str(), path.trim_end_matches('/')) == ("GET", "/admin/suppressions/export") {
            return match self.export_suppressions(&req).await {
                Ok(csv) => csv_response(200, csv, "suppressions.csv"),
                Err(e) => error_response(&e),
            };
        }
        match self.route(&method, &path, &req).await {
            Ok((status, body)) => json_response(status, &body),
            Err(e) => error_response(&e),
        }
    }

    /// Which tenant the bearer token belongs to, checked in constant time.
    async fn authenticate(&self, req: &ApiGatewayV2httpRequest) -> Result<String> {
        let auth = header(req, "authorization").unwrap_or("");
        let token = auth
            .strip_prefix("Bearer ")
            .ok_or_else(|| Error::Unauthorized("missing bearer token".into()))?;
        let (tenant, secret) = token
            .split_once('.')
            .ok_or_else(|| Error::Unauthorized("malformed token".into()))?;
        let tenant =
            TenantId::parse(tenant).map_err(|_| Error::Unauthorized("malformed token".into()))?;
        let stored = self.store.token_hash(tenant.as_str()).await?;
        // Hash even when the tenant is unknown, so timing says nothing.
        let presented = token_hash(secret);
        match stored {
            Some(h) if ct_eq(&h, &presented) => Ok(tenant.to_string()),
            _ => Err(Error::Unauthorized("invalid token".into())),
        }
    }

    async fn route(
        &self,
        method: &str,
        path: &str,
        req: &ApiGatewayV2httpRequest,
    ) -> Result<(u16, Value)> {
        // A lead file need not be UTF-8 (the import decodes it); every
        // other route reads JSON or a small text body.
        let raw = body_bytes(req)?;
        let body = String::from_utf8_lossy(&raw).into_owned();
        let now = self.clock.now();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        if segments.first() != Some(&"admin") {
            return Err(Error::NotFound(format!("no route {method} {path}")));
        }
        let rest = &segments[1..];
        if (method, rest) == ("POST", &["tenants"][..]) {
            let presented = header(req, "authorization")
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("");
            if self.bootstrap_token.is_empty() || !ct_eq(presented, &self.bootstrap_token) {
                return Err(Error::Unauthorized("bootstrap token required".into()));
            }
            return self.bootstrap(&body, now).await;
        }
        let tenant = self.authenticate(req).await?;
        self.tenant_route(&tenant, method, rest, req, raw, &body, now)
            .await
    }

    /// A tenant's routes once it is known (from a bearer token, or from a
    /// console session whose operator may do what the route does).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn tenant_route(
        &self,
        t: &str,
        method: &str,
        rest: &[&str],
        req: &ApiGatewayV2httpRequest,
        raw: Vec<u8>,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let path = format!("/admin/{}", rest.join("/"));
        let body = body.to_string();
        // Boxed: go-live's probes and the in-doubt settlement are large futures.
        if let Some(answer) = Box::pin(self.live_routes(t, method, rest, &body, now)).await {
            return answer;
        }
        if let Some(answer) = Box::pin(self.campaign_routes(t, method, rest, &body, now)).await {
            return answer;
        }
        match (method, rest) {
            ("GET", ["control-plane"]) => self.control_plane(t, now).await,
            ("GET", ["operators"]) => {
                let ops: Vec<Value> = self
                    .store
                    .operators(t)
                    .await?
                    .iter()
                    .map(|o| json!({"login": o.login, "display_name": o.display_name, "role": o.role.as_str(), "disabled": o.disabled}))
                    .collect();
                Ok((200, json!({"operators": ops})))
            }
            ("POST", ["operators"]) => {
                let b: Value = parse_body(&body, "body")?;
                let field = |k: &str| b[k].as_str().unwrap_or("").to_string();
                let op = console::new_operator(
                    t,
                    &field("login"),
                    &field("display_name"),
                    &field("role"),
                    &field("password"),
                    now,
                )?;
                self.store
                    .create_operator(&op, &crate::console::actor(), now)
                    .await?;
                Ok((201, json!({"login": op.login, "role": op.role.as_str()})))
            }
            ("GET", ["config"]) => Ok((
                200,
                serde_json::to_value(self.store.require_config(t).await?).unwrap_or_default(),
            )),
            ("PUT", ["config"]) => self.put_config(t, &body, now).await,
            ("POST", ["leads", "import"]) => {
                let upload = upload::read(
                    req.query_string_parameters.first("format"),
                    header(req, "content-type"),
                    raw,
                )
                .await?;
                let source = header(req, "x-source-name")
                    .map(str::to_string)
                    .or(upload.file_name)
                    .unwrap_or_else(|| "upload".into());
                self.import(t, upload.bytes, upload.format, &source, now)
                    .await
            }
            ("GET", ["leads"]) => {
                let status = req
                    .query_string_parameters
                    .first("status")
                    .map(str::to_string);
                let q = req
                    .query_string_parameters
                    .first("q")
                    .map(str::to_lowercase);
                let company = req
                    .query_string_parameters
                    .first("company")
                    .and_then(shared::domain::targeting::suppression::canonical_domain);
                let leads: Vec<Value> = self
                    .store
                    .leads(t)
                    .await?
                    .into_iter()
                    .filter(|l| status.as_deref().is_none_or(|s| l.status.as_str() == s))
                    // Branches of one business (one lead per map listing)
                    // and colleagues at one company share its domain.
                    .filter(|l| {
                        company
                            .as_deref()
                            .is_none_or(|c| l.company_domain.as_deref() == Some(c))
                    })
                    .filter(|l| {
                        q.as_deref().is_none_or(|q| {
                            [
                                &l.email,
                                &l.company,
                                &l.first_name,
                                &l.last_name,
                                &l.company_domain,
                                &l.phone,
                                &l.company_phone,
                            ]
                            .iter()
                            .any(|f| f.as_deref().is_some_and(|v| v.to_lowercase().contains(q)))
                        })
                    })
                    .map(|l| json!({"id": l.id, "email": l.email, "company": l.company, "company_domain": l.company_domain, "place_id": l.place_id, "city": l.city, "status": l.status, "hold": l.hold, "score": l.score, "tier": l.tier, "campaign": l.campaign, "timezone": l.timezone}))
                    .collect();
                Ok((200, json!({"leads": leads})))
            }
            ("GET", ["leads", id]) => {
                let (lead, touches, timeline) = self
                    .store
                    .lead_view(t, id)
                    .await?
                    .ok_or_else(|| Error::NotFound(format!("lead {id}")))?;
                Ok((
                    200,
                    json!({"lead": lead, "touches": touches, "timeline": timeline}),
                ))
            }
            ("POST", ["leads", id, "reply"]) => self.reply_to_lead(t, id, &body, now).await,
            ("GET", ["drafts"]) => {
                let drafts: Vec<Value> = self
                    .store
                    .drafts(t)
                    .await?
                    .iter()
                    .map(drafts::draft_json)
                    .collect();
                Ok((200, json!({"drafts": drafts})))
            }
            ("GET", ["drafts", lead, step]) => self.get_draft(t, lead, step).await,
            ("PUT", ["drafts", lead, step]) => self.edit_draft(t, lead, step, &body, now).await,
            ("POST", ["drafts", lead, step, "approve"]) => {
                self.approve_one(t, lead, step, &body, now).await
            }
            ("POST", ["drafts", lead, step, "reject"]) => {
                self.reject_one(t, lead, step, &body, now).await
            }
            ("POST", ["batches"]) => self.create_batch(t, &body, now).await,
            ("GET", ["batches", id]) => self.get_batch(t, id).await,
            ("POST", ["batches", id, "approve"]) => self.approve_batch(t, id, now).await,
            ("GET", ["variants"]) => self.variants(t, now).await,
            ("GET", ["presets"]) => {
                let presets: BTreeMap<&str, _> = shared::domain::dispatch::sequence::presets()
                    .into_iter()
                    .collect();
                Ok((200, json!({"sequences": presets})))
            }
            ("POST", ["control", action]) => self.control(t, action, &body, now).await,
            ("GET", ["funnel"]) => Ok((200, self.funnel(t).await?)),
            ("GET", ["suppressions"]) => {
                let entries = self.store.suppressions_of(t, kind_filter(req)?).await?;
                let entries: Vec<Value> = entries.iter().map(entry_json).collect();
                Ok((200, json!({"suppressions": entries})))
            }
            ("POST", ["suppressions"]) => {
                let r: SuppressionRequest = serde_json::from_str(&body)
                    .map_err(|e| Error::invalid("body", e.to_string()))?;
                let country = self.default_country(t).await?;
                let value = r
                    .kind
                    .canonical_in(&r.value, country.as_deref())
                    .ok_or_else(|| {
                        Error::invalid(
                            "value",
                            format!("{:?} is not a valid {}", r.value, r.kind.as_str()),
                        )
                    })?;
                let reason = r.reason.unwrap_or_else(|| "added by operator".into());
                self.store
                    .add_suppression(t, r.kind, &value, &reason, now)
                    .await?;
                self.store
                    .audit(
                        t,
                        &crate::console::actor(),
                        "suppress",
                        &format!("{} {value}", r.kind.as_str()),
                        now,
                    )
                    .await?;
                Ok((201, json!({"suppressed": value})))
            }
            ("POST", ["suppressions", "import"]) => {
                let source = header(req, "x-source-name").unwrap_or("upload");
                self.import_suppressions(t, &body, source, now).await
            }
            ("DELETE", ["suppressions", kind, value]) => {
                self.remove_suppression(t, kind, value, now).await
            }
            ("GET", ["outbox"]) => Ok((200, json!({"outbox": self.store.outbox(t).await?}))),
            ("POST", ["erasures"]) => self.erase(t, &body, now).await,
            ("GET", ["audit"]) => {
                let rows: Vec<Value> = self
                    .store
                    .audit_trail(t)
                    .await?
                    .into_iter()
                    .map(|(at, actor, action, detail)| json!({"at": at, "actor": actor, "action": action, "detail": detail}))
                    .collect();
                Ok((200, json!({"audit": rows})))
            }
            _ => Err(Error::NotFound(format!("no route {method} {path}"))),
        }
    }

    async fn bootstrap(&self, body: &str, now: DateTime<Utc>) -> Result<(u16, Value)> {
        let b: Bootstrap = serde_json::from_str(body)
            .map_err(|e| Error::invalid("body", format!("bad JSON: {e}")))?;
        let tenant = TenantId::parse(&b.tenant)?;
        let start = b.warmup_start.unwrap_or_else(|| now.date_naive());
        let mut config = b
            .config
            .unwrap_or_else(|| TenantConfig::default_for(tenant.clone(), &b.name, start));
        config.tenant = tenant.clone();
        // Every tenant starts in shadow mode: going live is a checked step.
        config.shadow_mode = true;
        // A domain given without warmup rows ramps by its age (SPEC §8),
        // from the day it was first used or from today.
        for d in &mut config.domains {
            if d.warmup.is_empty() {
                d.warmup = shared::domain::dispatch::warmup::ramp_for_new_domain(
                    &[],
                    d.first_used.unwrap_or(start),
                );
            }
        }
        config
            .validate()
            .map_err(|e| Error::invalid(format!("config.{}", e.field), e.reason))?;
        let secret = format!("{}{}", short_id(), short_id());
        self.store
            .create_tenant(&config, &token_hash(&secret), now)
            .await?;
        self.store
            .audit(tenant.as_str(), "bootstrap", "tenant_created", &b.name, now)
            .await?;
        Ok((
            201,
            json!({"tenant": tenant, "token": format!("{tenant}.{secret}"), "note": "store this token: it is shown once"}),
        ))
    }

    /// The country a tenant's national phone numbers are read in.
    async fn default_country(&self, tenant: &str) -> Result<Option<String>> {
        Ok(self
            .store
            .require_config(tenant)
            .await?
            .intake
            .default_country)
    }

    async fn import(
        &self,
        tenant: &str,
        body: Vec<u8>,
        format: LeadFormat,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid("body", "empty: send the leads as the body"));
        }
        let tid = TenantId::parse(tenant)?;
        let config = self.store.require_config(tenant).await?;
        let opened = open_rows(
            format,
            &tid,
            &config.intake,
            std::io::Cursor::new(body),
            source,
            now,
        )?;
        let mut report = import_rows(
            &self.keyed_store(),
            self.enrich.as_ref(),
            &config,
            source,
            opened.rows,
            now,
            &mut |_| {},
        )
        .await?;
        report.unmapped_columns = opened.unmapped;
        report.detected = opened.detection.map(|d| d.get());
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "import",
                &report.summary(),
                now,
            )
            .await?;
        Ok((200, serde_json::to_value(&report).unwrap_or_default()))
    }

    /// Replaces the tenant's config. The body is the whole config (as GET
    /// returns it); a field that does not parse or validate is named in the
    /// error. When what scoring reads changed (ICP, offers, weights, tiers),
    /// every lead is re-scored in pages through the score queue.
    async fn put_config(
        &self,
        tenant: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let mut config: TenantConfig = parse_body(body, "config")?;
        let old = self.store.require_config(tenant).await?;
        if config.tenant.as_str() != tenant {
            return Err(Error::invalid(
                "config.tenant",
                format!("is {}, but this token belongs to {tenant}", config.tenant),
            ));
        }
        config
            .validate()
            .map_err(|e| Error::invalid(format!("config.{}", e.field), e.reason))?;
        let rescore = old.icp != config.icp
            || old.offers != config.offers
            || old.weights != config.weights
            || old.tiers != config.tiers;
        config.tenant = old.tenant.clone();
        if config.shadow_mode != old.shadow_mode {
            return Err(Error::invalid(
                "config.shadow_mode",
                "is switched only by POST /admin/go-live (which checks the tenant is ready) and POST /admin/go-shadow",
            ));
        }
        // A sending domain added now gets its warmup ramp (its own rows, or
        // SPEC §8's by age), or it would send at the full cap from day one.
        let today = now.with_timezone(&config.tz()).date_naive();
        let new_domains: Vec<(String, Vec<_>)> = config
            .domains
            .iter()
            .filter(|d| old.domain(&d.domain).is_none())
            .map(|d| {
                (
                    d.domain.clone(),
                    shared::domain::dispatch::warmup::ramp_for_new_domain(
                        &d.warmup,
                        d.first_used.unwrap_or(today),
                    ),
                )
            })
            .collect();
        for d in &mut config.domains {
            if let Some((_, rows)) = new_domains.iter().find(|(n, _)| *n == d.domain) {
                d.warmup = rows.clone();
            }
        }
        self.store
            .put_config(
                &config,
                &new_domains,
                &crate::console::actor(),
                if rescore {
                    "config replaced; re-scoring every lead"
                } else {
                    "config replaced"
                },
                now,
            )
            .await?;
        if rescore {
            self.score
                .send_all(&[json!({"tenant": tenant, "rescore": ""})])
                .await?;
        }
        Ok((200, json!({"tenant": tenant, "rescoring": rescore})))
    }

    /// `DELETE /admin/suppressions/{kind}/{value}`: removes one entry (the
    /// value URL-encoded, canonicalised as when it was added). Removing an
    /// entry changes no lead: a lead in a stop state (unsubscribed, dnc,
    /// bounced, ...) stays stopped, because its own status stops it whatever
    /// the list says; and a lead marked `suppressed` at intake because of this
    /// entry stays marked and is never enrolled. There is no automatic
    /// un-marking: the mark records why the lead was kept out when it came
    /// in, and un-marking would enrol people on the strength of an entry's
    /// removal alone. What does change: touches already approved for leads
    /// that are not stopped are no longer blocked by this entry at send time.
    /// The response's `note` says so.
    async fn remove_suppression(
        &self,
        tenant: &str,
        kind: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let kind = SuppressionKind::parse(kind).ok_or_else(|| {
            Error::invalid("kind", format!("{kind:?} is not email, domain or phone"))
        })?;
        let raw = decode_path_segment(value)?;
        let country = self.default_country(tenant).await?;
        let value = kind.canonical_in(&raw, country.as_deref()).ok_or_else(|| {
            Error::invalid("value", format!("{raw:?} is not a valid {}", kind.as_str()))
        })?;
        let removed = self
            .store
            .remove_suppression(tenant, kind, &value)
            .await?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "{} {value} is not on the suppression list",
                    kind.as_str()
                ))
            })?;
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "unsuppress",
                &format!("{} {value} (was: {})", kind.as_str(), removed.reason),
                now,
            )
            .await?;
        Ok((
            200,
            json!({"removed": entry_json(&removed), "note": REMOVAL_NOTE}),
        ))
    }

    /// `POST /admin/suppressions/import`: a CSV or plain list (see
    /// `read_list`). Bad lines are reported by line, field and reason and
    /// the rest are added; entries already on the list are left as they are,
    /// so importing the same file twice adds nothing the second time.
    async fn import_suppressions(
        &self,
        tenant: &str,
        body: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        if body.trim().is_empty() {
            return Err(Error::invalid(
                "body",
                "empty: send the list as the body (CSV or one value a line)",
            ));
        }
        let country = self.default_country(tenant).await?;
        let file = read_list_in(body, country.as_deref());
        let default_reason = format!("imported from {source}");
        let entries: Vec<(SuppressionKind, String, String)> = file
            .entries
            .into_iter()
            .map(|e| {
                let reason = e.reason.unwrap_or_else(|| default_reason.clone());
                (e.kind, e.value, reason)
            })
            .collect();
        let (added, already_present) = self.store.add_suppressions(tenant, &entries, now).await?;
        let error_count = file.errors.len();
        let summary = format!(
            "{source}: {} lines, {added} added, {already_present} already present, {error_count} errors",
            file.lines
        );
        self.store
            .audit(
                tenant,
                &crate::console::actor(),
                "suppressions_import",
                &summary,
                now,
            )
            .await?;
        let errors = &file.errors[..error_count.min(LISTED)];
        Ok((
            200,
            json!({
                "source": source, "lines": file.lines, "added": added,
                "already_present": already_present, "error_count": error_count,
                "errors": errors, "ignored_columns": file.ignored_columns,
            }),
        ))
    }

    /// `GET /admin/suppressions/export[?kind=]`: the list as CSV
    /// (`kind,value,reason,added_at`), readable by the import route.
    async fn export_suppressions(&self, req: &ApiGatewayV2httpRequest) -> Result<String> {
        let tenant = self.authenticate(req).await?;
        let entries = self
            .store
            .suppressions_of(&tenant, kind_filter(req)?)
            .await?;
        Ok(to_csv(&entries))
    }

    async fn control(
        &self,
        tenant: &str,
        action: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value)> {
        let r: Reason = parse_json(body)?;
        let reason = r.reason.unwrap_or_else(|| "operator".into());
        let changed = match action {
            "pause" => {
                self.store
                    .set_switch(tenant, "paused", true, Some(&reason), now)
                    .await?
            }
            "resume" => {
                let a = self
                    .store
                    .set_switch(tenant, "paused", false, None, now)
                    .await?;
                let b = self.store.reset_breaker(tenant, now).await?;
                a || b
            }
            "emergency-stop" => {
                self.store
                    .set_switch(tenant, "emergency_stop", true, None, now)
                    .await?
            }
            "emergency-release" => {
                self.store
                    .set_switch(tenant, "emergency_stop", false, None, now)
                    .await?
            }
            other => return Err(Error::NotFound(format!("no control action `{other}`"))),
        };
        self.store
            .audit(tenant, &crate::console::actor(), action, &reason, now)
            .await?;
        Ok((
            200,
            json!({"action": action, "changed": changed, "control": self.store.control(tenant).await?}),
        ))
    }
}

/// A JSON body as `T`; what does not parse is named by its path under
/// `what` (`config.caps.email_per_tenant`), or as the body itself.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &str, what: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        Error::invalid(
            if field == "." {
                "body".to_string()
            } else {
                format!("{what}.{field}")
            },
            e.into_inner().to_string(),
        )
    })
}
