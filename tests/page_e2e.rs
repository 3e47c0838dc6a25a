//! Real pages never stall the agent, in every mode (the user's Chrome through the real
//! extension, a managed Chromium, a connected one): JavaScript dialogs, evaluating JavaScript. Each case
//! runs on a local page made for it and asserts the page's own result.

use serde_json::{json, Value};
use system_tests::oracle::{Oracle, PlainChromium};
use system_tests::rpc::{ref_of, Driver};
use system_tests::site::Site;
use system_tests::{HubWorld, World};

/// A confirm opened by a click: the click and every later command answer `dialog_open`
/// at once (no 30 s timeout); `page.dialog` answers it and the page sees the answer; a
/// prompt gets its text; under the `dismiss` and `accept` policies the click succeeds and
/// lists the dialog (confirm, alert) it answered; answering with none open is `no_dialog`.
async fn dialogs_never_stall(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/dialogs")})).await;
    let page = d.snapshot().await;
    let (confirm, prompt) = (ref_of(&page, "button \"Confirm\""), ref_of(&page, "button \"Prompt\""));

    let clicked = d.fails("interact.click", json!({"ref": confirm}), "dialog_open").await;
    assert!(clicked["message"].as_str().unwrap().contains("\"Delete the card?\""), "{clicked}");
    let blocked = d.fails("nav.snapshot", json!({}), "dialog_open").await;
    assert!(blocked["message"].as_str().unwrap().contains("a confirm dialog is open"), "{blocked}");
    let answered = d.ok("page.dialog", json!({"action": "accept"})).await;
    assert_eq!(answered["handled"]["type"], "confirm", "{answered}");
    assert_eq!(answered["handled"]["outcome"], "accepted", "{answered}");
    d.wait_text("confirmed").await;

    d.fails("interact.click", json!({"ref": prompt}), "dialog_open").await;
    let answered = d.ok("page.dialog", json!({"action": "accept", "promptText": "Grace"})).await;
    assert_eq!(answered["handled"]["defaultPrompt"], "Ada", "{answered}");
    d.wait_text("name=Grace").await;

    let policy = d.ok("page.dialog", json!({"policy": "dismiss"})).await;
    assert_eq!((policy["policy"].as_str(), &policy["handled"]), (Some("dismiss"), &Value::Null));
    let clicked = d.ok("interact.click", json!({"ref": confirm})).await;
    assert_eq!(clicked["dialogs"][0]["outcome"], "dismissed", "the click lists the dialog it met: {clicked}");
    d.wait_text("cancelled").await;
    let later = d.ok("nav.snapshot", json!({})).await;
    assert!(later.get("dialogs").is_none(), "a handled dialog is listed once: {later}");

    d.ok("page.dialog", json!({"policy": "accept"})).await;
    let alerted = d.ok("interact.click", json!({"ref": ref_of(&page, "button \"Alert\"")})).await;
    assert_eq!(
        (alerted["dialogs"][0]["type"].as_str(), alerted["dialogs"][0]["message"].as_str()),
        (Some("alert"), Some("Saved!"))
    );
    d.wait_text("alert closed").await;

    d.ok("page.dialog", json!({"policy": "report"})).await;
    let none = d.fails("page.dialog", json!({"action": "dismiss"}), "no_dialog").await;
    assert!(none["message"].as_str().unwrap().contains("no JavaScript dialog is open"), "{none}");
}

