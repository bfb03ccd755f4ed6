//! Which provider carries each channel of a tenant (SPEC §8, channels), and
//! where its credentials live: a Secrets Manager name, never the secret.
//! An agency's clients each have their own Mailgun domain, Twilio account,
//! Retell agent and LinkedIn seats, so this is per tenant.

use super::touch::Channel;
use serde::{Deserialize, Serialize};

/// The providers a live sender can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Mailgun,
    Smtp,
    Twilio,
    Retell,
    Heyreach,
    /// Bookings (SPEC §9 scheduling): carries no channel, only webhooks.
    Calendly,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Mailgun => "mailgun",
            ProviderKind::Smtp => "smtp",
            ProviderKind::Twilio => "twilio",
            ProviderKind::Retell => "retell",
            ProviderKind::Heyreach => "heyreach",
            ProviderKind::Calendly => "calendly",
        }
    }

    /// The channels it can carry.
    pub fn carries(self, channel: Channel) -> bool {
        matches!(
            (self, channel),
            (ProviderKind::Mailgun | ProviderKind::Smtp, Channel::Email)
                | (ProviderKind::Twilio, Channel::Sms | Channel::Voice)
                | (ProviderKind::Retell, Channel::Voice)
                | (ProviderKind::Heyreach, Channel::Linkedin)
        )
    }
}

/// One channel's provider and the name of the secret holding its
/// credentials (a JSON object whose fields the provider's adapter names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRef {
    pub provider: ProviderKind,
    /// Secrets Manager name, under `outbound/<tenant>/`. For SMTP it is the
    /// default; a mailbox may name its own.
    pub secret: String,
}

/// Every live channel's provider. A channel without one is not sent live.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Providers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<ProviderRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<ProviderRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<ProviderRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin: Option<ProviderRef>,
    /// The scheduling link's provider (Calendly): its secret holds the
    /// webhook subscription's `signing_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<ProviderRef>,
}

impl Providers {
    pub fn for_channel(&self, channel: Channel) -> Option<&ProviderRef> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
            Channel::Voice => self.voice.as_ref(),
            Channel::Linkedin => self.linkedin.as_ref(),
        }
    }

    /// Every configured channel with its provider.
    pub fn configured(&self) -> Vec<(Channel, &ProviderRef)> {
        Channel::ALL
            .into_iter()
            .filter_map(|c| self.for_channel(c).map(|p| (c, p)))
            .collect()
    }

    /// Checks each entry: the provider carries its channel, and the secret
    /// is under the tenant's own path (the functions may read nothing else).
    /// Returns the first bad field and why.
    pub fn validate(&self, tenant: &str) -> Result<(), (String, String)> {
        let prefix = secret_prefix(tenant);
        for (channel, p) in self.configured() {
            let field = format!("providers.{channel}");
            if !p.provider.carries(channel) {
                return Err((
                    format!("{field}.provider"),
                    format!("{} does not carry {channel}", p.provider.as_str()),
                ));
            }
            check_secret_name(&p.secret, &prefix).map_err(|r| (format!("{field}.secret"), r))?;
        }
        if let Some(b) = &self.booking {
            if b.provider != ProviderKind::Calendly {
                return Err((
                    "providers.booking.provider".into(),
                    format!(
                        "{} is not a booking provider (calendly is)",
                        b.provider.as_str()
                    ),
                ));
            }
            check_secret_name(&b.secret, &prefix)
                .map_err(|r| ("providers.booking.secret".to_string(), r))?;
        }
        Ok(())
    }
}

/// Every secret of `tenant` lives under this prefix.
pub fn secret_prefix(tenant: &str) -> String {
    format!("outbound/{tenant}/")
}

/// A secret name the tenant may use: under its prefix, Secrets Manager's
/// characters only.
pub fn check_secret_name(name: &str, prefix: &str) -> Result<(), String> {
    let rest = name.strip_prefix(prefix).unwrap_or("");
    if rest.is_empty()
        || name.len() > 512
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
        || rest.split('/').any(|part| part.is_empty() || part == "..")
    {
        return Err(format!(
            "a Secrets Manager name under {prefix} (letters, digits, /_+=.@-)"
        ));
    }
    Ok(())
}

