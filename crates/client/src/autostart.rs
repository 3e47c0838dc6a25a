//! Starting a hub when none runs, without ever racing another process into a second one:
//! an exclusive lock on `<cache>/hub.lock` serialises starters, the holder re-checks for a
//! hub before spawning, and the hub itself exits quietly when the relay port already
//! belongs to a healthy hub.

use crate::discovery::{discover, HubEndpoint, NotFound};
use crate::error::ClientError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How a hub is started when none runs.
#[derive(Debug, Clone)]
pub struct AutostartOptions {
    /// The hub binary (`opendevbrowser-hub`, or this CLI, which has `serve`).
    pub binary: Option<PathBuf>,
    /// Arguments after `serve` (`--relay-port`, …).
    pub serve_args: Vec<String>,
    /// How long to wait for the new hub.
    pub timeout: Duration,
    /// The hub's config dir (`OPENDEVBROWSER_CONFIG_DIR` of the new hub); `None` inherits
    /// this process's.
    pub config_dir: Option<PathBuf>,
}

impl Default for AutostartOptions {
    /// Reads `OPENDEVBROWSER_HUB_BIN`, `OPENDEVBROWSER_RELAY_PORT`,
    /// `OPENDEVBROWSER_DAEMON_PORT`, `OPENDEVBROWSER_DISCOVERY_PORT` and
    /// `OPENDEVBROWSER_NO_DISCOVERY` from the environment.
    fn default() -> Self {
        let mut serve_args = Vec::new();
        if let Ok(p) = std::env::var("OPENDEVBROWSER_RELAY_PORT") {
            serve_args.extend(["--relay-port".to_owned(), p]);
        }
        if let Ok(p) = std::env::var("OPENDEVBROWSER_DAEMON_PORT") {
            serve_args.extend(["--daemon-port".to_owned(), p]);
        }
        if let Ok(p) = std::env::var("OPENDEVBROWSER_DISCOVERY_PORT") {
            serve_args.extend(["--discovery-port".to_owned(), p]);
        }
        if std::env::var_os("OPENDEVBROWSER_NO_DISCOVERY").is_some() {
            serve_args.push("--no-discovery".to_owned());
        }
        AutostartOptions {
            binary: std::env::var_os("OPENDEVBROWSER_HUB_BIN").map(PathBuf::from),
            serve_args,
            timeout: Duration::from_secs(20),
            config_dir: None,
        }
    }
}

/// Whether the hub was found or started by this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubSource {
    /// A hub was already running.
    Discovered,
    /// This process started it.
    Started,
}

