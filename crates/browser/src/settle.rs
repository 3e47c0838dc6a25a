//! Settling after an action: a click, a key press or a drop answers as soon as what it
//! caused is known, instead of after a fixed sleep.
//!
//! [`Ctx::settled`] runs the action between looks at the page:
//!
//! 1. Before it, a watcher is made in the page (one `Runtime.evaluate`; the hub holds it by
//!    its remote object id, nothing is added to `window`): a `MutationObserver` on the
//!    document counts mutations, and a listener of the Navigation API's `navigate` event
//!    records a navigation (link, form submission, `location` change, history push). Then
//!    the quiet wait ([`SETTLE`]) is sent; it waits in the page for the action.
//! 2. The action runs (mouse or key events).
//! 3. [`GO`] tells the watcher the action is done and answers at once whether a navigation
//!    to another document started.
//!
//! While the browser navigates a tab to another document it holds back every call to the
//! page until the new document commits (the call then fails: the watcher's document is
//! gone). So once the page said a navigation started, calls to it tell the rest: held back
//! until they fail = committed; held back past [`COMMIT_CAP_MS`] = still on its way (a slow
//! server; the load is never waited for); answered for [`DROPPED_MS`] = the browser is not
//! navigating the tab (the answer was a download, a 204, or the navigation was cancelled).
//!
//! The action answers on the first of:
//! - **a navigation**: within the document (history push, fragment) at once; to another
//!   document once it committed (or after [`COMMIT_CAP_MS`]); a download the browser
//!   reports instead is no navigation;
//! - **a JavaScript dialog**: the session's calls wake with `dialog_open` (see
//!   [`crate::dialogs`]), which the action answers, as every command on that tab does;
//! - **the DOM quiet**: no mutation for [`QUIET_FRAMES`] animation frames after the action.
//!   Hidden tabs get no animation frames, so each frame is a race of
//!   `requestAnimationFrame` and a [`FRAME_MS`] timer; the wait is capped at
//!   [`QUIET_CAP_MS`] (a page that keeps changing, e.g. an animation, is not waited out),
//!   and the hub stops waiting a little after that even if the page's timers are
//!   throttled. An action that changes nothing answers after two frames (≈ 30 ms at most).

use crate::ctx::Ctx;
use crate::error::Error;
use serde_json::{json, Value};
use std::future::Future;
use std::time::Duration;

/// Longest the DOM may keep changing after the action before it answers anyway (ms).
pub const QUIET_CAP_MS: u64 = 300;
/// How many animation frames without a mutation make the DOM quiet.
pub const QUIET_FRAMES: u64 = 2;
/// A frame's timer, for tabs that get no animation frames (ms).
pub const FRAME_MS: u64 = 16;
/// Longest a navigation to another document is waited on to commit (ms).
pub const COMMIT_CAP_MS: u64 = 1_000;
/// How long the page may keep answering after it started a navigation before the hub
/// takes it that the browser is not navigating (ms): a form submission reaches the
/// browser a few ms after its navigate event; a download, a 204 or a cancelled navigation
/// never does (again).
pub const DROPPED_MS: u64 = 200;
/// How often the page is asked meanwhile (ms).
const PROBE_EVERY_MS: u64 = 10;
/// How long past a page-side cap the hub still waits for the page's answer (ms): a
/// throttled, busy or navigating page answers late, and is not waited on longer.
const SLACK_MS: u64 = 100;
/// The object group of the watchers the hub holds.
const GROUP: &str = "opendevbrowser-settle";

