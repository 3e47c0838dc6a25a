//! What a browser session remembers between commands: which target is active (and which
//! were active before it), the attached targets and their flat sessions, named pages, the
//! targets it closed, and the console/network logs with sequence cursors. Pure data: no
//! I/O, so the rules are tested with plain values.

use crate::dialogs::DialogPolicy;
use crate::downloads::Downloads;
use opendevbrowser_api::commands::DialogInfo;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

const LOG_CAP: usize = 1000;
/// Most requests tracked in flight per target (a page that opens more is never idle anyway).
const INFLIGHT_CAP: usize = 10_000;

/// The requests one target has in flight, for the `networkidle` wait.
#[derive(Debug, Default)]
pub struct Traffic {
    inflight: HashSet<String>,
    last_change_ms: u64,
}

impl Traffic {
    /// A request started (`Network.requestWillBeSent`; a redirect reuses its id).
    pub fn started(&mut self, request_id: &str, now_ms: u64) {
        if self.inflight.len() < INFLIGHT_CAP {
            self.inflight.insert(request_id.to_owned());
        }
        self.last_change_ms = now_ms;
    }

    /// A request ended (`Network.loadingFinished` or `Network.loadingFailed`).
    pub fn ended(&mut self, request_id: &str, now_ms: u64) {
        if self.inflight.remove(request_id) {
            self.last_change_ms = now_ms;
        }
    }

    /// How long the target has had no request in flight, or `None` while one is.
    pub fn idle_for_ms(&self, now_ms: u64) -> Option<u64> {
        self.inflight.is_empty().then(|| now_ms.saturating_sub(self.last_change_ms))
    }

    /// How many requests are in flight.
    pub fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    /// Starts over (a new navigation: requests of the old document no longer count).
    pub fn reset(&mut self, now_ms: u64) {
        self.inflight.clear();
        self.last_change_ms = now_ms;
    }
}

/// A bounded event log read with cursors.
#[derive(Debug, Default)]
pub struct Log {
    next_seq: u64,
    entries: VecDeque<Value>,
}

impl Log {
    /// Appends an entry, numbering it; the oldest entries fall off past the cap.
    pub fn push(&mut self, mut entry: Value) {
        self.next_seq += 1;
        entry["seq"] = json!(self.next_seq);
        self.entries.push_back(entry);
        if self.entries.len() > LOG_CAP {
            self.entries.pop_front();
        }
    }

    /// Entries after `since`, at most `max`; and the cursor to pass next time
    /// (`since(u64::MAX, 0).1` is the current position).
    pub fn since(&self, since: u64, max: usize) -> (Vec<Value>, u64) {
        if since == u64::MAX {
            return (Vec::new(), self.next_seq);
        }
        let events: Vec<Value> =
            self.entries.iter().filter(|e| e["seq"].as_u64() > Some(since)).take(max).cloned().collect();
        let next = events.last().and_then(|e| e["seq"].as_u64()).unwrap_or(since);
        (events, next)
    }

    /// Like [`Log::since`], keeping only entries `keep` accepts; the cursor moves past the
    /// entries it skipped too, so the next call does not look at them again.
    pub fn since_where(&self, since: u64, max: usize, keep: impl Fn(&Value) -> bool) -> (Vec<Value>, u64) {
        let mut next = since;
        let mut events = Vec::new();
        for entry in self.entries.iter().filter(|e| e["seq"].as_u64() > Some(since)) {
            if events.len() == max {
                break;
            }
            next = entry["seq"].as_u64().unwrap_or(next);
            if keep(entry) {
                events.push(entry.clone());
            }
        }
        (events, next)
    }
}

/// What the hub keeps per target.
#[derive(Debug, Clone, Default)]
pub struct TargetState {
    /// The flat CDP session attached to it; empty once the browser detached it (the next
    /// command attaches again).
    pub cdp_session: String,
    /// The refs issued for this target's elements (never reused, across documents too).
    pub refs: crate::refs::RefMap,
    /// The remote object id of the current document's ref table (`js::REF_TABLE`, the
    /// object `page.evaluate` runs on); empty until the first command that needs it, and
    /// again after a navigation.
    pub ref_table: String,
    /// Flat sessions of this target's out-of-process iframes, by frame id.
    pub frame_sessions: HashMap<String, String>,
    /// The lines of the last full snapshot, for telling what an action changed.
    pub last_outline: Vec<String>,
}

