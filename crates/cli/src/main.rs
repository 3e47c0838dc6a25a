//! `opendevbrowser`: run the hub, inspect it, hold the relay binding, and drive the
//! browser through the hub. Every command has `--help`; `--json` prints machine output.

mod config_cmd;
mod generated;
mod saved;
mod text;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use opendevbrowser_api::command::{in_words_of, CommandInfo, Front};
use opendevbrowser_api::commands::{Connect, Disconnect, Launch};
use opendevbrowser_api::Command as _;
use opendevbrowser_client::{ClientError, ClientOptions, HubClient};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::Duration;

/// Drive your real Chrome tabs through the per-user opendevbrowser hub.
#[derive(Parser)]
#[command(name = "opendevbrowser", version, long_about = None)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Who this caller is within the user's clientId (bindings belong to it).
    #[arg(long, global = true, default_value = "cli", env = "OPENDEVBROWSER_INSTANCE_ID")]
    instance_id: String,
    /// Fail instead of starting a hub when none runs.
    #[arg(long, global = true)]
    no_autostart: bool,
    /// The config file (default: opendevbrowser.toml in the config dir; `config show`
    /// prints what is in effect).
    #[arg(long, global = true, env = "OPENDEVBROWSER_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub in the foreground until SIGTERM/Ctrl-C or `stop`.
    Serve {
        #[command(flatten)]
        args: hub::daemon::serve_cmd::ServeArgs,
    },
    /// Show the hub, relay and binding status (never starts a hub).
    Status,
    /// Explain whether the browser can be driven, and if not why and how to fix it
    /// (never starts a hub; exit code 0 when connected, 4 otherwise).
    Doctor {
        /// The relay port the extension is expected on (checked when no hub answers).
        #[arg(long, default_value_t = hub::DEFAULT_RELAY_PORT, env = "OPENDEVBROWSER_RELAY_PORT")]
        relay_port: u16,
    },
    /// Ask the running hub to stop.
    Stop,
    /// Find the hub, starting it if none runs; print which.
    Ensure,
    /// Take the relay binding for this instance and keep it (until `release` or expiry).
    Bind {
        /// Wait up to this long in the queue if the relay is busy (0 = fail at once).
        #[arg(long, default_value_t = 0)]
        wait_ms: u64,
    },
    /// Wait in the FIFO queue for the relay binding, then keep it (like `bind --wait-ms`).
    #[command(name = "bind-wait")]
    BindWait {
        /// Give up after this long.
        #[arg(long, default_value_t = 30_000)]
        timeout_ms: u64,
    },
    /// Renew this instance's saved binding.
    Renew,
    /// Release this instance's saved binding.
    Release,
    /// Send one raw CDP command through the extension.
    Cdp {
        /// CDP method, e.g. `Page.navigate`.
        method: String,
        /// CDP params as JSON.
        #[arg(long, default_value = "{}")]
        params: String,
        /// Flat session to run in (from `Target.attachToTarget`).
        #[arg(long)]
        session_id: Option<String>,
        /// Wait up to this long for the relay binding if it is busy.
        #[arg(long, default_value_t = 0)]
        wait_ms: u64,
    },
    /// Serve MCP on stdin/stdout: every browser command as a tool, for one agent (Claude
    /// Code, Codex, Cursor, OpenCode, …). It shares the hub with every other client.
    Mcp {
        /// Session mode: `extension` (the user's Chrome) or `managed` (a Chromium the hub
        /// starts). Default: extension when the extension is paired, else managed.
        #[arg(long, value_parser = ["extension", "managed"])]
        mode: Option<String>,
        /// Show the managed Chromium's window.
        #[arg(long)]
        headed: bool,
        /// The browser a managed session starts (default: $OPENDEVBROWSER_CHROME, else the
        /// first Chrome, Chromium, Edge or Brave at its standard install location).
        #[arg(long)]
        chrome_path: Option<String>,
        /// In the user's Chrome: `tab` works in a tab of this agent's own (its tab group),
        /// beside other agents; `relay` (default) drives the whole browser, one agent at a time.
        #[arg(long, value_parser = ["relay", "tab"])]
        scope: Option<String>,
        /// A managed session on this named profile, kept between sessions so logins stay
        /// (implies `--mode managed`).
        #[arg(long)]
        profile: Option<String>,
        /// A managed session that starts with this storage-state file's cookies and
        /// localStorage (ours or Playwright's; implies `--mode managed`).
        #[arg(long)]
        storage_state: Option<std::path::PathBuf>,
        /// When another agent holds the user's Chrome, wait this long for it (default 0:
        /// answer relay_busy at once).
        #[arg(long)]
        wait_ms: Option<u64>,
        /// Give the user's Chrome back after this many seconds without a tool call
        /// (default 60).
        #[arg(long)]
        idle_release_secs: Option<u64>,
        /// Serve Streamable HTTP on 127.0.0.1:<port> (path /mcp) instead of stdio; 0 picks
        /// a free port (printed on stderr).
        #[arg(long)]
        http: Option<u16>,
        /// Run the agent's session on a remote browser: a CDP WebSocket URL, ws:// or wss://
        /// (a fleet such as Browserless; credentials from the config's remote_* keys).
        #[arg(long, conflicts_with_all = ["mode", "profile", "storage_state", "selenium_grid"])]
        connect: Option<String>,
        /// Run the agent's session on a browser this Selenium Grid (or WebDriver server) starts.
        #[arg(long, conflicts_with_all = ["mode", "profile", "storage_state"])]
        selenium_grid: Option<String>,
        /// With --selenium-grid: the WebDriver capabilities as JSON (default {"browserName":"chrome"}).
        #[arg(long, requires = "selenium_grid")]
        capabilities: Option<String>,
    },
    /// The config file (opendevbrowser.toml): `config show` prints every setting in effect
    /// and where it came from (file, environment, default).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Evaluate JavaScript in the active page (or a session) and print the value.
    Eval {
        /// The expression.
        expression: String,
        /// Flat session to run in.
        #[arg(long)]
        session_id: Option<String>,
        /// Wait up to this long for the relay binding if it is busy.
        #[arg(long, default_value_t = 0)]
        wait_ms: u64,
    },
}

