//! Flat-session CDP routing across many tabs, as a pure state machine (no chrome.* calls).
//!
//! The hub (and a `/cdp` client such as Playwright) sees a browser: each attached tab is a
//! page target under Chrome's own target id (from `chrome.debugger.getTargets`, so it
//! equals the main frame's id, as CDP clients expect) with a root session `pw-tab-<n>`;
//! iframes and workers inside a tab are Chrome's own child sessions. The tab-id mapping
//! stays in here. The router decides what each command needs (a local answer, a
//! `chrome.debugger` command on some debuggee, or a tab operation) and which `Target.*`
//! events to emit when tabs come and go; [`target_domain`] holds the `Target.*` rules.
//! The wasm driver carries the decisions out.

mod downloads;
mod target_domain;

pub use downloads::DownloadItem;

use pairing::wire::CdpEvent;
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
    /// Show these tabs as one tab group (an agent's tabs), answer `{groupId}`.
    GroupTabs {
        /// The tabs.
        tabs: Vec<i64>,
        /// The group's title (the agent's name).
        title: String,
        /// Its colour (`blue`, `red`, …).
        color: String,
    },
    /// Cancel this `chrome.downloads` download, answer `{}`.
    CancelDownload(i64),
    /// Take these tabs out of their group, answer `{}`.
    UngroupTabs(Vec<i64>),
    /// Tidy the agent tab groups of sessions that no longer exist: every tab in a group the
    /// hub made, untouched for a while, whose target is not in `keep` leaves its group, and
    /// is closed if an agent opened it; answer `{ungrouped, closed}`.
    TidyAgentTabs {
        /// The target ids of tabs live sessions still own.
        keep: Vec<String>,
    },
}

/// A tab as `chrome.tabs.query` reports it, with its target id from
/// `chrome.debugger.getTargets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    /// Tab id.
    pub id: i64,
    /// Chrome's target id for the tab ([`fallback_target_id`] if Chrome did not say).
    pub target_id: String,
    /// URL.
    pub url: String,
    /// Title.
    pub title: String,
}

#[derive(Debug, Clone)]
struct Root {
    session_id: String,
    target_id: String,
    url: String,
    title: String,
    /// A client was told of it with `Target.attachedToTarget` (auto-attach).
    announced: bool,
    /// A client got its session from `Target.attachToTarget` (it must hear the detach).
    handed_out: bool,
}

#[derive(Debug, Clone, Copy)]
struct AutoAttach {
    wait_for_debugger: bool,
}

/// The router's state: attached tabs, child sessions, and the client's Target settings.
#[derive(Debug, Default)]
pub struct Router {
    roots: BTreeMap<i64, Root>,
    /// Target ids of tabs seen in listings but not attached.
    known: HashMap<String, i64>,
    children: HashMap<String, i64>,
    primary: Option<i64>,
    next_session: u32,
    auto_attach: Option<AutoAttach>,
    discover: bool,
    events: Vec<CdpEvent>,
    downloads_watched: bool,
    downloads: Vec<downloads::Download>,
    side_commands: Vec<(Debuggee, String, Value)>,
}

/// `tab-<id>`: the target id of a tab Chrome gave none for (still accepted as an alias).
pub fn fallback_target_id(tab_id: i64) -> String {
    format!("tab-{tab_id}")
}

/// The session a client gets from `Target.attachToBrowserTarget`: commands on it are
/// browser-level, as if sent without a session.
pub const BROWSER_SESSION: &str = "pw-browser";

/// The browser's own target id, as `Target.getTargetInfo` without a target reports it.
pub const BROWSER_TARGET_ID: &str = "browser";

