//! The relay: the HTTP and WebSocket endpoints the extension (and upstream tools) speak,
//! wire-compatible with upstream, plus the hub's own CDP calls over the extension socket.
//!
//! It owns the listeners, the relay identity (instanceId + epoch, new on every start), and
//! the `switchboard`: the pure routing state of the one extension connection, the one
//! `/cdp` client and the commands in flight. This module applies the switchboard's
//! actions to the sockets' queues; the socket tasks only feed it.

mod admission;
mod cdp_socket;
mod extension_socket;
pub(crate) mod frames;
mod handle;
mod health;
mod http;
pub(crate) mod listen;
#[cfg(test)]
mod router_tests;
mod socket_io;
pub(crate) mod switchboard;

pub(crate) use handle::RelayHandle;

use crate::access::AccessPolicy;
use crate::error::CdpError;
use frames::{Action, ConnId, Outgoing};
use opendevbrowser_api::clock::{iso8601, now_ms};
use opendevbrowser_api::status::{ExtensionInfo, HandshakeError, RelayStatus};
use pairing::wire::CdpEvent;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard::Switchboard;
use tokio::sync::{broadcast, oneshot, watch, Semaphore};

/// What a `/cdp` client holds while connected (dropped when its socket closes).
pub type CdpPass = Box<dyn Send>;

/// Who lets a `/cdp` client in: the hub's binding lease (`crate::leases::cdp_door`), so a `/cdp`
/// client and an agent holding the binding never drive the tabs at once.
pub trait CdpDoor: Send + Sync + std::fmt::Debug {
    /// Admits a client from `peer`, or says who holds the relay.
    fn enter(&self, peer: std::net::SocketAddr) -> Result<CdpPass, crate::error::HubError>;
}

/// How the relay is set up.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Port for all relay endpoints; 0 picks a free one.
    pub port: u16,
    /// Where to also serve `/config` and `/status` when the relay is elsewhere
    /// (upstream's discovery server); `None` for no discovery server.
    pub discovery_port: Option<u16>,
    /// The pairing token; `None` disables pairing.
    pub token: Option<String>,
    /// Origin/Host rules.
    pub policy: AccessPolicy,
    /// The owning hub's instance id, shown in `/status`.
    pub hub_instance_id: String,
    /// How long a new extension socket may take to send a valid handshake.
    pub handshake_timeout: Duration,
    /// Most WebSockets open at once (bounds connection floods).
    pub max_sockets: usize,
    /// Most bytes queued for one socket whose peer does not read; past it the peer is
    /// disconnected (close 1013).
    pub max_queued_bytes: usize,
    /// Who admits `/cdp` clients; `None` lets every one in (a relay without a hub).
    pub cdp_door: Option<std::sync::Arc<dyn CdpDoor>>,
    /// Where the extension's CDP events are published. A restarted relay is started with
    /// its predecessor's options, so it publishes on the same channel: whoever subscribed
    /// before `relay.restart` keeps receiving, with nothing lost in between.
    pub events: broadcast::Sender<CdpEvent>,
}

/// Default [`RelayOptions::max_queued_bytes`]: room for two maximum-size extension frames.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 2 * pairing::wire::MAX_EXTENSION_FRAME_BYTES;

