//! What real browsers do to a session of the user's Chrome, with a simulated extension
//! that plays a small browser: its service worker restarts (every flat session it handed
//! out is gone, its tabs and pages are not), a command is in flight when it stops, and the
//! user closes the agent's tab.

mod common;
use common::*;
use pairing::wire::CdpCommand;
use serde_json::{json, Value};
use sim::{SimExtension, SimReply};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A small browser behind the simulated extension. Flat sessions are `W<life>-<target>`:
/// a worker restart starts a new life, and the extension then knows none of the old ones
/// ("Unknown sessionId", as our extension's router answers).
#[derive(Default)]
struct Browser {
    life: u64,
    /// Name flat sessions `pw-tab-<n>`, counting from 1 in each worker life (as an
    /// extension whose router starts afresh would): a new life reuses the old names for
    /// whichever tabs it attaches first.
    counted_names: bool,
    /// This life's flat sessions: session id → target.
    sessions: BTreeMap<String, String>,
    next_tab: u64,
    /// Open tabs: target id → URL.
    tabs: BTreeMap<String, String>,
    /// Every command as `(method, sessionId, params)`.
    log: Vec<(String, Option<String>, Value)>,
}

impl Browser {
    /// A flat session for `target` in this life.
    fn attach(&mut self, target: &str) -> String {
        let name = if self.counted_names {
            format!("pw-tab-{}", self.sessions.len() + 1)
        } else {
            format!("W{}-{target}", self.life)
        };
        self.sessions.insert(name.clone(), target.to_owned());
        name
    }

    /// The worker stops: the extension forgets every flat session.
    fn new_life(&mut self) {
        self.life += 1;
        self.sessions.clear();
    }
}

type Shared = Arc<Mutex<Browser>>;

fn value(v: Value) -> SimReply {
    SimReply::Result(json!({"result": {"type": "object", "value": v}}))
}

fn answer(browser: &Shared, cmd: &CdpCommand) -> SimReply {
    let mut b = browser.lock().unwrap();
    let p = cmd.params.clone().unwrap_or(json!({}));
    b.log.push((cmd.method.clone(), cmd.session_id.clone(), p.clone()));
    let tab = match cmd.session_id.as_deref() {
        None => None,
        Some(s) => match b.sessions.get(s).filter(|t| b.tabs.contains_key(*t)) {
            Some(tab) => Some(tab.clone()),
            None => return SimReply::Error(format!("Unknown sessionId: {s}")),
        },
    };
    let url_of = |b: &Browser| tab.as_ref().and_then(|t| b.tabs.get(t)).cloned().unwrap_or_default();
    match cmd.method.as_str() {
        "Target.getTargets" => {
            let infos: Vec<Value> =
                b.tabs.iter().map(|(t, url)| json!({"targetId": t, "type": "page", "title": t, "url": url})).collect();
            SimReply::Result(json!({"targetInfos": infos}))
        }
        "Target.attachToTarget" => {
            let target = p["targetId"].as_str().unwrap_or_default();
            if !b.tabs.contains_key(target) {
                return SimReply::Error(format!("Target not found: No tab with given id {target}."));
            }
            SimReply::Result(json!({"sessionId": b.attach(target)}))
        }
        "Target.createTarget" => {
            b.next_tab += 1;
            let target = format!("T{}", b.next_tab);
            b.tabs.insert(target.clone(), p["url"].as_str().unwrap_or("about:blank").to_owned());
            SimReply::Result(json!({"targetId": target}))
        }
        "Target.closeTarget" => {
            b.tabs.remove(p["targetId"].as_str().unwrap_or_default());
            SimReply::Result(json!({"success": true}))
        }
        "Page.navigate" if p["url"].as_str().is_some_and(|u| u.contains("hang")) => SimReply::Ignore,
        "Page.navigate" if p["url"].as_str().is_some_and(|u| u.contains("detach")) => {
            SimReply::Error("Detached while handling command.".into())
        }
        "Page.navigate" => {
            if let Some(t) = &tab {
                b.tabs.insert(t.clone(), p["url"].as_str().unwrap_or_default().to_owned());
            }
            SimReply::Result(json!({"frameId": "F1", "loaderId": "L1"}))
        }
        "Accessibility.getFullAXTree" => {
            let url = url_of(&b);
            SimReply::Result(json!({"nodes": [
                {"nodeId": "1", "ignored": false, "role": {"type": "role", "value": "RootWebArea"},
                 "name": {"type": "computedString", "value": url}, "backendDOMNodeId": 1, "childIds": ["2", "3"]},
                {"nodeId": "2", "parentId": "1", "ignored": false, "role": {"type": "role", "value": "heading"},
                 "name": {"type": "computedString", "value": format!("At {url}")}, "backendDOMNodeId": 2, "childIds": []},
                {"nodeId": "3", "parentId": "1", "ignored": false, "role": {"type": "role", "value": "button"},
                 "name": {"type": "computedString", "value": "Go"}, "backendDOMNodeId": 3, "childIds": []}]}))
        }
        "DOM.resolveNode" => SimReply::Result(json!({"object": {"type": "object", "objectId": "el"}})),
        "Runtime.callFunctionOn" => value(json!({"value": true})),
        "Runtime.evaluate" => {
            let e = p["expression"].as_str().unwrap_or_default();
            let url = url_of(&b);
            if e.contains("fresh:") {
                return value(json!({"fresh": true, "state": "complete", "url": url, "title": "t"}));
            }
            if e.contains("url: location.href") {
                return value(json!({"url": url, "title": "t"}));
            }
            if e == "location.href" {
                return value(json!(url));
            }
            if e == "({})" {
                return SimReply::Result(json!({"result": {"type": "object", "objectId": "table"}}));
            }
            SimReply::Result(json!({"result": {"type": "undefined"}}))
        }
        _ => SimReply::Result(json!({})),
    }
}

