//! The reads and scrolls no other test drives, against a real browser in every mode (the
//! user's Chrome through the real extension, a managed Chromium, and a Chromium on a
//! DevTools port that `session.connect` attaches to), each answer compared with the page
//! as the oracle (a DevTools connection of the test's own) reads it, negative answers
//! included; and the hub's own commands: `hub.commands`, `relay.cdpUrl`, `relay.restart`.

use serde_json::{json, Value};
use system_tests::cli_binary;
use system_tests::hub_process::{HubProcess, CLIENT_ID};
use system_tests::oracle::{Oracle, OraclePage, PlainChromium};
use system_tests::rpc::{cmd, fails, ok, ref_of, Driver};
use system_tests::site::Site;
use system_tests::{World, SERIAL};

/// The refs of the `/reads` page.
struct Refs {
    on: String,
    off: String,
    locked: String,
    aria_off: String,
    agree: String,
    subscribed: String,
    small: String,
    large: String,
    scroller: String,
    far: String,
}

impl Refs {
    fn of(page: &str) -> Refs {
        let r = |needle: &str| ref_of(page, needle);
        Refs {
            on: r("button \"Enabled button\""),
            off: r("button \"Disabled button\""),
            locked: r("textbox \"Locked field\""),
            aria_off: r("button \"Aria disabled\""),
            agree: r("checkbox \"Agree\""),
            subscribed: r("checkbox \"Subscribed\""),
            small: r("radio \"Small\""),
            large: r("radio \"Large\""),
            scroller: r("\"Scroller\""),
            far: r("button \"Far button\""),
        }
    }
}

/// `expression` about the element `#id`, evaluated by the oracle (`el` is the element).
async fn on_element(page: &mut OraclePage<'_>, id: &str, expression: &str) -> Value {
    page.eval(&format!("(el => {expression})(document.getElementById({}))", json!(id))).await
}

/// `dom.getHtml` and `dom.getAttr` answer what the page holds now (after the page changed
/// it, too); a missing attribute is null; a cut HTML says so.
async fn html_and_attributes(d: &Driver<'_>, page: &mut OraclePage<'_>, refs: &Refs) {
    let html = d.ok("dom.getHtml", json!({"ref": refs.on})).await;
    let outer = on_element(page, "on", "el.outerHTML").await;
    assert_eq!((&html["outerHTML"], &html["truncated"]), (&outer, &json!(false)), "the button's HTML");
    let cut = d.ok("dom.getHtml", json!({"ref": refs.on, "maxChars": 12})).await;
    let start: String = outer.as_str().unwrap().chars().take(12).collect();
    assert_eq!((cut["outerHTML"].as_str(), &cut["truncated"]), (Some(start.as_str()), &json!(true)), "{cut}");

    on_element(page, "on", "el.dataset.kind = 'secondary'").await;
    for name in ["data-kind", "title", "formaction"] {
        let read = d.ok("dom.getAttr", json!({"ref": refs.on, "name": name})).await;
        let truth = on_element(page, "on", &format!("el.getAttribute({})", json!(name))).await;
        assert_eq!(read["value"], truth, "attribute {name}");
    }
    let changed = on_element(page, "on", "el.getAttribute('data-kind')").await;
    assert_eq!(changed, "secondary", "the page changed it (the read is no cached copy)");
    assert_eq!(on_element(page, "on", "el.getAttribute('formaction')").await, Value::Null);
    d.fails("dom.getAttr", json!({"ref": refs.on}), "invalid_param").await;
}

