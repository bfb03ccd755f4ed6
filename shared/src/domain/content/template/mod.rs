//! Message templates per tier, offer, sequence step and channel, rendered
//! with minijinja in strict mode (a missing variable is an error, never
//! "Hi {first_name}"); subject and body A/B variants assigned per lead by a
//! hash; the legal footer and RFC 8058 unsubscribe headers every email
//! carries; SMS segment limits and opt-out wording; voice call briefs.

pub mod headers;
use super::sms;
use crate::domain::dispatch::sequence::SequenceStep;
use crate::domain::lead::{Lead, Tier};
use crate::domain::signals::signature::sign_link;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::{Channel, Message};
use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// What separates a message's text from the compliance footer we add.
pub const FOOTER_MARK: &str = "\n\n--\n";

/// The variables a template may use.
pub const VARIABLES: &[&str] = &[
    "first_name",
    "last_name",
    "title",
    "company",
    "city",
    "state",
    "industry",
    "rating",
    "review_count",
    "response_rate",
    "website",
    "pain",
    "proof_angle",
    "offer_name",
    "problem",
    "cta",
    "sender_name",
    "sender_company",
    "signature",
    "booking_link",
];

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        None,
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None | Some(OneOrMany::None) => vec![],
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub id: String,
    /// The template key a sequence step names (`intro`, `li-connect`, ...).
    /// `follow-up` is the generic email a step falls back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Older configs name a step number instead of a key (0 = any step).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub step: u8,
    pub channel: Channel,
    /// Tiers this template is for; empty = every tier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
    /// Offer ids this template is for; empty = every offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<String>,
    /// Subject variants (email only): one string or a list.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subject: Vec<String>,
    /// Body variants: one string or a list.
    #[serde(deserialize_with = "one_or_many")]
    pub body: Vec<String>,
    /// Longest body allowed (a LinkedIn connection note is 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateSet {
    pub templates: Vec<MessageTemplate>,
}

impl MessageTemplate {
    fn is_generic(&self) -> bool {
        self.key.as_deref() == Some("follow-up") || (self.key.is_none() && self.step == 0)
    }
    fn serves(&self, step: &SequenceStep) -> bool {
        match &step.template {
            Some(key) => self.key.as_deref() == Some(key.as_str()),
            None => self.step == step.step,
        }
    }
}

impl TemplateSet {
    /// The templates that can write `step` on `channel` for a lead of `tier`
    /// with `offer`, most specific first: the step's own before the generic
    /// follow-up, a tier's or offer's own before one for everyone; ties keep
    /// config order.
    pub fn candidates(
        &self,
        step: &SequenceStep,
        channel: Channel,
        tier: Option<Tier>,
        offer: Option<&str>,
    ) -> Vec<&MessageTemplate> {
        let fits = |t: &MessageTemplate| {
            t.channel == channel
                && (t.tiers.is_empty() || tier.is_some_and(|x| t.tiers.contains(&x)))
                && (t.offers.is_empty() || offer.is_some_and(|o| t.offers.iter().any(|x| x == o)))
        };
        let mut found: Vec<(u8, usize, &MessageTemplate)> = self
            .templates
            .iter()
            .enumerate()
            .filter(|(_, t)| fits(t) && (t.serves(step) || t.is_generic()))
            .map(|(i, t)| {
                let rank = u8::from(t.serves(step)) * 4
                    + u8::from(!t.tiers.is_empty()) * 2
                    + u8::from(!t.offers.is_empty());
                (rank, i, t)
            })
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        found.into_iter().map(|(_, _, t)| t).collect()
    }

    pub fn get(&self, id: &str) -> Option<&MessageTemplate> {
        self.templates.iter().find(|t| t.id == id)
    }

