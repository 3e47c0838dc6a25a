//! Starting and stopping the hub: settings, the relay, the daemon RPC listener, the
//! metadata file, and what to do when a port is already taken.

use crate::access::same_user::spawn_server;
use crate::access::AccessPolicy;
use crate::daemon::settings::{HubSettings, SettingsError};
use crate::leases::binding::LeaseConfig;
use crate::leases::service::Leases;
use crate::relay::listen::bind_loopback;
use crate::relay::{Relay, RelayOptions, RelayStartError};
use crate::state::HubCore;

use opendevbrowser_api::metadata::DaemonMetadata;
use opendevbrowser_api::port_owner::describe_port_owner;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Default relay (and discovery) port.
pub const DEFAULT_RELAY_PORT: u16 = 8787;
/// Default daemon RPC port.
pub const DEFAULT_DAEMON_PORT: u16 = 8788;

/// How to start a hub.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Relay port (0 = any free port).
    pub relay_port: u16,
    /// Daemon RPC port (0 = any free port).
    pub daemon_port: u16,
    /// Discovery port for `/config` when the relay is elsewhere; `None` for none.
    pub discovery_port: Option<u16>,
    /// Where `daemon.json` goes.
    pub cache_dir: PathBuf,
    /// Where `hub.json` (pairing token) lives.
    pub config_dir: PathBuf,
    /// Where named browser profiles live (`profiles/` in it).
    pub data_dir: PathBuf,
    /// How long a new extension socket may take to handshake.
    pub handshake_timeout: Duration,
    /// Binding lease timing.
    pub lease: LeaseConfig,
    /// Detach the debugger from the user's tabs after this long unused; `None` never.
    pub idle_detach: Option<Duration>,
    /// Most bytes queued for a relay socket whose peer does not read.
    pub max_queued_bytes: usize,
    /// This long after the extension pairs, it is asked to tidy the agent tab groups of
    /// sessions that no longer exist (`crate::sessions::tab_scope::tidy_after_pairing`); `None`
    /// never.
    pub tidy_after: Option<Duration>,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            relay_port: DEFAULT_RELAY_PORT,
            daemon_port: DEFAULT_DAEMON_PORT,
            discovery_port: Some(DEFAULT_RELAY_PORT),
            cache_dir: opendevbrowser_api::files::cache_dir(),
            config_dir: opendevbrowser_api::files::config_dir(),
            data_dir: opendevbrowser_api::files::data_dir(),
            handshake_timeout: Duration::from_secs(10),
            lease: LeaseConfig::default(),
            idle_detach: Some(crate::sessions::idle_detach::DEFAULT_IDLE_DETACH),
            max_queued_bytes: crate::relay::DEFAULT_MAX_QUEUED_BYTES,
            tidy_after: Some(crate::sessions::tab_scope::TIDY_AFTER),
        }
    }
}

/// Why the hub did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// `hub.json` is unusable.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A port is held by a program that is not a healthy hub.
    #[error("{what} port {port} is in use by {}. Stop that program, or start the hub on another port (--{flag} <port>). Nothing was killed.", owner.as_deref().unwrap_or("another program"))]
    PortInUse {
        /// Which listener.
        what: &'static str,
        /// The CLI flag that moves it.
        flag: &'static str,
        /// The port.
        port: u16,
        /// The process holding it, if found.
        owner: Option<String>,
    },
    /// Another bind failure.
    #[error(transparent)]
    Bind(RelayStartError),
    /// `daemon.json` could not be written.
    #[error("cannot write hub metadata {path}: {source}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The result of [`start`].
pub enum Started {
    /// This process now runs the hub.
    Running(RunningHub),
    /// A healthy hub already owns the relay port; nothing was started or touched.
    AlreadyRunning {
        /// The relay port.
        port: u16,
        /// That hub's instance id.
        hub_instance_id: String,
    },
}

/// A hub running in this process.
pub struct RunningHub {
    core: Arc<HubCore>,
    metadata_path: PathBuf,
}

