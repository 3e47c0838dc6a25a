//! `snapshot_fidelity`: our snapshot of a corpus of pages (the test site's fixtures and
//! MiniWoB++ task pages from the `miniwob` PyPI package, each after its episode started)
//! against what the browser and Playwright see in the same tab: the share of the page's
//! visible words that are in our snapshot, the share of our ref'd or named lines whose
//! role and name the browser's accessibility tree has, the share of the elements
//! Playwright's AI snapshot offers as clickable that carry a ref of ours, and our size and
//! time against Playwright's. Playwright's side and the browser's tree come from
//! `tests/agents/fidelity.mjs` (playwright-core over CDP to the same browser).

use crate::system_bench::free_port;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use system_tests::hub_process::HubProcess;
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

/// One line of our snapshot: its ref, role, quoted name and inline text.
#[derive(Debug, Default)]
struct Line {
    reference: Option<String>,
    role: String,
    name: String,
    text: String,
}

/// Reads the lines of our format (`[r3] role "name" attrs` / `role: text` / `text: …`).
fn parse_ours(content: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for raw in content.lines() {
        let line = raw.trim_start();
        if line.is_empty() || raw.starts_with("# ") {
            continue;
        }
        let (reference, rest) = match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
            Some((r, rest)) if r.chars().any(|c| c.is_ascii_digit()) => (Some(r.to_owned()), rest),
            _ => (None, line),
        };
        let role: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        if role.is_empty() {
            continue;
        }
        let mut after = &rest[role.len()..];
        let mut name = String::new();
        if let Some(quoted) = after.strip_prefix(' ').filter(|q| q.starts_with('"')) {
            let (value, end) = json_string(quoted);
            name = value;
            after = &quoted[end..];
        }
        let text = inline_text(after).unwrap_or_default();
        out.push(Line { reference, role, name, text });
    }
    out
}

/// The JSON string at the start of `s` and the byte just past it (its closing quote found
/// by escapes; to the end if none).
fn json_string(s: &str) -> (String, usize) {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return (serde_json::from_str(&s[..=i]).unwrap_or_else(|_| s[1..i].to_owned()), i + 1),
            _ => {}
        }
    }
    (s[1..].to_owned(), s.len())
}

/// The inline text after the attributes (`role attrs: text`), outside quoted values.
fn inline_text(after: &str) -> Option<String> {
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in after.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ':' if !quoted && after[i + 1..].chars().next().is_none_or(|n| n == ' ') => {
                return Some(after[i + 1..].trim().to_owned());
            }
            _ => {}
        }
    }
    None
}

