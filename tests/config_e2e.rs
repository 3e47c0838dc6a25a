//! The config file sets up a managed browser: proxy, invalid certificates accepted, blocked
//! origins (navigations and subresources), locale, time zone, user agent, viewport and init
//! scripts, all from `opendevbrowser --config FILE launch`; `config show` says where each
//! setting came from, and an unknown key is an error naming it. What the browser did is
//! read from the servers it reached (each records what arrived), never from the hub.

use serde_json::{json, Value};
use system_tests::fleet::Certificate;
use system_tests::recorder::Recorder;
use system_tests::rpc::{fails, ok, Driver};
use system_tests::{cli_binary, free_port, HubWorld};

/// An HTTPS server with a self-signed certificate (the fleet tests' one, made with openssl;
/// Python's http.server),
/// logging each request to `log`.
struct SelfSigned {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for SelfSigned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SelfSigned {
    fn start(dir: &std::path::Path) -> SelfSigned {
        let Certificate { cert, key } = Certificate::make(dir);
        std::fs::write(dir.join("index.html"), "<title>Dev server</title><p>self-signed</p>").unwrap();
        let port = free_port();
        let log = dir.join("https.log");
        let script = format!(
            "import http.server, ssl\n\
             s = http.server.HTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler)\n\
             c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain({cert:?}, {key:?})\n\
             s.socket = c.wrap_socket(s.socket, server_side=True)\n\
             s.serve_forever()\n",
            cert = cert.display().to_string(),
            key = key.display().to_string()
        );
        let child = std::process::Command::new("python3")
            .args(["-u", "-c", &script])
            .current_dir(dir)
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        SelfSigned { child, port, log }
    }

    fn gets(&self) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().matches("\"GET / ").count()
    }
}

