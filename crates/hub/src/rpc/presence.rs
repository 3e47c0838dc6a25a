//! `GET /session?clientId=…&instanceId=…` (WebSocket), the caller's presence: while the
//! socket is open the caller is alive. When it closes (the process exits or crashes),
//! whatever that owner holds is released at once instead of at the lease TTL, and its
//! browser sessions (a managed Chromium included) are closed. (The wire path stays
//! `/session`, as upstream; in the code "session" means a browser session.)

use super::auth::Authorized;
use crate::state::HubCore;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// `GET /session?clientId=…&instanceId=…` (WebSocket): ties a binding and browser sessions
/// to the caller's process. When the socket closes (the process exits or crashes), whatever
/// that owner holds is released at once instead of at the TTL, and its browser sessions
/// (a managed Chromium included) are closed.
pub(crate) async fn presence(
    _: Authorized,
    State(hub): State<Arc<HubCore>>,
    Query(query): Query<serde_json::Map<String, Value>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let owner = match crate::commands::dispatch::owner(&query) {
        Ok(owner) => owner,
        Err(e) => return super::refusal(e),
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
        let closed = hub.sessions().take_owned_by(&owner);
        for session in closed.iter().filter(|s| crate::sessions::tab_scope::is_tab_scoped(s)) {
            crate::sessions::tab_scope::end(hub.leases(), &hub.relay(), session).await;
        }
        let (binding, tabs) = hub.leases().release_owner(&owner);
        if binding || !tabs.is_empty() {
            tracing::info!(%owner, binding, tabs = tabs.len(), "client session closed: its leases were released");
        }
        if !closed.is_empty() {
            tracing::info!(%owner, closed = closed.len(), "client session closed: its browser sessions were closed");
        }
    })
}
