//! Mailgun's webhooks: event webhooks are JSON `{signature: {timestamp,
//! token, signature}, event-data: {...}}` with the tenant and lead in the
//! message's `user-variables` that dispatch sets; inbound replies come from
//! a Mailgun route (form-encoded or multipart) whose forward URL carries
//! `?tenant=<id>`, the lead found from the sender's address and the reply
//! read by the classifier.

use super::*;
use shared::domain::signals::replies::{classify, Reply};
use shared::domain::signals::signature::verify_mailgun;
use shared::domain::signals::ReplyNote;

/// A parsed, not yet verified, Mailgun request.
#[derive(Debug)]
pub struct MailgunRequest {
    pub timestamp: String,
    pub token: String,
    pub signature: String,
    /// None for event types we do not act on (accepted, stored, ...).
    pub signal: Option<Signal>,
}

impl App {
    pub(crate) async fn mailgun(
        &self,
        req: &ApiGatewayV2httpRequest,
        body: String,
    ) -> Result<(u16, Value)> {
        let content_type = header(req, "content-type").unwrap_or("application/json");
        let query_tenant = req
            .query_string_parameters
            .first("tenant")
            .map(str::to_string);
        let now = self.clock.now();
        let parsed = parse_mailgun(content_type, &body, query_tenant.as_deref(), now)?;
        match verify_mailgun(
            &self.mailgun_signing_key,
            &parsed.timestamp,
            &parsed.token,
            &parsed.signature,
            now,
            self.tolerance_secs,
        ) {
            Ok(()) => {}
            Err(SignatureError::NoKey) => {
                return Err(Error::Config(
                    "MAILGUN_WEBHOOK_SIGNING_KEY is not set".into(),
                ))
            }
            Err(e) => {
                return Err(Error::Unauthorized(format!(
                    "mailgun signature rejected: {e}"
                )))
            }
        }
        let Some(signal) = parsed.signal else {
            // An event we do not act on still uses up its token: a signed
            // block is good for one event, whatever becomes of it.
            return self.ignore("mailgun", &parsed.token, &body).await;
        };
        TenantId::parse(&signal.tenant)?;
        if !self.store.tenant_exists(&signal.tenant).await? {
            // Nothing is written for a tenant that does not exist (a
            // deleted one, or a guess): acknowledged so it is not retried.
            tracing::warn!(tenant = %signal.tenant, "mailgun event for an unknown tenant ignored");
            return Ok((
                200,
                json!({"status": "ignored", "reason": "unknown tenant"}),
            ));
        }
        self.ingest(signal, Some(&parsed.token), &body).await
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// Parses a Mailgun request body (JSON event, or form/multipart inbound).
pub fn parse_mailgun(
    content_type: &str,
    body: &str,
    query_tenant: Option<&str>,
    now: DateTime<Utc>,
) -> Result<MailgunRequest> {
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("application/json") {
        let v: Value = serde_json::from_str(body)
            .map_err(|e| Error::invalid("body", format!("not JSON: {e}")))?;
        let sig = v
            .get("signature")
            .ok_or_else(|| Error::Unauthorized("missing `signature`".into()))?;
        let field = |k: &'static str| -> Result<String> {
            match sig.get(k) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                _ => Err(Error::Unauthorized(format!("missing `signature.{k}`"))),
            }
        };
        let (timestamp, token, signature) =
            (field("timestamp")?, field("token")?, field("signature")?);
        let ev = v
            .get("event-data")
            .ok_or_else(|| Error::invalid("event-data", "missing"))?;
        let event = str_at(ev, &["event"]).unwrap_or("");
        let kind = match event {
            "delivered" => Some(SignalKind::Delivered),
            "opened" => Some(SignalKind::Opened),
            "clicked" => Some(SignalKind::Clicked),
            "complained" => Some(SignalKind::Complained),
            "unsubscribed" => Some(SignalKind::Unsubscribed),
            "failed" => Some(if str_at(ev, &["severity"]) == Some("permanent") {
                SignalKind::Bounced
            } else {
                SignalKind::SoftBounced
            }),
            _ => None,
        };
        let signal = match kind {
            None => None,
            Some(kind) => {
                let vars = ev.get("user-variables").cloned().unwrap_or(Value::Null);
                let tenant = str_at(&vars, &["tenant"])
                    .or(query_tenant)
                    .ok_or_else(|| {
                        Error::invalid(
                            "event-data.user-variables.tenant",
                            "missing: cannot tell whose event this is",
                        )
                    })?
                    .to_string();
                let event_id = str_at(ev, &["id"])
                    .ok_or_else(|| Error::invalid("event-data.id", "missing"))?
                    .to_string();
                let occurred_at = ev
                    .get("timestamp")
                    .and_then(Value::as_f64)
                    .and_then(|t| DateTime::from_timestamp_millis((t * 1000.0) as i64))
                    .unwrap_or(now);
                let email = str_at(ev, &["recipient"]).map(str::to_string);
                let lead_id = str_at(&vars, &["lead_id"])
                    .or_else(|| str_at(&vars, &["lead"]))
                    .map(str::to_string)
                    .or_else(|| {
                        let t = TenantId::parse(&tenant).ok()?;
                        let e = canonical_email(email.as_deref()?)?;
                        Some(LeadId::from_dedup_key(&t, &format!("email:{e}")).to_string())
                    });
                let detail = [
                    str_at(ev, &["reason"]),
                    str_at(ev, &["delivery-status", "message"]),
                    str_at(ev, &["delivery-status", "description"]),
                ]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
                Some(Signal {
                    provider: "mailgun".into(),
                    event_id,
                    kind,
                    tenant,
                    lead_id,
                    email,
                    occurred_at,
                    // The domain it was sent from: domain health counts it.
                    sender_domain: str_at(&vars, &["sender_domain"])
                        .map(str::to_string)
                        .or_else(|| {
                            str_at(ev, &["envelope", "sender"])
                                .and_then(|s| s.rsplit_once('@'))
                                .map(|(_, d)| d.to_ascii_lowercase())
                        }),
                    detail,
                    attempt: str_at(&vars, &["attempt"]).map(str::to_string),
                    ..Signal::default()
                })
            }
        };
        return Ok(MailgunRequest {
            timestamp,
            token,
            signature,
            signal,
        });
    }
    let fields = if ct.starts_with("multipart/form-data") {
        // The parameter name is case-insensitive; the boundary itself is not.
        let boundary = content_type
            .split(';')
            .find_map(|p| {
                let (name, value) = p.trim().split_once('=')?;
                name.eq_ignore_ascii_case("boundary")
                    .then(|| value.trim_matches('"').to_string())
            })
            .ok_or_else(|| Error::invalid("content-type", "multipart without boundary"))?;
        parse_multipart(body, &boundary)
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect()
    } else {
        return Err(Error::invalid(
            "content-type",
            format!("unsupported `{content_type}`"),
        ));
    };
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let tenant = query_tenant
        .map(str::to_string)
        .ok_or_else(|| Error::invalid("tenant", "inbound route URL must carry ?tenant=<id>"))?;
    let sender = canonical_email(&get("sender"))
        .or_else(|| extract_address(&get("from")))
        .ok_or_else(|| Error::invalid("sender", "missing or not an email"))?;
    let lead_id = TenantId::parse(&tenant)
        .ok()
        .map(|t| LeadId::from_dedup_key(&t, &format!("email:{sender}")).to_string());
    let message_id = [get("Message-Id"), get("message-id"), get("token")]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let subject = get("subject");
    // Mail to the List-Unsubscribe mailto (`unsubscribe@<domain>`, subject
    // "unsubscribe <token>") is an unsubscribe from its sender, not a reply.
    let recipient = get("recipient").to_ascii_lowercase();
    let unsubscribe = recipient.starts_with("unsubscribe@")
        || subject
            .trim()
            .to_ascii_lowercase()
            .starts_with("unsubscribe");
    let headers: Vec<(String, String)> =
        serde_json::from_str::<Vec<(String, String)>>(&get("message-headers")).unwrap_or_default();
    let text = [get("stripped-text"), get("body-plain")]
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .unwrap_or_default();
    let (kind, detail, reply) = if unsubscribe {
        (
            SignalKind::Unsubscribed,
            "unsubscribe by email (List-Unsubscribe mailto)".to_string(),
            None,
        )
    } else {
        let c = classify(&Reply {
            channel: "email",
            headers: &headers,
            subject: &subject,
            body: &text,
            received_at: now,
        });
        (
            SignalKind::Replied,
            format!("reply \"{}\"", subject.chars().take(80).collect::<String>()),
            Some(ReplyNote {
                class: c.class,
                evidence: c.evidence,
                return_date: c.return_date,
                referral_email: c.referral_email,
            }),
        )
    };
    Ok(MailgunRequest {
        timestamp: get("timestamp"),
        token: get("token"),
        signature: get("signature"),
        signal: Some(Signal {
            provider: "mailgun".into(),
            event_id: format!(
                "inbound:{}",
                message_id.trim_matches(|c| c == '<' || c == '>')
            ),
            kind,
            tenant,
            lead_id,
            email: Some(sender),
            occurred_at: now,
            detail,
            reply,
            ..Signal::default()
        }),
    })
}

