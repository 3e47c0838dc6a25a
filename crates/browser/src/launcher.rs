//! Managed mode: the hub launches its own Chromium (headless or headed) with a private
//! profile and DevTools on a free loopback port, and ends it when the session ends. The
//! profile is a throwaway one (deleted then) or a named one the hub keeps (logins stay).
//! Which binary is [`crate::chrome_paths`]'s choice.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A Chromium the hub started.
pub struct ManagedChromium {
    child: Child,
    /// Its private profile.
    profile: Profile,
    /// Its DevTools port.
    pub port: u16,
    /// Its browser-level DevTools socket path (`/devtools/browser/<id>`).
    browser_path: String,
}

/// Where a managed Chromium keeps its profile.
enum Profile {
    /// Deleted when the browser ends.
    Throwaway(tempfile_dir::TempDir),
    /// A named profile the hub keeps (`launch --profile`).
    Kept(PathBuf),
}

impl Profile {
    fn path(&self) -> &Path {
        match self {
            Profile::Throwaway(dir) => &dir.path,
            Profile::Kept(path) => path,
        }
    }
}

impl Drop for ManagedChromium {
    fn drop(&mut self) {
        // On SIGTERM Chromium exits without writing the cookies it holds in memory (they
        // are saved every 30 s or at an orderly close): a kept profile is closed with
        // `Browser.close`, which saves them, and SIGTERM ends it only if that fails.
        if matches!(self.profile, Profile::Kept(_)) && self.close_over_devtools() {
            return;
        }
        terminate(&mut self.child);
        let _ = self.child.wait();
    }
}

/// Ends the browser: SIGTERM on Unix, which lets Chromium end its child processes too;
/// TerminateProcess on Windows.
fn terminate(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) on a pid this process started and has not yet reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        return;
    }
    let _ = child.kill();
}

impl ManagedChromium {
    /// Launches Chromium and waits for its DevTools port.
    /// `chrome_path` overrides where the browser is looked for; `kept_profile` is the
    /// folder of a named profile to use (created 0700 if new), else a throwaway one;
    /// `extra_flags` come after the hub's own (the config file's settings).
    pub async fn launch(
        headless: bool,
        start_url: &str,
        chrome_path: Option<&Path>,
        kept_profile: Option<&Path>,
        extra_flags: &[String],
    ) -> Result<ManagedChromium, String> {
        let binary = crate::chrome_paths::find_browser(chrome_path)?;
        let profile = match kept_profile {
            Some(dir) => {
                opendevbrowser_api::files::create_private_dir(dir)
                    .map_err(|e| format!("cannot create the profile dir {}: {e}", dir.display()))?;
                // The port file of the browser that used this profile last is not ours.
                let _ = std::fs::remove_file(dir.join("DevToolsActivePort"));
                Profile::Kept(dir.to_owned())
            }
            None => Profile::Throwaway(
                tempfile_dir::TempDir::new().map_err(|e| format!("cannot create a profile dir: {e}"))?,
            ),
        };
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
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra_flags)
            .arg(start_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_the_hub(&mut cmd);
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let active = profile.path().join("DevToolsActivePort");
        for _ in 0..200 {
            if let Some((port, browser_path)) = std::fs::read_to_string(&active).ok().and_then(|t| {
                let mut lines = t.lines();
                Some((lines.next()?.trim().parse().ok()?, lines.next()?.trim().to_owned()))
            }) {
                return Ok(ManagedChromium { child, profile, port, browser_path });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        terminate(&mut child);
        let _ = child.wait();
        Err(format!("{} did not open its DevTools port within 10 s", binary.display()))
    }

    /// Sends `Browser.close` and waits up to 10 s for the browser to exit; true if it did.
    fn close_over_devtools(&mut self) -> bool {
        use tokio_tungstenite::tungstenite::{connect, Message};
        let url = format!("ws://127.0.0.1:{}{}", self.port, self.browser_path);
        let Ok((mut socket, _)) = connect(url.as_str()) else { return false };
        let close = r#"{"id":1,"method":"Browser.close"}"#;
        if socket.send(Message::text(close)).is_err() {
            return false;
        }
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The named profile's folder this browser runs on, if it runs on one.
    pub fn kept_profile(&self) -> Option<&Path> {
        match &self.profile {
            Profile::Kept(path) => Some(path),
            Profile::Throwaway(_) => None,
        }
    }
}

/// Asks the kernel to SIGTERM the browser if the hub dies (even by SIGKILL), so a crashed
/// hub never leaves a managed Chromium behind. Linux only (`prctl`); elsewhere the browser
/// is ended when its session ends or the hub exits, not when the hub is killed outright.
#[cfg(target_os = "linux")]
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

#[cfg(not(target_os = "linux"))]
fn die_with_the_hub(_cmd: &mut Command) {}

/// Chromium refuses to run as root with its sandbox on.
fn is_root() -> bool {
    #[cfg(unix)]
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    return unsafe { libc::geteuid() } == 0;
    #[cfg(not(unix))]
    false
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
            // A browser profile holds cookies: only this user may read it.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
            }
            Ok(TempDir { path })
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
