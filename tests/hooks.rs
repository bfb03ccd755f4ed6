//! Signed provider webhooks for the tests: a tenant whose providers' keys
//! are in Secrets Manager, and requests signed as Twilio, Retell, Calendly,
//! HeyReach and Mailgun sign them.

use crate::*;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use local_stack::runner::{HttpAnswer, LocalStack, LOCAL_MAILGUN_KEY};
use serde_json::{json, Value};
use shared::domain::providers::{ProviderKind, ProviderRef};
use shared::domain::signals::schemes::{sign_calendly, sign_retell, sign_twilio};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::Channel;
use std::collections::HashMap;

pub const HOOKS: &str = "https://hooks.example";
pub const TWILIO_TOKEN: &str = "twilio-auth-token-for-tests";
pub const RETELL_KEY: &str = "retell-api-key-for-tests";
pub const CALENDLY_KEY: &str = "calendly-signing-key-for-tests";
pub const HEYREACH_SECRET: &str = "heyreach-url-secret-for-tests";
/// The tenant's Twilio number the lead texts.
pub const OUR_NUMBER: &str = "+15125550100";

pub fn with_providers(t: &str) -> impl FnOnce(&mut TenantConfig) + '_ {
    move |c: &mut TenantConfig| {
        let r = |provider, name: &str| {
            Some(ProviderRef {
                provider,
                secret: format!("outbound/{t}/{name}"),
            })
        };
        c.providers.sms = r(ProviderKind::Twilio, "twilio");
        c.providers.voice = r(ProviderKind::Retell, "retell");
        c.providers.linkedin = r(ProviderKind::Heyreach, "heyreach");
        c.providers.booking = r(ProviderKind::Calendly, "calendly");
    }
}

/// A tenant whose providers' keys are in Secrets Manager, with `rows`
/// imported, drafted and approved (step 1 due now).
pub async fn signals_tenant(ls: &mut LocalStack, t: &str, rows: &[Row<'_>]) -> String {
    for (name, value) in [
        (
            "twilio",
            json!({"account_sid": "AC00000000000000000000000000000000", "auth_token": TWILIO_TOKEN}),
        ),
        (
            "retell",
            json!({"api_key": RETELL_KEY, "agent_id": "agent_1"}),
        ),
        (
            "heyreach",
            json!({"api_key": "hr-key", "campaign_id": "1", "webhook_secrets": [HEYREACH_SECRET, "older-secret-still-valid"]}),
        ),
        ("calendly", json!({"signing_key": CALENDLY_KEY})),
    ] {
        ls.put_secret(&format!("outbound/{t}/{name}"), &value)
            .await
            .unwrap();
    }
    let auth = due_tenant(ls, t, rows, with_providers(t)).await;
    ls.webhook.public_url = Some(HOOKS.into());
    auth
}

pub fn hook(path_and_query: &str, headers: &[(&str, &str)], body: &str) -> ApiGatewayV2httpRequest {
    let mut req = LocalStack::request("POST", path_and_query, headers, body);
    let provider = path_and_query
        .trim_start_matches("/webhooks/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    req.path_parameters = HashMap::from([("provider".to_string(), provider)]);
    req
}

pub async fn deliver(ls: &LocalStack, req: ApiGatewayV2httpRequest) -> (u16, Value) {
    let r = HttpAnswer::from(ls.webhook.handle(req).await);
    (r.status, r.json())
}

/// Three deliveries in a row, then twenty at once: one is applied and
/// every other is a duplicate.
pub async fn applied_once(ls: &LocalStack, req: &ApiGatewayV2httpRequest, what: &str) {
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(deliver(ls, req.clone()).await);
    }
    answers.extend(futures::future::join_all((0..20).map(|_| deliver(ls, req.clone()))).await);
    let count = |status: &str| {
        answers
            .iter()
            .filter(|(code, b)| *code == 200 && b["status"] == status)
            .count()
    };
    assert_eq!(
        (count("applied"), count("duplicate")),
        (1, 22),
        "{what}: {answers:?}"
    );
}

/// A Twilio form webhook to `query`, signed with `token` over `url`.
pub fn twilio(query: &str, params: &[(&str, &str)], token: &str) -> ApiGatewayV2httpRequest {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let path = format!("/webhooks/twilio?{query}");
    let signature = sign_twilio(token, &format!("{HOOKS}{path}"), &owned);
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&owned)
        .finish();
    hook(
        &path,
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", &signature),
        ],
        &body,
    )
}

