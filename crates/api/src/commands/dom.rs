//! Reading elements by ref, screenshots, and the DevTools logs and metrics.

use super::command;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Declares a command that reads one thing of an element by ref.
macro_rules! ref_read {
    ($ty:ident: $name:literal, cli $cli:literal, -> $out:ty, $about:literal, tool($tool:literal, $guide:literal)) => {
        #[doc = concat!("`", $name, "`.")]
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        pub struct $ty {
            /// The element's ref.
            #[serde(rename = "ref")]
            #[schemars(length(min = 1))]
            pub element: String,
        }
        command!($ty: $name, cli $cli, Session, -> $out, $about, tool($tool, reads, $guide));
    };
}

/// `dom.getHtml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetHtml {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// Cut at this many characters (default 8000).
    #[schemars(range(max = 1_000_000))]
    pub max_chars: Option<u64>,
}
command!(GetHtml: "dom.getHtml", cli "dom-html", Session, -> Html, "An element's outer HTML by ref",
    tool("browser_get_html", reads, "An element's outer HTML."));

/// An element's HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Html {
    /// The HTML (cut at `maxChars`).
    #[serde(rename = "outerHTML")]
    pub outer_html: String,
    /// It was cut.
    pub truncated: bool,
}

/// `dom.getText`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetText {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// Cut at this many characters (default 8000).
    #[schemars(range(max = 1_000_000))]
    pub max_chars: Option<u64>,
}
command!(GetText: "dom.getText", cli "dom-text", Session, -> Text, "An element's visible text by ref",
    tool("browser_get_text", reads, "An element's visible text."));

/// An element's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Text {
    /// The text (cut at `maxChars`).
    pub text: String,
    /// It was cut.
    pub truncated: bool,
}

/// `dom.getAttr`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetAttr {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// The attribute.
    #[schemars(length(min = 1))]
    pub name: String,
}
command!(GetAttr: "dom.getAttr", cli "dom-attr", Session, -> Reading, "An attribute of an element by ref (null when absent)",
    tool("browser_get_attribute", reads, "An element's attribute (null when absent)."));

ref_read!(GetValue: "dom.getValue", cli "dom-value", -> Reading, "The value of a form field by ref",
    tool("browser_get_value", "A form field's current value."));
ref_read!(IsVisible: "dom.isVisible", cli "is-visible", -> Reading, "Whether an element by ref is visible",
    tool("browser_is_visible", "Whether an element is visible."));
ref_read!(IsEnabled: "dom.isEnabled", cli "is-enabled", -> Reading, "Whether an element by ref is enabled",
    tool("browser_is_enabled", "Whether an element is enabled."));
ref_read!(IsChecked: "dom.isChecked", cli "is-checked", -> Reading, "Whether a checkbox or radio by ref is checked",
    tool("browser_is_checked", "Whether a checkbox or radio is checked."));

/// One value read from an element (a string, a boolean or null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The value.
    pub value: Value,
}

/// `page.screenshot`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Screenshot {
    /// Save it here (default: a temp file).
    pub path: Option<String>,
    /// Only this element.
    #[serde(rename = "ref")]
    pub element: Option<String>,
    /// Default png.
    #[schemars(extend("enum" = ["png", "jpeg"]))]
    pub format: Option<String>,
    /// JPEG quality (default 80).
    #[schemars(range(max = 100))]
    pub quality: Option<u8>,
    /// The whole page, not only the viewport.
    pub full_page: Option<bool>,
    /// Also answer the bytes as base64 (`data`).
    pub inline: Option<bool>,
}
command!(Screenshot: "page.screenshot", cli "screenshot", Session, -> Shot, "Save a PNG (or JPEG) of the active tab, the full page, or one element by ref",
    tool("browser_take_screenshot", reads, "A screenshot of the active tab, as an image. To read the page or act, browser_snapshot is better."));

/// An image that was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shot {
    /// Where.
    pub path: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// File size.
    pub bytes: usize,
    /// The image itself, base64 (with `inline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// `devtools.consolePoll`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsolePoll {
    /// Only newer ones: the last answer's `nextSeq`.
    pub since_seq: Option<u64>,
    /// At most this many (default 50).
    #[schemars(range(max = 1000))]
    pub max: Option<u64>,
}
command!(ConsolePoll: "devtools.consolePoll", cli "console-poll", Session, -> Events,
    "Console messages and page errors since a sequence number (with source location and stack)",
    tool("browser_console_messages", reads, "Console messages and page errors: level, text, source (url, line, column), stack."));

/// `devtools.networkPoll`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPoll {
    /// Only newer ones: the last answer's `nextSeq`.
    pub since_seq: Option<u64>,
    /// At most this many (default 50).
    #[schemars(range(max = 1000))]
    pub max: Option<u64>,
    /// Only URLs that contain this, or match it as a glob if it has `*` (`*/api/*`).
    pub url_pattern: Option<String>,
    /// Only this type: Document, XHR, Fetch, Script, Stylesheet, Image, Font, Media,
    /// WebSocket, Other…
    pub resource_type: Option<String>,
}
command!(NetworkPoll: "devtools.networkPoll", cli "network-poll", Session, -> Events,
    "Network requests and responses since a sequence number (with headers and timing)",
    tool("browser_network_requests", reads, "Network requests and responses: URL, method, status, type, headers, timing, size (bodies: browser_network_body)."));

/// Logged events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Events {
    /// Each with its `seq`.
    pub events: Vec<Value>,
    /// Pass as `sinceSeq` next time.
    pub next_seq: u64,
}

/// `devtools.perf`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Perf {}
command!(Perf: "devtools.perf", cli "perf", Session, -> Metrics, "The active tab's performance metrics (Performance.getMetrics)",
    tool("browser_performance_metrics", reads, "The active tab's performance metrics (Performance.getMetrics)."));

/// Performance metrics as the browser names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// `[{name, value}]`.
    pub metrics: Value,
}
