//! The binding lease over the RPC: who may drive the extension, expiry, hand-over,
//! fencing, session-bound release, and readiness across a relay restart.

mod common;
use common::*;
use hub::LeaseConfig;
use serde_json::json;
use std::time::Duration;

/// Real time through real sockets: renewals every 150 ms keep a 1 s TTL with a wide margin
/// for a loaded machine (the exact missed-renewal arithmetic is tested with plain values in
/// `leases/binding.rs`).
fn short_lease() -> LeaseConfig {
    LeaseConfig { ttl_ms: 1_000, renew_interval_ms: 150 }
}

#[tokio::test]
async fn a_second_client_cannot_steal_an_active_binding() {
    let hub = TestHub::start().await;
    let (status, a) = hub.bind_as("a").await;
    assert_eq!(status, 200);
    assert_eq!(a["data"]["ttlMs"], 60_000);
    assert_eq!(a["data"]["hubInstanceId"], hub.hub.core().instance_id());
    let renew = a["data"]["renewAfterMs"].as_u64().unwrap();
    assert!((18_000..=22_000).contains(&renew), "{renew}");

    let (status, b) = hub.bind_as("b").await;
    assert_eq!(status, 409);
    assert_eq!(b["error"]["code"], "relay_busy");
    assert_eq!(b["error"]["owner"], json!({"clientId": CLIENT, "instanceId": "a"}));
    assert_eq!(b["error"]["position"], 1);
    assert_eq!(b["error"]["expiresAt"], a["data"]["expiresAt"]);

    let (status, cmd) =
        hub.rpc("cdp.send", json!({"clientId": CLIENT, "instanceId": "b", "method": "Page.reload"})).await;
    assert_eq!((status, cmd["error"]["code"].as_str()), (409, Some("relay_busy")));
    let (status, cmd) = hub
        .rpc(
            "cdp.send",
            json!({"clientId": CLIENT, "instanceId": "b", "bindingId": a["data"]["bindingId"],
        "method": "Page.reload"}),
        )
        .await;
    assert_eq!((status, cmd["error"]["code"].as_str()), (409, Some("binding_stale")), "another owner's id is refused");

    let (_, status_body) = hub.rpc("hub.status", json!({})).await;
    assert_eq!(status_body["data"]["binding"]["instanceId"], "a");
    assert!(status_body["data"]["binding"]["expiresInMs"].as_u64().unwrap() > 59_000);
}

#[tokio::test]
async fn extension_commands_without_a_binding_say_how_to_get_one() {
    let hub = TestHub::start().await;
    let (status, body) = hub.rpc("cdp.send", json!({"clientId": CLIENT, "method": "Page.reload"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (428, Some("binding_required")));
    assert!(body["error"]["message"].as_str().unwrap().contains("relay.bind"));
    let (status, body) = hub.rpc("relay.bind", json!({})).await;
    assert_eq!((status, body["error"]["message"].as_str()), (400, Some("invalid parameter `clientId`: is required")));
}

#[tokio::test]
async fn binding_expires_after_missed_renewals_and_renewal_keeps_it() {
    let hub = TestHub::start_with_lease(short_lease()).await;
    let (_, a) = hub.bind_as("a").await;
    let id = a["data"]["bindingId"].clone();
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let (status, _) = hub.rpc("relay.renew", json!({"clientId": CLIENT, "instanceId": "a", "bindingId": id})).await;
        assert_eq!(status, 200, "renewing in time keeps the binding past its TTL");
    }
    // Renewals stop: the binding goes once a TTL has passed, not before.
    let stopped = std::time::Instant::now();
    loop {
        let (_, s) = hub.rpc("hub.status", json!({})).await;
        if s["data"]["binding"].is_null() {
            break;
        }
        assert!(stopped.elapsed() < WAIT, "the binding never expired: {s}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // (The last renewal was granted a moment before `stopped`: allow for that moment.)
    let ttl = Duration::from_millis(short_lease().ttl_ms);
    assert!(stopped.elapsed() + Duration::from_millis(200) >= ttl, "expired before its TTL");
    let (status, r) = hub.rpc("relay.renew", json!({"clientId": CLIENT, "instanceId": "a", "bindingId": id})).await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("binding_stale")));
    assert_eq!(hub.bind_as("b").await.0, 200, "someone else may bind now");
}

#[tokio::test]
async fn release_frees_the_relay_and_the_old_id_stays_refused() {
    let hub = TestHub::start().await;
    let (_, a) = hub.bind_as("a").await;
    let id = a["data"]["bindingId"].clone();
    let (status, r) = hub.rpc("relay.release", json!({"clientId": CLIENT, "instanceId": "a", "bindingId": id})).await;
    assert_eq!((status, r["data"]["released"].as_bool()), (200, Some(true)));
    let (_, b) = hub.bind_as("b").await;
    assert_ne!(b["data"]["bindingId"], id);
    let (status, r) =
        hub.rpc("cdp.send", json!({"clientId": CLIENT, "instanceId": "a", "bindingId": id, "method": "X.y"})).await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("binding_stale")));
}

