//! The SMTP sender against a real SMTP server (aiosmtpd, pinned in
//! infra/local/requirements.txt and started per test by
//! `local_stack::mail_server`) with STARTTLS (or implicit TLS), AUTH and a
//! certificate made for the test: what arrives is read back from the
//! server's mail directory and parsed, and each of the server's refusals is
//! checked against the class the dispatcher acts on.

use local_stack::mail_server::{MailServer, MailServerOptions, Received};
use mailparse::{MailHeaderMap, ParsedMail};
use shared::adapters::senders::smtp::{Security, SmtpCredentials, SmtpSender, SmtpSettings};
use shared::adapters::senders::{FinalKind, Outgoing, ProviderSender, SendError};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const USER: &str = "ana@dealer-mail.test";
/// Distinctive, so it can be looked for in every text the sender shows.
const PASSWORD: &str = "pw-Zq8-never-shown";
const UNKNOWN: &str = "nobody@prospect.test";
const LATER: &str = "greylisted@prospect.test";
const HANG: &str = "slow@prospect.test";
const DROP: &str = "cut@prospect.test";

/// A certificate for `localhost`, made now and self-signed: the server
/// presents it, the sender is told to trust it (and nothing else but the
/// compiled-in roots, which do not include it).
struct TestCert {
    pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn test_cert() -> TestCert {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    TestCert {
        pem: made.cert.pem(),
        key_pem: made.signing_key.serialize_pem(),
        der: made.cert.der().to_vec(),
    }
}

fn start_server(cert: &TestCert, implicit_tls: bool) -> MailServer {
    MailServer::start(&MailServerOptions {
        cert_pem: cert.pem.clone(),
        key_pem: cert.key_pem.clone(),
        user: USER.into(),
        password: PASSWORD.into(),
        implicit_tls,
        reject: vec![UNKNOWN.into()],
        tempfail: vec![LATER.into()],
        hang: vec![HANG.into()],
        drop: vec![DROP.into()],
    })
    .expect("test mail server (run infra/local/setup.sh)")
}

fn credentials(port: u16, password: &str, security: Security) -> SmtpCredentials {
    SmtpCredentials {
        host: "localhost".into(),
        port,
        username: USER.into(),
        password: password.into(),
        security,
    }
}

fn settings() -> SmtpSettings {
    SmtpSettings {
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(1),
    }
}

fn sender_for(server: &MailServer, cert: &TestCert, password: &str) -> SmtpSender {
    SmtpSender::new(
        credentials(server.port, password, Security::Starttls),
        settings(),
    )
    .unwrap()
    .with_extra_root(cert.der.clone())
    .unwrap()
}

/// A first email as the domain hands it over.
fn first_email() -> Outgoing {
    let mut headers = BTreeMap::new();
    headers.insert(
        "List-Unsubscribe".to_string(),
        "<https://u.dealer-mail.test/unsub/t1/abc123>, <mailto:unsubscribe@dealer-mail.test?subject=abc123>".to_string(),
    );
    headers.insert(
        "List-Unsubscribe-Post".to_string(),
        "List-Unsubscribe=One-Click".to_string(),
    );
    headers.insert(
        "Reply-To".to_string(),
        "Ana Replies <replies@dealer-mail.test>".to_string(),
    );
    Outgoing {
        tenant: "t1".into(),
        lead: "lead-1".into(),
        step: 1,
        attempt_id: "att-0001".into(),
        from: USER.into(),
        from_name: Some("Ana Pérez".into()),
        to: "bob@prospect.test".into(),
        subject: Some("Quick question about Señor Tacos' reviews".into()),
        text: "Hi Bob,\n\nSaw your 4.2 rating — one idea.\n\nAna\n--\nDealer Mail, 1 Main St\nUnsubscribe: https://u.dealer-mail.test/unsub/t1/abc123\n".into(),
        headers,
        message_id: Some("<att-0001.first@dealer-mail.test>".into()),
        ..Outgoing::default()
    }
}

fn parsed(received: &Received) -> ParsedMail<'_> {
    mailparse::parse_mail(&received.raw).expect("a parseable message")
}

fn header(mail: &ParsedMail<'_>, name: &str) -> Option<String> {
    mail.headers.get_first_value(name)
}

/// Every header named `name` (a header written twice would be a bug).
fn all(mail: &ParsedMail<'_>, name: &str) -> Vec<String> {
    mail.headers.get_all_values(name)
}

