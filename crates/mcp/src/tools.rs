//! The tools this server offers: every contract command with a `tool(...)` entry (its
//! name, read-only hint and model-facing description come from the contract, its input
//! schema from the params type), plus `browser_status`, the doctor's verdict.
//!
//! What a model reads is kept small and in its own words: daemon command names become
//! tool names ([`in_words_of`]), and the schema keeps what a model needs to call the tool
//! (types, required fields, enums, bounds that mean something, the field's one-line help)
//! and drops what only a validator or code generator uses.

use opendevbrowser_api::command::{in_words_of, registry, CommandInfo, Front};
use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

/// The doctor's verdict, answered by this server itself.
pub const STATUS_TOOL: &str = "browser_status";

/// Every tool, in the contract's order, then `browser_status` (built once).
pub fn list() -> Vec<Tool> {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let mut tools: Vec<Tool> = registry().iter().filter_map(tool_of).collect();
            let status = "Whether the browser can be driven, and if not, why and the fix. Call it when a tool \
                          fails with a connection error.";
            let schema = Map::from_iter([("type".to_owned(), json!("object"))]);
            let mut t = Tool::new(STATUS_TOOL, status, Arc::new(schema));
            t.annotations = Some(ToolAnnotations::new().read_only(true));
            tools.push(t);
            tools
        })
        .clone()
}

/// The size of the `tools/list` result in characters, measured the way the peers' lists
/// are compared: Python's `json.dumps` of the result (`", "` and `": "` between items,
/// non-ASCII written as `\uXXXX`).
pub fn list_size() -> usize {
    // The result as it goes on the wire: `{"tools": [...]}`.
    let compact = serde_json::to_string(&json!({"tools": list()})).expect("the tool list serializes");
    python_json_size(&compact)
}

/// The length `json.dumps` would give the value serde_json wrote compactly as `compact`.
fn python_json_size(compact: &str) -> usize {
    let (mut size, mut in_string, mut escaped) = (0, false, false);
    for c in compact.chars() {
        size += if c.is_ascii() { 1 } else { 6 * c.len_utf16() };
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ',' | ':' if !in_string => size += 1,
            _ => {}
        }
    }
    size
}

/// The contract command behind tool `name`.
pub fn command(name: &str) -> Option<&'static CommandInfo> {
    registry().iter().find(|c| c.tool.is_some_and(|t| t.name == name))
}

fn tool_of(info: &CommandInfo) -> Option<Tool> {
    let spec = info.tool?;
    let guide = in_words_of(Front::Mcp, spec.guide).into_owned();
    let mut tool = Tool::new(spec.name, guide, Arc::new(input_schema(info)));
    // `readOnlyHint` is false unless said, so only the tools that only read say it.
    if spec.read_only {
        tool.annotations = Some(ToolAnnotations::new().read_only(true));
    }
    Some(tool)
}

