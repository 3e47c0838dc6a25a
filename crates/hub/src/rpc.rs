//! The daemon RPC on loopback: `POST /command`, `GET /status`, `POST /stop`, each behind
//! a bearer token (from `daemon.json`). Answers are `{ok:true,data}` or
//! `{ok:false,error:{code,message}}`.

use crate::core::HubCore;
use crate::dispatch::{dispatch, Answer};
use crate::error::HubError;
use crate::guard::{check_host, tokens_equal};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pairing::wire::MAX_CLIENT_FRAME_BYTES;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// The RPC router.
pub fn router(hub: Arc<HubCore>) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/stop", post(stop))
        .route("/command", post(command))
        .route("/session", get(session))
        .fallback(not_found)
        .method_not_allowed_fallback(|| async { reply(Err(HubError::MethodNotAllowed)) })
        .layer(DefaultBodyLimit::max(MAX_CLIENT_FRAME_BYTES))
        .with_state(hub)
}

fn reply(result: Result<Value, HubError>) -> Response {
    reply_answer(result.map(Answer::from))
}

fn reply_answer(result: Result<Answer, HubError>) -> Response {
    let (status, body) = match result {
        Ok(Answer { data, warnings }) if warnings.is_empty() => (StatusCode::OK, json!({"ok": true, "data": data})),
        Ok(Answer { data, warnings }) => (StatusCode::OK, json!({"ok": true, "data": data, "warnings": warnings})),
        Err(e) => (
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            json!({"ok": false, "error": e.to_rpc_error()}),
        ),
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-store"));
    response
}

/// Loopback peer, loopback Host, no browser Origin at all, and the bearer token.
fn authorize(hub: &HubCore, peer: SocketAddr, headers: &HeaderMap) -> Result<(), HubError> {
    if !peer.ip().is_loopback() {
        return Err(HubError::Forbidden {
            code: "non_loopback_peer",
            message: "Forbidden: local requests only".into(),
        });
    }
    check_host(headers)?;
    if headers.contains_key("origin") {
        return Err(HubError::Forbidden {
            code: "origin_forbidden",
            message: "Forbidden: the daemon RPC does not accept browser requests".into(),
        });
    }
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if tokens_equal(given.trim(), &hub.token) {
        Ok(())
    } else {
        Err(HubError::Unauthorized("send `Authorization: Bearer <token>` with the token from daemon.json".into()))
    }
}

async fn status(
    State(hub): State<Arc<HubCore>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match authorize(&hub, peer, &headers) {
        Ok(()) => {
            let mut response = axum::Json(hub.status()).into_response();
            response.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => reply(Err(e)),
    }
}

async fn stop(
    State(hub): State<Arc<HubCore>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = authorize(&hub, peer, &headers) {
        return reply(Err(e));
    }
    tracing::info!("stop requested over RPC");
    hub.request_shutdown();
    reply(Ok(json!({"stopping": true})))
}

async fn command(
    State(hub): State<Arc<HubCore>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(e) = authorize(&hub, peer, &headers) {
        return reply(Err(e));
    }
    let body = match body {
        Ok(b) => b,
        Err(_) => return reply(Err(HubError::TooLarge(MAX_CLIENT_FRAME_BYTES))),
    };
    let (name, params) = match parse_command(&body) {
        Ok(parsed) => parsed,
        Err(e) => return reply(Err(e)),
    };
    reply_answer(dispatch(&hub, &name, &params).await)
}

/// Parses `{name, params?}`; `params` must be an object when present.
pub fn parse_command(body: &[u8]) -> Result<(String, serde_json::Map<String, Value>), HubError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        HubError::InvalidRequest(format!("body is not valid JSON ({e}); send {{\"name\":…,\"params\":{{…}}}}"))
    })?;
    let Value::Object(mut map) = value else {
        return Err(HubError::InvalidRequest("body must be a JSON object {\"name\":…,\"params\":{…}}".into()));
    };
    let name = match map.remove("name") {
        Some(Value::String(n)) if !n.trim().is_empty() => n,
        _ => return Err(HubError::InvalidRequest("`name` must be a non-empty string".into())),
    };
    let params = match map.remove("params") {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Object(p)) => p,
        Some(_) => return Err(HubError::InvalidRequest("`params` must be an object".into())),
    };
    Ok((name, params))
}

/// `GET /session?clientId=…&instanceId=…` (WebSocket): ties a binding and browser sessions
/// to the caller's process. When the socket closes (the process exits or crashes), whatever
/// that owner holds is released at once instead of at the TTL, and its browser sessions
/// (a managed Chromium included) are closed.
async fn session(
    State(hub): State<Arc<HubCore>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<serde_json::Map<String, Value>>,
    ws: Result<axum::extract::ws::WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if let Err(e) = authorize(&hub, peer, &headers) {
        return reply(Err(e));
    }
    let owner = match crate::dispatch::owner(&query) {
        Ok(owner) => owner,
        Err(e) => return reply(Err(e)),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.on_upgrade(move |mut socket| async move {
        tracing::info!(%owner, "client session opened");
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, axum::extract::ws::Message::Close(_)) {
                // RFC 6455: answer the peer's close (tungstenite queued the reply) at once.
                let close = futures_util::SinkExt::close(&mut socket);
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), close).await;
                break;
            }
        }
        let closed = hub.browser.take_owned_by(&owner);
        for session in closed.iter().filter(|s| crate::tab_sessions::is_tab_scoped(s)) {
            crate::tab_sessions::end(&hub.leases, &hub.relay(), session).await;
        }
        let (binding, tabs) = hub.leases.release_owner(&owner);
        if binding || !tabs.is_empty() {
            tracing::info!(%owner, binding, tabs = tabs.len(), "client session closed: its leases were released");
        }
        if !closed.is_empty() {
            tracing::info!(%owner, closed = closed.len(), "client session closed: its browser sessions were closed");
        }
    })
}

async fn not_found() -> Response {
    reply(Err(HubError::NotFound("no such RPC route (use POST /command, GET /status, POST /stop)".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_bodies_are_validated_with_clear_messages() {
        assert_eq!(parse_command(b"{").unwrap_err().code(), "invalid_request");
        assert_eq!(parse_command(b"[]").unwrap_err().code(), "invalid_request");
        assert_eq!(parse_command(br#"{"params":{}}"#).unwrap_err().code(), "invalid_request");
        assert_eq!(parse_command(br#"{"name":"x","params":[1]}"#).unwrap_err().code(), "invalid_request");
        let (name, params) = parse_command(br#"{"name":"relay.status"}"#).unwrap();
        assert_eq!(name, "relay.status");
        assert!(params.is_empty());
    }
}
