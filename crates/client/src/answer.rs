//! Reading the hub's answer body `{ok, data | error}` (from `POST /command` or the
//! channel): the data, or a [`ClientError`] with the hub's code, message and details; a
//! body not in our format is another program on the hub's port.

use crate::error::ClientError;
use serde_json::Value;

/// `data` of an `{ok: true}` body, or the error it carries.
pub fn unwrap_answer(port: u16, name: &str, status: u16, body: &Value) -> Result<Value, ClientError> {
    if body["ok"] == true {
        return Ok(body["data"].clone());
    }
    let error = &body["error"];
    if !error["code"].is_string() {
        // Our hub always sends `{"error": {"code", "message"}}`; a bare string is another
        // program's format (upstream's Node daemon answers `{"ok":false,"error":"…"}`).
        let detail = format!("it answered `{name}` with {}", crate::discovery::describe_foreign(status, body));
        return Err(ClientError::ForeignHub { port, detail });
    }
    Err(ClientError::Hub {
        code: error["code"].as_str().unwrap_or("unknown").to_owned(),
        message: error["message"].as_str().unwrap_or("the hub refused the command").to_owned(),
        status,
        details: error.clone(),
    })
}
