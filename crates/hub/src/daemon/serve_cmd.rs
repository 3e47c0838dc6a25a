//! The `serve` command shared by `opendevbrowser-hub` and `opendevbrowser`: run the hub
//! in the foreground until SIGTERM, Ctrl-C or an RPC `/stop`.

use crate::daemon::start::{DEFAULT_DAEMON_PORT, DEFAULT_RELAY_PORT};
use crate::{HubOptions, ServeError, Started};
use serde_json::json;
use std::time::Duration;

/// `serve` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Relay port (the extension connects here).
    #[arg(long, default_value_t = DEFAULT_RELAY_PORT)]
    pub relay_port: u16,
    /// Daemon RPC port (plugins and the CLI call here); 0 picks a free one.
    #[arg(long, default_value_t = DEFAULT_DAEMON_PORT)]
    pub daemon_port: u16,
    /// Where `/config` is served for the extension to find the relay (the extension asks
    /// 8787 unless its `defaults.json` names another port).
    #[arg(long, default_value_t = DEFAULT_RELAY_PORT)]
    pub discovery_port: u16,
    /// Do not serve /config on the discovery port when the relay port differs.
    #[arg(long)]
    pub no_discovery: bool,
    /// Detach the debugger from the user's tabs after this many seconds with no binding,
    /// no extension session and no /cdp client (0 = never); the next command re-attaches.
    #[arg(long, default_value_t = crate::sessions::idle_detach::DEFAULT_IDLE_DETACH.as_secs())]
    pub idle_detach_secs: u64,
}

/// Logs to stderr, filtered by `OPENDEVBROWSER_LOG` (else `default`), plain text unless
/// stderr is a terminal.
pub fn init_logging(default: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPENDEVBROWSER_LOG").unwrap_or_else(|_| default.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// [`run`] for a binary's `serve` command: errors are printed, and exit code 2.
pub async fn run_to_exit(args: ServeArgs, as_json: bool) -> std::process::ExitCode {
    match run(args, as_json).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Runs the hub; returns once it has stopped (or found another hub owning the port).
pub async fn run(args: ServeArgs, as_json: bool) -> Result<(), ServeError> {
    let opts = HubOptions {
        relay_port: args.relay_port,
        daemon_port: args.daemon_port,
        discovery_port: (!args.no_discovery).then_some(args.discovery_port),
        idle_detach: (args.idle_detach_secs > 0).then(|| Duration::from_secs(args.idle_detach_secs)),
        ..HubOptions::default()
    };
    match crate::daemon::start::start(opts).await? {
        Started::AlreadyRunning { port, hub_instance_id } => {
            if as_json {
                println!(
                    "{}",
                    json!({"status": "already_running", "relayPort": port, "hubInstanceId": hub_instance_id})
                );
            } else {
                println!("a healthy hub ({hub_instance_id}) already owns relay port {port}; leaving it alone");
            }
        }
        Started::Running(hub) => {
            let core = hub.core();
            let relay = core.relay();
            if as_json {
                println!(
                    "{}",
                    json!({"status": "running", "relayPort": relay.port(), "daemonPort": core.daemon_port(),
                        "hubInstanceId": core.instance_id(), "relayInstanceId": relay.instance_id(), "metadata": hub.metadata_path()})
                );
            } else {
                println!(
                    "hub {} running: relay ws://127.0.0.1:{}, RPC http://127.0.0.1:{} (metadata {})",
                    core.instance_id(),
                    relay.port(),
                    core.daemon_port(),
                    hub.metadata_path().display()
                );
            }
            hub.run_until_stopped(termination()).await;
        }
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (Windows has no SIGTERM: `opendevbrowser stop` asks the
/// hub over its RPC instead).
async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
