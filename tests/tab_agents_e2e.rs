//! Several agents at once on the user's Chrome (the real extension in headless Chromium):
//! two agents each open a tab of their own under a tab lease and fill a different form at
//! the same time; each stays out of the other's tab (`tab_busy`), events and logs; each
//! agent's tabs form a Chrome tab group named after it (read back through
//! `chrome.tabGroups` and the popup); an agent whose process goes away (its `/session`
//! socket drops) loses its tab and group at once; the relay-wide binding waits for the tab
//! leases and tab leases are refused while it is held.

use serde_json::{json, Value};
use system_tests::hub_process::{HubProcess, CLIENT_ID};
use system_tests::rpc::ref_of;
use system_tests::{wait_for, World};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An agent: its instance id and its `/session` socket (what ties it to its process).
struct Agent<'a> {
    hub: &'a HubProcess,
    name: &'static str,
    socket: Option<Socket>,
    session: Value,
}

impl<'a> Agent<'a> {
    async fn start(hub: &'a HubProcess, name: &'static str) -> Agent<'a> {
        let url = format!("ws://127.0.0.1:{}/session?clientId={CLIENT_ID}&instanceId={name}", hub.daemon_port);
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {}", hub.token).parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("the /session socket");
        Agent { hub, name, socket: Some(socket), session: Value::Null }
    }

    async fn call(&self, name: &str, mut params: Value) -> Value {
        params["clientId"] = json!(CLIENT_ID);
        params["instanceId"] = json!(self.name);
        if !self.session.is_null() && params.get("sessionId").is_none() {
            params["sessionId"] = self.session.clone();
        }
        self.hub.rpc(name, params).await
    }

    async fn ok(&self, name: &str, params: Value) -> Value {
        let reply = self.call(name, params).await;
        assert_eq!(reply["ok"], true, "{} {name}: {reply}", self.name);
        reply["data"].clone()
    }

    async fn launch(&mut self, url: &str) -> Value {
        let data = self.ok("session.launch", json!({"mode": "extension", "scope": "tab", "startUrl": url})).await;
        self.session = data["sessionId"].clone();
        data
    }

    async fn snapshot(&self) -> String {
        self.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned()
    }

    /// The agent's process ends: its socket drops without a close handshake.
    fn kill(&mut self) {
        drop(self.socket.take());
    }
}

