//! The independent oracle: a direct DevTools connection of the test's own to the same
//! browser the product drives, reading (and, to set a scene, changing) page state with no
//! code of the product in between. A test checks an action's effect here, never through
//! the product's own reads (`nav.wait`, `dom.*`, `page.evaluate`).
//!
//! Which browser: the test Chromium of [`crate::browser::Browser`] (extension and
//! connected modes) by its DevTools port, or a managed Chromium the hub launched, found as
//! the hub process's child through `/proc` and its profile's `DevToolsActivePort`.

use crate::hub_process::HubProcess;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::PathBuf;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A DevTools connection to a whole browser.
pub struct Oracle {
    ws: Socket,
    next_id: u64,
    /// The browser's DevTools port.
    pub port: u16,
}

/// One page of that browser, attached with a flat session of the oracle's own.
pub struct OraclePage<'a> {
    oracle: &'a mut Oracle,
    session: String,
    /// The page's target id.
    pub target_id: String,
}

impl Oracle {
    /// Connects to the browser listening on DevTools port `port`.
    pub async fn connect(port: u16) -> Oracle {
        let version: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/version"))
            .await
            .expect("the browser's /json/version")
            .json()
            .await
            .unwrap();
        let url = version["webSocketDebuggerUrl"].as_str().expect("webSocketDebuggerUrl");
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("the oracle connects");
        Oracle { ws, next_id: 1, port }
    }

    /// The test Chromium (extension and connected modes).
    pub async fn of_browser(browser: &crate::browser::Browser) -> Oracle {
        Oracle::connect(browser.devtools_port).await
    }

    /// The managed Chromium `hub` launched (its one child with a DevTools port).
    pub async fn of_managed(hub: &HubProcess) -> Oracle {
        let hub_pid = hub.pid();
        let port = crate::wait_for("the hub's managed Chromium and its DevToolsActivePort", || async move {
            let profiles = managed_profiles(hub_pid);
            assert!(profiles.len() <= 1, "one managed Chromium expected, found {profiles:?}");
            let text = std::fs::read_to_string(profiles.first()?.join("DevToolsActivePort")).ok()?;
            text.lines().next()?.trim().parse::<u16>().ok()
        })
        .await;
        Oracle::connect(port).await
    }

