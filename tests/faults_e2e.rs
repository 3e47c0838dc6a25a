//! Fault injection with the real parts: the hub killed with SIGKILL mid-command, and the
//! extension's service worker stopped mid-session.

use opendevbrowser_client::autostart::{AutostartOptions, HubSource};
use opendevbrowser_client::{ClientOptions, HubClient};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use system_tests::browser::Browser;
use system_tests::hub_process::HubProcess;
use system_tests::site::Site;
use system_tests::{World, SERIAL};

const DISCOVERY: u16 = 8787;
const SLOW: &str = "new Promise(r => setTimeout(() => r('late'), 4000))";

/// Waits until the extension holds a command of `hub` (the fault must hit it mid-command).
async fn in_flight(hub: &HubProcess) {
    system_tests::wait_for("a command in flight at the extension", || async {
        (hub.relay_status().await["pendingCommands"].as_u64() > Some(0)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_hub_killed_mid_command_leaves_the_outcome_unknown_and_the_next_call_recovers() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    // Hubs this test's client starts must use its private dirs.
    std::env::set_var("OPENDEVBROWSER_CONFIG_DIR", dirs.path().join("config"));
    let site = Site::start().await;
    let first = HubProcess::start(dirs.path(), DISCOVERY).await;
    let _browser = Browser::launch(&site.url("/")).await;
    let before = first.wait_for_extension().await;

    let opts = ClientOptions {
        cache_dir: dirs.path().join("cache"),
        instance_id: Some("plugin".into()),
        autostart: true,
        autostart_options: AutostartOptions {
            binary: Some(system_tests::workspace().join("target/debug/opendevbrowser-hub")),
            serve_args: vec!["--daemon-port".into(), "0".into()],
            timeout: Duration::from_secs(20),
        },
        // Over the persistent channel: a call in flight when the hub dies is lost with it.
        channel: true,
    };
    let client = Arc::new(HubClient::connect(opts, &|_| {}).await.unwrap());
    assert_eq!(client.source(), HubSource::Discovered);
    let old = client.bind().await.unwrap();
    let first_endpoint = client.endpoint();

    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.evaluate(SLOW, None).await }
    });
    in_flight(&first).await;
    first.kill();
    let err = pending.await.unwrap().unwrap_err();
    assert_eq!(err.code(), "outcome_unknown", "{err}");
    assert!(err.to_string().contains("outcome is unknown"));

    // The next call finds no hub, starts one, re-binds (the old id is stale) and works
    // once the extension has re-paired with the new relay instance.
    let value = client.evaluate("document.title + ':' + window.answer", None).await.unwrap();
    assert_eq!(value, "E2E Page:42");
    let second = client.endpoint();
    assert_ne!(second.hub_instance_id, first_endpoint.hub_instance_id, "a new hub runs");
    assert_ne!(client.binding().unwrap().binding_id, old.binding_id, "the client re-bound");
    let status = client.status().await.unwrap();
    assert_ne!(
        status.relay.instance_id,
        before["instanceId"].as_str().unwrap(),
        "the extension re-paired with the new instance"
    );
    let stale = opendevbrowser_client::client::raw_call(
        &reqwest::Client::new(),
        &second,
        "relay.renew",
        json!({"clientId": client.identity().0, "instanceId": "plugin", "bindingId": old.binding_id}),
    )
    .await
    .unwrap_err();
    assert_eq!(stale.code(), "binding_stale");

    let _ = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/stop", second.port))
        .bearer_auth(&second.token)
        .send()
        .await;
}

#[tokio::test]
async fn a_stopped_service_worker_fails_pending_commands_then_comes_back_with_the_binding_intact() {
    let world = World::start(DISCOVERY).await;
    let hub = Arc::new(world.hub);
    let browser = &world.browser;
    assert_eq!(hub.evaluate("window.answer", None).await, 42, "bound and working");

    let pending = tokio::spawn({
        let hub = hub.clone();
        async move {
            hub.cdp(json!({"method": "Runtime.evaluate", "params": {"expression": SLOW, "awaitPromise": true}})).await
        }
    });
    in_flight(&hub).await;
    browser.stop_extension_worker().await;
    let failed = pending.await.unwrap();
    assert_eq!(failed["error"]["code"], "extension_disconnected", "{failed}");
    assert!(failed["error"]["message"].as_str().unwrap().contains("outcome is unknown"));

    // The alarm watchdog restarts the worker, which re-pairs by itself.
    hub.wait_for_extension().await;
    assert_eq!(hub.evaluate("window.answer + 1", None).await, 43, "the same binding still drives the page");
}

/// Processes whose command line names a hub-managed profile.
fn managed_browsers() -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd);
            cmd.contains("opendevbrowser-profile-") && !cmd.contains("--type=")
        })
        .count()
}

#[tokio::test]
async fn a_killed_hub_takes_its_managed_browsers_with_it() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let before = managed_browsers();
    let relay_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hub = HubProcess::start(dirs.path(), relay_port).await;
    let launched = hub.rpc("session.launch", json!({"clientId": "c", "mode": "managed"})).await;
    assert_eq!(launched["data"]["mode"], "managed", "{launched}");
    assert_eq!(managed_browsers(), before + 1);
    hub.kill();
    system_tests::wait_for("the orphaned browser to exit", || async { (managed_browsers() == before).then_some(()) })
        .await;
}
