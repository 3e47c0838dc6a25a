//! Opening a connected session (`session.connect`): a browser on a loopback DevTools port
//! (`host`/`port`), a remote CDP endpoint (`wsEndpoint`, `ws://` or `wss://`: a fleet such
//! as Browserless, a hosted service, a browser's own endpoint), or a browser a Selenium
//! Grid starts (`seleniumGrid`: WebDriver's new session, then its CDP; the Grid session ends
//! with ours). Remote endpoints get the credentials and TLS of [`opendevbrowser_browser::remote`]
//! and the keep-alive and reconnect of [`DirectCdp::connect_remote`]; every message names
//! the endpoint with its secrets redacted.

use crate::error::HubError;
use crate::sessions::open::new_session_id;
use opendevbrowser_api::commands::{Connect, RemoteAuth};
use opendevbrowser_api::Owner;
use opendevbrowser_browser::direct::{browser_ws_url, DirectCdp, KEEPALIVE};
use opendevbrowser_browser::error::err;
use opendevbrowser_browser::remote::{self, Endpoint};
use opendevbrowser_browser::webdriver::{CdpAddress, GridSession};
use opendevbrowser_browser::{BrowserSession, Mode};
use std::sync::Arc;

fn failed(message: String) -> HubError {
    err("connect_failed", message).into()
}

/// The session `cmd` asks for, not yet registered.
pub(crate) async fn session(cmd: Connect, caller: Owner) -> Result<BrowserSession, HubError> {
    let auth = cmd.auth.clone().unwrap_or_default();
    let id = new_session_id();
    if let Some(grid) = &cmd.selenium_grid {
        return grid_session(grid, &cmd, &auth, caller, id).await;
    }
    if let Some(ws) = &cmd.ws_endpoint {
        let endpoint = Endpoint::new(ws, &auth, cmd.ca_file.as_deref()).map_err(failed)?;
        let cdp = DirectCdp::connect_remote(endpoint, KEEPALIVE).await.map_err(failed)?;
        return Ok(BrowserSession::new(id, Mode::Connected, caller, Arc::new(cdp), None));
    }
    let host = cmd.host.as_deref().unwrap_or("127.0.0.1");
    if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
        return Err(HubError::param(
            "host",
            "must be a loopback address (127.0.0.1, localhost, ::1); a remote browser is reached with wsEndpoint",
        ));
    }
    let ws = browser_ws_url(host, cmd.port.unwrap_or(9222)).await.map_err(failed)?;
    let cdp = DirectCdp::connect(&ws).await.map_err(failed)?;
    Ok(BrowserSession::new(id, Mode::Connected, caller, Arc::new(cdp), None))
}

/// A new WebDriver session on `grid`, driven over its CDP endpoint.
async fn grid_session(
    grid: &str,
    cmd: &Connect,
    auth: &RemoteAuth,
    caller: Owner,
    id: String,
) -> Result<BrowserSession, HubError> {
    let parsed = url::Url::parse(grid).map_err(|e| HubError::param("seleniumGrid", format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(HubError::param("seleniumGrid", "must be an http:// or https:// URL"));
    }
    let authorization = remote::authorization(auth, &parsed);
    let (webdriver, address) =
        GridSession::start(grid, cmd.capabilities.clone().map(serde_json::Value::Object), authorization)
            .await
            .map_err(failed)?;
    let ws = match address {
        CdpAddress::WebSocket(ws) => ws,
        CdpAddress::DevTools(addr) => {
            let (host, port) =
                addr.rsplit_once(':').ok_or_else(|| failed(format!("debuggerAddress `{addr}` has no port")))?;
            let port = port.parse().map_err(|_| failed(format!("debuggerAddress `{addr}` has no port")))?;
            browser_ws_url(host, port).await.map_err(failed)?
        }
    };
    // The Grid's CDP proxy takes the Grid's credentials; a token is for fleets' URLs only.
    let auth = RemoteAuth { token: None, ..auth.clone() };
    let endpoint =
        Endpoint::new(&with_grid_credentials(&ws, &parsed), &auth, cmd.ca_file.as_deref()).map_err(failed)?;
    let cdp = DirectCdp::connect_remote(endpoint, KEEPALIVE).await.map_err(failed)?;
    tracing::info!(grid = %remote::redact(grid), webdriver = %webdriver.id, "a Grid browser for session {id}");
    Ok(BrowserSession::new(id, Mode::Connected, caller, Arc::new(cdp), None).with_grid_session(webdriver))
}

/// `ws` with the Grid URL's `user:password@`, if it had one (the CDP proxy asks for them too).
fn with_grid_credentials(ws: &str, grid: &url::Url) -> String {
    let Ok(mut url) = url::Url::parse(ws) else { return ws.to_owned() };
    if !grid.username().is_empty() && url.username().is_empty() {
        let _ = url.set_username(grid.username());
        let _ = url.set_password(grid.password());
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grids_credentials_carry_over_to_its_cdp_proxy() {
        let grid = url::Url::parse("http://ada:pw@grid.example:4444").unwrap();
        assert_eq!(
            with_grid_credentials("ws://grid.example:4444/session/1/se/cdp", &grid),
            "ws://ada:pw@grid.example:4444/session/1/se/cdp"
        );
        let plain = url::Url::parse("http://grid.example:4444").unwrap();
        assert_eq!(with_grid_credentials("ws://g/session/1/se/cdp", &plain), "ws://g/session/1/se/cdp");
    }
}