/// `dom.isEnabled`, `dom.isChecked`, `dom.isVisible`: yes and no as the page has it, and
/// the new answer once the page changes.
async fn states(d: &Driver<'_>, page: &mut OraclePage<'_>, refs: &Refs) {
    let enabled = "!(el.matches(':disabled') || el.getAttribute('aria-disabled') === 'true')";
    let cases = [(&refs.on, "on", true), (&refs.off, "off", false), (&refs.locked, "locked", false)];
    for (r, id, want) in cases.into_iter().chain([(&refs.aria_off, "aria-off", false)]) {
        assert_eq!(on_element(page, id, enabled).await, want, "the page has #{id} enabled: {want}");
        assert_eq!(d.ok("dom.isEnabled", json!({"ref": r})).await["value"], want, "dom.isEnabled #{id}");
    }
    on_element(page, "off", "el.disabled = false").await;
    assert_eq!(d.ok("dom.isEnabled", json!({"ref": refs.off})).await["value"], true, "enabled by the page");

    let checked = [(&refs.agree, "agree", false), (&refs.subscribed, "subscribed", true)];
    let radios = [(&refs.small, "small", true), (&refs.large, "large", false), (&refs.on, "on", false)];
    for (r, id, want) in checked.into_iter().chain(radios) {
        assert_eq!(on_element(page, id, "el.checked === true").await, want, "the page has #{id} checked: {want}");
        assert_eq!(d.ok("dom.isChecked", json!({"ref": r})).await["value"], want, "dom.isChecked #{id}");
    }
    on_element(page, "large", "el.click()").await;
    assert_eq!(on_element(page, "small", "el.checked").await, false, "the page moved the radio");
    assert_eq!(d.ok("dom.isChecked", json!({"ref": refs.large})).await["value"], true);
    assert_eq!(d.ok("dom.isChecked", json!({"ref": refs.small})).await["value"], false);

    assert_eq!(d.ok("dom.isVisible", json!({"ref": refs.on})).await["value"], true);
    on_element(page, "on", "el.style.display = 'none'").await;
    assert_eq!(on_element(page, "on", "el.checkVisibility()").await, false, "the page hid it");
    assert_eq!(d.ok("dom.isVisible", json!({"ref": refs.on})).await["value"], false, "hidden by the page");
    on_element(page, "locked", "el.style.visibility = 'hidden'").await;
    assert_eq!(d.ok("dom.isVisible", json!({"ref": refs.locked})).await["value"], false, "visibility: hidden");
}

/// `interact.scroll` moves the window (and a scrollable box) by exactly dy, and
/// `interact.scrollIntoView` brings a button from below the fold into the view: the page's
/// own scroll positions say so, and the answers match them.
async fn scrolls(d: &Driver<'_>, page: &mut OraclePage<'_>, refs: &Refs) {
    page.eval("window.scrollTo(0, 0)").await;
    let down = d.ok("interact.scroll", json!({"dy": 500})).await;
    assert_eq!(page.scroll().await.1, 500.0, "the window scrolled down 500 px");
    assert_eq!(down["scrollY"].as_f64(), Some(500.0), "{down}");
    let up = d.ok("interact.scroll", json!({"dy": -200})).await;
    assert_eq!((page.scroll().await.1, up["scrollY"].as_f64()), (300.0, Some(300.0)), "{up}");

    let boxed = d.ok("interact.scroll", json!({"ref": refs.scroller, "dy": 250})).await;
    let top = on_element(page, "scroller", "el.scrollTop").await;
    assert_eq!((top.as_f64(), boxed["scrollTop"].as_f64()), (Some(250.0), Some(250.0)), "{boxed}");
    assert_eq!(page.scroll().await.1, 300.0, "the window stayed where it was");

    page.eval("window.scrollTo(0, 0)").await;
    let below = "(r => r.top >= innerHeight)(el.getBoundingClientRect())";
    assert_eq!(on_element(page, "far", below).await, true, "the far button starts below the fold");
    let rect = d.ok("interact.scrollIntoView", json!({"ref": refs.far})).await;
    let inside = "(r => r.top >= 0 && r.bottom <= innerHeight)(el.getBoundingClientRect())";
    assert_eq!(on_element(page, "far", inside).await, true, "the far button is in the view now");
    let (_, y) = page.scroll().await;
    assert!(y > 0.0, "the window scrolled to it");
    let top = on_element(page, "far", "el.getBoundingClientRect().top").await.as_f64().unwrap();
    assert_eq!(rect["scrollY"].as_f64(), Some(y), "{rect}");
    assert!((rect["y"].as_f64().unwrap() - top).abs() < 1.0, "the box answered is where the page has it: {rect}");

    on_element(page, "far", "el.remove()").await;
    d.fails("interact.scrollIntoView", json!({"ref": refs.far}), "stale_ref").await;
    d.fails("interact.scroll", json!({"ref": refs.far, "dy": 10}), "stale_ref").await;
}

