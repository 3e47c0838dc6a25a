//! Golden wire tests: every daemon command's request and response body (success and each
//! error), recorded once and compared on every run, so a refactor cannot change a name, a
//! field or an error code that upstream clients depend on. A command `hub.commands` lists
//! that this test never calls fails it.
//!
//! The hub runs in-process with a simulated extension whose responder plays a small,
//! deterministic browser. Values that differ per run (ids, ports, times, timings) are
//! replaced by placeholders before comparing. `UPDATE_GOLDEN=1` rewrites the file.

mod common;
use common::*;
use pairing::wire::CdpCommand;
use serde_json::{json, Value};
use sim::SimReply;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/wire.json");

/// A tiny valid PNG header (IHDR 3×2) as the browser's screenshot.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAYAAACddGYaAAAAAA==";

/// The scripted browser: one page `T1`, new pages `T2`, flat sessions `S-<target>`.
fn browser(cmd: &CdpCommand) -> SimReply {
    let p = cmd.params.clone().unwrap_or(json!({}));
    let value = |v: Value| SimReply::Result(json!({"result": {"type": "object", "value": v}}));
    match cmd.method.as_str() {
        "Target.getTargets" => SimReply::Result(json!({"targetInfos": [
            {"targetId": "T1", "type": "page", "title": "Golden", "url": "http://golden.test/"},
            {"targetId": "W1", "type": "service_worker", "title": "sw", "url": "http://golden.test/sw.js"}]})),
        "Target.attachToTarget" => {
            SimReply::Result(json!({"sessionId": format!("S-{}", p["targetId"].as_str().unwrap_or(""))}))
        }
        "Target.createTarget" => SimReply::Result(json!({"targetId": "T2"})),
        "Target.closeTarget" if p["targetId"] == "nope" => SimReply::Error("No target with given id found".into()),
        "Target.closeTarget" => SimReply::Result(json!({"success": true})),
        "Page.navigate" => SimReply::Result(json!({"frameId": "F1", "loaderId": "L1"})),
        "Page.getNavigationHistory" => SimReply::Result(json!({"currentIndex": 1, "entries": [
            {"id": 1, "url": "http://golden.test/", "title": "Golden"},
            {"id": 2, "url": "http://golden.test/next", "title": "Next"}]})),
        "Page.captureScreenshot" => SimReply::Result(json!({"data": PNG_B64})),
        "Performance.getMetrics" => SimReply::Result(json!({"metrics": [{"name": "Nodes", "value": 12}]})),
        "Accessibility.getFullAXTree" => SimReply::Result(json!({"nodes": [
            ax_node(1, "RootWebArea", "Golden", &[2, 3, 4, 5]),
            ax_node(2, "heading", "Golden", &[]),
            ax_node(3, "button", "Go", &[]),
            ax_node(4, "textbox", "Name", &[]),
            ax_node(5, "combobox", "Color", &[])]})),
        "DOM.resolveNode" if p["backendNodeId"] == 5 => SimReply::Error("No node with given id found".into()),
        "DOM.resolveNode" => {
            SimReply::Result(json!({"object": {"type": "object", "objectId": format!("el-{}", p["backendNodeId"])}}))
        }
        "Runtime.callFunctionOn" => {
            let f = p["functionDeclaration"].as_str().unwrap_or("");
            let arg = |i: usize| p["arguments"][i]["value"].clone();
            if f.starts_with("function (op, arg)") {
                let on = p["objectId"].as_str().unwrap_or("");
                return value(element_op_on(on, arg(0).as_str().unwrap_or("")));
            }
            if f.contains("this.type === 'file'") {
                return SimReply::Result(json!({"result": {"type": "object", "objectId": "file-input"}}));
            }
            if f.contains("this.files") {
                return value(json!([{"name": "Cargo.toml", "bytes": 11}]));
            }
            if f.starts_with("async function (onElement, args)") && f.contains("(6 * 7") {
                return value(json!({"type": "number", "value": 42}));
            }
            SimReply::Result(json!({"result": {"type": "undefined"}}))
        }
        "Runtime.evaluate" => {
            let e = p["expression"].as_str().unwrap_or("");
            if e.contains("throw") {
                return SimReply::Result(json!({"result": {"type": "object"},
                    "exceptionDetails": {"text": "Uncaught", "exception": {"description": "Error: boom"}}}));
            }
            if e == "({})" {
                return SimReply::Result(json!({"result": {"type": "object", "objectId": "ref-table-1"}}));
            }
            if e == "1+1" {
                return value(json!(2));
            }
            if e.starts_with("((sel, text, state) =>") {
                return value(json!(true));
            }
            if e.contains("fresh:") {
                return value(
                    json!({"fresh": true, "state": "complete", "url": "http://golden.test/next", "title": "Next"}),
                );
            }
            if e.contains("url: location.href") {
                return value(json!({"url": "http://golden.test/", "title": "Golden"}));
            }
            if e == "location.href" {
                return value(json!("http://golden.test/"));
            }
            if e.contains("scrollBy") {
                return value(json!({"scrollY": 300}));
            }
            if e.contains("sessionStorage : localStorage") {
                return value(json!({"origin": "http://golden.test", "items": {"theme": "dark"}}));
            }
            if e.starts_with("({width: innerWidth") {
                return value(json!({"width": 400, "height": 300, "scale": 1, "touch": false,
                    "userAgent": "Golden/1.0", "offline": false}));
            }
            SimReply::Result(json!({"result": {"type": "undefined"}}))
        }
        "Network.getCookies" => SimReply::Result(json!({"cookies": [{"name": "theme", "value": "dark",
            "domain": "golden.test", "path": "/", "expires": -1, "size": 9, "httpOnly": false, "secure": false,
            "session": true, "sameSite": "Lax"}]})),
        "Network.setCookie" => SimReply::Result(json!({"success": true})),
        // "%PDF-1.4\n"
        "Page.printToPDF" => SimReply::Result(json!({"data": "JVBERi0xLjQK"})),
        _ => SimReply::Result(json!({})),
    }
}