/// The body as sent; the wire's CRLF line ends read as the LF they were.
fn body(part: &ParsedMail<'_>) -> String {
    part.get_body().unwrap().replace("\r\n", "\n")
}

fn final_kind(e: &SendError) -> Option<FinalKind> {
    match e {
        SendError::Final { kind, .. } => Some(*kind),
        _ => None,
    }
}

#[tokio::test]
async fn a_send_over_starttls_delivers_exactly_the_message_it_was_given() {
    // GIVEN a mailbox server with STARTTLS and AUTH, and a first email
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let msg = first_email();
    // WHEN it is sent
    let id = sender.send(&msg).await.unwrap();
    // THEN it went under its own Message-ID, which the send returns
    assert_eq!(id, "<att-0001.first@dealer-mail.test>");
    let received = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(received.len(), 1, "{}", server.log());
    let r = &received[0];
    // AND the session logged in, and the envelope names the mailbox and the lead
    assert_eq!(r.login.as_deref(), Some(USER));
    assert_eq!(r.mail_from, USER);
    assert_eq!(r.rcpt_tos, vec!["bob@prospect.test".to_string()]);
    // AND the headers are exactly the message's, each once
    let mail = parsed(r);
    let from = mailparse::addrparse_header(mail.headers.get_first_header("From").unwrap()).unwrap();
    match &from[0] {
        mailparse::MailAddr::Single(s) => {
            assert_eq!(s.display_name.as_deref(), Some("Ana Pérez"));
            assert_eq!(s.addr, USER);
        }
        other => panic!("From is a group: {other:?}"),
    }
    assert_eq!(from.len(), 1);
    assert_eq!(header(&mail, "To").unwrap(), "bob@prospect.test");
    assert_eq!(
        header(&mail, "Subject").unwrap(),
        msg.subject.clone().unwrap()
    );
    assert_eq!(all(&mail, "Message-ID"), vec![id.clone()]);
    assert_eq!(
        all(&mail, "List-Unsubscribe"),
        vec![msg.headers["List-Unsubscribe"].clone()]
    );
    assert_eq!(
        all(&mail, "List-Unsubscribe-Post"),
        vec!["List-Unsubscribe=One-Click".to_string()]
    );
    assert_eq!(
        all(&mail, "Reply-To"),
        vec!["\"Ana Replies\" <replies@dealer-mail.test>".to_string()]
    );
    assert_eq!(
        all(&mail, "X-Outbound-Attempt"),
        vec!["att-0001".to_string()]
    );
    assert!(header(&mail, "Date").is_some());
    // a first email threads under nothing
    assert_eq!(header(&mail, "In-Reply-To"), None);
    assert_eq!(header(&mail, "References"), None);
    // AND it is plain text only, the text exactly as given
    assert_eq!(mail.ctype.mimetype, "text/plain");
    assert_eq!(mail.ctype.charset, "utf-8");
    assert!(mail.subparts.is_empty());
    assert_eq!(body(&mail), msg.text);
}

#[tokio::test]
async fn a_follow_up_threads_under_the_first_email_with_an_id_of_its_own() {
    // GIVEN a second step answering the first (no Message-ID of its own)
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let msg = Outgoing {
        step: 2,
        attempt_id: "att-0002".into(),
        subject: Some("Re: Quick question".into()),
        text: "Bumping this up.\n".into(),
        message_id: None,
        in_reply_to: Some("<att-0001.first@dealer-mail.test>".into()),
        references: vec![
            "<att-0001.first@dealer-mail.test>".into(),
            "<reply-from-bob@prospect.test>".into(),
        ],
        ..first_email()
    };
    // WHEN it is sent
    let id = sender.send(&msg).await.unwrap();
    // THEN its Message-ID is made from the attempt and the sender's domain
    assert_eq!(id, "<att-0002@dealer-mail.test>");
    let received = server.wait_for(1, Duration::from_secs(5));
    let mail = parsed(&received[0]);
    assert_eq!(all(&mail, "Message-ID"), vec![id]);
    // AND it names the first email as its parent, and the whole thread
    assert_eq!(
        all(&mail, "In-Reply-To"),
        vec!["<att-0001.first@dealer-mail.test>".to_string()]
    );
    assert_eq!(
        all(&mail, "References"),
        vec!["<att-0001.first@dealer-mail.test> <reply-from-bob@prospect.test>".to_string()]
    );
    assert_eq!(
        all(&mail, "X-Outbound-Attempt"),
        vec!["att-0002".to_string()]
    );
    assert_eq!(body(&mail), "Bumping this up.\n");
}

