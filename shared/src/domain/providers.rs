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
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Mailgun => "mailgun",
            ProviderKind::Smtp => "smtp",
            ProviderKind::Twilio => "twilio",
            ProviderKind::Retell => "retell",
            ProviderKind::Heyreach => "heyreach",
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
        };
        assert_eq!(ok.validate("acme"), Ok(()));
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
}