/// `page.evaluate`: expressions, functions with args, a function on an element by ref,
/// awaited promises, `undefined`, and a throw as `js_error` with message and stack.
async fn evaluate_everywhere(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/dialogs")})).await;
    let title = d.ok("page.evaluate", json!({"expression": "document.title"})).await;
    assert_eq!((title["value"].as_str(), title["type"].as_str()), (Some("Dialogs"), Some("string")));
    let sum = d.ok("page.evaluate", json!({"expression": "(a, b) => a + b", "args": [2, 3]})).await;
    assert_eq!(sum["value"], 5);
    let page = d.snapshot().await;
    let alert = ref_of(&page, "button \"Alert\"");
    let on_element = json!({"expression": "(el, suffix) => el.textContent + suffix", "ref": alert, "args": ["!"]});
    assert_eq!(d.ok("page.evaluate", on_element).await["value"], "Alert!");
    let later = json!({"expression": "new Promise(r => setTimeout(() => r({done: [1, 2]}), 50))"});
    let later = d.ok("page.evaluate", later).await;
    assert_eq!((later["value"]["done"][1].as_u64(), later["type"].as_str()), (Some(2), Some("object")));
    let nothing = d.ok("page.evaluate", json!({"expression": "undefined"})).await;
    assert_eq!((&nothing["value"], nothing["type"].as_str()), (&Value::Null, Some("undefined")));
    let thrown =
        d.fails("page.evaluate", json!({"expression": "(() => { throw new Error('boom') })()"}), "js_error").await;
    let message = thrown["message"].as_str().unwrap();
    assert!(message.contains("Error: boom") && message.contains("    at "), "message and stack: {message}");
    let not_fn = d.fails("page.evaluate", json!({"expression": "1", "ref": alert}), "invalid_param").await;
    assert!(not_fn["message"].as_str().unwrap().contains("must be a function"), "{not_fn}");
}

/// Key chords (Control+A then Backspace empties a field; F2 and Shift+Tab as the page
/// sees them), double and right clicks, a click at coordinates, and a drag that reorders
/// cards; an unknown key is `unknown_key`.
async fn full_input(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/input")})).await;
    let page = d.snapshot().await;
    let field = ref_of(&page, "textbox \"Field\"");
    d.ok("interact.type", json!({"ref": field, "text": "hello world"})).await;
    d.ok("interact.press", json!({"ref": field, "key": "Control+A"})).await;
    d.wait_text("Control+a").await;
    d.ok("interact.press", json!({"ref": field, "key": "Backspace"})).await;
    assert_eq!(d.ok("dom.getValue", json!({"ref": field})).await["value"], "", "Control+A, Backspace emptied it");
    for (key, seen) in [("F2", "F2"), ("Shift+Tab", "Shift+Tab"), ("Alt+Shift+X", "Shift+Alt+X")] {
        d.ok("interact.press", json!({"ref": field, "key": key})).await;
        d.wait_text(seen).await;
    }
    let unknown = d.fails("interact.press", json!({"key": "Control+Hyper"}), "unknown_key").await;
    assert!(unknown["message"].as_str().unwrap().contains("\"Hyper\""), "{unknown}");

    let target = ref_of(&page, "button \"Target\"");
    d.ok("interact.click", json!({"ref": target, "clickCount": 2})).await;
    d.wait_text("dblclick").await;
    d.ok("interact.click", json!({"ref": target, "button": "right"})).await;
    d.wait_text("contextmenu").await;
    d.ok("interact.click", json!({"x": 430, "y": 100})).await;
    d.wait_text("box at 30,60").await;

    let (a, c) = (ref_of(&page, "button \"Card A\""), ref_of(&page, "button \"Card C\""));
    d.ok("interact.drag", json!({"from": a, "to": c})).await;
    d.wait_text("B,C,A").await;
}

