//! Tests of the live sender's routing, credential cache and the message
//! every adapter is given.

use super::*;
use crate::adapters::secrets::SecretSource;
use crate::domain::ids::TenantId;
use crate::domain::lead::Lead;
use crate::domain::providers::Providers;
use crate::ports::SimClock;
use std::sync::atomic::{AtomicU32, Ordering};

fn config() -> TenantConfig {
    let mut c = TenantConfig::default_for(
        TenantId::parse("acme").unwrap(),
        "Acme",
        "2026-11-02".parse().unwrap(),
    );
    c.providers = Providers {
        email: Some(ProviderRef {
            provider: ProviderKind::Smtp,
            secret: "outbound/acme/smtp-default".into(),
        }),
        sms: Some(ProviderRef {
            provider: ProviderKind::Twilio,
            secret: "outbound/acme/twilio".into(),
        }),
        ..Default::default()
    };
    c.mailboxes[0].secret = Some("outbound/acme/smtp-sam".into());
    c
}

fn lead() -> Lead {
    Lead {
        tenant: "acme".into(),
        id: "L1".into(),
        email: Some("jo@desert.example".into()),
        first_name: Some("Jo".into()),
        last_name: Some("Diaz".into()),
        company: Some("Desert Motors".into()),
        mobile_phone: Some("+16025550100".into()),
        ..Default::default()
    }
}

fn touch(channel: Channel, step: u8) -> Touch {
    let mut t: Touch = serde_json::from_value(serde_json::json!({
        "tenant": "acme", "lead_id": "L1", "step": step, "day": 0,
        "channel": channel.as_str(), "state": "sending",
        "recipient": "jo@desert.example",
        "message": {"subject": "Reviews", "body": "Hi Jo", "template_id": "t1",
            "headers": {"List-Unsubscribe": "<https://u.example/x>"}},
        "fingerprint": "f", "created_at": "2026-11-26T10:00:00Z"
    }))
    .unwrap();
    t.sender = Some("sam@acme-mail.example.com".into());
    t
}

/// Counts reads; the value changes when `rotate` is bumped.
#[derive(Default)]
struct Source {
    reads: AtomicU32,
    rotate: AtomicU32,
}

#[async_trait]
impl SecretSource for Source {
    async fn secret(&self, name: &str) -> Result<SecretValue> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if name.ends_with("missing") {
            return Err(Error::NotFound(format!("secret {name}")));
        }
        Ok(SecretValue::new(format!(
            "{name}:{}",
            self.rotate.load(Ordering::SeqCst)
        )))
    }
}

struct Named(String);

#[async_trait]
impl ProviderSender for Named {
    fn provider(&self) -> &'static str {
        "test"
    }
    async fn send(&self, _: &Outgoing) -> std::result::Result<String, SendError> {
        Ok(self.0.clone())
    }
    async fn probe(&self) -> std::result::Result<(), SendError> {
        Ok(())
    }
}

fn senders(source: Arc<Source>, clock: &SimClock, built: Arc<AtomicU32>) -> LiveSenders {
    let secrets = CachedSecrets::new(
        source,
        Arc::new(clock.clone()),
        chrono::Duration::minutes(5),
    );
    LiveSenders::with_builder(
        secrets,
        LiveSettings {
            public_url: Some("https://hooks.example/".into()),
            ..Default::default()
        },
        Box::new(move |_, secret, _| {
            built.fetch_add(1, Ordering::SeqCst);
            Ok(Arc::new(Named(secret.expose().to_string())) as Arc<dyn ProviderSender>)
        }),
    )
}

#[tokio::test]
async fn each_mailbox_sends_with_its_own_login_and_a_rotated_secret_rebuilds_the_adapter() {
    // GIVEN a tenant on SMTP whose mailbox has its own secret
    let clock = SimClock::starting_at("2026-11-26T15:00:00Z".parse().unwrap());
    let source = Arc::new(Source::default());
    let built = Arc::new(AtomicU32::new(0));
    let live = senders(source.clone(), &clock, built.clone());
    let (c, l, t) = (config(), lead(), touch(Channel::Email, 1));
    let a = Attempt {
        touch: &t,
        lead: &l,
        config: &c,
        sender: "sam@acme-mail.example.com",
        attempt_id: "L1-01-x",
    };
    // WHEN it sends twice
    assert_eq!(live.send(&a).await.unwrap(), "outbound/acme/smtp-sam:0");
    assert_eq!(live.send(&a).await.unwrap(), "outbound/acme/smtp-sam:0");
    // THEN the secret was read and the adapter built once
    assert_eq!(source.reads.load(Ordering::SeqCst), 1);
    assert_eq!(built.load(Ordering::SeqCst), 1);
    // WHEN the secret is rotated and the cache's TTL has passed
    source.rotate.store(1, Ordering::SeqCst);
    clock.advance(chrono::Duration::minutes(6));
    // THEN the next send uses a new adapter on the new value
    assert_eq!(live.send(&a).await.unwrap(), "outbound/acme/smtp-sam:1");
    assert_eq!(built.load(Ordering::SeqCst), 2);
    // AND a mailbox without its own secret uses the provider's
    let other = Attempt {
        sender: "al@acme-mail.example.com",
        ..a
    };
    assert_eq!(
        live.send(&other).await.unwrap(),
        "outbound/acme/smtp-default:1"
    );
}

