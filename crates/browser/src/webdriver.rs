//! A browser from a Selenium Grid 4 (or any WebDriver server) for `session.connect
//! {seleniumGrid}`: WebDriver's new-session request (`POST /session`), the session's CDP
//! endpoint read from the capabilities it answers — the Grid's `se:cdp` WebSocket, or a
//! ChromeDriver's `goog:chromeOptions.debuggerAddress` — and the session deleted
//! (`DELETE /session/<id>`) when the hub's session ends, so the Grid frees its slot.

use serde_json::{json, Value};
use std::time::Duration;

/// How long a Grid may take to start a browser (it may queue the request).
const NEW_SESSION_WAIT: Duration = Duration::from_secs(120);

/// Where a WebDriver session's browser speaks CDP.
#[derive(Debug, Clone, PartialEq)]
pub enum CdpAddress {
    /// A WebSocket URL (the Grid's `se:cdp`).
    WebSocket(String),
    /// `host:port` of the browser's DevTools HTTP endpoint (ChromeDriver's `debuggerAddress`).
    DevTools(String),
}

/// The CDP address in a new session's `capabilities`.
pub fn cdp_address(capabilities: &Value) -> Option<CdpAddress> {
    if let Some(ws) = capabilities["se:cdp"].as_str().filter(|s| !s.is_empty()) {
        return Some(CdpAddress::WebSocket(ws.to_owned()));
    }
    ["goog:chromeOptions", "ms:edgeOptions"]
        .iter()
        .find_map(|key| capabilities[key]["debuggerAddress"].as_str())
        .map(|addr| CdpAddress::DevTools(addr.to_owned()))
}

/// A WebDriver session this hub started; deleted when dropped.
pub struct GridSession {
    /// The Grid's base URL (no trailing slash).
    base: String,
    /// The WebDriver session id.
    pub id: String,
    authorization: Option<String>,
}

impl std::fmt::Debug for GridSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GridSession({} at {})", self.id, crate::remote::redact(&self.base))
    }
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder().timeout(NEW_SESSION_WAIT).build().map_err(|e| e.to_string())
}

impl GridSession {
    /// Asks the Grid at `grid` for a browser with `capabilities` (default Chrome); the
    /// session and its CDP address.
    pub async fn start(
        grid: &str,
        capabilities: Option<Value>,
        authorization: Option<String>,
    ) -> Result<(GridSession, CdpAddress), String> {
        let base = grid.trim_end_matches('/').to_owned();
        let shown = crate::remote::redact(&base);
        let wanted = capabilities.unwrap_or_else(|| json!({"browserName": "chrome"}));
        let mut request =
            client()?.post(format!("{base}/session")).json(&json!({"capabilities": {"alwaysMatch": wanted}}));
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let reply =
            request.send().await.map_err(|e| format!("no WebDriver server at {shown} ({})", without_url(&e)))?;
        let status = reply.status();
        let body: Value = reply.json().await.map_err(|e| format!("{shown} answered no JSON ({})", without_url(&e)))?;
        let value = &body["value"];
        if !status.is_success() {
            let why = value["message"].as_str().or(value["error"].as_str()).unwrap_or("no reason given");
            return Err(format!("{shown} refused a new session ({status}): {why}"));
        }
        let id =
            value["sessionId"].as_str().ok_or_else(|| format!("{shown} answered no sessionId: {body}"))?.to_owned();
        let session = GridSession { base, id, authorization };
        let address = cdp_address(&value["capabilities"]).ok_or_else(|| {
            format!("the browser {shown} started has no CDP endpoint (no se:cdp or debuggerAddress): use a Chromium-based browser")
        })?;
        Ok((session, address))
    }
}

/// A reqwest error's words without the URL it names (it may carry credentials).
fn without_url(e: &reqwest::Error) -> String {
    crate::remote::redact(&e.to_string())
}

impl Drop for GridSession {
    fn drop(&mut self) {
        let (url, authorization) = (format!("{}/session/{}", self.base, self.id), self.authorization.take());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let Ok(client) = client() else { return };
            let mut request = client.delete(&url);
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            if let Err(e) = request.send().await {
                tracing::warn!("could not end the WebDriver session: {}", without_url(&e));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grids_se_cdp_comes_before_a_chromedrivers_debugger_address() {
        let grid = json!({"se:cdp": "ws://grid:4444/session/1/se/cdp", "goog:chromeOptions": {"debuggerAddress": "localhost:9"}});
        assert_eq!(cdp_address(&grid), Some(CdpAddress::WebSocket("ws://grid:4444/session/1/se/cdp".into())));
        let driver = json!({"goog:chromeOptions": {"debuggerAddress": "localhost:39211"}});
        assert_eq!(cdp_address(&driver), Some(CdpAddress::DevTools("localhost:39211".into())));
        let edge = json!({"ms:edgeOptions": {"debuggerAddress": "127.0.0.1:5"}});
        assert_eq!(cdp_address(&edge), Some(CdpAddress::DevTools("127.0.0.1:5".into())));
        assert_eq!(cdp_address(&json!({"browserName": "firefox"})), None);
    }
}
