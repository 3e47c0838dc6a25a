//! Frames the extension reads from the relay: never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(frame) = pairing::wire::parse_relay_frame(text) {
            let _ = pairing::wire::parse_relay_frame(&frame.to_json()).expect("a serialised frame parses");
        }
    }
});