/// Check/uncheck verified, many fields filled in one call (text, select by label,
/// checkbox, radio), files uploaded with the page seeing their names and sizes, and the
/// errors for a missing file and for checking something that is not a checkbox.
async fn forms_in_one_call(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/forms")})).await;
    let page = d.snapshot().await;
    let r = |needle: &str| ref_of(&page, needle);
    let agree = r("checkbox \"I agree\"");
    let checked = d.ok("interact.check", json!({"ref": agree})).await;
    assert_eq!((&checked["checked"], &checked["changed"]), (&json!(true), &json!(true)), "{checked}");
    assert!(checked["changes"][0].as_str().unwrap().contains("checkbox \"I agree\" checked"), "{checked}");
    assert_eq!(d.ok("interact.check", json!({"ref": agree})).await["changed"], false, "already checked");
    assert_eq!(d.ok("interact.check", json!({"ref": agree, "checked": false})).await["checked"], false);
    d.fails("interact.check", json!({"ref": r("textbox \"Name\"")}), "check_failed").await;

    let fields = json!([{"ref": r("textbox \"Name\""), "value": "Ada"}, {"ref": r("textbox \"Email\""), "value": "ada@x.test"},
        {"ref": r("combobox \"Plan\""), "value": "Pro plan"}, {"ref": agree, "value": true},
        {"ref": r("radio \"Large\""), "value": true}]);
    assert_eq!(d.ok("interact.fill", json!({"fields": fields})).await["filled"], 5);
    d.ok("interact.click", json!({"ref": r("button \"Save\"")})).await;
    d.wait_text(r#"{"name":"Ada","email":"ada@x.test","plan":"pro","agree":true,"size":"l"}"#).await;

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    std::fs::write(&report, "quarterly!!").unwrap();
    let file = r("\"Report\"");
    let uploaded = d.ok("interact.upload", json!({"ref": file, "files": [report]})).await;
    assert_eq!(uploaded["files"], json!([{"name": "report.txt", "bytes": 11}]));
    d.wait_text("report.txt:11").await;
    let missing = dir.path().join("nope.txt");
    let gone = d.fails("interact.upload", json!({"ref": file, "files": [missing]}), "file_not_found").await;
    assert!(gone["message"].as_str().unwrap().contains("nope.txt"), "{gone}");
}

/// A full-page screenshot covers the whole document (taller than the viewport), and
/// `inline` returns the image bytes too.
async fn full_page_screenshots(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/input")})).await;
    d.ok("page.evaluate", json!({"expression": "document.body.style.height = '3000px'"})).await;
    let view = d.ok("page.screenshot", json!({})).await;
    let full =
        d.ok("page.screenshot", json!({"fullPage": true, "inline": true, "format": "jpeg", "quality": 50})).await;
    assert!(full["height"].as_u64() >= Some(3000), "the whole page: {full}");
    assert!(view["height"].as_u64() < full["height"].as_u64(), "the viewport is smaller: {view}");
    assert!(view.get("data").is_none(), "bytes only when asked for");
    assert!(full["data"].as_str().unwrap().starts_with("/9j/"), "inline JPEG bytes (base64)");
    d.fails("page.screenshot", json!({"fullPage": true, "ref": "r1"}), "invalid_param").await;
}

/// A click on a download link yields the saved file: its path, size and name, and the
/// bytes on disk are the server's.
async fn downloads_arrive_as_files(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/download")})).await;
    let link = ref_of(&d.snapshot().await, "link \"Download report\"");
    let saved = d.ok("page.download", json!({"ref": link})).await;
    assert_eq!(
        (saved["suggestedFilename"].as_str(), saved["bytes"].as_u64()),
        (Some("report.csv"), Some(26)),
        "{saved}"
    );
    let path = saved["path"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(path).unwrap(), system_tests::pages::REPORT_CSV, "{saved}");
    let _ = std::fs::remove_file(path);
    d.ok("nav.goto", json!({"url": site.url("/input")})).await;
    let button = ref_of(&d.snapshot().await, "button \"Target\"");
    let nothing = d.fails("page.download", json!({"ref": button, "timeoutMs": 500}), "download_failed").await;
    assert!(nothing["message"].as_str().unwrap().contains("did not start within 500 ms"), "{nothing}");
}

/// Snapshots and actions leave no trace: no attribute changes (a MutationObserver on the
/// page and in the shadow root counts none), nothing added to `window`; elements in an
/// open shadow root are in the outline and can be typed into and clicked; a ref from a
/// replaced document is stale.
async fn snapshots_leave_no_trace(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/widget")})).await;
    let globals = "Object.keys(window).length";
    let before = d.ok("page.evaluate", json!({"expression": globals})).await["value"].clone();
    let page = d.snapshot().await;
    let (field, button) = (ref_of(&page, "textbox \"Shadow field\""), ref_of(&page, "button \"Shadow button\""));
    d.ok("interact.type", json!({"ref": field, "text": "deep"})).await;
    d.ok("interact.click", json!({"ref": button})).await;
    d.wait_text("shadow clicked:deep").await;
    d.snapshot().await;
    let changes = d.ok("page.evaluate", json!({"expression": "window.attributeChanges"})).await;
    assert_eq!(changes["value"], 0, "no attribute was written into the page");
    let html = d.ok("page.evaluate", json!({"expression": "document.documentElement.outerHTML"})).await;
    assert!(!html["value"].as_str().unwrap().contains("odb-ref"), "no ref attributes");
    assert_eq!(d.ok("page.evaluate", json!({"expression": globals})).await["value"], before, "no new globals");
    d.ok("nav.reload", json!({})).await;
    d.fails("interact.click", json!({"ref": button}), "stale_ref").await;
    let again = d.snapshot().await;
    assert_ne!(ref_of(&again, "button \"Shadow button\""), button, "a new document gets new refs");
}

/// The ref on the first line containing `needle` after the line containing `header`.
fn ref_under(snapshot: &str, header: &str, needle: &str) -> String {
    let rest: String = snapshot.lines().skip_while(|l| !l.contains(header)).collect::<Vec<_>>().join("\n");
    ref_of(&rest, needle)
}

/// Cross-origin iframes are entered and actionable: one on a second loopback port (same
/// site, in the page's process) and one on `localhost` (another site, its own target).
/// Typing and clicking inside each changes that frame's own page.
async fn cross_origin_iframes(d: &Driver<'_>, site: &Site) {
    let other = Site::start().await;
    let port = other.url("").rsplit(':').next().unwrap().to_owned();
    d.ok("nav.goto", json!({"url": site.url(&format!("/crossframe?other={port}")), "waitUntil": "load"})).await;
    let page = d.snapshot().await;
    for (frame, word) in [("Second port", "near"), ("Other site", "far")] {
        let field = ref_under(&page, &format!("iframe \"{frame}\""), "textbox \"Word\"");
        let button = ref_under(&page, &format!("iframe \"{frame}\""), "button \"Inner button\"");
        d.ok("interact.type", json!({"ref": field, "text": word})).await;
        d.ok("interact.click", json!({"ref": button})).await;
    }
    let after = d.snapshot().await;
    for (frame, word) in [("Second port", "near"), ("Other site", "far")] {
        let rest: String = after.lines().skip_while(|l| !l.contains(frame)).take(6).collect::<Vec<_>>().join("\n");
        assert!(rest.contains(&format!("inner clicked:{word}")), "the click inside {frame} reached its page:\n{after}");
    }
}

async fn every_case(d: &Driver<'_>, site: &Site) {
    dialogs_never_stall(d, site).await;
    evaluate_everywhere(d, site).await;
    full_input(d, site).await;
    forms_in_one_call(d, site).await;
    full_page_screenshots(d, site).await;
    downloads_arrive_as_files(d, site).await;
    snapshots_leave_no_trace(d, site).await;
    cross_origin_iframes(d, site).await;
}

#[tokio::test]
async fn real_pages_never_stall_the_agent_in_the_users_chrome() {
    let world = World::start().await;
    let driver = Driver::in_users_chrome(&world.hub).await;
    every_case(&driver, &world.site).await;
}

#[tokio::test]
async fn real_pages_never_stall_the_agent_in_managed_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let driver = Driver::in_managed_chromium(hub, &site.url("/")).await;
    every_case(&driver, site).await;
}

#[tokio::test]
async fn real_pages_never_stall_the_agent_in_a_connected_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let chromium = PlainChromium::launch(&site.url("/")).await;
    let driver = Driver::in_connected_chromium(hub, &chromium).await;
    every_case(&driver, site).await;
    // It was the browser on the DevTools port that went there, and its frames are loaded.
    let mut oracle = Oracle::connect(chromium.devtools_port).await;
    let mut page = oracle.page_starting(&site.url("/crossframe")).await;
    page.eventually("document.querySelectorAll('iframe').length", json!(2)).await;
}
