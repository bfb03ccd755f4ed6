//! Working the queue: drafts with their evidence (edit, approve, reject),
//! batches with their frozen scope, and the inbox of replies.

use super::*;
use shared::domain::signals::replies::ReplyClass;
use shared::domain::signals::ReplyNote;
use shared::domain::touch::Touch;

/// Drafts on one page of the queue: each is read whole (body, guard,
/// notes) with its lead, and an approver works them one at a time.
const DRAFTS_PAGE: usize = 20;

impl App {
    pub(super) async fn approvals(
        &self,
        who: &Who,
        form: &Form,
        _req: &ApiGatewayV2httpRequest,
    ) -> Result<Response> {
        let campaign = form.opt("campaign");
        let tier = tier_of(form)?;
        let page = self
            .store
            .drafts_page(
                &who.tenant,
                campaign.as_deref(),
                tier,
                DRAFTS_PAGE,
                cursor(form).as_ref(),
            )
            .await?;
        let ids: Vec<String> = page.items.iter().map(|d| d.lead_id.clone()).collect();
        let leads: BTreeMap<String, shared::domain::lead::Lead> = self
            .store
            .leads_by_id(&who.tenant, &ids)
            .await?
            .into_iter()
            .map(|l| (l.id.clone(), l))
            .collect();
        let drafts: Vec<Value> = page
            .items
            .iter()
            .map(|d| {
                let mut v = drafts::draft_json(d);
                v["campaign"] = json!(d.campaign);
                let lead = leads.get(&d.lead_id);
                v["lead"] = json!({
                    "company": lead.and_then(|l| l.company.clone()),
                    "email": lead.and_then(|l| l.email.clone()),
                    "score": lead.and_then(|l| l.score),
                });
                v["evidence"] = json!(evidence(d, lead));
                v["reasons"] = json!(lead
                    .map(|l| l
                        .reasons
                        .iter()
                        .map(|r| format!("{:+} {}", r.points, r.reason))
                        .collect::<Vec<_>>())
                    .unwrap_or_default());
                v["tier"] = json!(d.tier.map(|t| t.label()));
                v
            })
            .collect();
        let campaigns = self.campaign_ids(who).await?;
        self.page(
            who,
            "approvals.html",
            "approvals",
            "Approval queue",
            json!({"drafts": drafts, "next": page.next.map(|c| c.0), "campaigns": campaigns,
                   "filter": {"campaign": campaign.unwrap_or_default(), "tier": form.get("tier")}}),
        )
        .await
    }

    /// The tenant's campaign ids, for the filters.
    pub(crate) async fn campaign_ids(&self, who: &Who) -> Result<Vec<String>> {
        Ok(self
            .store
            .campaigns(&who.tenant, self.clock.now())
            .await?
            .into_iter()
            .map(|(c, _)| c.id.as_str().to_string())
            .collect())
    }

