//! Request rules (`network.route`) in the user's Chrome, a managed and a connected
//! Chromium: a blocked script does not run, a mocked API answers the page with the mock, a
//! header rule reaches the server, each rule counts its hits, and removing the rules lets
//! everything through again. What was sent is read from the server (`Recorder`), which also
//! proves what never left the browser. And a HAR recording (`devtools.harStart` /
//! `harStop`) that a HAR library we did not write (har-validator) reads, listing every
//! request the server got.

use serde_json::{json, Value};
use std::path::Path;
use system_tests::recorder::Recorder;
use system_tests::rpc::Driver;
use system_tests::{node_client, HubWorld, World};

/// `/net` loads `/app.js` (which reports that it ran), fetches `/api/data` and reports what
/// it got, and calls `/api/echo`.
fn pages(path: &str) -> String {
    if path.starts_with("/app.js") {
        return "fetch('/report?app-ran=yes');".to_owned();
    }
    if path.starts_with("/api/data") {
        return "real data".to_owned();
    }
    r#"<title>Net</title><script src="/app.js"></script><script>
fetch('/api/data').then(r => r.text()).then(t => fetch('/report?data=' + encodeURIComponent(t)))
  .then(() => fetch('/api/echo'));
</script>"#
        .to_owned()
}

async fn rules_shape_what_the_page_gets(d: &Driver<'_>) {
    let server = Recorder::start(pages).await;
    d.ok("network.route", json!({"urlPattern": "*/app.js", "action": "block", "resourceTypes": ["Script"]})).await;
    let mock = json!({"urlPattern": r"/api/data$", "regex": true, "action": "mock", "status": 200,
        "headers": {"content-type": "text/plain", "access-control-allow-origin": "*"}, "body": "mocked data"});
    d.ok("network.route", mock).await;
    let added = d
        .ok(
            "network.route",
            json!({"urlPattern": "*/api/echo", "action": "headers",
        "headers": {"X-Team": "odb"}}),
        )
        .await;
    assert_eq!((added["ruleId"].as_str(), added["rules"].as_u64()), (Some("rule-3"), Some(3)), "{added}");

    d.ok("nav.goto", json!({"url": server.url("/net")})).await;
    server.wait_for("/report?data=mocked%20data").await;
    let echo = server.wait_for("/api/echo").await;
    assert!(echo.to_ascii_lowercase().contains("x-team: odb"), "the header rule reached the server: {echo}");
    assert!(!server.saw("/app.js") && !server.saw("/api/data"), "blocked and mocked never left: {:?}", server.heads());
    assert!(!server.saw("app-ran"), "the blocked script did not run");
    let listed = d.ok("network.routes", json!({})).await;
    let hits: Vec<u64> = listed["rules"].as_array().unwrap().iter().map(|r| r["hits"].as_u64().unwrap()).collect();
    assert_eq!(hits, [1, 1, 1], "{listed}");

    // Without rules everything goes to the server again.
    d.fails("network.unroute", json!({"ruleId": "rule-9"}), "unknown_rule").await;
    assert_eq!(d.ok("network.unroute", json!({})).await["removed"], 3);
    d.ok("nav.goto", json!({"url": server.url("/net?again")})).await;
    server.wait_for("/report?app-ran=yes").await;
    server.wait_for("/report?data=real%20data").await;
    d.fails("network.route", json!({"urlPattern": "(", "regex": true, "action": "block"}), "invalid_param").await;
    d.fails("network.route", json!({"urlPattern": "*", "action": "headers"}), "invalid_param").await;
}

/// har_check.mjs's findings on `file` (failing the test unless har-validator accepts it).
async fn read_with_har_validator(file: &Path) -> Value {
    let stdout =
        node_client("har_check.mjs", [file]).await.unwrap_or_else(|refused| panic!("har-validator: {refused}"));
    serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap()
}

async fn the_har_file_lists_every_request(d: &Driver<'_>, dir: &Path) {
    let server = Recorder::start(pages).await;
    d.ok("devtools.harStart", json!({})).await;
    d.ok("nav.goto", json!({"url": server.url("/net?har")})).await;
    server.wait_for("/api/echo").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // its loading ends
    let file = dir.join("net.har");
    let saved = d.ok("devtools.harStop", json!({"path": file})).await;
    assert_eq!(opendevbrowser_api::files::file_mode(&file).unwrap(), 0o600, "headers carry cookies");
    let read = read_with_har_validator(&file).await;
    assert_eq!((read["valid"].as_bool(), read["timed"].as_bool()), (Some(true), Some(true)), "{read}");
    assert_eq!(read["entries"], saved["entries"], "{read} {saved}");
    assert!(read["pages"].as_u64() >= Some(1) && read["bodies"].as_u64() >= Some(1), "{read}");
    let urls: Vec<&str> = read["urls"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for head in server.heads() {
        let path = head.split_whitespace().nth(1).unwrap_or_default();
        if path != "/favicon.ico" {
            assert!(urls.contains(&server.url(path).as_str()), "{path} is not in the HAR: {urls:?}");
        }
    }
    d.fails("devtools.harStop", json!({"path": file}), "not_recording").await;
}

#[tokio::test]
async fn request_rules_and_har_in_the_users_chrome() {
    let world = World::start().await;
    let d = Driver::in_users_chrome(&world.hub).await;
    rules_shape_what_the_page_gets(&d).await;
    the_har_file_lists_every_request(&d, world.dirs.path()).await;
}

#[tokio::test]
async fn request_rules_and_har_in_managed_chromium() {
    let HubWorld { hub, dirs, .. } = &HubWorld::without_extension().await;
    let d = Driver::in_managed_chromium(hub, "about:blank").await;
    rules_shape_what_the_page_gets(&d).await;
    the_har_file_lists_every_request(&d, dirs.path()).await;
}

#[tokio::test]
async fn request_rules_and_har_in_a_connected_chromium() {
    let HubWorld { hub, dirs, .. } = &HubWorld::without_extension().await;
    let chromium = system_tests::oracle::PlainChromium::launch("about:blank").await;
    let d = Driver::in_connected_chromium(hub, &chromium).await;
    rules_shape_what_the_page_gets(&d).await;
    the_har_file_lists_every_request(&d, dirs.path()).await;
}
