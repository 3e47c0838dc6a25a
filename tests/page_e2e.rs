//! Real pages never stall the agent, in both modes (the user's Chrome through the real
//! extension, and a managed Chromium): JavaScript dialogs, evaluating JavaScript. Each case
//! runs on a local page made for it and asserts the page's own result.

use serde_json::{json, Value};
use system_tests::hub_process::{HubProcess, CLIENT_ID};
use system_tests::rpc::{ok, ref_of, Driver};
use system_tests::site::Site;
use system_tests::{World, SERIAL};

/// A confirm opened by a click: the click and every later command answer `dialog_open`
/// at once (no 30 s timeout); `page.dialog` answers it and the page sees the answer; a
/// prompt gets its text; under the `dismiss` policy the click succeeds and lists the
/// dialog it dismissed; answering with none open is `no_dialog`.
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

async fn every_case(d: &Driver<'_>, site: &Site) {
    dialogs_never_stall(d, site).await;
    evaluate_everywhere(d, site).await;
}

#[tokio::test]
async fn real_pages_never_stall_the_agent_in_the_users_chrome() {
    let world = World::start(8787).await;
    let hub = &world.hub;
    let bound = hub.rpc("relay.bind", json!({"clientId": CLIENT_ID, "instanceId": "e2e"})).await;
    let binding = bound["data"]["bindingId"].clone();
    let launched = ok(hub, &binding, "session.launch", json!({"mode": "extension"})).await;
    let driver = Driver { hub, binding, session: launched["sessionId"].clone() };
    every_case(&driver, &world.site).await;
}

#[tokio::test]
async fn real_pages_never_stall_the_agent_in_managed_chromium() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let hub = HubProcess::start(dirs.path(), 8787).await;
    let launched =
        ok(&hub, &Value::Null, "session.launch", json!({"mode": "managed", "startUrl": site.url("/")})).await;
    let driver = Driver { hub: &hub, binding: Value::Null, session: launched["sessionId"].clone() };
    every_case(&driver, &site).await;
}
