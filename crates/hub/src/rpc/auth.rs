//! Who may call the daemon RPC: a loopback peer, a loopback `Host`, no browser `Origin` at
//! all, and this hub's bearer token (from `daemon.json`), checked in that order. Every
//! route takes [`Authorized`] as its first extractor, so a handler cannot run for a caller
//! who fails these rules; a refusal is answered in the RPC's error shape before a socket is
//! upgraded (`POST /command` reads its body first: see there).

use crate::access::{bearer, check_host, check_loopback, peer_of, tokens_equal};
use crate::error::HubError;
use crate::state::HubCore;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::Arc;

/// Proof that the request passed [`authorize`]; handlers take it as their first argument.
pub(crate) struct Authorized;

impl FromRequestParts<Arc<HubCore>> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<HubCore>) -> Result<Self, Response> {
        match authorize(hub.token(), peer_of(parts), &parts.headers) {
            Ok(()) => Ok(Authorized),
            Err(e) => Err(super::refusal(e)),
        }
    }
}

/// Loopback peer, loopback Host, no browser Origin at all, and the bearer token.
pub(crate) fn authorize(token: &str, peer: SocketAddr, headers: &HeaderMap) -> Result<(), HubError> {
    check_loopback(peer)?;
    check_host(headers)?;
    if headers.contains_key("origin") {
        return Err(HubError::Forbidden {
            code: "origin_forbidden",
            message: "Forbidden: the daemon RPC does not accept browser requests".into(),
        });
    }
    let given = bearer(headers).unwrap_or("");
    if tokens_equal(given, token) {
        Ok(())
    } else if given.is_empty() {
        Err(HubError::Unauthorized(
            "no bearer token: send `Authorization: Bearer <token>` with the token in the hub's daemon.json \
             (in its cache folder)"
                .into(),
        ))
    } else {
        Err(HubError::Unauthorized(
            "this token is not this hub's: the hub restarted (each hub process makes a new token) or another \
             hub now runs; read the token again from daemon.json in the hub's cache folder (opendevbrowser's \
             client library, CLI and MCP server do this by themselves and retry)"
                .into(),
        ))
    }
}
