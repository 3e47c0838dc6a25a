//! What a dead hub left behind, cleared when a hub starts: the private profile folders of
//! the managed browsers it launched (`opendevbrowser-profile-*` in the temp folder, removed
//! when a session ends, but not when the hub is killed), and on Linux any of those browsers
//! still running without their hub (the kernel ends them with the hub; one that outlived it
//! anyway is an orphan of init). A folder a running browser still uses is never touched, and
//! a browser whose hub is alive (its parent) is never ended.
//!
//! [`plan`] is the pure rule; [`run`] reads the temp folder and the process table.

use std::path::{Path, PathBuf};

/// The prefix of a managed browser's profile folder (`launcher.rs`).
pub(crate) const PROFILE_PREFIX: &str = "opendevbrowser-profile-";

/// A profile folder younger than this is left alone: another hub may be starting a browser
/// in it (the folder is made an instant before the browser that names it).
pub(crate) const SETTLED: std::time::Duration = std::time::Duration::from_secs(5);

/// A running process, as far as the rule needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Process {
    /// Its id.
    pub pid: u32,
    /// Its parent's id (1 when its parent died and init adopted it).
    pub ppid: u32,
    /// Its command line, arguments joined by spaces.
    pub cmdline: String,
}

/// What to clear.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Profile folders no running process uses.
    pub remove: Vec<PathBuf>,
    /// Managed browsers (main processes) whose hub is gone.
    pub end: Vec<u32>,
}

/// Which of `profiles` to remove and which processes to end.
pub(crate) fn plan(profiles: &[PathBuf], processes: &[Process]) -> Plan {
    let mut out = Plan::default();
    for profile in profiles {
        let flag = format!("--user-data-dir={}", profile.display());
        let users: Vec<&Process> = processes.iter().filter(|p| p.cmdline.contains(&flag)).collect();
        if users.is_empty() {
            out.remove.push(profile.clone());
            continue;
        }
        // The browser's main process (its helpers carry `--type=`), adopted by init.
        let orphans = users.iter().filter(|p| p.ppid == 1 && !p.cmdline.contains("--type="));
        out.end.extend(orphans.map(|p| p.pid));
    }
    out
}

/// The managed-browser profile folders in `temp` untouched for `settled` (a folder just
/// made for a browser that is starting is left alone).
pub(crate) fn profiles_in(temp: &Path, settled: std::time::Duration) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(temp) else { return Vec::new() };
    let old_enough = |e: &std::fs::DirEntry| {
        let modified = e.metadata().and_then(|m| m.modified()).ok();
        modified.and_then(|m| m.elapsed().ok()).is_some_and(|age| age >= settled)
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(PROFILE_PREFIX))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(old_enough)
        .map(|e| e.path())
        .collect()
}

/// Every process of this machine (Linux `/proc`); `None` elsewhere, where nothing is
/// cleared (which folders are in use cannot be told).
fn processes() -> Option<Vec<Process>> {
    #[cfg(target_os = "linux")]
    {
        let mut out = Vec::new();
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // `pid (comm) state ppid …`: the command name may hold spaces and parentheses.
            let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
            out.push(Process { pid, ppid: ppid.unwrap_or(0), cmdline });
        }
        Some(out)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Clears what dead hubs left in the temp folder (best effort, logged).
pub(crate) fn run() {
    let profiles = profiles_in(&std::env::temp_dir(), SETTLED);
    if profiles.is_empty() {
        return;
    }
    let Some(processes) = processes() else { return };
    let plan = plan(&profiles, &processes);
    for pid in &plan.end {
        #[cfg(unix)]
        if let Ok(pid) = libc_pid(*pid) {
            // SAFETY: kill(2) with a pid read from /proc; at worst the process is already gone.
            unsafe { libc_kill(pid) };
        }
        // `processes()` finds none where /proc is missing, so nothing is ever ended there.
        #[cfg(not(unix))]
        let _ = pid;
    }
    for dir in &plan.remove {
        let _ = std::fs::remove_dir_all(dir);
    }
    if !plan.remove.is_empty() || !plan.end.is_empty() {
        tracing::info!(
            folders = plan.remove.len(),
            browsers = plan.end.len(),
            "cleared managed browsers and profile folders left by a hub that is gone"
        );
    }
}

#[cfg(unix)]
fn libc_pid(pid: u32) -> Result<i32, std::num::TryFromIntError> {
    i32::try_from(pid)
}

#[cfg(unix)]
unsafe fn libc_kill(pid: i32) {
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGTERM: i32 = 15;
    kill(pid, SIGTERM);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: u32, ppid: u32, cmdline: &str) -> Process {
        Process { pid, ppid, cmdline: cmdline.into() }
    }

    #[test]
    fn only_unused_folders_are_removed_and_only_orphaned_browsers_ended() {
        let (a, b, c) = (
            PathBuf::from("/tmp/opendevbrowser-profile-aa"),
            PathBuf::from("/tmp/opendevbrowser-profile-bb"),
            PathBuf::from("/tmp/opendevbrowser-profile-cc"),
        );
        let processes = [
            // b: a live hub's browser (its parent is the hub) and a helper.
            p(10, 500, "chromium --headless=new --user-data-dir=/tmp/opendevbrowser-profile-bb about:blank"),
            p(11, 10, "chromium --type=renderer --user-data-dir=/tmp/opendevbrowser-profile-bb"),
            // c: a browser whose hub died (adopted by init), with a helper.
            p(20, 1, "chromium --headless=new --user-data-dir=/tmp/opendevbrowser-profile-cc about:blank"),
            p(21, 1, "chromium --type=zygote --user-data-dir=/tmp/opendevbrowser-profile-cc"),
            p(30, 1, "something --user-data-dir=/home/u/.config/chromium"),
        ];
        let plan = plan(&[a.clone(), b, c], &processes);
        assert_eq!(plan, Plan { remove: vec![a], end: vec![20] });
    }

    #[test]
    fn profile_folders_are_found_by_their_prefix() {
        let temp = tempfile_like();
        std::fs::create_dir_all(temp.join("opendevbrowser-profile-12ab")).unwrap();
        std::fs::create_dir_all(temp.join("opendevbrowser-downloads-x")).unwrap();
        std::fs::write(temp.join("opendevbrowser-profile-file"), b"").unwrap();
        assert_eq!(profiles_in(&temp, std::time::Duration::ZERO), vec![temp.join("opendevbrowser-profile-12ab")]);
        assert!(profiles_in(&temp, std::time::Duration::from_secs(3600)).is_empty(), "a fresh folder is left alone");
        let _ = std::fs::remove_dir_all(&temp);
    }

    fn tempfile_like() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("reap-test-{}", opendevbrowser_api::clock::random_hex(6)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
