//! Every browser command's dispatch (session lookup, ownership, binding), and the session,
//! target and page commands; navigation and actions live in their own modules.

use super::actions;
use super::direct::{browser_ws_url, DirectCdp};
use super::error::err;
use super::launcher::ManagedChromium;
use super::navigation;
use super::session::{BrowserSession, Mode};
use crate::commands::{owner, wait_until_ready, Answer, DEFAULT_READY_TIMEOUT_MS, MAX_TIMEOUT_MS};
use crate::error::HubError;
use crate::params::{opt_bool, opt_str, opt_u64, req_str, Params};
use crate::server::HubCore;
use serde_json::{json, Value};
use std::sync::Arc;

/// Every browser command name.
pub const BROWSER_COMMANDS: &[&str] = &[
    "session.launch",
    "session.connect",
    "session.disconnect",
    "session.status",
    "targets.list",
    "targets.new",
    "targets.use",
    "targets.close",
    "page.open",
    "page.list",
    "page.close",
    "nav.goto",
    "nav.wait",
    "nav.snapshot",
    "interact.click",
    "interact.hover",
    "interact.type",
    "interact.press",
    "interact.select",
    "interact.scroll",
    "interact.scrollIntoView",
    "dom.getHtml",
    "dom.getText",
    "dom.getAttr",
    "dom.getValue",
    "dom.isVisible",
    "dom.isEnabled",
    "dom.isChecked",
    "page.screenshot",
    "devtools.consolePoll",
    "devtools.networkPoll",
    "devtools.perf",
];

/// Runs a browser command; `None` when `name` is not one.
pub async fn dispatch(hub: &Arc<HubCore>, name: &str, params: &Params) -> Option<Result<Answer, HubError>> {
    if !BROWSER_COMMANDS.contains(&name) {
        return None;
    }
    Some(run(hub, name, params).await)
}

async fn run(hub: &Arc<HubCore>, name: &str, params: &Params) -> Result<Answer, HubError> {
    match name {
        "session.launch" => launch(hub, params).await,
        "session.connect" => connect(hub, params).await,
        _ => {
            let mut warnings = Vec::new();
            let session = session_for(hub, params, &mut warnings).await?;
            let data = match name {
                "session.disconnect" => disconnect(hub, &session, params).await?,
                "session.status" => status(hub, &session).await?,
                "targets.list" | "targets.new" | "targets.use" | "targets.close" => {
                    targets(hub, &session, name, params).await?
                }
                "page.open" | "page.list" | "page.close" => pages(hub, &session, name, params).await?,
                "nav.goto" => navigation::goto(hub, &session, params).await?,
                "nav.wait" => navigation::wait(hub, &session, params).await?,
                _ => actions::run(hub, &session, name, params).await?,
            };
            Ok(Answer { data, warnings })
        }
    }
}

/// The session named by `sessionId`, checked against the caller (and the binding).
async fn session_for(
    hub: &HubCore,
    params: &Params,
    warnings: &mut Vec<String>,
) -> Result<Arc<BrowserSession>, HubError> {
    let id = req_str(params, "sessionId")?;
    let session = hub.browser.get(id).ok_or_else(|| {
        err("unknown_session", format!("no session {id}: it was disconnected or never existed (session.launch)"))
    })?;
    let caller = owner(params)?;
    if caller != session.owner {
        return Err(err("session_not_owned", format!("session {id} belongs to {}", session.owner)));
    }
    if session.mode == Mode::Extension {
        hub.leases.require(&caller, opt_str(params, "bindingId")?)?;
        let ready = opt_u64(params, "readyTimeoutMs", MAX_TIMEOUT_MS)?.unwrap_or(DEFAULT_READY_TIMEOUT_MS);
        wait_until_ready(hub, ready, warnings).await?;
    }
    Ok(session)
}

