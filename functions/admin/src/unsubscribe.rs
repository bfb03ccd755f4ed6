//! The unsubscribe link: a confirmation page on GET, the RFC 8058
//! one-click POST, nothing on any other method.

use super::*;

impl App {
    /// `GET /unsubscribe/{token}` shows a confirmation page; `POST` (RFC 8058
    /// one-click, or the page's button) suppresses the lead at once.
    pub(crate) async fn unsubscribe(&self, method: &str, token: &str) -> ApiGatewayV2httpResponse {
        let parts: Vec<&str> = token.splitn(3, '.').collect();
        let valid = parts.len() == 3
            && verify_link(
                &self.links.signing_key,
                &format!("{}/{}", parts[0], parts[1]),
                parts[2],
            );
        if !valid {
            return html_response(404, "<h1>This unsubscribe link is not valid.</h1>".into());
        }
        let (tenant, lead) = (parts[0], parts[1]);
        // Only the one-click POST (RFC 8058) or the page's button changes
        // anything: a link checker's HEAD, or any other method, must not.
        if !matches!(method, "GET" | "POST") {
            let mut r = html_response(405, "<h1>Method not allowed.</h1>".into());
            r.headers.insert(
                "allow",
                aws_lambda_events::http::HeaderValue::from_static("GET, POST"),
            );
            return r;
        }
        if method == "GET" {
            return html_response(
                200,
                format!("<h1>Unsubscribe</h1><form method=\"post\" action=\"/unsubscribe/{token}\"><button type=\"submit\">Unsubscribe me</button></form>"),
            );
        }
        let signal = Signal {
            provider: "one-click".into(),
            event_id: format!("unsubscribe:{lead}"),
            kind: SignalKind::Unsubscribed,
            tenant: tenant.to_string(),
            lead_id: Some(lead.to_string()),
            occurred_at: self.clock.now(),
            detail: "one-click unsubscribe".into(),
            ..Signal::default()
        };
        let now = self.clock.now();
        match apply_signal(&self.store, self.bus.as_ref(), &signal, None, token, now).await {
            Ok(_) => html_response(
                200,
                "<h1>You are unsubscribed.</h1><p>You will not hear from us again.</p>".into(),
            ),
            Err(e) => error_response(&e),
        }
    }
}
