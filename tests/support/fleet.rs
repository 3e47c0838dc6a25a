//! Remote browsers on loopback, run by software we did not write, for tests/remote_e2e.rs
//! and the bench: the Browserless fleet server (npm, in tests/fleet) on the system Chromium,
//! a TLS-terminating proxy (Python's `ssl`, tests/fleet/tls_proxy.py) that makes any ws://
//! endpoint a wss:// one with a certificate of a test CA, and ChromeDriver as a WebDriver
//! server (what a Selenium Grid node runs).

use crate::{free_port, workspace};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process in a process group of its own, ended with everything it started
/// (Browserless' and ChromeDriver's browsers) when dropped: SIGTERM to the group, so the
/// server can close its browsers, then SIGKILL to what is left after 2 s.
struct Reaped(Child);

impl Reaped {
    /// Spawns `command` as the leader of a new process group.
    fn spawn(command: &mut Command, what: &str) -> Reaped {
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(command, 0);
        Reaped(command.spawn().unwrap_or_else(|e| panic!("{what}: {e} (scripts/setup.sh installs it)")))
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            let group = -(self.0.id() as i32);
            // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
            unsafe { libc::kill(group, libc::SIGTERM) };
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(2) && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            // SAFETY: as above; whatever of the group outlived the grace period.
            unsafe { libc::kill(group, libc::SIGKILL) };
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A symbolic link `to` → `from`.
#[cfg(unix)]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

/// A symbolic link `to` → `from`.
#[cfg(windows)]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    match from.is_dir() {
        true => std::os::windows::fs::symlink_dir(from, to),
        false => std::os::windows::fs::symlink_file(from, to),
    }
}

/// Waits up to 30 s until something accepts connections on `port`.
fn wait_for_port(port: u16, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what} never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The Browserless server, with `token`.
pub struct Browserless {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The token it asks for.
    pub token: String,
    _process: Reaped,
    _dir: tempfile::TempDir,
}

impl Browserless {
    /// Starts it on a free port. It has no setting for the browser binary: it runs the
    /// Chromium Playwright would, so a Playwright browsers folder is made whose Chromium is
    /// the system's; and only its Chromium and management routes are loaded (the others
    /// refuse to start without Google Chrome).
    pub fn start(token: &str) -> Browserless {
        let root = workspace().join("tests/fleet");
        let package = root.join("node_modules/@browserless.io/browserless");
        assert!(package.exists(), "{} is missing: run scripts/setup.sh", package.display());
        let dir = tempfile::tempdir().unwrap();
        let browsers = dir.path().join("pw");
        let chrome = Command::new("node")
            .current_dir(&root)
            .env("PLAYWRIGHT_BROWSERS_PATH", &browsers)
            .args(["-e", "console.log(require('playwright-core').chromium.executablePath())"])
            .output()
            .unwrap();
        let chrome = PathBuf::from(String::from_utf8_lossy(&chrome.stdout).trim());
        std::fs::create_dir_all(chrome.parent().unwrap()).unwrap();
        link(&crate::browser::chromium(), &chrome).unwrap();
        let routes = dir.path().join("routes");
        std::fs::create_dir_all(&routes).unwrap();
        for kind in ["chromium", "management"] {
            link(&package.join("build/routes").join(kind), &routes.join(kind)).unwrap();
        }
        for made in ["data", "downloads"] {
            std::fs::create_dir_all(dir.path().join(made)).unwrap(); // it does not make them
        }
        let port = free_port();
        let mut command = Command::new("node");
        let process = command
            .current_dir(&root) // it reads node_modules/playwright-core from here
            .arg(package.join("build/index.js"))
            .envs([
                ("HOST", "127.0.0.1"),
                ("TOKEN", token),
                ("CONCURRENT", "4"),
                ("QUEUED", "4"),
                ("TIMEOUT", "300000"),
            ])
            .env("PORT", port.to_string())
            .env("ROUTES", &routes)
            .env("PLAYWRIGHT_BROWSERS_PATH", &browsers)
            .env("DATA_DIR", dir.path().join("data"))
            .env("DOWNLOAD_DIR", dir.path().join("downloads"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let process = Reaped::spawn(process, "node");
        wait_for_port(port, "Browserless");
        Browserless { port, token: token.to_owned(), _process: process, _dir: dir }
    }

    /// `ws://127.0.0.1:<port>` (a new browser for every connection).
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }
}

/// A test CA's certificate for 127.0.0.1, as PEM files.
pub struct Certificate {
    /// The certificate (self-signed: it is its own CA; pass it as the CA file).
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
}

impl Certificate {
    /// Makes one in `dir` with openssl.
    pub fn make(dir: &Path) -> Certificate {
        let (cert, key) = (dir.join("fleet-ca.pem"), dir.join("fleet-key.pem"));
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=opendevbrowser test fleet",
            ])
            .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(made.status.success(), "openssl: {}", String::from_utf8_lossy(&made.stderr));
        Certificate { cert, key }
    }
}

/// tls_proxy.py: `wss://127.0.0.1:<port>` in front of `ws://127.0.0.1:<target>`.
pub struct TlsProxy {
    /// Its port.
    pub port: u16,
    target: u16,
    cert: PathBuf,
    key: PathBuf,
    process: Option<Reaped>,
}

impl TlsProxy {
    /// Starts one on a free port.
    pub fn start(target: u16, certificate: &Certificate) -> TlsProxy {
        let mut proxy = TlsProxy {
            port: free_port(),
            target,
            cert: certificate.cert.clone(),
            key: certificate.key.clone(),
            process: None,
        };
        proxy.restart();
        proxy
    }

    /// Kills it: every connection through it drops at once.
    pub fn kill(&mut self) {
        self.process = None;
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        let mut command = Command::new("python3");
        command
            .arg(workspace().join("tests/fleet/tls_proxy.py"))
            .args(["--listen", &self.port.to_string(), "--target", &self.target.to_string()])
            .arg("--cert")
            .arg(&self.cert)
            .arg("--key")
            .arg(&self.key)
            .stdout(Stdio::null());
        self.process = Some(Reaped::spawn(&mut command, "python3"));
        wait_for_port(self.port, "the TLS proxy");
    }

    /// `wss://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("wss://127.0.0.1:{}{path}", self.port)
    }
}

/// ChromeDriver: a WebDriver server that starts the system Chromium for each session.
pub struct ChromeDriver {
    /// Its port.
    pub port: u16,
    _process: Reaped,
}

impl ChromeDriver {
    /// Starts it on a free port.
    pub fn start() -> ChromeDriver {
        let port = free_port();
        let mut command = Command::new("chromedriver");
        command.arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null());
        let process = Reaped::spawn(&mut command, "chromedriver");
        wait_for_port(port, "chromedriver");
        ChromeDriver { port, _process: process }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Capabilities for a headless system Chromium.
    pub fn capabilities() -> serde_json::Value {
        serde_json::json!({"browserName": "chrome", "goog:chromeOptions": {
            "binary": crate::browser::chromium().display().to_string(), "args": ["--headless=new", "--no-sandbox", "--disable-gpu"]}})
    }
}