/// A hub with the simulated browser paired, one tab `T0` open at `http://start.test/`.
async fn hub_and_browser() -> (TestHub, Shared, SimExtension) {
    let hub = TestHub::start().await;
    let browser: Shared = Default::default();
    browser.lock().unwrap().tabs.insert("T0".into(), "http://start.test/".into());
    let answering = browser.clone();
    let sim = hub.paired_sim_with(move |cmd| answer(&answering, cmd)).await;
    (hub, browser, sim)
}

/// The extension's service worker stops and starts again: a new life of the browser's
/// flat sessions, and the extension pairs again by itself.
async fn restart_worker(browser: &Shared, sim: &SimExtension) {
    let acks = sim.status().acks;
    browser.lock().unwrap().new_life();
    sim.drop_socket();
    sim.wait_until(WAIT, |s| s.acks > acks && s.status.state() == "connected").await.unwrap();
}

struct Agent<'a> {
    hub: &'a TestHub,
    envelope: Value,
}

impl Agent<'_> {
    /// A session of the user's Chrome under the relay binding (`scope: None`) or of its own
    /// tab (`Some("tab")`).
    async fn launch<'a>(hub: &'a TestHub, scope: Option<&str>) -> Agent<'a> {
        let mut envelope = json!({"clientId": CLIENT, "instanceId": "agent"});
        if scope.is_none() {
            let (_, bound) = hub.bind_as("agent").await;
            envelope["bindingId"] = bound["data"]["bindingId"].clone();
        }
        let mut launch = envelope.clone();
        launch["mode"] = json!("extension");
        if let Some(scope) = scope {
            launch["scope"] = json!(scope);
        }
        let (status, launched) = hub.rpc("session.launch", launch).await;
        assert_eq!(status, 200, "{launched}");
        envelope["sessionId"] = launched["data"]["sessionId"].clone();
        Agent { hub, envelope }
    }

    async fn call(&self, name: &str, extra: Value) -> (u16, Value) {
        let mut params = self.envelope.clone();
        params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        self.hub.rpc(name, params).await
    }

    async fn ok(&self, name: &str, extra: Value) -> Value {
        let (status, body) = self.call(name, extra).await;
        assert_eq!(status, 200, "{name}: {body}");
        body["data"].clone()
    }
}

fn url_of(browser: &Shared, target: &str) -> Option<String> {
    browser.lock().unwrap().tabs.get(target).cloned()
}

#[tokio::test]
async fn after_a_worker_restart_the_next_command_attaches_again_and_works() {
    let (hub, browser, sim) = hub_and_browser().await;
    let agent = Agent::launch(&hub, None).await;
    agent.ok("nav.goto", json!({"url": "http://one.test/"})).await;
    let before = agent.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned();
    assert!(before.contains("At http://one.test/"), "{before}");
    let button =
        before.lines().find(|l| l.contains("button")).unwrap().trim()[1..].split(']').next().unwrap().to_owned();

    restart_worker(&browser, &sim).await;

    let went = agent.ok("nav.goto", json!({"url": "http://two.test/"})).await;
    assert_eq!(url_of(&browser, "T0").as_deref(), Some("http://two.test/"), "the same tab navigated: {went}");
    let after = agent.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned();
    assert!(after.contains("At http://two.test/"), "{after}");
    let seen = browser.lock().unwrap().log.clone();
    let attaches: Vec<&Value> =
        seen.iter().filter(|(m, _, _)| m == "Target.attachToTarget").map(|(_, _, p)| p).collect();
    assert_eq!(attaches.len(), 2, "attached once per worker life: {attaches:?}");
    let second_attach = seen.iter().rposition(|(m, _, _)| m == "Target.attachToTarget").unwrap();
    let stale: Vec<_> = seen[second_attach..].iter().filter(|(_, s, _)| s.as_deref() == Some("W0-T0")).collect();
    assert!(stale.is_empty(), "nothing went to the old worker's session after attaching again: {stale:?}");
    // Refs of the tab's own documents outlive the worker (the renderer did not restart).
    let (status, visible) = agent.call("dom.isVisible", json!({"ref": button})).await;
    assert_eq!(status, 200, "{visible}");
    let (_, hub_status) = hub.rpc("hub.status", json!({})).await;
    assert_eq!(hub_status["data"]["browserSessions"], 1);
}

