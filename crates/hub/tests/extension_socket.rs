//! The `/extension` WebSocket: handshake, token faults, replacement, malformed and
//! oversize frames, keepalive, handshake timeout.

mod common;
use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn valid_handshake_is_acked_with_identity_and_port() {
    let hub = TestHub::start().await;
    let (_ws, ack) = handshaken_extension(&hub).await;
    assert_eq!(ack["type"], "handshakeAck");
    assert_eq!(ack["payload"]["instanceId"], hub.hub.core().relay().instance_id());
    assert_eq!(ack["payload"]["relayPort"], hub.relay_port());
    assert_eq!(ack["payload"]["pairingRequired"], true);
    assert_eq!(ack["payload"]["epoch"], hub.hub.core().relay().epoch());
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["extensionHandshakeComplete"], true);
    assert_eq!(status["extension"]["tabId"], 5);
    assert_eq!(ack["payload"]["protocolVersion"], pairing::PROTOCOL_VERSION, "the hub announces its protocol");
    assert_eq!(ack["payload"]["hubVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["extension"]["protocolVersion"], serde_json::Value::Null, "an upstream-style handshake has none");
}

#[tokio::test]
async fn an_extension_speaking_another_protocol_is_refused_1002_and_recorded() {
    let hub = TestHub::start().await;
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    let newer = pairing::PROTOCOL_VERSION + 1;
    send_json(
        &mut ws,
        json!({"type":"handshake","payload":{"tabId":1,"pairingToken":hub.token(),"protocolVersion":newer,
            "extensionVersion":"9.9.9"}}),
    )
    .await;
    let reason = format!("Protocol mismatch: extension v{newer}, hub v{}", pairing::PROTOCOL_VERSION);
    assert_eq!(next_frame(&mut ws).await, Frame::Closed(1002, reason));
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["lastHandshakeError"]["code"], "protocol_mismatch");
    assert!(status["lastHandshakeError"]["message"].as_str().unwrap().contains("update the older one"), "{status}");
    assert_eq!(status["extensionHandshakeComplete"], false);

    let mut same = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    send_json(
        &mut same,
        json!({"type":"handshake","payload":{"tabId":2,"pairingToken":hub.token(),
            "protocolVersion":pairing::PROTOCOL_VERSION,"extensionVersion":"0.1.0"}}),
    )
    .await;
    assert_eq!(next_json(&mut same).await["type"], "handshakeAck");
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(
        (status["extension"]["protocolVersion"].as_u64(), status["extension"]["extensionVersion"].as_str()),
        (Some(u64::from(pairing::PROTOCOL_VERSION)), Some("0.1.0"))
    );
}

#[tokio::test]
async fn wrong_token_closes_1008_and_is_recorded() {
    let hub = TestHub::start().await;
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    send_json(&mut ws, json!({"type":"handshake","payload":{"tabId":1,"pairingToken":"wrong"}})).await;
    assert_eq!(next_frame(&mut ws).await, Frame::Closed(1008, "Invalid pairing token".into()));
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["lastHandshakeError"]["code"], "pairing_invalid");
    assert_eq!(status["extensionConnected"], false);
}

#[tokio::test]
async fn missing_token_closes_1008_as_pairing_missing() {
    let hub = TestHub::start().await;
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    send_json(&mut ws, json!({"type":"handshake","payload":{"tabId":1}})).await;
    assert_eq!(next_frame(&mut ws).await, Frame::Closed(1008, "Invalid pairing token".into()));
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["lastHandshakeError"]["code"], "pairing_missing");
}

#[tokio::test]
async fn second_extension_replaces_the_first() {
    let hub = TestHub::start().await;
    let (mut first, _) = handshaken_extension(&hub).await;
    let (_second, ack) = handshaken_extension(&hub).await;
    assert_eq!(ack["type"], "handshakeAck");
    assert_eq!(next_frame(&mut first).await, Frame::Closed(1000, "Replaced by a new extension client".into()));
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["extensionHandshakeComplete"], true, "the newcomer is the live extension");
}