/// One thing a tenant lacks to go live, by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    /// The config field, credential or setting.
    pub item: String,
    pub reason: String,
}

/// What go-live checks beyond the config itself.
pub struct ReadinessFacts<'a> {
    /// Each configured channel's probe: Ok, or why it failed.
    pub probes: &'a [(Channel, Result<(), String>)],
    /// The deployment's unsubscribe base URL.
    pub unsubscribe_url: &'a str,
    /// Is Mailgun's webhook signing key set for this deployment?
    pub mailgun_signing_key: bool,
}

/// Everything that stops `config` from sending for real, by name; empty
/// when it is ready (SPEC §8: going live is a checked step).
pub fn go_live_blockers(
    config: &super::tenant::TenantConfig,
    facts: &ReadinessFacts<'_>,
) -> Vec<Missing> {
    let mut missing = Vec::new();
    let mut miss = |item: String, reason: String| missing.push(Missing { item, reason });
    let used: std::collections::BTreeSet<Channel> =
        config.sequence.iter().map(|s| s.channel).collect();
    if config.providers.configured().is_empty() {
        miss("providers".into(), "no channel has a provider".into());
    }
    for channel in &used {
        if config.providers.for_channel(*channel).is_none() {
            miss(
                format!("providers.{channel}"),
                format!("the sequence has {channel} steps but no {channel} provider is set"),
            );
        }
    }
    for (channel, provider) in config.providers.configured() {
        match facts.probes.iter().find(|(c, _)| *c == channel) {
            Some((_, Ok(()))) => {}
            Some((_, Err(why))) => miss(
                format!("providers.{channel}.secret"),
                format!(
                    "{} credentials did not work: {why}",
                    provider.provider.as_str()
                ),
            ),
            None => miss(
                format!("providers.{channel}.secret"),
                format!(
                    "{} credentials were not checked",
                    provider.provider.as_str()
                ),
            ),
        }
        let (senders, field) = match channel {
            Channel::Email => (config.mailboxes.len(), "mailboxes"),
            Channel::Sms | Channel::Voice => (config.phone_numbers.len(), "phone_numbers"),
            Channel::Linkedin => (config.linkedin_seats.len(), "linkedin_seats"),
        };
        if senders == 0 {
            miss(
                field.into(),
                format!("{channel} has a provider but nothing to send from"),
            );
        }
        if channel == Channel::Email
            && provider.provider == ProviderKind::Mailgun
            && !facts.mailgun_signing_key
        {
            miss(
                "MAILGUN_WEBHOOK_SIGNING_KEY".into(),
                "Mailgun's bounces and complaints cannot be verified without the webhook signing key".into(),
            );
        }
    }
    if config.providers.email.is_some() {
        for (i, d) in config.domains.iter().enumerate() {
            if d.warmup.is_empty() && d.first_used.is_none() {
                miss(
                    format!("domains[{i}].warmup"),
                    format!("{} has no warmup rows", d.domain),
                );
            }
        }
        if config.domains.is_empty() {
            miss("domains".into(), "no sending domain".into());
        }
    }
    if config.sender.physical_address.trim().is_empty() {
        miss(
            "sender.physical_address".into(),
            "every email carries the sender's physical address".into(),
        );
    }
    // The local stack's own host is the one exception to https.
    let url = facts.unsubscribe_url;
    let local = ["http://localhost:", "http://127.0.0.1:"]
        .iter()
        .any(|p| url.starts_with(p));
    if !url.starts_with("https://") && !local {
        miss(
            "UNSUBSCRIBE_BASE_URL".into(),
            "the one-click unsubscribe link needs a public https URL".into(),
        );
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(provider: ProviderKind, secret: &str) -> Option<ProviderRef> {
        Some(ProviderRef {
            provider,
            secret: secret.into(),
        })
    }

    #[test]
    fn a_provider_must_carry_its_channel_and_name_a_secret_of_its_tenant() {
        // GIVEN providers that fit
        let ok = Providers {
            email: r(ProviderKind::Mailgun, "outbound/acme/mailgun"),
            sms: r(ProviderKind::Twilio, "outbound/acme/twilio"),
            voice: r(ProviderKind::Retell, "outbound/acme/retell"),
            linkedin: r(ProviderKind::Heyreach, "outbound/acme/heyreach"),
            booking: r(ProviderKind::Calendly, "outbound/acme/calendly"),
        };
        assert_eq!(ok.validate("acme"), Ok(()));
        let not_booking = Providers {
            booking: r(ProviderKind::Twilio, "outbound/acme/twilio"),
            ..ok.clone()
        };
        assert_eq!(
            not_booking.validate("acme").unwrap_err().0,
            "providers.booking.provider"
        );
        // WHEN one carries the wrong channel, THEN that field is named
        let wrong = Providers {
            sms: r(ProviderKind::Mailgun, "outbound/acme/mailgun"),
            ..ok.clone()
        };
        assert_eq!(
            wrong.validate("acme").unwrap_err().0,
            "providers.sms.provider"
        );
        // AND a secret of another tenant, or a path escape, is refused
        for secret in [
            "outbound/other/mailgun",
            "outbound/acme/",
            "outbound/acme/../other/x",
            "outbound/acme//x",
            "arn:aws:secretsmanager:x",
        ] {
            let bad = Providers {
                email: r(ProviderKind::Mailgun, secret),
                ..ok.clone()
            };
            assert_eq!(
                bad.validate("acme").unwrap_err().0,
                "providers.email.secret",
                "{secret}"
            );
        }
    }

    #[test]
    fn a_tenant_not_ready_to_go_live_is_told_every_missing_item_by_name() {
        use crate::domain::ids::TenantId;
        // GIVEN the default tenant (email, call, LinkedIn and SMS steps) with
        // only Mailgun set, whose key was refused, and no public unsubscribe URL
        let mut c = super::super::tenant::TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        );
        c.providers.email = r(ProviderKind::Mailgun, "outbound/acme/mailgun");
        c.domains[0].warmup.clear();
        c.sender.physical_address = " ".into();
        let probes = [(Channel::Email, Err("status 401: Forbidden".to_string()))];
        let facts = ReadinessFacts {
            probes: &probes,
            unsubscribe_url: "http://out.example/u",
            mailgun_signing_key: false,
        };
        // WHEN go-live is checked
        let items: Vec<String> = go_live_blockers(&c, &facts)
            .into_iter()
            .map(|m| m.item)
            .collect();
        // THEN every missing item is named
        let used: Vec<String> = c
            .sequence
            .iter()
            .map(|s| s.channel)
            .filter(|ch| *ch != Channel::Email)
            .map(|ch| format!("providers.{ch}"))
            .collect();
        for want in used.iter().map(String::as_str).chain([
            "providers.email.secret",
            "MAILGUN_WEBHOOK_SIGNING_KEY",
            "domains[0].warmup",
            "sender.physical_address",
            "UNSUBSCRIBE_BASE_URL",
        ]) {
            assert!(items.iter().any(|i| i == want), "{want} not in {items:?}");
        }
        // AND once all is set and the probes pass, nothing is missing
        let mut ready = super::super::tenant::TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        );
        ready.providers = Providers {
            email: r(ProviderKind::Mailgun, "outbound/acme/mailgun"),
            sms: r(ProviderKind::Twilio, "outbound/acme/twilio"),
            voice: r(ProviderKind::Twilio, "outbound/acme/twilio"),
            linkedin: r(ProviderKind::Heyreach, "outbound/acme/heyreach"),
            booking: None,
        };
        let probes: Vec<_> = Channel::ALL.into_iter().map(|c| (c, Ok(()))).collect();
        let facts = ReadinessFacts {
            probes: &probes,
            unsubscribe_url: "https://out.example/u",
            mailgun_signing_key: true,
        };
        assert_eq!(go_live_blockers(&ready, &facts), vec![]);
    }
}
