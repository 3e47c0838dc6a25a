//! Frames the hub reads from the extension: never panic; what parses must round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pairing::wire::{parse_extension_frame, ExtensionFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(frame) = parse_extension_frame(text) {
        let again = parse_extension_frame(&frame.to_json()).expect("a serialised frame parses");
        if !matches!(frame, ExtensionFrame::Event(_) | ExtensionFrame::Response(_)) {
            assert_eq!(again, frame);
        }
    }
});
