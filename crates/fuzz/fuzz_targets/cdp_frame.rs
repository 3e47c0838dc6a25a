//! Commands from a `/cdp` client: a typed error or a command, never a panic. A command is
//! accepted exactly when the text is a JSON object with a string or integer `id`, a string
//! `method` and a string (or absent) `sessionId`; what is accepted is what the text said,
//! and serialising it parses back to the same command (a command parsed from the input,
//! and one built from its bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use pairing::wire::{parse_cdp_command, CdpCommand, WireError, MAX_CLIENT_FRAME_BYTES};
use serde_json::{json, Value};

#[path = "take.rs"]
mod take;

fuzz_target!(|data: &[u8]| {
    let mut t = take::Take(data);
    let cmd = CdpCommand { id: t.id(), method: t.text(), params: t.maybe_json(), session_id: t.maybe_text() };
    let sent = serde_json::to_string(&cmd).unwrap();
    assert_eq!(parse_cdp_command(&sent), Ok(cmd), "round trip of {sent}");
    let Ok(text) = std::str::from_utf8(data) else { return };
    let json: Option<Value> = serde_json::from_str(text).ok();
    let object = json.as_ref().and_then(Value::as_object);
    let well_formed = text.len() <= MAX_CLIENT_FRAME_BYTES
        && object.is_some_and(|m| {
            m.get("id").is_some_and(|v| v.is_string() || v.is_i64())
                && m.get("method").is_some_and(Value::is_string)
                && m.get("sessionId").is_none_or(|v| v.is_null() || v.is_string())
        });
    match parse_cdp_command(text) {
        Ok(cmd) => {
            assert!(well_formed, "accepted a malformed command: {text:?}");
            let m = object.unwrap();
            assert_eq!(json!(cmd.id), m["id"], "the id as sent");
            assert_eq!(Some(cmd.method.as_str()), m["method"].as_str(), "the method as sent");
            assert_eq!(cmd.params, m.get("params").filter(|p| !p.is_null()).cloned(), "the params as sent");
            assert_eq!(cmd.session_id.as_deref(), m.get("sessionId").and_then(Value::as_str), "the session as sent");
            let again = parse_cdp_command(&serde_json::to_string(&cmd).unwrap()).expect("a serialised command parses");
            assert_eq!(again, cmd, "round trip");
        }
        Err(e) => {
            assert!(!well_formed, "refused a well-formed command {text:?}: {e}");
            match e {
                WireError::MalformedJson(_) => assert!(json.is_none(), "{text:?} is JSON"),
                WireError::NotAnObject => assert!(json.is_some() && object.is_none(), "{text:?}"),
                WireError::InvalidField { field, .. } => {
                    assert!(object.is_some() && ["id", "method", "sessionId"].contains(&field), "{field} for {text:?}")
                }
                other => panic!("unexpected error for {text:?}: {other:?}"),
            }
        }
    }
});
