//! The relay's routing as a pure state machine: which extension connection is current and
//! whether it has handshaken, which `/cdp` client is connected, and the CDP commands in
//! flight on the extension socket. Connection events and frames go in; [`Action`]s come
//! out (frames for sockets, answers for hub callers, events to publish). Connection ids and
//! CDP ids are allocated inside; time is passed in. No sockets, locks or clocks: the
//! socket tasks in `extension_socket.rs` / `cdp_socket.rs` are thin drivers.
//!
//! The hub and the `/cdp` client share one id space on the extension socket (the
//! contract's [`CallTable`], the same one the browser layer's direct link uses); every
//! answer goes back to whoever asked, under its own id. The relay needs nothing of the
//! browser layer.

use super::frames::{client_error, extension_error, Action, ConnId, Outgoing};
use crate::access::tokens_equal;
use opendevbrowser_api::calls::{answer, CallTable};
use opendevbrowser_api::CdpError;
use pairing::wire::{
    CdpCommand, CdpEvent, CdpId, CdpResponse, ExtensionFrame, Handshake, HandshakeAck, RelayFrame, WireError,
};
use serde_json::{json, Value};

/// Who the relay is, as the handshake ack and `pong` tell it.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    /// This relay start's id.
    pub instance_id: String,
    /// The relay port.
    pub port: u16,
    /// This relay start's epoch (ms).
    pub epoch: i64,
    /// The pairing token, if pairing is on.
    pub token: Option<String>,
}

/// A refused handshake (or other extension failure) for `/status`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    /// Stable code.
    pub code: String,
    /// In words.
    pub message: String,
    /// When (ms).
    pub at_ms: u64,
}

/// Who waits for an answer on the extension socket.
#[derive(Debug)]
enum Waiter<W> {
    Hub { method: String, reply: W },
    Client { conn: ConnId, id: CdpId, method: String },
}

#[derive(Debug)]
struct Extension<W> {
    conn: ConnId,
    handshake: Option<Handshake>,
    calls: CallTable<Waiter<W>>,
}

/// The relay's routing state; `W` is how a hub caller is answered.
#[derive(Debug)]
pub(crate) struct Switchboard<W> {
    identity: Identity,
    next_conn: ConnId,
    extension: Option<Extension<W>>,
    client: Option<ConnId>,
    /// The last refused handshake.
    pub last_refusal: Option<Refusal>,
    /// When an extension socket last opened (ms).
    pub extension_seen_ms: Option<u64>,
    /// When the current extension left, while none is connected (ms).
    pub extension_left_ms: Option<u64>,
    /// How many handshakes this relay has accepted: each is a new connection whose
    /// extension knows none of the flat sessions made on an earlier one.
    pairings: u64,
    stopped: bool,
}

type Actions<W> = Vec<Action<W>>;

impl<W> Switchboard<W> {
    /// A relay with no connections.
    pub(crate) fn new(identity: Identity) -> Self {
        Switchboard {
            identity,
            next_conn: 1,
            extension: None,
            client: None,
            last_refusal: None,
            extension_seen_ms: None,
            extension_left_ms: None,
            pairings: 0,
            stopped: false,
        }
    }

    fn new_conn(&mut self) -> ConnId {
        self.next_conn += 1;
        self.next_conn - 1
    }

    /// The handshake of the current extension, if it sent a valid one.
    pub(crate) fn handshake(&self) -> Option<&Handshake> {
        self.extension.as_ref().and_then(|e| e.handshake.as_ref())
    }

    /// How many handshakes this relay has accepted (see [`Relay::link_id`](super::Relay::link_id)).
    pub(crate) fn pairings(&self) -> u64 {
        self.pairings
    }

    /// An extension socket is open.
    pub(crate) fn extension_connected(&self) -> bool {
        self.extension.is_some()
    }

    /// A `/cdp` client is connected.
    pub(crate) fn client_connected(&self) -> bool {
        self.client.is_some()
    }

    /// The connected `/cdp` client.
    pub(crate) fn client(&self) -> Option<ConnId> {
        self.client
    }

    /// CDP commands in flight at the extension.
    pub(crate) fn pending(&self) -> usize {
        self.extension.as_ref().map_or(0, |e| e.calls.len())
    }

    /// False once stopped.
    pub(crate) fn running(&self) -> bool {
        !self.stopped
    }

    /// Records a refused handshake.
    pub(crate) fn refuse(&mut self, code: &str, message: &str, now_ms: u64) {
        self.last_refusal = Some(Refusal { code: code.to_owned(), message: message.to_owned(), at_ms: now_ms });
    }

