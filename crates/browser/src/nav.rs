//! Navigation and waiting on the active target: `nav.goto`, `nav.reload` and the history
//! steps `nav.back` / `nav.forward`, each waiting for load / domcontentloaded /
//! networkidle (counted from the tab's own requests in flight), and `nav.wait` for a
//! selector, ref or text.

use crate::element_js::ELEMENT_OP;
use crate::error::{err, Error};
use crate::js;
use crate::session::{BrowserSession, Traffic};
use crate::SessionOp;
use opendevbrowser_api::clock::{now_ms, random_hex};
use opendevbrowser_api::commands::{Back, Forward, Goto, Navigated, Reload, Timing, Wait};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `networkidle`: how long a page must have had no request in flight (as Playwright counts it).
pub const NETWORK_IDLE_MS: u64 = 500;

impl SessionOp for Goto {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Navigated, Error> {
        let until = self.wait_until.unwrap_or_default().as_str();
        navigate(session, &self.url, until, self.timeout_ms.unwrap_or(30_000)).await
    }
}

impl SessionOp for Reload {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Navigated, Error> {
        let until = self.wait_until.unwrap_or_default().as_str();
        travel(session, Move::Reload, until, self.timeout_ms.unwrap_or(30_000)).await
    }
}

impl SessionOp for Back {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Navigated, Error> {
        let until = self.wait_until.unwrap_or_default().as_str();
        history_step(session, -1, until, self.timeout_ms.unwrap_or(30_000)).await
    }
}

impl SessionOp for Forward {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Navigated, Error> {
        let until = self.wait_until.unwrap_or_default().as_str();
        history_step(session, 1, until, self.timeout_ms.unwrap_or(30_000)).await
    }
}

/// Moves `delta` entries through the active tab's history (`no_history` when there is
/// nothing that way).
async fn history_step(
    session: &Arc<BrowserSession>,
    delta: i64,
    until: &str,
    timeout_ms: u64,
) -> Result<Navigated, Error> {
    let (_, cdp) = session.active().await?;
    let history = session.call("Page.getNavigationHistory", json!({}), Some(&cdp)).await?;
    let index = history["currentIndex"].as_i64().unwrap_or(0) + delta;
    let entry = usize::try_from(index).ok().and_then(|i| history["entries"].get(i)).filter(|e| e.is_object());
    let Some(entry) = entry else {
        let way = if delta < 0 { "back to" } else { "forward to" };
        return Err(err("no_history", format!("there is no page to go {way} in this tab's history")));
    };
    let url = entry["url"].as_str().unwrap_or_default().to_owned();
    travel(session, Move::History { entry: entry["id"].as_i64().unwrap_or(0), url }, until, timeout_ms).await
}

/// How a navigation starts.
enum Move<'a> {
    /// `Page.navigate` to a URL.
    To(&'a str),
    /// `Page.reload`.
    Reload,
    /// `Page.navigateToHistoryEntry` (the entry may be the same document, e.g. pushState).
    History { entry: i64, url: String },
}

impl Move<'_> {
    fn describe(&self) -> String {
        match self {
            Move::To(url) => (*url).to_owned(),
            Move::Reload => "the reload".to_owned(),
            Move::History { url, .. } => url.clone(),
        }
    }
}

/// Navigates the active target to `url` and waits for `until`.
pub async fn navigate(
    session: &Arc<BrowserSession>,
    url: &str,
    until: &str,
    timeout_ms: u64,
) -> Result<Navigated, Error> {
    session.state().origin_rules.check_navigation(url)?;
    travel(session, Move::To(url), until, timeout_ms).await
}

