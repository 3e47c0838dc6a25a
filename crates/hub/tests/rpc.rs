//! The daemon RPC: authentication, request validation, `cdp.send` through the extension
//! with its faults, `/status`, `/stop`.

mod common;
use common::*;
use serde_json::json;
use sim::SimReply;

fn rpc_url(hub: &TestHub, path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", hub.daemon_port())
}

#[tokio::test]
async fn rpc_requires_the_bearer_token() {
    let hub = TestHub::start().await;
    for auth in [None, Some("Bearer wrong"), Some("Basic abc")] {
        let mut headers = vec![];
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        let (status, _, body) = get(&rpc_url(&hub, "/status"), &headers).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[tokio::test]
async fn rpc_refuses_browser_origins_even_with_the_token() {
    let hub = TestHub::start().await;
    let bearer = format!("Bearer {}", hub.hub.core().token());
    let (status, _, body) =
        get(&rpc_url(&hub, "/status"), &[("authorization", &bearer), ("origin", "https://evil.example")]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("origin_forbidden")));
}

#[tokio::test]
async fn status_shows_hub_and_relay_instances() {
    let hub = TestHub::start().await;
    let bearer = format!("Bearer {}", hub.hub.core().token());
    let (status, _, body) = get(&rpc_url(&hub, "/status"), &[("authorization", &bearer)]).await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], true);
    assert_eq!(body["pid"], std::process::id());
    assert_eq!(body["hub"]["instanceId"], hub.hub.core().instance_id());
    assert_eq!(body["relay"]["instanceId"], hub.hub.core().relay().instance_id());
    assert!(body["binding"].is_null());
    let meta = opendevbrowser_api::metadata::DaemonMetadata::read(hub.hub.metadata_path()).unwrap();
    assert_eq!(meta.hub_instance_id, hub.hub.core().instance_id());
    assert_eq!(meta.relay_instance_id, hub.hub.core().relay().instance_id());
    assert_eq!(meta.port, hub.daemon_port());
}

#[tokio::test]
async fn malformed_bodies_and_unknown_commands_get_typed_errors() {
    let hub = TestHub::start().await;
    let client = reqwest::Client::new();
    let post = |body: &'static str| {
        client
            .post(rpc_url(&hub, "/command"))
            .bearer_auth(hub.hub.core().token())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for body in ["{", "[]", r#"{"params":{}}"#, r#"{"name":"x","params":3}"#] {
        let r = post(body).await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "invalid_request", "{body}");
    }
    let (status, body) = hub.rpc("no.such", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("unknown_command")));
    assert!(body["error"]["message"].as_str().unwrap().contains("hub.commands"));
    let (_, listed) = hub.rpc("hub.commands", json!({})).await;
    let names: Vec<&str> = listed["data"]["commands"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert!(
        names.contains(&"relay.bind") && names.contains(&"nav.snapshot") && names.contains(&"cdp.send"),
        "{names:?}"
    );
    let (status, body) = hub.rpc("cdp.send", json!({"method": 5})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_param")));
    assert_eq!(body["error"]["message"], "invalid parameter `method`: must be a string");
    let (status, _) = hub.rpc("relay.status", json!({})).await;
    assert_eq!(status, 200, "the hub still serves the next good request");
}

#[tokio::test]
async fn oversize_body_is_413() {
    let hub = TestHub::start().await;
    let huge = format!(r#"{{"name":"x","params":{{"p":"{}"}}}}"#, "a".repeat(pairing::wire::MAX_CLIENT_FRAME_BYTES));
    let r = reqwest::Client::new()
        .post(rpc_url(&hub, "/command"))
        .bearer_auth(hub.hub.core().token())
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn cdp_send_without_extension_says_how_to_fix_it() {
    let hub = TestHub::start().await;
    let (status, body) = hub.cdp(json!({"method": "Runtime.evaluate", "readyTimeoutMs": 3000})).await;
    assert_eq!(status, 503);
    assert_eq!(body["ok"], false);
    assert_eq!(body["error"]["code"], "extension_not_connected");
    assert!(body["error"]["message"].as_str().unwrap().contains("auto-connect"));
}

#[tokio::test]
async fn cdp_send_round_trips_through_the_extension() {
    let hub = TestHub::start().await;
    let sim = hub.sim();
    sim.wait_connected(WAIT).await.unwrap();
    let (status, body) = hub.cdp(json!({"method": "Runtime.evaluate", "params": {"expression": "1+1"}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["result"]["value"], 2);
    let (_, body) = hub.cdp(json!({"method": "DOM.enable", "sessionId": "pw-tab-3"})).await;
    assert_eq!(body["data"]["sessionId"], "pw-tab-3");
}

#[tokio::test]
async fn browser_errors_come_back_as_cdp_error() {
    let hub = TestHub::start().await;
    let _sim = hub.paired_sim_with(|_| SimReply::Error("No tab attached".into())).await;
    let (status, body) = hub.cdp(json!({"method": "Page.reload"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (502, Some("cdp_error")));
    assert_eq!(body["error"]["message"], "`Page.reload` failed in the browser: No tab attached");
}

#[tokio::test]
async fn unanswered_command_times_out_with_cdp_timeout() {
    let hub = TestHub::start().await;
    let _sim = hub.paired_sim_with(|_| SimReply::Ignore).await;
    let (status, body) = hub.cdp(json!({"method": "Page.reload", "timeoutMs": 200})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (504, Some("cdp_timeout")));
    assert_eq!(body["error"]["message"], "`Page.reload` got no answer from the extension within 200 ms");
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["pendingCommands"], 0, "the timed-out command left no entry behind");
}

#[tokio::test]
async fn extension_crash_mid_command_is_extension_disconnected() {
    let hub = TestHub::start().await;
    let _sim =
        hub.paired_sim_with(|cmd| if cmd.method == "Page.crash" { SimReply::Drop } else { SimReply::Ignore }).await;
    let (status, body) = hub.cdp(json!({"method": "Page.crash"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("extension_disconnected")));
    assert!(body["error"]["message"].as_str().unwrap().contains("outcome is unknown"));
}

#[tokio::test]
async fn replaced_extension_fails_its_commands_as_extension_replaced() {
    let hub = TestHub::start().await;
    let _first = hub.paired_sim_with(|_| SimReply::Ignore).await;
    let call = hub.cdp(json!({"method": "Page.navigate"}));
    let replace = async {
        hub.wait_for_pending_command().await;
        handshaken_extension(&hub).await
    };
    let ((status, body), (_second, ack)) = tokio::join!(call, replace);
    assert_eq!(ack["type"], "handshakeAck");
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("extension_replaced")));
}

#[tokio::test]
async fn stop_removes_metadata_and_closes_the_extension_cleanly() {
    let hub = TestHub::start().await;
    let (mut ext, _) = handshaken_extension(&hub).await;
    let bearer = format!("Bearer {}", hub.hub.core().token());
    let (status, _, body) =
        request(reqwest::Method::POST, &rpc_url(&hub, "/stop"), &[("authorization", &bearer)]).await;
    assert_eq!((status, body["data"]["stopping"].as_bool()), (200, Some(true)));
    let path = hub.hub.metadata_path().to_owned();
    let TestHub { hub: running, dirs: _dirs } = hub;
    running.run_until_stopped(std::future::pending()).await;
    assert!(!path.exists(), "daemon.json removed");
    assert_eq!(next_frame(&mut ext).await, Frame::Closed(1000, "Relay stopped".into()));
}