    /// A new extension socket: it becomes current, and the previous one (if any) is closed
    /// with everything it had in flight failed as replaced.
    pub(crate) fn extension_opened(&mut self, now_ms: u64) -> (ConnId, Actions<W>) {
        let conn = self.new_conn();
        self.extension_seen_ms = Some(now_ms);
        let new = Extension { conn, handshake: None, calls: CallTable::default() };
        let mut actions = Vec::new();
        if let Some(old) = self.extension.replace(new) {
            self.fail_calls(old.calls, |method| CdpError::Replaced { method }, &mut actions);
            actions.push(Action::Send(old.conn, Outgoing::Close(1000, pairing::wire::REPLACED_CLOSE_REASON.into())));
        }
        (conn, actions)
    }

    /// Whether `conn` is the current extension and still owes its handshake.
    pub(crate) fn awaiting_handshake(&self, conn: ConnId) -> bool {
        self.extension.as_ref().is_some_and(|e| e.conn == conn && e.handshake.is_none())
    }

    /// `conn` sent no valid handshake in time.
    pub(crate) fn handshake_timed_out(&mut self, conn: ConnId, now_ms: u64) -> Actions<W> {
        self.refuse("handshake_timeout", "no valid handshake in time", now_ms);
        vec![Action::Send(conn, Outgoing::Close(1008, "Handshake timeout".into()))]
    }

    /// One text frame from extension socket `conn`; the bool is false when the socket must
    /// be closed (the close frame is among the actions). (The tests' way in; the socket
    /// task parses outside the lock and calls [`extension_frame`](Self::extension_frame).)
    #[cfg(test)]
    pub(crate) fn extension_text(&mut self, conn: ConnId, text: &str, now_ms: u64) -> (Actions<W>, bool) {
        self.extension_frame(conn, pairing::wire::parse_extension_frame(text), now_ms)
    }

    /// [`extension_text`](Self::extension_text) with the frame already parsed (drivers parse
    /// outside the relay's lock).
    pub(crate) fn extension_frame(
        &mut self,
        conn: ConnId,
        frame: Result<ExtensionFrame, WireError>,
        now_ms: u64,
    ) -> (Actions<W>, bool) {
        let mut actions = Vec::new();
        let handshaken = self.extension.as_ref().is_some_and(|e| e.conn == conn && e.handshake.is_some());
        match frame {
            Ok(ExtensionFrame::Handshake(handshake)) => return self.on_handshake(conn, handshake, now_ms),
            Ok(ExtensionFrame::Ping { id }) => {
                let pong = RelayFrame::Pong { id, payload: self.health() };
                actions.push(Action::Send(conn, Outgoing::Text(pong.to_json())));
            }
            Ok(ExtensionFrame::HealthCheck { id }) => {
                let result = RelayFrame::HealthCheckResult { id, payload: self.health() };
                actions.push(Action::Send(conn, Outgoing::Text(result.to_json())));
            }
            Ok(_) if !handshaken => {
                actions.push(extension_error(conn, "handshake_required", "send a handshake before CDP traffic"))
            }
            Ok(ExtensionFrame::Event(event)) => self.on_event(event, &mut actions),
            Ok(ExtensionFrame::Response(response)) => self.on_response(response, &mut actions),
            Err(e) => actions.push(extension_error(conn, e.code(), &e.to_string())),
        }
        (actions, true)
    }

    fn on_handshake(&mut self, conn: ConnId, handshake: Handshake, now_ms: u64) -> (Actions<W>, bool) {
        if let Some(expected) = self.identity.token.as_deref() {
            let given = handshake.pairing_token.as_deref().map(str::trim).unwrap_or("");
            if !tokens_equal(given, expected) {
                let (code, message) = if given.is_empty() {
                    ("pairing_missing", "handshake carried no pairing token")
                } else {
                    ("pairing_invalid", "handshake carried a wrong pairing token")
                };
                tracing::warn!(code, "extension handshake refused: {message}");
                self.refuse(code, message, now_ms);
                return (vec![Action::Send(conn, Outgoing::Close(1008, "Invalid pairing token".into()))], false);
            }
        }
        if let Err(refusal) = pairing::check_protocol(handshake.protocol_version, Some(pairing::PROTOCOL_VERSION)) {
            tracing::warn!("extension handshake refused: {refusal}");
            self.refuse(refusal.code(), &refusal.to_string(), now_ms);
            let (extension, hub) = (handshake.protocol_version.unwrap_or(0), pairing::PROTOCOL_VERSION);
            let reason = format!("Protocol mismatch: extension v{extension}, hub v{hub}");
            return (vec![Action::Send(conn, Outgoing::Close(1002, reason))], false);
        }
        let Some(current) = self.extension.as_mut().filter(|e| e.conn == conn) else {
            return (Vec::new(), false);
        };
        tracing::info!(tab = handshake.tab_id, "extension handshake complete");
        current.handshake = Some(handshake);
        self.pairings += 1;
        let ack = HandshakeAck {
            instance_id: self.identity.instance_id.clone(),
            relay_port: i64::from(self.identity.port),
            pairing_required: self.identity.token.is_some(),
            epoch: Some(self.identity.epoch),
            protocol_version: Some(pairing::PROTOCOL_VERSION),
            hub_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        };
        (vec![Action::Send(conn, Outgoing::Text(RelayFrame::HandshakeAck(ack).to_json()))], true)
    }