    /// One CDP call; the result, or the CDP error object.
    pub async fn try_call(&mut self, method: &str, params: Value, session: Option<&str>) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).await.expect("the oracle sends");
        loop {
            let frame = tokio::time::timeout(crate::WAIT, self.ws.next()).await.expect("the oracle's answer in time");
            let Message::Text(text) = frame.expect("the browser's socket is open").expect("a frame") else { continue };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == id {
                return match v.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(v["result"].clone()),
                };
            }
        }
    }

    /// One CDP call that must succeed.
    pub async fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        let answer = self.try_call(method, params.clone(), session).await;
        answer.unwrap_or_else(|e| panic!("oracle: {method} {params} failed: {e}"))
    }

    /// Every page target: `{targetId, url, title, …}`.
    pub async fn pages(&mut self) -> Vec<Value> {
        let targets = self.call("Target.getTargets", json!({}), None).await;
        targets["targetInfos"].as_array().unwrap().iter().filter(|t| t["type"] == "page").cloned().collect()
    }

    /// The URLs of every page.
    pub async fn page_urls(&mut self) -> Vec<String> {
        self.pages().await.iter().map(|t| t["url"].as_str().unwrap_or_default().to_owned()).collect()
    }

    /// The page whose URL is `url` (waiting for it to exist); exactly one must be.
    pub async fn page(&mut self, url: &str) -> OraclePage<'_> {
        self.page_where(url, |u| u == url).await
    }

    /// The page whose URL starts with `prefix` (waiting for it to exist); exactly one must be.
    pub async fn page_starting(&mut self, prefix: &str) -> OraclePage<'_> {
        self.page_where(prefix, |u| u.starts_with(prefix)).await
    }

    async fn page_where(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> OraclePage<'_> {
        let started = tokio::time::Instant::now();
        let target = loop {
            let pages = self.pages().await;
            let found: Vec<&Value> = pages.iter().filter(|t| matches(t["url"].as_str().unwrap_or_default())).collect();
            assert!(found.len() <= 1, "oracle: more than one page at {what}: {pages:?}");
            if let Some(t) = found.first() {
                break t["targetId"].as_str().unwrap().to_owned();
            }
            assert!(started.elapsed() < crate::WAIT, "oracle: no page at {what} among {pages:?}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let attached = self.call("Target.attachToTarget", json!({"targetId": target, "flatten": true}), None).await;
        let session = attached["sessionId"].as_str().unwrap().to_owned();
        OraclePage { oracle: self, session, target_id: target }
    }

    /// How many managed Chromiums `hub` runs now (its children with a DevTools port).
    pub fn managed_browsers(hub: &HubProcess) -> usize {
        managed_profiles(hub.pid()).len()
    }

    /// The cookies the browser would send to `url` (`Network.getCookies` on a page of it).
    pub async fn cookies(&mut self, url: &str) -> Vec<Value> {
        let mut page = self.page(url).await;
        let got = page.cdp("Network.getCookies", json!({"urls": [url]})).await;
        got["cookies"].as_array().cloned().unwrap_or_default()
    }
}

impl OraclePage<'_> {
    /// Evaluates `expression` in the page's main world (promises awaited); its value.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        let got = self.cdp("Runtime.evaluate", params).await;
        assert!(got.get("exceptionDetails").is_none(), "oracle: {expression} threw: {got}");
        got["result"]["value"].clone()
    }

    /// One CDP call in this page's session.
    pub async fn cdp(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.oracle.call(method, params, Some(&session)).await
    }

    /// Waits until `expression` evaluates to `want` (the page may still be loading or
    /// changing); fails with the last value after [`crate::WAIT`].
    pub async fn eventually(&mut self, expression: &str, want: Value) {
        let started = tokio::time::Instant::now();
        loop {
            let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
            let session = self.session.clone();
            let got = self.oracle.try_call("Runtime.evaluate", params, Some(&session)).await;
            let value = got.as_ref().map(|g| g["result"]["value"].clone());
            if value.as_ref() == Ok(&want) {
                return;
            }
            assert!(started.elapsed() < crate::WAIT, "oracle: {expression} stayed {value:?}, not {want}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// `location.href`.
    pub async fn url(&mut self) -> String {
        self.eval("location.href").await.as_str().unwrap_or_default().to_owned()
    }

    /// The `textContent` of the first element matching `selector` (null when none).
    pub async fn text(&mut self, selector: &str) -> Value {
        self.eval(&format!("document.querySelector({})?.textContent ?? null", json!(selector))).await
    }

    /// The window's scroll position `(scrollX, scrollY)`.
    pub async fn scroll(&mut self) -> (f64, f64) {
        let at = self.eval("[window.scrollX, window.scrollY]").await;
        (at[0].as_f64().unwrap(), at[1].as_f64().unwrap())
    }
}

/// The profile dirs of the Chromium processes whose parent is `parent` and that listen on
/// a DevTools port (Linux `/proc`).
fn managed_profiles(parent: u32) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid != Some(parent) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { continue };
        let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if !args.iter().any(|a| a.starts_with("--remote-debugging-port")) {
            continue;
        }
        if let Some(dir) = args.iter().find_map(|a| a.strip_prefix("--user-data-dir=")) {
            found.push(PathBuf::from(dir));
        }
    }
    found
}

/// A Chromium with no extension, listening on a loopback DevTools port: the browser
/// `session.connect` attaches to (connected mode). Terminated on drop.
pub struct PlainChromium {
    child: std::process::Child,
    _profile: tempfile::TempDir,
    /// Its DevTools port.
    pub devtools_port: u16,
}

impl PlainChromium {
    /// Launches headless Chromium opening `url`.
    pub async fn launch(url: &str) -> PlainChromium {
        PlainChromium::launch_with(url, &[]).await
    }

    /// [`launch`](Self::launch) with extra Chromium flags (e.g. a window size).
    pub async fn launch_with(url: &str, extra: &[&str]) -> PlainChromium {
        let profile = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(crate::browser::chromium())
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
            .args(["--disable-dev-shm-usage", "--remote-debugging-port=0"])
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("launch Chromium");
        let active = profile.path().join("DevToolsActivePort");
        let devtools_port = crate::wait_for("the plain Chromium's DevToolsActivePort", || {
            let active = active.clone();
            async move { std::fs::read_to_string(active).ok()?.lines().next()?.trim().parse().ok() }
        })
        .await;
        PlainChromium { child, _profile: profile, devtools_port }
    }

    /// Whether the browser process has exited.
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_some()
    }
}

impl Drop for PlainChromium {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        }
        let _ = self.child.wait();
    }
}
