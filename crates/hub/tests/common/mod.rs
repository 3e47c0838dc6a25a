//! Shared helpers for the hub's integration tests: a hub on ephemeral ports with private
//! temp dirs, raw HTTP and WebSocket clients, and RPC calls.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use hub::{HubOptions, RunningHub, Started};
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Our extension's origin (its id is fixed by the manifest key).
pub const EXT_ORIGIN: &str = "chrome-extension://mpkgehknfgpdeghekbkgbgcfcihhfejp";
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestHub {
    pub hub: RunningHub,
    pub dirs: tempfile::TempDir,
}

impl TestHub {
    pub async fn start() -> TestHub {
        Self::start_with(|_| {}).await
    }

    /// Starts a hub; `prepare` may write files into the config dir first.
    pub async fn start_with(prepare: impl FnOnce(&std::path::Path)) -> TestHub {
        let dirs = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dirs.path().join("config")).unwrap();
        prepare(&dirs.path().join("config"));
        let hub = start_in(&dirs, 0).await;
        TestHub { hub, dirs }
    }

    /// A hub with test options changed by `tune`.
    pub async fn start_tuned(tune: impl FnOnce(&mut HubOptions)) -> TestHub {
        let dirs = tempfile::tempdir().unwrap();
        let hub = start_in_tuned(&dirs, 0, tune).await;
        TestHub { hub, dirs }
    }

    /// A hub with `lease` timing.
    pub async fn start_with_lease(lease: hub::LeaseConfig) -> TestHub {
        let dirs = tempfile::tempdir().unwrap();
        let hub = start_in_with(&dirs, 0, lease).await;
        TestHub { hub, dirs }
    }

    /// `relay.bind` as `instance` of [`CLIENT`]; returns the whole reply.
    pub async fn bind_as(&self, instance: &str) -> (u16, Value) {
        self.rpc("relay.bind", serde_json::json!({"clientId": CLIENT, "instanceId": instance})).await
    }

    /// `cdp.send` as instance "test", binding first.
    pub async fn cdp(&self, params: Value) -> (u16, Value) {
        let (_, bound) = self.bind_as("test").await;
        let mut params = params;
        params["clientId"] = CLIENT.into();
        params["instanceId"] = "test".into();
        params["bindingId"] = bound["data"]["bindingId"].clone();
        self.rpc("cdp.send", params).await
    }

    pub fn relay_port(&self) -> u16 {
        self.hub.core().relay().port()
    }

    pub fn daemon_port(&self) -> u16 {
        self.hub.core().daemon_port()
    }

    pub fn token(&self) -> String {
        hub::daemon::settings::HubSettings::load_or_create(&self.dirs.path().join("config"))
            .unwrap()
            .relay_token
            .unwrap()
    }

    pub fn relay_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.relay_port())
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.relay_port())
    }

    pub async fn rpc(&self, name: &str, params: Value) -> (u16, Value) {
        let body = serde_json::json!({"name": name, "params": params});
        let r = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/command", self.daemon_port()))
            .bearer_auth(self.hub.core().token())
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub fn sim(&self) -> sim::SimExtension {
        sim::SimExtension::spawn(sim::SimOptions::new(self.relay_port()))
    }

    /// Polls the relay's `/status` until `ok` holds (5 s at most); returns it.
    pub async fn relay_status_until(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..1000 {
            let (_, _, status) = get(&self.relay_url("/status"), &[]).await;
            if ok(&status) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the relay's /status never showed {what}");
    }

    /// Waits until a command is in flight at the extension (a fault must hit it mid-command).
    pub async fn wait_for_pending_command(&self) {
        self.relay_status_until("a pending command", |s| s["pendingCommands"].as_u64() > Some(0)).await;
    }

    /// A simulated extension with the default answers, paired with this hub.
    pub async fn paired_sim(&self) -> sim::SimExtension {
        let answer = sim::default_responder();
        self.paired_sim_with(move |cmd| answer(cmd)).await
    }

    /// A simulated extension answering with `responder`, paired with this hub.
    pub async fn paired_sim_with(
        &self,
        responder: impl Fn(&pairing::wire::CdpCommand) -> sim::SimReply + Send + Sync + 'static,
    ) -> sim::SimExtension {
        let mut opts = sim::SimOptions::new(self.relay_port());
        opts.responder = std::sync::Arc::new(responder);
        let sim = sim::SimExtension::spawn(opts);
        sim.wait_connected(WAIT).await.unwrap();
        sim
    }
}

/// The clientId test callers use.
pub const CLIENT: &str = "test-client";

/// Starts a hub in `dirs` on `relay_port` (0 = any).
pub async fn start_in(dirs: &tempfile::TempDir, relay_port: u16) -> RunningHub {
    start_in_with(dirs, relay_port, hub::LeaseConfig::default()).await
}

/// Starts a hub in `dirs` on `relay_port` with `lease` timing.
pub async fn start_in_with(dirs: &tempfile::TempDir, relay_port: u16, lease: hub::LeaseConfig) -> RunningHub {
    start_in_tuned(dirs, relay_port, |o| o.lease = lease).await
}

/// Starts a hub in `dirs` on `relay_port` with test options changed by `tune`.
pub async fn start_in_tuned(
    dirs: &tempfile::TempDir,
    relay_port: u16,
    tune: impl FnOnce(&mut HubOptions),
) -> RunningHub {
    let mut opts = HubOptions {
        lease: hub::LeaseConfig::default(),
        relay_port,
        daemon_port: 0,
        discovery_port: None,
        cache_dir: dirs.path().join("cache"),
        config_dir: dirs.path().join("config"),
        data_dir: dirs.path().join("data"),
        handshake_timeout: Duration::from_secs(2),
        idle_detach: None,
        max_queued_bytes: hub::relay::DEFAULT_MAX_QUEUED_BYTES,
        tidy_after: None,
    };
    tune(&mut opts);
    match hub::start(opts).await.unwrap() {
        Started::Running(hub) => hub,
        Started::AlreadyRunning { .. } => panic!("a hub already runs on the test port"),
    }
}

/// GET with extra headers; returns status, headers and the JSON body (Null if none).
pub async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    request(reqwest::Method::GET, url, headers).await
}

