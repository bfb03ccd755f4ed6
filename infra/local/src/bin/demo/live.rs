//! The demo's live tenant: taken live through the providers' stand-ins,
//! and its dialing desk on the Monday the default sequence's call step
//! comes due, as the desk's manager sees it at the end of the day (calls
//! per hour per number, outcomes, what is still queued and why).

use super::{pad, Res};
use local_stack::runner::LocalStack;
use local_stack::standins::StandIns;

/// Takes `tenant` live through its providers' stand-ins, and says how.
pub async fn go_live(ls: &mut LocalStack, token: &str, tenant: &str, stand: &StandIns) -> Res<()> {
    let (missing, channels) = ls.go_live_through(token, tenant, stand).await?;
    println!(
        "\n-- {tenant}: go-live refused while not ready; missing: {}",
        missing.join(", ")
    );
    println!("-- {tenant}: LIVE (credentials probed at each provider's stand-in):");
    for (channel, provider, credentials) in channels {
        println!(
            "   {} via {}: {credentials}",
            pad(channel, 9),
            pad(provider, 9)
        );
    }
    Ok(())
}

/// The dialer view of `tenant`'s default campaign, in a few lines.
pub async fn dialer(ls: &mut LocalStack, tenant: &str, token: &str) -> Res<()> {
    let auth = format!("Bearer {token}");
    let r = ls
        .http(
            "GET",
            "/admin/campaigns/default/dialer",
            &[("authorization", &auth)],
            "",
        )
        .await;
    if r.status != 200 {
        return Err(format!("dialer view: {} {}", r.status, r.body));
    }
    let v = r.json();
    println!(
        "\n-- {tenant}: the dialing desk at {} (GET /admin/campaigns/default/dialer)",
        ls.now().format("%a %Y-%m-%d %H:%M UTC")
    );
    println!(
        "   window {}; {} in flight, {} free slots; {} queued calls callable now, {} outside their window",
        v["call_window"].as_str().unwrap_or(""),
        v["in_flight"].as_array().map_or(0, Vec::len),
        v["free_slots"],
        v["queue"]["callable_now"],
        v["queue"]["outside_window"]
    );
    if let Some(per) = v["calls_per_hour_per_number_today"].as_object() {
        for (number, hours) in per {
            println!("   calls today from {number} by hour (tenant time): {hours}");
        }
    }
    println!("   outcomes today: {}", v["outcomes_today"]);
    for n in v["queue"]["next"].as_array().into_iter().flatten().take(3) {
        println!(
            "   next: lead {} ({})",
            n["lead_id"],
            n["why"].as_str().unwrap_or("")
        );
    }
    Ok(())
}
