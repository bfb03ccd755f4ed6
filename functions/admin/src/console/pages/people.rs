//! People and lists: leads (search, filters, a lead's page with why each
//! touch waits), the suppression list, erasing a person, and operators.

use super::*;
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::operators::{check_login, password};
use shared::domain::touch::{Touch, TouchState};
use shared::store::LeadFilter;

impl App {
    pub(super) async fn leads_page(
        &self,
        who: &Who,
        form: &Form,
        _req: &ApiGatewayV2httpRequest,
        _now: DateTime<Utc>,
    ) -> Result<Response> {
        let status = form.opt("status");
        if let Some(s) = &status {
            if !LeadStatus::ALL.iter().any(|x| x.as_str() == s) {
                return Err(Error::invalid(
                    "status",
                    format!("{s:?} is not a lead status"),
                ));
            }
        }
        let tier = match form.opt("tier").as_deref() {
            None => None,
            Some(t @ ("1" | "2" | "3")) => t.parse().ok(),
            Some(other) => {
                return Err(Error::invalid(
                    "tier",
                    format!("{other:?} is not 1, 2 or 3"),
                ))
            }
        };
        // An email finds its lead in one read: a lead's id is its dedup key's
        // hash. Free text pages through the leads index with a filter.
        if let Some(q) = form.opt("q").filter(|q| q.contains('@')) {
            let tenant = TenantId::parse(&who.tenant)?;
            let key = format!("email:{}", q.trim().to_lowercase());
            let id = shared::domain::ids::LeadId::from_dedup_key(&tenant, &key).to_string();
            if self.store.lead(&who.tenant, &id).await?.is_some() {
                return Ok(http::redirect(&format!("/console/leads/{id}")));
            }
        }
        let filter = LeadFilter {
            status,
            tier,
            campaign: form.opt("campaign"),
            timezone: form.opt("zone"),
            text: form.opt("q").map(|q| q.to_lowercase()),
        };
        let page = self
            .store
            .leads_filtered(&who.tenant, &filter, PAGE, cursor(form).as_ref())
            .await?;
        let statuses: Vec<&str> = LeadStatus::ALL.iter().map(|s| s.as_str()).collect();
        let campaigns = self.campaign_ids(who).await?;
        self.page(
            who,
            "leads.html",
            "leads",
            "Leads",
            json!({"leads": page.items, "next": page.next.map(|c| c.0), "statuses": statuses,
                   "campaigns": campaigns,
                   "filter": {"q": form.get("q"), "status": form.get("status"), "tier": form.get("tier"),
                              "campaign": form.get("campaign"), "zone": form.get("zone")}}),
        )
        .await
    }

