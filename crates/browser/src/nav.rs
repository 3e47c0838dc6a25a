//! Navigation and waiting on the active target: `nav.goto` with load / domcontentloaded /
//! networkidle (counted from the tab's own requests in flight), and `nav.wait` for a
//! selector, ref or text.

use crate::error::{err, Error};
use crate::js;
use crate::session::{BrowserSession, Traffic};
use crate::SessionOp;
use opendevbrowser_api::clock::{now_ms, random_hex};
use opendevbrowser_api::commands::{Goto, Navigated, Timing, Wait};
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

/// Navigates the active target and waits for `until`: the old document is marked first, so
/// only the new one's readiness counts.
pub async fn navigate(
    session: &Arc<BrowserSession>,
    url: &str,
    until: &str,
    timeout_ms: u64,
) -> Result<Navigated, Error> {
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
    let navigate = session.call("Page.navigate", json!({"url": url}), Some(&cdp));
    let nav = tokio::time::timeout(Duration::from_millis(timeout_ms), navigate).await.map_err(|_| timed_out())??;
    if let Some(text) = nav["errorText"].as_str() {
        return Err(err("navigation_failed", format!("navigation to {url} failed: {text}")));
    }
    let same_document = nav.get("loaderId").is_none();
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
            if (same_document || p["fresh"] == true) && ready {
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
        wait(session, self).await
    }
}

/// Polls until the element or text of `w` is in the state asked for.
async fn wait(session: &Arc<BrowserSession>, w: Wait) -> Result<Timing, Error> {
    let started = Instant::now();
    let timeout = w.timeout_ms.unwrap_or(30_000);
    let state = w.state.as_deref().unwrap_or("visible");
    let selector = match (w.selector, &w.element) {
        (Some(s), _) => Some(s),
        (None, Some(r)) => Some(format!("[data-odb-ref=\"{r}\"]")),
        _ => None,
    };
    let text = w.text.as_deref();
    if selector.is_none() && text.is_none() {
        return Err(Error::param("selector", "give one of selector, ref or text"));
    }
    let (_, cdp) = session.active().await?;
    let check = js::call(js::CONDITION, &[json!(selector), json!(text), json!(state)]);
    loop {
        match session.eval(&cdp, &check).await {
            Ok(Value::Bool(true)) => return Ok(Timing { timing_ms: started.elapsed().as_millis() as u64 }),
            Err(Error::Browser(e)) if e.message.contains("SyntaxError") => {
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
