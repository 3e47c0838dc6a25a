//! What the RPC's command routes share: how a command body `{name, params?}` is read, and
//! the answer body `{ok, data | error}` with its HTTP status. Who may call is
//! [`super::auth`].

use crate::commands::dispatch::Answer;
use crate::error::HubError;
use serde_json::{json, Value};

/// What is wrong with a request body that is not JSON, in words: cut short, nested too
/// deep, or not JSON at all (with serde's position).
pub(crate) fn json_problem(e: &serde_json::Error, len: usize) -> String {
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
pub(crate) const MAX_DEPTH: usize = 128;

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
pub(crate) fn kind_of(value: &Value) -> &'static str {
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
pub(crate) fn command_of(
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
pub(crate) fn answer_body(result: Result<Answer, HubError>) -> (u16, Value) {
    match result {
        Ok(Answer { data, warnings }) if warnings.is_empty() => (200, json!({"ok": true, "data": data})),
        Ok(Answer { data, warnings }) => (200, json!({"ok": true, "data": data, "warnings": warnings})),
        Err(e) => (e.http_status(), json!({"ok": false, "error": e.to_rpc_error()})),
    }
}
