//! Campaigns running side by side on the local stack: one lead is reached
//! by one campaign, a paused campaign holds while the others send, shares
//! never pass the tenant's caps under concurrent ticks, and the attempts
//! warning moves a lead to nurture while the cap ends it.

use integration_tests::*;
use serde_json::{json, Value};
use shared::domain::lead::Lead;
use shared::domain::tenant::{Mailbox, TenantConfig};
use shared::domain::touch::TouchState;
use shared::ports::Clock;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

type Stack = local_stack::runner::LocalStack;

async fn send(ls: &mut Stack, auth: &str, method: &str, path: &str, body: &Value) -> Value {
    let r = ls
        .http(method, path, &[("authorization", auth)], &body.to_string())
        .await;
    assert!(
        r.status < 300,
        "{method} {path} {body}: {} {}",
        r.status,
        r.body
    );
    r.json()
}

/// Makes and activates a campaign from the default target, changed by `edit`.
async fn campaign(ls: &mut Stack, auth: &str, id: &str, edit: impl FnOnce(&mut Value)) {
    let tenant = tenant_of(auth, ls).await;
    let config = ls.store.require_config(&tenant).await.unwrap();
    let mut body = json!({"id": id, "name": id, "target": config.icp});
    body["target"]["primary"] = json!(false);
    edit(&mut body);
    send(ls, auth, "POST", "/admin/campaigns", &body).await;
    send(
        ls,
        auth,
        "POST",
        &format!("/admin/campaigns/{id}/activate"),
        &json!({}),
    )
    .await;
}

async fn tenant_of(auth: &str, ls: &mut Stack) -> String {
    let r = ls
        .http("GET", "/admin/config", &[("authorization", auth)], "")
        .await;
    r.json()["tenant"].as_str().unwrap().to_string()
}

/// Med spas: the same shape as `csv`'s dealers, another industry.
fn spas(prefix: &str, n: usize) -> String {
    let mut out = String::from("first_name,email,title,company,website,city,state,country,industry,employees,rating,reviews,gbp,review_response_rate,notes\n");
    for i in 0..n {
        out.push_str(&format!(
            "Ana{i},ana@{prefix}{i}.example,Owner,Spa {i},https://{prefix}{i}.example,Tempe,AZ,US,Med spa,8,3.7,40,yes,10%,day spa\n"
        ));
    }
    out
}

async fn leads(ls: &Stack, tenant: &str) -> Vec<Lead> {
    ls.store.leads(tenant).await.unwrap()
}

