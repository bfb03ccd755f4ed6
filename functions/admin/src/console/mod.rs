//! The operator console: server-rendered pages under `/console`, served by
//! the admin function. Sign-in makes a revocable session (cookie); every
//! page reads its tenant from the session only, every form carries the
//! session's CSRF token, and every action asks the operator's role first.
//! Pages call the same tenant routes as the JSON API, as the operator.

mod http;
mod pages;
pub(crate) use pages::new_operator;
mod render;
mod signin;

use super::*;
use aws_lambda_events::apigw::ApiGatewayV2httpResponse as Response;
use http::Form;
use shared::domain::operators::{session, Action, Operator, Role};

tokio::task_local! {
    /// Who is acting, for the audit trail: `op:<login>` while a console
    /// request runs, else the bearer token's "operator".
    static ACTOR: String;
}

/// The audit trail's name for whoever makes the current request.
pub(crate) fn actor() -> String {
    ACTOR
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "operator".to_string())
}

/// How long a session lasts after sign-in.
pub(crate) const SESSION_HOURS: i64 = 12;

/// The signed-in operator a page is rendered for.
pub(crate) struct Who {
    pub tenant: String,
    pub op: Operator,
    pub session_id: String,
    pub csrf: String,
}

impl Who {
    pub fn may(&self, action: Action) -> bool {
        self.op.role.may(action)
    }

    /// Refuses an action the operator's role does not allow.
    pub fn require(&self, action: Action) -> Result<()> {
        if self.may(action) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "a {} may not do this (it needs the {} role)",
                self.op.role.as_str(),
                Role::needed_for(action).as_str()
            )))
        }
    }
}

impl App {
    /// Everything under `/console`.
    pub(crate) async fn console(&self, req: &ApiGatewayV2httpRequest) -> Response {
        let method = req.request_context.http.method.as_str().to_string();
        let path = req.raw_path.clone().unwrap_or_default();
        let rest: Vec<String> = match path
            .trim_start_matches("/console")
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode_path_segment)
            .collect::<Result<_>>()
        {
            Ok(r) => r,
            Err(e) => return http::error_page(&e),
        };
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        if let ["assets", file] = rest.as_slice() {
            return http::asset(file);
        }
        if self.session_key.len() < session::MIN_KEY {
            return http::page_error(
                500,
                "The console is not configured: CONSOLE_SESSION_KEY must be 32 characters or more.",
            );
        }
        let now = self.clock.now();
        if let ["sign-in"] = rest.as_slice() {
            return self.sign_in(&method, req, now).await;
        }
        let who = match self.who(req, now).await {
            Ok(Some(who)) => who,
            Ok(None) => return http::redirect("/console/sign-in"),
            Err(e) => return http::error_page(&e),
        };
        let form = if method == "POST" {
            match Form::read(req) {
                Ok(f) => f,
                Err(e) => return http::error_page(&e),
            }
        } else {
            Form::query(req)
        };
        if method == "POST"
            && !session::csrf_ok(&self.session_key, &who.session_id, form.get("csrf"))
        {
            return http::page_error(
                403,
                "This form was refused: its security token is missing or out of date. Go back, reload the page and try again.",
            );
        }
        if let ["sign-out"] = rest.as_slice() {
            // Only the form signs out (a link or a prefetch must not).
            if method != "POST" {
                return http::redirect("/console");
            }
            if let Err(e) = self.store.close_session(&who.tenant, &who.session_id).await {
                return http::error_page(&e);
            }
            let mut r = http::redirect("/console/sign-in");
            r.cookies.push(session::clear_cookie());
            return r;
        }
        let actor = format!("op:{}", who.op.login);
        let answer = ACTOR
            .scope(
                actor,
                Box::pin(self.console_page(&who, &method, &rest, &form, req, now)),
            )
            .await;
        match answer {
            Ok(r) => r,
            Err(e) => http::error_page(&e),
        }
    }

    /// The operator signed in on this request, if any: a valid signature,
    /// a session row still in the store, an operator not disabled.
    async fn who(&self, req: &ApiGatewayV2httpRequest, now: DateTime<Utc>) -> Result<Option<Who>> {
        let Some(token) = http::session_cookie(req) else {
            return Ok(None);
        };
        let Ok(claims) = session::verify(&self.session_key, &token, now) else {
            return Ok(None);
        };
        if self
            .store
            .session(&claims.tenant, &claims.session_id, now)
            .await?
            .is_none_or(|s| s.login != claims.login)
        {
            return Ok(None);
        }
        let Some(op) = self.store.operator(&claims.tenant, &claims.login).await? else {
            return Ok(None);
        };
        if op.disabled {
            return Ok(None);
        }
        let csrf = session::csrf_token(&self.session_key, &claims.session_id)
            .map_err(|e| Error::Unauthorized(e.to_string()))?;
        Ok(Some(Who {
            tenant: claims.tenant,
            op,
            session_id: claims.session_id,
            csrf,
        }))
    }

    /// Calls one of the tenant's JSON routes as the signed-in operator.
    pub(crate) async fn call(
        &self,
        who: &Who,
        method: &str,
        route: &[&str],
        body: Value,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Value> {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (_, v) = Box::pin(self.tenant_route(
            &who.tenant,
            method,
            route,
            req,
            body.clone().into_bytes(),
            &body,
            now,
        ))
        .await?;
        Ok(v)
    }
}
