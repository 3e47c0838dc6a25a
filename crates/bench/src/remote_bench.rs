//! `remote_connect`: what a remote browser costs a command. `page.evaluate` of `1+1` through
//! the hub in a session connected to the Browserless fleet behind a TLS proxy (`wss://`,
//! token, the setup of tests/remote_e2e.rs, all on loopback), in a session connected to a
//! plain Chromium's DevTools port, and `Runtime.evaluate` straight to that Chromium over
//! CDP (the floor), alternating, in one run.

use crate::stats::summary;
use opendevbrowser_browser::direct::{browser_ws_url, DirectCdp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use system_tests::fleet::{Browserless, Certificate, TlsProxy};
use system_tests::oracle::PlainChromium;
use system_tests::rpc::Driver;
use system_tests::HubWorld;

async fn evaluate(d: &Driver<'_>) -> Duration {
    let started = Instant::now();
    let got = d.ok("page.evaluate", json!({"expression": "1+1"})).await;
    assert_eq!(got["value"], 2, "{got}");
    started.elapsed()
}

/// A flat CDP session on `chromium`'s first page, straight over its DevTools socket.
async fn straight_to(chromium: &PlainChromium) -> (DirectCdp, String) {
    let cdp = DirectCdp::connect(&browser_ws_url("127.0.0.1", chromium.devtools_port).await.unwrap()).await.unwrap();
    let timeout = Duration::from_secs(10);
    let targets = cdp.call("Target.getTargets", json!({}), None, timeout).await.unwrap();
    let page = targets["targetInfos"].as_array().unwrap().iter().find(|t| t["type"] == "page").cloned().unwrap();
    let attached =
        cdp.call("Target.attachToTarget", json!({"targetId": page["targetId"], "flatten": true}), None, timeout);
    let session = attached.await.unwrap()["sessionId"].as_str().unwrap().to_owned();
    (cdp, session)
}

pub async fn remote_connect(quick: bool) -> Value {
    let n = if quick { 20 } else { 300 };
    let world = HubWorld::without_extension().await;
    let fleet = Browserless::start("bench-token");
    let cert = Certificate::make(world.dirs.path());
    let proxy = TlsProxy::start(fleet.port, &cert);
    let remote = json!({"wsEndpoint": proxy.url("/"), "caFile": cert.cert, "auth": {"token": fleet.token}});
    let fleet_session = Driver::connected(&world.hub, remote).await;
    let chromium = PlainChromium::launch("about:blank").await;
    let port_session = Driver::in_connected_chromium(&world.hub, &chromium).await;
    let (cdp, page) = straight_to(&chromium).await;
    let call = json!({"expression": "1+1", "returnByValue": true});
    let (mut via_fleet, mut via_port, mut straight) = (vec![], vec![], vec![]);
    for i in 0..(n + n / 10) {
        let (f, p) = (evaluate(&fleet_session).await, evaluate(&port_session).await);
        let started = Instant::now();
        cdp.call("Runtime.evaluate", call.clone(), Some(&page), Duration::from_secs(10)).await.unwrap();
        let s = started.elapsed();
        if i >= n / 10 {
            via_fleet.push(f);
            via_port.push(p);
            straight.push(s);
        }
    }
    let (fleet_s, port_s, straight_s) = (summary(&mut via_fleet), summary(&mut via_port), summary(&mut straight));
    let median = |v: &Value| v["median_us"].as_f64().unwrap_or(0.0).max(1.0);
    let ratio = |a: &Value, b: &Value| (median(a) / median(b) * 100.0).round() / 100.0;
    json!({
        "hub_to_fleet_over_wss": fleet_s,
        "hub_to_devtools_port": port_s,
        "direct_cdp": straight_s,
        "fleet_over_port": ratio(&fleet_s, &port_s),
        "fleet_over_direct_cdp": ratio(&fleet_s, &straight_s),
    })
}
