//! How a session reaches its browser: one CDP call at a time, a stream of events, and
//! whether the connection is gone for good. The hub implements it for the extension relay;
//! `direct::DirectCdp` implements it for a DevTools WebSocket.

use opendevbrowser_api::CdpError;
use pairing::wire::CdpEvent;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::broadcast;

/// The answer of one CDP call.
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, CdpError>> + Send + 'a>>;

/// A CDP connection a session drives.
pub trait CdpTransport: Send + Sync + 'static {
    /// Sends `method` (in flat session `session`, if any) and waits up to `timeout`.
    fn call<'a>(
        &'a self,
        method: &'a str,
        params: Value,
        session: Option<&'a str>,
        timeout: Duration,
    ) -> CallFuture<'a>;

    /// Every event from now on. The receiver closes when the connection ends; a transport
    /// that is still [`alive`](Self::alive) then can be subscribed to again.
    fn events(&self) -> broadcast::Receiver<CdpEvent>;

    /// False once the browser is gone for good (a dropped relay link may come back: alive).
    fn alive(&self) -> bool;
}
