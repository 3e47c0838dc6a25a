//! The snapshot outline: the browser's accessibility tree of one document (from
//! `Accessibility.getFullAXTree`, roles and names as the browser computes them) turned into
//! the lines an agent reads. Pure: the tree and the set of clickable elements come in, lines
//! go out, refs are issued through a callback. Tested with plain values.
//!
//! A line is `[ref] role "name" states`, or `role: text` when an element's only content is
//! one run of text, or `text: …` for the page's text between elements; children are indented
//! two spaces. Text runs of one element are joined as the page shows them; elements that
//! only group others (`generic`, `none`, labels, popups) give no line of their own unless a
//! person can act on them. Nothing is cut silently: a long name or value says how long the
//! whole is.

use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// How much of a name or value a line shows before it says it is cut.
pub const MAX_NAME: usize = 200;

/// Roles a person acts on: each gets a ref.
const ACTIONABLE: &[&str] = &[
    "button",
    "link",
    "textbox",
    "searchbox",
    "checkbox",
    "radio",
    "combobox",
    "listbox",
    "option",
    "menuitem",
    "menuitemcheckbox",
    "menuitemradio",
    "switch",
    "tab",
    "slider",
    "spinbutton",
    "treeitem",
    "listitem",
    "row",
    "cell",
    "gridcell",
    "columnheader",
    "rowheader",
    "image",
    "img",
    "Date",
    "DateTime",
    "InputTime",
    "ColorWell",
    "disclosureTriangle",
    "DisclosureTriangle",
    "menubutton",
    "PopUpButton",
    "scrollbar",
    "textField",
];

/// Roles that show a line (without a ref) because they structure the page.
const STRUCTURE: &[&str] = &[
    "heading",
    "list",
    "table",
    "grid",
    "treegrid",
    "tree",
    "navigation",
    "main",
    "banner",
    "contentinfo",
    "complementary",
    "region",
    "form",
    "search",
    "dialog",
    "alertdialog",
    "alert",
    "status",
    "article",
    "figure",
    "group",
    "radiogroup",
    "tablist",
    "tabpanel",
    "menu",
    "menubar",
    "toolbar",
    "blockquote",
    "log",
    "marquee",
    "timer",
    "note",
    "definition",
    "term",
    "math",
    "meter",
    "progressbar",
    "separator",
    "Iframe",
    "code",
];

/// Roles whose content is their value (their inner parts are the browser's own).
const OPAQUE: &[&str] = &[
    "textbox",
    "searchbox",
    "combobox",
    "Date",
    "DateTime",
    "InputTime",
    "ColorWell",
    "slider",
    "spinbutton",
    "textField",
    "meter",
    "progressbar",
];

/// How the snapshot shows the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Everything a person sees: text, structure and what can be acted on.
    #[default]
    Outline,
    /// Only what can be acted on, one line each.
    Actionables,
}

/// What to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Outline or actionables.
    pub mode: Mode,
    /// Lines deeper than this (levels below the root) are left out, and their parent says so.
    pub max_depth: Option<usize>,
    /// Links show their URL.
    pub urls: bool,
}

/// One node of the accessibility tree, as the outline needs it.
#[derive(Debug, Clone, Default)]
pub struct AxNode {
    /// The role (`button`, `StaticText`, `generic`, …).
    pub role: String,
    /// The accessible name.
    pub name: String,
    /// Whether the name was computed from the element's contents.
    pub name_from_contents: bool,
    /// The value (text fields, selects, sliders).
    pub value: Option<String>,
    /// Properties (`checked`, `level`, `disabled`, …) by name.
    pub props: HashMap<String, Value>,
    /// Child node ids in order.
    pub children: Vec<String>,
    /// The element (or text node) in the DOM.
    pub backend_id: Option<i64>,
    /// Not in the accessibility tree (hidden, presentational); its children may be.
    pub ignored: bool,
}

/// A document's accessibility tree.
#[derive(Debug, Clone, Default)]
pub struct AxTree {
    nodes: HashMap<String, AxNode>,
    /// The root node's id (the document).
    pub root: String,
}

