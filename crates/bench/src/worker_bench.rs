//! Where a command's time goes inside the extension's service worker: hooks installed in
//! the worker (a getter on `MessageEvent.data`, wrappers around `chrome.debugger.sendCommand`
//! and `WebSocket.send`) stamp each `cdp.send` as it passes, so one run splits the round
//! trip into: queued before our handler runs, our code before the debugger call, the
//! debugger call, our code after it, and everything outside the worker. The same
//! `chrome.debugger` call made from plain JS in the same worker is measured alongside, and
//! the first calls after pairing apart from warm ones.

use crate::stats::summary;
use crate::system_bench::{bound_channel, hub_hop, plain_js_debugger, time_calls};
use serde_json::{json, Value};
use std::time::Duration;

/// Installs the stamps: one record per relay message (`e` event time, `d` our handler read
/// it), the debugger call's start/end (`s0`, `s1`) and the reply's send (`w`) on the record
/// of the message being handled.
const HOOKS: &str = "(() => {
  const t = globalThis.__odbStamps = {records: []};
  const last = () => t.records[t.records.length - 1];
  const data = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data');
  Object.defineProperty(MessageEvent.prototype, 'data', {configurable: true, get() {
    t.records.push({e: this.timeStamp, d: performance.now()}); return data.get.call(this); }});
  const send = chrome.debugger.sendCommand;
  chrome.debugger.sendCommand = function (...a) {
    const r = last(); if (r) r.s0 = performance.now();
    return send.apply(this, a).then(v => { if (r) r.s1 = performance.now(); return v; }); };
  const wsSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (x) { const r = last(); if (r && r.s1 && !r.w) r.w = performance.now();
    return wsSend.call(this, x); };
  return true; })()";

/// Reads the records back as segment samples (µs), keeping only complete ones.
const READ: &str = "(() => { const rs = globalThis.__odbStamps.records.filter(r => r.s0 && r.s1 && r.w);
  globalThis.__odbStamps.records = [];
  const us = x => Math.round(x * 1000);
  return rs.map(r => ({queued: us(r.d - r.e), before: us(r.s0 - r.d), debugger: us(r.s1 - r.s0),
    after: us(r.w - r.s1), in_worker: us(r.w - r.e)})); })()";

/// The worker-side split of `cdp.send Runtime.evaluate` over the channel, with the plain-JS
/// debugger call in the same worker for comparison.
pub async fn worker_breakdown(quick: bool) -> Value {
    let n = if quick { 50 } else { 500 };
    let crate::paired::Paired { site, hub, browser, .. } = &crate::paired::Paired::start().await;
    let (channel, mut call) = bound_channel(hub).await;
    call["method"] = json!("Runtime.evaluate");
    call["params"] = json!({"expression": "1+1", "returnByValue": true});
    let round_trip = || time_calls(&channel, "cdp.send", &call, n, |_| {});
    // The first calls after pairing run while V8 still warms the worker's code; later
    // batches show the steady state.
    let first = round_trip().await;
    round_trip().await;
    let warm = round_trip().await;
    assert_eq!(browser.eval_in_extension(HOOKS).await, json!(true), "stamps installed in the worker");
    let hooked = round_trip().await;
    let records = browser.eval_in_extension(READ).await;
    let segment = |name: &str| {
        let mut samples: Vec<Duration> = records
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r[name].as_u64())
            .map(Duration::from_micros)
            .collect();
        summary(&mut samples)
    };
    let plain_js = plain_js_debugger(browser, site, n).await;
    // The worker's clock is coarsened (no cross-origin isolation): stamps are multiples of
    // this, so medians of short segments read 0 and means are the better figure.
    let resolution = browser
        .eval_in_extension(
            "(() => { let least = Infinity, last = performance.now(); \
             for (let i = 0; i < 1e6; i++) { const t = performance.now(); \
               if (t > last) { least = Math.min(least, t - last); last = t; } } \
             return Math.round(least * 1000); })()",
        )
        .await;
    let (in_worker, ours) = (segment("in_worker"), ["queued", "before", "after"].map(segment));
    let mean = |v: &Value| v["mean_us"].as_f64().unwrap_or(f64::NAN);
    let split = json!({"outside_worker_us": (mean(&hooked) - mean(&in_worker)).round(),
        "our_worker_code_us": ours.iter().map(mean).sum::<f64>().round(),
        "debugger_call_us": mean(&segment("debugger"))});
    json!({"mean_split_of_round_trip": split, "timer_resolution_us": resolution,
        "round_trip_first_after_pairing": first, "round_trip_warm": warm, "round_trip_with_stamps": hooked,
        "hub_hop_alone": hub_hop(&channel, n).await, "records": records.as_array().map_or(0, Vec::len),
        "queued_before_handler": segment("queued"), "ours_before_debugger": segment("before"),
        "debugger_call_from_core": segment("debugger"), "ours_after_debugger": segment("after"),
        "in_worker": in_worker, "debugger_call_from_plain_js": plain_js})
}
