//! Storage-state files: a session's cookies and its origins' localStorage, in Playwright's
//! `storageState` JSON format so a file moves both ways between us and Playwright.
//!
//! Saving reads every cookie of the browser (`Network.getAllCookies`) and the localStorage
//! of every origin open in the session's tabs (frames included). Loading sets the cookies
//! (`Network.setCookies`) and, for localStorage, which the browser only lets a document of
//! that origin write, opens a helper tab in the background whose requests are answered by
//! the hub (`Fetch.fulfillRequest`, an empty page: nothing reaches the site), visits each
//! origin there, writes its items and closes the tab. sessionStorage and IndexedDB are not
//! saved (docs/CLI.md says so). The conversions are pure and unit-tested.

use crate::error::{err, Error};
use crate::session::{BrowserSession, Mode};
use crate::SessionOp;
use opendevbrowser_api::commands::{LoadStorage, SaveStorage, StorageLoaded, StorageSaved};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// The file: Playwright's `storageState` shape (unknown fields, such as Playwright's
/// `indexedDB`, are ignored on load).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageState {
    /// Every cookie.
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    /// localStorage by origin.
    #[serde(default)]
    pub origins: Vec<OriginStorage>,
}

/// One cookie as Playwright writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Its host (`a.test`, host-only) or domain (`.a.test`, with subdomains).
    pub domain: String,
    /// Its path.
    pub path: String,
    /// Seconds since the epoch; -1 for a session cookie.
    pub expires: f64,
    /// Hidden from the page's scripts.
    pub http_only: bool,
    /// Sent over https only.
    pub secure: bool,
    /// `Strict`, `Lax` or `None`.
    pub same_site: String,
}

/// One origin's localStorage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OriginStorage {
    /// `scheme://host[:port]`.
    pub origin: String,
    /// Its items.
    #[serde(default)]
    pub local_storage: Vec<Item>,
}

/// One localStorage item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The key.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A cookie as the browser reports it (`Network.Cookie`) in Playwright's form: no
/// SameSite attribute is `Lax`, as browsers treat it and Playwright writes it.
pub fn from_browser(c: &Value) -> Option<Cookie> {
    Some(Cookie {
        name: c["name"].as_str()?.to_owned(),
        value: c["value"].as_str().unwrap_or_default().to_owned(),
        domain: c["domain"].as_str()?.to_owned(),
        path: c["path"].as_str().unwrap_or("/").to_owned(),
        expires: if c["session"] == true { -1.0 } else { c["expires"].as_f64().unwrap_or(-1.0) },
        http_only: c["httpOnly"] == true,
        secure: c["secure"] == true,
        same_site: c["sameSite"].as_str().unwrap_or("Lax").to_owned(),
    })
}

/// A cookie of the file as `Network.setCookies` takes it (a session cookie has no
/// `expires`).
pub fn to_browser(c: &Cookie) -> Value {
    let mut v = json!({"name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
        "httpOnly": c.http_only, "secure": c.secure});
    if c.expires > 0.0 {
        v["expires"] = json!(c.expires);
    }
    if matches!(c.same_site.as_str(), "Strict" | "Lax" | "None") {
        v["sameSite"] = json!(c.same_site);
    }
    v
}

/// The web origins (`http`, `https`) of a `Page.getFrameTree` answer, frames included,
/// each once.
pub fn origins_in_frame_tree(tree: &Value, out: &mut Vec<String>) {
    let frame = &tree["frame"];
    let origin = frame["securityOrigin"].as_str().unwrap_or_default();
    if (origin.starts_with("http://") || origin.starts_with("https://")) && !out.iter().any(|o| o == origin) {
        out.push(origin.to_owned());
    }
    for child in tree["childFrames"].as_array().into_iter().flatten() {
        origins_in_frame_tree(child, out);
    }
}

/// The JavaScript that writes `items` into the current document's localStorage.
pub fn write_items_js(items: &[Item]) -> String {
    let pairs: Vec<Value> = items.iter().map(|i| json!([i.name, i.value])).collect();
    format!(
        "(() => {{ for (const [k, v] of {}) localStorage.setItem(k, v); return localStorage.length; }})()",
        json!(pairs)
    )
}

