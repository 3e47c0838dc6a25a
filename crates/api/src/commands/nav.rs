//! Navigation, waiting and the page snapshot (the text outline whose refs the interact and
//! dom commands take).

use super::{command, Timing};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Number;

/// When a navigation counts as done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaitUntil {
    /// The `load` event fired (`document.readyState == "complete"`).
    #[default]
    Load,
    /// The DOM is parsed.
    #[serde(rename = "domcontentloaded")]
    DomContentLoaded,
    /// Loaded and no request in flight for 500 ms.
    #[serde(rename = "networkidle")]
    NetworkIdle,
}

impl WaitUntil {
    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitUntil::Load => "load",
            WaitUntil::DomContentLoaded => "domcontentloaded",
            WaitUntil::NetworkIdle => "networkidle",
        }
    }
}

/// `nav.goto`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Goto {
    /// Where to go.
    #[schemars(length(min = 1))]
    pub url: String,
    /// Default load.
    pub wait_until: Option<WaitUntil>,
    /// Give up after this many ms (default 30000).
    #[schemars(range(max = 300_000))]
    pub timeout_ms: Option<u64>,
}
command!(Goto: "nav.goto", cli "goto", Session, -> Navigated, "Navigate the active tab and wait until it has loaded",
    tool("browser_navigate", writes, "Open a URL in the active tab and wait until it has loaded. Returns finalUrl, title and HTTP status."));

/// Where a navigation ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Navigated {
    /// The URL after redirects.
    pub final_url: Option<String>,
    /// The page's title.
    pub title: Option<String>,
    /// The document's HTTP status, when the browser reported one.
    pub status: Option<u16>,
    /// Milliseconds.
    pub timing_ms: u64,
}

/// Declares a history command: how long to wait and for what, answering [`Navigated`].
macro_rules! history_command {
    ($ty:ident: $name:literal, cli $cli:literal, $about:literal, tool($tool:literal, $guide:literal)) => {
        #[doc = concat!("`", $name, "`.")]
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $ty {
            /// Default load.
            pub wait_until: Option<WaitUntil>,
            /// Give up after this many ms (default 30000).
            #[schemars(range(max = 300_000))]
            pub timeout_ms: Option<u64>,
        }
        command!($ty: $name, cli $cli, Session, -> Navigated, $about, tool($tool, writes, $guide));
    };
}

history_command!(Back: "nav.back", cli "back", "Go back one page in the active tab's history and wait until it has loaded",
    tool("browser_navigate_back", "Go back one page in the active tab's history and wait until it has loaded."));
history_command!(Forward: "nav.forward", cli "forward", "Go forward one page in the active tab's history and wait until it has loaded",
    tool("browser_navigate_forward", "Go forward one page in the active tab's history and wait until it has loaded."));
history_command!(Reload: "nav.reload", cli "reload", "Reload the active tab and wait until it has loaded",
    tool("browser_reload", "Reload the active tab and wait until it has loaded."));

/// `nav.wait`: until an element or text is in the state asked for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Wait {
    /// A CSS selector.
    pub selector: Option<String>,
    /// A ref from the last snapshot.
    #[serde(rename = "ref")]
    pub element: Option<String>,
    /// Text that must appear in the page.
    pub text: Option<String>,
    /// `visible` (default), `hidden`, `attached` or `detached`.
    #[schemars(extend("enum" = ["visible", "hidden", "attached", "detached"]))]
    pub state: Option<String>,
    /// Give up after this many ms (default 30000).
    #[schemars(range(max = 300_000))]
    pub timeout_ms: Option<u64>,
}
command!(Wait: "nav.wait", cli "wait", Session, -> Timing, "Wait for a selector, ref or text to reach a state",
    tool("browser_wait_for", reads, "Wait until a CSS selector, a ref or a text is visible (or hidden/attached/detached). Use after an action that loads content."));

/// `nav.snapshot`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Default outline: text, structure and what can be acted on; actionables: only what
    /// can be acted on.
    #[schemars(extend("enum" = ["outline", "actionables"]))]
    pub mode: Option<String>,
    /// Only this element (a ref) and what is inside it.
    #[serde(rename = "ref")]
    pub element: Option<String>,
    /// Levels below the top to show (deeper lines end in …).
    #[schemars(range(max = 100))]
    pub depth: Option<u64>,
    /// Show link URLs.
    pub urls: Option<bool>,
    /// Page size in characters (default 16000).
    #[schemars(range(max = 1_000_000))]
    pub max_chars: Option<u64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
command!(Snapshot: "nav.snapshot", cli "snapshot", Session, -> PageSnapshot,
    "The page as a person perceives it: its text and structure, with a ref (r1, r2, …) on everything that can be acted on",
    tool("browser_snapshot", reads, "The page as text: its words, headings, lists, tables and forms, with a ref like [r5] on everything that can be acted on (pass refs to the other tools), states and values, a select's options. Long pages come in parts (pass nextCursor)."));

/// `nav.find`: the snapshot lines that match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Find {
    /// Text the line must contain (its name, value or text; case-insensitive).
    pub text: Option<String>,
    /// The role the line must have (`button`, `link`, `textbox`, `option`, `text`, …).
    pub role: Option<String>,
    /// Most lines to answer (default 50).
    #[schemars(range(max = 10_000))]
    pub max: Option<u64>,
}
command!(Find: "nav.find", cli "find", Session, -> Found,
    "The snapshot lines matching a text and/or a role, with their refs",
    tool("browser_find", reads, "Find elements by text and/or role without reading the whole page: answers the matching snapshot lines with their refs (e.g. text \"Submit\", role \"button\")."));

/// What `nav.find` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    /// The matching lines, as the snapshot prints them.
    pub matches: Vec<String>,
    /// How many lines matched in all.
    pub count: usize,
    /// Milliseconds.
    pub timing_ms: u64,
}

/// One page of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageSnapshot {
    /// The page's URL.
    pub url: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// The outline, one element per line.
    pub content: String,
    /// More follows (pass `nextCursor`).
    pub truncated: bool,
    /// Where the next page starts.
    pub next_cursor: Option<String>,
    /// Refs issued by this snapshot.
    pub ref_count: Option<Number>,
    /// Milliseconds.
    pub timing_ms: u64,
}
