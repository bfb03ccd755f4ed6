//! The live sender: routes each attempt to the tenant's provider for its
//! channel, with credentials read from Secrets Manager through a TTL cache,
//! and builds what every adapter is given (`Outgoing`) from the touch, the
//! lead and the tenant's config.

use super::{LinkedInAction, Outgoing, Person, ProviderSender};
use crate::adapters::enrichment::HttpSettings;
use crate::adapters::secrets::{CachedSecrets, SecretValue};
use crate::domain::dispatch::failure::{FinalKind, SendError};
use crate::domain::dispatch::sequence::StepCondition;
use crate::domain::providers::{ProviderKind, ProviderRef};
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::{Channel, Touch};
use crate::error::{Error, Result};
use crate::ports::{Attempt, ChannelSender, Delivery};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// Base URLs that replace the providers' public ones (stand-ins in the
/// demo and tests; a regional endpoint in a deployment).
#[derive(Debug, Clone, Default)]
pub struct ProviderUrls {
    pub mailgun: Option<String>,
    pub twilio: Option<String>,
    pub retell: Option<String>,
    pub heyreach: Option<String>,
}

impl ProviderUrls {
    /// `MAILGUN_API_URL`, `TWILIO_API_URL`, `RETELL_API_URL`,
    /// `HEYREACH_API_URL`; unset means the provider's own.
    pub fn from_env(env: &crate::config::Env) -> Self {
        let get = |k: &str| {
            env.get(k)
                .filter(|v| !v.trim().is_empty())
                .map(str::to_string)
        };
        Self {
            mailgun: get("MAILGUN_API_URL"),
            twilio: get("TWILIO_API_URL"),
            retell: get("RETELL_API_URL"),
            heyreach: get("HEYREACH_API_URL"),
        }
    }
}

/// How the live sender reaches providers.
#[derive(Debug, Clone, Default)]
pub struct LiveSettings {
    pub urls: ProviderUrls,
    pub http: HttpSettings,
    /// The deployment's public base URL (the webhook API), for the status
    /// callbacks providers post to; none means no callback is asked for.
    pub public_url: Option<String>,
    /// Extra trusted roots (DER) for TLS to a mail server: the local stack's
    /// self-signed test server. Empty in a deployment.
    pub extra_roots: Vec<Vec<u8>>,
}

/// Builds one provider's adapter from its secret.
pub type Build = dyn Fn(
        ProviderKind,
        &SecretValue,
        &LiveSettings,
    ) -> std::result::Result<Arc<dyn ProviderSender>, SendError>
    + Send
    + Sync;

/// An adapter and the secret value it was built from.
type Built = (SecretValue, Arc<dyn ProviderSender>);

/// The live `ChannelSender`: one adapter per secret, rebuilt when the
/// secret's value changes (a rotated key).
pub struct LiveSenders {
    secrets: CachedSecrets,
    settings: LiveSettings,
    build: Box<Build>,
    adapters: Mutex<HashMap<(ProviderKind, String), Built>>,
}

impl LiveSenders {
    pub fn new(secrets: CachedSecrets, settings: LiveSettings) -> Self {
        Self::with_builder(secrets, settings, Box::new(super::build_adapter))
    }

    pub fn with_builder(secrets: CachedSecrets, settings: LiveSettings, build: Box<Build>) -> Self {
        Self {
            secrets,
            settings,
            build,
            adapters: Mutex::new(HashMap::new()),
        }
    }