/// `nav.find` answers the snapshot lines of a role or a text, as many as the page has.
async fn finds(d: &Driver<'_>, page: &mut OraclePage<'_>, refs: &Refs) {
    let buttons = d.ok("nav.find", json!({"role": "button"})).await;
    let on_page = page.eval("document.querySelectorAll('button, [role=button]').length").await;
    assert_eq!(json!(buttons["count"]), on_page, "as many buttons as the page has: {buttons}");
    let far = d.ok("nav.find", json!({"text": "far BUTTON"})).await;
    assert_eq!(far["count"], 1, "{far}");
    assert!(far["matches"][0].as_str().unwrap().starts_with(&format!("[{}] button \"Far button\"", refs.far)), "{far}");
    let none = d.ok("nav.find", json!({"text": "no such words"})).await;
    assert_eq!((&none["count"], &none["matches"]), (&json!(0), &json!([])), "{none}");
}

/// Every read and scroll on `/reads`, in the session of `d`, checked through `oracle`.
async fn reads_and_scrolls(d: &Driver<'_>, oracle: &mut Oracle, site: &Site) {
    let url = site.url("/reads");
    d.ok("nav.goto", json!({"url": url})).await;
    let refs = Refs::of(&d.snapshot().await);
    let mut page = oracle.page(&url).await;
    finds(d, &mut page, &refs).await;
    html_and_attributes(d, &mut page, &refs).await;
    states(d, &mut page, &refs).await;
    scrolls(d, &mut page, &refs).await;
}

/// Every command of the contract is called by name in an end-to-end test (or its
/// harness): adding a command without one fails here.
#[test]
fn every_contract_command_is_called_by_an_end_to_end_test() {
    let mut sources = String::new();
    for dir in ["tests", "tests/support"] {
        for entry in std::fs::read_dir(system_tests::workspace().join(dir)).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(entry.path()).unwrap());
            }
        }
    }
    let contract = opendevbrowser_api::command::registry().iter().map(|c| c.name);
    let missing: Vec<&str> = contract.filter(|name| !sources.contains(&format!("\"{name}\""))).collect();
    assert!(missing.is_empty(), "commands no end-to-end test calls: {missing:?}");
}

#[tokio::test]
async fn reads_and_scrolls_match_the_page_in_the_users_chrome() {
    let world = World::start().await;
    let driver = Driver::in_users_chrome(&world.hub).await;
    let mut oracle = Oracle::of_browser(&world.browser).await;
    reads_and_scrolls(&driver, &mut oracle, &world.site).await;
}

#[tokio::test]
async fn reads_and_scrolls_match_the_page_in_managed_chromium_and_the_hub_lists_the_contract() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    // Relay port 0: nothing here needs the extension (nor 8787).
    let hub = HubProcess::start(dirs.path(), 0).await;

    let listed = ok(&hub, &Value::Null, "hub.commands", json!({})).await["commands"].clone();
    let contract: Vec<&str> = opendevbrowser_api::command::registry().iter().map(|c| c.name).collect();
    assert_eq!(listed, json!(contract), "hub.commands lists the contract, in its order");
    fails(&hub, &Value::Null, "no.such", json!({}), "unknown_command").await;

    let launched =
        ok(&hub, &Value::Null, "session.launch", json!({"mode": "managed", "startUrl": site.url("/")})).await;
    assert_eq!(launched["mode"], "managed");
    let driver = Driver { hub: &hub, binding: Value::Null, session: launched["sessionId"].clone() };
    let mut oracle = Oracle::of_managed(&hub).await;
    reads_and_scrolls(&driver, &mut oracle, &site).await;
}