/// Starts the hub: relay first (if its port belongs to a healthy hub, says so and
/// starts nothing), then the RPC listener, then `daemon.json`.
pub async fn start(opts: HubOptions) -> Result<Started, ServeError> {
    let settings = HubSettings::load_or_create(&opts.config_dir)?;
    let instance_id = uuid::Uuid::new_v4().to_string();
    let mut relay_opts = RelayOptions::new(opts.relay_port, settings.token().map(str::to_owned), instance_id.clone());
    relay_opts.discovery_port = opts.discovery_port;
    relay_opts.policy = AccessPolicy {
        allowed_extension_ids: settings.allowed_extension_ids.clone(),
        relay_token: settings.token().map(str::to_owned),
    };
    relay_opts.handshake_timeout = opts.handshake_timeout;
    let leases = Arc::new(Leases::new(opts.lease, &instance_id[..8]));
    relay_opts.cdp_door = Some(Arc::new(crate::leases::cdp_door::LeaseDoor::new(leases.clone())));
    relay_opts.max_queued_bytes = opts.max_queued_bytes;
    let relay = match Relay::start(relay_opts).await {
        Ok(relay) => relay,
        Err(RelayStartError::PortInUse { port }) => {
            if let Some(hub_instance_id) = probe_hub(port).await {
                return Ok(Started::AlreadyRunning { port, hub_instance_id });
            }
            return Err(port_in_use("relay", "relay-port", port));
        }
        Err(e) => return Err(ServeError::Bind(e)),
    };
    let listener = match bind_loopback(opts.daemon_port).await {
        Ok(l) => l,
        Err(e) => {
            relay.stop();
            return Err(match e {
                RelayStartError::PortInUse { port } => port_in_use("daemon RPC", "daemon-port", port),
                other => ServeError::Bind(other),
            });
        }
    };
    let daemon_port = listener.local_addr().map(|a| a.port()).unwrap_or(opts.daemon_port);
    let metadata_path = DaemonMetadata::path_in(&opts.cache_dir);
    let core = Arc::new(HubCore::new(
        instance_id,
        relay,
        leases,
        daemon_port,
        metadata_path.clone(),
        opts.data_dir.join("profiles"),
    ));
    if let Err(source) = core.metadata().write(&metadata_path) {
        core.relay().stop();
        return Err(ServeError::Metadata { path: metadata_path, source });
    }
    serve_rpc(core.clone(), listener);
    // What a killed hub left behind (its browsers' profile folders), cleared in the background.
    tokio::task::spawn_blocking(crate::daemon::reap::run);
    if let Some(after) = opts.idle_detach {
        let watched = crate::sessions::idle_detach::Watched {
            leases: core.leases().clone(),
            relay: core.relay_handle(),
            sessions: core.sessions().clone(),
        };
        tokio::spawn(crate::sessions::idle_detach::run(watched, after, core.shutdown_signal()));
    }
    if let Some(after) = opts.tidy_after {
        let (relay, sessions, leases) = (core.relay_handle(), core.sessions().clone(), core.leases().clone());
        tokio::spawn(crate::sessions::tab_scope::tidy_after_pairing(
            relay,
            sessions,
            leases,
            after,
            core.shutdown_signal(),
        ));
    }
    tracing::info!(daemon_port, relay_port = core.relay().port(), hub = %core.instance_id(), "hub running");
    Ok(Started::Running(RunningHub { core, metadata_path }))
}

fn port_in_use(what: &'static str, flag: &'static str, port: u16) -> ServeError {
    ServeError::PortInUse { what, flag, port, owner: describe_port_owner(port) }
}

fn serve_rpc(core: Arc<HubCore>, listener: tokio::net::TcpListener) {
    let stop = core.shutdown_signal();
    spawn_server(listener, crate::rpc::router(core), crate::rpc::refusal, stop, "daemon RPC");
}

/// Asks whatever answers on `port` for `/status`; returns its hub id if it is a hub.
pub async fn probe_hub(port: u16) -> Option<String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().ok()?;
    let body: Value = client.get(format!("http://127.0.0.1:{port}/status")).send().await.ok()?.json().await.ok()?;
    body.get("hubInstanceId").and_then(Value::as_str).map(str::to_owned)
}

/// How long a stopping hub waits for the commands it is running.
const DRAIN_WAIT: Duration = Duration::from_secs(5);
/// How long it waits for its relay sockets to send their close frames and end.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

impl RunningHub {
    /// The shared core (relay, identity, token).
    pub fn core(&self) -> &Arc<HubCore> {
        &self.core
    }

    /// Where `daemon.json` was written.
    pub fn metadata_path(&self) -> &std::path::Path {
        &self.metadata_path
    }

    /// Asks the hub to stop.
    pub fn stop(&self) {
        self.core.request_shutdown();
    }

    /// Waits until a stop is requested (RPC `/stop`, [`stop`](Self::stop), or the given
    /// extra signal), then shuts down cleanly: running commands finish (new ones answer
    /// `hub_shutting_down`), browsers close, sockets get close frames, metadata is removed.
    pub async fn run_until_stopped(self, extra: impl std::future::Future<Output = ()>) {
        let mut stop = self.core.shutdown_signal();
        tokio::select! {
            _ = stop.wait_for(|s| *s) => {}
            _ = extra => {}
        }
        // No new commands from here on; the ones running finish (up to DRAIN_WAIT), then
        // the browsers and sockets close, and the relay's close frames get out.
        self.core.request_shutdown();
        if tokio::time::timeout(DRAIN_WAIT, self.core.commands_drained()).await.is_err() {
            let left = self.core.commands_running();
            tracing::warn!("{left} command(s) still running after {DRAIN_WAIT:?}: stopping anyway");
        }
        let relay = self.core.relay();
        self.shutdown();
        relay.sockets_closed(CLOSE_WAIT).await;
    }

    fn shutdown(&self) {
        tracing::info!("hub shutting down");
        self.core.leases().clear();
        self.core.sessions().clear();
        self.core.relay().stop();
        DaemonMetadata::remove_if_ours(&self.metadata_path, self.core.instance_id());
    }
}
