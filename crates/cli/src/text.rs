//! Human-readable text: the hand-written commands' answers, and [`render`] for every
//! generated command's data (the `--json` form is the data itself).

use opendevbrowser_api::command::{in_words_of, CommandInfo, Front};
use opendevbrowser_api::status::HubStatus;
use serde_json::Value;

/// `status` as a few aligned lines.
pub fn describe_status(s: &HubStatus) -> String {
    let relay = &s.relay;
    let on = |v: bool| if v { "on" } else { "off" };
    let binding = match &s.binding {
        None => "none".to_owned(),
        Some(b) => format!("{}/{} until {} (queue {})", b.client_id, b.instance_id, b.expires_at, b.queue_length),
    };
    format!(
        "hub:     {} (pid {})\nrelay:   {} on port {}\nRelay: port={} ext={} handshake={} cdp={} pairing={}\nbinding: {binding}",
        s.hub.instance_id,
        s.pid,
        relay.instance_id,
        relay.port,
        relay.port,
        on(relay.extension_connected),
        on(relay.extension_handshake_complete),
        on(relay.cdp_connected),
        on(relay.pairing_required),
    )
}

/// Any command's answer as text for people (`--json` prints the data as is): a snapshot as
/// its outline, tabs, pages and log events as one line each, anything else as `key: value`
/// lines. Dialogs a policy answered are listed after.
pub fn render(data: &Value) -> String {
    let Value::Object(map) = data else {
        return data.as_str().map_or_else(|| data.to_string(), str::to_owned);
    };
    let mut out = if let Some(content) = map.get("content").and_then(Value::as_str) {
        snapshot(map, content)
    } else if let Some(report) = map.get("report").and_then(Value::as_str) {
        report.to_owned()
    } else if let Some(targets) = map.get("targets").and_then(Value::as_array) {
        let active = map.get("activeTargetId").and_then(Value::as_str);
        lines(targets, |t| {
            let mark = if t["targetId"].as_str() == active { "*" } else { " " };
            format!("{mark} {}  {}  {}", text(&t["targetId"]), text(&t["title"]), text(&t["url"]))
        })
    } else if let Some(pages) = map.get("pages").and_then(Value::as_array) {
        lines(pages, |p| format!("{}  {}  {}", text(&p["name"]), text(&p["targetId"]), text(&p["url"])))
    } else if let Some(events) = map.get("events").and_then(Value::as_array) {
        let mut out = lines(events, event);
        out.push_str(&format!("\n(next: --since-seq {})", text(&map["nextSeq"])));
        out
    } else if let Some(cookies) = map.get("cookies").and_then(Value::as_array) {
        lines(cookies, cookie)
    } else if let (Some(items), Some(area)) = (map.get("items").and_then(Value::as_object), map.get("area")) {
        let head = format!("# {} storage of {}", text(area), text(&map["origin"]));
        let rows = items.iter().map(|(k, v)| format!("{k}={}", text(v)));
        std::iter::once(head).chain(rows).collect::<Vec<_>>().join("\n")
    } else if let (Some(body), Some(bytes)) = (map.get("body").and_then(Value::as_str), map.get("bytes")) {
        let cut = if map["truncated"] == true { ", cut" } else { "" };
        let encoding = if map["base64Encoded"] == true { ", base64" } else { "" };
        format!("{body}\n({} bytes{encoding}{cut})", text(bytes))
    } else if let Some(profiles) = map.get("profiles").and_then(Value::as_array) {
        let row = |p: &Value| match p["inUseBy"].as_str() {
            Some(session) => format!("{}  {}  (in use by session {session})", text(&p["name"]), text(&p["path"])),
            None => format!("{}  {}", text(&p["name"]), text(&p["path"])),
        };
        if profiles.is_empty() {
            "no profiles yet (launch --mode managed --profile NAME makes one)".to_owned()
        } else {
            lines(profiles, row)
        }
    } else if let Some(settings) = map.get("settings").and_then(Value::as_array) {
        let file = map.get("file").and_then(Value::as_str).unwrap_or("none (no opendevbrowser.toml in the config dir)");
        let rows = settings.iter().map(|s| match s["value"].as_str() {
            Some(value) => format!("{} = {value}    # {}", text(&s["key"]), text(&s["source"])),
            None => format!("# {} (not set: {})", text(&s["key"]), text(&s["about"])),
        });
        std::iter::once(format!("# config file: {file}")).chain(rows).collect::<Vec<_>>().join("\n")
    } else if let Some(commands) = map.get("commands").and_then(Value::as_array) {
        lines(commands, command)
    } else {
        let fields = map.iter().filter(|(k, _)| *k != "dialogs");
        fields.map(|(k, v)| format!("{k}: {}", text(v))).collect::<Vec<_>>().join("\n")
    };
    for dialog in map.get("dialogs").and_then(Value::as_array).into_iter().flatten() {
        let (kind, message, outcome) = (text(&dialog["type"]), text(&dialog["message"]), text(&dialog["outcome"]));
        out.push_str(&format!("\n{kind} dialog {message:?} was {outcome} by the dialog policy"));
    }
    out
}

fn snapshot(map: &serde_json::Map<String, Value>, content: &str) -> String {
    let mut out = String::new();
    if let (Some(title), Some(url)) = (map.get("title").and_then(Value::as_str), map.get("url").and_then(Value::as_str))
    {
        out.push_str(&format!("# {title} — {url}\n"));
    }
    out.push_str(content);
    if let Some(cursor) = map.get("nextCursor").filter(|c| !c.is_null()) {
        out.push_str(&format!("\n… more of this page: opendevbrowser snapshot --cursor {}", text(cursor)));
    }
    out
}

