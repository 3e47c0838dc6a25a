//! The input half of `parallel_agents`: tab agents each snapshot, click and type on a page
//! of their own (`/bench-input`: a toggle button and a text field, neither navigates), as
//! an agent works. One agent with its tab in front against the same agent with the user's
//! tab in front (its tab in the background, where input used to wait 5 s per mouse event),
//! and 1, 2 and 4 agents in background tabs at once.
//!
//! Which tab is in front is set with a direct DevTools call of the bench's own
//! (`Target.activateTarget`, not through the hub), and checked on the user's tab
//! (`document.visibilityState`) at every switch, and through `chrome.tabs` (as the user
//! sees it) before, at the first switch and after.

use crate::stats::summary;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use system_tests::browser::Browser;
use system_tests::hub_process::HubProcess;
use system_tests::oracle::Oracle;
use system_tests::rpc::ref_of;

/// The command kinds of one round, in the order they are reported.
const KINDS: [&str; 3] = ["click", "type", "snapshot"];

/// A tab agent: who it is, its session and the URL of its tab.
pub struct Agent {
    pub who: Value,
    pub session: Value,
    pub url: String,
    /// Rounds run so far (each clicked the toggle once).
    rounds: usize,
}

impl Agent {
    pub fn new(who: Value, session: Value, url: String) -> Agent {
        Agent { who, session, url, rounds: 0 }
    }
}

/// The path of agent `index`'s page when `agents` run at once (one URL per tab, so the
/// bench's own DevTools connection finds each tab by it).
pub fn page_path(agents: usize, index: usize) -> String {
    format!("/bench-input?agents={agents}&agent={index}")
}

/// The time of each command, by kind (the order of [`KINDS`]).
type Times = [Vec<Duration>; 3];

/// One command of `agent`, timed; its data.
async fn timed(hub: &HubProcess, agent: &Agent, name: &str, extra: Value, into: &mut Vec<Duration>) -> Value {
    let mut params = agent.who.clone();
    params["sessionId"] = agent.session.clone();
    params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let started = Instant::now();
    let reply = hub.rpc(name, params).await;
    into.push(started.elapsed());
    assert_eq!(reply["ok"], true, "{name}: {reply}");
    reply["data"].clone()
}

/// `rounds` times: a snapshot, a click on the toggle and typing into the field (cleared
/// first), each by the ref of that round's snapshot.
async fn input_loop(hub: &HubProcess, agent: &mut Agent, rounds: usize, times: &mut Times) {
    let [click, typing, snapshot] = times;
    for _ in 0..rounds {
        let page = timed(hub, agent, "nav.snapshot", json!({}), snapshot).await;
        let page = page["content"].as_str().unwrap_or_default();
        let (toggle, note) = (ref_of(page, "button \"Toggle\""), ref_of(page, "textbox \"Note\""));
        timed(hub, agent, "interact.click", json!({"ref": toggle}), click).await;
        let text = format!("n{:04}", agent.rounds);
        timed(hub, agent, "interact.type", json!({"ref": note, "text": text, "clear": true}), typing).await;
        agent.rounds += 1;
    }
}

/// The page target whose URL is `url`.
async fn target_of(oracle: &mut Oracle, url: &str) -> String {
    let pages = oracle.pages().await;
    let page = pages.iter().find(|t| t["url"] == url).unwrap_or_else(|| panic!("no tab at {url} among {pages:?}"));
    page["targetId"].as_str().unwrap().to_owned()
}