#[tokio::test]
async fn session_connect_drives_a_browser_on_a_devtools_port_and_can_close_it() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let hub = HubProcess::start(dirs.path(), 0).await;
    let mut chromium = PlainChromium::launch(&site.url("/")).await;
    let port = chromium.devtools_port;

    let connected = ok(&hub, &Value::Null, "session.connect", json!({"port": port})).await;
    // The wire word is upstream's `cdpConnect` (the contract's doc says `connected`).
    assert_eq!(connected["mode"], "cdpConnect", "{connected}");
    let driver = Driver { hub: &hub, binding: Value::Null, session: connected["sessionId"].clone() };
    let mut oracle = Oracle::connect(port).await;
    reads_and_scrolls(&driver, &mut oracle, &site).await;
    let ended = driver.ok("session.disconnect", json!({})).await;
    assert_eq!(ended["ok"], true);
    assert!(!chromium.exited(), "disconnecting leaves the browser running");
    assert!(oracle.page_urls().await.contains(&site.url("/reads")), "and its page as it was");

    let version: Value =
        reqwest::get(format!("http://127.0.0.1:{port}/json/version")).await.unwrap().json().await.unwrap();
    let ws = version["webSocketDebuggerUrl"].clone();
    let again = ok(&hub, &Value::Null, "session.connect", json!({"wsEndpoint": ws})).await;
    let second = Driver { hub: &hub, binding: Value::Null, session: again["sessionId"].clone() };
    second.ok("nav.goto", json!({"url": site.url("/second")})).await;
    let title = oracle.page(&site.url("/second")).await.eval("document.title").await;
    assert_eq!(title, "Second Page", "the session by WebSocket URL drove the same browser");
    second.ok("session.disconnect", json!({"closeBrowser": true})).await;
    system_tests::wait_for("the connected browser to exit", || {
        let exited = chromium.exited();
        async move { exited.then_some(()) }
    })
    .await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let refused = fails(&hub, &Value::Null, "session.connect", json!({"port": closed}), "connect_failed").await;
    assert!(refused["message"].as_str().unwrap().contains(&closed.to_string()), "{refused}");
}

/// The relay token of the world's hub (`hub.json`).
fn relay_token(world: &World) -> String {
    let settings = std::fs::read_to_string(world.dirs.path().join("config/hub.json")).unwrap();
    let settings: Value = serde_json::from_str(&settings).unwrap();
    settings["relayToken"].as_str().unwrap().to_owned()
}

/// One CDP call on a `/cdp` socket; its answer.
async fn cdp_call(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    id: u64,
    method: &str,
    params: Value,
) -> Value {
    use futures_util::{SinkExt, StreamExt};
    let msg = json!({"id": id, "method": method, "params": params}).to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::text(msg)).await.unwrap();
    loop {
        let frame = tokio::time::timeout(system_tests::WAIT, ws.next()).await.expect("an answer").unwrap().unwrap();
        let tokio_tungstenite::tungstenite::Message::Text(text) = frame else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["id"] == id {
            return v;
        }
    }
}

