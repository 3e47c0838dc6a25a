//! What the background core holds (the pairing machine, the tab router, the socket, the
//! timer), in one thread-local, and the small accessors the driver and the CDP forwarder
//! both use: run a closure on it, whether it is paired, send a frame.

use crate::router::Router;
use pairing::wire::ExtensionFrame;
use pairing::AutoPair;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

pub(crate) struct Socket {
    pub(crate) ws: WebSocket,
    pub(crate) _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Socket {
    pub(crate) fn close(self, code: u16, reason: &str) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close_with_code_and_reason(code, reason);
    }
}

/// Everything the background core holds.
pub struct Core {
    pub(crate) machine: AutoPair,
    /// The tab and session router.
    pub router: Router,
    pub(crate) generation: u64,
    pub(crate) socket: Option<Socket>,
    pub(crate) timer: Option<gloo_timers::callback::Timeout>,
    /// `navigator.userAgent`, for `Browser.getVersion`.
    pub user_agent: String,
    /// Tab groups made for agents (group id → `{title, color}`), listed in the popup.
    pub agent_groups: std::collections::BTreeMap<i32, serde_json::Value>,
    /// Whether this worker has paired since it started (for `workerTiming`).
    pub paired_once: bool,
}

thread_local! {
    pub(crate) static CORE: RefCell<Option<Core>> = const { RefCell::new(None) };
}

impl Core {
    /// True if no socket or fetch was started after `generation`.
    pub fn generation_is(&self, generation: u64) -> bool {
        self.generation == generation
    }
}

/// Runs `f` on the core, if started.
pub fn with_core<R>(f: impl FnOnce(&mut Core) -> R) -> Option<R> {
    CORE.with(|c| c.borrow_mut().as_mut().map(f))
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// True while the socket is paired and CDP traffic may flow.
pub fn connected() -> bool {
    with_core(|c| c.machine.status().state() == "connected").unwrap_or(false)
}

/// Sends a frame on the current socket, if any.
pub fn send_frame(frame: &ExtensionFrame) {
    send_text(&frame.to_json());
}

/// Sends text on the current socket, if any.
pub fn send_text(text: &str) {
    with_core(|c| {
        if let Some(s) = &c.socket {
            let _ = s.ws.send_with_str(text);
        }
    });
}