/// What `config` does.
#[derive(Subcommand)]
enum ConfigAction {
    /// Print every setting in effect, its value and where it came from.
    Show,
}

/// Exit codes: 0 ok, 1 usage (clap), 2 command failed, 3 relay busy / wait timeout,
/// 4 `doctor` found a problem, 10 no hub.
fn exit_code(e: &ClientError) -> u8 {
    match e.code() {
        "hub_not_running" | "hub_unreachable" => 10,
        "relay_busy" | "wait_timeout" => 3,
        _ => 2,
    }
}

/// The flags every command shares.
struct Global {
    json: bool,
    instance_id: String,
    no_autostart: bool,
    config: Option<std::path::PathBuf>,
}

impl Cli {
    /// The hand-written subcommands plus one per contract command.
    fn command_with_generated() -> clap::Command {
        generated::augment(Cli::command())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command_with_generated().get_matches();
    if let Some((name, sub)) = matches.subcommand() {
        if let Some(info) = generated::find(name) {
            init_logging();
            let global = Global {
                json: matches.get_flag("json"),
                instance_id: matches.get_one::<String>("instance_id").cloned().unwrap_or_else(|| "cli".into()),
                no_autostart: matches.get_flag("no_autostart"),
                config: matches.get_one::<std::path::PathBuf>("config").cloned(),
            };
            return finish(global.json, run_generated(&global, info, sub).await);
        }
    }
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging();
    if let Command::Serve { args } = cli.command {
        return hub::daemon::serve_cmd::run_to_exit(args, cli.json).await;
    }
    if let Command::Mcp {
        mode,
        headed,
        chrome_path,
        scope,
        profile,
        storage_state,
        wait_ms,
        idle_release_secs,
        http,
        connect,
        selenium_grid,
        capabilities,
    } = cli.command
    {
        let config = match config_cmd::load(cli.config.as_deref()) {
            Ok(loaded) => loaded.config,
            Err(e) => {
                eprintln!("error: {}", error_text(&e));
                return ExitCode::from(2);
            }
        };
        let browser = match config.browser_settings() {
            Ok(settings) => (!settings.is_empty()).then_some(settings),
            Err(e) => {
                eprintln!("error: config: {e}");
                return ExitCode::from(2);
            }
        };
        let connect = match mcp_connect(connect, selenium_grid, capabilities, &config) {
            Ok(connect) => connect,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let storage_state = storage_state.map(|p| std::path::absolute(&p).unwrap_or(p).display().to_string());
        let managed_only = (profile.is_some() || storage_state.is_some()).then(|| "managed".to_owned());
        let opts = opendevbrowser_mcp::AgentOptions {
            mode: mode.or(managed_only).or(config.mode),
            headless: if headed { Some(false) } else { config.headless },
            chrome_path: chrome_path.or(config.browser_path),
            scope,
            profile,
            storage_state,
            browser,
            connect,
            wait: Duration::from_millis(wait_ms.or(config.wait_ms).unwrap_or(0)),
            idle_release: Duration::from_secs(idle_release_secs.or(config.idle_release_secs).unwrap_or(60).max(1)),
            client: ClientOptions { autostart: !cli.no_autostart, ..ClientOptions::default() },
        };
        let served = match http {
            Some(port) => {
                let ready = |port| eprintln!("[opendevbrowser] MCP (Streamable HTTP) on http://127.0.0.1:{port}/mcp");
                opendevbrowser_mcp::serve_http(opts, port, ready).await
            }
            None => opendevbrowser_mcp::serve_stdio(opts).await,
        };
        return match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    if let Command::Doctor { relay_port } = cli.command {
        return doctor(cli.json, relay_port).await;
    }
    let json = cli.json;
    let global = Global {
        json,
        instance_id: cli.instance_id.clone(),
        no_autostart: cli.no_autostart,
        config: cli.config.clone(),
    };
    finish(json, run(&global, cli.command).await)
}

/// `doctor`: the verdict, as text or `{ok, data: {class, ok, summary, fix, facts}}`.
async fn doctor(json: bool, relay_port: u16) -> ExitCode {
    use opendevbrowser_client::doctor::{diagnose, gather, HubFacts};
    let facts = gather(&opendevbrowser_api::files::cache_dir(), relay_port).await;
    let verdict = diagnose(&facts);
    if json {
        let mut data = verdict.to_json();
        data["status"] = match &facts.hub {
            HubFacts::Running(status) => serde_json::to_value(status).unwrap_or_default(),
            HubFacts::NotFound(why) => {
                json!({"hubNotFound": why.to_string(), "relayPortOwner": facts.relay_port_owner})
            }
        };
        println!("{}", json!({"ok": true, "data": data}));
    } else {
        println!("{}", verdict.to_text());
    }
    ExitCode::from(if verdict.ok { 0 } else { 4 })
}

fn init_logging() {
    hub::daemon::serve_cmd::init_logging("warn");
}

fn finish(json: bool, result: Result<Value, ClientError>) -> ExitCode {
    match result {
        Ok(output) => {
            print_output(json, &output);
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                println!("{}", json!({"ok": false, "error": e.to_json()}));
            } else {
                eprintln!("error: {}", error_text(&e));
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

/// An error as a person at the command line reads it: the commands it names are the
/// CLI's (`opendevbrowser snapshot`, not `nav.snapshot`).
fn error_text(e: &ClientError) -> String {
    in_words_of(Front::Cli, &e.to_string()).into_owned()
}

fn print_output(json: bool, output: &Value) {
    if json {
        println!("{}", json!({"ok": true, "data": output}));
    } else {
        println!("{}", text::render(output));
    }
}

fn progress(line: &str) {
    eprintln!("[opendevbrowser] {line}");
}

async fn connect(cli: &Global, autostart: bool) -> Result<HubClient, ClientError> {
    let opts = ClientOptions {
        instance_id: Some(cli.instance_id.clone()),
        autostart: autostart && !cli.no_autostart,
        // One command per process: a POST is cheaper than a WebSocket handshake.
        channel: false,
        ..ClientOptions::default()
    };
    HubClient::connect(opts, &progress).await
}

async fn run(cli: &Global, command: Command) -> Result<Value, ClientError> {
    match &command {
        Command::Serve { .. } => unreachable!("handled in main"),
        Command::Config { action: ConfigAction::Show } => {
            Ok(config_cmd::show(&config_cmd::load(cli.config.as_deref())?))
        }
        Command::Status => {
            let client = connect(cli, false).await?;
            let status = client.status().await?;
            let text = text::describe_status(&status);
            Ok(if cli.json { serde_json::to_value(status).unwrap_or_default() } else { Value::String(text) })
        }
        Command::Doctor { .. } | Command::Mcp { .. } => unreachable!("handled in main"),
        Command::Stop => {
            let client = connect(cli, false).await?;
            let endpoint = client.endpoint().clone();
            reqwest::Client::new()
                .post(format!("http://127.0.0.1:{}/stop", endpoint.port))
                .bearer_auth(&endpoint.token)
                .send()
                .await
                .map_err(|e| ClientError::Unreachable { port: endpoint.port, detail: e.to_string() })?;
            Ok(json!({"stopping": true, "pid": endpoint.pid}))
        }
        Command::Ensure => {
            let client = connect(cli, true).await?;
            let e = client.endpoint();
            let source = format!("{:?}", client.source()).to_lowercase();
            Ok(
                json!({"hubInstanceId": e.hub_instance_id, "pid": e.pid, "daemonPort": e.port, "relayPort": e.relay_port, "source": source}),
            )
        }
        Command::Bind { .. } | Command::BindWait { .. } => {
            let client = connect(cli, true).await?;
            let binding = match &command {
                Command::BindWait { timeout_ms } => client.wait_bind(Duration::from_millis(*timeout_ms)).await?,
                Command::Bind { wait_ms } => acquire(&client, *wait_ms).await?,
                _ => unreachable!("matched above"),
            };
            saved::store(&cli.instance_id, &binding.binding_id)?;
            Ok(json!({"bindingId": binding.binding_id, "renewAfterMs": binding.renew_after.as_millis() as u64}))
        }
        Command::Renew => {
            let client = with_saved_binding(cli).await?;
            let binding = client.renew().await?;
            Ok(json!({"bindingId": binding.binding_id}))
        }
        Command::Release => {
            let client = with_saved_binding(cli).await?;
            let result = client.release().await;
            saved::forget(&cli.instance_id);
            result.map(|_| json!({"released": true}))
        }
        Command::Cdp { method, params, session_id, wait_ms } => {
            let params: Value = serde_json::from_str(params)
                .map_err(|e| ClientError::Local(format!("--params is not valid JSON: {e}")))?;
            with_binding(cli, *wait_ms, |c| async move { c.cdp_send(method, params, session_id.as_deref()).await })
                .await
        }
        Command::Eval { expression, session_id, wait_ms } => {
            with_binding(cli, *wait_ms, |c| async move { c.evaluate(expression, session_id.as_deref()).await }).await
        }
    }
}

/// `session.connect` params for `mcp --connect URL` / `--selenium-grid URL`, with the
/// config's credentials and CA file.
fn mcp_connect(
    ws: Option<String>,
    grid: Option<String>,
    capabilities: Option<String>,
    config: &opendevbrowser_api::config::Config,
) -> Result<Option<serde_json::Map<String, Value>>, String> {
    let mut params = serde_json::Map::new();
    match (ws, grid) {
        (Some(ws), _) => params.insert("wsEndpoint".into(), json!(ws)),
        (None, Some(grid)) => params.insert("seleniumGrid".into(), json!(grid)),
        (None, None) => return Ok(None),
    };
    if let Some(text) = capabilities {
        let caps: Value = serde_json::from_str(&text).map_err(|e| format!("--capabilities is not JSON: {e}"))?;
        params.insert("capabilities".into(), caps);
    }
    config_cmd::fill_connect(&mut params, config);
    Ok(Some(params))
}

/// Runs a generated command: the session defaults to this instance's last `launch`; a
/// binding is taken (and released after) only if the command turns out to need one.
async fn run_generated(cli: &Global, info: &CommandInfo, m: &clap::ArgMatches) -> Result<Value, ClientError> {
    let mut params = generated::params(info, m).map_err(ClientError::Local)?;
    if info.name == Launch::NAME {
        config_cmd::fill_launch(&mut params, &config_cmd::load(cli.config.as_deref())?.config)?;
    }
    if info.name == Connect::NAME {
        config_cmd::fill_connect(&mut params, &config_cmd::load(cli.config.as_deref())?.config);
    }
    if generated::needs_session(info) {
        let session =
            m.get_one::<String>("session-id").cloned().or_else(|| saved::load_session(&cli.instance_id)).ok_or_else(
                || ClientError::Local("no session: run `opendevbrowser launch` first or pass --session-id".into()),
            )?;
        params.insert("sessionId".into(), json!(session));
    }
    let client = connect(cli, true).await?;
    if let Some(id) = saved::load(&cli.instance_id) {
        client.adopt_binding(id);
    }
    let params = Value::Object(params);
    let result = match client.call(info.name, params.clone()).await {
        Err(e) if e.code() == "binding_required" && client.binding().is_none() => {
            client.bind().await?;
            let retried = client.call(info.name, params).await;
            let _ = client.release().await;
            retried
        }
        other => other,
    }?;
    match info.name {
        Launch::NAME | Connect::NAME => {
            saved::store_session(&cli.instance_id, result["sessionId"].as_str().unwrap_or_default())?
        }
        Disconnect::NAME => saved::forget_session(&cli.instance_id),
        _ => {}
    }
    Ok(result)
}

/// Binds now, or (with `wait_ms`) waits in the queue, telling the user who holds the relay.
async fn acquire(client: &HubClient, wait_ms: u64) -> Result<opendevbrowser_client::Binding, ClientError> {
    match client.bind().await {
        Err(ClientError::Hub { code, details, .. }) if code == "relay_busy" && wait_ms > 0 => {
            let owner = &details["owner"];
            progress(&format!(
                "relay busy: held by {}/{} until {}; waiting up to {} s for your turn…",
                owner["clientId"].as_str().unwrap_or("?"),
                owner["instanceId"].as_str().unwrap_or("?"),
                details["expiresAt"].as_str().unwrap_or("?"),
                wait_ms.div_ceil(1000)
            ));
            client.wait_bind(Duration::from_millis(wait_ms)).await
        }
        other => other,
    }
}

async fn with_saved_binding(cli: &Global) -> Result<HubClient, ClientError> {
    let client = connect(cli, false).await?;
    let id = saved::load(&cli.instance_id).ok_or_else(|| {
        ClientError::Local(format!("instance `{}` holds no saved binding: run `opendevbrowser bind`", cli.instance_id))
    })?;
    client.adopt_binding(id);
    Ok(client)
}

/// Runs `f` with a binding: the saved one for this instance, or a temporary one that is
/// released afterwards (so a one-shot command never holds the relay for a whole TTL).
async fn with_binding<F, Fut>(cli: &Global, wait_ms: u64, f: F) -> Result<Value, ClientError>
where
    F: FnOnce(HubClient) -> Fut,
    Fut: std::future::Future<Output = Result<Value, ClientError>>,
{
    let client = connect(cli, true).await?;
    if let Some(id) = saved::load(&cli.instance_id) {
        client.adopt_binding(id);
        return f(client).await;
    }
    acquire(&client, wait_ms).await?;
    let (endpoint, (client_id, instance_id)) = (client.endpoint().clone(), client.identity());
    let binding = client.binding().map(|b| b.binding_id);
    let release = json!({"clientId": client_id, "instanceId": instance_id, "bindingId": binding});
    let result = f(client).await;
    let _ = opendevbrowser_client::client::raw_call(&reqwest::Client::new(), &endpoint, "relay.release", release).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_cli_commands_not_daemon_commands() {
        let e = ClientError::Hub {
            code: "unknown_ref".into(),
            message: "unknown ref \"r9\" for this page: take a snapshot (nav.snapshot) first".into(),
            status: 400,
            details: json!({}),
        };
        assert_eq!(
            error_text(&e),
            "unknown ref \"r9\" for this page: take a snapshot (opendevbrowser snapshot) first (unknown_ref)"
        );
        let gone = ClientError::OutcomeUnknown { command: "targets.list".into() };
        assert!(error_text(&gone).contains("running `opendevbrowser targets`"), "{}", error_text(&gone));
    }
}