    /// Health summary sent in `pong` and `healthCheckResult` frames ([`super::health`]).
    fn health(&self) -> Value {
        let seen = super::health::Seen {
            extension_connected: self.extension_connected(),
            handshake_complete: self.handshake().is_some(),
            cdp_connected: self.client_connected(),
            pairing_required: self.identity.token.is_some(),
            last_refusal: self.last_refusal.as_ref().map(|r| (r.code.as_str(), r.message.as_str(), r.at_ms)),
        };
        super::health::relay_health(&seen)
    }

    fn on_event(&mut self, event: CdpEvent, actions: &mut Actions<W>) {
        if let Some(client) = self.client {
            let mut frame = json!({"method": event.method, "params": event.params.clone().unwrap_or(json!({}))});
            if let Some(s) = event.session_id.as_deref().filter(|s| !s.is_empty()) {
                frame["sessionId"] = Value::String(s.to_owned());
            }
            actions.push(Action::Send(client, Outgoing::Text(frame.to_string())));
        }
        actions.push(Action::Publish(event));
    }

    fn on_response(&mut self, response: CdpResponse, actions: &mut Actions<W>) {
        let CdpId::Num(id) = response.id else {
            tracing::debug!("response with a non-hub id ignored");
            return;
        };
        let waiter = self.extension.as_mut().and_then(|e| e.calls.finish(id));
        match waiter {
            Some(Waiter::Hub { method, reply }) => {
                actions.push(Action::Reply(reply, answer(&method, response.error.as_ref(), response.result)))
            }
            Some(Waiter::Client { conn, id, .. }) if self.client == Some(conn) => {
                let mut frame = json!({"id": id});
                if let Some(result) = response.result {
                    frame["result"] = result;
                }
                if let Some(error) = response.error {
                    frame["error"] = error;
                }
                if let Some(s) = response.session_id {
                    frame["sessionId"] = Value::String(s);
                }
                actions.push(Action::Send(conn, Outgoing::Text(frame.to_string())));
            }
            Some(Waiter::Client { .. }) => tracing::debug!(id, "answer for a /cdp client that has left dropped"),
            None => tracing::debug!(id, "response for an unknown or timed-out command ignored"),
        }
    }

    /// Extension socket `conn` ended. If it was current, its commands fail and the `/cdp`
    /// client is closed (its sessions are gone), as upstream does.
    pub(crate) fn extension_closed(&mut self, conn: ConnId, now_ms: u64) -> Actions<W> {
        let mut actions = Vec::new();
        if self.extension.as_ref().is_none_or(|e| e.conn != conn) {
            return actions;
        }
        let gone = self.extension.take().expect("checked above");
        self.extension_left_ms = Some(now_ms);
        self.fail_calls(gone.calls, |method| CdpError::Disconnected { method }, &mut actions);
        if let Some(client) = self.client.take() {
            actions.push(Action::Send(client, Outgoing::Close(1011, "Extension disconnected".into())));
        }
        tracing::info!("extension disconnected");
        actions
    }

    /// A `/cdp` client wants in: its id, or the close frame that refuses it (one at a time).
    pub(crate) fn client_opened(&mut self) -> Result<ConnId, Outgoing> {
        if self.client.is_some() {
            return Err(Outgoing::Close(1008, "Only one CDP client supported".into()));
        }
        let conn = self.new_conn();
        self.client = Some(conn);
        Ok(conn)
    }

    /// One text frame from `/cdp` client `conn`: forwarded to the extension under a hub id,
    /// or answered at once with a CDP error.
    #[cfg(test)]
    pub(crate) fn client_text(&mut self, conn: ConnId, text: &str) -> Actions<W> {
        self.client_command(conn, pairing::wire::parse_cdp_command(text), text)
    }

