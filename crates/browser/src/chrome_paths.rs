//! Where a Chromium-family browser is installed, for managed sessions: the path a caller
//! gives (`chromePath`, `--chrome-path`), then `$OPENDEVBROWSER_CHROME` (or the older
//! `$CHROMIUM`), then the standard install locations of Chrome (stable, Beta, Dev,
//! Canary), Chromium, Edge and Brave on Linux, macOS and Windows. The candidate lists are
//! pure (OS and environment passed in), so every platform's list is tested here.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variables that name a browser binary, in the order they are read.
pub const ENV_VARS: [&str; 2] = ["OPENDEVBROWSER_CHROME", "CHROMIUM"];

/// The browser to launch: `explicit` if given (it must exist), else the first of
/// [`ENV_VARS`] that is set, else the first standard location that exists.
pub fn find_browser(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return if path.exists() {
            Ok(path.to_owned())
        } else {
            Err(format!("no browser at {} (chromePath): give the path of a Chrome or Chromium binary", path.display()))
        };
    }
    if let Some(path) = ENV_VARS.iter().find_map(std::env::var_os) {
        return Ok(path.into());
    }
    let env = |name: &str| std::env::var_os(name);
    let candidates = standard_locations(std::env::consts::OS, &env);
    candidates.iter().find(|p| p.exists()).cloned().ok_or_else(|| {
        format!(
            "no Chrome, Chromium, Edge or Brave found at the standard places (first looked at {}): \
             install one, or pass chromePath (CLI --chrome-path) or set OPENDEVBROWSER_CHROME",
            candidates.first().map_or_else(|| "none".into(), |p| p.display().to_string())
        )
    })
}

/// The standard install locations on `os` (`std::env::consts::OS`), most likely first;
/// `env` reads variables such as `ProgramFiles` and `HOME`.
pub fn standard_locations(os: &str, env: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    match os {
        "linux" => LINUX.iter().map(PathBuf::from).collect(),
        "macos" => {
            let system = MACOS_APPS.iter().map(|app| Path::new("/Applications").join(app));
            let user = env("HOME").map(|home| PathBuf::from(home).join("Applications"));
            let user = MACOS_APPS.iter().filter_map(move |app| user.as_ref().map(|dir| dir.join(app)));
            system.chain(user).collect()
        }
        "windows" => {
            let roots = ["ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"].iter().filter_map(|v| env(v));
            let roots: Vec<PathBuf> = roots.map(PathBuf::from).collect();
            WINDOWS.iter().flat_map(|rel| roots.iter().map(move |root| root.join(rel))).collect()
        }
        _ => Vec::new(),
    }
}

const LINUX: [&str; 13] = [
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
    "/usr/bin/google-chrome-beta",
    "/usr/bin/google-chrome-unstable",
    "/usr/bin/microsoft-edge",
    "/usr/bin/microsoft-edge-stable",
    "/usr/bin/brave-browser",
    "/opt/brave.com/brave/brave",
];

const MACOS_APPS: [&str; 6] = [
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
    "Google Chrome Beta.app/Contents/MacOS/Google Chrome Beta",
    "Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary",
    "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "Brave Browser.app/Contents/MacOS/Brave Browser",
];

/// Relative to `%ProgramFiles%`, `%ProgramFiles(x86)%` and `%LOCALAPPDATA%` (per-user
/// installs; Canary lives only there, as "Chrome SxS").
const WINDOWS: [&str; 6] = [
    r"Google\Chrome\Application\chrome.exe",
    r"Chromium\Application\chrome.exe",
    r"Google\Chrome Beta\Application\chrome.exe",
    r"Google\Chrome SxS\Application\chrome.exe",
    r"Microsoft\Edge\Application\msedge.exe",
    r"BraveSoftware\Brave-Browser\Application\brave.exe",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn linux_keeps_debians_chromium_first_and_knows_chrome_edge_and_brave() {
        let list = standard_locations("linux", &env_of(&[]));
        assert_eq!(list[0], PathBuf::from("/usr/lib/chromium/chromium"));
        for name in ["google-chrome", "google-chrome-beta", "microsoft-edge", "brave-browser"] {
            assert!(list.iter().any(|p| p.ends_with(name)), "{name} missing");
        }
    }

    #[test]
    fn macos_looks_in_system_and_user_applications() {
        let list = standard_locations("macos", &env_of(&[("HOME", "/Users/ada")]));
        assert_eq!(list[0], PathBuf::from("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"));
        assert!(list.contains(&PathBuf::from(
            "/Users/ada/Applications/Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary"
        )));
        assert!(list.iter().any(|p| p.to_string_lossy().contains("Brave Browser.app")));
        assert_eq!(list.len(), 12);
    }

    #[test]
    fn windows_looks_under_program_files_and_local_app_data() {
        let env = env_of(&[("ProgramFiles", "C:/PF"), ("ProgramFiles(x86)", "C:/PF86"), ("LOCALAPPDATA", "C:/U/L")]);
        let list = standard_locations("windows", &env);
        assert_eq!(list[0], PathBuf::from("C:/PF").join(r"Google\Chrome\Application\chrome.exe"));
        assert!(list.contains(&PathBuf::from("C:/U/L").join(r"Google\Chrome SxS\Application\chrome.exe")));
        assert!(list.contains(&PathBuf::from("C:/PF86").join(r"Microsoft\Edge\Application\msedge.exe")));
        assert_eq!(list.len(), 18);
    }

    #[test]
    fn an_unknown_os_has_no_standard_places_and_an_explicit_path_must_exist() {
        assert!(standard_locations("plan9", &env_of(&[])).is_empty());
        let err = find_browser(Some(Path::new("/no/such/chrome"))).unwrap_err();
        assert!(err.contains("/no/such/chrome") && err.contains("chromePath"), "{err}");
        let me = std::env::current_exe().unwrap();
        assert_eq!(find_browser(Some(&me)).unwrap(), me);
    }
}
