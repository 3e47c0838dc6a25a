//! `opendevbrowser mcp` driven by a real MCP client written by someone else (the official
//! Python SDK, `tests/mcp/agent_flow.py`) against the real hub, the real extension in
//! headless Chromium and the local test site.

use system_tests::oracle::Oracle;
use system_tests::{cli_binary, python, workspace, World};

/// Every agent tool the contract declares.
fn tool_names() -> Vec<&'static str> {
    opendevbrowser_api::command::registry().iter().filter_map(|c| c.tool).map(|t| t.name).collect()
}

/// `command` with the world's hub files, so what it starts finds that hub.
fn in_world<'a>(command: &'a mut tokio::process::Command, world: &World) -> &'a mut tokio::process::Command {
    command
        .env("OPENDEVBROWSER_CACHE_DIR", world.dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", world.dirs.path().join("config"))
}

/// Runs `tests/mcp/<script>` with `args`; fails with its output unless it succeeds, and
/// returns the findings it printed as its last line.
async fn run_agents(world: &World, script: &str, args: &[&str]) -> serde_json::Value {
    let mut command = tokio::process::Command::new(python());
    command.arg(workspace().join("tests/mcp").join(script)).args(args);
    let output = in_world(&mut command, world).output().await.unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{script} {args:?} failed:\n{stdout}\n{stderr}");
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap()
}

/// What `agent_flow.py` left in the world's own browser, read through the oracle: its
/// last page is `/dialogs`, whose confirm the page itself recorded as accepted.
async fn the_confirm_was_accepted_in_the_users_chrome(world: &World) {
    let mut oracle = Oracle::of_browser(&world.browser).await;
    let answer = oracle.page(&world.site.url("/dialogs")).await.text("#out").await;
    assert_eq!(answer, "confirmed", "the page saw its confirm accepted");
}

#[tokio::test]
async fn an_mcp_agent_fills_a_form_in_the_users_chrome() {
    let world = World::start().await;
    let tools = tool_names();
    let site = world.site.url("");
    let args = ["--binary", &cli_binary(), "--site", &site, "--tools", &tools.join(",")];
    let findings = run_agents(&world, "agent_flow.py", &args).await;
    assert_eq!(findings["mode"], "extension", "the paired extension is used: {findings}");
    the_confirm_was_accepted_in_the_users_chrome(&world).await;
    assert!(findings["tools"].as_u64() > Some(tools.len() as u64 - 1), "{findings}");
    println!("mcp findings: {findings}");
    let bound = world.hub.rpc("hub.status", serde_json::json!({})).await;
    assert_eq!(bound["data"]["binding"], serde_json::Value::Null, "the agent's binding went with it: {bound}");
}

#[tokio::test]
async fn an_mcp_agent_signs_in_answers_uploads_downloads_drags_and_clears_in_the_users_chrome() {
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("expenses.txt");
    std::fs::write(&upload, "coffee 3.50\n").unwrap();
    let site = world.site.url("");
    let args = ["--binary", &cli_binary(), "--site", &site, "--upload", upload.to_str().unwrap()];
    let findings = run_agents(&world, "real_pages.py", &args).await;
    assert_eq!(findings["report"], system_tests::pages::REPORT_CSV, "the downloaded file is the server's report");
    assert_eq!(findings["uploaded"]["files"][0]["bytes"], 12, "{findings}");
    for line in findings["transcript"].as_array().unwrap() {
        println!("{}", line.as_str().unwrap());
    }
}

#[tokio::test]
async fn agents_take_turns_a_busy_one_is_told_who_holds_the_browser_a_queued_one_hears_progress() {
    let world = World::start().await;
    let before = world.hub.rpc("hub.status", serde_json::json!({})).await["data"]["hub"]["instanceId"].clone();
    let site = world.site.url("");
    let findings = run_agents(&world, "two_agents.py", &["--binary", &cli_binary(), "--site", &site]).await;
    assert!(findings["busy"].as_str().unwrap().contains("held by"), "{findings}");
    assert!(findings["progress"][0].as_str().unwrap().contains("waiting up to 30 s"), "{findings}");
    assert_eq!(findings["served"], world.site.url("/second"));
    let pages = Oracle::of_browser(&world.browser).await.page_urls().await;
    assert!(pages.contains(&world.site.url("/second")), "agent B's page is in the user's Chrome: {pages:?}");
    let after = world.hub.rpc("hub.status", serde_json::json!({})).await["data"]["hub"]["instanceId"].clone();
    assert_eq!(before, after, "both agents used the one hub; none started another");
}

