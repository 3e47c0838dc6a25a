//! `opendevbrowser mcp` driven by a real MCP client written by someone else (the official
//! Python SDK, `tests/mcp/agent_flow.py`) against the real hub, the real extension in
//! headless Chromium and the local test site.

use system_tests::{workspace, World};

/// The Python of the virtualenv `scripts/setup.sh` makes.
fn python() -> std::path::PathBuf {
    let path = workspace().join(".venv-test/bin/python");
    assert!(path.exists(), "{} is missing: run scripts/setup.sh", path.display());
    path
}

#[tokio::test]
async fn an_mcp_agent_fills_a_form_in_the_users_chrome() {
    let world = World::start(8787).await;
    let binary = workspace().join("target/debug/opendevbrowser");
    assert!(binary.exists(), "{} is missing: run `cargo build -p cli`", binary.display());
    let tools: Vec<&str> =
        opendevbrowser_api::command::registry().iter().filter_map(|c| c.tool).map(|t| t.name).collect();
    let output = tokio::process::Command::new(python())
        .arg(workspace().join("tests/mcp/agent_flow.py"))
        .args(["--binary", binary.to_str().unwrap(), "--site", &world.site.url("")])
        .args(["--tools", &tools.join(",")])
        .env("OPENDEVBROWSER_CACHE_DIR", world.dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", world.dirs.path().join("config"))
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the agent's session failed:\n{stdout}\n{stderr}");
    let findings: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    assert_eq!(findings["mode"], "extension", "the paired extension is used: {findings}");
    assert!(findings["tools"].as_u64() > Some(tools.len() as u64 - 1), "{findings}");
    println!("mcp findings: {findings}");
    let bound = world.hub.rpc("hub.status", serde_json::json!({})).await;
    assert_eq!(bound["data"]["binding"], serde_json::Value::Null, "the agent's binding went with it: {bound}");
}

#[tokio::test]
async fn agents_take_turns_a_busy_one_is_told_who_holds_the_browser_a_queued_one_hears_progress() {
    let world = World::start(8787).await;
    let before = world.hub.rpc("hub.status", serde_json::json!({})).await["data"]["hub"]["instanceId"].clone();
    let binary = workspace().join("target/debug/opendevbrowser");
    let output = tokio::process::Command::new(python())
        .arg(workspace().join("tests/mcp/two_agents.py"))
        .args(["--binary", binary.to_str().unwrap(), "--site", &world.site.url("")])
        .env("OPENDEVBROWSER_CACHE_DIR", world.dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", world.dirs.path().join("config"))
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "two agents:\n{stdout}\n{stderr}");
    let findings: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    assert!(findings["busy"].as_str().unwrap().contains("held by"), "{findings}");
    assert!(findings["progress"][0].as_str().unwrap().contains("waiting up to 30 s"), "{findings}");
    assert_eq!(findings["served"], world.site.url("/second"));
    let after = world.hub.rpc("hub.status", serde_json::json!({})).await["data"]["hub"]["instanceId"].clone();
    assert_eq!(before, after, "both agents used the one hub; none started another");
}

#[tokio::test]
async fn the_same_agent_works_over_streamable_http_and_browsers_are_refused() {
    use tokio::io::AsyncBufReadExt;
    let world = World::start(8787).await;
    let mut server = tokio::process::Command::new(workspace().join("target/debug/opendevbrowser"))
        .args(["mcp", "--http", "0", "--no-autostart"])
        .env("OPENDEVBROWSER_CACHE_DIR", world.dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", world.dirs.path().join("config"))
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(server.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("the server printed its address");
        if let Some(at) = line.find("http://127.0.0.1:") {
            break line[at..].trim().to_owned();
        }
    };
    let http = reqwest::Client::new();
    let from_page = http.post(&url).header("origin", "http://evil.example").body("{}").send().await.unwrap();
    assert_eq!(from_page.status(), 403, "a web page may not call the MCP server");
    let rebound = http.post(&url).header("host", "evil.example").body("{}").send().await.unwrap();
    assert_eq!(rebound.status(), 403, "a DNS-rebinding Host is refused");

    let tools: Vec<&str> =
        opendevbrowser_api::command::registry().iter().filter_map(|c| c.tool).map(|t| t.name).collect();
    let output = tokio::process::Command::new(python())
        .arg(workspace().join("tests/mcp/agent_flow.py"))
        .args(["--http", &url, "--site", &world.site.url(""), "--tools", &tools.join(",")])
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the agent's session over HTTP failed:\n{stdout}\n{stderr}");
    let findings: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    assert_eq!(findings["mode"], "extension", "{findings}");
    println!("mcp over http findings: {findings}");
}
