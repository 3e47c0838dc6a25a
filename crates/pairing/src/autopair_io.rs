//! What goes into and out of the auto-pair machine: the user's settings, the events a
//! driver feeds it, and the actions it asks the driver to carry out.

use crate::identity::InstanceId;
use crate::port::RelayPort;
use crate::status::Status;
use crate::wire::{ConfigResponse, HandshakeAck, PairResponse};

/// The user's settings, as held in `chrome.storage.local` (upstream keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `autoConnect`: keep connecting while true.
    pub auto_connect: bool,
    /// `autoPair`: discover the relay and fetch its token from `/config` + `/pair`.
    pub auto_pair: bool,
    /// `pairingEnabled`: send the manual token when auto-pair is off.
    pub pairing_enabled: bool,
    /// `relayPort`: the last port persisted (may be stale or invalid).
    pub stored_port: Option<i64>,
    /// `pairingToken` entered by hand (used only when auto-pair is off).
    pub manual_token: Option<String>,
    /// Where `/config` is asked first: 8787 in the extension, a test port in tests.
    pub discovery_port: RelayPort,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_connect: true,
            auto_pair: true,
            pairing_enabled: true,
            stored_port: None,
            manual_token: None,
            discovery_port: RelayPort::DEFAULT,
        }
    }
}

/// Why a fetch did not produce a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// Connection refused, reset or aborted: nothing is listening.
    Unreachable,
    /// The server answered with a non-2xx status.
    Status(u16),
    /// The body was not the expected JSON.
    Malformed(String),
}

/// Something that happened, fed to [`crate::AutoPair::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The worker started (or the user asked to connect).
    Start,
    /// Storage changed.
    SettingsChanged(Settings),
    /// The `/config` fetch finished.
    ConfigFetched(Result<ConfigResponse, FetchFailure>),
    /// The `/pair` fetch finished.
    PairFetched(Result<PairResponse, FetchFailure>),
    /// The `/extension` socket opened.
    SocketOpened,
    /// The `/extension` socket closed (or failed to open).
    SocketClosed {
        /// Close code (1006 when it never opened).
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// A `handshakeAck` arrived.
    AckReceived(HandshakeAck),
    /// The timer set by [`Action::SetTimer`] fired (early or spurious fires are ignored).
    TimerFired,
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `GET` this `/config` URL.
    FetchConfig {
        /// `http://127.0.0.1:<port>/config`
        url: String,
    },
    /// `GET` this `/pair` URL.
    FetchPair {
        /// `http://127.0.0.1:<port>/pair`
        url: String,
    },
    /// Open a WebSocket to this URL (closing any previous one).
    OpenSocket {
        /// `ws://127.0.0.1:<port>/extension`
        url: String,
    },
    /// Send a `handshake` frame with this token (the driver adds the tab fields).
    SendHandshake {
        /// Token to present, if any.
        pairing_token: Option<String>,
    },
    /// Send a keepalive `ping` frame.
    SendKeepalive,
    /// Close the current socket.
    CloseSocket {
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// Persist `relayPort`.
    PersistPort(RelayPort),
    /// Persist `relayInstanceId`, `relayEpoch`, `pairingToken`, `tokenEpoch`.
    PersistPairing {
        /// The relay instance.
        instance_id: InstanceId,
        /// Its epoch.
        epoch: Option<i64>,
        /// The token fetched from `/pair`.
        token: Option<String>,
    },
    /// Forget the stored token (the relay rejected it).
    ClearToken,
    /// Call back with [`Event::TimerFired`] at this time (replaces any pending timer).
    SetTimer {
        /// Absolute time in ms.
        at_ms: u64,
    },
    /// Cancel the pending timer.
    CancelTimer,
    /// Show this status.
    Report(Status),
}
