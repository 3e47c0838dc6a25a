//! Sessions that remember: named profiles keep a managed session's login, storage-state
//! files move logins between sessions, modes and Playwright (both ways), and the user's
//! own Chrome gives its cookies only when asked. Who is logged in is read from the site's
//! own record of what each request carried (`AccountSite`), never from the hub.

use serde_json::{json, Value};
use system_tests::account_site::AccountSite;
use system_tests::oracle::PlainChromium;
use system_tests::rpc::{fails, in_session, ok, Driver};
use system_tests::{node_client, HubWorld, World};

/// Opens the account page in the session, marked `by` in the site's record.
async fn visit(d: &Driver<'_>, site: &AccountSite, by: &str) {
    d.ok("nav.goto", json!({"url": site.url(&format!("/account?by={by}"))})).await;
}

#[tokio::test]
async fn a_named_profile_keeps_a_managed_sessions_login() {
    let HubWorld { hub, dirs, .. } = &HubWorld::without_extension().await;
    let site = AccountSite::start().await;
    let on_work = json!({"mode": "managed", "profile": "work"});
    let first = ok(hub, &Value::Null, "session.launch", on_work.clone()).await;
    let s1 = first["sessionId"].clone();
    let login = json!({"url": site.url("/account/login?user=alice")});
    ok(hub, &Value::Null, "nav.goto", in_session(&s1, login)).await;

    // One browser per profile: its owner gets that session back, anyone else is refused.
    let again = ok(hub, &Value::Null, "session.launch", on_work.clone()).await;
    assert_eq!(again["sessionId"], s1, "the owner's second launch on its profile is the same session");
    let mut as_other = on_work.clone();
    as_other["clientId"] = json!("another-client");
    as_other["instanceId"] = json!("other");
    let refused = hub.rpc("session.launch", as_other).await;
    assert_eq!(refused["error"]["code"], "profile_busy", "{refused}");
    assert!(
        refused["error"]["message"].as_str().unwrap().contains(s1.as_str().unwrap()),
        "names the holder: {refused}"
    );

    let listed = ok(hub, &Value::Null, "profiles.list", json!({})).await;
    assert_eq!(listed["profiles"][0]["name"], "work", "{listed}");
    assert_eq!(listed["profiles"][0]["inUseBy"], s1, "{listed}");
    let folder = dirs.path().join("data/profiles/work");
    assert_eq!(listed["profiles"][0]["path"], folder.display().to_string());
    assert_eq!(opendevbrowser_api::files::file_mode(&folder).unwrap(), 0o700, "a profile holds logins");
    fails(hub, &Value::Null, "profiles.delete", json!({"name": "work"}), "profile_busy").await;
    ok(hub, &Value::Null, "session.disconnect", in_session(&s1, json!({}))).await;

    // A new session on the profile is still logged in: cookie and localStorage.
    let second = ok(hub, &Value::Null, "session.launch", on_work.clone()).await;
    assert_ne!(second["sessionId"], s1);
    let d = Driver { hub, binding: Value::Null, session: second["sessionId"].clone() };
    visit(&d, &site, "second").await;
    site.wait_seen("account by=second sid=alice").await;
    site.wait_seen("seen by=second theme=alice-dark sid=alice").await;
    d.ok("session.disconnect", json!({})).await;

    // The default throwaway profile is not.
    let d = Driver::in_managed_chromium(hub, "about:blank").await;
    visit(&d, &site, "throwaway").await;
    site.wait_seen("account by=throwaway sid=none").await;
    site.wait_seen("seen by=throwaway theme=none sid=none").await;
    d.ok("session.disconnect", json!({})).await;

    ok(hub, &Value::Null, "profiles.delete", json!({"name": "work"})).await;
    assert!(!folder.exists(), "the profile's folder is gone");
    let listed = ok(hub, &Value::Null, "profiles.list", json!({})).await;
    assert_eq!(listed["profiles"], json!([]), "{listed}");
    fails(hub, &Value::Null, "profiles.delete", json!({"name": "work"}), "unknown_profile").await;
    fails(hub, &Value::Null, "session.launch", json!({"mode": "managed", "profile": "../x"}), "invalid_param").await;
}

/// Runs tests/cdp_clients/storage_state.mjs: Playwright loads `ours`, then writes `theirs`.
async fn playwright_both_ways(site: &AccountSite, ours: &std::path::Path, theirs: &std::path::Path) {
    let args = [system_tests::browser::chromium(), site.url("").into(), ours.into(), theirs.into()];
    node_client("storage_state.mjs", args).await.unwrap_or_else(|failed| panic!("{failed}"));
}