#[tokio::test]
async fn an_email_with_html_goes_as_multipart_alternative_text_first() {
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let msg = Outgoing {
        html: Some("<p>Hi Bob,</p><p>Saw your 4.2 rating — one idea.</p>".into()),
        ..first_email()
    };
    sender.send(&msg).await.unwrap();
    let received = server.wait_for(1, Duration::from_secs(5));
    let mail = parsed(&received[0]);
    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    let types: Vec<&str> = mail
        .subparts
        .iter()
        .map(|p| p.ctype.mimetype.as_str())
        .collect();
    assert_eq!(types, vec!["text/plain", "text/html"]);
    assert_eq!(body(&mail.subparts[0]), msg.text);
    assert_eq!(body(&mail.subparts[1]), msg.html.unwrap());
}

#[tokio::test]
async fn implicit_tls_sends_too() {
    // GIVEN a port-465 style server (TLS from the first byte)
    let cert = test_cert();
    let server = start_server(&cert, true);
    let sender = SmtpSender::new(
        credentials(server.port, PASSWORD, Security::Tls),
        settings(),
    )
    .unwrap()
    .with_extra_root(cert.der.clone())
    .unwrap();
    // WHEN a message is sent, THEN it arrives
    sender.send(&first_email()).await.unwrap();
    assert_eq!(server.wait_for(1, Duration::from_secs(5)).len(), 1);
    sender.probe().await.unwrap();
}

