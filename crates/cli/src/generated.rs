//! The CLI's daemon-command subcommands, generated from the contract: one subcommand per
//! registry entry (its CLI name and one-line description), one flag per params field
//! (camelCase `timeoutMs` becomes `--timeout-ms`; the field's doc comment is the help; its
//! JSON Schema type picks how the text is read; `enum` values are checked by clap).
//! Booleans get `--x` and `--no-x` (plus `--headed` for `--no-headless`). Session
//! commands also take `--session-id`, defaulting to this instance's last `launch`. The
//! help names commands as the CLI runs them (`opendevbrowser snapshot`), never by their
//! daemon names.

use clap::{Arg, ArgAction, ArgMatches};
use opendevbrowser_api::command::{in_words_of, registry, CommandInfo, Front};
use opendevbrowser_api::Scope;
use serde_json::{json, Map, Value};

/// Subcommands written by hand in `main.rs` (they keep state between runs or add
/// behaviour): the generic form is not added for them.
pub const HAND_WRITTEN: &[&str] = &["status", "bind", "bind-wait", "renew", "release", "cdp"];

/// How a flag's text becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Integer,
    Number,
    Bool,
    /// An array of strings: each value as given.
    List,
    /// An array of anything else (objects, JSON values): each value read as JSON (a value
    /// that is not JSON is taken as a string).
    JsonList,
    Object,
}

/// One params field as a flag.
struct Flag {
    field: String,
    long: String,
    kind: Kind,
    required: bool,
    help: String,
    choices: Vec<String>,
}

/// `timeoutMs` → `timeout-ms`.
pub fn kebab(field: &str) -> String {
    let mut out = String::new();
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn flags(info: &CommandInfo) -> Vec<Flag> {
    let schema = (info.schema)();
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
    properties
        .iter()
        .map(|(field, prop)| {
            let prop = resolve(&schema, prop);
            Flag {
                field: field.clone(),
                long: kebab(field),
                kind: kind(&prop),
                required: required.contains(&field.as_str()),
                help: in_words_of(Front::Cli, &prop["description"].as_str().unwrap_or("").replace('\n', " "))
                    .into_owned(),
                choices: choices(&prop),
            }
        })
        .collect()
}

/// A property with `anyOf: [{$ref}, {type: null}]` replaced by the referenced definition
/// (keeping the property's own description).
fn resolve(schema: &Value, prop: &Value) -> Value {
    let reference = prop["anyOf"].as_array().and_then(|any| any.iter().find_map(|a| a["$ref"].as_str()));
    let Some(name) = reference.and_then(|r| r.strip_prefix("#/$defs/")) else { return prop.clone() };
    let mut def = schema["$defs"][name].clone();
    def["description"] = prop["description"].clone();
    def
}

fn kind(prop: &Value) -> Kind {
    let types: Vec<&str> = match &prop["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["string"],
    };
    match types.iter().find(|t| **t != "null") {
        Some(&"integer") => Kind::Integer,
        Some(&"number") => Kind::Number,
        Some(&"boolean") => Kind::Bool,
        Some(&"array") if prop["items"]["type"] == "string" => Kind::List,
        Some(&"array") => Kind::JsonList,
        Some(&"object") => Kind::Object,
        _ => Kind::Text,
    }
}

/// `enum: [...]` or `oneOf: [{const}, ...]`.
fn choices(prop: &Value) -> Vec<String> {
    if let Some(values) = prop["enum"].as_array() {
        return values.iter().filter_map(Value::as_str).map(str::to_owned).collect();
    }
    prop["oneOf"]
        .as_array()
        .map_or_else(Vec::new, |one| one.iter().filter_map(|v| v["const"].as_str()).map(str::to_owned).collect())
}

/// Adds one subcommand per contract command (but the hand-written ones) to `cli`.
pub fn augment(mut cli: clap::Command) -> clap::Command {
    for info in registry().iter().filter(|c| !HAND_WRITTEN.contains(&c.cli)) {
        cli = cli.subcommand(subcommand(info));
    }
    cli
}

fn subcommand(info: &CommandInfo) -> clap::Command {
    let mut sub = clap::Command::new(info.cli).about(in_words_of(Front::Cli, info.about).into_owned());
    if needs_session(info) {
        let help = "Session (default: the last `opendevbrowser launch` of this instance)";
        sub = sub.arg(Arg::new("session-id").long("session-id").help(help));
    }
    for flag in flags(info) {
        let mut arg = Arg::new(flag.long.clone()).long(flag.long.clone()).help(flag.help.clone());
        arg = match flag.kind {
            Kind::Bool => arg.action(ArgAction::SetTrue),
            Kind::List | Kind::JsonList => arg.num_args(1..).required(flag.required),
            _ => arg.required(flag.required),
        };
        if !flag.choices.is_empty() {
            arg = arg.value_parser(clap::builder::PossibleValuesParser::new(flag.choices.clone()));
        }
        sub = sub.arg(arg);
        if flag.kind == Kind::Bool {
            let no = format!("no-{}", flag.long);
            let mut negative = Arg::new(no.clone()).long(no).action(ArgAction::SetTrue).conflicts_with(&flag.long);
            negative = negative.help(format!("Sets {} to false", flag.field));
            if flag.field == "headless" {
                negative = negative.visible_alias("headed");
            }
            sub = sub.arg(negative);
        }
    }
    sub
}

/// The contract command behind a generated subcommand.
pub fn find(cli_name: &str) -> Option<&'static CommandInfo> {
    registry().iter().find(|c| c.cli == cli_name && !HAND_WRITTEN.contains(&c.cli))
}