/// Lower-case words (runs of letters and digits).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Whether `word` is two of the bag's words written together (taking them if so).
fn joined_pair(word: &str, bag: &mut HashMap<String, usize>) -> bool {
    let split =
        word.char_indices().skip(1).map(|(i, _)| (&word[..i], &word[i..])).find(|(a, b)| {
            bag.get(*a).is_some_and(|n| *n > 0) && bag.get(*b).is_some_and(|n| *n > usize::from(a == b))
        });
    match split {
        Some((a, b)) => {
            for part in [a, b] {
                *bag.get_mut(part).unwrap() -= 1;
            }
            true
        }
        None => false,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Our role word and the browser's for the same thing (Chrome's internal roles, such as
/// `Date` or `Iframe`, are capitalised).
fn role_key(role: &str) -> String {
    match role.to_ascii_lowercase().as_str() {
        "img" => "image".to_owned(),
        "presentation" => "none".to_owned(),
        "statictext" => "text".to_owned(),
        other => other.to_owned(),
    }
}

fn ratio(part: usize, whole: usize) -> Value {
    if whole == 0 {
        json!(null)
    } else {
        json!((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
    }
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
pub struct PlainChromium {
    child: std::process::Child,
    _profile: tempfile::TempDir,
    /// Its DevTools port.
    pub devtools_port: u16,
}

impl Drop for PlainChromium {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl PlainChromium {
    pub async fn launch() -> PlainChromium {
        let profile = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(system_tests::browser::chromium())
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
            ])
            .args([
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
            ])
            .arg("--window-size=1280,800")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("launch Chromium");
        let active = profile.path().join("DevToolsActivePort");
        let devtools_port = system_tests::wait_for("Chromium's DevToolsActivePort", || {
            let active = active.clone();
            async move { std::fs::read_to_string(active).ok()?.lines().next()?.trim().parse().ok() }
        })
        .await;
        PlainChromium { child, _profile: profile, devtools_port }
    }
}

/// The fidelity of one page: words, roles and names, clickables, size and time.
/// `exact`: the refs of Playwright's clickables that one of our refs is on; `around`: those
/// whose pointer box (an ancestor the element takes its pointer cursor from) has one of ours.
fn compare(
    ours: &str,
    ours_time: Duration,
    pw: &Value,
    exact: &HashSet<String>,
    around: &HashSet<String>,
) -> (Value, Value) {
    // Visible text: each word of the page's innerText (every frame) once per occurrence.
    let mut bag: HashMap<String, usize> = HashMap::new();
    for w in words(ours) {
        *bag.entry(w).or_default() += 1;
    }
    let page_words: Vec<String> =
        pw["innerText"].as_array().into_iter().flatten().flat_map(|t| words(t.as_str().unwrap_or(""))).collect();
    let mut missed = Vec::new();
    for w in &page_words {
        if let Some(n) = bag.get_mut(w).filter(|n| **n > 0) {
            *n -= 1;
        } else if !joined_pair(w, &mut bag) {
            // innerText joins the words of adjacent inline boxes ("Cancelcancel" for two
            // buttons): two words of ours that make it up count (`joined_pair`).
            missed.push(w.clone());
        }
    }
    // Role and name: our lines with a ref or a name against the browser's tree.
    let mut tree: HashMap<String, HashSet<String>> = HashMap::new();
    for node in pw["ax"].as_array().into_iter().flatten() {
        let role = role_key(node["role"].as_str().unwrap_or(""));
        let names = tree.entry(role).or_default();
        names.insert(norm(node["name"].as_str().unwrap_or("")));
        names.insert(norm(node["text"].as_str().unwrap_or("")));
    }
    let lines = parse_ours(ours);
    let named: Vec<&Line> =
        lines.iter().filter(|l| l.role != "text" && (l.reference.is_some() || !l.name.is_empty())).collect();
    let mut disagree = Vec::new();
    for line in &named {
        // The name if the line has one, else its inline text, else the role alone.
        let said = norm(if line.name.is_empty() { &line.text } else { &line.name });
        let cut = said.strip_suffix('…').map(str::trim_end);
        let known = tree.get(&role_key(&line.role)).is_some_and(|names| {
            said.is_empty()
                || names.contains(&said)
                || cut.is_some_and(|prefix| names.iter().any(|n| n.starts_with(prefix)))
        });
        if !known {
            disagree.push(format!("{} {:?}", line.role, said));
        }
    }
    // Clickables: Playwright's, tagged in the page, that one of our refs points at.
    let clickables: Vec<&Value> = pw["clickables"].as_array().into_iter().flatten().collect();
    let on_element = clickables.iter().filter(|c| exact.contains(c["ref"].as_str().unwrap_or(""))).count();
    let unreffed: Vec<String> = clickables
        .iter()
        .filter(|c| {
            let r = c["ref"].as_str().unwrap_or("");
            !exact.contains(r) && !around.contains(r)
        })
        .map(|c| {
            format!(
                "{} {:?}{}",
                c["role"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or(""),
                if c["tagged"] == true { "" } else { " (untagged)" }
            )
        })
        .collect();
    let (ours_chars, pw_chars) = (ours.chars().count(), pw["ai"]["chars"].as_u64().unwrap_or(0) as usize);
    let ours_ms = ours_time.as_secs_f64() * 1000.0;
    let pw_ms = pw["ai"]["median_ms"].as_f64().unwrap_or(f64::NAN);
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let row = json!({
        "words": page_words.len(), "words_in_ours": page_words.len() - missed.len(),
        "text": ratio(page_words.len() - missed.len(), page_words.len()),
        "lines": named.len(), "agree": named.len() - disagree.len(), "role_name": ratio(named.len() - disagree.len(), named.len()),
        "clickables": clickables.len(), "with_ref": clickables.len() - unreffed.len(),
        "clickable": ratio(clickables.len() - unreffed.len(), clickables.len()),
        "on_element": on_element,
        "chars": ours_chars, "pw_chars": pw_chars, "chars_vs_pw": ratio(ours_chars, pw_chars),
        "ms": round(ours_ms), "pw_ms": round(pw_ms), "time_vs_pw": round(ours_ms / pw_ms),
    });
    let take = |v: &[String]| v.iter().take(12).cloned().collect::<Vec<_>>();
    let details = json!({"missed_words": take(&missed), "disagreeing_lines": take(&disagree),
        "clickables_without_ref": take(&unreffed)});
    (row, details)
}

/// The step: every page of the corpus, one row each, and the totals.
pub async fn snapshot_fidelity(quick: bool) -> Value {
    let runs = if quick { 1 } else { 5 };
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let other = Site::start().await;
    let miniwob = StaticServer::miniwob().await;
    let hub = HubProcess::start(dirs.path(), free_port()).await;
    let browser = PlainChromium::launch().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_lines_are_read() {
        let content = "# Title — http://x/\nheading \"Welcome\" level=1\ntext: Click on the link 'dolor'.\n\
                       [r3] generic \"dolor\" clickable\n  [r4] listitem: one\n[r7] combobox \"Color\" value=\"green\"\n\
                       [r9] option \"say \\\"hi\\\"\" selected";
        let lines = parse_ours(content);
        let got: Vec<(Option<&str>, &str, &str, &str)> =
            lines.iter().map(|l| (l.reference.as_deref(), l.role.as_str(), l.name.as_str(), l.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (None, "heading", "Welcome", ""),
                (None, "text", "", "Click on the link 'dolor'."),
                (Some("r3"), "generic", "dolor", ""),
                (Some("r4"), "listitem", "", "one"),
                (Some("r7"), "combobox", "Color", ""),
                (Some("r9"), "option", "say \"hi\"", ""),
            ]
        );
        let mut bag = HashMap::from([("cancel".to_owned(), 2)]);
        assert!(joined_pair("cancelcancel", &mut bag) && !joined_pair("cancelcancel", &mut bag));
        assert_eq!(words("Click on the link 'dolor'."), ["click", "on", "the", "link", "dolor"]);
    }
}
