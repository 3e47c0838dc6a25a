//! Relay port rules: what a valid port is, which port the extension starts from, and
//! which port it persists after a handshake ack.

use crate::refusal::PairingRefusal;
use crate::wire::HandshakeAck;

/// The fixed port where `/config` is served (upstream's `DEFAULT_DISCOVERY_PORT`).
pub const DEFAULT_DISCOVERY_PORT: u16 = 8787;

/// A TCP port a relay can listen on: 1..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelayPort(u16);

impl RelayPort {
    /// The default relay (and discovery) port, 8787.
    pub const DEFAULT: RelayPort = RelayPort(DEFAULT_DISCOVERY_PORT);

    /// Validates a port as it arrives on the wire (a JSON number).
    pub fn from_wire(raw: i64) -> Result<Self, PairingRefusal> {
        match u16::try_from(raw) {
            Ok(p) if p != 0 => Ok(RelayPort(p)),
            _ => Err(PairingRefusal::InvalidPort(raw)),
        }
    }

    /// The port number.
    pub fn get(self) -> u16 {
        self.0
    }

    /// `ws://127.0.0.1:<port>/extension`, the only URL the extension ever opens.
    pub fn extension_url(self) -> String {
        format!("ws://127.0.0.1:{}/extension", self.0)
    }

    /// `http://127.0.0.1:<port>/<path>` for `/config`, `/pair` and `/status`.
    pub fn http_url(self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{}", self.0, path.trim_start_matches('/'))
    }
}

impl std::fmt::Display for RelayPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The port to start from given what storage holds: a valid stored port, else 8787.
pub fn port_from_storage(stored: Option<i64>) -> RelayPort {
    stored.and_then(|p| RelayPort::from_wire(p).ok()).unwrap_or(RelayPort::DEFAULT)
}

/// What to do with the stored `relayPort` after a handshake ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortDecision {
    /// Write this port: the ack names a port storage does not hold.
    Store(RelayPort),
    /// Storage already holds the ack's port; write nothing.
    Unchanged,
}

/// Decides which relay port to persist after an ack. The ack's port is the relay's real
/// bound port, so it always wins over a stale stored one; an invalid ack port is refused
/// and storage is left alone.
pub fn decide_port_after_ack(stored: Option<i64>, ack: &HandshakeAck) -> Result<PortDecision, PairingRefusal> {
    let acked = RelayPort::from_wire(ack.relay_port)?;
    if stored == Some(i64::from(acked.get())) {
        Ok(PortDecision::Unchanged)
    } else {
        Ok(PortDecision::Store(acked))
    }
}
