//! The relay's HTTP surface: `/config`, `/pair`, `/status`, their CORS preflights, and
//! the checks in front of the `/extension` and `/cdp` upgrades. Who is admitted is
//! [`super::admission`]; the routes are tested in-process in `router_tests.rs`.

use super::admission::{error_response, no_store, Admitted, Pairing, Refused};
use super::{cdp_socket, extension_socket, Relay};
use crate::access::{peer_of, tokens_equal, Caller};
use crate::error::HubError;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pairing::wire::{MAX_CLIENT_FRAME_BYTES, MAX_EXTENSION_FRAME_BYTES};
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Every relay endpoint.
pub(super) fn relay_router(relay: Relay) -> Router {
    Router::new()
        .route("/config", get(config).options(preflight))
        .route("/status", get(status).options(preflight))
        .route("/pair", get(pair).options(preflight))
        .route("/extension", get(extension))
        .route("/cdp", get(cdp))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(relay)
}

/// The discovery server: only `/config` and `/status` (as upstream).
pub(super) fn discovery_router(relay: Relay) -> Router {
    Router::new()
        .route("/config", get(config).options(preflight))
        .route("/status", get(status).options(preflight))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(relay)
}

async fn method_not_allowed() -> Response {
    error_response(&HubError::MethodNotAllowed)
}

fn json_for(caller: &Caller, body: impl serde::Serialize) -> Response {
    let mut response = axum::Json(body).into_response();
    no_store(&mut response);
    if let Caller::Extension(id) = caller {
        allow_origin(&mut response, id);
    }
    response
}

fn allow_origin(response: &mut Response, id: &str) {
    if let Ok(origin) = HeaderValue::from_str(&format!("chrome-extension://{id}")) {
        let headers = response.headers_mut();
        headers.insert("access-control-allow-origin", origin);
        headers.insert("vary", HeaderValue::from_static("Origin"));
    }
}

async fn preflight(parts: Parts) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let (peer, origin) = (peer_of(&parts), crate::access::classify_origin(&parts.headers));
    if let (true, Ok(Caller::Extension(id))) = (peer.ip().is_loopback(), origin) {
        allow_origin(&mut response, &id);
        let h = response.headers_mut();
        h.insert("access-control-allow-methods", HeaderValue::from_static("GET, OPTIONS"));
        h.insert("access-control-allow-headers", HeaderValue::from_static("Content-Type, Authorization"));
        h.insert("access-control-allow-private-network", HeaderValue::from_static("true"));
    }
    response
}

async fn config(Admitted(caller): Admitted, State(relay): State<Relay>) -> Response {
    json_for(
        &caller,
        json!({
            "relayPort": relay.port(),
            "pairingRequired": relay.pairing_required(),
            "instanceId": relay.instance_id(),
            "epoch": relay.epoch(),
            "discoveryPort": relay.0.discovery_port,
            "extensionConnected": relay.handshake_complete(),
        }),
    )
}

async fn status(Admitted(caller): Admitted, State(relay): State<Relay>) -> Response {
    json_for(&caller, relay.status())
}

async fn pair(Pairing(caller): Pairing, State(relay): State<Relay>) -> Response {
    json_for(&caller, json!({"token": relay.0.opts.token, "instanceId": relay.instance_id(), "epoch": relay.epoch()}))
}

fn take_socket_permit(relay: &Relay) -> Result<tokio::sync::OwnedSemaphorePermit, HubError> {
    relay.0.sockets.clone().try_acquire_owned().map_err(|_| {
        tracing::warn!("WebSocket refused: connection limit reached");
        HubError::TooManyConnections
    })
}

/// Upgrades an admitted request: a socket permit (flood bound), the frame limit, then `run`.
fn upgrade<F, Fut>(
    relay: Relay,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    limit: usize,
    run: F,
) -> Response
where
    F: FnOnce(Relay, axum::extract::ws::WebSocket, tokio::sync::OwnedSemaphorePermit) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    match take_socket_permit(&relay) {
        Ok(permit) => {
            ws.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| run(relay, socket, permit))
        }
        Err(e) => error_response(&e),
    }
}

async fn extension(
    admitted: Result<Pairing, Refused>,
    State(relay): State<Relay>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match admitted {
        Ok(_) => upgrade(relay, ws, MAX_EXTENSION_FRAME_BYTES, extension_socket::run),
        Err(Refused(e)) => {
            if e.code() == "extension_not_allowed" {
                let origin = headers.get("origin").and_then(|o| o.to_str().ok()).unwrap_or("(none)");
                relay.record_handshake_error(e.code(), &format!("{e} (refused origin {origin})"));
            }
            error_response(&e)
        }
    }
}

async fn cdp(
    _: Admitted,
    State(relay): State<Relay>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Some(expected) = relay.0.opts.token.as_deref() {
        let given = query.get("token").map(|t| t.trim()).unwrap_or("");
        if !tokens_equal(given, expected) {
            tracing::warn!(%peer, "/cdp refused: invalid or missing token");
            let reason = if given.is_empty() { "missing ?token=" } else { "wrong token" };
            return error_response(&HubError::Unauthorized(format!(
                "{reason}; /cdp needs ?token=<relay token> (relayToken in hub.json in the config dir; `opendevbrowser cdp-url` prints the whole URL)"
            )));
        }
    }
    let pass = match relay.0.opts.cdp_door.as_ref().map(|door| door.enter(peer)).transpose() {
        Ok(pass) => pass,
        Err(e) => {
            tracing::warn!(%peer, "/cdp refused: {e}");
            return error_response(&e);
        }
    };
    upgrade(relay, ws, MAX_CLIENT_FRAME_BYTES, move |relay, socket, permit| {
        cdp_socket::run(relay, socket, permit, pass)
    })
}

async fn not_found() -> Response {
    error_response(&HubError::NotFound("no such relay endpoint (try /config, /pair, /status, /extension, /cdp)".into()))
}