    /// The adapter for `channel` of this tenant, from `sender`'s mailbox
    /// secret when it has one (SMTP), else the channel provider's.
    pub async fn adapter(
        &self,
        config: &TenantConfig,
        channel: Channel,
        sender: Option<&str>,
    ) -> std::result::Result<Arc<dyn ProviderSender>, SendError> {
        let Some(provider) = config.providers.for_channel(channel) else {
            return Err(SendError::Final {
                provider: "none",
                kind: FinalKind::BadCredentials,
                reason: format!("no live {channel} provider in the tenant's config"),
            });
        };
        let secret_name = secret_for(config, provider, channel, sender);
        let name = provider.provider.as_str();
        let secret = self.secrets.get(&secret_name).await.map_err(|e| match e {
            Error::Provider { .. } => SendError::Retryable {
                provider: name,
                reason: format!("credentials unreadable for now: {e}"),
                retry_after: None,
                rate_limited: false,
            },
            _ => SendError::Final {
                provider: name,
                kind: FinalKind::BadCredentials,
                reason: e.to_string(),
            },
        })?;
        let key = (provider.provider, secret_name);
        if let Some((value, adapter)) = self
            .adapters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            if *value == secret {
                return Ok(adapter.clone());
            }
        }
        let adapter = (self.build)(provider.provider, &secret, &self.settings)?;
        self.adapters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, (secret, adapter.clone()));
        Ok(adapter)
    }

    /// Each configured channel's provider, probed with a cheap
    /// authenticated call: what go-live checks.
    pub async fn probe(
        &self,
        config: &TenantConfig,
    ) -> Vec<(Channel, ProviderKind, std::result::Result<(), SendError>)> {
        let mut out = Vec::new();
        for (channel, provider) in config.providers.configured() {
            let result = match self.adapter(config, channel, None).await {
                Ok(adapter) => adapter.probe().await,
                Err(e) => Err(e),
            };
            out.push((channel, provider.provider, result));
        }
        out
    }

    /// A refused credential is read again at the next send, not after the TTL.
    fn forget_on_refusal(&self, config: &TenantConfig, touch: &Touch, e: &SendError) {
        if let SendError::Final {
            kind: FinalKind::BadCredentials,
            ..
        } = e
        {
            if let Some(p) = config.providers.for_channel(touch.channel) {
                self.secrets.forget(&secret_for(
                    config,
                    p,
                    touch.channel,
                    touch.sender.as_deref(),
                ));
            }
        }
    }
}

/// The secret an attempt's credentials come from: an SMTP mailbox may
/// have its own login; everything else uses the channel provider's.
fn secret_for(
    config: &TenantConfig,
    provider: &ProviderRef,
    channel: Channel,
    sender: Option<&str>,
) -> String {
    if provider.provider == ProviderKind::Smtp && channel == Channel::Email {
        if let Some(secret) = sender
            .and_then(|s| config.mailboxes.iter().find(|m| m.address == s))
            .and_then(|m| m.secret.clone())
        {
            return secret;
        }
    }
    provider.secret.clone()
}

#[async_trait]
impl ChannelSender for LiveSenders {
    async fn send(&self, a: &Attempt<'_>) -> std::result::Result<String, SendError> {
        let adapter = self
            .adapter(a.config, a.touch.channel, Some(a.sender))
            .await?;
        let msg = outgoing(a, &self.settings);
        let result = adapter.send(&msg).await;
        if let Err(e) = &result {
            self.forget_on_refusal(a.config, a.touch, e);
        }
        result
    }

    async fn lookup(
        &self,
        touch: &Touch,
        config: &TenantConfig,
        attempt_id: &str,
    ) -> Result<Delivery> {
        let adapter = match self
            .adapter(config, touch.channel, touch.sender.as_deref())
            .await
        {
            Ok(a) => a,
            Err(_) => return Ok(Delivery::Unknown),
        };
        let mut msg = lookup_outgoing(touch, attempt_id);
        msg.asked_at = Some(self.secrets.now());
        match adapter.lookup(&msg).await {
            Ok(d) => Ok(d),
            Err(e) => {
                tracing::warn!(error = %e, "provider lookup failed; the touch stays in doubt");
                Ok(Delivery::Unknown)
            }
        }
    }
}

/// Our `Message-ID` for an email attempt: one per attempt, at the
/// sending domain, so a follow-up can thread under it.
pub fn message_id(attempt_id: &str, sender: &str) -> String {
    let domain = sender.rsplit_once('@').map_or("localhost", |(_, d)| d);
    format!("<{attempt_id}@{domain}>")
}

