//! A tenant's configuration: ICP, offers, tiers, sequence, windows, caps,
//! sending identities and safety thresholds, with SPEC defaults.

use super::content::template::TemplateSet;
pub use super::control::Control;
use super::dispatch::sequence::SequenceStep;
use super::dispatch::warmup::WarmupRow;
use super::dispatch::window::SendWindow;
use super::ids::TenantId;
use super::targeting::scoring::ScoringWeights;
use super::touch::Channel;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantConfig {
    pub tenant: TenantId,
    pub name: String,
    /// IANA zone of the tenant; the fallback recipient zone and the zone of
    /// the "day" that daily counters count.
    pub timezone: String,
    /// Shadow mode: sends go to the outbox instead of providers.
    pub shadow_mode: bool,
    pub sender: SenderIdentity,
    pub icp: Icp,
    pub offers: Vec<Offer>,
    pub tiers: Tiers,
    pub weights: ScoringWeights,
    pub sequence: Vec<SequenceStep>,
    pub windows: Windows,
    pub caps: Caps,
    /// The dialing desk: concurrency, pacing, call length, redials.
    #[serde(default)]
    pub dialer: crate::domain::dialing::DialerSettings,
    pub domains: Vec<SendingDomain>,
    pub mailboxes: Vec<Mailbox>,
    pub phone_numbers: Vec<String>,
    pub linkedin_seats: Vec<String>,
    pub channels: Vec<ChannelSetting>,
    /// The provider of each live channel and the name of its credentials'
    /// secret (nothing here is a secret).
    #[serde(default)]
    pub providers: super::providers::Providers,
    /// Lead statuses in which nothing is sent.
    pub stop_states: Vec<String>,
    /// Customer domains never contacted (subdomains included).
    pub excluded_domains: Vec<String>,
    pub breaker: BreakerConfig,
    #[serde(default)]
    pub domain_health: super::safety::domain_health::DomainHealthConfig,
    pub decay: DecayConfig,
    pub templates: TemplateSet,
    #[serde(default)]
    pub enrichment: EnrichmentSettings,
    #[serde(default)]
    pub prospecting: ProspectingSettings,
    /// The quality guard every draft passes before it can be approved.
    #[serde(default)]
    pub guard: super::content::guard::GuardSettings,
    #[serde(default)]
    pub content: ContentSettings,
    /// Who may skip the operator's approval, and the first days' ramp.
    #[serde(default)]
    pub approval: ApprovalSettings,
    #[serde(default)]
    pub ai_writer: AiWriterSettings,
    /// How imported files are read: the country national phone numbers are
    /// read in, and the CRM stages that are held instead of prospected.
    #[serde(default)]
    pub intake: super::targeting::intake::IntakeContext,
}

/// Limits on what a draft may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentSettings {
    /// Longest SMS, in segments (160 GSM-7 / 70 UCS-2 characters for one;
    /// 153 / 67 each when split). A longer draft is blocked.
    pub sms_max_segments: usize,
}

impl Default for ContentSettings {
    fn default() -> Self {
        Self {
            sms_max_segments: 2,
        }
    }
}

/// SPEC §5 gatekeeping: `auto_enroll` (off by default) approves the drafts
/// of leads in the allowed tiers that have a usable email; ramp mode caps the
/// first days' sends and limits them to some tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalSettings {
    pub auto_enroll: bool,
    pub auto_enroll_tiers: Vec<super::lead::Tier>,
    pub ramp: RampSettings,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            auto_enroll: false,
            auto_enroll_tiers: vec![super::lead::Tier::Tier1],
            ramp: RampSettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RampSettings {
    pub enabled: bool,
    /// First day of the ramp (tenant's zone); required when enabled.
    pub start: Option<NaiveDate>,
    pub days: u32,
    /// Sends per day on every channel together while the ramp lasts.
    pub per_day: u32,
    /// Only leads of these tiers are sent to during the ramp; others wait
    /// for its end.
    pub tiers: Vec<super::lead::Tier>,
}

