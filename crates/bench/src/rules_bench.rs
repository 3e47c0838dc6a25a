//! `request_rules`: what request rules cost a page load. A local page with 40 subresources
//! (20 scripts, 20 images) is loaded (`nav.goto`, until `load`) with no rule in force and
//! with 50 (49 block rules that match nothing and a header rule for every request, so each
//! request is paused, judged against all 50 and continued with a header), alternating, in a
//! managed Chromium and in the user's Chrome through the extension. Every URL is new each
//! time, so nothing comes from the cache.

use crate::stats::summary;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use system_tests::recorder::Recorder;
use system_tests::rpc::Driver;
use system_tests::{HubWorld, World};

/// Subresources of each kind on the page.
const EACH: usize = 20;
/// Rules in force for the "with rules" loads.
const RULES: usize = 50;

fn page(path: &str) -> String {
    if path.starts_with("/s") && path.contains(".js") {
        return "window.loaded = (window.loaded || 0) + 1;".to_owned();
    }
    if path.starts_with("/i") && path.contains(".svg") {
        return r#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>"#
            .to_owned();
    }
    let run = path.split_once('?').map_or("", |(_, q)| q);
    let parts: String =
        (0..EACH).map(|i| format!("<script src=\"/s{i}.js?{run}\"></script><img src=\"/i{i}.svg?{run}\">")).collect();
    format!("<!doctype html><title>Rules bench</title>{parts}")
}

async fn add_rules(d: &Driver<'_>) {
    for i in 0..RULES - 1 {
        d.ok("network.route", json!({"urlPattern": format!("*/never-{i}/*"), "action": "block"})).await;
    }
    d.ok("network.route", json!({"urlPattern": "*", "action": "headers", "headers": {"X-Bench": "1"}})).await;
}

async fn load(d: &Driver<'_>, server: &Recorder, run: &str) -> Duration {
    let started = Instant::now();
    d.ok("nav.goto", json!({"url": server.url(&format!("/page?{run}")), "waitUntil": "load"})).await;
    started.elapsed()
}

/// Page loads without and with the rules, alternating: (without, with).
async fn loads(d: &Driver<'_>, n: usize, mode: &str) -> Value {
    let server = Recorder::start(page).await;
    load(d, &server, &format!("{mode}-warm")).await;
    let (mut bare, mut ruled) = (vec![], vec![]);
    for i in 0..n {
        bare.push(load(d, &server, &format!("{mode}-bare-{i}")).await);
        add_rules(d).await;
        ruled.push(load(d, &server, &format!("{mode}-ruled-{i}")).await);
        d.ok("network.unroute", json!({})).await;
    }
    let (bare, ruled) = (summary(&mut bare), summary(&mut ruled));
    let ratio = ruled["median_us"].as_f64().unwrap_or(0.0) / bare["median_us"].as_f64().unwrap_or(1.0).max(1.0);
    json!({"no_rules": bare, "rules_50": ruled, "rules_over_none": (ratio * 100.0).round() / 100.0})
}

pub async fn request_rules(quick: bool) -> Value {
    let n = if quick { 2 } else { 9 };
    let managed = {
        let world = HubWorld::without_extension().await;
        let d = Driver::in_managed_chromium(&world.hub, "about:blank").await;
        loads(&d, n, "managed").await
    };
    let extension = {
        let world = World::start().await;
        let d = Driver::in_users_chrome(&world.hub).await;
        loads(&d, n, "extension").await
    };
    json!({"managed": managed, "extension": extension, "subresources": 2 * EACH, "rules": RULES})
}
