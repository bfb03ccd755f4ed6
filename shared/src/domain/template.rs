//! Message templates per step and channel, rendered with minijinja in strict
//! mode (a missing variable is an error, never "Hi {first_name}"), plus the
//! legal footer and unsubscribe headers every email carries.

use super::touch::{Channel, Message};
use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub id: String,
    pub step: u8,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateSet {
    pub templates: Vec<MessageTemplate>,
}

impl TemplateSet {
    /// The template for a step on a channel; a step that fell back to email
    /// uses that step's email template, else the generic follow-up.
    pub fn find(&self, step: u8, channel: Channel) -> Option<&MessageTemplate> {
        self.templates
            .iter()
            .find(|t| t.step == step && t.channel == channel)
            .or_else(|| {
                self.templates
                    .iter()
                    .find(|t| t.step == 0 && t.channel == channel)
            })
    }
}

impl Default for TemplateSet {
    fn default() -> Self {
        let t = |id: &str, step, channel, subject: Option<&str>, body: &str| MessageTemplate {
            id: id.into(),
            step,
            channel,
            subject: subject.map(str::to_string),
            body: body.into(),
        };
        Self {
            templates: vec![
                t(
                    "email-intro",
                    1,
                    Channel::Email,
                    Some("{{ company }}'s {{ review_count }} Google reviews"),
                    "Hi {{ first_name }},\n\nI was looking at {{ company }} in {{ city }}: a {{ rating }} rating across {{ review_count }} reviews. {{ pain | capitalize }}.\n\n{{ proof_angle | capitalize }}. {{ cta | capitalize }}\n\n{{ signature }}\n{{ booking_link }}",
                ),
                t(
                    "email-value",
                    4,
                    Channel::Email,
                    Some("an idea for {{ company }}"),
                    "Hi {{ first_name }},\n\nOne quick idea for {{ company }}: reply to every new review within a day; buyers in {{ city }} read the answers as much as the stars.\n\n{{ cta | capitalize }}\n\n{{ signature }}",
                ),
                t(
                    "email-follow-up",
                    0,
                    Channel::Email,
                    Some("following up, {{ first_name }}"),
                    "Hi {{ first_name }},\n\nFollowing up on my note about {{ company }}'s reviews. {{ cta | capitalize }}\n\n{{ signature }}",
                ),
                t(
                    "voice-brief",
                    2,
                    Channel::Voice,
                    None,
                    "Call {{ first_name }} at {{ company }} ({{ city }}). Opening: the {{ rating }} rating over {{ review_count }} reviews. Pain: {{ pain }}. Proof: {{ proof_angle }}. Ask: {{ cta }}",
                ),
                t(
                    "linkedin-connect",
                    3,
                    Channel::Linkedin,
                    None,
                    "Hi {{ first_name }}, I work with dealers around {{ city }} on their Google reviews. Would be glad to connect.",
                ),
                t(
                    "sms-nudge",
                    5,
                    Channel::Sms,
                    None,
                    "Hi {{ first_name }}, {{ sender_name }} here about {{ company }}'s reviews. Still worth a quick chat? {{ booking_link }} Reply STOP to opt out.",
                ),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("no template for step {step} on {channel}")]
    NoTemplate { step: u8, channel: Channel },
    #[error("template `{template}` {part}: {reason}")]
    Render {
        template: String,
        part: &'static str,
        reason: String,
    },
}

/// Everything a message needs to be legal and unsubscribable.
#[derive(Debug, Clone)]
pub struct Compliance {
    pub physical_address: String,
    pub sender_company: String,
    pub unsubscribe_url: String,
    pub unsubscribe_mailto: String,
}

fn render_one(
    env: &Environment<'_>,
    template_id: &str,
    part: &'static str,
    source: &str,
    vars: &BTreeMap<String, String>,
) -> Result<String, RenderError> {
    let err = |e: minijinja::Error| RenderError::Render {
        template: template_id.to_string(),
        part,
        reason: match e.kind() {
            minijinja::ErrorKind::UndefinedError => {
                format!("missing variable ({e}); the draft is blocked")
            }
            _ => e.to_string(),
        },
    };
    let out = env.render_str(source, vars).map_err(err)?;
    Ok(out)
}

/// Renders one message. Variables that are empty count as missing: a draft
/// never goes out with a hole in it.
pub fn render(
    template: &MessageTemplate,
    vars: &BTreeMap<String, String>,
    compliance: &Compliance,
) -> Result<Message, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let present: BTreeMap<String, String> = vars
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let subject = template
        .subject
        .as_deref()
        .map(|s| render_one(&env, &template.id, "subject", s, &present))
        .transpose()?;
    let mut body = render_one(&env, &template.id, "body", &template.body, &present)?;
    let mut headers = BTreeMap::new();
    if template.channel == Channel::Email {
        body.push_str(&format!(
            "\n\n--\n{}, {}\nDon't want these emails? Unsubscribe: {}",
            compliance.sender_company, compliance.physical_address, compliance.unsubscribe_url
        ));
        headers.insert(
            "List-Unsubscribe".to_string(),
            format!(
                "<{}>, <{}>",
                compliance.unsubscribe_url, compliance.unsubscribe_mailto
            ),
        );
        headers.insert(
            "List-Unsubscribe-Post".to_string(),
            "List-Unsubscribe=One-Click".to_string(),
        );
    }
    Ok(Message {
        subject,
        body,
        headers,
        template_id: template.id.clone(),
    })
}

/// Is a rendered email legal to send: footer address, unsubscribe link and
/// both RFC 8058 headers present?
pub fn compliance_problem(
    message: &Message,
    channel: Channel,
    compliance: &Compliance,
) -> Option<String> {
    if channel != Channel::Email {
        return None;
    }
    if !message.body.contains(&compliance.physical_address) {
        return Some("footer lacks the sender's physical address".into());
    }
    if !message.body.contains(&compliance.unsubscribe_url) {
        return Some("body lacks the unsubscribe link".into());
    }
    if !message.headers.contains_key("List-Unsubscribe") {
        return Some("missing List-Unsubscribe header".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn compliance() -> Compliance {
        Compliance {
            physical_address: "100 Example St, Austin TX".into(),
            sender_company: "Northwind".into(),
            unsubscribe_url: "https://u.example/unsubscribe/tok".into(),
            unsubscribe_mailto: "mailto:unsubscribe@u.example?subject=tok".into(),
        }
    }

    fn vars() -> BTreeMap<String, String> {
        [
            ("first_name", "Jo"),
            ("company", "Desert Motors"),
            ("city", "Phoenix"),
            ("rating", "3.6"),
            ("review_count", "48"),
            ("pain", "buyers compare reviews"),
            ("proof_angle", "dealers added 30 reviews"),
            ("cta", "worth a look?"),
            ("signature", "Sam"),
            ("booking_link", "https://b.example"),
            ("sender_name", "Sam"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn email_carries_footer_and_one_click_headers() {
        let set = TemplateSet::default();
        let m = render(set.find(1, Channel::Email).unwrap(), &vars(), &compliance()).unwrap();
        assert!(m.body.starts_with("Hi Jo,"));
        assert_eq!(compliance_problem(&m, Channel::Email, &compliance()), None);
        assert_eq!(
            m.subject.as_deref(),
            Some("Desert Motors's 48 Google reviews")
        );
    }

    #[test]
    fn a_missing_variable_blocks_the_draft() {
        let set = TemplateSet::default();
        let mut v = vars();
        v.insert("first_name".into(), "  ".into());
        let err = render(set.find(1, Channel::Email).unwrap(), &v, &compliance()).unwrap_err();
        assert!(err.to_string().contains("missing variable"), "{err}");
    }

    #[test]
    fn fallback_email_uses_generic_follow_up() {
        let set = TemplateSet::default();
        assert_eq!(set.find(2, Channel::Email).unwrap().id, "email-follow-up");
    }
}
