//! Starting a relay: the loopback listeners (the relay port, and upstream's discovery
//! port when asked), the HTTP/WebSocket routers on them, and a fresh relay identity.

use super::http;
use super::switchboard::{Identity, Switchboard};
use super::{Inner, Relay, RelayOptions, RelayStartError, Shared};
use crate::access::same_user::{spawn_server, Refusal};
use opendevbrowser_api::clock::now_ms;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Binds a loopback listener, mapping "address in use" to its own error.
pub(crate) async fn bind_loopback(port: u16) -> Result<TcpListener, RelayStartError> {
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
        let discovery_port = match &discovery {
            Some(l) => l.local_addr().ok().map(|a| a.port()),
            None if opts.discovery_port == Some(port) => Some(port),
            None => None,
        };
        let relay = Relay::new(opts, port, discovery_port);
        relay.serve(listener, relay.router());
        if let Some(listener) = discovery {
            relay.serve(listener, http::discovery_router(relay.clone()));
        }
        tracing::info!(port, instance = %relay.instance_id(), "relay listening on 127.0.0.1:{port}");
        Ok(relay)
    }

    /// A relay's state and identity (a fresh instance id and epoch) for `port`, serving
    /// nothing yet: [`start`](Self::start) binds the listeners and serves
    /// [`router`](Self::router) on them; tests call the router in-process.
    pub(crate) fn new(opts: RelayOptions, port: u16, discovery_port: Option<u16>) -> Relay {
        let epoch = now_ms() as i64;
        let instance_id = uuid::Uuid::new_v4().to_string();
        let identity = Identity { instance_id: instance_id.clone(), port, epoch, token: opts.token.clone() };
        Relay(Arc::new(Shared {
            instance_id,
            epoch,
            port,
            discovery_port,
            sockets: Arc::new(Semaphore::new(opts.max_sockets)),
            events: opts.events.clone(),
            opts,
            inner: Mutex::new(Inner { board: Switchboard::new(identity), outs: HashMap::new() }),
            shutdown: watch::channel(false).0,
        }))
    }

    /// Every relay endpoint, routed to this relay.
    pub(crate) fn router(&self) -> axum::Router {
        http::relay_router(self.clone())
    }

    fn serve(&self, listener: TcpListener, router: axum::Router) {
        let refuse: Refusal = |e| super::admission::error_response(&e);
        spawn_server(listener, router, refuse, self.0.shutdown.subscribe(), "relay server");
    }
}
