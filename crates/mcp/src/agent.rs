//! This MCP server process as one hub client ("one agent = one plugin instance"): its
//! instance id (the MCP client's name plus a per-process id, under the user's clientId),
//! its browser session (launched on the first browser tool), and its binding (taken when
//! a command needs it, renewed while in use, released after `idle_release` without a tool
//! call and when the process ends).
//!
//! Which browser: an agent of the user's Chrome (`--mode extension`, `--scope tab`, or no
//! mode while the extension is, or was, connected to the hub, or this agent worked there
//! before) never falls back to a managed browser: it waits for the extension to pair
//! (saying so in progress notifications, up to its wait) and then answers
//! `extension_not_connected` with the fix. The launch result names the browser, and
//! [`Agent::browser_status`] reports the agent's own state (never "ok" while its calls
//! fail). A hub restart is the client library's to survive (it opens the session again).

use opendevbrowser_api::command::CommandInfo;
use opendevbrowser_api::commands::{Connect, Disconnect, Launch};
use opendevbrowser_api::{envelope, Command, Scope};
use opendevbrowser_client::{ClientError, ClientOptions, HubClient};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Managed sessions: the named profile (logins kept between sessions).
    pub profile: Option<String>,
    /// Managed sessions: a storage-state file loaded at launch.
    pub storage_state: Option<String>,
    /// Managed sessions: the browser's settings (from the config file).
    pub browser: Option<opendevbrowser_api::commands::BrowserSettings>,
    /// Run the session on a remote browser instead: `session.connect` params (`wsEndpoint`
    /// or `seleniumGrid`, with credentials from the config).
    pub connect: Option<Map<String, Value>>,
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
            profile: None,
            storage_state: None,
            browser: None,
            connect: None,
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

/// How long an agent of the user's Chrome waits for the extension to pair, at least (its
/// `wait` when longer): a restarting hub or browser is paired again within seconds.
pub const PAIRING_WAIT: Duration = Duration::from_secs(10);

/// Which browser a session is launched in, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Browser {
    /// The user's Chrome, through the extension (never anything else), because `why`.
    Users(&'static str),
    /// A managed Chromium; `note` says why when the agent did not ask for it.
    Managed(Option<String>),
}

/// How this agent's calls have gone lately.
#[derive(Debug, Default)]
struct Outcome {
    /// The last call that succeeded.
    last_ok: Option<Instant>,
    /// Calls failing in a row: how many, since when, and the last error.
    failing: Option<(u32, Instant, String)>,
}
/// One agent's hub client, session and binding.
pub struct Agent {
    opts: AgentOptions,
    client_name: Mutex<String>,
    client: OnceCell<HubClient>,
    session: tokio::sync::Mutex<Option<String>>,
    last_use: Mutex<Instant>,
    idle_watch: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The browser the current session runs in (`extension`, `managed`), once launched.
    browser: Mutex<Option<String>>,
    /// This agent has worked in the user's Chrome: it never falls back to another browser.
    in_users_chrome: AtomicBool,
    outcome: Mutex<Outcome>,
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
            browser: Mutex::new(None),
            in_users_chrome: AtomicBool::new(false),
            outcome: Mutex::new(Outcome::default()),
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
    /// for it, and with one fresh session if the old one is gone. The result of the call
    /// that launched the session says which browser it runs in (`browser`).
    pub async fn run(
        self: &Arc<Self>,
        info: &CommandInfo,
        args: Map<String, Value>,
        progress: &Progress,
    ) -> Result<Value, ClientError> {
        let result = self.run_checked(info, args, progress).await;
        self.record(&result);
        result
    }

