//! Closing follows RFC 6455 on every socket the hub serves: a peer that closes first gets
//! the close reply, and the hub frees the TCP socket (no CLOSE-WAIT leak). One test per
//! file binary run, so counting this process's open descriptors is meaningful. (How fast
//! the reply comes is a figure for the bench, not a bound here.)

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// Sends a close frame, waits for the hub's close reply, then for the hub to end the TCP
/// connection.
async fn close_first(mut ws: Ws, what: &str) {
    ws.send(Message::Close(None)).await.unwrap();
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("an answer to the close") {
            Some(Ok(Message::Close(_))) => break,
            Some(Ok(_)) => continue,
            other => panic!("{what}: expected a close reply, got {other:?}"),
        }
    }
    let end = tokio::time::timeout(WAIT, ws.next()).await.expect("the hub ends the connection");
    assert!(matches!(end, None | Some(Err(_))), "{what}: nothing after the close, got {end:?}");
}

async fn session_socket(hub: &TestHub, instance: &str) -> Ws {
    let url = format!("ws://127.0.0.1:{}/session?clientId={CLIENT}&instanceId={instance}", hub.daemon_port());
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {}", hub.hub.core().token()).parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// Waits until this process has `baseline` descriptors open again (the hub's sockets are
/// freed by its tasks, a moment after the client sees the end).
async fn fds_return_to(baseline: usize) -> usize {
    let mut now = open_fds();
    for _ in 0..100 {
        if now <= baseline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        now = open_fds();
    }
    now
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_that_close_first_get_the_reply_and_free_their_sockets() {
    let hub = TestHub::start().await;
    // Warm up every path once so lazily opened descriptors are in the baseline.
    close_first(ws_connect(&hub.ws_url(&format!("/cdp?token={}", hub.token())), None).await.unwrap(), "warm-up").await;
    close_first(handshaken_extension(&hub).await.0, "warm-up").await;
    close_first(session_socket(&hub, "warm").await, "warm-up").await;
    let baseline = fds_return_to(open_fds()).await;

    for i in 0..50 {
        let cdp = ws_connect(&hub.ws_url(&format!("/cdp?token={}", hub.token())), None).await.unwrap();
        hub.relay_status_until("the /cdp client connected", |s| s["cdpConnected"] == true).await;
        close_first(cdp, &format!("/cdp client {i}")).await;
        hub.relay_status_until("the /cdp client is gone", |s| s["cdpConnected"] == false).await;
    }
    for i in 0..10 {
        let (extension, ack) = handshaken_extension(&hub).await;
        assert_eq!(ack["type"], "handshakeAck", "{ack}");
        close_first(extension, &format!("extension {i}")).await;
    }
    for i in 0..10 {
        let session = session_socket(&hub, &format!("s{i}")).await;
        close_first(session, &format!("/session {i}")).await;
    }
    let after = fds_return_to(baseline).await;
    assert_eq!(after, baseline, "open descriptors after 70 peer-first closes");
}