    /// Checks every template compiles and uses only known variables, naming
    /// the bad one as `templates[i].body[j]`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let mut ids = BTreeSet::new();
        let env = environment();
        for (i, t) in self.templates.iter().enumerate() {
            let at = |part: &str| format!("templates[{i}].{part}");
            if t.id.trim().is_empty() || !ids.insert(t.id.as_str()) {
                return Err((at("id"), format!("{:?} is empty or used twice", t.id)));
            }
            if t.body.is_empty() {
                return Err((at("body"), "at least one body variant is required".into()));
            }
            match t.channel {
                Channel::Email if t.subject.is_empty() => {
                    return Err((at("subject"), "an email template needs a subject".into()))
                }
                Channel::Email => {}
                _ if !t.subject.is_empty() => {
                    return Err((
                        at("subject"),
                        format!("{} messages have no subject", t.channel),
                    ))
                }
                _ => {}
            }
            let parts = t
                .subject
                .iter()
                .enumerate()
                .map(|(j, s)| (format!("subject[{j}]"), s))
                .chain(
                    t.body
                        .iter()
                        .enumerate()
                        .map(|(j, s)| (format!("body[{j}]"), s)),
                );
            for (part, source) in parts {
                if let Some(reason) = unbounded(source) {
                    return Err((at(&part), reason));
                }
                let tpl = env
                    .template_from_str(source)
                    .map_err(|e| (at(&part), e.to_string()))?;
                let unknown: Vec<String> = tpl
                    .undeclared_variables(false)
                    .into_iter()
                    .filter(|v| !VARIABLES.contains(&v.as_str()))
                    .collect();
                if !unknown.is_empty() {
                    return Err((
                        at(&part),
                        format!(
                            "unknown variable(s) {}: use {}",
                            unknown.join(", "),
                            VARIABLES.join(", ")
                        ),
                    ));
                }
                // A dry run with every variable filled: a template too
                // costly to render is refused now, not on every lead.
                let sample: BTreeMap<&str, String> =
                    VARIABLES.iter().map(|v| (*v, "x".repeat(200))).collect();
                match tpl.render(&sample) {
                    Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => {
                        return Err((
                            at(&part),
                            format!(
                                "takes more than {TEMPLATE_FUEL} steps to render (loops too deep)"
                            ),
                        ))
                    }
                    Ok(out) if out.len() > MAX_RENDERED_BYTES => {
                        return Err((
                            at(&part),
                            format!("renders {} bytes; at most {MAX_RENDERED_BYTES}", out.len()),
                        ))
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("no template for step {step} on {channel}")]
    NoTemplate { step: u8, channel: Channel },
    #[error("template `{template}` {part}: {reason}")]
    Render {
        template: String,
        part: String,
        reason: String,
    },
    #[error("template `{template}`: {reason}")]
    Limit { template: String, reason: String },
}

impl RenderError {
    pub fn is_missing_variable(&self) -> bool {
        matches!(self, RenderError::Render { reason, .. } if reason.starts_with("missing variable"))
    }
}

/// Everything a message needs to be legal and unsubscribable.
#[derive(Debug, Clone)]
pub struct Compliance {
    pub physical_address: String,
    pub sender_company: String,
    pub unsubscribe_url: String,
    pub unsubscribe_mailto: String,
}

/// Where unsubscribe links point and the key that signs them.
#[derive(Clone)]
pub struct UnsubscribeLinks {
    pub base_url: String,
    pub signing_key: String,
}

impl UnsubscribeLinks {
    /// `<tenant>.<lead>.<tag>`: tenant-scoped, unforgeable without the key.
    pub fn token(&self, tenant: &str, lead: &str) -> String {
        format!(
            "{tenant}.{lead}.{}",
            sign_link(&self.signing_key, &format!("{tenant}/{lead}"))
        )
    }

    pub fn compliance(&self, config: &TenantConfig, lead: &Lead) -> Compliance {
        self.compliance_for(config, &lead.tenant, &lead.id)
    }

    /// What a message to `lead_id` must carry; needs only the ids.
    pub fn compliance_for(&self, config: &TenantConfig, tenant: &str, lead_id: &str) -> Compliance {
        let token = self.token(tenant, lead_id);
        let domain = config
            .domains
            .first()
            .map(|d| d.domain.as_str())
            .unwrap_or("example.invalid");
        Compliance {
            physical_address: config.sender.physical_address.clone(),
            sender_company: config.sender.company.clone(),
            unsubscribe_url: format!("{}/{token}", self.base_url.trim_end_matches('/')),
            unsubscribe_mailto: format!(
                "mailto:unsubscribe@{domain}?subject=unsubscribe%20{token}"
            ),
        }
    }
}

/// One item from a list, the same for a lead every time it is drafted.
fn pick<'a>(list: &'a [String], lead: &Lead, what: &str) -> &'a str {
    if list.is_empty() {
        return "";
    }
    let i = bucket(&[&lead.tenant, &lead.id, what], list.len());
    &list[i]
}

/// A uniform bucket in `0..n` from a SHA-256 of `parts`: deterministic, and
/// balanced because the hash is.
pub fn bucket(parts: &[&str], n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let d = h.finalize();
    let x = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    (x % n as u64) as usize
}

/// The subject and body variants a lead gets from a template: stable for the
/// lead, spread evenly over leads.
pub fn assign_variants(lead: &Lead, template: &MessageTemplate) -> (Option<usize>, usize) {
    let subject = (!template.subject.is_empty()).then(|| {
        bucket(
            &[&lead.tenant, &lead.id, &template.id, "subject"],
            template.subject.len(),
        )
    });
    let body = bucket(
        &[&lead.tenant, &lead.id, &template.id, "body"],
        template.body.len(),
    );
    (subject, body)
}

/// The variables a template may use, from the lead, the ICP, the offer and
/// the sender. Empty values count as missing when rendering.
pub fn variables(config: &TenantConfig, lead: &Lead) -> BTreeMap<String, String> {
    let offer = config
        .offers
        .iter()
        .find(|o| Some(&o.id) == lead.offer.as_ref())
        .or(config.offers.first());
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let vars = [
        ("first_name", opt(&lead.first_name)),
        ("last_name", opt(&lead.last_name)),
        ("title", opt(&lead.title)),
        ("company", opt(&lead.company)),
        ("city", opt(&lead.city)),
        ("state", opt(&lead.state)),
        ("industry", opt(&lead.industry)),
        (
            "rating",
            lead.rating.map(|r| format!("{r:.1}")).unwrap_or_default(),
        ),
        (
            "review_count",
            lead.reviews.map(|r| r.to_string()).unwrap_or_default(),
        ),
        (
            "response_rate",
            lead.review_response_rate
                .map(|r| format!("{:.0}%", r * 100.0))
                .unwrap_or_default(),
        ),
        ("website", opt(&lead.website)),
        ("pain", pick(&config.icp.pains, lead, "pain").to_string()),
        (
            "proof_angle",
            pick(&config.icp.proof_angles, lead, "proof").to_string(),
        ),
        (
            "offer_name",
            offer.map(|o| o.name.clone()).unwrap_or_default(),
        ),
        (
            "problem",
            offer.map(|o| o.problem.clone()).unwrap_or_default(),
        ),
        ("cta", offer.map(|o| o.cta.clone()).unwrap_or_default()),
        ("sender_name", config.sender.name.clone()),
        ("sender_company", config.sender.company.clone()),
        ("signature", config.sender.signature.clone()),
        ("booking_link", config.sender.booking_link.clone()),
    ];
    vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Instructions one render may run: a sales message needs a few hundred;
/// nested loops that would spin craft for its whole timeout run out here.
pub const TEMPLATE_FUEL: u64 = 50_000;
/// The most one rendered part may be.
pub const MAX_RENDERED_BYTES: usize = 64 * 1024;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_recursion_limit(20);
    env
}

/// Why a template source may not be rendered at all, if so: arithmetic
/// repetition (`"x" * 100000000` allocates before any limit can look at it).
fn unbounded(source: &str) -> Option<String> {
    let mut rest = source;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let Some(end) = after.find(close) else {
            break;
        };
        if after[1..end].contains('*') {
            return Some(
                "multiplication is not allowed in templates (a repeated string can take hundreds of MB)"
                    .into(),
            );
        }
        rest = &after[end..];
    }
    None
}

