//! The hub's persisted settings (`<config dir>/hub.json`, mode 0600): the relay pairing
//! token, generated once and kept across restarts, and the optional extension-id pin.

use opendevbrowser_api::clock::random_hex;
#[cfg(unix)]
use opendevbrowser_api::files::file_mode;
use opendevbrowser_api::files::write_private_atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Contents of `hub.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubSettings {
    /// The relay pairing token (64 hex chars); `null` disables pairing.
    pub relay_token: Option<String>,
    /// Extension ids `/pair` and `/extension` accept besides opendevbrowser's own
    /// (`Origin: chrome-extension://<id>`), e.g. a Web Store build or upstream's extension.
    #[serde(default)]
    pub allowed_extension_ids: Vec<String>,
}

/// Why `hub.json` could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Reading or writing failed.
    #[error("cannot read or write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{path} is not valid hub settings JSON ({reason}); fix or delete it to regenerate")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
}

impl HubSettings {
    /// The file name inside the config dir.
    pub const FILE: &'static str = "hub.json";

    /// Loads `hub.json` from `dir`, creating it with a fresh token when missing. A file
    /// that exists but lacks the token gets one persisted (upstream generated a new token
    /// per process in that case). A file readable by others is tightened to 0600.
    pub fn load_or_create(dir: &Path) -> Result<HubSettings, SettingsError> {
        let path = dir.join(Self::FILE);
        let io = |source| SettingsError::Io { path: path.clone(), source };
        let settings = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let raw: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| SettingsError::Invalid { path: path.clone(), reason: e.to_string() })?;
                let has_token_key = raw.get("relayToken").is_some();
                let settings: HubSettings = serde_json::from_value(raw)
                    .map_err(|e| SettingsError::Invalid { path: path.clone(), reason: e.to_string() })?;
                if has_token_key {
                    tighten_mode(&path);
                    return Ok(settings);
                }
                HubSettings { relay_token: Some(random_hex(32)), ..settings }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                HubSettings { relay_token: Some(random_hex(32)), allowed_extension_ids: Vec::new() }
            }
            Err(e) => return Err(io(e)),
        };
        let json = serde_json::to_vec_pretty(&settings).expect("settings serialise");
        write_private_atomic(&path, &json).map_err(io)?;
        Ok(settings)
    }

    /// The token, if pairing is enabled and the token is not blank.
    pub fn token(&self) -> Option<&str> {
        self.relay_token.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }
}

/// On Unix, narrows a `hub.json` others can read back to 0600 (Windows: the profile
/// dir's ACL already keeps it to the user).
fn tighten_mode(path: &Path) {
    #[cfg(unix)]
    if file_mode(path).is_ok_and(|m| m & 0o077 != 0) {
        use std::os::unix::fs::PermissionsExt;
        tracing::warn!(path = %path.display(), "hub settings were readable by others; setting mode 0600");
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = HubSettings::load_or_create(dir.path()).unwrap();
        let second = HubSettings::load_or_create(dir.path()).unwrap();
        assert_eq!(first.token().unwrap().len(), 64);
        assert_eq!(first, second);
        assert_eq!(file_mode(&dir.path().join("hub.json")).unwrap(), 0o600);
    }

    #[test]
    fn missing_token_key_is_generated_and_persisted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hub.json"), r#"{"allowedExtensionIds":["abc"]}"#).unwrap();
        let s = HubSettings::load_or_create(dir.path()).unwrap();
        assert_eq!(s.allowed_extension_ids, vec!["abc".to_owned()]);
        assert_eq!(HubSettings::load_or_create(dir.path()).unwrap().relay_token, s.relay_token);
    }

    #[cfg(unix)]
    #[test]
    fn null_token_disables_pairing_and_open_mode_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.json");
        std::fs::write(&path, r#"{"relayToken":null}"#).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(HubSettings::load_or_create(dir.path()).unwrap().token(), None);
        assert_eq!(file_mode(&path).unwrap(), 0o600);
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hub.json"), "{not json").unwrap();
        let err = HubSettings::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("fix or delete it"), "{err}");
    }
}