impl Default for RampSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            start: None,
            days: 14,
            per_day: 5,
            tiers: vec![super::lead::Tier::Tier1],
        }
    }
}

impl RampSettings {
    /// The ramp's last day, if it is on.
    pub fn last_day(&self) -> Option<NaiveDate> {
        match (self.enabled, self.start) {
            (true, Some(start)) if self.days > 0 => {
                Some(start + chrono::Duration::days(i64::from(self.days) - 1))
            }
            _ => None,
        }
    }
    /// Is `day` (tenant's zone) inside the ramp?
    pub fn active_on(&self, day: NaiveDate) -> bool {
        matches!((self.start, self.last_day()), (Some(s), Some(e)) if day >= s && day <= e)
    }
}

/// The AI writer (an LLM messages API; key and model from the deployment's
/// environment). Off by default; templates write every draft then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AiWriterSettings {
    pub enabled: bool,
    /// Channels the writer drafts for; other steps use templates.
    pub channels: Vec<Channel>,
    /// Lets AI drafts of auto-enrolled leads go out without an operator's
    /// approval. Off: an AI draft always waits for a person.
    pub send_without_approval: bool,
    /// Consecutive failures that open the writer's circuit, and for how long.
    pub circuit_failures: u32,
    pub circuit_open_minutes: i64,
    /// Whole time budget for one lead's AI drafts; past it, templates.
    pub budget_secs: u64,
}

impl Default for AiWriterSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            channels: vec![Channel::Email, Channel::Linkedin],
            send_without_approval: false,
            circuit_failures: 3,
            circuit_open_minutes: 10,
            budget_secs: 25,
        }
    }
}

/// The enrichment waterfall of a tenant. Provider credentials come from the
/// environment (`PEOPLE_MATCH_API_KEY`, `ASYNC_ENRICH_API_KEY`); this says
/// which of the deployed providers to use, in what order, within what budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnrichmentSettings {
    /// Provider names in the order they are tried (`people_match`,
    /// `async_enrich`). Empty: no provider is called; leads go on as imported.
    pub waterfall: Vec<String>,
    /// Credits each provider may spend per calendar month (UTC). A provider
    /// not listed has no limit.
    pub monthly_credits: std::collections::BTreeMap<String, u32>,
    /// Consecutive failures that open a provider's circuit, and for how long.
    pub circuit_failures: u32,
    pub circuit_open_minutes: i64,
    /// How long an asynchronous job may stay pending before it is given up.
    pub async_max_wait_minutes: i64,
}

impl Default for EnrichmentSettings {
    fn default() -> Self {
        Self {
            waterfall: vec!["people_match".into(), "async_enrich".into()],
            monthly_credits: [
                ("people_match".to_string(), 1000),
                ("async_enrich".to_string(), 500),
            ]
            .into_iter()
            .collect(),
            circuit_failures: 5,
            circuit_open_minutes: 5,
            async_max_wait_minutes: 10,
        }
    }
}

/// Scheduled prospecting: which source to pull from, and the monthly lead
/// quota it is paced against (SPEC §8). Off by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProspectingSettings {
    pub enabled: bool,
    /// `people_search` (filters below) or `dataset_url` (the deployment's
    /// `PROSPECT_DATASET_URL`).
    pub source: String,
    /// New leads per calendar month, paced evenly over its days.
    pub monthly_quota: u32,
    /// Records asked for per run at most.
    pub page_size: u32,
    pub filters: super::targeting::prospecting::PeopleSearchFilters,
}