    async fn run_checked(
        self: &Arc<Self>,
        info: &CommandInfo,
        mut args: Map<String, Value>,
        progress: &Progress,
    ) -> Result<Value, ClientError> {
        *self.last_use.lock().expect("use lock") = Instant::now();
        let client = self.client().await?;
        let mut session = self.session.lock().await;
        let mut launched_in = None;
        let mut data = if info.scope == Scope::Session {
            let (id, launched) = self.ensure_session(client, &mut session, progress).await?;
            launched_in = launched;
            match self.call_in(client, info.name, args.clone(), Some(&id), progress).await {
                Err(e) if e.code() == "unknown_session" => {
                    *session = None;
                    let (id, launched) = self.ensure_session(client, &mut session, progress).await?;
                    launched_in = launched;
                    self.call_in(client, info.name, args, Some(&id), progress).await
                }
                other => other,
            }?
        } else {
            if info.name == Launch::NAME && !args.contains_key("mode") {
                // An explicit launch without a mode follows the same rule as the first tool.
                let browser = self.browser_to_use(client, args.get("scope").and_then(Value::as_str)).await;
                args.insert("mode".into(), json!(self.prepare(client, &browser, progress).await?));
                launched_in = Some(browser);
            }
            self.call_in(client, info.name, args, None, progress).await?
        };
        match info.name {
            Launch::NAME | Connect::NAME => {
                *session = data["sessionId"].as_str().map(str::to_owned);
                self.launched(&data);
            }
            Disconnect::NAME => {
                *session = None;
                *self.browser.lock().expect("browser lock") = None;
            }
            _ => {}
        }
        if let (Some(browser), Value::Object(map)) = (launched_in, &mut data) {
            let mode = self.browser.lock().expect("browser lock").clone().unwrap_or_default();
            map.insert("browser".into(), json!(describe_browser(&mode, &browser, self.opts.scope.as_deref())));
        }
        Ok(data)
    }

    /// The session's id, launching one when there is none: the browser it was launched in
    /// when this call launched it.
    async fn ensure_session(
        self: &Arc<Self>,
        client: &HubClient,
        session: &mut Option<String>,
        progress: &Progress,
    ) -> Result<(String, Option<Browser>), ClientError> {
        if let Some(id) = session.as_ref() {
            return Ok((id.clone(), None));
        }
        if let Some(connect) = &self.opts.connect {
            let data = self.call_in(client, Connect::NAME, connect.clone(), None, progress).await?;
            let id = data["sessionId"].as_str().unwrap_or_default().to_owned();
            *session = Some(id.clone());
            self.launched(&data);
            return Ok((id, None));
        }
        let browser = self.browser_to_use(client, self.opts.scope.as_deref()).await;
        let mode = self.prepare(client, &browser, progress).await?;
        let mut launch = Map::new();
        launch.insert("mode".into(), json!(mode));
        if let Some(headless) = self.opts.headless {
            launch.insert("headless".into(), json!(headless));
        }
        if let Some(path) = &self.opts.chrome_path {
            launch.insert("chromePath".into(), json!(path));
        }
        if let Some(scope) = &self.opts.scope {
            launch.insert("scope".into(), json!(scope));
        }
        if let Some(profile) = &self.opts.profile {
            launch.insert("profile".into(), json!(profile));
        }
        if let Some(file) = &self.opts.storage_state {
            launch.insert("storageState".into(), json!(file));
        }
        if let Some(settings) = &self.opts.browser {
            launch.insert("browser".into(), json!(settings));
        }
        let data = self.call_in(client, Launch::NAME, launch, None, progress).await?;
        let id = data["sessionId"].as_str().unwrap_or_default().to_owned();
        *session = Some(id.clone());
        self.launched(&data);
        Ok((id, Some(browser)))
    }

    /// A session was launched (`data` is the hub's answer): remember its browser.
    fn launched(&self, data: &Value) {
        let mode = data["mode"].as_str().map(str::to_owned);
        if mode.as_deref() == Some("extension") {
            self.in_users_chrome.store(true, Ordering::Relaxed);
        }
        *self.browser.lock().expect("browser lock") = mode;
    }

    /// Which browser a new session runs in: the one asked for; with none asked for, the
    /// user's Chrome when the extension is connected to the hub, was connected to it, or
    /// this agent worked there before; else a managed Chromium (and the result says why).
    async fn browser_to_use(&self, client: &HubClient, scope: Option<&str>) -> Browser {
        match self.opts.mode.as_deref() {
            Some("managed") => return Browser::Managed(None),
            Some(_) => return Browser::Users("it was started with --mode extension"),
            None if scope == Some("tab") => return Browser::Users("it was started with --scope tab"),
            None => {}
        }
        if self.in_users_chrome.load(Ordering::Relaxed) {
            return Browser::Users("its session ran there before");
        }
        match client.status().await {
            Ok(s) if s.relay.extension_handshake_complete => Browser::Users("the extension is connected"),
            Ok(s) if s.relay.extension_last_seen_at.is_some() => {
                Browser::Users("the extension was connected to this hub before")
            }
            _ => Browser::Managed(Some(
                "the opendevbrowser extension has never connected to this hub, so this session runs in a \
                 managed Chromium the hub started (not the user's Chrome); for the user's Chrome, load the \
                 extension and start the agent with --mode extension"
                    .into(),
            )),
        }
    }