#[tokio::test]
async fn relay_cdp_url_is_plain_cdp_into_the_users_chrome_and_relay_restart_is_paired_again() {
    let world = World::start().await;
    let (hub, site) = (&world.hub, &world.site);
    let mut oracle = Oracle::of_browser(&world.browser).await;

    let url = ok(hub, &Value::Null, "relay.cdpUrl", json!({})).await;
    assert_eq!(url.as_str(), Some(format!("ws://127.0.0.1:{}/cdp", hub.relay_port).as_str()));
    let refused = tokio_tungstenite::connect_async(url.as_str().unwrap()).await;
    assert!(refused.is_err(), "no token, no CDP");
    let with_token = format!("{}?token={}", url.as_str().unwrap(), relay_token(&world));
    let (mut ws, _) = tokio_tungstenite::connect_async(with_token.as_str()).await.expect("/cdp with the token");
    let targets = cdp_call(&mut ws, 1, "Target.getTargets", json!({})).await;
    let seen: Vec<&str> = targets["result"]["targetInfos"]
        .as_array()
        .unwrap_or_else(|| panic!("{targets}"))
        .iter()
        .filter(|t| t["type"] == "page")
        .filter_map(|t| t["url"].as_str())
        .collect();
    let pages = oracle.page_urls().await;
    assert!(seen.contains(&site.url("/").as_str()) && pages.contains(&site.url("/")), "{seen:?} {pages:?}");
    let opened = site.url("/second?from=cdp");
    let created = cdp_call(&mut ws, 2, "Target.createTarget", json!({"url": opened})).await;
    assert!(created["result"]["targetId"].is_string(), "{created}");
    // The tab /cdp opened is a real tab of the browser, loading the page.
    oracle.page(&opened).await.eventually("document.title", json!("Second Page")).await;
    drop(ws);

    // relay.restart: refused while another instance holds the binding; with it, a new
    // relay the extension pairs with by itself, which then drives the user's Chrome.
    let before = hub.relay_status().await;
    let other = json!({"clientId": CLIENT_ID, "instanceId": "other"});
    let bound = hub.rpc("relay.bind", other.clone()).await["data"].clone();
    let busy = fails(hub, &Value::Null, "relay.restart", json!({}), "relay_busy").await;
    assert_eq!(busy["owner"]["instanceId"], "other", "names who holds the relay: {busy}");
    assert_eq!(hub.relay_status().await["instanceId"], before["instanceId"], "the refused restart did nothing");
    let mut theirs = other.clone();
    theirs["bindingId"] = bound["bindingId"].clone();
    let restarted = hub.rpc("relay.restart", theirs.clone()).await;
    assert_eq!(restarted["ok"], true, "{restarted}");
    let fresh = restarted["data"]["relayInstanceId"].clone();
    assert_ne!(fresh, before["instanceId"], "a new relay instance");
    assert_eq!(restarted["data"]["port"], hub.relay_port, "on the same port");
    let paired = system_tests::wait_for("the extension to pair with the new relay", || async {
        let s = hub.relay_status().await;
        (s["instanceId"] == fresh && s["extensionHandshakeComplete"] == true).then_some(s)
    })
    .await;
    assert!(paired["epoch"].as_i64() >= before["epoch"].as_i64(), "{paired}");
    assert_eq!(hub.rpc("relay.release", theirs).await["ok"], true);

    let bound = ok(hub, &Value::Null, "relay.bind", json!({})).await;
    let launched = ok(hub, &bound["bindingId"], "session.launch", json!({"mode": "extension"})).await;
    let driver = Driver { hub, binding: bound["bindingId"].clone(), session: launched["sessionId"].clone() };
    let after = site.url("/second?after=restart");
    driver.ok("nav.goto", json!({"url": after})).await;
    let title = oracle.page(&after).await.eval("document.title").await;
    assert_eq!(title, "Second Page", "the re-paired extension drives the user's Chrome");
    let released = cmd(hub, &driver.binding, "session.disconnect", json!({"sessionId": driver.session})).await;
    assert_eq!(released["data"]["bindingReleased"], true, "{released}");
}

/// `opendevbrowser mcp` over stdio, spoken to line by line (JSON-RPC), as an MCP client.
struct Mcp {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    next_id: u64,
}

