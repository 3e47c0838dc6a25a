//! Relay and lease benchmarks against an in-process hub with the simulated extension.

use crate::stats::summary;
use hub::{HubOptions, RunningHub, Started};
use serde_json::{json, Value};
use sim::{SimExtension, SimOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An in-process hub on free ports with private dirs.
async fn start_hub(dirs: &tempfile::TempDir) -> RunningHub {
    let opts = HubOptions {
        relay_port: 0,
        daemon_port: 0,
        discovery_port: None,
        cache_dir: dirs.path().join("cache"),
        config_dir: dirs.path().join("config"),
        ..HubOptions::default()
    };
    let Started::Running(hub) = hub::start(opts).await.expect("hub starts") else { panic!("port taken") };
    hub
}

struct Bench {
    hub: RunningHub,
    _dirs: tempfile::TempDir,
    _sim: SimExtension,
    http: reqwest::Client,
}

impl Bench {
    async fn start() -> Bench {
        let dirs = tempfile::tempdir().unwrap();
        let hub = start_hub(&dirs).await;
        let sim = SimExtension::spawn(SimOptions::new(hub.core().relay().port()));
        sim.wait_connected(Duration::from_secs(10)).await.expect("simulated extension pairs");
        Bench { hub, _dirs: dirs, _sim: sim, http: reqwest::Client::new() }
    }

    async fn rpc(&self, name: &str, params: Value) -> Value {
        self.http
            .post(format!("http://127.0.0.1:{}/command", self.hub.core().daemon_port()))
            .bearer_auth(self.hub.core().token())
            .json(&json!({"name": name, "params": params}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Commands per second through hub RPC → relay → simulated extension at 1, 8, 64 clients.
pub async fn throughput(quick: bool) -> Value {
    let bench = Arc::new(Bench::start().await);
    let bound = bench.rpc("relay.bind", json!({"clientId": "bench", "instanceId": "b"})).await;
    let binding = bound["data"]["bindingId"].clone();
    let run_for = Duration::from_millis(if quick { 500 } else { 3_000 });
    let mut out = serde_json::Map::new();
    for clients in [1usize, 8, 64] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (bench, binding) = (bench.clone(), binding.clone());
            tasks.push(tokio::spawn(async move {
                let mut samples = Vec::new();
                let params = json!({"clientId": "bench", "instanceId": "b", "bindingId": binding, "method": "Runtime.evaluate",
                    "params": {"expression": "1+1"}});
                while started.elapsed() < run_for {
                    let t = Instant::now();
                    let reply = bench.rpc("cdp.send", params.clone()).await;
                    assert_eq!(reply["ok"], true, "{reply}");
                    samples.push(t.elapsed());
                }
                samples
            }));
        }
        let mut samples = Vec::new();
        for t in tasks {
            samples.extend(t.await.unwrap());
        }
        let rate = samples.len() as f64 / started.elapsed().as_secs_f64();
        let mut v = summary(&mut samples);
        v["commands_per_s"] = json!(rate.round());
        out.insert(format!("clients_{clients}"), v);
    }
    Value::Object(out)
}

/// Events per second from the (simulated) extension to a hub subscriber.
pub async fn event_fan_in(quick: bool) -> Value {
    let dirs = tempfile::tempdir().unwrap();
    let hub = start_hub(&dirs).await;
    let sim = SimExtension::spawn(SimOptions::new(hub.core().relay().port()));
    sim.wait_connected(Duration::from_secs(10)).await.unwrap();
    let total = if quick { 2_000 } else { 20_000 };
    let mut rx = hub.core().relay().subscribe_events();
    let started = Instant::now();
    let receiver = tokio::spawn(async move {
        let (mut got, mut lagged) = (0u64, 0u64);
        while got + lagged < total {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                Ok(Ok(_)) => got += 1,
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => lagged += n,
                _ => break,
            }
        }
        (got, lagged, started.elapsed())
    });
    for i in 0..total {
        sim.emit(pairing::wire::CdpEvent {
            method: "Bench.tick".into(),
            params: Some(json!({"i": i})),
            session_id: Some("pw-tab-1".into()),
        });
    }
    let (got, lagged, took) = receiver.await.unwrap();
    json!({"events": total, "received": got, "dropped_by_slow_subscriber": lagged, "events_per_s": ((got + lagged) as f64 / took.as_secs_f64()).round()})
}

/// Time from the holder's release to the next FIFO waiter holding the binding.
pub async fn lease_handover(quick: bool) -> Value {
    let bench = Arc::new(Bench::start().await);
    let mut samples = Vec::new();
    for _ in 0..(if quick { 10 } else { 100 }) {
        let a = bench.rpc("relay.bind", json!({"clientId": "bench", "instanceId": "a"})).await;
        let waiter = {
            let bench = bench.clone();
            tokio::spawn(async move {
                let got =
                    bench.rpc("relay.wait", json!({"clientId": "bench", "instanceId": "b", "timeoutMs": 10_000})).await;
                (Instant::now(), got)
            })
        };
        while bench.hub.core().status().queue.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let released_at = Instant::now();
        bench
            .rpc("relay.release", json!({"clientId": "bench", "instanceId": "a", "bindingId": a["data"]["bindingId"]}))
            .await;
        let (granted_at, got) = waiter.await.unwrap();
        samples.push(granted_at - released_at);
        bench
            .rpc(
                "relay.release",
                json!({"clientId": "bench", "instanceId": "b", "bindingId": got["data"]["bindingId"]}),
            )
            .await;
    }
    summary(&mut samples)
}
