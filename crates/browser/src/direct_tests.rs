//! The remote link against a real WebSocket server in this process: keep-alive pings, a
//! silent server given up on with `outcome_unknown` for the command in flight, a fleet's
//! front door not dialled again (`remote_closed`), and a browser's own endpoint dialled
//! again after a drop.

use super::*;
use opendevbrowser_api::commands::RemoteAuth;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::TcpListener;

const EVERY: Duration = Duration::from_millis(50);

/// A WebSocket server on a free port; `serve(n, socket)` runs each connection (`n` from 0).
async fn server<F, Fut>(serve: F) -> u16
where
    F: Fn(usize, tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = Arc::new(serve);
    tokio::spawn(async move {
        for n in 0.. {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let serve = serve.clone();
            tokio::spawn(async move {
                if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                    serve(n, ws).await;
                }
            });
        }
    });
    port
}

/// Answers every command with `{"n": <connection number>}`.
async fn answer_all(n: usize, mut ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) {
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(text) = m {
            let id = serde_json::from_str::<Value>(&text).unwrap()["id"].clone();
            let _ = ws.send(Message::text(json!({"id": id, "result": {"n": n}}).to_string())).await;
        }
    }
}

async fn remote(port: u16, path: &str) -> DirectCdp {
    let endpoint = Endpoint::new(&format!("ws://127.0.0.1:{port}{path}"), &RemoteAuth::default(), None).unwrap();
    DirectCdp::connect_remote(endpoint, EVERY).await.unwrap()
}

#[tokio::test]
async fn a_remote_socket_is_pinged_while_idle() {
    let pings = Arc::new(AtomicUsize::new(0));
    let counted = pings.clone();
    let port = server(move |_, mut ws| {
        let counted = counted.clone();
        async move {
            while let Some(Ok(m)) = ws.next().await {
                if matches!(m, Message::Ping(_)) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    })
    .await;
    let cdp = remote(port, "/").await;
    tokio::time::sleep(EVERY * 6).await;
    assert!(pings.load(Ordering::SeqCst) >= 3, "{} pings", pings.load(Ordering::SeqCst));
    assert!(cdp.alive(), "a server that answers pings keeps the link");
}

#[tokio::test]
async fn a_silent_remote_is_given_up_and_the_command_in_flight_is_outcome_unknown() {
    // Accepts, then never reads again: no pong, no answer.
    let port = server(|_, ws| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(ws);
    })
    .await;
    let cdp = remote(port, "/?token=s3cr3t").await;
    let started = Instant::now();
    let got = cdp.call("Runtime.evaluate", json!({}), None, Duration::from_secs(10)).await;
    let Err(CdpError::OutcomeUnknown { method, endpoint }) = got else { panic!("{got:?}") };
    assert_eq!((method.as_str(), endpoint), ("Runtime.evaluate", format!("ws://127.0.0.1:{port}/?token=***")));
    assert!(started.elapsed() < Duration::from_secs(5), "given up after silence, not the call's timeout");
    // A fleet's front door would start a new browser: not dialled again.
    let next = cdp.call("Runtime.evaluate", json!({}), None, Duration::from_secs(1)).await;
    assert!(matches!(&next, Err(CdpError::RemoteClosed { why, .. }) if why.contains("new browser")), "{next:?}");
    assert!(!cdp.alive());
}

#[tokio::test]
async fn a_browsers_own_endpoint_is_dialled_again_after_a_drop() {
    // The first connection answers one command and hangs up; the next ones answer all.
    let port = server(|n, mut ws| async move {
        if n == 0 {
            if let Some(Ok(Message::Text(text))) = ws.next().await {
                let id = serde_json::from_str::<Value>(&text).unwrap()["id"].clone();
                let _ = ws.send(Message::text(json!({"id": id, "result": {"n": 0}}).to_string())).await;
            }
            let _ = ws.close(None).await;
            return;
        }
        answer_all(n, ws).await
    })
    .await;
    let cdp = remote(port, "/devtools/browser/abc").await;
    let first = cdp.call("Browser.getVersion", json!({}), None, Duration::from_secs(5)).await.unwrap();
    assert_eq!(first["n"], 0);
    let dropped = Instant::now();
    while cdp.current().pending.lock().unwrap().is_open() {
        assert!(dropped.elapsed() < Duration::from_secs(5), "the drop was never seen");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(cdp.alive(), "it can be dialled again");
    let again = cdp.call("Browser.getVersion", json!({}), None, Duration::from_secs(5)).await.unwrap();
    assert_eq!(again["n"], 1, "answered on a new connection");
}

#[test]
fn three_silent_intervals_make_a_socket_dead() {
    let heard = Instant::now();
    assert!(!silent_too_long(heard, heard + EVERY * 3, EVERY));
    assert!(silent_too_long(heard, heard + EVERY * 3 + Duration::from_millis(1), EVERY));
}
