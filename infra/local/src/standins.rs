//! Local stand-ins for the providers a live tenant sends through (Mailgun,
//! Twilio, Retell, HeyReach): HTTP servers that check the credentials and
//! the request as the provider documents it, answer as the provider does,
//! throw in a 429 and a 500 now and then, keep what they accepted, and
//! answer the lookups the dispatcher makes for attempts in doubt. The demo
//! and the tests send to them; their ledger shows what really went out.

use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What one provider saw.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Tally {
    pub requests: u32,
    pub accepted: u32,
    /// 429s thrown in (not taken).
    pub rate_limited: u32,
    /// 500s thrown in (not taken).
    pub failed: u32,
    /// Refused for a bad request or bad credentials.
    pub refused: u32,
    /// An attempt accepted a second time: a double send.
    pub doubled: u32,
    pub lookups: u32,
}

/// One message or call a stand-in took.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    pub provider: &'static str,
    pub id: String,
    pub attempt: String,
    pub from: String,
    pub to: String,
    /// Every field as received (form fields, or the JSON body's top level).
    pub fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Ledger {
    tallies: BTreeMap<&'static str, Tally>,
    accepted: Vec<Accepted>,
    by_attempt: HashMap<(&'static str, String), usize>,
    refusals: Vec<String>,
}

/// The credentials the stand-ins accept, as a tenant's secrets hold them.
#[derive(Debug, Clone)]
pub struct StandInKeys {
    pub mailgun_key: String,
    pub mailgun_domain: String,
    pub twilio_sid: String,
    pub twilio_token: String,
    pub retell_key: String,
    pub retell_agent: String,
    pub heyreach_key: String,
    pub heyreach_campaign: String,
}

impl Default for StandInKeys {
    fn default() -> Self {
        Self {
            mailgun_key: "key-local-standin".into(),
            mailgun_domain: "mg.example.com".into(),
            twilio_sid: "AC00000000000000000000000000000001".into(),
            twilio_token: "local-twilio-token".into(),
            retell_key: "local-retell-key".into(),
            retell_agent: "agent_local".into(),
            heyreach_key: "local-heyreach-key".into(),
            heyreach_campaign: "4242".into(),
        }
    }
}

/// The four stand-ins, each on its own local port.
pub struct StandIns {
    pub mailgun: MockServer,
    pub twilio: MockServer,
    pub retell: MockServer,
    pub heyreach: MockServer,
    pub keys: StandInKeys,
    ledger: Arc<Mutex<Ledger>>,
}

/// Every `every`-th request from `offset` on gets the fault.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub rate_limit_every: u32,
    pub fail_every: u32,
    /// Answer every send this late (it is taken all the same): a caller
    /// that gives up first cannot know it went out.
    pub answer_after: Option<std::time::Duration>,
    /// Mailgun's Events API is down (503): a lookup cannot tell.
    pub events_down: bool,
}

impl Faults {
    pub const NONE: Faults = Faults {
        rate_limit_every: 0,
        fail_every: 0,
        answer_after: None,
        events_down: false,
    };
    /// A 429 every 9th request and a 500 every 13th: "now and then".
    pub const SOME: Faults = Faults {
        rate_limit_every: 9,
        fail_every: 13,
        answer_after: None,
        events_down: false,
    };
}

impl StandIns {
    pub async fn start(keys: StandInKeys, faults: Faults) -> Self {
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let server = |provider: &'static str| {
            let responder = StandIn {
                provider,
                keys: keys.clone(),
                faults,
                ledger: ledger.clone(),
            };
            async move {
                let s = MockServer::start().await;
                Mock::given(any()).respond_with(responder).mount(&s).await;
                s
            }
        };
        Self {
            mailgun: server("mailgun").await,
            twilio: server("twilio").await,
            retell: server("retell").await,
            heyreach: server("heyreach").await,
            keys,
            ledger,
        }
    }

    /// The secrets a tenant sending through these stand-ins holds.
    pub fn secrets(&self) -> BTreeMap<&'static str, Value> {
        let k = &self.keys;
        BTreeMap::from([
            (
                "mailgun",
                json!({"api_key": k.mailgun_key, "domain": k.mailgun_domain, "region": "us"}),
            ),
            (
                "twilio",
                json!({"account_sid": k.twilio_sid, "auth_token": k.twilio_token}),
            ),
            (
                "retell",
                json!({"api_key": k.retell_key, "agent_id": k.retell_agent}),
            ),
            (
                "heyreach",
                json!({"api_key": k.heyreach_key, "campaign_id": k.heyreach_campaign}),
            ),
        ])
    }

    pub fn tallies(&self) -> BTreeMap<&'static str, Tally> {
        self.ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .tallies
            .clone()
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .accepted
            .clone()
    }

    /// Why requests were refused (bad requests name the field).
    pub fn refusals(&self) -> Vec<String> {
        self.ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .refusals
            .clone()
    }
}

