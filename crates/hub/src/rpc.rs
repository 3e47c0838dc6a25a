//! The daemon RPC on loopback: `POST /command`, `GET /status`, `POST /stop`, the
//! `/session` socket and the `/channel` socket ([`crate::channel`]), each behind a bearer
//! token (from `daemon.json`). Answers are `{ok:true,data}` or
//! `{ok:false,error:{code,message}}` ([`crate::rpc_wire`]).

use crate::core::HubCore;
use crate::dispatch::{dispatch, Answer};
use crate::error::HubError;
pub use crate::rpc_wire::parse_command;
use crate::rpc_wire::{answer_body, authorize};
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
        .route("/channel", get(crate::channel::channel))
        .fallback(not_found)
        .method_not_allowed_fallback(|| async { reply(Err(HubError::MethodNotAllowed)) })
        .layer(DefaultBodyLimit::max(MAX_CLIENT_FRAME_BYTES))
        .with_state(hub)
}

/// A refusal as the RPC answers it (`{ok: false, error: {code, message}}`).
pub fn refusal(error: HubError) -> Response {
    reply(Err(error))
}

fn reply(result: Result<Value, HubError>) -> Response {
    reply_answer(result.map(Answer::from))
}

fn reply_answer(result: Result<Answer, HubError>) -> Response {
    let (status, body) = answer_body(result);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-store"));
    response
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
        Err(rejection) => return reply(Err(body_unreadable(&rejection))),
    };
    let (name, params) = match parse_command(&body) {
        Ok(parsed) => parsed,
        Err(e) => return reply(Err(e)),
    };
    reply_answer(dispatch(&hub, &name, &params).await)
}

/// Why a request body could not be read: over the size limit, or cut short (the client
/// sent fewer bytes than its `Content-Length`, or its connection broke mid-body).
fn body_unreadable(rejection: &BytesRejection) -> HubError {
    use axum::extract::rejection::FailedToBufferBody;
    match rejection {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            HubError::TooLarge(MAX_CLIENT_FRAME_BYTES)
        }
        other => HubError::InvalidRequest(format!(
            "the request body could not be read in full: it was cut short (fewer bytes than its Content-Length, \
             or the connection broke mid-body): {other}"
        )),
    }
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
        let said = |body: &[u8]| parse_command(body).unwrap_err().to_string();
        assert!(said(br#"{"name":"relay.status","par"#).contains("cut short (truncated)"), "{}", said(b"{"));
        let deep = "[".repeat(20_000);
        assert!(said(deep.as_bytes()).contains("nested too deeply"), "{}", said(deep.as_bytes()));
        assert!(said(b"[1,2]").contains("a JSON array, not an object"), "{}", said(b"[1,2]"));
        assert!(said(b"not json").contains("not valid JSON"), "{}", said(b"not json"));
        let (name, params) = parse_command(br#"{"name":"relay.status"}"#).unwrap();
        assert_eq!(name, "relay.status");
        assert!(params.is_empty());
    }
}
