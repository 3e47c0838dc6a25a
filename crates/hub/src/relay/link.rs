//! One extension connection as the hub sees it: the outgoing frame queue, the table of
//! commands in flight (hub ids → who is waiting), and the handshake that made it usable.
//!
//! The hub rewrites CDP ids on the extension socket: its own callers and the `/cdp`
//! client share one id space there (the browser layer's pure [`CallTable`], the same one
//! a direct DevTools connection uses), and every answer is routed back to whoever asked.

use super::socket_io::OutQueue;
use crate::error::CdpError;
use opendevbrowser_browser::calls::{answer, CallTable};
use pairing::wire::{CdpCommand, CdpId, CdpResponse, Handshake, RelayFrame};
use serde_json::Value;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// A frame queued for a socket's writer task.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A text frame.
    Text(String),
    /// A close frame; the writer stops after sending it.
    Close(u16, String),
}

/// Who is waiting for the answer to a forwarded command.
#[derive(Debug)]
pub enum Waiter {
    /// A caller inside the hub.
    Hub {
        /// The command, for error messages.
        method: String,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<Value, CdpError>>,
    },
    /// The `/cdp` client with this connection id, under its own request id.
    Client {
        /// The client connection that asked.
        client_conn: u64,
        /// The client's original id.
        id: CdpId,
        /// The command, for error messages.
        method: String,
    },
}

/// A connected extension.
#[derive(Debug)]
pub struct ExtensionLink {
    /// Unique per connection (distinguishes a replaced socket from its successor).
    pub conn_id: u64,
    out: OutQueue,
    pending: Mutex<CallTable<Waiter>>,
    handshake: Mutex<Option<Handshake>>,
}

impl ExtensionLink {
    /// A link whose frames go to `out`.
    pub fn new(conn_id: u64, out: OutQueue) -> Self {
        ExtensionLink { conn_id, out, pending: Mutex::new(CallTable::default()), handshake: Mutex::new(None) }
    }

    /// Queues a frame (dropped silently if the socket is already gone).
    pub fn send(&self, frame: Outgoing) {
        let _ = self.out.send(frame);
    }

    /// The last valid handshake, if any.
    pub fn handshake(&self) -> Option<Handshake> {
        self.handshake.lock().expect("handshake lock").clone()
    }

    /// Records a valid handshake.
    pub fn set_handshake(&self, handshake: Handshake) {
        *self.handshake.lock().expect("handshake lock") = Some(handshake);
    }

    /// Sends `command` to the extension under a fresh hub id and remembers `waiter`; the
    /// waiter comes back if the link has already ended.
    pub fn forward(
        &self,
        method: &str,
        params: Option<Value>,
        session_id: Option<String>,
        waiter: Waiter,
    ) -> Result<i64, Waiter> {
        let mut pending = self.pending.lock().expect("pending lock");
        if !pending.is_open() {
            return Err(waiter);
        }
        let id = pending.begin(waiter).expect("the table is open");
        drop(pending);
        let frame = RelayFrame::ForwardCdpCommand(CdpCommand {
            id: CdpId::Num(id),
            method: method.to_owned(),
            params,
            session_id,
        });
        self.send(Outgoing::Text(frame.to_json()));
        Ok(id)
    }

    /// Removes and returns whoever waits for hub id `id`.
    pub fn take_waiter(&self, id: i64) -> Option<Waiter> {
        self.pending.lock().expect("pending lock").finish(id)
    }

    /// Number of commands in flight.
    pub fn pending_count(&self) -> usize {
        self.pending.lock().expect("pending lock").len()
    }

    /// The link has ended: fails every command in flight (hub callers get `error(method)`
    /// now; the `/cdp` client waiters are returned so the caller can answer them on their
    /// socket), and refuses any later one.
    pub fn fail_all(&self, error: impl Fn(String) -> CdpError) -> Vec<(u64, CdpId, CdpError)> {
        let drained = self.pending.lock().expect("pending lock").close();
        let mut clients = Vec::new();
        for waiter in drained {
            match waiter {
                Waiter::Hub { method, reply } => {
                    let _ = reply.send(Err(error(method)));
                }
                Waiter::Client { client_conn, id, method } => clients.push((client_conn, id, error(method))),
            }
        }
        clients
    }
}

/// Turns an extension response into the hub caller's result.
pub fn response_result(method: &str, response: CdpResponse) -> Result<Value, CdpError> {
    answer(method, response.error.as_ref(), response.result)
}