struct StandIn {
    provider: &'static str,
    keys: StandInKeys,
    faults: Faults,
    ledger: Arc<Mutex<Ledger>>,
}

/// A refusal the provider would give, with the field it names.
struct Refusal {
    status: u16,
    body: Value,
}

fn bad(status: u16, body: Value) -> Refusal {
    Refusal { status, body }
}

impl Respond for StandIn {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let n = {
            let t = ledger.tallies.entry(self.provider).or_default();
            t.requests += 1;
            t.requests
        };
        let answer = match self.provider {
            "mailgun" => self.mailgun(req, n, &mut ledger),
            "twilio" => self.twilio(req, n, &mut ledger),
            "retell" => self.retell(req, n, &mut ledger),
            _ => self.heyreach(req, n, &mut ledger),
        };
        match answer {
            Ok(r) => r,
            Err(refusal) => {
                ledger.tallies.entry(self.provider).or_default().refused += 1;
                ledger.refusals.push(format!(
                    "{} {} {}: {}",
                    self.provider,
                    req.method,
                    req.url.path(),
                    refusal.body
                ));
                ResponseTemplate::new(refusal.status).set_body_json(refusal.body)
            }
        }
    }
}

/// Form fields, repeated ones joined with a newline.
fn form(req: &Request) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(&req.body) {
        out.entry(k.into_owned())
            .and_modify(|e| {
                e.push('\n');
                e.push_str(&v);
            })
            .or_insert_with(|| v.into_owned());
    }
    out
}