/// [`element_op`] on one element (`el-<backend node id>`): the button `r1` (node 3) is no
/// checkbox and takes no text; the textbox `r2` (node 4) answers as a checked box that
/// the page keeps checked, and takes text.
fn element_op_on(object: &str, op: &str) -> Value {
    match (object, op) {
        ("el-4", "checkState") => json!({"value": true}),
        (_, "checkState") => json!({"value": null}),
        ("el-4", "fill") => json!({"value": "Ada"}),
        (_, "fill") => json!({"error": "is a button, which cannot take text", "code": "not_editable"}),
        _ => element_op(op),
    }
}

/// One accessibility node as the browser sends it (its backend node id is its node id).
fn ax_node(id: i64, role: &str, name: &str, children: &[i64]) -> Value {
    let mut node = json!({"nodeId": id.to_string(), "ignored": false, "role": {"type": "role", "value": role},
        "name": {"type": "computedString", "value": name}, "backendDOMNodeId": id,
        "childIds": children.iter().map(|c| c.to_string()).collect::<Vec<_>>()});
    if id != 1 {
        node["parentId"] = json!("1");
    }
    node
}

/// What the page-side element function answers (the combobox, `r3`, is gone: the
/// browser no longer resolves it).
fn element_op(op: &str) -> Value {
    match op {
        "center" => json!({"x": 40, "y": 20, "visible": true}),
        "rect" => json!({"x": 10, "y": 5, "width": 60, "height": 30, "scrollX": 0, "scrollY": 0, "visible": true}),
        "focus" => json!({"focused": true}),
        "select" => json!({"selected": 1}),
        "scroll" => json!({"scrollTop": 120}),
        "scrollIntoView" => json!({"x": 10, "y": 5, "width": 60, "height": 30, "scrollX": 0, "scrollY": 0}),
        "html" => json!({"value": "<button>Go</button>"}),
        "text" => json!({"value": "Go"}),
        "attr" => json!({"value": "submit"}),
        "value" => json!({"value": "Ada"}),
        "visible" | "enabled" => json!({"value": true}),
        "checked" => json!({"value": false}),
        other => json!({"error": format!("unknown op {other}")}),
    }
}

