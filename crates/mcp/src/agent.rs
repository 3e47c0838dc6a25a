//! This MCP server process as one hub client ("one agent = one plugin instance"): its
//! instance id (the MCP client's name plus a per-process id, under the user's clientId),
//! its browser session (launched on the first browser tool), and its binding (taken when
//! a command needs it, renewed while in use, released after `idle_release` without a tool
//! call and when the process ends).

use opendevbrowser_api::command::CommandInfo;
use opendevbrowser_api::commands::{Connect, Disconnect, Launch};
use opendevbrowser_api::{envelope, Command, Scope};
use opendevbrowser_client::{ClientError, ClientOptions, HubClient};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// How this agent uses the browser.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// `extension` or `managed` for the session it launches (default: extension when the
    /// extension is paired, else managed).
    pub mode: Option<String>,
    /// A managed Chromium runs headless (default true).
    pub headless: Option<bool>,
    /// The browser binary a managed session starts (default: the hub finds one).
    pub chrome_path: Option<String>,
    /// Extension sessions: `tab` (a tab of this agent's own under a tab lease, beside other
    /// agents) or `relay` (the whole browser under the relay binding; the default).
    pub scope: Option<String>,
    /// How long to wait in the binding queue when another agent holds the user's Chrome
    /// (0: answer `relay_busy` at once).
    pub wait: Duration,
    /// Give the binding back after this long without a tool call.
    pub idle_release: Duration,
    /// Where the hub's files are and whether to start a hub.
    pub client: ClientOptions,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            mode: None,
            headless: None,
            chrome_path: None,
            scope: None,
            wait: Duration::ZERO,
            idle_release: Duration::from_secs(60),
            client: ClientOptions::default(),
        }
    }
}

/// Where human-readable progress lines go while a tool waits (MCP progress notifications).
pub type Progress = Option<tokio::sync::mpsc::UnboundedSender<String>>;

/// How often a waiting agent says it is still waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// One agent's hub client, session and binding.
pub struct Agent {
    opts: AgentOptions,
    client_name: Mutex<String>,
    client: OnceCell<HubClient>,
    session: tokio::sync::Mutex<Option<String>>,
    last_use: Mutex<Instant>,
    idle_watch: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Agent {
    /// An agent that has not reached the hub yet.
    pub fn new(opts: AgentOptions) -> Self {
        Agent {
            opts,
            client_name: Mutex::new("mcp".to_owned()),
            client: OnceCell::new(),
            session: tokio::sync::Mutex::new(None),
            last_use: Mutex::new(Instant::now()),
            idle_watch: Mutex::new(None),
        }
    }

    /// Records the MCP client's name (from `initialize`) for the instance id.
    pub fn set_client_name(&self, name: &str) {
        let clean: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).take(40).collect();
        if !clean.is_empty() {
            *self.client_name.lock().expect("name lock") = clean;
        }
    }

    /// The hub client, connecting (and starting a hub if allowed) on first use.
    pub async fn client(&self) -> Result<&HubClient, ClientError> {
        self.client
            .get_or_try_init(|| async {
                let mut opts = self.opts.client.clone();
                let name = self.client_name.lock().expect("name lock").clone();
                opts.instance_id = Some(format!("{name}-{}", opendevbrowser_api::clock::random_hex(4)));
                HubClient::connect(opts, &|line| tracing::info!("{line}")).await
            })
            .await
    }

    /// Runs contract command `info` with the tool's arguments: in this agent's session
    /// (launched if needed) for session commands, with the binding taken if the hub asks
    /// for it, and with one fresh session if the old one is gone.
    pub async fn run(
        self: &Arc<Self>,
        info: &CommandInfo,
        args: Map<String, Value>,
        progress: &Progress,
    ) -> Result<Value, ClientError> {
        *self.last_use.lock().expect("use lock") = Instant::now();
        let client = self.client().await?;
        let mut session = self.session.lock().await;
        let data = if info.scope == Scope::Session {
            let id = self.ensure_session(client, &mut session, progress).await?;
            match self.call_in(client, info.name, args.clone(), Some(&id), progress).await {
                Err(e) if e.code() == "unknown_session" => {
                    *session = None;
                    let id = self.ensure_session(client, &mut session, progress).await?;
                    self.call_in(client, info.name, args, Some(&id), progress).await
                }
                other => other,
            }?
        } else {
            self.call_in(client, info.name, args, None, progress).await?
        };
        match info.name {
            Launch::NAME | Connect::NAME => *session = data["sessionId"].as_str().map(str::to_owned),
            Disconnect::NAME => *session = None,
            _ => {}
        }
        Ok(data)
    }

