//! `devtools.vitals`: the Core Web Vitals of the active tab's page. Every attached tab runs
//! a collector ([`crate::vitals_collector`]) in the hub's isolated world from the start of each
//! document, so interactions the agent made are counted too; the command reads what it saw
//! and [`report`] (pure) turns it into the figures — LCP with its element and the four
//! phases it splits into, CLS as the worst window of shifts (1 s gap, 5 s at most, as the
//! browser's own definition) with the elements that moved, INP of the interactions, TTFB,
//! FCP, render-blocking requests — and a few lines of text saying where the time went.

use crate::error::{err, Error};
use crate::session::BrowserSession;
use crate::vitals_collector::WORLD;
use crate::SessionOp;
use opendevbrowser_api::commands::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

impl SessionOp for Vitals {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<VitalsReport, Error> {
        if self.reload == Some(true) {
            Reload::default().run(session).await?;
            tokio::time::sleep(Duration::from_millis(self.watch_ms.unwrap_or(1_000).min(30_000))).await;
        }
        let (_, cdp) = session.active().await?;
        let tree = session.call("Page.getFrameTree", json!({}), Some(&cdp)).await?;
        let frame = tree["frameTree"]["frame"]["id"].clone();
        // The collector's world: the same one each time a name is asked for.
        let world =
            session.call("Page.createIsolatedWorld", json!({"frameId": frame, "worldName": WORLD}), Some(&cdp)).await?;
        let read = json!({"expression": "globalThis.__odbVitals ? __odbVitals() : null", "returnByValue": true,
            "contextId": world["executionContextId"]});
        let seen = session.call("Runtime.evaluate", read, Some(&cdp)).await?;
        let seen = crate::session::js_result(seen, true)?;
        if seen.is_null() {
            return Err(err("vitals_unavailable", "the tab shows no web page whose Web Vitals can be read (about:blank, a browser page, or a page the collector could not run in): open a web page, or devtools.vitals with reload: true"));
        }
        Ok(report(&seen))
    }
}

/// Figures above these are "needs-improvement", above the second "poor" (web.dev's).
const LCP_MS: (f64, f64) = (2500.0, 4000.0);
const CLS: (f64, f64) = (0.1, 0.25);
const INP_MS: (f64, f64) = (200.0, 500.0);
const FCP_MS: (f64, f64) = (1800.0, 3000.0);
const TTFB_MS: (f64, f64) = (800.0, 1800.0);

