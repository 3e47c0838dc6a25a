//! End to end: the real hub binary, the real unpacked extension (Rust/wasm) in headless
//! Chromium, and a real page served on 127.0.0.1.

use serde_json::{json, Value};
use system_tests::browser::Browser;
use system_tests::cli_binary;
use system_tests::hub_process::HubProcess;
use system_tests::site::Site;
use system_tests::{discovery_port, wait_for, World, SERIAL};

#[tokio::test]
async fn extension_auto_pairs_and_the_hub_drives_pages_in_many_tabs() {
    let world = World::start().await;
    let (hub, browser, site, status) = (&world.hub, &world.browser, &world.site, &world.paired);
    assert_eq!(status["extension"]["url"], site.url("/"), "the handshake names the page's tab");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(system_tests::workspace().join("extension/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        (status["extension"]["protocolVersion"].as_u64(), &status["extension"]["extensionVersion"]),
        (Some(u64::from(pairing::PROTOCOL_VERSION)), &manifest["version"]),
        "the extension announces its protocol and version"
    );

    assert_eq!(hub.evaluate("document.title + ':' + window.answer", None).await, "E2E Page:42");
    let popup = browser.popup_status().await;
    let relay = status["instanceId"].as_str().unwrap();
    assert_eq!(
        popup,
        format!("connected to 127.0.0.1:{} (relay {})", discovery_port(), &relay[..8]),
        "the popup shows the live status"
    );

    let created = hub.cdp(json!({"method": "Target.createTarget", "params": {"url": site.url("/second")}})).await;
    let target = created["data"]["targetId"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let attached =
        hub.cdp(json!({"method": "Target.attachToTarget", "params": {"targetId": target, "flatten": true}})).await;
    let session = attached["data"]["sessionId"].as_str().unwrap().to_owned();
    let title = wait_for("the second tab to load", || async {
        let t = hub.evaluate("document.readyState === 'complete' ? document.title : null", Some(&session)).await;
        t.as_str().map(str::to_owned)
    })
    .await;
    assert_eq!(title, "Second Page");
    let targets = hub.cdp(json!({"method": "Target.getTargets"})).await;
    let urls: Vec<&str> =
        targets["data"]["targetInfos"].as_array().unwrap().iter().filter_map(|t| t["url"].as_str()).collect();
    assert!(urls.contains(&site.url("/").as_str()) && urls.contains(&site.url("/second").as_str()), "{urls:?}");

    let unknown =
        hub.cdp(json!({"method": "Runtime.evaluate", "sessionId": "no-such", "params": {"expression": "1"}})).await;
    assert_eq!(unknown["error"]["code"], "cdp_error");
    assert!(unknown["error"]["message"].as_str().unwrap().contains("Unknown sessionId: no-such"));
}

#[tokio::test]
async fn extension_reconnects_by_itself_after_the_hub_is_killed_and_restarted() {
    let world = World::start().await;
    let before = world.paired.clone();
    let dirs = world.dirs.path().to_owned();
    world.hub.kill();

    let second = HubProcess::start(&dirs, system_tests::discovery_port()).await;
    let after = second.wait_for_extension().await;
    assert_ne!(before["instanceId"], after["instanceId"], "paired with the new relay instance");
    assert_eq!(second.evaluate("window.answer * 2", None).await, 84);
}

#[tokio::test]
async fn stored_relay_port_follows_the_handshake_ack() {
    let relay_port = system_tests::free_port();
    let world = World::start_on(relay_port).await;
    let (browser, status) = (&world.browser, &world.paired);
    assert_eq!(status["port"], relay_port);
    let stored = browser.eval_in_extension("chrome.storage.local.get('relayPort').then(s => s.relayPort)").await;
    assert_eq!(stored, relay_port, "relayPort persisted from the ack (discovery was on {})", discovery_port());
}

/// A relay impostor on the discovery port whose `/pair` names another instance.
async fn impostor(extension_hits: std::sync::Arc<std::sync::atomic::AtomicU32>) -> tokio::task::JoinHandle<()> {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", discovery_port())).await.unwrap();
    let cors = [("access-control-allow-origin", "*")];
    let app = axum::Router::new()
        .route("/config", get(move || async move {
            (cors, axum::Json(json!({"relayPort": discovery_port(), "pairingRequired": true, "instanceId": "aaaaaaaa-0001", "epoch": 1})))
        }))
        .route("/pair", get(move || async move {
            (cors, axum::Json(json!({"token": "stolen", "instanceId": "bbbbbbbb-0002", "epoch": 1})))
        }))
        .route("/extension", get(move || async move {
            extension_hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            "refused"
        }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

#[tokio::test]
async fn relay_whose_pair_instance_differs_from_config_is_refused() {
    let _serial = SERIAL.lock().await;
    let site = Site::start().await;
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let server = impostor(hits.clone()).await;
    let browser = Browser::launch(&site.url("/")).await;
    let status: Value = wait_for("the refusal in the extension's status", || async {
        let s = browser
            .eval_in_extension("chrome.storage.session.get('relayStatus').then(s => s.relayStatus || null)")
            .await;
        (s["headline"] == "pairing refused: instance mismatch").then_some(s)
    })
    .await;
    assert_eq!(status["state"], "retrying");
    assert!(status["line"].as_str().unwrap().starts_with("pairing refused: instance mismatch, retrying in"));
    let token =
        browser.eval_in_extension("chrome.storage.local.get('pairingToken').then(s => s.pairingToken ?? null)").await;
    assert_eq!(token, Value::Null, "the impostor's token was not stored");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0, "no socket was opened to the impostor");
    server.abort();
}

fn cli(dirs: &std::path::Path, instance: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(cli_binary());
    cmd.args(["--json", "--no-autostart", "--instance-id", instance])
        .args(args)
        .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

fn json_out(out: std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

#[tokio::test]
async fn a_second_client_process_waits_its_turn_then_drives_the_page() {
    let world = World::start().await;
    let (hub, dirs) = (&world.hub, &world.dirs);

    let first = json_out(cli(dirs.path(), "first", &["bind"]).output().unwrap());
    assert_eq!(first["ok"], true, "{first}");
    let second = cli(dirs.path(), "second", &["eval", "document.title + '/' + window.answer", "--wait-ms", "40000"])
        .spawn()
        .unwrap();

    let queued = wait_for("the second client in the queue", || async {
        let status = hub.rpc("hub.status", json!({})).await;
        let queue = status["data"]["queue"].as_array()?.clone();
        (queue.len() == 1 && queue[0]["owner"]["instanceId"] == "second").then_some(status)
    })
    .await;
    assert_eq!(queued["data"]["binding"]["instanceId"], "first", "the first client still holds the relay");

    let released = json_out(cli(dirs.path(), "first", &["release"]).output().unwrap());
    assert_eq!(released["data"]["released"], true);
    let out = tokio::task::spawn_blocking(move || second.wait_with_output().unwrap()).await.unwrap();
    let result = json_out(out);
    assert_eq!(
        result,
        json!({"ok": true, "data": "E2E Page/42"}),
        "the second client drove the page after its turn came"
    );
    let status = hub.rpc("hub.status", json!({})).await;
    assert!(status["data"]["binding"].is_null(), "the one-shot CLI released its temporary binding");
}

#[tokio::test]
async fn the_popup_switch_turns_auto_connect_off_and_back_on() {
    let world = World::start().await;
    let (hub, browser) = (&world.hub, &world.browser);
    let mut popup = browser.popup().await;
    popup.wait_status(|t| t.starts_with(&format!("connected to 127.0.0.1:{}", discovery_port()))).await;

    popup.eval("document.getElementById('autoConnect').click()").await;
    assert_eq!(popup.wait_status(|t| t == "auto-connect is off").await, "auto-connect is off");
    wait_for("the extension to leave the hub", || async {
        (hub.relay_status().await["extensionConnected"] == false).then_some(())
    })
    .await;
    let stored = browser.eval_in_extension("chrome.storage.local.get('autoConnect').then(s => s.autoConnect)").await;
    assert_eq!(stored, false, "the switch is persisted");

    popup.eval("document.getElementById('autoConnect').click()").await;
    hub.wait_for_extension().await;
    popup.wait_status(|t| t.starts_with(&format!("connected to 127.0.0.1:{}", discovery_port()))).await;
}

/// Sets an input of the popup as a user does: a new value, then a `change` event.
fn type_into(id: &str, value: &str) -> String {
    format!(
        "(() => {{ const el = document.getElementById('{id}'); el.value = {value:?}; \
           el.dispatchEvent(new Event('change')); return el.value; }})()"
    )
}

#[tokio::test]
async fn the_popup_pairs_by_hand_with_a_typed_port_and_token() {
    let world = World::start().await;
    let (first, browser) = (&world.hub, &world.browser);
    let manual_dirs = tempfile::tempdir().unwrap();
    let manual_port = system_tests::free_port();
    let manual = HubProcess::start(manual_dirs.path(), manual_port).await;
    // The token a user pastes: `relayToken` in that hub's hub.json (GET /pair answers only
    // the extension, or a caller that already has it).
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(manual_dirs.path().join("config/hub.json")).unwrap()).unwrap();
    let token = settings["relayToken"].as_str().unwrap_or_else(|| panic!("{settings}")).to_owned();
    let mut popup = browser.popup().await;
    popup.wait_status(|t| t.starts_with(&format!("connected to 127.0.0.1:{}", discovery_port()))).await;
    assert_eq!(popup.eval("document.getElementById('pairingToken').disabled").await, true, "auto-pair owns the token");

    popup.eval("document.getElementById('autoPair').click()").await;
    assert_eq!(popup.eval("document.getElementById('pairingToken').disabled").await, false);
    assert_eq!(popup.eval(&type_into("relayPort", &manual_port.to_string())).await, manual_port.to_string());
    assert_eq!(popup.eval(&type_into("pairingToken", "not-the-token")).await, "not-the-token");
    let refused = popup.wait_status(|t| t.contains("Invalid pairing token")).await;
    assert!(
        refused.starts_with("relay connection closed (1008 Invalid pairing token), retrying in "),
        "the popup says why and when it retries: {refused}"
    );
    assert_eq!(manual.relay_status().await["extensionHandshakeComplete"], false, "a wrong token never pairs");
    let verdict = wait_for("the doctor to explain the refusal", || async {
        // The extension retries with the wrong token: between attempts the verdict is the
        // refusal, during one it is "handshaking".
        let v = json_out(cli(manual_dirs.path(), "doctor", &["doctor"]).output().unwrap())["data"].clone();
        (v["class"] == "handshake_rejected").then_some(v)
    })
    .await;
    assert!(verdict["fix"].as_str().unwrap().contains("Pair automatically"), "{verdict}");

    popup.eval(&type_into("pairingToken", &token)).await;
    let paired = manual.wait_for_extension().await;
    let relay = paired["instanceId"].as_str().unwrap();
    let line = popup.wait_status(|t| t.starts_with(&format!("connected to 127.0.0.1:{manual_port}"))).await;
    assert_eq!(line, format!("connected to 127.0.0.1:{manual_port} (relay {})", &relay[..8]));
    assert_eq!(first.relay_status().await["extensionConnected"], false, "the extension left the auto-paired hub");
    let verdict = json_out(cli(manual_dirs.path(), "doctor", &["doctor"]).output().unwrap())["data"].clone();
    assert_eq!((verdict["class"].as_str(), verdict["ok"].as_bool()), (Some("connected"), Some(true)), "{verdict}");
    let left = json_out(cli(world.dirs.path(), "doctor", &["doctor"]).output().unwrap())["data"].clone();
    assert_eq!(left["class"], "extension_disconnected", "the first hub saw it leave: {left}");
    assert_eq!(manual.evaluate("window.answer", None).await, 42, "the hand-paired hub drives the page");
    let stored = browser
        .eval_in_extension("chrome.storage.local.get(['autoPair', 'relayPort', 'pairingToken']).then(s => s)")
        .await;
    assert_eq!(
        stored,
        json!({"autoPair": false, "relayPort": manual_port, "pairingToken": token}),
        "settings persisted"
    );
}

#[tokio::test]
async fn an_idle_hub_detaches_the_debugger_and_the_next_command_reattaches() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let hub = HubProcess::start_with(dirs.path(), system_tests::discovery_port(), &["--idle-detach-secs", "1"]).await;
    let browser = Browser::launch(&site.url("/")).await;
    hub.wait_for_extension().await;
    wait_for("the idle hub to have the extension detach every tab", || async {
        (browser.attached_tabs().await == 0).then_some(())
    })
    .await;
    assert_eq!(hub.evaluate("window.answer", None).await, 42, "the next command attaches again");
    assert!(browser.attached_tabs().await >= 1);
    assert_eq!(hub.relay_status().await["extensionHandshakeComplete"], true, "the extension stayed paired");
}

#[tokio::test]
async fn a_second_browser_profile_takes_over_once_and_the_first_stands_by_until_it_leaves() {
    let world = World::start().await;
    let (hub, first, site) = (&world.hub, &world.browser, &world.site);
    let tab_url = |s: Value| s["extension"]["url"].as_str().unwrap_or("").to_owned();
    let second = Browser::launch(&site.url("/second")).await;
    wait_for("the second profile to pair", || async {
        (tab_url(hub.relay_status().await) == site.url("/second")).then_some(())
    })
    .await;
    let standing = first.popup().await.wait_status(|t| t.starts_with("another browser profile")).await;
    assert_eq!(
        standing,
        format!(
            "another browser profile is using the hub on port {}; standing by (Reconnect now takes over)",
            discovery_port()
        )
    );

    // Past a standby check: the relay is not taken back and forth.
    tokio::time::sleep(std::time::Duration::from_millis(pairing::autopair::STANDBY_CHECK_MS + 1_500)).await;
    assert_eq!(tab_url(hub.relay_status().await), site.url("/second"), "the second profile kept the relay");
    assert!(second.popup_status().await.starts_with(&format!("connected to 127.0.0.1:{}", discovery_port())));

    drop(second);
    wait_for("the first profile to come back once the second left", || async {
        (tab_url(hub.relay_status().await) == site.url("/")).then_some(())
    })
    .await;
    assert_eq!(hub.evaluate("window.answer", None).await, 42);
}
