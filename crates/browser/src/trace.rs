//! `devtools.traceStart` / `devtools.traceStop`: a performance trace of the active tab with
//! the `Tracing` domain, written as a Chrome trace file (JSON with `traceEvents`) that the
//! DevTools Performance panel and Perfetto open. The browser hands the trace over as a
//! stream (`transferMode: ReturnAsStream`), read with `IO.read` when the trace ends.

use crate::error::{err, Error};
use crate::session::BrowserSession;
use crate::SessionOp;
use opendevbrowser_api::commands::{Reload, TraceFile, TraceStart, TraceStarted, TraceStop};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// What the DevTools Performance panel records (with screenshots left out): enough for its
/// timeline, network track, LCP / layout-shift markers and render-blocking requests.
pub const DEFAULT_CATEGORIES: &[&str] = &[
    "-*",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "disabled-by-default-devtools.timeline.frame",
    "disabled-by-default-devtools.timeline.stack",
    "devtools.timeline.frame",
    "toplevel",
    "blink.console",
    "blink.user_timing",
    "latencyInfo",
    "loading",
    "v8.execute",
    "disabled-by-default-v8.cpu_profiler",
    "disabled-by-default-lighthouse",
    "disabled-by-default-devtools.timeline.invalidationTracking",
];

/// How long the browser may take to hand over a finished trace.
const COMPLETE_WAIT: Duration = Duration::from_secs(60);

impl SessionOp for TraceStart {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<TraceStarted, Error> {
        if let Some((target, _)) = &session.state().trace {
            return Err(err("already_tracing", format!("a trace of {target} is recording: devtools.traceStop first")));
        }
        let (target, cdp) = session.active().await?;
        let categories = self.categories.unwrap_or_else(|| DEFAULT_CATEGORIES.iter().map(|c| c.to_string()).collect());
        let params =
            json!({"transferMode": "ReturnAsStream", "streamFormat": "json", "traceConfig": config(&categories)});
        session.call("Tracing.start", params, Some(&cdp)).await.map_err(|e| refused("start", e))?;
        session.state().trace = Some((target.clone(), cdp));
        let reloaded = self.reload == Some(true);
        if reloaded {
            Reload::default().run(session).await?;
        }
        Ok(TraceStarted { target_id: target, reloaded })
    }
}

