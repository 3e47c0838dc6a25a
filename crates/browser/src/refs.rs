//! The refs of one tab: `r1`, `r2`, … each naming one element the browser knows by its
//! backend node id. Pure data, so the rules are tested with plain values.
//!
//! Refs are held here, in the hub, not in the page: nothing in the DOM or on `window`
//! points to them. An element keeps its ref across snapshots of one document; a ref is
//! never reused (the counter runs on across documents), and the refs of a document that
//! is gone are *stale*, not unknown, so an agent is told to take a new snapshot.

use crate::error::{err, Error};
use std::collections::HashMap;

/// Where a ref's element lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRef {
    /// The flat CDP session of the out-of-process iframe its node is in; `None` for the
    /// tab's own session (whichever it is now: a tab attached again keeps its refs).
    pub frame_session: Option<String>,
    /// The browser's backend node id (`DOM.resolveNode` turns it into the element).
    pub backend_id: i64,
    /// The frame whose document holds it, when that is not the tab's main frame: its
    /// coordinates start at that iframe's content box.
    pub frame_id: Option<String>,
}

/// What a ref names now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// An element of the current documents.
    Live(&'a NodeRef),
    /// Issued, but its document is gone.
    Stale,
    /// Never issued for this tab.
    Unknown,
}

/// The refs of one tab.
#[derive(Debug, Clone, Default)]
pub struct RefMap {
    max: u64,
    by_ref: HashMap<u64, NodeRef>,
    by_node: HashMap<(Option<String>, i64), u64>,
}

impl RefMap {
    /// The ref of `node`: the one it already has, or a new one.
    pub fn issue(&mut self, node: NodeRef) -> String {
        let key = (node.frame_session.clone(), node.backend_id);
        if let Some(n) = self.by_node.get(&key) {
            if let Some(known) = self.by_ref.get_mut(n) {
                known.frame_id = node.frame_id;
            }
            return format!("r{n}");
        }
        self.max += 1;
        self.by_node.insert(key, self.max);
        self.by_ref.insert(self.max, node);
        format!("r{}", self.max)
    }

    /// What `r` names.
    pub fn lookup(&self, r: &str) -> Lookup<'_> {
        let n: u64 = r.strip_prefix('r').and_then(|n| n.parse().ok()).unwrap_or(0);
        if n == 0 || n > self.max {
            return Lookup::Unknown;
        }
        self.by_ref.get(&n).map_or(Lookup::Stale, Lookup::Live)
    }

    /// The element `r` names now: `unknown_ref` when never issued, `stale_ref` when its
    /// document is gone.
    pub fn check(&self, r: &str) -> Result<&NodeRef, Error> {
        match self.lookup(r) {
            Lookup::Live(node) => Ok(node),
            Lookup::Stale => Err(stale(r)),
            Lookup::Unknown => Err(unknown(r)),
        }
    }

    /// The last ref issued (0 before the first).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Retires the refs reached through the out-of-process iframe session `frame_session`
    /// (it navigated or went): they become stale.
    pub fn retire_session(&mut self, frame_session: &str) {
        self.by_ref.retain(|_, node| node.frame_session.as_deref() != Some(frame_session));
        self.by_node.retain(|(session, _), _| session.as_deref() != Some(frame_session));
    }

    /// Retires every ref (the tab shows a new document); the counter keeps running.
    pub fn retire_all(&mut self) {
        self.by_ref.clear();
        self.by_node.clear();
    }
}

/// The error for a ref whose element left the page.
pub fn stale(r: &str) -> Error {
    err("stale_ref", format!("ref {r} is no longer in the page (it changed since the snapshot): take a new snapshot"))
}

/// The error for a ref never issued for the page.
pub fn unknown(r: &str) -> Error {
    err("unknown_ref", format!("unknown ref {r:?} for this page: take a snapshot (nav.snapshot) first"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(session: &str, id: i64) -> NodeRef {
        let frame_session = (!session.is_empty()).then(|| session.to_owned());
        NodeRef { frame_session, backend_id: id, frame_id: None }
    }

    #[test]
    fn an_element_keeps_its_ref_across_snapshots() {
        let mut refs = RefMap::default();
        assert_eq!(refs.issue(node("", 10)), "r1");
        assert_eq!(refs.issue(node("", 11)), "r2");
        assert_eq!(refs.issue(node("", 10)), "r1");
        assert_eq!(refs.lookup("r2"), Lookup::Live(&node("", 11)));
    }

    #[test]
    fn the_same_node_id_in_another_session_is_another_element() {
        let mut refs = RefMap::default();
        refs.issue(node("", 10));
        assert_eq!(refs.issue(node("FRAME", 10)), "r2");
    }

    #[test]
    fn retired_refs_are_stale_and_never_reused() {
        let mut refs = RefMap::default();
        refs.issue(node("", 10));
        refs.issue(node("F", 3));
        refs.retire_session("F");
        assert_eq!(refs.lookup("r2"), Lookup::Stale);
        assert!(matches!(refs.lookup("r1"), Lookup::Live(_)));
        assert_eq!(refs.issue(node("F", 3)), "r3");
        refs.retire_all();
        assert_eq!(refs.lookup("r3"), Lookup::Stale);
        assert_eq!(refs.max(), 3);
    }

    #[test]
    fn refs_never_issued_are_unknown() {
        let mut refs = RefMap::default();
        refs.issue(node("", 1));
        for r in ["r0", "r2", "x1", "r", ""] {
            assert_eq!(refs.lookup(r), Lookup::Unknown, "{r}");
        }
    }
}