impl RelayOptions {
    /// Defaults for a relay on `port` with `token`.
    pub fn new(port: u16, token: Option<String>, hub_instance_id: String) -> Self {
        RelayOptions {
            port,
            discovery_port: None,
            token,
            policy: AccessPolicy::default(),
            hub_instance_id,
            handshake_timeout: Duration::from_secs(10),
            max_sockets: 64,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            cdp_door: None,
            events: broadcast::channel(8192).0,
        }
    }
}

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayStartError {
    /// Something else listens on the port.
    #[error("port {port} is already in use")]
    PortInUse {
        /// The port.
        port: u16,
    },
    /// Any other bind failure.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port.
        port: u16,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running relay. Cheap to clone; all clones are the same relay.
#[derive(Clone)]
pub struct Relay(Arc<Shared>);

struct Shared {
    opts: RelayOptions,
    instance_id: String,
    epoch: i64,
    port: u16,
    discovery_port: Option<u16>,
    inner: Mutex<Inner>,
    events: broadcast::Sender<CdpEvent>,
    sockets: Arc<Semaphore>,
    shutdown: watch::Sender<bool>,
}

/// A hub caller waiting for a CDP answer.
type Reply = oneshot::Sender<Result<Value, CdpError>>;

/// The routing state and the queue of every open socket it names.
struct Inner {
    board: Switchboard<Reply>,
    outs: HashMap<ConnId, socket_io::OutQueue>,
}

impl Relay {
    /// The options this relay runs with (its bound port included), to start a successor.
    pub fn options(&self) -> RelayOptions {
        let mut opts = self.0.opts.clone();
        opts.port = self.0.port;
        opts
    }

    /// This relay start's instance id.
    pub fn instance_id(&self) -> &str {
        &self.0.instance_id
    }

    /// This relay start's epoch (ms).
    pub fn epoch(&self) -> i64 {
        self.0.epoch
    }

    /// The bound relay port.
    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// `ws://127.0.0.1:<port>/cdp`
    pub fn cdp_url(&self) -> String {
        format!("ws://127.0.0.1:{}/cdp", self.0.port)
    }

    /// Whether a pairing token is required.
    pub fn pairing_required(&self) -> bool {
        self.0.opts.token.is_some()
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.inner.lock().expect("relay state lock")
    }

    /// Runs `step` on the switchboard and carries out the actions it returns (queueing
    /// frames, answering hub callers and publishing events never block, so this happens
    /// under the lock and in order).
    fn route<R>(&self, step: impl FnOnce(&mut Switchboard<Reply>) -> (R, Vec<Action<Reply>>)) -> R {
        let mut inner = self.inner();
        let (result, actions) = step(&mut inner.board);
        self.apply(&inner, actions);
        result
    }

    fn apply(&self, inner: &Inner, actions: Vec<Action<Reply>>) {
        for action in actions {
            match action {
                Action::Send(conn, frame) => {
                    if let Some(out) = inner.outs.get(&conn) {
                        let _ = out.send(frame);
                    }
                }
                Action::Reply(reply, result) => {
                    let _ = reply.send(result);
                }
                Action::Publish(event) => {
                    let _ = self.0.events.send(event);
                }
            }
        }
    }

    /// Names the current pairing of the extension with this relay: it changes whenever the
    /// extension pairs again (its service worker restarted, it reconnected, or another one
    /// replaced it) and on `relay.restart`. Flat CDP sessions made under one name are unknown
    /// under the next.
    pub fn link_id(&self) -> String {
        format!("{}/{}", self.0.instance_id, self.inner().board.pairings())
    }

    /// True once the current extension socket has sent a valid handshake.
    pub fn handshake_complete(&self) -> bool {
        self.inner().board.handshake().is_some()
    }

    /// The relay's `/status` body (upstream fields plus hub identity and diagnostics).
    pub fn status(&self) -> RelayStatus {
        let inner = self.inner();
        let board = &inner.board;
        let handshake = board.handshake();
        RelayStatus {
            instance_id: self.0.instance_id.clone(),
            running: board.running(),
            port: self.0.port,
            url: format!("ws://127.0.0.1:{}", self.0.port),
            extension_connected: board.extension_connected(),
            extension_handshake_complete: handshake.is_some(),
            cdp_connected: board.client_connected(),
            pairing_required: self.pairing_required(),
            epoch: self.0.epoch,
            discovery_port: self.0.discovery_port,
            hub_instance_id: self.0.opts.hub_instance_id.clone(),
            pending_commands: board.pending(),
            extension: handshake.map(|h| ExtensionInfo {
                tab_id: h.tab_id,
                url: h.url.clone(),
                title: h.title.clone(),
                group_id: h.group_id,
                extension_version: h.extension_version.clone(),
                protocol_version: h.protocol_version,
            }),
            last_handshake_error: board.last_refusal.as_ref().map(|r| HandshakeError {
                code: r.code.clone(),
                message: r.message.clone(),
                at: iso8601(r.at_ms),
            }),
            extension_last_seen_at: board.extension_seen_ms.map(iso8601),
            extension_left_at: board.extension_left_ms.filter(|_| !board.extension_connected()).map(iso8601),
        }
    }

    /// Sends `{"type":"cdp_control","action":<action>}` to the extension, if connected
    /// (`detach_all` ends every `chrome.debugger` attachment: the hub's session is over).
    pub fn send_control(&self, action: &str) -> bool {
        self.route(|b| {
            let control = b.control(action);
            (control.is_some(), control.into_iter().collect())
        })
    }

    /// Waits (up to `within`) until every WebSocket of this relay has ended, so the close
    /// frames `stop` queued are out.
    pub async fn sockets_closed(&self, within: Duration) {
        let all = self.0.opts.max_sockets as u32;
        let _ = tokio::time::timeout(within, self.0.sockets.acquire_many(all)).await;
    }

    /// Receives every CDP event the extension forwards from now on.
    pub fn subscribe_events(&self) -> broadcast::Receiver<CdpEvent> {
        self.0.events.subscribe()
    }

    /// Sends one CDP command through the extension and waits for its answer.
    pub async fn call(
        &self,
        method: &str,
        params: Option<Value>,
        session_id: Option<String>,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        let (reply, answer) = oneshot::channel();
        let id = self.route(|b| match b.hub_call(method, params, session_id, reply) {
            Ok((id, actions)) => (Ok(id), actions),
            Err((_, e)) => (Err(e), Vec::new()),
        })?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(CdpError::Disconnected { method: method.to_owned() }),
            Err(_) => {
                self.inner().board.hub_gave_up(id);
                Err(CdpError::Timeout { method: method.to_owned(), ms: timeout.as_millis() as u64 })
            }
        }
    }

    /// A new extension socket (it replaces any previous one): its connection id.
    fn extension_opened(&self, out: socket_io::OutQueue) -> ConnId {
        let mut inner = self.inner();
        let (conn, actions) = inner.board.extension_opened(now_ms());
        inner.outs.insert(conn, out);
        self.apply(&inner, actions);
        conn
    }

    /// A new `/cdp` client: its connection id, or the close frame that refuses it. A
    /// previous client whose socket is already gone (it stopped reading) makes room.
    fn client_opened(&self, out: socket_io::OutQueue) -> Result<ConnId, Outgoing> {
        let mut inner = self.inner();
        if let Some(stale) = inner.board.client().filter(|c| inner.outs.get(c).is_none_or(|o| o.is_closed())) {
            let actions = inner.board.client_closed(stale);
            self.apply(&inner, actions);
        }
        let conn = inner.board.client_opened()?;
        inner.outs.insert(conn, out);
        Ok(conn)
    }

    /// A socket ended: the switchboard forgets it and its queue is dropped.
    fn socket_closed(&self, conn: ConnId, extension: bool) {
        self.route(|b| {
            let actions = if extension { b.extension_closed(conn, now_ms()) } else { b.client_closed(conn) };
            ((), actions)
        });
        self.inner().outs.remove(&conn);
    }

    /// Records a refused handshake for `/status`.
    fn record_handshake_error(&self, code: &str, message: &str) {
        self.inner().board.refuse(code, message, now_ms());
    }

    /// Stops serving: closes every socket (1000 "Relay stopped"), fails every command in
    /// flight, and shuts the listeners down.
    pub fn stop(&self) {
        self.route(|b| ((), b.stop()));
        let _ = self.0.shutdown.send(true);
    }
}
