//! Opening, inspecting and closing browser sessions, their targets (tabs) and named pages.

use super::{command, Done};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `session.launch`: a session in the user's Chrome (through the extension) or in a
/// managed Chromium the hub starts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Launch {
    /// `extension`: the user's own Chrome, logged in; `managed`: a Chromium of its own.
    /// Default: extension when connected.
    #[schemars(extend("enum" = ["extension", "managed"]))]
    pub mode: Option<String>,
    /// Managed: no window (default true).
    pub headless: Option<bool>,
    /// First page (default about:blank).
    pub start_url: Option<String>,
    /// Managed: the browser binary (default `$OPENDEVBROWSER_CHROME`, else an installed
    /// Chrome, Chromium, Edge or Brave).
    pub chrome_path: Option<String>,
    /// Extension: `relay` (default) takes the whole browser, one agent at a time; `tab`
    /// works in a tab group of this agent's own, beside others.
    #[schemars(extend("enum" = ["relay", "tab"]))]
    pub scope: Option<String>,
    /// Scope tab: ms to wait while another agent holds the whole browser (default 0:
    /// `relay_busy` at once).
    #[schemars(range(max = 120_000))]
    pub wait_ms: Option<u64>,
    /// Managed: a named profile kept between sessions, so logins stay (default: a new one).
    pub profile: Option<String>,
    /// Managed: start with the logins of this storage-state file.
    pub storage_state: Option<String>,
    /// Managed: the browser's settings from the config file (the CLI and the MCP server
    /// fill it; not offered to agents as a tool argument).
    #[schemars(skip)]
    pub browser: Option<super::BrowserSettings>,
}
command!(Launch: "session.launch", cli "launch", Hub, -> SessionInfo,
    "Start a browser session: the user's Chrome via the extension, or a managed Chromium",
    tool("browser_launch", writes, "Start this agent's browser session with these options. Optional: any other tool starts one."));

/// `session.connect`: a session on a browser's DevTools port, a remote CDP endpoint
/// (`ws://` or `wss://`: a browser fleet such as Browserless, a hosted CDP service), or a
/// browser a Selenium Grid starts for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Connect {
    /// A CDP WebSocket URL, ws:// or wss:// (a browser's or a fleet's); else host and port.
    pub ws_endpoint: Option<String>,
    /// Loopback host (default 127.0.0.1).
    pub host: Option<String>,
    /// DevTools port (default 9222).
    pub port: Option<u16>,
    /// A Selenium Grid (WebDriver) URL: a new browser there.
    pub selenium_grid: Option<String>,
    /// seleniumGrid's capabilities (default Chrome).
    pub capabilities: Option<serde_json::Map<String, serde_json::Value>>,
    /// A PEM CA file to trust for wss://.
    pub ca_file: Option<String>,
    /// Credentials for the endpoint (the CLI and the MCP server fill them from the config
    /// file or the environment; not offered to agents as a tool argument).
    #[schemars(skip)]
    pub auth: Option<RemoteAuth>,
}
command!(Connect: "session.connect", cli "connect", Hub, -> SessionInfo,
    "Attach a session to a browser on a DevTools port, a remote CDP endpoint (ws/wss) or a Selenium Grid",
    tool("browser_connect", writes, "Attach this agent's session to a Chromium on a DevTools port or a remote endpoint instead."));

/// How a remote endpoint is told who calls (never logged, never in status or errors).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteAuth {
    /// Sent as the `token` query parameter (Browserless and most hosted services).
    pub token: Option<String>,
    /// Sent as `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// `user:password`, sent as `Authorization: Basic …`.
    pub basic: Option<String>,
}

impl RemoteAuth {
    /// No credentials at all.
    pub fn is_empty(&self) -> bool {
        self.token.is_none() && self.bearer.is_none() && self.basic.is_none()
    }
}

/// A session that was opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Pass as `sessionId` to every session command.
    pub session_id: String,
    /// `extension`, `managed` or `connected`.
    pub mode: String,
    /// The target commands act on.
    pub active_target_id: Option<String>,
    /// Tab-scoped sessions: the fencing id of the lease on the active tab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_lease_id: Option<String>,
}

/// `session.disconnect`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Disconnect {
    /// Connected mode: also close the browser.
    pub close_browser: Option<bool>,
}
command!(Disconnect: "session.disconnect", cli "disconnect", Session, -> Disconnected,
    "End the session (managed Chromium exits; extension mode detaches and releases the binding)",
    tool("browser_close", writes, "End this agent's session and give the user's Chrome back to other agents (a managed Chromium closes)."));

