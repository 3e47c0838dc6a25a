//! Sessions on remote browsers through `session.connect`, against engines we did not write,
//! on loopback: the Browserless fleet server behind a TLS proxy (`wss://` with a test CA,
//! its token in the query), a Chromium's own endpoint behind the same proxy, and ChromeDriver
//! as a WebDriver server (what a Selenium Grid node runs). Each session navigates, reads a
//! snapshot, fills and clicks on a local page whose server sees the result; a wrong token,
//! an untrusted certificate and a missing Grid are refused with `connect_failed` naming the
//! endpoint with its token redacted; a socket cut mid-command answers `outcome_unknown`,
//! and a browser's own endpoint is dialled again after a drop.

use serde_json::{json, Value};
use std::time::Duration;
use system_tests::fleet::{Browserless, Certificate, ChromeDriver, TlsProxy};
use system_tests::recorder::Recorder;
use system_tests::rpc::{fails, ref_of, Driver};
use system_tests::{cli_binary, free_port, HubWorld};

const TOKEN: &str = "fleet-s3cr3t-token";

/// `/form`: a name field and a Send button that reports the name to the server.
fn pages(_: &str) -> String {
    r#"<title>Remote form</title><label>Name <input id="name"></label>
<button onclick="fetch('/report?name=' + encodeURIComponent(document.getElementById('name').value))
  .then(() => document.title = 'Sent')">Send</button>"#
        .to_owned()
}

/// Navigates, snapshots, fills and clicks in `d`'s browser; the server sees `name`.
async fn drive(d: &Driver<'_>, server: &Recorder, name: &str) {
    d.ok("nav.goto", json!({"url": server.url(&format!("/form?{name}"))})).await;
    let outline = d.snapshot().await;
    let (field, send) = (ref_of(&outline, "textbox \"Name\""), ref_of(&outline, "button \"Send\""));
    d.ok("interact.fill", json!({"fields": [{"ref": field, "value": name}]})).await;
    d.ok("interact.click", json!({"ref": send})).await;
    server.wait_for(&format!("/report?name={name}")).await;
}

fn fleet_params(proxy: &TlsProxy, cert: &Certificate, token: &str) -> Value {
    json!({"wsEndpoint": proxy.url("/"), "caFile": cert.cert, "auth": {"token": token}})
}

#[tokio::test]
async fn agents_work_in_browsers_of_a_fleet_over_wss_and_bad_credentials_are_refused() {
    let world = HubWorld::without_extension().await;
    let (hub, dirs) = (&world.hub, world.dirs.path());
    let fleet = Browserless::start(TOKEN);
    let cert = Certificate::make(dirs);
    let proxy = TlsProxy::start(fleet.port, &cert);
    let server = Recorder::start(pages).await;

    let untrusted = json!({"wsEndpoint": proxy.url("/"), "auth": {"token": TOKEN}});
    let refused = fails(hub, &Value::Null, "session.connect", untrusted, "connect_failed").await;
    assert!(refused["message"].as_str().unwrap().contains("certificate"), "{refused}");
    let wrong =
        fails(hub, &Value::Null, "session.connect", fleet_params(&proxy, &cert, "guess"), "connect_failed").await;
    let said = wrong["message"].as_str().unwrap();
    assert!(said.contains("401") && said.contains(&proxy.url("/?token=***")) && !said.contains("guess"), "{said}");

    // Two agents, each in a browser of its own on the fleet.
    let alice = Driver::connected(hub, fleet_params(&proxy, &cert, TOKEN)).await;
    let bob = Driver::connected(hub, fleet_params(&proxy, &cert, TOKEN)).await;
    drive(&alice, &server, "alice").await;
    drive(&bob, &server, "bob").await;
    let bobs_tabs = bob.ok("targets.list", json!({})).await.to_string();
    assert!(bobs_tabs.contains("/form?bob") && !bobs_tabs.contains("/form?alice"), "{bobs_tabs}");

    // The CLI takes the token from the environment (never a flag) and shows it nowhere.
    let out = tokio::process::Command::new(cli_binary())
        .args(["connect", "--ws-endpoint", &proxy.url("/"), "--ca-file"])
        .arg(&cert.cert)
        .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
        .env("OPENDEVBROWSER_INSTANCE_ID", "remote-e2e")
        .env("OPENDEVBROWSER_REMOTE_TOKEN", TOKEN)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("cdpConnect"), "{text}");
    assert!(!text.contains(TOKEN) && !hub.log().contains(TOKEN), "the token is never echoed: {text}");

    // An MCP agent (the official Python SDK) whose session runs on the fleet.
    let output = tokio::process::Command::new(system_tests::python())
        .arg(system_tests::workspace().join("tests/mcp/remote_agent.py"))
        .args(["--binary", &cli_binary(), "--connect", &proxy.url("/"), "--page", &server.url("/form?mcp")])
        .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
        .env("OPENDEVBROWSER_REMOTE_TOKEN", TOKEN)
        .env("OPENDEVBROWSER_REMOTE_CA_FILE", &cert.cert)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "remote_agent.py: {said}");
    server.wait_for("/report?name=mcp").await;
    let findings: Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(findings["mode"], "cdpConnect", "{findings}");
}