/// (lead, step) of every send in the outbox, each once.
async fn sends_once(ls: &Stack, tenant: &str) -> Vec<(String, u8)> {
    let outbox = ls.store.outbox(tenant).await.unwrap();
    let mut seen = BTreeSet::new();
    for e in &outbox {
        assert!(
            seen.insert((e.lead_id.clone(), e.step)),
            "step {} of {} sent twice",
            e.step,
            e.lead_id
        );
    }
    seen.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_matching_two_campaigns_is_reached_by_one_and_its_reasons_name_both() {
    let mut ls = stack("camp-two", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "two", |_| {}).await;
    // GIVEN a second active campaign aimed at the same dealers, and one at
    // med spas
    campaign(&mut ls, &auth, "lots", |b| {
        b["name"] = json!("Independent lots")
    })
    .await;
    campaign(&mut ls, &auth, "spas", |b| {
        b["target"]["industries"] = json!(["med spa"]);
        b["target"]["sub_industries"] = json!(["day spa"]);
    })
    .await;
    import(&mut ls, &auth, &csv(&emails("d", 4, "AZ"))).await;
    import(&mut ls, &auth, &spas("s", 2)).await;
    ls.drain().await.unwrap();

    // THEN every lead was scored against all three, with reasons naming
    // each; the dealers tie between the default and `lots`, and the
    // primary ICP's campaign wins; the spas go to theirs
    for lead in leads(&ls, "two").await {
        assert_eq!(lead.campaign_scores.len(), 3, "{lead:?}");
        for id in ["default", "lots", "spas"] {
            assert!(
                lead.reasons
                    .iter()
                    .any(|r| r.reason.starts_with(&format!("campaign {id} "))),
                "{:?} does not name {id}",
                lead.reasons
            );
        }
        let spa = lead.industry.as_deref() == Some("Med spa");
        let want = if spa { "spas" } else { "default" };
        assert_eq!(lead.campaign.as_deref(), Some(want), "{:?}", lead.reasons);
        let scores: BTreeMap<&str, u8> = lead
            .campaign_scores
            .iter()
            .map(|s| (s.campaign.as_str(), s.score))
            .collect();
        if !spa {
            assert_eq!(
                scores["default"], scores["lots"],
                "a tie, won by the primary"
            );
        }
    }

    // WHEN everything is approved and three weeks run
    approve_all(&mut ls, &auth).await;
    let end = ls.now() + chrono::Duration::days(14);
    ls.run_until(end).await.unwrap();

    // THEN each lead heard only from its campaign, each step once
    let sent = sends_once(&ls, "two").await;
    assert!(sent.len() >= 12, "{} sends", sent.len());
    for lead in leads(&ls, "two").await {
        let touches = ls.store.touches("two", &lead.id).await.unwrap();
        let campaigns: BTreeSet<Option<String>> =
            touches.iter().map(|t| t.campaign.clone()).collect();
        assert_eq!(campaigns.len(), 1, "{}: {campaigns:?}", lead.id);
        assert_eq!(campaigns.into_iter().next().unwrap(), lead.campaign);
        assert!(touches.iter().any(|t| t.state == TouchState::Sent));
    }
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_campaign_stops_at_the_next_tick_while_the_other_sends_and_resumes_without_doubles(
) {
    let mut ls = stack("camp-pause", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "pz", |_| {}).await;
    campaign(&mut ls, &auth, "spas", |b| {
        b["target"]["industries"] = json!(["med spa"]);
        b["preset"] = json!("email_24_7");
        b["windows"] = json!({"policy": "email_24_7"});
    })
    .await;
    import(&mut ls, &auth, &csv(&emails("d", 3, "NY"))).await;
    import(&mut ls, &auth, &spas("s", 3)).await;
    approve_all(&mut ls, &auth).await;
    let is_spa = |l: &Lead| l.campaign.as_deref() == Some("spas");
    let all = leads(&ls, "pz").await;
    assert_eq!(all.iter().filter(|l| is_spa(l)).count(), 3);

    // WHEN the spa campaign is paused with its first steps due
    send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns/spas/pause",
        &json!({}),
    )
    .await;
    // THEN a reservation made on a read from before the pause is refused
    let now = ls.now();
    let mut page = Vec::new();
    for shard in 0..ls.store.shards() {
        page.extend(ls.store.due_page(shard, now, 50).await.unwrap().touches);
    }
    let (touch, due_sk) = page
        .iter()
        .find(|(t, _)| t.campaign.as_deref() == Some("spas"))
        .cloned()
        .expect("a due spa touch");
    let lead = ls.store.lead("pz", &touch.lead_id).await.unwrap().unwrap();
    let day = now.date_naive();
    let refused = ls
        .store
        .reserve(&shared::store::ReserveRequest {
            touch: &touch,
            due_sk: &due_sk,
            attempt_id: "race-1",
            sender: &shared::domain::dispatch::caps::SenderChoice {
                identity: "x@pz-mail.example.com".into(),
                domain: Some("pz-mail.example.com".into()),
            },
            caps: &[],
            day,
            lease_until: now + chrono::Duration::minutes(5),
            at: now,
            lead_version: lead.version,
            suppression: &[],
            claims: &[],
            via: "shadow",
            desk: None,
        })
        .await
        .unwrap();
    assert_eq!(refused, shared::store::Reservation::CampaignStopped);
    // AND the next tick sends the dealers and holds the spas
    let tick = ls.tick().await.unwrap();
    assert_eq!(tick.sent, 3, "{tick:?}");
    assert_eq!(tick.blocked, 3, "{tick:?}");
    let spa_ids: BTreeSet<String> = all
        .iter()
        .filter(|l| is_spa(l))
        .map(|l| l.id.clone())
        .collect();
    let spa_sends = |s: &[(String, u8)]| s.iter().filter(|(l, _)| spa_ids.contains(l)).count();
    assert_eq!(spa_sends(&sends_once(&ls, "pz").await), 0);
    // AND they leave the head of the due index, looked at again later
    let tick = ls.tick().await.unwrap();
    assert_eq!((tick.sent, tick.due), (0, 0), "{tick:?}");
    ls.clock.advance(chrono::Duration::minutes(10));
    let tick = ls.tick().await.unwrap();
    assert_eq!((tick.sent, tick.blocked), (0, 3), "{tick:?}");
    let held = ls.store.touches("pz", &touch.lead_id).await.unwrap();
    assert_eq!(held[0].state, TouchState::Due);
    assert_eq!(
        held[0].wait_reason.as_deref(),
        Some("campaign spas is paused")
    );

    // WHEN it is resumed
    send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns/spas/resume",
        &json!({}),
    )
    .await;
    ls.clock.advance(chrono::Duration::minutes(10));
    let tick = ls.tick().await.unwrap();
    // THEN its touches go within the recheck, from where they stopped
    assert_eq!(tick.sent, 3, "{tick:?}");
    let end = ls.now() + chrono::Duration::days(14);
    ls.run_until(end).await.unwrap();
    let sent = sends_once(&ls, "pz").await;
    let spa_steps: BTreeMap<String, Vec<u8>> = sent
        .iter()
        .filter(|(l, _)| spa_ids.contains(l))
        .fold(BTreeMap::new(), |mut m, (l, s)| {
            m.entry(l.clone()).or_insert_with(Vec::new).push(*s);
            m
        });
    for (lead, steps) in &spa_steps {
        assert_eq!(
            steps,
            &vec![1, 2, 3, 4],
            "{lead}: every step once, in order"
        );
    }
    assert_eq!(spa_steps.len(), 3);
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_shares_never_pass_the_tenant_domain_or_mailbox_caps_under_concurrent_ticks() {
    let mut ls = stack("camp-share", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "sh", |c: &mut TenantConfig| {
        let first = c.mailboxes[0].clone();
        for name in ["b", "c"] {
            c.mailboxes.push(Mailbox {
                address: format!("{name}@{}", first.domain),
                ..first.clone()
            });
        }
        c.caps.email_per_mailbox = 10;
        c.caps.email_per_tenant = 25;
        c.approval.auto_enroll = false;
    })
    .await;
    // GIVEN two campaigns whose shares together (2 x 15) pass the tenant's
    // cap (25), one for New York dealers and one for Texas, 20 leads each,
    // and the default campaign archived
    send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns/default/archive",
        &json!({}),
    )
    .await;
    for (id, state) in [("north", "NY"), ("south", "TX")] {
        campaign(&mut ls, &auth, id, |b| {
            b["daily_share"] = json!(15);
            b["preset"] = json!("email_24_7");
            b["windows"] = json!({"policy": "email_24_7"});
            b["target"]["us_states"] = json!([state]);
        })
        .await;
    }
    let mut rows = emails("n", 20, "NY");
    rows.extend(emails("s", 20, "TX"));
    import(&mut ls, &auth, &csv(&rows)).await;
    ls.drain().await.unwrap();
    let all = leads(&ls, "sh").await;
    for (id, state) in [("north", "NY"), ("south", "TX")] {
        let n = all
            .iter()
            .filter(|l| l.campaign.as_deref() == Some(id) && l.state.as_deref() == Some(state))
            .count();
        assert_eq!(
            n, 20,
            "{id}: the campaign whose target names the state wins"
        );
    }
    // AND a lead in one campaign cannot be put in the other while it runs
    let north_lead = all
        .iter()
        .find(|l| l.campaign.as_deref() == Some("north"))
        .unwrap();
    let answer = send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns/south/enroll",
        &json!({ "leads": [north_lead.id] }),
    )
    .await;
    assert_eq!(answer["enrolled"], json!([]), "{answer}");
    assert!(
        answer["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("in campaign north while it runs"),
        "{answer}"
    );
    approve_all(&mut ls, &auth).await;

    // WHEN eight ticks run at once
    let clock: Arc<dyn Clock> = Arc::new(ls.clock.clone());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let app = dispatch_tick::App::new(ls.store.clone(), clock.clone());
            tokio::spawn(async move { app.tick().await.unwrap() })
        })
        .collect();
    let reports = futures::future::join_all(handles).await;
    let sent: u32 = reports.into_iter().map(|r| r.unwrap().sent).sum();

    // THEN the tenant's cap is the limit, and no mailbox or share passed
    // its own
    let outbox = ls.store.outbox("sh").await.unwrap();
    assert_eq!(sent as usize, outbox.len());
    assert_eq!(outbox.len(), 25, "the tenant cap binds first");
    let campaign_of: BTreeMap<String, String> = leads(&ls, "sh")
        .await
        .into_iter()
        .map(|l| (l.id, l.campaign.unwrap_or_default()))
        .collect();
    let mut per_mailbox: BTreeMap<String, u32> = BTreeMap::new();
    let mut per_campaign: BTreeMap<String, u32> = BTreeMap::new();
    for e in &outbox {
        *per_mailbox.entry(e.sender.clone()).or_default() += 1;
        *per_campaign
            .entry(campaign_of[&e.lead_id].clone())
            .or_default() += 1;
    }
    println!("concurrent campaign sends: by mailbox {per_mailbox:?}, by campaign {per_campaign:?}");
    assert!(per_mailbox.values().all(|n| *n <= 10), "{per_mailbox:?}");
    assert!(per_campaign.values().all(|n| *n <= 15), "{per_campaign:?}");
    let counters: BTreeMap<String, u32> = ls
        .store
        .counters(
            "sh",
            ls.now()
                .with_timezone(&chrono_tz::America::New_York)
                .date_naive(),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|(scope, used, _)| (scope, used))
        .collect();
    assert_eq!(counters["email#tenant"], 25, "{counters:?}");
    assert_eq!(
        counters["campaign#north"] + counters["campaign#south"],
        25,
        "{counters:?}"
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attempts_warning_moves_a_lead_to_nurture_and_the_cap_ends_it() {
    let mut ls = stack("camp-nurture", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "nu", |_| {}).await;
    // GIVEN a tenant whose only campaign is archived: a new lead waits
    send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns/default/archive",
        &json!({}),
    )
    .await;
    import(&mut ls, &auth, &csv(&emails("w", 1, "NY"))).await;
    ls.drain().await.unwrap();
    let lead = leads(&ls, "nu").await.remove(0);
    let id = lead.id.clone();
    assert_eq!(lead.status, shared::domain::lead::LeadStatus::Held);
    assert_eq!(lead.campaign, None);
    // WHEN a campaign with a nurture track starts and the operator puts
    // the lead in it
    campaign(&mut ls, &auth, "warm", |b| {
        b["preset"] = json!("default_5_step");
        b["nurture"] = json!("email_24_7");
        b["windows"] = json!({"policy": "email_24_7"});
    })
    .await;
    let answer = send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns/warm/enroll",
        &json!({"leads": [id]}),
    )
    .await;
    assert_eq!(answer["enrolled"], json!([id]), "{answer}");
    let lead = ls.store.lead("nu", &id).await.unwrap().unwrap();
    assert!(lead.campaign_pinned);
    assert_eq!(lead.campaign.as_deref(), Some("warm"));
    approve_all(&mut ls, &auth).await;
    let touches = ls.store.touches("nu", &id).await.unwrap();
    let steps: Vec<u8> = touches.iter().map(|t| t.step).collect();
    assert!(
        steps.contains(&101),
        "the nurture track is drafted with it: {steps:?}"
    );

    // GIVEN a lead one attempt short of the warning (200)
    let mut lead = ls.store.lead("nu", &id).await.unwrap().unwrap();
    lead.attempts = 199;
    assert!(ls
        .store
        .save_lead(&mut lead, "test", "199 attempts", ls.now())
        .await
        .unwrap());
    // WHEN its first step is sent
    let tick = ls.tick().await.unwrap();
    assert_eq!(tick.sent, 1, "{tick:?}");
    // THEN it is flagged, the rest of its sequence is cancelled and the
    // nurture track's first step is due
    let lead = ls.store.lead("nu", &id).await.unwrap().unwrap();
    assert_eq!(lead.attempts, 200);
    assert!(lead.attempts_exceeded_200);
    let by_step: BTreeMap<u8, TouchState> = ls
        .store
        .touches("nu", &id)
        .await
        .unwrap()
        .iter()
        .map(|t| (t.step, t.state))
        .collect();
    assert_eq!(by_step[&1], TouchState::Sent);
    for step in by_step.keys().filter(|s| (2..100).contains(*s)) {
        assert!(
            matches!(by_step[step], TouchState::Cancelled | TouchState::Skipped),
            "{by_step:?}"
        );
    }
    assert_eq!(by_step[&101], TouchState::Due, "{by_step:?}");
    let tick = ls.tick().await.unwrap();
    assert_eq!(tick.sent, 1, "nurture step 101: {tick:?}");

    // WHEN it reaches the cap (500)
    let mut lead = ls.store.lead("nu", &id).await.unwrap().unwrap();
    lead.attempts = 500;
    assert!(ls
        .store
        .save_lead(&mut lead, "test", "500 attempts", ls.now())
        .await
        .unwrap());
    let end = ls.now() + chrono::Duration::days(8);
    ls.run_until(end).await.unwrap();
    // THEN nothing more goes out: the next nurture step ends the sequence
    let touches = ls.store.touches("nu", &id).await.unwrap();
    let sent: Vec<u8> = touches
        .iter()
        .filter(|t| t.state == TouchState::Sent)
        .map(|t| t.step)
        .collect();
    assert_eq!(sent, vec![1, 101]);
    let ended = touches.iter().find(|t| t.step == 102).unwrap();
    assert_eq!(ended.state, TouchState::Cancelled);
    assert!(
        ended
            .end_reason
            .as_deref()
            .unwrap_or("")
            .contains("max attempts (500)"),
        "{:?}",
        ended.end_reason
    );
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_reached_in_one_campaign_is_not_enrolled_in_another() {
    let mut ls = stack("camp-claim", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "cl", |_| {}).await;
    send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns/default/archive",
        &json!({}),
    )
    .await;
    for (id, state) in [("north", "NY"), ("south", "TX")] {
        campaign(&mut ls, &auth, id, |b| {
            b["target"]["us_states"] = json!([state]);
        })
        .await;
    }
    // GIVEN one person on two lists: two emails, one direct line, one lead
    // in New York and one in Texas
    let mut rows = emails("p", 1, "NY");
    rows.extend(emails("q", 1, "TX"));
    for r in &mut rows {
        r.phone = Some("+12125550142");
    }
    import(&mut ls, &auth, &csv(&rows)).await;
    ls.drain().await.unwrap();
    // THEN one campaign has them, the other is refused and says why
    let all = leads(&ls, "cl").await;
    let queued: Vec<&Lead> = all
        .iter()
        .filter(|l| l.status == shared::domain::lead::LeadStatus::Queued)
        .collect();
    let held: Vec<&Lead> = all
        .iter()
        .filter(|l| l.status == shared::domain::lead::LeadStatus::Held)
        .collect();
    assert_eq!((queued.len(), held.len()), (1, 1), "{all:?}");
    let why = held[0].stop_reason.as_deref().unwrap_or("");
    assert!(
        why.contains("phone#+12125550142 is being reached by lead")
            && why.contains(&format!(
                "in campaign {}",
                queued[0].campaign.as_deref().unwrap()
            )),
        "{why}"
    );
    assert!(ls
        .store
        .touches("cl", &held[0].id)
        .await
        .unwrap()
        .is_empty());
    ls.cleanup().await;
}
