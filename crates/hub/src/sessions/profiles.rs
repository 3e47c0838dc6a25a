//! Named browser profiles for managed sessions (`launch --profile work`): folders in the
//! data dir (`profiles/<name>`, 0700) the hub keeps between sessions, so logins stay.
//! One browser per profile at a time: a launch on a profile in use is `profile_busy`
//! naming the session, or that very session when the caller owns it. Which session uses a
//! profile is read from the live sessions themselves, so nothing is left to release.

use crate::error::HubError;
use opendevbrowser_api::Owner;
use opendevbrowser_browser::error::err;
use opendevbrowser_browser::registry::Sessions;
use opendevbrowser_browser::BrowserSession;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Held while a session on a named profile is launched, so two launches on one profile
/// cannot both find it free.
pub(crate) static LAUNCHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The folder of profile `name` in `root`; `invalid_param` for a name that is not a
/// plain word.
pub(crate) fn dir_of(root: &Path, name: &str) -> Result<PathBuf, HubError> {
    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if name.is_empty() || name.len() > 64 || !plain {
        return Err(HubError::param("profile", "a profile name is 1-64 letters, digits, '-' or '_'"));
    }
    Ok(root.join(name))
}

/// The session whose browser runs on the profile in `dir`, if any.
pub(crate) fn holder(sessions: &Sessions, dir: &Path) -> Option<Arc<BrowserSession>> {
    sessions.all().into_iter().find(|s| s.kept_profile() == Some(dir))
}

/// May `caller` launch on the profile in `dir`? `Ok(None)`: it is free; `Ok(Some(s))`: the
/// caller's own session `s` runs on it already; else `profile_busy` naming the holder.
pub(crate) fn check_free(
    sessions: &Sessions,
    name: &str,
    dir: &Path,
    caller: &Owner,
) -> Result<Option<Arc<BrowserSession>>, HubError> {
    match holder(sessions, dir) {
        None => Ok(None),
        Some(own) if &own.owner == caller => Ok(Some(own)),
        Some(other) => Err(err(
            "profile_busy",
            format!(
                "profile {name:?} is in use by session {} of {}: one browser per profile. Wait for it to end, \
                 or launch on another profile",
                other.id, other.owner
            ),
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_plain_words() {
        let root = Path::new("/data/profiles");
        assert_eq!(dir_of(root, "work-2_a").unwrap(), root.join("work-2_a"));
        for bad in ["", "../x", "a/b", "a b", ".", &"x".repeat(65)] {
            assert!(dir_of(root, bad).is_err(), "{bad:?} was taken");
        }
    }
}