impl AxTree {
    /// Reads the `nodes` of an `Accessibility.getFullAXTree` answer.
    pub fn parse(nodes: &[Value]) -> AxTree {
        let mut tree = AxTree::default();
        for n in nodes {
            let id = n["nodeId"].as_str().unwrap_or_default().to_owned();
            if tree.root.is_empty() && n.get("parentId").is_none() {
                tree.root = id.clone();
            }
            let text = |v: &Value| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let sources = n["name"]["sources"].as_array().into_iter().flatten();
            let from_contents = sources
                .filter(|s| s.get("value").is_some() && s["superseded"] != true)
                .any(|s| s["type"] == "contents");
            let props = n["properties"].as_array().into_iter().flatten();
            let node = AxNode {
                role: n["role"]["value"].as_str().unwrap_or_default().to_owned(),
                name: n["name"]["value"].as_str().unwrap_or_default().to_owned(),
                name_from_contents: from_contents,
                value: text(&n["value"]["value"]),
                props: props
                    .map(|p| (p["name"].as_str().unwrap_or_default().to_owned(), p["value"]["value"].clone()))
                    .collect(),
                children: n["childIds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect(),
                backend_id: n["backendDOMNodeId"].as_i64(),
                ignored: n["ignored"] == true,
            };
            tree.nodes.insert(id, node);
        }
        tree
    }

    /// The node with this id.
    pub fn get(&self, id: &str) -> Option<&AxNode> {
        self.nodes.get(id)
    }

    /// The id of the node of the element `backend_id`, if it is in the tree.
    pub fn find_backend(&self, backend_id: i64) -> Option<String> {
        self.nodes.iter().find(|(_, n)| n.backend_id == Some(backend_id)).map(|(id, _)| id.clone())
    }
}

/// An iframe's line: its document is walked separately and put under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSlot {
    /// The iframe's line.
    pub line: usize,
    /// The depth its document's lines start at.
    pub depth: usize,
    /// The iframe element.
    pub backend_id: i64,
}

/// The outline of one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The lines, indented.
    pub lines: Vec<String>,
    /// The iframes, in line order.
    pub frames: Vec<FrameSlot>,
    /// How many lines carry a ref.
    pub ref_count: usize,
}

/// A piece of output before text runs are joined.
enum Piece {
    Text(String),
    Line { depth: usize, text: String, frame: Option<i64> },
}

/// What the DOM says of elements beyond the accessibility tree.
#[derive(Debug, Clone, Copy)]
pub struct Layout<'a> {
    /// Elements a person can click that have no actionable role (click listeners, pointer
    /// cursor, tabindex, draggable).
    pub clickable: &'a HashSet<i64>,
    /// Elements laid out inline (their text runs on with their neighbours').
    pub inline: &'a HashSet<i64>,
}

/// Renders the tree from `root` (a node id; the document's root when `None`) with lines
/// starting at `depth`. `issue` gives the ref of an element.
pub fn render(
    tree: &AxTree,
    root: Option<&str>,
    depth: usize,
    layout: Layout<'_>,
    opts: Options,
    issue: &mut dyn FnMut(i64) -> String,
) -> Rendered {
    let clickable = layout.clickable;
    let mut walker = Walker { tree, clickable, inline: layout.inline, opts, issue, base: depth, refs: 0 };
    let root = root.unwrap_or(&tree.root).to_owned();
    let pieces = match root == tree.root {
        true => walker.children(&root, depth),
        false => walker.node(&root, depth),
    };
    let mut out = Rendered { ref_count: walker.refs, ..Rendered::default() };
    flush(pieces, depth, opts.mode, &mut out);
    out
}

/// Joins consecutive text runs into `text:` lines at `depth` (one per line the page
/// shows), leaving only lines.
fn join_text(pieces: Vec<Piece>, depth: usize, mode: Mode) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut run = String::new();
    let end_run = |run: &mut String, out: &mut Vec<Piece>| {
        if mode == Mode::Actionables {
            run.clear();
        }
        for part in run.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(Piece::Line { depth, text: format!("text: {part}"), frame: None });
        }
        run.clear();
    };
    for piece in pieces {
        match piece {
            Piece::Text(t) => run.push_str(&t),
            line => {
                end_run(&mut run, &mut out);
                out.push(line);
            }
        }
    }
    end_run(&mut run, &mut out);
    out
}

/// Turns pieces into indented lines, noting where iframes are.
fn flush(pieces: Vec<Piece>, depth: usize, mode: Mode, out: &mut Rendered) {
    for piece in join_text(pieces, depth, mode) {
        if let Piece::Line { depth, text, frame } = piece {
            if let Some(backend_id) = frame {
                out.frames.push(FrameSlot { line: out.lines.len(), depth: depth + 1, backend_id });
            }
            out.lines.push(format!("{}{text}", "  ".repeat(depth)));
        }
    }
}

