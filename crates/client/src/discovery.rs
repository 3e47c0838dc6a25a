//! Finding the running hub: `daemon.json` says where and with which token; the hub's own
//! `/status` confirms it is alive and is the hub the file names.

use opendevbrowser_api::metadata::DaemonMetadata;
use opendevbrowser_api::status::HubStatus;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// A hub that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubEndpoint {
    /// RPC port.
    pub port: u16,
    /// RPC bearer token.
    pub token: String,
    /// The hub's instance id.
    pub hub_instance_id: String,
    /// The hub's pid.
    pub pid: u32,
    /// The relay port.
    pub relay_port: u16,
}

/// Why no hub was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// No `daemon.json`.
    NoMetadata,
    /// `daemon.json` names a hub that does not answer (crashed or killed).
    Stale(String),
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFound::NoMetadata => f.write_str("no daemon.json"),
            NotFound::Stale(why) => write!(f, "daemon.json is stale ({why})"),
        }
    }
}

/// Looks for a live hub described by `<cache_dir>/daemon.json`.
pub async fn discover(cache_dir: &Path) -> Result<HubEndpoint, NotFound> {
    discover_with_status(cache_dir).await.map(|(endpoint, _)| endpoint)
}

/// [`discover`], also returning the `/status` body the hub answered with.
pub async fn discover_with_status(cache_dir: &Path) -> Result<(HubEndpoint, HubStatus), NotFound> {
    let meta = match DaemonMetadata::read(&DaemonMetadata::path_in(cache_dir)) {
        Ok(m) => m,
        Err(opendevbrowser_api::metadata::MetadataError::Missing(_)) => return Err(NotFound::NoMetadata),
        Err(e) => return Err(NotFound::Stale(e.to_string())),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| NotFound::Stale(e.to_string()))?;
    let response = client
        .get(format!("http://127.0.0.1:{}/status", meta.port))
        .bearer_auth(&meta.token)
        .send()
        .await
        .map_err(|_| NotFound::Stale(format!("pid {} does not answer on port {}", meta.pid, meta.port)))?;
    let body: Value = response.json().await.map_err(|e| NotFound::Stale(e.to_string()))?;
    let body: HubStatus = serde_json::from_value(body)
        .map_err(|e| NotFound::Stale(format!("port {} answers, but its /status is not this hub's ({e})", meta.port)))?;
    if body.hub.instance_id != meta.hub_instance_id {
        return Err(NotFound::Stale(format!("port {} answers as another hub", meta.port)));
    }
    let endpoint = HubEndpoint {
        port: meta.port,
        token: meta.token,
        hub_instance_id: meta.hub_instance_id,
        pid: meta.pid,
        relay_port: meta.relay_port,
    };
    Ok((endpoint, body))
}
