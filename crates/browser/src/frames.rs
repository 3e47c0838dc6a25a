//! Cross-origin iframes: their documents are out of the page's reach, so the walker lists
//! them and the hub enters each through the browser. An iframe in the page's own process
//! gets an isolated world (`Page.createIsolatedWorld`: it sees the frame's DOM, the page's
//! scripts do not see it); an out-of-process iframe (another site) is its own target,
//! attached with the page's auto-attach (flat sessions). Either way a ref table is made
//! there, the walker runs in it, and its lines go under the iframe's line. Refs keep
//! counting for the whole tab; actions on them go to their frame, with coordinates moved
//! by the iframe's position in the page.

use crate::error::{err, Error};
use crate::js;
use crate::ref_table;
use crate::session::BrowserSession;
use crate::state::FrameRef;
use serde_json::{json, Value};

/// A frame of the page, from `Page.getFrameTree`.
struct Frame {
    id: String,
    url: String,
}

/// Enters the cross-origin iframes the walker listed (`snap.crossFrames`), putting their
/// outlines into `lines` under each iframe's line. A frame that cannot be entered stays
/// listed as `(cross-origin: not entered)`.
pub async fn expand(
    session: &BrowserSession,
    target: &str,
    cdp: &str,
    snap: &Value,
    lines: &mut Vec<String>,
    mode: &str,
) -> Result<(), Error> {
    let listed = snap["crossFrames"].as_array().cloned().unwrap_or_default();
    if listed.is_empty() {
        return Ok(());
    }
    let tree = session.call("Page.getFrameTree", json!({}), Some(cdp)).await?;
    let mut frames = Vec::new();
    flatten(&tree["frameTree"], &mut frames);
    frames.extend(out_of_process(session, target).await);
    // Later lines first, so earlier line numbers stay right.
    for item in listed.iter().rev() {
        let (line, depth) = (item["line"].as_u64().unwrap_or(0) as usize, item["depth"].as_u64().unwrap_or(0));
        let src = item["src"].as_str().unwrap_or_default();
        let Some(at) = frames.iter().position(|f| f.url == src) else {
            mark_not_entered(lines, line, &err("unknown_target", "no such frame in the browser"));
            continue;
        };
        let frame = frames.remove(at);
        let inner = match walk_frame(session, target, cdp, &frame, depth, mode).await {
            Ok(inner) => inner,
            Err(e) => {
                mark_not_entered(lines, line, &e);
                continue;
            }
        };
        let at = (line + 1).min(lines.len());
        lines.splice(at..at, inner);
    }
    Ok(())
}

/// Marks an iframe line whose frame could not be entered.
fn mark_not_entered(lines: &mut [String], line: usize, e: &Error) {
    if let Some(l) = lines.get_mut(line) {
        *l = l.replace("(cross-origin)", &format!("(cross-origin: not entered: {e})"));
    }
}

/// Every frame below the main one, in tree order.
fn flatten(node: &Value, out: &mut Vec<Frame>) {
    for child in node["childFrames"].as_array().into_iter().flatten() {
        let frame = &child["frame"];
        out.push(Frame {
            id: frame["id"].as_str().unwrap_or_default().to_owned(),
            url: frame["url"].as_str().unwrap_or_default().to_owned(),
        });
        flatten(child, out);
    }
}

/// The out-of-process iframes attached under this target, with the URL each shows now.
async fn out_of_process(session: &BrowserSession, target: &str) -> Vec<Frame> {
    let attached: Vec<(String, String)> = session
        .state()
        .targets
        .get(target)
        .map(|t| t.frame_sessions.iter().map(|(f, s)| (f.clone(), s.clone())).collect())
        .unwrap_or_default();
    let mut frames = Vec::new();
    for (id, child) in attached {
        let url = session.call(
            "Runtime.evaluate",
            json!({"expression": "location.href", "returnByValue": true}),
            Some(&child),
        );
        if let Ok(url) = url.await {
            frames.push(Frame { id, url: url["result"]["value"].as_str().unwrap_or_default().to_owned() });
        }
    }
    frames
}

