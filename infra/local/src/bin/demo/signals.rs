//! The demo's other providers' signals, signed as each provider signs them:
//! an SMS STOP (do-not-contact on every channel), a call that booked a
//! meeting and asked for its recording, and an out-of-office reply that
//! pauses the sequence until the person is back.

use super::Res;
use local_stack::runner::{LocalStack, LOCAL_MAILGUN_KEY};
use serde_json::{json, Value};
use shared::domain::lead::Lead;
use shared::domain::signals::schemes::{sign_retell, sign_twilio};
use shared::domain::signals::signature::sign_mailgun;

/// The public base URL Twilio signs (the demo's stand-in for `ApiUrl`).
pub const HOOKS: &str = "https://hooks.demo.example";

fn status(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut out = v["status"].as_str().unwrap_or("").to_string();
    if let Some(c) = v["reply_class"].as_str() {
        out.push_str(&format!(
            " as {c} ({})",
            v["evidence"].as_str().unwrap_or("")
        ));
    }
    if out.is_empty() {
        out = v["error"].to_string();
    }
    out
}

/// Posts the signals for `leads` (sent to already, not used by the other
/// webhooks) and returns what each got, for the webhook log.
pub async fn post(
    ls: &mut LocalStack,
    tenant: &str,
    secrets: &std::collections::BTreeMap<&'static str, Value>,
    leads: &[Lead],
) -> Res<Vec<String>> {
    ls.webhook.public_url = Some(HOOKS.into());
    let mut log = Vec::new();
    let now = ls.now();
    let with_phone: Vec<&Lead> = leads.iter().filter(|l| l.phone.is_some()).collect();
    if let Some(lead) = with_phone.first() {
        let phone = lead.phone.clone().unwrap_or_default();
        let params: Vec<(String, String)> = [
            ("MessageSid", "SMdemo0001"),
            ("From", phone.as_str()),
            ("To", "+15125550100"),
            ("Body", "STOP"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let path = format!("/webhooks/twilio?tenant={tenant}");
        let token = secrets["twilio"]["auth_token"].as_str().unwrap_or_default();
        let signature = sign_twilio(token, &format!("{HOOKS}{path}"), &params);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let r = ls
            .http(
                "POST",
                &path,
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("x-twilio-signature", &signature),
                ],
                &body,
            )
            .await;
        log.push(format!(
            "SMS STOP from {phone} -> {} {}: do-not-contact on every channel",
            r.status,
            status(&r.body)
        ));
    }
    if let Some(lead) = with_phone.get(1) {
        let call = json!({"event": "call_analyzed", "call": {
            "call_id": "call_demo_1", "call_status": "ended", "disconnection_reason": "user_hangup",
            "recording_url": "https://recordings.demo.example/call_demo_1.wav",
            "metadata": {"tenant": tenant, "lead": lead.id, "step": 2},
            "call_analysis": {"custom_analysis_data": {"outcome": "booked", "recording_followup_requested": true}}}})
        .to_string();
        let key = secrets["retell"]["api_key"].as_str().unwrap_or_default();
        let header = sign_retell(key, call.as_bytes(), now.timestamp_millis());
        for attempt in 1..=2 {
            let r = ls
                .http(
                    "POST",
                    "/webhooks/retell",
                    &[
                        ("content-type", "application/json"),
                        ("x-retell-signature", &header),
                    ],
                    &call,
                )
                .await;
            log.push(format!(
                "call with {} booked a meeting and asked for the recording (delivery {attempt}/2) -> {} {}",
                lead.email.as_deref().unwrap_or(&lead.id),
                r.status,
                status(&r.body)
            ));
        }
    }
    if let Some(lead) = leads.iter().find(|l| l.phone.is_none()).or(leads.last()) {
        let ts = now.timestamp().to_string();
        let sig = sign_mailgun(LOCAL_MAILGUN_KEY, &ts, "tok-ooo-1");
        let back = (now + chrono::Duration::days(6)).format("%-d %B");
        let headers = json!([
            ["Auto-Submitted", "auto-replied"],
            ["X-Auto-Response-Suppress", "All"]
        ])
        .to_string();
        let text = format!("Thank you for your email. I am out of the office and will be back on {back}. I will reply when I return.");
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("sender", lead.email.as_deref().unwrap_or("")),
                ("subject", "Automatic reply: your note"),
                ("Message-Id", "<ooo-1@dealer.example>"),
                ("timestamp", ts.as_str()),
                ("token", "tok-ooo-1"),
                ("signature", sig.as_str()),
                ("stripped-text", text.as_str()),
                ("message-headers", headers.as_str()),
            ])
            .finish();
        let r = ls
            .http(
                "POST",
                &format!("/webhooks/mailgun?tenant={tenant}"),
                &[("content-type", "application/x-www-form-urlencoded")],
                &body,
            )
            .await;
        log.push(format!(
            "out-of-office reply from {} -> {} {}: nothing stopped, next step waits until {back}",
            lead.email.as_deref().unwrap_or(""),
            r.status,
            status(&r.body)
        ));
    }
    Ok(log)
}
