//! The reasons pairing with a relay is refused. Shared by every rule in this crate so the
//! extension's status line and the hub's errors speak the same codes.

/// Why the extension will not pair with (or stay paired to) a relay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingRefusal {
    /// `/config` and `/pair` came from different relay instances (e.g. another process
    /// answered on the relay port, or the hub restarted between the two requests).
    #[error("pairing refused: instance mismatch (/config says {config}, /pair says {pair})")]
    InstanceMismatch {
        /// instanceId from `/config`.
        config: String,
        /// instanceId from `/pair`.
        pair: String,
    },
    /// The handshake ack names a relay other than the one paired with.
    #[error("pairing refused: handshake ack from instance {got}, paired with {expected}")]
    AckInstanceMismatch {
        /// The instance paired with.
        expected: String,
        /// The instance named in the ack.
        got: String,
    },
    /// A relay sent no instanceId or one that is not a plausible id.
    #[error("pairing refused: invalid relay instanceId {0:?}")]
    InvalidInstanceId(String),
    /// A relay port outside 1..=65535.
    #[error("pairing refused: invalid relay port {0}")]
    InvalidPort(i64),
    /// The relay requires a token but `/pair` returned none.
    #[error("pairing refused: the relay requires a token but /pair returned none")]
    TokenMissing,
    /// The extension and the hub speak different protocol versions.
    #[error(
        "pairing refused: protocol mismatch (extension speaks v{extension}, hub v{hub}): update the older one, \
         then reload the extension in chrome://extensions"
    )]
    ProtocolMismatch {
        /// The extension's protocol version.
        extension: u32,
        /// The hub's protocol version.
        hub: u32,
    },
}

impl PairingRefusal {
    /// A stable machine-readable code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            PairingRefusal::InstanceMismatch { .. } => "instance_mismatch",
            PairingRefusal::AckInstanceMismatch { .. } => "ack_instance_mismatch",
            PairingRefusal::InvalidInstanceId(_) => "invalid_instance_id",
            PairingRefusal::InvalidPort(_) => "invalid_port",
            PairingRefusal::TokenMissing => "token_missing",
            PairingRefusal::ProtocolMismatch { .. } => "protocol_mismatch",
        }
    }
}
