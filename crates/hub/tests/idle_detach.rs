//! The debugger leaves the user's tabs when nobody uses the browser: the hub tells the
//! extension to detach after the idle time, never while a binding, an extension session or
//! a `/cdp` client is active, and the next command works again.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

const IDLE: Duration = Duration::from_millis(300);

async fn idle_hub() -> TestHub {
    TestHub::start_tuned(|o| o.idle_detach = Some(IDLE)).await
}

async fn evaluate(hub: &TestHub, binding: &serde_json::Value) -> (u16, serde_json::Value) {
    let params = json!({"clientId": CLIENT, "instanceId": "worker", "bindingId": binding,
        "method": "Runtime.evaluate", "params": {"expression": "1+1"}});
    hub.rpc("cdp.send", params).await
}

async fn wait_for_controls(sim: &sim::SimExtension, n: usize) -> Vec<String> {
    let status = sim.wait_until(WAIT, |s| s.controls.len() >= n).await.unwrap_or_else(|s| s);
    assert!(status.controls.len() >= n, "expected {n} cdp_control frames, got {:?}", status.controls);
    status.controls
}

#[tokio::test]
async fn an_idle_hub_asks_the_extension_to_detach_once() {
    let hub = idle_hub().await;
    let sim = hub.paired_sim().await;
    assert_eq!(wait_for_controls(&sim, 1).await, ["detach_all"]);
    tokio::time::sleep(IDLE * 3).await;
    assert_eq!(sim.status().controls, ["detach_all"], "once per idle period");
}

#[tokio::test]
async fn a_held_binding_keeps_the_tabs_attached_and_its_release_starts_the_idle_clock() {
    let hub = idle_hub().await;
    let (code, bound) = hub.bind_as("worker").await;
    assert_eq!(code, 200, "{bound}");
    let sim = hub.paired_sim().await;
    tokio::time::sleep(IDLE * 4).await;
    assert!(sim.status().controls.is_empty(), "a binding means someone is acting");

    let (code, answer) = evaluate(&hub, &bound["data"]["bindingId"]).await;
    assert_eq!(code, 200, "{answer}");
    let release = json!({"clientId": CLIENT, "instanceId": "worker", "bindingId": bound["data"]["bindingId"]});
    assert_eq!(hub.rpc("relay.release", release).await.0, 200);
    assert_eq!(wait_for_controls(&sim, 1).await, ["detach_all"]);

    let (code, again) = hub.bind_as("worker").await;
    assert_eq!(code, 200, "{again}");
    let (code, answer) = evaluate(&hub, &again["data"]["bindingId"]).await;
    assert_eq!((code, &answer["data"]["result"]["value"]), (200, &json!(2)), "commands work after a detach");
}
