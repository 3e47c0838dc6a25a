//! opendevbrowser as an MCP server (`opendevbrowser mcp`): each agent session starts one
//! process; all of them share the one hub, and the binding lease decides who drives the
//! user's Chrome.
//!
//! - [`tools`]: the tool list, generated from the contract (`opendevbrowser_api`): every
//!   command with a `tool(...)` entry, its params schema as the input schema;
//! - [`agent`]: this process as one hub client: its instance id, its browser session
//!   (launched on the first browser tool), and its binding (taken when a command needs
//!   it, renewed while in use, released when idle and when the process ends);
//! - [`results`]: hub answers as MCP content (the snapshot as plain text, screenshots as
//!   images, errors as `isError` text naming the code and the fix);
//! - [`server`]: the `rmcp` handler tying them together.

#![warn(missing_docs)]

pub mod agent;
pub mod results;
pub mod server;
pub mod tools;

pub use agent::AgentOptions;

/// Serves MCP on stdin/stdout until the client closes stdin.
pub async fn serve_stdio(opts: AgentOptions) -> Result<(), String> {
    use rmcp::ServiceExt;
    let server = server::McpServer::new(opts);
    let agent = server.agent();
    let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| format!("MCP handshake failed: {e}"))?;
    let ended = running.waiting().await.map_err(|e| format!("MCP session failed: {e}"));
    agent.shutdown().await;
    ended.map(|_| ())
}
