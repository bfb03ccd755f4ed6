//! The console's pages, by what the operator does on them: running the
//! system (control, results), working the queue (approvals, inbox), and
//! people and lists (leads, suppressions, erasure, operators).

mod memory;
mod people;
pub(crate) use people::new_operator;
mod results;
mod work;

use super::http::{self, Form};
use super::render::render;
use super::*;
use shared::store::Cursor;

/// Rows on one page of a list.
pub(crate) const PAGE: usize = 50;

impl App {
    pub(super) async fn console_page(
        &self,
        who: &Who,
        method: &str,
        rest: &[&str],
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        match (method, rest) {
            ("GET", []) => self.control_page(who, req, now).await,
            ("GET", ["control", action]) => self.confirm_control(who, action, req).await,
            ("POST", ["control", action]) => self.do_control(who, action, form, req, now).await,
            ("GET", ["approvals"]) => self.approvals(who, form, req).await,
            ("POST", ["batches"]) => self.prepare_batch(who, form, req, now).await,
            ("GET", ["batches", id]) => self.batch_page(who, id, None, req).await,
            ("POST", ["batches", id, "approve"]) => {
                self.approve_batch_page(who, id, req, now).await
            }
            ("POST", ["drafts", lead, step, action]) => {
                self.draft_action(who, lead, step, action, form, req, now)
                    .await
            }
            ("GET", ["inbox"]) => self.inbox(who, form, req).await,
            ("GET", ["leads"]) => self.leads_page(who, form, req, now).await,
            ("GET", ["leads", id]) => self.lead_page(who, id, req, now).await,
            ("POST", ["leads", id, "outcome"]) => self.mark_outcome(who, id, form, now).await,
            ("POST", ["leads", id, "reply"]) => self.reply_form(who, id, form, req, now).await,
            ("GET", ["campaigns"]) => self.campaigns_page(who, req, now).await,
            ("POST", ["campaigns"]) => {
                self.campaign_action(who, "", "create", form, req, now)
                    .await
            }
            ("GET", ["campaigns", id]) => self.campaign_page(who, id, req, now).await,
            ("POST", ["campaigns", id, action]) => {
                self.campaign_action(who, id, action, form, req, now).await
            }
            ("GET", ["deliverability"]) => self.deliverability(who, req, now).await,
            ("GET", ["memory"]) => self.memory(who, req, now).await,
            ("POST", ["memory"]) => self.add_memory_form(who, form, now).await,
            ("POST", ["memory", "remove"]) => self.remove_memory_form(who, form, now).await,
            ("POST", ["memory", "recommendations", id, decision]) => {
                self.decide_form(who, id, decision, now).await
            }
            ("GET", ["suppressions"]) => self.suppressions_page(who, form, req).await,
            ("GET", ["suppressions", "export"]) => {
                let csv = to_csv(&self.store.suppressions_of(&who.tenant, None).await?);
                Ok(http::csv(csv, "suppressions.csv"))
            }
            ("POST", ["suppressions"]) => self.add_suppression_form(who, form, req, now).await,
            ("POST", ["suppressions", "import"]) => {
                self.import_suppressions_form(who, form, now).await
            }
            ("POST", ["suppressions", "remove"]) => {
                self.remove_suppression_form(who, form, now).await
            }
            ("GET", ["in-doubt"]) => self.in_doubt_page(who, req, now).await,
            ("POST", ["in-doubt", lead, step]) => {
                self.resolve_in_doubt_form(who, lead, step, form, req, now)
                    .await
            }
            ("GET", ["audit"]) => self.audit_page(who, form, req).await,
            ("GET", ["erase"]) => self.erase_page(who, None, req).await,
            ("POST", ["erase"]) => self.erase_form(who, form, req, now).await,
            ("GET", ["operators"]) => self.operators_page(who, req, now).await,
            ("POST", ["operators"]) => self.add_operator(who, form, now).await,
            ("POST", ["operators", "change"]) => self.change_operator(who, form, now).await,
            _ => Err(Error::NotFound(format!(
                "no page {method} /console/{}",
                rest.join("/")
            ))),
        }
    }

    /// The context every page gets: who is signed in, what they may do,
    /// the CSRF token, and the banner that says sending is stopped.
    pub(crate) async fn page(
        &self,
        who: &Who,
        template: &str,
        page: &str,
        title: &str,
        mut ctx: Value,
    ) -> Result<Response> {
        let control = self.store.control(&who.tenant).await?;
        let shadow = self
            .store
            .require_config(&who.tenant)
            .await
            .map(|c| c.shadow_mode)
            .unwrap_or(true);
        let banner = if control.emergency_stop {
            Some(
                json!({"level": "stop", "title": "Emergency stop.", "text": "Nothing is sent or called on any channel until an admin releases it."}),
            )
        } else if control.paused {
            Some(
                json!({"level": "paused", "title": "Sending is paused.", "text": control.pause_reason.clone().unwrap_or_default()}),
            )
        } else if control.breaker_open {
            Some(
                json!({"level": "stop", "title": "The bounce breaker is open.", "text": control.breaker_reason.clone().unwrap_or_default()}),
            )
        } else if shadow {
            Some(
                json!({"level": "shadow", "title": "Shadow mode.", "text": "Sends go to the outbox; nobody is reached until go-live."}),
            )
        } else {
            None
        };
        let base = json!({
            "tenant": who.tenant, "csrf": who.csrf, "page": page, "title": title,
            "banner": banner,
            "me": {"login": who.op.login, "display_name": who.op.display_name, "role": who.op.role.as_str()},
            "approver": who.may(Action::ApproveDrafts),
            "admin": who.may(Action::PauseAndResume),
        });
        if let (Value::Object(c), Value::Object(b)) = (&mut ctx, base) {
            for (k, v) in b {
                c.entry(k).or_insert(v);
            }
        }
        Ok(http::html(200, render(template, &ctx)?))
    }
}

/// The `cursor` parameter of a list page.
pub(crate) fn cursor(form: &Form) -> Option<Cursor> {
    form.opt("cursor").map(Cursor)
}
