//! What the accessibility tree does not say about a document, read from the browser's DOM
//! snapshot (`DOMSnapshot.captureSnapshot`): which elements a person can click although
//! their role says nothing (click listeners, a pointer cursor, `tabindex`, `draggable`),
//! and which frame each iframe element shows. Pure: the snapshot's JSON comes in.

use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The computed styles the snapshot is asked for, in this order.
pub const STYLES: &[&str] = &["cursor", "display"];

/// What the outline needs from one DOM snapshot (every document of one CDP session).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomFacts {
    /// Backend node ids of elements a person can click or focus.
    pub clickable: HashSet<i64>,
    /// Backend node ids of elements laid out inline (`display: inline…`): their text runs
    /// on with their neighbours' instead of starting a line.
    pub inline: HashSet<i64>,
    /// Frame ids of iframe elements whose document is in this snapshot, by the iframe's
    /// backend node id.
    pub frame_of_iframe: HashMap<i64, String>,
}

/// Reads a `DOMSnapshot.captureSnapshot` answer taken with [`STYLES`].
pub fn read(snapshot: &Value) -> DomFacts {
    let strings: Vec<&str> =
        snapshot["strings"].as_array().into_iter().flatten().map(|s| s.as_str().unwrap_or("")).collect();
    let text = |i: &Value| i.as_i64().and_then(|i| strings.get(usize::try_from(i).ok()?)).copied().unwrap_or("");
    let documents = snapshot["documents"].as_array().cloned().unwrap_or_default();
    let mut facts = DomFacts::default();
    for doc in &documents {
        let nodes = &doc["nodes"];
        let ints = |k: &str| -> Vec<i64> {
            nodes[k].as_array().into_iter().flatten().map(|v| v.as_i64().unwrap_or(-1)).collect()
        };
        let (backend, parent, kind) = (ints("backendNodeId"), ints("parentIndex"), ints("nodeType"));
        let mut pointer = vec![false; backend.len()];
        let layout = &doc["layout"];
        let styles = layout["styles"].as_array().cloned().unwrap_or_default();
        for (k, node) in layout["nodeIndex"].as_array().into_iter().flatten().enumerate() {
            let style = |n: usize| styles.get(k).and_then(|s| s.get(n)).map(text).unwrap_or("");
            let Some(i) = node.as_u64().map(|i| i as usize).filter(|i| *i < backend.len()) else { continue };
            pointer[i] = style(0) == "pointer";
            if style(1).starts_with("inline") {
                facts.inline.insert(backend[i]);
            }
        }
        let names = nodes["nodeName"].as_array().cloned().unwrap_or_default();
        // The page itself (html, body) takes delegated listeners: that makes no one element clickable.
        let mut add = |i: usize| {
            let page = names.get(i).map(text).is_some_and(|n| n == "HTML" || n == "BODY");
            if kind.get(i) == Some(&1) && !page {
                facts.clickable.insert(backend[i]);
            }
        };
        for i in nodes["isClickable"]["index"].as_array().into_iter().flatten().filter_map(Value::as_u64) {
            add(i as usize);
        }
        for i in 0..backend.len() {
            // The cursor is inherited: only the element where it starts counts.
            let parent_pointer = usize::try_from(parent[i]).ok().is_some_and(|p| pointer[p]);
            if pointer[i] && !parent_pointer {
                add(i);
            }
            let attrs: Vec<&str> = nodes["attributes"][i].as_array().into_iter().flatten().map(text).collect();
            let named =
                |name: &str| attrs.chunks(2).find(|kv| kv[0] == name).map(|kv| kv.get(1).copied().unwrap_or(""));
            if named("tabindex").is_some_and(|v| v.trim().parse::<i32>().is_ok_and(|t| t >= 0))
                || named("draggable") == Some("true")
                || named("onclick").is_some()
            {
                add(i);
            }
        }
        for (i, content) in nodes["contentDocumentIndex"]["index"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(nodes["contentDocumentIndex"]["value"].as_array().into_iter().flatten())
        {
            let (Some(i), Some(d)) = (i.as_u64(), content.as_u64()) else { continue };
            let frame = documents.get(d as usize).map(|d| text(&d["frameId"])).unwrap_or("");
            if let (Some(b), false) = (backend.get(i as usize), frame.is_empty()) {
                facts.frame_of_iframe.insert(*b, frame.to_owned());
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A snapshot of: html(0) > body(1) > [div pointer(2) > span(3) inherits; div tabindex(4);
    /// iframe(5) → document 1 (frame "F2")].
    fn snapshot() -> Value {
        json!({
            "strings": ["pointer", "auto", "tabindex", "0", "F1", "F2", "draggable", "true", "block", "inline"],
            "documents": [{
                "frameId": 4,
                "nodes": {
                    "backendNodeId": [10, 11, 12, 13, 14, 15],
                    "parentIndex": [-1, 0, 1, 2, 1, 1],
                    "nodeType": [1, 1, 1, 1, 1, 1],
                    "attributes": [[], [], [], [], [2, 3], []],
                    "isClickable": {"index": [5]},
                    "contentDocumentIndex": {"index": [5], "value": [1]}
                },
                "layout": {"nodeIndex": [0, 1, 2, 3, 4, 5], "styles": [[1, 8], [1, 8], [0, 8], [0, 9], [1, 8], [1, 8]]}
            }, {
                "frameId": 5,
                "nodes": {"backendNodeId": [20, 21], "parentIndex": [-1, 0], "nodeType": [1, 1],
                    "attributes": [[], [6, 7]]},
                "layout": {"nodeIndex": [], "styles": []}
            }]
        })
    }

    #[test]
    fn clickables_are_listeners_the_first_pointer_tabindex_and_draggable() {
        let facts = read(&snapshot());
        let mut got: Vec<i64> = facts.clickable.into_iter().collect();
        got.sort();
        assert_eq!(got, [12, 14, 15, 21]);
    }

    #[test]
    fn inline_elements_are_told_from_blocks() {
        assert_eq!(read(&snapshot()).inline, HashSet::from([13]));
    }

    #[test]
    fn iframes_map_to_the_frame_they_show() {
        assert_eq!(read(&snapshot()).frame_of_iframe, HashMap::from([(15, "F2".to_owned())]));
    }

    #[test]
    fn an_empty_answer_has_no_facts() {
        assert_eq!(read(&json!({})), DomFacts::default());
    }
}
