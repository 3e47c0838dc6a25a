//! The relay's health as upstream HEAD's `RelayHealthStatus`, sent in `pong` and
//! `healthCheckResult` frames. Upstream's extension hangs up on a pong whose payload has no
//! `reason`, so every field is there. Pure: the switchboard passes what it sees.

use opendevbrowser_api::clock::iso8601;
use serde_json::{json, Value};

/// What the switchboard knows when asked.
pub(super) struct Seen<'a> {
    /// An extension socket is open.
    pub extension_connected: bool,
    /// It completed its handshake.
    pub handshake_complete: bool,
    /// A `/cdp` client is connected.
    pub cdp_connected: bool,
    /// Pairing needs a token.
    pub pairing_required: bool,
    /// The last refused handshake: code, message, when (ms).
    pub last_refusal: Option<(&'a str, &'a str, u64)>,
}

/// `RelayHealthStatus`, field for field. `reason` is `ok` once the handshake is done. This
/// relay has no annotation, ops or canvas channels, so those read as not connected; it never
/// says `relay_dirty`, since a `/cdp` client beside the hub's own work is normal here.
pub(super) fn relay_health(seen: &Seen<'_>) -> Value {
    let reason = match (seen.extension_connected, seen.handshake_complete) {
        (false, _) => "extension_disconnected",
        (true, false) => "handshake_incomplete",
        (true, true) => "ok",
    };
    let mut health = json!({
        "ok": seen.handshake_complete,
        "reason": reason,
        "extensionConnected": seen.extension_connected,
        "extensionHandshakeComplete": seen.handshake_complete,
        "cdpConnected": seen.cdp_connected,
        "annotationConnected": false,
        "opsConnected": false,
        "opsOwnedTargetCount": 0,
        "canvasConnected": false,
        "pairingRequired": seen.pairing_required,
    });
    if let Some((code, message, at_ms)) = seen.last_refusal {
        health["lastHandshakeError"] = json!({"code": code, "message": message, "at": iso8601(at_ms)});
    }
    health
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_follows_the_extension_and_a_refusal_is_reported() {
        let mut seen = Seen {
            extension_connected: false,
            handshake_complete: false,
            cdp_connected: false,
            pairing_required: true,
            last_refusal: Some(("pairing_invalid", "wrong token", 0)),
        };
        assert_eq!(relay_health(&seen)["reason"], "extension_disconnected");
        seen.extension_connected = true;
        assert_eq!(relay_health(&seen)["reason"], "handshake_incomplete");
        seen.handshake_complete = true;
        let health = relay_health(&seen);
        assert_eq!((health["reason"].as_str(), health["ok"].as_bool()), (Some("ok"), Some(true)));
        assert_eq!(health["lastHandshakeError"]["code"], "pairing_invalid");
    }
}
