//! Daily caps: every counter a send must take, with its limit. The store
//! reserves them all in one transaction, or none.

use super::warmup::sending_domain_cap;
use crate::domain::campaigns::Campaign;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::Channel;
use chrono::NaiveDate;

/// One counter to increment, allowed only while its value is below `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapReservation {
    /// Counter scope inside the tenant's day, e.g. `email#domain#x.com`.
    pub scope: String,
    pub limit: u32,
}

/// The counter of a lead's calls in a day (the one cap named by a lead).
pub fn lead_calls_scope(lead_id: &str) -> String {
    format!("voice#lead#{lead_id}")
}

/// The sending identity chosen for a touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderChoice {
    /// Mailbox address, phone number or LinkedIn seat.
    pub identity: String,
    /// The sending domain, for email.
    pub domain: Option<String>,
}

/// Every cap that must hold for one send on `channel` from `sender` to lead
/// `lead_id` on `day` (the tenant's local date).
pub fn caps_for_send(
    config: &TenantConfig,
    channel: Channel,
    sender: &SenderChoice,
    lead_id: &str,
    day: NaiveDate,
) -> Vec<CapReservation> {
    let c = &config.caps;
    let cap = |scope: String, limit: u32| CapReservation { scope, limit };
    let mut caps = match channel {
        Channel::Email => {
            let domain = sender.domain.clone().unwrap_or_default();
            let limit = match config.domain(&domain) {
                Some(d) => sending_domain_cap(d, day, c.email_per_domain_after_warmup),
                None => c.email_per_domain_after_warmup,
            };
            vec![
                cap(format!("email#domain#{domain}"), limit),
                cap(
                    format!("email#mailbox#{}", sender.identity),
                    c.email_per_mailbox,
                ),
                cap("email#tenant".into(), c.email_per_tenant),
            ]
        }
        Channel::Voice => vec![
            cap(
                format!("voice#number#{}", sender.identity),
                c.voice_per_number,
            ),
            cap(lead_calls_scope(lead_id), c.calls_per_lead_per_day),
        ],
        Channel::Sms => vec![
            cap(format!("sms#number#{}", sender.identity), c.sms_per_number),
            cap("sms#tenant".into(), c.sms_per_tenant),
        ],
        Channel::Linkedin => vec![cap(
            format!("linkedin#connect#{}", sender.identity),
            c.linkedin_connects_per_seat,
        )],
    };
    // Ramp mode (SPEC §5): the first days send at most `per_day` in all,
    // reserved with the other caps so it can never be passed.
    if config.approval.ramp.active_on(day) {
        caps.push(cap("ramp#tenant".into(), config.approval.ramp.per_day));
    }
    caps.sort_by(|a, b| a.scope.cmp(&b.scope));
    caps
}

/// The caps one touch reserves: as `caps_for_send`, except that a LinkedIn
/// step that waits for the connection is a message, counted against the
/// seat's message cap rather than its connection-request cap; and a
/// campaign's touch also takes the campaign's daily share, and its own
/// ramp's count (`config` is then the campaign's view of the tenant's).
pub fn caps_for_touch(
    config: &TenantConfig,
    campaign: Option<&Campaign>,
    touch: &crate::domain::touch::Touch,
    sender: &SenderChoice,
    day: NaiveDate,
) -> Vec<CapReservation> {
    let mut caps = caps_for_send(config, touch.channel, sender, &touch.lead_id, day);
    let message = touch.channel == Channel::Linkedin
        && touch
            .send_conditions
            .contains(&super::sequence::StepCondition::LinkedinConnected);
    if message {
        for c in &mut caps {
            if c.scope.starts_with("linkedin#connect#") {
                c.scope = format!("linkedin#message#{}", sender.identity);
                c.limit = config.caps.linkedin_messages_per_seat;
            }
        }
    }
    if let Some(campaign) = campaign {
        if let Some(ramp) = campaign.own_ramp().filter(|r| r.active_on(day)) {
            caps.push(CapReservation {
                scope: campaign.ramp_scope(),
                limit: ramp.per_day,
            });
        }
        if let Some(share) = campaign.daily_share {
            caps.push(CapReservation {
                scope: campaign.share_scope(),
                limit: share,
            });
        }
    }
    caps.sort_by(|a, b| a.scope.cmp(&b.scope));
    caps
}

/// The caps as domain health leaves them: a halved domain's cap is half,
/// a paused one's nothing (SPEC §10).
pub fn with_domain_health(
    mut caps: Vec<CapReservation>,
    control: &crate::domain::control::Control,
) -> Vec<CapReservation> {
    for c in &mut caps {
        if let Some(h) = c
            .scope
            .strip_prefix("email#domain#")
            .and_then(|d| control.domains.get(d))
        {
            c.limit = h.cap(c.limit);
        }
    }
    caps
}

