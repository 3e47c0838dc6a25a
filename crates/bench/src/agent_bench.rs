//! Benchmarks of what agents do: several agents at once in the user's Chrome (tab leases
//! through the real extension; `page.evaluate`, and real input with their tabs in front and
//! behind the user's), and the snapshot's cost against Playwright's ARIA snapshot of the
//! same page.

use crate::input_bench;
use crate::stats::summary;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use system_tests::browser::Browser;
use system_tests::free_port;
use system_tests::hub_process::HubProcess;
use system_tests::site::Site;

/// 1, 2 and 4 agents at once in the user's Chrome (the real extension), each in a tab of
/// its own (tab-scoped sessions, no relay binding), each running `page.evaluate` in a loop:
/// commands per second over all agents, and the latency of one command (`agents_N`). Then
/// the same agents work their pages with real input (snapshot, click, type; see
/// [`crate::input_bench`]) while the user's tab stays in front: one agent with its tab in
/// front against in the background (`input_one_agent`), and all of them at once
/// (`input_agents_N`, commands per second and against one agent).
pub async fn parallel_agents(quick: bool) -> Value {
    let per_agent = if quick { 30 } else { 300 };
    let crate::paired::Paired { site, hub, browser, .. } = &crate::paired::Paired::start().await;
    let mut out = serde_json::Map::new();
    let (mut rate_of_one, mut input_rate_of_one) = (0.0, 0.0);
    for agents in [1usize, 2, 4] {
        let mut sessions = Vec::new();
        for i in 0..agents {
            let who = json!({"clientId": "bench", "instanceId": format!("agent-{i}")});
            let url = site.url(&input_bench::page_path(agents, i));
            let mut launch = who.clone();
            launch
                .as_object_mut()
                .unwrap()
                .extend(json!({"mode": "extension", "scope": "tab", "startUrl": url}).as_object().unwrap().clone());
            let reply = hub.rpc("session.launch", launch).await;
            let session = reply["data"]["sessionId"].clone();
            assert!(session.is_string(), "{reply}");
            sessions.push(input_bench::Agent::new(who, session, url));
        }
        let started = Instant::now();
        let runs = sessions.iter().map(|agent| {
            let hub = &hub;
            async move {
                let mut times = Vec::with_capacity(per_agent);
                let mut params = agent.who.clone();
                params["sessionId"] = agent.session.clone();
                params["expression"] = json!("1+1");
                for _ in 0..per_agent {
                    let t = Instant::now();
                    let reply = hub.rpc("page.evaluate", params.clone()).await;
                    assert_eq!(reply["data"]["value"], 2, "{reply}");
                    times.push(t.elapsed());
                }
                times
            }
        });
        let mut times: Vec<Duration> = futures_util::future::join_all(runs).await.into_iter().flatten().collect();
        let wall = started.elapsed().as_secs_f64();
        let rate = times.len() as f64 / wall;
        if agents == 1 {
            rate_of_one = rate;
        }
        let mut row = summary(&mut times);
        row["commands_per_s"] = json!(rate.round());
        row["vs_one_agent"] = json!(((rate / rate_of_one.max(1.0)) * 100.0).round() / 100.0);
        out.insert(format!("agents_{agents}"), row);

        if agents == 1 {
            let user = site.url("/");
            let one = input_bench::foreground_vs_background(hub, browser, &mut sessions[0], &user, quick).await;
            out.insert("input_one_agent".into(), one);
        }
        let (rate, mut row) = input_bench::at_once(hub, &mut sessions, quick).await;
        if agents == 1 {
            input_rate_of_one = rate;
        }
        row["vs_one_agent"] = json!(((rate / input_rate_of_one) * 100.0).round() / 100.0);
        out.insert(format!("input_agents_{agents}"), row);
        input_bench::check_pages(browser, &sessions).await;

        for agent in sessions {
            let mut params = agent.who;
            params["sessionId"] = agent.session;
            hub.rpc("session.disconnect", params).await;
        }
    }
    Value::Object(out)
}

/// Our snapshot of a large local page (about 5,000 elements) against Playwright's own ARIA
/// snapshot (`locator('body').ariaSnapshot()`, playwright-core over CDP) of the same tab
/// in the same Chromium: time per snapshot and size of the output in characters (what an
/// agent pays for in tokens). Ours goes plugin → hub RPC → browser, as agents call it.
pub async fn snapshot_economy(quick: bool) -> Value {
    let runs = if quick { 3 } else { 10 };
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    let url = site.url("/big");
    let browser = Browser::launch(&url).await;
    let who = json!({"clientId": "bench", "instanceId": "snapshots"});
    let call = |name: &'static str, extra: Value| {
        let mut params = who.clone();
        params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let hub = &hub;
        async move {
            let reply = hub.rpc(name, params).await;
            assert_eq!(reply["ok"], true, "{name}: {reply}");
            reply["data"].clone()
        }
    };
    let session = call("session.connect", json!({"port": browser.devtools_port})).await["sessionId"].clone();
    call("nav.goto", json!({"sessionId": session, "url": url})).await;
    let count = "document.querySelectorAll('*').length + document.getElementById('widget').shadowRoot.querySelectorAll('*').length";
    let elements = call("page.evaluate", json!({"sessionId": session, "expression": count})).await["value"].clone();
    let mut out = json!({"elements": elements});
    for mode in ["outline", "actionables"] {
        let ask = json!({"sessionId": session, "mode": mode, "maxChars": 1_000_000});
        let warm = call("nav.snapshot", ask.clone()).await;
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            call("nav.snapshot", ask.clone()).await;
            times.push(t.elapsed());
        }
        let mut row = summary(&mut times);
        row["chars"] = json!(warm["content"].as_str().unwrap_or_default().chars().count());
        out[mode] = row;
    }
    let cdp = format!("http://127.0.0.1:{}", browser.devtools_port);
    let script = system_tests::workspace().join("tests/cdp_clients/aria_snapshot.mjs");
    let ran = tokio::process::Command::new("node").arg(script).args([&cdp, &url, &runs.to_string()]).output().await;
    let ran = ran.expect("node (scripts/setup.sh installs it)");
    let stdout = String::from_utf8_lossy(&ran.stdout);
    let playwright: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("aria_snapshot.mjs: {stdout}{}", String::from_utf8_lossy(&ran.stderr)));
    let pw_ms = playwright["median_ms"].as_f64().unwrap_or(f64::NAN);
    let pw_chars = playwright["chars"].as_f64().unwrap_or(f64::NAN);
    for mode in ["outline", "actionables"] {
        let ms = out[mode]["median_us"].as_f64().unwrap_or(f64::NAN) / 1000.0;
        let chars = out[mode]["chars"].as_f64().unwrap_or(f64::NAN);
        out[mode]["time_vs_playwright"] = json!((ms / pw_ms * 100.0).round() / 100.0);
        out[mode]["chars_vs_playwright"] = json!((chars / pw_chars * 100.0).round() / 100.0);
    }
    out["playwright_aria_snapshot"] = playwright;
    out
}
