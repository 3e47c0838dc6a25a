//! Carries the router's plans out with `chrome.debugger` and `chrome.tabs`, answers the
//! hub, and turns debugger events and tab changes into CDP events.

use crate::chrome::{self, error_message, from_js, to_js};
use crate::core::{connected, send_frame, with_core};
use crate::router::{fallback_target_id, After, Debuggee, Plan, Tab};
use pairing::wire::{CdpCommand, CdpEvent, CdpResponse, ExtensionFrame};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

/// The fields of a `chrome.tabs.Tab` the core uses.
#[derive(Debug, Clone, Deserialize)]
pub struct TabInfo {
    /// Tab id.
    pub id: i64,
    /// Current URL (empty when the extension may not see it).
    #[serde(default)]
    pub url: String,
    /// Current title.
    #[serde(default)]
    pub title: String,
    /// The tab group it is in (-1 or absent: none).
    #[serde(default, rename = "groupId")]
    pub group_id: Option<i64>,
}

/// Pages `chrome.debugger` may attach to.
pub fn attachable(url: &str) -> bool {
    ["http://", "https://", "file://", "about:blank", "data:"].iter().any(|p| url.starts_with(p))
}

fn tab_target(tab_id: i64) -> JsValue {
    to_js(&Debuggee { tab_id, session_id: None })
}

/// Answers one forwarded command (if the socket it came on is still current).
pub async fn handle_command(generation: u64, cmd: CdpCommand) {
    let result = run(&cmd).await;
    flush_router();
    if with_core(|c| c.generation_is(generation)) != Some(true) {
        return;
    }
    let (result, error) = match result {
        Ok(v) => (Some(v), None),
        Err(message) => (None, Some(json!({"message": message}))),
    };
    send_frame(&ExtensionFrame::Response(CdpResponse { id: cmd.id, result, error, session_id: cmd.session_id }));
}

async fn run(cmd: &CdpCommand) -> Result<Value, String> {
    if with_core(|c| c.router.wants_a_tab(cmd)) == Some(true) {
        // No tab to announce yet: attach the active one (none attachable is not an error).
        let _ = ensure_primary_tab().await;
    }
    if names_unknown_tab(cmd) {
        // A target id this worker has not listed yet (it restarted since the hub learnt
        // it): list the tabs, so the router can tell a tab from an iframe or worker.
        let tabs = attachable_tabs().await;
        with_core(|c| c.router.target_infos(&tabs));
    }
    for _ in 0..2 {
        let plan = with_core(|c| {
            let ua = c.user_agent.clone();
            c.router.plan(cmd, &ua)
        })
        .ok_or("extension core not started")?;
        flush_router();
        return match plan {
            Plan::Reply(result) => result,
            Plan::Send { debuggee, method, params, after } => {
                let result = send(&debuggee, &method, &params).await?;
                if let (After::RegisterChild(tab), Some(session)) = (after, result["sessionId"].as_str()) {
                    with_core(|c| c.router.register_child(tab, session));
                }
                Ok(result)
            }
            Plan::CreateTab { url, background } => create_tab(&url, background).await,
            Plan::CloseTab(tab) => {
                detach(tab).await;
                chrome::tabs_remove(tab as i32).await.map_err(|e| error_message(&e))?;
                Ok(json!({"success": true}))
            }
            Plan::ActivateTab(tab) => {
                chrome::tabs_update(tab as i32, &to_js(&json!({"active": true})))
                    .await
                    .map_err(|e| error_message(&e))?;
                Ok(json!({}))
            }
            Plan::AttachTab(tab) => {
                attach(tab).await?;
                let session = with_core(|c| c.router.hand_out(tab)).flatten();
                Ok(json!({"sessionId": session}))
            }
            Plan::DetachTab(tab) => {
                detach(tab).await;
                Ok(json!({}))
            }
            Plan::AttachActiveThenRetry => {
                ensure_primary_tab().await?;
                continue;
            }
            Plan::ListTabs => {
                let tabs = attachable_tabs().await;
                Ok(with_core(|c| c.router.target_infos(&tabs)).unwrap_or(Value::Null))
            }
            Plan::GroupTabs { tabs, title, color } => group_tabs(&tabs, &title, &color).await,
            Plan::UngroupTabs(tabs) => {
                if !tabs.is_empty() {
                    chrome::tabs_ungroup(&to_js(&tabs)).await.map_err(|e| error_message(&e))?;
                }
                Ok(json!({}))
            }
            Plan::TidyAgentTabs { keep } => tidy_agent_tabs(&keep).await,
            Plan::CancelDownload(id) => {
                downloads_cancel(id as i32).await.map_err(|e| error_message(&e))?;
                Ok(json!({}))
            }
        };
    }
    Err("no tab could be attached".into())
}

