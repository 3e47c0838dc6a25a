//! What every RPC route shares: who may call (loopback peer, loopback `Host`, no browser
//! `Origin`, the bearer token), how a command body `{name, params?}` is read, and the
//! answer body `{ok, data | error}` with its HTTP status.

use crate::core::HubCore;
use crate::dispatch::Answer;
use crate::error::HubError;
use crate::guard::{bearer, check_host, tokens_equal};
use axum::http::HeaderMap;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Loopback peer, loopback Host, no browser Origin at all, and the bearer token.
pub fn authorize(hub: &HubCore, peer: SocketAddr, headers: &HeaderMap) -> Result<(), HubError> {
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
    let given = bearer(headers).unwrap_or("");
    if tokens_equal(given, &hub.token) {
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

/// What is wrong with a request body that is not JSON, in words: cut short, nested too
/// deep, or not JSON at all (with serde's position).
pub fn json_problem(e: &serde_json::Error, len: usize) -> String {
    if e.classify() == serde_json::error::Category::Eof {
        return format!("the JSON ends early, after {len} bytes: the request was cut short (truncated)");
    }
    if e.to_string().starts_with("recursion limit exceeded") {
        return format!(
            "the JSON is nested too deeply (more than {MAX_DEPTH} levels of arrays and objects, at line {} column {})",
            e.line(),
            e.column()
        );
    }
    format!("the body is not valid JSON ({e})")
}

/// How deep arrays and objects may nest in a request (serde_json's own limit).
pub const MAX_DEPTH: usize = 128;

/// Parses `{name, params?}`; `params` must be an object when present.
pub fn parse_command(body: &[u8]) -> Result<(String, serde_json::Map<String, Value>), HubError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let problem = json_problem(&e, body.len());
        HubError::InvalidRequest(format!("{problem}; send {{\"name\":…,\"params\":{{…}}}}"))
    })?;
    let Value::Object(map) = value else {
        let kind = kind_of(&value);
        return Err(HubError::InvalidRequest(format!(
            "the body is a JSON {kind}, not an object: send {{\"name\":…,\"params\":{{…}}}}"
        )));
    };
    command_of(map)
}

/// The JSON type of `value`, in words.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `name` and `params` out of a parsed request object.
pub fn command_of(
    mut map: serde_json::Map<String, Value>,
) -> Result<(String, serde_json::Map<String, Value>), HubError> {
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

/// The HTTP status and body of an answer: `{ok:true, data, warnings?}` or
/// `{ok:false, error:{code, message, …}}`.
pub fn answer_body(result: Result<Answer, HubError>) -> (u16, Value) {
    match result {
        Ok(Answer { data, warnings }) if warnings.is_empty() => (200, json!({"ok": true, "data": data})),
        Ok(Answer { data, warnings }) => (200, json!({"ok": true, "data": data, "warnings": warnings})),
        Err(e) => (e.http_status(), json!({"ok": false, "error": e.to_rpc_error()})),
    }
}