/// The text of a message before the footer: what a template or the AI
/// writer produced, what the quality guard reads, what an operator edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: Option<String>,
    pub body: String,
    pub template_id: String,
    pub subject_variant: Option<usize>,
    pub body_variant: usize,
}

/// Renders one template's chosen variants. Variables that are empty count
/// as missing: a draft never goes out with a hole in it.
pub fn render(
    template: &MessageTemplate,
    variants: (Option<usize>, usize),
    vars: &BTreeMap<String, String>,
) -> Result<Draft, RenderError> {
    let env = environment();
    let present: BTreeMap<String, String> = vars
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let one = |part: String, source: &str| {
        if let Some(reason) = unbounded(source) {
            return Err(RenderError::Limit {
                template: template.id.clone(),
                reason,
            });
        }
        let out = env
            .render_str(source, &present)
            .map(|s| s.trim().to_string());
        if let Ok(text) = &out {
            if text.len() > MAX_RENDERED_BYTES {
                return Err(RenderError::Limit {
                    template: template.id.clone(),
                    reason: format!(
                        "{part} renders {} bytes; at most {MAX_RENDERED_BYTES}",
                        text.len()
                    ),
                });
            }
        }
        out.map_err(|e| RenderError::Render {
            template: template.id.clone(),
            part,
            reason: match e.kind() {
                minijinja::ErrorKind::UndefinedError => {
                    let missing = missing_in(source, &present);
                    format!(
                        "missing variable {}; the draft is blocked",
                        if missing.is_empty() {
                            e.to_string()
                        } else {
                            missing.join(", ")
                        }
                    )
                }
                _ => e.to_string(),
            },
        })
    };
    let (sv, bv) = variants;
    let subject = match sv {
        Some(i) if i < template.subject.len() => {
            Some(one(format!("subject[{i}]"), &template.subject[i])?)
        }
        _ => None,
    };
    let bv = bv.min(template.body.len().saturating_sub(1));
    let body = one(
        format!("body[{bv}]"),
        template.body.get(bv).map(String::as_str).unwrap_or(""),
    )?;
    if let Some(max) = template.max_chars {
        let len = body.chars().count();
        if len > max {
            return Err(RenderError::Limit {
                template: template.id.clone(),
                reason: format!("body is {len} characters, more than its limit of {max}"),
            });
        }
    }
    Ok(Draft {
        subject,
        body,
        template_id: template.id.clone(),
        subject_variant: sv,
        body_variant: bv,
    })
}