/// Whether `cmd` names by target id a tab the router does not know.
fn names_unknown_tab(cmd: &CdpCommand) -> bool {
    let by_target =
        matches!(cmd.method.as_str(), "Target.attachToTarget" | "Target.closeTarget" | "Target.activateTarget");
    let target = cmd.params.as_ref().and_then(|p| p.get("targetId")).and_then(Value::as_str);
    match target {
        Some(target) if by_target => with_core(|c| !c.router.knows_target(target)).unwrap_or(false),
        _ => false,
    }
}

async fn send(debuggee: &Debuggee, method: &str, params: &Value) -> Result<Value, String> {
    let result = chrome::debugger_send_command(&to_js(debuggee), method, &to_js(params)).await;
    match result {
        Ok(v) => Ok(from_js::<Value>(v).unwrap_or(Value::Object(Default::default()))),
        Err(e) => Err(cdp_error_message(&e)),
    }
}

/// Chrome rejects with an Error whose message may itself be a CDP error JSON.
fn cdp_error_message(error: &JsValue) -> String {
    let message = error_message(error);
    serde_json::from_str::<Value>(&message)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or(message)
}

/// Puts an agent's tabs in one group titled with its name, and lists the group for the
/// popup (`agentGroups` in `chrome.storage.session`: group id → title, colour and when it
/// last changed; it outlives a worker restart).
async fn group_tabs(tabs: &[i64], title: &str, color: &str) -> Result<Value, String> {
    if tabs.is_empty() {
        return Ok(json!({}));
    }
    let group = chrome::tabs_group(&to_js(&json!({"tabIds": tabs}))).await.map_err(|e| error_message(&e))?;
    let group_id = group.as_f64().ok_or("chrome.tabs.group returned no group id")? as i32;
    let props = to_js(&json!({"title": title, "color": color, "collapsed": false}));
    chrome::tab_groups_update(group_id, &props).await.map_err(|e| error_message(&e))?;
    let mut groups = stored(AGENT_GROUPS).await;
    groups[group_id.to_string()] = json!({"title": title, "color": color, "at": crate::core::now_ms()});
    with_core(|c| c.agent_groups.insert(group_id, groups[group_id.to_string()].clone()));
    let _ = chrome::storage_session_set(&to_js(&json!({ AGENT_GROUPS: groups }))).await;
    Ok(json!({"groupId": group_id}))
}

/// `chrome.storage.session` keys: the groups made for agents, and the tabs opened for a
/// client (`Target.createTarget`).
const AGENT_GROUPS: &str = "agentGroups";
const OPENED_TABS: &str = "openedTabs";

/// An agent group changed this recently is a live session's, whatever the hub's list says
/// (a session may be opening while the hub asks to tidy).
const TIDY_AFTER_MS: u64 = 30_000;

/// One `chrome.storage.session` record (an empty object when absent).
async fn stored(key: &str) -> Value {
    let got = chrome::storage_session_get(&to_js(&json!([key]))).await.ok().and_then(from_js::<Value>);
    got.and_then(|v| v.get(key).cloned()).filter(Value::is_object).unwrap_or_else(|| json!({}))
}

/// The tabs of agent groups whose session is gone: each leaves its group, and a tab a
/// client opened (never one the user had) is closed. Groups changed in the last
/// [`TIDY_AFTER_MS`] and tabs whose target is in `keep` are left alone.
async fn tidy_agent_tabs(keep: &[String]) -> Result<Value, String> {
    let groups = stored(AGENT_GROUPS).await;
    let opened = stored(OPENED_TABS).await;
    let now = crate::core::now_ms();
    let stale = |group: i64| {
        groups
            .get(group.to_string())
            .is_some_and(|g| now.saturating_sub(g["at"].as_u64().unwrap_or(0)) >= TIDY_AFTER_MS)
    };
    let targets = tab_target_ids().await;
    let (mut ungrouped, mut closed) = (0, 0);
    let tabs = query_tabs(json!({})).await;
    for tab in &tabs {
        if !tab.group_id.is_some_and(|g| g >= 0 && stale(g)) {
            continue;
        }
        let target = targets.get(&tab.id).cloned().unwrap_or_else(|| fallback_target_id(tab.id));
        if keep.contains(&target) {
            continue;
        }
        if opened.get(tab.id.to_string()).is_some() {
            detach(tab.id).await;
            if chrome::tabs_remove(tab.id as i32).await.is_ok() {
                closed += 1;
            }
        } else if chrome::tabs_ungroup(&to_js(&[tab.id])).await.is_ok() {
            ungrouped += 1;
        }
    }
    // Forget opened tabs that are gone.
    let open: Vec<String> = tabs.iter().map(|t| t.id.to_string()).collect();
    if let Value::Object(mut opened) = opened {
        opened.retain(|id, _| open.contains(id));
        let _ = chrome::storage_session_set(&to_js(&json!({ OPENED_TABS: opened }))).await;
    }
    Ok(json!({"ungrouped": ungrouped, "closed": closed}))
}

