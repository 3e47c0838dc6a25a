//! Many plugins, one hub: concurrent auto-start, discovery without touching the relay
//! port, identity files, and bindings tied to a client's life.

use opendevbrowser_client::autostart::{AutostartOptions, HubSource};
use opendevbrowser_client::{ClientOptions, HubClient};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

mod common;
use common::{env, free_port, StopHub, CLI};

fn cli(dir: &Path, relay_port: u16, args: &[&str]) -> std::process::Child {
    Command::new(CLI)
        .args(args)
        .envs(env(dir, relay_port))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn output(child: std::process::Child) -> Value {
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn client_options(dir: &Path, relay_port: u16) -> ClientOptions {
    ClientOptions {
        cache_dir: dir.join("cache"),
        instance_id: None,
        autostart: true,
        autostart_options: AutostartOptions {
            binary: Some(CLI.into()),
            serve_args: vec![
                "--relay-port".into(),
                relay_port.to_string(),
                "--daemon-port".into(),
                "0".into(),
                "--no-discovery".into(),
            ],
            timeout: Duration::from_secs(20),
            config_dir: None,
        },
        channel: true,
    }
}

#[test]
fn plugin_processes_started_together_end_with_exactly_one_hub() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _stop = StopHub(dir.path(), port);
    let children: Vec<_> = (0..4).map(|_| cli(dir.path(), port, &["--json", "ensure"])).collect();
    let results: Vec<Value> = children.into_iter().map(output).collect();
    let ids: Vec<&str> = results.iter().map(|r| r["data"]["hubInstanceId"].as_str().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "all found the same hub: {ids:?}");
    let started = results.iter().filter(|r| r["data"]["source"] == "started").count();
    assert_eq!(started, 1, "exactly one process started the hub: {results:?}");
    let log = std::fs::read_to_string(dir.path().join("cache/hub.log")).unwrap();
    assert_eq!(log.matches(" running: relay ").count(), 1, "one hub ever ran:\n{log}");
    let pid = results[0]["data"]["pid"].as_u64().unwrap();
    let owner = opendevbrowser_api::port_owner::describe_port_owner(port).unwrap();
    assert!(owner.contains(&format!("pid {pid}")), "the relay port belongs to that hub: {owner}");
}

#[tokio::test]
async fn a_new_client_never_binds_the_relay_port_when_a_hub_exists() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _stop = StopHub(dir.path(), port);
    let first = output(cli(dir.path(), port, &["--json", "ensure"]));
    let client = HubClient::connect(client_options(dir.path(), port), &|_| {}).await.unwrap();
    assert_eq!(client.source(), HubSource::Discovered);
    assert_eq!(client.endpoint().hub_instance_id, first["data"]["hubInstanceId"].as_str().unwrap());
    let log = std::fs::read_to_string(dir.path().join("cache/hub.log")).unwrap();
    assert_eq!(log.matches(" running: relay ").count(), 1);
}

#[tokio::test]
async fn instances_of_one_user_share_a_private_client_id_but_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _stop = StopHub(dir.path(), port);
    let a = HubClient::connect(client_options(dir.path(), port), &|_| {}).await.unwrap();
    let b = HubClient::connect(client_options(dir.path(), port), &|_| {}).await.unwrap();
    assert_eq!(a.identity().0, b.identity().0);
    assert_ne!(a.identity().1, b.identity().1);
    assert_eq!(opendevbrowser_api::files::file_mode(&dir.path().join("cache/client.json")).unwrap(), 0o600);
    a.bind().await.unwrap();
    let busy = b.bind().await.unwrap_err();
    assert_eq!(busy.code(), "relay_busy");
}

#[tokio::test]
async fn a_dropped_client_releases_its_binding_and_the_waiter_gets_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _stop = StopHub(dir.path(), port);
    let a = HubClient::connect(client_options(dir.path(), port), &|_| {}).await.unwrap();
    let b = HubClient::connect(client_options(dir.path(), port), &|_| {}).await.unwrap();
    a.bind().await.unwrap();
    a.keep_alive().await.unwrap();
    let waiter = tokio::spawn(async move {
        let got = b.wait_bind(Duration::from_secs(10)).await;
        (got, b)
    });
    // b is in the hub's queue (seen in a's status), not served while a holds the relay.
    let mut queued = false;
    for _ in 0..500 {
        if a.status().await.unwrap().queue.len() == 1 {
            queued = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(queued, "b never joined the queue");
    assert!(!waiter.is_finished(), "b waits while a holds the relay");
    drop(a);
    let (got, b) = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("handed over promptly").unwrap();
    let binding = got.unwrap();
    assert_eq!(b.binding().unwrap(), binding);
    let status = b.status().await.unwrap();
    assert_eq!(status.binding.expect("held").instance_id, b.identity().1);
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["status", "--help"],
        vec!["bind", "--help"],
        vec!["release", "--help"],
        vec!["renew", "--help"],
        vec!["cdp", "--help"],
        vec!["eval", "--help"],
        vec!["ensure", "--help"],
        vec!["stop", "--help"],
    ] {
        let out = Command::new(CLI).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn status_without_a_hub_exits_10_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(CLI).args(["--json", "status"]).envs(env(dir.path(), free_port())).output().unwrap();
    assert_eq!(out.status.code(), Some(10));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "hub_not_running");
}

