//! `nav.wait` is itself tested, against the page's real state as the oracle (a DevTools
//! connection of the test's own) reads it: for text, a selector and a ref, in each state
//! (visible, hidden, attached, detached), a condition that holds answers at once and one
//! that does not is `wait_timeout_exceeded`; a wait for something that happens later
//! ends only after the page changed (the page records the change itself). Both modes:
//! the user's Chrome through the real extension, and a managed Chromium.

use serde_json::{json, Value};
use system_tests::oracle::{Oracle, OraclePage, PlainChromium};
use system_tests::rpc::{ok, ref_of, Driver};
use system_tests::site::Site;
use system_tests::{HubWorld, World};

const STATES: [&str; 4] = ["visible", "hidden", "attached", "detached"];

/// The oracle's own reading of whether an element (by selector) or a text is in `state`:
/// visible = rendered with a non-empty box (`checkVisibility` with the visibility
/// property); hidden = not visible (or not there); attached = in the DOM; detached = not.
const TRUTH: &str = r#"(sel, text, state) => {
  const shows = (el) => !!el && el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})
    && [...el.getClientRects()].some((r) => r.width > 0 && r.height > 0);
  let attached, visible;
  if (sel !== null) { const el = document.querySelector(sel); attached = !!el; visible = shows(el); }
  else {
    const nodes = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) if (walk.currentNode.data.includes(text)) nodes.push(walk.currentNode);
    attached = nodes.length > 0; visible = nodes.some((n) => shows(n.parentElement));
  }
  return {visible, hidden: !visible, attached, detached: !attached}[state];
}"#;

/// What the page says about `what` (`{"selector": …}` or `{"text": …}`) in `state`.
async fn truth(page: &mut OraclePage<'_>, what: &Value, state: &str) -> bool {
    let args = json!([what.get("selector").unwrap_or(&Value::Null), what.get("text").unwrap_or(&Value::Null), state]);
    let expression = format!("({TRUTH})(...{args})");
    page.eval(&expression).await.as_bool().unwrap_or_else(|| panic!("oracle: no answer for {what} {state}"))
}

/// Runs `nav.wait` for `what` in `state` (300 ms at most); `None` when it succeeded, else
/// its error.
async fn wait(d: &Driver<'_>, what: &Value, state: &str) -> Option<Value> {
    let mut params = what.clone();
    params["state"] = json!(state);
    params["timeoutMs"] = json!(300);
    let reply =
        system_tests::rpc::cmd(d.hub, &d.binding, "nav.wait", system_tests::rpc::in_session(&d.session, params)).await;
    (reply["ok"] != true).then(|| reply["error"].clone())
}

/// Where `nav.wait` and the page disagree, one line each.
fn verdict(what: &Value, state: &str, holds: bool, answer: &Option<Value>) -> Option<String> {
    let fine = match answer {
        None => holds,
        Some(error) => {
            !holds
                && error["code"] == "wait_timeout_exceeded"
                && error["message"].as_str().is_some_and(|m| m.contains("waited 300 ms"))
        }
    };
    let said = answer.as_ref().map_or_else(|| "ok".to_owned(), |e| e.to_string());
    (!fine).then(|| format!("{what} {state}: the page says {holds}, nav.wait answered {said}"))
}

/// Every state of texts and selectors that are shown, not displayed, invisible and absent.
async fn texts_and_selectors(d: &Driver<'_>, page: &mut OraclePage<'_>, wrong: &mut Vec<String>) {
    let mut cases: Vec<Value> = Vec::new();
    for text in ["Shown words", "Undisplayed words", "Invisible words", "Nowhere words"] {
        cases.push(json!({"text": text}));
    }
    for selector in ["#shown", "#undisplayed", "#invisible", "#nowhere"] {
        cases.push(json!({"selector": selector}));
    }
    let mut seen = (0, 0);
    for what in &cases {
        for state in STATES {
            let holds = truth(page, what, state).await;
            let answer = wait(d, what, state).await;
            assert_eq!(truth(page, what, state).await, holds, "the scene held still during the wait");
            if holds {
                seen.0 += 1
            } else {
                seen.1 += 1
            }
            wrong.extend(verdict(what, state, holds, &answer));
        }
    }
    assert_eq!(seen, (16, 16), "as many conditions that hold as that do not");
}

/// Refs of three buttons: one left alone, one the oracle hides, one it removes, each in
/// every state.
async fn refs(d: &Driver<'_>, page: &mut OraclePage<'_>, wrong: &mut Vec<String>) {
    let snapshot = d.snapshot().await;
    let buttons = [("stays", "Stays"), ("hides", "Gets hidden"), ("goes", "Gets removed")];
    let refs: Vec<(String, &str)> =
        buttons.iter().map(|(id, name)| (ref_of(&snapshot, &format!("button \"{name}\"")), *id)).collect();
    page.eval("document.getElementById('hides').style.display = 'none'; document.getElementById('goes').remove()")
        .await;
    for (r, id) in &refs {
        for state in STATES {
            let holds = truth(page, &json!({"selector": format!("#{id}")}), state).await;
            let answer = wait(d, &json!({"ref": r}), state).await;
            wrong.extend(verdict(&json!({"ref": r, "element": id}), state, holds, &answer));
        }
    }
}