    /// [`client_text`](Self::client_text) with the command already parsed from `text`.
    pub(crate) fn client_command(
        &mut self,
        conn: ConnId,
        parsed: Result<CdpCommand, WireError>,
        text: &str,
    ) -> Actions<W> {
        let command = match parsed {
            Ok(command) => command,
            Err(e) => {
                let id = serde_json::from_str::<Value>(text).ok().and_then(|v| v.get("id").cloned());
                let code = if matches!(e, WireError::MalformedJson(_)) { -32700 } else { -32600 };
                return vec![client_error(conn, id.unwrap_or(Value::Null), code, &e.to_string(), None)];
            }
        };
        let waiter = Waiter::Client { conn, id: command.id.clone(), method: command.method.clone() };
        match self.forward(command.method, command.params, command.session_id.clone(), waiter) {
            Ok((_, actions)) => actions,
            Err((_, e)) => {
                let message = match e {
                    CdpError::NotConnected => "Extension not connected to relay".to_owned(),
                    other => other.to_string(),
                };
                let id = serde_json::to_value(&command.id).unwrap_or_default();
                vec![client_error(conn, id, -32000, &message, command.session_id)]
            }
        }
    }

    /// `/cdp` client `conn` left: the extension is told, so it can drop the client's state.
    pub(crate) fn client_closed(&mut self, conn: ConnId) -> Actions<W> {
        if self.client != Some(conn) {
            return Vec::new();
        }
        self.client = None;
        tracing::info!(conn, "/cdp client disconnected");
        self.control("client_closed").into_iter().collect()
    }

    /// One CDP command from inside the hub: its hub id (to give up on it later) and the
    /// frame to send, or the reply handle back with why it cannot be sent.
    pub(crate) fn hub_call(
        &mut self,
        method: &str,
        params: Option<Value>,
        session_id: Option<String>,
        reply: W,
    ) -> Result<(i64, Actions<W>), (W, CdpError)> {
        let waiter = Waiter::Hub { method: method.to_owned(), reply };
        self.forward(method.to_owned(), params, session_id, waiter).map_err(|(w, e)| match w {
            Waiter::Hub { reply, .. } => (reply, e),
            Waiter::Client { .. } => unreachable!("a hub waiter comes back as one"),
        })
    }

    /// The hub caller of `id` stopped waiting (timeout): a late answer is dropped.
    pub(crate) fn hub_gave_up(&mut self, id: i64) {
        if let Some(e) = self.extension.as_mut() {
            e.calls.finish(id);
        }
    }

    fn forward(
        &mut self,
        method: String,
        params: Option<Value>,
        session_id: Option<String>,
        waiter: Waiter<W>,
    ) -> Result<(i64, Actions<W>), (Waiter<W>, CdpError)> {
        if self.stopped {
            return Err((waiter, CdpError::ShuttingDown));
        }
        let Some(extension) = self.extension.as_mut() else { return Err((waiter, CdpError::NotConnected)) };
        if extension.handshake.is_none() {
            return Err((waiter, CdpError::HandshakeIncomplete));
        }
        let id = extension.calls.begin(waiter).expect("a current extension's table is open");
        let frame = RelayFrame::ForwardCdpCommand(CdpCommand { id: CdpId::Num(id), method, params, session_id });
        Ok((id, vec![Action::Send(extension.conn, Outgoing::Text(frame.to_json()))]))
    }

    /// `{"type":"cdp_control","action":…}` for the current extension, if any.
    pub(crate) fn control(&self, action: &str) -> Option<Action<W>> {
        let extension = self.extension.as_ref()?;
        let frame = json!({"type": "cdp_control", "action": action});
        Some(Action::Send(extension.conn, Outgoing::Text(frame.to_string())))
    }

    /// Stops routing: everything in flight fails, every socket is closed.
    pub(crate) fn stop(&mut self) -> Actions<W> {
        self.stopped = true;
        let mut actions = Vec::new();
        if let Some(gone) = self.extension.take() {
            self.fail_calls(gone.calls, |_| CdpError::ShuttingDown, &mut actions);
            actions.push(Action::Send(gone.conn, Outgoing::Close(1000, "Relay stopped".into())));
        }
        if let Some(client) = self.client.take() {
            actions.push(Action::Send(client, Outgoing::Close(1000, "Relay stopped".into())));
        }
        actions
    }

    fn fail_calls(
        &self,
        mut calls: CallTable<Waiter<W>>,
        error: impl Fn(String) -> CdpError,
        actions: &mut Actions<W>,
    ) {
        for waiter in calls.close() {
            match waiter {
                Waiter::Hub { method, reply } => actions.push(Action::Reply(reply, Err(error(method)))),
                Waiter::Client { conn, id, method } if self.client == Some(conn) => {
                    let id = serde_json::to_value(id).unwrap_or_default();
                    actions.push(client_error(conn, id, -32000, &error(method).to_string(), None));
                }
                Waiter::Client { .. } => {}
            }
        }
    }
}

#[cfg(test)]
#[path = "switchboard_tests.rs"]
mod tests;
