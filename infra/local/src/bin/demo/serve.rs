//! `demo --serve`: after the demo, the operator console with the demo's
//! data on a loopback URL, and a demo operator to sign in with, until
//! Ctrl-C.

use super::Res;
use local_stack::runner::LocalStack;
use local_stack::serve::serve_stack;
use serde_json::json;
use std::sync::Arc;

/// Was the demo run with `--serve`?
pub fn asked() -> bool {
    std::env::args().any(|a| a == "--serve")
}

/// Serves the console for `tenant` (its bearer token `token`) until Ctrl-C.
pub async fn console(mut ls: LocalStack, tenant: &str, token: &str) -> Res<()> {
    // A fresh password each run: nothing to leak from the repository.
    let password = format!(
        "console-{}-{}",
        shared::store::short_id(),
        shared::store::short_id()
    );
    let r = ls
        .http(
            "POST",
            "/admin/operators",
            &[("authorization", &format!("Bearer {token}"))],
            &json!({"login": "demo", "display_name": "Demo Operator", "role": "admin", "password": password})
                .to_string(),
        )
        .await;
    if r.status != 201 {
        return Err(format!(
            "creating the demo operator: {} {}",
            r.status, r.body
        ));
    }
    let port: u16 = std::env::var("CONSOLE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8077);
    let ls = Arc::new(tokio::sync::Mutex::new(ls));
    let served = serve_stack(ls.clone(), ([127, 0, 0, 1], port).into())
        .await
        .map_err(|e| format!("serving the console on 127.0.0.1:{port}: {e} (set CONSOLE_PORT)"))?;
    println!("\n== operator console ==");
    println!("   {}/console", served.url());
    println!("   workspace: {tenant}   login: demo   password: {password}");
    println!("   (the simulated clock stands still; Ctrl-C stops the console and the emulators)");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("waiting for Ctrl-C: {e}"))?;
    served.stop();
    ls.lock().await.cleanup().await;
    Ok(())
}