    pub(super) async fn lead_page(
        &self,
        who: &Who,
        id: &str,
        _req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let (lead, touches, mut timeline) = self
            .store
            .lead_view(&who.tenant, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("lead {id}")))?;
        timeline.reverse();
        let rows: Vec<Value> = touches
            .iter()
            .map(|t| json!({"step": t.step, "channel": t.channel, "state": t.state, "due_at": t.due_at, "why": why(&lead, t, now)}))
            .collect();
        let next_wait = touches
            .iter()
            .find(|t| {
                matches!(
                    t.state,
                    TouchState::Draft | TouchState::Planned | TouchState::Due | TouchState::InDoubt
                )
            })
            .map(|t| {
                format!(
                    "step {} ({}): {}",
                    t.step,
                    t.channel.as_str(),
                    why(&lead, t, now)
                )
            });
        let thread: Vec<Value> = touches
            .iter()
            .filter(|t| {
                t.channel == shared::domain::touch::Channel::Email
                    && matches!(
                        t.state,
                        TouchState::Sent | TouchState::Due | TouchState::Sending
                    )
            })
            .map(|t| {
                json!({"step": t.step, "subject": t.message.subject, "body": t.message.body,
                            "state": t.state, "sent_at": t.sent_at, "from": t.sender,
                            "by_operator": t.message.source == "operator"})
            })
            .collect();
        let replies: Vec<&shared::store::TimelineEvent> = timeline
            .iter()
            .filter(|e| e.kind.contains("repl"))
            .collect();
        let title = lead
            .email
            .clone()
            .or_else(|| lead.company.clone())
            .unwrap_or_else(|| id.to_string());
        self.page(
            who,
            "lead.html",
            "leads",
            &format!("Lead {title}"),
            json!({"lead": lead, "touches": rows, "timeline": timeline, "next_wait": next_wait,
                   "thread": thread, "replies": replies}),
        )
        .await
    }

    pub(super) async fn reply_form(
        &self,
        who: &Who,
        id: &str,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::ReplyToLeads)?;
        self.call(
            who,
            "POST",
            &["leads", id, "reply"],
            json!({"body": form.get("body")}),
            req,
            now,
        )
        .await?;
        Ok(http::redirect(&format!("/console/leads/{id}")))
    }

    pub(super) async fn suppressions_page(
        &self,
        who: &Who,
        form: &Form,
        _req: &ApiGatewayV2httpRequest,
    ) -> Result<Response> {
        let page = self
            .store
            .suppressions_page(&who.tenant, None, PAGE, cursor(form).as_ref())
            .await?;
        let get = |i: &shared::store::Item, k: &str| {
            i.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let entries: Vec<Value> = page
            .items
            .iter()
            .map(|i| {
                let sk = get(i, "SK");
                let (kind, value) = sk.split_once('#').unwrap_or((&sk, ""));
                json!({"kind": kind, "value": value, "reason": get(i, "reason"), "added_at": get(i, "added_at")})
            })
            .collect();
        self.page(
            who,
            "suppressions.html",
            "suppressions",
            "Suppression list",
            json!({"entries": entries, "next": page.next.map(|c| c.0)}),
        )
        .await
    }

    pub(super) async fn add_suppression_form(
        &self,
        who: &Who,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::EditSuppressions)?;
        let mut body = json!({"kind": form.get("kind"), "value": form.get("value")});
        if let Some(r) = form.opt("reason") {
            body["reason"] = json!(r);
        }
        self.call(who, "POST", &["suppressions"], body, req, now)
            .await?;
        Ok(http::redirect("/console/suppressions"))
    }

    pub(super) async fn import_suppressions_form(
        &self,
        who: &Who,
        form: &Form,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::EditSuppressions)?;
        self.import_suppressions(&who.tenant, form.get("list"), "console", now)
            .await?;
        Ok(http::redirect("/console/suppressions"))
    }

    pub(super) async fn remove_suppression_form(
        &self,
        who: &Who,
        form: &Form,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::EditSuppressions)?;
        // The JSON route decodes its path segment: give it one.
        let encoded: String = form
            .get("value")
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._@".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        self.remove_suppression(&who.tenant, form.get("kind"), &encoded, now)
            .await?;
        Ok(http::redirect("/console/suppressions"))
    }

    pub(super) async fn erase_page(
        &self,
        who: &Who,
        report: Option<Value>,
        _req: &ApiGatewayV2httpRequest,
    ) -> Result<Response> {
        self.page(
            who,
            "erase.html",
            "erase",
            "Erase a person",
            json!({"report": report}),
        )
        .await
    }

    pub(super) async fn erase_form(
        &self,
        who: &Who,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::ErasePerson)?;
        if form.get("confirmed") != "yes" {
            return Err(Error::invalid(
                "confirmed",
                "tick the box: an erasure cannot be undone",
            ));
        }
        let mut body = json!({});
        for k in ["email", "phone", "reason"] {
            if let Some(v) = form.opt(k) {
                body[k] = json!(v);
            }
        }
        let report = self
            .call(who, "POST", &["erasures"], body, req, now)
            .await?;
        self.erase_page(who, Some(report), req).await
    }

    pub(super) async fn operators_page(
        &self,
        who: &Who,
        _req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let sessions = self.store.sessions(&who.tenant, now).await?;
        let operators: Vec<Value> = self
            .store
            .operators(&who.tenant)
            .await?
            .iter()
            .map(|o| {
                json!({"login": o.login, "display_name": o.display_name, "role": o.role.as_str(),
                       "disabled": o.disabled,
                       "sessions": sessions.iter().filter(|s| s.login == o.login).count()})
            })
            .collect();
        self.page(
            who,
            "operators.html",
            "operators",
            "Operators",
            json!({"operators": operators}),
        )
        .await
    }

    pub(super) async fn add_operator(
        &self,
        who: &Who,
        form: &Form,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::ManageOperators)?;
        let op = new_operator(
            &who.tenant,
            form.get("login"),
            form.get("display_name"),
            form.get("role"),
            form.get("password"),
            now,
        )?;
        self.store.create_operator(&op, &actor(), now).await?;
        Ok(http::redirect("/console/operators"))
    }

    pub(super) async fn change_operator(
        &self,
        who: &Who,
        form: &Form,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::ManageOperators)?;
        let login = check_login(form.get("login")).map_err(|e| Error::invalid("login", e))?;
        let role = Role::parse(form.get("role"))
            .ok_or_else(|| Error::invalid("role", "viewer, approver or admin"))?;
        if login == who.op.login && (role != Role::Admin || form.get("state") == "disable") {
            return Err(Error::Refused(
                "you cannot lower or disable yourself: ask another admin".into(),
            ));
        }
        let disabled = match form.get("state") {
            "" | "keep" => None,
            "enable" => Some(false),
            "disable" => Some(true),
            other => {
                return Err(Error::invalid(
                    "state",
                    format!("{other:?} is not keep, enable or disable"),
                ))
            }
        };
        self.store
            .set_operator(&who.tenant, &login, role, disabled, &actor(), now)
            .await?;
        Ok(http::redirect("/console/operators"))
    }
}

