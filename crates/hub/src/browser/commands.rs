//! The session, target and page commands; navigation and actions live in their own
//! modules. Sessions open with `session.launch` / `session.connect` (hub-wide commands);
//! every other command runs in the session its call names (see `dispatch`).

use super::direct::{browser_ws_url, DirectCdp};
use super::error::err;
use super::launcher::ManagedChromium;
use super::navigation;
use super::session::{BrowserSession, Mode};
use crate::dispatch::{Call, HubCommand, SessionCommand};
use crate::error::HubError;
use crate::server::HubCore;
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::sync::Arc;

impl HubCommand for Launch {
    async fn run(self, call: &mut Call<'_>) -> Result<SessionInfo, HubError> {
        let caller = call.owner()?;
        let hub = call.hub;
        let start_url = self.start_url.unwrap_or_else(|| "about:blank".to_owned());
        let mode = match self.mode.as_deref() {
            Some("managed") => Mode::Managed,
            Some("extension") => Mode::Extension,
            None if hub.relay().handshake_complete() => Mode::Extension,
            None => Mode::Managed,
            Some(other) => {
                return Err(err("invalid_mode", format!("mode must be \"extension\" or \"managed\", not {other:?}")))
            }
        };
        let id = uuid::Uuid::new_v4().to_string();
        let session = match mode {
            Mode::Extension => {
                call.require_binding()?;
                call.wait_until_ready().await?;
                BrowserSession::extension(id, caller)
            }
            _ => {
                let headless = self.headless.unwrap_or(true);
                let chromium =
                    ManagedChromium::launch(headless, &start_url).await.map_err(|e| err("launch_failed", e))?;
                let ws = browser_ws_url("127.0.0.1", chromium.port).await.map_err(|e| err("launch_failed", e))?;
                let cdp = DirectCdp::connect(&ws).await.map_err(|e| err("launch_failed", e))?;
                BrowserSession::direct(id, Mode::Managed, caller, cdp, Some(chromium))
            }
        };
        let session = open(hub, session).await?;
        if mode == Mode::Extension && start_url != "about:blank" {
            navigation::navigate(hub, &session, &start_url, "load", 30_000).await?;
        }
        Ok(info(&session))
    }
}

impl HubCommand for Connect {
    async fn run(self, call: &mut Call<'_>) -> Result<SessionInfo, HubError> {
        let caller = call.owner()?;
        let ws = match self.ws_endpoint {
            Some(ws) => ws,
            None => {
                let host = self.host.as_deref().unwrap_or("127.0.0.1");
                if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
                    return Err(HubError::param("host", "must be a loopback address (127.0.0.1, localhost, ::1)"));
                }
                browser_ws_url(host, self.port.unwrap_or(9222)).await.map_err(|e| err("connect_failed", e))?
            }
        };
        let cdp = DirectCdp::connect(&ws).await.map_err(|e| err("connect_failed", e))?;
        let session = BrowserSession::direct(uuid::Uuid::new_v4().to_string(), Mode::Connected, caller, cdp, None);
        let session = open(call.hub, session).await?;
        Ok(info(&session))
    }
}

/// Registers a new session and makes sure it has an active target.
async fn open(hub: &Arc<HubCore>, session: BrowserSession) -> Result<Arc<BrowserSession>, HubError> {
    let session = Arc::new(session);
    session.start_event_pump(hub);
    hub.browser.insert(session.clone());
    session.active(hub).await?;
    Ok(session)
}

fn info(session: &BrowserSession) -> SessionInfo {
    SessionInfo {
        session_id: session.id.clone(),
        mode: session.mode.name().to_owned(),
        active_target_id: session.state().active.clone(),
    }
}

impl SessionCommand for Disconnect {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<Disconnected, HubError> {
        let hub = call.hub;
        hub.browser.remove(&session.id);
        if session.mode == Mode::Connected && self.close_browser == Some(true) {
            let _ = session.call(hub, "Browser.close", json!({}), None).await;
        }
        let mut released = false;
        if session.mode == Mode::Extension {
            hub.relay().send_control("detach_all");
            if let Some(binding) = call.binding_id()? {
                released = hub.leases.release(&session.owner, binding).is_ok();
            }
        }
        Ok(Disconnected { ok: true, binding_released: released })
    }
}

impl SessionCommand for SessionStatus {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<SessionState, HubError> {
        let (_, cdp) = session.active(call.hub).await?;
        let page = where_is(call.hub, session, &cdp).await?;
        let info = info(session);
        Ok(SessionState {
            session_id: info.session_id,
            mode: info.mode,
            active_target_id: info.active_target_id,
            url: page.0,
            title: page.1,
        })
    }
}

