//! Acting on elements by ref (or at coordinates): click (any button, double), hover, drag,
//! type, keys and chords, select, scroll.

use super::{command, Done, Timing};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Number;

/// `interact.click`: on an element by ref, or at page coordinates.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Click {
    /// The element's ref (or give x and y).
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: Option<String>,
    /// Viewport x in CSS pixels (with y, instead of a ref).
    pub x: Option<f64>,
    /// Viewport y in CSS pixels.
    pub y: Option<f64>,
    /// Default left; right opens the context menu.
    #[schemars(extend("enum" = ["left", "right", "middle"]))]
    pub button: Option<String>,
    /// 2 for a double click (default 1).
    #[schemars(range(min = 1, max = 3))]
    pub click_count: Option<u8>,
    /// Keys held during the click: Alt, Control, Meta, Shift.
    pub modifiers: Option<Vec<String>>,
}
command!(Click: "interact.click", cli "click", Session, -> Clicked, "Click an element by ref, or at x/y (real mouse events; any button, double click)",
    tool("browser_click", writes, "Click an element (ref) or a point (x, y) with real mouse events; answers whether the page navigated and what changed."));

/// `interact.drag`: press on one element, move, release on another (or at coordinates).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Drag {
    /// The ref to pick up.
    #[serde(rename = "from")]
    #[schemars(length(min = 1))]
    pub from: String,
    /// The ref to drop on (or give toX and toY).
    pub to: Option<String>,
    /// Viewport x to drop at.
    pub to_x: Option<f64>,
    /// Viewport y to drop at.
    pub to_y: Option<f64>,
}
command!(Drag: "interact.drag", cli "drag", Session, -> Timing, "Drag an element by ref onto another (or to x/y) with real mouse events",
    tool("browser_drag", writes, "Drag the element `from` (ref) and drop it on `to` (ref) or at toX/toY, with real mouse events (press, move in steps, release)."));

/// `interact.hover`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Hover {
    /// The element's ref.
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
    /// The click started a navigation: the URL changed within the page, or another
    /// document committed (or is still on its way after a second; the load is not
    /// waited for).
    pub navigated: bool,
}

/// `interact.type`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct TypeText {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// What to type: each character is a key press (keydown, keypress, input, keyup);
    /// a line break presses Enter.
    pub text: String,
    /// Empty the field first.
    pub clear: Option<bool>,
    /// Press Enter afterwards.
    pub submit: Option<bool>,
    /// Insert the text at once without key events; faster, for plain fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insert: Option<bool>,
}
command!(TypeText: "interact.type", cli "type", Session, -> Timing, "Type text into an element by ref, key by key as a keyboard does",
    tool("browser_type", writes, "Type text into an editable element (ref) key by key, as a keyboard does."));

/// `interact.press`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Press {
    /// A key or chord: one character, a named key (Enter, Tab, Escape, Backspace, Delete,
    /// Arrow*, Home, End, PageUp, PageDown, Insert, F1-F12, Space, …), modifiers joined with
    /// `+` (`Control+A`, `Shift+Tab`, `Meta+K`, `ControlOrMeta+Enter`).
    #[schemars(length(min = 1))]
    pub key: String,
    /// Focus this element first.
    #[serde(rename = "ref")]
    pub element: Option<String>,
}
command!(Press: "interact.press", cli "press", Session, -> Done, "Press a key or chord such as Control+A (in the element by ref, if given)",
    tool("browser_press_key", writes, "Press a key or chord, in the element (ref) if given."));

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
    tool("browser_select_option", writes, "Choose options of a <select> by value or visible label; answers how many are selected."));

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
