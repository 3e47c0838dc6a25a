//! The RPC router in-process (`tower::ServiceExt::oneshot`, no ports): every route's
//! authorization, `Host` and `Origin` rules, and the shape of its errors.

use super::router;
use crate::router_test_support::{answer, loopback_request};
use crate::state::HubCore;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// Every RPC route, with a method it answers.
const ROUTES: [(&str, &str); 5] = [
    ("GET", "/status"),
    ("POST", "/stop"),
    ("POST", "/command"),
    ("GET", "/session?clientId=agent"),
    ("GET", "/channel"),
];

/// A hub core whose relay serves nothing: the routes only need its state.
struct TestHub {
    core: Arc<HubCore>,
    _dir: tempfile::TempDir,
}

fn hub() -> TestHub {
    let dir = tempfile::tempdir().unwrap();
    TestHub { core: HubCore::in_memory(dir.path()), _dir: dir }
}

/// A request from a loopback peer; `headers` are added as given.
fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
    loopback_request(method, path, "127.0.0.1:8788", headers, Body::from(body.to_owned()))
}

fn authorized(hub: &TestHub, method: &str, path: &str, body: &str) -> Request<Body> {
    let bearer = format!("Bearer {}", hub.core.token());
    request(method, path, &[("authorization", &bearer), ("content-type", "application/json")], body)
}

async fn send(hub: &TestHub, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    answer(router(hub.core.clone()), request).await
}

/// The RPC's error shape with `code`; returns the message.
fn refused(body: &Value, code: &str) -> String {
    assert_eq!(body["ok"], json!(false), "{body}");
    assert_eq!(body["error"]["code"], json!(code), "{body}");
    body["error"]["message"].as_str().expect("a message").to_owned()
}

#[tokio::test]
async fn every_route_refuses_a_caller_without_the_token() {
    let hub = hub();
    for (method, path) in ROUTES {
        let (status, headers, body) = send(&hub, request(method, path, &[], "{}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert!(refused(&body, "unauthorized").contains("daemon.json"), "{method} {path}: {body}");
        assert_eq!(headers["cache-control"], "no-store", "{method} {path}");
    }
}

#[tokio::test]
async fn every_route_refuses_another_hubs_token_and_says_why() {
    let hub = hub();
    for (method, path) in ROUTES {
        let wrong = [("authorization", "Bearer 0123456789abcdef")];
        let (status, _, body) = send(&hub, request(method, path, &wrong, "{}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert!(refused(&body, "unauthorized").contains("the hub restarted"), "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn every_route_refuses_rebinding_hosts_and_browser_origins_even_with_the_token() {
    let hub = hub();
    let bearer = format!("Bearer {}", hub.core.token());
    for (method, path) in ROUTES {
        let mut rebound = request(method, path, &[("authorization", &bearer)], "{}");
        rebound.headers_mut().insert("host", "evil.example:8788".parse().unwrap());
        let (status, _, body) = send(&hub, rebound).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert!(refused(&body, "host_forbidden").contains("evil.example"), "{method} {path}: {body}");
        for origin in ["https://evil.example", "chrome-extension://mpkgehknfgpdeghekbkgbgcfcihhfejp", "null"] {
            let from_page = request(method, path, &[("authorization", &bearer), ("origin", origin)], "{}");
            let (status, _, body) = send(&hub, from_page).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} from {origin}");
            assert!(refused(&body, "origin_forbidden").contains("browser requests"), "{body}");
        }
    }
}

#[tokio::test]
async fn every_route_refuses_peers_off_loopback_and_requests_that_bypassed_the_listener() {
    let hub = hub();
    for (method, path) in ROUTES {
        let mut remote = authorized(&hub, method, path, "{}");
        remote.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 168, 1, 5], 4000))));
        let (status, _, body) = send(&hub, remote).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        refused(&body, "non_loopback_peer");
        let mut unknown_peer = authorized(&hub, method, path, "{}");
        unknown_peer.extensions_mut().remove::<ConnectInfo<SocketAddr>>();
        let (status, _, body) = send(&hub, unknown_peer).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        refused(&body, "non_loopback_peer");
    }
}

