//! `page.emulate` beyond the viewport, in the user's Chrome and a managed Chromium: a
//! slow network makes a known-size page take at least the time its figures say (timed
//! by the test's own clock), a CPU slowdown slows a busy loop, and locale, time zone,
//! colour scheme, reduced motion, geolocation and permissions are what the page reports to
//! its server (`Recorder`); reset brings it all back.

use serde_json::json;
use std::time::Instant;
use system_tests::recorder::Recorder;
use system_tests::rpc::Driver;
use system_tests::{HubWorld, World};

/// `/big`: 100,000 bytes. `/cpu`: a busy loop that reports its milliseconds. `/env`:
/// reports what the page sees of its environment.
fn pages(path: &str) -> String {
    if path.starts_with("/big") {
        return format!("<title>Big</title><p>{}</p>", "x".repeat(100_000 - 30));
    }
    if path.starts_with("/cpu") {
        return "<script>const t = performance.now(); let x = 0; for (let i = 0; i < 2e7; i++) { x += i % 7; }
            fetch('/report?cpu-ms=' + Math.round(performance.now() - t) + '&' + location.search.slice(1));</script>"
            .to_owned();
    }
    r#"<script>
const seen = {lang: navigator.language, zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  dark: matchMedia('(prefers-color-scheme: dark)').matches, reduce: matchMedia('(prefers-reduced-motion: reduce)').matches,
  notify: typeof Notification === 'undefined' ? 'none' : Notification.permission};
const send = extra => fetch('/report?' + new URLSearchParams({...seen, ...extra}));
if (location.search.includes('geo')) {
  navigator.geolocation.getCurrentPosition(p => send({lat: p.coords.latitude, lon: p.coords.longitude}),
    e => send({geo: 'error ' + e.code}));
} else { send({}); }
</script>"#
        .to_owned()
}

/// The milliseconds the busy loop took, as the page reported it for run `tag`.
async fn cpu_ms(d: &Driver<'_>, server: &Recorder, tag: &str) -> f64 {
    d.ok("nav.goto", json!({"url": server.url(&format!("/cpu?{tag}"))})).await;
    let head = server.wait_for(&format!("&{tag}")).await;
    let line = head.lines().next().unwrap_or_default();
    line.split("cpu-ms=").nth(1).and_then(|r| r.split('&').next()).and_then(|v| v.parse().ok()).unwrap()
}

async fn the_environment_is_what_the_page_sees(d: &Driver<'_>, managed: bool) {
    let server = Recorder::start(pages).await;
    // Network: slow-3g is 2 s of latency and 50,000 bytes/s: 100 kB take at least 4 s.
    d.ok("page.emulate", json!({"network": "slow-3g"})).await;
    let started = Instant::now();
    d.ok("nav.goto", json!({"url": server.url("/big?slow"), "timeoutMs": 30000})).await;
    let slow = started.elapsed().as_secs_f64();
    assert!(slow >= 3.5, "slow-3g loaded 100 kB in {slow:.2} s");
    d.ok("page.emulate", json!({"reset": true})).await;
    let started = Instant::now();
    d.ok("nav.goto", json!({"url": server.url("/big?fast")})).await;
    let fast = started.elapsed().as_secs_f64();
    assert!(fast < slow / 2.0, "after reset: {fast:.2} s (slow: {slow:.2} s)");

    // CPU: a 6× slowdown makes the same loop take at least twice as long.
    let normal = cpu_ms(d, &server, "normal").await;
    d.ok("page.emulate", json!({"cpuSlowdown": 6})).await;
    let slowed = cpu_ms(d, &server, "slowed").await;
    assert!(slowed >= 2.0 * normal, "cpu: {normal} ms, slowed {slowed} ms");
    d.ok("page.emulate", json!({"reset": true})).await;

    // Locale, time zone, colour scheme, reduced motion: read back by the page.
    let set = json!({"locale": "de-DE", "timezone": "Asia/Tokyo", "colorScheme": "dark", "reducedMotion": true});
    let answer = d.ok("page.emulate", set).await;
    assert_eq!((answer["timezone"].as_str(), answer["colorScheme"].as_str()), (Some("Asia/Tokyo"), Some("dark")));
    d.ok("nav.goto", json!({"url": server.url("/env?first")})).await;
    let seen = server.wait_for("/report?lang=").await;
    for part in ["lang=de-DE", "zone=Asia%2FTokyo", "dark=true", "reduce=true"] {
        assert!(seen.lines().next().unwrap().contains(part), "{part} in {seen}");
    }
    if managed {
        d.ok("page.emulate", json!({"latitude": 35.6586, "longitude": 139.7454, "permissions": ["notifications"]}))
            .await;
        d.ok("nav.goto", json!({"url": server.url("/env?geo")})).await;
        let seen = server.wait_for("lat=35.6586").await;
        assert!(seen.contains("lon=139.7454") && seen.contains("notify=granted"), "{seen}");
    } else {
        d.fails("page.emulate", json!({"permissions": ["notifications"]}), "not_supported").await;
    }
    d.fails("page.emulate", json!({"network": "5g"}), "invalid_param").await;
    d.fails("page.emulate", json!({"latitude": 1.0}), "invalid_param").await;
    let back = d.ok("page.emulate", json!({"reset": true})).await;
    assert_ne!(back["timezone"], "Asia/Tokyo", "{back}");
    assert_eq!((back["colorScheme"].as_str(), back["reducedMotion"].as_bool()), (Some("light"), Some(false)));
}

#[tokio::test]
async fn network_cpu_and_locale_emulation_in_the_users_chrome() {
    let world = World::start().await;
    let d = Driver::in_users_chrome(&world.hub).await;
    the_environment_is_what_the_page_sees(&d, false).await;
}

#[tokio::test]
async fn network_cpu_location_and_permissions_emulation_in_managed_chromium() {
    let HubWorld { hub, .. } = &HubWorld::without_extension().await;
    let d = Driver::in_managed_chromium(hub, "about:blank").await;
    the_environment_is_what_the_page_sees(&d, true).await;
}