impl SessionOp for SaveStorage {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<StorageSaved, Error> {
        if session.mode == Mode::Extension && self.users_chrome != Some(true) {
            return Err(err(
                "users_chrome_not_confirmed",
                "this session is the user's own Chrome: saving would write every site's login cookies to a file. \
                 Pass usersChrome: true if the user asked for it",
            ));
        }
        let state = read(session).await?;
        let text = serde_json::to_string_pretty(&state).expect("a storage state serializes");
        opendevbrowser_api::files::write_private_atomic(std::path::Path::new(&self.path), text.as_bytes())
            .map_err(|e| Error::param("path", format!("cannot write {}: {e}", self.path)))?;
        Ok(StorageSaved { path: self.path, cookies: state.cookies.len(), origins: state.origins.len() })
    }
}

impl SessionOp for LoadStorage {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<StorageLoaded, Error> {
        if session.mode == Mode::Extension {
            return Err(err(
                "not_supported",
                "loading a storage state into the user's own Chrome would replace their logins: use a managed session \
                 (launch mode managed, storageState)",
            ));
        }
        let state = read_file(&self.path)?;
        apply(session, &state).await
    }
}

/// A storage-state file's contents (`invalid_params` naming what is wrong).
pub fn read_file(path: &str) -> Result<StorageState, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::param("path", format!("cannot read {path}: {e}")))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::param("path", format!("{path} is not a storage-state file (Playwright's format): {e}")))
}

/// The session's cookies and the localStorage of its open origins.
async fn read(session: &BrowserSession) -> Result<StorageState, Error> {
    let (_, cdp) = session.active_ignoring_dialogs().await?;
    let cookies = session.call("Network.getAllCookies", json!({}), Some(&cdp)).await?;
    let cookies = cookies["cookies"].as_array().into_iter().flatten().filter_map(from_browser).collect();
    let mut origins: Vec<OriginStorage> = Vec::new();
    for page in session.page_targets().await? {
        let Some(target) = page["targetId"].as_str().filter(|t| session.state().may_use(t)) else { continue };
        let Ok(cdp) = session.attach(target).await else { continue };
        let mut open = Vec::new();
        origins_in_frame_tree(&session.call("Page.getFrameTree", json!({}), Some(&cdp)).await?["frameTree"], &mut open);
        let _ = session.call("DOMStorage.enable", json!({}), Some(&cdp)).await;
        open.retain(|o| !origins.iter().any(|s| &s.origin == o));
        for origin in open {
            let id = json!({"storageId": {"securityOrigin": origin, "isLocalStorage": true}});
            let Ok(items) = session.call("DOMStorage.getDOMStorageItems", id, Some(&cdp)).await else { continue };
            let items: Vec<Item> = items["entries"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| Some(Item { name: e[0].as_str()?.to_owned(), value: e[1].as_str()?.to_owned() }))
                .collect();
            if !items.is_empty() {
                origins.push(OriginStorage { origin, local_storage: items });
            }
        }
    }
    Ok(StorageState { cookies, origins })
}

/// Sets a storage state's cookies and localStorage in the session's browser.
pub async fn apply(session: &BrowserSession, state: &StorageState) -> Result<StorageLoaded, Error> {
    let (_, cdp) = session.active_ignoring_dialogs().await?;
    if !state.cookies.is_empty() {
        let cookies: Vec<Value> = state.cookies.iter().map(to_browser).collect();
        session.call("Network.setCookies", json!({"cookies": cookies}), Some(&cdp)).await?;
    }
    let origins: Vec<&OriginStorage> = state.origins.iter().filter(|o| !o.local_storage.is_empty()).collect();
    if !origins.is_empty() {
        write_local_storage(session, &origins).await?;
    }
    Ok(StorageLoaded { cookies: state.cookies.len(), origins: origins.len() })
}

/// `<html></html>`, base64: the page the helper tab is given for every origin.
const EMPTY_PAGE: &str = "PGh0bWw+PC9odG1sPg==";

/// Writes each origin's items from a background helper tab that never reaches the sites.
async fn write_local_storage(session: &BrowserSession, origins: &[&OriginStorage]) -> Result<(), Error> {
    let created = session.call("Target.createTarget", json!({"url": "about:blank", "background": true}), None).await?;
    let target = created["targetId"].as_str().unwrap_or_default().to_owned();
    session.state().plain_targets.insert(target.clone());
    let result = async {
        let cdp = session.attach(&target).await?;
        session.call("Fetch.enable", crate::routes::pause_every_request(), Some(&cdp)).await?;
        for origin in origins {
            visit_served_by_us(session, &cdp, &origin.origin).await?;
            session.eval(&cdp, &write_items_js(&origin.local_storage)).await?;
        }
        Ok(())
    }
    .await;
    let _ = session.call("Target.closeTarget", json!({"targetId": target}), None).await;
    session.forget_target(&target);
    session.state().plain_targets.remove(&target);
    result
}

