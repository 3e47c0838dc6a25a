//! Headless Chromium with the real unpacked extension, and a small CDP client to the
//! browser itself (not through the hub) for reading the extension's own state.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use tokio_tungstenite::tungstenite::Message;

/// A running Chromium. Terminated (with all its children) on drop.
pub struct Browser {
    child: Child,
    profile: tempfile::TempDir,
    /// The DevTools port (for reading extension state in tests only).
    pub devtools_port: u16,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// The Chromium the tests run (`$CHROMIUM`, else Debian's).
pub fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return p.into();
    }
    for p in ["/usr/lib/chromium/chromium", "/usr/bin/chromium"] {
        if std::path::Path::new(p).exists() {
            return p.into();
        }
    }
    panic!("Chromium not found: run scripts/setup.sh (or set CHROMIUM)");
}

/// The unpacked extension to load: `extension/`, or `$E2E_EXTENSION_DIR` (the benchmarks
/// use it to measure another build side by side).
fn extension_dir() -> PathBuf {
    let dir = std::env::var_os("E2E_EXTENSION_DIR").map_or_else(|| crate::workspace().join("extension"), PathBuf::from);
    assert!(dir.join("pkg/extension_bg.wasm").exists(), "extension/pkg is missing: run scripts/build-extension.sh");
    dir
}

/// Copies the unpacked extension in `from` to `to`, with a `defaults.json` naming
/// [`crate::discovery_port`].
fn pointed_at_discovery_port(from: &std::path::Path, to: &std::path::Path) -> PathBuf {
    copy_dir(from, to);
    let defaults = json!({"discoveryPort": crate::discovery_port()}).to_string();
    std::fs::write(to.join("defaults.json"), defaults).expect("write the extension's defaults.json");
    to.to_owned()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("the extension copy's folder");
    for entry in std::fs::read_dir(from).expect("the extension's folder") {
        let entry = entry.expect("a folder entry");
        let (path, target) = (entry.path(), to.join(entry.file_name()));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy an extension file");
        }
    }
}

impl Browser {
    /// Launches headless (or with `E2E_HEADED`, headed) Chromium with the extension,
    /// opening `url`.
    pub async fn launch(url: &str) -> Browser {
        Browser::launch_with(url, &extension_dir()).await
    }