pub async fn request(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket with an optional Origin; Err carries the HTTP status of a refusal.
pub async fn ws_connect(url: &str, origin: Option<&str>) -> Result<Ws, u16> {
    ws_connect_with(url, origin, None).await
}

/// [`ws_connect`], also sending `Authorization: Bearer <token>`.
pub async fn ws_connect_with(url: &str, origin: Option<&str>, token: Option<&str>) -> Result<Ws, u16> {
    let mut request = url.into_client_request().unwrap();
    if let Some(o) = origin {
        request.headers_mut().insert("origin", o.parse().unwrap());
    }
    if let Some(token) = token {
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("unexpected ws error: {e}"),
    }
}

pub async fn send_json(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string())).await.unwrap();
}

/// What the next frame was.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Json(Value),
    Closed(u16, String),
}

pub async fn next_frame(ws: &mut Ws) -> Frame {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next()).await.expect("a frame in time");
        match msg {
            Some(Ok(Message::Text(t))) => return Frame::Json(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(f))) => {
                return f.map_or(Frame::Closed(1005, String::new()), |f| {
                    Frame::Closed(u16::from(f.code), f.reason.to_string())
                })
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Frame::Closed(1006, String::new()),
        }
    }
}

pub async fn next_json(ws: &mut Ws) -> Value {
    match next_frame(ws).await {
        Frame::Json(v) => v,
        other => panic!("expected a JSON frame, got {other:?}"),
    }
}

/// Connects as an extension and completes the handshake; returns the socket and the ack.
pub async fn handshaken_extension(hub: &TestHub) -> (Ws, Value) {
    let mut ws = ws_connect(&hub.ws_url("/extension"), Some(EXT_ORIGIN)).await.unwrap();
    let token = hub.token();
    send_json(&mut ws, serde_json::json!({"type":"handshake","payload":{"tabId":5,"pairingToken":token}})).await;
    let ack = next_json(&mut ws).await;
    (ws, ack)
}