/// Brings `front` to the front and waits until the user's tab (oracle session `user`) is
/// `visibility` accordingly.
async fn bring_to_front(oracle: &mut Oracle, front: &str, user: &str, visibility: &str) {
    oracle.call("Target.activateTarget", json!({"targetId": front}), None).await;
    let ask = json!({"expression": "document.visibilityState", "returnByValue": true});
    let started = Instant::now();
    loop {
        let seen = oracle.call("Runtime.evaluate", ask.clone(), Some(user)).await;
        if seen["result"]["value"] == visibility {
            return;
        }
        assert!(started.elapsed() < system_tests::WAIT, "the user's tab stayed {seen}, not {visibility}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The URLs of the active tabs, as the extension (and the user) sees them.
async fn active_tabs(browser: &Browser) -> Value {
    browser.eval_in_extension("chrome.tabs.query({active: true}).then(ts => ts.map(t => t.url))").await
}

/// Median and p99 in ms of `samples`, with their count.
fn ms(samples: &mut [Duration]) -> Value {
    let s = summary(samples);
    let ms = |us: &Value| (us.as_f64().unwrap_or(f64::NAN) / 10.0).round() / 100.0;
    json!({"n": s["n"], "median_ms": ms(&s["median_us"]), "p99_ms": ms(&s["p99_us"])})
}

fn ratio(a: &Value, b: &Value) -> Value {
    json!((a.as_f64().unwrap_or(f64::NAN) / b.as_f64().unwrap_or(f64::NAN) * 100.0).round() / 100.0)
}

/// One agent, its tab in front and then in the background, in alternating blocks (the
/// same page, tab and session): per command kind, median and p99 of each and the ratio
/// background / foreground. Leaves the user's tab (at `user_url`) in front.
pub async fn foreground_vs_background(
    hub: &HubProcess,
    browser: &Browser,
    agent: &mut Agent,
    user_url: &str,
    quick: bool,
) -> Value {
    let (blocks, per_block) = if quick { (2, 3) } else { (10, 20) };
    let mut oracle = Oracle::of_browser(browser).await;
    let (agent_tab, user_tab) = (target_of(&mut oracle, &agent.url).await, target_of(&mut oracle, user_url).await);
    let attached = oracle.call("Target.attachToTarget", json!({"targetId": user_tab, "flatten": true}), None).await;
    let user = attached["sessionId"].as_str().unwrap().to_owned();
    assert_eq!(active_tabs(browser).await, json!([user_url]), "the agent's tab opened in the background");
    input_loop(hub, agent, 2, &mut Times::default()).await;
    let (mut front, mut back) = (Times::default(), Times::default());
    for block in 0..blocks {
        bring_to_front(&mut oracle, &agent_tab, &user, "hidden").await;
        if block == 0 {
            assert_eq!(active_tabs(browser).await, json!([agent.url]), "the agent's tab is in front");
        }
        input_loop(hub, agent, per_block, &mut front).await;
        bring_to_front(&mut oracle, &user_tab, &user, "visible").await;
        input_loop(hub, agent, per_block, &mut back).await;
    }
    assert_eq!(active_tabs(browser).await, json!([user_url]), "the user's tab is in front again");
    let mut out = serde_json::Map::new();
    for (i, kind) in KINDS.into_iter().enumerate() {
        let (fg, bg) = (ms(&mut front[i]), ms(&mut back[i]));
        let row = json!({"foreground": fg, "background": bg,
            "bg_vs_fg_median": ratio(&bg["median_ms"], &fg["median_ms"]),
            "bg_vs_fg_p99": ratio(&bg["p99_ms"], &fg["p99_ms"])});
        out.insert(kind.to_owned(), row);
    }
    Value::Object(out)
}

/// All `agents` run `rounds` rounds at once, each in its background tab: commands per
/// second over all of them, and the latency of each kind of command.
pub async fn at_once(hub: &HubProcess, agents: &mut [Agent], quick: bool) -> (f64, Value) {
    let rounds = if quick { 3 } else { 100 };
    let started = Instant::now();
    let runs = agents.iter_mut().map(|agent| async move {
        let mut times = Times::default();
        input_loop(hub, agent, rounds, &mut times).await;
        times
    });
    let all = futures_util::future::join_all(runs).await;
    let wall = started.elapsed().as_secs_f64();
    let mut by_kind = Times::default();
    for times in all {
        for (into, from) in by_kind.iter_mut().zip(times) {
            into.extend(from);
        }
    }
    let count: usize = by_kind.iter().map(Vec::len).sum();
    let rate = count as f64 / wall;
    let mut row = serde_json::Map::new();
    for (kind, samples) in KINDS.into_iter().zip(by_kind.iter_mut()) {
        row.insert(kind.to_owned(), ms(samples));
    }
    row.insert("commands".into(), json!(count));
    row.insert("commands_per_s".into(), json!((rate * 10.0).round() / 10.0));
    (rate, Value::Object(row))
}

/// Checks on each agent's page, through the bench's own DevTools connection, that every
/// click and every typed text arrived.
pub async fn check_pages(browser: &Browser, agents: &[Agent]) {
    let mut oracle = Oracle::of_browser(browser).await;
    for agent in agents {
        let want = json!([format!("{} clicks", agent.rounds), format!("n{:04}", agent.rounds - 1)]);
        let mut page = oracle.page(&agent.url).await;
        page.eventually("[document.getElementById('clicks').textContent, document.getElementById('note').value]", want)
            .await;
    }
}