#[test]
fn cli_browser_commands_drive_a_managed_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _stop = StopHub(dir.path(), port);
    let run = |args: &[&str]| output(cli(dir.path(), port, &[&["--json"], args].concat()));
    let launched = run(&["launch", "--mode", "managed"]);
    assert_eq!(launched["data"]["mode"], "managed", "{launched}");
    let page = "data:text/html,<title>T</title><input aria-label=Query><button onclick=\"document.title='clicked'\">Go</button>";
    assert_eq!(run(&["goto", "--url", page])["data"]["title"], "T");
    let snap = run(&["snapshot"]);
    let content = snap["data"]["content"].as_str().unwrap().to_owned();
    let line = content.lines().find(|l| l.contains("button \"Go\"")).unwrap_or_else(|| panic!("{content}"));
    let go = line.trim().trim_start_matches('[').split(']').next().unwrap();
    let input = content
        .lines()
        .find(|l| l.contains("textbox \"Query\""))
        .unwrap()
        .trim()
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap();
    assert_eq!(run(&["type", "--ref", input, "--text", "hello"])["ok"], true);
    assert_eq!(run(&["dom-value", "--ref", input])["data"]["value"], "hello");
    assert_eq!(run(&["click", "--ref", go])["ok"], true);
    assert_eq!(run(&["session-status"])["data"]["title"], "clicked");
    let shot = dir.path().join("page.png");
    let taken = run(&["screenshot", "--path", shot.to_str().unwrap()]);
    assert_eq!(taken["data"]["width"], 1280, "{taken}");
    assert_eq!(&std::fs::read(&shot).unwrap()[..4], b"\x89PNG");
    let bad = run(&["click", "--ref", "r999"]);
    assert_eq!(bad["error"]["code"], "unknown_ref");
    assert_eq!(run(&["disconnect"])["ok"], true);
    let after = run(&["session-status"]);
    assert_eq!(after["error"]["code"], "local_error", "no saved session after disconnect: {after}");
}

/// `owner=…/cN` values of log lines containing `what`, in order.
fn owners_in_log(log: &str, what: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains(what))
        .filter_map(|l| {
            l.split("owner=").nth(1)?.split_whitespace().next().map(|o| o.rsplit('/').next().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_client_processes_at_once_make_one_hub_and_are_all_served_in_fifo_order() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _stop = StopHub(dir.path(), port);
    let sim = sim::SimExtension::spawn(sim::SimOptions::new(port));
    let children: Vec<_> = (0..50)
        .map(|i| {
            Command::new(CLI)
                .args(["--json", "--instance-id", &format!("c{i}"), "cdp", "Browser.getVersion", "--wait-ms", "120000"])
                .envs(env(dir.path(), port))
                .env("OPENDEVBROWSER_LOG", "hub=info")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let results =
        tokio::task::spawn_blocking(move || children.into_iter().map(output).collect::<Vec<_>>()).await.unwrap();
    for r in &results {
        assert_eq!(r["data"]["product"], "SimulatedExtension", "every client was served: {r}");
    }
    assert!(sim.status().acks >= 1);
    let log = std::fs::read_to_string(dir.path().join("cache/hub.log")).unwrap();
    assert_eq!(log.matches(" running: relay ").count(), 1, "exactly one hub:\n{log}");
    let queued = owners_in_log(&log, "queued for the relay");
    let granted: Vec<String> =
        owners_in_log(&log, "relay binding granted").into_iter().filter(|o| queued.contains(o)).collect();
    assert!(!queued.is_empty(), "with 50 at once, some had to wait:\n{log}");
    assert_eq!(granted, queued, "waiters were served in the order they queued");
}

#[tokio::test]
async fn a_dropped_client_closes_its_managed_browser_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _stop = StopHub(dir.path(), port);
    let mut opts = client_options(dir.path(), port);
    opts.instance_id = Some("plugin-a".into());
    let a = HubClient::connect(opts.clone(), &|_| {}).await.unwrap();
    a.keep_alive().await.unwrap_or_else(|e| panic!("{e}"));
    let launched = a.call("session.launch", serde_json::json!({"mode": "managed"})).await.unwrap();
    let session = launched["sessionId"].clone();
    assert_eq!(a.call("session.status", serde_json::json!({"sessionId": session})).await.unwrap()["mode"], "managed");
    drop(a);
    let again = HubClient::connect(opts, &|_| {}).await.unwrap();
    let mut gone = false;
    for _ in 0..50 {
        match again.call("session.status", serde_json::json!({"sessionId": session})).await {
            Err(e) if e.code() == "unknown_session" => {
                gone = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(gone, "the crashed plugin's managed browser session was closed");
}
