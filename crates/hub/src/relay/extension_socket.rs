//! The `/extension` WebSocket driver: feeds the switchboard every frame (handshake, pings,
//! CDP responses and events), enforces the handshake deadline and the frame size limit,
//! and tells the switchboard when the socket ends.

use super::frames::{extension_error, Action, Outgoing};
use super::socket_io::{self, Incoming};
use super::Relay;
use opendevbrowser_api::clock::now_ms;
use pairing::wire::{parse_extension_frame, MAX_EXTENSION_FRAME_BYTES};
use tokio::sync::OwnedSemaphorePermit;

/// Serves one extension connection until it closes.
pub(super) async fn run(relay: Relay, socket: WebSocket, _permit: OwnedSemaphorePermit) {
    let (out, mut stream) = socket_io::split(socket, relay.0.opts.max_queued_bytes);
    let conn = relay.extension_opened(out.clone());
    tracing::info!(conn, "extension connected; waiting for its handshake");
    let deadline = tokio::time::Instant::now() + relay.0.opts.handshake_timeout;
    loop {
        let incoming = if relay.inner().board.awaiting_handshake(conn) {
            match tokio::time::timeout_at(deadline, socket_io::next(&mut stream, &out)).await {
                Ok(incoming) => incoming,
                Err(_) => {
                    relay.route(|b| ((), b.handshake_timed_out(conn, now_ms())));
                    break;
                }
            }
        } else {
            socket_io::next(&mut stream, &out).await
        };
        match incoming {
            Incoming::Text(text) => {
                let frame = parse_extension_frame(&text);
                if !relay.route(|b| {
                    let (actions, open) = b.extension_frame(conn, frame, now_ms());
                    (open, actions)
                }) {
                    break;
                }
            }
            Incoming::NotUtf8 => relay.route(|_| {
                ((), vec![extension_error::<super::Reply>(conn, "malformed_json", "binary frame is not UTF-8 text")])
            }),
            Incoming::TooBig(message) => {
                tracing::warn!("extension frame too big: {message}");
                let close = Outgoing::Close(1009, format!("Frame exceeds {MAX_EXTENSION_FRAME_BYTES} bytes"));
                relay.route(|_| ((), vec![Action::Send(conn, close)]));
                break;
            }
            Incoming::Closed => break,
        }
    }
    relay.socket_closed(conn, true);
}

use axum::extract::ws::WebSocket;