#[tokio::test]
async fn the_same_agent_works_over_streamable_http_and_browsers_are_refused() {
    use tokio::io::AsyncBufReadExt;
    let world = World::start().await;
    let mut command = tokio::process::Command::new(cli_binary());
    let mut server = in_world(&mut command, &world)
        .args(["mcp", "--http", "0", "--no-autostart"])
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

    let (site, tools) = (world.site.url(""), tool_names().join(","));
    let findings = run_agents(&world, "agent_flow.py", &["--http", &url, "--site", &site, "--tools", &tools]).await;
    assert_eq!(findings["mode"], "extension", "{findings}");
    the_confirm_was_accepted_in_the_users_chrome(&world).await;
    println!("mcp over http findings: {findings}");
}

/// The next phase line `tab_agents.py` prints.
async fn next_phase(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) -> serde_json::Value {
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line()).await;
    let line = line.expect("the agents report in time").unwrap().expect("a line from tab_agents.py");
    serde_json::from_str(&line).unwrap()
}

/// `{group title: tab count}` of the tab groups Chrome shows.
async fn tab_groups(world: &World) -> serde_json::Value {
    let read = "Promise.all([chrome.tabGroups.query({}), chrome.tabs.query({})]).then(([gs, ts]) =>
        Object.fromEntries(gs.map(g => [g.title, ts.filter(t => t.groupId === g.id).length])))";
    world.browser.eval_in_extension(read).await
}

#[tokio::test]
async fn two_mcp_agents_with_scope_tab_work_at_once_each_in_its_own_tab_group() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let world = World::start().await;
    let site = world.site.url("");
    let mut command = tokio::process::Command::new(python());
    command.arg(workspace().join("tests/mcp/tab_agents.py")).args(["--binary", &cli_binary(), "--site", &site]);
    let mut child = in_world(&mut command, &world)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let filled = next_phase(&mut lines).await;
    assert_eq!(filled["phase"], "filled", "{filled}");
    assert_eq!(
        (filled["signedUp"].as_str(), filled["signedIn"].as_str()),
        (Some("name=Ada;color=red;agree=yes"), Some("Welcome, grace"))
    );
    assert!(!filled["tabsOfA"].as_str().unwrap().contains("/login"), "A's tabs are its own: {filled}");
    let mut oracle = Oracle::of_browser(&world.browser).await;
    let welcome = oracle.page_starting(&world.site.url("/welcome?user=grace&")).await.text("h1").await;
    assert_eq!(welcome, "Welcome, grace", "B's tab shows the server's welcome");
    let result = oracle.page_starting(&world.site.url("/result?name=Ada&")).await.text("#out").await;
    assert_eq!(result, "name=Ada;color=red;agree=yes", "A's tab shows what the server got");
    let groups = tab_groups(&world).await;
    let titled = |prefix: &str| groups.as_object().unwrap().iter().any(|(t, n)| t.starts_with(prefix) && n == 1);
    assert!(titled("agent-a-") && titled("agent-b-"), "each agent's tab in a group named after it: {groups}");
    let leases = world.hub.rpc("hub.status", serde_json::json!({})).await["data"]["tabLeases"].clone();
    assert_eq!(leases.as_array().map(Vec::len), Some(2), "{leases}");

    stdin.write_all(b"next\n").await.unwrap();
    assert_eq!(next_phase(&mut lines).await["phase"], "b_gone");
    let left = system_tests::wait_for("agent B's group to go", || async {
        let groups = tab_groups(&world).await;
        (!groups.as_object().unwrap().keys().any(|t| t.starts_with("agent-b-"))).then_some(groups)
    })
    .await;
    assert!(left.as_object().unwrap().keys().any(|t| t.starts_with("agent-a-")), "A keeps its group: {left}");
    stdin.write_all(b"next\n").await.unwrap();
    let done = next_phase(&mut lines).await;
    assert_eq!((done["phase"].as_str(), done["title"].as_str()), (Some("done"), Some("Second Page")), "{done}");
    assert!(child.wait().await.unwrap().success());
}
