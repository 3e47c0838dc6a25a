//! The opendevbrowser extension's background core.
//!
//! - [`router`]: pure flat-session CDP routing across tabs (tested natively and in Chromium);
//! - [`settings`]: storage keys, defaults and the popup's status record;
//! - the wasm driver (`core`, `driver`, `cdp`, `chrome`, `net`) runs the shared `pairing::AutoPair`
//!   machine with real fetches, a WebSocket, timers and `chrome.alarms`, and carries the
//!   router's plans out with `chrome.debugger` and `chrome.tabs`.
//!
//! `bg.js` registers every Chrome listener synchronously (so events can wake the worker)
//! and hands them to [`on_chrome_event`] once the wasm module is ready.

#![warn(missing_docs)]

pub mod router;
pub mod settings;

#[cfg(target_arch = "wasm32")]
mod cdp;
#[cfg(target_arch = "wasm32")]
pub mod chrome;
#[cfg(target_arch = "wasm32")]
mod core;
#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
pub mod net;

#[cfg(target_arch = "wasm32")]
mod exports {
    use super::{cdp, driver};
    use wasm_bindgen::prelude::*;

    /// Starts the core: loads settings and begins auto-connect.
    #[wasm_bindgen]
    pub async fn start() {
        driver::start().await;
    }

    /// Delivers a Chrome event captured by the loader: `kind` names it, `args` are the
    /// listener's arguments.
    #[wasm_bindgen]
    pub fn on_chrome_event(kind: &str, args: js_sys::Array) {
        let arg = |i: u32| args.get(i);
        match kind {
            "alarm" => driver::feed(pairing::Event::TimerFired),
            "startup" => driver::feed(pairing::Event::Start),
            "storage" => driver::on_storage_changed(arg(0), arg(1).as_string().unwrap_or_default()),
            "debuggerEvent" => cdp::on_debugger_event(arg(0), arg(1).as_string().unwrap_or_default(), arg(2)),
            "debuggerDetach" | "tabRemoved" => {
                let tab = if kind == "tabRemoved" {
                    arg(0).as_f64()
                } else {
                    js_sys::Reflect::get(&arg(0), &"tabId".into()).ok().and_then(|v| v.as_f64())
                };
                if let Some(tab) = tab {
                    cdp::on_tab_gone(tab as i64);
                }
            }
            "tabUpdated" => cdp::on_tab_updated(arg(2)),
            "downloadCreated" => cdp::on_download_created(arg(0)),
            "downloadChanged" => cdp::on_download_changed(arg(0)),
            _ => {}
        }
    }
}
