//! Harness for whole-system tests: the hub as a real process, a test site on 127.0.0.1,
//! headless Chromium with the unpacked extension, and a CDP client to that browser for
//! reading the extension's own state.

pub mod account_site;
pub mod bench_pages;
pub mod browser;
pub mod fleet;
pub mod hub_process;
pub mod input_pages;
pub mod oracle;
pub mod pages;
pub mod recorder;
pub mod rpc;
pub mod site;
pub mod truth_pages;

use std::path::PathBuf;
use std::time::Duration;

/// How long any single wait in these tests may take (2-core CI is slow).
pub const WAIT: Duration = Duration::from_secs(45);

/// The extension's fixed id (from the manifest `key`).
pub const EXTENSION_ID: &str = pairing::EXTENSION_ID;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

/// The Python of the virtualenv `scripts/setup.sh` makes (the MCP SDK's client scripts).
pub fn python() -> PathBuf {
    let path = workspace().join(".venv-test/bin/python");
    assert!(path.exists(), "{} is missing: run scripts/setup.sh", path.display());
    path
}

/// The CLI binary (`opendevbrowser`, also the MCP server) the tests start.
pub fn cli_binary() -> String {
    let binary = workspace().join("target/debug/opendevbrowser");
    assert!(binary.exists(), "{} is missing: run `cargo build -p cli` (scripts/test.sh does)", binary.display());
    binary.display().to_string()
}

/// Polls `probe` every 200 ms until it returns `Some`, or panics with `what` after [`WAIT`].
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = tokio::time::Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        if started.elapsed() > WAIT {
            panic!("timed out after {WAIT:?} waiting for {what}");
        }
        // Look often at first (what is timed, e.g. by the benchmarks, is not rounded up to
        // the polling step), then every 200 ms.
        let step = if started.elapsed() < Duration::from_secs(2) { 10 } else { 200 };
        tokio::time::sleep(Duration::from_millis(step)).await;
    }
}

/// Runs `node tests/cdp_clients/<script> <args…>` (third-party clients scripts/setup.sh
/// installs there): its stdout when it succeeds, else its stdout and stderr together.
pub async fn node_client<S: AsRef<std::ffi::OsStr>>(
    script: &str,
    args: impl IntoIterator<Item = S>,
) -> Result<String, String> {
    let dir = workspace().join("tests/cdp_clients");
    assert!(dir.join("node_modules").exists(), "{}/node_modules is missing: run scripts/setup.sh", dir.display());
    let output = tokio::process::Command::new("node").arg(dir.join(script)).args(args).output().await.unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    match output.status.success() {
        true => Ok(stdout.into_owned()),
        false => Err(format!("{script} failed:\n{stdout}\n{stderr}")),
    }
}

/// Whether browsers are started headed (`E2E_HEADED=1`, under a display such as
/// `xvfb-run`): the test command runs the background-tab tests so too.
pub fn headed() -> bool {
    std::env::var_os("E2E_HEADED").is_some_and(|v| v != "0")
}

/// A port the OS says is free on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

/// Where this test process's hubs serve `/config` and where its browsers' extension asks
/// first (written into the extension's `defaults.json`): one free port for the whole
/// process, never the default 8787 a hub of the user's may hold.
pub fn discovery_port() -> u16 {
    static PORT: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    *PORT.get_or_init(free_port)
}

/// One test at a time: they share the process's discovery port.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The setup of a test without the extension (managed and connected modes): one test at
/// a time, private dirs, the test site and a hub (its relay on any free port).
pub struct HubWorld {
    /// The test site.
    pub site: site::Site,
    /// The hub process.
    pub hub: hub_process::HubProcess,
    /// The hub's config and cache dirs.
    pub dirs: tempfile::TempDir,
    // Last: the next test starts once this one's hub is gone.
    _serial: tokio::sync::MutexGuard<'static, ()>,
}

impl HubWorld {
    /// Takes the test's turn and starts the site and the hub.
    pub async fn without_extension() -> HubWorld {
        let serial = SERIAL.lock().await;
        let dirs = tempfile::tempdir().unwrap();
        let site = site::Site::start().await;
        let hub = hub_process::HubProcess::start(dirs.path(), 0).await;
        HubWorld { site, hub, dirs, _serial: serial }
    }
}

/// The usual end-to-end setup: one test at a time, private dirs, the test site, a hub, and
/// Chromium with the extension paired to it.
pub struct World {
    _serial: tokio::sync::MutexGuard<'static, ()>,
    /// The hub's config and cache dirs.
    pub dirs: tempfile::TempDir,
    /// The test site.
    pub site: site::Site,
    /// The hub process.
    pub hub: hub_process::HubProcess,
    /// Chromium with the unpacked extension, opened on the site's home page.
    pub browser: browser::Browser,
    /// The relay's `/status` once the extension had paired.
    pub paired: serde_json::Value,
}

impl World {
    /// Sets everything up with the relay on the discovery port (as a hub on the defaults
    /// runs) and waits for the extension's handshake.
    pub async fn start() -> World {
        World::start_on(discovery_port()).await
    }

    /// [`start`](Self::start) with the relay on `relay_port` (discovery stays where it is).
    pub async fn start_on(relay_port: u16) -> World {
        let serial = SERIAL.lock().await;
        let dirs = tempfile::tempdir().unwrap();
        let site = site::Site::start().await;
        let hub = hub_process::HubProcess::start(dirs.path(), relay_port).await;
        let browser = browser::Browser::launch(&site.url("/")).await;
        let paired = hub.wait_for_extension().await;
        World { _serial: serial, dirs, site, hub, browser, paired }
    }
}
