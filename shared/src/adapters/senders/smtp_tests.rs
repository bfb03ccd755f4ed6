//! The SMTP sender without a server: how each reply and each lost answer
//! is classified, and what the message builder refuses. The dialogue with a
//! real server is tested in tests/smtp.rs.

use super::*;

fn kind(e: &SendError) -> Option<FinalKind> {
    match e {
        SendError::Final { kind, .. } => Some(*kind),
        _ => None,
    }
}

fn rate_limited(e: &SendError) -> Option<bool> {
    match e {
        SendError::Retryable { rate_limited, .. } => Some(*rate_limited),
        _ => None,
    }
}

/// lettre's text for a negative reply.
fn text(code: u16, rest: &str) -> String {
    let class = if code < 500 { "transient" } else { "permanent" };
    format!("{class} error ({code}): {rest}")
}

#[test]
fn every_4xx_is_retryable_and_throttling_is_marked() {
    for step in [
        Step::Connect,
        Step::Auth,
        Step::MailFrom,
        Step::RcptTo,
        Step::Data,
        Step::Content,
    ] {
        for (code, rest, limited) in [
            (450, "4.2.1 mailbox busy", false),
            (451, "4.3.0 try again later", false),
            (452, "4.5.3 too many recipients", false),
            (421, "4.7.0 Try again later, closing connection", true),
            (451, "4.7.500 Server busy", true),
            (454, "4.4.5 system congestion", true),
        ] {
            let e = reply(step, code, &text(code, rest));
            assert_eq!(
                rate_limited(&e),
                Some(limited),
                "{step:?} {code} {rest}: {e}"
            );
        }
    }
}

#[test]
fn a_refused_recipient_is_invalid_unless_the_refusal_is_a_policy() {
    for (code, rest) in [
        (550, "5.1.1 <x@y.test>: user unknown"),
        (553, "5.1.3 mailbox name not allowed"),
        (551, "user not local"),
        (550, "no such user"),
    ] {
        let e = reply(Step::RcptTo, code, &text(code, rest));
        assert_eq!(kind(&e), Some(FinalKind::InvalidRecipient), "{code} {rest}");
    }
    let e = reply(Step::RcptTo, 554, &text(554, "5.7.1 relay access denied"));
    assert_eq!(kind(&e), Some(FinalKind::Rejected));
}

#[test]
fn the_same_5xx_elsewhere_refuses_the_message_not_the_address() {
    for step in [Step::MailFrom, Step::Data, Step::Content] {
        for (code, rest) in [
            (550, "5.1.1 user unknown"),
            (552, "5.3.4 message too big"),
            (554, "5.7.1 message refused as spam"),
        ] {
            let e = reply(step, code, &text(code, rest));
            assert_eq!(kind(&e), Some(FinalKind::Rejected), "{step:?} {code}");
        }
    }
}

#[test]
fn a_refused_login_or_connection_is_bad_credentials() {
    // 535 at AUTH, and 530 wherever it comes (authentication required)
    for (step, code, rest) in [
        (Step::Auth, 535, "5.7.8 Authentication credentials invalid"),
        (
            Step::Auth,
            534,
            "5.7.9 Application-specific password required",
        ),
        (Step::MailFrom, 530, "5.7.0 Authentication required"),
        (Step::Connect, 554, "5.7.1 no SMTP service for you"),
        (Step::StartTls, 554, "5.7.3 TLS not available"),
    ] {
        let e = reply(step, code, &text(code, rest));
        assert_eq!(kind(&e), Some(FinalKind::BadCredentials), "{step:?} {code}");
    }
}

#[test]
fn a_sending_quota_is_retryable_not_final() {
    // Google answers an exhausted daily quota with a 550
    let e = reply(
        Step::MailFrom,
        550,
        &text(550, "5.4.5 Daily user sending limit exceeded."),
    );
    assert_eq!(rate_limited(&e), Some(true), "{e}");
}

#[test]
fn a_lost_answer_is_unknown_only_once_the_content_went() {
    for step in [
        Step::Connect,
        Step::StartTls,
        Step::Auth,
        Step::MailFrom,
        Step::RcptTo,
        Step::Data,
    ] {
        let e = classify(Failure {
            step,
            cause: Cause::Timeout(Duration::from_secs(1)),
        });
        assert!(matches!(e, SendError::Retryable { .. }), "{step:?}: {e}");
    }
    let e = classify(Failure {
        step: Step::Content,
        cause: Cause::Timeout(Duration::from_secs(1)),
    });
    assert!(matches!(e, SendError::Unknown { .. }), "{e}");
}

#[test]
fn enhanced_status_codes_are_read_from_lettres_text() {
    assert_eq!(
        enhanced_status(&text(550, "5.1.1 <a@b>: unknown")),
        Some("5.1.1")
    );
    assert_eq!(
        enhanced_status(&text(451, "4.7.500 Server busy")),
        Some("4.7.500")
    );
    assert_eq!(enhanced_status(&text(550, "no such user")), None);
    assert_eq!(enhanced_status(&text(550, "5.1 odd")), None);
    assert_eq!(enhanced_status("5.4.5 Daily limit"), Some("5.4.5"));
}