impl Mcp {
    /// Starts the server against the hub whose files are in `dirs`, and initialises it.
    async fn start(dirs: &std::path::Path) -> Mcp {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(cli_binary())
            .args(["mcp", "--no-autostart"])
            .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
            .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut mcp = Mcp { child, stdin, lines, next_id: 1 };
        let hello = json!({"protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "fallback-test", "version": "1.0"}});
        let init = mcp.request("initialize", hello).await;
        assert!(init["result"]["serverInfo"]["name"].is_string(), "{init}");
        mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        mcp
    }

    async fn send(&mut self, message: Value) {
        use tokio::io::AsyncWriteExt;
        self.stdin.write_all(format!("{message}\n").as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// One request; its response (notifications in between are skipped).
    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let line = tokio::time::timeout(system_tests::WAIT, self.lines.next_line()).await;
            let line = line.expect("the MCP server answers in time").unwrap().expect("the MCP server is running");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    /// Ends the agent as a client does: closes the server's stdin and waits for it to exit.
    async fn close(self) {
        let Mcp { mut child, stdin, .. } = self;
        drop(stdin);
        let exited = tokio::time::timeout(system_tests::WAIT, child.wait()).await;
        assert!(exited.expect("the MCP server exits when its stdin closes").unwrap().success());
    }

    /// Calls tool `name`; it must succeed; its text parsed as JSON (or as a string).
    async fn tool(&mut self, name: &str, arguments: Value) -> Value {
        let answer = self.request("tools/call", json!({"name": name, "arguments": arguments})).await;
        assert_ne!(answer["result"]["isError"], true, "{name}: {answer}");
        let text = answer["result"]["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// The refs of `/login`'s fields and button, from a snapshot's text.
fn login_refs(page: &str) -> (String, String, String) {
    (ref_of(page, "textbox \"User\""), ref_of(page, "textbox \"Password\""), ref_of(page, "button \"Sign in\""))
}

#[tokio::test]
async fn an_mcp_agent_with_no_extension_paired_works_in_a_managed_chromium() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let hub = HubProcess::start(dirs.path(), 0).await;
    assert_eq!(hub.relay_status().await["extensionHandshakeComplete"], false, "no extension here");

    let mut agent = Mcp::start(dirs.path()).await;
    agent.tool("browser_navigate", json!({"url": site.url("/login")})).await;
    let status = agent.tool("browser_session_status", json!({})).await;
    assert_eq!(status["mode"], "managed", "{status}");
    assert_eq!(Oracle::managed_browsers(&hub), 1, "the hub launched a Chromium for the agent");
    let mut oracle = Oracle::of_managed(&hub).await;
    let title = oracle.page(&site.url("/login")).await.eval("document.title").await;
    assert_eq!(title, "Sign in", "the agent's page is in that Chromium");

    let snapshot = agent.tool("browser_snapshot", json!({})).await;
    let (user, password, sign_in) = login_refs(snapshot.as_str().unwrap_or_else(|| panic!("{snapshot}")));
    let fields = json!([{"ref": user, "value": "grace"}, {"ref": password, "value": "secret"}]);
    agent.tool("browser_fill_form", json!({"fields": fields})).await;
    agent.tool("browser_click", json!({"ref": sign_in})).await;
    let mut welcome = oracle.page_starting(&site.url("/welcome?user=grace&")).await;
    welcome.eventually("document.querySelector('h1')?.textContent", json!("Welcome, grace")).await;

    drop(welcome);
    agent.close().await;
    system_tests::wait_for("the agent's Chromium to close when it exits", || async {
        (Oracle::managed_browsers(&hub) == 0).then_some(())
    })
    .await;
}

/// Runs `opendevbrowser --json <args>` against the hub whose files are in `dirs`; its data
/// (the command must succeed).
async fn cli(dirs: &std::path::Path, args: &[&str]) -> Value {
    let output = tokio::process::Command::new(cli_binary())
        .arg("--json")
        .args(args)
        .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
        .env("OPENDEVBROWSER_INSTANCE_ID", "cli-managed")
        .output()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!("{args:?}: {}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    });
    assert_eq!(answer["ok"], true, "{args:?}: {answer}");
    answer["data"].clone()
}

#[tokio::test]
async fn a_cli_session_in_managed_mode_signs_in_and_its_chromium_closes_with_it() {
    let _serial = SERIAL.lock().await;
    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let hub = HubProcess::start(dirs.path(), 0).await;
    let d = dirs.path();

    assert_eq!(cli(d, &["launch", "--mode", "managed"]).await["mode"], "managed");
    let mut oracle = Oracle::of_managed(&hub).await;
    cli(d, &["goto", "--url", &site.url("/login")]).await;
    assert_eq!(oracle.page(&site.url("/login")).await.eval("document.title").await, "Sign in");
    let page = cli(d, &["snapshot"]).await;
    let (user, password, sign_in) = login_refs(page["content"].as_str().unwrap());
    let fields =
        [json!({"ref": user, "value": "ada"}).to_string(), json!({"ref": password, "value": "nope"}).to_string()];
    cli(d, &["fill", "--fields", &fields[0], &fields[1]]).await;
    cli(d, &["click", "--ref", &sign_in]).await;
    let mut refused = oracle.page_starting(&site.url("/welcome?user=ada&")).await;
    refused.eventually("document.querySelector('h1')?.textContent", json!("Wrong password")).await;
    drop(refused);

    cli(d, &["back"]).await;
    let page = cli(d, &["snapshot"]).await;
    let (user, password, sign_in) = login_refs(page["content"].as_str().unwrap());
    let fields =
        [json!({"ref": user, "value": "ada"}).to_string(), json!({"ref": password, "value": "secret"}).to_string()];
    cli(d, &["fill", "--fields", &fields[0], &fields[1]]).await;
    cli(d, &["click", "--ref", &sign_in]).await;
    let mut welcome = oracle.page_starting(&site.url("/welcome?user=ada&password=secret")).await;
    welcome.eventually("document.querySelector('h1')?.textContent", json!("Welcome, ada")).await;
    drop(welcome);

    cli(d, &["disconnect"]).await;
    system_tests::wait_for("the session's Chromium to close", || async {
        (Oracle::managed_browsers(&hub) == 0).then_some(())
    })
    .await;
}
