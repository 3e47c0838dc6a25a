//! The relay: the HTTP and WebSocket endpoints the extension (and upstream tools) speak,
//! wire-compatible with upstream, plus the hub's own CDP calls over the extension socket.
//!
//! It owns the one extension connection, the one `/cdp` client, the relay identity
//! (instanceId + epoch, new on every start) and the listeners.

mod cdp_socket;
mod extension_socket;
mod http;
pub mod link;
mod routing;
mod socket_io;

use crate::error::CdpError;
use crate::guard::AccessPolicy;
use link::{ExtensionLink, Outgoing, Waiter};
use opendevbrowser_api::clock::{iso8601, now_ms};
use opendevbrowser_api::status::{ExtensionInfo, HandshakeError, RelayStatus};
use pairing::wire::CdpEvent;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, oneshot, watch, Semaphore};

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
    state: Mutex<State>,
    events: broadcast::Sender<CdpEvent>,
    sockets: Arc<Semaphore>,
    shutdown: watch::Sender<bool>,
    next_conn: AtomicU64,
}

#[derive(Default)]
struct State {
    extension: Option<Arc<ExtensionLink>>,
    cdp_client: Option<(u64, socket_io::OutQueue)>,
    last_handshake_error: Option<HandshakeError>,
    /// When an extension socket last opened / last ended (ms), for diagnostics.
    extension_seen_ms: Option<u64>,
    extension_left_ms: Option<u64>,
    stopped: bool,
}

/// Binds a loopback listener, mapping "address in use" to its own error.
pub async fn bind_loopback(port: u16) -> Result<TcpListener, RelayStartError> {
    TcpListener::bind(("127.0.0.1", port)).await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            RelayStartError::PortInUse { port }
        } else {
            RelayStartError::Bind { port, source }
        }
    })
}

