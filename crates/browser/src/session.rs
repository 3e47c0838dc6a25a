//! One browser session: how its CDP travels (through the extension, or straight to a
//! browser the hub launched or was pointed at), its targets and their flat sessions,
//! named pages, and console/network logs with sequence cursors.

use crate::background;
use crate::dialogs;
use crate::error::{err, Error};
use crate::event_log;
use crate::launcher::ManagedChromium;
pub use crate::state::{Log, State, TargetState, Traffic};
use crate::transport::CdpTransport;
use opendevbrowser_api::{CdpError, Owner};
use pairing::wire::CdpEvent;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a session reaches the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The user's Chrome, through the extension (needs the relay binding).
    Extension,
    /// A Chromium the hub launched.
    Managed,
    /// An existing DevTools endpoint.
    Connected,
}

impl Mode {
    /// Wire name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Extension => "extension",
            Mode::Managed => "managed",
            Mode::Connected => "cdpConnect",
        }
    }
}

/// How long a command whose flat session the browser forgot waits for the extension to be
/// back before attaching its tab again (a service worker restarts within about a second).
const REATTACH_WAIT: Duration = Duration::from_secs(10);

/// Longest any single CDP call of a browser command may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// A browser session.
pub struct BrowserSession {
    /// Session id.
    pub id: String,
    /// How it reaches the browser.
    pub mode: Mode,
    /// Who created it.
    pub owner: Owner,
    transport: Arc<dyn CdpTransport>,
    chromium: Option<ManagedChromium>,
    /// Targets, pages, logs.
    pub state: Mutex<State>,
    pump: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Bumped whenever a dialog opens under the `report` policy, so calls waiting on
    /// that tab stop waiting.
    dialog_opened: tokio::sync::watch::Sender<u64>,
    /// Bumped on every download event, for `page.download` to wait on.
    pub(crate) download_seen: tokio::sync::watch::Sender<u64>,
    /// Where downloads of a managed or connected browser are saved.
    pub(crate) download_dir: std::path::PathBuf,
    /// The WebDriver session a Grid started this session's browser in (ended with it).
    grid: Option<crate::webdriver::GridSession>,
}

impl Drop for BrowserSession {
    fn drop(&mut self) {
        if let Some(p) = self.pump.lock().expect("pump lock").take() {
            p.abort();
        }
    }
}

impl BrowserSession {
    /// A session that reaches its browser through `transport`; a managed browser is
    /// closed when the session is dropped.
    pub fn new(
        id: String,
        mode: Mode,
        owner: Owner,
        transport: Arc<dyn CdpTransport>,
        chromium: Option<ManagedChromium>,
    ) -> Self {
        BrowserSession {
            id: id.clone(),
            mode,
            owner,
            transport,
            chromium,
            state: Mutex::new(State::default()),
            pump: Mutex::new(None),
            dialog_opened: tokio::sync::watch::channel(0).0,
            download_seen: tokio::sync::watch::channel(0).0,
            download_dir: std::env::temp_dir().join(format!("opendevbrowser-downloads-{id}")),
            grid: None,
        }
    }

    /// A session whose browser a Grid started: the Grid's session ends with this one.
    pub fn with_grid_session(mut self, grid: crate::webdriver::GridSession) -> Self {
        self.grid = Some(grid);
        self
    }

    /// The WebDriver session id, for a session whose browser a Grid started.
    pub fn grid_session_id(&self) -> Option<&str> {
        self.grid.as_ref().map(|g| g.id.as_str())
    }

