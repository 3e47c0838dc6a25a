//! Fault injection with the real parts: the hub killed with SIGKILL mid-command, the
//! extension's service worker stopped mid-session (for raw CDP and for an agent's session),
//! and an agent's tab closed by the user. What the agent's page shows is read
//! independently, over the browser's own DevTools port.

use futures_util::{SinkExt, StreamExt};
use opendevbrowser_client::autostart::{AutostartOptions, HubSource};
use opendevbrowser_client::{ClientOptions, HubClient};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use system_tests::browser::Browser;
use system_tests::hub_process::HubProcess;
use system_tests::hub_process::CLIENT_ID;
use system_tests::rpc::ref_of;
use system_tests::site::Site;
use system_tests::{World, SERIAL};
use tokio_tungstenite::tungstenite::Message;

const SLOW: &str = "new Promise(r => setTimeout(() => r('late'), 4000))";

/// Waits until the extension holds a command of `hub` (the fault must hit it mid-command).
async fn in_flight(hub: &HubProcess) {
    system_tests::wait_for("a command in flight at the extension", || async {
        (hub.relay_status().await["pendingCommands"].as_u64() > Some(0)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_hub_killed_mid_command_leaves_the_outcome_unknown_and_the_next_call_recovers() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let first = HubProcess::start(dirs.path(), system_tests::discovery_port()).await;
    let port = system_tests::discovery_port().to_string();
    let _browser = Browser::launch(&site.url("/")).await;
    let before = first.wait_for_extension().await;

    let opts = ClientOptions {
        cache_dir: dirs.path().join("cache"),
        instance_id: Some("plugin".into()),
        autostart: true,
        autostart_options: AutostartOptions {
            binary: Some(system_tests::workspace().join("target/debug/opendevbrowser-hub")),
            // The hub this client starts: the test's ports and private dirs.
            serve_args: ["--daemon-port", "0", "--relay-port", &port, "--discovery-port", &port]
                .map(String::from)
                .into(),
            timeout: Duration::from_secs(20),
            config_dir: Some(dirs.path().join("config")),
        },
        // Over the persistent channel: a call in flight when the hub dies is lost with it.
        channel: true,
    };
    let client = Arc::new(HubClient::connect(opts, &|_| {}).await.unwrap());
    assert_eq!(client.source(), HubSource::Discovered);
    let old = client.bind().await.unwrap();
    let first_endpoint = client.endpoint();

    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.evaluate(SLOW, None).await }
    });
    in_flight(&first).await;
    first.kill();
    let err = pending.await.unwrap().unwrap_err();
    assert_eq!(err.code(), "outcome_unknown", "{err}");
    assert!(err.to_string().contains("outcome is unknown"));

    // The next call finds no hub, starts one, re-binds (the old id is stale) and works
    // once the extension has re-paired with the new relay instance.
    let value = client.evaluate("document.title + ':' + window.answer", None).await.unwrap();
    assert_eq!(value, "E2E Page:42");
    let second = client.endpoint();
    assert_ne!(second.hub_instance_id, first_endpoint.hub_instance_id, "a new hub runs");
    assert_ne!(client.binding().unwrap().binding_id, old.binding_id, "the client re-bound");
    let status = client.status().await.unwrap();
    assert_ne!(
        status.relay.instance_id,
        before["instanceId"].as_str().unwrap(),
        "the extension re-paired with the new instance"
    );
    let stale = opendevbrowser_client::client::raw_call(
        &reqwest::Client::new(),
        &second,
        "relay.renew",
        json!({"clientId": client.identity().0, "instanceId": "plugin", "bindingId": old.binding_id}),
    )
    .await
    .unwrap_err();
    assert_eq!(stale.code(), "binding_stale");

    let _ = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/stop", second.port))
        .bearer_auth(&second.token)
        .send()
        .await;
}

