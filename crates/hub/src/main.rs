//! `opendevbrowser-hub`: start, inspect and stop the per-user hub daemon.

use anyhow::Context;
use clap::{Parser, Subcommand};
use hub::metadata::{DaemonMetadata, MetadataError};
use hub::server::{DEFAULT_DAEMON_PORT, DEFAULT_RELAY_PORT};
use hub::{HubOptions, Started};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::Duration;

/// The opendevbrowser hub: one per user, the only owner of the relay to the Chrome extension.
#[derive(Parser)]
#[command(name = "opendevbrowser-hub", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub in the foreground until SIGTERM/Ctrl-C or `stop`.
    Serve {
        /// Relay port (the extension connects here).
        #[arg(long, default_value_t = DEFAULT_RELAY_PORT)]
        relay_port: u16,
        /// Daemon RPC port (plugins and the CLI call here).
        #[arg(long, default_value_t = DEFAULT_DAEMON_PORT)]
        daemon_port: u16,
        /// Do not serve /config on 8787 when the relay port differs.
        #[arg(long)]
        no_discovery: bool,
        /// Print the startup line as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the running hub's status (from daemon.json and its /status).
    Status {
        /// Print raw JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ask the running hub to stop.
    Stop {
        /// Print raw JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Exit code when no hub is running (as upstream's CLI).
const EXIT_NOT_RUNNING: u8 = 10;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPENDEVBROWSER_LOG").unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve { relay_port, daemon_port, no_discovery, json } => {
            serve(relay_port, daemon_port, no_discovery, json).await
        }
        Command::Status { json } => status(json).await,
        Command::Stop { json } => stop(json).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn serve(relay_port: u16, daemon_port: u16, no_discovery: bool, as_json: bool) -> anyhow::Result<ExitCode> {
    let opts = HubOptions {
        relay_port,
        daemon_port,
        discovery_port: (!no_discovery).then_some(DEFAULT_RELAY_PORT),
        ..HubOptions::default()
    };
    match hub::start(opts).await? {
        Started::AlreadyRunning { port, hub_instance_id } => {
            let line = json!({"status": "already_running", "relayPort": port, "hubInstanceId": hub_instance_id});
            if as_json {
                println!("{line}");
            } else {
                println!("a healthy hub ({hub_instance_id}) already owns relay port {port}; leaving it alone");
            }
            Ok(ExitCode::SUCCESS)
        }
        Started::Running(hub) => {
            let core = hub.core();
            if as_json {
                println!(
                    "{}",
                    json!({"status": "running", "relayPort": core.relay().port(), "daemonPort": core.daemon_port,
                    "hubInstanceId": core.instance_id, "relayInstanceId": core.relay().instance_id(),
                    "metadata": hub.metadata_path()})
                );
            } else {
                println!(
                    "hub {} running: relay ws://127.0.0.1:{} , RPC http://127.0.0.1:{} (metadata {})",
                    core.instance_id,
                    core.relay().port(),
                    core.daemon_port,
                    hub.metadata_path().display()
                );
            }
            hub.run_until_stopped(termination()).await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn termination() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn metadata() -> Result<DaemonMetadata, MetadataError> {
    DaemonMetadata::read(&DaemonMetadata::path_in(&hub::paths::cache_dir()))
}

async fn rpc(meta: &DaemonMetadata, method: reqwest::Method, path: &str) -> anyhow::Result<Value> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let response = client
        .request(method, format!("http://127.0.0.1:{}{path}", meta.port))
        .bearer_auth(&meta.token)
        .send()
        .await
        .with_context(|| format!("the hub in daemon.json (pid {}, port {}) does not answer; it may have crashed: start it with `opendevbrowser-hub serve`", meta.pid, meta.port))?;
    Ok(response.json().await?)
}

fn not_running(as_json: bool, e: &MetadataError) -> ExitCode {
    if as_json {
        println!("{}", json!({"ok": false, "error": {"code": "hub_not_running", "message": e.to_string()}}));
    } else {
        eprintln!("no hub is running ({e}); start one with `opendevbrowser-hub serve`");
    }
    ExitCode::from(EXIT_NOT_RUNNING)
}

async fn status(as_json: bool) -> anyhow::Result<ExitCode> {
    let meta = match metadata() {
        Ok(m) => m,
        Err(e) => return Ok(not_running(as_json, &e)),
    };
    let body = rpc(&meta, reqwest::Method::GET, "/status").await?;
    if as_json {
        println!("{body}");
        return Ok(ExitCode::SUCCESS);
    }
    let relay = &body["relay"];
    println!(
        "hub:   {} (pid {}, RPC port {})",
        body["hub"]["instanceId"].as_str().unwrap_or("?"),
        body["pid"],
        meta.port
    );
    println!(
        "relay: {} on port {} epoch {}",
        relay["instanceId"].as_str().unwrap_or("?"),
        relay["port"],
        relay["epoch"]
    );
    println!(
        "Relay: port={} ext={} handshake={} cdp={} pairing={}",
        relay["port"],
        on_off(&relay["extensionConnected"]),
        on_off(&relay["extensionHandshakeComplete"]),
        on_off(&relay["cdpConnected"]),
        on_off(&relay["pairingRequired"])
    );
    Ok(ExitCode::SUCCESS)
}

fn on_off(v: &Value) -> &'static str {
    if v.as_bool() == Some(true) {
        "on"
    } else {
        "off"
    }
}

async fn stop(as_json: bool) -> anyhow::Result<ExitCode> {
    let meta = match metadata() {
        Ok(m) => m,
        Err(e) => return Ok(not_running(as_json, &e)),
    };
    let body = rpc(&meta, reqwest::Method::POST, "/stop").await?;
    if as_json {
        println!("{body}");
    } else {
        println!("hub (pid {}) is stopping", meta.pid);
    }
    Ok(ExitCode::SUCCESS)
}
