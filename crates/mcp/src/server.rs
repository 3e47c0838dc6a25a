//! The `rmcp` handler: `initialize` names the agent (and reports this server as
//! opendevbrowser with its version), `tools/list` is [`tools::list`],
//! `tools/call` runs the tool's contract command through the [`Agent`].

use crate::agent::{Agent, AgentOptions};
use crate::{results, tools};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, InitializeRequestParams,
    InitializeResult, ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use std::sync::Arc;

/// The name `initialize` reports (with the crate's version).
pub const SERVER_NAME: &str = "opendevbrowser";

/// Instructions every client shows its model.
const INSTRUCTIONS: &str = "Drives a real Chrome (the user's, through the opendevbrowser extension, or a \
managed Chromium). Loop: browser_navigate, browser_snapshot (an outline whose elements carry refs like r5), \
then act by ref (browser_click, browser_type, browser_select_option), and snapshot again after the page \
changes. If a tool reports a connection problem, call browser_status.";

/// The MCP server of one agent.
#[derive(Clone)]
pub struct McpServer {
    agent: Arc<Agent>,
}

impl McpServer {
    /// A server whose agent has not reached the hub yet.
    pub fn new(opts: AgentOptions) -> Self {
        McpServer { agent: Arc::new(Agent::new(opts)) }
    }

    /// Its agent (to shut it down when the client leaves).
    pub fn agent(&self) -> Arc<Agent> {
        self.agent.clone()
    }

    async fn call(&self, request: CallToolRequestParams, context: RequestContext<RoleServer>) -> CallToolResult {
        let args = request.arguments.unwrap_or_default();
        if request.name == tools::STATUS_TOOL {
            return self.status().await;
        }
        let Some(info) = tools::command(&request.name) else {
            let text = format!("unknown_tool: no tool named {:?}; tools/list names them all", request.name);
            return CallToolResult::error(vec![ContentBlock::text(text)]);
        };
        let keep_file = args.get("path").is_some_and(|p| p.is_string());
        let progress = progress_sender(&context);
        match self.agent.run(info, args, &progress).await {
            Ok(data) => results::success(&request.name, data, keep_file),
            Err(e) => results::failure(&e),
        }
    }

    /// `browser_status`: this agent's own state (its session, its browser, its last
    /// failure) with the hub's diagnosis; never "ok" while the agent's calls fail.
    async fn status(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::text(self.agent.browser_status().await)])
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> InitializeResult {
        let mut info = InitializeResult::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new(SERVER_NAME, env!("CARGO_PKG_VERSION"));
        info.instructions = Some(INSTRUCTIONS.to_owned());
        info
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        self.agent.set_client_name(&request.client_info.name);
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools::list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        Ok(self.call(request, context).await.into())
    }
}

/// A channel whose lines become MCP progress notifications, when the caller asked for
/// them (a `progressToken` in the request's `_meta`).
fn progress_sender(context: &RequestContext<RoleServer>) -> crate::agent::Progress {
    let token = context.meta.get_progress_token()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let peer = context.peer.clone();
    tokio::spawn(async move {
        let mut step = 0.0;
        while let Some(line) = rx.recv().await {
            step += 1.0;
            let note = ProgressNotificationParam::new(token.clone(), step).with_message(line);
            if peer.notify_progress(note).await.is_err() {
                return;
            }
        }
    });
    Some(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialize_names_this_server_and_its_version() {
        let info = McpServer::new(AgentOptions::default()).get_info();
        assert_eq!(
            (info.server_info.name.as_str(), info.server_info.version.as_str()),
            ("opendevbrowser", env!("CARGO_PKG_VERSION"))
        );
        assert!(info.capabilities.tools.is_some());
    }
}
