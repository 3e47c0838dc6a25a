//! The hub's state, which the commands and the daemon RPC serve: the hub's identity and token, the current relay (it
//! changes on `relay.restart`), the leases, the open browser sessions, the commands
//! running (`in_flight`), and the shutdown signal. Its fields are private; starting and
//! stopping it is `daemon::start`. The layers that need one part get a narrow handle to it
//! (`RelayHandle`, `Arc<Leases>`, `Arc<Sessions>`): command handlers through
//! `commands::call::Call`, extension sessions through their transport, the idle-detach
//! watcher through `sessions::idle_detach::Watched`.

pub(crate) mod in_flight;

use crate::error::HubError;
use crate::leases::service::Leases;
use crate::relay::{Relay, RelayHandle};
use opendevbrowser_api::clock::{iso8601, now_ms, random_hex};
use opendevbrowser_api::metadata::DaemonMetadata;
use opendevbrowser_api::status::{HubInfo, HubStatus, TabLeaseView};
use opendevbrowser_browser::Sessions;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;

/// The hub's shared state, seen by RPC handlers.
pub struct HubCore {
    /// Per-process hub id.
    instance_id: String,
    relay: RelayHandle,
    /// Who may drive the extension.
    leases: Arc<Leases>,
    /// Open browser sessions.
    sessions: Arc<Sessions>,
    /// RPC bearer token (fresh per process).
    token: String,
    /// Start time (ms).
    started_at_ms: u64,
    /// Bound RPC port.
    daemon_port: u16,
    metadata_path: PathBuf,
    /// Where named browser profiles live (`<data dir>/profiles`).
    profiles_dir: PathBuf,
    shutdown: watch::Sender<bool>,
    /// The commands running now (a stopping hub waits for them).
    in_flight: in_flight::InFlight,
}

impl HubCore {
    /// The state of a hub whose relay and RPC listener are bound; a fresh RPC token.
    pub fn new(
        instance_id: String,
        relay: Relay,
        leases: Arc<Leases>,
        daemon_port: u16,
        metadata_path: PathBuf,
        profiles_dir: PathBuf,
    ) -> Self {
        HubCore {
            instance_id,
            relay: RelayHandle::from(relay),
            leases,
            sessions: Default::default(),
            token: random_hex(32),
            started_at_ms: now_ms(),
            daemon_port,
            metadata_path,
            profiles_dir,
            shutdown: watch::channel(false).0,
            in_flight: Default::default(),
        }
    }

    /// This hub process's id.
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// The RPC bearer token (fresh per process; in `daemon.json`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The bound daemon RPC port.
    pub fn daemon_port(&self) -> u16 {
        self.daemon_port
    }

    /// The binding lease and tab leases.
    pub(crate) fn leases(&self) -> &Arc<Leases> {
        &self.leases
    }

    /// The open browser sessions.
    pub(crate) fn sessions(&self) -> &Arc<Sessions> {
        &self.sessions
    }

    /// Where named browser profiles live.
    pub fn profiles_dir(&self) -> &std::path::Path {
        &self.profiles_dir
    }

    /// The daemon `/status` body (upstream shape plus hub details).
    pub fn status(&self) -> HubStatus {
        let (binding, queue) = self.leases.snapshot();
        HubStatus {
            ok: true,
            pid: std::process::id(),
            hub: HubInfo {
                instance_id: self.instance_id.clone(),
                started_at: iso8601(self.started_at_ms),
                daemon_port: self.daemon_port,
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            relay: self.relay().status(),
            browser_sessions: self.sessions.len(),
            binding,
            queue,
            tab_leases: self
                .leases
                .tab_leases()
                .into_iter()
                .map(|(target_id, l)| TabLeaseView {
                    target_id,
                    lease_id: l.lease_id,
                    owner: l.owner,
                    session_id: l.session_id,
                    expires_at: iso8601(l.expires_at),
                })
                .collect(),
        }
    }

    /// The current relay (it changes on `relay.restart`).
    pub fn relay(&self) -> Relay {
        self.relay.current()
    }

    /// A handle that always reaches the current relay.
    pub(crate) fn relay_handle(&self) -> RelayHandle {
        self.relay.clone()
    }

    /// Stops the relay and starts a fresh one (new instance id and epoch) on the same
    /// port; the extension re-pairs by itself. Bindings are the hub's and survive.
    pub async fn restart_relay(&self) -> Result<Relay, HubError> {
        let relay =
            self.relay.restart().await.map_err(|e| HubError::InvalidRequest(format!("relay restart failed: {e}")))?;
        if let Err(e) = self.metadata().write(&self.metadata_path) {
            tracing::warn!("could not update {}: {e}", self.metadata_path.display());
        }
        tracing::info!(instance = %relay.instance_id(), "relay restarted");
        Ok(relay)
    }

    pub(crate) fn metadata(&self) -> DaemonMetadata {
        let relay = self.relay();
        DaemonMetadata {
            port: self.daemon_port,
            token: self.token.clone(),
            pid: std::process::id(),
            relay_port: relay.port(),
            started_at: iso8601(self.started_at_ms),
            hub_instance_id: self.instance_id.clone(),
            relay_instance_id: relay.instance_id().to_owned(),
            relay_epoch: relay.epoch(),
        }
    }

    /// Turns true when the hub is asked to stop.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// A command starts running: counted until the guard is dropped (a stopping hub
    /// waits for it).
    pub(crate) fn command_started(&self) -> in_flight::Running<'_> {
        self.in_flight.begin()
    }

    /// The commands running now.
    pub(crate) fn commands_running(&self) -> usize {
        self.in_flight.count()
    }

    /// Waits until no command is running.
    pub(crate) async fn commands_drained(&self) {
        self.in_flight.drained().await
    }

    /// Whether the hub is stopping (it takes no new commands).
    pub fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Asks the hub to stop (as `/stop` and SIGTERM do).
    pub fn request_shutdown(&self) {
        // `send_replace`: the flag is set even while nobody is subscribed (`send` would drop it).
        self.shutdown.send_replace(true);
    }
}

#[cfg(test)]
impl HubCore {
    /// A hub whose relay serves nothing and whose files go in `dir`: the state in-process
    /// tests of the routes and calls need, without ports.
    pub(crate) fn in_memory(dir: &std::path::Path) -> Arc<HubCore> {
        use crate::relay::RelayOptions;
        let relay = Relay::new(RelayOptions::new(0, Some("relay-token".into()), "hub-1".into()), 0, None);
        let leases = Arc::new(Leases::new(crate::leases::binding::LeaseConfig::default(), "hub-1"));
        let profiles = dir.join("profiles");
        Arc::new(HubCore::new("hub-1".into(), relay, leases, 0, dir.join("daemon.json"), profiles))
    }
}
