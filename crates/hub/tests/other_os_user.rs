//! Only the hub's own OS user gets in: a process of a second OS user (created by the
//! test) is refused with 403 `other_os_user` at every relay and RPC endpoint, HTTP and
//! WebSocket alike, while the same requests of the hub's user go through. Needs root to
//! create the user (CI runs as root); skipped with a message otherwise.

mod common;

use common::TestHub;
use std::os::unix::fs::MetadataExt;

const OTHER: &str = "odb-e2e-other";

/// Whether this test may create a user and run a program as it.
fn can_switch_users() -> bool {
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
    let tools =
        ["/usr/sbin/useradd", "/usr/sbin/runuser", "/usr/bin/curl"].iter().all(|t| std::path::Path::new(t).exists());
    root && tools
}

async fn ensure_other_user() {
    let known = tokio::process::Command::new("id").arg(OTHER).output().await.unwrap().status.success();
    if !known {
        let mut useradd = tokio::process::Command::new("useradd");
        useradd.args(["--no-create-home", "--shell", "/usr/sbin/nologin", OTHER]);
        let status = useradd.status().await.unwrap();
        assert!(status.success(), "useradd {OTHER} failed");
    }
}

/// `curl` as `user` (or as this process's user with `None`): the status code and the body.
/// A WebSocket upgrade that is accepted holds curl until its 1 s limit (then code 101).
async fn curl(user: Option<&str>, method: &str, url: &str, headers: &[&str]) -> (u16, String) {
    let mut args: Vec<String> =
        ["-s", "-m", "1", "-X", method, "-w", "\n%{http_code}", url].iter().map(|s| s.to_string()).collect();
    for h in headers {
        args.extend(["-H".to_owned(), h.to_string()]);
    }
    let mut command = match user {
        Some(user) => {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", user, "--", "curl"]);
            c
        }
        None => tokio::process::Command::new("curl"),
    };
    let out = command.args(&args).output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

const UPGRADE: [&str; 4] = [
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
];

#[tokio::test]
async fn a_process_of_another_os_user_is_refused_at_every_endpoint() {
    if !can_switch_users() {
        eprintln!("skipped: creating a second OS user needs root, useradd, runuser and curl");
        return;
    }
    ensure_other_user().await;
    let hub = TestHub::start().await;
    let rpc = |path: &str| format!("http://127.0.0.1:{}{path}", hub.daemon_port());
    let origin = format!("Origin: {}", common::EXT_ORIGIN);
    let ws: Vec<&str> = UPGRADE.iter().copied().chain([origin.as_str()]).collect();
    let endpoints: Vec<(&str, String, Vec<&str>)> = vec![
        ("GET", hub.relay_url("/config"), vec![]),
        ("GET", hub.relay_url("/status"), vec![]),
        ("GET", hub.relay_url("/pair"), vec![origin.as_str()]),
        ("GET", hub.relay_url("/extension"), ws.clone()),
        ("GET", hub.relay_url(&format!("/cdp?token={}", hub.token())), UPGRADE.to_vec()),
        ("GET", rpc("/status"), vec![]),
        ("POST", rpc("/command"), vec!["Content-Type: application/json"]),
        ("GET", rpc("/session"), UPGRADE.to_vec()),
    ];
    for (method, url, headers) in &endpoints {
        let (code, body) = curl(Some(OTHER), method, url, headers).await;
        assert_eq!(code, 403, "{method} {url} as {OTHER}: {body}");
        assert!(body.contains("other_os_user"), "{method} {url}: {body}");
        assert!(body.contains("another OS user"), "the refusal says why: {body}");
    }
    // The hub's own user gets through the same doors (to the next check: a token, a body).
    for (method, url, headers) in &endpoints {
        let (code, body) = curl(None, method, url, headers).await;
        assert!(!body.contains("other_os_user"), "{method} {url} as the hub's user: {code} {body}");
    }
    let (code, _) = curl(None, "GET", &hub.relay_url("/config"), &[]).await;
    assert_eq!(code, 200);
}
