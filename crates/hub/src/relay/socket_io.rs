//! Plumbing shared by the relay's two WebSocket endpoints: a writer task fed by a queue,
//! and a reader that yields text (binary frames are decoded as UTF-8, as upstream does).

use super::link::Outgoing;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

/// What the reader got.
pub enum Incoming {
    /// A text (or UTF-8 binary) frame.
    Text(String),
    /// A frame over the size limit; the socket must be closed with 1009.
    TooBig(String),
    /// A binary frame that is not UTF-8.
    NotUtf8,
    /// The peer closed or the connection broke.
    Closed,
}

/// Splits `socket` and starts a writer task draining the returned queue.
pub fn split(socket: WebSocket) -> (mpsc::UnboundedSender<Outgoing>, SplitStream<WebSocket>) {
    let (sink, stream) = socket.split();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(write_loop(sink, rx));
    (tx, stream)
}

async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(frame) = rx.recv().await {
        let result = match frame {
            Outgoing::Text(text) => sink.send(Message::Text(text.into())).await,
            Outgoing::Close(code, reason) => {
                let frame = CloseFrame { code, reason: reason.into() };
                let _ = sink.send(Message::Close(Some(frame))).await;
                break;
            }
        };
        if result.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Reads until the next text frame, skipping pings and pongs.
pub async fn next(stream: &mut SplitStream<WebSocket>) -> Incoming {
    loop {
        match stream.next().await {
            None | Some(Ok(Message::Close(_))) => return Incoming::Closed,
            Some(Ok(Message::Text(text))) => return Incoming::Text(text.to_string()),
            Some(Ok(Message::Binary(bytes))) => {
                return match String::from_utf8(bytes.to_vec()) {
                    Ok(text) => Incoming::Text(text),
                    Err(_) => Incoming::NotUtf8,
                }
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                let message = e.to_string();
                let lower = message.to_ascii_lowercase();
                if lower.contains("too long") || lower.contains("too big") || lower.contains("space limit") {
                    return Incoming::TooBig(message);
                }
                return Incoming::Closed;
            }
        }
    }
}
