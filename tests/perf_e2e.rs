//! Why a page is slow, in the user's Chrome, a managed and a connected Chromium: on a local
//! page whose stylesheet holds back the first paint, whose large image arrives late and
//! whose late banner pushes the content down, `devtools.vitals` names the image as the LCP
//! element with its download as the largest phase, counts the shift as CLS naming what
//! moved, lists the stylesheet as render-blocking, and after the agent clicks a button
//! with a slow handler reports that click as INP. A performance trace of the same load
//! (`devtools.traceStart {reload}` / `traceStop`) is a Chrome trace file that the DevTools
//! Performance panel's own engine (`@paulirish/trace_engine`, tests/cdp_clients/
//! trace_check.mjs) opens and in which it finds the same LCP image, the shift and the
//! render-blocking stylesheet.

use serde_json::Value;
use std::path::Path;
use system_tests::recorder::Recorder;
use system_tests::rpc::{ref_of, Driver};
use system_tests::{node_client, HubWorld, World};

/// How late the stylesheet and the image arrive, ms.
const CSS_DELAY: u64 = 300;
const IMAGE_DELAY: u64 = 900;
/// How long the button's click handler keeps the main thread busy, ms.
const HANDLER_MS: u64 = 150;

/// `/vitals`: the slow page; `/style.css` and `/hero.svg` its late parts.
fn pages(path: &str) -> String {
    if path.starts_with("/style.css") {
        return "body { font: 16px sans-serif; margin: 8px }".to_owned();
    }
    if path.starts_with("/hero.svg") {
        // Many shapes: the browser does not count an image of too few bytes per pixel as LCP.
        let tiles = (0..240).map(|i| {
            let (x, y, c) = ((i % 20) * 30, (i / 20) * 30, i * 7919 % 0xffffff);
            format!(r##"<rect x="{x}" y="{y}" width="30" height="30" fill="#{c:06x}"/>"##)
        });
        let tiles: String = tiles.collect();
        return format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="360">{tiles}</svg>"#);
    }
    format!(
        r#"<!doctype html><title>Vitals</title><link rel="stylesheet" href="/style.css?delay={CSS_DELAY}">
<div id="slot"></div><main id="content"><h1>Hello</h1><p id="text">Some text the banner pushes down.</p>
<button id="slow" onclick="const t = performance.now(); while (performance.now() - t < {HANDLER_MS}) {{}} this.textContent = 'Done'">Slow button</button>
<img id="hero" src="/hero.svg?delay={IMAGE_DELAY}" width="600" height="360" alt="Hero"></main>
<script>setTimeout(() => {{ const b = document.createElement('div'); b.id = 'banner';
  b.style.height = '120px'; b.textContent = 'Late banner'; document.getElementById('slot').append(b); }}, 300);</script>"#
    )
}

async fn vitals_name_what_made_the_page_slow(d: &Driver<'_>, server: &Recorder) {
    d.ok("nav.goto", serde_json::json!({"url": server.url("/vitals")})).await;
    let r = d.ok("devtools.vitals", serde_json::json!({"reload": true, "watchMs": 1500})).await;
    let report = r["report"].as_str().unwrap_or_default();
    let lcp = &r["lcp"];
    assert_eq!(lcp["url"].as_str(), Some(server.url(&format!("/hero.svg?delay={IMAGE_DELAY}")).as_str()), "{report}");
    assert!(lcp["element"].as_str().unwrap_or_default().starts_with("img#hero"), "{report}");
    assert!(lcp["ms"].as_f64() >= Some(IMAGE_DELAY as f64), "{report}");
    let phases = &lcp["phases"];
    let sum: f64 =
        ["ttfbMs", "loadDelayMs", "loadDurationMs", "renderDelayMs"].iter().map(|p| phases[p].as_f64().unwrap()).sum();
    assert!((sum - lcp["ms"].as_f64().unwrap()).abs() <= 3.0, "the phases add up to the LCP: {phases} {report}");
    assert!(phases["loadDurationMs"].as_f64() >= Some(IMAGE_DELAY as f64 - 50.0), "{report}");
    assert!(report.contains("the image's download is the largest part"), "{report}");

    assert!(r["cls"]["score"].as_f64() > Some(0.0), "the banner's shift counts: {report}");
    let moved: Vec<&str> =
        r["cls"]["shifts"][0]["elements"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    // The browser names the smallest box around what moved: the content or the body holding it.
    let content = |e: &&str| e.starts_with("main#content") || (e.starts_with("body") && e.contains("Hello"));
    assert!(moved.iter().any(content), "the content moved: {moved:?} {report}");
    let blocking: Vec<&str> =
        r["renderBlocking"].as_array().unwrap().iter().filter_map(|b| b["url"].as_str()).collect();
    assert_eq!(blocking, [server.url(&format!("/style.css?delay={CSS_DELAY}"))], "{report}");
    assert!(r["fcpMs"].as_f64() >= Some(CSS_DELAY as f64 - 50.0), "the stylesheet held the first paint back: {report}");
    assert!(r["ttfbMs"].as_f64().is_some() && r["inp"].is_null(), "{report}");

    // The agent's click runs a slow handler: it is the interaction INP reports.
    let button = ref_of(&d.snapshot().await, "Slow button");
    d.ok("interact.click", serde_json::json!({"ref": button})).await;
    d.wait_text("Done").await;
    let r = d.ok("devtools.vitals", serde_json::json!({})).await;
    let (inp, report) = (&r["inp"], r["report"].as_str().unwrap_or_default());
    assert!(inp["element"].as_str().unwrap_or_default().starts_with("button#slow"), "{report}");
    assert!(inp["ms"].as_f64() >= Some(HANDLER_MS as f64), "{report}");
    assert!(inp["processingMs"].as_f64() >= Some(HANDLER_MS as f64 - 10.0), "{report}");
    assert!(report.lines().any(|l| l.starts_with("INP ") && l.contains("button#slow")), "{report}");
}

/// trace_check.mjs's findings on `file` (failing the test unless the engine parses it).
async fn read_with_devtools_trace_engine(file: &Path) -> Value {
    let stdout =
        node_client("trace_check.mjs", [file]).await.unwrap_or_else(|refused| panic!("trace engine: {refused}"));
    serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap()
}

async fn a_trace_of_the_load_opens_in_devtools_engine(d: &Driver<'_>, server: &Recorder, dir: &Path) {
    d.ok("nav.goto", serde_json::json!({"url": server.url("/vitals?trace")})).await;
    let started = d.ok("devtools.traceStart", serde_json::json!({"reload": true})).await;
    assert_eq!(started["reloaded"], true, "{started}");
    d.fails("devtools.traceStart", serde_json::json!({}), "already_tracing").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await; // the late image and banner
    let file = dir.join("load.trace.json");
    let saved = d.ok("devtools.traceStop", serde_json::json!({"path": file})).await;
    let text = std::fs::read_to_string(&file).unwrap();
    let doc: Value = serde_json::from_str(&text).expect("the trace file is JSON");
    let events = doc["traceEvents"].as_array().expect("a traceEvents list");
    assert_eq!(saved["events"].as_u64(), Some(events.len() as u64), "{saved}");
    for name in ["TracingStartedInBrowser", "largestContentfulPaint::Candidate", "LayoutShift", "ResourceSendRequest"] {
        let names: std::collections::BTreeSet<&str> = events.iter().filter_map(|e| e["name"].as_str()).collect();
        assert!(names.contains(name), "no {name} event among {} events: {names:?}", events.len());
    }

    let read = read_with_devtools_trace_engine(&file).await;
    assert_eq!(read["valid"], true, "{read}");
    assert!(read["navigations"].as_u64() >= Some(1), "{read}");
    assert!(read["lcp"]["url"].as_str().unwrap_or_default().contains("/hero.svg"), "{read}");
    assert!(read["cls"].as_f64() > Some(0.0) && read["layoutShifts"].as_u64() >= Some(1), "{read}");
    let blocking: Vec<&str> = read["renderBlocking"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(blocking.iter().any(|u| u.contains("/style.css")), "{read}");
    d.fails("devtools.traceStop", serde_json::json!({"path": file}), "not_tracing").await;
}

async fn both(d: &Driver<'_>, dir: &Path) {
    let server = Recorder::start(pages).await;
    vitals_name_what_made_the_page_slow(d, &server).await;
    a_trace_of_the_load_opens_in_devtools_engine(d, &server, dir).await;
}

#[tokio::test]
async fn vitals_and_traces_in_the_users_chrome() {
    let world = World::start().await;
    let d = Driver::in_users_chrome(&world.hub).await;
    both(&d, world.dirs.path()).await;
}

#[tokio::test]
async fn vitals_and_traces_in_managed_chromium() {
    let HubWorld { hub, dirs, .. } = &HubWorld::without_extension().await;
    let d = Driver::in_managed_chromium(hub, "about:blank").await;
    both(&d, dirs.path()).await;
}

#[tokio::test]
async fn vitals_and_traces_in_a_connected_chromium() {
    let HubWorld { hub, dirs, .. } = &HubWorld::without_extension().await;
    let chromium = system_tests::oracle::PlainChromium::launch("about:blank").await;
    let d = Driver::in_connected_chromium(hub, &chromium).await;
    both(&d, dirs.path()).await;
}
