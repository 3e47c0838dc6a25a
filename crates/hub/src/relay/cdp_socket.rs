//! The `/cdp` WebSocket: one plain-CDP client at a time (upstream tools, power users).
//! Its commands are forwarded to the extension under hub ids and answered under its own.

use super::link::{Outgoing, Waiter};
use super::socket_io::{self, Incoming, OutQueue};
use super::Relay;
use crate::error::CdpError;
use axum::extract::ws::WebSocket;
use pairing::wire::{parse_cdp_command, WireError, MAX_CLIENT_FRAME_BYTES};
use serde_json::{json, Value};
use tokio::sync::OwnedSemaphorePermit;

/// Serves one `/cdp` client until it closes.
pub async fn run(relay: Relay, socket: WebSocket, _permit: OwnedSemaphorePermit) {
    let (out, mut stream) = socket_io::split(socket, relay.0.opts.max_queued_bytes);
    let conn = relay.next_conn_id();
    if !install(&relay, conn, out.clone()) {
        let _ = out.send(Outgoing::Close(1008, "Only one CDP client supported".into()));
        return;
    }
    tracing::info!(conn, "/cdp client connected");
    loop {
        match socket_io::next(&mut stream, &out).await {
            Incoming::Text(text) => on_text(&relay, conn, &out, &text),
            Incoming::NotUtf8 => reply_error(&out, Value::Null, -32700, "binary frame is not UTF-8 text"),
            Incoming::TooBig(_) => {
                let _ = out.send(Outgoing::Close(1009, format!("Frame exceeds {MAX_CLIENT_FRAME_BYTES} bytes")));
                break;
            }
            Incoming::Closed => break,
        }
    }
    gone(&relay, conn);
}

fn install(relay: &Relay, conn: u64, out: OutQueue) -> bool {
    let mut state = relay.state();
    if state.cdp_client.as_ref().is_some_and(|(_, o)| !o.is_closed()) {
        return false;
    }
    state.cdp_client = Some((conn, out));
    true
}

fn gone(relay: &Relay, conn: u64) {
    let mut state = relay.state();
    if state.cdp_client.as_ref().is_some_and(|(c, _)| *c == conn) {
        state.cdp_client = None;
        let link = state.extension.clone();
        drop(state);
        if let Some(link) = link {
            link.send(Outgoing::Text(json!({"type": "cdp_control", "action": "client_closed"}).to_string()));
        }
        tracing::info!(conn, "/cdp client disconnected");
    }
}

fn on_text(relay: &Relay, conn: u64, out: &OutQueue, text: &str) {
    let command = match parse_cdp_command(text) {
        Ok(command) => command,
        Err(e) => {
            let id = serde_json::from_str::<Value>(text).ok().and_then(|v| v.get("id").cloned()).unwrap_or(Value::Null);
            let code = if matches!(e, WireError::MalformedJson(_)) { -32700 } else { -32600 };
            return reply_error(out, id, code, &e.to_string());
        }
    };
    match relay.ready_link() {
        Ok(link) => {
            let waiter = Waiter::Client { client_conn: conn, id: command.id.clone(), method: command.method.clone() };
            if let Err(Waiter::Client { id, method, .. }) =
                link.forward(&command.method, command.params, command.session_id, waiter)
            {
                let message = CdpError::Disconnected { method }.to_string();
                reply_error(out, serde_json::to_value(id).unwrap_or_default(), -32000, &message);
            }
        }
        Err(e) => {
            let message = match e {
                CdpError::NotConnected => "Extension not connected to relay".to_owned(),
                other => other.to_string(),
            };
            let mut frame = json!({"id": command.id, "error": {"code": -32000, "message": message}});
            if let Some(s) = command.session_id {
                frame["sessionId"] = Value::String(s);
            }
            let _ = out.send(Outgoing::Text(frame.to_string()));
        }
    }
}

fn reply_error(out: &OutQueue, id: Value, code: i64, message: &str) {
    let frame = json!({"id": id, "error": {"code": code, "message": message}});
    let _ = out.send(Outgoing::Text(frame.to_string()));
}