/// Mutable session state.
#[derive(Debug, Default)]
pub struct State {
    /// The target commands go to.
    pub active: Option<String>,
    /// Targets that were active before, most recent last: closing the active target goes
    /// back to the one used before it, as closing a tab does.
    history: Vec<String>,
    /// Targets this session closed. The browser may still list a target for a moment after
    /// `Target.closeTarget` answers, so they are never picked again.
    closed: HashSet<String>,
    /// Attached targets.
    pub targets: HashMap<String, TargetState>,
    /// Named pages → target ids.
    pub pages: BTreeMap<String, String>,
    /// Isolated browser contexts this session made, by the name the caller gave them →
    /// `browserContextId` (disposed when the session's DevTools connection closes).
    pub contexts: HashMap<String, String>,
    /// Calls made on every tab when it is attached (the launch's browser settings).
    pub page_setup: Vec<(&'static str, serde_json::Value)>,
    /// Which origins may load (enforced on every request of attached tabs).
    pub origin_rules: crate::launch_settings::OriginRules,
    /// The network recording for a HAR file (`devtools.harStart`), while one runs.
    pub har: Option<crate::har::Recording>,
    /// The tab a performance trace (`devtools.traceStart`) runs in: (target, CDP session).
    pub trace: Option<(String, String)>,
    /// The session's request rules (`network.route`).
    pub routes: crate::routes::RouteTable,
    /// The hub's own helper tabs (storage-state loading): no setup, no rules.
    pub plain_targets: HashSet<String>,
    /// Console log.
    pub console: Log,
    /// Network log.
    pub network: Log,
    /// The requests the network log names, by id (URL, type, target).
    pub requests: crate::event_log::RequestIndex,
    /// Requests in flight per target.
    pub traffic: HashMap<String, Traffic>,
    /// JavaScript dialogs open (and not yet answered) per target.
    pub dialogs: HashMap<String, DialogInfo>,
    /// How this session treats dialogs.
    pub dialog_policy: DialogPolicy,
    /// Dialogs the policy answered since the last result that listed them.
    pub handled_dialogs: Vec<DialogInfo>,
    /// Downloads the browser reported.
    pub downloads: Downloads,
    /// A tab-scoped session's own tabs: the only targets it may use (`None`: any).
    pub scope: Option<BTreeSet<String>>,
    /// A tab-scoped session's tabs last shown as its tab group.
    pub grouped: BTreeSet<String>,
    /// Which connection to the browser the flat sessions were made on (the hub's name for
    /// one pairing of the extension); `None` until the session first runs.
    pub link: Option<String>,
    /// Flat sessions the browser no longer knows (their connection ended, or the browser
    /// detached them), by the target they were attached to: a command still holding one is
    /// moved to the target's new session instead of failing.
    pub retired: HashMap<String, String>,
}

/// Most retired flat sessions remembered (the oldest are dropped past it).
const RETIRED_CAP: usize = 256;

impl State {
    /// Whether the session's tabs pause their requests for the rules (origin rules of the
    /// config file, or request rules).
    pub fn intercepts(&self) -> bool {
        !self.origin_rules.is_empty() || !self.routes.is_empty()
    }

    /// Whether this session may drive `target` (a tab-scoped session: only its own tabs).
    pub fn may_use(&self, target: &str) -> bool {
        self.scope.as_ref().is_none_or(|own| own.contains(target))
    }

    /// Adds `target` to a tab-scoped session's own tabs (no-op for other sessions).
    pub fn own(&mut self, target: &str) {
        if let Some(own) = &mut self.scope {
            own.insert(target.to_owned());
        }
    }

    /// Makes `target` the one commands go to, remembering the previous one.
    pub fn activate(&mut self, target: &str) {
        self.history.retain(|t| t != target);
        if let Some(old) = self.active.take().filter(|old| old != target) {
            self.history.push(old);
        }
        self.active = Some(target.to_owned());
    }

    /// Forgets a target that was closed (or vanished). If it was active, the previously
    /// active target takes over; with none, the next command picks the first open page.
    pub fn forget(&mut self, target: &str) {
        self.targets.remove(target);
        self.traffic.remove(target);
        self.dialogs.remove(target);
        self.pages.retain(|_, t| t != target);
        self.history.retain(|t| t != target);
        self.closed.insert(target.to_owned());
        if let Some(own) = &mut self.scope {
            own.remove(target);
        }
        if self.active.as_deref() == Some(target) {
            self.active = self.history.pop();
        }
    }

    /// The connection to the browser is now `link`. When it was another one (the
    /// extension's service worker restarted, or the extension reconnected), the browser
    /// knows none of the flat sessions made on the old one: each is retired (the next
    /// command attaches its target again), with what lived in it (the ref table, requests in
    /// flight, out-of-process iframes and their refs). Tabs, pages, history, logs, dialogs and
    /// the refs of each tab's own documents stay: the pages did not change. True when the
    /// sessions were retired.
    pub fn relink(&mut self, link: &str) -> bool {
        match self.link.as_deref() {
            Some(current) if current == link => return false,
            None => {
                self.link = Some(link.to_owned());
                return false;
            }
            Some(_) => {}
        }
        self.link = Some(link.to_owned());
        let targets: Vec<String> = self.targets.keys().cloned().collect();
        for target in targets {
            self.retire_target_sessions(&target);
        }
        self.traffic.clear();
        true
    }