fn event(method: &str, params: Value, session_id: Option<String>) -> CdpEvent {
    CdpEvent { method: method.to_owned(), params: Some(params), session_id }
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Router::default()
    }

    /// An empty router whose root sessions are numbered after `first` (`pw-tab-<first+1>`,
    /// …). A restarted service worker starts from a number of its own (the time it
    /// started), so a session name the hub still holds from the previous worker never
    /// names another tab in this one: it is unknown, and the hub attaches again.
    pub fn numbering_from(first: u32) -> Self {
        Router { next_session: first, ..Router::default() }
    }

    /// Whether `target_id` names a tab this router knows (attached, seen in a listing, or
    /// a `tab-<id>` alias).
    pub fn knows_target(&self, target_id: &str) -> bool {
        self.tab_of_target(target_id).is_some()
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
        json!({"targetId": root.target_id, "type": "page", "title": root.title, "url": root.url,
               "attached": true, "browserContextId": "default"})
    }

    /// The target id clients know `tab_id` by.
    pub fn target_of(&self, tab_id: i64) -> String {
        if let Some(root) = self.roots.get(&tab_id) {
            return root.target_id.clone();
        }
        let known = self.known.iter().find(|(_, t)| **t == tab_id).map(|(id, _)| id.clone());
        known.unwrap_or_else(|| fallback_target_id(tab_id))
    }

    /// The tab a target id names: an attached tab, one seen in a listing, or `tab-<id>`.
    pub fn tab_of_target(&self, target_id: &str) -> Option<i64> {
        if let Some((tab, _)) = self.roots.iter().find(|(_, r)| r.target_id == target_id) {
            return Some(*tab);
        }
        if let Some(tab) = self.known.get(target_id) {
            return Some(*tab);
        }
        target_id.strip_prefix("tab-")?.parse().ok()
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

    /// A tab was attached with `chrome.debugger`: register it under Chrome's `target_id`
    /// and announce it as a client expects.
    pub fn tab_attached(&mut self, tab_id: i64, target_id: &str, url: &str, title: &str) {
        if !self.roots.contains_key(&tab_id) {
            self.next_session += 1;
            self.known.retain(|_, t| *t != tab_id);
            let root = Root {
                session_id: format!("pw-tab-{}", self.next_session),
                target_id: target_id.into(),
                url: url.into(),
                title: title.into(),
                announced: false,
                handed_out: false,
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

    /// A tab was detached (closed, detached by the user, or by us): forget it and its
    /// children; whoever held its session hears `Target.detachedFromTarget`.
    pub fn tab_detached(&mut self, tab_id: i64) {
        let Some(root) = self.roots.remove(&tab_id) else { return };
        self.children.retain(|_, t| *t != tab_id);
        // Still known by its id: a client may attach to it again.
        self.known.insert(root.target_id.clone(), tab_id);
        if root.announced || root.handed_out {
            let params = json!({"sessionId": root.session_id, "targetId": root.target_id});
            self.events.push(event("Target.detachedFromTarget", params, None));
        }
        if self.discover {
            self.events.push(event("Target.targetDestroyed", json!({"targetId": root.target_id}), None));
        }
        if self.primary == Some(tab_id) {
            self.primary = self.roots.keys().next_back().copied();
        }
    }

    /// The `/cdp` client changed: forget what was announced to the old one (the driver
    /// also detaches every tab, so the next client starts from a clean debugger state).
    pub fn client_closed(&mut self) {
        self.auto_attach = None;
        self.discover = false;
        for root in self.roots.values_mut() {
            root.announced = false;
        }
    }

    /// Maps a `chrome.debugger.onEvent` to the event the hub sees, or `None` to drop it.
    /// Browser-level events it causes (downloads) are queued for [`take_events`](Self::take_events).
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
            "Page.downloadWillBegin" | "Page.downloadProgress" => self.page_download_event(method, &params),
            _ => {}
        }
        let session = source_session.map(str::to_owned).unwrap_or(root_session);
        Some(event(method, params, Some(session)))
    }

    /// `Target.getTargets` answer: every tab the debugger may attach to (`tabs`, the active
    /// one first), attached ones with their session info, the others `attached: false`.
    /// Their target ids are remembered, so a client can attach to one by it.
    pub fn target_infos(&mut self, tabs: &[Tab]) -> Value {
        let mut infos: Vec<Value> = Vec::new();
        for tab in tabs {
            if self.roots.contains_key(&tab.id) {
                infos.push(self.target_info(tab.id));
            } else {
                self.known.insert(tab.target_id.clone(), tab.id);
                infos.push(json!({"targetId": tab.target_id, "type": "page", "title": tab.title, "url": tab.url,
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
}