#[tokio::test]
async fn a_command_holding_a_session_the_extension_forgot_is_moved_to_the_tabs_new_session() {
    let (hub, browser, _sim) = hub_and_browser().await;
    let agent = Agent::launch(&hub, Some("tab")).await;
    agent.ok("nav.goto", json!({"url": "http://one.test/"})).await;
    // The worker restarted between the hub's check and the command's calls: the extension
    // answers "Unknown sessionId" (the command never ran), and the hub attaches again.
    browser.lock().unwrap().new_life();
    agent.ok("nav.goto", json!({"url": "http://two.test/"})).await;
    assert_eq!(url_of(&browser, "T1").as_deref(), Some("http://two.test/"));
    let text = agent.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned();
    assert!(text.contains("At http://two.test/"), "{text}");
}

#[tokio::test]
async fn a_command_in_flight_when_the_worker_stops_has_an_unknown_outcome_and_the_next_one_works() {
    let (hub, browser, sim) = hub_and_browser().await;
    let agent = Arc::new(Agent::launch(&hub, None).await.envelope);
    let hung = tokio::spawn({
        let (port, token, envelope) = (hub.daemon_port(), hub.hub.core().token().to_owned(), agent.clone());
        async move {
            let mut params = (*envelope).clone();
            params["url"] = json!("http://hang.test/");
            let body = json!({"name": "nav.goto", "params": params});
            let r = reqwest::Client::new()
                .post(format!("http://127.0.0.1:{port}/command"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    });
    // In flight at the extension: it got the command and has not answered.
    for _ in 0..1000 {
        if browser.lock().unwrap().log.iter().any(|(m, _, p)| m == "Page.navigate" && p["url"] == "http://hang.test/") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    restart_worker(&browser, &sim).await;
    let failed = hung.await.unwrap();
    assert_eq!(failed["error"]["code"], "extension_disconnected", "{failed}");
    assert!(failed["error"]["message"].as_str().unwrap().contains("outcome is unknown"), "{failed}");

    let agent = Agent { hub: &hub, envelope: (*agent).clone() };
    agent.ok("nav.goto", json!({"url": "http://after.test/"})).await;
    assert_eq!(url_of(&browser, "T0").as_deref(), Some("http://after.test/"));
}

#[tokio::test]
async fn a_tab_the_user_closed_is_tab_closed_then_navigating_opens_a_new_tab_in_the_agents_group() {
    let (hub, browser, _sim) = hub_and_browser().await;
    let agent = Agent::launch(&hub, Some("tab")).await;
    agent.ok("nav.goto", json!({"url": "http://one.test/"})).await;
    browser.lock().unwrap().tabs.remove("T1");

    let (status, closed) = agent.call("nav.snapshot", json!({})).await;
    assert_eq!((status, closed["error"]["code"].as_str()), (409, Some("tab_closed")), "{closed}");
    let message = closed["error"]["message"].as_str().unwrap();
    assert!(message.contains("T1") && message.contains("was closed") && message.contains("nav.goto"), "{message}");
    let (_, again) = agent.call("nav.snapshot", json!({})).await;
    assert_eq!(again["error"]["code"], "tab_closed", "still no tab: {again}");

    let went = agent.ok("nav.goto", json!({"url": "http://two.test/"})).await;
    assert_eq!(url_of(&browser, "T2").as_deref(), Some("http://two.test/"), "a new tab: {went}");
    let text = agent.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned();
    assert!(text.contains("At http://two.test/"), "{text}");
    let (_, status) = hub.rpc("hub.status", json!({})).await;
    let leases: Vec<&str> =
        status["data"]["tabLeases"].as_array().unwrap().iter().map(|l| l["targetId"].as_str().unwrap()).collect();
    assert_eq!(leases, vec!["T2"], "the new tab is the agent's, the closed one is let go: {status}");
    let grouped = browser.lock().unwrap().log.iter().rev().find(|(m, _, _)| m == "Extension.groupTabs").cloned();
    assert_eq!(grouped.map(|(_, _, p)| p["targetIds"].clone()), Some(json!(["T2"])), "shown in the agent's group");
}

#[tokio::test]
async fn in_a_session_of_the_whole_browser_a_closed_tab_is_said_once_and_the_previous_tab_takes_over() {
    let (hub, browser, _sim) = hub_and_browser().await;
    let agent = Agent::launch(&hub, None).await;
    let opened = agent.ok("targets.new", json!({"url": "http://second.test/"})).await;
    assert_eq!(opened["targetId"], "T1");
    browser.lock().unwrap().tabs.remove("T1");
    let (status, closed) = agent.call("nav.goto", json!({"url": "http://x.test/"})).await;
    assert_eq!((status, closed["error"]["code"].as_str()), (409, Some("tab_closed")), "{closed}");
    assert!(closed["error"]["message"].as_str().unwrap().contains("the tab used before it"), "{closed}");
    agent.ok("nav.goto", json!({"url": "http://x.test/"})).await;
    assert_eq!(url_of(&browser, "T0").as_deref(), Some("http://x.test/"));
}

#[tokio::test]
async fn a_new_worker_that_reuses_session_names_never_gets_the_old_sessions_commands() {
    let (hub, browser, sim) = hub_and_browser().await;
    browser.lock().unwrap().counted_names = true;
    let agent = Agent::launch(&hub, None).await; // T0 as pw-tab-1
    agent.ok("targets.new", json!({"url": "http://mine.test/"})).await; // T1 as pw-tab-2, active
    restart_worker(&browser, &sim).await;
    {
        // The new worker attaches the user's tabs in its own order: pw-tab-1 and pw-tab-2
        // now name other tabs.
        let mut b = browser.lock().unwrap();
        b.tabs.insert("USER".into(), "http://users-own.test/".into());
        b.attach("T0");
        b.attach("USER");
    }
    agent.ok("nav.goto", json!({"url": "http://next.test/"})).await;
    assert_eq!(url_of(&browser, "T1").as_deref(), Some("http://next.test/"), "the agent's tab navigated");
    assert_eq!(url_of(&browser, "USER").as_deref(), Some("http://users-own.test/"), "the user's tab did not");
}

#[tokio::test]
async fn after_each_pairing_the_extension_is_asked_to_tidy_agent_groups_keeping_live_sessions_tabs() {
    let hub = TestHub::start_tuned(|o| o.tidy_after = Some(std::time::Duration::from_millis(100))).await;
    let browser: Shared = Default::default();
    browser.lock().unwrap().tabs.insert("T0".into(), "http://start.test/".into());
    let answering = browser.clone();
    let sim = hub.paired_sim_with(move |cmd| answer(&answering, cmd)).await;
    let tidied = |browser: &Shared| -> Vec<Value> {
        let b = browser.lock().unwrap();
        b.log.iter().filter(|(m, _, _)| m == "Extension.tidyAgentTabs").map(|(_, _, p)| p["keep"].clone()).collect()
    };
    for _ in 0..200 {
        if !tidied(&browser).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(tidied(&browser), vec![json!([])], "a new hub keeps no agent tab: it has no session");

    let _agent = Agent::launch(&hub, Some("tab")).await; // T1
    restart_worker(&browser, &sim).await;
    for _ in 0..200 {
        if tidied(&browser).len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(tidied(&browser), vec![json!([]), json!(["T1"])], "a live session's tab is kept");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(tidied(&browser).len(), 2, "once per pairing");
}

#[tokio::test]
async fn a_launch_with_no_mode_never_goes_to_a_managed_browser_once_the_extension_has_been_seen() {
    let (hub, _browser, sim) = hub_and_browser().await;
    drop(sim); // the extension leaves (its worker stopped, say) and is not back yet
    hub.relay_status_until("the extension gone", |s| s["extensionConnected"] == false).await;
    let (status, body) = hub
        .rpc(
            "session.launch",
            json!({"clientId": CLIENT, "instanceId": "scope-tab", "scope": "tab", "readyTimeoutMs": 3000}),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("extension_not_connected")), "{body}");
    let (_, hub_status) = hub.rpc("hub.status", json!({})).await;
    assert_eq!(hub_status["data"]["browserSessions"], 0, "no managed browser was started: {hub_status}");
}

#[tokio::test]
async fn a_command_the_debugger_let_go_of_midway_has_an_unknown_outcome() {
    let (hub, _browser, _sim) = hub_and_browser().await;
    let agent = Agent::launch(&hub, None).await;
    let (status, body) = agent.call("nav.goto", json!({"url": "http://detach.test/"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("extension_disconnected")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("outcome is unknown"), "{body}");
}