/// The params schema as a model reads it: without `$schema`, `title` and the struct's own
/// description (the tool description says it), with referenced definitions written in
/// place, and every field compacted (`compact`).
pub fn input_schema(info: &CommandInfo) -> Map<String, Value> {
    let mut schema = match (info.schema)() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let defs = match schema.remove("$defs").or_else(|| schema.remove("definitions")) {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    for key in ["$schema", "title", "description"] {
        schema.remove(key);
    }
    match compact(Value::Object(schema), &defs) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One schema node without what only a validator or generator uses:
/// - an optional field's `anyOf: [X, {type: null}]` or `type: [T, "null"]` is just `X` or
///   `T` (leaving a field out is how a tool call says "not given");
/// - `$ref`s are replaced by the definition (its own description dropped: the field's says
///   what the field is for);
/// - a `oneOf` of constants is an `enum` (of the values; their own descriptions go);
/// - `format` (`uint64`, `double`), `minimum: 0` and a `maximum` that is only the integer
///   type's own limit, `minLength: 1`, `additionalProperties: true` and `items: true` go;
/// - descriptions are one line, in the agent's names for commands, and a field's
///   description that only repeats its name ([`only_names`]) goes.
fn compact(node: Value, defs: &Map<String, Value>) -> Value {
    let Value::Object(mut node) = node else { return node };
    if let Some(inner) = nullable_of(&node) {
        node.remove("anyOf");
        node = merge(compact(inner, defs), node);
    }
    if let Some(Value::String(reference)) = node.remove("$ref") {
        let name = reference.rsplit('/').next().unwrap_or_default();
        let mut def = defs.get(name).cloned().unwrap_or_else(|| json!({}));
        if let Value::Object(def) = &mut def {
            def.remove("description");
        }
        node = merge(compact(def, defs), node);
    }
    if let Some(Value::Array(variants)) = node.get("oneOf") {
        let consts: Option<Vec<Value>> = variants.iter().map(|v| v.get("const").cloned()).collect();
        if let Some(consts) = consts {
            node.remove("oneOf");
            if consts.iter().all(Value::is_string) {
                node.insert("type".into(), json!("string"));
            }
            node.insert("enum".into(), Value::Array(consts));
        }
    }
    if let Some(Value::Array(types)) = node.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        node.insert("type".into(), if kept.len() == 1 { kept[0].clone() } else { Value::Array(kept) });
    }
    let format = node.remove("format");
    let own_max = match format.as_ref().and_then(Value::as_str) {
        Some("uint8") => Some(u64::from(u8::MAX)),
        Some("uint16") => Some(u64::from(u16::MAX)),
        Some("uint32") => Some(u64::from(u32::MAX)),
        Some("uint64") | Some("uint") => Some(u64::MAX),
        _ => None,
    };
    if node.get("minimum").and_then(Value::as_f64) == Some(0.0) {
        node.remove("minimum");
    }
    if own_max.is_some() && node.get("maximum").and_then(Value::as_u64) == own_max {
        node.remove("maximum");
    }
    if node.get("minLength") == Some(&json!(1)) {
        node.remove("minLength");
    }
    for key in ["additionalProperties", "items"] {
        if node.get(key) == Some(&Value::Bool(true)) {
            node.remove(key);
        }
    }
    if let Some(Value::String(text)) = node.get_mut("description") {
        *text = in_words_of(Front::Mcp, &text.replace('\n', " ")).into_owned();
    }
    if let Some(Value::Object(properties)) = node.remove("properties") {
        let properties = properties
            .into_iter()
            .map(|(name, field)| {
                let mut field = compact(field, defs);
                if field.get("description").and_then(Value::as_str).is_some_and(|d| only_names(d, &name)) {
                    field.as_object_mut().map(|f| f.remove("description"));
                }
                (name, field)
            })
            .collect();
        node.insert("properties".into(), Value::Object(properties));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner @ Value::Object(_)) = node.remove(key) {
            node.insert(key.into(), compact(inner, defs));
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(options)) = node.remove(key) {
            node.insert(key.into(), Value::Array(options.into_iter().map(|o| compact(o, defs)).collect()));
        }
    }
    Value::Object(node)
}

/// Whether a field's description says no more than its name (`ref`: "The element's ref.",
/// `name`: "Its name."): the CLI shows such a line as help, a model reads the name.
fn only_names(description: &str, field: &str) -> bool {
    let mut words: Vec<String> = description.trim_end_matches('.').split_whitespace().map(str::to_lowercase).collect();
    if words.first().is_some_and(|w| ["the", "its", "a", "an"].contains(&w.as_str())) {
        words.remove(0);
    }
    if words.len() == 2 && words[0].ends_with("'s") {
        words.remove(0);
    }
    words.len() == 1 && words[0] == field.to_lowercase()
}

/// `X` of `anyOf: [X, {type: null}]` (either order).
fn nullable_of(node: &Map<String, Value>) -> Option<Value> {
    let Some(Value::Array(options)) = node.get("anyOf") else { return None };
    let null = json!({"type": "null"});
    match options.as_slice() {
        [x, n] | [n, x] if *n == null && *x != null => Some(x.clone()),
        _ => None,
    }
}

