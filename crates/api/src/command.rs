//! What a daemon command is, and how its params are read off the wire.
//!
//! A command is its params type: it implements [`Command`], which names it on the wire,
//! on the command line, describes it in one line, and names its result type. The params
//! type derives a JSON Schema, so every front end (CLI flags, MCP tool schemas) is
//! generated from it, and [`parse`] reads a wire `params` object into it with the same
//! `invalid_param` messages for every command.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// Whether a command runs in a browser session (its call carries `sessionId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Hub, relay, lease, raw CDP, and the commands that open sessions.
    Hub,
    /// Runs in the browser session named by `sessionId`.
    Session,
}

/// One daemon command: the params struct is the command.
pub trait Command: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// Wire name, e.g. `nav.goto`.
    const NAME: &'static str;
    /// CLI subcommand, e.g. `goto`.
    const CLI: &'static str;
    /// One line: what it does.
    const ABOUT: &'static str;
    /// Hub-wide or in a session.
    const SCOPE: Scope;
    /// What `data` holds when it succeeds.
    type Output: Serialize + DeserializeOwned + Send + 'static;
    /// The agent tool (MCP) it is offered as, if any.
    const TOOL: Option<Tool> = None;
}

/// A command as an agent tool: its name, whether it only reads, and a description written
/// for a model (what it does, what it returns, when to use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// Tool name, e.g. `browser_navigate`.
    pub name: &'static str,
    /// It changes nothing (MCP `readOnlyHint`).
    pub read_only: bool,
    /// The description a model reads.
    pub guide: &'static str,
}

/// A command as front ends list it.
#[derive(Debug, Clone, Copy)]
pub struct CommandInfo {
    /// Wire name.
    pub name: &'static str,
    /// CLI subcommand.
    pub cli: &'static str,
    /// One line.
    pub about: &'static str,
    /// Hub-wide or in a session.
    pub scope: Scope,
    /// The params' JSON Schema.
    pub schema: fn() -> Value,
    /// The agent tool it is offered as, if any.
    pub tool: Option<Tool>,
}

impl CommandInfo {
    /// The info of `C`.
    pub fn of<C: Command>() -> CommandInfo {
        CommandInfo {
            name: C::NAME,
            cli: C::CLI,
            about: C::ABOUT,
            scope: C::SCOPE,
            schema: schema_of::<C>,
            tool: C::TOOL,
        }
    }

    /// The info of the command named `name` on the wire.
    pub fn find(name: &str) -> Option<&'static CommandInfo> {
        registry().iter().find(|c| c.name == name)
    }
}

/// A front end whose readers see daemon commands under its own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// An MCP agent: a command is its tool (`browser_snapshot`); a command no tool offers
    /// (the hub's and the relay's own) is named as the CLI runs it.
    Mcp,
    /// A person or script at the command line: `opendevbrowser snapshot`.
    Cli,
}

impl CommandInfo {
    /// How `front` names this command.
    pub fn name_in(&self, front: Front) -> String {
        match (front, self.tool) {
            (Front::Mcp, Some(tool)) => tool.name.to_owned(),
            _ => format!("opendevbrowser {}", self.cli),
        }
    }
}

/// `text` with every daemon command name in it (`nav.snapshot`, `targets.list`) replaced
/// by what `front` calls that command ([`CommandInfo::name_in`]). Whole names only: a name
/// that runs on into more of a word or a longer dotted name (`nav.snapshotX`,
/// `x.nav.snapshot`, `nav.snapshot.y`) is left alone. Errors, help and tool descriptions
/// go through it; the page's own data does not.
pub fn in_words_of(front: Front, text: &str) -> std::borrow::Cow<'_, str> {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = text.is_char_boundary(i) && (i == 0 || !(part(bytes[i - 1] as char) || bytes[i - 1] == b'.'));
        let found = starts_word
            .then(|| {
                registry().iter().filter(|c| text[i..].starts_with(c.name)).max_by_key(|c| c.name.len()).filter(|c| {
                    let rest = &text[i + c.name.len()..];
                    let mut after = rest.chars();
                    match after.next() {
                        None => true,
                        Some(c) if part(c) => false,
                        Some('.') => !after.next().is_some_and(part),
                        Some(_) => true,
                    }
                })
            })
            .flatten();
        match found {
            Some(info) => {
                out.push_str(&text[copied..i]);
                out.push_str(&info.name_in(front));
                i += info.name.len();
                copied = i;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// The params schema of `C` as a JSON value.
pub fn schema_of<C: Command>() -> Value {
    serde_json::to_value(schemars::schema_for!(C)).unwrap_or(Value::Null)
}

/// Every command, in the order `hub.commands` lists them.
pub fn registry() -> &'static [CommandInfo] {
    static REGISTRY: std::sync::OnceLock<Vec<CommandInfo>> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        macro_rules! infos {
            ($($kind:ident $ty:path => $method:ident;)*) => { vec![$(CommandInfo::of::<$ty>(),)*] };
        }
        crate::for_each_command!(infos)
    })
}

