//! Signing in: a pre-session cookie and its CSRF token guard the form (so
//! nobody can sign a browser into their own account from elsewhere; a form
//! is good for half an hour), the password is checked against its Argon2id
//! hash, failures are counted (five in a quarter hour lock the login for
//! a while) and audited, and a session row plus a signed cookie are made.

use super::http::{self, Form};
use super::render;
use super::*;

/// The pre-session cookie that ties the sign-in form to this browser.
const SIGNIN_COOKIE: &str = "__Host-outbound_signin";
/// How long a sign-in form may be posted after it was made.
const SIGNIN_FORM_SECS: i64 = 1800;
/// Failed sign-ins of one login (this quarter hour and the last) that lock it.
const MAX_FAILURES: u32 = 5;

/// What a password check found.
enum Checked {
    Ok,
    Wrong,
    Locked,
}

impl App {
    pub(crate) async fn sign_in(
        &self,
        method: &str,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Response {
        if method != "POST" {
            return self.sign_in_form(None, "", "", 200, now);
        }
        let form = match Form::read(req) {
            Ok(f) => f,
            Err(e) => return http::error_page(&e),
        };
        let nonce = http::cookie(req, SIGNIN_COOKIE).unwrap_or_default();
        // The nonce starts with when its form was made.
        let fresh = nonce
            .split_once('.')
            .and_then(|(t, _)| t.parse::<i64>().ok())
            .is_some_and(|t| (0..=SIGNIN_FORM_SECS).contains(&(now.timestamp() - t)));
        if !fresh
            || !session::csrf_ok(
                &self.session_key,
                &format!("signin:{nonce}"),
                form.get("csrf"),
            )
        {
            return self.sign_in_form(
                Some("The sign-in form expired or came from elsewhere: try again."),
                form.get("tenant"),
                form.get("login"),
                403,
                now,
            );
        }
        let tenant = form.get("tenant").trim().to_ascii_lowercase();
        let login = form.get("login").trim().to_ascii_lowercase();
        let refused = match self
            .check_password(&tenant, &login, form.get("password"), now)
            .await
        {
            Ok(Checked::Ok) => None,
            Ok(Checked::Wrong) => Some(("Wrong workspace, login or password.", 401)),
            Ok(Checked::Locked) => Some((
                "Too many failed sign-ins for this login: wait a quarter of an hour, or ask an admin.",
                429,
            )),
            Err(e) => return http::error_page(&e),
        };
        if let Some((why, status)) = refused {
            return self.sign_in_form(Some(why), &tenant, &login, status, now);
        }
        let id = format!("{}{}", shared::store::short_id(), shared::store::short_id());
        let expires = now + Duration::hours(SESSION_HOURS);
        let claims = session::Claims {
            tenant: tenant.clone(),
            login: login.clone(),
            session_id: id.clone(),
            expires,
        };
        let token = match session::issue(&self.session_key, &claims) {
            Ok(t) => t,
            Err(e) => return http::error_page(&Error::Config(e.to_string())),
        };
        let opened = async {
            self.store
                .open_session(&tenant, &login, &id, now, expires)
                .await?;
            self.store
                .audit(&tenant, &format!("op:{login}"), "sign_in", "", now)
                .await
        };
        if let Err(e) = opened.await {
            return http::error_page(&e);
        }
        let mut r = http::redirect("/console");
        r.cookies
            .push(session::set_cookie(&token, SESSION_HOURS * 3600));
        r.cookies.push(format!(
            "{SIGNIN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
        ));
        r
    }

    /// Does `password` open `login` of `tenant`? The hash is checked even
    /// for an unknown login, so the time taken says nothing. A known login
    /// with `MAX_FAILURES` recent failures is locked; each failure of a
    /// known login is counted and audited.
    async fn check_password(
        &self,
        tenant: &str,
        login: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Checked> {
        let op = match TenantId::parse(tenant) {
            Ok(_) => self.store.operator(tenant, login).await?,
            Err(_) => None,
        };
        if op.is_some() && self.store.signin_failures(tenant, login, now).await? >= MAX_FAILURES {
            return Ok(Checked::Locked);
        }
        let phc = op
            .as_ref()
            .map(|o| o.password_hash.clone())
            .unwrap_or_else(dummy_hash);
        let ok = tokio::task::spawn_blocking({
            let password = password.to_string();
            move || shared::domain::operators::password::verify(&password, &phc)
        })
        .await
        .unwrap_or(false);
        match op {
            Some(o) if ok && !o.disabled => Ok(Checked::Ok),
            Some(_) => {
                self.store.count_signin_failure(tenant, login, now).await?;
                Ok(Checked::Wrong)
            }
            None => Ok(Checked::Wrong),
        }
    }

    fn sign_in_form(
        &self,
        error: Option<&str>,
        tenant: &str,
        login: &str,
        status: u16,
        now: DateTime<Utc>,
    ) -> Response {
        let nonce = format!(
            "{}.{}{}",
            now.timestamp(),
            shared::store::short_id(),
            shared::store::short_id()
        );
        let csrf =
            session::csrf_token(&self.session_key, &format!("signin:{nonce}")).unwrap_or_default();
        let page = render::render(
            "sign_in.html",
            &json!({"error": error, "tenant": tenant, "login": login, "csrf": csrf}),
        );
        let mut r = match page {
            Ok(p) => http::html(status, p),
            Err(e) => return http::error_page(&e),
        };
        r.cookies.push(format!(
            "{SIGNIN_COOKIE}={nonce}; Path=/; Max-Age={SIGNIN_FORM_SECS}; HttpOnly; Secure; SameSite=Strict"
        ));
        r
    }
}

/// A valid hash of nothing anyone knows, for unknown logins.
fn dummy_hash() -> String {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        shared::domain::operators::password::hash(&shared::store::short_id()).unwrap_or_default()
    })
    .clone()
}
