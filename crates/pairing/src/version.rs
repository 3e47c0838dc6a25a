//! Which protocol the extension and the hub speak on top of the upstream wire (flat-session
//! target emulation, `cdp_control` frames, the fields in `/status`). Both sides send their
//! version in the handshake; a peer that sends none is an upstream build and is accepted
//! as it always was. Versions that differ refuse pairing with a reason naming both, so a
//! stale extension or hub is reported, not left to fail in odd ways later.

use crate::refusal::PairingRefusal;

/// The protocol this build speaks. Raise it when a change to our wire would confuse an
/// older peer.
pub const PROTOCOL_VERSION: u32 = 1;

/// Checks the extension's and the hub's versions; `None` (an upstream peer) is accepted.
pub fn check_protocol(extension: Option<u32>, hub: Option<u32>) -> Result<(), PairingRefusal> {
    match (extension, hub) {
        (Some(extension), Some(hub)) if extension != hub => Err(PairingRefusal::ProtocolMismatch { extension, hub }),
        _ => Ok(()),
    }
}