struct Walker<'a> {
    tree: &'a AxTree,
    clickable: &'a HashSet<i64>,
    inline: &'a HashSet<i64>,
    opts: Options,
    issue: &'a mut dyn FnMut(i64) -> String,
    base: usize,
    refs: usize,
}

impl Walker<'_> {
    /// The pieces of `id`'s children at `depth`.
    fn children(&mut self, id: &str, depth: usize) -> Vec<Piece> {
        let tree = self.tree;
        let Some(node) = tree.get(id) else { return Vec::new() };
        let mut pieces = Vec::new();
        for child in &node.children {
            pieces.extend(self.node(child, depth));
        }
        pieces
    }

    /// The pieces of one node at `depth`.
    fn node(&mut self, id: &str, depth: usize) -> Vec<Piece> {
        let tree = self.tree;
        let Some(node) = tree.get(id) else { return Vec::new() };
        match node.role.as_str() {
            "StaticText" if !node.ignored => return vec![Piece::Text(node.name.clone())],
            "LineBreak" if !node.ignored => return vec![Piece::Text("\n".into())],
            "InlineTextBox" | "ListMarker" => return Vec::new(),
            _ => {}
        }
        let wants_ref = !node.ignored && self.wants_ref(node);
        let shows =
            wants_ref || (!node.ignored && STRUCTURE.contains(&node.role.as_str()) && self.opts.mode == Mode::Outline);
        if !shows {
            let children = self.children(id, depth);
            // A block that only groups others still separates its text from its siblings'.
            let inline = node.backend_id.is_some_and(|b| self.inline.contains(&b));
            return if node.ignored || inline { children } else { block(children) };
        }
        let line_ref = wants_ref.then(|| node.backend_id.map(|b| (self.issue)(b))).flatten();
        self.refs += usize::from(line_ref.is_some());
        let mut head = line_head(node, line_ref.as_deref(), self.clickable, self.opts);
        if node.role == "Iframe" {
            let frame = node.backend_id;
            return vec![Piece::Line { depth, text: head, frame }];
        }
        let too_deep = self.opts.max_depth.is_some_and(|max| depth + 1 - self.base > max);
        let inner_depth = if self.opts.mode == Mode::Actionables { depth } else { depth + 1 };
        let children = match OPAQUE.contains(&node.role.as_str()) && node.role != "combobox" {
            true => Vec::new(),
            false => self.children(id, inner_depth),
        };
        let only_text = children.iter().all(|p| matches!(p, Piece::Text(_)));
        let raw: String = children.iter().map(|p| if let Piece::Text(t) = p { t.as_str() } else { "" }).collect();
        let (text, one_line) = (squash(&raw), !raw.trim().contains('\n'));
        let mut pieces = Vec::new();
        if only_text && (text.is_empty() || text == squash(&node.name)) {
            pieces.push(Piece::Line { depth, text: head, frame: None });
        } else if only_text && node.name.is_empty() && one_line {
            head.push_str(": ");
            head.push_str(&text);
            pieces.push(Piece::Line { depth, text: head, frame: None });
        } else if too_deep {
            head.push_str(" …");
            pieces.push(Piece::Line { depth, text: head, frame: None });
        } else {
            if node.name_from_contents && !only_text {
                head = line_head(
                    &AxNode { name: String::new(), ..node.clone() },
                    line_ref.as_deref(),
                    self.clickable,
                    self.opts,
                );
            }
            pieces.push(Piece::Line { depth, text: head, frame: None });
            pieces.extend(join_text(children, inner_depth, self.opts.mode));
        }
        pieces
    }

    /// Whether a person can act on `node`.
    fn wants_ref(&self, node: &AxNode) -> bool {
        if ACTIONABLE.contains(&node.role.as_str()) {
            return true;
        }
        let editable_root =
            node.props.get("editable").and_then(Value::as_str) == Some("richtext") && node.role != "StaticText";
        // A label is clickable only to reach its control, which has a ref of its own.
        let label = node.role == "LabelText";
        editable_root || (!label && node.backend_id.is_some_and(|b| self.clickable.contains(&b)))
    }
}

/// Wraps a block's text so it does not run into its neighbours' text.
fn block(mut pieces: Vec<Piece>) -> Vec<Piece> {
    if pieces.iter().any(|p| matches!(p, Piece::Text(_))) {
        pieces.insert(0, Piece::Text("\n".into()));
        pieces.push(Piece::Text("\n".into()));
    }
    pieces
}

