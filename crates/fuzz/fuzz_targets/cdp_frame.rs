//! Commands from a `/cdp` client: never panic, and an accepted command has id and method.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cmd) = pairing::wire::parse_cdp_command(text) {
            assert!(!cmd.method.is_empty() || text.contains("\"method\""));
        }
    }
});
