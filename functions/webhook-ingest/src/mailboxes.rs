//! The mailbox reader (scheduled): tenants who send from their own SMTP
//! mailboxes get no webhooks, so their replies and bounce reports are read
//! from each mailbox over IMAP, tied to the touch by the Message-ID we gave
//! it, and applied like webhooks, once (the event id is the message's).
//! Mail that is about none of our messages, from none of our leads, is the
//! mailbox owner's and is left alone. A mailbox that fails is reported and
//! the others are still read.

use super::*;
use serde::Serialize;
use shared::adapters::imap::{fetch_after, ImapAccount};
use shared::domain::providers::ProviderKind;
use shared::domain::signals::inbound::{attempt_of, read, InboundMail};
use shared::domain::signals::replies::{classify, Reply};
use shared::domain::signals::ReplyNote;
use shared::domain::tenant::Mailbox;

/// What one run read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MailboxReport {
    pub mailboxes: u32,
    pub messages: u32,
    pub applied: u32,
    pub duplicates: u32,
    /// Messages about nothing of ours, left alone.
    pub ignored: u32,
    /// `address: reason` of each mailbox that could not be read.
    pub failed: Vec<String>,
}

impl App {
    /// Reads every SMTP mailbox of every tenant that has them.
    pub async fn read_mailboxes(&self) -> Result<MailboxReport> {
        let mut report = MailboxReport::default();
        for tenant in self.store.mail_reading_tenants().await? {
            let Some(config) = self.store.config(&tenant).await? else {
                continue;
            };
            let Some(provider) = config
                .providers
                .email
                .as_ref()
                .filter(|p| p.provider == ProviderKind::Smtp)
            else {
                continue;
            };
            for mailbox in &config.mailboxes {
                report.mailboxes += 1;
                let secret = mailbox
                    .secret
                    .clone()
                    .unwrap_or_else(|| provider.secret.clone());
                let read = Box::pin(self.read_mailbox(&tenant, mailbox, &secret, &mut report));
                if let Err(e) = read.await {
                    tracing::warn!(tenant, mailbox = %mailbox.address, error = %e, "mailbox not read");
                    report.failed.push(format!("{}: {e}", mailbox.address));
                }
            }
        }
        let failed = report.failed.len() as u32;
        shared::ops::count_errors(&self.store, "webhook-ingest", failed, self.clock.now()).await;
        Ok(report)
    }

    async fn read_mailbox(
        &self,
        tenant: &str,
        mailbox: &Mailbox,
        secret_name: &str,
        report: &mut MailboxReport,
    ) -> Result<()> {
        let secret = self.secrets.get(secret_name).await?;
        let Some(account) = ImapAccount::from_secret(secret.expose())? else {
            // A send-only secret: nothing to read.
            return Ok(());
        };
        let cursor = self.store.mailbox_cursor(tenant, &mailbox.address).await?;
        let fetched = Box::pin(fetch_after(&account, &self.imap, cursor)).await?;
        for (uid, raw) in &fetched.messages {
            report.messages += 1;
            match self
                .inbound(tenant, mailbox, fetched.uid_validity, *uid, raw)
                .await?
            {
                Some(ApplyOutcome::Applied) => report.applied += 1,
                Some(_) => report.duplicates += 1,
                None => report.ignored += 1,
            }
            // Each message moves the cursor: a run cut short re-reads at
            // most the message it was on, which then applies as a duplicate.
            self.store
                .set_mailbox_cursor(
                    tenant,
                    &mailbox.address,
                    fetched.uid_validity,
                    *uid,
                    self.clock.now(),
                )
                .await?;
        }
        if fetched.messages.is_empty() && cursor.is_none_or(|(v, _)| v != fetched.uid_validity) {
            self.store
                .set_mailbox_cursor(
                    tenant,
                    &mailbox.address,
                    fetched.uid_validity,
                    0,
                    self.clock.now(),
                )
                .await?;
        }
        Ok(())
    }

    /// One message: applied when it is about one of our messages or from
    /// one of our leads; None when it is neither.
    async fn inbound(
        &self,
        tenant: &str,
        mailbox: &Mailbox,
        uid_validity: u32,
        uid: u32,
        raw: &[u8],
    ) -> Result<Option<ApplyOutcome>> {
        let now = self.clock.now();
        let mail = match read(raw) {
            Ok(m) => m,
            Err(e) => {
                tracing::info!(tenant, mailbox = %mailbox.address, uid, error = %e, "unreadable message left alone");
                return Ok(None);
            }
        };
        let (id, about) = match &mail {
            InboundMail::Bounce { id, about, .. } | InboundMail::Reply { id, about, .. } => {
                (id.clone(), about.clone())
            }
        };
        let attempt = about.iter().find_map(|i| attempt_of(i)).map(str::to_string);
        let who = match &mail {
            InboundMail::Bounce { recipient, .. } => recipient.clone(),
            InboundMail::Reply { from, .. } => from.clone(),
        };
        let lead_id = self
            .find_lead(
                tenant,
                attempt.as_deref().and_then(lead_of_attempt),
                who.as_deref(),
                None,
            )
            .await?;
        let Some(lead_id) = lead_id else {
            return Ok(None);
        };
        if self.store.lead(tenant, &lead_id).await?.is_none() {
            return Ok(None);
        }
        let event_id = format!(
            "imap:{}:{}",
            mailbox.address.to_ascii_lowercase(),
            id.unwrap_or_else(|| format!("{uid_validity}#{uid}"))
        );
        let mut signal = Signal {
            provider: "smtp".into(),
            event_id,
            tenant: tenant.to_string(),
            lead_id: Some(lead_id),
            email: who,
            occurred_at: now,
            sender_domain: Some(mailbox.domain.to_ascii_lowercase()),
            attempt,
            ..Signal::default()
        };
        match &mail {
            InboundMail::Bounce {
                permanent, detail, ..
            } => {
                signal.kind = if *permanent {
                    SignalKind::Bounced
                } else {
                    SignalKind::SoftBounced
                };
                signal.detail = format!("delivery report: {detail}");
            }
            InboundMail::Reply {
                subject,
                body,
                headers,
                ..
            } => {
                let c = classify(&Reply {
                    channel: "email",
                    headers,
                    subject,
                    body,
                    received_at: now,
                });
                signal.kind = SignalKind::Replied;
                signal.detail =
                    format!("reply \"{}\"", subject.chars().take(80).collect::<String>());
                signal.reply = Some(ReplyNote {
                    class: c.class,
                    evidence: c.evidence,
                    return_date: c.return_date,
                    referral_email: c.referral_email,
                });
            }
        }
        let text = String::from_utf8_lossy(raw);
        let applied = self.apply_and_follow(&signal, None, &text).await?;
        Ok(Some(applied.outcome))
    }
}
