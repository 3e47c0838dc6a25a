//! The persistent command channel (`/channel`): the same answers as `POST /command`, with
//! the caller's id and the HTTP status; requests pipelined (a slow one does not hold up the
//! ones behind it); bad frames answered, not fatal; the RPC's checks on the upgrade.

mod common;
use common::*;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// The RPC's bearer token (the relay's pairing token is another).
fn rpc_token(hub: &TestHub) -> String {
    hub.hub.core().token().to_owned()
}

async fn channel(hub: &TestHub, token: &str, origin: Option<&str>) -> Result<Ws, u16> {
    ws_connect_with(&format!("ws://127.0.0.1:{}/channel", hub.daemon_port()), origin, Some(token)).await
}

#[tokio::test]
async fn answers_match_post_command_and_carry_the_callers_id_and_status() {
    let hub = TestHub::start().await;
    let mut ws = channel(&hub, &rpc_token(&hub), None).await.unwrap();
    send_json(&mut ws, json!({"id": "a1", "name": "hub.commands"})).await;
    let answer = next_json(&mut ws).await;
    let (_, posted) = hub.rpc("hub.commands", json!({})).await;
    assert_eq!((answer["id"].as_str(), answer["status"].as_u64()), (Some("a1"), Some(200)));
    assert_eq!((&answer["ok"], &answer["data"]), (&posted["ok"], &posted["data"]));

    send_json(&mut ws, json!({"id": 7, "name": "no.such"})).await;
    let refused = next_json(&mut ws).await;
    assert_eq!((refused["id"].as_u64(), refused["status"].as_u64()), (Some(7), Some(404)));
    assert_eq!(refused["error"]["code"], "unknown_command");
}

#[tokio::test]
async fn a_slow_request_does_not_hold_up_the_ones_behind_it() {
    let hub = TestHub::start().await;
    hub.bind_as("holder").await;
    let mut ws = channel(&hub, &rpc_token(&hub), None).await.unwrap();
    let wait = json!({"clientId": CLIENT, "instanceId": "waiter", "timeoutMs": 400});
    send_json(&mut ws, json!({"id": 1, "name": "relay.wait", "params": wait})).await;
    for id in 2..=4 {
        send_json(&mut ws, json!({"id": id, "name": "relay.status"})).await;
    }
    let mut order = Vec::new();
    for _ in 0..4 {
        let answer = next_json(&mut ws).await;
        order.push(answer["id"].as_u64().unwrap());
        if answer["id"] == 1 {
            assert_eq!(answer["error"]["code"], "wait_timeout", "{answer}");
        }
    }
    assert_eq!(order.last(), Some(&1), "the three status calls answered while the wait waited: {order:?}");
}

#[tokio::test]
async fn bad_frames_are_answered_and_the_channel_stays_open() {
    let hub = TestHub::start().await;
    let mut ws = channel(&hub, &rpc_token(&hub), None).await.unwrap();
    ws.send(Message::text("{not json")).await.unwrap();
    let bad = next_json(&mut ws).await;
    assert_eq!(
        (bad["status"].as_u64(), &bad["id"], bad["error"]["code"].as_str()),
        (Some(400), &Value::Null, Some("invalid_request"))
    );
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(next_json(&mut ws).await["error"]["code"], "invalid_request");
    send_json(&mut ws, json!({"id": 3, "name": "hub.status", "params": []})).await;
    let wrong = next_json(&mut ws).await;
    assert_eq!(
        (wrong["id"].as_u64(), wrong["error"]["message"].as_str()),
        (Some(3), Some("invalid request: `params` must be an object"))
    );
    send_json(&mut ws, json!({"id": 4, "name": "relay.status"})).await;
    assert_eq!(next_json(&mut ws).await["ok"], true, "still open");
}

#[tokio::test]
async fn the_upgrade_needs_the_token_and_refuses_browsers() {
    let hub = TestHub::start().await;
    assert_eq!(channel(&hub, "wrong", None).await.err(), Some(401));
    assert_eq!(channel(&hub, &rpc_token(&hub), Some("https://evil.example")).await.err(), Some(403));
}
