//! The relay's routes in-process (`tower::ServiceExt::oneshot`, no ports): who each one
//! admits (loopback, `Host`, `Origin`, pinned extension ids, the relay token), its CORS
//! answers, and the upstream error shape `{"error", "code"}`.

use super::{Relay, RelayOptions};
use crate::access::AccessPolicy;
use crate::leases::binding::{LeaseConfig, Owner};
use crate::leases::cdp_door::LeaseDoor;
use crate::leases::service::Leases;
use crate::router_test_support::{answer, loopback_request};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

const TOKEN: &str = "relay-token";
const OURS: &str = "chrome-extension://mpkgehknfgpdeghekbkgbgcfcihhfejp";
const UPGRADE: [(&str, &str); 4] = [
    ("connection", "upgrade"),
    ("upgrade", "websocket"),
    ("sec-websocket-version", "13"),
    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
];

fn relay_with(leases: Option<Arc<Leases>>) -> Relay {
    let mut opts = RelayOptions::new(0, Some(TOKEN.into()), "hub-1".into());
    opts.policy = AccessPolicy { allowed_extension_ids: vec!["allowedid".into()], relay_token: Some(TOKEN.into()) };
    opts.cdp_door = leases.map(|l| Arc::new(LeaseDoor::new(l)) as Arc<dyn super::CdpDoor>);
    Relay::new(opts, 8787, None)
}

fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    loopback_request(method, path, "127.0.0.1:8787", headers, Body::empty())
}

async fn send(relay: &Relay, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    answer(relay.router(), request).await
}

/// The relay's error shape with `code`; returns the message.
fn refused(body: &Value, code: &str) -> String {
    assert_eq!(body["code"], json!(code), "{body}");
    body["error"].as_str().expect("a message").to_owned()
}

#[tokio::test]
async fn every_route_refuses_peers_off_loopback_rebinding_hosts_and_web_pages() {
    let relay = relay_with(None);
    for path in ["/config", "/status", "/pair", "/extension", "/cdp?token=relay-token", "/cdp"] {
        let mut bypassed = request("GET", path, &[("origin", OURS)]);
        bypassed.extensions_mut().remove::<ConnectInfo<SocketAddr>>();
        let (status, _, body) = send(&relay, bypassed).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: no peer handed on by the listener");
        refused(&body, "non_loopback_peer");

        let mut remote = request("GET", path, &[("origin", OURS)]);
        remote.extensions_mut().insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 7], 4000))));
        let (status, _, body) = send(&relay, remote).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        refused(&body, "non_loopback_peer");

        let mut rebound = request("GET", path, &[("origin", OURS)]);
        rebound.headers_mut().insert("host", "rebind.example".parse().unwrap());
        let (status, _, body) = send(&relay, rebound).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused(&body, "host_forbidden").contains("rebind.example"), "{body}");

        let (status, _, body) = send(&relay, request("GET", path, &[("origin", "https://evil.example")])).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        refused(&body, "origin_forbidden");
    }
}