#[tokio::test]
async fn malformed_frames_get_error_frames_and_the_socket_survives() {
    let hub = TestHub::start().await;
    let (mut ws, _) = handshaken_extension(&hub).await;
    for (bad, code) in [("not json", "malformed_json"), ("[1,2]", "not_an_object"), (r#"{"hello":1}"#, "unknown_frame")]
    {
        ws.send(Message::text(bad)).await.unwrap();
        let frame = next_json(&mut ws).await;
        assert_eq!(frame["type"], "error");
        assert_eq!(frame["payload"]["code"], code, "{bad}");
    }
    send_json(&mut ws, json!({"type":"ping","id":"p1"})).await;
    let pong = next_json(&mut ws).await;
    assert_eq!((pong["type"].as_str(), pong["id"].as_str()), (Some("pong"), Some("p1")));
    assert_eq!(pong["payload"]["extensionHandshakeComplete"], true);
}

/// Upstream's extension pings after every ack and hangs up unless the pong's payload
/// has a `reason`; the whole payload is pinned here, field for field (PROTOCOL.md).
#[tokio::test]
async fn pong_and_health_check_carry_upstreams_health_fields() {
    let hub = TestHub::start().await;
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    send_json(&mut ws, json!({"type":"ping","id":"early"})).await;
    let early = next_json(&mut ws).await;
    assert_eq!(
        (early["payload"]["ok"].as_bool(), early["payload"]["reason"].as_str()),
        (Some(false), Some("handshake_incomplete"))
    );
    let token = hub.token();
    send_json(&mut ws, json!({"type":"handshake","payload":{"tabId":5,"pairingToken":token}})).await;
    assert_eq!(next_json(&mut ws).await["type"], "handshakeAck");
    let healthy = json!({
        "ok": true, "reason": "ok", "extensionConnected": true, "extensionHandshakeComplete": true,
        "cdpConnected": false, "annotationConnected": false, "opsConnected": false,
        "opsOwnedTargetCount": 0, "canvasConnected": false, "pairingRequired": true,
    });
    send_json(&mut ws, json!({"type":"ping","id":"p1"})).await;
    assert_eq!(next_json(&mut ws).await, json!({"type": "pong", "id": "p1", "payload": healthy}));
    send_json(&mut ws, json!({"type":"healthCheck","id":"h1"})).await;
    assert_eq!(next_json(&mut ws).await, json!({"type": "healthCheckResult", "id": "h1", "payload": healthy}));
}

#[tokio::test]
async fn cdp_traffic_before_handshake_is_refused_with_a_code() {
    let hub = TestHub::start().await;
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    send_json(&mut ws, json!({"method":"forwardCDPEvent","params":{"method":"Page.loadEventFired"}})).await;
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["payload"]["code"], "handshake_required");
}

#[tokio::test]
async fn oversize_frame_closes_1009() {
    let hub = TestHub::start().await;
    let (mut ws, _) = handshaken_extension(&hub).await;
    let huge = "x".repeat(pairing::wire::MAX_EXTENSION_FRAME_BYTES + 1);
    let _ = ws.send(Message::text(huge)).await;
    let limit = pairing::wire::MAX_EXTENSION_FRAME_BYTES;
    assert_eq!(next_frame(&mut ws).await, Frame::Closed(1009, format!("Frame exceeds {limit} bytes")));
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["extensionConnected"], false);
    let (_again, ack) = handshaken_extension(&hub).await;
    assert_eq!(ack["type"], "handshakeAck", "the relay still serves the next extension");
}

#[tokio::test]
async fn silent_socket_is_closed_after_the_handshake_timeout() {
    let hub = TestHub::start().await;
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    assert_eq!(next_frame(&mut ws).await, Frame::Closed(1008, "Handshake timeout".into()));
}

#[tokio::test]
async fn binary_frames_are_read_as_utf8_json() {
    let hub = TestHub::start().await;
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    let hs = json!({"type":"handshake","payload":{"tabId":2,"pairingToken":hub.token()}}).to_string();
    ws.send(Message::binary(hs.into_bytes())).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "handshakeAck");
}