fn extract_address(from: &str) -> Option<String> {
    let inner = match (from.find('<'), from.rfind('>')) {
        (Some(a), Some(b)) if b > a => &from[a + 1..b],
        _ => from,
    };
    canonical_email(inner)
}

/// Text fields of a multipart/form-data body (file parts are ignored).
pub fn parse_multipart(body: &str, boundary: &str) -> HashMap<String, String> {
    let delim = format!("--{boundary}");
    let mut out = HashMap::new();
    for part in body.split(delim.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part
            .strip_prefix("\r\n")
            .or_else(|| part.strip_prefix('\n'))
            .unwrap_or(part);
        let (head, value) = match part.find("\r\n\r\n") {
            Some(i) => (&part[..i], &part[i + 4..]),
            None => match part.find("\n\n") {
                Some(i) => (&part[..i], &part[i + 2..]),
                None => continue,
            },
        };
        if head.to_ascii_lowercase().contains("filename=") {
            continue;
        }
        let name = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))
            .map(|n| n.trim().trim_matches('"').to_string());
        if let Some(name) = name {
            let value = value
                .strip_suffix("\r\n")
                .or_else(|| value.strip_suffix('\n'))
                .unwrap_or(value);
            out.insert(name, value.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    #[test]
    fn permanent_failure_is_a_bounce_and_temporary_is_not() {
        let body = |sev: &str| {
            json!({"signature": {"timestamp": "1", "token": "t", "signature": "s"},
                   "event-data": {"event": "failed", "severity": sev, "id": "e1", "recipient": "a@b.example",
                                  "user-variables": {"tenant": "acme", "lead_id": "0123456789abcdef0123"}}})
            .to_string()
        };
        let p = parse_mailgun("application/json", &body("permanent"), None, now()).unwrap();
        assert_eq!(p.signal.unwrap().kind, SignalKind::Bounced);
        let p = parse_mailgun("application/json", &body("temporary"), None, now()).unwrap();
        assert_eq!(p.signal.unwrap().kind, SignalKind::SoftBounced);
    }

    #[test]
    fn inbound_reply_multipart_finds_the_lead_by_sender() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"sender\"\r\n\r\nJo@Dealer.example\r\n--XyZ\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: form-data; name=\"Message-Id\"\r\n\r\n<m1@x>\r\n--XyZ--\r\n";
        let p = parse_mailgun(
            "multipart/form-data; boundary=XyZ",
            body,
            Some("acme"),
            now(),
        )
        .unwrap();
        let s = p.signal.unwrap();
        assert_eq!(s.kind, SignalKind::Replied);
        assert_eq!(s.email.as_deref(), Some("jo@dealer.example"));
        assert_eq!(s.event_id, "inbound:m1@x");
        assert_eq!(p.token, "tok");
    }

    #[test]
    fn mail_to_the_unsubscribe_mailto_is_an_unsubscribe() {
        let body = "sender=jo%40dealer.example&recipient=unsubscribe%40acme-mail.example.com&subject=unsubscribe%20acme.l1.00ff&timestamp=1&token=t&signature=s&Message-Id=%3Cm1%40x%3E";
        let r = parse_mailgun(
            "application/x-www-form-urlencoded",
            body,
            Some("acme"),
            now(),
        )
        .unwrap();
        let signal = r.signal.unwrap();
        assert_eq!(signal.kind, SignalKind::Unsubscribed);
        assert_eq!(signal.email.as_deref(), Some("jo@dealer.example"));
        let reply = body
            .replace("unsubscribe%40", "sam%40")
            .replace("subject=unsubscribe", "subject=Re");
        let r = parse_mailgun(
            "application/x-www-form-urlencoded",
            &reply,
            Some("acme"),
            now(),
        )
        .unwrap();
        assert_eq!(r.signal.unwrap().kind, SignalKind::Replied);
    }

    #[test]
    fn accepted_events_are_ignored() {
        let body = json!({"signature": {"timestamp": "1", "token": "t", "signature": "s"}, "event-data": {"event": "accepted"}}).to_string();
        assert!(parse_mailgun("application/json", &body, None, now())
            .unwrap()
            .signal
            .is_none());
    }

    proptest::proptest! {
        #[test]
        fn any_body_and_content_type_never_panic(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            ct in "(application/json|application/x-www-form-urlencoded|multipart/form-data; boundary=[a-zA-Z0-9]{0,8}|text/plain|)",
            tenant in proptest::option::of("[a-z0-9-]{0,12}"),
        ) {
            let body = String::from_utf8_lossy(&body);
            let _ = parse_mailgun(&ct, &body, tenant.as_deref(), now());
        }

        #[test]
        fn any_multipart_never_panics(body in "(--XyZ\r?\n(Content-Disposition: form-data; name=\"[a-z-]{0,8}\"(; filename=\"x\")?\r?\n\r?\n)?[^\u{0}]{0,40}){0,4}(--XyZ--)?") {
            let _ = parse_multipart(&body, "XyZ");
        }
    }
}
