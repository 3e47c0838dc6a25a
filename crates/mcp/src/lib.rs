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
//! - [`server`]: the `rmcp` handler tying them together;
//! - [`serve_stdio`] (one agent per process, the usual way) and [`serve_http`] (Streamable
//!   HTTP on 127.0.0.1, one agent per MCP session).

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

/// Serves MCP as Streamable HTTP at `http://127.0.0.1:<port>/mcp` until the process ends.
/// Each MCP session is its own agent. Like the hub's RPC: loopback only, a `Host` that
/// names a loopback address, and no browser `Origin` at all.
pub async fn serve_http(opts: AgentOptions, port: u16, ready: impl FnOnce(u16)) -> Result<(), String> {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
    let config = StreamableHttpServerConfig::default().enforce_origin_validation();
    let service = StreamableHttpService::new(
        move || Ok(server::McpServer::new(opts.clone())),
        std::sync::Arc::new(LocalSessionManager::default()),
        config,
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    ready(listener.local_addr().map(|a| a.port()).unwrap_or(port));
    axum::serve(listener, router).await.map_err(|e| format!("MCP HTTP server failed: {e}"))
}