/// A command the hub answers as the CLI runs it, with its one line (a command this CLI
/// does not know yet keeps the hub's name).
fn command(name: &Value) -> String {
    match name.as_str().and_then(CommandInfo::find) {
        Some(info) => format!("{:<36} {}", info.name_in(Front::Cli), in_words_of(Front::Cli, info.about)),
        None => text(name),
    }
}

fn event(e: &Value) -> String {
    let kind = e.get("level").or_else(|| e.get("event")).map(text).unwrap_or_default();
    let detail = match (e.get("text"), e.get("url")) {
        (Some(t), _) => match e.get("source") {
            Some(at) => format!("{}  ({}:{}:{})", text(t), text(&at["url"]), text(&at["line"]), text(&at["column"])),
            None => text(t),
        },
        (None, Some(url)) => {
            let status = e.get("status").or_else(|| e.get("method")).or_else(|| e.get("error"));
            let mut line = format!("{} {}", status.map(text).unwrap_or_default(), text(url)).trim().to_owned();
            if let (Some(bytes), Some(ms)) = (e.get("encodedBytes"), e.get("durationMs")) {
                line.push_str(&format!("  {} B in {} ms", text(bytes), text(ms)));
            }
            line
        }
        _ => e.to_string(),
    };
    format!("#{} {kind} {detail}", text(&e["seq"]))
}

fn cookie(c: &Value) -> String {
    let flags: Vec<&str> = [("httpOnly", "HttpOnly"), ("secure", "Secure")]
        .iter()
        .filter(|(k, _)| c[*k] == true)
        .map(|(_, f)| *f)
        .collect();
    let line = format!("{}={}  {}{}", text(&c["name"]), text(&c["value"]), text(&c["domain"]), text(&c["path"]));
    if flags.is_empty() {
        line
    } else {
        format!("{line}  {}", flags.join(" "))
    }
}

fn lines(items: &[Value], line: impl Fn(&Value) -> String) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// A value as a person reads it: strings without quotes, null as `-`, the rest as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_snapshot_prints_as_its_outline_with_how_to_get_more() {
        let data = json!({"content": "heading \"Sign in\" level=1\n[r1] textbox \"User\"", "title": "Sign in",
            "url": "http://x/login", "truncated": true, "nextCursor": 120, "refCount": 1, "timingMs": 5});
        assert_eq!(
            render(&data),
            "# Sign in — http://x/login\nheading \"Sign in\" level=1\n[r1] textbox \"User\"\n\
             … more of this page: opendevbrowser snapshot --cursor 120"
        );
    }

    #[test]
    fn cookies_storage_bodies_and_sourced_logs_read_as_lines() {
        let jar = json!({"url": "http://x/", "cookies": [{"name": "sid", "value": "abc", "domain": "x", "path": "/",
            "httpOnly": true, "secure": false}]});
        assert_eq!(render(&jar), "sid=abc  x/  HttpOnly");
        let store = json!({"origin": "http://x", "area": "local", "items": {"theme": "dark"}});
        assert_eq!(render(&store), "# local storage of http://x\ntheme=dark");
        let body =
            json!({"requestId": "7", "body": "{\"a\":1}", "base64Encoded": false, "bytes": 300, "truncated": true});
        assert_eq!(render(&body), "{\"a\":1}\n(300 bytes, cut)");
        let logs = json!({"nextSeq": 9, "events": [
            {"seq": 7, "level": "warning", "text": "low", "source": {"url": "http://x/a.js", "line": 3, "column": 11}},
            {"seq": 8, "event": "finished", "url": "http://x/api", "encodedBytes": 321, "durationMs": 25}]});
        assert_eq!(
            render(&logs),
            "#7 warning low  (http://x/a.js:3:11)\n#8 finished http://x/api  321 B in 25 ms\n(next: --since-seq 9)"
        );
    }

    #[test]
    fn tabs_pages_and_events_are_one_line_each() {
        let tabs = json!({"activeTargetId": "B", "targets": [{"targetId": "A", "title": "One", "url": "http://a/"},
            {"targetId": "B", "title": "Two", "url": "http://b/"}]});
        assert_eq!(render(&tabs), "  A  One  http://a/\n* B  Two  http://b/");
        let logs = json!({"events": [{"seq": 3, "level": "log", "text": "ready"},
            {"seq": 4, "event": "response", "status": 200, "url": "http://a/x"}], "nextSeq": 4});
        assert_eq!(render(&logs), "#3 log ready\n#4 response 200 http://a/x\n(next: --since-seq 4)");
        assert_eq!(render(&json!({"pages": []})), "(none)");
        let commands = render(&json!({"commands": ["nav.snapshot", "future.thing"]}));
        assert!(commands.starts_with("opendevbrowser snapshot ") && commands.ends_with("\nfuture.thing"), "{commands}");
    }

    #[test]
    fn a_web_vitals_report_prints_as_its_text() {
        let vitals = json!({"url": "http://a/", "cls": {"score": 0.0}, "report": "Web Vitals of http://a/\nLCP 900 ms (good): h1"});
        assert_eq!(render(&vitals), "Web Vitals of http://a/\nLCP 900 ms (good): h1");
    }

    #[test]
    fn other_results_are_key_value_lines_and_answered_dialogs_are_told() {
        let clicked = json!({"navigated": false, "timingMs": 12,
            "dialogs": [{"type": "confirm", "message": "Sure?", "outcome": "dismissed", "url": "http://a/"}]});
        assert_eq!(
            render(&clicked),
            "navigated: false\ntimingMs: 12\nconfirm dialog \"Sure?\" was dismissed by the dialog policy"
        );
        assert_eq!(render(&json!("ws://127.0.0.1:8787/cdp")), "ws://127.0.0.1:8787/cdp");
    }
}
