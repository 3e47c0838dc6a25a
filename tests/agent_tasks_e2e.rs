//! A part of the agent-task suite (`scripts/bench.sh --only agent_tasks`) as tests: MiniWoB++
//! task pages (the `miniwob` PyPI package), each solved through `opendevbrowser mcp` by a
//! scripted agent (`tests/agents/miniwob_suite.py`, official Python MCP SDK) that reads the
//! instruction from `browser_snapshot` and acts with MCP tools only. The harness reads each
//! task's reward over its own DevTools connection to the same browser; every task must end
//! with a positive reward. Managed mode (a Chromium the hub starts) and extension mode (the
//! user's Chrome through the real extension).

use system_tests::hub_process::HubProcess;
use system_tests::{cli_binary, python, workspace, World};

/// The tasks run here: a text link, buttons, check boxes, a select, typing, a sign-in form,
/// an inbox (open, reply, send) and an autocomplete.
const TASKS: &str = "click-link,click-button,click-checkboxes,choose-list,enter-text,login-user,\
                     email-inbox-reply,use-autocomplete-nodelay";

/// Runs the suite on our server with `args`, the hub's files in `dirs`; returns the server's
/// results after checking that every task was solved.
async fn solve(dirs: &std::path::Path, args: &[String]) -> serde_json::Value {
    let output = tokio::process::Command::new(python())
        .arg(workspace().join("tests/agents/miniwob_suite.py"))
        .args(["--servers", "ours", "--tasks", TASKS, "--seed", "1", "--binary", &cli_binary()])
        .args(args)
        .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "miniwob_suite.py {args:?} failed:\n{stdout}\n{stderr}");
    let found: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    let ours = found["servers"]["ours"].clone();
    for (task, row) in ours["tasks"].as_object().unwrap() {
        println!("{task}: {row}");
    }
    let unsolved: Vec<String> = ours["tasks"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, row)| row["reward"].as_f64().unwrap_or(0.0) <= 0.0)
        .map(|(task, row)| format!("{task}: {row}"))
        .collect();
    assert!(unsolved.is_empty(), "tasks without a positive reward:\n{}", unsolved.join("\n"));
    assert_eq!(ours["solved"], TASKS.split(',').count(), "{ours}");
    ours
}

#[tokio::test]
async fn an_mcp_agent_solves_miniwob_tasks_in_a_managed_chromium() {
    let dirs = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hub = HubProcess::start(dirs.path(), port).await;
    let args = ["--mode".to_owned(), "managed".to_owned(), "--hub-pid".to_owned(), hub.pid().to_string()];
    let ours = solve(dirs.path(), &args).await;
    println!(
        "managed: {} tasks, {} calls, {} chars, {} ms",
        ours["solved"], ours["calls"], ours["chars"], ours["ms_total"]
    );
}

#[tokio::test]
async fn an_mcp_agent_solves_miniwob_tasks_in_the_users_chrome() {
    let world = World::start().await;
    let args =
        ["--mode".to_owned(), "extension".to_owned(), "--cdp-port".to_owned(), world.browser.devtools_port.to_string()];
    let ours = solve(world.dirs.path(), &args).await;
    println!(
        "extension: {} tasks, {} calls, {} chars, {} ms",
        ours["solved"], ours["calls"], ours["chars"], ours["ms_total"]
    );
}
