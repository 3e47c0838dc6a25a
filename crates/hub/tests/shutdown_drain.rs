//! A stopping hub finishes what it is running: a command in flight when the stop comes is
//! answered with the browser's result (not cut off, not `hub_shutting_down`), the hub stops
//! only after that, and the extension's socket then gets a close frame (1000).

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

async fn rpc(port: u16, token: &str, name: &str, params: Value) -> (u16, Value) {
    let body = json!({"name": name, "params": params});
    let url = format!("http://127.0.0.1:{port}/command");
    let r = reqwest::Client::new().post(url).bearer_auth(token).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_command_in_flight_is_answered_before_the_hub_stops_and_sockets_get_a_close_frame() {
    let test_hub = TestHub::start().await;
    let (mut ext, _) = handshaken_extension(&test_hub).await;
    let TestHub { hub, dirs: _dirs } = test_hub;
    let core = hub.core().clone();
    let (port, token) = (core.daemon_port(), core.token().to_owned());
    let (_, bound) = rpc(port, &token, "relay.bind", json!({"clientId": CLIENT, "instanceId": "a"})).await;
    let call = json!({"clientId": CLIENT, "instanceId": "a", "bindingId": bound["data"]["bindingId"],
        "method": "Runtime.evaluate", "params": {"expression": "1+1"}});
    let in_flight = tokio::spawn(async move {
        let answer = rpc(port, &token, "cdp.send", call).await;
        (answer, Instant::now())
    });
    // The extension has the command; the stop comes before it answers.
    let forwarded = next_json(&mut ext).await;
    assert_eq!(forwarded["method"], "forwardCDPCommand", "{forwarded}");
    let stopping = tokio::spawn(async move {
        hub.run_until_stopped(std::future::pending()).await;
        Instant::now()
    });
    core.request_shutdown();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let result = json!({"result": {"type": "number", "value": 2}});
    send_json(&mut ext, json!({"id": forwarded["id"], "result": result})).await;

    let ((status, body), answered_at) = in_flight.await.unwrap();
    assert_eq!((status, &body["data"]["result"]["value"]), (200, &json!(2)), "answered, not cut off: {body}");
    let stopped_at = tokio::time::timeout(WAIT, stopping).await.expect("the hub stops").unwrap();
    assert!(stopped_at >= answered_at, "the hub stopped only after answering");
    let close = loop {
        match tokio::time::timeout(WAIT, ext.next()).await.expect("a frame") {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1000));
    let _ = ext.close(None).await;
}
