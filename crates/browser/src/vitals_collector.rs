//! The Web Vitals collector every attached tab runs (`vitals_collector.js`): installed when
//! the session attaches a tab (in every new document, and at once in the one it shows), in
//! the hub's own isolated world so the page can neither see nor change it. [`crate::vitals`]
//! reads what it saw.

use serde_json::{json, Value};

/// The isolated world the collector runs in.
pub const WORLD: &str = "opendevbrowser-vitals";

/// The call that installs the collector in a tab.
pub fn install_call() -> (&'static str, Value) {
    let source = include_str!("vitals_collector.js");
    ("Page.addScriptToEvaluateOnNewDocument", json!({"source": source, "worldName": WORLD, "runImmediately": true}))
}