#[tokio::test]
async fn an_authorized_socket_request_gets_past_the_rules_to_the_upgrade() {
    let hub = hub();
    let upgrade = [
        ("connection", "upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    for path in ["/session?clientId=agent", "/channel"] {
        let mut request = authorized(&hub, "GET", path, "");
        for (name, value) in upgrade {
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        // In-process there is no connection to take over: axum's "not upgradable" (426)
        // shows the request passed every rule and reached the upgrade itself.
        let (status, _, _) = send(&hub, request).await;
        assert_eq!(status, StatusCode::UPGRADE_REQUIRED, "{path}");
    }
}

#[tokio::test]
async fn the_presence_socket_needs_the_callers_client_id() {
    let hub = hub();
    let (status, _, body) = send(&hub, authorized(&hub, "GET", "/session", "")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused(&body, "invalid_param").contains("clientId"), "{body}");
}

#[tokio::test]
async fn status_answers_this_hubs_identity_uncached() {
    let hub = hub();
    let (status, headers, body) = send(&hub, authorized(&hub, "GET", "/status", "")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["hub"]["instanceId"], "hub-1");
    assert_eq!(body["relay"]["instanceId"], hub.core.relay().instance_id());
    assert_eq!(body["relay"]["extensionConnected"], false);
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn a_command_is_run_and_answered_in_the_rpc_shape() {
    let hub = hub();
    let body = r#"{"name":"relay.status","params":{}}"#;
    let (status, _, answer) = send(&hub, authorized(&hub, "POST", "/command", body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["data"]["instanceId"], hub.core.relay().instance_id());
}

#[tokio::test]
async fn command_bodies_that_are_not_commands_get_clear_errors() {
    let hub = hub();
    let cases = [
        (r#"{"name":"relay.status""#, StatusCode::BAD_REQUEST, "invalid_request", "cut short"),
        (r#"[1]"#, StatusCode::BAD_REQUEST, "invalid_request", "not an object"),
        (r#"{"name":"no.such"}"#, StatusCode::NOT_FOUND, "unknown_command", "hub.commands"),
        (r#"{"name":"relay.status","params":[1]}"#, StatusCode::BAD_REQUEST, "invalid_request", "object"),
    ];
    for (body, want, code, says) in cases {
        let (status, _, answer) = send(&hub, authorized(&hub, "POST", "/command", body)).await;
        assert_eq!(status, want, "{body}");
        assert!(refused(&answer, code).contains(says), "{body}: {answer}");
    }
    let huge = format!(r#"{{"name":"relay.status","params":{{"x":"{}"}}}}"#, "a".repeat(20 << 20));
    let (status, _, answer) = send(&hub, authorized(&hub, "POST", "/command", &huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    refused(&answer, "payload_too_large");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_rpc_shape() {
    let hub = hub();
    let (status, _, body) = send(&hub, authorized(&hub, "GET", "/nope", "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(refused(&body, "not_found").contains("POST /command"), "{body}");
    for (method, path) in [("GET", "/command"), ("DELETE", "/status"), ("GET", "/stop")] {
        let (status, _, body) = send(&hub, authorized(&hub, method, path, "")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        refused(&body, "method_not_allowed");
    }
}

#[tokio::test]
async fn stop_is_answered_and_then_new_commands_are_refused() {
    let hub = hub();
    let (status, _, body) = send(&hub, authorized(&hub, "POST", "/stop", "")).await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({"ok": true, "data": {"stopping": true}})));
    assert!(hub.core.stopping());
    let command = r#"{"name":"relay.status"}"#;
    let (status, _, body) = send(&hub, authorized(&hub, "POST", "/command", command)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    refused(&body, "hub_shutting_down");
}

#[tokio::test]
async fn the_origin_and_host_rules_come_before_the_token() {
    let hub = hub();
    for (method, path) in ROUTES {
        let (status, _, body) = send(&hub, request(method, path, &[("origin", "https://evil.example")], "{}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: a page learns nothing about tokens");
        refused(&body, "origin_forbidden");
    }
}

#[tokio::test]
async fn a_stale_token_is_answered_401_even_with_a_body_over_the_limit() {
    let hub = hub();
    let huge = format!(r#"{{"name":"relay.status","params":{{"x":"{}"}}}}"#, "a".repeat(20 << 20));
    let stale = [("authorization", "Bearer 0123456789abcdef")];
    let (status, _, body) = send(&hub, request("POST", "/command", &stale, &huge)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the client retries on 401 with the new token");
    refused(&body, "unauthorized");
}
