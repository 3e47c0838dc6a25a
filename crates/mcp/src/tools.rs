//! The tools this server offers: every contract command with a `tool(...)` entry (its
//! name, read-only hint and model-facing description come from the contract, its input
//! schema from the params type), plus `browser_status`, the doctor's verdict.

use opendevbrowser_api::command::{registry, CommandInfo};
use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The doctor's verdict, answered by this server itself.
pub const STATUS_TOOL: &str = "browser_status";

/// Every tool, in the contract's order, then `browser_status`.
pub fn list() -> Vec<Tool> {
    let mut tools: Vec<Tool> = registry().iter().filter_map(tool_of).collect();
    let status = "Whether the browser can be driven, and if not why and how to fix it (hub, extension, \
                  pairing, binding). Call it when a tool fails with a connection error.";
    let mut t = Tool::new(STATUS_TOOL, status, Arc::new(Map::from_iter([("type".to_owned(), json!("object"))])));
    t.annotations = Some(ToolAnnotations::new().read_only(true));
    tools.push(t);
    tools
}

/// The contract command behind tool `name`.
pub fn command(name: &str) -> Option<&'static CommandInfo> {
    registry().iter().find(|c| c.tool.is_some_and(|t| t.name == name))
}

fn tool_of(info: &CommandInfo) -> Option<Tool> {
    let spec = info.tool?;
    let mut tool = Tool::new(spec.name, spec.guide, Arc::new(input_schema(info)));
    tool.annotations = Some(ToolAnnotations::new().read_only(spec.read_only));
    Some(tool)
}

/// The params schema without what a model does not need (`$schema`, `title`, the struct's
/// own description: the tool description says it).
pub fn input_schema(info: &CommandInfo) -> Map<String, Value> {
    let mut schema = match (info.schema)() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for key in ["$schema", "title", "description"] {
        schema.remove(key);
    }
    schema
}

#[cfg(test)]
mod tests {
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
}
