//! Gatekeeping end to end on the local emulators: auto-enrolment of the
//! tiers a tenant trusts, ramp mode's first days, and the 8-step email +
//! LinkedIn cadence with its send-time connection check. The AI writer
//! and A/B variants are in `writer.rs`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use integration_tests::*;
use local_stack::runner::LocalStack;
use serde_json::json;
use shared::domain::dispatch::sequence::email_linkedin_cadence;
use shared::domain::lead::Tier;
use shared::domain::touch::{Channel, TouchState};
use std::collections::BTreeSet;

/// Why the dispatcher last put a due touch off (on the touch, as
/// `GET /admin/leads/{id}` shows it).
async fn wait_reason(ls: &LocalStack, tenant: &str, lead: &str, step: u8) -> Option<String> {
    ls.store
        .touch(tenant, lead, step)
        .await
        .unwrap()
        .expect("touch")
        .wait_reason
}

/// The tenant's shadow outbox as `(lead_id, step, channel, sent_at)`.
async fn outbox(ls: &mut LocalStack, auth: &str) -> Vec<(String, u8, String, DateTime<Utc>)> {
    get(ls, auth, "/admin/outbox").await["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["lead_id"].as_str().unwrap().to_string(),
                e["step"].as_u64().unwrap() as u8,
                e["channel"].as_str().unwrap().to_string(),
                e["sent_at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// One lead row with the signals scoring reads, and an email status.
struct Person<'a> {
    email: &'a str,
    title: &'a str,
    rating: &'a str,
    reviews: &'a str,
    email_status: &'a str,
}

/// A CSV like `support::csv`'s, with a title, rating, review count and
/// email status per row. Owner / 3.6 / 48 / unknown scores 97 (tier 1);
/// a sales associate at 4.8 stars over 300 reviews scores 67 (tier 2).
fn people_csv(rows: &[Person<'_>]) -> String {
    let mut out = String::from("first_name,email,email_status,title,company,website,city,state,country,industry,employees,rating,reviews,gbp,review_response_rate,notes\n");
    for (i, p) in rows.iter().enumerate() {
        let domain = p.email.split('@').nth(1).unwrap();
        out.push_str(&format!(
            "Jo{i},{},{},{},Dealer {i},https://{domain},Springfield,NY,US,Used car dealer,12,{},{},yes,10%,independent lot\n",
            p.email, p.email_status, p.title, p.rating, p.reviews
        ));
    }
    out
}

fn owner(email: &str) -> Person<'_> {
    Person {
        email,
        title: "Owner",
        rating: "3.6",
        reviews: "48",
        email_status: "",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_enroll_approves_only_allowed_tiers_with_a_usable_email() {
    // GIVEN a tenant that auto-enrols tier 1
    let mut ls = stack("gate-auto", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "auto", |c| {
        c.approval.auto_enroll = true;
        c.approval.auto_enroll_tiers = vec![Tier::Tier1];
    })
    .await;
    // AND two tier-1 dealers, a tier-2 one, and a tier-1 one whose email is
    // known to be invalid
    let rows = [
        owner("a0@a0.example"),
        owner("a1@a1.example"),
        Person {
            email: "t2@t2.example",
            title: "Sales associate",
            rating: "4.8",
            reviews: "300",
            email_status: "",
        },
        Person {
            email_status: "invalid",
            ..owner("bad@bad.example")
        },
    ];
    let report = import(&mut ls, &auth, &people_csv(&rows)).await;
    assert_eq!(
        (&report["created"], &report["error_count"]),
        (&json!(4), &json!(0)),
        "{report}"
    );
    let id = |e: &str| lead_id("auto", e);
    let (a0, a1, t2, bad) = (
        id("a0@a0.example"),
        id("a1@a1.example"),
        id("t2@t2.example"),
        id("bad@bad.example"),
    );

    // WHEN the pipeline runs
    ls.drain().await.unwrap();

    // THEN the premise holds: tiers as intended
    for (lead, tier) in [
        (&a0, Tier::Tier1),
        (&a1, Tier::Tier1),
        (&t2, Tier::Tier2),
        (&bad, Tier::Tier1),
    ] {
        let l = ls.store.lead("auto", lead).await.unwrap().unwrap();
        assert_eq!(l.tier, Some(tier), "{lead}: score {:?}", l.score);
    }
    // AND the usable tier-1 leads are approved without an operator: step 1
    // due now, the later steps planned behind it
    use TouchState::{Draft, Due, Planned};
    for lead in [&a0, &a1] {
        assert_eq!(
            states(&ls, "auto", lead).await,
            vec![Due, Planned, Planned, Planned, Planned],
            "{lead}"
        );
        let step1 = ls.store.touch("auto", lead, 1).await.unwrap().unwrap();
        assert_eq!(step1.due_at, Some(at(IN_WINDOW)));
    }
    // AND the tier-2 lead and the invalid email stay drafts for a person
    for lead in [&t2, &bad] {
        assert_eq!(states(&ls, "auto", lead).await, vec![Draft; 5], "{lead}");
    }
    let drafts = get(&mut ls, &auth, "/admin/drafts").await;
    let waiting: BTreeSet<&str> = drafts["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["lead_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        waiting,
        BTreeSet::from([t2.as_str(), bad.as_str()]),
        "{drafts}"
    );
    assert_eq!(drafts["drafts"].as_array().unwrap().len(), 10);
    // AND the audit trail says who approved what, with no batch involved
    let trail = audit(&mut ls, &auth).await;
    let auto: Vec<&(String, String, String)> =
        trail.iter().filter(|a| a.0 == "auto_enroll").collect();
    assert_eq!(auto.len(), 2, "{trail:?}");
    for lead in [&a0, &a1] {
        let detail = format!("lead {lead}: 5 of 5 drafts approved without an operator");
        assert!(
            auto.iter()
                .any(|a| a.1 == "drafts_approved" && a.2 == detail),
            "{detail:?} not in {auto:?}"
        );
    }
    assert!(!trail.iter().any(|a| a.1.starts_with("batch")), "{trail:?}");

    // WHEN a tick runs inside the window
    let tick = ls.tick().await.unwrap();
    // THEN exactly the auto-enrolled step 1s go out
    assert_eq!((tick.due, tick.sent), (2, 2), "{tick:?}");
    let mut sent: Vec<(String, u8)> = outbox(&mut ls, &auth)
        .await
        .into_iter()
        .map(|(l, s, _, _)| (l, s))
        .collect();
    sent.sort();
    let mut want = vec![(a0.clone(), 1), (a1.clone(), 1)];
    want.sort();
    assert_eq!(sent, want);
    ls.cleanup().await;
}

/// Every touch of the tenant's leads that is due, with its due time.
async fn due_touches(ls: &LocalStack, tenant: &str) -> Vec<(String, DateTime<Utc>)> {
    let mut out = Vec::new();
    for lead in ls.store.leads(tenant).await.unwrap() {
        for t in ls.store.touches(tenant, &lead.id).await.unwrap() {
            if t.state == TouchState::Due {
                out.push((lead.id.clone(), t.due_at.unwrap()));
            }
        }
    }
    out
}

fn sent_on(sent: &[(String, u8, String, DateTime<Utc>)], day: &str) -> usize {
    let day: NaiveDate = day.parse().unwrap();
    sent.iter()
        .filter(|e| {
            e.3.with_timezone(&chrono_tz::America::New_York)
                .date_naive()
                == day
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramp_mode_caps_the_first_days_and_sends_only_to_its_tiers() {
    // GIVEN two tenants whose ramp starts today (Tuesday 1 December in New
    // York) for 2 days at 2 sends a day: one ramps tier 1, the other tier 2;
    // one-step sequences, so every send is a step 1
    let mut ls = stack("gate-ramp", at(IN_WINDOW), None).await;
    let today = ls
        .now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    assert_eq!(today, "2026-12-01".parse::<NaiveDate>().unwrap());
    let ramp = |tiers: Vec<Tier>| {
        move |c: &mut shared::domain::tenant::TenantConfig| {
            c.sequence.truncate(1);
            c.approval.ramp.enabled = true;
            c.approval.ramp.start = Some(today);
            c.approval.ramp.days = 2;
            c.approval.ramp.per_day = 2;
            c.approval.ramp.tiers = tiers;
        }
    };
    let auth_a = due_tenant(
        &mut ls,
        "rampa",
        &emails("ra", 5, "NY"),
        ramp(vec![Tier::Tier1]),
    )
    .await;
    let auth_b = due_tenant(
        &mut ls,
        "rampb",
        &emails("rb", 2, "NY"),
        ramp(vec![Tier::Tier2]),
    )
    .await;
    assert_eq!(due_touches(&ls, "rampa").await.len(), 5);
    assert_eq!(due_touches(&ls, "rampb").await.len(), 2);

    // WHEN the first in-window tick runs on day 1 of the ramp
    let tick = ls.tick().await.unwrap();
    // THEN tier 1 gets exactly the ramp's 2; the other 3 wait for tomorrow's
    // window with a reason naming the ramp's cap; the tier-2 ramp sends
    // nothing to tier 1 and puts it off until the ramp is over
    assert_eq!(
        (tick.due, tick.sent, tick.waiting_for_cap),
        (7, 2, 5),
        "{tick:?}"
    );
    assert_eq!(outbox(&mut ls, &auth_a).await.len(), 2);
    assert!(outbox(&mut ls, &auth_b).await.is_empty());
    let day2_window = at("2026-12-02T14:00:00Z"); // 09:00 in New York
    let waiting = due_touches(&ls, "rampa").await;
    assert_eq!(waiting.len(), 3);
    for (lead, due) in &waiting {
        assert!(
            *due >= day2_window && *due <= day2_window + Duration::minutes(5),
            "{lead} due {due}"
        );
        let why = wait_reason(&ls, "rampa", lead, 1).await.unwrap_or_default();
        assert!(why.contains("ramp#tenant"), "{lead}: {why:?}");
    }
    let day3_window = at("2026-12-03T14:00:00Z");
    for (lead, due) in due_touches(&ls, "rampb").await {
        assert!(
            due >= day3_window && due <= day3_window + Duration::minutes(5),
            "{lead} due {due}"
        );
        let why = wait_reason(&ls, "rampb", &lead, 1)
            .await
            .unwrap_or_default();
        assert!(
            why.starts_with("ramp mode until 2026-12-02") && why.contains("Tier2"),
            "{lead}: {why:?}"
        );
    }
    // AND a second tick the same morning has nothing to do
    let again = ls.tick().await.unwrap();
    assert_eq!((again.due, again.sent), (0, 0), "{again:?}");

    // WHEN day 2 of the ramp comes, in the window
    ls.clock.set(at("2026-12-02T15:00:00Z"));
    let tick = ls.tick().await.unwrap();
    // THEN 2 more go to tier 1 and the last one waits again; tier 2's ramp
    // still holds its tier-1 leads
    assert_eq!(
        (tick.due, tick.sent, tick.waiting_for_cap),
        (3, 2, 1),
        "{tick:?}"
    );
    assert_eq!(outbox(&mut ls, &auth_a).await.len(), 4);
    assert!(outbox(&mut ls, &auth_b).await.is_empty());

    // WHEN the ramp is over (day 3)
    ls.clock.set(at("2026-12-03T15:00:00Z"));
    let tick = ls.tick().await.unwrap();
    // THEN the rest go, for both tenants
    assert_eq!((tick.due, tick.sent), (3, 3), "{tick:?}");
    let a = outbox(&mut ls, &auth_a).await;
    assert_eq!(
        (
            sent_on(&a, "2026-12-01"),
            sent_on(&a, "2026-12-02"),
            sent_on(&a, "2026-12-03")
        ),
        (2, 2, 1)
    );
    let leads_a: BTreeSet<&str> = a.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(leads_a.len(), 5, "each lead once");
    let b = outbox(&mut ls, &auth_b).await;
    assert_eq!((b.len(), sent_on(&b, "2026-12-03")), (2, 2));
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_8_step_cadence_drafts_every_step_and_waits_for_the_linkedin_connection() {
    // GIVEN the 8-step preset, offered by the presets route
    let mut ls = stack("gate-cadence", at(IN_WINDOW), None).await;
    // (HeyReach carries LinkedIn: its webhook says when a connection is accepted)
    ls.put_secret(
        "outbound/cad/heyreach",
        &serde_json::json!({"api_key": "k", "campaign_id": "1", "webhook_secret": "cad-hook-secret"}),
    )
    .await
    .unwrap();
    let auth = tenant(&mut ls, "cad", |c| {
        c.sequence = email_linkedin_cadence();
        c.providers.linkedin = Some(shared::domain::providers::ProviderRef {
            provider: shared::domain::providers::ProviderKind::Heyreach,
            secret: "outbound/cad/heyreach".into(),
        });
    })
    .await;
    let presets = get(&mut ls, &auth, "/admin/presets").await;
    let preset = presets["sequences"]["email_linkedin_8_step"]
        .as_array()
        .unwrap_or_else(|| panic!("{presets}"));
    let days: Vec<u64> = preset.iter().map(|s| s["day"].as_u64().unwrap()).collect();
    assert_eq!(days, vec![0, 1, 3, 6, 9, 13, 17, 21]);
    assert_eq!(
        presets["sequences"]["email_linkedin_8_step"],
        serde_json::to_value(email_linkedin_cadence()).unwrap()
    );
    for name in ["default_5_step", "call_first", "email_24_7"] {
        assert!(presets["sequences"][name].is_array(), "{name}: {presets}");
    }
    // AND two leads with a LinkedIn profile and one without
    let mut rows = emails("c", 3, "NY");
    rows[0].linkedin = true;
    rows[1].linkedin = true;
    import(&mut ls, &auth, &csv(&rows)).await;
    let [li, conn, none]: [String; 3] =
        std::array::from_fn(|i| lead_id("cad", &format!("c{i}@c{i}.example")));

    // WHEN the pipeline drafts them
    ls.drain().await.unwrap();
    // THEN a lead with a profile gets all 8 steps, each from its own template
    let keyed = [
        "email-intro",
        "linkedin-connect",
        "email-bump",
        "linkedin-message",
        "email-value",
        "linkedin-follow-up",
        "email-proof",
        "email-breakup",
    ];
    for lead in [&li, &conn] {
        let touches = {
            let mut t = ls.store.touches("cad", lead).await.unwrap();
            t.sort_by_key(|t| t.step);
            t
        };
        assert_eq!(touches.len(), 8);
        for (t, want) in touches.iter().zip(keyed) {
            assert_eq!(t.state, TouchState::Draft, "{t:?}");
            assert!(
                t.message.template_id.starts_with(want),
                "step {}: {} is not {want}*",
                t.step,
                t.message.template_id
            );
        }
        assert_eq!(touches[1].channel, Channel::Linkedin);
        assert!(
            touches[1]
                .recipient
                .starts_with("https://linkedin.example/in/jo"),
            "{:?}",
            touches[1]
        );
    }
    // AND one without skips the LinkedIn steps 2, 4 and 6 at once
    let touches = {
        let mut t = ls.store.touches("cad", &none).await.unwrap();
        t.sort_by_key(|t| t.step);
        t
    };
    let skipped: Vec<u8> = touches
        .iter()
        .filter(|t| t.state == TouchState::Skipped)
        .map(|t| t.step)
        .collect();
    assert_eq!(skipped, vec![2, 4, 6]);
    for t in touches.iter().filter(|t| t.state == TouchState::Skipped) {
        assert_eq!(
            t.end_reason.as_deref(),
            Some("condition HasLinkedinUrl not met"),
            "{t:?}"
        );
    }

    // WHEN everything is approved and the days play out (a tick on each
    // step's day, in the window), the second lead's connection being
    // recorded after day 3's sends
    let batch = approve_all(&mut ls, &auth).await;
    assert!(!batch.is_empty());
    let day = |n: i64| at(IN_WINDOW) + Duration::days(n);
    let mut sent_by_day = Vec::new();
    for n in [0, 1, 3, 6, 9, 13, 17, 21] {
        if n == 6 {
            let accepted = serde_json::json!({"correlation_id": "acc-1", "event_type": "CONNECTION_REQUEST_ACCEPTED",
                "lead": {"profile_url": "https://linkedin.example/in/jo1", "email_address": "c1@c1.example"}});
            let r = ls
                .http(
                    "POST",
                    "/webhooks/heyreach?tenant=cad&secret=cad-hook-secret",
                    &[("content-type", "application/json")],
                    &accepted.to_string(),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(
                ls.store
                    .lead("cad", &conn)
                    .await
                    .unwrap()
                    .unwrap()
                    .linkedin_connected
            );
        }
        ls.clock.set(day(n));
        let tick = ls.tick().await.unwrap();
        sent_by_day.push((n, tick.sent, tick.skipped));
    }

    // THEN the unconnected lead's LinkedIn message is skipped at send time,
    // naming the condition; the connected lead's goes
    assert_eq!(
        sent_by_day[..4],
        [(0, 3, 0), (1, 2, 0), (3, 3, 0), (6, 1, 1)],
        "(day, sent, skipped)"
    );
    let step4 = ls.store.touch("cad", &li, 4).await.unwrap().unwrap();
    assert_eq!(step4.state, TouchState::Skipped);
    assert!(
        step4
            .end_reason
            .as_deref()
            .is_some_and(|r| r.contains("linkedin_connected")),
        "{step4:?}"
    );
    let sent = outbox(&mut ls, &auth).await;
    let steps_of = |lead: &str| {
        let mut s: Vec<u8> = sent.iter().filter(|e| e.0 == lead).map(|e| e.1).collect();
        s.sort();
        s
    };
    assert_eq!(steps_of(&conn), vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert!(steps_of(&li).starts_with(&[1, 2, 3]));
    assert!(!steps_of(&li).contains(&4));
    // AND the lead without a profile runs its 5 emails, on their days
    assert_eq!(steps_of(&none), vec![1, 3, 5, 7, 8]);
    for (lead, step, channel, when) in &sent {
        let want = [0, 1, 3, 6, 9, 13, 17, 21][usize::from(*step) - 1];
        assert_eq!(*when, day(want), "{lead} step {step}");
        let expected = if [2, 4, 6].contains(step) {
            "linkedin"
        } else {
            "email"
        };
        assert_eq!(channel, expected, "{lead} step {step}");
    }
    // (That the unconnected lead's chain goes on after its skipped step is
    // `the_chain_goes_on_after_a_step_skipped_at_send_time`.)
    ls.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_goes_on_after_a_step_skipped_at_send_time() {
    // GIVEN the 8-step cadence and an approved lead with a LinkedIn profile
    // whose connection is never recorded
    let mut ls = stack("gate-chain", at(IN_WINDOW), None).await;
    let mut rows = emails("k", 1, "NY");
    rows[0].linkedin = true;
    let auth = due_tenant(&mut ls, "chain", &rows, |c| {
        c.sequence = email_linkedin_cadence()
    })
    .await;
    let lead = lead_id("chain", "k0@k0.example");
    // WHEN a tick runs on each step's day, in the window
    let day = |n: i64| at(IN_WINDOW) + Duration::days(n);
    for n in [0, 1, 3, 6, 9, 13, 17, 21] {
        ls.clock.set(day(n));
        ls.tick().await.unwrap();
    }
    // THEN the LinkedIn messages are skipped and every email still goes
    use TouchState::{Sent, Skipped};
    assert_eq!(
        states(&ls, "chain", &lead).await,
        vec![Sent, Sent, Sent, Skipped, Sent, Skipped, Sent, Sent]
    );
    let steps: Vec<u8> = outbox(&mut ls, &auth)
        .await
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(steps.len(), 6, "{steps:?}");
    ls.cleanup().await;
}
