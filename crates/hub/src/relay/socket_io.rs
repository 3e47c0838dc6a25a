//! Plumbing shared by the relay's two WebSocket endpoints: a writer task fed by a queue
//! bounded in bytes (a peer that stops reading is disconnected, not buffered for), and a
//! reader that yields text (binary frames are decoded as UTF-8, as upstream does).

use super::frames::Outgoing;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

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

/// Close code for a peer that stopped reading (1013 "try again later"; not 1008, which the
/// extension reads as a refused token).
pub const TOO_SLOW_CLOSE_CODE: u16 = 1013;

/// The frames queued for one socket's writer, bounded in bytes: a peer that stops reading
/// is disconnected once `limit` bytes wait for it, instead of growing the hub's memory.
#[derive(Debug, Clone)]
pub struct OutQueue {
    tx: mpsc::UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    overflow: Arc<watch::Sender<bool>>,
}

impl OutQueue {
    /// Queues a frame; false when the socket is gone or the frame was refused because the
    /// peer is not reading (the socket is then being closed).
    pub fn send(&self, frame: Outgoing) -> bool {
        if *self.overflow.borrow() {
            return false;
        }
        if let Outgoing::Text(text) = &frame {
            let queued = self.queued.fetch_add(text.len(), Ordering::Relaxed) + text.len();
            if queued > self.limit {
                tracing::warn!(queued, limit = self.limit, "peer is not reading its socket; disconnecting it");
                self.overflow.send_replace(true);
                return false;
            }
        }
        self.tx.send(frame).is_ok()
    }

    /// Whether the socket is gone (or being closed for not reading).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed() || *self.overflow.borrow()
    }

    /// Resolves when the peer has been found not reading.
    pub async fn overflowed(&self) {
        let mut rx = self.overflow.subscribe();
        let _ = rx.wait_for(|o| *o).await;
    }
}

/// Splits `socket` and starts a writer task draining the returned queue (at most
/// `limit` bytes waiting).
pub fn split(socket: WebSocket, limit: usize) -> (OutQueue, SplitStream<WebSocket>) {
    let (sink, stream) = socket.split();
    let (tx, rx) = mpsc::unbounded_channel();
    let queue =
        OutQueue { tx, queued: Arc::new(AtomicUsize::new(0)), limit, overflow: Arc::new(watch::channel(false).0) };
    tokio::spawn(write_loop(sink, rx, queue.clone()));
    (queue, stream)
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    queue: OutQueue,
) {
    loop {
        let frame = tokio::select! {
            frame = rx.recv() => frame,
            _ = queue.overflowed() => {
                let reason = format!("Too slow: more than {} bytes queued unread", queue.limit);
                let close = Message::Close(Some(CloseFrame { code: TOO_SLOW_CLOSE_CODE, reason: reason.into() }));
                let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close)).await;
                return;
            }
        };
        let Some(frame) = frame else { break };
        let result = match frame {
            Outgoing::Text(text) => {
                let len = text.len();
                let sent = sink.send(Message::Text(text.into())).await;
                queue.queued.fetch_sub(len, Ordering::Relaxed);
                sent
            }
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

/// Reads until the next text frame, skipping pings and pongs; `Closed` as soon as the
/// peer is found not reading what `queue` holds for it.
pub async fn next(stream: &mut SplitStream<WebSocket>, queue: &OutQueue) -> Incoming {
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = queue.overflowed() => return Incoming::Closed,
        };
        match message {
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
