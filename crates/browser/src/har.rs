//! HAR 1.2 files from a session's network events (`devtools.harStart` … `harStop`): while
//! recording, the session keeps a copy of every network event of its tabs ([`Recording`]);
//! at the end [`build`] turns them into the `log` other tools read — one entry per request
//! with its headers, query, post data, response, timings and (within a size cap) body, and
//! one page per document navigation. Pure and unit-tested; the bodies are fetched by the
//! caller (`Network.getResponseBody`) before building.

use opendevbrowser_api::clock::iso8601;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Most events a recording keeps (a request is about three).
const RECORDING_CAP: usize = 60_000;

/// The network events of a recording in progress.
#[derive(Debug, Default)]
pub struct Recording {
    /// The events, in order.
    pub events: Vec<Value>,
    /// Bodies larger than this are left out of the file (their size stays).
    pub max_body_bytes: usize,
    /// Events that did not fit.
    pub dropped: usize,
}

impl Recording {
    /// Keeps a copy of `event`.
    pub fn push(&mut self, event: &Value) {
        if self.events.len() < RECORDING_CAP {
            self.events.push(event.clone());
        } else {
            self.dropped += 1;
        }
    }

    /// The requests that finished and whose body may go in the file.
    pub fn bodies_wanted(&self) -> Vec<(String, String)> {
        self.events
            .iter()
            .filter(|e| e["event"] == "finished")
            .filter(|e| e["encodedBytes"].as_u64().unwrap_or(0) as usize <= self.max_body_bytes)
            .filter_map(|e| Some((e["requestId"].as_str()?.to_owned(), e["targetId"].as_str()?.to_owned())))
            .collect()
    }
}

/// A response body as `Network.getResponseBody` gave it.
#[derive(Debug, Clone)]
pub struct Body {
    /// The text (or base64).
    pub text: String,
    /// Whether `text` is base64.
    pub base64: bool,
}

/// One request's events.
#[derive(Default)]
struct Exchange {
    request: Value,
    response: Value,
    end: Value,
    page: Option<String>,
}

/// The HAR document for `events` (a recording's, in order).
pub fn build(events: &[Value], bodies: &HashMap<String, Body>, creator_version: &str) -> Value {
    let mut order: Vec<String> = Vec::new();
    let mut exchanges: HashMap<String, Exchange> = HashMap::new();
    let mut pages: Vec<Value> = Vec::new();
    let mut finished_hops: Vec<Exchange> = Vec::new();
    for e in events {
        let id = e["requestId"].as_str().unwrap_or_default().to_owned();
        match e["event"].as_str() {
            Some("request") => {
                if e["resourceType"] == "Document" {
                    let page_id = format!("page_{}", pages.len() + 1);
                    pages.push(json!({"startedDateTime": iso8601(e["ts"].as_u64().unwrap_or(0)), "id": page_id,
                        "title": e["url"], "pageTimings": {"onContentLoad": -1, "onLoad": -1}}));
                }
                let page = pages.last().and_then(|p| p["id"].as_str()).map(str::to_owned);
                // The same id again is a redirect: the earlier hop is an entry of its own.
                if let Some(earlier) = exchanges.remove(&id) {
                    finished_hops.push(earlier);
                }
                if !order.contains(&id) {
                    order.push(id.clone());
                }
                exchanges.insert(id, Exchange { request: e.clone(), page, ..Exchange::default() });
            }
            Some("response") => {
                if let Some(x) = exchanges.get_mut(&id) {
                    x.response = e.clone();
                }
            }
            Some("finished") | Some("failed") => {
                if let Some(x) = exchanges.get_mut(&id) {
                    x.end = e.clone();
                }
            }
            _ => {}
        }
    }
    let mut entries: Vec<Value> = finished_hops.iter().map(|x| entry(x, None)).collect();
    for id in &order {
        if let Some(x) = exchanges.get(id) {
            entries.push(entry(x, bodies.get(id)));
        }
    }
    entries.sort_by(|a, b| a["startedDateTime"].as_str().cmp(&b["startedDateTime"].as_str()));
    json!({"log": {"version": "1.2", "creator": {"name": "opendevbrowser", "version": creator_version},
        "pages": pages, "entries": entries}})
}

/// `{name: value}` headers as HAR's `[{name, value}]`.
fn header_list(headers: &Value) -> Vec<Value> {
    headers
        .as_object()
        .map(|h| h.iter().map(|(k, v)| json!({"name": k, "value": v.as_str().unwrap_or_default()})).collect())
        .unwrap_or_default()
}

/// The query of `url` as HAR's `[{name, value}]` (as written in the URL).
fn query_list(url: &str) -> Vec<Value> {
    let query = url.split('#').next().unwrap_or_default().split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            json!({"name": name, "value": value})
        })
        .collect()
}

fn header(headers: &Value, name: &str) -> Option<String> {
    let map = headers.as_object()?;
    map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str()).map(str::to_owned)
}

