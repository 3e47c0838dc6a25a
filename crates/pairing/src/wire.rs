//! Wire messages of the relay protocol: the handshake between extension and relay,
//! the CDP envelopes on `/extension`, and the `/config` and `/pair` bodies.
//!
//! Field names and shapes match the upstream TypeScript relay, so either side of this
//! crate can talk to an upstream peer. Unknown fields are ignored; malformed input is a
//! [`WireError`] with a stable code instead of being silently dropped.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::handshake_wire::{ConfigResponse, Handshake, HandshakeAck, PairResponse, REPLACED_CLOSE_REASON};

/// Largest frame the hub accepts from the extension (screenshots travel as base64).
pub const MAX_EXTENSION_FRAME_BYTES: usize = 32 * 1024 * 1024;
/// Largest frame the hub accepts from a `/cdp` client or as an RPC body.
pub const MAX_CLIENT_FRAME_BYTES: usize = 8 * 1024 * 1024;

/// Why a frame or body could not be understood. Every variant has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The text is not JSON at all.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// Valid JSON, but not a JSON object.
    #[error("expected a JSON object")]
    NotAnObject,
    /// A known message with a missing or mistyped field.
    #[error("field `{field}` is missing or has the wrong type ({expected} expected)")]
    InvalidField {
        /// The field's wire name.
        field: &'static str,
        /// What the field must be.
        expected: &'static str,
    },
    /// An object that is none of the messages this side understands.
    #[error("unrecognised frame: {0}")]
    UnknownFrame(String),
    /// The frame is larger than the limit for its channel.
    #[error("frame of {size} bytes exceeds the {limit}-byte limit")]
    FrameTooLarge {
        /// Size of the offending frame.
        size: usize,
        /// The channel's limit.
        limit: usize,
    },
}

impl WireError {
    /// A stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::MalformedJson(_) => "malformed_json",
            WireError::NotAnObject => "not_an_object",
            WireError::InvalidField { .. } => "invalid_field",
            WireError::UnknownFrame(_) => "unknown_frame",
            WireError::FrameTooLarge { .. } => "frame_too_large",
        }
    }
}

/// A CDP request id: upstream accepts numbers and strings and passes them through untouched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CdpId {
    /// A numeric id (what most CDP clients send).
    Num(i64),
    /// A string id.
    Str(String),
}

/// A CDP response travelling from the extension to the relay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdpResponse {
    /// The id of the command being answered.
    pub id: CdpId,
    /// The result, when the command succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The CDP error object (`{code?, message}`), when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// The flat session the command ran in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// A CDP event (method + params, optionally scoped to a flat session).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdpEvent {
    /// The CDP event name, e.g. `Page.loadEventFired`.
    pub method: String,
    /// The event's parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// The flat session that emitted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// A CDP command (what a `/cdp` client sends and what `forwardCDPCommand` carries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdpCommand {
    /// The caller's request id.
    pub id: CdpId,
    /// The CDP method, e.g. `Runtime.evaluate`.
    pub method: String,
    /// The method's parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// The flat session to run in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// Every frame the extension sends on `/extension`.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtensionFrame {
    /// `{"type":"handshake","payload":{…}}`
    Handshake(Handshake),
    /// `{"method":"forwardCDPEvent","params":{method, params, sessionId}}`
    Event(CdpEvent),
    /// `{"id", "result"|"error", "sessionId"}`
    Response(CdpResponse),
    /// `{"type":"ping","id":"…"}`: a keepalive, answered with `pong`.
    Ping {
        /// Echoed in the pong.
        id: String,
    },
    /// `{"type":"healthCheck","id":"…"}` (upstream HEAD): answered with
    /// `healthCheckResult`, the same health payload as `pong`.
    HealthCheck {
        /// Echoed in the result.
        id: String,
    },
}

/// Every frame the relay sends on `/extension`.
#[derive(Debug, Clone, PartialEq)]
pub enum RelayFrame {
    /// `{"type":"handshakeAck","payload":{…}}`
    HandshakeAck(HandshakeAck),
    /// `{"id", "method":"forwardCDPCommand", "params":{method, params, sessionId}}`
    ForwardCdpCommand(CdpCommand),
    /// `{"type":"pong","id":"…","payload":{…}}`
    Pong {
        /// The ping's id.
        id: String,
        /// Relay health summary (upstream's `RelayHealthStatus`).
        payload: Value,
    },
    /// `{"type":"healthCheckResult","id":"…","payload":{…}}`
    HealthCheckResult {
        /// The health check's id.
        id: String,
        /// Relay health summary, as in `pong`.
        payload: Value,
    },
}

/// Parses text into a JSON object, enforcing a size limit first.
pub fn parse_object(text: &str, limit: usize) -> Result<Map<String, Value>, WireError> {
    if text.len() > limit {
        return Err(WireError::FrameTooLarge { size: text.len(), limit });
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(WireError::NotAnObject),
        Err(e) => Err(WireError::MalformedJson(e.to_string())),
    }
}

