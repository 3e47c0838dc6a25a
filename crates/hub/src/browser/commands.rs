//! Session, target, page and navigation commands.

use super::actions;
use super::direct::{browser_ws_url, DirectCdp};
use super::error::BrowserError;
use super::js;
use super::launcher::ManagedChromium;
use super::session::{BrowserSession, Mode, Traffic};
use crate::commands::{owner, wait_until_ready, Answer, DEFAULT_READY_TIMEOUT_MS, MAX_TIMEOUT_MS};
use crate::error::HubError;
use crate::params::{opt_bool, opt_str, opt_u64, req_str, Params};
use crate::server::HubCore;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `networkidle`: how long a page must have had no request in flight (as Playwright counts it).
pub const NETWORK_IDLE_MS: u64 = 500;

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

fn err(code: &'static str, message: impl Into<String>) -> HubError {
    HubError::Browser(BrowserError::new(code, message))
}

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
                "nav.goto" => goto(hub, &session, params).await?,
                "nav.wait" => wait(hub, &session, params).await?,
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
        navigate(hub, &session, &start_url, "load", 30_000).await?;
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
                navigate(hub, session, url, "load", 30_000).await?;
            }
            Ok(json!({"targetId": target, "created": created}))
        }
    }
}

async fn goto(hub: &HubCore, session: &Arc<BrowserSession>, params: &Params) -> Result<Value, HubError> {
    let url = req_str(params, "url")?;
    let until = opt_str(params, "waitUntil")?.unwrap_or("load");
    if !matches!(until, "load" | "domcontentloaded" | "networkidle") {
        return Err(HubError::param("waitUntil", "must be load, domcontentloaded or networkidle"));
    }
    let timeout = opt_u64(params, "timeoutMs", MAX_TIMEOUT_MS)?.unwrap_or(30_000);
    navigate(hub, session, url, until, timeout).await
}

/// Navigates the active target and waits for `until`: the old document is marked first, so
/// only the new one's readiness counts.
pub async fn navigate(
    hub: &HubCore,
    session: &Arc<BrowserSession>,
    url: &str,
    until: &str,
    timeout_ms: u64,
) -> Result<Value, HubError> {
    let started = Instant::now();
    let (target, cdp) = session.active(hub).await?;
    let log_mark = {
        let mut state = session.state();
        state.traffic.entry(target.clone()).or_default().reset(crate::paths::now_ms());
        state.network.since(u64::MAX, 0).1
    };
    let marker = crate::paths::random_hex(6);
    let _ = eval(hub, session, &cdp, &format!("window.__odbNav = '{marker}'")).await;
    let timed_out = || {
        let busy = session.state().traffic.get(&target).map_or(0, Traffic::in_flight);
        let hint = match until {
            "networkidle" if busy > 0 => format!(
                " ({busy} requests still in flight; pages that poll or stream never go idle: use waitUntil load)"
            ),
            _ => String::new(),
        };
        err("navigation_timeout", format!("{url} did not reach '{until}' within {timeout_ms} ms{hint}"))
    };
    let navigate = session.call(hub, "Page.navigate", json!({"url": url}), Some(&cdp));
    let nav = tokio::time::timeout(Duration::from_millis(timeout_ms), navigate).await.map_err(|_| timed_out())??;
    if let Some(text) = nav["errorText"].as_str() {
        return Err(err("navigation_failed", format!("navigation to {url} failed: {text}")));
    }
    let same_document = nav.get("loaderId").is_none();
    let probe = format!(
        "({{fresh: window.__odbNav !== '{marker}', state: document.readyState, url: location.href, title: document.title}})"
    );
    loop {
        if let Ok(p) = eval(hub, session, &cdp, &probe).await {
            let state = p["state"].as_str().unwrap_or("loading");
            let ready = match until {
                "domcontentloaded" => state != "loading",
                "networkidle" => state == "complete" && network_idle(session, &target),
                _ => state == "complete",
            };
            if (same_document || p["fresh"] == true) && ready {
                let timing = started.elapsed().as_millis() as u64;
                let status = document_status(session, &target, log_mark);
                return Ok(json!({"finalUrl": p["url"], "title": p["title"], "status": status, "timingMs": timing}));
            }
        }
        if started.elapsed() >= Duration::from_millis(timeout_ms) {
            return Err(timed_out());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether `target` has had no request in flight for [`NETWORK_IDLE_MS`].
fn network_idle(session: &BrowserSession, target: &str) -> bool {
    let state = session.state();
    let idle = state.traffic.get(target).and_then(|t| t.idle_for_ms(crate::paths::now_ms()));
    idle.is_some_and(|ms| ms >= NETWORK_IDLE_MS)
}

/// The HTTP status of the last main-document response of `target` logged after `mark`.
fn document_status(session: &BrowserSession, target: &str, mark: u64) -> Value {
    let state = session.state();
    let (events, _) = state.network.since(mark, usize::MAX);
    events
        .iter()
        .rev()
        .find(|e| e["event"] == "response" && e["resourceType"] == "Document" && e["targetId"] == target)
        .map_or(Value::Null, |e| e["status"].clone())
}

async fn wait(hub: &HubCore, session: &Arc<BrowserSession>, params: &Params) -> Result<Value, HubError> {
    let started = Instant::now();
    let timeout = opt_u64(params, "timeoutMs", MAX_TIMEOUT_MS)?.unwrap_or(30_000);
    let state = opt_str(params, "state")?.unwrap_or("visible");
    let selector = match (opt_str(params, "selector")?, opt_str(params, "ref")?) {
        (Some(s), _) => Some(s.to_owned()),
        (None, Some(r)) => Some(format!("[data-odb-ref=\"{r}\"]")),
        _ => None,
    };
    let text = opt_str(params, "text")?;
    if selector.is_none() && text.is_none() {
        return Err(HubError::param("selector", "give one of selector, ref or text"));
    }
    let (_, cdp) = session.active(hub).await?;
    let check = js::call(js::CONDITION, &[json!(selector), json!(text), json!(state)]);
    loop {
        match eval(hub, session, &cdp, &check).await {
            Ok(Value::Bool(true)) => return Ok(json!({"timingMs": started.elapsed().as_millis() as u64})),
            Err(HubError::Browser(e)) if e.message.contains("SyntaxError") => {
                return Err(err("invalid_selector", format!("{selector:?} is not a valid CSS selector")))
            }
            _ => {}
        }
        if started.elapsed() >= Duration::from_millis(timeout) {
            let what = text
                .map_or_else(|| format!("{} to be {state}", selector.unwrap_or_default()), |t| format!("text {t:?}"));
            return Err(err("wait_timeout_exceeded", format!("waited {timeout} ms for {what}")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