/// Polls `hub.status` until `n` callers wait in the queue (so the next one queues behind).
async fn wait_until_queue_has(hub: &TestHub, n: usize) {
    for _ in 0..500 {
        let (_, s) = hub.rpc("hub.status", json!({})).await;
        if s["data"]["queue"].as_array().map_or(0, Vec::len) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the queue never reached {n} waiters");
}

#[tokio::test]
async fn waiters_get_the_relay_in_fifo_order() {
    let hub = std::sync::Arc::new(TestHub::start().await);
    let (_, a) = hub.bind_as("a").await;
    let mut waiters = Vec::new();
    for name in ["b", "c"] {
        let waiting_hub = hub.clone();
        waiters.push(tokio::spawn(async move {
            let hub = waiting_hub;
            let (status, g) =
                hub.rpc("relay.wait", json!({"clientId": CLIENT, "instanceId": name, "timeoutMs": 20_000})).await;
            assert_eq!(status, 200, "{g}");
            let at = std::time::Instant::now();
            tokio::time::sleep(Duration::from_millis(200)).await;
            hub.rpc(
                "relay.release",
                json!({"clientId": CLIENT, "instanceId": name, "bindingId": g["data"]["bindingId"]}),
            )
            .await;
            (name, at)
        }));
        let queued = waiters.len();
        wait_until_queue_has(&hub, queued).await;
    }
    let (_, s) = hub.rpc("hub.status", json!({})).await;
    let queue: Vec<&str> =
        s["data"]["queue"].as_array().unwrap().iter().map(|w| w["owner"]["instanceId"].as_str().unwrap()).collect();
    assert_eq!(queue, vec!["b", "c"]);
    let (status, late) = hub.bind_as("d").await;
    assert_eq!((status, late["error"]["position"].as_u64()), (409, Some(3)));
    hub.rpc("relay.release", json!({"clientId": CLIENT, "instanceId": "a", "bindingId": a["data"]["bindingId"]})).await;
    let mut got = Vec::new();
    for w in waiters {
        got.push(w.await.unwrap());
    }
    assert!(got[0].1 < got[1].1, "b was served before c");
}

#[tokio::test]
async fn a_wait_times_out_with_a_clear_error() {
    let hub = TestHub::start().await;
    hub.bind_as("a").await;
    let (status, body) = hub.rpc("relay.wait", json!({"clientId": CLIENT, "instanceId": "b", "timeoutMs": 300})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (408, Some("wait_timeout")));
    assert!(body["error"]["message"].as_str().unwrap().contains("test-client/a"));
}

#[tokio::test]
async fn closing_the_owners_session_releases_its_binding() {
    let hub = TestHub::start().await;
    let url = format!("ws://127.0.0.1:{}/session?clientId={CLIENT}&instanceId=a", hub.daemon_port());
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {}", hub.hub.core().token()).parse().unwrap());
    let (mut session, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    hub.bind_as("a").await;
    assert_eq!(hub.bind_as("b").await.0, 409);
    session.close(None).await.unwrap();
    drop(session);
    let mut freed = false;
    for _ in 0..250 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if hub.bind_as("b").await.0 == 200 {
            freed = true;
            break;
        }
    }
    assert!(freed, "the binding was released when the owner's session closed");
}

#[tokio::test]
async fn a_binding_from_before_a_hub_restart_is_refused() {
    let hub = TestHub::start().await;
    let (_, a) = hub.bind_as("a").await;
    let TestHub { hub: first, dirs } = hub;
    first.stop();
    first.run_until_stopped(std::future::pending()).await;
    let second = TestHub { hub: start_in(&dirs, 0).await, dirs };
    let (_, s) = second.rpc("hub.status", json!({})).await;
    assert!(s["data"]["binding"].is_null(), "bindings end with the hub");
    let (status, r) = second
        .rpc("relay.renew", json!({"clientId": CLIENT, "instanceId": "a", "bindingId": a["data"]["bindingId"]}))
        .await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("binding_stale")));
}

#[tokio::test]
async fn commands_wait_through_a_relay_restart() {
    let hub = TestHub::start().await;
    let sim = hub.sim();
    sim.wait_connected(WAIT).await.unwrap();
    let (_, a) = hub.bind_as("test").await;
    let before = hub.hub.core().relay().instance_id().to_owned();
    let (status, restarted) = hub
        .rpc("relay.restart", json!({"clientId": CLIENT, "instanceId": "test", "bindingId": a["data"]["bindingId"]}))
        .await;
    assert_eq!(status, 200, "{restarted}");
    assert_ne!(restarted["data"]["relayInstanceId"], before);
    assert!(!hub.hub.core().relay().handshake_complete(), "the extension has not re-paired yet");
    let (status, body) = hub.cdp(json!({"method": "Runtime.evaluate", "params": {"expression": "1+1"}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["result"]["value"], 2);
    assert!(sim.status().acks >= 2);
}

#[tokio::test]
async fn a_short_readiness_timeout_is_clamped_with_a_warning() {
    let hub = TestHub::start().await;
    let sim = hub.sim();
    sim.wait_connected(WAIT).await.unwrap();
    let (status, body) =
        hub.cdp(json!({"method": "Runtime.evaluate", "params": {"expression": "1+1"}, "readyTimeoutMs": 100})).await;
    assert_eq!(status, 200);
    assert_eq!(body["warnings"][0], "wait timeout 100 ms is below the 3000 ms minimum; using 3000 ms");
}