fn rating(value: f64, (good, poor): (f64, f64)) -> String {
    let word = if value <= good {
        "good"
    } else if value <= poor {
        "needs-improvement"
    } else {
        "poor"
    };
    word.to_owned()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn ms(v: f64) -> f64 {
    v.max(0.0).round()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The report for what the collector saw.
pub fn report(seen: &Value) -> VitalsReport {
    let start = num(&seen["nav"]["start"]).unwrap_or(0.0);
    let ttfb = num(&seen["nav"]["responseStart"]).map(|t| ms(t - start));
    let mut out = VitalsReport {
        url: text(&seen["url"]),
        lcp: lcp(seen, start, ttfb.unwrap_or(0.0)),
        cls: cls(seen["shifts"].as_array().map(Vec::as_slice).unwrap_or_default()),
        inp: inp(seen),
        ttfb_ms: ttfb,
        fcp_ms: num(&seen["fcpMs"]).map(|t| ms(t - start)),
        render_blocking: seen["blocking"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| BlockingRequest {
                url: text(&b["url"]),
                kind: text(&b["kind"]),
                ms: ms(num(&b["ms"]).unwrap_or(0.0)),
            })
            .collect(),
        report: String::new(),
    };
    out.report = words(&out);
    out
}

fn lcp(seen: &Value, start: f64, ttfb: f64) -> Option<Lcp> {
    let at = ms(num(&seen["lcp"]["ms"])? - start);
    let phases = match seen["lcpResource"].as_object() {
        Some(r) => {
            let begun = r.get("requestStart").and_then(Value::as_f64).filter(|t| *t > 0.0);
            let begun = begun.or_else(|| r.get("start").and_then(Value::as_f64)).unwrap_or(0.0) - start;
            let loaded = r.get("responseEnd").and_then(Value::as_f64).unwrap_or(0.0) - start;
            let begun = begun.clamp(ttfb, at);
            let loaded = loaded.clamp(begun, at);
            LcpPhases {
                ttfb_ms: ttfb,
                load_delay_ms: ms(begun - ttfb),
                load_duration_ms: ms(loaded - begun),
                render_delay_ms: ms(at - loaded),
            }
        }
        None => LcpPhases { ttfb_ms: ttfb, load_delay_ms: 0.0, load_duration_ms: 0.0, render_delay_ms: ms(at - ttfb) },
    };
    Some(Lcp {
        ms: at,
        rating: rating(at, LCP_MS),
        element: text(&seen["lcp"]["element"]),
        url: seen["lcp"]["url"].as_str().filter(|u| !u.is_empty()).map(str::to_owned),
        phases,
    })
}

/// The worst session window: shifts less than 1 s apart, 5 s at most.
fn cls(shifts: &[Value]) -> Cls {
    let mut sorted: Vec<&Value> = shifts.iter().collect();
    sorted.sort_by(|a, b| num(&a["atMs"]).partial_cmp(&num(&b["atMs"])).unwrap_or(std::cmp::Ordering::Equal));
    let (mut best, mut window): (Vec<&Value>, Vec<&Value>) = (Vec::new(), Vec::new());
    let sum = |w: &[&Value]| w.iter().map(|s| num(&s["value"]).unwrap_or(0.0)).sum::<f64>();
    for shift in sorted {
        let at = num(&shift["atMs"]).unwrap_or(0.0);
        let (first, last) = match (window.first(), window.last()) {
            (Some(f), Some(l)) => (num(&f["atMs"]).unwrap_or(0.0), num(&l["atMs"]).unwrap_or(0.0)),
            _ => (at, at),
        };
        if at - last > 1_000.0 || at - first > 5_000.0 {
            window.clear();
        }
        window.push(shift);
        if sum(&window) > sum(&best) {
            best = window.clone();
        }
    }
    let score = (sum(&best) * 10_000.0).round() / 10_000.0;
    let mut shifts: Vec<Shift> = best
        .iter()
        .map(|s| Shift {
            value: (num(&s["value"]).unwrap_or(0.0) * 10_000.0).round() / 10_000.0,
            at_ms: ms(num(&s["atMs"]).unwrap_or(0.0)),
            elements: s["elements"].as_array().into_iter().flatten().map(text).collect(),
        })
        .collect();
    shifts.sort_by(|a, b| b.value.partial_cmp(&a.value).unwrap_or(std::cmp::Ordering::Equal));
    shifts.truncate(5);
    Cls { score, rating: rating(score, CLS), shifts }
}

/// The slowest interaction (one in fifty left out, as INP is the 98th percentile).
fn inp(seen: &Value) -> Option<Inp> {
    let mut groups: HashMap<u64, Vec<&Value>> = HashMap::new();
    for e in seen["events"].as_array().into_iter().flatten() {
        groups.entry(e["id"].as_u64().unwrap_or(0)).or_default().push(e);
    }
    let mut ranked: Vec<Interaction> = groups.values().map(|g| Interaction::of(g)).collect();
    ranked.sort_by(|a, b| b.ms.partial_cmp(&a.ms).unwrap_or(std::cmp::Ordering::Equal));
    let interactions = seen["interactions"].as_u64().unwrap_or(ranked.len() as u64);
    let worst = ranked.get((interactions / 50) as usize).or(ranked.last())?;
    Some(Inp {
        ms: ms(worst.ms),
        rating: rating(worst.ms, INP_MS),
        event: worst.event.clone(),
        element: worst.element.clone(),
        input_delay_ms: ms(worst.handlers - worst.start),
        processing_ms: ms(worst.done - worst.handlers),
        presentation_ms: ms(worst.end - worst.done),
        interactions,
    })
}

/// One interaction: its events (pointerdown, pointerup, click, …) taken together, from the
/// first input to the paint after the last handler.
struct Interaction {
    /// Its latency: its longest event's duration.
    ms: f64,
    start: f64,
    /// The paint after it.
    end: f64,
    handlers: f64,
    done: f64,
    /// The event whose handlers ran longest, and the element it went to.
    event: String,
    element: String,
}

impl Interaction {
    fn of(events: &[&Value]) -> Interaction {
        let field = |e: &Value, key: &str| num(&e[key]).unwrap_or(0.0);
        let processing = |e: &&&Value| field(e, "processingEnd") - field(e, "processingStart");
        let busiest =
            events.iter().max_by(|a, b| processing(a).partial_cmp(&processing(b)).unwrap_or(std::cmp::Ordering::Equal));
        let named = |e: &&&Value| e["element"].as_str().is_some_and(|t| !t.is_empty() && t != "(gone)");
        let element = busiest.filter(named).or_else(|| events.iter().find(named));
        let start = events.iter().map(|e| field(e, "start")).fold(f64::MAX, f64::min);
        Interaction {
            ms: events.iter().map(|e| field(e, "ms")).fold(0.0, f64::max),
            start,
            end: events.iter().map(|e| field(e, "start") + field(e, "ms")).fold(0.0, f64::max),
            handlers: events.iter().map(|e| field(e, "processingStart")).fold(f64::MAX, f64::min).max(start),
            done: events.iter().map(|e| field(e, "processingEnd")).fold(0.0, f64::max),
            event: busiest.map(|e| text(&e["event"])).unwrap_or_default(),
            element: element.map_or_else(|| "(gone)".to_owned(), |e| text(&e["element"])),
        }
    }
}

/// The report in a few lines an agent can act on.
fn words(r: &VitalsReport) -> String {
    let mut lines = vec![format!("Web Vitals of {}", r.url)];
    match &r.lcp {
        Some(l) => {
            let p = &l.phases;
            lines.push(format!("LCP {} ms ({}): {}", l.ms, l.rating, l.element));
            lines.push(format!(
                "  TTFB {} ms · load delay {} ms · load {} ms · render delay {} ms — {}",
                p.ttfb_ms,
                p.load_delay_ms,
                p.load_duration_ms,
                p.render_delay_ms,
                lcp_advice(p)
            ));
        }
        None => lines.push("LCP: nothing painted yet".to_owned()),
    }
    let moved = r
        .cls
        .shifts
        .first()
        .map(|s| format!("; largest {} at {} ms moved {}", s.value, s.at_ms, s.elements.join(", ")));
    let count = r.cls.shifts.len();
    lines.push(format!(
        "CLS {} ({}): {count} shift{}{}",
        r.cls.score,
        r.cls.rating,
        if count == 1 { "" } else { "s" },
        moved.unwrap_or_default()
    ));
    lines.push(match &r.inp {
        Some(i) => format!(
            "INP {} ms ({}): {} on {} — input delay {} ms, processing {} ms, presentation {} ms ({} interaction{})",
            i.ms,
            i.rating,
            i.event,
            i.element,
            i.input_delay_ms,
            i.processing_ms,
            i.presentation_ms,
            i.interactions,
            if i.interactions == 1 { "" } else { "s" }
        ),
        None => "INP: no interaction yet".to_owned(),
    });
    let figure = |name: &str, v: Option<f64>, bounds| match v {
        Some(v) => format!("{name} {v} ms ({})", rating(v, bounds)),
        None => format!("{name}: not yet"),
    };
    lines.push(format!("{} · {}", figure("FCP", r.fcp_ms, FCP_MS), figure("TTFB", r.ttfb_ms, TTFB_MS)));
    if r.render_blocking.is_empty() {
        lines.push("Render-blocking requests: none".to_owned());
    } else {
        let each = r.render_blocking.iter().map(|b| format!("{} ({}, {} ms)", b.url, b.kind, b.ms));
        lines.push(format!("Render-blocking requests: {}", each.collect::<Vec<_>>().join(", ")));
    }
    lines.join("\n")
}

/// What the largest of the LCP's phases says to look at.
fn lcp_advice(p: &LcpPhases) -> &'static str {
    let phases = [
        (p.ttfb_ms, "the server's first byte is the largest part"),
        (p.load_delay_ms, "the image is found late: preload it or put it in the HTML"),
        (p.load_duration_ms, "the image's download is the largest part: make it smaller or serve it sooner"),
        (p.render_delay_ms, "painting waits after the load: look at render-blocking requests and long scripts"),
    ];
    phases.iter().fold((f64::MIN, ""), |best, (v, why)| if *v > best.0 { (*v, why) } else { best }).1
}

#[cfg(test)]
#[path = "vitals_tests.rs"]
mod tests;
