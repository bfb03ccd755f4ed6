//! Campaigns through the admin API against the local stack: a tenant from
//! before campaigns reads as its `default` one, new campaigns are made from
//! a target and an offer with generated steps, every refusal names its
//! field or reason, and status changes follow their table.

use integration_tests::*;
use serde_json::{json, Value};

async fn send(
    ls: &mut local_stack::runner::LocalStack,
    auth: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let r = ls
        .http(method, path, &[("authorization", auth)], &body.to_string())
        .await;
    (r.status, r.json())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_are_made_edited_and_moved_through_their_statuses() {
    let mut ls = stack("campaigns", at(IN_WINDOW), None).await;
    let auth = tenant(&mut ls, "multi", |_| {}).await;
    let config = ls.store.require_config("multi").await.unwrap();

    // GIVEN a tenant made as before campaigns: it reads as one active
    // `default` campaign with its ICP and its sequence
    let listed = get(&mut ls, &auth, "/admin/campaigns").await;
    let all = listed["campaigns"].as_array().unwrap().clone();
    assert_eq!(all.len(), 1, "{listed}");
    assert_eq!(all[0]["id"], "default");
    assert_eq!(all[0]["status"], "active");
    assert_eq!(all[0]["target"]["name"], json!(config.icp.name));
    assert_eq!(all[0]["sequence"], json!(config.sequence));
    assert_eq!(all[0]["version"], 0);

    // WHEN a second campaign names only a target and a preset
    let mut target = serde_json::to_value(&config.icp).unwrap();
    target["name"] = json!("Med spas");
    target["primary"] = json!(false);
    target["industries"] = json!(["med spa", "medical spa"]);
    let (status, made) = send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns",
        &json!({"id": "med-spas", "name": "Med spas", "target": target, "preset": "email_24_7"}),
    )
    .await;
    // THEN it is a draft with generated email steps, version 1
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["status"], "draft");
    assert_eq!(made["custom"], false);
    assert_eq!(made["version"], 1);
    let steps = made["sequence"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert!(steps.iter().all(|s| s["channel"] == "email"));
    // AND the list holds both, the default still read from the config
    let listed = get(&mut ls, &auth, "/admin/campaigns").await;
    let ids: Vec<&str> = listed["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["default", "med-spas"]);

    // AND what is wrong is named, and nothing is written
    for (body, field) in [
        (json!({"name": "x"}), "campaign.id"),
        (json!({"id": "Med Spas"}), "campaign.id"),
        (json!({"id": "b", "offer": "nope"}), "campaign.id"),
        (json!({"id": "bb", "offer": "nope"}), "campaign.offer"),
        (json!({"id": "bb", "tiers": []}), "campaign.tiers"),
        (
            json!({"id": "bb", "senders": {"mailboxes": ["x@y.example"]}}),
            "campaign.senders.mailboxes[0]",
        ),
        (json!({"id": "bb", "colour": "red"}), "campaign.colour"),
        (
            json!({"id": "bb", "preset": "sometimes"}),
            "campaign.preset",
        ),
    ] {
        let (status, answer) = send(&mut ls, &auth, "POST", "/admin/campaigns", &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer.to_string().contains(field),
            "{body}: {answer} does not name {field}"
        );
    }
    let (status, _) = send(
        &mut ls,
        &auth,
        "POST",
        "/admin/campaigns",
        &json!({"id": "med-spas"}),
    )
    .await;
    assert_eq!(status, 409, "an id is taken once");

    // WHEN it is edited with a stale read in between
    let (status, edited) = send(
        &mut ls,
        &auth,
        "PUT",
        "/admin/campaigns/med-spas",
        &json!({"daily_share": 25, "windows": {"policy": "email_24_7"}}),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["daily_share"], 25);
    assert_eq!(edited["version"], 2);

    // THEN its statuses follow the table, each change audited
    for (action, code, status) in [
        ("pause", 409, "draft"),
        ("activate", 200, "active"),
        ("pause", 200, "paused"),
        ("pause", 200, "paused"),
        ("activate", 409, "paused"),
        ("resume", 200, "active"),
        ("archive", 200, "archived"),
        ("resume", 409, "archived"),
    ] {
        let path = format!("/admin/campaigns/med-spas/{action}");
        let (got, answer) = send(&mut ls, &auth, "POST", &path, &json!({})).await;
        assert_eq!(got, code, "{action}: {answer}");
        let now = get(&mut ls, &auth, "/admin/campaigns/med-spas").await;
        assert_eq!(now["status"], status, "after {action}");
    }
    let (status, _) = send(
        &mut ls,
        &auth,
        "PUT",
        "/admin/campaigns/med-spas",
        &json!({"name": "x"}),
    )
    .await;
    assert_eq!(status, 409, "an archived campaign is not edited");
    let trail = audit(&mut ls, &auth).await;
    let changes: Vec<&str> = trail
        .iter()
        .map(|(_, action, _)| action.as_str())
        .filter(|a| a.starts_with("campaign_"))
        .collect();
    assert_eq!(
        changes.len(),
        6,
        "created, updated, active, paused, active, archived: {changes:?}"
    );

    // AND editing the default stores it, keeping what the tenant had
    let (status, default) = send(
        &mut ls,
        &auth,
        "PUT",
        "/admin/campaigns/default",
        &json!({"name": "Dealers"}),
    )
    .await;
    assert_eq!(status, 200, "{default}");
    assert_eq!(default["version"], 1);
    assert_eq!(default["sequence"], json!(config.sequence));
    let (status, _) = send(&mut ls, &auth, "GET", "/admin/campaigns/nope", &json!({})).await;
    assert_eq!(status, 404);
    ls.cleanup().await;
}
