//! The `/extension` WebSocket: handshake (token check → `handshakeAck`), keepalive pings,
//! CDP responses and events from the extension, and clean failure of everything in
//! flight when the socket ends.

use super::link::{ExtensionLink, Outgoing};
use super::socket_io::{self, Incoming};
use super::Relay;
use crate::guard::tokens_equal;
use axum::extract::ws::WebSocket;
use pairing::wire::{
    parse_extension_frame, ExtensionFrame, Handshake, HandshakeAck, RelayFrame, MAX_EXTENSION_FRAME_BYTES,
};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;

/// Serves one extension connection until it closes.
pub async fn run(relay: Relay, socket: WebSocket, _permit: OwnedSemaphorePermit) {
    let (out, mut stream) = socket_io::split(socket, relay.0.opts.max_queued_bytes);
    let link = Arc::new(ExtensionLink::new(relay.next_conn_id(), out.clone()));
    relay.install_extension(link.clone());
    tracing::info!(conn = link.conn_id, "extension connected; waiting for its handshake");
    let deadline = tokio::time::Instant::now() + relay.0.opts.handshake_timeout;
    loop {
        let incoming = if link.handshake().is_none() {
            match tokio::time::timeout_at(deadline, socket_io::next(&mut stream, &out)).await {
                Ok(incoming) => incoming,
                Err(_) => {
                    relay.record_handshake_error("handshake_timeout", "no valid handshake in time");
                    link.send(Outgoing::Close(1008, "Handshake timeout".into()));
                    break;
                }
            }
        } else {
            socket_io::next(&mut stream, &out).await
        };
        match incoming {
            Incoming::Text(text) => {
                if !on_text(&relay, &link, &text) {
                    break;
                }
            }
            Incoming::NotUtf8 => send_error(&link, "malformed_json", "binary frame is not UTF-8 text"),
            Incoming::TooBig(message) => {
                tracing::warn!("extension frame too big: {message}");
                link.send(Outgoing::Close(1009, format!("Frame exceeds {MAX_EXTENSION_FRAME_BYTES} bytes")));
                break;
            }
            Incoming::Closed => break,
        }
    }
    relay.extension_gone(&link);
}

/// Handles one frame; returns false when the socket must be closed.
fn on_text(relay: &Relay, link: &ExtensionLink, text: &str) -> bool {
    match parse_extension_frame(text) {
        Ok(ExtensionFrame::Handshake(handshake)) => return on_handshake(relay, link, handshake),
        Ok(ExtensionFrame::Ping { id }) => {
            link.send(Outgoing::Text(RelayFrame::Pong { id, payload: relay.health() }.to_json()));
        }
        Ok(_) if link.handshake().is_none() => {
            send_error(link, "handshake_required", "send a handshake before CDP traffic");
        }
        Ok(ExtensionFrame::Event(event)) => relay.dispatch_event(event),
        Ok(ExtensionFrame::Response(response)) => relay.dispatch_response(link, response),
        Err(e) => {
            tracing::warn!(code = e.code(), "bad frame from the extension: {e}");
            send_error(link, e.code(), &e.to_string());
        }
    }
    true
}

fn on_handshake(relay: &Relay, link: &ExtensionLink, handshake: Handshake) -> bool {
    if let Some(expected) = relay.0.opts.token.as_deref() {
        let given = handshake.pairing_token.as_deref().map(str::trim).unwrap_or("");
        if !tokens_equal(given, expected) {
            let (code, message) = if given.is_empty() {
                ("pairing_missing", "handshake carried no pairing token")
            } else {
                ("pairing_invalid", "handshake carried a wrong pairing token")
            };
            tracing::warn!(code, "extension handshake refused: {message}");
            relay.record_handshake_error(code, message);
            link.send(Outgoing::Close(1008, "Invalid pairing token".into()));
            return false;
        }
    }
    if let Err(refusal) = pairing::check_protocol(handshake.protocol_version, Some(pairing::PROTOCOL_VERSION)) {
        tracing::warn!("extension handshake refused: {refusal}");
        relay.record_handshake_error(refusal.code(), &refusal.to_string());
        let (extension, hub) = (handshake.protocol_version.unwrap_or(0), pairing::PROTOCOL_VERSION);
        link.send(Outgoing::Close(1002, format!("Protocol mismatch: extension v{extension}, hub v{hub}")));
        return false;
    }
    tracing::info!(tab = handshake.tab_id, "extension handshake complete");
    link.set_handshake(handshake);
    let ack = HandshakeAck {
        instance_id: relay.instance_id().to_owned(),
        relay_port: i64::from(relay.port()),
        pairing_required: relay.pairing_required(),
        epoch: Some(relay.epoch()),
        protocol_version: Some(pairing::PROTOCOL_VERSION),
        hub_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    };
    link.send(Outgoing::Text(RelayFrame::HandshakeAck(ack).to_json()));
    true
}

/// Tells the extension what was wrong with its frame; the socket stays open.
fn send_error(link: &ExtensionLink, code: &str, message: &str) {
    let frame = json!({"type": "error", "payload": {"code": code, "message": message}});
    link.send(Outgoing::Text(frame.to_string()));
}
