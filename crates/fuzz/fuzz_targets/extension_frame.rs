//! Frames the hub reads from the extension: a typed error or a frame, never a panic; every
//! frame (handshakes, events, responses, pings) serialises to text that parses back to
//! the same frame (both a frame parsed from the input and one built from its bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use pairing::wire::{parse_extension_frame, CdpEvent, CdpResponse, ExtensionFrame, Handshake, WireError};
use serde_json::Value;

#[path = "take.rs"]
mod take;

/// Every kind of frame the extension sends, its fields taken from `t`.
fn built(t: &mut take::Take) -> ExtensionFrame {
    match t.byte() % 5 {
        0 => ExtensionFrame::Handshake(Handshake {
            tab_id: t.int(),
            url: t.maybe_text(),
            title: t.maybe_text(),
            group_id: t.flag().then(|| t.int()),
            pairing_token: t.maybe_text(),
            protocol_version: t.flag().then(|| t.int() as u32),
            extension_version: t.maybe_text(),
        }),
        1 => ExtensionFrame::Event(CdpEvent { method: t.text(), params: t.maybe_json(), session_id: t.maybe_text() }),
        2 => ExtensionFrame::Response(CdpResponse {
            id: t.id(),
            result: t.maybe_json(),
            error: t.maybe_json(),
            session_id: t.maybe_text(),
        }),
        3 => ExtensionFrame::Ping { id: t.text() },
        _ => ExtensionFrame::HealthCheck { id: t.text() },
    }
}

fuzz_target!(|data: &[u8]| {
    let frame = built(&mut take::Take(data));
    assert_eq!(parse_extension_frame(&frame.to_json()), Ok(frame.clone()), "round trip of {}", frame.to_json());
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_extension_frame(text) {
        Ok(frame) => {
            let again = parse_extension_frame(&frame.to_json()).expect("a serialised frame parses");
            assert_eq!(again, frame, "round trip of {text:?}");
        }
        Err(e) => {
            let json: Option<Value> = serde_json::from_str(text).ok();
            match e {
                WireError::MalformedJson(_) => assert!(json.is_none(), "{text:?} is JSON"),
                WireError::NotAnObject => assert!(json.as_ref().is_some_and(|v| !v.is_object()), "{text:?}"),
                WireError::InvalidField { .. } | WireError::UnknownFrame(_) => {
                    assert!(json.as_ref().is_some_and(Value::is_object), "{text:?}")
                }
                other => panic!("unexpected error for {text:?}: {other:?}"),
            }
        }
    }
});
