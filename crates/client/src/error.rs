//! Errors a plugin sees when using the hub. Every variant has a stable code.

use serde_json::Value;

/// A failed hub call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The hub answered with an error.
    #[error("{message} ({code})")]
    Hub {
        /// The hub's stable code, e.g. `relay_busy`.
        code: String,
        /// The hub's message.
        message: String,
        /// HTTP status.
        status: u16,
        /// The whole error object (owner, position, … for `relay_busy`).
        details: Value,
    },
    /// No hub runs and none could be started.
    #[error("no hub is running: {0}")]
    HubNotRunning(String),
    /// The hub could not be reached before the request was sent: nothing happened.
    #[error("the hub at port {port} did not accept the request ({detail}); nothing was done")]
    Unreachable {
        /// RPC port.
        port: u16,
        /// Transport detail.
        detail: String,
    },
    /// The connection broke after the request was sent: it may or may not have run.
    #[error("the hub went away while running `{command}`: the outcome is unknown")]
    OutcomeUnknown {
        /// The command.
        command: String,
    },
    /// A local file problem (client.json, lock, log).
    #[error("{0}")]
    Local(String),
    /// The hub answered something that is not the RPC protocol.
    #[error("unexpected answer from the hub: {0}")]
    Protocol(String),
    /// The daemon port (and `daemon.json`) belong to a program that is not this hub, such
    /// as upstream opendevbrowser's Node daemon.
    #[error("port {port} is held by a program that is not this hub: {detail}. {FOREIGN_HUB_FIX}")]
    ForeignHub {
        /// The daemon port it holds.
        port: u16,
        /// What it answered.
        detail: String,
    },
}

/// What to do about a [`ClientError::ForeignHub`].
pub const FOREIGN_HUB_FIX: &str = "Stop it (for upstream opendevbrowser: `opendevbrowser serve --stop` \
     from that install, or end its process), or give this hub its own port and cache folder: \
     OPENDEVBROWSER_DAEMON_PORT=8798 OPENDEVBROWSER_CACHE_DIR=~/.cache/opendevbrowser-rs";

impl ClientError {
    /// Stable code.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Hub { code, .. } => code,
            ClientError::HubNotRunning(_) => "hub_not_running",
            ClientError::Unreachable { .. } => "hub_unreachable",
            ClientError::OutcomeUnknown { .. } => "outcome_unknown",
            ClientError::Local(_) => "local_error",
            ClientError::Protocol(_) => "protocol_error",
            ClientError::ForeignHub { .. } => "foreign_hub",
        }
    }

    /// The JSON a CLI prints for this error.
    pub fn to_json(&self) -> Value {
        match self {
            ClientError::Hub { details, .. } => details.clone(),
            other => serde_json::json!({"code": other.code(), "message": other.to_string()}),
        }
    }
}
