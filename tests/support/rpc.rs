//! Calling browser commands as the end-to-end client: with its identity and binding, in a
//! session, and finding refs in snapshots.

use crate::hub_process::{HubProcess, CLIENT_ID};
use crate::oracle::PlainChromium;
use serde_json::{json, Value};

/// Calls a browser command as the e2e client (with its binding, if any); returns the reply.
pub async fn cmd(hub: &HubProcess, binding: &Value, name: &str, mut params: Value) -> Value {
    params["clientId"] = json!(CLIENT_ID);
    params["instanceId"] = json!("e2e");
    params["bindingId"] = binding.clone();
    hub.rpc(name, params).await
}

/// [`cmd`], failing the test unless it succeeds; returns its data.
pub async fn ok(hub: &HubProcess, binding: &Value, name: &str, params: Value) -> Value {
    let reply = cmd(hub, binding, name, params).await;
    assert_eq!(reply["ok"], true, "{name} failed: {reply}");
    reply["data"].clone()
}

/// [`cmd`], failing the test unless it fails with `code`; returns the error.
pub async fn fails(hub: &HubProcess, binding: &Value, name: &str, params: Value, code: &str) -> Value {
    let reply = cmd(hub, binding, name, params).await;
    assert_eq!(reply["error"]["code"], code, "{name}: {reply}");
    reply["error"].clone()
}

/// `extra` with the session id added.
pub fn in_session(session: &Value, extra: Value) -> Value {
    let mut params = json!({"sessionId": session});
    params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    params
}

/// The ref on the snapshot line containing `needle`.
pub fn ref_of(snapshot: &str, needle: &str) -> String {
    let line = snapshot.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?} in\n{snapshot}"));
    line.trim().trim_start_matches('[').split(']').next().unwrap().to_owned()
}

/// A browser session of the e2e client on one hub, with the binding it used.
pub struct Driver<'a> {
    /// The hub.
    pub hub: &'a HubProcess,
    /// The binding (null for managed and connected sessions).
    pub binding: Value,
    /// The session id.
    pub session: Value,
}

impl<'a> Driver<'a> {
    /// Binds the relay as the e2e client and launches a session in the user's Chrome
    /// (through the extension).
    pub async fn in_users_chrome(hub: &'a HubProcess) -> Driver<'a> {
        let bound = hub.rpc("relay.bind", json!({"clientId": CLIENT_ID, "instanceId": "e2e"})).await;
        let binding = bound["data"]["bindingId"].clone();
        let launched = ok(hub, &binding, "session.launch", json!({"mode": "extension"})).await;
        Driver { hub, binding, session: launched["sessionId"].clone() }
    }

    /// Launches a managed Chromium session (no binding) that starts at `start_url`.
    pub async fn in_managed_chromium(hub: &'a HubProcess, start_url: &str) -> Driver<'a> {
        let launched = ok(hub, &Value::Null, "session.launch", json!({"mode": "managed", "startUrl": start_url})).await;
        Driver { hub, binding: Value::Null, session: launched["sessionId"].clone() }
    }

    /// Attaches a session (no binding) to `chromium` by its DevTools port with
    /// `session.connect`: connected mode, a browser the hub did not launch.
    pub async fn in_connected_chromium(hub: &'a HubProcess, chromium: &PlainChromium) -> Driver<'a> {
        let connected = ok(hub, &Value::Null, "session.connect", json!({"port": chromium.devtools_port})).await;
        // The wire word is upstream's `cdpConnect` (the contract's doc says `connected`).
        assert_eq!(connected["mode"], "cdpConnect", "{connected}");
        Driver { hub, binding: Value::Null, session: connected["sessionId"].clone() }
    }

    /// A connected session made with `session.connect` `params` (a remote endpoint, a Grid).
    pub async fn connected(hub: &'a HubProcess, params: Value) -> Driver<'a> {
        let connected = ok(hub, &Value::Null, "session.connect", params).await;
        Driver { hub, binding: Value::Null, session: connected["sessionId"].clone() }
    }

    /// Runs `name` in the session; the whole reply (ok or not).
    pub async fn call(&self, name: &str, extra: Value) -> Value {
        cmd(self.hub, &self.binding, name, in_session(&self.session, extra)).await
    }

    /// Runs `name` in the session; its data.
    pub async fn ok(&self, name: &str, extra: Value) -> Value {
        ok(self.hub, &self.binding, name, in_session(&self.session, extra)).await
    }

    /// Runs `name` in the session expecting `code`; the error.
    pub async fn fails(&self, name: &str, extra: Value, code: &str) -> Value {
        fails(self.hub, &self.binding, name, in_session(&self.session, extra), code).await
    }

    /// Snapshot of the active tab; its content.
    pub async fn snapshot(&self) -> String {
        self.ok("nav.snapshot", json!({})).await["content"].as_str().unwrap().to_owned()
    }

    /// Waits until the page shows `text`.
    pub async fn wait_text(&self, text: &str) {
        self.ok("nav.wait", json!({"text": text, "timeoutMs": 10000})).await;
    }
}
