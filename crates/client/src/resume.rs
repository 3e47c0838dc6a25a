//! What a client remembers of the browser sessions it launched, so that when the hub
//! restarts (another process, a crash) the session goes on: the same mode and scope, its
//! tab claimed again when it is still open. The caller keeps using the session id it got
//! first; the client sends the current one. Pure bookkeeping: the client does the calls.

use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// One session this client launched.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    /// The session's id at the hub now (the caller may know it by an older one).
    pub current: String,
    /// The hub instance it lives in.
    pub hub: String,
    /// `extension`, `managed` or `cdpConnect`, as the hub answered the launch.
    pub mode: String,
    /// `tab` for a tab-scoped extension session.
    pub scope: Option<String>,
    /// What the launch asked for that a relaunch asks for again (`headless`, `chromePath`).
    pub launch: Map<String, Value>,
    /// The tab it works in, as its last results said.
    pub active: Option<String>,
}

/// Every session this client launched, by the id its caller knows.
#[derive(Debug, Default)]
pub struct Remembered {
    sessions: HashMap<String, Tracked>,
}

/// Launch params carried over to a relaunch (a start URL is not: the tab is claimed).
const CARRIED: &[&str] = &["headless", "chromePath", "scope"];

impl Remembered {
    /// `session.launch` with `params` answered `data` in hub `hub`.
    pub fn launched(&mut self, hub: &str, params: &Map<String, Value>, data: &Value) {
        let Some(id) = data["sessionId"].as_str() else { return };
        let launch: Map<String, Value> =
            params.iter().filter(|(k, _)| CARRIED.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        let tracked = Tracked {
            current: id.to_owned(),
            hub: hub.to_owned(),
            mode: data["mode"].as_str().unwrap_or("managed").to_owned(),
            scope: params.get("scope").and_then(Value::as_str).map(str::to_owned),
            launch,
            active: data["activeTargetId"].as_str().map(str::to_owned),
        };
        self.sessions.insert(id.to_owned(), tracked);
    }

    /// The session the caller knows as `id`, if this client launched it.
    pub fn get(&self, id: &str) -> Option<Tracked> {
        self.sessions.get(id).cloned()
    }

    /// Command `name` answered `data` in the session the caller knows as `id`: the tab it
    /// works in may have changed; `session.disconnect` ends it.
    pub fn answered(&mut self, id: &str, name: &str, params: &Map<String, Value>, data: &Value) {
        if name == "session.disconnect" {
            self.sessions.remove(id);
            return;
        }
        let Some(t) = self.sessions.get_mut(id) else { return };
        match name {
            "targets.new" | "page.open" | "targets.use" => {
                let target = data["targetId"].as_str().or(data["activeTargetId"].as_str());
                if let Some(target) = target {
                    t.active = Some(target.to_owned());
                }
            }
            "targets.close" if params.get("targetId").and_then(Value::as_str) == t.active.as_deref() => {
                t.active = None;
            }
            _ => {
                if let Some(active) = data.get("activeTargetId").and_then(Value::as_str) {
                    t.active = Some(active.to_owned());
                }
            }
        }
    }

    /// The session the caller knows as `id` now runs as `current` in hub `hub`, in `active`.
    pub fn moved(&mut self, id: &str, current: &str, hub: &str, active: Option<String>) {
        if let Some(t) = self.sessions.get_mut(id) {
            t.current = current.to_owned();
            t.hub = hub.to_owned();
            t.active = active;
        }
    }

    /// The params of a relaunch of `t`: the same browser (mode) and scope, never another.
    pub fn relaunch_params(t: &Tracked) -> Map<String, Value> {
        let mut params = t.launch.clone();
        let mode = if t.mode == "extension" { "extension" } else { "managed" };
        params.insert("mode".into(), json!(mode));
        params
    }
}

/// The `session_lost` message: the hub restarted, what goes on and what starts over.
pub fn lost_message(t: &Tracked, why: &str) -> String {
    format!(
        "the hub restarted, so session {} was opened again ({}); {why}. The command was not run: run it again \
         (the next command runs in the new session). What starts over: refs (take a new snapshot), \
         console and network logs, dialog policy",
        t.current,
        if t.mode == "extension" { "in the user's Chrome, through the extension" } else { "in a managed browser" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_session_is_remembered_with_its_browser_and_scope_and_follows_its_tab() {
        let mut r = Remembered::default();
        let launch = map(json!({"scope": "tab", "startUrl": "http://x/", "clientId": "c"}));
        r.launched("hub-1", &launch, &json!({"sessionId": "s1", "mode": "extension", "activeTargetId": "T1"}));
        let t = r.get("s1").unwrap();
        assert_eq!((t.mode.as_str(), t.scope.as_deref(), t.active.as_deref()), ("extension", Some("tab"), Some("T1")));
        assert_eq!(Remembered::relaunch_params(&t), map(json!({"scope": "tab", "mode": "extension"})));

        r.answered("s1", "targets.new", &Map::new(), &json!({"targetId": "T2"}));
        assert_eq!(r.get("s1").unwrap().active.as_deref(), Some("T2"));
        r.answered("s1", "targets.close", &map(json!({"targetId": "T2"})), &json!({"ok": true}));
        assert_eq!(r.get("s1").unwrap().active, None);
        r.answered("s1", "targets.list", &Map::new(), &json!({"activeTargetId": "T1", "targets": []}));
        assert_eq!(r.get("s1").unwrap().active.as_deref(), Some("T1"));

        r.moved("s1", "s9", "hub-2", Some("T1".into()));
        assert_eq!((r.get("s1").unwrap().current.as_str(), r.get("s1").unwrap().hub.as_str()), ("s9", "hub-2"));
        r.answered("s1", "session.disconnect", &Map::new(), &json!({}));
        assert_eq!(r.get("s1"), None);
    }

    #[test]
    fn a_managed_session_relaunches_managed_and_never_in_the_users_chrome() {
        let mut r = Remembered::default();
        r.launched("h", &map(json!({"headless": false})), &json!({"sessionId": "m", "mode": "managed"}));
        let t = r.get("m").unwrap();
        assert_eq!(Remembered::relaunch_params(&t), map(json!({"headless": false, "mode": "managed"})));
        let said = lost_message(&t, "its managed browser closed with the old hub");
        assert!(said.contains("managed browser") && said.contains("refs") && said.contains("not run"), "{said}");
    }
}
