//! What the relay's switchboard hands its drivers: the frames for sockets, the actions to
//! carry out, and the error frames it answers bad input with.

use opendevbrowser_api::CdpError;
use pairing::wire::CdpEvent;
use serde_json::{json, Value};

/// A socket, as the switchboard names it.
pub(crate) type ConnId = u64;

/// A frame for one socket's writer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outgoing {
    /// A text frame.
    Text(String),
    /// A close frame; the writer stops after sending it.
    Close(u16, String),
}

/// What the driver must do.
#[derive(Debug)]
pub(crate) enum Action<W> {
    /// Queue a frame for a socket.
    Send(ConnId, Outgoing),
    /// Answer a hub caller.
    Reply(W, Result<Value, CdpError>),
    /// Hand an extension event to the hub's subscribers.
    Publish(CdpEvent),
}

/// Tells the extension what was wrong with its frame; the socket stays open.
pub(crate) fn extension_error<W>(conn: ConnId, code: &str, message: &str) -> Action<W> {
    let frame = json!({"type": "error", "payload": {"code": code, "message": message}});
    Action::Send(conn, Outgoing::Text(frame.to_string()))
}

/// A CDP error answer for the `/cdp` client.
pub(crate) fn client_error<W>(conn: ConnId, id: Value, code: i64, message: &str, session: Option<String>) -> Action<W> {
    let mut frame = json!({"id": id, "error": {"code": code, "message": message}});
    if let Some(s) = session {
        frame["sessionId"] = Value::String(s);
    }
    Action::Send(conn, Outgoing::Text(frame.to_string()))
}
