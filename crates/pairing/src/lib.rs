//! Pairing logic shared by the opendevbrowser hub and its Chrome extension.
//!
//! Pure: no I/O, no clock reads, no randomness of its own. Time and jitter are
//! arguments, so the same rules run natively (hub, tests) and in wasm (extension):
//!
//! - [`wire`]: the relay's wire messages, upstream-compatible, with typed parse errors;
//! - [`identity`]: instanceId validation and the `/config` + `/pair` + ack checks;
//! - [`port`]: relay port validation and which port to persist after an ack;
//! - [`backoff`]: the reconnect schedule and the hub's readiness wait;
//! - [`version`]: the protocol version both sides announce, and the mismatch rule;
//! - [`autopair`]: the state machine both the extension and the hub's simulator drive.

#![warn(missing_docs)]

pub mod autopair;
mod autopair_io;
pub mod backoff;
pub mod handshake_wire;
pub mod identity;
pub mod port;
pub mod refusal;
pub mod status;
pub mod version;
pub mod wire;

/// The id Chrome gives opendevbrowser's extension: fixed by the public key in
/// `extension/manifest.json`, whatever folder it is loaded from. The relay pairs with it
/// (and with the ids a user allows), never with any other extension.
pub const EXTENSION_ID: &str = "mpkgehknfgpdeghekbkgbgcfcihhfejp";

pub use autopair::{Action, AutoPair, Event, FetchFailure, Settings};
pub use backoff::{Backoff, JitterSource, ReadinessWait, ReconnectSchedule, SplitMix, QUICK_RETRIES, QUICK_RETRY_MS};
pub use identity::{check_ack, pair_from_discovery, InstanceId, PairedRelay};
pub use port::{decide_port_after_ack, port_from_storage, PortDecision, RelayPort};
pub use refusal::PairingRefusal;
pub use status::{RetryReason, Status};
pub use version::{check_protocol, PROTOCOL_VERSION};
