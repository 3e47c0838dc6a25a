//! Typing is a person's typing and clicks settle on events, in every mode (the user's
//! Chrome through the real extension, a managed Chromium, a connected one): each case runs on a local
//! page made for it (`system_tests::input_pages`) and asserts what the page itself saw.
//! Speed is measured by the bench, not here: no time bound below is tighter than 1 s.

use serde_json::{json, Value};
use system_tests::oracle::{Oracle, PlainChromium};
use system_tests::rpc::Driver;
use system_tests::site::Site;
use system_tests::{HubWorld, World};

/// The ref on the first snapshot line naming `role "name"`: `[r12]` or `[ref=r12]`
/// anywhere on the line (the snapshot's layout may change; the role and name stay).
fn ref_named(snapshot: &str, role: &str, name: &str) -> String {
    let needle = format!("{role} \"{name}\"");
    let line = snapshot
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{snapshot}"));
    line.split('[')
        .filter_map(|part| part.split(']').next())
        .map(|inside| inside.trim_start_matches("ref="))
        .find(|r| r.len() > 1 && r.starts_with('r') && r[1..].chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no ref on the line {line:?}"))
        .to_owned()
}

/// Evaluates `expression` in the page; its value.
async fn page(d: &Driver<'_>, expression: &str) -> Value {
    d.ok("page.evaluate", json!({"expression": expression})).await["value"].clone()
}

/// Typing sends each character's key events (so "héllo 7!" is 8 key downs, key presses,
/// inputs and key ups, and the field holds it exactly); `insert` puts the text in without
/// any key event; a line break is Enter (a new line in a text area, a submitted form in
/// a one-line field); a contenteditable takes text; a terminal that reads only keydown
/// (xterm's hidden text area) gets every key; a button is `not_editable`, naming its role.
/// Nothing is added to `window` by typing and clicking.
async fn typing_is_a_persons_typing(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/typing")})).await;
    let globals = page(d, "Object.keys(window).length").await;
    let snap = d.snapshot().await;
    let field = ref_named(&snap, "textbox", "Counted");
    d.ok("interact.type", json!({"ref": field, "text": "héllo 7!"})).await;
    assert_eq!(d.ok("dom.getValue", json!({"ref": field})).await["value"], "héllo 7!");
    let seen = page(d, "document.getElementById('out').textContent").await;
    assert_eq!(seen, "keydown=8 keypress=8 beforeinput=8 input=8 keyup=8", "one key press per character");
    d.ok("interact.click", json!({"ref": ref_named(&snap, "button", "Plain button")})).await;
    assert_eq!(page(d, "Object.keys(window).length").await, globals, "typing and clicking added nothing to window");

    d.ok("nav.goto", json!({"url": site.url("/typing")})).await;
    let snap = d.snapshot().await;
    let field = ref_named(&snap, "textbox", "Counted");
    d.ok("interact.type", json!({"ref": field, "text": "héllo 7!", "insert": true})).await;
    assert_eq!(d.ok("dom.getValue", json!({"ref": field})).await["value"], "héllo 7!");
    let seen = page(d, "document.getElementById('out').textContent").await;
    assert!(seen.as_str().unwrap().starts_with("keydown=0 keypress=0"), "insert sends no key: {seen}");

    let notes = ref_named(&snap, "textbox", "Notes");
    d.ok("interact.type", json!({"ref": notes, "text": "line one\nline two"})).await;
    assert_eq!(d.ok("dom.getValue", json!({"ref": notes})).await["value"], "line one\nline two");

    let editor = ref_named(&snap, "textbox", "Editor");
    d.ok("interact.type", json!({"ref": editor, "text": "rich text"})).await;
    assert_eq!(page(d, "document.getElementById('editor').textContent").await, "rich text");

    let terminal = ref_named(&snap, "textbox", "Terminal input");
    d.ok("interact.type", json!({"ref": terminal, "text": "ls -la é\n"})).await;
    assert_eq!(page(d, "document.getElementById('shown').textContent").await, "$ ls -la é\n$ ");
    assert_eq!(d.ok("dom.getValue", json!({"ref": terminal})).await["value"], "", "the terminal took every key");

    let button = ref_named(&snap, "button", "Plain button");
    let refused = d.fails("interact.type", json!({"ref": button, "text": "x"}), "not_editable").await;
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains(&format!("ref {button} is a button, which cannot take text")), "{message}");

    let search = ref_named(&snap, "textbox", "Search");
    d.ok("interact.type", json!({"ref": search, "text": "rust\n"})).await;
    assert_eq!(page(d, "location.pathname").await, "/result", "Enter in a one-line field submitted its form");
    d.wait_text("name=rust;").await;

    d.ok("nav.goto", json!({"url": site.url("/typing")})).await;
    let search = ref_named(&d.snapshot().await, "textbox", "Search");
    d.ok("interact.type", json!({"ref": search, "text": "crab", "submit": true})).await;
    assert_eq!(page(d, "location.pathname").await, "/result", "submit waits until the form's page committed");
    d.wait_text("name=crab;").await;
}