/// Sending identities for a channel, rotated round-robin: the order starts
/// at `rotation % n`, so consecutive sends spread over mailboxes/numbers.
pub fn sender_candidates(
    config: &TenantConfig,
    channel: Channel,
    rotation: u64,
) -> Vec<SenderChoice> {
    let all: Vec<SenderChoice> = match channel {
        Channel::Email => config
            .mailboxes
            .iter()
            .map(|m| SenderChoice {
                identity: m.address.clone(),
                domain: Some(m.domain.clone()),
            })
            .collect(),
        Channel::Voice | Channel::Sms => config
            .phone_numbers
            .iter()
            .map(|n| SenderChoice {
                identity: n.clone(),
                domain: None,
            })
            .collect(),
        Channel::Linkedin => config
            .linkedin_seats
            .iter()
            .map(|s| SenderChoice {
                identity: s.clone(),
                domain: None,
            })
            .collect(),
    };
    if all.is_empty() {
        return all;
    }
    let start = (rotation % all.len() as u64) as usize;
    all[start..]
        .iter()
        .chain(all[..start].iter())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TenantId;
    use crate::domain::tenant::Mailbox;

    fn config() -> TenantConfig {
        TenantConfig::default_for(
            TenantId::parse("acme").unwrap(),
            "Acme",
            "2026-11-02".parse().unwrap(),
        )
    }

    #[test]
    fn email_send_takes_domain_warmup_mailbox_and_tenant_caps() {
        let c = config();
        let sender = sender_candidates(&c, Channel::Email, 0).remove(0);
        let caps = caps_for_send(
            &c,
            Channel::Email,
            &sender,
            "l1",
            "2026-11-03".parse().unwrap(),
        );
        let limits: Vec<(String, u32)> = caps.into_iter().map(|c| (c.scope, c.limit)).collect();
        assert_eq!(
            limits,
            vec![
                ("email#domain#acme-mail.example.com".to_string(), 20),
                ("email#mailbox#sam@acme-mail.example.com".to_string(), 100),
                ("email#tenant".to_string(), 200),
            ]
        );
    }

    #[test]
    fn linkedin_messages_and_the_ramp_have_their_own_caps() {
        let mut c = config();
        let seat = SenderChoice {
            identity: "seat-1".into(),
            domain: None,
        };
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut touch: crate::domain::touch::Touch = serde_json::from_value(serde_json::json!({
            "tenant": "acme", "lead_id": "l1", "step": 2, "day": 1, "channel": "linkedin",
            "state": "due", "message": {"body": "hi", "template_id": "t"}, "fingerprint": "f",
            "created_at": "2026-12-01T00:00:00Z"
        }))
        .unwrap();
        let scopes = |c: &TenantConfig, t: &crate::domain::touch::Touch| {
            caps_for_touch(c, None, t, &seat, day)
                .into_iter()
                .map(|r| (r.scope, r.limit))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            scopes(&c, &touch),
            [("linkedin#connect#seat-1".to_string(), 20)]
        );
        touch.send_conditions =
            vec![crate::domain::dispatch::sequence::StepCondition::LinkedinConnected];
        assert_eq!(
            scopes(&c, &touch),
            [("linkedin#message#seat-1".to_string(), 50)]
        );
        c.approval.ramp.enabled = true;
        c.approval.ramp.start = Some(day - chrono::Duration::days(2));
        c.approval.ramp.days = 3;
        assert!(scopes(&c, &touch).contains(&("ramp#tenant".to_string(), 5)));
        assert!(
            !caps_for_touch(&c, None, &touch, &seat, day + chrono::Duration::days(1))
                .iter()
                .any(|r| r.scope == "ramp#tenant")
        );
    }

    #[test]
    fn voice_counts_calls_per_lead() {
        let c = config();
        let sender = sender_candidates(&c, Channel::Voice, 0).remove(0);
        let caps = caps_for_send(
            &c,
            Channel::Voice,
            &sender,
            "l1",
            "2026-11-03".parse().unwrap(),
        );
        assert!(caps
            .iter()
            .any(|c| c.scope == "voice#lead#l1" && c.limit == 3));
    }

    #[test]
    fn rotation_spreads_over_mailboxes() {
        let mut c = config();
        let domain = c.domains[0].domain.clone();
        c.mailboxes.push(Mailbox {
            address: format!("alex@{domain}"),
            domain,
            secret: None,
        });
        let first: Vec<String> = (0..4)
            .map(|r| sender_candidates(&c, Channel::Email, r)[0].identity.clone())
            .collect();
        assert_eq!(first[0], first[2]);
        assert_ne!(first[0], first[1]);
    }
}
