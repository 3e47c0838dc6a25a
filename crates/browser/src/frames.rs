//! Reaching the element of a ref: the hub holds each ref as a backend node id
//! (`refs.rs`), and `DOM.resolveNode` turns it into the element, in its own frame's main
//! world (an iframe's element is reached through the page's session when the iframe is in
//! the page's process, else through the iframe's own target). Functions then run with
//! `this` = the element. Coordinates an element reports are its own frame's: an element
//! in an iframe is moved by the iframe's position in the page.

use crate::error::Error;
use crate::refs::{stale, NodeRef};
use crate::session::{js_result, BrowserSession};
use serde_json::{json, Value};

/// What `r` names for `target`: `unknown_ref` when never issued, `stale_ref` when its
/// document is gone.
pub fn node_of_ref(session: &BrowserSession, target: &str, r: &str) -> Result<NodeRef, Error> {
    let state = session.state();
    match state.targets.get(target) {
        Some(t) => t.refs.check(r).cloned(),
        None => Err(crate::refs::unknown(r)),
    }
}

/// The element of `r` as a remote object: (the CDP session it is reached through, its
/// object id).
pub async fn resolve(session: &BrowserSession, target: &str, cdp: &str, r: &str) -> Result<(String, String), Error> {
    let node = node_of_ref(session, target, r)?;
    let via = node.frame_session.unwrap_or_else(|| cdp.to_owned());
    let params = json!({"backendNodeId": node.backend_id, "objectGroup": "opendevbrowser"});
    let resolved = session.call("DOM.resolveNode", params, Some(&via)).await.map_err(|_| stale(r))?;
    let object = resolved["object"]["objectId"].as_str().ok_or_else(|| stale(r))?.to_owned();
    Ok((via, object))
}

/// Calls `function` with `this` = the element of ref `r` and JSON `args`; its value (or
/// remote object when not `by_value`).
pub async fn call_on_ref(
    session: &BrowserSession,
    target: &str,
    cdp: &str,
    r: &str,
    function: &str,
    args: &[Value],
    by_value: bool,
) -> Result<Value, Error> {
    let (via, object) = resolve(session, target, cdp, r).await?;
    let arguments: Vec<Value> = args.iter().map(|a| json!({"value": a})).collect();
    let params = json!({"objectId": object, "functionDeclaration": function, "arguments": arguments,
        "returnByValue": by_value, "awaitPromise": true});
    js_result(session.call("Runtime.callFunctionOn", params, Some(&via)).await?, by_value)
}

/// The CDP session the element of ref `r` is reached through (its iframe's own target
/// for an out-of-process iframe, else the page's `cdp`).
pub fn session_of_ref(session: &BrowserSession, target: &str, cdp: &str, r: &str) -> String {
    node_of_ref(session, target, r).ok().and_then(|n| n.frame_session).unwrap_or_else(|| cdp.to_owned())
}

/// The frame a ref's element is in, when it is not the tab's main frame.
pub fn frame_of_ref(session: &BrowserSession, target: &str, r: &str) -> Option<String> {
    node_of_ref(session, target, r).ok().and_then(|n| n.frame_id)
}

/// Where the frame's viewport starts in the page's: the iframe element's content box.
pub async fn offset(session: &BrowserSession, cdp: &str, frame_id: &str) -> Result<(f64, f64), Error> {
    let owner = session.call("DOM.getFrameOwner", json!({"frameId": frame_id}), Some(cdp)).await?;
    let node = owner["backendNodeId"].clone();
    let model = session.call("DOM.getBoxModel", json!({"backendNodeId": node}), Some(cdp)).await?;
    let content = &model["model"]["content"];
    Ok((content[0].as_f64().unwrap_or(0.0), content[1].as_f64().unwrap_or(0.0)))
}