/// `<local@domain>` with nothing a header could be split on.
pub fn is_message_id(s: &str) -> bool {
    s.len() <= 250
        && s.starts_with('<')
        && s.ends_with('>')
        && s.contains('@')
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
        && s[1..s.len() - 1].chars().all(|c| c != '<' && c != '>')
}

/// A value with control characters removed and spaces trimmed.
fn header_safe(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// What the provider adapter is given for one attempt.
pub fn outgoing(a: &Attempt<'_>, settings: &LiveSettings) -> Outgoing {
    let touch = a.touch;
    let lead = a.lead;
    let config = a.config;
    let mut msg = lookup_outgoing(touch, a.attempt_id);
    msg.from = a.sender.to_string();
    // Defence in depth: the config refuses control characters in the name,
    // and nothing that reaches a header may carry one.
    msg.from_name = Some(header_safe(&config.sender.name)).filter(|n| !n.is_empty());
    msg.subject = touch.message.subject.clone();
    msg.text = touch.message.body.clone();
    msg.headers = touch.message.headers.clone();
    msg.tags = vec![
        format!("step-{}", touch.step),
        touch.message.template_id.clone(),
    ]
    .into_iter()
    .filter(|t| !t.is_empty())
    .collect();
    if touch.channel == Channel::Email {
        msg.message_id = Some(message_id(a.attempt_id, a.sender));
        if let Some(first) = lead.email_thread.as_ref().filter(|t| is_message_id(t)) {
            msg.in_reply_to = Some(first.clone());
            msg.references = vec![first.clone()];
        }
    }
    if matches!(touch.channel, Channel::Sms | Channel::Voice) {
        msg.status_callback = settings.public_url.as_ref().map(|base| {
            // Twilio signs this URL with its query: the lead and attempt
            // come back authenticated with every status.
            format!(
                "{}/webhooks/twilio?tenant={}&lead={}&attempt={}",
                base.trim_end_matches('/'),
                touch.tenant,
                touch.lead_id,
                a.attempt_id
            )
        });
    }
    let first = lead.first_name.clone().unwrap_or_default();
    let company = lead.company.clone().unwrap_or_default();
    if touch.channel == Channel::Voice {
        msg.max_call_secs = Some(config.dialer.max_call_secs);
        msg.call_variables = BTreeMap::from([
            ("first_name".to_string(), first.clone()),
            ("company".to_string(), company.clone()),
            ("call_brief".to_string(), touch.message.body.clone()),
            ("caller_name".to_string(), config.sender.name.clone()),
            ("caller_company".to_string(), config.sender.company.clone()),
            (
                "booking_link".to_string(),
                config.sender.booking_link.clone(),
            ),
        ]);
    }
    msg.person = Person {
        first_name: first,
        last_name: lead.last_name.clone().unwrap_or_default(),
        company,
        title: lead.title.clone().unwrap_or_default(),
        email: lead.email.clone(),
    };
    if touch.channel == Channel::Linkedin {
        let connected = lead.linkedin_connected
            || touch
                .send_conditions
                .contains(&StepCondition::LinkedinConnected);
        msg.linkedin = Some(if connected {
            LinkedInAction::Message
        } else {
            LinkedInAction::Connect
        });
    }
    msg
}

/// What a lookup needs to find an attempt: who, to whom, which attempt.
fn lookup_outgoing(touch: &Touch, attempt_id: &str) -> Outgoing {
    Outgoing {
        tenant: touch.tenant.clone(),
        lead: touch.lead_id.clone(),
        step: touch.step,
        attempt_id: attempt_id.to_string(),
        channel: Some(touch.channel),
        from: touch.sender.clone().unwrap_or_default(),
        to: touch.recipient.clone(),
        message_id: (touch.channel == Channel::Email)
            .then(|| message_id(attempt_id, touch.sender.as_deref().unwrap_or(""))),
        // Only the current attempt's time is on the touch.
        attempted_at: touch
            .attempted_at
            .filter(|_| touch.attempt_id.as_deref() == Some(attempt_id)),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
