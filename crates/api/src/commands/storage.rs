//! What a session remembers: storage-state files (Playwright's `storageState` format) and
//! the named profiles managed sessions keep between runs.

use super::{command, Done};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `storage.save`: the session's cookies and the localStorage of its open pages' origins,
/// written as a storage-state file (Playwright's format, 0600).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveStorage {
    /// The file to write.
    pub path: String,
    /// Extension mode: yes, save the user's own cookies (every site); refused without.
    pub users_chrome: Option<bool>,
}
command!(SaveStorage: "storage.save", cli "storage-save", Session, -> StorageSaved,
    "Save the session's cookies and localStorage to a storage-state file (Playwright's format)",
    tool("browser_storage_save", writes, "Save this session's logins (cookies, localStorage) to a file."));

/// `storage.load`: cookies and localStorage from a storage-state file into the session.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadStorage {
    /// The file (ours or Playwright's).
    pub path: String,
}
command!(LoadStorage: "storage.load", cli "storage-load", Session, -> StorageLoaded,
    "Load cookies and localStorage from a storage-state file (ours or Playwright's) into the session",
    tool("browser_storage_load", writes, "Load logins saved by browser_storage_save into this session."));

/// A storage-state file that was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageSaved {
    /// Where.
    pub path: String,
    /// Cookies saved.
    pub cookies: usize,
    /// Origins whose localStorage was saved.
    pub origins: usize,
}

/// A storage state that was loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageLoaded {
    /// Cookies set.
    pub cookies: usize,
    /// Origins whose localStorage was set.
    pub origins: usize,
}

/// `profiles.list`: the named profiles managed sessions keep (`launch --profile NAME`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListProfiles {}
command!(ListProfiles: "profiles.list", cli "profiles", Hub, -> ProfileList,
    "List the named profiles managed sessions keep between runs, and which are in use");

/// The named profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileList {
    /// By name.
    pub profiles: Vec<ProfileInfo>,
}

/// One named profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInfo {
    /// Its name.
    pub name: String,
    /// Its folder (0700).
    pub path: String,
    /// The session running a browser on it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use_by: Option<String>,
}

/// `profiles.delete`: removes a named profile and everything in it (logins included).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct DeleteProfile {
    /// The profile.
    pub name: String,
}
command!(DeleteProfile: "profiles.delete", cli "profile-delete", Hub, -> Done,
    "Delete a named profile and its logins (refused while a session uses it)");