/// The variables a template source uses that have no value.
fn missing_in(source: &str, present: &BTreeMap<String, String>) -> Vec<String> {
    environment()
        .template_from_str(source)
        .map(|t| {
            t.undeclared_variables(false)
                .into_iter()
                .filter(|v| !present.contains_key(v))
                .collect()
        })
        .unwrap_or_default()
}

/// Channel-specific finishing, applied to every draft (template, AI or
/// operator edit) so none can skip it.
#[derive(Debug, Clone)]
pub struct Finish<'a> {
    pub channel: Channel,
    pub compliance: &'a Compliance,
    /// This is the first SMS the sequence sends to the lead's number.
    pub first_sms: bool,
    pub sms_max_segments: usize,
    /// The facts block a voice step's call brief opens with.
    pub call_facts: Option<String>,
}

/// Turns a draft into the message that is sent: the email footer and
/// RFC 8058 headers; SMS opt-out wording on the first SMS, GSM-safe text and
/// the segment limit; the call brief's facts for voice.
pub fn finish(draft: &Draft, f: &Finish<'_>) -> Result<Message, RenderError> {
    let core = draft
        .body
        .split_once(FOOTER_MARK)
        .map(|(a, _)| a)
        .unwrap_or(&draft.body)
        .trim()
        .to_string();
    let mut headers = BTreeMap::new();
    let body = match f.channel {
        Channel::Email => {
            let c = f.compliance;
            headers.insert(
                "List-Unsubscribe".to_string(),
                format!("<{}>, <{}>", c.unsubscribe_url, c.unsubscribe_mailto),
            );
            headers.insert(
                "List-Unsubscribe-Post".to_string(),
                "List-Unsubscribe=One-Click".to_string(),
            );
            // Data never writes a header: a header built from config that
            // is not safe refuses the draft (the subject is made safe below).
            if let Some(reason) = headers
                .iter()
                .find_map(|(name, value)| headers::header_problem(name, value))
            {
                return Err(RenderError::Limit {
                    template: draft.template_id.clone(),
                    reason,
                });
            }
            format!(
                "{core}{FOOTER_MARK}{}, {}\nDon't want these emails? Unsubscribe: {}",
                c.sender_company, c.physical_address, c.unsubscribe_url
            )
        }
        Channel::Sms => {
            let mut text = sms::gsm_normalise(&core);
            if f.first_sms {
                text = sms::with_opt_out(&text, sms::DEFAULT_OPT_OUT);
            }
            let seg = sms::segments(&text);
            if seg.segments > f.sms_max_segments {
                return Err(RenderError::Limit {
                    template: draft.template_id.clone(),
                    reason: format!(
                        "SMS is {} segments ({} {:?} units), more than the limit of {}",
                        seg.segments, seg.units, seg.encoding, f.sms_max_segments
                    ),
                });
            }
            text
        }
        Channel::Voice => match &f.call_facts {
            Some(facts) => format!("{facts}\n\nTalking points:\n{core}"),
            None => core,
        },
        Channel::Linkedin => core,
    };
    Ok(Message {
        subject: draft.subject.as_deref().map(headers::safe_subject),
        body,
        headers,
        template_id: draft.template_id.clone(),
        subject_variant: draft.subject_variant.map(|i| i as u8),
        body_variant: Some(draft.body_variant as u8),
        ..Default::default()
    })
}

