//! Managed mode: the hub launches its own Chromium (headless or headed) with a private
//! profile and DevTools on a free loopback port, and kills it when the session ends.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A Chromium the hub started.
pub struct ManagedChromium {
    child: Child,
    /// Its private profile (deleted on drop).
    profile: tempfile_dir::TempDir,
    /// Its DevTools port.
    pub port: u16,
}

impl Drop for ManagedChromium {
    fn drop(&mut self) {
        // SIGTERM lets Chromium end its child processes too.
        terminate(self.child.id());
        let _ = self.child.wait();
        let _ = &self.profile;
    }
}

fn terminate(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

/// Finds Chromium: `$CHROMIUM`, then Debian's and common paths.
pub fn chromium_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(p.into());
    }
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

impl ManagedChromium {
    /// Launches Chromium and waits for its DevTools port.
    pub async fn launch(headless: bool, start_url: &str) -> Result<ManagedChromium, String> {
        let binary = chromium_path().ok_or("Chromium not found: install it (scripts/setup.sh) or set CHROMIUM")?;
        let profile = tempfile_dir::TempDir::new().map_err(|e| format!("cannot create a profile dir: {e}"))?;
        let mut cmd = Command::new(&binary);
        if headless {
            cmd.arg("--headless=new");
        }
        if is_root() {
            cmd.arg("--no-sandbox");
        }
        cmd.args(["--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-background-networking"])
            .args([
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
            ])
            .arg("--window-size=1280,800")
            .arg(format!("--user-data-dir={}", profile.path.display()))
            .arg(start_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_the_hub(&mut cmd);
        let child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let active = profile.path.join("DevToolsActivePort");
        for _ in 0..200 {
            if let Some(port) =
                std::fs::read_to_string(&active).ok().and_then(|t| t.lines().next()?.trim().parse().ok())
            {
                return Ok(ManagedChromium { child, profile, port });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        terminate(child.id());
        Err(format!("{} did not open its DevTools port within 10 s", binary.display()))
    }
}

/// Asks the kernel to SIGTERM the browser if the hub dies (even by SIGKILL), so a crashed
/// hub never leaves a managed Chromium behind.
fn die_with_the_hub(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only calls prctl(2),
    // which is async-signal-safe; it touches no memory shared with the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// A temporary directory removed on drop (no extra dependency).
mod tempfile_dir {
    use std::path::PathBuf;

    pub struct TempDir {
        pub path: PathBuf,
    }

    impl TempDir {
        pub fn new() -> std::io::Result<TempDir> {
            let path = std::env::temp_dir()
                .join(format!("opendevbrowser-profile-{}", opendevbrowser_api::clock::random_hex(8)));
            std::fs::create_dir_all(&path)?;
            Ok(TempDir { path })
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
