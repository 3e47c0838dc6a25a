//! Hub, relay, binding-lease and raw-CDP commands.

use super::command;
use crate::status::{HubStatus, RelayStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest a caller may wait in the binding queue per `relay.wait`.
pub const WAIT_MAX_MS: u64 = 120_000;

/// `hub.commands`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListCommands {}
command!(ListCommands: "hub.commands", cli "commands", Hub, -> CommandList, "List every command the hub answers");

/// Every command name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandList {
    /// Wire names.
    pub commands: Vec<String>,
}

/// `hub.status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetHubStatus {}
command!(GetHubStatus: "hub.status", cli "status", Hub, -> HubStatus, "Hub, relay, extension and binding state");

/// `relay.status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetRelayStatus {}
command!(GetRelayStatus: "relay.status", cli "relay-status", Hub, -> RelayStatus, "The relay's /status: extension, handshake and /cdp client");

/// `relay.cdpUrl`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetCdpUrl {}
command!(GetCdpUrl: "relay.cdpUrl", cli "cdp-url", Hub, -> String, "The relay's raw CDP WebSocket URL (/cdp; needs the relay token)");

/// `relay.bind`: take the relay binding now (the caller's identity travels in the envelope).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Bind {}
command!(Bind: "relay.bind", cli "bind", Hub, -> Grant, "Take the relay binding for this instance now (relay_busy if another holds it)");

/// `relay.wait`: wait in the FIFO queue for the binding.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitBind {
    /// Give up after this long (default 30000).
    #[schemars(range(max = 120_000))]
    pub timeout_ms: Option<u64>,
}
command!(WaitBind: "relay.wait", cli "bind-wait", Hub, -> Grant, "Wait in the FIFO queue for the relay binding, then hold it");

/// `relay.renew`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Renew {
    /// The binding to renew (from `relay.bind`).
    #[schemars(length(min = 1))]
    pub binding_id: String,
}
command!(Renew: "relay.renew", cli "renew", Hub, -> Grant, "Renew this instance's binding");

/// `relay.release`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// The binding to give back.
    #[schemars(length(min = 1))]
    pub binding_id: String,
}
command!(Release: "relay.release", cli "release", Hub, -> Released, "Give the relay binding back");

/// `relay.restart`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct RestartRelay {}
command!(RestartRelay: "relay.restart", cli "relay-restart", Hub, -> RelayRestarted, "Restart the relay (new instance id; the extension re-pairs by itself)");

/// `cdp.send`: one raw CDP command through the extension.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CdpSend {
    /// CDP method, e.g. `Page.navigate`.
    #[schemars(length(min = 1))]
    pub method: String,
    /// Its params.
    pub params: Option<Map<String, Value>>,
    /// Flat CDP session (from `Target.attachToTarget`).
    pub session_id: Option<String>,
    /// Give up after this long (default 30000).
    #[schemars(range(max = 300_000))]
    pub timeout_ms: Option<u64>,
    /// Ms to wait for the extension's handshake (default 10000).
    #[schemars(range(max = 300_000))]
    pub ready_timeout_ms: Option<u64>,
}
command!(CdpSend: "cdp.send", cli "cdp", Hub, -> Value, "Send one raw CDP command through the extension (needs the binding)",
    tool("browser_cdp", writes, "Escape hatch: one raw Chrome DevTools Protocol command to the user's Chrome. Prefer the other tools."));

/// A granted or renewed binding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// Fencing id to send with every extension command.
    pub binding_id: String,
    /// When it ends unless renewed (RFC 3339).
    pub expires_at: String,
    /// Milliseconds left.
    pub expires_in_ms: u64,
    /// Lifetime after each renewal.
    pub ttl_ms: u64,
    /// When to renew.
    pub renew_after_ms: u64,
    /// The hub that granted it.
    pub hub_instance_id: String,
    /// Its relay.
    pub relay_instance_id: String,
    /// The relay port.
    pub relay_port: u16,
    /// The lease rules.
    pub binding_config: BindingConfig,
}

/// The binding lease's timing rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingConfig {
    /// Lifetime after each renewal.
    pub ttl_ms: u64,
    /// Advised renewal interval.
    pub renew_interval_ms: u64,
    /// Longest one `relay.wait`.
    pub wait_max_ms: u64,
}

/// `relay.release`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Released {
    /// Always true.
    pub released: bool,
}

/// The new relay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayRestarted {
    /// Its instance id.
    pub relay_instance_id: String,
    /// Its epoch (ms).
    pub epoch: i64,
    /// Its port.
    pub port: u16,
}