/// The facts a caller needs before dialling, from the lead as it is now.
pub fn call_facts(lead: &Lead, config: &TenantConfig) -> String {
    let name = [lead.first_name.as_deref(), lead.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut lines = vec![format!(
        "CALL BRIEF: {}{}{}",
        if name.is_empty() { "the owner" } else { &name },
        lead.title
            .as_deref()
            .map(|t| format!(", {t}"))
            .unwrap_or_default(),
        lead.company
            .as_deref()
            .map(|c| format!(" at {c}"))
            .unwrap_or_default()
    )];
    let zone = lead
        .timezone
        .clone()
        .unwrap_or_else(|| config.timezone.clone());
    // The number the call goes to, which line it is, and the extension to
    // ask for.
    let number = lead.address(crate::domain::touch::Channel::Voice);
    let line = if number.is_empty() {
        "none".to_string()
    } else if lead.phone.as_deref() == Some(number.as_str()) {
        match &lead.phone_ext {
            Some(ext) => format!("{number} ext. {ext} (direct)"),
            None => format!("{number} (direct)"),
        }
    } else if lead.mobile_phone.as_deref() == Some(number.as_str()) {
        format!("{number} (mobile)")
    } else {
        let ext = lead
            .company_phone_ext
            .as_deref()
            .map(|e| format!(" ext. {e}"))
            .unwrap_or_default();
        let ask = lead
            .first_name
            .as_deref()
            .map(|n| format!(": ask for {n}"))
            .unwrap_or_default();
        format!("{number}{ext} (company line{ask})")
    };
    lines.push(format!(
        "Phone: {line} (local zone {zone}; call window {})",
        config.windows.call.describe()
    ));
    let mut facts = Vec::new();
    if let (Some(r), Some(n)) = (lead.rating, lead.reviews) {
        facts.push(format!("{r:.1} stars over {n} Google reviews"));
    }
    if let Some(rate) = lead.review_response_rate {
        facts.push(format!("answers {:.0}% of reviews", rate * 100.0));
    }
    if let Some(city) = &lead.city {
        facts.push(format!("in {city}"));
    }
    if !facts.is_empty() {
        lines.push(format!("Facts: {}", facts.join("; ")));
    }
    if let (Some(score), Some(tier)) = (lead.score, lead.tier) {
        let why: Vec<&str> = lead
            .reasons
            .iter()
            .filter(|r| r.points > 0)
            .take(3)
            .map(|r| r.reason.as_str())
            .collect();
        lines.push(format!(
            "Why them: score {score}, {}{}",
            tier.label(),
            if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", why.join("; "))
            }
        ));
    }
    lines.join("\n")
}

/// A hole a template, a writer or an editor left: `{{ x }}`, `{first_name}`,
/// `[First Name]`, `{% ... %}`.
pub fn unfilled_placeholder(text: &str) -> Option<String> {
    for marker in ["{{", "}}", "{%", "%}"] {
        if let Some(i) = text.find(marker) {
            return Some(snippet(text, i));
        }
    }
    let looks_like_variable = |inner: &str| {
        let norm = inner.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        !norm.is_empty()
            && norm.len() <= 30
            && (VARIABLES.contains(&norm.as_str())
                || [
                    "name",
                    "firstname",
                    "company_name",
                    "your_name",
                    "city_name",
                ]
                .contains(&norm.as_str()))
    };
    for (open, close) in [('{', '}'), ('[', ']'), ('<', '>')] {
        let mut rest = text;
        let mut offset = 0;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + 1..];
            if let Some(j) = after.find(close) {
                if looks_like_variable(&after[..j]) {
                    return Some(snippet(text, offset + i));
                }
            }
            offset += i + 1;
            rest = after;
        }
    }
    None
}

fn snippet(text: &str, at: usize) -> String {
    text[at..].chars().take(24).collect()
}

