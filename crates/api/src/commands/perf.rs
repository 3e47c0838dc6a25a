//! Why a page is slow: performance traces (the `Tracing` domain, saved as a Chrome trace
//! file that the DevTools Performance panel and Perfetto open) and a Core Web Vitals report
//! of the active tab (LCP with its element and phases, CLS with the elements that moved,
//! INP of the interactions made, TTFB, FCP, render-blocking requests).

use super::command;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `devtools.traceStart`: records a performance trace of the active tab.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TraceStart {
    /// Trace categories (default: the DevTools Performance panel's).
    pub categories: Option<Vec<String>>,
    /// Reload the tab to record its load.
    pub reload: Option<bool>,
}
command!(TraceStart: "devtools.traceStart", cli "trace-start", Session, -> TraceStarted,
    "Start a performance trace of the active tab (optionally of its reload)",
    tool("browser_trace_start", writes, "Start a performance trace (reload: of the page load); then browser_trace_stop."));

/// A trace that is recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceStarted {
    /// The tab being traced.
    pub target_id: String,
    /// Whether it was reloaded (and has loaded).
    pub reloaded: bool,
}

/// `devtools.traceStop`: ends the trace and writes it as a Chrome trace file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct TraceStop {
    /// The file to write.
    pub path: String,
}
command!(TraceStop: "devtools.traceStop", cli "trace-stop", Session, -> TraceFile,
    "Stop the performance trace and write it as a Chrome trace file (DevTools, Perfetto)",
    tool("browser_trace_stop", writes, "Save the trace as a file DevTools and Perfetto open."));

/// A trace file that was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceFile {
    /// Where.
    pub path: String,
    /// Trace events in it.
    pub events: usize,
    /// Its size.
    pub bytes: u64,
}

/// `devtools.vitals`: the Core Web Vitals of the active tab's page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vitals {
    /// Measure a fresh load.
    pub reload: Option<bool>,
    /// After the reload, watch this long (default 1000).
    #[schemars(range(max = 30000))]
    pub watch_ms: Option<u64>,
}
command!(Vitals: "devtools.vitals", cli "vitals", Session, -> VitalsReport,
    "Core Web Vitals of the active tab: LCP (element, phases), CLS (what moved), INP, TTFB, FCP, render-blocking requests",
    tool("browser_web_vitals", reads, "Why the page is slow: LCP element and phases, CLS and what moved, INP of your clicks, TTFB, FCP, render-blocking requests."));

/// A Web Vitals report: the figures, and `report`, the same as a few lines of text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VitalsReport {
    /// The page measured.
    pub url: String,
    /// Largest Contentful Paint (none before the page painted content).
    pub lcp: Option<Lcp>,
    /// Cumulative Layout Shift.
    pub cls: Cls,
    /// Interaction to Next Paint (none before an interaction).
    pub inp: Option<Inp>,
    /// Time to First Byte, ms.
    pub ttfb_ms: Option<f64>,
    /// First Contentful Paint, ms.
    pub fcp_ms: Option<f64>,
    /// Requests that held back the first paint.
    pub render_blocking: Vec<BlockingRequest>,
    /// The report as text.
    pub report: String,
}

/// The largest contentful paint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lcp {
    /// When, ms since the navigation started.
    pub ms: f64,
    /// good, needs-improvement or poor.
    pub rating: String,
    /// The element painted (tag, id, classes, src or text).
    pub element: String,
    /// Its image's URL, when it is an image.
    pub url: Option<String>,
    /// Where the time went.
    pub phases: LcpPhases,
}

/// An LCP's time in four parts that add up to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LcpPhases {
    /// Until the document's first byte.
    pub ttfb_ms: f64,
    /// From then until the LCP image's request started.
    pub load_delay_ms: f64,
    /// The LCP image's download.
    pub load_duration_ms: f64,
    /// From then until it was painted.
    pub render_delay_ms: f64,
}

/// Cumulative Layout Shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cls {
    /// The score (the worst window of shifts).
    pub score: f64,
    /// good, needs-improvement or poor.
    pub rating: String,
    /// Each shift that counted, largest first.
    pub shifts: Vec<Shift>,
}

/// One layout shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    /// Its score.
    pub value: f64,
    /// When, ms since the navigation started.
    pub at_ms: f64,
    /// The elements that moved.
    pub elements: Vec<String>,
}

/// The slowest interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inp {
    /// From the input until the next paint, ms.
    pub ms: f64,
    /// good, needs-improvement or poor.
    pub rating: String,
    /// The event (click, keydown, …).
    pub event: String,
    /// The element it went to.
    pub element: String,
    /// Waiting for the main thread.
    pub input_delay_ms: f64,
    /// Running the page's handlers.
    pub processing_ms: f64,
    /// From then until the paint.
    pub presentation_ms: f64,
    /// Interactions seen.
    pub interactions: u64,
}

/// A request that held back the first paint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockingRequest {
    /// Its URL.
    pub url: String,
    /// What asked for it (link, script, …).
    pub kind: String,
    /// How long it took, ms.
    pub ms: f64,
}