/// The schema of registered command `name`, built once (building one per call would cost
/// more than the rest of a call).
fn cached_schema(name: &str) -> Option<&'static Value> {
    static SCHEMAS: std::sync::OnceLock<std::collections::HashMap<&'static str, Value>> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| registry().iter().map(|c| (c.name, (c.schema)())).collect()).get(name)
}

/// A parameter that is missing or has the wrong type or range: `invalid parameter `name`: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameter `{name}`: {reason}")]
pub struct ParamError {
    /// The parameter.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ParamError {
    /// A new error.
    pub fn new(name: &str, reason: impl Into<String>) -> Self {
        ParamError { name: name.to_owned(), reason: reason.into() }
    }
}

/// Reads a wire `params` object into `C`. Fields the command does not know (the caller's
/// identity, binding and session travel in the same object) are ignored. Range and
/// blank checks come from `C`'s schema (`maximum`, `minLength`), so the schema a front
/// end publishes is the rule the hub applies.
pub fn parse<C: Command>(params: &Map<String, Value>) -> Result<C, ParamError> {
    match cached_schema(C::NAME) {
        Some(schema) => check_schema_bounds(schema, params)?,
        None => check_schema_bounds(&schema_of::<C>(), params)?,
    }
    serde_path_to_error::deserialize(Value::Object(params.clone())).map_err(|e| {
        let field = e.path().iter().next().map(|s| s.to_string()).unwrap_or_default();
        param_error(&field, &e.into_inner().to_string())
    })
}

/// `maximum` and `minLength` of the top-level properties, checked before types (a value of
/// the wrong type is left for serde to name).
fn check_schema_bounds(schema: &Value, params: &Map<String, Value>) -> Result<(), ParamError> {
    let Some(properties) = schema["properties"].as_object() else { return Ok(()) };
    for (name, rule) in properties {
        match params.get(name) {
            Some(Value::String(s)) if rule["minLength"].as_u64().is_some_and(|n| n > 0) && s.trim().is_empty() => {
                return Err(ParamError::new(name, "must not be blank"))
            }
            Some(Value::Number(n)) => match (n.as_u64(), rule["maximum"].as_u64()) {
                (Some(v), Some(max)) if v > max => return Err(ParamError::new(name, format!("must be at most {max}"))),
                _ => {}
            },
            _ => {}
        }
    }
    Ok(())
}

/// serde's words for a bad field, in the hub's words.
fn param_error(field: &str, serde_message: &str) -> ParamError {
    if let Some(missing) = serde_message.strip_prefix("missing field `") {
        return ParamError::new(missing.trim_end_matches('`'), "is required");
    }
    if let Some((_, allowed)) = serde_message.split_once("expected one of ").or(serde_message.split_once("expected ")) {
        if serde_message.starts_with("unknown variant") {
            let words: Vec<&str> = allowed.split(['`', ',', ' ']).filter(|w| !w.is_empty() && *w != "or").collect();
            return ParamError::new(field, format!("must be {}", one_of(&words)));
        }
    }
    let expected = serde_message.rsplit("expected ").next().unwrap_or(serde_message);
    let reason = match expected {
        "a string" => "must be a string".to_owned(),
        "a boolean" => "must be true or false".to_owned(),
        e if e.starts_with('u') && e[1..].parse::<u32>().is_ok() => "must be a non-negative integer".to_owned(),
        e if e.starts_with('f') || e.starts_with('i') => "must be a number".to_owned(),
        "a map" => "must be an object".to_owned(),
        "a sequence" => "must be an array".to_owned(),
        _ => serde_message.to_owned(),
    };
    ParamError::new(field, reason)
}

