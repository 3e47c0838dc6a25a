//! Browser commands through the hub on a local multi-page site, in every mode: through the
//! real extension in headless Chromium, in a Chromium the hub launches itself, and in one
//! it attaches to by its DevTools port (`session.connect`).

use serde_json::{json, Value};
use system_tests::hub_process::{HubProcess, CLIENT_ID};
use system_tests::oracle::{Oracle, PlainChromium};
use system_tests::rpc::{cmd, in_session, ok, ref_of, Driver};
use system_tests::site::Site;
use system_tests::{HubWorld, World};

/// Fills and submits the form, and checks every command really changed the page.
async fn drive_the_site(hub: &HubProcess, binding: &Value, session: &Value, site: &Site) {
    let s = |extra: Value| in_session(session, extra);
    let nav = ok(hub, binding, "nav.goto", s(json!({"url": site.url("/form"), "waitUntil": "load"}))).await;
    assert_eq!((nav["finalUrl"].as_str(), nav["title"].as_str()), (Some(site.url("/form").as_str()), Some("Form")));
    assert_eq!(nav["status"], 200, "{nav}");

    let snap = ok(hub, binding, "nav.snapshot", s(json!({}))).await;
    let content = snap["content"].as_str().unwrap().to_owned();
    assert!(content.contains("heading \"Sign up\""), "{content}");
    assert!(!content.contains("Hidden"), "hidden elements are left out:\n{content}");
    let (name, color, agree, send) = (
        ref_of(&content, "textbox \"Name\""),
        ref_of(&content, "combobox \"Color\""),
        ref_of(&content, "checkbox \"I agree\""),
        ref_of(&content, "button \"Send\""),
    );
    let paged = ok(hub, binding, "nav.snapshot", s(json!({"maxChars": 100}))).await;
    assert_eq!(paged["truncated"], true);
    let rest = ok(hub, binding, "nav.snapshot", s(json!({"maxChars": 100000, "cursor": paged["nextCursor"]}))).await;
    assert_eq!(format!("{}\n{}", paged["content"].as_str().unwrap(), rest["content"].as_str().unwrap()), content);

    ok(hub, binding, "interact.type", s(json!({"ref": name, "text": "Ada", "clear": true}))).await;
    assert_eq!(ok(hub, binding, "dom.getValue", s(json!({"ref": name}))).await["value"], "Ada");
    ok(hub, binding, "interact.select", s(json!({"ref": color, "values": ["blue"]}))).await;
    assert_eq!(ok(hub, binding, "dom.getValue", s(json!({"ref": color}))).await["value"], "blue");
    ok(hub, binding, "interact.click", s(json!({"ref": agree}))).await;
    assert_eq!(ok(hub, binding, "dom.isChecked", s(json!({"ref": agree}))).await["value"], true);
    assert_eq!(ok(hub, binding, "dom.isVisible", s(json!({"ref": send}))).await["value"], true);
    assert_eq!(ok(hub, binding, "dom.getText", s(json!({"ref": send}))).await["text"], "Send");
    ok(hub, binding, "interact.hover", s(json!({"ref": send}))).await;

    let page_shot = ok(hub, binding, "page.screenshot", s(json!({}))).await;
    let viewport = ok(hub, binding, "session.status", s(json!({}))).await;
    assert_eq!(viewport["url"], site.url("/form"));
    let png = std::fs::read(page_shot["path"].as_str().unwrap()).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a real PNG file");
    let button_shot = ok(hub, binding, "page.screenshot", s(json!({"ref": send}))).await;
    assert_eq!((button_shot["width"].as_u64(), button_shot["height"].as_u64()), (Some(120), Some(40)), "{button_shot}");

    ok(hub, binding, "interact.click", s(json!({"ref": send}))).await;
    ok(hub, binding, "nav.wait", s(json!({"text": "name=Ada;color=blue;agree=yes", "timeoutMs": 10000}))).await;
    let status = ok(hub, binding, "session.status", s(json!({}))).await;
    assert!(status["url"].as_str().unwrap().contains("/result?name=Ada"), "{status}");

    let stale = cmd(hub, binding, "interact.click", s(json!({"ref": name}))).await;
    assert_eq!(stale["error"]["code"], "stale_ref", "{stale}");
    let unknown = cmd(hub, binding, "interact.click", s(json!({"ref": "r9999"}))).await;
    assert_eq!(unknown["error"]["code"], "unknown_ref", "{unknown}");

    let console = ok(hub, binding, "devtools.consolePoll", s(json!({}))).await;
    assert!(console["events"].as_array().unwrap().iter().any(|e| e["text"] == "form ready"), "{console}");
    let network = ok(hub, binding, "devtools.networkPoll", s(json!({"max": 1000}))).await;
    assert!(
        network["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["url"].as_str().unwrap_or("").contains("/result?name=Ada")),
        "{network}"
    );
    let later = ok(hub, binding, "devtools.consolePoll", s(json!({"sinceSeq": console["nextSeq"]}))).await;
    assert!(later["events"].as_array().unwrap().iter().all(|e| e["seq"].as_u64() > console["nextSeq"].as_u64()));
    let perf = ok(hub, binding, "devtools.perf", s(json!({}))).await;
    assert!(perf["metrics"].as_array().unwrap().iter().any(|m| m["name"] == "Nodes"), "{perf}");

    let first = ok(hub, binding, "targets.list", s(json!({}))).await["activeTargetId"].clone();
    let created = ok(hub, binding, "targets.new", s(json!({"url": site.url("/second")}))).await;
    let listed = ok(hub, binding, "targets.list", s(json!({}))).await;
    assert!(listed["targets"].as_array().unwrap().len() >= 2, "{listed}");
    ok(hub, binding, "nav.wait", s(json!({"text": "Second", "timeoutMs": 10000}))).await;
    let used = ok(hub, binding, "targets.use", s(json!({"targetId": first}))).await;
    assert!(used["url"].as_str().unwrap().contains("/result"), "{used}");
    ok(hub, binding, "targets.close", s(json!({"targetId": created["targetId"]}))).await;
    let docs = ok(hub, binding, "page.open", s(json!({"name": "docs", "url": site.url("/")}))).await;
    assert_eq!(docs["created"], true);
    let pages = ok(hub, binding, "page.list", s(json!({}))).await;
    assert_eq!(pages["pages"][0]["name"], "docs");
    ok(hub, binding, "page.close", s(json!({"name": "docs"}))).await;
    let gone = cmd(hub, binding, "page.close", s(json!({"name": "docs"}))).await;
    assert_eq!(gone["error"]["code"], "unknown_page");
    let back = ok(hub, binding, "targets.list", s(json!({}))).await;
    assert_eq!(back["activeTargetId"], first, "closing the active page returns to the one used before: {back}");
    assert!(back["targets"].as_array().unwrap().iter().all(|t| t["targetId"] != docs["targetId"]), "{back}");

    drive_a_same_origin_iframe(hub, binding, session, site).await;
    walk_the_history(hub, binding, session, site).await;

    let idle = ok(hub, binding, "nav.goto", s(json!({"url": site.url("/late"), "waitUntil": "networkidle"}))).await;
    let late = ok(hub, binding, "nav.snapshot", s(json!({}))).await;
    assert!(
        late["content"].as_str().unwrap().contains("text: late data"),
        "networkidle waited for the page's own 1.5 s fetch: {idle} {late}"
    );

    let timeout = cmd(hub, binding, "nav.goto", s(json!({"url": site.url("/slow"), "timeoutMs": 500}))).await;
    assert_eq!(timeout["error"]["code"], "navigation_timeout", "{timeout}");
    assert!(timeout["error"]["message"].as_str().unwrap().contains("within 500 ms"));
}

/// `nav.back` / `nav.forward` move through the tab's real history, `nav.reload` loads the
/// page again (one more document request in the network log), and the end of the history
/// is `no_history`.
async fn walk_the_history(hub: &HubProcess, binding: &Value, session: &Value, site: &Site) {
    let s = |extra: Value| in_session(session, extra);
    ok(hub, binding, "nav.goto", s(json!({"url": site.url("/")}))).await;
    ok(hub, binding, "nav.goto", s(json!({"url": site.url("/second")}))).await;
    let back = ok(hub, binding, "nav.back", s(json!({}))).await;
    assert_eq!(back["finalUrl"], site.url("/"), "{back}");
    let forward = ok(hub, binding, "nav.forward", s(json!({"waitUntil": "domcontentloaded"}))).await;
    assert_eq!(forward["finalUrl"], site.url("/second"), "{forward}");
    let mark = ok(hub, binding, "devtools.networkPoll", s(json!({"max": 1000}))).await["nextSeq"].clone();
    let reloaded = ok(hub, binding, "nav.reload", s(json!({}))).await;
    assert_eq!(reloaded["finalUrl"], site.url("/second"), "{reloaded}");
    let since = ok(hub, binding, "devtools.networkPoll", s(json!({"sinceSeq": mark, "max": 1000}))).await;
    let url = site.url("/second");
    let loads = since["events"].as_array().unwrap().iter().filter(|e| e["event"] == "request" && e["url"] == url);
    assert_eq!(loads.count(), 1, "the reload fetched the page again: {since}");
    let end = cmd(hub, binding, "nav.forward", s(json!({}))).await;
    assert_eq!(end["error"]["code"], "no_history", "{end}");
}

/// Refs reach into a same-origin iframe (typing, clicking at translated coordinates, element
/// screenshots); a cross-origin (data:) iframe is entered through the browser too.
async fn drive_a_same_origin_iframe(hub: &HubProcess, binding: &Value, session: &Value, site: &Site) {
    let s = |extra: Value| in_session(session, extra);
    ok(hub, binding, "nav.goto", s(json!({"url": site.url("/framed"), "waitUntil": "load"}))).await;
    let snap = ok(hub, binding, "nav.snapshot", s(json!({}))).await;
    let content = snap["content"].as_str().unwrap().to_owned();
    assert!(content.contains("iframe \"Inner frame\""), "{content}");
    assert!(content.contains("iframe \"Elsewhere\"\n  text: elsewhere"), "entered: {content}");
    let (word, button) = (ref_of(&content, "textbox \"Word\""), ref_of(&content, "button \"Inner button\""));
    ok(hub, binding, "interact.type", s(json!({"ref": word, "text": "hello"}))).await;
    assert_eq!(ok(hub, binding, "dom.getValue", s(json!({"ref": word}))).await["value"], "hello");
    ok(hub, binding, "interact.click", s(json!({"ref": button}))).await;
    ok(hub, binding, "nav.wait", s(json!({"text": "inner clicked:hello", "timeoutMs": 10000}))).await;
    let shot = ok(hub, binding, "page.screenshot", s(json!({"ref": button}))).await;
    assert_eq!((shot["width"].as_u64(), shot["height"].as_u64()), (Some(100), Some(30)), "{shot}");
}

#[tokio::test]
async fn browser_commands_drive_a_real_page_through_the_extension() {
    let world = World::start().await;
    let (hub, browser, site) = (&world.hub, &world.browser, &world.site);
    let bound = hub.rpc("relay.bind", json!({"clientId": CLIENT_ID, "instanceId": "e2e"})).await;
    let binding = bound["data"]["bindingId"].clone();
    let unbound = cmd(hub, &Value::Null, "session.launch", json!({"mode": "extension"})).await;
    assert_eq!(unbound["error"]["code"], "binding_required", "extension sessions honour the binding");
    let launched = ok(hub, &binding, "session.launch", json!({"mode": "extension"})).await;
    assert_eq!(launched["mode"], "extension");
    drive_the_site(hub, &binding, &launched["sessionId"], site).await;
    assert!(browser.attached_tabs().await >= 1);
    let released = ok(hub, &binding, "session.disconnect", json!({"sessionId": launched["sessionId"]})).await;
    assert_eq!(released["bindingReleased"], true);
    let detached = system_tests::wait_for("the extension to detach every tab", || async {
        (browser.attached_tabs().await == 0).then_some(())
    });
    detached.await;
}

#[tokio::test]
async fn browser_commands_drive_a_real_page_in_managed_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let launched = ok(
        hub,
        &Value::Null,
        "session.launch",
        json!({"mode": "managed", "headless": true, "startUrl": site.url("/")}),
    )
    .await;
    assert_eq!(launched["mode"], "managed");
    let session = launched["sessionId"].clone();
    let other = hub.rpc("nav.snapshot", json!({"clientId": "someone-else", "sessionId": session})).await;
    assert_eq!(other["error"]["code"], "session_not_owned");
    drive_the_site(hub, &Value::Null, &session, site).await;
    ok(hub, &Value::Null, "session.disconnect", json!({"sessionId": session})).await;
    let after = cmd(hub, &Value::Null, "session.status", json!({"sessionId": session})).await;
    assert_eq!(after["error"]["code"], "unknown_session");
}

#[tokio::test]
async fn browser_commands_drive_a_real_page_in_a_connected_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let mut chromium = PlainChromium::launch(&site.url("/")).await;
    let driver = Driver::in_connected_chromium(hub, &chromium).await;
    let mut oracle = Oracle::connect(chromium.devtools_port).await;
    drive_the_site(hub, &Value::Null, &driver.session, site).await;
    // The tabs it opened and closed were the browser's own: one page is left, on the site.
    let pages = oracle.page_urls().await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(pages[0].starts_with(&site.url("/")), "{pages:?}");
    driver.ok("session.disconnect", json!({})).await;
    let after = cmd(hub, &Value::Null, "session.status", json!({"sessionId": driver.session})).await;
    assert_eq!(after["error"]["code"], "unknown_session");
    assert!(!chromium.exited(), "disconnecting leaves the browser running");
}
