//! What the auto-pair machine reports to the user: one status value with a human line,
//! shown in the extension popup and in hub diagnostics.

use crate::identity::InstanceId;
use crate::port::RelayPort;
use crate::refusal::PairingRefusal;

/// Why the machine is waiting to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryReason {
    /// Nothing answered on the port (fetch failed or the socket never opened).
    HubNotRunning,
    /// The relay answered but pairing was refused.
    Refused(PairingRefusal),
    /// An answer that is not the relay protocol (bad status or body).
    BadResponse(String),
    /// An open relay socket closed.
    SocketClosed {
        /// WebSocket close code.
        code: u16,
        /// Close reason text.
        reason: String,
    },
    /// A step (fetch, open, handshake) took longer than its deadline.
    Timeout,
}

/// The user-visible state of the extension's relay connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Auto-connect is off; nothing happens until it is turned on.
    Disabled,
    /// Fetching `/config` or `/pair` on this port.
    Pairing {
        /// The port being asked.
        port: RelayPort,
    },
    /// Opening `/extension` and waiting for the handshake ack.
    Connecting {
        /// The relay port.
        port: RelayPort,
    },
    /// Paired and connected.
    Connected {
        /// The relay port (from the ack).
        port: RelayPort,
        /// The relay instance.
        instance: InstanceId,
    },
    /// Another extension (another browser profile) replaced this one at the relay; this one
    /// checks now and then and reconnects once that one has left, instead of taking the
    /// relay back and forth.
    StandingBy {
        /// The relay port.
        port: RelayPort,
    },
    /// Waiting before the next attempt.
    Retrying {
        /// The port that failed.
        port: RelayPort,
        /// When the next attempt starts (absolute ms).
        at_ms: u64,
        /// What went wrong.
        reason: RetryReason,
    },
}

impl Status {
    /// A short machine-readable state name: `disabled`, `pairing`, `connecting`,
    /// `connected`, `standby` or `retrying`.
    pub fn state(&self) -> &'static str {
        match self {
            Status::Disabled => "disabled",
            Status::Pairing { .. } => "pairing",
            Status::Connecting { .. } => "connecting",
            Status::Connected { .. } => "connected",
            Status::StandingBy { .. } => "standby",
            Status::Retrying { .. } => "retrying",
        }
    }

    /// The status line a person reads, e.g. `hub not running on port 8787, retrying in 3 s`.
    pub fn describe(&self, now_ms: u64) -> String {
        match self {
            Status::Retrying { at_ms, .. } if *at_ms <= now_ms + 100 => format!("{}, retrying now", self.headline()),
            Status::Retrying { at_ms, .. } => {
                format!("{}, retrying in {} s", self.headline(), at_ms.saturating_sub(now_ms).div_ceil(1000))
            }
            _ => self.headline(),
        }
    }

    /// The status line without the retry countdown (a popup renders the countdown live).
    pub fn headline(&self) -> String {
        match self {
            Status::Disabled => "auto-connect is off".to_owned(),
            Status::Pairing { port } => format!("pairing with the hub on port {port}…"),
            Status::Connecting { port } => format!("connecting to the relay on port {port}…"),
            Status::Connected { port, instance } => {
                format!("connected to 127.0.0.1:{port} (relay {})", instance.short())
            }
            Status::StandingBy { port } => format!(
                "another browser profile is using the hub on port {port}; standing by (Reconnect now takes over)"
            ),
            Status::Retrying { port, reason, .. } => match reason {
                RetryReason::HubNotRunning => format!("hub not running on port {port}"),
                RetryReason::Refused(PairingRefusal::InstanceMismatch { .. })
                | RetryReason::Refused(PairingRefusal::AckInstanceMismatch { .. }) => {
                    "pairing refused: instance mismatch".to_owned()
                }
                RetryReason::Refused(r) => r.to_string(),
                RetryReason::BadResponse(m) => format!("unexpected answer on port {port}: {m}"),
                RetryReason::SocketClosed { code, reason } if reason.is_empty() => {
                    format!("relay connection closed ({code})")
                }
                RetryReason::SocketClosed { code, reason } => format!("relay connection closed ({code} {reason})"),
                RetryReason::Timeout => format!("no answer from port {port} in time"),
            },
        }
    }
}
