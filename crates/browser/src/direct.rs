//! A CDP client straight to a browser's DevTools endpoint (managed Chromium, an existing
//! `--remote-debugging-port`, or a remote endpoint: a fleet, a Grid session), with request
//! ids, answer routing, events, and a clean error to every waiting caller when the browser
//! goes away. A remote endpoint ([`crate::remote::Endpoint`]) also gets keep-alive pings
//! (a socket nothing was heard on for three intervals is dead), errors that name it
//! (`outcome_unknown` for commands in flight when it dropped, `remote_closed` after), and is
//! dialled again on the next command when that reaches the same browser.

use crate::remote::Endpoint;
use crate::transport::{CallFuture, CdpTransport};
use futures_util::{SinkExt, StreamExt};
use opendevbrowser_api::calls::{answer, CallTable};
use opendevbrowser_api::CdpError;
use pairing::wire::CdpEvent;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// Who waits for an answer: the method (for error messages) and where the answer goes.
type Waiter = (String, oneshot::Sender<Result<Value, CdpError>>);
type Pending = Arc<Mutex<CallTable<Waiter>>>;

/// How often a remote socket is pinged; nothing heard for three of these and it is dead.
pub const KEEPALIVE: Duration = Duration::from_secs(15);

/// One WebSocket connection and the commands in flight on it.
struct Link {
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The remote side of a [`DirectCdp`]: where it dials and how often it pings.
struct Remote {
    endpoint: Endpoint,
    keepalive: Duration,
    /// One redial at a time.
    redialling: tokio::sync::Mutex<()>,
}

/// A connected DevTools client.
pub struct DirectCdp {
    link: Mutex<Arc<Link>>,
    events: broadcast::Sender<CdpEvent>,
    remote: Option<Remote>,
}

/// Reads `webSocketDebuggerUrl` from `http://<host>:<port>/json/version`.
pub async fn browser_ws_url(host: &str, port: u16) -> Result<String, String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
    let version: Value = client
        .get(format!("http://{host}:{port}/json/version"))
        .send()
        .await
        .map_err(|e| format!("no DevTools endpoint at {host}:{port} ({e})"))?
        .json()
        .await
        .map_err(|e| format!("{host}:{port}/json/version is not JSON ({e})"))?;
    version["webSocketDebuggerUrl"].as_str().map(str::to_owned).ok_or_else(|| "no webSocketDebuggerUrl".into())
}

impl DirectCdp {
    /// Connects to a local browser's WebSocket endpoint.
    pub async fn connect(ws_url: &str) -> Result<DirectCdp, String> {
        let (ws, _) =
            tokio_tungstenite::connect_async(ws_url).await.map_err(|e| format!("cannot connect to {ws_url}: {e}"))?;
        let events = broadcast::channel(4096).0;
        let link = spawn_link(ws, events.clone(), None);
        Ok(DirectCdp { link: Mutex::new(Arc::new(link)), events, remote: None })
    }

    /// Connects to a remote endpoint (TLS, credentials), pinging it every `keepalive`.
    pub async fn connect_remote(endpoint: Endpoint, keepalive: Duration) -> Result<DirectCdp, String> {
        let events = broadcast::channel(4096).0;
        let remote = Remote { endpoint, keepalive, redialling: tokio::sync::Mutex::new(()) };
        let link = remote.dial(&events).await?;
        Ok(DirectCdp { link: Mutex::new(Arc::new(link)), events, remote: Some(remote) })
    }

    fn current(&self) -> Arc<Link> {
        self.link.lock().expect("link lock").clone()
    }

    /// Sends one command and waits for its answer.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        session_id: Option<&str>,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        let mut link = self.current();
        if !link.pending.lock().expect("pending lock").is_open() {
            link = self.redial(method, &link).await?;
        }
        let (reply, answer) = oneshot::channel();
        let begun = link.pending.lock().expect("pending lock").begin((method.to_owned(), reply));
        let id = begun.ok_or_else(|| self.lost(method))?;
        let mut frame = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session_id {
            frame["sessionId"] = json!(s);
        }
        let _ = link.out.send(Message::text(frame.to_string()));
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(self.lost(method)),
            Err(_) => {
                link.pending.lock().expect("pending lock").finish(id);
                Err(CdpError::Timeout { method: method.to_owned(), ms: timeout.as_millis() as u64 })
            }
        }
    }

    /// The error for a command in flight when the connection ended.
    fn lost(&self, method: &str) -> CdpError {
        in_flight_error(method, self.remote.as_ref().map(|r| r.endpoint.shown()))
    }

    /// `dead` ended: a remote endpoint that reaches the same browser is dialled again (once
    /// per drop, whoever comes first); anything else is closed for good.
    async fn redial(&self, method: &str, dead: &Arc<Link>) -> Result<Arc<Link>, CdpError> {
        let Some(remote) = &self.remote else { return Err(CdpError::Disconnected { method: method.to_owned() }) };
        let shown = remote.endpoint.shown();
        let closed = |why: String| CdpError::RemoteClosed {
            method: method.to_owned(),
            why: format!("the connection to {shown} is closed ({why})"),
        };
        if !remote.endpoint.reconnects_to_same_browser() {
            return Err(closed("this endpoint starts a new browser on every connection".into()));
        }
        let _one = remote.redialling.lock().await;
        let current = self.current();
        if !Arc::ptr_eq(&current, dead) {
            return Ok(current); // someone else dialled already
        }
        let link = Arc::new(remote.dial(&self.events).await.map_err(|e| closed(format!("reconnecting failed: {e}")))?);
        tracing::info!(endpoint = %remote.endpoint.shown(), "reconnected to the remote browser");
        *self.link.lock().expect("link lock") = link.clone();
        Ok(link)
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CdpEvent> {
        self.events.subscribe()
    }

    /// False once the browser connection has ended (and, for a remote one, cannot be made
    /// again).
    pub fn alive(&self) -> bool {
        let open = self.current().pending.lock().expect("pending lock").is_open();
        open || self.remote.as_ref().is_some_and(|r| r.endpoint.reconnects_to_same_browser())
    }
}