fn entry(x: &Exchange, body: Option<&Body>) -> Value {
    let (req, res, end) = (&x.request, &x.response, &x.end);
    let url = req["url"].as_str().unwrap_or_default();
    let phase = |name: &str| res["timing"][name].as_f64();
    let total = end["durationMs"].as_f64().unwrap_or(0.0);
    let (dns, connect, ssl, send, wait) =
        (phase("dnsMs"), phase("connectMs"), phase("sslMs"), phase("sendMs"), phase("waitMs"));
    let known: f64 = [dns, connect, send, wait].iter().flatten().sum();
    let timings = json!({"blocked": -1, "dns": dns.unwrap_or(-1.0), "connect": connect.unwrap_or(-1.0),
        "ssl": ssl.unwrap_or(-1.0), "send": send.unwrap_or(0.0), "wait": wait.unwrap_or(0.0),
        "receive": (total - known).max(0.0)});
    let mut request = json!({"method": req["method"].as_str().unwrap_or("GET"), "url": url, "httpVersion": "HTTP/1.1",
        "cookies": [], "headers": header_list(&req["requestHeaders"]), "queryString": query_list(url),
        "headersSize": -1, "bodySize": 0});
    if let Some(post) = req["postData"].as_str() {
        let mime = header(&req["requestHeaders"], "content-type").unwrap_or_default();
        request["postData"] = json!({"mimeType": mime, "text": post});
        request["bodySize"] = json!(post.len());
    }
    let encoded = end["encodedBytes"].as_i64();
    let mut content = Map::new();
    content.insert("mimeType".into(), json!(res["mimeType"].as_str().unwrap_or("x-unknown")));
    content.insert("size".into(), json!(encoded.unwrap_or(0)));
    if let Some(b) = body {
        content.insert("text".into(), json!(b.text));
        if b.base64 {
            content.insert("encoding".into(), json!("base64"));
        }
    }
    let mut response = json!({"status": res["status"].as_i64().unwrap_or(0), "statusText": res["statusText"].as_str().unwrap_or_default(),
        "httpVersion": "HTTP/1.1", "cookies": [], "headers": header_list(&res["responseHeaders"]), "content": content,
        "redirectURL": header(&res["responseHeaders"], "location").unwrap_or_default(),
        "headersSize": -1, "bodySize": encoded.unwrap_or(-1)});
    if end["event"] == "failed" {
        response["_error"] = end["error"].clone();
    }
    let mut out = json!({"startedDateTime": iso8601(req["ts"].as_u64().unwrap_or(0)), "time": total,
        "request": request, "response": response, "cache": {}, "timings": timings});
    if let Some(page) = &x.page {
        out["pageref"] = json!(page);
    }
    if let Some(ip) = res["remoteAddress"].as_str() {
        out["serverIPAddress"] = json!(ip);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Vec<Value> {
        vec![
            json!({"event": "request", "requestId": "1", "url": "http://a.test/?q=1&x", "resourceType": "Document",
                "method": "GET", "requestHeaders": {"Accept": "text/html"}, "ts": 1_700_000_000_000u64}),
            json!({"event": "response", "requestId": "1", "status": 200, "statusText": "OK", "mimeType": "text/html",
                "responseHeaders": {"Content-Type": "text/html"}, "remoteAddress": "127.0.0.1",
                "timing": {"sendMs": 0.5, "waitMs": 10.0}}),
            json!({"event": "finished", "requestId": "1", "encodedBytes": 120, "durationMs": 15}),
            json!({"event": "request", "requestId": "2", "url": "http://a.test/api", "resourceType": "Fetch",
                "method": "POST", "postData": "{}", "requestHeaders": {"content-type": "application/json"},
                "ts": 1_700_000_000_020u64}),
            json!({"event": "failed", "requestId": "2", "error": "net::ERR_BLOCKED_BY_CLIENT"}),
        ]
    }

    #[test]
    fn requests_become_entries_of_their_page_with_timings_and_bodies() {
        let bodies = HashMap::from([("1".to_owned(), Body { text: "<p>hi</p>".into(), base64: false })]);
        let har = build(&events(), &bodies, "1.0");
        let log = &har["log"];
        assert_eq!((log["version"].as_str(), log["pages"].as_array().map(Vec::len)), (Some("1.2"), Some(1)));
        let first = &log["entries"][0];
        assert_eq!(first["pageref"], "page_1");
        assert_eq!(first["startedDateTime"], "2023-11-14T22:13:20.000Z");
        assert_eq!(first["request"]["queryString"], json!([{"name": "q", "value": "1"}, {"name": "x", "value": ""}]));
        assert_eq!(first["response"]["content"]["text"], "<p>hi</p>");
        assert_eq!(first["timings"]["receive"], 4.5, "the rest of the 15 ms after send and wait");
        let second = &log["entries"][1];
        assert_eq!(second["request"]["postData"], json!({"mimeType": "application/json", "text": "{}"}));
        assert_eq!(
            (second["response"]["status"].as_i64(), second["response"]["_error"].as_str()),
            (Some(0), Some("net::ERR_BLOCKED_BY_CLIENT"))
        );
    }

    #[test]
    fn a_redirect_is_two_entries_and_only_bodies_within_the_cap_are_wanted() {
        let mut evs = events();
        evs.insert(
            2,
            json!({"event": "request", "requestId": "1", "url": "http://a.test/moved", "resourceType": "Document",
            "method": "GET", "ts": 1_700_000_000_010u64}),
        );
        assert_eq!(build(&evs, &HashMap::new(), "1")["log"]["entries"].as_array().unwrap().len(), 3);
        let rec = Recording { events: evs, max_body_bytes: 100, dropped: 0 };
        assert!(rec.bodies_wanted().is_empty(), "120 bytes is over the cap");
    }
}
