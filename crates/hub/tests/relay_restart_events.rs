//! `relay.restart` and the extension's events: whoever subscribed to them before the
//! restart (a browser session's event pump) receives what the extension sends after it
//! re-pairs with the new relay, with no gap and no resubscribing.

mod common;

use common::TestHub;
use pairing::wire::CdpEvent;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn events_after_a_relay_restart_reach_subscribers_from_before_it() {
    let hub = TestHub::start().await;
    let sim = hub.sim();
    sim.wait_connected(WAIT).await.unwrap();
    let core = hub.hub.core();
    let mut events = core.relay().subscribe_events();
    let before = core.relay().instance_id().to_owned();
    core.restart_relay().await.unwrap();
    assert_ne!(core.relay().instance_id(), before, "a new relay");
    let started = tokio::time::Instant::now();
    while !core.relay().handshake_complete() {
        assert!(started.elapsed() < WAIT, "the extension re-paired with the new relay");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first =
        CdpEvent { method: "Page.loadEventFired".into(), params: Some(json!({"timestamp": 7})), session_id: None };
    sim.emit(first);
    let got = tokio::time::timeout(WAIT, events.recv()).await.expect("an event in time");
    let got = got.expect("the channel stayed open across the restart");
    assert_eq!((got.method.as_str(), &got.params), ("Page.loadEventFired", &Some(json!({"timestamp": 7}))));
}