impl Default for ProspectingSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            source: "people_search".into(),
            monthly_quota: 1000,
            page_size: 25,
            filters: Default::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SenderIdentity {
    pub name: String,
    pub company: String,
    pub physical_address: String,
    pub signature: String,
    pub booking_link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Icp {
    pub name: String,
    pub primary: bool,
    pub industries: Vec<String>,
    pub sub_industries: Vec<String>,
    pub titles: Vec<String>,
    pub company_sizes: Vec<String>,
    pub countries: Vec<String>,
    pub us_states: Vec<String>,
    pub fit_signals: Vec<String>,
    pub avoid: AvoidRules,
    pub pains: Vec<String>,
    pub proof_angles: Vec<String>,
    pub preferred_channels: Vec<Channel>,
    pub recommended_offer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvoidRules {
    pub require_website: bool,
    pub require_gbp: bool,
    /// Below this many reviews the business is taken to be under the sales floor.
    pub min_reviews: Option<u32>,
    /// Competitor tools whose presence (in the lead's notes/tech) disqualifies.
    pub competitor_tools: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub id: String,
    pub name: String,
    pub role: String,
    pub problem: String,
    pub fit_signals: Vec<String>,
    pub cta: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tiers {
    pub tier1_min: u8,
    pub tier2_min: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Windows {
    pub email: SendWindow,
    pub call: SendWindow,
    pub sms: SendWindow,
    pub linkedin: SendWindow,
    /// Upper bound of the humanising delay added inside a window, seconds.
    pub jitter_max_secs: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Caps {
    pub email_per_domain_after_warmup: u32,
    pub email_per_mailbox: u32,
    pub email_per_tenant: u32,
    pub voice_per_number: u32,
    pub sms_per_number: u32,
    pub sms_per_tenant: u32,
    pub linkedin_connects_per_seat: u32,
    pub linkedin_messages_per_seat: u32,
    pub calls_per_lead_per_day: u32,
    pub max_attempts_per_lead: u32,
    pub attempts_warning: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendingDomain {
    pub domain: String,
    pub warmup: Vec<WarmupRow>,
    /// The day it was first used to send, if before it joined this tenant:
    /// a domain added without rows ramps by its age from then (SPEC §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_used: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mailbox {
    pub address: String,
    pub domain: String,
    /// The secret with this mailbox's SMTP login, when email goes over
    /// SMTP (Google Workspace / Microsoft 365 mailboxes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelMode {
    Configured,
    OperatorAssisted,
    Planned,
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChannelSetting {
    pub channel: Channel,
    pub mode: ChannelMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BreakerConfig {
    /// Bounce rate above which all sending pauses (0.05 = 5%).
    pub bounce_rate_threshold: f64,
    pub min_sends: u32,
    pub window_hours: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecayConfig {
    pub ghosted_after_hours: i64,
    pub stalled_after_days: i64,
    pub hesitant_min_opens: u32,
    pub revival_min_idle_days: i64,
    pub revival_max_idle_days: i64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid config field `{field}`: {reason}")]
pub struct ConfigError {
    pub field: String,
    pub reason: String,
}

impl TenantConfig {
    /// The SPEC §1 default: the US used-car dealer ICP with the
    /// Reviews/Reputation offer, a default 5-step sequence, and a sample
    /// sending domain + mailbox with a 5-week warmup ramp from `warmup_start`.
    pub fn default_for(tenant: TenantId, name: &str, warmup_start: NaiveDate) -> Self {
        let domain = format!("{}-mail.example.com", tenant.as_str());
        let ramp = [20u32, 40, 60, 80, 150];
        let warmup = ramp
            .iter()
            .enumerate()
            .map(|(i, cap)| WarmupRow {
                week: i as u32 + 1,
                starts_at: warmup_start + chrono::Duration::days(7 * i as i64),
                daily_cap: *cap,
            })
            .collect();
        Self {
            name: name.to_string(),
            timezone: "America/New_York".into(),
            shadow_mode: true,
            sender: SenderIdentity {
                name: "Sam Rivera".into(),
                company: "Northwind Reputation".into(),
                physical_address: "100 Example Street, Suite 200, Austin, TX 78701, USA".into(),
                signature: "Sam Rivera\nNorthwind Reputation".into(),
                booking_link: "https://booking.example.com/sam".into(),
            },
            icp: Icp {
                name: "US independent used-car dealers".into(),
                primary: true,
                industries: vec![
                    "used car dealer".into(),
                    "car dealer".into(),
                    "auto dealer".into(),
                ],
                sub_industries: vec!["independent".into(), "pre-owned".into()],
                titles: vec![
                    "owner".into(),
                    "general manager".into(),
                    "dealer principal".into(),
                ],
                company_sizes: vec!["1-10".into(), "11-50".into()],
                countries: vec!["US".into()],
                us_states: vec![],
                fit_signals: vec![
                    "website".into(),
                    "claimed Google Business Profile".into(),
                    "rating 3.2-4.0".into(),
                    "15-150 reviews".into(),
                    "low review-response rate".into(),
                ],
                avoid: AvoidRules {
                    require_website: true,
                    require_gbp: true,
                    min_reviews: Some(5),
                    competitor_tools: vec!["podium".into(), "birdeye".into()],
                },
                pains: vec![
                    "buyers pick the lot with better reviews down the street".into(),
                    "unanswered reviews make the dealership look absent".into(),
                ],
                proof_angles: vec![
                    "dealers like yours added 30+ reviews in 60 days".into(),
                    "answering every review lifts click-to-call from Maps".into(),
                ],
                preferred_channels: vec![Channel::Email, Channel::Voice],
                recommended_offer: "reviews".into(),
            },
            offers: vec![Offer {
                id: "reviews".into(),
                name: "Reviews & Reputation".into(),
                role: "front-door wedge".into(),
                problem: "a visible trust gap against nearby competitors on Google".into(),
                fit_signals: vec![
                    "rating 3.2-4.0".into(),
                    "15-150 reviews".into(),
                    "low review-response rate".into(),
                ],
                cta: "worth a 15-minute look at how you compare with the lots around you?".into(),
            }],
            tiers: Tiers {
                tier1_min: 80,
                tier2_min: 60,
            },
            weights: ScoringWeights::default(),
            sequence: super::dispatch::sequence::default_sequence(),
            windows: Windows {
                email: SendWindow::business_days(9, 0, 11, 0),
                call: SendWindow::business_days(8, 0, 18, 0),
                sms: SendWindow::business_days(8, 0, 18, 0),
                linkedin: SendWindow::business_days(8, 0, 18, 0),
                jitter_max_secs: 300,
            },
            caps: Caps {
                email_per_domain_after_warmup: 50,
                email_per_mailbox: 100,
                email_per_tenant: 200,
                voice_per_number: 50,
                sms_per_number: 100,
                sms_per_tenant: 200,
                linkedin_connects_per_seat: 20,
                linkedin_messages_per_seat: 50,
                calls_per_lead_per_day: 3,
                max_attempts_per_lead: 500,
                attempts_warning: 200,
            },
            dialer: Default::default(),
            domains: vec![SendingDomain {
                domain: domain.clone(),
                warmup,
                first_used: None,
            }],
            mailboxes: vec![Mailbox {
                address: format!("sam@{domain}"),
                domain,
                secret: None,
            }],
            phone_numbers: vec!["+15125550100".into()],
            linkedin_seats: vec!["seat-1".into()],
            providers: Default::default(),
            channels: vec![
                ChannelSetting {
                    channel: Channel::Email,
                    mode: ChannelMode::Configured,
                },
                ChannelSetting {
                    channel: Channel::Voice,
                    mode: ChannelMode::Configured,
                },
                ChannelSetting {
                    channel: Channel::Linkedin,
                    mode: ChannelMode::Configured,
                },
                ChannelSetting {
                    channel: Channel::Sms,
                    mode: ChannelMode::Configured,
                },
            ],
            stop_states: ["dnc", "closed", "invalid", "contacted", "booked"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            excluded_domains: vec![],
            breaker: BreakerConfig {
                bounce_rate_threshold: 0.05,
                min_sends: 10,
                window_hours: 24,
            },
            domain_health: Default::default(),
            decay: DecayConfig {
                ghosted_after_hours: 72,
                stalled_after_days: 7,
                hesitant_min_opens: 2,
                revival_min_idle_days: 30,
                revival_max_idle_days: 120,
            },
            templates: TemplateSet::default(),
            enrichment: EnrichmentSettings::default(),
            prospecting: ProspectingSettings::default(),
            guard: Default::default(),
            content: ContentSettings::default(),
            approval: ApprovalSettings::default(),
            ai_writer: AiWriterSettings::default(),
            intake: super::targeting::intake::IntakeContext::default(),
            tenant,
        }
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone
            .parse()
            .unwrap_or(chrono_tz::America::New_York)
    }

    /// Is `channel` usable for automatic sends (configured, with an identity)?
    pub fn channel_available(&self, channel: Channel) -> bool {
        let configured = self
            .channels
            .iter()
            .any(|c| c.channel == channel && c.mode == ChannelMode::Configured);
        configured
            && match channel {
                Channel::Email => !self.mailboxes.is_empty(),
                Channel::Voice | Channel::Sms => !self.phone_numbers.is_empty(),
                Channel::Linkedin => !self.linkedin_seats.is_empty(),
            }
    }

    pub fn domain(&self, domain: &str) -> Option<&SendingDomain> {
        self.domains.iter().find(|d| d.domain == domain)
    }

    /// Validates the config, naming the first bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, reason: &str| {
            Err(ConfigError {
                field: field.to_string(),
                reason: reason.to_string(),
            })
        };
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return bad("timezone", "not an IANA time zone name");
        }
        if let Some(c) = &self.intake.default_country {
            if super::targeting::geo::country_code(c) != Some(c.as_str()) {
                return bad(
                    "intake.default_country",
                    "an ISO 3166 alpha-2 country code in capitals, such as US, GB or DE",
                );
            }
        }
        if self.tiers.tier1_min > 100 || self.tiers.tier2_min >= self.tiers.tier1_min {
            return bad("tiers", "need 100 >= tier1_min > tier2_min");
        }
        // These reach the From header's display name and the footer.
        for (field, value) in [
            ("sender.name", &self.sender.name),
            ("sender.company", &self.sender.company),
        ] {
            if value.chars().any(char::is_control) || value.chars().count() > 100 {
                return bad(
                    field,
                    "at most 100 characters, no line breaks or control characters",
                );
            }
        }
        if self.sender.physical_address.trim().is_empty() {
            return bad(
                "sender.physical_address",
                "required: every email carries the sender's physical address",
            );
        }
        if self.sequence.is_empty() {
            return bad("sequence", "at least one step is required");
        }
        for (i, w) in self.sequence.windows(2).enumerate() {
            if w[1].day < w[0].day {
                return bad(
                    &format!("sequence[{}].day", i + 1),
                    "days must not decrease",
                );
            }
        }
        for (i, d) in self.domains.iter().enumerate() {
            if !super::content::template::headers::is_hostname(&d.domain) {
                return bad(
                    &format!("domains[{i}].domain"),
                    &format!(
                        "{:?} is not a host name (letters, digits, hyphens, dots)",
                        d.domain
                    ),
                );
            }
        }
        for (i, m) in self.mailboxes.iter().enumerate() {
            let local = m.address.rsplit_once('@').map(|(l, _)| l).unwrap_or("");
            if m.address.chars().any(char::is_control)
                || m.address.rsplit_once('@').map(|(_, d)| d) != Some(m.domain.as_str())
                || local.is_empty()
                || local.contains(['<', '>', ',', ' ', '"'])
            {
                return bad(
                    &format!("mailboxes[{i}].address"),
                    "an address at its sending domain, with no spaces, quotes, commas or control characters",
                );
            }
            if self.domain(&m.domain).is_none() {
                return bad(
                    &format!("mailboxes[{i}].domain"),
                    "no sending domain with that name",
                );
            }
        }
        if let Err((field, reason)) = self.providers.validate(self.tenant.as_str()) {
            return bad(&field, &reason);
        }
        let prefix = super::providers::secret_prefix(self.tenant.as_str());
        for (i, m) in self.mailboxes.iter().enumerate() {
            if let Some(secret) = &m.secret {
                if let Err(reason) = super::providers::check_secret_name(secret, &prefix) {
                    return bad(&format!("mailboxes[{i}].secret"), &reason);
                }
            }
        }
        if let Err((field, reason)) = self.weights.validate() {
            return bad(&field, &reason);
        }
        for (i, band) in self.icp.company_sizes.iter().enumerate() {
            if !super::targeting::scoring::valid_band(band) {
                return bad(
                    &format!("icp.company_sizes[{i}]"),
                    &format!("{band:?} is not a band like \"11-50\" or \"200+\""),
                );
            }
        }
        for (i, c) in self.icp.countries.iter().enumerate() {
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
                return bad(
                    &format!("icp.countries[{i}]"),
                    &format!("{c:?} is not a two-letter ISO country code"),
                );
            }
        }
        if !self.icp.recommended_offer.is_empty()
            && !self
                .offers
                .iter()
                .any(|o| o.id == self.icp.recommended_offer)
        {
            return bad(
                "icp.recommended_offer",
                &format!("no offer with id {:?}", self.icp.recommended_offer),
            );
        }
        for (i, name) in self.enrichment.waterfall.iter().enumerate() {
            if !["people_match", "async_enrich"].contains(&name.as_str()) {
                return bad(
                    &format!("enrichment.waterfall[{i}]"),
                    &format!("unknown provider {name:?}: people_match or async_enrich"),
                );
            }
        }
        if !["people_search", "dataset_url"].contains(&self.prospecting.source.as_str()) {
            return bad("prospecting.source", "people_search or dataset_url");
        }
        if !(1..=100).contains(&self.prospecting.page_size) {
            return bad("prospecting.page_size", "must be within 1..100");
        }
        if let Err((field, reason)) = self.templates.validate() {
            return bad(&field, &reason);
        }
        for (i, step) in self.sequence.iter().enumerate() {
            if let Some(key) = &step.template {
                if !self
                    .templates
                    .templates
                    .iter()
                    .any(|t| t.key.as_deref() == Some(key.as_str()))
                {
                    return bad(
                        &format!("sequence[{i}].template"),
                        &format!("no template has the key {key:?}"),
                    );
                }
            }
        }
        if let Err((field, reason)) = self.guard.validate() {
            return bad(&field, &reason);
        }
        if !(1..=10).contains(&self.content.sms_max_segments) {
            return bad("content.sms_max_segments", "must be within 1..10");
        }
        let ramp = &self.approval.ramp;
        if ramp.enabled {
            if ramp.start.is_none() {
                return bad("approval.ramp.start", "required when the ramp is enabled");
            }
            if ramp.days == 0 || ramp.per_day == 0 {
                return bad("approval.ramp", "days and per_day must be at least 1");
            }
            if ramp.tiers.is_empty() {
                return bad("approval.ramp.tiers", "name at least one tier");
            }
        }
        if self.ai_writer.enabled && self.ai_writer.budget_secs == 0 {
            return bad("ai_writer.budget_secs", "must be at least 1");
        }
        if let Some((field, reason)) = self.dialer.problem() {
            return bad(field, &reason);
        }
        if !(0.0..=1.0).contains(&self.breaker.bounce_rate_threshold) {
            return bad("breaker.bounce_rate_threshold", "must be within 0..1");
        }
        for (name, w) in [
            ("windows.email", &self.windows.email),
            ("windows.call", &self.windows.call),
            ("windows.sms", &self.windows.sms),
            ("windows.linkedin", &self.windows.linkedin),
        ] {
            if let Err(reason) = w.validate() {
                return bad(name, &reason);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "tenant_tests.rs"]
mod tests;
