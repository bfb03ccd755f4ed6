//! Tenants' own SMTP mailboxes, read over IMAP from a real server (pymap,
//! STARTTLS): a reply and a delivery report are tied to the touch by the
//! Message-ID we gave it and applied once, an out-of-office notice pauses,
//! mail about nothing of ours is left alone, and a re-read changes nothing.

use integration_tests::*;
use local_stack::imap_server::ImapServer;
use serde_json::json;
use shared::adapters::imap::{append, ImapAccount, ImapSettings};
use shared::domain::lead::LeadStatus;
use shared::domain::providers::{ProviderKind, ProviderRef};
use shared::domain::touch::TouchState;

const USER: &str = "sam@mbx-mail.example.com";
const PASSWORD: &str = "imap-password-for-tests";

fn message_id_of(attempt: &str, sender: &str) -> String {
    shared::adapters::senders::live::message_id(attempt, sender)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_and_bounces_in_the_mailbox_are_applied_once_and_other_mail_is_left_alone() {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let server = ImapServer::start(
        &made.cert.pem(),
        &made.signing_key.serialize_pem(),
        USER,
        PASSWORD,
    )
    .expect("test IMAP server (run infra/local/setup.sh)");
    let mut ls = stack("mbx", at(IN_WINDOW), None).await;
    let t = "mbx";
    let secret = json!({"host": "localhost", "port": 587, "username": USER, "password": PASSWORD,
        "security": "starttls", "imap_host": "localhost", "imap_port": server.port, "imap_security": "starttls"});
    ls.put_secret("outbound/mbx/smtp", &secret).await.unwrap();
    let auth = due_tenant(&mut ls, t, &emails("mb", 4, "NY"), |c| {
        c.providers.email = Some(ProviderRef {
            provider: ProviderKind::Smtp,
            secret: "outbound/mbx/smtp".into(),
        });
    })
    .await;
    let settings = ImapSettings {
        extra_roots: vec![made.cert.der().to_vec()],
        ..ImapSettings::default()
    };
    ls.webhook.imap = settings.clone();
    assert_eq!(ls.tick().await.unwrap().sent, 4);
    let lead = |i: usize| lead_id(t, &format!("mb{i}@mb{i}.example"));
    // The Message-ID each lead's first email carried.
    let mut ids = Vec::new();
    for i in 0..4 {
        let touch = ls.store.touch(t, &lead(i), 1).await.unwrap().unwrap();
        ids.push(message_id_of(
            touch.attempt_id.as_deref().unwrap(),
            touch.sender.as_deref().unwrap(),
        ));
    }
    let account = ImapAccount::from_secret(&secret.to_string())
        .unwrap()
        .unwrap();
    let mails = [
        // lead 0 answers
        format!("From: Jo <mb0@mb0.example>\r\nTo: {USER}\r\nSubject: Re: Quick question\r\nMessage-ID: <r0@mb0.example>\r\nIn-Reply-To: {}\r\nReferences: {}\r\n\r\nSounds interesting, tell me more.\r\n\r\nOn Tue, Dec 1, 2026 Sam wrote:\r\n> Worth a call?\r\n", ids[0], ids[0]),
        // lead 1's address bounced (RFC 3464 report)
        format!("From: MAILER-DAEMON@mx.mb1.example\r\nTo: {USER}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.mb1.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.mb1.example\r\n\r\nFinal-Recipient: rfc822; mb1@mb1.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {USER}\r\nTo: mb1@mb1.example\r\nMessage-ID: {}\r\nSubject: Quick question\r\n\r\n--B--\r\n", ids[1]),
        // lead 2 is away
        format!("From: mb2@mb2.example\r\nTo: {USER}\r\nSubject: Automatic reply: Quick question\r\nMessage-ID: <ooo2@mb2.example>\r\nAuto-Submitted: auto-replied\r\nIn-Reply-To: {}\r\n\r\nI am out of the office until 10 December and will reply when I am back.\r\n", ids[2]),
        // the mailbox owner's own mail: nothing of ours
        format!("From: friend@elsewhere.example\r\nTo: {USER}\r\nSubject: Lunch?\r\nMessage-ID: <l1@elsewhere.example>\r\n\r\nLunch on Friday?\r\n"),
    ];
    for m in &mails {
        append(&account, &settings, m.as_bytes()).await.unwrap();
    }
    // WHEN the reader runs
    let report = ls.webhook.read_mailboxes().await.unwrap();
    assert_eq!(
        (
            report.messages,
            report.applied,
            report.ignored,
            report.failed.len()
        ),
        (4, 3, 1, 0),
        "{report:?}"
    );
    // THEN lead 0 replied (its sequence stopped), lead 1 bounced, lead 2 is
    // paused until it is back, lead 3 goes on
    let l0 = ls.store.lead(t, &lead(0)).await.unwrap().unwrap();
    assert_eq!((l0.status, l0.replies), (LeadStatus::Replied, 1));
    assert!(states(&ls, t, &l0.id).await[1..]
        .iter()
        .all(|s| *s == TouchState::Cancelled));
    let l1 = ls.store.lead(t, &lead(1)).await.unwrap().unwrap();
    assert!(l1.email_bounced);
    assert!(
        ls.store
            .suppression_hits(
                t,
                &[(
                    shared::domain::targeting::suppression::SuppressionKind::Email,
                    "mb1@mb1.example".into()
                )]
            )
            .await
            .unwrap()
            .len()
            == 1
    );
    let l2 = ls.store.lead(t, &lead(2)).await.unwrap().unwrap();
    assert_eq!(l2.status, LeadStatus::Contacted);
    assert_eq!(
        l2.paused_until
            .map(|d| d.date_naive().to_string())
            .as_deref(),
        Some("2026-12-10")
    );
    // AND the next run reads nothing new; a reader that lost its place
    // re-reads everything and changes nothing
    let again = ls.webhook.read_mailboxes().await.unwrap();
    assert_eq!(again.messages, 0, "{again:?}");
    let versions: Vec<u64> = {
        let mut v = Vec::new();
        for i in 0..4 {
            v.push(ls.store.lead(t, &lead(i)).await.unwrap().unwrap().version);
        }
        v
    };
    ls.store
        .set_mailbox_cursor(t, USER, 0, 0, ls.now())
        .await
        .unwrap();
    let reread = ls.webhook.read_mailboxes().await.unwrap();
    assert_eq!(
        (reread.messages, reread.applied, reread.duplicates),
        (4, 0, 3),
        "{reread:?}"
    );
    for (i, v) in versions.iter().enumerate() {
        assert_eq!(
            ls.store.lead(t, &lead(i)).await.unwrap().unwrap().version,
            *v
        );
    }
    let timeline = get(&mut ls, &auth, &format!("/admin/leads/{}", lead(1))).await;
    assert!(timeline.to_string().contains("smtp bounced"), "{timeline}");
    drop(server);
}