    /// Gets ready to launch in `browser`: for the user's Chrome, waits for the extension to
    /// be paired. The launch's `mode`.
    async fn prepare(
        &self,
        client: &HubClient,
        browser: &Browser,
        progress: &Progress,
    ) -> Result<&'static str, ClientError> {
        match browser {
            Browser::Managed(_) => Ok("managed"),
            Browser::Users(why) => {
                self.wait_for_extension(client, why, progress).await?;
                Ok("extension")
            }
        }
    }

    /// Waits (up to the agent's wait, at least [`PAIRING_WAIT`]) until the extension is
    /// paired with the hub, saying so every few seconds; `extension_not_connected` with the
    /// fix when it is not.
    async fn wait_for_extension(&self, client: &HubClient, why: &str, progress: &Progress) -> Result<(), ClientError> {
        let wait = self.opts.wait.max(PAIRING_WAIT);
        let started = Instant::now();
        let mut said = None::<Instant>;
        loop {
            let status = client.status().await;
            if status.as_ref().is_ok_and(|s| s.relay.extension_handshake_complete) {
                return Ok(());
            }
            if started.elapsed() >= wait {
                let seen = match &status {
                    Ok(s) if s.relay.extension_connected => "it is connecting but has not completed its handshake",
                    Ok(s) if s.relay.extension_left_at.is_some() => "it left the hub and has not come back",
                    _ => "it is not connected",
                };
                let message = format!(
                    "the opendevbrowser extension did not pair with the hub within {} s ({seen}). This agent works \
                     in the user's Chrome ({why}) and does not switch to another browser by itself. Fix: open \
                     Chrome with the opendevbrowser extension enabled and auto-connect on (its popup shows the \
                     status; `opendevbrowser doctor` names what is wrong), then call the tool again; or start \
                     this agent with --mode managed to work in a separate managed Chromium",
                    wait.as_secs()
                );
                return Err(ClientError::Hub {
                    code: "extension_not_connected".into(),
                    details: json!({"code": "extension_not_connected", "message": message}),
                    message,
                    status: 503,
                });
            }
            if said.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
                said = Some(Instant::now());
                if let Some(tx) = progress {
                    let _ = tx.send(format!(
                        "waiting for the opendevbrowser extension in the user's Chrome to pair with the hub \
                         ({} s of {} s)",
                        started.elapsed().as_secs(),
                        wait.as_secs()
                    ));
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn record(&self, result: &Result<Value, ClientError>) {
        let mut outcome = self.outcome.lock().expect("outcome lock");
        match result {
            Ok(_) => {
                outcome.last_ok = Some(Instant::now());
                outcome.failing = None;
            }
            Err(e) => {
                let said = format!("{}: {}", e.code(), e.to_string().trim_end_matches(&format!(" ({})", e.code())));
                let (count, since) = outcome.failing.as_ref().map_or((0, Instant::now()), |(n, at, _)| (*n, *at));
                outcome.failing = Some((count + 1, since, said));
            }
        }
    }

    /// This agent's own state, in lines: its hub, its session and the browser it runs in,
    /// its binding, and how its calls have gone.
    pub async fn own_state(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let client = self.client.get();
        let name =
            client.map_or_else(|| self.client_name.lock().expect("name lock").clone(), |c| c.identity().1.to_owned());
        match client {
            Some(c) => {
                let e = c.endpoint();
                lines.push(format!("agent {name}: hub {} (pid {}, port {})", short(&e.hub_instance_id), e.pid, e.port));
            }
            None => lines.push(format!("agent {name}: has not reached the hub yet")),
        }
        let session = self.session.lock().await.clone();
        let mode = self.browser.lock().expect("browser lock").clone();
        lines.push(match (session, mode) {
            (Some(id), Some(mode)) => {
                format!(
                    "session {id}: {}",
                    describe_browser(&mode, &Browser::Managed(None), self.opts.scope.as_deref())
                )
            }
            (Some(id), None) => format!("session {id}"),
            (None, _) => {
                let next = match (self.opts.mode.as_deref(), self.opts.scope.as_deref()) {
                    (Some("managed"), _) => "a managed Chromium",
                    (Some(_), _) | (None, Some("tab")) => "the user's Chrome (it waits for the extension)",
                    _ if self.in_users_chrome.load(Ordering::Relaxed) => {
                        "the user's Chrome (it waits for the extension)"
                    }
                    _ => "the user's Chrome if the extension is or was connected to the hub, else a managed Chromium",
                };
                format!("no session: the next browser tool starts one in {next}")
            }
        });
        if let Some(b) = client.and_then(|c| c.binding()) {
            lines.push(format!("relay binding {} held", b.binding_id));
        }
        let outcome = self.outcome.lock().expect("outcome lock");
        match (&outcome.failing, outcome.last_ok) {
            (Some((n, since, last)), _) => lines.push(format!(
                "its calls are failing: {n} in a row over the last {} s; the last one: {last}",
                since.elapsed().as_secs()
            )),
            (None, Some(at)) => lines.push(format!("its last call worked {} s ago", at.elapsed().as_secs())),
            (None, None) => lines.push("no call yet".into()),
        }
        lines
    }

    /// What `browser_status` answers: a verdict about this agent (never "ok" while its
    /// calls fail), its own state, then the hub's and the extension's (`doctor`).
    pub async fn browser_status(&self) -> String {
        use opendevbrowser_client::doctor::{diagnose, gather};
        let relay_port = self.client.get().map_or(8787, |c| c.endpoint().relay_port);
        let diagnosis = diagnose(&gather(&self.opts.client.cache_dir, relay_port).await);
        let failing = self.outcome.lock().expect("outcome lock").failing.as_ref().map(|(_, _, last)| last.clone());
        let verdict = match (&failing, diagnosis.ok) {
            (Some(last), _) => format!("problem: this agent's calls are failing ({last})"),
            (None, true) => "ok: this agent can drive its browser".to_owned(),
            (None, false) => "problem: the browser cannot be driven now (see below)".to_owned(),
        };
        let mut text = verdict;
        for line in self.own_state().await {
            text.push_str(&format!("\n{line}"));
        }
        text.push_str(&format!("\nhub and extension: {}", diagnosis.to_text()));
        text
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
        // A hub that went away holds nothing of this agent's: never start one to say goodbye.
        client.stop_autostart();
        if let Some(id) = self.session.lock().await.take() {
            let _ = client.call(Disconnect::NAME, json!({"sessionId": id})).await;
        }
        let _ = client.release().await;
    }
}

/// Which browser a session runs in, in words (for the launch result and `browser_status`).
fn describe_browser(mode: &str, how: &Browser, scope: Option<&str>) -> String {
    match (mode, how) {
        ("extension", _) if scope == Some("tab") => {
            "the user's Chrome, through the extension, in a tab group of its own".to_owned()
        }
        ("extension", _) => {
            "the user's Chrome, through the extension (the whole browser, under the relay binding)".to_owned()
        }
        (_, Browser::Managed(Some(note))) => format!("a managed Chromium: {note}"),
        _ => "a managed Chromium the hub started (not the user's Chrome)".to_owned(),
    }
}

/// The first part of an id, for people.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(mode: Option<&str>, scope: Option<&str>) -> Agent {
        Agent::new(AgentOptions {
            mode: mode.map(str::to_owned),
            scope: scope.map(str::to_owned),
            ..AgentOptions::default()
        })
    }

    #[test]
    fn the_launch_result_names_the_browser() {
        let users = Browser::Users("x");
        assert!(describe_browser("extension", &users, Some("tab")).contains("user's Chrome"));
        let note = Browser::Managed(Some("the extension has never connected".into()));
        let said = describe_browser("managed", &note, None);
        assert!(said.starts_with("a managed Chromium") && said.contains("never connected"), "{said}");
    }

    #[tokio::test]
    async fn status_is_never_ok_while_the_agents_calls_fail() {
        let a = agent(None, Some("tab"));
        a.record(&Err(ClientError::Hub {
            code: "unauthorized".into(),
            message: "this token is not this hub's".into(),
            status: 401,
            details: json!({}),
        }));
        a.record(&Err(ClientError::OutcomeUnknown { command: "nav.goto".into() }));
        let state = a.own_state().await.join("\n");
        assert!(state.contains("failing: 2 in a row") && state.contains("outcome_unknown"), "{state}");
        assert!(state.contains("no session: the next browser tool starts one in the user's Chrome"), "{state}");
        a.record(&Ok(json!({})));
        assert!(a.own_state().await.join("\n").contains("last call worked"));
    }

    #[tokio::test]
    async fn an_agent_of_the_users_chrome_is_told_so_before_its_first_session() {
        for (mode, scope) in [(Some("extension"), None), (None, Some("tab"))] {
            let state = agent(mode, scope).own_state().await.join("\n");
            assert!(state.contains("in the user's Chrome (it waits for the extension)"), "{state}");
        }
        let state = agent(Some("managed"), None).own_state().await.join("\n");
        assert!(state.contains("a managed Chromium"), "{state}");
    }
}