/// The watcher, evaluated before the action. `wait()` resolves at the next navigate event,
/// `go()` or `stop()`; `leaving()` says whether a navigation to another document started
/// (and was not cancelled) while the document is still this one. It stops by itself after
/// a few seconds (an action that never settled, e.g. one a dialog paused).
const WATCH: &str = r#"(() => {
  const w = {mutations: 0, events: [], href: location.href, acted: false, stopped: false};
  const observer = new MutationObserver((records) => { w.mutations += records.length; });
  observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const nav = window.navigation;
  let wake = () => {};
  const poke = () => { const f = wake; wake = () => {}; f(); };
  w.wait = () => new Promise((resolve) => { wake = resolve; });
  const onNavigate = (e) => { w.events.push(e); poke(); };
  if (nav) nav.addEventListener('navigate', onNavigate);
  w.leaving = () => location.href === w.href && w.events.some((e) => !e.defaultPrevented
    && e.downloadRequest == null && !e.destination.sameDocument);
  w.go = () => { w.acted = true; poke(); };
  let timer = 0;
  w.stop = () => { w.stopped = true; observer.disconnect(); if (nav) nav.removeEventListener('navigate', onNavigate);
    clearTimeout(timer); poke(); };
  timer = setTimeout(w.stop, 10000);
  return w;
})()"#;

/// `function (capMs, quietFrames, frameMs) → {mutated, leaving, urlChanged}`, called on the
/// watcher before the action: once the action is done (`go`), resolves when the DOM saw
/// no mutation for `quietFrames` frames, or a navigation to another document started
/// (`leaving`), or after `capMs`.
const SETTLE: &str = r#"async function (capMs, quietFrames, frameMs) {
  const w = this;
  while (!w.acted && !w.leaving() && !w.stopped) await w.wait();
  const started = performance.now();
  const frame = () => new Promise((resolve) => {
    const timer = setTimeout(resolve, frameMs);
    requestAnimationFrame(() => { clearTimeout(timer); resolve(); });
  });
  let seen = w.mutations, quiet = 0;
  while (quiet < quietFrames && !w.leaving() && !w.stopped && performance.now() - started < capMs) {
    await frame();
    if (w.mutations !== seen) { seen = w.mutations; quiet = 0; } else { quiet++; }
  }
  const leaving = w.leaving();
  if (!leaving) w.stop();
  return {mutated: w.mutations > 0, leaving, urlChanged: location.href !== w.href};
}"#;

/// `function (go) → {leaving, urlChanged}`, called on the watcher: with `go`, marks the
/// action done (the quiet wait starts); answers at once whether a navigation to another
/// document started and the URL changed.
const GO: &str = r#"function (go) {
  const w = this;
  if (go) w.go();
  return {leaving: w.leaving(), urlChanged: location.href !== w.href};
}"#;

/// What an action caused, once settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// A navigation started (to another document: committed, or still on its way after
    /// [`COMMIT_CAP_MS`]), or the URL changed within the document.
    pub navigated: bool,
    /// The DOM changed.
    pub mutated: bool,
}

/// The page's answer to a call on the watcher.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// Its value.
    Value(Value),
    /// The call failed: the watcher's document is gone (another one committed).
    Gone,
    /// No answer in time: the browser holds calls back while the tab navigates (or the
    /// page is busy or frozen).
    Late,
}

/// What an answer of the page tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// All that is needed: answer this.
    Done(Settled),
    /// A navigation to another document started, the document is still this one.
    Leaving,
    /// The document stays: the URL changed (within it) or not, the DOM changed or not.
    Stayed(Settled),
}

/// What `answer` tells; `document_requested`: whether the tab asked for a new document
/// since the action began (what a call held back past its time means).
fn read(answer: &Answer, document_requested: bool) -> Step {
    match answer {
        Answer::Value(v) if v["leaving"] == true => Step::Leaving,
        Answer::Value(v) => Step::Stayed(Settled { navigated: v["urlChanged"] == true, mutated: v["mutated"] == true }),
        Answer::Gone => Step::Done(Settled { navigated: true, mutated: true }),
        Answer::Late => Step::Done(Settled { navigated: document_requested, mutated: false }),
    }
}

/// Whether an error is the one a command answers while a dialog is open on its tab.
fn is_dialog(e: &Error) -> bool {
    matches!(e, Error::Browser(b) if b.code == "dialog_open")
}

