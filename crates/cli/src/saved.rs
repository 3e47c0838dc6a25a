//! What the CLI keeps between invocations: each instance's binding
//! (`<cache>/cli-bindings/<instance>.json`) and last session (`….session`), both 0600.

use opendevbrowser_client::ClientError;
use serde_json::{json, Value};
use std::path::PathBuf;

fn path(instance: &str) -> PathBuf {
    let safe: String = instance.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    opendevbrowser_api::files::cache_dir().join("cli-bindings").join(format!("{safe}.json"))
}

pub fn store(instance: &str, binding_id: &str) -> Result<(), ClientError> {
    let body = serde_json::to_vec(&json!({"bindingId": binding_id})).expect("json");
    opendevbrowser_api::files::write_private_atomic(&path(instance), &body)
        .map_err(|e| ClientError::Local(e.to_string()))
}

pub fn load(instance: &str) -> Option<String> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path(instance)).ok()?).ok()?;
    v["bindingId"].as_str().map(str::to_owned)
}

pub fn forget(instance: &str) {
    let _ = std::fs::remove_file(path(instance));
}

fn session_path(instance: &str) -> PathBuf {
    path(instance).with_extension("session")
}

pub fn store_session(instance: &str, session_id: &str) -> Result<(), ClientError> {
    opendevbrowser_api::files::write_private_atomic(&session_path(instance), session_id.as_bytes())
        .map_err(|e| ClientError::Local(e.to_string()))
}

pub fn load_session(instance: &str) -> Option<String> {
    std::fs::read_to_string(session_path(instance)).ok().filter(|s| !s.trim().is_empty())
}

pub fn forget_session(instance: &str) {
    let _ = std::fs::remove_file(session_path(instance));
}
