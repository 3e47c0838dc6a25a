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
    /// The port `daemon.json` names answers, but not as this hub (upstream's Node daemon,
    /// say): nothing of ours can start there until it is stopped.
    Foreign {
        /// The daemon port.
        port: u16,
        /// What it answered.
        detail: String,
    },
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFound::NoMetadata => f.write_str("no daemon.json"),
            NotFound::Stale(why) => write!(f, "daemon.json is stale ({why})"),
            NotFound::Foreign { port, detail } => write!(f, "port {port} is held by another program ({detail})"),
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
    let http_status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let body: HubStatus = serde_json::from_value(body.clone())
        .map_err(|_| NotFound::Foreign { port: meta.port, detail: describe_foreign(http_status, &body) })?;
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

/// What a daemon that is not this hub answered to `GET /status`, in words.
pub fn describe_foreign(http_status: u16, body: &Value) -> String {
    let upstream = body["ok"].is_boolean() && body["hub"]["instanceId"].is_string() && body["relay"].is_object();
    if upstream {
        let pid = body["pid"].as_u64().map_or_else(String::new, |p| format!(" (pid {p})"));
        return format!(
            "its /status has the shape of upstream opendevbrowser's Node daemon{pid}, without this hub's fields"
        );
    }
    match body {
        Value::Null => format!("HTTP {http_status} with a body that is not JSON"),
        Value::Object(o) if o.get("error").is_some_and(Value::is_string) => {
            format!("HTTP {http_status} {{\"error\": {}}}", o["error"])
        }
        other => {
            let text = other.to_string();
            format!("HTTP {http_status} {}", text.chars().take(120).collect::<String>())
        }
    }
}