/// Runs the CLI against the world's hub with `config` as its config file.
async fn odb(world: &HubWorld, config: &std::path::Path, args: &[&str]) -> (bool, Value, String) {
    let out = tokio::process::Command::new(cli_binary())
        .arg("--json")
        .arg("--config")
        .arg(config)
        .args(args)
        .env("OPENDEVBROWSER_CACHE_DIR", world.dirs.path().join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", world.dirs.path().join("config"))
        .env("OPENDEVBROWSER_INSTANCE_ID", "config-e2e")
        .env("OPENDEVBROWSER_LOCALE", "de-DE")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let value = serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(Value::Null);
    (out.status.success(), value, format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

/// The page that reports what it sees to its own server, then fetches from `blocked`.
const PROBE: &str = r#"<title>Probe</title><script>
const seen = new URLSearchParams({lang: navigator.language, zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  agent: navigator.userAgent, init: String(window.fromInit), width: String(innerWidth)});
fetch('/report?' + seen).then(() => fetch(new URLSearchParams(location.search).get('blocked') + '/data'))
  .then(() => fetch('/report?fetch=ok'), () => fetch('/report?fetch=failed'));
</script>"#;

#[tokio::test]
async fn the_config_file_sets_up_a_managed_browser() {
    let world = HubWorld::without_extension().await;
    let dir = world.dirs.path();
    let site_server = Recorder::start(|_| PROBE.to_owned()).await;
    let blocked_server = Recorder::start(|_| "<title>Blocked</title>".to_owned()).await;
    let proxy_server = Recorder::start(|_| "<title>Via proxy</title>".to_owned()).await;
    let (site, blocked, proxy) = (site_server.port, blocked_server.port, proxy_server.port);
    let https = SelfSigned::start(&tempfile::tempdir().unwrap().keep());
    std::fs::write(dir.join("init.js"), "window.fromInit = 'yes';").unwrap();
    let config = dir.join("odb.toml");
    std::fs::write(
        &config,
        format!(
            "mode = \"managed\"\nproxy = \"http://127.0.0.1:{proxy}\"\nignore_https_errors = true\n\
             blocked_origins = [\"http://127.0.0.1:{blocked}\"]\nlocale = \"fr-FR\"\ntimezone = \"Asia/Tokyo\"\n\
             user_agent = \"odb-config-agent\"\nviewport = {{ width = 640, height = 480 }}\n\
             init_scripts = [{:?}]\n",
            dir.join("init.js").display().to_string()
        ),
    )
    .unwrap();

    // `config show`: every key, its value and where it came from (the environment wins).
    let (shown, show, out) = odb(&world, &config, &["config", "show"]).await;
    assert!(shown, "{out}");
    let setting =
        |key: &str| show["data"]["settings"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap().clone();
    assert_eq!(setting("timezone")["value"], "\"Asia/Tokyo\"", "{show}");
    assert!(setting("timezone")["source"].as_str().unwrap().starts_with("file "), "{show}");
    assert_eq!(setting("locale")["value"], "\"de-DE\"", "{show}");
    assert_eq!(setting("locale")["source"], "env OPENDEVBROWSER_LOCALE", "{show}");
    assert_eq!(setting("downloads_dir")["source"], "default", "{show}");

    let (launched, session, out) = odb(&world, &config, &["launch"]).await;
    assert!(launched && session["data"]["mode"] == "managed", "the config's mode: {out}");
    let (world, config) = (&world, &config);
    let goto = |url: String| async move { odb(world, config, &["goto", "--url", &url]).await };

    // Locale (the environment's), time zone, user agent, init script, viewport.
    let (went, _, out) = goto(format!("http://127.0.0.1:{site}/probe?blocked=http://127.0.0.1:{blocked}")).await;
    assert!(went, "{out}");
    let report = site_server.wait_for("/report?lang=").await;
    let report = report.lines().next().unwrap_or_default();
    for part in ["lang=de-DE", "zone=Asia%2FTokyo", "agent=odb-config-agent", "init=yes", "width=640"] {
        assert!(report.contains(part), "{part} in {report}");
    }
    // The blocked origin: the page's request to it fails and never arrives; a navigation
    // to it is refused naming the rule.
    site_server.wait_for("/report?fetch=failed").await;
    let (went, refused, _) = goto(format!("http://127.0.0.1:{blocked}/")).await;
    assert!(!went, "{refused}");
    assert_eq!(refused["error"]["code"], "origin_blocked", "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("blocked_origins"), "{refused}");
    assert!(blocked_server.heads().is_empty(), "the blocked server got {:?}", blocked_server.heads());

    // The proxy: a non-loopback host goes through it.
    let (went, _, out) = goto("http://proxied.test/hello".to_owned()).await;
    assert!(went, "{out}");
    let proxied = proxy_server.wait_for("proxied.test").await;
    assert_eq!(proxied.lines().next(), Some("GET http://proxied.test/hello HTTP/1.1"));

    // The self-signed dev server loads with ignore_https_errors ...
    let (went, _, out) = goto(format!("https://127.0.0.1:{}/", https.port)).await;
    assert!(went && https.gets() == 1, "{out}\n{}", std::fs::read_to_string(&https.log).unwrap_or_default());
    // ... and not in a session without it (its certificate is refused before any request).
    let plain = Driver::in_managed_chromium(&world.hub, "about:blank").await;
    let url = format!("https://127.0.0.1:{}/", https.port);
    let e = plain.fails("nav.goto", json!({"url": url}), "navigation_failed").await;
    assert!(e["message"].as_str().unwrap().contains("CERT"), "{e}");
    assert_eq!(https.gets(), 1, "no request arrived from the session without the setting");
    plain.ok("session.disconnect", json!({})).await;
}

#[tokio::test]
async fn an_unknown_key_or_a_bad_value_is_an_error_naming_it() {
    let world = HubWorld::without_extension().await;
    let config = world.dirs.path().join("bad.toml");
    std::fs::write(&config, "proxy = \"http://127.0.0.1:1\"\nviewport = { width = 1, depth = 2 }\n").unwrap();
    let (ran, _, out) = odb(&world, &config, &["config", "show"]).await;
    assert!(!ran && out.contains("unknown key `viewport.depth`"), "{out}");
    let (ran, _, out) = odb(&world, &config, &["launch"]).await;
    assert!(!ran && out.contains("viewport.depth"), "launch refuses too: {out}");
    std::fs::write(&config, "device = \"Nokia 3310\"\n").unwrap();
    let (ran, refused, _) = odb(&world, &config, &["launch", "--mode", "managed"]).await;
    assert!(!ran, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_param", "{refused}");
    fails(
        &world.hub,
        &Value::Null,
        "session.launch",
        json!({"mode": "managed", "browser": {"colour": 1}}),
        "invalid_param",
    )
    .await;
    ok(&world.hub, &Value::Null, "hub.status", json!({})).await;
}
