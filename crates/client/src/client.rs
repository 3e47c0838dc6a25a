//! The hub client a plugin links: one per process. It finds (or starts) the hub, knows
//! who it is, holds and renews its binding, and routes every browser command through
//! the hub's RPC.

use crate::answer::unwrap_answer;
use crate::autostart::{ensure_hub, AutostartOptions, HubSource};
use crate::channel::{Channel, ChannelError};
use crate::discovery::HubEndpoint;
use crate::error::ClientError;
use crate::identity::{load_or_create_client_id, new_instance_id};
use opendevbrowser_api::commands::{Bind, GetHubStatus, Grant, Release, Renew, WaitBind};
use opendevbrowser_api::status::HubStatus;
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
    endpoint: Mutex<HubEndpoint>,
    source: HubSource,
    client_id: String,
    instance_id: String,
    binding: Arc<Mutex<Option<Binding>>>,
    background: Mutex<Vec<JoinHandle<()>>>,
    /// The `/session` socket that ties this process's bindings to its life (one per client).
    session_socket: Mutex<Option<JoinHandle<()>>>,
    /// The command channel, once opened (`None` inside: not opened yet or gone).
    channel: tokio::sync::Mutex<Option<Arc<Channel>>>,
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
            endpoint: Mutex::new(endpoint),
            source,
            client_id,
            instance_id: opts.instance_id.clone().unwrap_or_else(new_instance_id),
            opts,
            binding: Arc::new(Mutex::new(None)),
            background: Mutex::new(Vec::new()),
            session_socket: Mutex::new(None),
            channel: tokio::sync::Mutex::new(None),
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

    /// Calls one command with this client's identity (and binding) added.
    pub async fn call(&self, name: &str, params: Value) -> Result<Value, ClientError> {
        let mut params = match params {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        params.insert("clientId".into(), json!(self.client_id));
        params.insert("instanceId".into(), json!(self.instance_id));
        if let (Some(b), false) = (self.binding(), params.contains_key("bindingId")) {
            params.insert("bindingId".into(), json!(b.binding_id));
        }
        let params = Value::Object(params);
        if self.opts.channel {
            if let Some(answer) = self.call_on_channel(name, &params).await {
                return answer;
            }
        }
        match raw_call(&self.http, &self.endpoint(), name, params.clone()).await {
            // Nothing reached the hub: find (or start) the current one and try once more.
            Err(ClientError::Unreachable { .. }) if self.opts.autostart => {
                let (endpoint, _) = ensure_hub(&self.opts.cache_dir, &self.opts.autostart_options, &|_| {}).await?;
                *self.endpoint.lock().expect("endpoint lock") = endpoint.clone();
                raw_call(&self.http, &endpoint, name, params).await
            }
            other => other,
        }
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
        let (http, endpoint, binding) = (self.http.clone(), self.endpoint(), self.binding.clone());
        let (client_id, instance_id) = (self.client_id.clone(), self.instance_id.clone());
        let renewer = tokio::spawn(async move {
            loop {
                let Some(current) = binding.lock().expect("binding lock").clone() else { return };
                tokio::time::sleep(current.renew_after).await;
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
                        *binding.lock().expect("binding lock") = None;
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