/// Whitespace runs as one space, trimmed (for comparing names with text).
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `[ref] role "name" states` of one node.
fn line_head(node: &AxNode, r: Option<&str>, clickable: &HashSet<i64>, opts: Options) -> String {
    let mut line = String::new();
    if let Some(r) = r {
        line.push_str(&format!("[{r}] "));
    }
    line.push_str(&role_word(node));
    if !node.name.is_empty() {
        line.push(' ');
        line.push_str(&quoted(&node.name, "name"));
    }
    let prop = |k: &str| node.props.get(k);
    let is_true = |k: &str| prop(k).is_some_and(|v| v == true || v == "true");
    if let Some(level) = prop("level").filter(|_| node.role == "heading") {
        line.push_str(&format!(" level={level}"));
    }
    if let Some(value) = node.value.as_deref().filter(|v| !v.is_empty() && OPAQUE.contains(&node.role.as_str())) {
        let shown =
            if node.role == "textbox" && is_password(node) { "••••".to_owned() } else { value.to_owned() };
        line.push_str(&format!(" value={}", quoted(&shown, "value")));
    }
    for (key, word) in [("multiline", "multiline"), ("disabled", "disabled"), ("required", "required")] {
        if is_true(key) {
            line.push_str(&format!(" {word}"));
        }
    }
    match prop("checked").and_then(Value::as_str) {
        Some("true") => line.push_str(" checked"),
        Some("mixed") => line.push_str(" mixed"),
        _ => {}
    }
    match prop("pressed").and_then(Value::as_str) {
        Some("true") => line.push_str(" pressed"),
        Some("mixed") => line.push_str(" pressed=mixed"),
        _ => {}
    }
    if is_true("selected") {
        line.push_str(" selected");
    }
    if let Some(expanded) = prop("expanded").and_then(Value::as_bool) {
        line.push_str(if expanded { " expanded" } else { " collapsed" });
    }
    if prop("invalid").and_then(Value::as_str).is_some_and(|v| v != "false") {
        line.push_str(" invalid");
    }
    if is_true("readonly") && OPAQUE.contains(&node.role.as_str()) {
        line.push_str(" readonly");
    }
    if is_true("focused") {
        line.push_str(" focused");
    }
    if matches!(node.role.as_str(), "slider" | "spinbutton") {
        for (key, word) in [("valuemin", "min"), ("valuemax", "max")] {
            if let Some(v) = prop(key).filter(|v| v.is_number()) {
                line.push_str(&format!(" {word}={v}"));
            }
        }
    }
    if node.props.get("editable").and_then(Value::as_str) == Some("richtext")
        && !ACTIONABLE.contains(&node.role.as_str())
    {
        line.push_str(" editable");
    } else if matches!(node.role.as_str(), "generic" | "none" | "paragraph" | "StaticText" | "LabelText")
        && node.backend_id.is_some_and(|b| clickable.contains(&b))
    {
        line.push_str(" clickable");
    }
    if opts.urls && node.role == "link" {
        if let Some(url) = prop("url").and_then(Value::as_str) {
            line.push_str(&format!(" url={url}"));
        }
    }
    line
}

/// The word a line starts with: the role, with the browser's internal names made plain.
fn role_word(node: &AxNode) -> String {
    match node.role.as_str() {
        "Date" => "date".into(),
        "DateTime" => "datetime".into(),
        "InputTime" => "time".into(),
        "ColorWell" => "color".into(),
        "Iframe" => "iframe".into(),
        "image" => "img".into(),
        "StaticText" | "LabelText" => "text".into(),
        other => other.to_owned(),
    }
}

/// Whether a text field hides what is typed (the browser masks its value).
fn is_password(node: &AxNode) -> bool {
    node.value.as_deref().is_some_and(|v| !v.is_empty() && v.chars().all(|c| c == '•' || c == '*'))
}

/// `s` as a JSON string, cut at [`MAX_NAME`] characters with the whole length told.
pub fn quoted(s: &str, what: &str) -> String {
    let len = s.chars().count();
    if len <= MAX_NAME {
        return serde_json::to_string(s).unwrap_or_default();
    }
    let cut: String = s.chars().take(MAX_NAME).collect();
    format!("{}…(cut: {what} has {len} characters)", serde_json::to_string(&cut).unwrap_or_default())
}

#[cfg(test)]
#[path = "outline_tests.rs"]
mod tests;
