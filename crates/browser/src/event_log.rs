//! What the console and network logs hold: each CDP event of a target turned into one
//! log entry (level, text, source location and stack; request and response headers,
//! timing, size), the index that ties a request's later events to its URL and type, and
//! the filter `devtools.networkPoll` applies. Pure: events and time in, entries out.

use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// At most this many stack frames per console entry.
const STACK_FRAMES: usize = 10;
/// The index forgets every request past this many (the log itself keeps fewer).
const INDEX_CAP: usize = 10_000;

/// What later events of a request need from its start.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestInfo {
    /// Its URL.
    pub url: String,
    /// Its resource type (`Document`, `XHR`, `Fetch`…).
    pub resource_type: String,
    /// The target that made it (whose session can read its body).
    pub target: String,
    /// When it started (the browser's monotonic seconds).
    started: f64,
}

/// Requests by id.
#[derive(Debug, Default)]
pub struct RequestIndex {
    requests: HashMap<String, RequestInfo>,
}

impl RequestIndex {
    /// The request `id`, if it was seen.
    pub fn get(&self, id: &str) -> Option<&RequestInfo> {
        self.requests.get(id)
    }
}

/// The console entry for `method` (`Runtime.consoleAPICalled`, `Runtime.exceptionThrown`).
pub fn console_entry(method: &str, p: &Value, target: &str, ts: u64) -> Option<Value> {
    let (level, text, trace, source) = match method {
        "Runtime.consoleAPICalled" => {
            let args = p["args"].as_array().map(Vec::as_slice).unwrap_or_default();
            let text: Vec<String> = args.iter().map(arg_text).collect();
            (p["type"].clone(), text.join(" "), &p["stackTrace"], None)
        }
        "Runtime.exceptionThrown" => {
            let d = &p["exceptionDetails"];
            let text = d["exception"]["description"].as_str().or(d["text"].as_str()).unwrap_or("exception");
            let at = location(&d["url"], &d["lineNumber"], &d["columnNumber"]);
            (json!("error"), text.to_owned(), &d["stackTrace"], at)
        }
        _ => return None,
    };
    let frames = trace["callFrames"].as_array().map(Vec::as_slice).unwrap_or_default();
    let source =
        source.or_else(|| frames.first().and_then(|f| location(&f["url"], &f["lineNumber"], &f["columnNumber"])));
    let mut entry = json!({"level": level, "text": text, "targetId": target, "ts": ts});
    if let Some(source) = source {
        entry["source"] = source;
    }
    if !frames.is_empty() {
        entry["stack"] = frames.iter().take(STACK_FRAMES).map(frame_line).collect();
    }
    Some(entry)
}

fn arg_text(arg: &Value) -> String {
    match &arg["value"] {
        Value::String(s) => s.clone(),
        Value::Null => arg["description"].as_str().or(arg["type"].as_str()).unwrap_or("undefined").to_owned(),
        other => other.to_string(),
    }
}

/// `{url, line, column}` (1-based) of a CDP location, when it has a URL.
fn location(url: &Value, line: &Value, column: &Value) -> Option<Value> {
    let url = url.as_str().filter(|u| !u.is_empty())?;
    Some(json!({"url": url, "line": line.as_u64().unwrap_or(0) + 1, "column": column.as_u64().unwrap_or(0) + 1}))
}

/// `functionName (url:line:column)`, 1-based, as DevTools prints a frame.
fn frame_line(f: &Value) -> Value {
    let name = f["functionName"].as_str().filter(|n| !n.is_empty()).unwrap_or("<anonymous>");
    let (line, column) = (f["lineNumber"].as_u64().unwrap_or(0) + 1, f["columnNumber"].as_u64().unwrap_or(0) + 1);
    json!(format!("{name} ({}:{line}:{column})", f["url"].as_str().unwrap_or("")))
}

