//! Acting on elements by ref: click, hover, type, keys, select, scroll.

use super::{command, Done, Timing};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Number;

/// `interact.click`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Click {
    /// The element's ref from the last snapshot.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
}
command!(Click: "interact.click", cli "click", Session, -> Clicked, "Click an element by ref (real mouse events)",
    tool("browser_click", writes, "Click an element by ref from browser_snapshot, with real mouse events. Returns whether the page navigated."));

/// `interact.hover`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Hover {
    /// The element's ref from the last snapshot.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
}
command!(Hover: "interact.hover", cli "hover", Session, -> Clicked, "Move the mouse over an element by ref",
    tool("browser_hover", writes, "Move the mouse over an element by ref."));

/// What a click (or hover) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Clicked {
    /// Milliseconds.
    pub timing_ms: u64,
    /// The page's URL changed.
    pub navigated: bool,
}

/// `interact.type`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct TypeText {
    /// The element's ref from the last snapshot.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// What to type.
    pub text: String,
    /// Empty the field first.
    pub clear: Option<bool>,
    /// Press Enter afterwards.
    pub submit: Option<bool>,
}
command!(TypeText: "interact.type", cli "type", Session, -> Timing, "Type text into an element by ref",
    tool("browser_type", writes, "Type text into a field by ref. clear=true empties it first; submit=true presses Enter after."));

/// `interact.press`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Press {
    /// Enter, Tab, Escape, Backspace, Delete, ArrowUp/Down/Left/Right, Space or one character.
    #[schemars(length(min = 1))]
    pub key: String,
    /// Focus this element first.
    #[serde(rename = "ref")]
    pub element: Option<String>,
}
command!(Press: "interact.press", cli "press", Session, -> Done, "Press a key (in the element by ref, if given)",
    tool("browser_press_key", writes, "Press a key (Enter, Tab, Escape, Backspace, Delete, ArrowUp/Down/Left/Right, Space or one character), in the element by ref if given."));

/// `interact.select`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Select {
    /// The `<select>`'s ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// Option values or labels to select.
    pub values: Vec<String>,
}
command!(Select: "interact.select", cli "select", Session, -> Selected, "Select options of a <select> by value or label",
    tool("browser_select_option", writes, "Choose options of a <select> by ref, by value or visible label. Returns how many are selected."));

/// How many options are selected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selected {
    /// The count.
    pub selected: Option<Number>,
}

/// `interact.scroll`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Scroll {
    /// Pixels down (negative: up).
    pub dy: Option<f64>,
    /// Scroll this element instead of the window.
    #[serde(rename = "ref")]
    pub element: Option<String>,
}
command!(Scroll: "interact.scroll", cli "scroll", Session, -> Scrolled, "Scroll the window (or an element by ref) by dy pixels",
    tool("browser_scroll", writes, "Scroll the page (or an element by ref) by dy pixels; negative scrolls up."));

/// Where the scroll ended: `scrollTop` of the element or `scrollY` of the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scrolled {
    /// The element's scrollTop (element scroll).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_top: Option<Number>,
    /// The window's scrollY (window scroll).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_y: Option<Number>,
}

/// `interact.scrollIntoView`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ScrollIntoView {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
}
command!(ScrollIntoView: "interact.scrollIntoView", cli "scroll-into-view", Session, -> Rect,
    "Scroll an element by ref into the middle of the view",
    tool("browser_scroll_into_view", writes, "Scroll an element by ref into view. Returns its box."));

/// An element's box in CSS pixels of the top window, and the window's scroll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rect {
    /// Left.
    pub x: Number,
    /// Top.
    pub y: Number,
    /// Width.
    pub width: Number,
    /// Height.
    pub height: Number,
    /// The window's scrollX.
    pub scroll_x: Number,
    /// The window's scrollY.
    pub scroll_y: Number,
}