/// Why a message may not be approved or sent, if it may not: a hole left
/// unfilled; for email the footer's address, the unsubscribe link and both
/// RFC 8058 headers; for the first SMS its opt-out wording.
pub fn compliance_problem(
    message: &Message,
    channel: Channel,
    compliance: &Compliance,
    first_sms: bool,
) -> Option<String> {
    for (part, text) in [
        ("subject", message.subject.as_deref().unwrap_or("")),
        ("body", message.body.as_str()),
    ] {
        if let Some(hole) = unfilled_placeholder(text) {
            return Some(format!("{part} has an unfilled variable near {hole:?}"));
        }
    }
    match channel {
        Channel::Email => {
            if let Some(problem) = headers::message_header_problem(message) {
                return Some(problem);
            }
            if message
                .subject
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
            {
                return Some("email has no subject".into());
            }
            let Some((_, footer)) = message.body.rsplit_once(FOOTER_MARK) else {
                return Some("footer is missing".into());
            };
            if !footer.contains(&compliance.physical_address) {
                return Some("footer lacks the sender's physical address".into());
            }
            if !footer.contains(&compliance.unsubscribe_url) {
                return Some("footer lacks the unsubscribe link".into());
            }
            let list = message
                .headers
                .get("List-Unsubscribe")
                .map(String::as_str)
                .unwrap_or("");
            if !list.contains(&format!("<{}>", compliance.unsubscribe_url))
                || !list.contains(&format!("<{}>", compliance.unsubscribe_mailto))
            {
                return Some(
                    "List-Unsubscribe header must carry the https unsubscribe URL and the mailto"
                        .into(),
                );
            }
            if message
                .headers
                .get("List-Unsubscribe-Post")
                .map(String::as_str)
                != Some("List-Unsubscribe=One-Click")
            {
                return Some("missing List-Unsubscribe-Post: List-Unsubscribe=One-Click".into());
            }
            None
        }
        Channel::Sms if first_sms && !sms::has_opt_out(&message.body) => {
            Some("the first SMS to a number must carry opt-out wording (Reply STOP)".into())
        }
        _ => None,
    }
}

/// The text above the footer, as the quality guard and an editor see it.
pub fn core_text(body: &str) -> &str {
    body.split_once(FOOTER_MARK).map(|(a, _)| a).unwrap_or(body)
}