    /// Launches headless Chromium with the unpacked extension in `ext`, opening `url`. The
    /// extension is a copy whose `defaults.json` names the process's discovery port, so it
    /// never pairs with a hub of the user's on 8787 (its id stays: it comes from the key).
    pub async fn launch_with(url: &str, ext: &std::path::Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let ext = &pointed_at_discovery_port(ext, &profile.path().join("extension"));
        let log = std::fs::File::create(profile.path().join("chromium.log")).unwrap();
        let headless = if crate::headed() { None } else { Some("--headless=new") };
        let child = Command::new(chromium())
            .args(headless)
            .args(["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
            .args([
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--enable-logging=stderr",
            ])
            .args(["--v=0", "--remote-debugging-port=0"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--load-extension={}", ext.display()))
            .arg(format!("--disable-extensions-except={}", ext.display()))
            .args(std::env::var("CHROMIUM_EXTRA_FLAGS").unwrap_or_default().split_whitespace())
            .arg(url)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("launch Chromium");
        let active = profile.path().join("DevToolsActivePort");
        let devtools_port = crate::wait_for("Chromium's DevToolsActivePort", || {
            let active = active.clone();
            async move { std::fs::read_to_string(active).ok()?.lines().next()?.trim().parse().ok() }
        })
        .await;
        Browser { child, profile, devtools_port }
    }

    /// The browser's log (extension console lines included), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromium.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Opens the extension's popup page in a tab, to read and click it like a user.
    pub async fn popup(&self) -> Popup {
        let mut cdp = BrowserCdp::connect(self.devtools_port).await;
        let url = format!("chrome-extension://{}/popup.html", crate::EXTENSION_ID);
        let created = cdp.call("Target.createTarget", json!({"url": url}), None).await;
        let attached =
            cdp.call("Target.attachToTarget", json!({"targetId": created["targetId"], "flatten": true}), None).await;
        let session = attached["sessionId"].as_str().unwrap().to_owned();
        Popup { cdp, session }
    }

    /// The popup's status line, once it shows one.
    pub async fn popup_status(&self) -> String {
        self.popup().await.wait_status(|t| t != "…").await
    }

    /// Opens a tab the way a user would (not through the extension).
    pub async fn open_tab(&self, url: &str) {
        let mut cdp = BrowserCdp::connect(self.devtools_port).await;
        cdp.call("Target.createTarget", json!({"url": url}), None).await;
    }

    /// Stops the extension's service worker, as Chrome does to an idle worker.
    pub async fn stop_extension_worker(&self) {
        let mut cdp = BrowserCdp::connect(self.devtools_port).await;
        let prefix = format!("chrome-extension://{}/", crate::EXTENSION_ID);
        let targets = cdp.call("Target.getTargets", json!({}), None).await;
        let worker = targets["targetInfos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "service_worker" && t["url"].as_str().unwrap_or("").starts_with(&prefix))
            .expect("the extension's worker is running")
            .clone();
        cdp.call("Target.closeTarget", json!({"targetId": worker["targetId"]}), None).await;
    }

    /// How many tabs the extension has the debugger attached to (`chrome.debugger.getTargets`).
    pub async fn attached_tabs(&self) -> u64 {
        let count = "chrome.debugger.getTargets().then(ts => ts.filter(t => t.attached && t.tabId).length)";
        self.eval_in_extension(count).await.as_u64().expect("a count")
    }

    /// Evaluates `expression` (awaiting promises) inside the extension's service worker.
    pub async fn eval_in_extension(&self, expression: &str) -> Value {
        let prefix = format!("chrome-extension://{}/", crate::EXTENSION_ID);
        let port = self.devtools_port;
        let (mut cdp, worker) = crate::wait_for("the extension's service worker target", || {
            let prefix = prefix.clone();
            async move {
                let mut cdp = BrowserCdp::connect(port).await;
                let targets = cdp.call("Target.getTargets", json!({}), None).await;
                let worker = targets["targetInfos"]
                    .as_array()?
                    .iter()
                    .find(|t| t["type"] == "service_worker" && t["url"].as_str().unwrap_or("").starts_with(&prefix))?;
                let worker = worker.clone();
                Some((cdp, worker))
            }
        })
        .await;
        let attached =
            cdp.call("Target.attachToTarget", json!({"targetId": worker["targetId"], "flatten": true}), None).await;
        let session = attached["sessionId"].as_str().unwrap().to_owned();
        let params = json!({"expression": expression, "awaitPromise": true, "returnByValue": true});
        let result = cdp.call("Runtime.evaluate", params, Some(&session)).await;
        let _ = cdp.call("Target.detachFromTarget", json!({"sessionId": session}), None).await;
        result["result"]["value"].clone()
    }
}

/// The extension popup open in a tab.
pub struct Popup {
    cdp: BrowserCdp,
    session: String,
}

impl Popup {
    /// Evaluates `expression` in the popup page.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        self.cdp.call("Runtime.evaluate", params, Some(&self.session)).await["result"]["value"].clone()
    }

    /// Waits until the status line satisfies `ok`, and returns it.
    pub async fn wait_status(&mut self, ok: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + crate::WAIT;
        loop {
            let text = self.eval("document.getElementById('status')?.textContent ?? ''").await;
            let text = text.as_str().unwrap_or("").to_owned();
            if !text.is_empty() && ok(&text) {
                return text;
            }
            assert!(tokio::time::Instant::now() < deadline, "the popup's status stayed {text:?}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// A minimal CDP client on the browser endpoint.
struct BrowserCdp {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    next_id: u64,
}

impl BrowserCdp {
    async fn connect(port: u16) -> BrowserCdp {
        let version: Value =
            reqwest::get(format!("http://127.0.0.1:{port}/json/version")).await.unwrap().json().await.unwrap();
        let url = version["webSocketDebuggerUrl"].as_str().unwrap();
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        BrowserCdp { ws, next_id: 1 }
    }

    async fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).await.unwrap();
        loop {
            let frame = tokio::time::timeout(crate::WAIT, self.ws.next()).await.expect("CDP answer").unwrap().unwrap();
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
        }
    }
}