#[tokio::test]
async fn storage_state_moves_logins_between_managed_connected_and_playwright() {
    let HubWorld { hub, dirs, .. } = &HubWorld::without_extension().await;
    let site = AccountSite::start().await;
    let a = Driver::in_managed_chromium(hub, &site.url("/account/login?user=alice")).await;
    let ours = dirs.path().join("alice.json");
    let saved = a.ok("storage.save", json!({"path": ours})).await;
    assert_eq!((saved["cookies"].as_u64(), saved["origins"].as_u64()), (Some(1), Some(1)), "{saved}");
    assert_eq!(opendevbrowser_api::files::file_mode(&ours).unwrap(), 0o600, "a state file holds logins");
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&ours).unwrap()).unwrap();
    let cookie = &state["cookies"][0];
    assert_eq!(
        (&cookie["name"], &cookie["value"], &cookie["httpOnly"]),
        (&json!("sid"), &json!("alice-token"), &json!(true))
    );
    assert_eq!(state["origins"][0]["origin"], site.url(""), "{state}");
    assert_eq!(state["origins"][0]["localStorage"], json!([{"name": "theme", "value": "alice-dark"}]));
    a.ok("session.disconnect", json!({})).await;

    // Launched with it: logged in from the first page.
    let launched = ok(hub, &Value::Null, "session.launch", json!({"mode": "managed", "storageState": ours})).await;
    let b = Driver { hub, binding: Value::Null, session: launched["sessionId"].clone() };
    visit(&b, &site, "launched").await;
    site.wait_seen("account by=launched sid=alice").await;
    site.wait_seen("seen by=launched theme=alice-dark sid=alice").await;

    // Loaded into a running browser the hub did not start (connected), and saved from it.
    let chromium = PlainChromium::launch("about:blank").await;
    let c = Driver::in_connected_chromium(hub, &chromium).await;
    let loaded = c.ok("storage.load", json!({"path": ours})).await;
    assert_eq!(loaded, json!({"cookies": 1, "origins": 1}));
    visit(&c, &site, "connected").await;
    site.wait_seen("account by=connected sid=alice").await;
    site.wait_seen("seen by=connected theme=alice-dark sid=alice").await;
    let resaved = c.ok("storage.save", json!({"path": dirs.path().join("connected.json")})).await;
    assert_eq!(resaved["cookies"], 1, "{resaved}");

    // Playwright logs in with our file and writes one (bob's) that we load.
    let theirs = dirs.path().join("bob-by-playwright.json");
    playwright_both_ways(&site, &ours, &theirs).await;
    site.wait_seen("account by=playwright sid=alice").await;
    site.wait_seen("seen by=playwright theme=alice-dark sid=alice").await;
    b.ok("storage.load", json!({"path": theirs})).await;
    visit(&b, &site, "from-playwright").await;
    site.wait_seen("account by=from-playwright sid=bob").await;
    site.wait_seen("seen by=from-playwright theme=bob-dark sid=bob").await;

    let not_a_state = dirs.path().join("not-a-state.json");
    std::fs::write(&not_a_state, "[1, 2]").unwrap();
    let e = b.fails("storage.load", json!({"path": not_a_state}), "invalid_param").await;
    assert!(e["message"].as_str().unwrap().contains("not a storage-state file"), "{e}");
}

#[tokio::test]
async fn isolated_contexts_hold_two_users_at_once_in_one_managed_browser() {
    let HubWorld { hub, .. } = &HubWorld::without_extension().await;
    let site = AccountSite::start().await;
    let d = Driver::in_managed_chromium(hub, "about:blank").await;
    for (page, user) in [("a", "alice"), ("b", "bob")] {
        let login = site.url(&format!("/account/login?user={user}"));
        d.ok("page.open", json!({"name": page, "url": login, "context": user})).await;
    }
    // Each context keeps its own login; a tab in alice's context shares hers; the
    // default context has none.
    d.ok("page.open", json!({"name": "a", "url": site.url("/account?by=ctx-a")})).await;
    d.ok("page.open", json!({"name": "b", "url": site.url("/account?by=ctx-b")})).await;
    d.ok("targets.new", json!({"url": site.url("/account?by=ctx-a2"), "context": "alice"})).await;
    d.ok("page.open", json!({"name": "plain", "url": site.url("/account?by=default")})).await;
    site.wait_seen("account by=ctx-a sid=alice").await;
    site.wait_seen("seen by=ctx-a theme=alice-dark sid=alice").await;
    site.wait_seen("account by=ctx-b sid=bob").await;
    site.wait_seen("seen by=ctx-b theme=bob-dark sid=bob").await;
    site.wait_seen("account by=ctx-a2 sid=alice").await;
    site.wait_seen("account by=default sid=none").await;
}

#[tokio::test]
async fn the_users_chrome_gives_its_cookies_only_when_asked() {
    let world = World::start().await;
    let site = AccountSite::start().await;
    let d = Driver::in_users_chrome(&world.hub).await;
    d.ok("nav.goto", json!({"url": site.url("/account/login?user=carol")})).await;
    let file = world.dirs.path().join("users-chrome.json");

    let e = d.fails("storage.save", json!({"path": file}), "users_chrome_not_confirmed").await;
    assert!(e["message"].as_str().unwrap().contains("usersChrome"), "says how: {e}");
    assert!(!file.exists(), "nothing written without the flag");
    d.ok("storage.save", json!({"path": file, "usersChrome": true})).await;
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let sid = state["cookies"].as_array().unwrap().iter().find(|c| c["name"] == "sid").cloned();
    assert_eq!(sid.map(|c| c["value"].clone()), Some(json!("carol-token")), "{state}");

    d.fails("storage.load", json!({"path": file}), "not_supported").await;
    d.fails("page.open", json!({"name": "x", "context": "other"}), "not_supported").await;
    let managed_only = json!({"mode": "extension", "profile": "work"});
    fails(&world.hub, &d.binding, "session.launch", managed_only, "invalid_mode").await;
}