/// The URL and title of the page in `cdp`.
async fn where_is(
    hub: &HubCore,
    session: &BrowserSession,
    cdp: &str,
) -> Result<(Option<String>, Option<String>), HubError> {
    let page = eval(hub, session, cdp, "({url: location.href, title: document.title})").await?;
    let text = |k: &str| page[k].as_str().map(str::to_owned);
    Ok((text("url"), text("title")))
}

/// Evaluates `expression` in a target and returns its value (page exceptions are errors).
pub async fn eval(hub: &HubCore, session: &BrowserSession, cdp: &str, expression: &str) -> Result<Value, HubError> {
    let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
    let result = session.call(hub, "Runtime.evaluate", params, Some(cdp)).await?;
    if let Some(e) = result.get("exceptionDetails") {
        let text = e["exception"]["description"].as_str().or(e["text"].as_str()).unwrap_or("exception");
        return Err(err("js_error", format!("the page threw: {text}")));
    }
    Ok(result["result"]["value"].clone())
}

impl SessionCommand for ListTargets {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<TargetList, HubError> {
        let urls = self.include_urls.unwrap_or(true);
        let text = |t: &Value, k: &str| t[k].as_str().unwrap_or_default().to_owned();
        let targets = session
            .page_targets(call.hub)
            .await?
            .iter()
            .map(|t| TargetEntry {
                target_id: text(t, "targetId"),
                title: text(t, "title"),
                url: urls.then(|| text(t, "url")),
                kind: "page".to_owned(),
            })
            .collect();
        Ok(TargetList { active_target_id: session.state().active.clone(), targets })
    }
}

impl SessionCommand for NewTarget {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<NewTargetId, HubError> {
        let url = self.url.as_deref().unwrap_or("about:blank");
        let target = create_target(call.hub, session, url).await?;
        session.state().activate(&target);
        session.attach(call.hub, &target).await?;
        Ok(NewTargetId { target_id: target })
    }
}

async fn create_target(hub: &HubCore, session: &BrowserSession, url: &str) -> Result<String, HubError> {
    let created = session.call(hub, "Target.createTarget", json!({"url": url}), None).await?;
    Ok(created["targetId"].as_str().unwrap_or_default().to_owned())
}

impl SessionCommand for UseTarget {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<ActiveTarget, HubError> {
        let (hub, target) = (call.hub, self.target_id);
        session.attach(hub, &target).await?;
        session.state().activate(&target);
        let _ = session.call(hub, "Target.activateTarget", json!({"targetId": target}), None).await;
        let (_, cdp) = session.active(hub).await?;
        let (url, title) = where_is(hub, session, &cdp).await?;
        Ok(ActiveTarget { active_target_id: target, url, title })
    }
}

impl SessionCommand for CloseTarget {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<Done, HubError> {
        let target = self.target_id;
        let closing = session.call(call.hub, "Target.closeTarget", json!({"targetId": target}), None).await;
        closing.map_err(|e| match e {
            HubError::Cdp(c) => err("unknown_target", format!("cannot close {target}: {c}")),
            other => other,
        })?;
        session.forget_target(&target);
        Ok(Done::YES)
    }
}

impl SessionCommand for ListPages {
    async fn run(self, _: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<PageList, HubError> {
        let state = session.state();
        let pages = state.pages.iter().map(|(n, t)| PageEntry { name: n.clone(), target_id: t.clone() }).collect();
        Ok(PageList { pages })
    }
}

impl SessionCommand for ClosePage {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<Done, HubError> {
        let known = session.state().pages.get(&self.name).cloned();
        let target = known.ok_or_else(|| err("unknown_page", format!("no page named {:?}", self.name)))?;
        let _ = session.call(call.hub, "Target.closeTarget", json!({"targetId": target}), None).await;
        session.forget_target(&target);
        Ok(Done::YES)
    }
}

impl SessionCommand for OpenPage {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<OpenedPage, HubError> {
        let hub = call.hub;
        let known = session.state().pages.get(&self.name).cloned();
        let (target, created) = match known {
            Some(t) => (t, false),
            None => (create_target(hub, session, self.url.as_deref().unwrap_or("about:blank")).await?, true),
        };
        session.attach(hub, &target).await?;
        {
            let mut state = session.state();
            state.pages.insert(self.name, target.clone());
            state.activate(&target);
        }
        if let (false, Some(url)) = (created, &self.url) {
            navigation::navigate(hub, session, url, "load", 30_000).await?;
        }
        Ok(OpenedPage { target_id: target, created })
    }
}
