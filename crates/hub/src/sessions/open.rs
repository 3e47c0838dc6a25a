//! Opening a browser session: the extension relay as a [`CdpTransport`] (so browser code
//! never sees the relay itself), fresh session ids, and registering a session once it has
//! a page to act on.

use crate::error::HubError;
use crate::relay::RelayHandle;
use opendevbrowser_api::CdpError;
use opendevbrowser_browser::error::{err, Error as BrowserFailure};
use opendevbrowser_browser::transport::CallFuture;
use opendevbrowser_browser::{BrowserSession, CdpTransport, Sessions};
use pairing::wire::CdpEvent;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The user's Chrome through the extension: calls go to whichever relay is current (it
/// changes on `relay.restart`). Always alive: a dropped extension comes back.
pub(crate) struct RelayTransport(pub(crate) RelayHandle);

impl CdpTransport for RelayTransport {
    fn call<'a>(
        &'a self,
        method: &'a str,
        params: Value,
        session: Option<&'a str>,
        timeout: Duration,
    ) -> CallFuture<'a> {
        Box::pin(async move {
            let relay = self.0.current();
            relay.call(method, Some(params), session.map(str::to_owned), timeout).await
        })
    }

    fn events(&self) -> broadcast::Receiver<CdpEvent> {
        self.0.current().subscribe_events()
    }

    fn alive(&self) -> bool {
        true
    }
}

pub(crate) fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Registers a new session and makes sure it has an active target. When it cannot get one,
/// the session is dropped again and the error (`failed_code`) carries the browser's own
/// answer, e.g. `launch_failed: … Target.attachToTarget … Not allowed`.
pub(crate) async fn open(
    sessions: &Sessions,
    session: BrowserSession,
    failed_code: &'static str,
) -> Result<Arc<BrowserSession>, HubError> {
    let session = Arc::new(session);
    session.start_event_pump();
    sessions.insert(session.clone());
    if let Err(e) = session.active().await {
        sessions.remove(&session.id);
        let e = match e {
            BrowserFailure::Cdp(CdpError::Protocol { .. }) => {
                err(failed_code, format!("the session could not attach to a page: {e}"))
            }
            other => other,
        };
        return Err(e.into());
    }
    Ok(session)
}
