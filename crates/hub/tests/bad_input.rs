//! A corpus of bad inputs at every endpoint: each gets its exact error, and the hub still
//! serves the next good request.

mod common;
use common::*;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// (method, path, headers, body, expected status, expected code)
type HttpCase = (&'static str, &'static str, Vec<(&'static str, String)>, &'static str, u16, &'static str);

async fn send(url: &str, method: &str, headers: &[(&'static str, String)], body: &str) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, url).body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["code"].as_str().or(body["error"]["code"].as_str()).unwrap_or("")
}

#[tokio::test]
async fn every_http_endpoint_answers_bad_input_with_its_exact_error_and_keeps_serving() {
    let hub = TestHub::start().await;
    let bearer = format!("Bearer {}", hub.hub.core().token());
    let auth = || ("authorization", bearer.clone());
    let relay: Vec<HttpCase> = vec![
        ("GET", "/config", vec![("origin", "https://evil.example".into())], "", 403, "origin_forbidden"),
        ("GET", "/config", vec![("origin", "null".into())], "", 403, "origin_forbidden"),
        ("GET", "/pair", vec![("host", "evil.example".into())], "", 403, "host_forbidden"),
        ("GET", "/status", vec![("host", "10.0.0.1:8787".into())], "", 403, "host_forbidden"),
        ("GET", "/nope", vec![], "", 404, "not_found"),
        ("POST", "/config", vec![], "{}", 405, "method_not_allowed"),
        ("GET", "/cdp?token=wrong", vec![], "", 401, "unauthorized"),
        ("GET", "/cdp", vec![], "", 401, "unauthorized"),
    ];
    let rpc: Vec<HttpCase> = vec![
        ("POST", "/command", vec![], "{}", 401, "unauthorized"),
        ("POST", "/command", vec![("authorization", "Bearer nope".into())], "{}", 401, "unauthorized"),
        ("POST", "/command", vec![auth(), ("origin", "https://evil.example".into())], "{}", 403, "origin_forbidden"),
        ("POST", "/command", vec![auth(), ("host", "evil.example".into())], "{}", 403, "host_forbidden"),
        ("POST", "/command", vec![auth()], "not json", 400, "invalid_request"),
        ("POST", "/command", vec![auth()], "[1,2]", 400, "invalid_request"),
        ("POST", "/command", vec![auth()], r#"{"name":7}"#, 400, "invalid_request"),
        ("POST", "/command", vec![auth()], r#"{"name":"relay.status","params":"x"}"#, 400, "invalid_request"),
        ("POST", "/command", vec![auth()], r#"{"name":"no.such"}"#, 404, "unknown_command"),
        ("POST", "/command", vec![auth()], r#"{"name":"relay.bind","params":{"clientId":3}}"#, 400, "invalid_param"),
        (
            "POST",
            "/command",
            vec![auth()],
            r#"{"name":"relay.renew","params":{"clientId":"c","bindingId":"x-1"}}"#,
            409,
            "binding_stale",
        ),
        (
            "POST",
            "/command",
            vec![auth()],
            r#"{"name":"cdp.send","params":{"clientId":"c","method":"A.b"}}"#,
            428,
            "binding_required",
        ),
        (
            "POST",
            "/command",
            vec![auth()],
            r#"{"name":"nav.goto","params":{"clientId":"c","sessionId":"s","url":"x"}}"#,
            404,
            "unknown_session",
        ),
        (
            "POST",
            "/command",
            vec![auth()],
            r#"{"name":"relay.wait","params":{"clientId":"c","timeoutMs":-5}}"#,
            400,
            "invalid_param",
        ),
        ("GET", "/nope", vec![auth()], "", 404, "not_found"),
        ("GET", "/command", vec![auth()], "", 405, "method_not_allowed"),
    ];
    let bases = [(hub.relay_url(""), relay), (format!("http://127.0.0.1:{}", hub.daemon_port()), rpc)];
    for (base, cases) in bases {
        for (method, path, headers, body, status, expected) in cases {
            let (got_status, got) = send(&format!("{base}{path}"), method, &headers, body).await;
            assert_eq!(got_status, status, "{method} {path} {headers:?} {body}: {got}");
            assert_eq!(code(&got), expected, "{method} {path} {headers:?} {body}: {got}");
            let (ok, _) = hub.rpc("relay.status", json!({})).await;
            assert_eq!(ok, 200, "the hub still serves after {method} {path}");
        }
    }
    let (status, body) = send(
        &format!("http://127.0.0.1:{}/command", hub.daemon_port()),
        "POST",
        &[auth()],
        &format!(r#"{{"name":"x","params":{{"p":"{}"}}}}"#, "a".repeat(9 * 1024 * 1024)),
    )
    .await;
    assert_eq!((status, code(&body)), (413, "payload_too_large"));
}

#[tokio::test]
async fn every_socket_answers_bad_frames_with_its_exact_error_and_keeps_serving() {
    let hub = TestHub::start().await;
    let (mut ext, _) = handshaken_extension(&hub).await;
    let ext_cases = [
        ("{", "malformed_json"),
        ("42", "not_an_object"),
        (r#"{"type":"handshake","payload":{"tabId":"x"}}"#, "invalid_field"),
        (r#"{"type":"ping"}"#, "invalid_field"),
        (r#"{"method":"forwardCDPEvent","params":5}"#, "invalid_field"),
        (r#"{"id":{"nested":true}}"#, "invalid_field"),
        (r#"{"what":"ever"}"#, "unknown_frame"),
    ];
    for (frame, expected) in ext_cases {
        ext.send(Message::text(frame)).await.unwrap();
        let reply = next_json(&mut ext).await;
        assert_eq!(reply["payload"]["code"], expected, "{frame}: {reply}");
    }
    send_json(&mut ext, json!({"type": "ping", "id": "still-there"})).await;
    assert_eq!(next_json(&mut ext).await["id"], "still-there");

    let mut cdp = ws_connect(&hub.ws_url(&format!("/cdp?token={}", hub.token())), None).await.unwrap();
    let cdp_cases = [
        ("{", -32700),
        ("[]", -32600),
        (r#"{"id":1}"#, -32600),
        (r#"{"method":"A.b"}"#, -32600),
        (r#"{"id":1.5,"method":"A.b"}"#, -32600),
    ];
    for (frame, expected) in cdp_cases {
        cdp.send(Message::text(frame)).await.unwrap();
        let reply = next_json(&mut cdp).await;
        assert_eq!(reply["error"]["code"], expected, "{frame}: {reply}");
    }
    send_json(&mut cdp, json!({"id": 77, "method": "Browser.getVersion"})).await;
    let forwarded = next_json(&mut ext).await;
    assert_eq!(forwarded["method"], "forwardCDPCommand", "good commands still flow: {forwarded}");
}
