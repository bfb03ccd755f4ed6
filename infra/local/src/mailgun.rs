//! Signed Mailgun request bodies, as Mailgun posts them: what the demo and
//! the tests send to the webhook route.

/// A signed Mailgun event webhook body, as Mailgun would post it.
#[allow(clippy::too_many_arguments)] // mirrors the fields of the event one to one
pub fn mailgun_event(
    key: &str,
    timestamp: i64,
    token: &str,
    event: &str,
    severity: Option<&str>,
    event_id: &str,
    tenant: &str,
    lead_id: &str,
    recipient: &str,
) -> String {
    let ts = timestamp.to_string();
    let signature = shared::domain::signals::signature::sign_mailgun(key, &ts, token);
    let mut data = serde_json::json!({
        "event": event, "id": event_id, "timestamp": timestamp as f64, "recipient": recipient,
        "user-variables": {"tenant": tenant, "lead_id": lead_id},
    });
    if let Some(s) = severity {
        data["severity"] = serde_json::json!(s);
        data["reason"] = serde_json::json!("bounce");
        data["delivery-status"] =
            serde_json::json!({"code": 550, "message": "5.1.1 mailbox does not exist"});
    }
    serde_json::json!({"signature": {"timestamp": ts, "token": token, "signature": signature}, "event-data": data}).to_string()
}

/// A signed Mailgun inbound-route (reply) body, form-encoded.
pub fn mailgun_reply(
    key: &str,
    timestamp: i64,
    token: &str,
    sender: &str,
    subject: &str,
    message_id: &str,
) -> String {
    let ts = timestamp.to_string();
    let signature = shared::domain::signals::signature::sign_mailgun(key, &ts, token);
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "sender={}&subject={}&Message-Id={}&timestamp={ts}&token={}&signature={signature}&stripped-text={}",
        enc(sender),
        enc(subject),
        enc(message_id),
        enc(token),
        enc("Sounds interesting, can we talk Thursday?")
    )
}