#[tokio::test]
async fn a_stopped_service_worker_fails_pending_commands_then_comes_back_with_the_binding_intact() {
    let world = World::start().await;
    let hub = Arc::new(world.hub);
    let browser = &world.browser;
    assert_eq!(hub.evaluate("window.answer", None).await, 42, "bound and working");

    let pending = tokio::spawn({
        let hub = hub.clone();
        async move {
            hub.cdp(json!({"method": "Runtime.evaluate", "params": {"expression": SLOW, "awaitPromise": true}})).await
        }
    });
    in_flight(&hub).await;
    browser.stop_extension_worker().await;
    let failed = pending.await.unwrap();
    assert_eq!(failed["error"]["code"], "extension_disconnected", "{failed}");
    assert!(failed["error"]["message"].as_str().unwrap().contains("outcome is unknown"));

    // The alarm watchdog restarts the worker, which re-pairs by itself.
    hub.wait_for_extension().await;
    assert_eq!(hub.evaluate("window.answer + 1", None).await, 43, "the same binding still drives the page");
}

/// Main browser processes whose command line names `profile` (helpers carry `--type=`).
fn browsers_using(profile: &std::path::Path) -> usize {
    processes_using(profile, false)
}

/// Processes whose command line names `profile`: browsers only, or with `helpers` their
/// helper processes (`--type=…`) too.
fn processes_using(profile: &std::path::Path, helpers: bool) -> usize {
    let flag = format!("--user-data-dir={}", profile.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains(&flag) && (helpers || !cmd.contains("--type="))
        })
        .count()
}

/// The managed browsers' profile folders in the temp folder.
fn profile_folders() -> std::collections::BTreeSet<std::path::PathBuf> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("opendevbrowser-profile-"))
        .map(|e| e.path())
        .collect()
}

#[tokio::test]
async fn a_killed_hub_takes_its_managed_browsers_with_it_and_the_next_hub_clears_their_folders() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let folders_before = profile_folders();
    let relay_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hub = HubProcess::start(dirs.path(), relay_port).await;
    let launched = hub.rpc("session.launch", json!({"clientId": "c", "mode": "managed"})).await;
    assert_eq!(launched["data"]["mode"], "managed", "{launched}");
    let mine: Vec<_> = profile_folders().difference(&folders_before).cloned().collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(browsers_using(&mine[0]), 1, "the session's browser runs");
    hub.kill();
    system_tests::wait_for("the orphaned browser to exit", || async { (browsers_using(&mine[0]) == 0).then_some(()) })
        .await;
    assert!(mine[0].exists(), "a killed hub cannot remove its browser's folder itself");
    // The next hub removes it once nothing uses it (the browser's helpers end a moment
    // after it) and it has settled (untouched for reap::SETTLED, 5 s): the folder is dated
    // back instead of waiting.
    system_tests::wait_for("the orphaned browser's helpers to exit", || async {
        (processes_using(&mine[0], true) == 0).then_some(())
    })
    .await;
    let dated = std::process::Command::new("touch").args(["-d", "1 minute ago"]).arg(&mine[0]).status().unwrap();
    assert!(dated.success(), "touch -d");
    let next = HubProcess::start(dirs.path(), relay_port).await;
    system_tests::wait_for("the next hub to clear the folder", || async { (!mine[0].exists()).then_some(()) }).await;
    drop(next);
}

/// A tab agent of the e2e client: calls in its session, as instance `name`.
struct TabAgent<'a> {
    hub: &'a HubProcess,
    name: &'static str,
    session: Value,
}

impl<'a> TabAgent<'a> {
    async fn launch(hub: &'a HubProcess, name: &'static str, url: &str) -> (TabAgent<'a>, String) {
        let mut agent = TabAgent { hub, name, session: Value::Null };
        let launched = agent.ok("session.launch", json!({"mode": "extension", "scope": "tab", "startUrl": url})).await;
        agent.session = launched["sessionId"].clone();
        (agent, launched["activeTargetId"].as_str().unwrap().to_owned())
    }

    async fn call(&self, name: &str, mut params: Value) -> Value {
        params["clientId"] = json!(CLIENT_ID);
        params["instanceId"] = json!(self.name);
        if !self.session.is_null() {
            params["sessionId"] = self.session.clone();
        }
        self.hub.rpc(name, params).await
    }

