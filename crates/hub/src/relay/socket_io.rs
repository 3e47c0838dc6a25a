//! Plumbing shared by the relay's two WebSocket endpoints: a writer task fed by a queue
//! bounded in bytes (a peer that stops reading is disconnected, not buffered for), and a
//! reader that yields text (binary frames are decoded as UTF-8, as upstream does).
//!
//! Closing follows RFC 6455: when the peer sends a close frame, the reader says so at
//! once, the writer sends the close reply (queued by tungstenite) and ends, and with both
//! halves dropped the TCP socket is freed. The writer holds no sender of its own queue, so
//! it also ends as soon as the hub forgets the socket.

use super::frames::Outgoing;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What the reader got.
pub(super) enum Incoming {
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
pub(super) const TOO_SLOW_CLOSE_CODE: u16 = 1013;

/// The frames queued for one socket's writer, bounded in bytes: a peer that stops reading
/// is disconnected once `limit` bytes wait for it, instead of growing the hub's memory.
#[derive(Debug, Clone)]
pub(super) struct OutQueue {
    tx: mpsc::UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    ending: Arc<watch::Sender<Ending>>,
}

/// Why a socket's writer must stop before its queue runs dry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Nothing: keep writing.
    No,
    /// The peer is not reading: close it with 1013.
    Overflow,
    /// The peer sent a close frame (or the connection broke): send the reply and end.
    PeerClosed,
}

impl OutQueue {
    /// Queues a frame; false when the socket is gone or the frame was refused because the
    /// peer is not reading (the socket is then being closed).
    pub(super) fn send(&self, frame: Outgoing) -> bool {
        if *self.ending.borrow() != Ending::No {
            return false;
        }
        if let Outgoing::Text(text) = &frame {
            let queued = self.queued.fetch_add(text.len(), Ordering::Relaxed) + text.len();
            if queued > self.limit {
                tracing::warn!(queued, limit = self.limit, "peer is not reading its socket; disconnecting it");
                self.ending.send_replace(Ending::Overflow);
                return false;
            }
        }
        self.tx.send(frame).is_ok()
    }

    /// Whether the socket is gone (or being closed for not reading).
    pub(super) fn is_closed(&self) -> bool {
        self.tx.is_closed() || *self.ending.borrow() != Ending::No
    }

    /// Resolves when the peer has been found not reading.
    async fn overflowed(&self) {
        let mut rx = self.ending.subscribe();
        let _ = rx.wait_for(|e| *e == Ending::Overflow).await;
    }

    /// Tells the writer the peer is gone, so it answers the close and ends.
    fn peer_closed(&self) {
        self.ending.send_if_modified(|e| {
            let open = *e == Ending::No;
            if open {
                *e = Ending::PeerClosed;
            }
            open
        });
    }
}

/// What the writer task needs: the queue's receiving end and its accounting, but no
/// sender (holding one would keep the queue, and so the socket, open forever).
struct Writer {
    rx: mpsc::UnboundedReceiver<Outgoing>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    ending: watch::Receiver<Ending>,
}

/// Splits `socket` and starts a writer task draining the returned queue (at most
/// `limit` bytes waiting).
pub(super) fn split(socket: WebSocket, limit: usize) -> (OutQueue, SplitStream<WebSocket>) {
    let (sink, stream) = socket.split();
    let (tx, rx) = mpsc::unbounded_channel();
    let ending = Arc::new(watch::channel(Ending::No).0);
    let queued = Arc::new(AtomicUsize::new(0));
    let writer = Writer { rx, queued: queued.clone(), limit, ending: ending.subscribe() };
    tokio::spawn(write_loop(sink, writer));
    (OutQueue { tx, queued, limit, ending }, stream)
}

async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut w: Writer) {
    loop {
        let frame = tokio::select! {
            frame = w.rx.recv() => frame,
            ending = stop_signal(&mut w.ending) => {
                if ending == Ending::Overflow {
                    let reason = format!("Too slow: more than {} bytes queued unread", w.limit);
                    let close = Message::Close(Some(CloseFrame { code: TOO_SLOW_CLOSE_CODE, reason: reason.into() }));
                    let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(close)).await;
                }
                break;
            }
        };
        let Some(frame) = frame else { break };
        let result = match frame {
            Outgoing::Text(text) => {
                let len = text.len();
                let sent = sink.send(Message::Text(text.into())).await;
                w.queued.fetch_sub(len, Ordering::Relaxed);
                sent
            }
            Outgoing::Close(code, reason) => {
                let frame = CloseFrame { code, reason: reason.into() };
                let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
                break;
            }
        };
        if result.is_err() {
            break;
        }
    }
    // Sends the close reply tungstenite queued when the peer closed first (or our own
    // close), then flushes; dropping the sink afterwards frees the socket.
    let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
}

/// Resolves when the writer must stop early; never once the queue's senders are all gone
/// (the writer then drains what is queued, a refusal's close frame for one, and ends).
async fn stop_signal(ending: &mut watch::Receiver<Ending>) -> Ending {
    let stop = ending.wait_for(|e| *e != Ending::No).await.map(|e| *e);
    match stop {
        Ok(e) => e,
        Err(_) => std::future::pending().await,
    }
}

/// The longest the writer waits to get a close frame out to a peer that may be gone.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Reads until the next text frame, skipping pings and pongs; `Closed` as soon as the
/// peer is found not reading what `queue` holds for it.
pub(super) async fn next(stream: &mut SplitStream<WebSocket>, queue: &OutQueue) -> Incoming {
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = queue.overflowed() => return Incoming::Closed,
        };
        match message {
            None | Some(Ok(Message::Close(_))) => {
                queue.peer_closed();
                return Incoming::Closed;
            }
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
                queue.peer_closed();
                return Incoming::Closed;
            }
        }
    }
}
