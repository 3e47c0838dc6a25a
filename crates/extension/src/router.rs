//! Flat-session CDP routing across many tabs, as a pure state machine (no chrome.* calls).
//!
//! The hub sees a browser: each attached tab is a page target `tab-<tabId>` with a root
//! session `pw-tab-<n>`; iframes and workers inside a tab are Chrome's own child sessions.
//! The router decides what each command needs (a local answer, a `chrome.debugger`
//! command on some debuggee, or a tab operation) and which `Target.*` events to emit when
//! tabs come and go. The wasm driver carries the decisions out.

use pairing::wire::{CdpCommand, CdpEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Message for clients that ask for non-flat sessions.
pub const FLAT_SESSIONS_REQUIRED: &str = "Chrome 125+ required for extension relay (flat sessions).";

/// A `chrome.debugger` target: a tab, optionally one of its child sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Debuggee {
    /// The Chrome tab.
    pub tab_id: i64,
    /// A child session inside the tab (iframe, worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// What to do after a forwarded command succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Nothing.
    Nothing,
    /// Register the returned `sessionId` as a child of this tab.
    RegisterChild(i64),
}

/// What a command needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Answer at once (an `Err` is a CDP error message).
    Reply(Result<Value, String>),
    /// Run `method` on `debuggee` and answer with its result.
    Send {
        /// Where.
        debuggee: Debuggee,
        /// CDP method.
        method: String,
        /// CDP params.
        params: Value,
        /// Follow-up.
        after: After,
    },
    /// Open a tab, attach it, answer `{targetId}`.
    CreateTab {
        /// URL to open.
        url: String,
        /// Open without focusing.
        background: bool,
    },
    /// Detach and close the tab, answer `{success: true}`.
    CloseTab(i64),
    /// Focus the tab, answer `{}`.
    ActivateTab(i64),
    /// Attach an existing tab, answer `{sessionId}`.
    AttachTab(i64),
    /// Detach the tab (it stays open), answer `{}`.
    DetachTab(i64),
    /// No tab is attached: attach the active tab, then plan the command again.
    AttachActiveThenRetry,
    /// List the browser's tabs and answer with [`Router::target_infos`].
    ListTabs,
}

/// A tab as `chrome.tabs.query` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    /// Tab id.
    pub id: i64,
    /// URL.
    pub url: String,
    /// Title.
    pub title: String,
}

#[derive(Debug, Clone)]
struct Root {
    session_id: String,
    url: String,
    title: String,
    announced: bool,
}

#[derive(Debug, Clone, Copy)]
struct AutoAttach {
    wait_for_debugger: bool,
}

/// The router's state: attached tabs, child sessions, and the client's Target settings.
#[derive(Debug, Default)]
pub struct Router {
    roots: BTreeMap<i64, Root>,
    children: HashMap<String, i64>,
    primary: Option<i64>,
    next_session: u32,
    auto_attach: Option<AutoAttach>,
    discover: bool,
    events: Vec<CdpEvent>,
    side_commands: Vec<(Debuggee, String, Value)>,
}

/// `tab-<id>` for a tab id.
pub fn target_id(tab_id: i64) -> String {
    format!("tab-{tab_id}")
}

/// The tab id in a `tab-<id>` target id.
pub fn tab_of_target(target_id: &str) -> Option<i64> {
    target_id.strip_prefix("tab-")?.parse().ok()
}