/// Finds the hub, starting one if needed. `progress` receives human-readable lines.
pub async fn ensure_hub(
    cache_dir: &Path,
    opts: &AutostartOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(HubEndpoint, HubSource), ClientError> {
    if let Some(found) = running_hub(cache_dir).await? {
        return Ok((found, HubSource::Discovered));
    }
    opendevbrowser_api::files::create_private_dir(cache_dir)
        .map_err(|e| ClientError::Local(format!("{}: {e}", cache_dir.display())))?;
    let lock = lock_file(cache_dir, opts.timeout, progress).await?;
    if let Some(found) = running_hub(cache_dir).await? {
        drop(lock);
        return Ok((found, HubSource::Discovered));
    }
    let binary = hub_binary(opts)?;
    progress(&format!("starting the hub ({})…", binary.display()));
    let exited = spawn_detached(&binary, opts, cache_dir)?;
    let deadline = tokio::time::Instant::now() + opts.timeout;
    loop {
        if let Ok(found) = discover(cache_dir).await {
            drop(lock);
            progress(&format!("hub {} started (pid {})", found.hub_instance_id, found.pid));
            return Ok((found, HubSource::Started));
        }
        if let Ok(status) = exited.try_recv() {
            // It gave up at start (e.g. its port is taken): say why at once, in its words.
            let log = cache_dir.join("hub.log");
            let why = last_line(&log).unwrap_or_else(|| format!("exit status {status}"));
            return Err(ClientError::HubNotRunning(format!("the hub exited at start: {why} (log: {})", log.display())));
        }
        if tokio::time::Instant::now() > deadline {
            let log = cache_dir.join("hub.log");
            return Err(ClientError::HubNotRunning(format!(
                "the hub did not come up within {:?}; see {}",
                opts.timeout,
                log.display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn lock_file(
    cache_dir: &Path,
    timeout: Duration,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<std::fs::File, ClientError> {
    let path = cache_dir.join("hub.lock");
    let file =
        private_file(&path, false).map_err(|e| ClientError::Local(format!("cannot open {}: {e}", path.display())))?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                if !told {
                    progress("another process is starting the hub; waiting for it…");
                    told = true;
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(ClientError::HubNotRunning(format!(
                        "{} stayed locked for {timeout:?}",
                        path.display()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(ClientError::Local(format!("cannot lock {}: {e}", path.display())))
            }
        }
    }
}

/// Opens (creating with mode 0600 on Unix; on Windows the user-only ACL of the profile
/// dir it lives in) a file in the cache dir.
fn private_file(path: &Path, append: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true).append(append);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn hub_binary(opts: &AutostartOptions) -> Result<PathBuf, ClientError> {
    if let Some(b) = &opts.binary {
        return Ok(b.clone());
    }
    let exe = std::env::current_exe().ok();
    let dir = exe.as_ref().and_then(|e| e.parent().map(Path::to_owned));
    let exe_name = |name: &str| format!("{name}{}", std::env::consts::EXE_SUFFIX);
    for name in ["opendevbrowser-hub", "opendevbrowser"] {
        if let Some(candidate) = dir.as_ref().map(|d| d.join(exe_name(name))).filter(|p| p.exists()) {
            return Ok(candidate);
        }
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let candidate = dir.join(exe_name("opendevbrowser-hub"));
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    Err(ClientError::HubNotRunning(
        "no hub binary found (set OPENDEVBROWSER_HUB_BIN or put opendevbrowser-hub on PATH)".into(),
    ))
}

/// The hub `daemon.json` names, if it answers; a program that is not this hub on its port
/// is an error (starting another hub would not help), anything else means "start one".
async fn running_hub(cache_dir: &Path) -> Result<Option<HubEndpoint>, ClientError> {
    match discover(cache_dir).await {
        Ok(found) => Ok(Some(found)),
        Err(NotFound::Foreign { port, detail }) => Err(ClientError::ForeignHub { port, detail }),
        Err(_) => Ok(None),
    }
}

/// Lets the hub outlive the client: its own process group on Unix (a Ctrl-C in the
/// client's terminal does not reach it); on Windows a new process group without a console.
fn detach(command: &mut Command) {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    #[cfg(windows)]
    {
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        std::os::windows::process::CommandExt::creation_flags(command, CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
    }
}

/// The last non-empty line of a log file.
fn last_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_owned())
}

/// Starts `binary serve` in its own process group, logging to `hub.log`; the receiver
/// gets its exit status if it ends while this process lives.
fn spawn_detached(
    binary: &Path,
    opts: &AutostartOptions,
    cache_dir: &Path,
) -> Result<std::sync::mpsc::Receiver<std::process::ExitStatus>, ClientError> {
    let log_path = cache_dir.join("hub.log");
    let log = private_file(&log_path, true)
        .map_err(|e| ClientError::Local(format!("cannot open {}: {e}", log_path.display())))?;
    let err = log.try_clone().map_err(|e| ClientError::Local(e.to_string()))?;
    let mut command = Command::new(binary);
    command.arg("serve").args(&opts.serve_args).env("OPENDEVBROWSER_CACHE_DIR", cache_dir);
    if let Some(dir) = &opts.config_dir {
        command.env("OPENDEVBROWSER_CONFIG_DIR", dir);
    }
    command.stdin(Stdio::null()).stdout(log).stderr(err);
    detach(&mut command);
    let mut child =
        command.spawn().map_err(|e| ClientError::HubNotRunning(format!("cannot start {}: {e}", binary.display())))?;
    // Reap the hub if it exits while this process lives on (no zombie).
    let (tx, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Ok(status) = child.wait() {
            let _ = tx.send(status);
        }
    });
    Ok(exited)
}
