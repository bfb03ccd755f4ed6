//! Page rendering: the console's templates, compiled into the binary and
//! loaded once, with HTML auto-escaping on for every value.

use minijinja::{AutoEscape, Environment};
use serde_json::Value;
use shared::error::{Error, Result};
use std::sync::OnceLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("control.html", include_str!("../../templates/control.html")),
    ("confirm.html", include_str!("../../templates/confirm.html")),
    (
        "approvals.html",
        include_str!("../../templates/approvals.html"),
    ),
    ("batch.html", include_str!("../../templates/batch.html")),
    ("leads.html", include_str!("../../templates/leads.html")),
    ("lead.html", include_str!("../../templates/lead.html")),
    ("inbox.html", include_str!("../../templates/inbox.html")),
    (
        "campaigns.html",
        include_str!("../../templates/campaigns.html"),
    ),
    (
        "campaign.html",
        include_str!("../../templates/campaign.html"),
    ),
    (
        "deliverability.html",
        include_str!("../../templates/deliverability.html"),
    ),
    ("memory.html", include_str!("../../templates/memory.html")),
    (
        "suppressions.html",
        include_str!("../../templates/suppressions.html"),
    ),
    (
        "in_doubt.html",
        include_str!("../../templates/in_doubt.html"),
    ),
    ("audit.html", include_str!("../../templates/audit.html")),
    ("erase.html", include_str!("../../templates/erase.html")),
    (
        "operators.html",
        include_str!("../../templates/operators.html"),
    ),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.add_filter("when", when);
        env.add_filter("pct", pct);
        for (name, src) in TEMPLATES {
            env.add_template(name, src)
                .unwrap_or_else(|e| panic!("console template {name}: {e}"));
        }
        env
    })
}

/// An RFC 3339 time as "2026-12-01 15:00 UTC" (shorter to read).
fn when(v: minijinja::Value) -> String {
    match v.as_str() {
        Some(s) => s
            .parse::<chrono::DateTime<chrono::Utc>>()
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|_| s.to_string()),
        None => String::new(),
    }
}

/// A ratio as a percentage with one decimal.
fn pct(v: minijinja::Value) -> String {
    f64::try_from(v)
        .ok()
        .map(|f| format!("{:.1}%", f * 100.0))
        .unwrap_or_else(|| "–".into())
}

/// Renders template `name` with `ctx`.
pub fn render(name: &str, ctx: &Value) -> Result<String> {
    env()
        .get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(ctx)))
        .map_err(|e| Error::Config(format!("console template {name}: {e:#}")))
}

/// A page for an error, without the operator's context (it may be what failed).
pub fn error_page(status: u16, message: &str) -> String {
    render(
        "error.html",
        &serde_json::json!({"status": status, "message": message}),
    )
    .unwrap_or_else(|_| format!("<!doctype html><html lang=\"en\"><title>Error {status}</title><main><h1>Error {status}</h1><p>{}</p></main></html>", html_escape(message)))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_values_are_escaped() {
        let _ = env();
        let html = error_page(400, "<script>alert(1)</script>");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>alert"));
    }

    #[test]
    fn every_template_renders_with_nothing_in_its_context() {
        // Filters and tests are looked up at render time: an unknown one
        // would fail only on the page.
        for (name, _) in TEMPLATES {
            render(name, &serde_json::json!({})).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
