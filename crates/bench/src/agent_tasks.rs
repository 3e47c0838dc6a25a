//! `agent_tasks`: MiniWoB++ tasks (the `miniwob` PyPI package's pages) solved by scripted
//! agents through MCP, `opendevbrowser mcp` and Playwright MCP (`@playwright/mcp` from npm)
//! on the same headless Chromium, same tasks, same seeds (tests/agents/miniwob_suite.py:
//! the agents read what to do from the snapshot only and act with MCP tools only; the
//! harness reads each reward over its own DevTools connection). Per server: tasks solved,
//! tool calls, characters received, time per task.

use crate::fidelity_bench::plain_chromium;
use serde_json::{json, Value};
use system_tests::free_port;
use system_tests::hub_process::HubProcess;

/// The tasks of a `--quick` run.
const QUICK: &str = "click-button,click-checkboxes,choose-list,enter-text,login-user,email-inbox-reply,\
                     click-tab,focus-text-2,enter-date,use-autocomplete-nodelay";

/// The CLI the agents start: `$OPENDEVBROWSER_CLI_BIN`, else the release build, else debug.
fn cli_binary() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("OPENDEVBROWSER_CLI_BIN") {
        return path.into();
    }
    let target = system_tests::workspace().join("target");
    let release = target.join("release/opendevbrowser");
    if release.exists() {
        release
    } else {
        target.join("debug/opendevbrowser")
    }
}

pub async fn agent_tasks(quick: bool) -> Value {
    let dirs = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    let browser = plain_chromium().await;
    let workspace = system_tests::workspace();
    let python = workspace.join(".venv-test/bin/python");
    let mut command = tokio::process::Command::new(&python);
    command
        .arg(workspace.join("tests/agents/miniwob_suite.py"))
        .args(["--servers", "ours,playwright", "--mode", "connect", "--seed", "1"])
        .arg("--binary")
        .arg(cli_binary())
        .args(["--cdp-port", &browser.devtools_port.to_string()])
        .args(["--tasks", if quick { QUICK } else { "all" }])
        .env("OPENDEVBROWSER_CACHE_DIR", dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", dirs.path().join("config"))
        .kill_on_drop(true);
    let ran = command.output().await.expect(".venv-test/bin/python (scripts/setup.sh)");
    let stdout = String::from_utf8_lossy(&ran.stdout);
    let found: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("miniwob_suite.py: {stdout}\n{}", String::from_utf8_lossy(&ran.stderr)));
    drop(hub);

    let servers = found["servers"].as_object().cloned().unwrap_or_default();
    let mut out = serde_json::Map::new();
    println!(
        "\n  {:<12} {:>7} {:>7} {:>7} {:>10} {:>12} {:>12}",
        "server", "solved", "of", "calls", "chars", "ms/task med", "ms/task mean"
    );
    for (name, s) in &servers {
        println!(
            "  {:<12} {:>7} {:>7} {:>7} {:>10} {:>12} {:>12}",
            name,
            s["solved"].to_string(),
            s["total"].to_string(),
            s["calls"].to_string(),
            s["chars"].to_string(),
            s["ms_per_task_median"].to_string(),
            s["ms_per_task_mean"].to_string()
        );
        out.insert(
            name.clone(),
            json!({"solved": s["solved"], "tasks": s["total"], "calls": s["calls"], "chars": s["chars"],
                "ms_total": s["ms_total"], "ms_per_task_median": s["ms_per_task_median"],
                "ms_per_task_mean": s["ms_per_task_mean"]}),
        );
    }
    // One line per task: reward, calls, characters and ms on each server.
    let tasks: Vec<String> = servers
        .values()
        .next()
        .and_then(|s| s["tasks"].as_object())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    for task in tasks {
        let mut row = serde_json::Map::new();
        for (name, s) in &servers {
            let t = &s["tasks"][&task];
            let mut cell = json!({"reward": t["reward"], "calls": t["calls"], "chars": t["chars"], "ms": t["ms"]});
            if let Some(e) = t["error"].as_str() {
                cell["error"] = json!(e.chars().take(120).collect::<String>());
            }
            row.insert(name.clone(), cell);
        }
        out.insert(format!("task {task}"), Value::Object(row));
    }
    Value::Object(out)
}
