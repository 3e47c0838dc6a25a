//! What an MCP agent reads from `opendevbrowser mcp`, checked with the official Python
//! SDK (`tests/mcp/words.py`) against the real hub and the real extension: the server names
//! itself opendevbrowser with its version, the tool list stays small, and an error from a
//! real call names the tool to use (`browser_snapshot`), not the daemon's command.

use system_tests::{workspace, World};

/// The largest `tools/list` may be, in characters of Python's `json.dumps` of the result:
/// `crates/mcp`'s `LIST_SIZE_BOUND`, which `the_tool_list_stays_small` checks in-process
/// (it was 30.7 k; Playwright MCP's is 21.3 k for 25 tools; ours 28.4 k for 60).
const TOOLS_LIST_MAX_CHARS: usize = 28_400;

#[tokio::test]
async fn an_mcp_agent_reads_the_servers_name_a_small_tool_list_and_errors_in_tool_names() {
    let python = workspace().join(".venv-test/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/setup.sh", python.display());
    let binary = workspace().join("target/debug/opendevbrowser");
    assert!(binary.exists(), "{} is missing: run `cargo build -p cli`", binary.display());
    let world = World::start().await;
    let output = tokio::process::Command::new(python)
        .arg(workspace().join("tests/mcp/words.py"))
        .args(["--binary", &binary.display().to_string(), "--version", env!("CARGO_PKG_VERSION")])
        .args(["--max-chars", &TOOLS_LIST_MAX_CHARS.to_string()])
        .env("OPENDEVBROWSER_CACHE_DIR", world.dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", world.dirs.path().join("config"))
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "words.py failed:\n{stdout}\n{stderr}");
    let findings: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    println!("mcp words: {findings}");
    assert_eq!(findings["server"]["name"], "opendevbrowser", "{findings}");
    assert!(findings["tools_list_chars"].as_u64().unwrap() <= TOOLS_LIST_MAX_CHARS as u64, "{findings}");
    let error = findings["click_error"].as_str().unwrap();
    let first_line = error.lines().next().unwrap_or_default();
    assert!(first_line.contains("browser_snapshot") && !error.contains("nav.snapshot"), "{error}");
}
