//! The daemon RPC on loopback: `POST /command`, `GET /status`, `POST /stop`, the
//! `/session` socket (`presence`) and the `/channel` socket (`channel`), each behind
//! `auth::Authorized`. Answers are `{ok:true,data}` or `{ok:false,error:{code,message}}`
//! (`wire`). The router is built from the hub's core and tested in-process, without
//! ports (`router_tests.rs`).

pub(crate) mod auth;
pub(crate) mod channel;
pub(crate) mod presence;
#[cfg(test)]
mod router_tests;
pub(crate) mod wire;

pub use crate::commands::dispatch::owner;
use crate::commands::dispatch::{dispatch, Answer};
use crate::error::HubError;
use crate::state::HubCore;
use auth::Authorized;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pairing::wire::MAX_CLIENT_FRAME_BYTES;
use serde_json::{json, Value};
use std::sync::Arc;
use wire::answer_body;
pub use wire::parse_command;

/// The RPC router.
pub fn router(hub: Arc<HubCore>) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/stop", post(stop))
        .route("/command", post(command))
        .route("/session", get(presence::presence))
        .route("/channel", get(channel::channel))
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

async fn status(_: Authorized, State(hub): State<Arc<HubCore>>) -> Response {
    let mut response = axum::Json(hub.status()).into_response();
    response.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-store"));
    response
}

async fn stop(_: Authorized, State(hub): State<Arc<HubCore>>) -> Response {
    tracing::info!("stop requested over RPC");
    hub.request_shutdown();
    reply(Ok(json!({"stopping": true})))
}

/// The body is read (up to its limit) before the caller's token is judged, as the RPC has
/// always done: a client whose token went stale (the hub restarted) gets the 401 it
/// retries on after it has sent its whole body, whatever its size.
async fn command(
    authorized: Result<Authorized, Response>,
    State(hub): State<Arc<HubCore>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refused) = authorized {
        return refused;
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