/// Starts the move and waits for `until`: the old document is marked first, so only the
/// new one's readiness counts (a same-document move counts once the URL is reached).
async fn travel(
    session: &Arc<BrowserSession>,
    how: Move<'_>,
    until: &str,
    timeout_ms: u64,
) -> Result<Navigated, Error> {
    let url = how.describe();
    let started = Instant::now();
    let (target, cdp) = session.active().await?;
    let log_mark = {
        let mut state = session.state();
        state.traffic.entry(target.clone()).or_default().reset(now_ms());
        state.network.since(u64::MAX, 0).1
    };
    let marker = random_hex(6);
    let _ = session.eval(&cdp, &format!("window.__odbNav = '{marker}'")).await;
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
    let start = match &how {
        Move::To(to) => session.call("Page.navigate", json!({"url": to}), Some(&cdp)),
        Move::Reload => session.call("Page.reload", json!({}), Some(&cdp)),
        Move::History { entry, .. } => {
            session.call("Page.navigateToHistoryEntry", json!({"entryId": entry}), Some(&cdp))
        }
    };
    let nav = tokio::time::timeout(Duration::from_millis(timeout_ms), start).await.map_err(|_| timed_out())??;
    if let Some(text) = nav["errorText"].as_str() {
        return Err(err("navigation_failed", format!("navigation to {url} failed: {text}")));
    }
    let arrived = |p: &Value| match &how {
        Move::To(_) => nav.get("loaderId").is_none() || p["fresh"] == true,
        Move::Reload => p["fresh"] == true,
        Move::History { url, .. } => p["fresh"] == true || p["url"].as_str() == Some(url),
    };
    let probe = format!(
        "({{fresh: window.__odbNav !== '{marker}', state: document.readyState, url: location.href, title: document.title}})"
    );
    loop {
        if let Ok(p) = session.eval(&cdp, &probe).await {
            let state = p["state"].as_str().unwrap_or("loading");
            let ready = match until {
                "domcontentloaded" => state != "loading",
                "networkidle" => state == "complete" && network_idle(session, &target),
                _ => state == "complete",
            };
            if arrived(&p) && ready {
                let timing = started.elapsed().as_millis() as u64;
                let status = document_status(session, &target, log_mark);
                let text = |k: &str| p[k].as_str().map(str::to_owned);
                return Ok(Navigated { final_url: text("url"), title: text("title"), status, timing_ms: timing });
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
    let idle = state.traffic.get(target).and_then(|t| t.idle_for_ms(now_ms()));
    idle.is_some_and(|ms| ms >= NETWORK_IDLE_MS)
}

/// The HTTP status of the last main-document response of `target` logged after `mark`.
fn document_status(session: &BrowserSession, target: &str, mark: u64) -> Option<u16> {
    let state = session.state();
    let (events, _) = state.network.since(mark, usize::MAX);
    events
        .iter()
        .rev()
        .find(|e| e["event"] == "response" && e["resourceType"] == "Document" && e["targetId"] == target)
        .and_then(|e| e["status"].as_u64())
        .and_then(|s| u16::try_from(s).ok())
}

impl SessionOp for Wait {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Timing, Error> {
        // A deliberate bug that exists only for scripts/mutation_check.sh (never enabled
        // otherwise): `nav.wait` answers success at once, whatever the page shows.
        #[cfg(feature = "mutant-wait-always-succeeds")]
        return Ok(Timing { timing_ms: 0 });
        wait(session, self).await
    }
}

/// Polls until the element or text of `w` is in the state asked for.
async fn wait(session: &Arc<BrowserSession>, w: Wait) -> Result<Timing, Error> {
    let started = Instant::now();
    let timeout = w.timeout_ms.unwrap_or(30_000);
    let state = w.state.as_deref().unwrap_or("visible");
    let selector = w.selector;
    let text = w.text.as_deref();
    let element = w.element.filter(|_| selector.is_none());
    if selector.is_none() && text.is_none() && element.is_none() {
        return Err(Error::param("selector", "give one of selector, ref or text"));
    }
    let (target, cdp) = session.active().await?;
    if let Some(r) = &element {
        session.check_ref(&target, r)?;
    }
    let check = js::call(js::CONDITION, &[json!(selector), json!(text), json!(state)]);
    loop {
        let holds = match &element {
            Some(r) => ref_state(session, &target, &cdp, r, state).await,
            None => session.eval(&cdp, &check).await,
        };
        match holds {
            Ok(Value::Bool(true)) => return Ok(Timing { timing_ms: started.elapsed().as_millis() as u64 }),
            Err(Error::Browser(e)) if e.message.contains("SyntaxError") => {
                return Err(err("invalid_selector", format!("{selector:?} is not a valid CSS selector")))
            }
            _ => {}
        }
        if started.elapsed() >= Duration::from_millis(timeout) {
            let thing = selector.or(element).unwrap_or_default();
            let what = text.map_or_else(|| format!("{thing} to be {state}"), |t| format!("text {t:?}"));
            return Err(err("wait_timeout_exceeded", format!("waited {timeout} ms for {what}")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether the element of ref `r` is in `state` (`attached`, `visible`, `hidden`) now; an
/// element that left the page counts as hidden (and not attached).
async fn ref_state(session: &BrowserSession, target: &str, cdp: &str, r: &str, state: &str) -> Result<Value, Error> {
    let seen =
        match crate::frames::call_on_ref(session, target, cdp, r, ELEMENT_OP, &[json!("visible"), Value::Null], true)
            .await
        {
            Err(Error::Browser(e)) if e.code == "stale_ref" => json!({"stale": true}),
            other => other?,
        };
    let (attached, visible) = (seen["stale"] != true, seen["value"] == true);
    Ok(Value::Bool(match state {
        "attached" => attached,
        "detached" => !attached,
        "hidden" => !visible,
        _ => visible,
    }))
}