    /// Where this session's downloads go instead of its own temp folder.
    pub fn with_download_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.download_dir = dir;
        self
    }

    /// The named profile's folder this session's managed browser runs on, if any.
    pub fn kept_profile(&self) -> Option<&std::path::Path> {
        self.chromium.as_ref().and_then(ManagedChromium::kept_profile)
    }

    /// Every CDP event of this session's browser from now on.
    pub(crate) fn events(&self) -> tokio::sync::broadcast::Receiver<CdpEvent> {
        self.transport.events()
    }

    /// Locks the state.
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("session state lock")
    }

    /// One CDP command in this session's browser. A call on a tab that opens a JavaScript
    /// dialog meanwhile (a click that triggers `confirm()`) answers `dialog_open` at once:
    /// the page is paused, and its answer would come only after the dialog is answered.
    ///
    /// A flat session the browser no longer knows (the extension's service worker restarted
    /// or reconnected, or the browser detached the tab) is not an error of the command: the
    /// call goes to the tab's new session (attached now if needed), and when the browser
    /// answers that it does not know the session, which means the command never ran, the
    /// tab is attached again and the call retried once.
    pub async fn call(&self, method: &str, params: Value, session: Option<&str>) -> Result<Value, Error> {
        let Some(given) = session else { return self.call_on(method, params, None).await };
        let cdp = self.live_session(given).await?;
        match self.call_on(method, params.clone(), Some(&cdp)).await {
            Err(Error::Cdp(CdpError::Protocol { message, .. })) if is_unknown_session(&message) => {
                let gone = self.state().session_gone(&cdp);
                // A call running beside this one may have retired it already.
                let target = gone.or_else(|| self.state().retired_target(&cdp));
                if target.is_none() {
                    return Err(session_lost(method, None));
                }
                let cdp = self.reattach(&cdp).await?;
                self.call_on(method, params, Some(&cdp)).await.map_err(|e| match e {
                    Error::Cdp(CdpError::Protocol { message, .. }) if is_unknown_session(&message) => {
                        session_lost(method, target.as_deref())
                    }
                    other => other,
                })
            }
            other => other,
        }
    }

    /// The flat session to use for `cdp`: itself, or when it was retired, its target's
    /// current session (attaching it again).
    async fn live_session(&self, cdp: &str) -> Result<String, Error> {
        let retired = self.state().retired_target(cdp);
        match retired {
            Some(target) => self.attach(&target).await,
            None => Ok(cdp.to_owned()),
        }
    }

    /// The new session of the target whose session `cdp` the browser forgot. The extension
    /// forgets sessions when its service worker restarts, and is gone for a moment then:
    /// attaching waits for it to be back (up to [`REATTACH_WAIT`]).
    async fn reattach(&self, cdp: &str) -> Result<String, Error> {
        let started = tokio::time::Instant::now();
        loop {
            match self.live_session(cdp).await {
                Err(Error::Cdp(
                    CdpError::NotConnected | CdpError::HandshakeIncomplete | CdpError::Disconnected { .. },
                )) if started.elapsed() < REATTACH_WAIT => tokio::time::sleep(Duration::from_millis(100)).await,
                other => return other,
            }
        }
    }

    /// One CDP command on exactly the flat session given (see [`call`](Self::call)).
    async fn call_on(&self, method: &str, params: Value, session: Option<&str>) -> Result<Value, Error> {
        let mut opened = self.dialog_opened.subscribe();
        let call = self.transport.call(method, params, session, CALL_TIMEOUT);
        let result = match session {
            None => call.await,
            Some(cdp) => {
                tokio::pin!(call);
                loop {
                    tokio::select! {
                        result = &mut call => break result,
                        changed = opened.changed() => {
                            if changed.is_err() {
                                break call.await;
                            }
                            if let Some(dialog) = self.dialog_on_session(cdp) {
                                return Err(dialogs::dialog_open(&dialog));
                            }
                        }
                    }
                }
            }
        };
        result.map_err(|e| match e {
            CdpError::Disconnected { .. } if !self.transport.alive() => {
                err("detached_target", "the browser of this session has gone away: launch a new session")
            }
            // The debugger let go of the tab while the command ran (the extension's worker
            // stopped, or the tab went): whether it happened is unknown.
            CdpError::Protocol { message, .. } if message.starts_with("Detached while handling command") => {
                CdpError::Disconnected { method: method.to_owned() }.into()
            }
            other => other.into(),
        })
    }

    /// The connection to the browser is now `link` (see [`State::relink`]): when it changed,
    /// every flat session of the old one is retired and the next command attaches again.
    /// True when sessions were retired.
    pub fn relink(&self, link: &str) -> bool {
        self.state().relink(link)
    }

    /// Evaluates `expression` in the target of flat session `cdp` and returns its value
    /// (page exceptions are `js_error`s).
    pub async fn eval(&self, cdp: &str, expression: &str) -> Result<Value, Error> {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        let result = self.call("Runtime.evaluate", params, Some(cdp)).await?;
        js_result(result, true)
    }

    /// Starts copying console and network events of attached targets into the logs.
    pub fn start_event_pump(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let transport = self.transport.clone();
        let task = tokio::spawn(async move {
            let mut rx = transport.events();
            loop {
                match rx.recv().await {
                    Ok(event) => match weak.upgrade() {
                        Some(session) => session.record(event),
                        None => return,
                    },
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    // Transports keep one channel for their whole life (a restarted relay
                    // publishes on its predecessor's): closed means the browser is gone.
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        *self.pump.lock().expect("pump lock") = Some(task);
    }

    fn record(&self, event: CdpEvent) {
        if background::is_keep_alive_event(&event.method) {
            return;
        }
        let mut state = self.state();
        if event.method == "Target.detachedFromTarget" {
            // The browser (or the extension, when a /cdp client left) ended a session we
            // hold: forget it, and the next command on that target attaches again.
            let gone = event.params.as_ref().and_then(|p| p["sessionId"].as_str()).unwrap_or_default();
            if !gone.is_empty() {
                state.session_gone(gone);
            }
            return;
        }
        let Some(session) = event.session_id.as_deref() else {
            let params = event.params.unwrap_or(Value::Null);
            if state.downloads.apply(&event.method, &params) {
                self.download_seen.send_modify(|n| *n += 1);
            }
            return;
        };
        let Some(target) = state.target_of_session(session) else {
            return;
        };
        let p = event.params.unwrap_or(Value::Null);
        match event.method.as_str() {
            "Fetch.requestPaused" if !state.plain_targets.contains(&target) => {
                return self.judge_request(&mut state, session, &p)
            }
            "Page.javascriptDialogOpening" => return self.dialog_opening(&mut state, target, session, &p),
            "Page.javascriptDialogClosed" => {
                state.dialogs.remove(&target);
                return;
            }
            "Target.attachedToTarget" if p["targetInfo"]["type"] == "iframe" => {
                // An out-of-process iframe of this page (auto-attach): its own session.
                let (frame, child) = (p["targetInfo"]["targetId"].as_str(), p["sessionId"].as_str());
                if let (Some(frame), Some(child), Some(t)) = (frame, child, state.targets.get_mut(&target)) {
                    t.frame_sessions.insert(frame.to_owned(), child.to_owned());
                }
                return;
            }
            "Runtime.executionContextsCleared" => {
                // A new document: its ref table is made afresh on the next command.
                if let Some(t) = state.targets.get_mut(&target) {
                    t.ref_table.clear();
                    t.refs.retire_all();
                    t.last_outline.clear();
                }
                return;
            }
            _ => {}
        }
        let ts = opendevbrowser_api::clock::now_ms();
        let request = p["requestId"].as_str().unwrap_or_default();
        match event.method.as_str() {
            "Network.requestWillBeSent" => state.traffic.entry(target.clone()).or_default().started(request, ts),
            "Network.loadingFinished" | "Network.loadingFailed" => {
                state.traffic.entry(target.clone()).or_default().ended(request, ts)
            }
            _ => {}
        }
        if let Some(entry) = event_log::console_entry(&event.method, &p, &target, ts) {
            state.console.push(entry);
        }
        let state = &mut *state;
        if let Some(entry) = event_log::network_entry(&mut state.requests, &event.method, &p, &target, ts) {
            if let Some(recording) = &mut state.har {
                recording.push(&entry);
            }
            state.network.push(entry);
        }
    }

    /// A page opened a dialog: keep it open and wake the calls waiting on its tab
    /// (`report`), or answer it now and list it for the next result (`accept`, `dismiss`).
    fn dialog_opening(&self, state: &mut State, target: String, cdp: &str, params: &Value) {
        let mut dialog = dialogs::opening(params);
        match state.dialog_policy.auto_answer() {
            None => {
                state.dialogs.insert(target, dialog);
                self.dialog_opened.send_modify(|n| *n += 1);
            }
            Some(accept) => {
                let (transport, cdp) = (self.transport.clone(), cdp.to_owned());
                tokio::spawn(async move {
                    let answer = json!({"accept": accept});
                    let _ = transport.call("Page.handleJavaScriptDialog", answer, Some(&cdp), CALL_TIMEOUT).await;
                });
                dialog.outcome = Some(dialogs::outcome(accept).to_owned());
                state.handled_dialogs.push(dialog);
            }
        }
    }

    /// The dialog open on the target attached as flat session `cdp`, if any.
    fn dialog_on_session(&self, cdp: &str) -> Option<opendevbrowser_api::commands::DialogInfo> {
        let state = self.state();
        let target = state.target_of_session(cdp)?;
        state.dialogs.get(&target).cloned()
    }

    /// The dialogs the policy answered since the last call (for the next result).
    pub fn take_handled_dialogs(&self) -> Vec<opendevbrowser_api::commands::DialogInfo> {
        std::mem::take(&mut self.state().handled_dialogs)
    }

    /// Checks that `r` names an element of `target` now (`unknown_ref`, `stale_ref` otherwise).
    pub fn check_ref(&self, target: &str, r: &str) -> Result<(), Error> {
        match self.state().targets.get(target) {
            Some(t) => t.refs.check(r).map(drop),
            None => Err(crate::refs::unknown(r)),
        }
    }

    /// Attaches (once) to `target_id` with a flat session and enables what the commands use.
    /// A tab this session used before that cannot be attached any more was closed:
    /// `tab_closed` (and the session forgets it).
    pub async fn attach(&self, target_id: &str) -> Result<String, Error> {
        let known = {
            let state = self.state();
            if let Some(t) = state.targets.get(target_id).filter(|t| !t.cdp_session.is_empty()) {
                return Ok(t.cdp_session.clone());
            }
            if state.is_closed(target_id) {
                return Err(closed_tab(target_id, state.scope.is_some()));
            }
            state.targets.contains_key(target_id)
        };
        let params = json!({"targetId": target_id, "flatten": true});
        let attached = self.call_on("Target.attachToTarget", params, None).await;
        // A target that is gone is `unknown_target` (callers skip it), or `tab_closed` when
        // this session used it; any other refusal (e.g. "Not allowed" from an extension)
        // keeps the browser's own words.
        let attached = attached.map_err(|e| match e {
            Error::Cdp(CdpError::Protocol { message, .. }) if is_missing_target(&message) && known => {
                self.tab_closed(target_id)
            }
            Error::Cdp(CdpError::Protocol { message, .. }) if is_missing_target(&message) => {
                err("unknown_target", format!("cannot attach to {target_id}: {message}"))
            }
            other => other,
        })?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| err("unknown_target", format!("no session for {target_id}")))?
            .to_owned();
        for method in ["Page.enable", "Runtime.enable", "Network.enable"] {
            self.call_on(method, json!({}), Some(&session)).await?;
        }
        for (method, params) in background::keep_rendering_calls() {
            if let Err(e) = self.call_on(method, params, Some(&session)).await {
                background::log_refusal(method, target_id, &e);
            }
        }
        self.set_up(target_id, &session).await?;
        // Out-of-process iframes become targets of their own, attached under this one.
        let auto = json!({"autoAttach": true, "waitForDebuggerOnStart": false, "flatten": true});
        self.call_on("Target.setAutoAttach", auto, Some(&session)).await?;
        // A target attached again keeps its last ref: refs are never reused.
        self.state().targets.entry(target_id.to_owned()).or_default().cdp_session = session.clone();
        Ok(session)
    }

    /// Gives a newly attached tab the launch's settings (emulation, init scripts) and, when
    /// there are origin rules, has the browser pause each of its requests for the event
    /// pump to let through or fail ([`Self::judge_request`]). The hub's helper tabs get none.
    async fn set_up(&self, target_id: &str, session: &str) -> Result<(), Error> {
        let (calls, rules) = {
            let state = self.state();
            if state.plain_targets.contains(target_id) {
                return Ok(());
            }
            (state.page_setup.clone(), state.intercepts())
        };
        for (method, params) in calls {
            self.call_on(method, params, Some(session)).await?;
        }
        let (method, params) = crate::vitals_collector::install_call();
        if let Err(e) = self.call_on(method, params, Some(session)).await {
            tracing::debug!(target = %target_id, "no Web Vitals collector: {e}");
        }
        if rules {
            self.call_on("Fetch.enable", crate::routes::pause_every_request(), Some(session)).await?;
        }
        Ok(())
    }

    /// A request paused by [`Self::set_up`]'s `Fetch.enable`: the origin rules first (a
    /// refused URL fails as blocked by the client), then the request rules
    /// ([`crate::routes`]) say whether it goes on (maybe with headers set), fails, or is
    /// answered with a mock.
    fn judge_request(&self, state: &mut State, cdp: &str, params: &Value) {
        let id = params["requestId"].as_str().unwrap_or_default();
        let url = params["request"]["url"].as_str().unwrap_or_default();
        let decision = match state.origin_rules.verdict(url) {
            Err(why) => {
                tracing::info!(target = %cdp, "{why}");
                crate::routes::Decision::Fail
            }
            // Origin rules alone: nothing more to read of the request.
            Ok(()) if state.routes.is_empty() => crate::routes::Decision::Continue(None),
            Ok(()) => {
                let kind = params["resourceType"].as_str().unwrap_or_default();
                let sent = params["request"]["headers"].as_object().into_iter().flatten();
                let sent = sent.map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
                state.routes.decide(url, kind, &sent)
            }
        };
        let (method, answer) = crate::routes::answer(decision, id);
        let (transport, cdp) = (self.transport.clone(), cdp.to_owned());
        tokio::spawn(async move {
            let _ = transport.call(method, answer, Some(&cdp), CALL_TIMEOUT).await;
        });
    }

    /// `target_id`, a tab this session used, is gone: the session forgets it, and the error
    /// says what to do next.
    fn tab_closed(&self, target_id: &str) -> Error {
        let scoped = self.state().scope.is_some();
        self.forget_target(target_id);
        closed_tab(target_id, scoped)
    }

    /// The page targets of this session's browser that it has not closed: `[{targetId, url, title}]`.
    pub async fn page_targets(&self) -> Result<Vec<Value>, Error> {
        let targets = self.call("Target.getTargets", json!({}), None).await?;
        let state = self.state();
        Ok(targets["targetInfos"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter(|t| t["type"] == "page" && !state.is_closed(t["targetId"].as_str().unwrap_or_default()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The active target and its CDP session, for a command to act on: `dialog_open` while
    /// a JavaScript dialog waits on that tab (the page is paused until it is answered).
    pub async fn active(&self) -> Result<(String, String), Error> {
        let (target, cdp) = self.active_ignoring_dialogs().await?;
        if let Some(dialog) = self.state().dialogs.get(&target) {
            return Err(dialogs::dialog_open(dialog));
        }
        Ok((target, cdp))
    }

    /// The active target and its CDP session, dialog or not. With none active, the first
    /// open page becomes active; a page that vanishes before it can be attached is skipped.
    pub async fn active_ignoring_dialogs(&self) -> Result<(String, String), Error> {
        let current = self.state().active.clone();
        if let Some(target) = current {
            let session = self.attach(&target).await?;
            return Ok((target, session));
        }
        for page in self.page_targets().await? {
            let Some(target) = page["targetId"].as_str() else { continue };
            if !self.state().may_use(target) {
                continue; // a tab-scoped session never falls back onto someone else's tab
            }
            match self.attach(target).await {
                Ok(session) => {
                    self.state().activate(target);
                    return Ok((target.to_owned(), session));
                }
                Err(Error::Browser(e)) if matches!(e.code, "unknown_target" | "tab_closed") => {
                    self.forget_target(target)
                }
                Err(other) => return Err(other),
            }
        }
        if self.state().scope.as_ref().is_some_and(|own| own.is_empty()) {
            let message = "every tab of this session was closed: nav.goto opens a new one (in this session's tab group), as does targets.new";
            return Err(err("tab_closed", message));
        }
        Err(err("unknown_target", "no page of this session is open: open one with targets.new"))
    }

    /// Forgets a closed target (the previously active one takes over if it was active).
    pub fn forget_target(&self, target_id: &str) {
        self.state().forget(target_id);
    }
}

/// Whether a CDP error message says the browser does not know the flat session the
/// command was sent on (our extension's router, or Chrome itself): the command never ran.
fn is_unknown_session(message: &str) -> bool {
    message.starts_with("Unknown sessionId") || message.contains("Session with given id not found")
}

/// `tab_closed` for `target_id`, saying what the session does next.
fn closed_tab(target_id: &str, scoped: bool) -> Error {
    let next = if scoped {
        "nav.goto opens a new tab for this session (in its tab group), as does targets.new"
    } else {
        "the next command uses the tab used before it; targets.list shows the open tabs and targets.use picks one"
    };
    err(
        "tab_closed",
        format!("tab {target_id} of this session was closed (by the user, or the page closed itself): {next}"),
    )
}

/// A command sent on a flat session the browser no longer knows, even after attaching
/// again: it did not run.
fn session_lost(method: &str, target: Option<&str>) -> Error {
    let tab = target.map_or_else(|| "a frame of the tab".to_owned(), |t| format!("tab {t}"));
    let message = format!(
        "the debugger's connection to {tab} was lost (the extension restarted or reconnected), so it did not run; \
         the next command attaches again: retry it"
    );
    Error::Cdp(CdpError::Protocol { method: method.to_owned(), code: None, message })
}

/// Whether a CDP error message says the target does not exist (any more).
fn is_missing_target(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("no target") || lower.contains("not found") || lower.contains("no tab with")
}

/// A `Runtime.evaluate` / `Runtime.callFunctionOn` answer: its value (or remote object when
/// not `by_value`), or `js_error` with the page's message and stack.
pub(crate) fn js_result(result: Value, by_value: bool) -> Result<Value, Error> {
    if let Some(e) = result.get("exceptionDetails") {
        let text = e["exception"]["description"].as_str().or(e["text"].as_str()).unwrap_or("exception");
        return Err(err("js_error", format!("the page threw: {text}")));
    }
    Ok(if by_value { result["result"]["value"].clone() } else { result["result"].clone() })
}