impl Remote {
    async fn dial(&self, events: &broadcast::Sender<CdpEvent>) -> Result<Link, String> {
        let shown = self.endpoint.shown();
        let request = self.endpoint.request()?;
        let connector = self.endpoint.connector()?;
        let dialled = tokio_tungstenite::connect_async_tls_with_config(request, None, true, connector);
        let (ws, _) = tokio::time::timeout(Duration::from_secs(20), dialled)
            .await
            .map_err(|_| format!("cannot connect to {shown}: no answer in 20 s"))?
            .map_err(|e| format!("cannot connect to {shown}: {}", crate::remote::redact(&e.to_string())))?;
        Ok(spawn_link(ws, events.clone(), Some((shown, self.keepalive))))
    }
}

/// The error for `method`, in flight when a connection ended (`endpoint`: a remote one).
fn in_flight_error(method: &str, endpoint: Option<String>) -> CdpError {
    match endpoint {
        Some(endpoint) => CdpError::OutcomeUnknown { method: method.to_owned(), endpoint },
        None => CdpError::Disconnected { method: method.to_owned() },
    }
}

/// Runs one WebSocket: writes what is sent, routes what arrives, pings a remote one every
/// `keepalive` (and gives up on it after three silent intervals), and when it ends fails
/// every command in flight.
fn spawn_link<S>(
    ws: tokio_tungstenite::WebSocketStream<S>,
    events: broadcast::Sender<CdpEvent>,
    remote: Option<(String, Duration)>,
) -> Link
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
    let pending: Pending = Arc::new(Mutex::new(CallTable::default()));
    let reader_pending = pending.clone();
    let task = tokio::spawn(async move {
        let heard = Mutex::new(Instant::now());
        let keepalive = remote.as_ref().map(|(_, every)| *every);
        let writer = async {
            let mut ping = keepalive.map(tokio::time::interval);
            loop {
                let tick = async {
                    match ping.as_mut() {
                        Some(p) => p.tick().await,
                        None => std::future::pending().await,
                    }
                };
                let message = tokio::select! {
                    m = out_rx.recv() => match m { Some(m) => m, None => break },
                    now = tick => {
                        let every = keepalive.unwrap_or(KEEPALIVE);
                        if silent_too_long(*heard.lock().expect("heard lock"), now, every) {
                            tracing::warn!("the remote browser's socket was silent for {:?}: closing it", every * 3);
                            break;
                        }
                        Message::Ping(Vec::new().into())
                    }
                };
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        };
        let reader = async {
            while let Some(Ok(message)) = stream.next().await {
                *heard.lock().expect("heard lock") = Instant::now();
                if let Message::Text(text) = message {
                    route(&text, &reader_pending, &events);
                }
            }
        };
        tokio::select! { _ = writer => {}, _ = reader => {} }
        // The browser is gone: fail everything in flight, refuse everything after.
        let waiters = reader_pending.lock().expect("pending lock").close();
        let endpoint = remote.map(|(shown, _)| shown);
        for (method, reply) in waiters {
            let _ = reply.send(Err(in_flight_error(&method, endpoint.clone())));
        }
    });
    Link { out, pending, task }
}

/// Nothing heard since `heard` for three keep-alive intervals.
fn silent_too_long(heard: Instant, now: Instant, every: Duration) -> bool {
    now.saturating_duration_since(heard) > every * 3
}

impl CdpTransport for DirectCdp {
    fn call<'a>(
        &'a self,
        method: &'a str,
        params: Value,
        session: Option<&'a str>,
        timeout: Duration,
    ) -> CallFuture<'a> {
        Box::pin(DirectCdp::call(self, method, params, session, timeout))
    }

    fn events(&self) -> broadcast::Receiver<CdpEvent> {
        self.subscribe()
    }

    fn alive(&self) -> bool {
        DirectCdp::alive(self)
    }
}

fn route(text: &str, pending: &Pending, events: &broadcast::Sender<CdpEvent>) {
    let Ok(v) = serde_json::from_str::<Value>(text) else { return };
    let session_id = v["sessionId"].as_str().map(str::to_owned);
    if let Some(id) = v["id"].as_i64() {
        let waiter = pending.lock().expect("pending lock").finish(id);
        if let Some((method, reply)) = waiter {
            let _ = reply.send(answer(&method, v.get("error"), v.get("result").cloned()));
        }
    } else if let Some(method) = v["method"].as_str() {
        let _ = events.send(CdpEvent { method: method.to_owned(), params: v.get("params").cloned(), session_id });
    }
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