fn session_json(session: &BrowserSession, extra: Value) -> Value {
    let mut v = json!({"sessionId": session.id, "mode": session.mode.name(), "activeTargetId": session.state().active});
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

async fn launch(hub: &Arc<HubCore>, params: &Params) -> Result<Answer, HubError> {
    let caller = owner(params)?;
    let start_url = opt_str(params, "startUrl")?.unwrap_or("about:blank").to_owned();
    let connected = hub.relay().handshake_complete();
    let mode = match opt_str(params, "mode")? {
        Some("managed") => Mode::Managed,
        Some("extension") => Mode::Extension,
        None if connected => Mode::Extension,
        None => Mode::Managed,
        Some(other) => {
            return Err(err("invalid_mode", format!("mode must be \"extension\" or \"managed\", not {other:?}")))
        }
    };
    let id = uuid::Uuid::new_v4().to_string();
    let mut warnings = Vec::new();
    let session = match mode {
        Mode::Extension => {
            hub.leases.require(&caller, opt_str(params, "bindingId")?)?;
            let ready = opt_u64(params, "readyTimeoutMs", MAX_TIMEOUT_MS)?.unwrap_or(DEFAULT_READY_TIMEOUT_MS);
            wait_until_ready(hub, ready, &mut warnings).await?;
            BrowserSession::extension(id, caller)
        }
        _ => {
            let headless = opt_bool(params, "headless")?.unwrap_or(true);
            let chromium = ManagedChromium::launch(headless, &start_url).await.map_err(|e| err("launch_failed", e))?;
            let ws = browser_ws_url("127.0.0.1", chromium.port).await.map_err(|e| err("launch_failed", e))?;
            let cdp = DirectCdp::connect(&ws).await.map_err(|e| err("launch_failed", e))?;
            BrowserSession::direct(id, Mode::Managed, caller, cdp, Some(chromium))
        }
    };
    let session = Arc::new(session);
    session.start_event_pump(hub);
    hub.browser.insert(session.clone());
    let (target, _) = session.active(hub).await?;
    if mode == Mode::Extension && start_url != "about:blank" {
        navigation::navigate(hub, &session, &start_url, "load", 30_000).await?;
    }
    let data = session_json(&session, json!({"activeTargetId": target}));
    Ok(Answer { data, warnings })
}

async fn connect(hub: &Arc<HubCore>, params: &Params) -> Result<Answer, HubError> {
    let caller = owner(params)?;
    let ws = match opt_str(params, "wsEndpoint")? {
        Some(ws) => ws.to_owned(),
        None => {
            let host = opt_str(params, "host")?.unwrap_or("127.0.0.1");
            if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
                return Err(HubError::param("host", "must be a loopback address (127.0.0.1, localhost, ::1)"));
            }
            let port = opt_u64(params, "port", 65_535)?.unwrap_or(9222) as u16;
            browser_ws_url(host, port).await.map_err(|e| err("connect_failed", e))?
        }
    };
    let cdp = DirectCdp::connect(&ws).await.map_err(|e| err("connect_failed", e))?;
    let session =
        Arc::new(BrowserSession::direct(uuid::Uuid::new_v4().to_string(), Mode::Connected, caller, cdp, None));
    session.start_event_pump(hub);
    hub.browser.insert(session.clone());
    let (target, _) = session.active(hub).await?;
    Ok(session_json(&session, json!({"activeTargetId": target})).into())
}

async fn disconnect(hub: &HubCore, session: &Arc<BrowserSession>, params: &Params) -> Result<Value, HubError> {
    hub.browser.remove(&session.id);
    if session.mode == Mode::Connected && opt_bool(params, "closeBrowser")? == Some(true) {
        let _ = session.call(hub, "Browser.close", json!({}), None).await;
    }
    let mut released = false;
    if session.mode == Mode::Extension {
        hub.relay().send_control("detach_all");
        if let Some(binding) = opt_str(params, "bindingId")? {
            released = hub.leases.release(&session.owner, binding).is_ok();
        }
    }
    Ok(json!({"ok": true, "bindingReleased": released}))
}

