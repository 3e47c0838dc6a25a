//! The `chrome.*` APIs the background core uses, bound directly from Rust. MV3 APIs
//! return promises when called without a callback, so each binding is an `async fn`.

use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `chrome.storage.local.get`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = get)]
    pub async fn storage_local_get(keys: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.storage.local.set`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = set)]
    pub async fn storage_local_set(items: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.storage.session.get`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = get)]
    pub async fn storage_session_get(keys: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.storage.session.set`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = set)]
    pub async fn storage_session_set(items: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.alarms.create`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "alarms"], js_name = create)]
    pub async fn alarms_create(name: &str, info: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.alarms.clear`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "alarms"], js_name = clear)]
    pub async fn alarms_clear(name: &str) -> Result<JsValue, JsValue>;

    /// `chrome.debugger.attach`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "debugger"], js_name = attach)]
    pub async fn debugger_attach(target: &JsValue, version: &str) -> Result<JsValue, JsValue>;
    /// `chrome.debugger.detach`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "debugger"], js_name = detach)]
    pub async fn debugger_detach(target: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.debugger.sendCommand`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "debugger"], js_name = sendCommand)]
    pub async fn debugger_send_command(target: &JsValue, method: &str, params: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.debugger.getTargets`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "debugger"], js_name = getTargets)]
    pub async fn debugger_get_targets() -> Result<JsValue, JsValue>;

    /// `chrome.downloads.search`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "downloads"], js_name = search)]
    pub async fn downloads_search(query: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.tabs.query`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = query)]
    pub async fn tabs_query(query: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.tabs.get`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = get)]
    pub async fn tabs_get(tab_id: i32) -> Result<JsValue, JsValue>;
    /// `chrome.tabs.create`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = create)]
    pub async fn tabs_create(props: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.tabs.remove`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = remove)]
    pub async fn tabs_remove(tab_id: i32) -> Result<JsValue, JsValue>;
    /// `chrome.tabs.update`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = update)]
    pub async fn tabs_update(tab_id: i32, props: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.tabs.group`: puts tabs in one group; resolves to the group's id.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = group)]
    pub async fn tabs_group(options: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.tabs.ungroup`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabs"], js_name = ungroup)]
    pub async fn tabs_ungroup(tab_ids: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.tabGroups.update`: a group's title and colour.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "tabGroups"], js_name = update)]
    pub async fn tab_groups_update(group_id: i32, props: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.runtime.getURL`: the URL of a file in the extension's folder.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
    pub fn runtime_get_url(path: &str) -> String;

    /// `chrome.runtime.getManifest`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = getManifest)]
    fn runtime_get_manifest() -> Result<JsValue, JsValue>;

    /// `chrome.action.setBadgeText`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeText)]
    pub async fn action_set_badge_text(details: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.action.setBadgeBackgroundColor`.
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor)]
    pub async fn action_set_badge_color(details: &JsValue) -> Result<JsValue, JsValue>;
}

/// The extension's own version (`manifest.json`), announced in the handshake.
pub fn manifest_version() -> Option<String> {
    let manifest = runtime_get_manifest().ok()?;
    js_sys::Reflect::get(&manifest, &"version".into()).ok()?.as_string()
}

/// A JS error's message, for CDP error replies and status lines.
pub fn error_message(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// Serialises a Rust value into a plain JS object (maps as objects, not `Map`s).
pub fn to_js<T: serde::Serialize>(value: &T) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::UNDEFINED)
}

/// Reads a JS value as JSON-like Rust data.
pub fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Option<T> {
    serde_wasm_bindgen::from_value(value).ok()
}

/// Calls `f` later (a macrotask), outside whatever borrow the caller holds.
pub fn defer(f: impl FnOnce() + 'static) {
    let closure = Closure::once_into_js(f);
    let global = js_sys::global();
    if let Ok(set_timeout) = js_sys::Reflect::get(&global, &"setTimeout".into()) {
        if let Some(set_timeout) = set_timeout.dyn_ref::<Function>() {
            let _ = set_timeout.call2(&global, &closure, &JsValue::from(0));
        }
    }
}