/// The network entry for `method`, keeping `index` up to date.
pub fn network_entry(index: &mut RequestIndex, method: &str, p: &Value, target: &str, ts: u64) -> Option<Value> {
    let id = p["requestId"].as_str().unwrap_or_default();
    let base = |event: &str, info: Option<&RequestInfo>| {
        let (url, kind) = info.map_or((Value::Null, Value::Null), |i| (json!(i.url), json!(i.resource_type)));
        json!({"event": event, "requestId": id, "url": url, "resourceType": kind, "targetId": target, "ts": ts})
    };
    match method {
        "Network.requestWillBeSent" => {
            let info = RequestInfo {
                url: p["request"]["url"].as_str().unwrap_or_default().to_owned(),
                resource_type: p["type"].as_str().unwrap_or("Other").to_owned(),
                target: target.to_owned(),
                started: p["timestamp"].as_f64().unwrap_or(0.0),
            };
            if index.requests.len() >= INDEX_CAP {
                index.requests.clear();
            }
            let mut entry = base("request", Some(&info));
            entry["method"] = p["request"]["method"].clone();
            entry["requestHeaders"] = p["request"]["headers"].clone();
            if let Some(body) = p["request"]["postData"].as_str() {
                entry["postData"] = json!(body);
            }
            index.requests.insert(id.to_owned(), info);
            Some(entry)
        }
        "Network.responseReceived" => {
            let r = &p["response"];
            let mut entry = base("response", index.get(id));
            entry["url"] = r["url"].clone();
            entry["resourceType"] = p["type"].clone();
            for (to, from) in [("status", "status"), ("statusText", "statusText"), ("mimeType", "mimeType")] {
                entry[to] = r[from].clone();
            }
            entry["responseHeaders"] = r["headers"].clone();
            entry["remoteAddress"] = r["remoteIPAddress"].clone();
            entry["fromCache"] = json!(r["fromDiskCache"] == true || r["fromServiceWorker"] == true);
            entry["timing"] = timing(&r["timing"]);
            Some(entry)
        }
        "Network.loadingFinished" => {
            let info = index.get(id);
            let mut entry = base("finished", info);
            entry["encodedBytes"] = p["encodedDataLength"].clone();
            let ended = p["timestamp"].as_f64().unwrap_or(0.0);
            if let Some(info) = info.filter(|i| i.started > 0.0 && ended >= i.started) {
                entry["durationMs"] = json!(((ended - info.started) * 1000.0).round() as u64);
            }
            Some(entry)
        }
        "Network.loadingFailed" => {
            let mut entry = base("failed", index.get(id));
            entry["error"] = p["errorText"].clone();
            if let Some(kind) = p["type"].as_str() {
                entry["resourceType"] = json!(kind);
            }
            Some(entry)
        }
        _ => None,
    }
}

/// The phases of a response's `ResourceTiming` in whole milliseconds (phases the browser
/// did not go through, such as DNS for a reused connection, are left out).
fn timing(t: &Value) -> Value {
    if !t.is_object() {
        return Value::Null;
    }
    let span = |from: &str, to: &str| {
        let (a, b) = (t[from].as_f64()?, t[to].as_f64()?);
        (a >= 0.0 && b >= a).then(|| json!(((b - a) * 10.0).round() / 10.0))
    };
    let mut out = Map::new();
    for (name, from, to) in [
        ("dnsMs", "dnsStart", "dnsEnd"),
        ("connectMs", "connectStart", "connectEnd"),
        ("sslMs", "sslStart", "sslEnd"),
        ("sendMs", "sendStart", "sendEnd"),
        ("waitMs", "sendEnd", "receiveHeadersEnd"),
    ] {
        if let Some(ms) = span(from, to) {
            out.insert(name.into(), ms);
        }
    }
    if let Some(end) = t["receiveHeadersEnd"].as_f64() {
        out.insert("headersMs".into(), json!((end * 10.0).round() / 10.0));
    }
    Value::Object(out)
}

