//! What the client's process-level tests share: the CLI binary, free ports, the environment
//! that isolates one test's hub, and stopping that hub when a test ends.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

/// The `opendevbrowser` binary under test.
pub const CLI: &str = env!("CARGO_BIN_EXE_opendevbrowser");

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The environment that isolates one test's hub: its own dirs and ports.
pub fn env(dir: &Path, relay_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("OPENDEVBROWSER_CACHE_DIR", dir.join("cache").display().to_string()),
        ("OPENDEVBROWSER_CONFIG_DIR", dir.join("config").display().to_string()),
        ("OPENDEVBROWSER_RELAY_PORT", relay_port.to_string()),
        ("OPENDEVBROWSER_DAEMON_PORT", "0".into()),
        ("OPENDEVBROWSER_NO_DISCOVERY", "1".into()),
        ("OPENDEVBROWSER_HUB_BIN", CLI.into()),
    ]
}

/// Stops the hub in `dir` when dropped.
pub struct StopHub<'a>(pub &'a Path, pub u16);

impl Drop for StopHub<'_> {
    fn drop(&mut self) {
        let _ = Command::new(CLI)
            .arg("stop")
            .envs(env(self.0, self.1))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