    /// The browser ended the flat session `cdp` (detached, or answered that it does not
    /// know it): its target attaches again on the next command, and calls still holding
    /// `cdp` move to the new session. The target it belonged to, if it was a tab's own.
    pub fn session_gone(&mut self, cdp: &str) -> Option<String> {
        let target = self.target_of_session(cdp);
        if let Some(target) = &target {
            self.retire_target_sessions(target);
        }
        for t in self.targets.values_mut() {
            if t.frame_sessions.values().any(|s| s == cdp) {
                t.frame_sessions.retain(|_, s| s != cdp);
                t.refs.retire_session(cdp);
            }
        }
        target
    }

    fn retire_target_sessions(&mut self, target: &str) {
        let Some(t) = self.targets.get_mut(target) else { return };
        let old = std::mem::take(&mut t.cdp_session);
        for frame in std::mem::take(&mut t.frame_sessions).into_values() {
            t.refs.retire_session(&frame);
        }
        t.ref_table.clear();
        if !old.is_empty() {
            if self.retired.len() >= RETIRED_CAP {
                self.retired.clear();
            }
            self.retired.insert(old, target.to_owned());
        }
    }

    /// The target whose retired flat session `cdp` was, if it is one.
    pub fn retired_target(&self, cdp: &str) -> Option<String> {
        self.retired.get(cdp).cloned()
    }

    /// The target attached as flat session `cdp`, if any.
    pub fn target_of_session(&self, cdp: &str) -> Option<String> {
        self.targets.iter().find(|(_, t)| t.cdp_session == cdp).map(|(id, _)| id.clone())
    }