/// An operator from a form or a JSON body, every field checked by name.
pub(crate) fn new_operator(
    tenant: &str,
    login: &str,
    display_name: &str,
    role: &str,
    pass: &str,
    now: DateTime<Utc>,
) -> Result<Operator> {
    let login = check_login(login).map_err(|e| Error::invalid("login", e))?;
    let role = Role::parse(role).ok_or_else(|| {
        Error::invalid("role", format!("{role:?} is not viewer, approver or admin"))
    })?;
    if let Some(p) = password::problem(pass, &login) {
        return Err(Error::invalid("password", p));
    }
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.len() > 100 {
        return Err(Error::invalid("display_name", "a name of 1-100 characters"));
    }
    Ok(Operator {
        tenant: tenant.to_string(),
        login,
        display_name: display_name.to_string(),
        role,
        password_hash: password::hash(pass).map_err(Error::Config)?,
        disabled: false,
        created_at: now,
    })
}

/// Why a touch is where it is, in the operator's words.
fn why(lead: &Lead, t: &Touch, now: DateTime<Utc>) -> String {
    let mut s = match t.state {
        TouchState::Draft => "waits for an operator's approval".to_string(),
        TouchState::Planned => "approved; waits for the step before it to be sent".to_string(),
        TouchState::Due => match t.due_at {
            Some(d) if d > now => format!("due at {}", d.format("%Y-%m-%d %H:%M UTC")),
            _ => {
                "due now: the next dispatch tick sends it if its window and caps allow".to_string()
            }
        },
        TouchState::Sending => "being sent".to_string(),
        TouchState::Sent => match t.sent_at {
            Some(at) => format!("sent {}", at.format("%Y-%m-%d %H:%M UTC")),
            None => "sent".to_string(),
        },
        TouchState::InDoubt => {
            "in doubt: the provider call's outcome is unknown; resolve it on the In doubt page"
                .to_string()
        }
        TouchState::Skipped => "skipped".to_string(),
        TouchState::Cancelled => "cancelled".to_string(),
    };
    if let Some(w) = &t.wait_reason {
        s.push_str(&format!("; waiting: {w}"));
    }
    if let Some(e) = &t.end_reason {
        s.push_str(&format!("; {e}"));
    }
    if let Some(h) = &lead.hold {
        if matches!(
            t.state,
            TouchState::Due | TouchState::Planned | TouchState::Draft
        ) {
            s.push_str(&format!("; the lead is held: {h}"));
        }
    }
    s
}
