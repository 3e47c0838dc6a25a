use super::*;

/// What the collector saw on a page whose hero image came late and pushed the text down.
fn late_image_page() -> Value {
    json!({
        "url": "http://127.0.0.1:1/slow",
        "nav": {"start": 0, "responseStart": 40.4},
        "fcpMs": 120.2,
        "lcp": {"ms": 1010.6, "element": "img#hero src=/big.png", "url": "http://127.0.0.1:1/big.png"},
        "lcpResource": {"start": 100.0, "requestStart": 150.0, "responseEnd": 950.0},
        "shifts": [
            {"value": 0.05, "atMs": 500.0, "elements": ["p#text \"Hello\""]},
            {"value": 0.12, "atMs": 1000.0, "elements": ["p#text \"Hello\"", "h1"]},
            {"value": 0.3, "atMs": 9000.0, "elements": ["footer"]},
            {"value": 0.01, "atMs": 9500.0, "elements": ["nav"]}
        ],
        "events": [
            {"id": 7, "event": "pointerdown", "element": "button#go", "ms": 24, "start": 2000, "processingStart": 2001, "processingEnd": 2002},
            {"id": 7, "event": "pointerup", "element": "(gone)", "ms": 184, "start": 2004, "processingStart": 2005, "processingEnd": 2006},
            {"id": 7, "event": "click", "element": "button#go", "ms": 184, "start": 2004, "processingStart": 2006, "processingEnd": 2170},
            {"id": 9, "event": "keydown", "element": "input#q", "ms": 32, "start": 3000, "processingStart": 3001, "processingEnd": 3010}
        ],
        "interactions": 2,
        "blocking": [{"url": "http://127.0.0.1:1/style.css", "kind": "link", "ms": 205.3}]
    })
}

#[test]
fn the_lcp_names_its_element_and_splits_into_phases_that_add_up() {
    let r = report(&late_image_page());
    let lcp = r.lcp.unwrap();
    assert_eq!((lcp.ms, lcp.rating.as_str()), (1011.0, "good"));
    assert_eq!(lcp.url.as_deref(), Some("http://127.0.0.1:1/big.png"));
    let p = &lcp.phases;
    assert_eq!((p.ttfb_ms, p.load_delay_ms, p.load_duration_ms, p.render_delay_ms), (40.0, 110.0, 800.0, 61.0));
    assert!(r.report.contains("the image's download is the largest part"), "{}", r.report);
}

#[test]
fn a_text_lcp_is_all_render_delay_after_the_first_byte() {
    let seen =
        json!({"url": "u", "nav": {"start": 0, "responseStart": 30}, "lcp": {"ms": 200, "element": "h1 \"Hi\""}});
    let p = report(&seen).lcp.unwrap().phases;
    assert_eq!((p.ttfb_ms, p.load_delay_ms, p.load_duration_ms, p.render_delay_ms), (30.0, 0.0, 0.0, 170.0));
}

#[test]
fn cls_is_the_worst_window_of_shifts_and_lists_what_moved() {
    let cls = report(&late_image_page()).cls;
    // 0.05 + 0.12 (500 ms apart) vs 0.3 + 0.01 (a window 8 s later): the later one is worse.
    assert_eq!((cls.score, cls.rating.as_str()), (0.31, "poor"));
    assert_eq!(cls.shifts.iter().map(|s| s.value).collect::<Vec<_>>(), [0.3, 0.01]);
    assert_eq!(cls.shifts[0].elements, ["footer"]);
}

#[test]
fn shifts_more_than_a_second_apart_are_separate_windows() {
    let shifts = [json!({"value": 0.1, "atMs": 0.0}), json!({"value": 0.1, "atMs": 1500.0})];
    assert_eq!(cls(&shifts).score, 0.1);
    let close = [json!({"value": 0.1, "atMs": 0.0}), json!({"value": 0.1, "atMs": 900.0})];
    assert_eq!(cls(&close).score, 0.2);
}

#[test]
fn inp_is_the_slowest_interaction_with_its_three_parts() {
    let inp = report(&late_image_page()).inp.unwrap();
    assert_eq!(
        (inp.ms, inp.rating.as_str(), inp.event.as_str(), inp.element.as_str()),
        (184.0, "good", "click", "button#go")
    );
    assert_eq!((inp.input_delay_ms, inp.processing_ms, inp.presentation_ms), (1.0, 169.0, 18.0));
    assert_eq!(inp.interactions, 2);
}

#[test]
fn the_text_report_has_a_line_per_figure() {
    let r = report(&late_image_page());
    let lines: Vec<&str> = r.report.lines().collect();
    assert_eq!(lines[0], "Web Vitals of http://127.0.0.1:1/slow");
    assert!(lines[1].starts_with("LCP 1011 ms (good): img#hero src=/big.png"), "{}", r.report);
    assert!(lines[3].starts_with("CLS 0.31 (poor): 2 shifts; largest 0.3 at 9000 ms moved footer"), "{}", r.report);
    assert!(lines[4].starts_with("INP 184 ms (good): click on button#go"), "{}", r.report);
    assert_eq!(lines[5], "FCP 120 ms (good) · TTFB 40 ms (good)");
    assert_eq!(lines[6], "Render-blocking requests: http://127.0.0.1:1/style.css (link, 205 ms)");
}

#[test]
fn a_page_before_any_paint_or_input_says_so() {
    let r = report(&json!({"url": "about:blank", "nav": null, "shifts": [], "events": [], "blocking": []}));
    assert!(r.lcp.is_none() && r.inp.is_none() && r.cls.score == 0.0);
    assert!(
        r.report.contains("LCP: nothing painted yet") && r.report.contains("INP: no interaction yet"),
        "{}",
        r.report
    );
}