/// Replaces per-run values (ids, ports, times, timings, paths) with placeholders.
fn normalize(value: &mut Value) {
    const VOLATILE: &[&str] = &[
        "instanceId",
        "hubInstanceId",
        "relayInstanceId",
        "sessionId",
        "bindingId",
        "expiresAt",
        "startedAt",
        "at",
        "epoch",
        "port",
        "relayPort",
        "daemonPort",
        "pid",
        "timingMs",
        "expiresInMs",
        "renewAfterMs",
        "waitingMs",
        "extensionLastSeenAt",
        "extensionLeftAt",
        "path",
        "url",
        "discoveryPort",
        "version",
    ];
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let keep =
                    matches!(v, Value::Null) || (key == "url" && !v.as_str().is_some_and(|s| s.contains("127.0.0.1")));
                if VOLATILE.contains(&key.as_str()) && !keep && !v.is_object() {
                    *v = json!(format!("<{key}>"));
                } else {
                    normalize(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::String(s) => *s = scrub(s),
        _ => {}
    }
}

/// Masks ids, times and ports inside messages.
fn scrub(text: &str) -> String {
    let patterns = [
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<time>"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>"),
        (r"\b[0-9a-f]{8}-\d+\b", "<bindingId>"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (r"after \d+ ms", "after <n> ms"),
    ];
    let mut out = text.to_owned();
    for (pattern, with) in patterns {
        out = regex::Regex::new(pattern).unwrap().replace_all(&out, with).into_owned();
    }
    out
}

struct Recorder<'a> {
    hub: &'a TestHub,
    log: Vec<Value>,
}

impl Recorder<'_> {
    /// Sends one command, records request and (normalized) response, returns the raw body.
    async fn call(&mut self, name: &str, params: Value) -> Value {
        let (status, body) = self.hub.rpc(name, params.clone()).await;
        let (mut request, mut response) = (params, body.clone());
        normalize(&mut request);
        normalize(&mut response);
        self.log.push(json!({"name": name, "params": request, "status": status, "body": response}));
        body
    }
}

fn me(extra: Value) -> Value {
    let mut p = json!({"clientId": CLIENT, "instanceId": "golden"});
    p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    p
}