impl Default for TemplateSet {
    fn default() -> Self {
        let t = |id: &str,
                 key: &str,
                 channel,
                 subjects: &[&str],
                 bodies: &[&str],
                 max_chars: Option<usize>| MessageTemplate {
            id: id.into(),
            key: Some(key.into()),
            step: 0,
            channel,
            tiers: vec![],
            offers: vec![],
            subject: subjects.iter().map(|s| s.to_string()).collect(),
            body: bodies.iter().map(|s| s.to_string()).collect(),
            max_chars,
        };
        let sign = "\n\n{{ signature }}";
        let intro_a = format!("Hi {{{{ first_name }}}},\n\nI was looking at {{{{ company }}}} in {{{{ city }}}}: a {{{{ rating }}}} rating across {{{{ review_count }}}} reviews. {{{{ pain | capitalize }}}}.\n\n{{{{ proof_angle | capitalize }}}}. {{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let intro_b = format!("Hi {{{{ first_name }}}},\n\n{{{{ company }}}} has {{{{ review_count }}}} Google reviews at {{{{ rating }}}} stars, and buyers in {{{{ city }}}} compare that number before they visit. {{{{ proof_angle | capitalize }}}}.\n\n{{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let short_a = format!("Hi {{{{ first_name }}}},\n\nA note for {{{{ company }}}}: {{{{ pain }}}}. {{{{ proof_angle | capitalize }}}}.\n\n{{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let short_b = format!("Hi {{{{ first_name }}}},\n\nWhen buyers search for a lot like {{{{ company }}}}, {{{{ pain }}}}. {{{{ proof_angle | capitalize }}}}.\n\n{{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let mut templates = vec![
            t(
                "email-intro",
                "intro",
                Channel::Email,
                &[
                    "{{ company }}'s {{ review_count }} Google reviews",
                    "{{ rating }} stars in {{ city }}",
                ],
                &[&intro_a, &intro_b],
                None,
            ),
            t(
                "email-intro-short",
                "intro",
                Channel::Email,
                &["{{ company }} on Google", "{{ first_name }}, about {{ company }}"],
                &[&short_a, &short_b],
                None,
            ),
            t(
                "voice-brief",
                "call",
                Channel::Voice,
                &[],
                &["Opening: \"{{ first_name }}, it's {{ sender_name }}; I sent a note about {{ company }}'s Google reviews.\"\nPain: {{ pain }}.\nProof: {{ proof_angle }}.\nAsk: {{ cta }}\nVoicemail: name, one line on the reviews, \"I'll send the details by email.\""],
                None,
            ),
            t(
                "linkedin-connect",
                "li-connect",
                Channel::Linkedin,
                &[],
                &["Hi {{ first_name }}, I work with businesses around {{ city }} on their Google reviews and saw {{ company }}. Would be glad to connect."],
                Some(300),
            ),
            t(
                "email-value",
                "value",
                Channel::Email,
                &["an idea for {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nOne idea for {{{{ company }}}}: reply to every new review within a day; buyers in {{{{ city }}}} read the answers as much as the stars.\n\n{{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "sms-nudge",
                "sms-nudge",
                Channel::Sms,
                &[],
                &["Hi {{ first_name }}, {{ sender_name }} here about {{ company }}'s reviews. Still worth a short chat? {{ booking_link }}"],
                None,
            ),
            t(
                "email-follow-up",
                "follow-up",
                Channel::Email,
                &["{{ company }}, following up"],
                &[&format!("Hi {{{{ first_name }}}},\n\nFollowing up on my note about {{{{ company }}}}'s reviews. {{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "email-follow-up-2",
                "follow-up",
                Channel::Email,
                &["one more thought on {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nOne more thought for {{{{ company }}}}: {{{{ proof_angle }}}}. {{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "email-follow-up-3",
                "follow-up",
                Channel::Email,
                &["last note about {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nLast note from me about {{{{ company }}}} in {{{{ city }}}}: if reviews are on your list this quarter, the link below finds a time.{sign}\n{{{{ booking_link }}}}")],
                None,
            ),
            // The 8-step email + LinkedIn cadence (see `sequence::email_linkedin_cadence`).
            t(
                "email-bump",
                "bump",
                Channel::Email,
                &["re: {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nBumping this up in case it got buried: {{{{ proof_angle }}}}, and {{{{ company }}}} looks like a good fit. {{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "linkedin-message",
                "li-message",
                Channel::Linkedin,
                &[],
                &["Thanks for connecting, {{ first_name }}. I sent a note about {{ company }}'s Google reviews: {{ proof_angle }}. {{ cta | capitalize }}"],
                Some(1000),
            ),
            t(
                "linkedin-follow-up",
                "li-follow-up",
                Channel::Linkedin,
                &[],
                &["{{ first_name }}, one number for {{ company }}: {{ proof_angle }}. Happy to show how, or to leave it here."],
                Some(1000),
            ),
            t(
                "email-proof",
                "proof",
                Channel::Email,
                &["how a lot like {{ company }} did it"],
                &[&format!("Hi {{{{ first_name }}}},\n\n{{{{ proof_angle | capitalize }}}}. The work was simple: ask every buyer at delivery, answer every review within a day. {{{{ company }}}} could do the same in {{{{ city }}}}.\n\n{{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "email-breakup",
                "breakup",
                Channel::Email,
                &["closing the loop, {{ first_name }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nI'll stop here so I don't crowd your inbox. If {{{{ company }}}}'s reviews become a priority, the link is below.{sign}\n{{{{ booking_link }}}}")],
                None,
            ),
        ];
        // Tier 1 leads get a call brief that leans on the score's reasons.
        templates.push(MessageTemplate {
            id: "voice-brief-tier1".into(),
            tiers: vec![Tier::Tier1],
            body: vec!["Opening: \"{{ first_name }}, it's {{ sender_name }} from {{ sender_company }}; {{ company }} came up as one of the strongest lots in {{ city }}.\"\nPain: {{ pain }}.\nProof: {{ proof_angle }}.\nAsk: {{ cta }}\nVoicemail: name, the {{ rating }}-star rating, \"details by email.\"".into()],
            ..templates.iter().find(|t| t.id == "voice-brief").expect("voice brief").clone()
        });
        Self { templates }
    }
}

#[cfg(test)]
mod tests;
