//! `snapshot_fidelity`: our snapshot of a corpus of pages (the test site's fixtures and
//! MiniWoB++ task pages from the `miniwob` PyPI package, each after its episode started)
//! against what the browser and Playwright see in the same tab: the share of the page's
//! visible words that are in our snapshot, the share of our ref'd or named lines whose
//! role and name the browser's accessibility tree has, the share of the elements
//! Playwright's AI snapshot offers as clickable that carry a ref of ours, and our size and
//! time against Playwright's. Playwright's side and the browser's tree come from
//! `tests/agents/fidelity.mjs` (playwright-core over CDP to the same browser).

use crate::fidelity_score::{compare, median, parse_ours, ratio};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use system_tests::free_port;
use system_tests::hub_process::HubProcess;
use system_tests::oracle::PlainChromium;
use system_tests::site::Site;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// The MiniWoB++ task pages of the corpus (each shown after its episode started).
const MINIWOB_PAGES: [&str; 22] = [
    "click-link",
    "click-button",
    "click-checkboxes",
    "click-option",
    "choose-list",
    "click-scroll-list",
    "click-tab-2",
    "click-collapsible-2",
    "click-dialog-2",
    "click-widget",
    "email-inbox",
    "social-media",
    "navigate-tree",
    "drag-items",
    "enter-date",
    "login-user",
    "read-table",
    "search-engine",
    "use-autocomplete",
    "copy-paste",
    "book-flight",
    "text-editor",
];

/// The fixtures of the test site in the corpus; `(path, text to wait for)`.
fn site_pages(other_port: u16) -> Vec<(String, Option<&'static str>)> {
    let plain = [
        "/",
        "/second",
        "/form",
        "/framed",
        "/result?name=Ada&color=red&agree=yes",
        "/dialogs",
        "/input",
        "/forms",
        "/download",
        "/widget",
        "/login",
        "/welcome?user=ada&password=secret",
        "/observe",
        "/big",
    ];
    let mut pages: Vec<(String, Option<&'static str>)> = plain.iter().map(|p| (p.to_string(), None)).collect();
    pages.push(("/late".into(), Some("late data")));
    pages.push((format!("/crossframe?other={other_port}"), None));
    pages
}

/// The median of our `nav.snapshot` times and its content.
async fn our_snapshot(hub: &HubProcess, session: &Value, runs: usize) -> (String, Duration) {
    let ask = json!({"clientId": "bench", "instanceId": "fidelity", "sessionId": session, "maxChars": 1_000_000});
    let first = hub.rpc("nav.snapshot", ask.clone()).await;
    assert_eq!(first["ok"], true, "nav.snapshot: {first}");
    let mut times = Vec::new();
    let mut content = first["data"]["content"].as_str().unwrap_or_default().to_owned();
    for _ in 0..runs {
        let t = Instant::now();
        let reply = hub.rpc("nav.snapshot", ask.clone()).await;
        times.push(t.elapsed());
        content = reply["data"]["content"].as_str().unwrap_or_default().to_owned();
    }
    times.sort();
    (content, times[times.len() / 2])
}

/// The node helper (tests/agents/fidelity.mjs), one JSON request and answer per line.
struct Helper {
    child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl Helper {
    async fn start(devtools_port: u16) -> Helper {
        let script = system_tests::workspace().join("tests/agents/fidelity.mjs");
        let mut child = tokio::process::Command::new("node")
            .arg(script)
            .arg(format!("http://127.0.0.1:{devtools_port}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node (scripts/setup.sh installs it)");
        let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut helper = Helper { child, lines };
        let ready = helper.answer().await;
        assert_eq!(ready["ready"], true, "fidelity.mjs: {ready}");
        helper
    }

    async fn answer(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(120), self.lines.next_line()).await;
        let line = line.expect("fidelity.mjs answers").unwrap().expect("fidelity.mjs ended");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("fidelity.mjs: {e}: {line}"))
    }

    async fn ask(&mut self, request: Value) -> Value {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{request}\n").as_bytes()).await.unwrap();
        let answer = self.answer().await;
        assert_eq!(answer["ok"], true, "fidelity.mjs {request}: {answer}");
        answer
    }
}

/// Where the `miniwob` package (installed into .venv-test by scripts/setup.sh) keeps its HTML.
fn miniwob_html() -> std::path::PathBuf {
    let python = system_tests::workspace().join(".venv-test/bin/python");
    let out = std::process::Command::new(&python)
        .args(["-c", "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('miniwob').origin))"])
        .output()
        .expect("run .venv-test/bin/python (scripts/setup.sh)");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!dir.is_empty(), "the miniwob package is missing: run scripts/setup.sh");
    std::path::PathBuf::from(dir).join("html")
}