fn basic(req: &Request) -> Option<(String, String)> {
    let h = req.headers.get("authorization")?.to_str().ok()?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(h.strip_prefix("Basic ")?)
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

fn e164(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

impl StandIn {
    /// A 429 or a 500 now and then, before anything is taken.
    fn fault(&self, n: u32, ledger: &mut Ledger) -> Option<ResponseTemplate> {
        let f = self.faults;
        let t = ledger.tallies.entry(self.provider).or_default();
        if f.rate_limit_every > 0 && n % f.rate_limit_every == 4 % f.rate_limit_every {
            t.rate_limited += 1;
            return Some(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .set_body_json(json!({"message": "Too many requests"})),
            );
        }
        if f.fail_every > 0 && n % f.fail_every == 7 % f.fail_every {
            t.failed += 1;
            return Some(
                ResponseTemplate::new(500).set_body_json(json!({"message": "Internal error"})),
            );
        }
        None
    }

    /// Records an accepted attempt; a second acceptance of one attempt is
    /// a double send and counted as such.
    fn take(&self, ledger: &mut Ledger, a: Accepted) {
        let key = (self.provider, a.attempt.clone());
        let t = ledger.tallies.entry(self.provider).or_default();
        t.accepted += 1;
        if ledger.by_attempt.contains_key(&key) {
            t.doubled += 1;
        }
        ledger.by_attempt.insert(key, ledger.accepted.len());
        ledger.accepted.push(a);
    }

    fn mailgun(
        &self,
        req: &Request,
        n: u32,
        ledger: &mut Ledger,
    ) -> Result<ResponseTemplate, Refusal> {
        let k = &self.keys;
        if basic(req) != Some(("api".into(), k.mailgun_key.clone())) {
            return Err(bad(401, json!({"message": "Invalid private key"})));
        }
        let path = req.url.path();
        let domain_path = |tail: &str| format!("/v3/{}/{tail}", k.mailgun_domain);
        if req.method.as_str() == "GET"
            && (path == format!("/v3/domains/{}", k.mailgun_domain)
                || path == format!("/v4/domains/{}", k.mailgun_domain))
        {
            return Ok(ResponseTemplate::new(200)
                .set_body_json(json!({"domain": {"name": k.mailgun_domain, "state": "active"}})));
        }
        if req.method.as_str() == "GET" && path == domain_path("events") {
            ledger.tallies.entry(self.provider).or_default().lookups += 1;
            if self.faults.events_down {
                return Ok(ResponseTemplate::new(503)
                    .set_body_json(json!({"message": "Service Unavailable"})));
            }
            // The documented `recipient` filter; every event carries the
            // message's user variables.
            let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
            let items: Vec<Value> = ledger
                .accepted
                .iter()
                .filter(|a| {
                    a.provider == "mailgun" && q.get("recipient").is_none_or(|r| *r == a.to)
                })
                .map(|a| {
                    json!({
                        "event": "accepted",
                        "id": format!("ev-{}", a.attempt),
                        "timestamp": 1.0,
                        "recipient": a.to,
                        "message": {"headers": {"message-id": a.id.trim_matches(['<', '>'])}},
                        "user-variables": {"attempt": a.attempt},
                    })
                })
                .collect();
            return Ok(
                ResponseTemplate::new(200).set_body_json(json!({"items": items, "paging": {}}))
            );
        }
        if req.method.as_str() != "POST" || path != domain_path("messages") {
            return Err(bad(404, json!({"message": "Domain not found"})));
        }
        if let Some(r) = self.fault(n, ledger) {
            return Ok(r);
        }
        let f = form(req);
        for field in [
            "from",
            "to",
            "subject",
            "text",
            "h:List-Unsubscribe",
            "h:List-Unsubscribe-Post",
            "v:tenant",
            "v:lead",
            "v:step",
            "v:attempt",
        ] {
            if f.get(field).is_none_or(|v| v.trim().is_empty()) {
                return Err(bad(
                    400,
                    json!({"message": format!("'{field}' parameter is missing")}),
                ));
            }
        }
        for (name, value) in form_urlencoded::parse(&req.body) {
            if name != "text" && name != "html" && value.contains(['\r', '\n']) {
                return Err(bad(
                    400,
                    json!({"message": format!("'{name}' contains a line break")}),
                ));
            }
        }
        if f["h:List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
            return Err(bad(
                400,
                json!({"message": "'h:List-Unsubscribe-Post' is not one-click"}),
            ));
        }
        let attempt = f["v:attempt"].clone();
        let id = format!("<{attempt}.{n}@{}>", k.mailgun_domain);
        self.take(
            ledger,
            Accepted {
                provider: self.provider,
                id: id.clone(),
                attempt,
                from: f["from"].clone(),
                to: f["to"].clone(),
                fields: f,
            },
        );
        let queued = ResponseTemplate::new(200)
            .set_body_json(json!({"id": id, "message": "Queued. Thank you."}));
        Ok(match self.faults.answer_after {
            Some(late) => queued.set_delay(late),
            None => queued,
        })
    }

    fn twilio(
        &self,
        req: &Request,
        n: u32,
        ledger: &mut Ledger,
    ) -> Result<ResponseTemplate, Refusal> {
        let k = &self.keys;
        let twilio_error = |status: u16, code: u32, message: &str| {
            bad(
                status,
                json!({"code": code, "message": message, "status": status}),
            )
        };
        if basic(req) != Some((k.twilio_sid.clone(), k.twilio_token.clone())) {
            return Err(twilio_error(401, 20003, "Authenticate"));
        }
        let base = format!("/2010-04-01/Accounts/{}", k.twilio_sid);
        let path = req.url.path().to_string();
        let method = req.method.as_str();
        if method == "GET" && path == format!("{base}.json") {
            return Ok(ResponseTemplate::new(200)
                .set_body_json(json!({"sid": k.twilio_sid, "status": "active"})));
        }
        let list = |ledger: &mut Ledger, kind: &str| {
            ledger.tallies.entry(self.provider).or_default().lookups += 1;
            let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
            let rows: Vec<Value> = ledger
                .accepted
                .iter()
                .filter(|a| a.provider == "twilio" && a.id.starts_with(kind))
                .filter(|a| q.get("To").is_none_or(|to| *to == a.to))
                .filter(|a| q.get("From").is_none_or(|from| *from == a.from))
                .map(|a| json!({"sid": a.id, "to": a.to, "from": a.from, "status": "sent"}))
                .collect();
            rows
        };
        if method == "GET" && path == format!("{base}/Messages.json") {
            let rows = list(ledger, "SM");
            return Ok(ResponseTemplate::new(200).set_body_json(json!({"messages": rows})));
        }
        if method == "GET" && path == format!("{base}/Calls.json") {
            let rows = list(ledger, "CA");
            return Ok(ResponseTemplate::new(200).set_body_json(json!({"calls": rows})));
        }
        let call = path == format!("{base}/Calls.json");
        if method != "POST" || !(call || path == format!("{base}/Messages.json")) {
            return Err(twilio_error(
                404,
                20404,
                "The requested resource was not found",
            ));
        }
        if let Some(r) = self.fault(n, ledger) {
            return Ok(r);
        }
        let f = form(req);
        let to = f.get("To").cloned().unwrap_or_default();
        if !e164(&to) {
            return Err(twilio_error(400, 21211, "Invalid 'To' Phone Number"));
        }
        let from = f
            .get("From")
            .or_else(|| f.get("MessagingServiceSid"))
            .cloned()
            .unwrap_or_default();
        if from.is_empty() {
            return Err(twilio_error(
                400,
                21603,
                "A 'From' phone number is required",
            ));
        }
        if call {
            if !f.contains_key("Twiml") && !f.contains_key("Url") {
                return Err(twilio_error(400, 21205, "Url or Twiml is required"));
            }
        } else if f.get("Body").is_none_or(|b| b.is_empty()) {
            return Err(twilio_error(400, 21602, "Message body is required"));
        }
        // Twilio takes no idempotency key: a double send shows as the same
        // recipient taking the same body twice.
        let attempt = format!(
            "{to}|{}",
            f.get("Body")
                .or(f.get("Twiml"))
                .cloned()
                .unwrap_or_default()
        );
        let id = format!("{}{:032x}", if call { "CA" } else { "SM" }, n);
        self.take(
            ledger,
            Accepted {
                provider: self.provider,
                id: id.clone(),
                attempt,
                from: from.clone(),
                to: to.clone(),
                fields: f,
            },
        );
        Ok(ResponseTemplate::new(201)
            .set_body_json(json!({"sid": id, "status": "queued", "to": to, "from": from})))
    }

    fn retell(
        &self,
        req: &Request,
        n: u32,
        ledger: &mut Ledger,
    ) -> Result<ResponseTemplate, Refusal> {
        let k = &self.keys;
        if header(req, "authorization") != Some(&format!("Bearer {}", k.retell_key)) {
            return Err(bad(401, json!({"error_message": "Unauthorized"})));
        }
        let path = req.url.path();
        let method = req.method.as_str();
        if method == "GET" && path == format!("/get-agent/{}", k.retell_agent) {
            return Ok(
                ResponseTemplate::new(200).set_body_json(json!({"agent_id": k.retell_agent}))
            );
        }
        if method == "POST" && path == "/v3/list-calls" {
            ledger.tallies.entry(self.provider).or_default().lookups += 1;
            if self.faults.events_down {
                return Ok(ResponseTemplate::new(503)
                    .set_body_json(json!({"message": "Service Unavailable"})));
            }
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let to = body["filter_criteria"]["to_number"]["value"]
                .as_str()
                .map(str::to_string);
            let calls: Vec<Value> = ledger
                .accepted
                .iter()
                .filter(|a| a.provider == "retell" && to.as_ref().is_none_or(|t| *t == a.to))
                .map(|a| {
                    json!({"call_id": a.id, "call_status": "registered", "from_number": a.from,
                           "to_number": a.to, "metadata": {"attempt": a.attempt}})
                })
                .collect();
            return Ok(ResponseTemplate::new(200)
                .set_body_json(json!({"items": calls, "has_more": false})));
        }
        if method != "POST" || path != "/v2/create-phone-call" {
            return Err(bad(404, json!({"error_message": "Not found"})));
        }
        if let Some(r) = self.fault(n, ledger) {
            return Ok(r);
        }
        let body: Value = serde_json::from_slice(&req.body)
            .map_err(|_| bad(400, json!({"error_message": "body is not JSON"})))?;
        let s = |k: &str| body[k].as_str().unwrap_or_default().to_string();
        if !e164(&s("from_number")) || !e164(&s("to_number")) {
            return Err(bad(
                400,
                json!({"error_message": "from_number and to_number must be E.164"}),
            ));
        }
        let attempt = body["metadata"]["attempt"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if attempt.is_empty() {
            return Err(bad(
                400,
                json!({"error_message": "metadata.attempt missing (stand-in check)"}),
            ));
        }
        let id = format!("call_{n:08x}");
        let fields = body
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())
            .unwrap_or_default();
        self.take(
            ledger,
            Accepted {
                provider: self.provider,
                id: id.clone(),
                attempt,
                from: s("from_number"),
                to: s("to_number"),
                fields,
            },
        );
        Ok(ResponseTemplate::new(201).set_body_json(
            json!({"call_id": id, "call_status": "registered", "metadata": body["metadata"]}),
        ))
    }

    fn heyreach(
        &self,
        req: &Request,
        n: u32,
        ledger: &mut Ledger,
    ) -> Result<ResponseTemplate, Refusal> {
        let k = &self.keys;
        if header(req, "x-api-key") != Some(k.heyreach_key.as_str()) {
            return Err(bad(401, json!({"errorMessage": "Invalid API key"})));
        }
        let path = req.url.path().trim_start_matches("/api/public");
        let method = req.method.as_str();
        if method == "GET" && path == "/auth/CheckApiKey" {
            return Ok(ResponseTemplate::new(200));
        }
        if method != "POST" {
            return Err(bad(404, json!({"errorMessage": "Not found"})));
        }
        let body: Value = serde_json::from_slice(&req.body)
            .map_err(|_| bad(400, json!({"errorMessage": "body is not JSON"})))?;
        match path {
            "/campaign/AddLeadsToCampaignV2" => {
                if let Some(r) = self.fault(n, ledger) {
                    return Ok(r);
                }
                if body["campaignId"].to_string().trim_matches('"') != k.heyreach_campaign {
                    return Err(bad(404, json!({"errorMessage": "Campaign not found"})));
                }
                let pairs = body["accountLeadPairs"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for pair in &pairs {
                    let lead = &pair["lead"];
                    let url = lead["profileUrl"].as_str().unwrap_or_default().to_string();
                    // linkedin.com, or the reserved linkedin.example of sample data.
                    if !(url.contains("linkedin.") && url.contains("/in/")) {
                        return Err(bad(
                            400,
                            json!({"errorMessage": "lead.profileUrl is not a LinkedIn URL"}),
                        ));
                    }
                    let attempt = lead["customUserFields"]
                        .as_array()
                        .and_then(|f| f.iter().find(|x| x["name"] == "attempt"))
                        .and_then(|x| x["value"].as_str())
                        .unwrap_or(&url)
                        .to_string();
                    self.take(
                        ledger,
                        Accepted {
                            provider: self.provider,
                            id: format!("hr-{n}"),
                            attempt,
                            from: pair["linkedInAccountId"].to_string(),
                            to: url,
                            fields: BTreeMap::from([("lead".to_string(), lead.to_string())]),
                        },
                    );
                }
                Ok(ResponseTemplate::new(200).set_body_json(
                    json!({"addedLeadsCount": pairs.len(), "updatedLeadsCount": 0, "failedLeadsCount": 0}),
                ))
            }
            "/inbox/SendMessage" => {
                if let Some(r) = self.fault(n, ledger) {
                    return Ok(r);
                }
                let conversation = body["conversationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if conversation.is_empty() || body["message"].as_str().is_none_or(str::is_empty) {
                    return Err(bad(
                        400,
                        json!({"errorMessage": "conversationId and message are required"}),
                    ));
                }
                let attempt = format!("{conversation}|{}", body["message"]);
                self.take(
                    ledger,
                    Accepted {
                        provider: self.provider,
                        id: format!("hrm-{n}"),
                        attempt,
                        from: body["linkedInAccountId"].to_string(),
                        to: conversation,
                        fields: BTreeMap::new(),
                    },
                );
                Ok(ResponseTemplate::new(200))
            }
            "/inbox/GetConversationsV2" => {
                ledger.tallies.entry(self.provider).or_default().lookups += 1;
                if self.faults.events_down {
                    return Ok(ResponseTemplate::new(503)
                        .set_body_json(json!({"message": "Service Unavailable"})));
                }
                let url = body["filters"]["leadProfileUrl"]
                    .as_str()
                    .unwrap_or_default();
                let items: Vec<Value> = ledger
                    .accepted
                    .iter()
                    .filter(|a| a.provider == "heyreach" && !url.is_empty() && a.to == url)
                    .map(|a| json!({"id": format!("conv-{}", a.id), "correspondentProfile": {"profileUrl": a.to}}))
                    .collect();
                Ok(ResponseTemplate::new(200)
                    .set_body_json(json!({"totalCount": items.len(), "items": items})))
            }
            _ => Err(bad(404, json!({"errorMessage": "Not found"}))),
        }
    }
}
