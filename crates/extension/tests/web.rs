//! The extension core's browser-facing pieces, run in headless Chromium: real `fetch`
//! mapped to the pairing machine's failures, and settings read from JS storage objects.
#![cfg(target_arch = "wasm32")]

use extension::net::fetch_json;
use extension::settings::StoredSettings;
use pairing::wire::ConfigResponse;
use pairing::FetchFailure;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn fetch_parses_a_config_body() {
    let url = r#"data:application/json,{"relayPort":9001,"pairingRequired":false,"instanceId":"abc","epoch":5}"#;
    let config: ConfigResponse = fetch_json(url).await.unwrap();
    assert_eq!(config.relay_port, 9001);
    assert!(!config.pairing_required);
    assert_eq!(config.instance_id.as_deref(), Some("abc"));
}

#[wasm_bindgen_test]
async fn fetch_of_a_non_json_body_is_malformed() {
    let result: Result<ConfigResponse, _> = fetch_json("data:text/plain,hello").await;
    assert!(matches!(result, Err(FetchFailure::Malformed(_))), "{result:?}");
}

#[wasm_bindgen_test]
async fn fetch_of_a_closed_port_is_unreachable() {
    let result: Result<ConfigResponse, _> = fetch_json("http://127.0.0.1:1/config").await;
    assert_eq!(result.unwrap_err(), FetchFailure::Unreachable);
}

#[wasm_bindgen_test]
fn settings_are_read_from_a_storage_object_with_upstream_defaults() {
    let js = js_sys::JSON::parse(r#"{"autoPair":false,"pairingToken":"tok","relayPort":8790}"#).unwrap();
    let stored: StoredSettings = serde_wasm_bindgen::from_value(js).unwrap();
    let settings = stored.into_settings(&Default::default());
    assert!(settings.auto_connect, "absent autoConnect defaults to on");
    assert!(!settings.auto_pair);
    assert_eq!(settings.manual_token.as_deref(), Some("tok"));
    assert_eq!(settings.stored_port, Some(8790));
    let empty: StoredSettings = serde_wasm_bindgen::from_value(js_sys::Object::new().into()).unwrap();
    assert!(empty.into_settings(&Default::default()).auto_pair);
}
