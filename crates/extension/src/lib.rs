//! The opendevbrowser extension's background core.
//!
//! - [`router`]: pure flat-session CDP routing across tabs (tested natively and in Chromium);
//! - the wasm driver (`driver`, `chrome`, `net`) runs the shared `pairing::AutoPair`
//!   machine with real fetches, a WebSocket, timers and `chrome.alarms`, and carries the
//!   router's plans out with `chrome.debugger` and `chrome.tabs`.

pub mod router;