#[tokio::test]
async fn the_probe_logs_in_and_a_wrong_password_is_bad_credentials() {
    let cert = test_cert();
    let server = start_server(&cert, false);
    // the right login passes
    sender_for(&server, &cert, PASSWORD).probe().await.unwrap();
    // GIVEN a wrong password
    let wrong = sender_for(&server, &cert, "not-the-password");
    // WHEN the probe or a send logs in, THEN 535 is bad credentials
    let probe = wrong.probe().await.unwrap_err();
    assert_eq!(
        final_kind(&probe),
        Some(FinalKind::BadCredentials),
        "{probe}"
    );
    assert!(probe.to_string().contains("535"), "{probe}");
    let send = wrong.send(&first_email()).await.unwrap_err();
    assert_eq!(final_kind(&send), Some(FinalKind::BadCredentials), "{send}");
    // AND nothing was delivered
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn an_unknown_recipient_is_an_invalid_recipient() {
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let e = sender
        .send(&Outgoing {
            to: UNKNOWN.into(),
            ..first_email()
        })
        .await
        .unwrap_err();
    assert_eq!(final_kind(&e), Some(FinalKind::InvalidRecipient), "{e}");
    assert!(e.to_string().contains("5.1.1"), "{e}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_temporary_refusal_is_retryable() {
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let e = sender
        .send(&Outgoing {
            to: LATER.into(),
            ..first_email()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Retryable { .. }), "{e}");
    assert!(e.to_string().contains("451"), "{e}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_server_not_listening_is_retryable() {
    // GIVEN a port nobody listens on
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sender = SmtpSender::new(
        SmtpCredentials {
            host: "127.0.0.1".into(),
            ..credentials(port, PASSWORD, Security::Starttls)
        },
        settings(),
    )
    .unwrap();
    // WHEN a send or the probe tries it, THEN it was not taken
    let e = sender.send(&first_email()).await.unwrap_err();
    assert!(matches!(e, SendError::Retryable { .. }), "{e}");
    let e = sender.probe().await.unwrap_err();
    assert!(matches!(e, SendError::Retryable { .. }), "{e}");
}

#[tokio::test]
async fn a_certificate_the_sender_does_not_trust_is_retryable_and_no_login_goes_out() {
    // GIVEN the server's certificate, which the compiled-in roots do not hold
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = SmtpSender::new(
        credentials(server.port, PASSWORD, Security::Starttls),
        settings(),
    )
    .unwrap();
    // WHEN it sends, THEN the TLS handshake fails before AUTH: retryable
    let e = sender.send(&first_email()).await.unwrap_err();
    assert!(matches!(e, SendError::Retryable { .. }), "{e}");
    assert!(e.to_string().contains("StartTls"), "{e}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_server_silent_before_the_message_went_is_retryable() {
    // GIVEN a server that takes the connection and never greets
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
    let sender = SmtpSender::new(
        credentials(port, PASSWORD, Security::Starttls),
        SmtpSettings {
            connect_timeout: Duration::from_millis(500),
            ..settings()
        },
    )
    .unwrap();
    // WHEN a send waits for it, THEN the timeout is before any content: retryable
    let e = sender.send(&first_email()).await.unwrap_err();
    assert!(matches!(e, SendError::Retryable { .. }), "{e}");
    drop(held);
}

#[tokio::test]
async fn a_server_silent_after_the_content_is_unknown() {
    // GIVEN a server that stores the message and then never answers its DATA
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let start = Instant::now();
    // WHEN it is sent
    let e = sender
        .send(&Outgoing {
            to: HANG.into(),
            ..first_email()
        })
        .await
        .unwrap_err();
    // THEN the outcome is unknown (after the command timeout, not sooner)
    assert!(matches!(e, SendError::Unknown { .. }), "{e}");
    assert!(start.elapsed() >= Duration::from_secs(1));
    // AND rightly so: the server holds the message
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_connection_dropped_after_the_content_is_unknown() {
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let e = sender
        .send(&Outgoing {
            to: DROP.into(),
            ..first_email()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Unknown { .. }), "{e}");
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_header_value_with_cr_or_lf_is_rejected_and_nothing_is_sent() {
    let cert = test_cert();
    let server = start_server(&cert, false);
    let sender = sender_for(&server, &cert, PASSWORD);
    let injected = "x\r\nBcc: victim@elsewhere.test";
    let mut cases: Vec<(&str, Outgoing)> = vec![
        (
            "subject",
            Outgoing {
                subject: Some(format!("Hello{injected}")),
                ..first_email()
            },
        ),
        (
            "from name",
            Outgoing {
                from_name: Some(format!("Ana{injected}")),
                ..first_email()
            },
        ),
        (
            "in-reply-to",
            Outgoing {
                in_reply_to: Some("<a@b.test>\nBcc: victim@elsewhere.test".into()),
                ..first_email()
            },
        ),
        (
            "references",
            Outgoing {
                references: vec!["<a@b.test>\rBcc: victim@elsewhere.test".into()],
                ..first_email()
            },
        ),
        (
            "message id",
            Outgoing {
                message_id: Some("<a@b.test>\r\nBcc: victim@elsewhere.test".into()),
                ..first_email()
            },
        ),
        (
            "attempt id",
            Outgoing {
                attempt_id: format!("att{injected}"),
                message_id: None,
                ..first_email()
            },
        ),
    ];
    for name in ["List-Unsubscribe", "Reply-To", "List-Unsubscribe-Post"] {
        let mut msg = first_email();
        msg.headers
            .insert(name.to_string(), format!("<https://u.test/x>{injected}"));
        cases.push((name, msg));
    }
    for (what, msg) in cases {
        let e = sender.send(&msg).await.unwrap_err();
        assert_eq!(final_kind(&e), Some(FinalKind::Rejected), "{what}: {e}");
    }
    // the same sender still sends a clean message, and only that arrives
    sender.send(&first_email()).await.unwrap();
    let received = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(received.len(), 1);
    assert!(!String::from_utf8_lossy(&received[0].raw).contains("victim"));
}

#[tokio::test]
async fn the_password_never_shows_in_debug_or_errors() {
    let cert = test_cert();
    let server = start_server(&cert, false);
    let creds = credentials(server.port, PASSWORD, Security::Starttls);
    assert!(format!("{creds:?}").contains("***"));
    assert!(!format!("{creds:?}").contains(PASSWORD));
    let sender = sender_for(&server, &cert, PASSWORD);
    assert!(!format!("{sender:?}").contains(PASSWORD), "{sender:?}");
    // errors of every class: bad login, refused recipient, temporary, unknown
    let wrong = sender_for(&server, &cert, &format!("{PASSWORD}-wrong"));
    let mut errors = vec![wrong.probe().await.unwrap_err()];
    for to in [UNKNOWN, LATER, DROP] {
        errors.push(
            sender
                .send(&Outgoing {
                    to: to.into(),
                    ..first_email()
                })
                .await
                .unwrap_err(),
        );
    }
    for e in errors {
        assert!(!e.to_string().contains(PASSWORD), "{e}");
        assert!(!format!("{e:?}").contains(PASSWORD), "{e:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_tenant_on_its_own_mailbox_sends_through_smtp_from_the_dispatch_tick() {
    use integration_tests::*;
    use shared::domain::dispatch::sequence::SequenceStep;
    use shared::domain::dispatch::window::SendWindow;
    use shared::domain::tenant::Mailbox;
    use shared::domain::touch::{Channel, TouchState};
    // GIVEN a mailbox server, and a tenant whose one mailbox logs in to it
    // with a secret of its own, two emails a day apart
    let cert = test_cert();
    let server = start_server(&cert, false);
    let mut ls = stack("smtplive", at(IN_WINDOW), None).await;
    ls.use_live_senders(Default::default(), vec![cert.der.clone()]);
    let tenant = "smtplive";
    let secret = format!("outbound/{tenant}/smtp/ana");
    let login = serde_json::json!({"host": "localhost", "port": server.port,
        "username": USER, "password": PASSWORD, "security": "starttls"});
    ls.put_secret(&secret, &login).await.unwrap();
    let mailbox = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = mailbox.clone();
    let auth = due_tenant(&mut ls, tenant, &emails("s", 3, "NY"), |c| {
        let domain = c.domains[0].domain.clone();
        *seen.lock().unwrap() = format!("ana@{domain}");
        c.mailboxes = vec![Mailbox {
            address: format!("ana@{domain}"),
            domain,
            secret: Some(secret.clone()),
        }];
        c.sequence = (1..=2)
            .map(|step| SequenceStep {
                step,
                day: u32::from(step - 1),
                channel: Channel::Email,
                purpose: format!("email {step}"),
                conditions: vec![],
                template: Some(if step == 1 { "intro" } else { "value" }.into()),
            })
            .collect();
        c.windows.email = SendWindow::always();
    })
    .await;
    let from = mailbox.lock().unwrap().clone();
    // WHEN the channel is SMTP and the tenant goes live (the probe logs in)
    let mut config = get(&mut ls, &auth, "/admin/config").await;
    config["providers"] = serde_json::json!({"email": {"provider": "smtp", "secret": format!("outbound/{tenant}/smtp")}});
    let headers = [("authorization", auth.as_str())];
    let r = ls
        .http("PUT", "/admin/config", &headers, &config.to_string())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    ls.put_secret(&format!("outbound/{tenant}/smtp"), &login)
        .await
        .unwrap();
    let r = post(&mut ls, &auth, "/admin/go-live", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // AND two days play out
    let start = ls.now();
    ls.run_until(start + chrono::Duration::days(2))
        .await
        .unwrap();
    // THEN every email arrived once, from the mailbox, logged in as it
    let received = server.wait_for(6, Duration::from_secs(10));
    assert_eq!(received.len(), 6, "{}", server.log());
    let mut ids = BTreeMap::new();
    for r in &received {
        assert_eq!(r.login.as_deref(), Some(USER));
        assert_eq!(r.mail_from, from);
        let mail = parsed(r);
        let attempt = header(&mail, "X-Outbound-Attempt").unwrap();
        let unsubscribe = header(&mail, "List-Unsubscribe").unwrap_or_default();
        assert!(
            unsubscribe.contains("/unsubscribe/")
                && header(&mail, "List-Unsubscribe-Post").is_some(),
            "one-click unsubscribe on every email: {unsubscribe:?}"
        );
        ids.insert(
            attempt,
            (
                header(&mail, "Message-ID").unwrap(),
                header(&mail, "In-Reply-To"),
                r.rcpt_tos.clone(),
            ),
        );
    }
    // AND each touch is confirmed under its Message-ID, the second email
    // threaded under the first
    for lead in ls.store.leads(tenant).await.unwrap() {
        let touches = ls.store.touches(tenant, &lead.id).await.unwrap();
        assert_eq!(touches.len(), 2);
        let mut sent = Vec::new();
        for t in &touches {
            assert_eq!(t.state, TouchState::Sent, "{} step {}", lead.id, t.step);
            let (id, parent, to) = &ids[t.attempt_id.as_ref().unwrap()];
            assert_eq!(t.provider_message_id.as_ref(), Some(id));
            assert_eq!(to, &vec![t.recipient.clone()]);
            sent.push((id.clone(), parent.clone()));
        }
        assert_eq!(sent[0].1, None, "a first email starts its thread");
        assert_eq!(sent[1].1.as_ref(), Some(&sent[0].0), "threaded");
    }
    ls.cleanup().await;
}