    /// Whether this session closed `target`.
    pub fn is_closed(&self, target: &str) -> bool {
        self.closed.contains(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_the_active_target_returns_to_the_one_used_before() {
        let mut s = State::default();
        s.activate("a");
        s.activate("b");
        s.activate("c");
        s.forget("c");
        assert_eq!(s.active.as_deref(), Some("b"));
        s.forget("b");
        assert_eq!(s.active.as_deref(), Some("a"));
        s.forget("a");
        assert_eq!(s.active, None);
    }

    #[test]
    fn a_closed_target_is_never_returned_to() {
        let mut s = State::default();
        s.activate("a");
        s.activate("b");
        s.activate("c");
        s.forget("a");
        s.forget("c");
        assert_eq!(s.active.as_deref(), Some("b"));
        assert!(s.is_closed("a") && s.is_closed("c") && !s.is_closed("b"));
    }

    #[test]
    fn reactivating_a_target_moves_it_to_the_top_of_the_history() {
        let mut s = State::default();
        s.activate("a");
        s.activate("b");
        s.activate("a");
        s.activate("a");
        s.forget("a");
        assert_eq!(s.active.as_deref(), Some("b"));
        s.forget("b");
        assert_eq!(s.active, None, "a is gone and was listed only once");
    }

    #[test]
    fn forgetting_a_target_drops_its_page_name_and_session() {
        let mut s = State::default();
        s.targets.insert("t".into(), TargetState { cdp_session: "S".into(), ..TargetState::default() });
        s.pages.insert("docs".into(), "t".into());
        s.activate("t");
        s.forget("t");
        assert!(s.targets.is_empty() && s.pages.is_empty() && s.active.is_none());
    }

    fn attached(cdp: &str, frames: &[(&str, &str)]) -> TargetState {
        let mut t = TargetState { cdp_session: cdp.into(), ref_table: "table".into(), ..TargetState::default() };
        for (frame, session) in frames {
            t.frame_sessions.insert((*frame).into(), (*session).into());
        }
        t
    }

    fn node(frame_session: Option<&str>, id: i64) -> crate::refs::NodeRef {
        crate::refs::NodeRef { frame_session: frame_session.map(str::to_owned), backend_id: id, frame_id: None }
    }

    #[test]
    fn a_new_connection_retires_every_flat_session_but_keeps_tabs_and_the_tabs_own_refs() {
        let mut s = State::default();
        assert!(!s.relink("relay-a/1"), "the first connection retires nothing");
        let mut t = attached("pw-tab-2", &[("F", "OOPIF")]);
        let (own, framed) = (t.refs.issue(node(None, 10)), t.refs.issue(node(Some("OOPIF"), 3)));
        s.targets.insert("T".into(), t);
        s.activate("T");
        s.pages.insert("main".into(), "T".into());
        s.traffic.entry("T".into()).or_default().started("req", 1);
        assert!(!s.relink("relay-a/1"), "the same connection changes nothing");
        assert_eq!(s.targets["T"].cdp_session, "pw-tab-2");

        assert!(s.relink("relay-a/2"), "the extension paired again");
        let t = &s.targets["T"];
        assert_eq!((t.cdp_session.as_str(), t.ref_table.as_str(), t.frame_sessions.len()), ("", "", 0));
        assert!(matches!(t.refs.lookup(&own), crate::refs::Lookup::Live(_)), "the tab's own refs stay");
        assert_eq!(t.refs.lookup(&framed), crate::refs::Lookup::Stale, "refs reached through a gone iframe session");
        assert_eq!(s.retired_target("pw-tab-2").as_deref(), Some("T"), "calls holding the old session move");
        assert_eq!((s.active.as_deref(), s.pages.get("main").map(String::as_str)), (Some("T"), Some("T")));
        assert!(s.traffic.is_empty(), "requests of the old connection never finish");
        s.forget("T");
        assert_eq!(s.retired_target("pw-tab-2").as_deref(), Some("T"), "a call holding it learns the tab closed");
    }

    #[test]
    fn a_session_the_browser_forgot_is_retired_and_its_target_named() {
        let mut s = State::default();
        s.targets.insert("T".into(), attached("S1", &[("F", "CHILD")]));
        assert_eq!(s.session_gone("CHILD"), None, "an iframe's session is not a tab's");
        assert!(s.targets["T"].frame_sessions.is_empty() && s.targets["T"].cdp_session == "S1");
        assert_eq!(s.session_gone("S1").as_deref(), Some("T"));
        assert_eq!((s.targets["T"].cdp_session.as_str(), s.retired_target("S1").as_deref()), ("", Some("T")));
        assert_eq!(s.session_gone("unknown"), None);
    }

    #[test]
    fn traffic_is_idle_only_with_nothing_in_flight_and_counts_from_the_last_change() {
        let mut t = Traffic::default();
        t.reset(1_000);
        assert_eq!(t.idle_for_ms(1_200), Some(200));
        t.started("a", 1_300);
        t.started("b", 1_400);
        assert_eq!(t.idle_for_ms(5_000), None);
        t.ended("a", 1_500);
        assert_eq!(t.idle_for_ms(5_000), None, "b is still loading");
        t.ended("b", 1_600);
        assert_eq!(t.idle_for_ms(2_100), Some(500));
        t.ended("unknown", 2_000);
        assert_eq!(t.idle_for_ms(2_100), Some(500), "an end without a start changes nothing");
    }

    #[test]
    fn a_redirected_request_is_one_request_and_a_reset_forgets_the_old_document() {
        let mut t = Traffic::default();
        t.started("doc", 10);
        t.started("doc", 20);
        t.ended("doc", 30);
        assert_eq!(t.idle_for_ms(40), Some(10));
        t.started("stuck", 50);
        t.reset(60);
        assert_eq!(t.idle_for_ms(100), Some(40));
    }

    #[test]
    fn a_filtered_read_moves_its_cursor_past_what_it_skipped() {
        let mut log = Log::default();
        for n in 0..6 {
            log.push(json!({"n": n}));
        }
        let even = |e: &Value| e["n"].as_u64().unwrap().is_multiple_of(2);
        let (first, next) = log.since_where(0, 2, even);
        assert_eq!((first.iter().map(|e| e["n"].as_u64().unwrap()).collect::<Vec<_>>(), next), (vec![0, 2], 3));
        let (rest, next) = log.since_where(next, 10, even);
        assert_eq!((rest.len(), rest[0]["n"].as_u64(), next), (1, Some(4), 6), "the trailing odd entry is passed too");
        assert_eq!(log.since_where(next, 10, even), (vec![], 6));
    }

    #[test]
    fn the_log_pages_with_cursors_and_drops_the_oldest_past_the_cap() {
        let mut log = Log::default();
        for i in 0..(LOG_CAP + 5) {
            log.push(json!({"i": i}));
        }
        let (first, next) = log.since(0, 2);
        assert_eq!((first[0]["seq"].as_u64(), next), (Some(6), 7));
        let (rest, end) = log.since(next, usize::MAX);
        assert_eq!((rest.len(), end), (LOG_CAP - 2, (LOG_CAP + 5) as u64));
        assert_eq!(log.since(u64::MAX, 0), (Vec::new(), end));
    }
}
