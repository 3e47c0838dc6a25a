//! Human-readable text for the hand-written commands' answers.

use opendevbrowser_api::status::HubStatus;

/// `status` as a few aligned lines.
pub fn describe_status(s: &HubStatus) -> String {
    let relay = &s.relay;
    let on = |v: bool| if v { "on" } else { "off" };
    let binding = match &s.binding {
        None => "none".to_owned(),
        Some(b) => format!("{}/{} until {} (queue {})", b.client_id, b.instance_id, b.expires_at, b.queue_length),
    };
    format!(
        "hub:     {} (pid {})\nrelay:   {} on port {}\nRelay: port={} ext={} handshake={} cdp={} pairing={}\nbinding: {binding}",
        s.hub.instance_id,
        s.pid,
        relay.instance_id,
        relay.port,
        relay.port,
        on(relay.extension_connected),
        on(relay.extension_handshake_complete),
        on(relay.cdp_connected),
        on(relay.pairing_required),
    )
}
