//! The hub client a plugin links: one per process. It finds (or starts) the hub, knows
//! who it is, holds and renews its binding, and routes every browser command through
//! the hub's RPC.
//!
//! It survives the hub restarting: on `unauthorized` (another hub's token) or a hub that
//! no longer answers, it reads `daemon.json` again (starting a hub if allowed) and sends
//! the command there; a browser session it launched is opened again in the new hub (the
//! same browser and scope, its tab claimed again when still open, [`crate::resume`]),
//! or the command answers one `session_lost` error saying what starts over.

use crate::answer::unwrap_answer;
use crate::autostart::{ensure_hub, AutostartOptions, HubSource};
use crate::channel::{Channel, ChannelError};
use crate::discovery::HubEndpoint;
use crate::error::ClientError;
use crate::identity::{load_or_create_client_id, new_instance_id};
use crate::resume::{lost_message, Remembered, Tracked};
use opendevbrowser_api::commands::{Bind, GetHubStatus, Grant, Release, Renew, WaitBind};
use opendevbrowser_api::status::HubStatus;
use opendevbrowser_api::Command;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How to build a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Where `daemon.json` and `client.json` live.
    pub cache_dir: PathBuf,
    /// This process's instance id (default: a fresh one).
    pub instance_id: Option<String>,
    /// Start a hub if none runs.
    pub autostart: bool,
    /// How to start it.
    pub autostart_options: AutostartOptions,
    /// Send commands over one persistent, pipelined WebSocket (`/channel`) instead of an
    /// HTTP request each (default true; a one-shot CLI call is cheaper over HTTP). Falls
    /// back to HTTP when the hub has no channel.
    pub channel: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            cache_dir: opendevbrowser_api::files::cache_dir(),
            instance_id: None,
            autostart: true,
            autostart_options: AutostartOptions::default(),
            channel: true,
        }
    }
}

/// The binding this client holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The fencing token.
    pub binding_id: String,
    /// When to renew.
    pub renew_after: Duration,
}

/// A connected client.
pub struct HubClient {
    http: reqwest::Client,
    opts: ClientOptions,
    endpoint: Arc<Mutex<HubEndpoint>>,
    source: HubSource,
    client_id: String,
    instance_id: String,
    binding: Arc<Mutex<Option<Binding>>>,
    background: Mutex<Vec<JoinHandle<()>>>,
    /// The `/session` socket that ties this process's bindings to its life (one per client).
    session_socket: Mutex<Option<JoinHandle<()>>>,
    /// The command channel, once opened (`None` inside: not opened yet or gone).
    channel: tokio::sync::Mutex<Option<Arc<Channel>>>,
    /// The browser sessions this client launched (to open them again after a hub restart).
    sessions: Mutex<Remembered>,
    /// One session is opened again at a time.
    resuming: tokio::sync::Mutex<()>,
    /// Whether this client held the relay binding when the hub went away.
    held_binding: std::sync::atomic::AtomicBool,
    /// No hub is started any more (the process is ending: its last calls must not start one).
    no_autostart: std::sync::atomic::AtomicBool,
}

impl Drop for HubClient {
    fn drop(&mut self) {
        for task in self.background.lock().expect("tasks lock").drain(..) {
            task.abort();
        }
        if let Some(socket) = self.session_socket.lock().expect("socket lock").take() {
            socket.abort();
        }
    }
}

