//! The `/cdp` WebSocket driver: one plain-CDP client at a time (upstream tools, power
//! users). Its commands go through the switchboard, which forwards them to the extension
//! under hub ids and answers them under the client's own.

use super::frames::Outgoing;
use super::socket_io::{self, Incoming, OutQueue};
use super::{CdpPass, Relay};
use axum::extract::ws::WebSocket;
use pairing::wire::{parse_cdp_command, MAX_CLIENT_FRAME_BYTES};
use serde_json::{json, Value};
use tokio::sync::OwnedSemaphorePermit;

/// Serves one `/cdp` client until it closes; `pass` (its hold on the relay binding) is let
/// go before the relay takes the next client, so a next client finds the binding free.
pub(super) async fn run(relay: Relay, socket: WebSocket, _permit: OwnedSemaphorePermit, pass: Option<CdpPass>) {
    let (out, mut stream) = socket_io::split(socket, relay.0.opts.max_queued_bytes);
    let conn = match relay.client_opened(out.clone()) {
        Ok(conn) => conn,
        Err(refusal) => {
            let _ = out.send(refusal);
            return;
        }
    };
    tracing::info!(conn, "/cdp client connected");
    loop {
        match socket_io::next(&mut stream, &out).await {
            Incoming::Text(text) => {
                let parsed = parse_cdp_command(&text);
                relay.route(|b| ((), b.client_command(conn, parsed, &text)))
            }
            Incoming::NotUtf8 => reply_error(&out, Value::Null, -32700, "binary frame is not UTF-8 text"),
            Incoming::TooBig(_) => {
                let _ = out.send(Outgoing::Close(1009, format!("Frame exceeds {MAX_CLIENT_FRAME_BYTES} bytes")));
                break;
            }
            Incoming::Closed => break,
        }
    }
    drop(pass);
    relay.socket_closed(conn, false);
}

fn reply_error(out: &OutQueue, id: Value, code: i64, message: &str) {
    let frame = json!({"id": id, "error": {"code": code, "message": message}});
    let _ = out.send(Outgoing::Text(frame.to_string()));
}