impl SessionOp for TraceStop {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<TraceFile, Error> {
        let running = session.state().trace.take();
        let (_, cdp) = running
            .ok_or_else(|| err("not_tracing", "no trace is recording in this session: devtools.traceStart first"))?;
        let mut events = session.events();
        session.call("Tracing.end", json!({}), Some(&cdp)).await.map_err(|e| refused("end", e))?;
        let complete = async {
            loop {
                match events.recv().await {
                    Ok(e) if e.method == "Tracing.tracingComplete" && e.session_id.as_deref() == Some(&cdp) => {
                        return Ok(e.params.unwrap_or_default());
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => {
                        return Err(err("trace_failed", "the browser went away before the trace was handed over"))
                    }
                }
            }
        };
        let complete = tokio::time::timeout(COMPLETE_WAIT, complete)
            .await
            .map_err(|_| err("trace_failed", "the browser did not hand over the trace within 60 s"))??;
        let stream = complete["stream"]
            .as_str()
            .ok_or_else(|| err("trace_failed", format!("the browser handed over no trace stream: {complete}")))?;
        let mut bytes = read_stream(session, &cdp, stream).await?;
        let mut doc = parse(&bytes)?;
        if add_tracing_started(&mut doc) {
            bytes = serde_json::to_vec(&doc).expect("a trace serializes");
        }
        let events = count_events(&doc)?;
        opendevbrowser_api::files::write_private_atomic(std::path::Path::new(&self.path), &bytes)
            .map_err(|e| Error::param("path", format!("cannot write {}: {e}", self.path)))?;
        Ok(TraceFile { path: self.path, events, bytes: bytes.len() as u64 })
    }
}

/// `Tracing.start`'s `traceConfig` for a category list where `-name` leaves one out.
pub fn config(categories: &[String]) -> Value {
    let (excluded, included): (Vec<&String>, Vec<&String>) = categories.iter().partition(|c| c.starts_with('-'));
    let excluded: Vec<&str> = excluded.iter().map(|c| &c[1..]).collect();
    json!({"includedCategories": included, "excludedCategories": excluded})
}

/// The trace's bytes, read from the browser's stream in 1 MB pieces.
async fn read_stream(session: &BrowserSession, cdp: &str, handle: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    loop {
        let piece = session.call("IO.read", json!({"handle": handle, "size": 1 << 20}), Some(cdp)).await?;
        let data = piece["data"].as_str().unwrap_or_default();
        if piece["base64Encoded"] == true {
            let decoded = opendevbrowser_api::base64::decode(data)
                .ok_or_else(|| err("trace_failed", "the browser's trace stream was not valid base64"))?;
            bytes.extend_from_slice(&decoded);
        } else {
            bytes.extend_from_slice(data.as_bytes());
        }
        if piece["eof"] == true {
            break;
        }
    }
    let _ = session.call("IO.close", json!({"handle": handle}), Some(cdp)).await;
    Ok(bytes)
}

/// The browser's JSON trace.
fn parse(bytes: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(bytes)
        .map_err(|e| err("trace_failed", format!("the browser's trace is not valid JSON: {e}")))
}

/// The trace's events (a JSON trace is `{traceEvents: […]}` or a bare array).
fn events_of(doc: &mut Value) -> Option<&mut Vec<Value>> {
    if doc.get("traceEvents").is_some() {
        doc["traceEvents"].as_array_mut()
    } else {
        doc.as_array_mut()
    }
}

/// How many trace events `doc` holds.
pub fn count_events(doc: &Value) -> Result<usize, Error> {
    let events = doc.get("traceEvents").unwrap_or(doc);
    events.as_array().map(Vec::len).ok_or_else(|| err("trace_failed", "the browser's trace has no traceEvents list"))
}

/// A trace recorded through `chrome.debugger` (the extension) lacks the browser's opening
/// `TracingStartedInBrowser` event, which names the traced tab's main frame and renderer
/// process; without it DevTools finds no page in the file. Adds it, built from the trace's
/// own first main-frame `navigationStart` (its frame, process and URL). Whether it added one.
pub fn add_tracing_started(doc: &mut Value) -> bool {
    let Some(events) = events_of(doc) else { return false };
    if events.iter().any(|e| e["name"] == "TracingStartedInBrowser") {
        return false;
    }
    let main = events.iter().find(|e| {
        let data = &e["args"]["data"];
        e["name"] == "navigationStart"
            && data["isOutermostMainFrame"] != false
            && data["isLoadingMainFrame"] == true
            && data["documentLoaderURL"].as_str().is_some_and(|u| !u.is_empty())
    });
    let Some(main) = main else { return false };
    let first_ts = events.iter().filter_map(|e| e["ts"].as_u64()).filter(|ts| *ts > 0).min().unwrap_or(0);
    let frame = json!({"frame": main["args"]["frame"], "url": main["args"]["data"]["documentLoaderURL"], "name": "",
        "processId": main["pid"], "isOutermostMainFrame": true, "isInPrimaryMainFrame": true});
    let started = json!({"name": "TracingStartedInBrowser", "cat": "disabled-by-default-devtools.timeline",
        "ph": "I", "s": "t", "pid": main["pid"], "tid": main["tid"], "ts": first_ts,
        "args": {"data": {"frameTreeNodeId": 0, "persistentIds": true, "frames": [frame]}}});
    events.insert(0, started);
    true
}

/// The browser refused to start or end a trace: its own words, and what to do.
fn refused(step: &str, e: Error) -> Error {
    err("trace_failed", format!("the browser refused to {step} the trace: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dash_leaves_a_category_out() {
        let c = config(&["-*".to_owned(), "loading".to_owned(), "toplevel".to_owned()]);
        assert_eq!(c, json!({"includedCategories": ["loading", "toplevel"], "excludedCategories": ["*"]}));
    }

    #[test]
    fn trace_events_are_counted_in_both_shapes() {
        assert_eq!(
            count_events(&parse(br#"{"traceEvents":[{"name":"a"},{"name":"b"}],"metadata":{}}"#).unwrap()).unwrap(),
            2
        );
        assert_eq!(count_events(&parse(br#"[{"name":"a"}]"#).unwrap()).unwrap(), 1);
        assert!(matches!(parse(b"{\"traceEvents\":[").unwrap_err(), Error::Browser(e) if e.code == "trace_failed"));
    }

    fn navigation_start(frame: &str, url: &str, main: bool) -> Value {
        json!({"name": "navigationStart", "pid": 42, "tid": 7, "ts": 2000, "ph": "R", "cat": "blink.user_timing",
            "args": {"frame": frame, "data": {"documentLoaderURL": url, "isLoadingMainFrame": main,
            "isOutermostMainFrame": main, "navigationId": "N1"}}})
    }

    #[test]
    fn a_trace_without_the_browsers_opening_event_gets_one_naming_the_main_frame() {
        let mut doc = json!({"traceEvents": [
            {"name": "RunTask", "ts": 1500, "pid": 42, "tid": 7},
            navigation_start("F-ad", "http://ads.test/", false),
            navigation_start("F-main", "http://127.0.0.1:9/vitals", true),
        ]});
        assert!(add_tracing_started(&mut doc));
        let started = &doc["traceEvents"][0];
        assert_eq!(
            (started["name"].as_str(), started["pid"].as_u64(), started["ts"].as_u64()),
            (Some("TracingStartedInBrowser"), Some(42), Some(1500))
        );
        let frame = &started["args"]["data"]["frames"][0];
        assert_eq!(
            (frame["frame"].as_str(), frame["url"].as_str(), frame["processId"].as_u64()),
            (Some("F-main"), Some("http://127.0.0.1:9/vitals"), Some(42))
        );
        assert!(!add_tracing_started(&mut doc), "added once");
        assert_eq!(count_events(&doc).unwrap(), 4);
    }

    #[test]
    fn a_trace_without_a_main_frame_navigation_is_left_as_it_is() {
        let mut doc = json!([navigation_start("F-main", "", true)]);
        assert!(!add_tracing_started(&mut doc));
        assert_eq!(count_events(&doc).unwrap(), 1);
    }
}
