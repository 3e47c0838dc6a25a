//! The opendevbrowser command contract, shared by the hub and every front end.
//!
//! - [`command`]: what a command is (wire name, params, result, description, CLI name,
//!   scope), the registry of all of them, and how params are read from the wire;
//! - [`commands`]: every daemon command, one params struct and one result struct each;
//! - [`error`]: the wire error body, the CDP failure type and every stable error `code`;
//! - [`status`]: the hub's `/status` body as typed structs;
//! - [`metadata`], [`files`]: `daemon.json` / `client.json`, where they live, and how
//!   secrets are written (0600, atomic);
//! - [`calls`]: the pure table of CDP calls in flight, shared by every CDP connection
//!   (the hub's extension relay and the browser layer's direct DevTools link);
//! - [`clock`], [`port_owner`]: small helpers both sides need.
//!
//! It depends on nothing heavy (serde, serde_json, thiserror, schemars), so a plugin that
//! only speaks the protocol links this and nothing of the hub.

#![warn(missing_docs)]

pub mod base64;
pub mod calls;
pub mod clock;
pub mod command;
pub mod commands;
pub mod config;
pub mod error;
pub mod files;
pub mod metadata;
pub mod port_owner;
pub mod status;

pub use command::{Command, CommandInfo, ParamError, Scope, Tool};
pub use error::{CdpError, ErrorBody};

/// Who calls the hub: the user's `clientId` plus the plugin process's `instanceId`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    /// The user's stable id (`client.json`).
    pub client_id: String,
    /// The plugin process's id.
    pub instance_id: String,
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.client_id, self.instance_id)
    }
}

/// Names of the fields every call may carry besides its own params: who calls, with
/// which binding, in which browser session. The client library adds them.
pub mod envelope {
    /// The user's stable id (required by every command that binds or drives the browser).
    pub const CLIENT_ID: &str = "clientId";
    /// The calling process (default `"default"`).
    pub const INSTANCE_ID: &str = "instanceId";
    /// The binding (fencing id) from `relay.bind`, for commands that drive the user's Chrome.
    pub const BINDING_ID: &str = "bindingId";
    /// The browser session (from `session.launch` / `session.connect`) of a session command.
    pub const SESSION_ID: &str = "sessionId";
    /// How long an extension command waits for the extension's handshake.
    pub const READY_TIMEOUT_MS: &str = "readyTimeoutMs";
}
