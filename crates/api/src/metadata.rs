//! The files that tie clients to the hub, both mode 0600 in the cache dir:
//! `daemon.json` (how clients find the running hub and authenticate to its RPC; written
//! atomically at start, removed at stop) and `client.json` (the user's stable clientId).

use crate::files::write_private_atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Contents of `daemon.json` (upstream field names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonMetadata {
    /// Daemon RPC port.
    pub port: u16,
    /// Bearer token for the RPC (fresh per hub process).
    pub token: String,
    /// Hub process id.
    pub pid: u32,
    /// Relay port.
    pub relay_port: u16,
    /// When the hub started (RFC 3339).
    pub started_at: String,
    /// Per-process hub id.
    pub hub_instance_id: String,
    /// Relay instance id.
    pub relay_instance_id: String,
    /// Relay epoch (ms).
    pub relay_epoch: i64,
}

/// Why `daemon.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// No file: no hub has started (or it stopped cleanly).
    #[error("no hub metadata at {0}")]
    Missing(PathBuf),
    /// Unreadable.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not valid metadata JSON.
    #[error("{path} is not valid hub metadata ({reason})")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
}

impl DaemonMetadata {
    /// The file name inside the cache dir.
    pub const FILE: &'static str = "daemon.json";

    /// The metadata path inside `cache_dir`.
    pub fn path_in(cache_dir: &Path) -> PathBuf {
        cache_dir.join(Self::FILE)
    }

    /// Writes the file atomically with mode 0600.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("metadata serialises");
        write_private_atomic(path, &json)
    }

    /// Reads and parses the file.
    pub fn read(path: &Path) -> Result<DaemonMetadata, MetadataError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(MetadataError::Missing(path.to_owned())),
            Err(source) => return Err(MetadataError::Io { path: path.to_owned(), source }),
        };
        serde_json::from_str(&text).map_err(|e| MetadataError::Invalid { path: path.to_owned(), reason: e.to_string() })
    }

    /// Removes the file only if it still describes this hub (another hub may have
    /// replaced it since).
    pub fn remove_if_ours(path: &Path, hub_instance_id: &str) {
        if let Ok(current) = DaemonMetadata::read(path) {
            if current.hub_instance_id == hub_instance_id {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Contents of `client.json`: the user's stable id, created once by the first client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientFile {
    /// The user's stable id.
    pub client_id: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl ClientFile {
    /// The file name inside the cache dir.
    pub const FILE: &'static str = "client.json";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: &str) -> DaemonMetadata {
        DaemonMetadata {
            port: 8788,
            token: "t".into(),
            pid: 1,
            relay_port: 8787,
            started_at: "2026-11-24T00:00:00.000Z".into(),
            hub_instance_id: id.into(),
            relay_instance_id: "r".into(),
            relay_epoch: 1,
        }
    }

    #[test]
    fn round_trips_with_upstream_field_names_and_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = DaemonMetadata::path_in(dir.path());
        sample("h").write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"hubInstanceId\"") && text.contains("\"relayPort\""));
        assert_eq!(DaemonMetadata::read(&path).unwrap(), sample("h"));
        assert_eq!(crate::files::file_mode(&path).unwrap(), 0o600);
    }

    #[test]
    fn remove_leaves_another_hubs_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = DaemonMetadata::path_in(dir.path());
        sample("other").write(&path).unwrap();
        DaemonMetadata::remove_if_ours(&path, "me");
        assert!(path.exists());
        DaemonMetadata::remove_if_ours(&path, "other");
        assert!(matches!(DaemonMetadata::read(&path), Err(MetadataError::Missing(_))));
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = DaemonMetadata::path_in(dir.path());
        std::fs::write(&path, "[]").unwrap();
        assert!(matches!(DaemonMetadata::read(&path), Err(MetadataError::Invalid { .. })));
    }
}
