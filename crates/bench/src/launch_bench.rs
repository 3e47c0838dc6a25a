//! `launch_profile`: how long `session.launch` of a managed Chromium takes with a fresh
//! throwaway profile (cold) and on a named profile that has been used before (its cookies,
//! cache and the browser's own state on disk), side by side in one run; each launch is
//! followed by its `session.disconnect` (a named profile is closed with `Browser.close`,
//! which writes its cookies: that time is measured too).

use crate::stats::summary;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use system_tests::account_site::AccountSite;
use system_tests::free_port;
use system_tests::hub_process::HubProcess;

/// One launch and its disconnect: (launch time, disconnect time).
async fn launch_once(hub: &HubProcess, params: Value) -> (Duration, Duration) {
    let started = Instant::now();
    let launched = hub.rpc("session.launch", params).await;
    let launch = started.elapsed();
    assert_eq!(launched["ok"], true, "{launched}");
    let session = launched["data"]["sessionId"].clone();
    let started = Instant::now();
    let closed = hub.rpc("session.disconnect", json!({"clientId": "bench", "sessionId": session})).await;
    assert_eq!(closed["ok"], true, "{closed}");
    (launch, started.elapsed())
}

pub async fn launch_profile(quick: bool) -> Value {
    let n = if quick { 2 } else { 7 };
    let dirs = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    let site = AccountSite::start().await;
    // The profile used before: logged in to a site once.
    let first = hub
        .rpc(
            "session.launch",
            json!({"clientId": "bench", "mode": "managed", "profile": "bench",
        "startUrl": site.url("/account/login?user=bench")}),
        )
        .await;
    assert_eq!(first["ok"], true, "{first}");
    let s = first["data"]["sessionId"].clone();
    hub.rpc("session.disconnect", json!({"clientId": "bench", "sessionId": s})).await;

    let (mut cold, mut cold_close, mut kept, mut kept_close) = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        // Alternate, so both see the same machine load.
        let (l, c) = launch_once(&hub, json!({"clientId": "bench", "mode": "managed"})).await;
        cold.push(l);
        cold_close.push(c);
        let (l, c) = launch_once(&hub, json!({"clientId": "bench", "mode": "managed", "profile": "bench"})).await;
        kept.push(l);
        kept_close.push(c);
    }
    let (cold, kept) = (summary(&mut cold), summary(&mut kept));
    let ratio = kept["median_us"].as_f64().unwrap_or(0.0) / cold["median_us"].as_f64().unwrap_or(1.0).max(1.0);
    json!({
        "launch_throwaway_profile": cold,
        "launch_named_profile": kept,
        "named_over_throwaway": (ratio * 100.0).round() / 100.0,
        "disconnect_throwaway_profile": summary(&mut cold_close),
        "disconnect_named_profile": summary(&mut kept_close),
    })
}