#[tokio::test]
async fn config_and_status_answer_local_programs_and_the_extension_with_its_own_origin() {
    let relay = relay_with(None);
    let (status, headers, body) = send(&relay, request("GET", "/config", &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["relayPort"], 8787);
    assert_eq!(body["instanceId"], relay.instance_id());
    assert_eq!(body["pairingRequired"], true);
    assert_eq!(body["extensionConnected"], false);
    assert!(body.get("token").is_none(), "/config never hands out the token: {body}");
    assert!(!headers.contains_key("access-control-allow-origin"), "no CORS for a local program");
    assert_eq!(headers["cache-control"], "no-store");

    let (status, headers, body) = send(&relay, request("GET", "/status", &[("origin", OURS)])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["hubInstanceId"], "hub-1");
    assert_eq!(headers["access-control-allow-origin"], OURS);
    assert_eq!(headers["vary"], "Origin");
}

#[tokio::test]
async fn pair_hands_the_token_to_our_extension_the_allowed_ids_and_the_token_holder_only() {
    let relay = relay_with(None);
    for origin in [OURS, "chrome-extension://allowedid"] {
        let (status, headers, body) = send(&relay, request("GET", "/pair", &[("origin", origin)])).await;
        assert_eq!(status, StatusCode::OK, "{origin}");
        assert_eq!(body["token"], TOKEN);
        assert_eq!(body["instanceId"], relay.instance_id());
        assert_eq!(headers["access-control-allow-origin"], origin);
    }
    let (status, _, body) = send(&relay, request("GET", "/pair", &[("origin", "chrome-extension://other")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused(&body, "extension_not_allowed").contains("allowedExtensionIds"), "{body}");

    let (status, _, body) = send(&relay, request("GET", "/pair", &[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused(&body, "origin_required").contains("relayToken"), "{body}");
    let bearer = format!("Bearer {TOKEN}");
    let (status, _, body) = send(&relay, request("GET", "/pair", &[("authorization", &bearer)])).await;
    assert_eq!((status, &body["token"]), (StatusCode::OK, &json!(TOKEN)));
}

#[tokio::test]
async fn a_refused_extension_is_recorded_for_status() {
    let relay = relay_with(None);
    let mut headers = vec![("origin", "chrome-extension://other")];
    headers.extend(UPGRADE);
    let (status, _, body) = send(&relay, request("GET", "/extension", &headers)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    refused(&body, "extension_not_allowed");
    let last = relay.status().last_handshake_error.expect("recorded");
    assert_eq!(last.code, "extension_not_allowed");
    assert!(last.message.contains("chrome-extension://other"), "{}", last.message);

    let mut page = vec![("origin", "https://evil.example")];
    page.extend(UPGRADE);
    let (status, _, _) = send(&relay, request("GET", "/extension", &page)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let last = relay.status().last_handshake_error.expect("still recorded");
    assert!(last.message.contains("chrome-extension://other"), "a web page is not an extension: {}", last.message);

    let mut ours = vec![("origin", OURS)];
    ours.extend(UPGRADE);
    let (status, _, _) = send(&relay, request("GET", "/extension", &ours)).await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED, "admitted: in-process there is no connection to take over");
}

#[tokio::test]
async fn cdp_needs_the_token_and_the_binding() {
    let leases = Arc::new(Leases::new(LeaseConfig::default(), "hub-1"));
    let relay = relay_with(Some(leases.clone()));
    let mut from_page = request("GET", "/cdp", &UPGRADE);
    from_page.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let (status, _, body) = send(&relay, from_page).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admission comes before the token");
    refused(&body, "origin_forbidden");
    let (status, _, body) = send(&relay, request("GET", "/cdp", &UPGRADE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(refused(&body, "unauthorized").contains("missing ?token="), "{body}");
    let (status, _, body) = send(&relay, request("GET", "/cdp?token=guess", &UPGRADE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(refused(&body, "unauthorized").contains("wrong token"), "{body}");

    let agent = Owner { client_id: "c".into(), instance_id: "agent".into() };
    leases.bind(&agent).unwrap();
    let (status, _, body) = send(&relay, request("GET", "/cdp?token=relay-token", &UPGRADE)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(refused(&body, "relay_busy").contains("agent"), "the holder is named: {body}");
    leases.release_owner(&agent);
    let (status, _, _) = send(&relay, request("GET", "/cdp?token=relay-token", &UPGRADE)).await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED, "admitted once the binding is free");
}

#[tokio::test]
async fn preflights_allow_the_extension_and_nobody_else() {
    let relay = relay_with(None);
    let (status, headers, _) = send(&relay, request("OPTIONS", "/pair", &[("origin", OURS)])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(headers["access-control-allow-origin"], OURS);
    assert_eq!(headers["access-control-allow-private-network"], "true");
    let (status, headers, _) = send(&relay, request("OPTIONS", "/pair", &[("origin", "https://evil.example")])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!headers.contains_key("access-control-allow-origin"));
    let mut remote = request("OPTIONS", "/pair", &[("origin", OURS)]);
    remote.extensions_mut().insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 7], 4000))));
    let (status, headers, _) = send(&relay, remote).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!headers.contains_key("access-control-allow-origin"), "not for a peer off loopback");
    let mut unknown = request("OPTIONS", "/pair", &[("origin", OURS)]);
    unknown.extensions_mut().remove::<ConnectInfo<SocketAddr>>();
    let (status, headers, _) = send(&relay, unknown).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "a request that bypassed the listener is not an error");
    assert!(!headers.contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_relay_shape() {
    let relay = relay_with(None);
    let (status, _, body) = send(&relay, request("GET", "/nope", &[])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(refused(&body, "not_found").contains("/config"), "{body}");
    for (method, path) in [("POST", "/config"), ("DELETE", "/status"), ("POST", "/cdp")] {
        let (status, _, body) = send(&relay, request(method, path, &[])).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        refused(&body, "method_not_allowed");
    }
}

#[tokio::test]
async fn the_discovery_port_answers_config_and_status_only() {
    let relay = relay_with(None);
    let discovery = super::http::discovery_router(relay.clone());
    for (path, want) in [("/config", StatusCode::OK), ("/status", StatusCode::OK), ("/pair", StatusCode::NOT_FOUND)] {
        let (status, _, _) = answer(discovery.clone(), request("GET", path, &[("origin", OURS)])).await;
        assert_eq!(status, want, "{path}");
    }
    let (status, _, _) = answer(discovery, request("GET", "/extension", &UPGRADE)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no pairing or sockets on the discovery port");
}