    /// Freezes the drafts in view (campaign, tier, at most `limit` leads)
    /// into a batch, then shows it for approval.
    pub(super) async fn prepare_batch(
        &self,
        who: &Who,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::ApproveDrafts)?;
        let limit: usize = form
            .opt("limit")
            .map(|l| {
                l.parse()
                    .map_err(|_| Error::invalid("limit", format!("{l:?} is not a number")))
            })
            .transpose()?
            .unwrap_or(50)
            .clamp(1, 500);
        let mut body = json!({"limit": limit});
        if let Some(t) = tier_of(form)? {
            body["tiers"] = json!([format!("tier{t}")]);
        }
        if let Some(c) = form.opt("campaign") {
            let page = self
                .store
                .drafts_page(&who.tenant, Some(&c), None, 500, None)
                .await?;
            let ids: Vec<String> = page.items.iter().map(|d| d.lead_id.clone()).collect();
            body["lead_ids"] = json!(ids);
        }
        let v = self.call(who, "POST", &["batches"], body, req, now).await?;
        let id = v["batch_id"].as_str().unwrap_or_default().to_string();
        Ok(http::redirect(&format!("/console/batches/{id}")))
    }

    pub(super) async fn batch_page(
        &self,
        who: &Who,
        id: &str,
        result: Option<String>,
        _req: &ApiGatewayV2httpRequest,
    ) -> Result<Response> {
        let batch = self
            .store
            .batch(&who.tenant, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("batch {id}")))?;
        self.page(
            who,
            "batch.html",
            "approvals",
            &format!("Batch {id}"),
            json!({"batch": batch, "result": result}),
        )
        .await
    }

    pub(super) async fn approve_batch_page(
        &self,
        who: &Who,
        id: &str,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::ApproveDrafts)?;
        let v = self
            .call(
                who,
                "POST",
                &["batches", id, "approve"],
                Value::Null,
                req,
                now,
            )
            .await?;
        let result = format!(
            "Approved {} drafts of {} leads; {} due now.",
            v["approved"], v["leads"], v["due_now"]
        );
        self.batch_page(who, id, Some(result), req).await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn draft_action(
        &self,
        who: &Who,
        lead: &str,
        step: &str,
        action: &str,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        match action {
            "approve" => {
                who.require(Action::ApproveDrafts)?;
                self.call(
                    who,
                    "POST",
                    &["drafts", lead, step, "approve"],
                    Value::Null,
                    req,
                    now,
                )
                .await?;
            }
            "reject" => {
                who.require(Action::ApproveDrafts)?;
                let reason = form.opt("reason").ok_or_else(|| {
                    Error::invalid(
                        "reason",
                        "say why the draft is rejected: the redraft reads it",
                    )
                })?;
                self.call(
                    who,
                    "POST",
                    &["drafts", lead, step, "reject"],
                    json!({"reason": reason}),
                    req,
                    now,
                )
                .await?;
            }
            "edit" => {
                who.require(Action::EditDrafts)?;
                let mut body = json!({"body": form.get("body")});
                if form.fields.contains_key("subject") {
                    body["subject"] = json!(form.get("subject"));
                }
                if let Some(fp) = form.opt("fingerprint") {
                    body["fingerprint"] = json!(fp);
                }
                self.call(who, "PUT", &["drafts", lead, step], body, req, now)
                    .await?;
            }
            other => return Err(Error::NotFound(format!("no draft action {other}"))),
        }
        Ok(http::redirect("/console/approvals"))
    }

    pub(super) async fn inbox(
        &self,
        who: &Who,
        form: &Form,
        _req: &ApiGatewayV2httpRequest,
    ) -> Result<Response> {
        let status = form.opt("status").unwrap_or_else(|| "replied".into());
        let filter = shared::store::LeadFilter {
            status: Some(status.clone()),
            ..Default::default()
        };
        let page = self
            .store
            .leads_filtered(&who.tenant, &filter, PAGE, cursor(form).as_ref())
            .await?;
        self.page(
            who,
            "inbox.html",
            "inbox",
            "Inbox",
            json!({"leads": page.items, "next": page.next.map(|c| c.0), "status": status}),
        )
        .await
    }

    /// One click: booked, not interested or wrong person, applied as the
    /// signal a provider would send, so every rule downstream runs.
    pub(super) async fn mark_outcome(
        &self,
        who: &Who,
        lead: &str,
        form: &Form,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::MarkLeadOutcome)?;
        if self.store.lead(&who.tenant, lead).await?.is_none() {
            return Err(Error::NotFound(format!("lead {lead}")));
        }
        let outcome = form.get("outcome");
        let (kind, reply) = match outcome {
            "booked" => (SignalKind::Booked, None),
            "not_interested" => (SignalKind::CallClosed, None),
            "wrong_person" => (
                SignalKind::Replied,
                Some(ReplyNote {
                    class: ReplyClass::WrongPerson,
                    evidence: format!("marked by {}", who.op.login),
                    return_date: None,
                    referral_email: None,
                }),
            ),
            other => {
                return Err(Error::invalid(
                    "outcome",
                    format!("{other:?} is not booked, not_interested or wrong_person"),
                ))
            }
        };
        let signal = Signal {
            provider: "console".into(),
            event_id: format!("console:{lead}:{outcome}:{}", now.timestamp()),
            kind,
            tenant: who.tenant.clone(),
            lead_id: Some(lead.to_string()),
            occurred_at: now,
            detail: format!("{outcome} (marked by {})", who.op.login),
            reply,
            ..Signal::default()
        };
        apply_signal(&self.store, self.bus.as_ref(), &signal, None, "", now).await?;
        self.store
            .audit(
                &who.tenant,
                &actor(),
                "mark_outcome",
                &format!("{lead}: {outcome}"),
                now,
            )
            .await?;
        Ok(http::redirect(&format!("/console/leads/{lead}")))
    }
}

/// The `tier` filter (1, 2 or 3), if set.
fn tier_of(form: &Form) -> Result<Option<u8>> {
    match form.opt("tier").as_deref() {
        None => Ok(None),
        Some(t @ ("1" | "2" | "3")) => Ok(t.parse().ok()),
        Some(other) => Err(Error::invalid(
            "tier",
            format!("{other:?} is not 1, 2 or 3"),
        )),
    }
}

/// What the approver checks the draft against: the facts the guard found
/// in the text and the lead's own.
fn evidence(d: &Touch, lead: Option<&shared::domain::lead::Lead>) -> Vec<String> {
    let mut out: Vec<String> = d
        .guard
        .as_ref()
        .map(|g| g.evidence.clone())
        .unwrap_or_default();
    if let Some(l) = lead {
        let facts = [
            ("industry", l.industry.clone()),
            ("city", l.city.clone()),
            ("rating", l.rating.map(|r| format!("{r:.1}"))),
            ("reviews", l.reviews.map(|r| r.to_string())),
            ("employees", l.employees.map(|e| e.to_string())),
            ("title", l.title.clone()),
            ("enrichment", l.enrichment.clone()),
        ];
        for (k, v) in facts {
            if let Some(v) = v {
                out.push(format!("{k}: {v}"));
            }
        }
    }
    out
}