/// Waits for things that happen later (set off by the oracle 400 ms on): each ends only
/// once the page has changed, as the page itself records (`window.changed`).
async fn later_changes(d: &Driver<'_>, page: &mut OraclePage<'_>, site: &Site, wrong: &mut Vec<String>) {
    let url = site.url("/waits");
    let scenes = [
        (
            "p = document.createElement('p'); p.textContent = 'Late words'; document.body.append(p)",
            json!({"text": "Late words"}),
            "visible",
        ),
        ("document.getElementById('shown').remove()", json!({"text": "Shown words"}), "detached"),
        (
            "document.getElementById('undisplayed').style.display = 'block'",
            json!({"selector": "#undisplayed"}),
            "visible",
        ),
        ("document.getElementById('invisible').remove()", json!({"selector": "#invisible"}), "detached"),
        (
            "b = document.createElement('b'); b.id = 'added'; document.body.append(b)",
            json!({"selector": "#added"}),
            "attached",
        ),
        ("document.getElementById('stays').style.visibility = 'hidden'", json!({"ref": "stays"}), "hidden"),
        ("document.getElementById('goes').remove()", json!({"ref": "goes"}), "detached"),
    ];
    for (change, what, state) in scenes {
        ok(d.hub, &d.binding, "nav.goto", system_tests::rpc::in_session(&d.session, json!({"url": url}))).await;
        let mut what = what;
        if let Some(id) = what.get("ref").and_then(Value::as_str).map(str::to_owned) {
            let name = if id == "stays" { "Stays" } else { "Gets removed" };
            what = json!({"ref": ref_of(&d.snapshot().await, &format!("button \"{name}\"")), "element": id});
        }
        let selector = what.get("element").map(|id| json!({"selector": format!("#{}", id.as_str().unwrap())}));
        let judged = selector.as_ref().unwrap_or(&what);
        assert!(!truth(page, judged, state).await, "{what} {state} does not hold before the change");
        page.eval(&format!("window.changed = false; setTimeout(() => {{ {change}; window.changed = true; }}, 400)"))
            .await;
        let mut params = what.clone();
        params.as_object_mut().unwrap().remove("element");
        params["state"] = json!(state);
        params["timeoutMs"] = json!(10_000);
        let reply =
            system_tests::rpc::cmd(d.hub, &d.binding, "nav.wait", system_tests::rpc::in_session(&d.session, params))
                .await;
        let changed = page.eval("window.changed").await;
        if reply["ok"] != true || changed != true || !truth(page, judged, state).await {
            wrong
                .push(format!("{what} {state} after a change: nav.wait answered {reply}, the page changed: {changed}"));
        }
    }
}

/// Every case in one session; fails listing each disagreement with the page.
async fn nav_wait_agrees_with_the_page(d: &Driver<'_>, oracle: &mut Oracle, site: &Site) {
    let url = site.url("/waits");
    ok(d.hub, &d.binding, "nav.goto", system_tests::rpc::in_session(&d.session, json!({"url": url}))).await;
    let mut page = oracle.page(&url).await;
    let mut wrong = Vec::new();
    texts_and_selectors(d, &mut page, &mut wrong).await;
    refs(d, &mut page, &mut wrong).await;
    later_changes(d, &mut page, site, &mut wrong).await;

    d.fails("nav.wait", json!({"selector": "p[", "timeoutMs": 300}), "invalid_selector").await;
    d.fails("nav.wait", json!({"timeoutMs": 300}), "invalid_param").await;
    d.fails("nav.wait", json!({"ref": "r9999", "timeoutMs": 300}), "unknown_ref").await;
    assert!(wrong.is_empty(), "nav.wait disagrees with the page in {} cases:\n{}", wrong.len(), wrong.join("\n"));
}

#[tokio::test]
async fn nav_wait_succeeds_exactly_when_the_page_is_in_the_state_in_the_users_chrome() {
    let world = World::start().await;
    let driver = Driver::in_users_chrome(&world.hub).await;
    let mut oracle = Oracle::of_browser(&world.browser).await;
    nav_wait_agrees_with_the_page(&driver, &mut oracle, &world.site).await;
}

#[tokio::test]
async fn nav_wait_succeeds_exactly_when_the_page_is_in_the_state_in_managed_chromium() {
    // Relay on any free port: a managed session needs no extension (nor 8787).
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let driver = Driver::in_managed_chromium(hub, &site.url("/")).await;
    let mut oracle = Oracle::of_managed(hub).await;
    nav_wait_agrees_with_the_page(&driver, &mut oracle, site).await;
}

#[tokio::test]
async fn nav_wait_succeeds_exactly_when_the_page_is_in_the_state_in_a_connected_chromium() {
    let HubWorld { site, hub, .. } = &HubWorld::without_extension().await;
    let chromium = PlainChromium::launch(&site.url("/")).await;
    let driver = Driver::in_connected_chromium(hub, &chromium).await;
    let mut oracle = Oracle::connect(chromium.devtools_port).await;
    nav_wait_agrees_with_the_page(&driver, &mut oracle, site).await;
}
