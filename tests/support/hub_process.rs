//! The hub as a real child process (so it can be killed with SIGKILL), with private
//! config and cache dirs, driven through its daemon RPC.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A hub process. Killed on drop.
pub struct HubProcess {
    child: Child,
    dirs: PathBuf,
    /// RPC port from `daemon.json`.
    pub daemon_port: u16,
    /// RPC bearer token from `daemon.json`.
    pub token: String,
    /// Relay port.
    pub relay_port: u16,
    binding: tokio::sync::Mutex<Option<String>>,
    http: reqwest::Client,
}

/// The clientId the end-to-end tests bind as.
pub const CLIENT_ID: &str = "e2e-client";

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One test process at a time on this machine runs hubs and browsers (each process has
/// its own discovery port, but two Chromiums and hubs at once on two cores make every
/// wait in them flaky). Taken by the first hub a test process starts and held until it
/// exits, so two test binaries run one after the other.
async fn machine_lock() {
    static HELD: tokio::sync::OnceCell<std::fs::File> = tokio::sync::OnceCell::const_new();
    HELD.get_or_init(|| async {
        let path = std::env::temp_dir().join("opendevbrowser-e2e.lock");
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).expect("lock file");
        tokio::task::spawn_blocking(move || {
            file.lock().expect("lock the e2e lock file");
            file
        })
        .await
        .expect("lock task")
    })
    .await;
}

fn hub_binary() -> PathBuf {
    let path = std::env::var_os("OPENDEVBROWSER_HUB_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace().join("target/debug/opendevbrowser-hub"));
    assert!(path.exists(), "{} is missing: run `cargo build -p hub` (scripts/test.sh does)", path.display());
    path
}

impl HubProcess {
    /// Starts `opendevbrowser-hub serve --relay-port <relay_port>` using `dirs` for its files,
    /// serving discovery on the process's [`crate::discovery_port`] (never the user's 8787),
    /// and waits for its `daemon.json`.
    pub async fn start(dirs: &Path, relay_port: u16) -> HubProcess {
        HubProcess::start_with(dirs, relay_port, &[]).await
    }

    /// [`start`](Self::start) with extra `serve` flags.
    pub async fn start_with(dirs: &Path, relay_port: u16, extra: &[&str]) -> HubProcess {
        machine_lock().await;
        let cache = dirs.join("cache");
        let _ = std::fs::remove_file(cache.join("daemon.json"));
        let log = std::fs::File::create(dirs.join(format!("hub-{relay_port}.log"))).unwrap();
        let child = Command::new(hub_binary())
            .args(["serve", "--relay-port", &relay_port.to_string(), "--daemon-port", "0"])
            .args(["--discovery-port", &crate::discovery_port().to_string()])
            .args(extra)
            .env("OPENDEVBROWSER_CACHE_DIR", &cache)
            .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
            .env("OPENDEVBROWSER_DATA_DIR", dirs.join("data"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the hub");
        let pid = child.id();
        let meta: Value = crate::wait_for("the hub's daemon.json", || {
            let path = cache.join("daemon.json");
            async move {
                let text = std::fs::read_to_string(path).ok()?;
                let v: Value = serde_json::from_str(&text).ok()?;
                (v["pid"] == pid).then_some(v)
            }
        })
        .await;
        HubProcess {
            child,
            dirs: dirs.to_owned(),
            daemon_port: meta["port"].as_u64().unwrap() as u16,
            token: meta["token"].as_str().unwrap().to_owned(),
            relay_port,
            binding: tokio::sync::Mutex::new(None),
            http: reqwest::Client::new(),
        }
    }

    /// The hub's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the hub with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The hub's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dirs.join(format!("hub-{}.log", self.relay_port))).unwrap_or_default()
    }

    /// Calls one RPC command; returns the whole `{ok, data|error}` body.
    pub async fn rpc(&self, name: &str, params: Value) -> Value {
        self.http
            .post(format!("http://127.0.0.1:{}/command", self.daemon_port))
            .bearer_auth(&self.token)
            .json(&json!({"name": name, "params": params}))
            .send()
            .await
            .expect("the hub answers")
            .json()
            .await
            .expect("JSON")
    }

    /// `cdp.send` as the e2e client, binding first (once).
    pub async fn cdp(&self, mut params: Value) -> Value {
        let mut binding = self.binding.lock().await;
        if binding.is_none() {
            let bound = self.rpc("relay.bind", json!({"clientId": CLIENT_ID, "instanceId": "e2e"})).await;
            let id = bound["data"]["bindingId"].as_str().unwrap_or_else(|| panic!("bind failed: {bound}"));
            *binding = Some(id.to_owned());
        }
        params["clientId"] = json!(CLIENT_ID);
        params["instanceId"] = json!("e2e");
        params["bindingId"] = json!(binding.clone());
        self.rpc("cdp.send", params).await
    }

    /// The relay's `/status`.
    pub async fn relay_status(&self) -> Value {
        self.rpc("relay.status", json!({})).await["data"].clone()
    }

    /// Waits until the extension has completed its handshake with this hub.
    pub async fn wait_for_extension(&self) -> Value {
        crate::wait_for("the extension's handshake", || async {
            let s = self.relay_status().await;
            (s["extensionHandshakeComplete"] == true).then_some(s)
        })
        .await
    }

    /// `Runtime.evaluate` through the hub and the extension, returning the value.
    pub async fn evaluate(&self, expression: &str, session_id: Option<&str>) -> Value {
        let mut params = json!({"method": "Runtime.evaluate",
            "params": {"expression": expression, "returnByValue": true, "awaitPromise": true}});
        if let Some(s) = session_id {
            params["sessionId"] = json!(s);
        }
        let reply = self.cdp(params).await;
        assert_eq!(reply["ok"], true, "evaluate failed: {reply}\nhub log:\n{}", self.log());
        reply["data"]["result"]["value"].clone()
    }
}
