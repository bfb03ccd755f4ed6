//! Craft: renders every step of the lead's sequence from the tenant's
//! templates (strict variables, legal footer, unsubscribe link and headers),
//! and writes them as drafts waiting for an operator's approval.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::adapters::dynamo::Store;
pub use shared::domain::lead::LeadRef;
use shared::domain::lead::{Lead, LeadStatus};
use shared::domain::sequence::{plan_step, StepPlan};
use shared::domain::signature::sign_link;
use shared::domain::template::{compliance_problem, render, Compliance};
use shared::domain::tenant::TenantConfig;
use shared::domain::touch::{Message, Touch, TouchState};
use shared::edge::{parse_body, process_sqs};
use shared::error::{Error, Result};
use shared::ports::Clock;
use std::collections::BTreeMap;
use std::sync::Arc;

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
        let token = self.token(&lead.tenant, &lead.id);
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

pub struct App {
    pub store: Store,
    pub links: UnsubscribeLinks,
    pub clock: Arc<dyn Clock>,
}

/// The variables a template may use, from the lead, ICP, offer and sender.
pub fn variables(config: &TenantConfig, lead: &Lead) -> BTreeMap<String, String> {
    let pick = |list: &[String]| {
        if list.is_empty() {
            String::new()
        } else {
            // Deterministic per lead, so a re-craft gives the same draft.
            let i = lead.id.bytes().map(usize::from).sum::<usize>() % list.len();
            list[i].clone()
        }
    };
    let offer = config
        .offers
        .iter()
        .find(|o| Some(&o.id) == lead.offer.as_ref())
        .or(config.offers.first());
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    BTreeMap::from([
        ("first_name".into(), opt(&lead.first_name)),
        ("last_name".into(), opt(&lead.last_name)),
        ("company".into(), opt(&lead.company)),
        ("city".into(), opt(&lead.city)),
        (
            "rating".into(),
            lead.rating.map(|r| format!("{r:.1}")).unwrap_or_default(),
        ),
        (
            "review_count".into(),
            lead.reviews.map(|r| r.to_string()).unwrap_or_default(),
        ),
        ("pain".into(), pick(&config.icp.pains)),
        ("proof_angle".into(), pick(&config.icp.proof_angles)),
        (
            "cta".into(),
            offer.map(|o| o.cta.clone()).unwrap_or_default(),
        ),
        ("signature".into(), config.sender.signature.clone()),
        ("sender_name".into(), config.sender.name.clone()),
        ("booking_link".into(), config.sender.booking_link.clone()),
    ])
}

/// Drafts (or skip records, with reasons) for every step of the sequence.
pub fn draft_sequence(
    config: &TenantConfig,
    lead: &Lead,
    links: &UnsubscribeLinks,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Touch> {
    let vars = variables(config, lead);
    let compliance = links.compliance(config, lead);
    let mut touches: Vec<Touch> = config
        .sequence
        .iter()
        .map(|step| {
            let base = Touch {
                tenant: lead.tenant.clone(),
                lead_id: lead.id.clone(),
                step: step.step,
                day: step.day,
                channel: step.channel,
                fallback_from: None,
                state: TouchState::Skipped,
                recipient: String::new(),
                company_domain: lead.company_domain.clone(),
                lead_email: lead.email.clone(),
                lead_phone: lead.phone.clone(),
                timezone: lead.timezone.clone(),
                message: Message::default(),
                fingerprint: String::new(),
                due_at: None,
                attempt_id: None,
                lease_until: None,
                sent_at: None,
                provider_message_id: None,
                sender: None,
                sender_domain: None,
                end_reason: None,
                next_step: None,
                created_at: now,
            };
            match plan_step(step, lead, config) {
                StepPlan::Skip { reason } => Touch {
                    end_reason: Some(reason),
                    ..base
                },
                StepPlan::Send {
                    channel,
                    fallback_from,
                } => {
                    let rendered = config
                        .templates
                        .find(step.step, channel)
                        .ok_or(shared::domain::template::RenderError::NoTemplate {
                            step: step.step,
                            channel,
                        })
                        .and_then(|t| render(t, &vars, &compliance));
                    match rendered {
                        Ok(message) => match compliance_problem(&message, channel, &compliance) {
                            Some(problem) => Touch {
                                channel,
                                end_reason: Some(format!("draft blocked: {problem}")),
                                ..base
                            },
                            None => Touch {
                                channel,
                                fallback_from,
                                recipient: lead.address(channel),
                                state: TouchState::Draft,
                                fingerprint: message.fingerprint(),
                                message,
                                ..base
                            },
                        },
                        Err(e) => Touch {
                            channel,
                            end_reason: Some(format!("draft blocked: {e}")),
                            ..base
                        },
                    }
                }
            }
        })
        .collect();
    // Chain the sendable steps so each sent step can wake the next one.
    let sendable: Vec<u8> = touches
        .iter()
        .filter(|t| t.state == TouchState::Draft)
        .map(|t| t.step)
        .collect();
    for t in &mut touches {
        t.next_step = sendable.iter().copied().find(|s| *s > t.step);
    }
    touches
}

impl App {
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_sqs(event, |m| async move {
            self.craft(&parse_body::<LeadRef>(&m)?).await
        })
        .await
    }

    pub async fn craft(&self, msg: &LeadRef) -> Result<()> {
        let config = self.store.require_config(&msg.tenant).await?;
        for _ in 0..5 {
            let Some(mut lead) = self.store.lead(&msg.tenant, &msg.lead_id).await? else {
                return Err(Error::NotFound(format!("lead {}", msg.lead_id)));
            };
            if lead.status != LeadStatus::Scored {
                return Ok(());
            }
            let now = self.clock.now();
            let touches = draft_sequence(&config, &lead, &self.links, now);
            if self.store.put_sequence(&mut lead, &touches, now).await? {
                return Ok(());
            }
            // Lost a race: either another delivery crafted it (status moved
            // on, so the next read returns) or the lead changed; read again.
        }
        Err(Error::Conflict(format!(
            "lead {} kept changing while crafting",
            msg.lead_id
        )))
    }
}