/// Agent A signs up on `/form`; its page must show exactly its answers.
async fn fill_signup(a: &Agent<'_>) -> String {
    let page = a.snapshot().await;
    let fields = json!([{"ref": ref_of(&page, "textbox \"Name\""), "value": "Ada"},
        {"ref": ref_of(&page, "combobox \"Color\""), "value": "blue"},
        {"ref": ref_of(&page, "checkbox \"I agree\""), "value": true}]);
    a.ok("interact.fill", json!({"fields": fields})).await;
    a.ok("interact.click", json!({"ref": ref_of(&page, "button \"Send\"")})).await;
    a.ok("nav.wait", json!({"text": "name=Ada", "timeoutMs": 10000})).await;
    a.ok("page.evaluate", json!({"expression": "document.getElementById('out').textContent"})).await["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Agent B signs in on `/login`; its page must greet it.
async fn sign_in(b: &Agent<'_>) -> String {
    let page = b.snapshot().await;
    let fields = json!([{"ref": ref_of(&page, "textbox \"User\""), "value": "grace"},
        {"ref": ref_of(&page, "textbox \"Password\""), "value": "secret"}]);
    b.ok("interact.fill", json!({"fields": fields})).await;
    b.ok("interact.click", json!({"ref": ref_of(&page, "button \"Sign in\"")})).await;
    b.ok("nav.wait", json!({"text": "Welcome, grace", "timeoutMs": 10000})).await;
    b.ok("page.evaluate", json!({"expression": "document.querySelector('h1').textContent"})).await["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `{group title: [tab urls]}` of the agent groups Chrome shows.
async fn groups(world: &World) -> Value {
    let read = "Promise.all([chrome.tabGroups.query({}), chrome.tabs.query({})]).then(([gs, ts]) =>
        Object.fromEntries(gs.map(g => [g.title, ts.filter(t => t.groupId === g.id).map(t => t.url)])))";
    world.browser.eval_in_extension(read).await
}

#[tokio::test]
async fn two_agents_drive_their_own_tabs_at_once_in_the_users_chrome() {
    let world = World::start().await;
    let (hub, site) = (&world.hub, &world.site);
    let mut a = Agent::start(hub, "agent-a").await;
    let mut b = Agent::start(hub, "agent-b").await;
    let (form, login) = (site.url("/form"), site.url("/login"));
    let (la, lb) = tokio::join!(a.launch(&form), b.launch(&login));
    let (tab_a, tab_b) =
        (la["activeTargetId"].as_str().unwrap().to_owned(), lb["activeTargetId"].as_str().unwrap().to_owned());
    assert_ne!(tab_a, tab_b, "each agent has a tab of its own");
    assert_ne!(la["tabLeaseId"], lb["tabLeaseId"]);
    let leases = hub.rpc("hub.status", json!({})).await["data"]["tabLeases"].as_array().unwrap().len();
    assert_eq!(leases, 2, "no relay binding was needed");

    let (signed_up, signed_in) = tokio::join!(fill_signup(&a), sign_in(&b));
    assert_eq!(signed_up, "name=Ada;color=blue;agree=yes");
    assert_eq!(signed_in, "Welcome, grace");

    // Each stays out of the other's tab, and sees only its own events.
    let busy = a.call("targets.use", json!({"targetId": tab_b})).await;
    assert_eq!(busy["error"]["code"], "tab_busy", "{busy}");
    assert_eq!(
        (busy["error"]["owner"]["instanceId"].as_str(), busy["error"]["position"].as_u64()),
        (Some("agent-b"), Some(1))
    );
    assert!(busy["error"]["expiresAt"].as_str().is_some(), "{busy}");
    let closing = a.call("targets.close", json!({"targetId": tab_b})).await;
    assert_eq!(closing["error"]["code"], "tab_busy", "{closing}");
    a.ok("page.evaluate", json!({"expression": "console.log('agent a was here')"})).await;
    b.ok("page.evaluate", json!({"expression": "console.log('agent b was here')"})).await;
    let logs_a = a.ok("devtools.consolePoll", json!({"max": 200})).await.to_string();
    let logs_b = b.ok("devtools.consolePoll", json!({"max": 200})).await.to_string();
    assert!(logs_a.contains("agent a was here") && !logs_a.contains("agent b"), "A: {logs_a}");
    assert!(logs_b.contains("agent b was here") && !logs_b.contains("agent a"), "B: {logs_b}");
    let net_b = b.ok("devtools.networkPoll", json!({"max": 200})).await.to_string();
    assert!(net_b.contains("/welcome") && !net_b.contains("/result"), "B sees only its own requests: {net_b}");

    // Each agent's tab is in a group named after it, listed in the popup.
    let shown = wait_for("both agents' tab groups", || async {
        let g = groups(&world).await;
        (g["agent-a"].as_array().is_some_and(|t| t.len() == 1) && g["agent-b"].as_array().is_some_and(|t| t.len() == 1))
            .then_some(g)
    })
    .await;
    assert!(shown["agent-a"][0].as_str().unwrap().contains("/result"), "{shown}");
    let mut popup = world.browser.popup().await;
    popup.wait_status(|t| t.starts_with("connected")).await;
    let mut listed = String::new();
    for _ in 0..50 {
        listed =
            popup.eval("document.getElementById('agents').textContent").await.as_str().unwrap_or_default().to_owned();
        if listed.contains("agent-a: 1 tab") && listed.contains("agent-b: 1 tab") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(listed.contains("Result"), "the tab's title is listed: {listed}");

    // The whole relay waits for the tab leases.
    let refused = hub.rpc("relay.bind", json!({"clientId": CLIENT_ID, "instanceId": "whole"})).await;
    assert_eq!(refused["error"]["code"], "relay_busy", "{refused}");
    assert_eq!(refused["error"]["tabHolders"].as_array().map(Vec::len), Some(2), "{refused}");
    let waiter = tokio::spawn({
        let (port, token) = (hub.daemon_port, hub.token.clone());
        async move {
            rpc(port, &token, "relay.wait", json!({"clientId": CLIENT_ID, "instanceId": "whole", "timeoutMs": 30000}))
                .await
        }
    });
    let third = Agent::start(hub, "agent-c").await;
    let queued = third.call("session.launch", json!({"mode": "extension", "scope": "tab"})).await;
    assert_eq!(queued["error"]["code"], "relay_busy", "no new tab while the relay is waited for: {queued}");

    // B's process dies: its tab lease and group go at once; A keeps working.
    b.kill();
    wait_for("agent-b's group to go", || async { groups(&world).await.get("agent-b").is_none().then_some(()) }).await;
    let left: Vec<String> = hub.rpc("hub.status", json!({})).await["data"]["tabLeases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["owner"]["instanceId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, vec!["agent-a".to_owned()]);
    assert_eq!(a.ok("nav.snapshot", json!({})).await["title"], "Result", "A still drives its tab");
    assert!(!waiter.is_finished(), "the relay still waits for agent-a");

    a.ok("session.disconnect", json!({})).await;
    let granted = waiter.await.unwrap();
    assert_eq!(granted["ok"], true, "the relay is bound once no tab is leased: {granted}");
    wait_for("agent-a's group to go", || async { groups(&world).await.get("agent-a").is_none().then_some(()) }).await;
    let refused = third.call("session.launch", json!({"mode": "extension", "scope": "tab"})).await;
    assert_eq!(refused["error"]["code"], "relay_busy");
    assert_eq!(refused["error"]["owner"]["instanceId"], "whole", "no tab lease while the relay is bound: {refused}");

    // And a tab agent waits for the relay binding: served when it is released.
    let patient = tokio::spawn({
        let (port, token) = (hub.daemon_port, hub.token.clone());
        let launch = json!({"clientId": CLIENT_ID, "instanceId": "agent-c", "mode": "extension", "scope": "tab",
            "startUrl": site.url("/second"), "waitMs": 30000});
        async move { rpc(port, &token, "session.launch", launch).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!patient.is_finished(), "the tab agent waits while the relay is bound");
    let binding = granted["data"]["bindingId"].clone();
    hub.rpc("relay.release", json!({"clientId": CLIENT_ID, "instanceId": "whole", "bindingId": binding})).await;
    let launched = patient.await.unwrap();
    assert_eq!(launched["ok"], true, "served once the relay was released: {launched}");
    a.kill();
    drop(third);
}

async fn rpc(port: u16, token: &str, name: &str, params: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/command"))
        .bearer_auth(token)
        .json(&json!({"name": name, "params": params}))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}