/// A static file server for the MiniWoB++ pages (Python's http.server on a free port).
pub struct StaticServer {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl StaticServer {
    pub async fn miniwob() -> StaticServer {
        let port = free_port();
        let child = std::process::Command::new("python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(miniwob_html())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let base = format!("http://127.0.0.1:{port}");
        system_tests::wait_for("the MiniWoB++ page server", || async {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        })
        .await;
        StaticServer { child, base }
    }
}

/// Headless Chromium without any extension, on a DevTools port of its own (killed on drop):
/// the browser both our hub and Playwright attach to.
pub async fn plain_chromium() -> PlainChromium {
    PlainChromium::launch_with("about:blank", &["--window-size=1280,800"]).await
}

/// The step: every page of the corpus, one row each, and the totals.
pub async fn snapshot_fidelity(quick: bool) -> Value {
    let runs = if quick { 1 } else { 5 };
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let other = Site::start().await;
    let miniwob = StaticServer::miniwob().await;
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    let browser = plain_chromium().await;
    let who = json!({"clientId": "bench", "instanceId": "fidelity"});
    let mut connect = who.clone();
    connect["port"] = json!(browser.devtools_port);
    let connected = hub.rpc("session.connect", connect).await;
    assert_eq!(connected["ok"], true, "session.connect: {connected}");
    let session = connected["data"]["sessionId"].clone();
    let mut helper = Helper::start(browser.devtools_port).await;

    let other_port: u16 = other.url("").rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut pages: Vec<(String, String, Option<&str>, bool)> = site_pages(other_port)
        .into_iter()
        .map(|(p, wait)| (p.split("?other=").next().unwrap_or(&p).to_owned(), site.url(&p), wait, false))
        .collect();
    let miniwob_pages = if quick { &MINIWOB_PAGES[..6] } else { &MINIWOB_PAGES[..] };
    for task in miniwob_pages {
        pages.push((format!("miniwob/{task}"), format!("{}/miniwob/{task}.html", miniwob.base), None, true));
    }

    let mut out = serde_json::Map::new();
    let mut details = serde_json::Map::new();
    let (mut sum_words, mut sum_words_in, mut sum_lines, mut sum_agree, mut sum_click, mut sum_click_ref) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut sum_on_element, mut sum_body_chars, mut time_ratios) = (0u64, 0u64, Vec::new());
    let (mut sum_chars, mut sum_pw_chars, mut sum_ms, mut sum_pw_ms) = (0u64, 0u64, 0f64, 0f64);
    println!(
        "\n  {:<44} {:>7} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7}",
        "page", "text", "role+name", "clickable", "chars", "vs pw", "ms", "vs pw"
    );
    for (label, url, wait, is_task) in pages {
        let mut goto = who.clone();
        goto["sessionId"] = session.clone();
        goto["url"] = json!(url);
        let went = hub.rpc("nav.goto", goto).await;
        assert_eq!(went["ok"], true, "nav.goto {url}: {went}");
        helper.ask(json!({"cmd": "prepare", "url": url, "miniwob": is_task, "seed": label, "waitText": wait})).await;
        let (content, ours_time) = our_snapshot(&hub, &session, runs).await;
        let pw = helper.ask(json!({"cmd": "measure", "url": url, "runs": runs})).await;
        // Which of Playwright's clickables our refs point at (it tagged them data-pw-ref).
        let (mut exact, mut around) = (HashSet::new(), HashSet::new());
        for line in parse_ours(&content) {
            let Some(reference) = line.reference else { continue };
            let mut read = who.clone();
            read["sessionId"] = session.clone();
            read["ref"] = json!(reference);
            read["name"] = json!("data-pw");
            let reply = hub.rpc("dom.getAttr", read).await;
            for token in reply["data"]["value"].as_str().unwrap_or("").split_whitespace() {
                if let Some(r) = token.strip_prefix('=') {
                    exact.insert(r.to_owned());
                } else if let Some(r) = token.strip_prefix('^') {
                    around.insert(r.to_owned());
                }
            }
        }
        let (row, why) = compare(&content, ours_time, &pw, &exact, &around);
        let num = |k: &str| row[k].as_u64().unwrap_or(0);
        sum_words += num("words");
        sum_words_in += num("words_in_ours");
        sum_lines += num("lines");
        sum_agree += num("agree");
        sum_click += num("clickables");
        sum_click_ref += num("with_ref");
        sum_on_element += num("on_element");
        time_ratios.push(row["time_vs_pw"].as_f64().unwrap_or(f64::NAN));
        sum_body_chars += pw["body"]["chars"].as_u64().unwrap_or(0);
        sum_chars += num("chars");
        sum_pw_chars += num("pw_chars");
        sum_ms += row["ms"].as_f64().unwrap_or(0.0);
        sum_pw_ms += row["pw_ms"].as_f64().unwrap_or(0.0);
        let pct = |v: &Value| v.as_f64().map_or("-".to_owned(), |x| format!("{:.1}%", x * 100.0));
        println!(
            "  {:<44} {:>7} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7}",
            label.chars().take(44).collect::<String>(),
            pct(&row["text"]),
            pct(&row["role_name"]),
            pct(&row["clickable"]),
            row["chars"].to_string(),
            pct(&row["chars_vs_pw"]),
            row["ms"].to_string(),
            row["time_vs_pw"].to_string()
        );
        out.insert(format!("page {label}"), row);
        details.insert(label, why);
    }
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let total = json!({
        "pages": out.len(),
        "text_coverage": ratio(sum_words_in as usize, sum_words as usize),
        "role_name_agreement": ratio(sum_agree as usize, sum_lines as usize),
        "clickables_with_ref": ratio(sum_click_ref as usize, sum_click as usize),
        "clickables_with_ref_on_the_element_itself": ratio(sum_on_element as usize, sum_click as usize),
        "chars_vs_playwright": ratio(sum_chars as usize, sum_pw_chars as usize),
        "time_vs_playwright": round(sum_ms / sum_pw_ms),
        "time_vs_playwright_median_page": round(median(&mut time_ratios)),
        "chars_vs_playwright_aria_snapshot_of_body": ratio(sum_chars as usize, sum_body_chars as usize),
        "words": sum_words, "lines": sum_lines, "clickables": sum_click, "chars": sum_chars, "playwright_chars": sum_pw_chars,
        "ms": round(sum_ms), "playwright_ms": round(sum_pw_ms),
        "targets": {"text_coverage": 0.99, "role_name_agreement": 0.98, "clickables_with_ref": 1.0,
            "chars_vs_playwright": 0.7, "time_vs_playwright": 0.5},
    });
    let path = system_tests::workspace().join("target/bench/snapshot_fidelity_details.json");
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    let _ = std::fs::write(&path, serde_json::to_vec_pretty(&Value::Object(details)).unwrap());
    println!("  (what each page missed: {})", path.display());
    let mut result = serde_json::Map::new();
    result.insert("total".into(), total);
    result.extend(out);
    Value::Object(result)
}
