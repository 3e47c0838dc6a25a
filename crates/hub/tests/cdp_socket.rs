//! The `/cdp` WebSocket: token rules, one client at a time, forwarding with id rewriting
//! and flat sessions, events, and the extension dropping mid-command.

mod common;
use common::*;
use pairing::wire::CdpEvent;
use serde_json::json;
use sim::SimReply;

async fn cdp_client(hub: &TestHub) -> Ws {
    ws_connect(&hub.ws_url(&format!("/cdp?token={}", hub.token())), None).await.unwrap()
}

#[tokio::test]
async fn cdp_requires_the_relay_token() {
    let hub = TestHub::start().await;
    assert_eq!(ws_connect(&hub.ws_url("/cdp"), None).await.unwrap_err(), 401);
    assert_eq!(ws_connect(&hub.ws_url("/cdp?token=nope"), None).await.unwrap_err(), 401);
    let token = hub.token();
    let last = if token.ends_with('0') { '1' } else { '0' };
    let almost = format!("{}{last}", &token[..63]);
    assert_eq!(ws_connect(&hub.ws_url(&format!("/cdp?token={almost}")), None).await.unwrap_err(), 401);
    let (status, _, body) = get(&hub.relay_url("/cdp?token=nope"), &[]).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let _client = cdp_client(&hub).await;
    hub.relay_status_until("the /cdp client connected", |s| s["cdpConnected"] == true).await;
}

#[tokio::test]
async fn second_cdp_client_is_closed_1008() {
    let hub = TestHub::start().await;
    let _first = cdp_client(&hub).await;
    let mut second = cdp_client(&hub).await;
    assert_eq!(next_frame(&mut second).await, Frame::Closed(1008, "Only one CDP client supported".into()));
}

#[tokio::test]
async fn command_without_extension_gets_upstream_error() {
    let hub = TestHub::start().await;
    let mut cdp = cdp_client(&hub).await;
    send_json(&mut cdp, json!({"id": 7, "method": "Runtime.evaluate", "params": {"expression": "1+1"}})).await;
    let reply = next_json(&mut cdp).await;
    assert_eq!(reply["id"], 7);
    assert_eq!(reply["error"]["message"], "Extension not connected to relay");
}

#[tokio::test]
async fn commands_are_forwarded_and_answered_under_the_callers_ids() {
    let hub = TestHub::start().await;
    let sim = hub.sim();
    sim.wait_connected(WAIT).await.unwrap();
    let mut cdp = cdp_client(&hub).await;
    send_json(&mut cdp, json!({"id": 7, "method": "Runtime.evaluate", "params": {"expression": "1+1"}})).await;
    let reply = next_json(&mut cdp).await;
    assert_eq!(reply["id"], 7);
    assert_eq!(reply["result"]["result"]["value"], 2);
    send_json(&mut cdp, json!({"id": "s-1", "method": "DOM.enable", "sessionId": "pw-tab-1"})).await;
    let reply = next_json(&mut cdp).await;
    assert_eq!(reply["id"], "s-1");
    assert_eq!(reply["sessionId"], "pw-tab-1");
    assert_eq!(reply["result"]["sessionId"], "pw-tab-1", "the extension saw the session id");
}

#[tokio::test]
async fn events_reach_the_client_with_their_session() {
    let hub = TestHub::start().await;
    let sim = hub.sim();
    sim.wait_connected(WAIT).await.unwrap();
    let mut cdp = cdp_client(&hub).await;
    let mut hub_events = hub.hub.core().relay().subscribe_events();
    sim.emit(CdpEvent {
        method: "Page.loadEventFired".into(),
        params: Some(json!({"timestamp": 1})),
        session_id: Some("pw-tab-1".into()),
    });
    let event = next_json(&mut cdp).await;
    assert_eq!(event, json!({"method": "Page.loadEventFired", "params": {"timestamp": 1}, "sessionId": "pw-tab-1"}));
    assert_eq!(hub_events.recv().await.unwrap().method, "Page.loadEventFired");
}

