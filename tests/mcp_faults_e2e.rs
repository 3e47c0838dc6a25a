//! `opendevbrowser mcp` when the extension is not paired at launch, spoken to over stdio
//! as any MCP client would (JSON-RPC lines): an agent of the user's Chrome (`--scope tab`)
//! never falls back to a managed browser: it says it waits (progress notifications) and
//! then answers `extension_not_connected` with the fix; an agent with no mode, on a hub
//! that never saw the extension, works in a managed Chromium and its result says so.

use serde_json::{json, Value};
use std::process::Stdio;
use system_tests::free_port;
use system_tests::hub_process::HubProcess;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// An `opendevbrowser mcp` process and its stdio.
struct Mcp {
    child: Child,
    stdin: ChildStdin,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl Mcp {
    async fn start(dirs: &std::path::Path, args: &[&str]) -> Mcp {
        let binary = system_tests::workspace().join("target/debug/opendevbrowser");
        assert!(binary.exists(), "{} is missing: run `cargo build -p cli`", binary.display());
        let mut child = Command::new(binary)
            .arg("--no-autostart")
            .arg("mcp")
            .args(args)
            .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
            .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start opendevbrowser mcp");
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let mut mcp = Mcp { child, stdin, stdout: BufReader::new(stdout).lines() };
        let init = json!({"protocolVersion": "2025-03-26", "capabilities": {},
            "clientInfo": {"name": "faults", "version": "1"}});
        mcp.request(1, "initialize", init).await;
        mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        mcp
    }

    async fn send(&mut self, message: Value) {
        self.stdin.write_all(format!("{message}\n").as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Sends request `id` and reads until its answer; the answer and the progress lines
    /// notified meanwhile.
    async fn request(&mut self, id: u64, method: &str, params: Value) -> (Value, Vec<String>) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        let mut progress = Vec::new();
        loop {
            let line = tokio::time::timeout(system_tests::WAIT, self.stdout.next_line())
                .await
                .expect("an answer in time")
                .unwrap()
                .expect("the MCP server is running");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["method"] == "notifications/progress" {
                progress.push(message["params"]["message"].as_str().unwrap_or_default().to_owned());
            } else if message["id"] == id {
                return (message, progress);
            }
        }
    }

    /// Calls tool `name`, asking for progress notifications.
    async fn tool(&mut self, id: u64, name: &str, arguments: Value) -> (Value, Vec<String>) {
        let params = json!({"name": name, "arguments": arguments, "_meta": {"progressToken": format!("p{id}")}});
        let (answer, progress) = self.request(id, "tools/call", params).await;
        (answer["result"].clone(), progress)
    }

    async fn end(mut self) {
        drop(self.stdin);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.child.wait()).await;
    }
}

fn text_of(result: &Value) -> String {
    result["content"][0]["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_agent_of_the_users_chrome_waits_for_the_extension_then_says_so_and_never_switches_browsers() {
    let dirs = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    let mut agent = Mcp::start(dirs.path(), &["--scope", "tab"]).await;
    let started = std::time::Instant::now();
    let (result, progress) = agent.tool(2, "browser_navigate", json!({"url": "http://127.0.0.1:9/"})).await;
    let text = text_of(&result);
    assert_eq!(result["isError"], true, "{result}");
    assert!(text.starts_with("extension_not_connected:"), "{text}");
    assert!(text.contains("does not switch to another browser") && text.contains("--scope tab"), "{text}");
    assert!(text.contains("--mode managed"), "the fix names the explicit switch: {text}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(10), "it waited for the extension");
    assert!(progress.iter().any(|p| p.contains("waiting for the opendevbrowser extension")), "{progress:?}");
    let status = hub.rpc("hub.status", json!({})).await;
    assert_eq!(status["data"]["browserSessions"], 0, "no managed browser behind the agent's back: {status}");
    agent.end().await;
}

#[tokio::test]
async fn an_agent_with_no_mode_on_a_hub_that_never_saw_the_extension_works_in_a_managed_browser_and_says_so() {
    let dirs = tempfile::tempdir().unwrap();
    let site = system_tests::site::Site::start().await;
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    let mut agent = Mcp::start(dirs.path(), &[]).await;
    let (result, _) = agent.tool(2, "browser_navigate", json!({"url": site.url("/")})).await;
    assert_ne!(result["isError"], true, "{result}");
    let data: Value = serde_json::from_str(&text_of(&result)).unwrap();
    let browser = data["browser"].as_str().unwrap_or_default();
    assert!(browser.starts_with("a managed Chromium") && browser.contains("never connected"), "{data}");
    agent.end().await;
    system_tests::wait_for("the agent's session to close with it", || async {
        (hub.rpc("hub.status", json!({})).await["data"]["browserSessions"] == 0).then_some(())
    })
    .await;
}
