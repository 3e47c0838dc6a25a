//! The config file on the CLI's side: `--config FILE` (else `opendevbrowser.toml` in the
//! config dir) with the environment over it, filled into `launch` where its flags left a
//! setting unsaid, and shown by `opendevbrowser config show` with where each value came
//! from.

use opendevbrowser_api::config::{Config, Loaded, KEYS};
use opendevbrowser_client::ClientError;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The effective settings (`config_error` when the file is unusable).
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ClientError> {
    let dir = opendevbrowser_api::files::config_dir();
    Config::load(explicit, &dir, |k| std::env::var(k).ok()).map_err(|e| ClientError::Local(format!("config: {e}")))
}

/// `session.launch` params with the config's defaults where the flags said nothing:
/// mode, headless, browser path, wait, and the managed browser's settings.
pub fn fill_launch(params: &mut Map<String, Value>, config: &Config) -> Result<(), ClientError> {
    let defaults = [
        ("mode", config.mode.as_ref().map(|v| json!(v))),
        ("headless", config.headless.map(|v| json!(v))),
        ("chromePath", config.browser_path.as_ref().map(|v| json!(v))),
        ("waitMs", config.wait_ms.map(|v| json!(v))),
    ];
    for (key, value) in defaults {
        if let (false, Some(v)) = (params.contains_key(key), value) {
            params.insert(key.into(), v);
        }
    }
    let settings = config.browser_settings().map_err(|e| ClientError::Local(format!("config: {e}")))?;
    if !settings.is_empty() {
        params.insert("browser".into(), serde_json::to_value(settings).expect("settings serialize"));
    }
    Ok(())
}

/// `session.connect` params with the config's credentials and CA file for a remote
/// endpoint (credentials only ever come from the file or the environment, never a flag).
pub fn fill_connect(params: &mut Map<String, Value>, config: &Config) {
    if let (false, Some(ca)) = (params.contains_key("caFile"), &config.remote_ca_file) {
        params.insert("caFile".into(), json!(ca));
    }
    if let Some(auth) = config.remote_auth() {
        params.insert("auth".into(), serde_json::to_value(auth).expect("credentials serialize"));
    }
}

/// `config show`: `{file, settings: [{key, value, source, about}]}` for every key (unset
/// ones with `value: null` and the built-in default as their source).
pub fn show(loaded: &Loaded) -> Value {
    let values = loaded.config.shown();
    let settings: Vec<Value> = KEYS
        .iter()
        .map(|(key, _, about)| {
            let value = values.get(*key);
            let source = loaded.sources.get(*key).cloned().unwrap_or_else(|| "default".into());
            json!({"key": key, "value": value, "source": source, "about": about})
        })
        .collect();
    json!({"file": loaded.file.as_ref().map(|p| p.display().to_string()), "settings": settings})
}