/// The session ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disconnected {
    /// Always true.
    pub ok: bool,
    /// The binding passed with the call was released too.
    pub binding_released: bool,
}

/// `session.status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SessionStatus {}
command!(SessionStatus: "session.status", cli "session-status", Session, -> SessionState,
    "The session's mode, active target, URL and title",
    tool("browser_session_status", reads, "This agent's session: mode, active tab, URL, title."));

/// Where a session is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionState {
    /// The session.
    pub session_id: String,
    /// `extension`, `managed` or `connected`.
    pub mode: String,
    /// The target commands act on.
    pub active_target_id: Option<String>,
    /// Its URL.
    pub url: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// The WebDriver session id, when a Selenium Grid started the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webdriver_session_id: Option<String>,
}

/// `targets.list`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListTargets {
    /// With URLs (default true).
    pub include_urls: Option<bool>,
}
command!(ListTargets: "targets.list", cli "targets", Session, -> TargetList, "List the session's tabs",
    tool("browser_tabs", reads, "The session's tabs (targetId, title, URL) and which is active."));

/// The session's tabs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetList {
    /// The target commands act on.
    pub active_target_id: Option<String>,
    /// Every page target.
    pub targets: Vec<TargetEntry>,
}

/// One tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetEntry {
    /// Its id.
    pub target_id: String,
    /// Its title.
    pub title: String,
    /// Its URL (absent when `includeUrls` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Always `page`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `targets.new`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct NewTarget {
    /// Default about:blank.
    pub url: Option<String>,
    /// Managed/connected: in the isolated context of this name (cookies of its own).
    pub context: Option<String>,
}
command!(NewTarget: "targets.new", cli "target-new", Session, -> NewTargetId, "Open a new tab and make it active",
    tool("browser_tab_new", writes, "Open a tab and make it the active one."));

/// A tab that was opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTargetId {
    /// Its id.
    pub target_id: String,
}

/// `targets.use`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UseTarget {
    /// From `targets.list`.
    #[schemars(length(min = 1))]
    pub target_id: String,
    /// Scope tab: ms to wait for a tab another agent holds (default 0: `tab_busy` at
    /// once).
    #[schemars(range(max = 120_000))]
    pub wait_ms: Option<u64>,
}
command!(UseTarget: "targets.use", cli "target-use", Session, -> ActiveTarget, "Make a tab the active one",
    tool("browser_tab_select", writes, "Make a tab the active one; later tools act on it."));

/// The tab now active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveTarget {
    /// Its id.
    pub active_target_id: String,
    /// Its URL.
    pub url: Option<String>,
    /// Its title.
    pub title: Option<String>,
}

/// `targets.close`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloseTarget {
    /// From `targets.list`.
    #[schemars(length(min = 1))]
    pub target_id: String,
}
command!(CloseTarget: "targets.close", cli "target-close", Session, -> Done, "Close a tab",
    tool("browser_tab_close", writes, "Close a tab."));

/// `page.open`: a tab known by a name of the caller's choosing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct OpenPage {
    /// The page's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Go here.
    pub url: Option<String>,
    /// Managed/connected: in the isolated context of this name (cookies of its own).
    pub context: Option<String>,
}
command!(OpenPage: "page.open", cli "page", Session, -> OpenedPage,
    "Open (or switch to) a named page and make it active",
    tool("browser_page_open", writes, "Open a tab under a name of your choosing, or switch to it if it exists."));

/// A named page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenedPage {
    /// Its tab.
    pub target_id: String,
    /// A new tab was opened for it.
    pub created: bool,
}

/// `page.list`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListPages {}
command!(ListPages: "page.list", cli "pages", Session, -> PageList, "List the named pages",
    tool("browser_pages", reads, "The named tabs (browser_page_open)."));

/// The named pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageList {
    /// Name and tab of each.
    pub pages: Vec<PageEntry>,
}

/// One named page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageEntry {
    /// Its name.
    pub name: String,
    /// Its tab.
    pub target_id: String,
}

/// `page.close`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ClosePage {
    /// The page's name.
    #[schemars(length(min = 1))]
    pub name: String,
}
command!(ClosePage: "page.close", cli "page-close", Session, -> Done, "Close a named page",
    tool("browser_page_close", writes, "Close a named tab."));
