//! The persistent command channel to the hub (`GET /channel`): one WebSocket per client
//! carrying the same `{name, params}` bodies as `POST /command`, with an `id` each, so many
//! commands are in flight at once on one connection (pipelining) and none pays for an HTTP
//! request of its own. Answers are matched to calls by `id`.

use crate::answer::unwrap_answer;
use crate::discovery::HubEndpoint;
use crate::error::ClientError;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A call waiting for its answer: `(HTTP status, body)`, or nothing if the channel ended.
type Reply = oneshot::Sender<(u16, Value)>;

/// An open channel. Dropping it closes the socket.
pub struct Channel {
    requests: mpsc::UnboundedSender<(Value, Reply)>,
    port: u16,
    task: JoinHandle<()>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a call on the channel failed.
#[derive(Debug)]
pub enum ChannelError {
    /// The channel had already ended: nothing was sent (safe to send another way).
    Closed,
    /// Sent, but the channel ended before the answer came: the outcome is unknown.
    Lost,
    /// The hub answered with an error (or not in our format).
    Answer(ClientError),
}

impl Channel {
    /// Opens `/channel` on the hub at `endpoint`.
    pub async fn open(endpoint: &HubEndpoint) -> Result<Channel, ClientError> {
        let url = format!("ws://127.0.0.1:{}/channel", endpoint.port);
        let mut request = url.into_client_request().map_err(|e| ClientError::Protocol(e.to_string()))?;
        let auth = format!("Bearer {}", endpoint.token).parse().map_err(|_| ClientError::Protocol("token".into()))?;
        request.headers_mut().insert("authorization", auth);
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| ClientError::Unreachable { port: endpoint.port, detail: e.to_string() })?;
        let (requests, inbox) = mpsc::unbounded_channel();
        let task = tokio::spawn(pump(socket, inbox));
        Ok(Channel { requests, port: endpoint.port, task })
    }

    /// Whether the socket is still up.
    pub fn is_open(&self) -> bool {
        !self.task.is_finished() && !self.requests.is_closed()
    }

    /// Runs one command; its `data`, or the hub's error.
    pub async fn call(&self, name: &str, params: Value) -> Result<Value, ChannelError> {
        let (reply, answer) = oneshot::channel();
        let request = json!({"name": name, "params": params});
        self.requests.send((request, reply)).map_err(|_| ChannelError::Closed)?;
        let (status, body) = answer.await.map_err(|_| ChannelError::Lost)?;
        unwrap_answer(self.port, name, status, &body).map_err(ChannelError::Answer)
    }
}

/// Moves requests out and answers in until either side ends; calls still waiting then
/// learn that their outcome is unknown (their reply senders are dropped).
async fn pump(
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    mut inbox: mpsc::UnboundedReceiver<(Value, Reply)>,
) {
    let (mut sink, mut stream) = socket.split();
    let mut waiting: HashMap<u64, Reply> = HashMap::new();
    let mut next_id = 0u64;
    loop {
        tokio::select! {
            request = inbox.recv() => {
                let Some((mut request, reply)) = request else { break };
                next_id += 1;
                request["id"] = json!(next_id);
                waiting.insert(next_id, reply);
                if sink.send(Message::Text(request.to_string().into())).await.is_err() {
                    break;
                }
            }
            frame = stream.next() => {
                let Some(Ok(frame)) = frame else { break };
                let Message::Text(text) = frame else { continue };
                let Ok(body) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                let status = body["status"].as_u64().unwrap_or(200) as u16;
                if let Some(reply) = body["id"].as_u64().and_then(|id| waiting.remove(&id)) {
                    let _ = reply.send((status, body));
                }
            }
        }
    }
    let _ = sink.close().await;
}