pub fn retell(body: &Value, key: &str, at_ms: i64) -> ApiGatewayV2httpRequest {
    let body = body.to_string();
    let header = sign_retell(key, body.as_bytes(), at_ms);
    hook(
        "/webhooks/retell",
        &[
            ("content-type", "application/json"),
            ("x-retell-signature", &header),
        ],
        &body,
    )
}

pub fn calendly(t: &str, body: &Value, key: &str, at: i64) -> ApiGatewayV2httpRequest {
    let body = body.to_string();
    let header = sign_calendly(key, body.as_bytes(), at);
    hook(
        &format!("/webhooks/calendly?tenant={t}"),
        &[
            ("content-type", "application/json"),
            ("calendly-webhook-signature", &header),
        ],
        &body,
    )
}

pub fn heyreach(t: &str, body: &Value, secret: &str) -> ApiGatewayV2httpRequest {
    hook(
        &format!("/webhooks/heyreach?tenant={t}&secret={secret}"),
        &[("content-type", "application/json")],
        &body.to_string(),
    )
}

pub fn booking(event: &str, email: &str, invitee: &str, rescheduled: bool) -> Value {
    json!({"event": event, "created_at": "2026-12-01T15:00:00.000000Z", "payload": {
        "email": email, "name": "Jo Dealer", "status": if event == "invitee.canceled" {"canceled"} else {"active"},
        "uri": format!("https://api.calendly.com/scheduled_events/EV1/invitees/{invitee}"),
        "rescheduled": rescheduled,
        "scheduled_event": {"start_time": "2026-12-03T16:00:00.000000Z"},
        "tracking": {"utm_source": "outbound", "utm_content": null}}})
}

pub fn call(lead: &str, tenant: &str, outcome: &str, call_id: &str) -> Value {
    json!({"event": "call_analyzed", "call": {
        "call_id": call_id, "call_status": "ended", "disconnection_reason": "user_hangup",
        "recording_url": format!("https://recordings.example/{call_id}.wav"),
        "metadata": {"tenant": tenant, "lead": lead, "step": 2, "attempt": format!("{lead}-02-abc")},
        "call_analysis": {"in_voicemail": false, "custom_analysis_data": {"outcome": outcome}}}})
}

pub async fn lead_version(ls: &LocalStack, t: &str, id: &str) -> u64 {
    ls.store.lead(t, id).await.unwrap().unwrap().version
}

pub fn email_steps(c: &mut TenantConfig) {
    use shared::domain::dispatch::sequence::SequenceStep;
    c.sequence = [(1u8, 0u32), (2, 2), (3, 4)]
        .into_iter()
        .map(|(step, day)| SequenceStep {
            step,
            day,
            channel: Channel::Email,
            purpose: format!("email {step}"),
            conditions: vec![],
            template: Some(if step == 1 { "intro" } else { "value" }.into()),
        })
        .collect();
}

/// A Mailgun inbound-route post: a reply from `sender` with `headers`.
pub fn mailgun_inbound(
    t: &str,
    ts: i64,
    token: &str,
    sender: &str,
    subject: &str,
    text: &str,
    headers: &[(&str, &str)],
) -> ApiGatewayV2httpRequest {
    let ts_s = ts.to_string();
    let signature =
        shared::domain::signals::signature::sign_mailgun(LOCAL_MAILGUN_KEY, &ts_s, token);
    let headers: Vec<[&str; 2]> = headers.iter().map(|(k, v)| [*k, *v]).collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("sender", sender),
            ("recipient", "sam@acme-mail.example.com"),
            ("subject", subject),
            ("Message-Id", &format!("<{token}@mail.example>")),
            ("timestamp", &ts_s),
            ("token", token),
            ("signature", &signature),
            ("stripped-text", text),
            ("message-headers", &json!(headers).to_string()),
        ])
        .finish();
    hook(
        &format!("/webhooks/mailgun?tenant={t}"),
        &[("content-type", "application/x-www-form-urlencoded")],
        &body,
    )
}
