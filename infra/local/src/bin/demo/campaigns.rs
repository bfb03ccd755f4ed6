//! The demo's campaigns: the agency's client runs a second campaign beside
//! its default one (mountain-west dealers, email only, around the clock,
//! now its primary ICP), pauses it for a day, and the report groups what
//! happened by campaign.

use super::Res;
use local_stack::runner::LocalStack;
use serde_json::{json, Value};

async fn call(
    ls: &mut LocalStack,
    token: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> Res<Value> {
    let auth = format!("Bearer {token}");
    let r = ls
        .http(method, path, &[("authorization", &auth)], &body.to_string())
        .await;
    if r.status >= 300 {
        return Err(format!("{method} {path}: {} {}", r.status, r.body));
    }
    Ok(r.json())
}

/// Creates and activates the second campaign, and makes it the primary ICP.
pub async fn set_up(ls: &mut LocalStack, token: &str) -> Res<()> {
    let default = call(ls, token, "GET", "/admin/campaigns/default", &json!({})).await?;
    let mut target = default["target"].clone();
    target["name"] = json!("Mountain West independent dealers");
    target["us_states"] = json!(["NV", "UT", "AZ", "CO", "NM", "ID", "MT", "WY"]);
    target["primary"] = json!(true);
    let made = call(
        ls,
        token,
        "POST",
        "/admin/campaigns",
        &json!({
            "id": "mountain-west", "name": "Mountain West dealers", "target": target,
            "preset": "email_24_7", "windows": {"policy": "email_24_7"}, "daily_share": 12,
        }),
    )
    .await?;
    call(
        ls,
        token,
        "POST",
        "/admin/campaigns/mountain-west/activate",
        &json!({}),
    )
    .await?;
    let mut old = default["target"].clone();
    old["primary"] = json!(false);
    call(
        ls,
        token,
        "PUT",
        "/admin/campaigns/default",
        &json!({"target": old}),
    )
    .await?;
    println!(
        "-- campaigns: `default` (the tenant's ICP, 5-step sequence) and `mountain-west` ({} email steps, 24/7 email, share 12/day, now the primary ICP)",
        made["sequence"].as_array().map_or(0, Vec::len)
    );
    Ok(())
}

pub async fn pause(ls: &mut LocalStack, token: &str) -> Res<()> {
    call(
        ls,
        token,
        "POST",
        "/admin/campaigns/mountain-west/pause",
        &json!({}),
    )
    .await?;
    println!(
        "-- mountain-west paused by the operator at {}",
        ls.now().format("%a %H:%M UTC")
    );
    Ok(())
}

pub async fn resume(ls: &mut LocalStack, token: &str) -> Res<()> {
    call(
        ls,
        token,
        "POST",
        "/admin/campaigns/mountain-west/resume",
        &json!({}),
    )
    .await?;
    println!(
        "-- mountain-west resumed at {}",
        ls.now().format("%a %H:%M UTC")
    );
    Ok(())
}

/// The report of every campaign of `tenant`.
pub async fn report(ls: &LocalStack, tenant: &str) -> Res<()> {
    let now = ls.now();
    let campaigns = ls
        .store
        .campaigns(tenant, now)
        .await
        .map_err(|e| e.to_string())?;
    println!("\nby campaign:");
    for (c, _) in campaigns {
        let r = ls
            .admin
            .campaign_report(tenant, c.id.as_str(), now)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "   {} ({}, {}): {} enrolled, {} contacted; {} sent; replied {}, booked {}, bounced {}, unsubscribed {}{}",
            c.id.as_str(),
            c.name,
            c.status.as_str(),
            r["enrolled"],
            r["contacted"],
            r["sent"],
            r["replied"],
            r["booked"],
            r["bounced"],
            r["unsubscribed"],
            r["share_today"]["cap"]
                .as_u64()
                .map(|cap| format!("; share today {}/{cap}", r["share_today"]["used"]))
                .unwrap_or_default()
        );
        let days: Vec<String> = r["per_day"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let channels: Vec<String> = ["email", "voice", "sms", "linkedin"]
                    .iter()
                    .filter(|ch| d[**ch].as_u64().unwrap_or(0) > 0)
                    .map(|ch| format!("{ch} {}", d[*ch]))
                    .collect();
                let day = d["day"].as_str().unwrap_or("");
                format!("{} {}", day.get(5..).unwrap_or(day), channels.join("+"))
            })
            .collect();
        if !days.is_empty() {
            println!("      sends per day: {}", days.join(", "));
        }
        let steps: Vec<String> = r["by_step"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| format!("step {} {}/{}", s["step"], s["replied"], s["sent"]))
            .collect();
        if !steps.is_empty() {
            println!("      replies by step: {}", steps.join(", "));
        }
        for v in r["ab"].as_array().into_iter().flatten() {
            println!(
                "      A/B {} {}: sent {}, replied {}, booked {}",
                v["template_id"].as_str().unwrap_or(""),
                v["variant"].as_str().unwrap_or(""),
                v["sent"],
                v["replied"],
                v["booked"]
            );
        }
    }
    Ok(())
}