/// Navigates the helper tab to `origin`, answering its request with an empty page.
async fn visit_served_by_us(session: &BrowserSession, cdp: &str, origin: &str) -> Result<(), Error> {
    let mut events = session.events();
    let url = format!("{}/", origin.trim_end_matches('/'));
    let navigate = session.call("Page.navigate", json!({"url": url}), Some(cdp));
    let answer = async {
        loop {
            let event = events.recv().await.map_err(|_| err("storage_load_failed", "the browser went away"))?;
            if event.method == "Fetch.requestPaused" && event.session_id.as_deref() == Some(cdp) {
                let id = event.params.as_ref().and_then(|p| p["requestId"].as_str()).unwrap_or_default().to_owned();
                let page = json!({"requestId": id, "responseCode": 200, "body": EMPTY_PAGE,
                    "responseHeaders": [{"name": "content-type", "value": "text/html"}]});
                return session.call("Fetch.fulfillRequest", page, Some(cdp)).await;
            }
        }
    };
    let timed = tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(navigate, answer) }).await;
    let (navigated, answered) =
        timed.map_err(|_| err("storage_load_failed", format!("could not open {origin} to write its localStorage")))?;
    answered?;
    let navigated = navigated?;
    if let Some(text) = navigated["errorText"].as_str() {
        return Err(err("storage_load_failed", format!("could not open {origin} to write its localStorage: {text}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_cookie_becomes_playwrights_and_back() {
        let browser = json!({"name": "sid", "value": "abc", "domain": "127.0.0.1", "path": "/", "expires": 1.9e9,
            "size": 6, "httpOnly": true, "secure": false, "session": false, "priority": "Medium"});
        let cookie = from_browser(&browser).unwrap();
        assert_eq!(cookie.same_site, "Lax", "no SameSite is Lax, as Playwright writes it");
        assert_eq!(serde_json::to_value(&cookie).unwrap()["httpOnly"], true, "camelCase as in Playwright's files");
        let back = to_browser(&cookie);
        assert_eq!(
            back,
            json!({"name": "sid", "value": "abc", "domain": "127.0.0.1", "path": "/", "expires": 1.9e9,
            "httpOnly": true, "secure": false, "sameSite": "Lax"})
        );
    }

    #[test]
    fn a_session_cookie_has_no_expiry_either_way() {
        let browser = json!({"name": "s", "value": "1", "domain": ".a.test", "path": "/", "expires": -1,
            "session": true, "sameSite": "Strict"});
        let cookie = from_browser(&browser).unwrap();
        assert_eq!((cookie.expires, cookie.same_site.as_str()), (-1.0, "Strict"));
        assert!(to_browser(&cookie).get("expires").is_none());
    }

    #[test]
    fn playwrights_file_reads_with_its_extra_fields() {
        let file = r#"{"cookies":[{"name":"a","value":"b","domain":"x.test","path":"/","expires":-1,
            "httpOnly":false,"secure":true,"sameSite":"None"}],
            "origins":[{"origin":"https://x.test","localStorage":[{"name":"k","value":"v"}],"indexedDB":[]}]}"#;
        let state: StorageState = serde_json::from_str(file).unwrap();
        assert_eq!(state.origins[0].local_storage, vec![Item { name: "k".into(), value: "v".into() }]);
        assert!(state.cookies[0].secure);
    }

    #[test]
    fn frame_origins_are_web_origins_each_once() {
        let tree = json!({"frame": {"securityOrigin": "http://a.test"}, "childFrames": [
            {"frame": {"securityOrigin": "https://b.test"}},
            {"frame": {"securityOrigin": "http://a.test"}},
            {"frame": {"securityOrigin": "://"}, "childFrames": [{"frame": {"securityOrigin": "null"}}]}]});
        let mut out = Vec::new();
        origins_in_frame_tree(&tree, &mut out);
        assert_eq!(out, ["http://a.test", "https://b.test"]);
    }

    #[test]
    fn items_are_written_as_json_not_spliced_into_code() {
        let js = write_items_js(&[Item { name: "k'\"`".into(), value: "</script>${x}".into() }]);
        assert!(js.contains(r#"[["k'\"`","</script>${x}"]]"#), "{js}");
    }
}