/// `base` with `over`'s keys on top.
fn merge(base: Value, over: Map<String, Value>) -> Map<String, Value> {
    let mut out = match base {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    out.extend(over);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_and_a_description() {
        let tools = list();
        assert!(tools.len() > 30);
        for t in &tools {
            assert_eq!(t.input_schema.get("type"), Some(&json!("object")), "{}", t.name);
            assert!(t.description.as_deref().is_some_and(|d| !d.is_empty()), "{}", t.name);
        }
        assert!(command("browser_navigate").is_some_and(|c| c.name == "nav.goto"));
        assert!(command(STATUS_TOOL).is_none(), "answered by the server itself");
    }

    fn schema_of(tool: &str) -> Value {
        Value::Object(input_schema(command(tool).unwrap()))
    }

    #[test]
    fn schemas_keep_what_a_model_needs_and_drop_validator_noise() {
        let navigate = schema_of("browser_navigate");
        assert_eq!(navigate["required"], json!(["url"]));
        assert_eq!(navigate["properties"]["waitUntil"]["enum"], json!(["load", "domcontentloaded", "networkidle"]));
        assert_eq!(navigate["properties"]["waitUntil"]["type"], "string");
        let timeout = navigate["properties"]["timeoutMs"].as_object().unwrap();
        let keys: Vec<&str> = timeout.keys().map(String::as_str).collect();
        assert_eq!(keys, ["description", "maximum", "type"], "{timeout:?}");
        assert_eq!((&timeout["type"], &timeout["maximum"]), (&json!("integer"), &json!(300_000)));
        let shot = schema_of("browser_take_screenshot");
        assert_eq!(shot["properties"]["format"]["enum"], json!(["png", "jpeg"]), "a field named format stays");
        assert_eq!(shot["properties"]["quality"]["maximum"], 100, "a real bound stays");
        let fill = schema_of("browser_fill_form");
        assert_eq!(fill["properties"]["fields"]["items"]["required"], json!(["ref", "value"]), "{fill}");
        let text = serde_json::to_string(&list()).unwrap();
        for noise in ["$schema", "$defs", "$ref", "\"title\"", "\"format\":\"uint", "\"null\"", "\"minimum\":0,"] {
            assert!(!text.contains(noise), "{noise} in the tool list");
        }
        let visible = schema_of("browser_is_visible");
        assert_eq!(visible["properties"]["ref"], json!({"type": "string"}), "\"The element's ref.\" says nothing more");
        let attribute = schema_of("browser_get_attribute");
        assert!(attribute["properties"]["name"]["description"].is_string(), "\"The attribute.\" says what name is");
        assert!(only_names("Its name.", "name") && only_names("The cookie's sameSite.", "sameSite"));
        assert!(!only_names("The attribute.", "name") && !only_names("Only this element.", "ref"));
        let port = schema_of("browser_connect")["properties"]["port"].clone();
        assert_eq!(port.get("maximum"), None, "u16's own limit is no information: {port}");
    }

    #[test]
    fn only_the_tools_that_only_read_carry_a_hint() {
        for t in list() {
            let read_only = command(&t.name).is_none_or(|c| c.tool.unwrap().read_only);
            assert_eq!(t.annotations.is_some(), read_only, "{}", t.name);
        }
    }

    /// The largest `tools/list` may get, in [`list_size`]'s characters (28.4 k now, 60
    /// tools: 22.6 k at 50 tools, then the storage-state tools, launch's
    /// `profile`/`storageState`, the tabs' isolated `context`, the three request-rule
    /// tools, the two HAR tools, `browser_emulate`'s network, CPU, location, locale,
    /// time zone, media and permission fields, the two trace tools and Web Vitals at
    /// 0.33 k each, and `browser_connect`'s remote endpoint, Grid and CA fields): it was
    /// 30.7 k (49 tools), Playwright MCP
    /// 0.0.83's is 21.3 k (25 tools). Raise it only for a tool or a fact a model needs, and
    /// say it once (the tool's description or the field's).
    pub(crate) const LIST_SIZE_BOUND: usize = 28_400;

    #[test]
    fn the_tool_list_stays_small() {
        let size = list_size();
        println!("tools/list: {size} characters, {} tools", list().len());
        assert!(size <= LIST_SIZE_BOUND, "tools/list grew to {size} characters (bound {LIST_SIZE_BOUND})");
    }

    #[test]
    fn the_size_is_measured_like_python_json_dumps() {
        // json.dumps({"a": [1, 2], "b": {"c": "d, e: \"f\" …"}}) in Python
        let python = r#"{"a": [1, 2], "b": {"c": "d, e: \"f\" \u2026"}}"#;
        let compact = serde_json::to_string(&json!({"a": [1, 2], "b": {"c": "d, e: \"f\" …"}})).unwrap();
        assert_eq!(python_json_size(&compact), python.len());
    }

    /// Whether `text` names a daemon command (`nav.snapshot`) or looks like one of its
    /// groups (`interact.x`).
    pub(crate) fn daemon_names_in(text: &str) -> Vec<String> {
        let groups =
            ["hub", "relay", "cdp", "session", "targets", "page", "nav", "interact", "dom", "devtools", "storage"];
        let mut found: Vec<String> =
            registry().iter().filter(|c| text.contains(c.name)).map(|c| c.name.into()).collect();
        for g in groups {
            let needle = format!("{g}.");
            for (at, _) in text.match_indices(&needle) {
                let before = text[..at].chars().next_back();
                let after = text[at + needle.len()..].chars().next();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    && after.is_some_and(|c| c.is_ascii_lowercase())
                {
                    found.push(text[at..].chars().take_while(|c| !c.is_whitespace()).collect());
                }
            }
        }
        found
    }

    #[test]
    fn no_tool_description_or_schema_names_a_daemon_command() {
        let text = serde_json::to_string(&list()).unwrap();
        assert_eq!(daemon_names_in(&text), Vec::<String>::new());
        assert_eq!(daemon_names_in("take a snapshot (nav.snapshot) first"), vec!["nav.snapshot", "nav.snapshot)"]);
    }
}
