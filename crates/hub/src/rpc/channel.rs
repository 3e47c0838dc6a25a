//! `GET /channel` (WebSocket, same bearer token and checks as every RPC route): one
//! persistent, pipelined command channel per plugin, instead of an HTTP request per
//! command. A request is a text frame `{id, name, params?}` (`id` any JSON value the caller
//! picks); its answer is a text frame with the same body `POST /command` answers plus `id`
//! and the HTTP `status` it would have had: `{id, status, ok, data | error}`. Requests run
//! concurrently (at most [`MAX_IN_FLIGHT`] per socket) and each answer is sent as soon as
//! it is ready, so answers may come back in another order than the requests.

use super::auth::Authorized;
use super::wire::{answer_body, command_of, json_problem, kind_of};
use crate::commands::dispatch::dispatch;
use crate::error::HubError;
use crate::state::HubCore;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use pairing::wire::MAX_CLIENT_FRAME_BYTES;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};

/// Commands one channel may have running at once; more wait for a free slot.
pub(crate) const MAX_IN_FLIGHT: usize = 256;

/// The `/channel` upgrade.
pub(crate) async fn channel(
    _: Authorized,
    State(hub): State<Arc<HubCore>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    match ws {
        Ok(ws) => ws.max_message_size(MAX_CLIENT_FRAME_BYTES).on_upgrade(move |socket| serve(hub, socket)),
        Err(rejection) => rejection.into_response(),
    }
}

/// Reads requests, runs each in its own task, and writes answers as they finish.
async fn serve(hub: Arc<HubCore>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (answers, mut outbox) = mpsc::channel::<Message>(MAX_IN_FLIGHT);
    tokio::spawn(async move {
        while let Some(message) = outbox.recv().await {
            if sink.send(message).await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    });
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    while let Some(Ok(message)) = stream.next().await {
        let frame = match message {
            Message::Text(text) => text,
            Message::Close(_) => break,
            Message::Binary(_) => {
                let refused = Err(HubError::InvalidRequest("send each request as a text frame".into()));
                let _ = answers.send(frame_of(Value::Null, refused)).await;
                continue;
            }
            _ => continue,
        };
        let Ok(slot) = slots.clone().acquire_owned().await else { break };
        let (hub, answers) = (hub.clone(), answers.clone());
        tokio::spawn(async move {
            let answer = run(&hub, frame.as_str()).await;
            let _ = answers.send(answer).await;
            drop(slot);
        });
    }
}

/// One request frame to its answer frame.
async fn run(hub: &Arc<HubCore>, frame: &str) -> Message {
    const SHAPE: &str = "send each request as one JSON object {\"id\":…,\"name\":…,\"params\":{…}}";
    let request = match serde_json::from_str::<Value>(frame) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            let bad = format!("the frame is a JSON {}, not an object: {SHAPE}", kind_of(&other));
            return frame_of(Value::Null, Err(HubError::InvalidRequest(bad)));
        }
        Err(e) => {
            let bad = format!("{}: {SHAPE}", json_problem(&e, frame.len()));
            return frame_of(Value::Null, Err(HubError::InvalidRequest(bad)));
        }
    };
    let mut request = request;
    let id = request.remove("id").unwrap_or(Value::Null);
    let result = match command_of(request) {
        Ok((name, params)) => dispatch(hub, &name, &params).await,
        Err(e) => Err(e),
    };
    frame_of(id, result)
}

fn frame_of(id: Value, result: Result<crate::commands::dispatch::Answer, HubError>) -> Message {
    let (status, mut body) = answer_body(result);
    body["id"] = id;
    body["status"] = json!(status);
    Message::Text(body.to_string().into())
}
