//! Reading what the page keeps and fetched: the network log filtered, a response body,
//! the page's cookies, and its `localStorage` / `sessionStorage`. All work the same in
//! every mode (the extension's `chrome.debugger` allows the `Network` calls used here).

use crate::ctx::{on_active_target, Ctx};
use crate::error::{err, Error};
use crate::event_log::network_matches;
use crate::session::BrowserSession;
use crate::SessionOp;
use opendevbrowser_api::commands::{
    CookieJar, Cookies, Events, NetworkBody, NetworkPoll, ResponseBody, StorageContents, StorageItems,
};
use opendevbrowser_api::CdpError;
use serde_json::json;
use std::sync::Arc;

impl SessionOp for NetworkPoll {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Events, Error> {
        let (url, kind) = (self.url_pattern.as_deref(), self.resource_type.as_deref());
        let max = self.max.unwrap_or(50) as usize;
        let state = session.state();
        let (events, next_seq) =
            state.network.since_where(self.since_seq.unwrap_or(0), max, |e| network_matches(e, url, kind));
        Ok(Events { events, next_seq })
    }
}

impl SessionOp for NetworkBody {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<ResponseBody, Error> {
        let id = self.request_id;
        let cdp = {
            let state = session.state();
            let target = state.requests.get(&id).map(|r| r.target.clone());
            let target = target.ok_or_else(|| {
                err(
                    "no_response_body",
                    format!("no request {id:?} in this session's network log (devtools.networkPoll lists them)"),
                )
            })?;
            state.targets.get(&target).map(|t| t.cdp_session.clone()).filter(|s| !s.is_empty())
        };
        let cdp = cdp.ok_or_else(|| err("no_response_body", "the tab that made this request is closed or detached"))?;
        let got = session.call("Network.getResponseBody", json!({"requestId": id}), Some(&cdp)).await;
        let got = got.map_err(|e| match e {
            Error::Cdp(CdpError::Protocol { message, .. }) => err(
                "no_response_body",
                format!(
                    "the browser has no body for request {id:?}: {message} (not finished yet, a redirect, or evicted)"
                ),
            ),
            other => other,
        })?;
        let max = self.max_bytes.unwrap_or(100_000) as usize;
        let base64_encoded = got["base64Encoded"] == true;
        let body = got["body"].as_str().unwrap_or_default();
        Ok(cut_body(id, body, base64_encoded, max))
    }
}

/// `body` cut at `max` bytes: text at a character boundary, base64 at a 4-character group.
fn cut_body(request_id: String, body: &str, base64_encoded: bool, max: usize) -> ResponseBody {
    let bytes = if base64_encoded { body.trim_end_matches('=').len() * 3 / 4 } else { body.len() };
    let keep = if base64_encoded { max.div_ceil(3) * 4 } else { max };
    let mut end = keep.min(body.len());
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    ResponseBody { request_id, body: body[..end].to_owned(), base64_encoded, bytes, truncated: end < body.len() }
}

on_active_target!(Cookies => CookieJar, |cmd, ctx| ctx.cookies(cmd).await);
on_active_target!(StorageItems => StorageContents, |cmd, ctx| ctx.storage(cmd).await);

impl Ctx<'_> {
    async fn cookies(&self, cmd: Cookies) -> Result<CookieJar, Error> {
        let url = self.eval("location.href").await?.as_str().unwrap_or_default().to_owned();
        if !url.starts_with("http") {
            return Err(err("not_supported", format!("{url} has no cookies: open an http(s) page first")));
        }
        let list = || self.input("Network.getCookies", json!({"urls": [url]}));
        let name = || cmd.name.clone().ok_or_else(|| Error::param("name", "is required for this action"));
        match cmd.action.as_deref().unwrap_or("list") {
            "list" => {}
            "set" => {
                let mut cookie = json!({"name": name()?, "value": cmd.value.clone().unwrap_or_default(),
                    "path": cmd.path.clone().unwrap_or_else(|| "/".into())});
                match &cmd.domain {
                    Some(domain) => cookie["domain"] = json!(domain),
                    None => cookie["url"] = json!(url),
                }
                let options = [
                    ("expires", json!(cmd.expires)),
                    ("httpOnly", json!(cmd.http_only)),
                    ("secure", json!(cmd.secure)),
                    ("sameSite", json!(cmd.same_site)),
                ];
                for (key, value) in options.into_iter().filter(|(_, v)| !v.is_null()) {
                    cookie[key] = value;
                }
                let set = self.input("Network.setCookie", cookie).await?;
                if set["success"] == false {
                    return Err(Error::param(
                        "name",
                        "the browser refused this cookie (a Secure cookie on http, or a domain the page is not on?)",
                    ));
                }
            }
            "delete" => {
                self.input("Network.deleteCookies", json!({"name": name()?, "url": url})).await?;
            }
            "clear" => {
                for c in list().await?["cookies"].as_array().cloned().unwrap_or_default() {
                    let one = json!({"name": c["name"], "domain": c["domain"], "path": c["path"]});
                    self.input("Network.deleteCookies", one).await?;
                }
            }
            other => return Err(Error::param("action", format!("must be list, set, delete or clear, not {other:?}"))),
        }
        let cookies = list().await?["cookies"].as_array().cloned().unwrap_or_default();
        Ok(CookieJar { url, cookies })
    }

    async fn storage(&self, cmd: StorageItems) -> Result<StorageContents, Error> {
        let area = cmd.area.unwrap_or_else(|| "local".into());
        if area != "local" && area != "session" {
            return Err(Error::param("area", format!("must be local or session, not {area:?}")));
        }
        let action = cmd.action.unwrap_or_else(|| "list".into());
        if !["list", "set", "remove", "clear"].contains(&action.as_str()) {
            return Err(Error::param("action", format!("must be list, set, remove or clear, not {action:?}")));
        }
        if action == "set" || action == "remove" {
            cmd.key.as_ref().ok_or_else(|| Error::param("key", "is required for this action"))?;
        }
        let args = json!([area, action, cmd.key, cmd.value.unwrap_or_default()]);
        let answer = self.eval(&format!("({STORAGE_JS})(...{args})")).await?;
        let items = answer["items"].as_object().cloned().unwrap_or_default();
        Ok(StorageContents { origin: answer["origin"].as_str().unwrap_or_default().to_owned(), area, items })
    }
}

/// Applies the action to the storage area and answers `{origin, items}`.
const STORAGE_JS: &str = "(area, action, key, value) => {
  const store = area === 'session' ? sessionStorage : localStorage;
  if (action === 'set') store.setItem(key, value);
  if (action === 'remove') store.removeItem(key);
  if (action === 'clear') store.clear();
  const items = {};
  for (let i = 0; i < store.length; i++) { const k = store.key(i); items[k] = store.getItem(k); }
  return { origin: location.origin, items };
}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_cut_at_a_character_or_base64_group_and_says_so() {
        let text = cut_body("1".into(), "héllo wörld", false, 2);
        assert_eq!((text.body.as_str(), text.bytes, text.truncated), ("h", 13, true), "é is two bytes: not split");
        let whole = cut_body("1".into(), "abc", false, 100);
        assert_eq!((whole.body.as_str(), whole.truncated), ("abc", false));
        let binary = cut_body("1".into(), "AAECAwQFBgc=", true, 4);
        assert_eq!((binary.body.as_str(), binary.bytes, binary.truncated), ("AAECAwQF", 8, true));
    }
}