/// `a`, `a or b`, `a, b or c`.
fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Goto, WaitBind};
    use serde_json::json;

    fn p(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn params_errors_name_the_parameter_and_the_problem() {
        let err = |v| parse::<Goto>(&p(v)).unwrap_err().to_string();
        assert_eq!(err(json!({})), "invalid parameter `url`: is required");
        assert_eq!(err(json!({"url": 5})), "invalid parameter `url`: must be a string");
        assert_eq!(err(json!({"url": " "})), "invalid parameter `url`: must not be blank");
        assert_eq!(
            err(json!({"url": "x", "timeoutMs": 300_001})),
            "invalid parameter `timeoutMs`: must be at most 300000"
        );
        assert_eq!(
            err(json!({"url": "x", "timeoutMs": -1})),
            "invalid parameter `timeoutMs`: must be a non-negative integer"
        );
        assert_eq!(
            err(json!({"url": "x", "timeoutMs": "1"})),
            "invalid parameter `timeoutMs`: must be a non-negative integer"
        );
        assert_eq!(
            err(json!({"url": "x", "waitUntil": "soon"})),
            "invalid parameter `waitUntil`: must be load, domcontentloaded or networkidle"
        );
        let wait = parse::<WaitBind>(&p(json!({"timeoutMs": null, "clientId": "c"}))).unwrap();
        assert_eq!(wait.timeout_ms, None, "null counts as absent; envelope fields are ignored");
    }

    #[test]
    fn every_session_command_is_an_agent_tool_with_a_unique_name() {
        let tools: Vec<Tool> = registry().iter().filter_map(|c| c.tool).collect();
        for c in registry().iter().filter(|c| c.scope == Scope::Session) {
            assert!(c.tool.is_some(), "{} is a browser command but no agent tool", c.name);
        }
        for (i, t) in tools.iter().enumerate() {
            assert!(t.name.starts_with("browser_") && tools[..i].iter().all(|o| o.name != t.name), "{}", t.name);
            assert!(t.guide.len() <= 400, "{}: keep tool descriptions tight", t.name);
        }
    }

    #[test]
    fn daemon_names_become_the_front_ends_names_whole_names_only() {
        let hub = "unknown ref \"r9\" for this page: take a snapshot (nav.snapshot) first";
        assert_eq!(
            in_words_of(Front::Mcp, hub),
            "unknown ref \"r9\" for this page: take a snapshot (browser_snapshot) first"
        );
        assert_eq!(
            in_words_of(Front::Cli, hub),
            "unknown ref \"r9\" for this page: take a snapshot (opendevbrowser snapshot) first"
        );
        assert_eq!(in_words_of(Front::Mcp, "from `targets.list`."), "from `browser_tabs`.");
        assert_eq!(in_words_of(Front::Mcp, "interact.fill,interact.type"), "browser_fill_form,browser_type");
        assert_eq!(in_words_of(Front::Mcp, "call relay.wait"), "call opendevbrowser bind-wait", "no tool: the CLI's");
        for untouched in
            ["nav.snapshotX", "x.nav.snapshot", "nav.snapshot.y", "mynav.snapshot", "nav.snap", "Page.navigate"]
        {
            assert!(matches!(in_words_of(Front::Mcp, untouched), std::borrow::Cow::Borrowed(_)), "{untouched}");
        }
        assert_eq!(in_words_of(Front::Cli, "é nav.goto…"), "é opendevbrowser goto…");
        for c in registry() {
            let said = in_words_of(Front::Mcp, c.name);
            assert!(CommandInfo::find(&said).is_none() && said != c.name, "{}", c.name);
        }
    }

    #[test]
    fn every_command_has_a_unique_name_and_cli_name_and_an_object_schema() {
        let all = registry();
        for (i, c) in all.iter().enumerate() {
            assert!(all[..i].iter().all(|o| o.name != c.name && o.cli != c.cli), "{} listed twice", c.name);
            let schema = (c.schema)();
            assert_eq!(schema["type"], "object", "{}", c.name);
            assert!(!c.about.is_empty() && !c.about.contains('\n'), "{}: one-line description", c.name);
        }
    }
}
