//! Third-party CDP clients (Playwright's `connectOverCDP`, Puppeteer's `connect`) on the
//! hub's `/cdp` endpoint, with the real extension in headless Chromium and the local test
//! site: the scripts in `tests/cdp_clients/` do what a user of those libraries would.

use serde_json::Value;
use system_tests::{workspace, World};

/// `ws://127.0.0.1:<port>/cdp?token=<relay token from the world's hub.json>`.
fn cdp_url(world: &World) -> String {
    let settings = std::fs::read_to_string(world.dirs.path().join("config/hub.json")).unwrap();
    let settings: Value = serde_json::from_str(&settings).unwrap();
    format!("ws://127.0.0.1:8787/cdp?token={}", settings["relayToken"].as_str().unwrap())
}

/// Runs `node tests/cdp_clients/<script> <cdp url> <site>`; fails with its output unless
/// it succeeds, and returns the findings it printed as its last line.
async fn run_client(world: &World, script: &str) -> Value {
    let dir = workspace().join("tests/cdp_clients");
    assert!(dir.join("node_modules").exists(), "{}/node_modules is missing: run scripts/setup.sh", dir.display());
    let output = tokio::process::Command::new("node")
        .arg(dir.join(script))
        .args([cdp_url(world), world.site.url("")])
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}\nhub log:\n{}", world.hub.log());
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap()
}

/// What every run of `playwright_flow.mjs` must have seen.
fn assert_playwright_worked(findings: &Value, site: &str) {
    assert!(findings["pagesAtConnect"].as_u64() >= Some(1), "the open tab is a page: {findings}");
    assert_eq!(findings["evaluated"], 42, "{findings}");
    assert_eq!(findings["gotoTitle"], "Second Page", "{findings}");
    assert_eq!(findings["submitted"], "name=Ada Lovelace;color=red;agree=", "{findings}");
    assert_eq!(findings["screenshotPng"], true, "{findings}");
    assert!(!site.is_empty());
}

#[tokio::test]
async fn playwright_connects_over_cdp_and_drives_the_users_chrome_twice_in_a_row() {
    let world = World::start(8787).await;
    let site = world.site.url("");
    let first = run_client(&world, "playwright_flow.mjs").await;
    assert_playwright_worked(&first, &site);
    let second = run_client(&world, "playwright_flow.mjs").await;
    assert_playwright_worked(&second, &site);
    println!("playwright findings: {first} then {second}");
}