#[tokio::test]
async fn a_socket_cut_mid_command_answers_outcome_unknown_then_remote_closed() {
    let world = HubWorld::without_extension().await;
    let fleet = Browserless::start(TOKEN);
    let cert = Certificate::make(world.dirs.path());
    let mut proxy = TlsProxy::start(fleet.port, &cert);
    let server = Recorder::start(pages).await;
    let d = Driver::connected(&world.hub, fleet_params(&proxy, &cert, TOKEN)).await;
    d.ok("nav.goto", json!({"url": server.url("/form")})).await;

    let slow = json!({"expression": "new Promise(done => setTimeout(() => done(1), 4000))"});
    let (answer, _) = tokio::join!(d.call("page.evaluate", slow), async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        proxy.kill();
    });
    assert_eq!(answer["error"]["code"], "outcome_unknown", "{answer}");
    let said = answer["error"]["message"].as_str().unwrap();
    assert!(said.contains(&proxy.url("/?token=***")) && !said.contains(TOKEN), "{said}");
    // A fleet's front door starts a new browser per connection: not dialled again.
    let next = d.call("nav.snapshot", json!({})).await;
    assert_eq!(next["error"]["code"], "remote_closed", "{next}");
}

#[tokio::test]
async fn a_browsers_own_endpoint_is_dialled_again_after_a_drop() {
    let world = HubWorld::without_extension().await;
    let chromium = system_tests::oracle::PlainChromium::launch("about:blank").await;
    let version: Value = reqwest::get(format!("http://127.0.0.1:{}/json/version", chromium.devtools_port))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ws = version["webSocketDebuggerUrl"].as_str().unwrap();
    let path = ws.split_once("/devtools/").map(|(_, p)| format!("/devtools/{p}")).unwrap();
    let cert = Certificate::make(world.dirs.path());
    let mut proxy = TlsProxy::start(chromium.devtools_port, &cert);
    let server = Recorder::start(pages).await;
    let d = Driver::connected(&world.hub, json!({"wsEndpoint": proxy.url(&path), "caFile": cert.cert})).await;
    d.ok("nav.goto", json!({"url": server.url("/form?before")})).await;

    proxy.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restart();
    // The same browser, the same tab: its page is still there, and it still works.
    let status = d.ok("session.status", json!({})).await;
    assert_eq!(status["url"], server.url("/form?before"), "{status}");
    drive(&d, &server, "after").await;
}

#[tokio::test]
async fn a_webdriver_server_starts_the_browser_and_its_session_ends_with_ours() {
    let world = HubWorld::without_extension().await;
    let hub = &world.hub;
    let driver = ChromeDriver::start();
    let server = Recorder::start(pages).await;
    let nowhere = json!({"seleniumGrid": format!("http://127.0.0.1:{}", free_port())});
    let refused = fails(hub, &Value::Null, "session.connect", nowhere, "connect_failed").await;
    assert!(refused["message"].as_str().unwrap().contains("no WebDriver server at"), "{refused}");

    let grid = json!({"seleniumGrid": driver.url(), "capabilities": ChromeDriver::capabilities()});
    let d = Driver::connected(hub, grid).await;
    drive(&d, &server, "grid").await;
    let status = d.ok("session.status", json!({})).await;
    let webdriver = status["webdriverSessionId"].as_str().expect("the WebDriver session").to_owned();
    let url = format!("{}/session/{webdriver}/url", driver.url());
    let http = reqwest::Client::new();
    assert!(http.get(&url).send().await.unwrap().status().is_success(), "the WebDriver session is live");

    d.ok("session.disconnect", json!({})).await;
    let ended = system_tests::wait_for("the WebDriver session to end", || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let reply = http.get(&url).send().await.ok()?;
            (reply.status() == 404).then_some(reply.text().await.unwrap_or_default())
        }
    })
    .await;
    assert!(ended.contains("invalid session id"), "{ended}");
}
