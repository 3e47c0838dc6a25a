//! Whole pairing flows with the simulated extension (which drives the shared `pairing`
//! state machine): auto-pair, stale stored port, hub restart, mismatched instances, and
//! what happens when the relay port is already taken.

mod common;
use common::*;
use hub::{HubOptions, ServeError, Started};
use pairing::{RetryReason, Status};
use serde_json::json;
use sim::{SimExtension, SimOptions};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[tokio::test]
async fn simulated_extension_auto_pairs_and_persists_the_acked_port() {
    let hub = TestHub::start().await;
    let mut opts = SimOptions::new(hub.relay_port());
    opts.settings.stored_port = Some(1234);
    let sim = SimExtension::spawn(opts);
    let status = sim.wait_connected(WAIT).await.unwrap();
    assert_eq!(status.stored_port, Some(i64::from(hub.relay_port())), "the ack's port replaced the stale one");
    assert_eq!(status.token.as_deref(), Some(hub.token().as_str()));
    match status.status {
        Status::Connected { instance, .. } => assert_eq!(instance.as_str(), hub.hub.core().relay().instance_id()),
        other => panic!("not connected: {other:?}"),
    }
}

#[tokio::test]
async fn extension_re_pairs_by_itself_after_a_hub_restart() {
    let hub = TestHub::start().await;
    let port = hub.relay_port();
    let sim = hub.sim();
    sim.wait_connected(WAIT).await.unwrap();
    let TestHub { hub: first, dirs } = hub;
    let first_instance = first.core().relay().instance_id().to_owned();
    first.stop();
    first.run_until_stopped(std::future::pending()).await;
    sim.wait_until(WAIT, |s| s.status.state() == "retrying").await.unwrap();
    let second = start_in(&dirs, port).await;
    let second_instance = second.core().relay().instance_id().to_owned();
    assert_ne!(first_instance, second_instance);
    let status = sim
        .wait_until(
            WAIT,
            |s| matches!(&s.status, Status::Connected { instance, .. } if instance.as_str() == second_instance),
        )
        .await
        .unwrap();
    assert_eq!(status.acks, 2);
    assert!(second.core().relay().handshake_complete());
}

/// A relay impostor whose `/pair` names another instance than its `/config`.
async fn mismatched_relay(extension_hits: Arc<AtomicU32>) -> u16 {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route(
            "/config",
            get(move || async move {
                axum::Json(json!({"relayPort": port, "pairingRequired": true, "instanceId": "aaaaaaaa-1", "epoch": 1}))
            }),
        )
        .route("/pair", get(|| async { axum::Json(json!({"token": "t", "instanceId": "bbbbbbbb-2", "epoch": 1})) }))
        .route(
            "/extension",
            get(move || async move {
                extension_hits.fetch_add(1, Ordering::SeqCst);
                "no"
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

#[tokio::test]
async fn relay_whose_pair_instance_differs_from_config_is_refused() {
    let hits = Arc::new(AtomicU32::new(0));
    let port = mismatched_relay(hits.clone()).await;
    let sim = SimExtension::spawn(SimOptions::new(port));
    let status = sim
        .wait_until(WAIT, |s| matches!(&s.status, Status::Retrying { reason: RetryReason::Refused(_), .. }))
        .await
        .unwrap();
    assert!(status.status.describe(0).starts_with("pairing refused: instance mismatch, retrying in"));
    assert_eq!(status.token, None, "no token is kept from a mismatched relay");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no socket was opened to it");
}

#[tokio::test]
async fn a_healthy_hub_on_the_port_means_already_running_and_untouched() {
    let hub = TestHub::start().await;
    let dirs = tempfile::tempdir().unwrap();
    let opts = HubOptions {
        relay_port: hub.relay_port(),
        daemon_port: 0,
        discovery_port: None,
        cache_dir: dirs.path().join("cache"),
        config_dir: dirs.path().join("config"),
        ..HubOptions::default()
    };
    match hub::start(opts).await.unwrap() {
        Started::AlreadyRunning { port, hub_instance_id } => {
            assert_eq!(port, hub.relay_port());
            assert_eq!(hub_instance_id, hub.hub.core().instance_id());
        }
        Started::Running(_) => panic!("a second hub started on a taken port"),
    }
    let (status, _, _) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status, 200, "the first hub still serves");
}

#[tokio::test]
async fn a_foreign_program_on_the_port_is_named_and_left_alone() {
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    let dirs = tempfile::tempdir().unwrap();
    let opts = HubOptions {
        relay_port: port,
        daemon_port: 0,
        discovery_port: None,
        cache_dir: dirs.path().join("cache"),
        config_dir: dirs.path().join("config"),
        ..HubOptions::default()
    };
    let err = match hub::start(opts).await {
        Err(e) => e,
        Ok(_) => panic!("the hub started on a taken port"),
    };
    assert!(matches!(err, ServeError::PortInUse { port: p, .. } if p == port));
    let message = err.to_string();
    assert!(message.starts_with(&format!("relay port {port} is in use by ")), "{message}");
    assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
    assert!(message.contains("--relay-port") && message.contains("Nothing was killed"), "{message}");
    squatter.set_nonblocking(true).unwrap();
    let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(squatter.accept().is_ok(), "the other program still owns its port");
}

#[tokio::test]
async fn a_replaced_extension_stands_by_instead_of_taking_the_relay_back_and_returns_when_free() {
    let hub = TestHub::start().await;
    let mut first_opts = SimOptions::new(hub.relay_port());
    first_opts.tab_id = 1;
    let first = SimExtension::spawn(first_opts);
    first.wait_connected(WAIT).await.unwrap();
    let mut second_opts = SimOptions::new(hub.relay_port());
    second_opts.tab_id = 2;
    let second = SimExtension::spawn(second_opts);
    second.wait_connected(WAIT).await.unwrap();
    let standing = first.wait_until(WAIT, |s| s.status.state() == "standby").await.expect("the first stands by");
    assert!(standing.status.headline().contains("another browser profile"), "{:?}", standing.status);

    // Past a standby check (every 5 s): no back-and-forth, the second keeps the relay.
    tokio::time::sleep(
        std::time::Duration::from_millis(pairing::autopair::STANDBY_CHECK_MS) + std::time::Duration::from_secs(1),
    )
    .await;
    let (_, _, status) = get(&hub.relay_url("/status"), &[]).await;
    assert_eq!(status["extension"]["tabId"], 2, "the newcomer still holds the relay");
    assert_eq!((first.status().status.state(), second.status().acks), ("standby", 1), "nobody was replaced again");

    drop(second);
    first.wait_until(WAIT, |s| s.status.state() == "connected").await.expect("the first comes back once free");
    let status = hub.relay_status_until("the first extension paired again", |s| s["extension"]["tabId"] == 1).await;
    assert_eq!(status["extensionHandshakeComplete"], true);
}