/// Fields that name a file the hub reads or writes: the hub runs in another folder, so
/// the CLI makes a relative path absolute against the folder the user typed it in.
fn is_file_field(field: &str) -> bool {
    field == "path" || field == "storageState"
}

/// `path` made absolute against the current folder (as typed when that fails).
fn absolute(path: &str) -> String {
    std::path::absolute(path).map_or_else(|_| path.to_owned(), |p| p.display().to_string())
}

/// Whether the command runs in a session (and so takes `--session-id`).
pub fn needs_session(info: &CommandInfo) -> bool {
    info.scope == Scope::Session
}

/// The command's params from the parsed flags.
pub fn params(info: &CommandInfo, m: &ArgMatches) -> Result<Map<String, Value>, String> {
    let mut params = Map::new();
    for flag in flags(info) {
        let name = flag.long.as_str();
        let text = || m.get_one::<String>(name);
        let value = match flag.kind {
            Kind::Bool if m.get_flag(name) => Some(json!(true)),
            Kind::Bool if m.get_flag(&format!("no-{name}")) => Some(json!(false)),
            Kind::Bool => None,
            Kind::List => m.get_many::<String>(name).map(|v| json!(v.collect::<Vec<_>>())),
            Kind::JsonList => m.get_many::<String>(name).map(|v| {
                let items: Vec<Value> = v.map(|t| serde_json::from_str(t).unwrap_or_else(|_| json!(t))).collect();
                Value::Array(items)
            }),
            Kind::Integer => match text() {
                Some(v) => Some(json!(v.parse::<i64>().map_err(|_| format!("--{name} must be a whole number"))?)),
                None => None,
            },
            Kind::Number => match text() {
                Some(v) => Some(json!(v.parse::<f64>().map_err(|_| format!("--{name} must be a number"))?)),
                None => None,
            },
            Kind::Object => match text() {
                Some(v) => Some(serde_json::from_str(v).map_err(|e| format!("--{name} is not valid JSON: {e}"))?),
                None => None,
            },
            Kind::Text if is_file_field(&flag.field) => text().map(|v| json!(absolute(v))),
            Kind::Text => text().map(|v| json!(v)),
        };
        if let Some(v) = value {
            params.insert(flag.field, v);
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> clap::Command {
        augment(clap::Command::new("t"))
    }

    #[test]
    fn every_contract_command_has_a_subcommand_with_a_flag_per_field() {
        let cli = crate::Cli::command_with_generated();
        for info in registry() {
            let sub = cli.find_subcommand(info.cli).unwrap_or_else(|| panic!("no subcommand for {}", info.name));
            if HAND_WRITTEN.contains(&info.cli) {
                continue;
            }
            for flag in flags(info) {
                assert!(sub.get_arguments().any(|a| a.get_long() == Some(&flag.long)), "{} --{}", info.cli, flag.long);
            }
        }
    }

    #[test]
    fn help_names_cli_commands_not_daemon_commands() {
        let mut cli = crate::Cli::command_with_generated();
        let mut help = cli.render_long_help().to_string();
        for sub in cli.get_subcommands_mut() {
            help.push_str(&sub.render_long_help().to_string());
        }
        let daemon: Vec<&str> = registry().iter().map(|c| c.name).filter(|n| help.contains(n)).collect();
        assert!(daemon.is_empty(), "daemon names in --help: {daemon:?}");
        let tab_use = cli.find_subcommand_mut("target-use").unwrap().render_long_help().to_string();
        assert!(tab_use.contains("From `opendevbrowser targets`"), "{tab_use}");
    }

    #[test]
    fn flags_become_typed_params() {
        let m = cli()
            .try_get_matches_from([
                "t",
                "goto",
                "--url",
                "http://x/",
                "--wait-until",
                "networkidle",
                "--timeout-ms",
                "5",
            ])
            .unwrap();
        let (name, sub) = m.subcommand().unwrap();
        let p = params(find(name).unwrap(), sub).unwrap();
        assert_eq!(Value::Object(p), json!({"url": "http://x/", "waitUntil": "networkidle", "timeoutMs": 5}));
        let bad = cli().try_get_matches_from(["t", "goto", "--url", "x", "--wait-until", "soon"]);
        assert!(bad.is_err(), "enum values are checked before anything is sent");
    }

    #[test]
    fn booleans_have_a_negative_form_and_headed_means_not_headless() {
        let m = cli().try_get_matches_from(["t", "launch", "--headed", "--mode", "managed"]).unwrap();
        let (name, sub) = m.subcommand().unwrap();
        assert_eq!(
            Value::Object(params(find(name).unwrap(), sub).unwrap()),
            json!({"headless": false, "mode": "managed"})
        );
        let m = cli().try_get_matches_from(["t", "select", "--ref", "r1", "--values", "a", "b"]).unwrap();
        let (name, sub) = m.subcommand().unwrap();
        assert_eq!(params(find(name).unwrap(), sub).unwrap()["values"], json!(["a", "b"]));
        assert_eq!(kebab("wsEndpoint"), "ws-endpoint");
    }
}
