//! What a page does on its own account: JavaScript dialogs (alert, confirm, prompt,
//! beforeunload) and evaluating the caller's JavaScript in it.

use super::command;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `page.dialog`: answer the dialog open on the active tab, and/or set how this session
/// treats dialogs from now on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dialog {
    /// `accept` (OK) or `dismiss` (Cancel) the open dialog.
    #[schemars(extend("enum" = ["accept", "dismiss"]))]
    pub action: Option<String>,
    /// A prompt's answer (with accept).
    pub prompt_text: Option<String>,
    /// For later dialogs: `report` (default: calls answer `dialog_open`), or answer each
    /// at once (listed in the next result).
    #[schemars(extend("enum" = ["report", "accept", "dismiss"]))]
    pub policy: Option<String>,
}
command!(Dialog: "page.dialog", cli "dialog", Session, -> DialogAnswer,
    "Accept or dismiss the JavaScript dialog open on the active tab, or set the dialog policy",
    tool("browser_handle_dialog", writes, "Answer the alert, confirm or prompt open on the page (while one is open, other tools answer dialog_open), or set how later ones are answered."));

/// A JavaScript dialog as the page opened it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DialogInfo {
    /// `alert`, `confirm`, `prompt` or `beforeunload`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its text.
    pub message: String,
    /// A prompt's default answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_prompt: Option<String>,
    /// The page that opened it.
    pub url: String,
    /// What was done with it: `accepted`, `dismissed` (absent while it is open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// What `page.dialog` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DialogAnswer {
    /// The dialog that was answered, if one was open.
    pub handled: Option<DialogInfo>,
    /// The policy now in force.
    pub policy: String,
}

/// `page.evaluate`: run JavaScript in the active tab.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Evaluate {
    /// An expression (`document.title`) or a function (`(el, a) => el.value + a`) called
    /// with the element (`ref`), then `args`.
    #[schemars(length(min = 1))]
    pub expression: String,
    /// An element (ref) as the function's first argument.
    #[serde(rename = "ref")]
    pub element: Option<String>,
    /// JSON arguments after the element.
    pub args: Option<Vec<Value>>,
}
command!(Evaluate: "page.evaluate", cli "evaluate", Session, -> Evaluated,
    "Evaluate JavaScript (an expression, or a function on an element by ref) in the active tab",
    tool("browser_evaluate", writes, "Run JavaScript in the page; answers its JSON value (promises awaited). A throw is js_error with the message and stack."));

/// A JSON-able result of `page.evaluate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluated {
    /// The value (`null` for `undefined`, functions, and values JSON cannot hold).
    pub value: Value,
    /// Its JavaScript type (`typeof`, or `null`/`array`).
    #[serde(rename = "type")]
    pub kind: String,
}

/// `page.download`: click an element that starts a download and wait for the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Download {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// Give up after this long (default 30000).
    #[schemars(range(max = 300_000))]
    pub timeout_ms: Option<u64>,
}
command!(Download: "page.download", cli "download", Session, -> Downloaded,
    "Click an element by ref that starts a download, and wait for the saved file",
    tool("browser_download", writes, "Click an element that downloads a file and wait until it is saved; answers its path and size."));

/// A file the browser saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Downloaded {
    /// Where it is on this machine.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// The name the site gave it.
    pub suggested_filename: String,
    /// Where it came from.
    pub url: String,
}
