//! The managed browser's settings a launch carries (`session.launch {browser}`): filled by
//! the CLI and the MCP server from the config file (`crate::config`), applied by the hub to
//! the Chromium it starts and to every tab of it.

use crate::config::Viewport;
use serde::{Deserialize, Serialize};

/// Settings of a managed browser (all optional; see `crate::config::KEYS`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct BrowserSettings {
    /// Extra command-line flags.
    pub args: Vec<String>,
    /// Proxy server (`--proxy-server`).
    pub proxy: Option<String>,
    /// Hosts that skip the proxy.
    pub proxy_bypass: Vec<String>,
    /// Accept invalid certificates.
    pub ignore_https_errors: bool,
    /// Page size of every tab.
    pub viewport: Option<Viewport>,
    /// Device emulated in every tab (`page.emulate`'s presets).
    pub device: Option<String>,
    /// User agent of every tab.
    pub user_agent: Option<String>,
    /// Locale of every tab.
    pub locale: Option<String>,
    /// Time zone of every tab.
    pub timezone: Option<String>,
    /// Scripts (their source) run in every new document before the page's own.
    pub init_scripts: Vec<String>,
    /// If not empty, only these origins load.
    pub allowed_origins: Vec<String>,
    /// Origins that never load.
    pub blocked_origins: Vec<String>,
    /// Where downloads go.
    pub downloads_dir: Option<String>,
}

impl BrowserSettings {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &BrowserSettings::default()
    }
}