/// Makes a ref table in `frame`, runs the walker there, and records its refs.
async fn walk_frame(
    session: &BrowserSession,
    target: &str,
    cdp: &str,
    frame: &Frame,
    depth: u64,
    mode: &str,
) -> Result<Vec<String>, Error> {
    let base = session.state().targets.get(target).map_or(0, |t| t.max_ref);
    let opts = json!({"mode": mode, "base": base, "depth": depth});
    let known = session.state().targets.get(target).and_then(|t| t.frame_tables.get(&frame.id).cloned());
    // The frame's table from an earlier snapshot keeps its elements' refs; a frame that
    // navigated since gets a new one.
    let mut snap = Value::Null;
    let mut home = None;
    if let Some(known) = known {
        snap = call_on(session, &known, js::SNAPSHOT, std::slice::from_ref(&opts), true).await?;
        home = Some(known);
    }
    let home = match home.filter(|_| snap["stale"] != true) {
        Some(home) => home,
        None => {
            let made = table_in(session, target, cdp, &frame.id).await?;
            snap = call_on(session, &made, js::SNAPSHOT, &[opts], true).await?;
            made
        }
    };
    let max_ref = snap["maxRef"].as_u64().unwrap_or(base);
    if let Some(t) = session.state().targets.get_mut(target) {
        for n in (base + 1)..=max_ref {
            t.frame_refs.insert(format!("r{n}"), home.clone());
        }
        t.max_ref = t.max_ref.max(max_ref);
        t.frame_tables.insert(frame.id.clone(), home.clone());
    }
    let lines = snap["lines"].as_array().into_iter().flatten().filter_map(|l| l.as_str().map(str::to_owned));
    Ok(lines.collect())
}

/// A ref table in `frame_id`: in an isolated world of the page's session when the frame is
/// in the page's process, else in the frame's own target.
async fn table_in(session: &BrowserSession, target: &str, cdp: &str, frame_id: &str) -> Result<FrameRef, Error> {
    let world = json!({"frameId": frame_id, "worldName": "opendevbrowser"});
    let (frame_cdp, context) = match session.call("Page.createIsolatedWorld", world, Some(cdp)).await {
        Ok(made) => (cdp.to_owned(), made["executionContextId"].as_i64()),
        Err(_) => {
            let child = session.state().targets.get(target).and_then(|t| t.frame_sessions.get(frame_id).cloned());
            let child =
                child.ok_or_else(|| err("unknown_target", "the iframe is in another process and not attached"))?;
            (child, None)
        }
    };
    let table = ref_table::make_table(session, &frame_cdp, context).await?;
    Ok(FrameRef { frame_id: frame_id.to_owned(), cdp_session: frame_cdp, table })
}

/// Calls `function` on a frame's ref table; a table that is gone (the frame navigated)
/// makes the ref stale.
pub async fn call_on(
    session: &BrowserSession,
    home: &FrameRef,
    function: &str,
    args: &[Value],
    by_value: bool,
) -> Result<Value, Error> {
    match ref_table::call_function(session, &home.cdp_session, &home.table, function, args, by_value).await {
        Err(Error::Cdp(_)) => Ok(json!({"stale": true})),
        answer => answer,
    }
}

/// Calls `function` on the ref table that holds ref `r`: the page's, or a cross-origin
/// iframe's (`frames.rs`). The first argument passed is `r` itself.
pub async fn call_on_ref(
    session: &BrowserSession,
    target: &str,
    cdp: &str,
    r: &str,
    function: &str,
    args: &[Value],
    by_value: bool,
) -> Result<Value, Error> {
    let mut all = vec![json!(r)];
    all.extend_from_slice(args);
    let home = session.state().targets.get(target).and_then(|t| t.frame_refs.get(r).cloned());
    match home {
        Some(home) => call_on(session, &home, function, &all, by_value).await,
        None => crate::ref_table::call(session, target, cdp, function, &all, by_value).await,
    }
}

/// The CDP session the element of ref `r` is reached through (its iframe's own target
/// for an out-of-process iframe, else the page's `cdp`).
pub fn session_of_ref(session: &BrowserSession, target: &str, cdp: &str, r: &str) -> String {
    let home = session.state().targets.get(target).and_then(|t| t.frame_refs.get(r).map(|f| f.cdp_session.clone()));
    home.unwrap_or_else(|| cdp.to_owned())
}

/// The frame a ref's element is in, when it is in a cross-origin iframe.
pub fn frame_of_ref(session: &BrowserSession, target: &str, r: &str) -> Option<String> {
    session.state().targets.get(target).and_then(|t| t.frame_refs.get(r).map(|f| f.frame_id.clone()))
}

/// Where the frame's viewport starts in the page's: the iframe element's content box.
pub async fn offset(session: &BrowserSession, cdp: &str, frame_id: &str) -> Result<(f64, f64), Error> {
    let owner = session.call("DOM.getFrameOwner", json!({"frameId": frame_id}), Some(cdp)).await?;
    let node = owner["backendNodeId"].clone();
    let model = session.call("DOM.getBoxModel", json!({"backendNodeId": node}), Some(cdp)).await?;
    let content = &model["model"]["content"];
    Ok((content[0].as_f64().unwrap_or(0.0), content[1].as_f64().unwrap_or(0.0)))
}
