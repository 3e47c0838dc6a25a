//! Observation tools in every mode (the user's Chrome through the real extension, a
//! managed Chromium, a connected one), each checked against what the local page itself did or sees: an
//! API call's headers, timing and body; console entries with source and stack; cookies
//! and web storage read, set and cleared; viewport, device and offline emulation seen by
//! the page; and a PDF (both browsers here are headless, so both print; a headed Chrome
//! answers `not_supported`, which `presentation.rs` unit-tests).

use serde_json::{json, Value};
use system_tests::oracle::{Oracle, PlainChromium};
use system_tests::rpc::{ok, Driver};
use system_tests::site::Site;
use system_tests::{HubWorld, World};

async fn eval(d: &Driver<'_>, expression: &str) -> Value {
    d.ok("page.evaluate", json!({"expression": expression})).await["value"].clone()
}

/// The `/api/echo` call: filtered out of the rest, request and response headers, the
/// request body, timing and duration, and its response body (whole, cut, unknown id).
async fn network_entries(d: &Driver<'_>) {
    let only_echo = json!({"urlPattern": "*/api/echo", "resourceType": "fetch", "max": 100});
    let entries = d.ok("devtools.networkPoll", only_echo).await["events"].as_array().unwrap().clone();
    assert!(entries.iter().all(|e| e["url"].as_str().unwrap().ends_with("/api/echo")), "filtered: {entries:?}");
    let find = |event: &str| {
        entries.iter().find(|e| e["event"] == event).cloned().unwrap_or_else(|| panic!("{event}: {entries:?}"))
    };
    let (request, response, finished) = (find("request"), find("response"), find("finished"));
    assert_eq!(
        (request["method"].as_str(), request["requestHeaders"]["X-Client"].as_str()),
        (Some("POST"), Some("e2e"))
    );
    assert_eq!(request["postData"], r#"{"ask":"hello"}"#);
    assert_eq!((response["status"].as_u64(), response["mimeType"].as_str()), (Some(200), Some("application/json")));
    assert_eq!(response["responseHeaders"]["x-server"], "odb-site", "{response}");
    assert!(response["timing"]["headersMs"].as_f64().is_some(), "timing: {response}");
    assert!(finished["durationMs"].as_u64().is_some() && finished["encodedBytes"].as_u64() > Some(200), "{finished}");
    let documents = d.ok("devtools.networkPoll", json!({"resourceType": "Document", "max": 100})).await;
    assert!(documents["events"].as_array().unwrap().iter().all(|e| e["resourceType"] == "Document"), "{documents}");

    let id = request["requestId"].clone();
    let body = d.ok("devtools.networkBody", json!({"requestId": id})).await;
    let echoed: Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    assert_eq!((echoed["client"].as_str(), echoed["got"].as_str()), (Some("e2e"), Some(r#"{"ask":"hello"}"#)));
    assert_eq!((body["base64Encoded"].as_bool(), body["truncated"].as_bool()), (Some(false), Some(false)));
    let cut = d.ok("devtools.networkBody", json!({"requestId": id, "maxBytes": 10})).await;
    assert_eq!((cut["body"].as_str().map(str::len), cut["truncated"].as_bool()), (Some(10), Some(true)), "{cut}");
    assert_eq!(cut["bytes"], body["bytes"]);
    d.fails("devtools.networkBody", json!({"requestId": "no-such"}), "no_response_body").await;
}

/// A warning logged from a named function and a later uncaught throw, with where they
/// happened in `/observe.js` and the warning's stack.
async fn console_entries(d: &Driver<'_>) {
    let entries = system_tests::wait_for("the late throw in the console log", || async {
        let got = d.ok("devtools.consolePoll", json!({"max": 100})).await["events"].as_array().unwrap().clone();
        got.iter().any(|e| e["text"].as_str().unwrap_or("").contains("late boom")).then_some(got)
    })
    .await;
    let warn = entries.iter().find(|e| e["text"] == "observe warn 7").unwrap_or_else(|| panic!("{entries:?}"));
    assert_eq!(warn["level"], "warning");
    assert!(warn["source"]["url"].as_str().unwrap().ends_with("/observe.js"), "{warn}");
    assert_eq!((warn["source"]["line"].as_u64(), warn["source"]["column"].as_u64()), (Some(3), Some(11)), "{warn}");
    assert!(warn["stack"][0].as_str().unwrap().starts_with("warnNow ("), "{warn}");
    assert!(warn["stack"][1].as_str().unwrap().ends_with("/observe.js:5:1)"), "{warn}");
    let thrown = entries.iter().find(|e| e["text"].as_str().unwrap_or("").contains("late boom")).unwrap();
    assert_eq!((thrown["level"].as_str(), thrown["source"]["line"].as_u64()), (Some("error"), Some(6)), "{thrown}");
}

/// Cookies from a Set-Cookie header and from `document.cookie`; set, delete, clear, each
/// seen by the page.
async fn cookies(d: &Driver<'_>) {
    let jar = d.ok("storage.cookies", json!({})).await;
    let value = |jar: &Value, name: &str| {
        jar["cookies"].as_array().unwrap().iter().find(|c| c["name"] == name).map(|c| c["value"].clone())
    };
    assert_eq!((value(&jar, "session"), value(&jar, "seen")), (Some(json!("abc")), Some(json!("yes"))), "{jar}");
    let set = d.ok("storage.cookies", json!({"action": "set", "name": "flavor", "value": "oat"})).await;
    assert_eq!(value(&set, "flavor"), Some(json!("oat")));
    assert!(eval(d, "document.cookie").await.as_str().unwrap().contains("flavor=oat"));
    let deleted = d.ok("storage.cookies", json!({"action": "delete", "name": "seen"})).await;
    assert_eq!(value(&deleted, "seen"), None);
    assert!(!eval(d, "document.cookie").await.as_str().unwrap().contains("seen="));
    let cleared = d.ok("storage.cookies", json!({"action": "clear"})).await;
    assert_eq!(cleared["cookies"], json!([]));
    assert_eq!(eval(d, "document.cookie").await, "");
    d.fails("storage.cookies", json!({"action": "delete"}), "invalid_param").await;
}

/// localStorage the page wrote, set and removed by the agent; sessionStorage; clear.
async fn web_storage(d: &Driver<'_>) {
    let local = d.ok("storage.items", json!({})).await;
    assert_eq!((local["area"].as_str(), &local["items"]["theme"]), (Some("local"), &json!("dark")), "{local}");
    assert!(local["origin"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    d.ok("storage.items", json!({"action": "set", "key": "lang", "value": "en"})).await;
    assert_eq!(eval(d, "localStorage.getItem('lang')").await, "en");
    let removed = d.ok("storage.items", json!({"action": "remove", "key": "theme"})).await;
    assert_eq!(removed["items"], json!({"lang": "en"}));
    d.ok("storage.items", json!({"area": "session", "action": "set", "key": "step", "value": "2"})).await;
    assert_eq!(eval(d, "sessionStorage.getItem('step')").await, "2");
    assert_eq!(d.ok("storage.items", json!({"action": "clear"})).await["items"], json!({}));
    assert_eq!(eval(d, "localStorage.length").await, 0);
    assert_eq!(eval(d, "sessionStorage.length").await, 1, "clearing local leaves session alone");
}

/// A viewport, a device and offline mode, each as the page sees it; then back to normal.
async fn emulation(d: &Driver<'_>) {
    let before = eval(d, "innerWidth").await;
    let sized = d.ok("page.emulate", json!({"width": 500, "height": 700})).await;
    assert_eq!((sized["width"].as_u64(), sized["height"].as_u64()), (Some(500), Some(700)), "{sized}");
    assert_eq!(eval(d, "innerWidth").await, 500);
    let phone = d.ok("page.emulate", json!({"device": "iPhone 15"})).await;
    // A page without a viewport meta tag lays out 980 px wide on a phone, as on a real one.
    assert_eq!((phone["width"].as_u64(), phone["deviceScaleFactor"].as_f64()), (Some(980), Some(3.0)), "{phone}");
    assert_eq!((eval(d, "screen.width").await, &phone["touch"]), (json!(393), &json!(true)));
    assert!(eval(d, "navigator.userAgent").await.as_str().unwrap().contains("iPhone"));
    let offline = d.ok("page.emulate", json!({"offline": true})).await;
    assert_eq!(offline["offline"], true);
    let fetch = "fetch('/api/echo', {method: 'POST', body: '{}'}).then(() => 'online', () => 'offline')";
    assert_eq!(eval(d, fetch).await, "offline");
    d.ok("page.emulate", json!({"offline": false})).await;
    assert_eq!(eval(d, fetch).await, "online");
    let back = d.ok("page.emulate", json!({"reset": true})).await;
    assert_eq!((&json!(back["width"]), back["touch"].as_bool()), (&before, Some(false)), "{back}");
    assert!(!back["userAgent"].as_str().unwrap().contains("iPhone"));
    d.fails("page.emulate", json!({"device": "Nokia 3310"}), "invalid_param").await;
}

/// The page as a PDF file (and inline bytes).
async fn pdf(d: &Driver<'_>) {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("page.pdf");
    let pdf = d.ok("page.pdf", json!({"path": path, "inline": true})).await;
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF file");
    let inline = pdf["data"].as_str().map(|d| d.starts_with("JVBERi")); // base64 of "%PDF"
    assert_eq!((pdf["bytes"].as_u64(), inline), (Some(bytes.len() as u64), Some(true)));
}

async fn every_case(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/observe")})).await;
    d.wait_text("echo done e2e").await;
    network_entries(d).await;
    console_entries(d).await;
    cookies(d).await;
    web_storage(d).await;
    emulation(d).await;
    pdf(d).await;
}

#[tokio::test]
async fn observation_tools_work_in_the_users_chrome() {
    let world = World::start().await;
    let driver = Driver::in_users_chrome(&world.hub).await;
    every_case(&driver, &world.site).await;
}

#[tokio::test]
async fn observation_tools_work_in_managed_chromium_found_by_chrome_path() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let bad = json!({"mode": "managed", "chromePath": "/no/such/chrome"});
    let refused = system_tests::rpc::fails(hub, &Value::Null, "session.launch", bad, "launch_failed").await;
    assert!(refused["message"].as_str().unwrap().contains("/no/such/chrome"), "{refused}");
    let chromium = system_tests::browser::chromium().display().to_string();
    let launch = json!({"mode": "managed", "startUrl": site.url("/"), "chromePath": chromium});
    let launched = ok(hub, &Value::Null, "session.launch", launch).await;
    let driver = Driver { hub, binding: Value::Null, session: launched["sessionId"].clone() };
    every_case(&driver, site).await;
}

#[tokio::test]
async fn observation_tools_work_in_a_connected_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let chromium = PlainChromium::launch(&site.url("/")).await;
    let driver = Driver::in_connected_chromium(hub, &chromium).await;
    every_case(&driver, site).await;
    // The storage of the browser on the DevTools port is as the agent left it.
    let mut oracle = Oracle::connect(chromium.devtools_port).await;
    // Cleared (`flavor` and `seen` gone); only the later online `/api/echo` set one again.
    let jar = oracle.cookies(&site.url("/observe")).await;
    let names: Vec<&str> = jar.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["session"], "{jar:?}");
    let mut page = oracle.page(&site.url("/observe")).await;
    assert_eq!(page.eval("[localStorage.length, sessionStorage.getItem('step')]").await, json!([0, "2"]));
    assert_eq!(page.eval("navigator.userAgent.includes('iPhone')").await, false, "emulation was reset");
}
