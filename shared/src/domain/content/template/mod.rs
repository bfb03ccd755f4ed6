//! Message templates per tier, offer, sequence step and channel, rendered
//! with minijinja in strict mode (a missing variable is an error, never
//! "Hi {first_name}"); subject and body A/B variants assigned per lead by a
//! hash; the legal footer and RFC 8058 unsubscribe headers every email
//! carries; SMS segment limits and opt-out wording; voice call briefs.

mod defaults;
mod finishing;
pub mod headers;
use super::sms;
use crate::domain::dispatch::sequence::SequenceStep;
use crate::domain::lead::{Lead, Tier};
use crate::domain::signals::signature::sign_link;
use crate::domain::tenant::TenantConfig;
use crate::domain::touch::{Channel, Message};
pub use finishing::{
    call_facts, compliance_problem, core_text, finish, unfilled_placeholder, Finish,
};
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

#[cfg(test)]
mod tests;
