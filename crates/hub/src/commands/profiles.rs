//! `profiles` and `profiles.delete`: the named profiles in the data dir, and which
//! session uses each ([`crate::sessions::profiles`] keeps the folders).

use crate::commands::dispatch::{Call, HubCommand};
use crate::error::HubError;
use crate::sessions::profiles::{dir_of, holder, LAUNCHING};
use opendevbrowser_api::commands::{DeleteProfile, Done, ListProfiles, ProfileInfo, ProfileList};
use opendevbrowser_browser::error::err;

impl HubCommand for ListProfiles {
    async fn run(self, call: &mut Call<'_>) -> Result<ProfileList, HubError> {
        let root = call.profiles_dir();
        let mut names: Vec<String> = std::fs::read_dir(root)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        let profiles = names
            .into_iter()
            .map(|name| {
                let path = root.join(&name);
                let in_use_by = holder(call.sessions(), &path).map(|s| s.id.clone());
                ProfileInfo { name, path: path.display().to_string(), in_use_by }
            })
            .collect();
        Ok(ProfileList { profiles })
    }
}

impl HubCommand for DeleteProfile {
    async fn run(self, call: &mut Call<'_>) -> Result<Done, HubError> {
        let dir = dir_of(call.profiles_dir(), &self.name)?;
        let _launching = LAUNCHING.lock().await;
        if let Some(s) = holder(call.sessions(), &dir) {
            let message = format!("profile {:?} is in use by session {}: end it first (disconnect)", self.name, s.id);
            return Err(err("profile_busy", message).into());
        }
        if !dir.is_dir() {
            return Err(
                err("unknown_profile", format!("there is no profile {:?} (profiles lists them)", self.name)).into()
            );
        }
        std::fs::remove_dir_all(&dir)
            .map_err(|e| err("profile_delete_failed", format!("cannot delete {}: {e}", dir.display())))?;
        Ok(Done::YES)
    }
}
