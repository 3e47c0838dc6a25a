//! A CDP client straight to a browser's DevTools endpoint (managed Chromium, or an
//! existing `--remote-debugging-port`), with request ids, answer routing, events, and a
//! clean error to every waiting caller when the browser goes away.

use crate::calls::{answer, CallTable};
use crate::transport::{CallFuture, CdpTransport};
use futures_util::{SinkExt, StreamExt};
use opendevbrowser_api::CdpError;
use pairing::wire::CdpEvent;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// Who waits for an answer: the method (for error messages) and where the answer goes.
type Waiter = (String, oneshot::Sender<Result<Value, CdpError>>);
type Pending = Arc<Mutex<CallTable<Waiter>>>;

/// A connected DevTools client.
pub struct DirectCdp {
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    events: broadcast::Sender<CdpEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DirectCdp {
    fn drop(&mut self) {
        self.task.abort();
    }
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
    /// Connects to a browser WebSocket endpoint.
    pub async fn connect(ws_url: &str) -> Result<DirectCdp, String> {
        let (ws, _) =
            tokio_tungstenite::connect_async(ws_url).await.map_err(|e| format!("cannot connect to {ws_url}: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let pending: Pending = Arc::new(Mutex::new(CallTable::default()));
        let events = broadcast::channel(4096).0;
        let (reader_pending, reader_events) = (pending.clone(), events.clone());
        let task = tokio::spawn(async move {
            let writer = async {
                while let Some(m) = out_rx.recv().await {
                    if sink.send(m).await.is_err() {
                        break;
                    }
                }
            };
            let reader = async {
                while let Some(Ok(message)) = stream.next().await {
                    if let Message::Text(text) = message {
                        route(&text, &reader_pending, &reader_events);
                    }
                }
            };
            tokio::select! { _ = writer => {}, _ = reader => {} }
            // The browser is gone: fail everything in flight, refuse everything after.
            let waiters = reader_pending.lock().expect("pending lock").close();
            for (method, reply) in waiters {
                let _ = reply.send(Err(CdpError::Disconnected { method }));
            }
        });
        Ok(DirectCdp { out, pending, events, task })
    }

    /// Sends one command and waits for its answer.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        session_id: Option<&str>,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        let (reply, answer) = oneshot::channel();
        let begun = self.pending.lock().expect("pending lock").begin((method.to_owned(), reply));
        let id = begun.ok_or_else(|| CdpError::Disconnected { method: method.to_owned() })?;
        let mut frame = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session_id {
            frame["sessionId"] = json!(s);
        }
        let _ = self.out.send(Message::text(frame.to_string()));
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(CdpError::Disconnected { method: method.to_owned() }),
            Err(_) => {
                self.pending.lock().expect("pending lock").finish(id);
                Err(CdpError::Timeout { method: method.to_owned(), ms: timeout.as_millis() as u64 })
            }
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CdpEvent> {
        self.events.subscribe()
    }

    /// False once the browser connection has ended.
    pub fn alive(&self) -> bool {
        self.pending.lock().expect("pending lock").is_open()
    }
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
