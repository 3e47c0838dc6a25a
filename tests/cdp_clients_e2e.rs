//! Third-party CDP clients (Playwright's `connectOverCDP`, Puppeteer's `connect`) on the
//! hub's `/cdp` endpoint, with the real extension in headless Chromium and the local test
//! site: the scripts in `tests/cdp_clients/` do what a user of those libraries would.

use serde_json::Value;
use system_tests::{node_client, World};

/// `ws://127.0.0.1:<port>/cdp?token=<relay token from the world's hub.json>`.
fn cdp_url(world: &World) -> String {
    let settings = std::fs::read_to_string(world.dirs.path().join("config/hub.json")).unwrap();
    let settings: Value = serde_json::from_str(&settings).unwrap();
    format!("ws://127.0.0.1:{}/cdp?token={}", world.hub.relay_port, settings["relayToken"].as_str().unwrap())
}

/// Runs `node tests/cdp_clients/<script> <cdp url> <site>`; fails with its output unless
/// it succeeds, and returns the findings it printed as its last line.
async fn run_client(world: &World, script: &str) -> Value {
    let stdout = node_client(script, [cdp_url(world), world.site.url("")])
        .await
        .unwrap_or_else(|failed| panic!("{failed}\nhub log:\n{}", world.hub.log()));
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap()
}

/// What every run of a client script must have seen: the open tab as a page, its
/// evaluation, a navigation, a form filled and sent in a new page, a PNG screenshot, and
/// the new page gone after closing it.
fn assert_client_worked(findings: &Value, name: &str) {
    assert!(findings["pagesAtConnect"].as_u64() >= Some(1), "the open tab is a page: {findings}");
    let version = findings["version"].as_str().unwrap_or_default();
    assert!(version.contains('.') && version.chars().any(|c| c.is_ascii_digit()), "Chrome's version: {findings}");
    assert_eq!(findings["evaluated"], 42, "{findings}");
    assert_eq!(findings["gotoTitle"], "Second Page", "{findings}");
    assert_eq!(findings["submitted"].as_str(), Some(format!("name={name};color=red;agree=").as_str()), "{findings}");
    assert_eq!(findings["screenshotPng"], true, "{findings}");
    assert_eq!(findings["pagesAfterClose"], findings["pagesAtConnect"], "the new page is closed: {findings}");
}

/// What Playwright's `page.waitForEvent('download')` gave for a click on the test site's
/// report link: the download with its name and URL, finished without failure. (Its file is
/// in the user's download folder, not in Playwright's: see PROTOCOL.md on downloads.)
fn assert_download_arrived(findings: &Value, world: &World) {
    assert_eq!(findings["downloadName"], "report.csv", "{findings}");
    assert_eq!(findings["downloadUrl"].as_str(), Some(world.site.url("/report.csv").as_str()), "{findings}");
    assert_eq!(findings["downloadFailure"], Value::Null, "the download completed: {findings}");
}

#[tokio::test]
async fn playwright_connects_over_cdp_and_drives_the_users_chrome_twice_in_a_row() {
    let world = World::start().await;
    let first = run_client(&world, "playwright_flow.mjs").await;
    assert_client_worked(&first, "Ada Lovelace");
    assert_download_arrived(&first, &world);
    let second = run_client(&world, "playwright_flow.mjs").await;
    assert_client_worked(&second, "Ada Lovelace");
    assert_download_arrived(&second, &world);
    println!("playwright findings: {first} then {second}");
}

#[tokio::test]
async fn puppeteer_connects_and_drives_the_users_chrome_after_playwright_left() {
    let world = World::start().await;
    let playwright = run_client(&world, "playwright_flow.mjs").await;
    assert_client_worked(&playwright, "Ada Lovelace");
    let puppeteer = run_client(&world, "puppeteer_flow.mjs").await;
    assert_client_worked(&puppeteer, "Grace Hopper");
    println!("puppeteer findings: {puppeteer}");
}