    async fn ok(&self, name: &str, params: Value) -> Value {
        let reply = self.call(name, params).await;
        assert_eq!(reply["ok"], true, "{name}: {reply}\nhub log:\n{}", self.hub.log());
        reply["data"].clone()
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One CDP call on the browser's own DevTools socket; the whole answer.
async fn devtools(ws: &mut Ws, id: u64, method: &str, params: Value, session: Option<&str>) -> Value {
    let mut msg = json!({"id": id, "method": method, "params": params});
    if let Some(s) = session {
        msg["sessionId"] = json!(s);
    }
    ws.send(Message::text(msg.to_string())).await.unwrap();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = frame else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["id"] == id {
            return v;
        }
    }
}

/// Evaluates `expression` in page target `target` over the browser's own DevTools port
/// (not through the hub or the extension): what the page really shows.
async fn read_page(devtools_port: u16, target: &str, expression: &str) -> Value {
    let version: Value =
        reqwest::get(format!("http://127.0.0.1:{devtools_port}/json/version")).await.unwrap().json().await.unwrap();
    let (mut ws, _) =
        tokio_tungstenite::connect_async(version["webSocketDebuggerUrl"].as_str().unwrap()).await.unwrap();
    let attached =
        devtools(&mut ws, 1, "Target.attachToTarget", json!({"targetId": target, "flatten": true}), None).await;
    let session = attached["result"]["sessionId"].as_str().unwrap_or_else(|| panic!("{attached}")).to_owned();
    let params = json!({"expression": expression, "returnByValue": true});
    let value =
        devtools(&mut ws, 2, "Runtime.evaluate", params, Some(&session)).await["result"]["result"]["value"].clone();
    devtools(&mut ws, 3, "Target.detachFromTarget", json!({"sessionId": session}), None).await;
    value
}

/// Whether target `target` is still open in the browser (over its DevTools port).
async fn tab_open(devtools_port: u16, target: &str) -> bool {
    let list: Value =
        reqwest::get(format!("http://127.0.0.1:{devtools_port}/json/list")).await.unwrap().json().await.unwrap();
    list.as_array().unwrap().iter().any(|t| t["id"] == target)
}

/// Stops the extension's service worker and waits until it has paired again (a new
/// extension socket, handshaken).
async fn stop_worker_and_wait_for_it(world: &World) {
    let seen = world.hub.relay_status().await["extensionLastSeenAt"].clone();
    world.browser.stop_extension_worker().await;
    system_tests::wait_for("the restarted worker to pair again", || async {
        let s = world.hub.relay_status().await;
        (s["extensionLastSeenAt"] != seen && s["extensionHandshakeComplete"] == true).then_some(())
    })
    .await;
}

#[tokio::test]
async fn after_a_service_worker_restart_a_tab_agents_next_commands_work_on_the_same_tab() {
    let world = World::start().await;
    let (agent, tab) = TabAgent::launch(&world.hub, "agent-w", &world.site.url("/form")).await;
    let page = agent.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned();
    let name = ref_of(&page, "textbox \"Name\"");
    agent.ok("interact.type", json!({"ref": name, "text": "Ada"})).await;

    stop_worker_and_wait_for_it(&world).await;

    // The first command after the restart works: the hub attaches the tab again, and the
    // ref from before still names the field (the page did not change).
    let value = agent.ok("dom.getValue", json!({"ref": name})).await;
    assert_eq!(value["value"], "Ada", "{value}");
    assert_eq!(read_page(world.browser.devtools_port, &tab, "document.getElementById('name').value").await, "Ada");
    let went = agent.ok("nav.goto", json!({"url": world.site.url("/second")})).await;
    assert_eq!(went["title"], "Second Page", "{went}");
    let text = agent.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned();
    assert!(text.contains("Second"), "{text}");
    let href = read_page(world.browser.devtools_port, &tab, "location.pathname").await;
    assert_eq!(href, "/second", "the agent's own tab navigated");
    let leases = world.hub.rpc("hub.status", json!({})).await["data"]["tabLeases"].clone();
    assert_eq!(leases.as_array().map(Vec::len), Some(1), "the same lease: {leases}");
    assert_eq!(leases[0]["targetId"], tab.as_str());
}

#[tokio::test]
async fn a_tab_closed_by_the_user_is_tab_closed_and_navigating_opens_a_new_one_in_the_agents_group() {
    let world = World::start().await;
    let (agent, tab) = TabAgent::launch(&world.hub, "agent-c", &world.site.url("/form")).await;
    agent.ok("nav.snapshot", json!({})).await;
    // The user closes the agent's tab (not through the hub).
    reqwest::get(format!("http://127.0.0.1:{}/json/close/{tab}", world.browser.devtools_port)).await.unwrap();
    system_tests::wait_for("the tab to close", || async {
        (!tab_open(world.browser.devtools_port, &tab).await).then_some(())
    })
    .await;

    let closed = agent.call("nav.snapshot", json!({})).await;
    assert_eq!(closed["error"]["code"], "tab_closed", "{closed}");
    let message = closed["error"]["message"].as_str().unwrap();
    assert!(message.contains("was closed") && message.contains("nav.goto"), "{message}");

    let went = agent.ok("nav.goto", json!({"url": world.site.url("/second")})).await;
    assert_eq!(went["title"], "Second Page", "{went}");
    let now = agent.ok("targets.list", json!({})).await;
    let new_tab = now["activeTargetId"].as_str().unwrap().to_owned();
    assert_ne!(new_tab, tab);
    assert_eq!(read_page(world.browser.devtools_port, &new_tab, "location.pathname").await, "/second");
    let read = "Promise.all([chrome.tabGroups.query({}), chrome.tabs.query({})]).then(([gs, ts]) =>
        Object.fromEntries(gs.map(g => [g.title, ts.filter(t => t.groupId === g.id).map(t => t.url)])))";
    let groups = system_tests::wait_for("the new tab in the agent's group", || async {
        let g = world.browser.eval_in_extension(read).await;
        g["agent-c"].as_array().is_some_and(|t| t.len() == 1).then_some(g)
    })
    .await;
    assert!(groups["agent-c"][0].as_str().unwrap().ends_with("/second"), "{groups}");
}