impl HubClient {
    /// Finds the hub (starting one if allowed) and loads this user's clientId.
    pub async fn connect(opts: ClientOptions, progress: &(dyn Fn(&str) + Sync)) -> Result<HubClient, ClientError> {
        let (endpoint, source) = if opts.autostart {
            ensure_hub(&opts.cache_dir, &opts.autostart_options, progress).await?
        } else {
            let found = crate::discovery::discover(&opts.cache_dir).await.map_err(|e| match e {
                crate::discovery::NotFound::Foreign { port, detail } => ClientError::ForeignHub { port, detail },
                other => ClientError::HubNotRunning(other.to_string()),
            });
            (found?, HubSource::Discovered)
        };
        opendevbrowser_api::files::create_private_dir(&opts.cache_dir)
            .map_err(|e| ClientError::Local(e.to_string()))?;
        let client_id = load_or_create_client_id(&opts.cache_dir)?;
        Ok(HubClient {
            http: reqwest::Client::new(),
            endpoint: Arc::new(Mutex::new(endpoint)),
            source,
            client_id,
            instance_id: opts.instance_id.clone().unwrap_or_else(new_instance_id),
            opts,
            binding: Arc::new(Mutex::new(None)),
            background: Mutex::new(Vec::new()),
            session_socket: Mutex::new(None),
            channel: tokio::sync::Mutex::new(None),
            sessions: Mutex::new(Remembered::default()),
            resuming: tokio::sync::Mutex::new(()),
            held_binding: std::sync::atomic::AtomicBool::new(false),
            no_autostart: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The hub this client talks to.
    pub fn endpoint(&self) -> HubEndpoint {
        self.endpoint.lock().expect("endpoint lock").clone()
    }

    /// Whether this client started the hub.
    pub fn source(&self) -> HubSource {
        self.source
    }

    /// `(clientId, instanceId)`.
    pub fn identity(&self) -> (&str, &str) {
        (&self.client_id, &self.instance_id)
    }

    /// The binding currently held, if any.
    pub fn binding(&self) -> Option<Binding> {
        self.binding.lock().expect("binding lock").clone()
    }

    /// Adopts a binding obtained earlier (e.g. saved by a CLI `bind`).
    pub fn adopt_binding(&self, binding_id: String) {
        *self.binding.lock().expect("binding lock") =
            Some(Binding { binding_id, renew_after: Duration::from_secs(20) });
    }

    /// Calls one command with this client's identity (and binding) added. A session this
    /// client launched is followed across hub restarts: the command runs in the session's
    /// current id, opened again in a new hub when needed (or answers `session_lost` once).
    pub async fn call(&self, name: &str, params: Value) -> Result<Value, ClientError> {
        let mut params = match params {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let known_as = params.get("sessionId").and_then(Value::as_str).map(str::to_owned);
        let tracked = known_as.as_deref().and_then(|id| self.sessions.lock().expect("sessions lock").get(id));
        let (Some(known_as), Some(tracked)) = (known_as, tracked) else {
            let answer = self.call_here(name, Value::Object(params.clone())).await;
            if let (Ok(data), "session.launch") = (&answer, name) {
                let hub = self.endpoint().hub_instance_id;
                self.sessions.lock().expect("sessions lock").launched(&hub, &params, data);
            }
            return answer;
        };
        if tracked.hub != self.endpoint().hub_instance_id {
            self.resume(&known_as).await?;
        }
        let current = self.sessions.lock().expect("sessions lock").get(&known_as).map(|t| t.current);
        params.insert("sessionId".into(), json!(current.unwrap_or_else(|| tracked.current.clone())));
        let answer = match self.call_here(name, Value::Object(params.clone())).await {
            // The hub may have been replaced under this call: look again, and open the
            // session in the new hub.
            Err(e) if e.code() == "unknown_session" => {
                let _ = self.refresh_endpoint().await;
                let hub_now = self.endpoint().hub_instance_id;
                let tracked = self.sessions.lock().expect("sessions lock").get(&known_as);
                match tracked {
                    Some(t) if t.hub != hub_now => {
                        self.resume(&known_as).await?;
                        let current = self.sessions.lock().expect("sessions lock").get(&known_as).map(|t| t.current);
                        params.insert("sessionId".into(), json!(current));
                        self.call_here(name, Value::Object(params.clone())).await
                    }
                    _ => Err(e),
                }
            }
            other => other,
        };
        if let Ok(data) = &answer {
            self.sessions.lock().expect("sessions lock").answered(&known_as, name, &params, data);
        }
        answer
    }

    /// Opens the session the caller knows as `known_as` again in the current hub: the same
    /// browser and scope, and its tab claimed again when still open. `Ok` when it goes on
    /// as before (the command may be sent); `session_lost` when it goes on changed.
    async fn resume(&self, known_as: &str) -> Result<(), ClientError> {
        let _one_at_a_time = self.resuming.lock().await;
        let hub = self.endpoint().hub_instance_id;
        let Some(old) = self.sessions.lock().expect("sessions lock").get(known_as) else { return Ok(()) };
        if old.hub == hub {
            return Ok(()); // another call resumed it meanwhile
        }
        let relay_wide = old.mode == "extension" && old.scope.as_deref() != Some("tab");
        if relay_wide && self.binding().is_none() && self.held_binding.load(std::sync::atomic::Ordering::Relaxed) {
            // The binding was the old hub's: take it again in this one.
            let grant = self.call_here(Bind::NAME, json!({})).await?;
            let grant: Grant = serde_json::from_value(grant).map_err(|e| ClientError::Protocol(e.to_string()))?;
            self.store_grant(grant)?;
            if self.session_socket.lock().expect("socket lock").is_some() {
                let _ = self.keep_alive().await;
            }
        }
        let launched = self.call_here("session.launch", Value::Object(Remembered::relaunch_params(&old))).await?;
        let current = launched["sessionId"].as_str().unwrap_or_default().to_owned();
        let fresh_tab = launched["activeTargetId"].as_str().map(str::to_owned);
        let moved = |active: Option<String>| {
            self.sessions.lock().expect("sessions lock").moved(known_as, &current, &hub, active);
            tracing::info!(session = known_as, now = %current, "the hub restarted: the session was opened again");
        };
        let lost = |t: &Tracked, why: String| {
            let t = Tracked { current: current.clone(), ..t.clone() };
            let message = lost_message(&t, &why);
            ClientError::Hub {
                code: "session_lost".into(),
                status: 410,
                details: json!({"code": "session_lost", "message": message, "sessionId": current}),
                message,
            }
        };
        if old.mode != "extension" {
            moved(fresh_tab);
            return Err(lost(&old, "its browser closed with the old hub, so it goes on in a new one".into()));
        }
        let Some(tab) = old.active.clone() else {
            moved(fresh_tab);
            return Err(lost(&old, "which tab it worked in was not known, so it goes on in another".into()));
        };
        let claim = json!({"sessionId": current, "targetId": tab});
        match self.call_here("targets.use", claim).await {
            Ok(_) => {
                if let (Some(fresh), Some("tab")) = (&fresh_tab, old.scope.as_deref()) {
                    if *fresh != tab {
                        // The relaunch opened a tab of its own; the session's tab is the old one.
                        let close = json!({"sessionId": current, "targetId": fresh});
                        let _ = self.call_here("targets.close", close).await;
                    }
                }
                moved(Some(tab));
                Ok(())
            }
            Err(e) => {
                moved(fresh_tab.clone());
                let now = fresh_tab.map_or_else(String::new, |t| format!(" (now tab {t})"));
                Err(lost(
                    &old,
                    format!("its tab {tab} could not be claimed again ({}), so it goes on in another{now}", e.code()),
                ))
            }
        }
    }

    /// Calls one command in the current hub, with this client's identity and binding. When
    /// the hub refuses the token (it restarted: every hub has its own) or does not answer,
    /// `daemon.json` is read again (a hub started if allowed) and the command sent there,
    /// once.
    async fn call_here(&self, name: &str, params: Value) -> Result<Value, ClientError> {
        let mut params = match params {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        params.insert("clientId".into(), json!(self.client_id));
        params.insert("instanceId".into(), json!(self.instance_id));
        let own_binding = !params.contains_key("bindingId");
        let with_binding = |mut params: Map<String, Value>| {
            if let (Some(b), true) = (self.binding(), own_binding) {
                params.insert("bindingId".into(), json!(b.binding_id));
            }
            Value::Object(params)
        };
        let first = self.send(name, &with_binding(params.clone())).await;
        match first {
            Err(e) if matches!(e.code(), "unauthorized" | "hub_unreachable") => {
                if !self.refresh_endpoint().await.unwrap_or(false) && e.code() == "unauthorized" {
                    return Err(e);
                }
                if own_binding {
                    params.remove("bindingId");
                }
                self.send(name, &with_binding(params)).await
            }
            other => other,
        }
    }

    /// Sends one command as it is, over the channel when there is one, else HTTP.
    async fn send(&self, name: &str, params: &Value) -> Result<Value, ClientError> {
        if self.opts.channel {
            if let Some(answer) = self.call_on_channel(name, params).await {
                return answer;
            }
        }
        raw_call(&self.http, &self.endpoint(), name, params.clone()).await
    }

    /// Starts no hub from now on, even if the options allow it (a process that is ending
    /// releases what it holds; a hub gone meanwhile has nothing of it left to release).
    pub fn stop_autostart(&self) {
        self.no_autostart.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Reads `daemon.json` again (starting a hub if allowed and none runs). True when it
    /// names another hub than before: the channel and the session socket move to it, and
    /// the binding (the old hub's) is dropped.
    pub async fn refresh_endpoint(&self) -> Result<bool, ClientError> {
        let autostart = self.opts.autostart && !self.no_autostart.load(std::sync::atomic::Ordering::Relaxed);
        let found = if autostart {
            ensure_hub(&self.opts.cache_dir, &self.opts.autostart_options, &|_| {}).await?.0
        } else {
            crate::discovery::discover(&self.opts.cache_dir).await.map_err(|e| match e {
                crate::discovery::NotFound::Foreign { port, detail } => ClientError::ForeignHub { port, detail },
                other => ClientError::HubNotRunning(other.to_string()),
            })?
        };
        let changed = {
            let mut endpoint = self.endpoint.lock().expect("endpoint lock");
            let changed = *endpoint != found;
            *endpoint = found.clone();
            changed
        };
        if !changed {
            return Ok(false);
        }
        tracing::info!(hub = %found.hub_instance_id, port = found.port, "the hub changed: following it");
        *self.channel.lock().await = None;
        let held = self.binding.lock().expect("binding lock").take().is_some();
        if held {
            self.held_binding.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let had_socket = self.session_socket.lock().expect("socket lock").take();
        if let Some(old) = had_socket {
            old.abort();
            if let Ok(socket) = self.open_session().await {
                *self.session_socket.lock().expect("socket lock") = Some(socket);
            }
        }
        Ok(true)
    }

    /// Runs a command on the channel (opening it if needed); `None` when nothing was sent
    /// that way (no channel could be opened, or it had ended), so the caller uses HTTP.
    async fn call_on_channel(&self, name: &str, params: &Value) -> Option<Result<Value, ClientError>> {
        let channel = {
            let mut slot = self.channel.lock().await;
            if !slot.as_ref().is_some_and(|c| c.is_open()) {
                *slot = Channel::open(&self.endpoint()).await.ok().map(Arc::new);
            }
            slot.clone()?
        };
        match channel.call(name, params.clone()).await {
            Ok(data) => Some(Ok(data)),
            Err(ChannelError::Answer(e)) => Some(Err(e)),
            Err(ChannelError::Lost) => Some(Err(ClientError::OutcomeUnknown { command: name.to_owned() })),
            Err(ChannelError::Closed) => None,
        }
    }

    fn store_grant(&self, grant: Grant) -> Result<Binding, ClientError> {
        let renew_after = Duration::from_millis(grant.renew_after_ms.max(1_000));
        let binding = Binding { binding_id: grant.binding_id, renew_after };
        *self.binding.lock().expect("binding lock") = Some(binding.clone());
        self.held_binding.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(binding)
    }

    /// Binds now, or fails with `relay_busy` (owner, expiry and queue place in `details`).
    pub async fn bind(&self) -> Result<Binding, ClientError> {
        let grant = self.relay_bind(Bind {}).await?;
        self.store_grant(grant)
    }

    /// Waits in the hub's FIFO queue for up to `timeout`.
    pub async fn wait_bind(&self, timeout: Duration) -> Result<Binding, ClientError> {
        let grant = self.relay_wait(WaitBind { timeout_ms: Some(timeout.as_millis() as u64) }).await?;
        self.store_grant(grant)
    }

    /// Renews the held binding.
    pub async fn renew(&self) -> Result<Binding, ClientError> {
        let binding_id = self.binding().map(|b| b.binding_id).unwrap_or_default();
        let grant = self.relay_renew(Renew { binding_id }).await?;
        self.store_grant(grant)
    }

    /// Releases the held binding (no-op without one).
    pub async fn release(&self) -> Result<(), ClientError> {
        if self.binding().is_none() {
            return Ok(());
        }
        let binding_id = self.binding().map(|b| b.binding_id).unwrap_or_default();
        let result = self.relay_release(Release { binding_id }).await;
        *self.binding.lock().expect("binding lock") = None;
        self.held_binding.store(false, std::sync::atomic::Ordering::Relaxed);
        result.map(|_| ())
    }

    /// Keeps the binding alive: renews at the hub's advised interval (with its jitter),
    /// and ties the binding to this process with a session socket, so the hub releases
    /// it at once if this process dies. For long-lived plugins; one-shot CLIs skip it.
    /// Call it after each `bind`: the socket is opened once, a renewer runs per binding.
    pub async fn keep_alive(&self) -> Result<(), ClientError> {
        let open = self.session_socket.lock().expect("socket lock").as_ref().is_some_and(|s| !s.is_finished());
        if !open {
            let socket = self.open_session().await?;
            *self.session_socket.lock().expect("socket lock") = Some(socket);
        }
        let (http, endpoint, binding) = (self.http.clone(), self.endpoint.clone(), self.binding.clone());
        let (client_id, instance_id) = (self.client_id.clone(), self.instance_id.clone());
        let renewer = tokio::spawn(async move {
            loop {
                let Some(current) = binding.lock().expect("binding lock").clone() else { return };
                tokio::time::sleep(current.renew_after).await;
                // The binding may have changed meanwhile (dropped, or taken again in a new hub).
                let Some(current) = binding.lock().expect("binding lock").clone() else { return };
                let endpoint = endpoint.lock().expect("endpoint lock").clone();
                let params = json!({"clientId": client_id, "instanceId": instance_id, "bindingId": current.binding_id});
                match raw_call(&http, &endpoint, "relay.renew", params).await {
                    Ok(data) => {
                        let renew_after =
                            Duration::from_millis(data["renewAfterMs"].as_u64().unwrap_or(20_000).max(1_000));
                        if let Some(b) = binding.lock().expect("binding lock").as_mut() {
                            b.renew_after = renew_after;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("binding renewal failed: {e}; the binding is dropped");
                        let mut held = binding.lock().expect("binding lock");
                        if held.as_ref().is_some_and(|b| b.binding_id == current.binding_id) {
                            *held = None;
                        }
                        return;
                    }
                }
            }
        });
        self.background.lock().expect("tasks lock").push(renewer);
        Ok(())
    }

    async fn open_session(&self) -> Result<JoinHandle<()>, ClientError> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let endpoint = self.endpoint();
        let url = format!(
            "ws://127.0.0.1:{}/session?clientId={}&instanceId={}",
            endpoint.port, self.client_id, self.instance_id
        );
        let mut request = url.into_client_request().map_err(|e| ClientError::Protocol(e.to_string()))?;
        let auth = format!("Bearer {}", endpoint.token).parse().map_err(|_| ClientError::Protocol("token".into()))?;
        request.headers_mut().insert("authorization", auth);
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| ClientError::Unreachable { port: endpoint.port, detail: e.to_string() })?;
        Ok(tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(Ok(_)) = socket.next().await {}
        }))
    }

    /// Hub status (`GET /status` body).
    pub async fn status(&self) -> Result<HubStatus, ClientError> {
        self.hub_status(GetHubStatus {}).await
    }

    /// One raw CDP command through the extension. Binds first if this client holds no
    /// binding (and retries once if the binding went stale).
    pub async fn cdp_send(&self, method: &str, params: Value, session_id: Option<&str>) -> Result<Value, ClientError> {
        if self.binding().is_none() {
            self.bind().await?;
        }
        let request = json!({"method": method, "params": params, "sessionId": session_id});
        match self.call("cdp.send", request.clone()).await {
            Err(e) if matches!(e.code(), "binding_stale" | "binding_required") => {
                *self.binding.lock().expect("binding lock") = None;
                self.bind().await?;
                self.call("cdp.send", request).await
            }
            other => other,
        }
    }

    /// Evaluates JavaScript in the page (or the given session) and returns its value.
    pub async fn evaluate(&self, expression: &str, session_id: Option<&str>) -> Result<Value, ClientError> {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        let result = self.cdp_send("Runtime.evaluate", params, session_id).await?;
        if let Some(exception) = result.get("exceptionDetails") {
            let text =
                exception["exception"]["description"].as_str().or(exception["text"].as_str()).unwrap_or("exception");
            return Err(ClientError::Hub {
                code: "js_exception".into(),
                message: format!("the page threw: {text}"),
                status: 200,
                details: json!({"code": "js_exception", "message": text}),
            });
        }
        Ok(result["result"]["value"].clone())
    }
}

/// POSTs `{name, params}` to the hub and unwraps `{ok, data | error}`.
pub async fn raw_call(
    http: &reqwest::Client,
    endpoint: &HubEndpoint,
    name: &str,
    params: Value,
) -> Result<Value, ClientError> {
    let response = http
        .post(format!("http://127.0.0.1:{}/command", endpoint.port))
        .bearer_auth(&endpoint.token)
        .json(&json!({"name": name, "params": params}))
        .send()
        .await
        .map_err(|e| {
            if e.is_connect() {
                ClientError::Unreachable { port: endpoint.port, detail: e.to_string() }
            } else {
                ClientError::OutcomeUnknown { command: name.to_owned() }
            }
        })?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.map_err(|_| ClientError::OutcomeUnknown { command: name.to_owned() })?;
    unwrap_answer(endpoint.port, name, status, &body)
}
