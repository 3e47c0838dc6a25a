//! What the RPC says about a body it cannot use: cut short, nested too deep, not an
//! object, or a token that is not this hub's (the hub restarted); each says what was
//! wrong and what to do, and the hub keeps serving.

mod common;
use common::*;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// Sends `head` and `body` on a raw connection, closes the writing side, and returns the
/// answer's status line and JSON body.
async fn raw(port: u16, head: &str, body: &[u8]) -> (String, Value) {
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(body).await.unwrap();
    tcp.shutdown().await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, tcp.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.lines().next().unwrap_or_default().to_owned();
    let json = text.split("\r\n\r\n").nth(1).and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, json)
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_body_cut_short_is_called_truncated_not_too_large() {
    let hub = TestHub::start().await;
    let token = hub.hub.core().token().to_owned();
    let sent = br#"{"name":"relay.status","params":{"#;
    let head = format!(
        "POST /command HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        sent.len() + 500
    );
    let (status, body) = raw(hub.daemon_port(), &head, sent).await;
    assert!(status.contains("400"), "{status} {body}");
    assert_eq!(body["error"]["code"], "invalid_request", "{body}");
    assert!(message(&body).contains("cut short"), "{body}");
    assert!(!message(&body).contains("limit"), "not blamed on the size limit: {body}");
    // A complete body whose JSON stops early says the same in words.
    let (status, body) = raw(
        hub.daemon_port(),
        &format!("POST /command HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", sent.len()),
        sent,
    )
    .await;
    assert!(status.contains("400"), "{status}");
    assert!(message(&body).contains("truncated"), "{body}");
    let (ok, _) = hub.rpc("relay.status", json!({})).await;
    assert_eq!(ok, 200, "still serving");
}

#[tokio::test]
async fn deep_nesting_and_non_objects_say_so_on_http_and_on_the_channel() {
    let hub = TestHub::start().await;
    let token = hub.hub.core().token().to_owned();
    let deep = "[".repeat(20_000) + &"]".repeat(20_000);
    let http = |body: String| {
        let token = token.clone();
        let url = format!("http://127.0.0.1:{}/command", hub.daemon_port());
        async move {
            let r = reqwest::Client::new().post(url).bearer_auth(token).body(body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = http(deep.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")));
    assert!(message(&body).contains("nested too deeply"), "{body}");
    let (_, body) = http("\"relay.status\"".into()).await;
    assert!(message(&body).contains("a JSON string, not an object"), "{body}");

    let mut channel =
        ws_connect_with(&format!("ws://127.0.0.1:{}/channel", hub.daemon_port()), None, Some(&token)).await.unwrap();
    for (frame, says) in
        [(deep.as_str(), "nested too deeply"), ("[1]", "a JSON array, not an object"), ("{\"id\":1,", "truncated")]
    {
        channel.send(Message::text(frame)).await.unwrap();
        let answer = next_json(&mut channel).await;
        assert_eq!((answer["status"].as_u64(), answer["error"]["code"].as_str()), (Some(400), Some("invalid_request")));
        assert!(message(&answer).contains(says), "{frame:.20}: {answer}");
    }
    send_json(&mut channel, json!({"id": 9, "name": "relay.status"})).await;
    assert_eq!(next_json(&mut channel).await["ok"], true, "the channel still serves");
}

#[tokio::test]
async fn a_token_of_another_hub_is_told_the_hub_restarted_and_where_the_new_token_is() {
    let hub = TestHub::start().await;
    let url = format!("http://127.0.0.1:{}/command", hub.daemon_port());
    let post = |auth: Option<&str>| {
        let mut r = reqwest::Client::new().post(&url).json(&json!({"name": "relay.status"}));
        if let Some(token) = auth {
            r = r.bearer_auth(token);
        }
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, stale) = post(Some("0123456789abcdef")).await;
    assert_eq!((status, stale["error"]["code"].as_str()), (401, Some("unauthorized")));
    let said = message(&stale);
    assert!(said.contains("restarted") && said.contains("daemon.json"), "{said}");
    assert!(!said.contains("<token>"), "it does not ask the caller to do what it cannot: {said}");
    let (_, none) = post(None).await;
    assert!(message(&none).contains("daemon.json"), "{none}");
}

#[tokio::test]
async fn a_large_command_with_a_stale_token_is_answered_401() {
    let hub = TestHub::start().await;
    let body = format!(r#"{{"name":"page.evaluate","params":{{"expression":"'{}'"}}}}"#, "a".repeat(4 << 20));
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/command", hub.daemon_port()))
        .bearer_auth("0123456789abcdef0123456789abcdef")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("an answer, not a broken connection");
    assert_eq!(answer.status().as_u16(), 401);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    assert!(message(&body).contains("read the token again"), "{body}");
}
