//! Who gets through the relay's doors, as extractors: [`Admitted`] for `/config`,
//! `/status` and `/cdp` and [`Pairing`] for `/pair` and `/extension` (pinned extension ids,
//! or the relay token from a local program) apply [`AccessPolicy::check`] before the
//! handler runs. A refusal is answered in the relay's error shape and logged.
//!
//! [`AccessPolicy::check`]: crate::access::AccessPolicy::check

use super::Relay;
use crate::access::{peer_of, Caller, Sensitivity};
use crate::error::HubError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A caller admitted to an ordinary relay endpoint: who it is (by its `Origin`).
pub(super) struct Admitted(pub Caller);

/// A caller admitted to a pairing endpoint (`/pair`, `/extension`).
pub(super) struct Pairing(pub Caller);

/// Why a request was turned away (answered as `{"error", "code"}`).
pub(super) struct Refused(pub HubError);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        error_response(&self.0)
    }
}

fn admit(parts: &Parts, relay: &Relay, sensitivity: Sensitivity) -> Result<Caller, Refused> {
    let peer = peer_of(parts);
    relay.0.opts.policy.check(peer, &parts.headers, sensitivity).map_err(|e| {
        tracing::warn!(code = e.code(), %peer, path = parts.uri.path(), "request refused: {e}");
        Refused(e)
    })
}

impl FromRequestParts<Relay> for Admitted {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, relay: &Relay) -> Result<Self, Refused> {
        admit(parts, relay, Sensitivity::Normal).map(Admitted)
    }
}

impl FromRequestParts<Relay> for Pairing {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, relay: &Relay) -> Result<Self, Refused> {
        admit(parts, relay, Sensitivity::Pairing).map(Pairing)
    }
}

/// An error as the relay answers it: `{"error": message, "code": code}`.
pub(crate) fn error_response(error: &HubError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, axum::Json(json!({"error": error.to_string(), "code": error.code()}))).into_response();
    no_store(&mut response);
    response
}

pub(super) fn no_store(response: &mut Response) {
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
}
