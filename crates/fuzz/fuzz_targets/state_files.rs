//! The files the hub and clients read back: `daemon.json`, `hub.json`, `client.json`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = serde_json::from_str::<opendevbrowser_api::metadata::DaemonMetadata>(text);
        let _ = serde_json::from_str::<hub::settings::HubSettings>(text);
        let _ = serde_json::from_str::<opendevbrowser_client::identity::ClientFile>(text);
    }
});