fn field<T: serde::de::DeserializeOwned>(
    value: Value,
    field: &'static str,
    expected: &'static str,
) -> Result<T, WireError> {
    serde_json::from_value(value).map_err(|_| WireError::InvalidField { field, expected })
}

fn str_field(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Parses a frame from the extension, in upstream's dispatch order:
/// handshake, then `forwardCDPEvent`, then anything with an `id` as a response.
pub fn parse_extension_frame(text: &str) -> Result<ExtensionFrame, WireError> {
    let mut map = parse_object(text, MAX_EXTENSION_FRAME_BYTES)?;
    match map.get("type").and_then(Value::as_str) {
        Some("handshake") => {
            let payload = map.remove("payload").unwrap_or(Value::Null);
            if !payload.get("tabId").is_some_and(Value::is_number) {
                return Err(WireError::InvalidField { field: "payload.tabId", expected: "number" });
            }
            return field(payload, "payload", "handshake payload").map(ExtensionFrame::Handshake);
        }
        Some("ping") => {
            let id = str_field(&map, "id").ok_or(WireError::InvalidField { field: "id", expected: "string" })?;
            return Ok(ExtensionFrame::Ping { id });
        }
        Some("healthCheck") => {
            let id = str_field(&map, "id").ok_or(WireError::InvalidField { field: "id", expected: "string" })?;
            return Ok(ExtensionFrame::HealthCheck { id });
        }
        _ => {}
    }
    if map.get("method").and_then(Value::as_str) == Some("forwardCDPEvent") {
        let params = map.remove("params").unwrap_or(Value::Null);
        return field(params, "params", "{method, params?, sessionId?}").map(ExtensionFrame::Event);
    }
    if map.contains_key("id") {
        return field(Value::Object(map), "id", "string or number").map(ExtensionFrame::Response);
    }
    Err(WireError::UnknownFrame(describe(&map)))
}

/// Parses a frame from the relay (what the extension receives).
pub fn parse_relay_frame(text: &str) -> Result<RelayFrame, WireError> {
    let mut map = parse_object(text, MAX_EXTENSION_FRAME_BYTES)?;
    match map.get("type").and_then(Value::as_str) {
        Some("handshakeAck") => {
            let payload = map.remove("payload").unwrap_or(Value::Null);
            return field(payload, "payload", "{instanceId: string, relayPort: number}").map(RelayFrame::HandshakeAck);
        }
        Some("pong") => {
            let id = str_field(&map, "id").unwrap_or_default();
            let payload = map.remove("payload").unwrap_or(Value::Null);
            return Ok(RelayFrame::Pong { id, payload });
        }
        Some("healthCheckResult") => {
            let id = str_field(&map, "id").unwrap_or_default();
            let payload = map.remove("payload").unwrap_or(Value::Null);
            return Ok(RelayFrame::HealthCheckResult { id, payload });
        }
        _ => {}
    }
    if map.get("method").and_then(Value::as_str) == Some("forwardCDPCommand") {
        let id = map.remove("id").unwrap_or(Value::Null);
        let id: CdpId = field(id, "id", "string or number")?;
        let mut params = match map.remove("params") {
            Some(Value::Object(p)) => p,
            _ => return Err(WireError::InvalidField { field: "params", expected: "object" }),
        };
        let method = str_field(&params, "method")
            .ok_or(WireError::InvalidField { field: "params.method", expected: "string" })?;
        return Ok(RelayFrame::ForwardCdpCommand(CdpCommand {
            id,
            method,
            params: params.remove("params"),
            session_id: str_field(&params, "sessionId"),
        }));
    }
    Err(WireError::UnknownFrame(describe(&map)))
}

/// Parses a plain CDP command as a `/cdp` client sends it.
pub fn parse_cdp_command(text: &str) -> Result<CdpCommand, WireError> {
    let map = parse_object(text, MAX_CLIENT_FRAME_BYTES)?;
    if !map.get("id").is_some_and(|v| v.is_string() || v.is_i64()) {
        return Err(WireError::InvalidField { field: "id", expected: "string or integer" });
    }
    if !map.get("method").is_some_and(Value::is_string) {
        return Err(WireError::InvalidField { field: "method", expected: "string" });
    }
    field(Value::Object(map), "sessionId", "string")
}

fn describe(map: &Map<String, Value>) -> String {
    let keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
    format!("object with keys [{}]", keys.join(", "))
}

impl ExtensionFrame {
    /// Serialises the frame as the extension sends it.
    pub fn to_json(&self) -> String {
        let value = match self {
            ExtensionFrame::Handshake(h) => serde_json::json!({"type": "handshake", "payload": h}),
            ExtensionFrame::Event(e) => {
                serde_json::json!({"method": "forwardCDPEvent", "params": e})
            }
            ExtensionFrame::Response(r) => serde_json::to_value(r).unwrap_or(Value::Null),
            ExtensionFrame::Ping { id } => serde_json::json!({"type": "ping", "id": id}),
            ExtensionFrame::HealthCheck { id } => serde_json::json!({"type": "healthCheck", "id": id}),
        };
        value.to_string()
    }
}

impl RelayFrame {
    /// Serialises the frame as the relay sends it.
    pub fn to_json(&self) -> String {
        let value = match self {
            RelayFrame::HandshakeAck(a) => {
                serde_json::json!({"type": "handshakeAck", "payload": a})
            }
            RelayFrame::ForwardCdpCommand(c) => {
                let mut params = Map::new();
                params.insert("method".into(), Value::String(c.method.clone()));
                if let Some(p) = &c.params {
                    params.insert("params".into(), p.clone());
                }
                if let Some(s) = &c.session_id {
                    params.insert("sessionId".into(), Value::String(s.clone()));
                }
                serde_json::json!({"id": c.id, "method": "forwardCDPCommand", "params": params})
            }
            RelayFrame::Pong { id, payload } => {
                serde_json::json!({"type": "pong", "id": id, "payload": payload})
            }
            RelayFrame::HealthCheckResult { id, payload } => {
                serde_json::json!({"type": "healthCheckResult", "id": id, "payload": payload})
            }
        };
        value.to_string()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn handshake_parses_with_unknown_fields_and_round_trips() {
        let text =
            r#"{"type":"handshake","payload":{"tabId":3,"url":"http://x/","pairingToken":"t","extra":1},"more":true}"#;
        let frame = parse_extension_frame(text).unwrap();
        let ExtensionFrame::Handshake(h) = &frame else { panic!("not a handshake: {frame:?}") };
        assert_eq!(h.tab_id, 3);
        assert_eq!(h.pairing_token.as_deref(), Some("t"));
        assert_eq!(parse_extension_frame(&frame.to_json()).unwrap(), frame);
    }

    #[test]
    fn handshake_without_numeric_tab_id_is_invalid_field() {
        let err = parse_extension_frame(r#"{"type":"handshake","payload":{"tabId":"3"}}"#).unwrap_err();
        assert_eq!(err.code(), "invalid_field");
    }

    #[test]
    fn event_and_response_dispatch_in_upstream_order() {
        let ev = r#"{"method":"forwardCDPEvent","params":{"method":"Page.loadEventFired","params":{},"sessionId":"pw-tab-1"}}"#;
        assert!(
            matches!(parse_extension_frame(ev).unwrap(), ExtensionFrame::Event(e) if e.session_id.as_deref() == Some("pw-tab-1"))
        );
        let resp = r#"{"id":"a","error":{"message":"boom"}}"#;
        assert!(
            matches!(parse_extension_frame(resp).unwrap(), ExtensionFrame::Response(r) if r.id == CdpId::Str("a".into()))
        );
    }

    #[test]
    fn malformed_inputs_have_distinct_codes() {
        assert_eq!(parse_extension_frame("{").unwrap_err().code(), "malformed_json");
        assert_eq!(parse_extension_frame("[1]").unwrap_err().code(), "not_an_object");
        assert_eq!(parse_extension_frame(r#"{"x":1}"#).unwrap_err().code(), "unknown_frame");
        assert_eq!(parse_extension_frame(r#"{"id":true}"#).unwrap_err().code(), "invalid_field");
        let big = format!("\"{}\"", "a".repeat(MAX_CLIENT_FRAME_BYTES));
        assert_eq!(parse_cdp_command(&big).unwrap_err().code(), "frame_too_large");
    }

    #[test]
    fn forward_command_round_trips_with_session() {
        let cmd = RelayFrame::ForwardCdpCommand(CdpCommand {
            id: CdpId::Num(7),
            method: "Runtime.evaluate".into(),
            params: Some(serde_json::json!({"expression":"1+1"})),
            session_id: Some("pw-tab-1".into()),
        });
        let json: Value = serde_json::from_str(&cmd.to_json()).unwrap();
        assert_eq!(json["params"]["sessionId"], "pw-tab-1");
        assert_eq!(json["method"], "forwardCDPCommand");
        assert_eq!(parse_relay_frame(&cmd.to_json()).unwrap(), cmd);
    }

    #[test]
    fn cdp_command_requires_id_and_method() {
        assert!(parse_cdp_command(r#"{"id":1,"method":"A.b"}"#).is_ok());
        assert_eq!(parse_cdp_command(r#"{"method":"A.b"}"#).unwrap_err().code(), "invalid_field");
        assert_eq!(parse_cdp_command(r#"{"id":1.5,"method":"A.b"}"#).unwrap_err().code(), "invalid_field");
        assert_eq!(parse_cdp_command(r#"{"id":1}"#).unwrap_err().code(), "invalid_field");
    }

    #[test]
    fn config_defaults_pairing_required_to_true() {
        let c: ConfigResponse = serde_json::from_str(r#"{"relayPort":8787}"#).unwrap();
        assert!(c.pairing_required);
        assert_eq!(c.instance_id, None);
    }
}
