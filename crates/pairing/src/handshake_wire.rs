//! The handshake and HTTP bodies of the relay protocol: what the extension sends first on
//! `/extension`, the relay's ack, and the `/config` and `/pair` bodies. Field names match
//! the upstream relay; `wire` re-exports them beside the frames they travel in.

use serde::{Deserialize, Serialize};

/// `handshake` payload: which tab the extension tracks, plus the pairing token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// The extension's primary tab.
    pub tab_id: i64,
    /// That tab's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// That tab's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tab's group, -1 when ungrouped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// The relay's pairing token, when pairing is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_token: Option<String>,
    /// Our protocol version (absent from upstream builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<u32>,
    /// The extension's manifest version, for diagnostics (absent from upstream builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_version: Option<String>,
}

/// `handshakeAck` payload: who the relay is and where it listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandshakeAck {
    /// The relay instance the extension is now paired with.
    pub instance_id: String,
    /// The relay's real bound port; the extension persists it.
    pub relay_port: i64,
    /// Whether the relay demands a pairing token.
    pub pairing_required: bool,
    /// The relay's start time in ms, changes on every restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    /// Our protocol version (absent from upstream relays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<u32>,
    /// The hub's version, for diagnostics (absent from upstream relays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub_version: Option<String>,
}

/// Body of `GET /config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    /// Port of the relay's `/pair` and `/extension`.
    pub relay_port: i64,
    /// Whether a token is needed (upstream defaults a missing value to true).
    #[serde(default = "default_true")]
    pub pairing_required: bool,
    /// The relay instance answering.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The relay's epoch.
    #[serde(default)]
    pub epoch: Option<i64>,
    /// Port of the discovery server (`null` when none).
    #[serde(default)]
    pub discovery_port: Option<i64>,
    /// Whether an extension is paired with the relay right now (ours; upstream sends none).
    /// A replaced extension reads it to stand by instead of taking the relay back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_connected: Option<bool>,
}

/// The reason the relay gives an extension socket it closes because another extension
/// connected (upstream's text).
pub const REPLACED_CLOSE_REASON: &str = "Replaced by a new extension client";

fn default_true() -> bool {
    true
}

/// Body of `GET /pair`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairResponse {
    /// The pairing token, `null` when pairing is disabled.
    pub token: Option<String>,
    /// The relay instance answering.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The relay's epoch.
    #[serde(default)]
    pub epoch: Option<i64>,
}