async fn create_tab(url: &str, background: bool) -> Result<Value, String> {
    let tab = chrome::tabs_create(&to_js(&json!({"url": url, "active": !background})))
        .await
        .map_err(|e| error_message(&e))?;
    let tab: TabInfo = from_js(tab).ok_or("chrome.tabs.create returned no tab")?;
    // Remembered as opened for a client: tidying may close it once its agent is gone.
    let mut opened = stored(OPENED_TABS).await;
    opened[tab.id.to_string()] = json!(crate::core::now_ms());
    let _ = chrome::storage_session_set(&to_js(&json!({ OPENED_TABS: opened }))).await;
    attach(tab.id).await?;
    Ok(json!({"targetId": with_core(|c| c.router.target_of(tab.id))}))
}

/// Chrome's own target id of every tab (`chrome.debugger.getTargets`): the id CDP clients
/// must see, since it is also the id of the tab's main frame.
async fn tab_target_ids() -> std::collections::HashMap<i64, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TargetInfo {
        id: String,
        #[serde(default)]
        tab_id: Option<i64>,
    }
    let targets = chrome::debugger_get_targets().await.ok().and_then(from_js::<Vec<TargetInfo>>).unwrap_or_default();
    targets.into_iter().filter_map(|t| Some((t.tab_id?, t.id))).collect()
}