fn event(method: &str, params: Value, session_id: Option<String>) -> CdpEvent {
    CdpEvent { method: method.to_owned(), params: Some(params), session_id }
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Router::default()
    }

    /// Events to send to the hub, in order (drained).
    pub fn take_events(&mut self) -> Vec<CdpEvent> {
        std::mem::take(&mut self.events)
    }

    /// Fire-and-forget debugger commands to run (drained).
    pub fn take_side_commands(&mut self) -> Vec<(Debuggee, String, Value)> {
        std::mem::take(&mut self.side_commands)
    }

    /// The tab commands without a session go to.
    pub fn primary_tab(&self) -> Option<i64> {
        self.primary
    }

    /// Every attached tab.
    pub fn attached_tabs(&self) -> Vec<i64> {
        self.roots.keys().copied().collect()
    }

    /// The root session of a tab.
    pub fn session_of(&self, tab_id: i64) -> Option<&str> {
        self.roots.get(&tab_id).map(|r| r.session_id.as_str())
    }

    fn target_info(&self, tab_id: i64) -> Value {
        let root = &self.roots[&tab_id];
        json!({"targetId": target_id(tab_id), "type": "page", "title": root.title, "url": root.url,
               "attached": true, "browserContextId": "default"})
    }

    fn announce(&mut self, tab_id: i64) {
        let info = self.target_info(tab_id);
        let Some(root) = self.roots.get_mut(&tab_id) else { return };
        if root.announced {
            return;
        }
        root.announced = true;
        let session = root.session_id.clone();
        let params = json!({"sessionId": session, "targetInfo": info, "waitingForDebugger": false});
        self.events.push(event("Target.attachedToTarget", params, None));
    }

    fn auto_attach_children(&mut self, tab_id: i64, opts: AutoAttach) {
        let params = json!({"autoAttach": true, "waitForDebuggerOnStart": opts.wait_for_debugger, "flatten": true});
        self.side_commands.push((Debuggee { tab_id, session_id: None }, "Target.setAutoAttach".into(), params));
    }

    /// A tab was attached with `chrome.debugger`: register it and announce it as a client expects.
    pub fn tab_attached(&mut self, tab_id: i64, url: &str, title: &str) {
        if !self.roots.contains_key(&tab_id) {
            self.next_session += 1;
            let root = Root {
                session_id: format!("pw-tab-{}", self.next_session),
                url: url.into(),
                title: title.into(),
                announced: false,
            };
            self.roots.insert(tab_id, root);
            if self.discover {
                self.events.push(event("Target.targetCreated", json!({"targetInfo": self.target_info(tab_id)}), None));
            }
        }
        self.primary = Some(tab_id);
        if let Some(opts) = self.auto_attach {
            self.announce(tab_id);
            self.auto_attach_children(tab_id, opts);
        }
    }

    /// A tab's URL or title changed.
    pub fn tab_updated(&mut self, tab_id: i64, url: &str, title: &str) {
        let Some(root) = self.roots.get_mut(&tab_id) else { return };
        root.url = url.into();
        root.title = title.into();
        if self.discover {
            self.events.push(event("Target.targetInfoChanged", json!({"targetInfo": self.target_info(tab_id)}), None));
        }
    }

    /// A tab was detached (closed, detached by the user, or by us): forget it and its children.
    pub fn tab_detached(&mut self, tab_id: i64) {
        let Some(root) = self.roots.remove(&tab_id) else { return };
        self.children.retain(|_, t| *t != tab_id);
        if root.announced {
            let params = json!({"sessionId": root.session_id, "targetId": target_id(tab_id)});
            self.events.push(event("Target.detachedFromTarget", params, None));
        }
        if self.discover {
            self.events.push(event("Target.targetDestroyed", json!({"targetId": target_id(tab_id)}), None));
        }
        if self.primary == Some(tab_id) {
            self.primary = self.roots.keys().next_back().copied();
        }
    }

    /// The `/cdp` client changed: forget what was announced to the old one.
    pub fn client_closed(&mut self) {
        self.auto_attach = None;
        self.discover = false;
        for root in self.roots.values_mut() {
            root.announced = false;
        }
    }

    /// Maps a `chrome.debugger.onEvent` to the event the hub sees, or `None` to drop it.
    pub fn debugger_event(
        &mut self,
        tab_id: i64,
        source_session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Option<CdpEvent> {
        let root_session = self.roots.get(&tab_id)?.session_id.clone();
        match method {
            "Target.receivedMessageFromTarget" => return None,
            "Target.attachedToTarget" => {
                if let Some(child) = params.get("sessionId").and_then(Value::as_str) {
                    self.children.insert(child.to_owned(), tab_id);
                }
            }
            "Target.detachedFromTarget" => {
                if let Some(child) = params.get("sessionId").and_then(Value::as_str) {
                    self.children.remove(child);
                }
            }
            _ => {}
        }
        let session = source_session.map(str::to_owned).unwrap_or(root_session);
        Some(event(method, params, Some(session)))
    }

    /// `Target.getTargets` answer: every tab the debugger may attach to (`tabs`, the active
    /// one first), attached ones with their session info, the others `attached: false`.
    pub fn target_infos(&self, tabs: &[Tab]) -> Value {
        let mut infos: Vec<Value> = Vec::new();
        for tab in tabs {
            if self.roots.contains_key(&tab.id) {
                infos.push(self.target_info(tab.id));
            } else {
                infos.push(json!({"targetId": target_id(tab.id), "type": "page", "title": tab.title, "url": tab.url,
                    "attached": false, "browserContextId": "default"}));
            }
        }
        for tab in self.roots.keys().filter(|id| !tabs.iter().any(|t| t.id == **id)) {
            infos.push(self.target_info(*tab));
        }
        json!({"targetInfos": infos})
    }

    /// Records a child session created by a forwarded `Target.attachToTarget`.
    pub fn register_child(&mut self, tab_id: i64, session_id: &str) {
        if self.roots.contains_key(&tab_id) {
            self.children.insert(session_id.to_owned(), tab_id);
        }
    }

    /// The debuggee for a command's session (`None` session = primary tab).
    fn debuggee(&self, session_id: Option<&str>) -> Result<Option<Debuggee>, String> {
        match session_id {
            None => Ok(self.primary.map(|tab_id| Debuggee { tab_id, session_id: None })),
            Some(s) => {
                if let Some((tab_id, _)) = self.roots.iter().find(|(_, r)| r.session_id == s) {
                    return Ok(Some(Debuggee { tab_id: *tab_id, session_id: None }));
                }
                match self.children.get(s) {
                    Some(tab_id) => Ok(Some(Debuggee { tab_id: *tab_id, session_id: Some(s.to_owned()) })),
                    None => Err(format!("Unknown sessionId: {s}")),
                }
            }
        }
    }

    /// Decides what `cmd` needs. Events it causes are queued for [`take_events`](Self::take_events).
    pub fn plan(&mut self, cmd: &CdpCommand, user_agent: &str) -> Plan {
        let params = cmd.params.clone().unwrap_or_else(|| json!({}));
        let session = cmd.session_id.as_deref();
        let flat_refused = params.get("flatten") == Some(&Value::Bool(false));
        match cmd.method.as_str() {
            "Browser.getVersion" => Plan::Reply(Ok(json!({"protocolVersion": "1.3", "product": "Chrome",
                "revision": "", "userAgent": user_agent, "jsVersion": ""}))),
            "Browser.setDownloadBehavior" => Plan::Reply(Ok(json!({}))),
            "Target.getBrowserContexts" => Plan::Reply(Ok(json!({"browserContextIds": ["default"]}))),
            "Target.setDiscoverTargets" => self.set_discover(params.get("discover") == Some(&Value::Bool(true))),
            "Target.getTargets" => Plan::ListTabs,
            "Target.getTargetInfo" => {
                let tab = params.get("targetId").and_then(Value::as_str).and_then(tab_of_target).or(self.primary);
                let info = tab.filter(|t| self.roots.contains_key(t)).map(|t| self.target_info(t));
                Plan::Reply(Ok(json!({"targetInfo": info})))
            }
            "Target.setAutoAttach" | "Target.attachToTarget" if flat_refused => {
                Plan::Reply(Err(FLAT_SESSIONS_REQUIRED.into()))
            }
            "Target.setAutoAttach" if session.is_none() => self.set_auto_attach(&params),
            "Target.createTarget" => Plan::CreateTab {
                url: params.get("url").and_then(Value::as_str).unwrap_or("about:blank").to_owned(),
                background: params.get("background") == Some(&Value::Bool(true)),
            },
            "Target.closeTarget" => self.with_root_target(&params, Plan::CloseTab),
            "Target.activateTarget" => self.with_root_target(&params, Plan::ActivateTab),
            "Target.attachToTarget" => self.attach_to_target(&params, session),
            "Target.detachFromTarget" => self.detach_from_target(params, session),
            "Target.sendMessageToTarget" => Plan::Reply(Err(
                "Target.sendMessageToTarget is not supported in flat session mode; use sessionId routing.".into(),
            )),
            method => match self.debuggee(session) {
                Ok(Some(debuggee)) => Plan::Send { debuggee, method: method.to_owned(), params, after: After::Nothing },
                Ok(None) => Plan::AttachActiveThenRetry,
                Err(message) => Plan::Reply(Err(message)),
            },
        }
    }

    fn set_discover(&mut self, on: bool) -> Plan {
        if on && !self.discover {
            for tab in self.attached_tabs() {
                self.events.push(event("Target.targetCreated", json!({"targetInfo": self.target_info(tab)}), None));
            }
        }
        self.discover = on;
        Plan::Reply(Ok(json!({})))
    }

    fn set_auto_attach(&mut self, params: &Value) -> Plan {
        let on = params.get("autoAttach") == Some(&Value::Bool(true));
        if on {
            let opts =
                AutoAttach { wait_for_debugger: params.get("waitForDebuggerOnStart") == Some(&Value::Bool(true)) };
            self.auto_attach = Some(opts);
            for tab in self.attached_tabs() {
                self.announce(tab);
                self.auto_attach_children(tab, opts);
            }
        } else {
            self.auto_attach = None;
            for (tab, root) in self.roots.iter_mut().filter(|(_, r)| r.announced) {
                root.announced = false;
                let params = json!({"sessionId": root.session_id, "targetId": target_id(*tab)});
                self.events.push(event("Target.detachedFromTarget", params, None));
            }
        }
        Plan::Reply(Ok(json!({})))
    }

    fn with_root_target(&self, params: &Value, plan: fn(i64) -> Plan) -> Plan {
        let Some(target) = params.get("targetId").and_then(Value::as_str) else {
            return Plan::Reply(Err("Missing targetId".into()));
        };
        match tab_of_target(target).filter(|t| self.roots.contains_key(t)) {
            Some(tab) => plan(tab),
            None => Plan::Reply(Err(format!("Target not found: {target}"))),
        }
    }

    fn attach_to_target(&self, params: &Value, session: Option<&str>) -> Plan {
        let Some(target) = params.get("targetId").and_then(Value::as_str) else {
            return Plan::Reply(Err("Missing targetId".into()));
        };
        if let Some(tab) = tab_of_target(target) {
            return match self.roots.get(&tab) {
                Some(root) => Plan::Reply(Ok(json!({"sessionId": root.session_id}))),
                None => Plan::AttachTab(tab),
            };
        }
        match self.debuggee(session) {
            Ok(Some(debuggee)) => Plan::Send {
                after: After::RegisterChild(debuggee.tab_id),
                debuggee,
                method: "Target.attachToTarget".into(),
                params: json!({"targetId": target, "flatten": true}),
            },
            Ok(None) => Plan::AttachActiveThenRetry,
            Err(message) => Plan::Reply(Err(message)),
        }
    }

    fn detach_from_target(&self, params: Value, session: Option<&str>) -> Plan {
        let Some(target_session) = params.get("sessionId").and_then(Value::as_str) else {
            return Plan::Reply(Err("Missing sessionId".into()));
        };
        if let Some((tab, _)) = self.roots.iter().find(|(_, r)| r.session_id == target_session) {
            return Plan::DetachTab(*tab);
        }
        match (self.children.get(target_session), self.debuggee(session)) {
            (Some(tab), _) => Plan::Send {
                debuggee: Debuggee { tab_id: *tab, session_id: None },
                method: "Target.detachFromTarget".into(),
                params,
                after: After::Nothing,
            },
            (None, _) => Plan::Reply(Err(format!("Unknown sessionId: {target_session}"))),
        }
    }
}
