//! Where the hub and its clients keep their files, and how secrets are written: private
//! (0600) and atomic.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The user's standard per-platform dirs (`directories`): on Linux `$XDG_CACHE_HOME` or
/// `~/.cache` and `$XDG_CONFIG_HOME` or `~/.config`; on macOS `~/Library/Caches` and
/// `~/Library/Application Support`; on Windows `%LOCALAPPDATA%` and `%APPDATA%`.
fn base_dirs() -> Option<directories::BaseDirs> {
    directories::BaseDirs::new()
}

/// Per-user cache dir: `$OPENDEVBROWSER_CACHE_DIR`, else `opendevbrowser` in the
/// platform's cache dir (Linux: `~/.cache/opendevbrowser`). Holds `daemon.json`,
/// `client.json`, the lock and `hub.log`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENDEVBROWSER_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = base_dirs().map(|d| d.cache_dir().to_owned()).unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("opendevbrowser")
}

/// Per-user config dir: `$OPENDEVBROWSER_CONFIG_DIR`, else `opendevbrowser` in the
/// platform's config dir (Linux: `~/.config/opendevbrowser`; Windows: the roaming
/// `%APPDATA%`). Holds `hub.json` with the pairing token.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENDEVBROWSER_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    let base = base_dirs().map(|d| d.config_dir().to_owned()).unwrap_or_else(|| PathBuf::from(".config"));
    base.join("opendevbrowser")
}

/// Per-user data dir: `$OPENDEVBROWSER_DATA_DIR`, else `opendevbrowser` in the platform's
/// local data dir (Linux: `~/.local/share/opendevbrowser`; macOS `~/Library/Application
/// Support`; Windows `%LOCALAPPDATA%`). Holds the named browser profiles (`profiles/`).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENDEVBROWSER_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let base = base_dirs().map(|d| d.data_local_dir().to_owned()).unwrap_or_else(|| PathBuf::from(".local/share"));
    base.join("opendevbrowser")
}

/// Writes `bytes` to `path` so that readers see either the old or the new file, and
/// nobody but the owner can read it: on Unix file 0600 and a newly created parent 0700;
/// on Windows the file inherits the ACL of the user's profile dir it lives in (the user,
/// SYSTEM and Administrators only), which is the owner-only equivalent there.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), crate::clock::random_hex(8)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match result.and_then(|_| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Creates `dir` (and parents) with mode 0700 where it does not exist yet.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The permission bits of a file (unix), for checks and tests.
#[cfg(unix)]
pub fn file_mode(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_linux_dirs_are_the_xdg_ones_they_always_were() {
        let (Some(home), None, None) = (
            std::env::var_os("HOME"),
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("OPENDEVBROWSER_CACHE_DIR"),
        ) else {
            return; // the environment chose other dirs: nothing to compare
        };
        if cfg!(target_os = "linux") {
            assert_eq!(cache_dir(), PathBuf::from(home).join(".cache/opendevbrowser"));
        }
    }

    #[test]
    fn private_atomic_write_creates_0600_file_and_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret.json");
        write_private_atomic(&path, b"one").unwrap();
        write_private_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(file_mode(&path).unwrap(), 0o600);
        assert_eq!(file_mode(path.parent().unwrap()).unwrap(), 0o700);
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temp files left behind");
    }
}