#[tokio::test]
async fn agent_tabs_of_a_killed_hubs_sessions_leave_their_group_and_those_it_opened_close() {
    let world = World::start().await;
    let port = world.browser.devtools_port;
    let user_tab = {
        let list: Value =
            reqwest::get(format!("http://127.0.0.1:{port}/json/list")).await.unwrap().json().await.unwrap();
        list.as_array().unwrap().iter().find(|t| t["type"] == "page").unwrap()["id"].as_str().unwrap().to_owned()
    };
    let (agent, own_tab) = TabAgent::launch(&world.hub, "agent-gone", &world.site.url("/second")).await;
    agent.ok("targets.use", json!({"targetId": user_tab})).await; // the user's tab, claimed into the group
    let read = "Promise.all([chrome.tabGroups.query({}), chrome.tabs.query({})]).then(([gs, ts]) =>
        Object.fromEntries(gs.map(g => [g.title, ts.filter(t => t.groupId === g.id).length])))";
    system_tests::wait_for("both tabs in the agent's group", || async {
        (world.browser.eval_in_extension(read).await["agent-gone"] == 2).then_some(())
    })
    .await;

    // The hub dies without a word; the next one pairs, and tidies after its grace period.
    let dirs = world.dirs.path().to_owned();
    let World { hub, browser, .. } = world;
    hub.kill();
    let next = HubProcess::start(&dirs, system_tests::discovery_port()).await;
    next.wait_for_extension().await;
    system_tests::wait_for("the agent's own tab to close", || async {
        (!tab_open(port, &own_tab).await).then_some(())
    })
    .await;
    assert!(tab_open(port, &user_tab).await, "the user's tab is never closed");
    let groups = browser.eval_in_extension(read).await;
    assert_eq!(groups.get("agent-gone"), None, "the group is gone: {groups}");
}
