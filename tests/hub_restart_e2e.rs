//! The hub restarted by another process while a client works: the client library reads
//! `daemon.json` again (on `unauthorized`, the new hub's token being another, or when the
//! old hub no longer answers), and the session it launched goes on in the new hub: a
//! session of the user's Chrome in the same tab (read independently over the browser's
//! DevTools port), a managed one with one `session_lost` saying what starts over.

use opendevbrowser_client::autostart::AutostartOptions;
use opendevbrowser_client::{ClientError, ClientOptions, HubClient};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use system_tests::hub_process::HubProcess;
use system_tests::site::Site;
use system_tests::{free_port, World};

/// A hub started by "another process": the test spawns it itself, on `daemon_port`.
struct Other(Child);

impl Drop for Other {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Other {
    /// Starts a hub in `dirs` on `relay_port` and `daemon_port`; waits for its daemon.json.
    async fn start(dirs: &Path, relay_port: u16, daemon_port: u16) -> Other {
        let cache = dirs.join("cache");
        let _ = std::fs::remove_file(cache.join("daemon.json"));
        let log = std::fs::File::create(dirs.join(format!("other-{relay_port}.log"))).unwrap();
        let child = Command::new(system_tests::workspace().join("target/debug/opendevbrowser-hub"))
            .args(["serve", "--relay-port", &relay_port.to_string(), "--daemon-port", &daemon_port.to_string()])
            .args(["--discovery-port", &system_tests::discovery_port().to_string()])
            .env("OPENDEVBROWSER_CACHE_DIR", &cache)
            .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start a hub");
        let pid = child.id();
        system_tests::wait_for("the other hub's daemon.json", || {
            let path = cache.join("daemon.json");
            async move {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
                (v["pid"] == pid).then_some(())
            }
        })
        .await;
        Other(child)
    }
}

/// A client of the hub in `dirs` that starts none itself (another process restarts it).
async fn client(dirs: &Path, channel: bool) -> HubClient {
    let opts = ClientOptions {
        cache_dir: dirs.join("cache"),
        instance_id: Some(if channel { "on-channel" } else { "on-http" }.into()),
        autostart: false,
        autostart_options: AutostartOptions::default(),
        channel,
    };
    HubClient::connect(opts, &|_| {}).await.unwrap()
}

fn daemon_port(dirs: &Path) -> u16 {
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(dirs.join("cache/daemon.json")).unwrap()).unwrap();
    meta["port"].as_u64().unwrap() as u16
}

async fn in_session(client: &HubClient, session: &str, name: &str, extra: Value) -> Result<Value, ClientError> {
    let mut params = json!({"sessionId": session});
    params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    client.call(name, params).await
}

#[tokio::test]
async fn a_managed_session_says_session_lost_once_after_the_hub_restarts_then_goes_on() {
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let first = HubProcess::start(dirs.path(), free_port()).await;
    // A client on the channel and one over HTTP; the new hub takes the old one's daemon
    // port, so the old token is refused (`unauthorized`) and the clients read daemon.json.
    let on_channel = client(dirs.path(), true).await;
    let on_http = client(dirs.path(), false).await;
    let mut sessions = Vec::new();
    for c in [&on_channel, &on_http] {
        let launched = c.call("session.launch", json!({"mode": "managed"})).await.unwrap();
        sessions.push(launched["sessionId"].as_str().unwrap().to_owned());
    }
    let port = daemon_port(dirs.path());
    first.kill();
    let _second = Other::start(dirs.path(), free_port(), port).await;
    for (c, session) in [(&on_channel, &sessions[0]), (&on_http, &sessions[1])] {
        let lost = in_session(c, session, "nav.goto", json!({"url": site.url("/second")})).await.unwrap_err();
        assert_eq!(lost.code(), "session_lost", "{lost}");
        let said = lost.to_string();
        assert!(said.contains("hub restarted") && said.contains("managed browser") && said.contains("refs"), "{said}");
        let went = in_session(c, session, "nav.goto", json!({"url": site.url("/second")})).await.unwrap();
        assert_eq!(went["title"], "Second Page", "the same session id goes on in the new hub: {went}");
        assert_eq!(c.endpoint().port, port, "the client follows the new hub on the same port");
    }
    let status = on_http.status().await.unwrap();
    assert_eq!(status.browser_sessions, 2, "one new session each, none left behind");
    let _ = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/stop"))
        .bearer_auth(on_http.endpoint().token)
        .send()
        .await;
}

/// Evaluates `expression` in page `target` over the browser's own DevTools port.
async fn read_page(devtools_port: u16, target: &str, expression: &str) -> Value {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let list: Value =
        reqwest::get(format!("http://127.0.0.1:{devtools_port}/json/list")).await.unwrap().json().await.unwrap();
    let page = list.as_array().unwrap().iter().find(|t| t["id"] == target).unwrap_or_else(|| panic!("{list}")).clone();
    let (mut ws, _) = tokio_tungstenite::connect_async(page["webSocketDebuggerUrl"].as_str().unwrap()).await.unwrap();
    let ask =
        json!({"id": 1, "method": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": true}});
    ws.send(Message::text(ask.to_string())).await.unwrap();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = frame else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["id"] == 1 {
            return v["result"]["result"]["value"].clone();
        }
    }
}

#[tokio::test]
async fn a_tab_agents_session_goes_on_in_the_same_tab_after_another_process_restarts_the_hub() {
    let world = World::start().await;
    let client = client(world.dirs.path(), true).await;
    let launched = client
        .call("session.launch", json!({"mode": "extension", "scope": "tab", "startUrl": world.site.url("/form")}))
        .await
        .unwrap();
    let (session, tab) =
        (launched["sessionId"].as_str().unwrap().to_owned(), launched["activeTargetId"].as_str().unwrap().to_owned());
    in_session(
        &client,
        &session,
        "page.evaluate",
        json!({"expression": "document.getElementById('name').value = 'Ada'"}),
    )
    .await
    .unwrap();

    let port = world.hub.daemon_port;
    let (hub, dirs) = (world.hub, world.dirs);
    hub.kill();
    let _second = Other::start(dirs.path(), system_tests::discovery_port(), port).await;

    // The next call works, in the same tab, with the page as it was.
    let value =
        in_session(&client, &session, "page.evaluate", json!({"expression": "document.getElementById('name').value"}))
            .await
            .unwrap();
    assert_eq!(value["value"], "Ada", "{value}");
    let list = in_session(&client, &session, "targets.list", json!({})).await.unwrap();
    assert_eq!(list["activeTargetId"], tab.as_str(), "the same tab: {list}");
    assert_eq!(read_page(world.browser.devtools_port, &tab, "document.getElementById('name').value").await, "Ada");
    let status = client.status().await.unwrap();
    let leases: Vec<&str> = status.tab_leases.iter().map(|l| l.target_id.as_str()).collect();
    assert_eq!(leases, vec![tab.as_str()], "the tab is leased again, and the relaunch's own tab closed");
    let open: Value = reqwest::get(format!("http://127.0.0.1:{}/json/list", world.browser.devtools_port))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pages = open.as_array().unwrap().iter().filter(|t| t["type"] == "page").count();
    assert_eq!(pages, 2, "the user's first tab and the agent's, no extra blank tab: {open}");
    let _ = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/stop"))
        .bearer_auth(client.endpoint().token)
        .send()
        .await;
}