impl Relay {
    /// Binds the relay (and the discovery server, best effort) and starts serving.
    pub async fn start(opts: RelayOptions) -> Result<Relay, RelayStartError> {
        let listener = bind_loopback(opts.port).await?;
        let port = listener.local_addr().map_err(|source| RelayStartError::Bind { port: opts.port, source })?.port();
        let discovery = match opts.discovery_port {
            Some(d) if d != port => match bind_loopback(d).await {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!("discovery server not started: {e}; the extension must be given port {port}");
                    None
                }
            },
            _ => None,
        };
        let epoch = opendevbrowser_api::clock::now_ms() as i64;
        let relay = Relay(Arc::new(Shared {
            instance_id: uuid::Uuid::new_v4().to_string(),
            epoch,
            port,
            discovery_port: discovery
                .as_ref()
                .and_then(|l| l.local_addr().ok())
                .map(|a| a.port())
                .or(if opts.discovery_port == Some(port) { Some(port) } else { None }),
            sockets: Arc::new(Semaphore::new(opts.max_sockets)),
            opts,
            state: Mutex::new(State::default()),
            events: broadcast::channel(8192).0,
            shutdown: watch::channel(false).0,
            next_conn: AtomicU64::new(1),
        }));
        relay.serve(listener, http::relay_router(relay.clone()));
        if let Some(listener) = discovery {
            relay.serve(listener, http::discovery_router(relay.clone()));
        }
        tracing::info!(port, instance = %relay.instance_id(), "relay listening on 127.0.0.1:{port}");
        Ok(relay)
    }

    fn serve(&self, listener: TcpListener, router: axum::Router) {
        let mut shutdown = self.0.shutdown.subscribe();
        tokio::spawn(async move {
            let app = router.into_make_service_with_connect_info::<SocketAddr>();
            let stop = async move {
                let _ = shutdown.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(nodelay(listener), app).with_graceful_shutdown(stop).await {
                tracing::error!("relay server stopped: {e}");
            }
        });
    }

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

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().expect("relay state lock")
    }

    fn extension(&self) -> Option<Arc<ExtensionLink>> {
        self.state().extension.clone()
    }

    /// True once the current extension socket has sent a valid handshake.
    pub fn handshake_complete(&self) -> bool {
        self.extension().is_some_and(|l| l.handshake().is_some())
    }

    /// The relay's `/status` body (upstream fields plus hub identity and diagnostics).
    pub fn status(&self) -> RelayStatus {
        let state = self.state();
        let link = state.extension.as_ref();
        let handshake = link.and_then(|l| l.handshake());
        RelayStatus {
            instance_id: self.0.instance_id.clone(),
            running: !state.stopped,
            port: self.0.port,
            url: format!("ws://127.0.0.1:{}", self.0.port),
            extension_connected: link.is_some(),
            extension_handshake_complete: handshake.is_some(),
            cdp_connected: state.cdp_client.is_some(),
            pairing_required: self.pairing_required(),
            epoch: self.0.epoch,
            discovery_port: self.0.discovery_port,
            hub_instance_id: self.0.opts.hub_instance_id.clone(),
            pending_commands: link.map_or(0, |l| l.pending_count()),
            extension: handshake.map(|h| ExtensionInfo {
                tab_id: h.tab_id,
                url: h.url.clone(),
                title: h.title.clone(),
                group_id: h.group_id,
                extension_version: h.extension_version.clone(),
                protocol_version: h.protocol_version,
            }),
            last_handshake_error: state.last_handshake_error.clone(),
            extension_last_seen_at: state.extension_seen_ms.map(iso8601),
            extension_left_at: state.extension_left_ms.filter(|_| link.is_none()).map(iso8601),
        }
    }

    /// Sends `{"type":"cdp_control","action":<action>}` to the extension, if connected
    /// (`detach_all` ends every `chrome.debugger` attachment: the hub's session is over).
    pub fn send_control(&self, action: &str) -> bool {
        match self.extension() {
            Some(link) => {
                link.send(Outgoing::Text(json!({"type": "cdp_control", "action": action}).to_string()));
                true
            }
            None => false,
        }
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
        let link = self.ready_link()?;
        let (reply, answer) = oneshot::channel();
        let waiter = Waiter::Hub { method: method.to_owned(), reply };
        let id = link
            .forward(method, params, session_id, waiter)
            .map_err(|_| CdpError::Disconnected { method: method.to_owned() })?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(CdpError::Disconnected { method: method.to_owned() }),
            Err(_) => {
                link.take_waiter(id);
                Err(CdpError::Timeout { method: method.to_owned(), ms: timeout.as_millis() as u64 })
            }
        }
    }

    fn ready_link(&self) -> Result<Arc<ExtensionLink>, CdpError> {
        let state = self.state();
        if state.stopped {
            return Err(CdpError::ShuttingDown);
        }
        let link = state.extension.clone().ok_or(CdpError::NotConnected)?;
        if link.handshake().is_none() {
            return Err(CdpError::HandshakeIncomplete);
        }
        Ok(link)
    }

    fn next_conn_id(&self) -> u64 {
        self.0.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Installs a new extension link, replacing (and closing) any previous one.
    fn install_extension(&self, link: Arc<ExtensionLink>) {
        let old = {
            let mut state = self.state();
            state.extension_seen_ms = Some(opendevbrowser_api::clock::now_ms());
            state.extension.replace(link)
        };
        if let Some(old) = old {
            tracing::info!("a new extension connection replaces the previous one");
            let clients = old.fail_all(|method| CdpError::Replaced { method });
            self.answer_client_errors(clients);
            old.send(Outgoing::Close(1000, pairing::wire::REPLACED_CLOSE_REASON.into()));
        }
    }

    /// Called when an extension socket ends: if it was current, fail its commands and
    /// close the `/cdp` client (its sessions are gone), as upstream does.
    fn extension_gone(&self, link: &Arc<ExtensionLink>) {
        {
            let mut state = self.state();
            if !state.extension.as_ref().is_some_and(|l| Arc::ptr_eq(l, link)) {
                return;
            }
            state.extension = None;
            state.extension_left_ms = Some(opendevbrowser_api::clock::now_ms());
        }
        let clients = link.fail_all(|method| CdpError::Disconnected { method });
        self.answer_client_errors(clients);
        if let Some((_, out)) = self.state().cdp_client.take() {
            let _ = out.send(Outgoing::Close(1011, "Extension disconnected".into()));
        }
        tracing::info!("extension disconnected");
    }

    fn record_handshake_error(&self, code: &str, message: &str) {
        self.state().last_handshake_error =
            Some(HandshakeError { code: code.to_owned(), message: message.to_owned(), at: iso8601(now_ms()) });
    }

    /// Health summary sent in `pong` frames.
    fn health(&self) -> Value {
        let status = self.status();
        json!({
            "ok": status.extension_handshake_complete,
            "extensionConnected": status.extension_connected,
            "extensionHandshakeComplete": status.extension_handshake_complete,
            "cdpConnected": status.cdp_connected,
            "pairingRequired": status.pairing_required,
        })
    }

    /// Stops serving: closes every socket (1000 "Relay stopped"), fails every command in
    /// flight, and shuts the listeners down.
    pub fn stop(&self) {
        let mut state = self.state();
        state.stopped = true;
        let link = state.extension.take();
        let client = state.cdp_client.take();
        drop(state);
        if let Some(link) = link {
            link.fail_all(|_| CdpError::ShuttingDown);
            link.send(Outgoing::Close(1000, "Relay stopped".into()));
        }
        if let Some((_, out)) = client {
            let _ = out.send(Outgoing::Close(1000, "Relay stopped".into()));
        }
        let _ = self.0.shutdown.send(true);
    }
}

/// Sets `TCP_NODELAY` on every accepted connection: small WebSocket frames and RPC
/// answers must not wait for Nagle's algorithm.
pub fn nodelay(listener: TcpListener) -> axum::serve::TapIo<TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn set(tcp: &mut tokio::net::TcpStream) {
        let _ = tcp.set_nodelay(true);
    }
    listener.tap_io(set as fn(&mut tokio::net::TcpStream))
}