#[tokio::test]
async fn malformed_client_frames_get_cdp_errors() {
    let hub = TestHub::start().await;
    let mut cdp = cdp_client(&hub).await;
    use futures_util::SinkExt;
    cdp.send(tokio_tungstenite::tungstenite::Message::text("{oops")).await.unwrap();
    assert_eq!(next_json(&mut cdp).await["error"]["code"], -32700);
    send_json(&mut cdp, json!({"id": 3})).await;
    let reply = next_json(&mut cdp).await;
    assert_eq!((reply["id"].as_i64(), reply["error"]["code"].as_i64()), (Some(3), Some(-32600)));
}

#[tokio::test]
async fn extension_dropping_mid_command_fails_the_command_and_closes_the_client() {
    let hub = TestHub::start().await;
    let sim = hub.paired_sim_with(|_| SimReply::Ignore).await;
    let mut cdp = cdp_client(&hub).await;
    send_json(&mut cdp, json!({"id": 9, "method": "Page.navigate", "params": {"url": "about:blank"}})).await;
    hub.wait_for_pending_command().await;
    sim.drop_socket();
    let reply = next_json(&mut cdp).await;
    assert_eq!(reply["id"], 9);
    assert!(reply["error"]["message"].as_str().unwrap().contains("outcome is unknown"), "{reply}");
    assert_eq!(next_frame(&mut cdp).await, Frame::Closed(1011, "Extension disconnected".into()));
}

#[tokio::test]
async fn the_extension_is_told_when_the_cdp_client_leaves() {
    let hub = TestHub::start().await;
    let (mut ext, _) = handshaken_extension(&hub).await;
    let cdp = cdp_client(&hub).await;
    drop(cdp);
    assert_eq!(next_json(&mut ext).await, json!({"type": "cdp_control", "action": "client_closed"}));
}

#[tokio::test]
async fn the_discovery_port_serves_config_and_status_but_not_pair() {
    let dirs = tempfile::tempdir().unwrap();
    let discovery = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let opts = hub::HubOptions {
        relay_port: 0,
        daemon_port: 0,
        discovery_port: Some(discovery),
        cache_dir: dirs.path().join("cache"),
        config_dir: dirs.path().join("config"),
        ..hub::HubOptions::default()
    };
    let hub::Started::Running(running) = hub::start(opts).await.unwrap() else { panic!() };
    let relay_port = running.core().relay().port();
    let (status, _, config) = get(&format!("http://127.0.0.1:{discovery}/config"), &[]).await;
    assert_eq!(
        (status, config["relayPort"].as_u64(), config["discoveryPort"].as_u64()),
        (200, Some(u64::from(relay_port)), Some(u64::from(discovery)))
    );
    let (status, _, _) = get(&format!("http://127.0.0.1:{discovery}/status"), &[]).await;
    assert_eq!(status, 200);
    let (status, _, body) = get(&format!("http://127.0.0.1:{discovery}/pair"), &[]).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "the token is only on the relay port");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_and_the_hub_keeps_serving() {
    const LIMIT: usize = 256 * 1024;
    let hub = TestHub::start_tuned(|o| o.max_queued_bytes = LIMIT).await;
    let sim = hub.paired_sim().await;
    let stalled = cdp_client(&hub).await;
    hub.relay_status_until("the /cdp client connected", |s| s["cdpConnected"] == true).await;
    let blob = "x".repeat(64 * 1024);
    let mut sent = 0;
    while sent < 4_000 {
        for _ in 0..50 {
            sim.emit(CdpEvent {
                method: "Network.dataReceived".into(),
                params: Some(json!({"data": blob})),
                session_id: None,
            });
        }
        sent += 50;
        let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
        if status["cdpConnected"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let status = hub.relay_status_until("the stalled client dropped", |s| s["cdpConnected"] == false).await;
    assert!(sent < 4_000, "dropped after {sent} events of 64 KiB");
    assert_eq!(status["extensionHandshakeComplete"], true, "the extension is untouched");
    drop(stalled);

    let mut fresh = cdp_client(&hub).await;
    send_json(&mut fresh, json!({"id": 1, "method": "Runtime.evaluate", "params": {"expression": "1+1"}})).await;
    loop {
        let frame = next_json(&mut fresh).await;
        if frame["id"] == 1 {
            assert_eq!(frame["result"]["result"]["value"], 2, "a reading client is served: {frame}");
            break;
        }
    }
}
