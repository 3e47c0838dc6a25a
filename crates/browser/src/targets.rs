//! The session, target and page commands: where the session is, its tabs, and named pages.

use crate::error::{err, Error};
use crate::nav;
use crate::session::BrowserSession;
use crate::SessionOp;
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::sync::Arc;

/// What `session.launch` / `session.connect` answer about a session.
pub fn info(session: &BrowserSession) -> SessionInfo {
    SessionInfo {
        session_id: session.id.clone(),
        mode: session.mode.name().to_owned(),
        active_target_id: session.state().active.clone(),
        tab_lease_id: None,
    }
}

impl SessionOp for SessionStatus {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<SessionState, Error> {
        let (_, cdp) = session.active().await?;
        let page = where_is(session, &cdp).await?;
        let info = info(session);
        Ok(SessionState {
            session_id: info.session_id,
            mode: info.mode,
            active_target_id: info.active_target_id,
            url: page.0,
            title: page.1,
            webdriver_session_id: session.grid_session_id().map(str::to_owned),
        })
    }
}

/// The URL and title of the page in `cdp`.
async fn where_is(session: &BrowserSession, cdp: &str) -> Result<(Option<String>, Option<String>), Error> {
    let page = session.eval(cdp, "({url: location.href, title: document.title})").await?;
    let text = |k: &str| page[k].as_str().map(str::to_owned);
    Ok((text("url"), text("title")))
}

impl SessionOp for ListTargets {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<TargetList, Error> {
        let urls = self.include_urls.unwrap_or(true);
        let text = |t: &Value, k: &str| t[k].as_str().unwrap_or_default().to_owned();
        let targets = session
            .page_targets()
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

impl SessionOp for NewTarget {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<NewTargetId, Error> {
        let url = self.url.as_deref().unwrap_or("about:blank");
        let target = create_target(session, url, self.context.as_deref()).await?;
        session.state().own(&target);
        session.state().activate(&target);
        session.attach(&target).await?;
        Ok(NewTargetId { target_id: target })
    }
}

/// Opens a tab, in the isolated `context` of that name if one is given. A tab-scoped
/// session's tabs open in the background: the user's active tab stays in front (they work
/// at full speed there, see [`crate::background`]).
async fn create_target(session: &BrowserSession, url: &str, context: Option<&str>) -> Result<String, Error> {
    session.state().origin_rules.check_navigation(url)?;
    let background = session.state().scope.is_some();
    let mut params = json!({"url": url, "background": background});
    if let Some(name) = context {
        params["browserContextId"] = json!(browser_context(session, name).await?);
    }
    let created = session.call("Target.createTarget", params, None).await?;
    Ok(created["targetId"].as_str().unwrap_or_default().to_owned())
}

/// The id of the session's isolated context `name`, made on first use: its own cookies,
/// storage and cache, shared with no other context. The browser disposes of it when the
/// session's DevTools connection closes (`disposeOnDetach`).
async fn browser_context(session: &BrowserSession, name: &str) -> Result<String, Error> {
    if session.mode == crate::Mode::Extension {
        return Err(err(
            "not_supported",
            "isolated contexts need a browser the hub drives: launch a managed session (mode managed) or connect",
        ));
    }
    if let Some(id) = session.state().contexts.get(name) {
        return Ok(id.clone());
    }
    let made = session.call("Target.createBrowserContext", json!({"disposeOnDetach": true}), None).await?;
    let id = made["browserContextId"].as_str().unwrap_or_default().to_owned();
    session.state().contexts.insert(name.to_owned(), id.clone());
    Ok(id)
}

impl SessionOp for UseTarget {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<ActiveTarget, Error> {
        let target = self.target_id;
        if !session.state().may_use(&target) {
            return Err(err("tab_busy", format!("tab {target} is not one of this tab-scoped session's tabs")));
        }
        session.attach(&target).await?;
        session.state().activate(&target);
        // A tab-scoped agent never brings a tab to the front: the user's stays active.
        if session.state().scope.is_none() {
            let _ = session.call("Target.activateTarget", json!({"targetId": target}), None).await;
        }
        let (_, cdp) = session.active().await?;
        let (url, title) = where_is(session, &cdp).await?;
        Ok(ActiveTarget { active_target_id: target, url, title })
    }
}

impl SessionOp for CloseTarget {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Done, Error> {
        let target = self.target_id;
        let closing = session.call("Target.closeTarget", json!({"targetId": target}), None).await;
        closing.map_err(|e| match e {
            Error::Cdp(c) => err("unknown_target", format!("cannot close {target}: {c}")),
            other => other,
        })?;
        session.forget_target(&target);
        Ok(Done::YES)
    }
}

impl SessionOp for ListPages {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<PageList, Error> {
        let state = session.state();
        let pages = state.pages.iter().map(|(n, t)| PageEntry { name: n.clone(), target_id: t.clone() }).collect();
        Ok(PageList { pages })
    }
}

impl SessionOp for ClosePage {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Done, Error> {
        let known = session.state().pages.get(&self.name).cloned();
        let target = known.ok_or_else(|| err("unknown_page", format!("no page named {:?}", self.name)))?;
        let _ = session.call("Target.closeTarget", json!({"targetId": target}), None).await;
        session.forget_target(&target);
        Ok(Done::YES)
    }
}

impl SessionOp for OpenPage {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<OpenedPage, Error> {
        let known = session.state().pages.get(&self.name).cloned();
        let (target, created) = match known {
            Some(t) => (t, false),
            None => {
                let url = self.url.as_deref().unwrap_or("about:blank");
                (create_target(session, url, self.context.as_deref()).await?, true)
            }
        };
        session.state().own(&target);
        session.attach(&target).await?;
        {
            let mut state = session.state();
            state.pages.insert(self.name, target.clone());
            state.activate(&target);
        }
        if let (false, Some(url)) = (created, &self.url) {
            nav::navigate(session, url, "load", 30_000).await?;
        }
        Ok(OpenedPage { target_id: target, created })
    }
}
