//! Benchmarks with real processes: the hub binary's memory, the real extension's size
//! and pairing times, and `Runtime.evaluate` through the hub vs direct CDP.

use crate::stats::summary;
use opendevbrowser_browser::direct::{browser_ws_url, DirectCdp};
use opendevbrowser_client::channel::Channel;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use system_tests::browser::Browser;
use system_tests::hub_process::HubProcess;
use system_tests::site::Site;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

use system_tests::free_port;

/// RSS of the hub process idle and with 100 connected clients (session sockets + calls).
pub async fn memory() -> Value {
    let dirs = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(hub.pid());
    let mut sockets = Vec::new();
    for i in 0..100 {
        let url = format!("ws://127.0.0.1:{}/session?clientId=bench&instanceId=c{i}", hub.daemon_port);
        let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
        req.headers_mut().insert("authorization", format!("Bearer {}", hub.token).parse().unwrap());
        sockets.push(tokio_tungstenite::connect_async(req).await.unwrap().0);
        hub.rpc("relay.status", json!({})).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let loaded = rss_kib(hub.pid());
    drop(sockets);
    json!({"rss_idle_kib": idle, "rss_100_clients_kib": loaded})
}

/// wasm size, worker start → paired, and hub restart → paired again.
pub async fn extension(quick: bool) -> Value {
    let wasm = std::fs::read(system_tests::workspace().join("extension/pkg/extension_bg.wasm"))
        .expect("build the extension first");
    let gz = {
        use std::io::Write;
        let mut child = std::process::Command::new("gzip")
            .arg("-9c")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&wasm).unwrap();
        child.wait_with_output().unwrap().stdout.len()
    };
    let site = Site::start().await;
    let (mut start_to_paired, mut restart_to_paired, mut worker_to_paired) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..(if quick { 1 } else { 3 }) {
        let dirs = tempfile::tempdir().unwrap();
        let hub = HubProcess::start(dirs.path(), system_tests::discovery_port()).await;
        let t = Instant::now();
        let browser = Browser::launch(&site.url("/")).await;
        hub.wait_for_extension().await;
        start_to_paired.push(t.elapsed());
        // The worker's own clock: its start (performance.timeOrigin) to its first pairing.
        let timing =
            browser.eval_in_extension("chrome.storage.session.get('workerTiming').then(s => s.workerTiming)").await;
        let ms = timing["pairedAt"].as_f64().unwrap_or(0.0) - timing["startedAt"].as_f64().unwrap_or(0.0);
        worker_to_paired.push(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
        hub.kill();
        let t = Instant::now();
        let hub = HubProcess::start(dirs.path(), system_tests::discovery_port()).await;
        hub.wait_for_extension().await;
        restart_to_paired.push(t.elapsed());
    }
    json!({"wasm_bytes": wasm.len(), "wasm_gzip_bytes": gz,
        "browser_start_to_paired": summary(&mut start_to_paired), "worker_start_to_paired": summary(&mut worker_to_paired),
        "hub_restart_to_paired": summary(&mut restart_to_paired)})
}

/// `Runtime.evaluate("1+1")` on a real page: plugin → hub → extension, vs direct CDP.
pub async fn evaluate_round_trip(quick: bool) -> Value {
    let n = if quick { 50 } else { 500 };
    let crate::paired::Paired { site, hub, browser, .. } = &crate::paired::Paired::start().await;
    let params = json!({"method": "Runtime.evaluate", "params": {"expression": "1+1", "returnByValue": true}});
    let mut via_hub = Vec::new();
    for i in 0..(n + n / 10) {
        let t = Instant::now();
        let reply = hub.cdp(params.clone()).await;
        assert_eq!(reply["data"]["result"]["value"], 2, "{reply}");
        if i >= n / 10 {
            via_hub.push(t.elapsed());
        }
    }
    let (channel, pipelined) = over_the_channel(hub, &params, n).await;
    let ws = browser_ws_url("127.0.0.1", browser.devtools_port).await.unwrap();
    let cdp = DirectCdp::connect(&ws).await.unwrap();
    let timeout = Duration::from_secs(10);
    let targets = cdp.call("Target.getTargets", json!({}), None, timeout).await.unwrap();
    let page = targets["targetInfos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "page" && t["url"] == site.url("/"))
        .cloned()
        .unwrap();
    let attached = cdp
        .call("Target.attachToTarget", json!({"targetId": page["targetId"], "flatten": true}), None, timeout)
        .await
        .unwrap();
    let session = attached["sessionId"].as_str().unwrap().to_owned();
    let mut direct = Vec::new();
    for i in 0..(n + n / 10) {
        let t = Instant::now();
        let r = cdp
            .call("Runtime.evaluate", json!({"expression": "1+1", "returnByValue": true}), Some(&session), timeout)
            .await
            .unwrap();
        assert_eq!(r["result"]["value"], 2);
        if i >= n / 10 {
            direct.push(t.elapsed());
        }
    }
    let floor = plain_js_debugger(browser, site, n).await;
    let ws_floor = worker_websocket_floor(browser, site, n).await;
    let (hub_s, direct_s) = (summary(&mut via_hub), summary(&mut direct));
    let ratio = hub_s["median_us"].as_f64().unwrap() / direct_s["median_us"].as_f64().unwrap().max(1.0);
    // The targets: the channel's median against the worker floor (echo + chrome.debugger),
    // and its p99 against its own median; and what any hub must add to that floor, the
    // plugin → hub hop, measured on the same channel.
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let worker = ws_floor["websocket_echo_then_debugger"]["median_us"].as_f64().unwrap_or(f64::NAN);
    let (median, p99) =
        (channel["median_us"].as_f64().unwrap_or(f64::NAN), channel["p99_us"].as_f64().unwrap_or(f64::NAN));
    let hop = channel["hub_hop_alone"]["median_us"].as_f64().unwrap_or(f64::NAN);
    let targets = json!({"channel_median_vs_worker_floor": round(median / worker),
        "channel_median_vs_worker_floor_plus_hub_hop": round(median / (worker + hop)),
        "channel_p99_vs_own_median": round(p99 / median),
        "http_p99_vs_own_median": round(hub_s["p99_us"].as_f64().unwrap_or(f64::NAN) / hub_s["median_us"].as_f64().unwrap_or(f64::NAN))});
    json!({"via_hub_and_extension": hub_s, "via_hub_channel": channel, "pipelined_8_in_flight": pipelined,
        "direct_cdp": direct_s, "median_ratio": round(ratio), "targets": targets,
        "chrome_debugger_alone_in_worker": floor, "worker_floor": ws_floor})
}

/// `Runtime.evaluate("1+1")` by `chrome.debugger` from plain JS in the extension's worker,
/// `n` times on the site's front page (timed in the worker, whose clock has 100 µs steps).
pub async fn plain_js_debugger(browser: &Browser, site: &Site, n: usize) -> Value {
    browser
        .eval_in_extension(&format!(
            "(async () => {{ const [tab] = await chrome.tabs.query({{url: '{}'}}); const t = []; \
             for (let i = 0; i < {n}; i++) {{ const s = performance.now(); \
               await chrome.debugger.sendCommand({{tabId: tab.id}}, 'Runtime.evaluate', {{expression: '1+1', returnByValue: true}}); \
               t.push(performance.now() - s); }} \
             t.sort((a, b) => a - b); return {{median_us: Math.round(t[t.length >> 1] * 1000), \
               p99_us: Math.round(t[Math.floor(t.length * 0.99)] * 1000), \
               mean_us: Math.round(t.reduce((a, b) => a + b, 0) / t.length * 1000)}}; }})()",
            site.url("/")
        ))
        .await
}

/// A channel to the hub and the fields that make a `cdp.send` on it hold the binding (the
/// e2e owner's; binding again returns the same id).
pub async fn bound_channel(hub: &HubProcess) -> (Channel, Value) {
    use opendevbrowser_client::discovery::HubEndpoint;
    let endpoint = HubEndpoint {
        port: hub.daemon_port,
        token: hub.token.clone(),
        hub_instance_id: String::new(),
        pid: hub.pid(),
        relay_port: hub.relay_port,
    };
    let channel = Channel::open(&endpoint).await.expect("the hub's /channel");
    let owner = json!({"clientId": system_tests::hub_process::CLIENT_ID, "instanceId": "e2e"});
    let bound = hub.rpc("relay.bind", owner.clone()).await;
    let call = json!({"clientId": owner["clientId"], "instanceId": owner["instanceId"],
        "bindingId": bound["data"]["bindingId"]});
    (channel, call)
}

/// The same `cdp.send` over the persistent channel (`/channel`) one at a time, then 8 in
/// flight at once over the channel and over 8 concurrent HTTP requests (commands/s).
async fn over_the_channel(hub: &HubProcess, params: &Value, n: usize) -> (Value, Value) {
    let (channel, owner) = bound_channel(hub).await;
    let mut call = params.clone();
    for key in ["clientId", "instanceId", "bindingId"] {
        call[key] = owner[key].clone();
    }
    let evaluated = |data: &Value| assert_eq!(data["result"]["value"], 2, "{data}");
    let mut channel_times = time_calls(&channel, "cdp.send", &call, n, evaluated).await;
    // The plugin → hub hop alone: a command the hub answers itself.
    let hop = hub_hop(&channel, n).await;
    // Plugin → hub → extension and back for a command the extension answers itself (no
    // chrome.debugger): the relay path without the browser.
    let mut version = call.clone();
    version["method"] = json!("Browser.getVersion");
    version["params"] = json!({});
    let local = time_calls(&channel, "cdp.send", &version, n, |_| {}).await;
    let rate = |started: Instant, count: usize| json!((count as f64 / started.elapsed().as_secs_f64()).round());
    let rounds = n / 8;
    let started = Instant::now();
    for _ in 0..rounds {
        let calls = (0..8).map(|_| channel.call("cdp.send", call.clone()));
        for answer in futures_util::future::join_all(calls).await {
            assert!(answer.is_ok(), "a pipelined call failed");
        }
    }
    let over_channel = rate(started, rounds * 8);
    let started = Instant::now();
    for _ in 0..rounds {
        let calls = (0..8).map(|_| hub.rpc("cdp.send", call.clone()));
        for answer in futures_util::future::join_all(calls).await {
            assert_eq!(answer["ok"], true, "{answer}");
        }
    }
    let over_http = rate(started, rounds * 8);
    channel_times["hub_hop_alone"] = hop;
    channel_times["extension_answers_itself"] = local;
    (channel_times, json!({"channel_commands_per_s": over_channel, "http_commands_per_s": over_http}))
}

/// Times `n` calls of `name` with `params` on the channel, one at a time, after `n / 10`
/// untimed warm-up calls; `check` looks at each answer.
pub async fn time_calls(channel: &Channel, name: &str, params: &Value, n: usize, check: impl Fn(&Value)) -> Value {
    let mut times = Vec::new();
    for i in 0..(n + n / 10) {
        let t = Instant::now();
        let data =
            channel.call(name, params.clone()).await.unwrap_or_else(|e| panic!("{name} over the channel: {e:?}"));
        check(&data);
        if i >= n / 10 {
            times.push(t.elapsed());
        }
    }
    summary(&mut times)
}

/// The plugin → hub hop alone on a channel: a command the hub answers itself.
pub async fn hub_hop(channel: &Channel, n: usize) -> Value {
    time_calls(channel, "relay.status", &json!({}), n, |_| {}).await
}

/// What any extension relay pays inside the worker, with none of our code in the path: a
/// WebSocket round trip from the service worker to a loopback echo server, alone and
/// followed by the same `chrome.debugger` evaluate (plain JS, timed in the worker).
async fn worker_websocket_floor(browser: &Browser, site: &Site, n: usize) -> Value {
    use futures_util::{SinkExt, StreamExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let echo = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_text() && ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    let script = format!(
        "(async () => {{ const [tab] = await chrome.tabs.query({{url: '{url}'}}); \
           const ws = new WebSocket('ws://127.0.0.1:{port}/'); await new Promise(r => ws.onopen = r); \
           const frame = JSON.stringify({{id: 1, result: {{result: {{type: 'number', value: 2}}}}}}); \
           const echo = () => new Promise(r => {{ ws.onmessage = r; ws.send(frame); }}); \
           const stats = t => {{ t.sort((a, b) => a - b); return {{median_us: Math.round(t[t.length >> 1] * 1000), \
             p99_us: Math.round(t[Math.floor(t.length * 0.99)] * 1000)}}; }}; \
           const alone = [], both = []; \
           for (let i = 0; i < {n}; i++) {{ const s = performance.now(); await echo(); alone.push(performance.now() - s); }} \
           for (let i = 0; i < {n}; i++) {{ const s = performance.now(); await echo(); \
             await chrome.debugger.sendCommand({{tabId: tab.id}}, 'Runtime.evaluate', {{expression: '1+1', returnByValue: true}}); \
             both.push(performance.now() - s); }} \
           ws.close(); return {{websocket_echo: stats(alone), websocket_echo_then_debugger: stats(both)}}; }})()",
        url = site.url("/")
    );
    let floor = browser.eval_in_extension(&script).await;
    echo.abort();
    floor
}
