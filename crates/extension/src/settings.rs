//! What the extension keeps in `chrome.storage`: the user's settings (upstream keys and
//! defaults, in `storage.local`) and the live status the popup shows (`storage.session`).

use pairing::{RelayPort, Settings, Status};
use serde::Deserialize;
use serde_json::{json, Value};

/// The `storage.local` keys that make up [`Settings`].
pub const SETTINGS_KEYS: [&str; 5] = ["autoConnect", "autoPair", "pairingEnabled", "pairingToken", "relayPort"];
/// The `storage.session` key holding the status record.
pub const STATUS_KEY: &str = "relayStatus";
/// The `storage.session` key the popup bumps to ask for an immediate reconnect.
pub const RECONNECT_KEY: &str = "reconnectRequest";

/// The file shipped in the extension's folder that says where `/config` is asked first.
pub const DEFAULTS_FILE: &str = "defaults.json";

/// `defaults.json`: install-time defaults a user (or a test) edits in the unpacked
/// extension's folder, for a hub started with `serve --discovery-port N`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackagedDefaults {
    #[serde(default)]
    discovery_port: Option<Value>,
}

impl PackagedDefaults {
    /// The discovery port: the file's when it is a valid port, else 8787.
    pub fn discovery_port(&self) -> RelayPort {
        self.discovery_port
            .as_ref()
            .and_then(Value::as_i64)
            .and_then(|p| RelayPort::from_wire(p).ok())
            .unwrap_or(RelayPort::DEFAULT)
    }
}

/// Settings as stored; anything missing or mistyped falls back to the default.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSettings {
    #[serde(default)]
    auto_connect: Option<Value>,
    #[serde(default)]
    auto_pair: Option<Value>,
    #[serde(default)]
    pairing_enabled: Option<Value>,
    #[serde(default)]
    pairing_token: Option<Value>,
    #[serde(default)]
    relay_port: Option<Value>,
}

impl StoredSettings {
    /// The machine's settings: booleans default to true, the port to "none stored".
    pub fn into_settings(self, defaults: &PackagedDefaults) -> Settings {
        let flag = |v: Option<Value>| v.and_then(|v| v.as_bool()).unwrap_or(true);
        Settings {
            auto_connect: flag(self.auto_connect),
            auto_pair: flag(self.auto_pair),
            pairing_enabled: flag(self.pairing_enabled),
            stored_port: self.relay_port.and_then(|v| v.as_f64()).filter(|p| p.fract() == 0.0).map(|p| p as i64),
            manual_token: self.pairing_token.and_then(|v| v.as_str().map(str::to_owned)).filter(|t| !t.is_empty()),
            discovery_port: defaults.discovery_port(),
        }
    }
}

/// The record the popup reads: state, the status line, and when the next retry is due.
pub fn status_record(status: &Status, now_ms: u64) -> Value {
    let (port, instance, retry_at) = match status {
        Status::Disabled => (None, None, None),
        Status::Pairing { port } | Status::Connecting { port } | Status::StandingBy { port } => {
            (Some(port.get()), None, None)
        }
        Status::Connected { port, instance } => (Some(port.get()), Some(instance.as_str().to_owned()), None),
        Status::Retrying { port, at_ms, .. } => (Some(port.get()), None, Some(*at_ms)),
    };
    json!({
        "state": status.state(),
        "headline": status.headline(),
        "line": status.describe(now_ms),
        "port": port,
        "instanceId": instance,
        "retryAt": retry_at,
        "at": now_ms,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_upstream_and_bad_values_fall_back() {
        let s: StoredSettings = serde_json::from_value(json!({"relayPort": 9000.0, "autoPair": "yes"})).unwrap();
        let s = s.into_settings(&PackagedDefaults::default());
        assert!(s.auto_connect && s.auto_pair && s.pairing_enabled);
        assert_eq!(s.stored_port, Some(9000));
        assert_eq!(s.manual_token, None);
        assert_eq!(s.discovery_port, RelayPort::DEFAULT);
    }

    #[test]
    fn the_packaged_defaults_move_discovery_and_a_bad_port_falls_back_to_8787() {
        let defaults = |v: Value| serde_json::from_value::<PackagedDefaults>(v).unwrap().discovery_port().get();
        assert_eq!(defaults(json!({"discoveryPort": 41000})), 41000);
        for bad in
            [json!({"discoveryPort": 0}), json!({"discoveryPort": 70000}), json!({"discoveryPort": "9"}), json!({})]
        {
            assert_eq!(defaults(bad), 8787);
        }
    }

    #[test]
    fn retrying_record_carries_the_due_time_for_a_live_countdown() {
        let status =
            Status::Retrying { port: RelayPort::DEFAULT, at_ms: 5_000, reason: pairing::RetryReason::HubNotRunning };
        let r = status_record(&status, 1_000);
        assert_eq!(r["state"], "retrying");
        assert_eq!(r["headline"], "hub not running on port 8787");
        assert_eq!(r["line"], "hub not running on port 8787, retrying in 4 s");
        assert_eq!(r["retryAt"], 5_000);
    }
}
