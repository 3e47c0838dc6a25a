//! What each command needs ([`Router::plan`]), and the browser-level `Target.*` and
//! `Browser.*` methods a CDP client sends on connect that `chrome.debugger` refuses
//! ("Not allowed") or cannot know: they are answered here from the router's own state,
//! or turned into tab operations (`createTarget` → `chrome.tabs.create`, …).

use super::{
    event, After, AutoAttach, Debuggee, Plan, Router, BROWSER_SESSION, BROWSER_TARGET_ID, FLAT_SESSIONS_REQUIRED,
};
use pairing::wire::CdpCommand;
use serde_json::{json, Value};

impl Router {
    /// Decides what `cmd` needs. Events it causes are queued for [`take_events`](Self::take_events).
    pub fn plan(&mut self, cmd: &CdpCommand, user_agent: &str) -> Plan {
        let params = cmd.params.clone().unwrap_or_else(|| json!({}));
        // The browser session (`Target.attachToBrowserTarget`) is the browser itself.
        let session = cmd.session_id.as_deref().filter(|s| *s != BROWSER_SESSION);
        let flat_refused = params.get("flatten") == Some(&Value::Bool(false));
        match cmd.method.as_str() {
            "Browser.getVersion" => Plan::Reply(Ok(json!({"protocolVersion": "1.3", "product": product(user_agent),
                "revision": "", "userAgent": user_agent, "jsVersion": ""}))),
            "Browser.setDownloadBehavior" => {
                let events = params.get("eventsEnabled") == Some(&Value::Bool(true));
                let deny = params.get("behavior").and_then(Value::as_str) == Some("deny");
                self.watch_downloads(events && !deny);
                Plan::Reply(Ok(json!({})))
            }
            "Browser.cancelDownload" => self.cancel_download(&params),
            "Target.getBrowserContexts" => Plan::Reply(Ok(json!({"browserContextIds": ["default"]}))),
            "Target.attachToBrowserTarget" => Plan::Reply(Ok(json!({"sessionId": BROWSER_SESSION}))),
            "Target.setDiscoverTargets" => self.set_discover(params.get("discover") == Some(&Value::Bool(true))),
            "Target.getTargets" => Plan::ListTabs,
            // The hub's own requests (not CDP): show an agent's tabs as a tab group.
            "Extension.groupTabs" => Plan::GroupTabs {
                tabs: self.tabs_of(&params),
                title: params.get("title").and_then(Value::as_str).unwrap_or("agent").to_owned(),
                color: params.get("color").and_then(Value::as_str).unwrap_or("grey").to_owned(),
            },
            "Extension.ungroupTabs" => Plan::UngroupTabs(self.tabs_of(&params)),
            "Extension.tidyAgentTabs" => Plan::TidyAgentTabs {
                keep: params
                    .get("keep")
                    .and_then(Value::as_array)
                    .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
            },
            "Target.getTargetInfo" => Plan::Reply(Ok(json!({"targetInfo": self.target_info_for(&params, session)}))),
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

    /// Whether the driver should attach the active tab before planning `cmd`: a client
    /// turning auto-attach on while no tab is attached expects the open page to be announced.
    pub fn wants_a_tab(&self, cmd: &CdpCommand) -> bool {
        let on = cmd.params.as_ref().and_then(|p| p.get("autoAttach")) == Some(&Value::Bool(true));
        cmd.method == "Target.setAutoAttach"
            && on
            && self.roots.is_empty()
            && cmd.session_id.as_deref().is_none_or(|s| s == BROWSER_SESSION)
    }

    /// Gives `tab`'s root session to a client (`Target.attachToTarget`); it will hear
    /// `Target.detachedFromTarget` when the tab goes.
    pub fn hand_out(&mut self, tab_id: i64) -> Option<String> {
        let root = self.roots.get_mut(&tab_id)?;
        root.handed_out = true;
        Some(root.session_id.clone())
    }

    /// `Target.getTargetInfo`: the named target, the session's own tab, or (browser-level,
    /// no target) the browser.
    fn target_info_for(&self, params: &Value, session: Option<&str>) -> Value {
        if let Some(target) = params.get("targetId").and_then(Value::as_str) {
            let tab = self.tab_of_target(target).filter(|t| self.roots.contains_key(t));
            return tab.map_or(Value::Null, |t| self.target_info(t));
        }
        match session.map(|s| self.debuggee(Some(s))) {
            Some(Ok(Some(debuggee))) => self.target_info(debuggee.tab_id),
            Some(_) => Value::Null,
            None => json!({"targetId": BROWSER_TARGET_ID, "type": "browser", "title": "", "url": "",
                "attached": true, "canAccessOpener": false}),
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
            for root in self.roots.values_mut().filter(|r| r.announced) {
                root.announced = false;
                let params = json!({"sessionId": root.session_id, "targetId": root.target_id});
                self.events.push(event("Target.detachedFromTarget", params, None));
            }
        }
        Plan::Reply(Ok(json!({})))
    }

    /// The tabs of `params.targetIds` this router knows (gone ones are skipped).
    fn tabs_of(&self, params: &Value) -> Vec<i64> {
        let ids = params.get("targetIds").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        ids.iter().filter_map(|t| self.tab_of_target(t.as_str()?)).collect()
    }

    fn with_root_target(&self, params: &Value, plan: fn(i64) -> Plan) -> Plan {
        let Some(target) = params.get("targetId").and_then(Value::as_str) else {
            return Plan::Reply(Err("Missing targetId".into()));
        };
        match self.tab_of_target(target).filter(|t| self.roots.contains_key(t)) {
            Some(tab) => plan(tab),
            None => Plan::Reply(Err(format!("Target not found: {target}"))),
        }
    }

    fn attach_to_target(&mut self, params: &Value, session: Option<&str>) -> Plan {
        let Some(target) = params.get("targetId").and_then(Value::as_str) else {
            return Plan::Reply(Err("Missing targetId".into()));
        };
        if let Some(tab) = self.tab_of_target(target) {
            return match self.hand_out(tab) {
                Some(session) => Plan::Reply(Ok(json!({"sessionId": session}))),
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

/// `Chrome/<version>` (or `HeadlessChrome/<version>`) from the user agent, as Chrome's own
/// `Browser.getVersion` names its product; plain `Chrome` if the agent has none.
fn product(user_agent: &str) -> &str {
    user_agent
        .split_whitespace()
        .find(|t| t.starts_with("Chrome/") || t.starts_with("HeadlessChrome/"))
        .unwrap_or("Chrome")
}
