//! `opendevbrowser doctor` against real processes: each state it can find (no hub, a foreign
//! program on the port, a hub without extension, paired, extension gone, token refused) gives
//! its class, its fix and its exit code.

use serde_json::Value;
use sim::{SimExtension, SimOptions};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

mod common;
use common::{env, free_port, StopHub, CLI};

fn run(dir: &Path, relay_port: u16, args: &[&str]) -> (Value, Option<i32>) {
    let out = Command::new(CLI).args(args).envs(env(dir, relay_port)).output().unwrap();
    let body = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (body, out.status.code())
}

/// `doctor --json`: the verdict and the exit code.
fn doctor(dir: &Path, relay_port: u16) -> (Value, Option<i32>) {
    let (body, code) = run(dir, relay_port, &["--json", "doctor"]);
    (body["data"].clone(), code)
}

async fn wait_for_class(dir: &Path, port: u16, class: &str) -> Value {
    for _ in 0..100 {
        let (verdict, _) = doctor(dir, port);
        if verdict["class"] == class {
            return verdict;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("doctor never said {class}: {}", doctor(dir, port).0);
}

#[test]
fn with_no_hub_the_doctor_says_so_or_names_the_program_holding_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (verdict, code) = doctor(dir.path(), port);
    assert_eq!(
        (verdict["class"].as_str(), verdict["ok"].as_bool(), code),
        (Some("hub_not_running"), Some(false), Some(4))
    );
    assert!(verdict["fix"].as_str().unwrap().contains("opendevbrowser serve"), "{verdict}");

    let squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (verdict, code) = doctor(dir.path(), port);
    assert_eq!((verdict["class"].as_str(), code), (Some("port_taken"), Some(4)), "{verdict}");
    let pid = format!("pid {}", std::process::id());
    assert!(verdict["summary"].as_str().unwrap().contains(&pid), "names this test process: {verdict}");
    assert_eq!(verdict["status"]["relayPortOwner"].as_str().map(|o| o.contains(&pid)), Some(true));
    drop(squatter);
}

#[tokio::test]
async fn the_doctor_follows_the_extension_from_never_seen_to_paired_to_gone_to_refused() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (ensured, code) = run(dir.path(), port, &["--json", "ensure"]);
    assert_eq!(code, Some(0), "{ensured}");
    let stop = StopHub(dir.path(), port);

    let (verdict, code) = doctor(dir.path(), port);
    assert_eq!((verdict["class"].as_str(), code), (Some("extension_never_seen"), Some(4)), "{verdict}");
    assert!(verdict["fix"].as_str().unwrap().contains(&format!("type port {port} in the popup")), "{verdict}");

    let sim = SimExtension::spawn(SimOptions::new(port));
    sim.wait_connected(Duration::from_secs(10)).await.expect("the simulated extension pairs");
    let (verdict, code) = doctor(dir.path(), port);
    assert_eq!((verdict["class"].as_str(), verdict["ok"].as_bool(), code), (Some("connected"), Some(true), Some(0)));
    assert!(verdict["summary"].as_str().unwrap().contains("binding is free"), "{verdict}");
    assert_eq!(verdict["status"]["relay"]["extensionHandshakeComplete"], true);

    drop(sim);
    let gone = wait_for_class(dir.path(), port, "extension_disconnected").await;
    assert!(gone["fix"].as_str().unwrap().contains("Connect automatically"), "{gone}");

    let mut opts = SimOptions::new(port);
    opts.settings.auto_pair = false;
    opts.settings.stored_port = Some(i64::from(port));
    opts.settings.manual_token = Some("not-the-token".into());
    let _impostor = SimExtension::spawn(opts);
    let refused = wait_for_class(dir.path(), port, "handshake_rejected").await;
    assert!(refused["summary"].as_str().unwrap().contains("wrong pairing token"), "{refused}");
    assert!(refused["fix"].as_str().unwrap().contains("Pair automatically"), "{refused}");
    drop(stop);
}

/// A stand-in for upstream opendevbrowser's Node daemon: `/status` in upstream's shape,
/// every command refused with upstream's bare-string error.
fn upstream_daemon() -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = std::thread::spawn(move || {
        for stream in listener.incoming().take(40) {
            let Ok(mut stream) = stream else { continue };
            let mut request = vec![0u8; 8192];
            let n = stream.read(&mut request).unwrap_or(0);
            let request = String::from_utf8_lossy(&request[..n]);
            let body = if request.starts_with("GET /status") {
                r#"{"ok":true,"pid":4242,"hub":{"instanceId":"upstream-hub"},"relay":{"running":true,"port":8787,"extensionConnected":true,"extensionHandshakeComplete":true},"binding":null}"#
            } else {
                r#"{"ok":false,"error":"Unknown command"}"#
            };
            let status = if request.starts_with("GET /status") { "200 OK" } else { "400 Bad Request" };
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (port, serve)
}

#[test]
fn a_foreign_daemon_on_the_port_is_named_by_the_doctor_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (port, _serve) = upstream_daemon();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let meta = serde_json::json!({"port": port, "token": "t", "pid": 4242, "relayPort": 8787,
        "startedAt": "2026-01-19T00:00:00Z", "hubInstanceId": "upstream-hub", "relayInstanceId": "r", "relayEpoch": 1});
    std::fs::write(cache.join("daemon.json"), meta.to_string()).unwrap();

    let (verdict, code) = doctor(dir.path(), free_port());
    assert_eq!((verdict["class"].as_str(), code), (Some("foreign_hub"), Some(4)), "{verdict}");
    assert!(verdict["summary"].as_str().unwrap().contains("upstream opendevbrowser"), "{verdict}");

    let (body, code) = run(dir.path(), free_port(), &["--json", "launch"]);
    assert_eq!((body["error"]["code"].as_str(), code), (Some("foreign_hub"), Some(2)), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("port {port}")) && message.contains("OPENDEVBROWSER_DAEMON_PORT"), "{message}");
    assert!(std::fs::read_to_string(cache.join("daemon.json")).unwrap().contains("upstream-hub"), "left alone");
}

#[test]
fn a_hub_that_cannot_start_gives_its_own_reason() {
    let dir = tempfile::tempdir().unwrap();
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    let (body, code) = run(dir.path(), port, &["--json", "launch"]);
    assert_eq!((body["error"]["code"].as_str(), code), (Some("hub_not_running"), Some(10)), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    let pid = format!("pid {}", std::process::id());
    assert!(message.contains("the hub exited at start") && message.contains(&pid), "{message}");
}