/// Attaches the debugger to a tab and registers it with the router.
pub async fn attach(tab_id: i64) -> Result<(), String> {
    // A detach still in flight (the hub's `detach_all` just before a new session) would
    // end this attachment right after it is made: wait for it first.
    while DETACHING.with(|d| d.borrow().contains(&tab_id)) {
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    if with_core(|c| c.router.session_of(tab_id).is_some()) == Some(true) {
        return Ok(());
    }
    if let Err(e) = chrome::debugger_attach(&tab_target(tab_id), "1.3").await {
        let message = error_message(&e);
        if message.contains("No tab with given id") {
            return Err(format!("Target not found: the tab was closed ({message})"));
        }
        if !message.contains("Another debugger is already attached") {
            return Err(format!("Debugger attach failed ({message}). Close DevTools for the tab and retry."));
        }
    }
    let tab: Option<TabInfo> = chrome::tabs_get(tab_id as i32).await.ok().and_then(from_js);
    let (url, title) = tab.map_or((String::new(), String::new()), |t| (t.url, t.title));
    let target = tab_target_ids().await.remove(&tab_id).unwrap_or_else(|| fallback_target_id(tab_id));
    with_core(|c| c.router.tab_attached(tab_id, &target, &url, &title));
    flush_router();
    Ok(())
}

thread_local! {
    /// Tabs whose detach is in flight; [`attach`] waits for them.
    static DETACHING: std::cell::RefCell<std::collections::HashSet<i64>> = Default::default();
}

async fn detach(tab_id: i64) {
    let _ = chrome::debugger_detach(&tab_target(tab_id)).await;
    with_core(|c| c.router.tab_detached(tab_id));
    DETACHING.with(|d| d.borrow_mut().remove(&tab_id));
    flush_router();
}

/// Detaches every tab (the relay connection ended or the hub asked). The tabs count as
/// detaching at once, so a command right behind cannot reuse an attachment that is ending.
pub fn detach_all() {
    let tabs = with_core(|c| c.router.attached_tabs()).unwrap_or_default();
    for tab in tabs {
        DETACHING.with(|d| d.borrow_mut().insert(tab));
        spawn_local(detach(tab));
    }
}

/// The tab commands without a session go to: the attached primary, else the active
/// attachable tab, else any attachable tab.
pub async fn ensure_primary_tab() -> Result<TabInfo, String> {
    if let Some(tab) = with_core(|c| c.router.primary_tab()).flatten() {
        if let Some(info) = chrome::tabs_get(tab as i32).await.ok().and_then(from_js::<TabInfo>) {
            return Ok(info);
        }
    }
    let mut candidates = query_tabs(json!({"active": true, "lastFocusedWindow": true})).await;
    candidates.extend(query_tabs(json!({})).await);
    let tab = candidates
        .into_iter()
        .find(|t| attachable(&t.url))
        .ok_or("No attachable tab: open a web page (chrome:// pages cannot be debugged) and retry.")?;
    attach(tab.id).await?;
    Ok(tab)
}

/// Every tab the debugger may attach to, the active one of the focused window first.
async fn attachable_tabs() -> Vec<Tab> {
    let active = query_tabs(json!({"active": true, "lastFocusedWindow": true})).await;
    let mut all = query_tabs(json!({})).await;
    all.sort_by_key(|t| !active.iter().any(|a| a.id == t.id));
    let mut ids = tab_target_ids().await;
    all.into_iter()
        .filter(|t| attachable(&t.url))
        .map(|t| {
            let target_id = ids.remove(&t.id).unwrap_or_else(|| fallback_target_id(t.id));
            Tab { id: t.id, target_id, url: t.url, title: t.title }
        })
        .collect()
}

async fn query_tabs(query: Value) -> Vec<TabInfo> {
    chrome::tabs_query(&to_js(&query)).await.ok().and_then(from_js::<Vec<TabInfo>>).unwrap_or_default()
}

/// Sends whatever events the router queued, and runs its side commands.
pub fn flush_router() {
    let (events, side) = with_core(|c| (c.router.take_events(), c.router.take_side_commands())).unwrap_or_default();
    if connected() {
        for event in events {
            send_frame(&ExtensionFrame::Event(event));
        }
    }
    for (debuggee, method, params) in side {
        spawn_local(async move {
            let _ = send(&debuggee, &method, &params).await;
        });
    }
}

/// `chrome.debugger.onEvent(source, method, params)`: the event, then the browser-level
/// events it caused (a tab's `Page.downloadWillBegin` is also `Browser.downloadWillBegin`).
pub fn on_debugger_event(source: JsValue, method: String, params: JsValue) {
    let Some(source) = from_js::<Debuggee>(source) else { return };
    let params = from_js::<Value>(params).unwrap_or(Value::Null);
    let event: Option<CdpEvent> =
        with_core(|c| c.router.debugger_event(source.tab_id, source.session_id.as_deref(), &method, params)).flatten();
    if let (Some(event), true) = (event, connected()) {
        send_frame(&ExtensionFrame::Event(event));
    }
    flush_router();
}

/// `chrome.debugger.onDetach(source, reason)`, and `chrome.tabs.onRemoved(tabId)`.
pub fn on_tab_gone(tab_id: i64) {
    with_core(|c| c.router.tab_detached(tab_id));
    flush_router();
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `chrome.downloads.cancel` (`Browser.cancelDownload`).
    #[wasm_bindgen(catch, js_namespace = ["chrome", "downloads"], js_name = cancel)]
    async fn downloads_cancel(download_id: i32) -> Result<JsValue, JsValue>;
}

/// `chrome.downloads.onCreated(item)`.
pub fn on_download_created(item: JsValue) {
    let Some(item) = from_js::<crate::router::DownloadItem>(item) else { return };
    let event = with_core(|c| c.router.download_created(&item)).flatten();
    if let (Some(event), true) = (event, connected()) {
        send_frame(&ExtensionFrame::Event(event));
    }
}

/// `chrome.downloads.onChanged(delta)`: reads the whole item back and reports its progress.
pub fn on_download_changed(delta: JsValue) {
    let Some(id) = js_sys::Reflect::get(&delta, &"id".into()).ok().and_then(|v| v.as_f64()) else { return };
    spawn_local(async move {
        let found = chrome::downloads_search(&to_js(&json!({"id": id as i64}))).await.ok();
        let items = found.and_then(from_js::<Vec<crate::router::DownloadItem>>).unwrap_or_default();
        let Some(item) = items.into_iter().next() else { return };
        let event = with_core(|c| c.router.download_changed(&item)).flatten();
        if let (Some(event), true) = (event, connected()) {
            send_frame(&ExtensionFrame::Event(event));
        }
    });
}

/// `chrome.tabs.onUpdated(tabId, changeInfo, tab)`.
pub fn on_tab_updated(tab: JsValue) {
    if let Some(tab) = from_js::<TabInfo>(tab) {
        with_core(|c| c.router.tab_updated(tab.id, &tab.url, &tab.title));
        flush_router();
    }
}