async fn status(hub: &HubCore, session: &Arc<BrowserSession>) -> Result<Value, HubError> {
    let (_, cdp) = session.active(hub).await?;
    let page = eval(hub, session, &cdp, "({url: location.href, title: document.title})").await?;
    Ok(session_json(session, json!({"url": page["url"], "title": page["title"]})))
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

async fn targets(hub: &HubCore, session: &Arc<BrowserSession>, name: &str, params: &Params) -> Result<Value, HubError> {
    match name {
        "targets.list" => {
            let urls = opt_bool(params, "includeUrls")?.unwrap_or(true);
            let list: Vec<Value> = session
                .page_targets(hub)
                .await?
                .iter()
                .map(|t| {
                    if urls {
                        json!({"targetId": t["targetId"], "title": t["title"], "url": t["url"], "type": "page"})
                    } else {
                        json!({"targetId": t["targetId"], "title": t["title"], "type": "page"})
                    }
                })
                .collect();
            Ok(json!({"activeTargetId": session.state().active, "targets": list}))
        }
        "targets.new" => {
            let url = opt_str(params, "url")?.unwrap_or("about:blank");
            let created = session.call(hub, "Target.createTarget", json!({"url": url}), None).await?;
            let target = created["targetId"].as_str().unwrap_or_default().to_owned();
            session.state().activate(&target);
            session.attach(hub, &target).await?;
            Ok(json!({"targetId": target}))
        }
        "targets.use" => {
            let target = req_str(params, "targetId")?;
            session.attach(hub, target).await?;
            session.state().activate(target);
            let _ = session.call(hub, "Target.activateTarget", json!({"targetId": target}), None).await;
            let (_, cdp) = session.active(hub).await?;
            let page = eval(hub, session, &cdp, "({url: location.href, title: document.title})").await?;
            Ok(json!({"activeTargetId": target, "url": page["url"], "title": page["title"]}))
        }
        _ => {
            let target = req_str(params, "targetId")?;
            session.call(hub, "Target.closeTarget", json!({"targetId": target}), None).await.map_err(|e| match e {
                HubError::Cdp(c) => err("unknown_target", format!("cannot close {target}: {c}")),
                other => other,
            })?;
            session.forget_target(target);
            Ok(json!({"ok": true}))
        }
    }
}

async fn pages(hub: &HubCore, session: &Arc<BrowserSession>, name: &str, params: &Params) -> Result<Value, HubError> {
    match name {
        "page.list" => {
            let pages = session.state().pages.clone();
            Ok(json!({"pages": pages.iter().map(|(n, t)| json!({"name": n, "targetId": t})).collect::<Vec<_>>()}))
        }
        "page.close" => {
            let page = req_str(params, "name")?;
            let target = session
                .state()
                .pages
                .get(page)
                .cloned()
                .ok_or_else(|| err("unknown_page", format!("no page named {page:?}")))?;
            let _ = session.call(hub, "Target.closeTarget", json!({"targetId": target}), None).await;
            session.forget_target(&target);
            Ok(json!({"ok": true}))
        }
        _ => {
            let page = req_str(params, "name")?.to_owned();
            let known = session.state().pages.get(&page).cloned();
            let (target, created) = match known {
                Some(t) => (t, false),
                None => {
                    let url = opt_str(params, "url")?.unwrap_or("about:blank");
                    let made = session.call(hub, "Target.createTarget", json!({"url": url}), None).await?;
                    (made["targetId"].as_str().unwrap_or_default().to_owned(), true)
                }
            };
            session.attach(hub, &target).await?;
            {
                let mut state = session.state();
                state.pages.insert(page, target.clone());
                state.activate(&target);
            }
            if let (false, Some(url)) = (created, opt_str(params, "url")?) {
                navigation::navigate(hub, session, url, "load", 30_000).await?;
            }
            Ok(json!({"targetId": target, "created": created}))
        }
    }
}