#[tokio::test]
async fn every_command_answers_exactly_as_recorded() {
    let hub = TestHub::start().await;
    let _sim = hub.paired_sim_with(browser).await;
    let mut r = Recorder { hub: &hub, log: Vec::new() };

    // Hub and relay.
    r.call("hub.commands", json!({})).await;
    r.call("relay.status", json!({})).await;
    r.call("relay.cdpUrl", json!({})).await;
    r.call("no.such", json!({})).await;

    // The binding lease and its errors.
    r.call("relay.bind", json!({})).await;
    r.call("relay.bind", json!({"clientId": 7})).await;
    r.call("relay.bind", json!({"clientId": "  "})).await;
    let bound = r.call("relay.bind", me(json!({}))).await;
    let b = bound["data"]["bindingId"].clone();
    r.call("relay.renew", me(json!({"bindingId": b}))).await;
    r.call("relay.renew", me(json!({"bindingId": "stale-1"}))).await;
    r.call("relay.bind", json!({"clientId": CLIENT, "instanceId": "other"})).await;
    r.call("relay.wait", json!({"clientId": CLIENT, "instanceId": "other", "timeoutMs": 1})).await;
    r.call("relay.wait", json!({"clientId": CLIENT, "instanceId": "other", "timeoutMs": 999_999})).await;
    r.call("relay.wait", json!({"clientId": CLIENT, "instanceId": "other", "timeoutMs": -1})).await;
    r.call("hub.status", json!({})).await;

    // Raw CDP.
    r.call("cdp.send", me(json!({"method": "Browser.getVersion"}))).await;
    r.call("cdp.send", me(json!({"method": "Browser.getVersion", "bindingId": b}))).await;
    r.call("cdp.send", me(json!({"method": "Runtime.evaluate", "params": {"expression": "1+1"}, "bindingId": b})))
        .await;
    r.call("cdp.send", me(json!({"method": "X.y", "params": [1], "bindingId": b}))).await;
    r.call("cdp.send", me(json!({"bindingId": b}))).await;

    // Sessions.
    r.call("session.launch", me(json!({"mode": "bogus"}))).await;
    r.call("session.launch", me(json!({"mode": "extension"}))).await;
    let launched = r.call("session.launch", me(json!({"mode": "extension", "bindingId": b}))).await;
    let s = launched["data"]["sessionId"].clone();
    let sess = |extra: Value| {
        let mut p = me(json!({"sessionId": s, "bindingId": b}));
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    };
    r.call("session.status", sess(json!({}))).await;
    r.call("session.status", me(json!({"sessionId": "missing", "bindingId": b}))).await;
    r.call("session.status", json!({"clientId": CLIENT, "instanceId": "intruder", "sessionId": s})).await;
    r.call("session.status", me(json!({"sessionId": s}))).await;
    r.call("session.connect", me(json!({"host": "example.com"}))).await;
    r.call("session.connect", me(json!({"port": 70_000}))).await;

    // Targets and pages.
    r.call("targets.list", sess(json!({}))).await;
    r.call("targets.list", sess(json!({"includeUrls": false}))).await;
    r.call("targets.list", sess(json!({"includeUrls": "no"}))).await;
    r.call("targets.new", sess(json!({"url": "http://golden.test/new"}))).await;
    r.call("targets.use", sess(json!({"targetId": "T1"}))).await;
    r.call("targets.use", sess(json!({}))).await;
    r.call("targets.close", sess(json!({"targetId": "nope"}))).await;
    r.call("page.open", sess(json!({"name": "main"}))).await;
    r.call("page.list", sess(json!({}))).await;
    r.call("page.close", sess(json!({"name": "ghost"}))).await;
    r.call("page.close", sess(json!({"name": "main"}))).await;
    r.call("targets.use", sess(json!({"targetId": "T1"}))).await;

    // Navigation.
    r.call("nav.goto", sess(json!({"url": "http://golden.test/next"}))).await;
    r.call("nav.goto", sess(json!({"url": "http://golden.test/next", "waitUntil": "soon"}))).await;
    r.call("nav.goto", sess(json!({}))).await;
    r.call("nav.goto", sess(json!({"url": "http://golden.test/", "timeoutMs": 300_001}))).await;
    r.call("nav.reload", sess(json!({}))).await;
    r.call("nav.reload", sess(json!({"waitUntil": "later"}))).await;
    r.call("nav.back", sess(json!({"waitUntil": "domcontentloaded"}))).await;
    r.call("nav.forward", sess(json!({}))).await;
    r.call("nav.wait", sess(json!({"selector": "#go"}))).await;
    r.call("nav.wait", sess(json!({"text": "Golden", "state": "visible"}))).await;
    r.call("nav.wait", sess(json!({}))).await;

    // Snapshot, refs, actions, reads.
    r.call("interact.click", sess(json!({"ref": "r1"}))).await;
    r.call("nav.snapshot", sess(json!({}))).await;
    r.call("nav.snapshot", sess(json!({"mode": "actionables", "maxChars": 150}))).await;
    r.call("nav.snapshot", sess(json!({"cursor": "x"}))).await;
    r.call("interact.click", sess(json!({"ref": "r1"}))).await;
    r.call("interact.click", sess(json!({"ref": "r9"}))).await;
    r.call("interact.click", sess(json!({"ref": "r3"}))).await;
    r.call("interact.hover", sess(json!({"ref": "r1"}))).await;
    r.call("interact.type", sess(json!({"ref": "r2", "text": "Ada", "clear": true, "submit": true}))).await;
    r.call("interact.type", sess(json!({"ref": "r2"}))).await;
    r.call("interact.press", sess(json!({"key": "Enter"}))).await;
    r.call("interact.press", sess(json!({"key": "Tab", "ref": "r2"}))).await;
    r.call("interact.press", sess(json!({"key": "Hyper"}))).await;
    r.call("interact.select", sess(json!({"ref": "r1", "values": ["blue"]}))).await;
    r.call("interact.select", sess(json!({"ref": "r1"}))).await;
    r.call("interact.scroll", sess(json!({"dy": 300}))).await;
    r.call("interact.scroll", sess(json!({"ref": "r1", "dy": 120}))).await;
    r.call("interact.scrollIntoView", sess(json!({"ref": "r1"}))).await;
    r.call("dom.getHtml", sess(json!({"ref": "r1"}))).await;
    r.call("dom.getText", sess(json!({"ref": "r1", "maxChars": 1}))).await;
    r.call("dom.getAttr", sess(json!({"ref": "r1", "name": "type"}))).await;
    r.call("dom.getAttr", sess(json!({"ref": "r1"}))).await;
    r.call("dom.getValue", sess(json!({"ref": "r2"}))).await;
    r.call("dom.isVisible", sess(json!({"ref": "r1"}))).await;
    r.call("dom.isEnabled", sess(json!({"ref": "r1"}))).await;
    r.call("dom.isChecked", sess(json!({"ref": "r1"}))).await;
    r.call("page.screenshot", sess(json!({}))).await;
    r.call("page.screenshot", sess(json!({"ref": "r1"}))).await;
    r.call("page.dialog", sess(json!({"action": "accept"}))).await;
    r.call("page.dialog", sess(json!({"action": "later"}))).await;
    r.call("page.dialog", sess(json!({"policy": "dismiss"}))).await;
    r.call("page.evaluate", sess(json!({"expression": "6 * 7"}))).await;
    r.call("page.evaluate", sess(json!({"expression": ""}))).await;
    r.call("page.evaluate", sess(json!({"expression": "(el) => el.id", "ref": "r99"}))).await;
    r.call("devtools.consolePoll", sess(json!({}))).await;
    r.call("devtools.networkPoll", sess(json!({"sinceSeq": 0, "max": 5}))).await;
    r.call("devtools.perf", sess(json!({}))).await;

    // Finding, forms, files, input.
    r.call("nav.find", sess(json!({"text": "go"}))).await;
    r.call("nav.find", sess(json!({"role": "textbox", "max": 1}))).await;
    r.call("nav.find", sess(json!({"max": 10_001}))).await;
    r.call("interact.check", sess(json!({"ref": "r2"}))).await;
    r.call("interact.check", sess(json!({"ref": "r1"}))).await;
    r.call("interact.check", sess(json!({"ref": "r2", "checked": false}))).await;
    r.call("interact.check", sess(json!({"ref": "r1", "checked": "yes"}))).await;
    r.call("interact.fill", sess(json!({"fields": [{"ref": "r2", "value": "Ada"}]}))).await;
    r.call("interact.fill", sess(json!({"fields": [{"ref": "r1", "value": "Ada"}]}))).await;
    r.call("interact.fill", sess(json!({"fields": []}))).await;
    r.call("interact.upload", sess(json!({"ref": "r2", "files": ["Cargo.toml"]}))).await;
    r.call("interact.upload", sess(json!({"ref": "r2", "files": ["no-such-file.txt"]}))).await;
    r.call("interact.upload", sess(json!({"ref": "r2", "files": []}))).await;
    r.call("interact.drag", sess(json!({"from": "r1", "to": "r2"}))).await;
    r.call("interact.drag", sess(json!({"from": "r1", "toX": 5, "toY": 6}))).await;
    r.call("interact.drag", sess(json!({"from": "r1"}))).await;
    r.call("page.download", sess(json!({"ref": "r1", "timeoutMs": 300_001}))).await;
    r.call("page.download", sess(json!({"ref": "r9"}))).await;
    r.call("page.download", sess(json!({"ref": "r1", "timeoutMs": 1}))).await;

    // The page's world: bodies, cookies, storage, emulation, PDF.
    r.call("devtools.networkBody", sess(json!({"requestId": "R-nope"}))).await;
    r.call("devtools.networkBody", sess(json!({}))).await;
    r.call("storage.cookies", sess(json!({}))).await;
    r.call("storage.cookies", sess(json!({"action": "set", "name": "theme", "value": "dark"}))).await;
    r.call("storage.cookies", sess(json!({"action": "set"}))).await;
    r.call("storage.cookies", sess(json!({"action": "eat"}))).await;
    r.call("storage.items", sess(json!({"action": "set", "key": "theme", "value": "dark"}))).await;
    r.call("storage.items", sess(json!({"area": "session"}))).await;
    r.call("storage.items", sess(json!({"area": "disk"}))).await;
    r.call("storage.items", sess(json!({"action": "remove"}))).await;
    r.call("network.route", sess(json!({"urlPattern": "*/ads/*", "action": "block"}))).await;
    r.call("network.route", sess(json!({"urlPattern": "*", "action": "teleport"}))).await;
    r.call("network.routes", sess(json!({}))).await;
    r.call("network.unroute", sess(json!({"ruleId": "rule-7"}))).await;
    r.call("network.unroute", sess(json!({}))).await;
    r.call("devtools.harStop", sess(json!({"path": hub.dirs.path().join("none.har")}))).await;
    r.call("devtools.harStart", sess(json!({"maxBodyBytes": 0}))).await;
    r.call("devtools.harStop", sess(json!({"path": hub.dirs.path().join("golden.har")}))).await;
    r.call("devtools.traceStop", sess(json!({"path": hub.dirs.path().join("none.json")}))).await;
    r.call("devtools.traceStart", sess(json!({"categories": "loading"}))).await;
    r.call("devtools.vitals", sess(json!({"watchMs": 30_001}))).await;
    r.call("devtools.vitals", sess(json!({}))).await;
    let state = hub.dirs.path().join("golden-state.json");
    r.call("storage.save", sess(json!({"path": state}))).await;
    r.call("storage.load", sess(json!({"path": state}))).await;
    r.call("profiles.list", me(json!({}))).await;
    r.call("profiles.delete", me(json!({"name": "nope"}))).await;
    r.call("profiles.delete", me(json!({"name": "../up"}))).await;
    r.call("page.emulate", sess(json!({"width": 400, "height": 300}))).await;
    r.call("page.emulate", sess(json!({"device": "Nokia 3310"}))).await;
    r.call("page.emulate", sess(json!({"width": 0}))).await;
    let pdf = hub.dirs.path().join("golden.pdf");
    r.call("page.pdf", sess(json!({"path": pdf}))).await;
    r.call("page.pdf", sess(json!({"landscape": "yes"}))).await;

    // Ending.
    r.call("relay.restart", me(json!({}))).await;
    r.call("session.disconnect", sess(json!({}))).await;
    r.call("relay.release", me(json!({"bindingId": b}))).await;
    r.call("relay.release", me(json!({"bindingId": b}))).await;
    r.call("relay.restart", me(json!({}))).await;

    let listed = r.log[0]["body"]["data"]["commands"].as_array().cloned().unwrap_or_default();
    let unrecorded: Vec<&Value> = listed.iter().filter(|c| !r.log.iter().any(|e| &e["name"] == *c)).collect();
    assert!(
        listed.len() > 50 && unrecorded.is_empty(),
        "commands the hub lists but this test never calls: {unrecorded:?}"
    );

    let recorded = serde_json::to_string_pretty(&Value::Array(r.log)).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(std::path::Path::new(GOLDEN).parent().unwrap()).unwrap();
        std::fs::write(GOLDEN, &recorded).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("tests/golden/wire.json (UPDATE_GOLDEN=1 records it)");
    let (want, got): (Vec<Value>, Vec<Value>) =
        (serde_json::from_str(&golden).unwrap(), serde_json::from_str(&recorded).unwrap());
    assert_eq!(want.len(), got.len(), "number of recorded exchanges");
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g, "the wire changed for `{}`", w["name"]);
    }
}
