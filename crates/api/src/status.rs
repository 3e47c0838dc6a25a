//! The hub's status as typed structs: the relay's `/status` body (upstream fields plus
//! the hub's identity and diagnostics) and the daemon's `GET /status` / `hub.status` body.
//! Both sides read them as fields, never by key out of a JSON value.

use crate::Owner;
use serde::{Deserialize, Serialize};

/// The relay's `/status` (and `relay.status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayStatus {
    /// This relay start's id (new on every start).
    pub instance_id: String,
    /// False once stopped.
    pub running: bool,
    /// The relay port.
    pub port: u16,
    /// `ws://127.0.0.1:<port>`.
    pub url: String,
    /// An extension socket is open.
    pub extension_connected: bool,
    /// That socket sent a valid handshake.
    pub extension_handshake_complete: bool,
    /// A `/cdp` client is connected.
    pub cdp_connected: bool,
    /// The extension must send the pairing token.
    pub pairing_required: bool,
    /// This relay start's epoch (ms).
    pub epoch: i64,
    /// Where `/config` is also served (upstream's discovery server), if anywhere.
    pub discovery_port: Option<u16>,
    /// The hub that owns this relay.
    pub hub_instance_id: String,
    /// CDP commands in flight at the extension.
    pub pending_commands: usize,
    /// What the extension said in its handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<ExtensionInfo>,
    /// The last refused handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handshake_error: Option<HandshakeError>,
    /// When an extension socket last opened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_last_seen_at: Option<String>,
    /// When the last extension socket ended, while none is connected (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_left_at: Option<String>,
}

/// The connected extension, from its handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionInfo {
    /// The tab it reported.
    pub tab_id: i64,
    /// That tab's URL.
    pub url: Option<String>,
    /// That tab's title.
    pub title: Option<String>,
    /// That tab's group.
    pub group_id: Option<i64>,
    /// The extension's version.
    pub extension_version: Option<String>,
    /// The relay protocol version it speaks.
    pub protocol_version: Option<u32>,
}

/// A refused handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandshakeError {
    /// Why (`pairing_invalid`, `protocol_mismatch`, …).
    pub code: String,
    /// In words.
    pub message: String,
    /// When (RFC 3339).
    pub at: String,
}

/// The daemon's `GET /status` and `hub.status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubStatus {
    /// Always true (upstream shape).
    pub ok: bool,
    /// The hub's process id.
    pub pid: u32,
    /// The hub itself.
    pub hub: HubInfo,
    /// Its relay.
    pub relay: RelayStatus,
    /// Open browser sessions.
    pub browser_sessions: usize,
    /// The relay binding, if held.
    pub binding: Option<BindingView>,
    /// Who waits for it, in order.
    pub queue: Vec<QueueEntry>,
    /// Tabs leased to agents (tab-scoped extension sessions), by tab.
    #[serde(default)]
    pub tab_leases: Vec<TabLeaseView>,
}

/// One tab lease, as `/status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabLeaseView {
    /// The tab (target id).
    pub target_id: String,
    /// Fencing id.
    pub lease_id: String,
    /// Holder.
    pub owner: Owner,
    /// The holder's browser session.
    pub session_id: String,
    /// When it ends unless used (RFC 3339).
    pub expires_at: String,
}

/// The hub process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubInfo {
    /// Per-process id.
    pub instance_id: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The RPC port.
    pub daemon_port: u16,
    /// Its version.
    pub version: String,
}

/// The current binding as `/status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingView {
    /// The fencing id.
    pub binding_id: String,
    /// Holder's clientId.
    pub client_id: String,
    /// Holder's instanceId.
    pub instance_id: String,
    /// Holder.
    pub owner: Owner,
    /// When it ends unless renewed (RFC 3339).
    pub expires_at: String,
    /// Milliseconds left.
    pub expires_in_ms: u64,
    /// How many wait.
    pub queue_length: usize,
}

/// One waiter in the binding queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    /// Who waits.
    pub owner: Owner,
    /// 1 = next.
    pub position: usize,
    /// How long it has waited.
    pub waiting_ms: u64,
}