/// Whether a network entry passes `devtools.networkPoll`'s filter: its URL contains
/// `url_pattern` (or matches it as a glob with `*`), its type is `resource_type` (any case).
pub fn network_matches(entry: &Value, url_pattern: Option<&str>, resource_type: Option<&str>) -> bool {
    let url = entry["url"].as_str().unwrap_or_default();
    let url_ok = url_pattern.is_none_or(|p| if p.contains('*') { glob(p, url) } else { url.contains(p) });
    let kind = entry["resourceType"].as_str().unwrap_or_default();
    url_ok && resource_type.is_none_or(|t| kind.eq_ignore_ascii_case(t))
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_console_call_keeps_its_level_text_source_and_stack() {
        let p = json!({"type": "warning", "args": [{"type": "string", "value": "low"}, {"type": "number", "value": 3},
            {"type": "object", "description": "Object"}],
            "stackTrace": {"callFrames": [
                {"functionName": "check", "url": "http://x/app.js", "lineNumber": 9, "columnNumber": 4},
                {"functionName": "", "url": "http://x/app.js", "lineNumber": 20, "columnNumber": 0}]}});
        let e = console_entry("Runtime.consoleAPICalled", &p, "t1", 5).unwrap();
        assert_eq!((e["level"].as_str(), e["text"].as_str()), (Some("warning"), Some("low 3 Object")));
        assert_eq!(e["source"], json!({"url": "http://x/app.js", "line": 10, "column": 5}));
        assert_eq!(e["stack"], json!(["check (http://x/app.js:10:5)", "<anonymous> (http://x/app.js:21:1)"]));
    }

    #[test]
    fn an_uncaught_exception_is_an_error_at_its_own_location() {
        let p = json!({"exceptionDetails": {"text": "Uncaught", "url": "http://x/a.js", "lineNumber": 2, "columnNumber": 7,
            "exception": {"description": "TypeError: nope\n    at f"}, "stackTrace": {"callFrames": []}}});
        let e = console_entry("Runtime.exceptionThrown", &p, "t1", 5).unwrap();
        assert_eq!((e["level"].as_str(), e["text"].as_str()), (Some("error"), Some("TypeError: nope\n    at f")));
        assert_eq!(e["source"]["line"], 3);
        assert!(e.get("stack").is_none());
        assert!(console_entry("Network.dataReceived", &p, "t1", 5).is_none());
    }

    #[test]
    fn a_request_is_followed_through_response_and_finish_by_its_id() {
        let mut index = RequestIndex::default();
        let sent = json!({"requestId": "7", "type": "Fetch", "timestamp": 100.0,
            "request": {"url": "http://x/api/items", "method": "POST", "headers": {"X-Token": "a"}, "postData": "{}"}});
        let e = network_entry(&mut index, "Network.requestWillBeSent", &sent, "t1", 1).unwrap();
        assert_eq!((e["method"].as_str(), e["requestHeaders"]["X-Token"].as_str()), (Some("POST"), Some("a")));
        let got = json!({"requestId": "7", "type": "Fetch", "response": {"url": "http://x/api/items", "status": 201,
            "statusText": "Created", "mimeType": "application/json", "headers": {"X-Reply": "b"},
            "timing": {"dnsStart": -1, "dnsEnd": -1, "sendStart": 0.5, "sendEnd": 0.75, "receiveHeadersEnd": 3.25}}});
        let e = network_entry(&mut index, "Network.responseReceived", &got, "t1", 2).unwrap();
        assert_eq!((e["status"].as_u64(), e["responseHeaders"]["X-Reply"].as_str()), (Some(201), Some("b")));
        assert_eq!(e["timing"], json!({"sendMs": 0.3, "waitMs": 2.5, "headersMs": 3.3}));
        let done = json!({"requestId": "7", "timestamp": 100.25, "encodedDataLength": 321});
        let e = network_entry(&mut index, "Network.loadingFinished", &done, "t1", 3).unwrap();
        assert_eq!((e["url"].as_str(), e["resourceType"].as_str()), (Some("http://x/api/items"), Some("Fetch")));
        assert_eq!((e["durationMs"].as_u64(), e["encodedBytes"].as_u64()), (Some(250), Some(321)));
        assert_eq!(index.get("7").unwrap().target, "t1");
    }

    #[test]
    fn the_filter_takes_text_globs_and_types_in_any_case() {
        let e = json!({"url": "http://127.0.0.1:4000/api/items?x=1", "resourceType": "Fetch"});
        assert!(network_matches(&e, Some("/api/"), None));
        assert!(network_matches(&e, Some("*/api/*"), Some("fetch")));
        assert!(network_matches(&e, Some("http://*:4000/*items*"), None));
        assert!(!network_matches(&e, Some("*/static/*"), None));
        assert!(!network_matches(&e, None, Some("Document")));
        assert!(!glob("a*a", "a"), "the two ends may not overlap");
    }
}
