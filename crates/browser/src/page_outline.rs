//! Taking a tab's outline: for each document of the tab (the page, then every iframe,
//! cross-origin and out-of-process ones included) the browser's accessibility tree and
//! DOM facts are read and rendered (`outline.rs`), refs issued into the tab's ref map, and
//! each iframe's lines put under its line.

use crate::dom_facts::{self, DomFacts};
use crate::error::{err, Error};
use crate::outline::{self, AxTree, Options, Rendered};
use crate::refs::NodeRef;
use crate::session::BrowserSession;
use serde_json::json;

/// How many iframes deep the outline goes.
const MAX_FRAME_NESTING: usize = 4;

/// One document to render: where it is reached, and which frame it is.
#[derive(Clone)]
struct Doc {
    /// The CDP session to read it through.
    cdp: String,
    /// `Some` for an out-of-process iframe's own session.
    frame_session: Option<String>,
    /// The frame (`None`: the tab's main frame).
    frame_id: Option<String>,
}

/// The outline of the tab `target` (attached as `cdp`), or of the element of ref `root`
/// and what is inside it.
pub async fn take(
    session: &BrowserSession,
    target: &str,
    cdp: &str,
    root: Option<&str>,
    opts: Options,
) -> Result<Rendered, Error> {
    let main = Doc { cdp: cdp.to_owned(), frame_session: None, frame_id: None };
    let (doc, start) = match root {
        None => (main, None),
        Some(r) => {
            let node = crate::frames::node_of_ref(session, target, r)?;
            let doc = Doc {
                cdp: node.frame_session.clone().unwrap_or_else(|| cdp.to_owned()),
                frame_session: node.frame_session.clone(),
                frame_id: node.frame_id.clone(),
            };
            (doc, Some(node.backend_id))
        }
    };
    // Both reads of the document go to the browser at once.
    let (facts, tree) = tokio::join!(read_facts(session, &doc.cdp), read_tree(session, &doc));
    let tree = tree?;
    let root_id = match start {
        None => None,
        Some(backend) => Some(tree.find_backend(backend).ok_or_else(|| {
            err(
                "stale_ref",
                format!("ref {} is not in the page's accessibility tree now (hidden or gone)", root.unwrap_or("")),
            )
        })?),
    };
    let mut out = render(session, target, &doc, &tree, root_id.as_deref(), 0, &facts, opts);
    expand_frames(session, target, &doc, &facts, &mut out, opts, 1).await;
    Ok(out)
}

/// Renders one document's tree, issuing refs into the tab's map.
#[allow(clippy::too_many_arguments)]
fn render(
    session: &BrowserSession,
    target: &str,
    doc: &Doc,
    tree: &AxTree,
    root: Option<&str>,
    depth: usize,
    facts: &DomFacts,
    opts: Options,
) -> Rendered {
    let mut state = session.state();
    let refs = &mut state.targets.entry(target.to_owned()).or_default().refs;
    let mut issue = |backend_id| {
        refs.issue(NodeRef { frame_session: doc.frame_session.clone(), backend_id, frame_id: doc.frame_id.clone() })
    };
    let layout = outline::Layout { clickable: &facts.clickable, inline: &facts.inline };
    outline::render(tree, root, depth, layout, opts, &mut issue)
}

/// Puts each iframe's document under its line (later lines first, so earlier line
/// numbers stay right). A frame that cannot be read says why on its line.
async fn expand_frames(
    session: &BrowserSession,
    target: &str,
    parent: &Doc,
    facts: &DomFacts,
    out: &mut Rendered,
    opts: Options,
    nesting: usize,
) {
    let slots = std::mem::take(&mut out.frames);
    for slot in slots.into_iter().rev() {
        let inner =
            match frame_outline(session, target, parent, facts, slot.backend_id, slot.depth, opts, nesting).await {
                Ok(inner) => inner,
                Err(e) => {
                    if let Some(line) = out.lines.get_mut(slot.line) {
                        line.push_str(&format!(" (not entered: {e})"));
                    }
                    continue;
                }
            };
        out.ref_count += inner.ref_count;
        let at = (slot.line + 1).min(out.lines.len());
        out.lines.splice(at..at, inner.lines);
    }
}

/// The outline of the document shown by the iframe element `iframe` of `parent`.
#[allow(clippy::too_many_arguments)]
async fn frame_outline(
    session: &BrowserSession,
    target: &str,
    parent: &Doc,
    facts: &DomFacts,
    iframe: i64,
    depth: usize,
    opts: Options,
    nesting: usize,
) -> Result<Rendered, Error> {
    if nesting > MAX_FRAME_NESTING {
        return Err(err("not_supported", format!("iframes nested more than {MAX_FRAME_NESTING} deep are not walked")));
    }
    let frame_id = match facts.frame_of_iframe.get(&iframe) {
        Some(id) => id.clone(),
        None => {
            let described =
                session.call("DOM.describeNode", json!({"backendNodeId": iframe}), Some(&parent.cdp)).await?;
            described["node"]["frameId"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| err("unknown_target", "the iframe shows no document"))?
        }
    };
    let child = session.state().targets.get(target).and_then(|t| t.frame_sessions.get(&frame_id).cloned());
    let (doc, facts) = match child {
        Some(child) => {
            let facts = read_facts(session, &child).await;
            (Doc { cdp: child.clone(), frame_session: Some(child), frame_id: Some(frame_id) }, facts)
        }
        None => (
            Doc { cdp: parent.cdp.clone(), frame_session: parent.frame_session.clone(), frame_id: Some(frame_id) },
            facts.clone(),
        ),
    };
    let tree = read_tree(session, &doc).await?;
    let mut out = render(session, target, &doc, &tree, None, depth, &facts, opts);
    Box::pin(expand_frames(session, target, &doc, &facts, &mut out, opts, nesting + 1)).await;
    Ok(out)
}

/// The accessibility tree of one document.
async fn read_tree(session: &BrowserSession, doc: &Doc) -> Result<AxTree, Error> {
    // An out-of-process iframe's session has one document: its own.
    let params = match (&doc.frame_id, &doc.frame_session) {
        (Some(frame), None) => json!({"frameId": frame}),
        _ => json!({}),
    };
    let answer = session.call("Accessibility.getFullAXTree", params, Some(&doc.cdp)).await?;
    let nodes = answer["nodes"].as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(AxTree::parse(nodes))
}

/// The DOM facts of every document reached through `cdp`. Without them the outline still
/// has every element with a role, only not the clickable ones without a role.
async fn read_facts(session: &BrowserSession, cdp: &str) -> DomFacts {
    let params = json!({"computedStyles": dom_facts::STYLES});
    match session.call("DOMSnapshot.captureSnapshot", params, Some(cdp)).await {
        Ok(snapshot) => dom_facts::read(&snapshot),
        Err(_) => DomFacts::default(),
    }
}

/// The words of an outline line without its ref, for comparing two outlines.
pub fn without_ref(line: &str) -> &str {
    let t = line.trim_start();
    match (t.starts_with("[r"), t.find("] ")) {
        (true, Some(end)) => &t[end + 2..],
        _ => t,
    }
}
