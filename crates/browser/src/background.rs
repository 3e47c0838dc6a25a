//! Keeping a tab the user is not looking at working at full speed.
//!
//! A browser neither renders nor focuses a tab in the background. Input sent through the
//! debugger then waits for a frame that does not come: measured in headless Chromium with
//! the real extension, every mouse event (click, hover, drag) in a background tab took
//! 5.0–5.5 s against 0.1 s in the active tab, a screenshot 0.5 s against 0.05 s.
//!
//! Two CDP calls on the tab's session, at attach, make it behave as the active tab without
//! touching the user's windows or tabs:
//! - `Emulation.setFocusEmulationEnabled`: the page is told it is visible and focused (as
//!   Playwright does for every page), so input is delivered at once;
//! - `Page.startScreencast` with the smallest frame and `everyNthFrame` far apart: a
//!   capturer keeps the tab's renderer producing frames while hidden, so events aligned to
//!   animation frames (mouse moves) and screenshots do not wait (with focus emulation alone
//!   a hover still took 0.9 s and a screenshot 3 s). The frames are tiny and never
//!   acknowledged, so the browser sends at most one.
//!
//! Both only last while the debugger is attached: detaching gives the tab back as it was.

use crate::error::Error;
use serde_json::{json, Value};

/// The two calls, in order.
pub fn keep_rendering_calls() -> [(&'static str, Value); 2] {
    [
        ("Emulation.setFocusEmulationEnabled", json!({"enabled": true})),
        (
            "Page.startScreencast",
            json!({"format": "jpeg", "quality": 1, "maxWidth": 8, "maxHeight": 8, "everyNthFrame": 1_000_000}),
        ),
    ]
}

/// Whether an event is the keep-alive screencast's own (not a page event anyone asked for).
pub fn is_keep_alive_event(method: &str) -> bool {
    method == "Page.screencastFrame" || method == "Page.screencastVisibilityChanged"
}

/// What a refusal of these calls means: nothing a command needs, so it is logged and the
/// tab used as it is (an old browser without focus emulation still works in the front).
pub fn log_refusal(method: &str, target: &str, e: &Error) {
    tracing::info!(target, method, "the tab may be slow while in the background: {e}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screencast_asks_for_the_smallest_frames_and_almost_never() {
        let [(focus, on), (cast, params)] = keep_rendering_calls();
        assert_eq!((focus, on["enabled"].as_bool()), ("Emulation.setFocusEmulationEnabled", Some(true)));
        assert_eq!(cast, "Page.startScreencast");
        assert!(params["maxWidth"].as_u64().unwrap() <= 8 && params["maxHeight"].as_u64().unwrap() <= 8);
        assert!(params["everyNthFrame"].as_u64().unwrap() >= 1000);
    }

    #[test]
    fn only_the_screencasts_events_are_keep_alive_events() {
        assert!(is_keep_alive_event("Page.screencastFrame"));
        assert!(!is_keep_alive_event("Page.frameNavigated"));
    }
}
