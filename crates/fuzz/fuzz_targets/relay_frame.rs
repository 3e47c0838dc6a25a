//! Frames the extension reads from the relay: a typed error or a frame, never a panic; a
//! frame serialises to text that parses back to the same frame (both a frame parsed from
//! the input and one built from its bytes), and a refusal names what was wrong.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pairing::wire::{parse_relay_frame, CdpCommand, HandshakeAck, RelayFrame, WireError};
use serde_json::Value;

#[path = "take.rs"]
mod take;

/// Every kind of frame the relay sends, its fields taken from `t`.
fn built(t: &mut take::Take) -> RelayFrame {
    match t.byte() % 4 {
        0 => RelayFrame::ForwardCdpCommand(CdpCommand {
            id: t.id(),
            method: t.text(),
            params: t.maybe_json(),
            session_id: t.maybe_text(),
        }),
        1 => RelayFrame::Pong { id: t.text(), payload: t.json() },
        2 => RelayFrame::HealthCheckResult { id: t.text(), payload: t.json() },
        _ => RelayFrame::HandshakeAck(HandshakeAck {
            instance_id: t.text(),
            relay_port: t.int(),
            pairing_required: t.flag(),
            epoch: t.flag().then(|| t.int()),
            protocol_version: t.flag().then(|| t.int() as u32),
            hub_version: t.maybe_text(),
        }),
    }
}

fuzz_target!(|data: &[u8]| {
    let frame = built(&mut take::Take(data));
    assert_eq!(parse_relay_frame(&frame.to_json()), Ok(frame.clone()), "round trip of {}", frame.to_json());
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_relay_frame(text) {
        Ok(frame) => {
            let again = parse_relay_frame(&frame.to_json()).expect("a serialised frame parses");
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