/// A click answers as soon as what it caused is known: a link's navigation has committed
/// when the click answers (`navigated`), a slow page is not waited for, a click that
/// changes nothing answers at once, one that keeps changing the DOM answers once it is
/// quiet, a history push is a navigation, a link to a file is none (and `page.download`,
/// which clicks it, gets the file), an alert never stalls the click; pressing Enter
/// settles the same way.
async fn clicks_settle_on_events(d: &Driver<'_>, site: &Site) {
    d.ok("nav.goto", json!({"url": site.url("/settle")})).await;
    let snap = d.snapshot().await;

    let noop = d.ok("interact.click", json!({"ref": ref_named(&snap, "button", "Nothing")})).await;
    assert_eq!(noop["navigated"], false, "{noop}");
    assert!(noop["timingMs"].as_u64().unwrap() < 1000, "a click that changes nothing answers at once: {noop}");

    let grow = d.ok("interact.click", json!({"ref": ref_named(&snap, "button", "Grow")})).await;
    assert_eq!(grow["navigated"], false, "{grow}");
    let items = page(d, "document.querySelectorAll('#list li').length").await;
    assert_eq!(items, 5, "the click answered once the DOM was quiet, not after its first change");

    let pushed = d.ok("interact.click", json!({"ref": ref_named(&snap, "button", "Push")})).await;
    assert_eq!(pushed["navigated"], true, "a history push changed the URL: {pushed}");

    let alert = ref_named(&snap, "button", "Alert");
    let opened = d.fails("interact.click", json!({"ref": alert}), "dialog_open").await;
    assert!(opened["message"].as_str().unwrap().contains("\"Hi!\""), "{opened}");
    d.ok("page.dialog", json!({"action": "accept"})).await;
    d.wait_text("alert closed").await;

    let file = d.ok("interact.click", json!({"ref": ref_named(&snap, "link", "Report file")})).await;
    assert_eq!(file["navigated"], false, "a link whose answer is a file leaves the page as it was: {file}");
    assert_eq!(page(d, "location.pathname").await, "/settle");
    let saved = d.ok("page.download", json!({"ref": ref_named(&snap, "link", "Report file")})).await;
    assert_eq!(saved["suggestedFilename"], "report.csv", "{saved}");
    let _ = std::fs::remove_file(saved["path"].as_str().unwrap_or_default());

    let link = d.ok("interact.click", json!({"ref": ref_named(&snap, "link", "Go elsewhere")})).await;
    assert_eq!(link["navigated"], true, "{link}");
    assert_eq!(page(d, "location.pathname").await, "/second", "the new document had committed");

    d.ok("nav.goto", json!({"url": site.url("/settle")})).await;
    let snap = d.snapshot().await;
    let slow = d.ok("interact.click", json!({"ref": ref_named(&snap, "link", "Slow page")})).await;
    assert_eq!(slow["navigated"], true, "a navigation that started counts: {slow}");
    assert!(slow["timingMs"].as_u64().unwrap() < 4000, "the 5 s page was not waited for: {slow}");

    d.ok("nav.goto", json!({"url": site.url("/typing")})).await;
    let search = ref_named(&d.snapshot().await, "textbox", "Search");
    d.ok("interact.type", json!({"ref": search, "text": "key", "insert": true})).await;
    d.ok("interact.press", json!({"ref": search, "key": "Enter"})).await;
    assert_eq!(page(d, "location.pathname").await, "/result", "press Enter answered after the form's page committed");
}

async fn every_case(d: &Driver<'_>, site: &Site) {
    typing_is_a_persons_typing(d, site).await;
    clicks_settle_on_events(d, site).await;
}

#[tokio::test]
async fn input_is_a_persons_input_in_the_users_chrome() {
    let world = World::start().await;
    let driver = Driver::in_users_chrome(&world.hub).await;
    every_case(&driver, &world.site).await;
}

#[tokio::test]
async fn input_is_a_persons_input_in_managed_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let driver = Driver::in_managed_chromium(hub, &site.url("/")).await;
    every_case(&driver, site).await;
}

#[tokio::test]
async fn input_is_a_persons_input_in_a_connected_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let chromium = PlainChromium::launch(&site.url("/")).await;
    let driver = Driver::in_connected_chromium(hub, &chromium).await;
    every_case(&driver, site).await;
    // Enter submitted the search form in the browser on the DevTools port.
    let mut oracle = Oracle::connect(chromium.devtools_port).await;
    let url = oracle.page_starting(&site.url("/result")).await.url().await;
    assert!(url.contains("key"), "{url}");
}

#[test]
fn refs_are_read_from_either_layout() {
    let snap = "- heading \"Settle\"\n  [r4] button \"Go\"\n- link \"Home\" [ref=r12]\n- button \"Go on\" [r7]";
    assert_eq!(ref_named(snap, "button", "Go"), "r4");
    assert_eq!(ref_named(snap, "link", "Home"), "r12");
    assert_eq!(ref_named(snap, "button", "Go on"), "r7");
}