impl Ctx<'_> {
    /// Runs `action` (input events) and waits until what it caused is known (see the
    /// module docs). A page that cannot run the watcher is not an error: the action then
    /// answers without settling.
    pub(crate) async fn settled<T>(
        &self,
        action: impl Future<Output = Result<T, Error>>,
    ) -> Result<(T, Settled), Error> {
        let (mark, known) = {
            let state = self.session.state();
            (state.network.since(u64::MAX, 0).1, state.downloads.guids())
        };
        let params = json!({"expression": WATCH, "objectGroup": GROUP, "returnByValue": false});
        let object = match self.session.call("Runtime.evaluate", params, Some(&self.cdp)).await {
            Ok(made) if made.get("exceptionDetails").is_none() => {
                made["result"]["objectId"].as_str().map(str::to_owned)
            }
            Ok(_) => None,
            Err(e) if is_dialog(&e) => return Err(e),
            Err(_) => None,
        };
        let Some(object) = object else { return Ok((action.await?, Settled::default())) };

        // The quiet wait goes out before the action (one poll sends it): it sees the
        // navigate event at once, before the browser holds calls back for the navigation.
        let frames = vec![json!(QUIET_CAP_MS), json!(QUIET_FRAMES), json!(FRAME_MS)];
        let quiet = self.ask(&object, SETTLE, frames);
        tokio::pin!(quiet);
        let mut early = None;
        tokio::select! {
            biased;
            answer = &mut quiet => early = Some(answer),
            () = std::future::ready(()) => {}
        }
        let done = action.await;
        let settled = match done {
            Ok(_) => self.after_action(&object, quiet, early, mark, &known).await,
            Err(_) => Ok(Settled::default()),
        };
        self.release(object.clone());
        Ok((done?, settled?))
    }

    /// Steps 3 and on of [`Ctx::settled`]: `quiet` is the quiet wait (or its `early` answer).
    async fn after_action(
        &self,
        object: &str,
        quiet: impl Future<Output = Result<Answer, Error>>,
        early: Option<Result<Answer, Error>>,
        mark: u64,
        known: &[String],
    ) -> Result<Settled, Error> {
        let requested = || self.document_requested(mark);
        let go = self.within(COMMIT_CAP_MS + SLACK_MS, self.ask(object, GO, vec![json!(true)]));
        let go = tokio::select! {
            answer = go => answer?,
            () = self.new_download(known) => return Ok(Settled::default()),
        };
        match read(&go, requested()) {
            Step::Done(settled) => return Ok(settled),
            Step::Leaving => return self.commit(object, mark, known).await,
            Step::Stayed(_) => {}
        }
        let quiet = match early {
            Some(answer) => answer,
            None => self.within(QUIET_CAP_MS + SLACK_MS, quiet).await,
        }?;
        match read(&quiet, requested()) {
            Step::Done(settled) | Step::Stayed(settled) => Ok(settled),
            // An Enter that submits a form starts the navigation a moment after the key.
            Step::Leaving => self.commit(object, mark, known).await,
        }
    }

    /// The page started a navigation to another document: waits (at most
    /// [`COMMIT_CAP_MS`]) until its calls tell how it went (see the module docs).
    async fn commit(&self, object: &str, mark: u64, known: &[String]) -> Result<Settled, Error> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(COMMIT_CAP_MS);
        let mut answering_since = None;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now()).as_millis() as u64;
            let probe = self.within(left + SLACK_MS, self.ask(object, GO, vec![json!(false)]));
            let answer = tokio::select! {
                answer = probe => answer?,
                () = self.new_download(known) => return Ok(Settled { navigated: false, mutated: true }),
            };
            match read(&answer, self.document_requested(mark)) {
                Step::Done(settled) | Step::Stayed(settled) => return Ok(settled),
                Step::Leaving => {
                    // The page still answers: the browser is not (or no longer) navigating it.
                    let since = *answering_since.get_or_insert_with(tokio::time::Instant::now);
                    let now = tokio::time::Instant::now();
                    if now - since >= Duration::from_millis(DROPPED_MS) || now >= deadline {
                        return Ok(Settled { navigated: false, mutated: true });
                    }
                    tokio::time::sleep(Duration::from_millis(PROBE_EVERY_MS)).await;
                }
            }
        }
    }

    /// Calls `function` on the watcher `object` with `args`, awaiting its promise.
    /// `dialog_open` is an error; a call that fails otherwise means the watcher's document
    /// is gone.
    async fn ask(&self, object: &str, function: &str, args: Vec<Value>) -> Result<Answer, Error> {
        let arguments: Vec<Value> = args.into_iter().map(|v| json!({"value": v})).collect();
        let params = json!({"objectId": object, "functionDeclaration": function, "arguments": arguments,
            "awaitPromise": true, "returnByValue": true});
        match self.session.call("Runtime.callFunctionOn", params, Some(&self.cdp)).await {
            Err(e) if is_dialog(&e) => Err(e),
            Err(_) => Ok(Answer::Gone),
            Ok(answer) if answer.get("exceptionDetails").is_some() => Ok(Answer::Gone),
            Ok(answer) => Ok(Answer::Value(answer["result"]["value"].clone())),
        }
    }

    /// `call`'s answer, or [`Answer::Late`] after `ms`.
    async fn within(&self, ms: u64, call: impl Future<Output = Result<Answer, Error>>) -> Result<Answer, Error> {
        tokio::time::timeout(Duration::from_millis(ms), call).await.unwrap_or(Ok(Answer::Late))
    }

    /// Resolves when the browser reports a download that is not in `known` (a link whose
    /// answer is saved as a file: the navigation it started ends there); never otherwise.
    async fn new_download(&self, known: &[String]) {
        let mut seen = self.session.download_seen.subscribe();
        loop {
            if self.session.state().downloads.new_since(known).is_some() {
                return;
            }
            if seen.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// Whether the tab asked for a new document (a main-resource request in the network
    /// log) since `mark`.
    fn document_requested(&self, mark: u64) -> bool {
        let state = self.session.state();
        let (entries, _) = state.network.since(mark, usize::MAX);
        entries
            .iter()
            .any(|e| e["event"] == "request" && e["resourceType"] == "Document" && e["targetId"] == *self.target)
    }

    /// Lets the page forget the watcher (in the background: nothing waits on it).
    fn release(&self, object: String) {
        let (session, cdp) = (self.session.clone(), self.cdp.clone());
        tokio::spawn(async move {
            let _ = session.call("Runtime.releaseObject", json!({"objectId": object}), Some(&cdp)).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_tells_whether_the_document_stays_or_goes() {
        let quiet = Answer::Value(json!({"mutated": false, "leaving": false, "urlChanged": false}));
        assert_eq!(read(&quiet, true), Step::Stayed(Settled { navigated: false, mutated: false }));
        let changed = Answer::Value(json!({"mutated": true, "leaving": false, "urlChanged": false}));
        assert_eq!(read(&changed, false), Step::Stayed(Settled { navigated: false, mutated: true }));
        let pushed = Answer::Value(json!({"mutated": true, "leaving": false, "urlChanged": true}));
        assert_eq!(read(&pushed, false), Step::Stayed(Settled { navigated: true, mutated: true }), "same document");
        let leaving = Answer::Value(json!({"leaving": true, "urlChanged": false}));
        assert_eq!(read(&leaving, false), Step::Leaving, "wait for the commit");
    }

    #[test]
    fn a_failed_call_is_a_commit_and_a_held_back_one_a_navigation_if_a_document_was_asked_for() {
        assert_eq!(read(&Answer::Gone, false), Step::Done(Settled { navigated: true, mutated: true }));
        assert_eq!(read(&Answer::Late, true), Step::Done(Settled { navigated: true, mutated: false }));
        assert_eq!(read(&Answer::Late, false), Step::Done(Settled::default()), "a busy page");
    }

    #[test]
    fn the_page_side_functions_take_the_arguments_the_hub_passes() {
        assert!(SETTLE.starts_with("async function (capMs, quietFrames, frameMs)"));
        assert!(GO.starts_with("function (go)"));
        assert!(WATCH.contains("MutationObserver") && WATCH.contains("'navigate'"));
        assert!(!WATCH.contains("window.__") && !WATCH.contains("window["), "nothing is added to window");
    }
}