#[tokio::test]
async fn a_missing_secret_is_a_credentials_refusal_naming_the_secret() {
    let clock = SimClock::starting_at("2026-11-26T15:00:00Z".parse().unwrap());
    let live = senders(Arc::default(), &clock, Arc::default());
    let mut c = config();
    c.providers.sms.as_mut().unwrap().secret = "outbound/acme/missing".into();
    let (l, t) = (lead(), touch(Channel::Sms, 2));
    let e = live
        .send(&Attempt {
            touch: &t,
            lead: &l,
            config: &c,
            sender: "+15125550100",
            attempt_id: "a",
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SendError::Final { kind: FinalKind::BadCredentials, reason, .. } if reason.contains("outbound/acme/missing")),
        "{e:?}"
    );
    // AND a channel with no provider is refused the same way
    let t = touch(Channel::Linkedin, 3);
    assert!(matches!(
        live.send(&Attempt {
            touch: &t,
            lead: &l,
            config: &c,
            sender: "seat-1",
            attempt_id: "a"
        })
        .await,
        Err(SendError::Final {
            kind: FinalKind::BadCredentials,
            ..
        })
    ));
}

#[test]
fn a_follow_up_email_threads_under_the_first_and_every_attempt_has_its_own_message_id() {
    let (c, mut l) = (config(), lead());
    l.email_thread = Some("<L1-01-first@acme-mail.example.com>".into());
    let t = touch(Channel::Email, 3);
    let msg = outgoing(
        &Attempt {
            touch: &t,
            lead: &l,
            config: &c,
            sender: "sam@acme-mail.example.com",
            attempt_id: "L1-03-abc",
        },
        &LiveSettings::default(),
    );
    assert_eq!(
        msg.message_id.as_deref(),
        Some("<L1-03-abc@acme-mail.example.com>")
    );
    assert_eq!(
        msg.in_reply_to.as_deref(),
        Some("<L1-01-first@acme-mail.example.com>")
    );
    assert_eq!(msg.references, vec!["<L1-01-first@acme-mail.example.com>"]);
    assert_eq!(msg.from_name.as_deref(), Some("Sam Rivera"));
    assert_eq!(msg.subject.as_deref(), Some("Reviews"));
    assert_eq!(msg.headers["List-Unsubscribe"], "<https://u.example/x>");
    assert_eq!(
        (msg.tenant.as_str(), msg.lead.as_str(), msg.step),
        ("acme", "L1", 3)
    );
    assert_eq!(msg.tags, vec!["step-3", "t1"]);
    assert_eq!(msg.status_callback, None);
}

#[test]
fn texts_and_calls_ask_for_status_callbacks_and_linkedin_picks_connect_or_message() {
    let (c, l) = (config(), lead());
    let settings = LiveSettings {
        public_url: Some("https://hooks.example/".into()),
        ..Default::default()
    };
    let t = touch(Channel::Voice, 2);
    let a = Attempt {
        touch: &t,
        lead: &l,
        config: &c,
        sender: "+15125550100",
        attempt_id: "a",
    };
    let msg = outgoing(&a, &settings);
    assert_eq!(
        msg.status_callback.as_deref(),
        Some(
            format!(
                "https://hooks.example/webhooks/twilio?tenant=acme&lead={}&attempt=a",
                l.id
            )
            .as_str()
        )
    );
    assert_eq!(msg.call_variables["first_name"], "Jo");
    assert_eq!(msg.call_variables["call_brief"], "Hi Jo");
    assert_eq!(msg.message_id, None);
    let t = touch(Channel::Linkedin, 4);
    let a = Attempt { touch: &t, ..a };
    assert_eq!(
        outgoing(&a, &settings).linkedin,
        Some(LinkedInAction::Connect)
    );
    let mut connected = l.clone();
    connected.linkedin_connected = true;
    let a = Attempt {
        lead: &connected,
        ..a
    };
    assert_eq!(
        outgoing(&a, &settings).linkedin,
        Some(LinkedInAction::Message)
    );
}

mod properties {
    use super::*;
    use crate::adapters::senders::mailgun::MailgunSender;
    use proptest::prelude::*;

    fn nasty() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("\r\n".to_string()),
                Just("\n".to_string()),
                Just("\r".to_string()),
                Just("Bcc: x@evil.example".to_string()),
                Just("<a@b>".to_string()),
                "[a-zA-Z0-9 @.<>\"]{0,12}",
            ],
            0..5,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// Whatever the lead data, the stored thread id or the sender's
        /// name, no field of the email Mailgun is given (other than the
        /// body) carries a line break.
        #[test]
        fn no_header_field_of_a_built_email_carries_a_line_break(
            name in nasty(), first in nasty(), company in nasty(), thread in nasty(),
        ) {
            let mut c = config();
            c.sender.name = name;
            let mut l = lead();
            l.first_name = Some(first);
            l.company = Some(company);
            l.email_thread = Some(thread);
            let t = touch(Channel::Email, 2);
            let msg = outgoing(
                &Attempt { touch: &t, lead: &l, config: &c, sender: "sam@acme-mail.example.com", attempt_id: "L1-02-x" },
                &LiveSettings::default(),
            );
            for (field, value) in MailgunSender::form(&msg) {
                if field != "text" && field != "html" {
                    prop_assert!(!value.contains(['\r', '\n']), "{field}: {value:?}");
                    prop_assert!(value.len() <= 998, "{field} is {} long", value.len());
                }
            }
        }
    }
}