    async fn ensure_session(
        self: &Arc<Self>,
        client: &HubClient,
        session: &mut Option<String>,
        progress: &Progress,
    ) -> Result<String, ClientError> {
        if let Some(id) = session.as_ref() {
            return Ok(id.clone());
        }
        let mut launch = Map::new();
        if let Some(mode) = &self.opts.mode {
            launch.insert("mode".into(), json!(mode));
        }
        if let Some(headless) = self.opts.headless {
            launch.insert("headless".into(), json!(headless));
        }
        if let Some(path) = &self.opts.chrome_path {
            launch.insert("chromePath".into(), json!(path));
        }
        if let Some(scope) = &self.opts.scope {
            launch.insert("scope".into(), json!(scope));
        }
        let data = self.call_in(client, Launch::NAME, launch, None, progress).await?;
        let id = data["sessionId"].as_str().unwrap_or_default().to_owned();
        *session = Some(id.clone());
        Ok(id)
    }

    /// Calls `name`, binding first (and retrying once) when the hub says the command needs
    /// the binding.
    async fn call_in(
        self: &Arc<Self>,
        client: &HubClient,
        name: &str,
        mut params: Map<String, Value>,
        session: Option<&str>,
        progress: &Progress,
    ) -> Result<Value, ClientError> {
        if let Some(id) = session {
            params.insert(envelope::SESSION_ID.into(), json!(id));
        }
        let params = Value::Object(params);
        match client.call(name, params.clone()).await {
            // A command that needs the binding says `binding_required`, or `relay_busy` when
            // another agent holds it: take it (queueing, if this agent may wait) and retry.
            Err(e)
                if matches!(e.code(), "binding_required" | "binding_stale")
                    || (e.code() == "relay_busy" && !self.opts.wait.is_zero()) =>
            {
                self.acquire(client, progress).await?;
                client.call(name, params).await
            }
            other => other,
        }
    }

    /// Takes the binding (waiting in the queue up to `wait` when another agent holds it),
    /// keeps it renewed, and starts the idle watch.
    async fn acquire(self: &Arc<Self>, client: &HubClient, progress: &Progress) -> Result<(), ClientError> {
        match client.bind().await {
            Err(e) if e.code() == "relay_busy" && !self.opts.wait.is_zero() => {
                self.wait_in_queue(client, &e, progress).await?;
            }
            other => {
                other?;
            }
        }
        client.keep_alive().await?;
        self.watch_idleness();
        Ok(())
    }

    /// Waits in the binding queue (up to `wait`), saying every few seconds who holds the
    /// browser and how long this agent has waited.
    async fn wait_in_queue(
        &self,
        client: &HubClient,
        busy: &ClientError,
        progress: &Progress,
    ) -> Result<(), ClientError> {
        let say = |line: String| {
            if let Some(tx) = progress {
                let _ = tx.send(line);
            }
        };
        let wait = self.opts.wait;
        say(format!("{busy}; waiting up to {} s for it", wait.as_secs()));
        let started = Instant::now();
        let waiting = client.wait_bind(wait);
        tokio::pin!(waiting);
        let mut tick = tokio::time::interval_at(started + PROGRESS_EVERY, PROGRESS_EVERY);
        loop {
            tokio::select! {
                granted = &mut waiting => return granted.map(|_| ()),
                _ = tick.tick() => say(format!("still waiting for the browser ({} s)", started.elapsed().as_secs())),
            }
        }
    }

    fn watch_idleness(self: &Arc<Self>) {
        let mut slot = self.idle_watch.lock().expect("idle lock");
        if slot.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let agent = Arc::downgrade(self);
        let idle = self.opts.idle_release;
        *slot = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep((idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))).await;
                let Some(agent) = agent.upgrade() else { return };
                let Some(client) = agent.client.get() else { continue };
                if client.binding().is_none() {
                    return;
                }
                if agent.last_use.lock().expect("use lock").elapsed() >= idle {
                    tracing::info!("no tool call for {idle:?}: the binding goes back to other agents");
                    let _ = client.release().await;
                    return;
                }
            }
        }));
    }

    /// The process is ending: the session is closed and the binding released.
    pub async fn shutdown(&self) {
        let Some(client) = self.client.get() else { return };
        if let Some(id) = self.session.lock().await.take() {
            let _ = client.call(Disconnect::NAME, json!({"sessionId": id})).await;
        }
        let _ = client.release().await;
    }
}