fn outgoing() -> Outgoing {
    Outgoing {
        attempt_id: "att-9".into(),
        from: "ana@dealer.test".into(),
        from_name: Some("Ana".into()),
        to: "bob@prospect.test".into(),
        subject: Some("Hi".into()),
        text: "Hello\n".into(),
        ..Outgoing::default()
    }
}

fn built_headers(msg: &Outgoing) -> String {
    let built = build(msg).unwrap();
    let raw = String::from_utf8(built.content).unwrap();
    raw.split("\r\n\r\n").next().unwrap().to_string()
}

#[test]
fn the_message_id_is_the_attempts_own_at_the_senders_domain() {
    let built = build(&outgoing()).unwrap();
    assert_eq!(built.message_id, "<att-9@dealer.test>");
    assert!(built_headers(&outgoing()).contains("Message-ID: <att-9@dealer.test>\r\n"));
    assert!(built_headers(&outgoing()).contains("X-Outbound-Attempt: att-9\r\n"));
    let given = Outgoing {
        message_id: Some("<given@dealer.test>".into()),
        ..outgoing()
    };
    assert_eq!(build(&given).unwrap().message_id, "<given@dealer.test>");
}

#[test]
fn control_characters_in_any_header_refuse_the_message() {
    let bad = "a\r\nBcc: victim@x.test";
    let mut cases = vec![
        Outgoing {
            subject: Some(bad.into()),
            ..outgoing()
        },
        Outgoing {
            from_name: Some(bad.into()),
            ..outgoing()
        },
        Outgoing {
            subject: Some("a\nb".into()),
            ..outgoing()
        },
        Outgoing {
            subject: Some("a\rb".into()),
            ..outgoing()
        },
        Outgoing {
            in_reply_to: Some(format!("<p@x.test>{bad}")),
            ..outgoing()
        },
        Outgoing {
            references: vec![format!("<p@x.test>{bad}")],
            ..outgoing()
        },
        Outgoing {
            message_id: Some(format!("<p@x.test>{bad}")),
            ..outgoing()
        },
        Outgoing {
            attempt_id: bad.into(),
            ..outgoing()
        },
        Outgoing {
            to: format!("bob@prospect.test{bad}"),
            ..outgoing()
        },
    ];
    let mut with_header = outgoing();
    with_header.headers.insert(
        "List-Unsubscribe".into(),
        format!("<https://u.test/x>{bad}"),
    );
    cases.push(with_header);
    let mut with_name = outgoing();
    with_name.headers.insert("X-Bad\r\nBcc".into(), "v".into());
    cases.push(with_name);
    for msg in cases {
        let e = build(&msg).unwrap_err();
        assert_eq!(kind(&e), Some(FinalKind::Rejected), "{msg:?}: {e}");
    }
}

#[test]
fn headers_the_sender_writes_cannot_be_overridden() {
    for name in [
        "Bcc",
        "from",
        "Message-ID",
        "X-Outbound-Attempt",
        "Content-Type",
    ] {
        let mut msg = outgoing();
        msg.headers.insert(name.into(), "x@y.test".into());
        let e = build(&msg).unwrap_err();
        assert_eq!(kind(&e), Some(FinalKind::Rejected), "{name}: {e}");
    }
}

#[test]
fn a_malformed_recipient_is_invalid_and_a_malformed_message_id_rejected() {
    let e = build(&Outgoing {
        to: "not an address".into(),
        ..outgoing()
    })
    .unwrap_err();
    assert_eq!(kind(&e), Some(FinalKind::InvalidRecipient), "{e}");
    for id in [
        "no-brackets@x.test",
        "<no-at>",
        "<a b@x.test>",
        "<a@b@x.test>",
    ] {
        let e = build(&Outgoing {
            message_id: Some(id.into()),
            ..outgoing()
        })
        .unwrap_err();
        assert_eq!(kind(&e), Some(FinalKind::Rejected), "{id}: {e}");
    }
}

#[test]
fn credentials_read_from_a_secret_and_never_show_the_password() {
    let creds: SmtpCredentials = serde_json::from_str(
        r#"{"host":"smtp.gmail.com","port":587,"username":"ana@dealer.test","password":"app-pass-123","security":"starttls"}"#,
    )
    .unwrap();
    assert_eq!(creds.security, Security::Starttls);
    let shown = format!("{creds:?}");
    assert!(
        !shown.contains("app-pass-123") && shown.contains("***"),
        "{shown}"
    );
    let sender = SmtpSender::new(creds, SmtpSettings::default()).unwrap();
    assert!(!format!("{sender:?}").contains("app-pass-123"));
    let tls: SmtpCredentials = serde_json::from_str(
        r#"{"host":"smtp.office365.com","port":465,"username":"u","password":"p","security":"tls"}"#,
    )
    .unwrap();
    assert_eq!(tls.security, Security::Tls);
    assert!(serde_json::from_str::<SmtpCredentials>(
        r#"{"host":"h","port":25,"username":"u","password":"p","security":"none"}"#
    )
    .is_err());
}
