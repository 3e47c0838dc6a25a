//! The files the hub and clients read back (`daemon.json`, `hub.json`, `client.json`),
//! through the very functions that read them: whatever the file holds, a typed error or
//! a value, never a panic; what is read is what the file said, and what is written (back,
//! or built from the input's bytes) reads back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opendevbrowser_api::metadata::{ClientFile, DaemonMetadata, MetadataError};
use opendevbrowser_client::identity::load_or_create_client_id;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "take.rs"]
mod take;

/// A private scratch dir for this fuzzing process (dirs of processes that are gone are
/// removed first).
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let parent = std::env::temp_dir().join("odb-fuzz-state-files");
        for old in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            let pid = old.file_name().to_string_lossy().into_owned();
            if !std::path::Path::new("/proc").join(&pid).exists() {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
        let dir = parent.join(std::process::id().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fn daemon_json(data: &[u8], text: Option<&str>) {
    let path = scratch().join("daemon.json");
    std::fs::write(&path, data).unwrap();
    match DaemonMetadata::read(&path) {
        Ok(meta) => {
            assert_eq!(Some(&meta), text.and_then(|t| serde_json::from_str(t).ok()).as_ref(), "what the file said");
            let copy = scratch().join("daemon-copy.json");
            meta.write(&copy).unwrap();
            assert_eq!(DaemonMetadata::read(&copy).unwrap(), meta, "written back, read back the same");
        }
        Err(MetadataError::Invalid { .. }) => {
            let text = text.expect("only text is parsed");
            assert!(serde_json::from_str::<DaemonMetadata>(text).is_err(), "refused valid metadata {text:?}");
        }
        Err(MetadataError::Io { .. }) => assert!(text.is_none(), "an I/O error for text"),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

fn hub_json(data: &[u8], text: Option<&str>) {
    let dir = scratch().join("config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(hub::daemon::settings::HubSettings::FILE), data).unwrap();
    let json: Option<Value> = text.and_then(|t| serde_json::from_str(t).ok());
    let said: Option<hub::daemon::settings::HubSettings> = json.clone().and_then(|v| serde_json::from_value(v).ok());
    match hub::daemon::settings::HubSettings::load_or_create(&dir) {
        Ok(settings) => {
            let said = said.expect("only valid settings load");
            if json.as_ref().is_some_and(|v| v.get("relayToken").is_some()) {
                assert_eq!(settings, said, "the file's settings as they are");
            } else {
                let token = settings.relay_token.as_deref().unwrap_or_default();
                assert!(token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()), "a fresh token: {token:?}");
                assert_eq!(settings.allowed_extension_ids, said.allowed_extension_ids, "the rest kept");
            }
            let again = hub::daemon::settings::HubSettings::load_or_create(&dir).expect("what was loaded loads again");
            assert_eq!(again, settings, "loading is stable");
        }
        Err(hub::daemon::settings::SettingsError::Invalid { .. }) => {
            assert!(text.is_some() && said.is_none(), "refused valid settings {text:?}")
        }
        Err(hub::daemon::settings::SettingsError::Io { .. }) => assert!(text.is_none(), "an I/O error for text"),
    }
}

fn client_json(data: &[u8], text: Option<&str>) {
    let dir = scratch().join("cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(ClientFile::FILE), data).unwrap();
    let said = text.and_then(|t| serde_json::from_str::<ClientFile>(t).ok()).map(|f| f.client_id);
    let said = said.filter(|id| !id.trim().is_empty());
    let id = load_or_create_client_id(&dir).expect("a client id, whatever the file held");
    match said {
        Some(said) => assert_eq!(id, said, "the file's id is used"),
        None => assert_eq!(id.len(), 36, "a fresh uuid replaces a file without a usable id: {id:?}"),
    }
    assert_eq!(load_or_create_client_id(&dir).unwrap(), id, "the id is kept");
}

/// Files written by the code that writes them (values built from the input's bytes; its
/// first byte picks the file) read back as written.
fn written_files_read_back(t: &mut take::Take) {
    match t.byte() % 3 {
        0 => {
            let meta = DaemonMetadata {
                relay_epoch: t.int(),
                port: t.int() as u16,
                token: t.text(),
                pid: t.int() as u32,
                relay_port: t.int() as u16,
                started_at: t.text(),
                hub_instance_id: t.text(),
                relay_instance_id: t.text(),
            };
            let path = scratch().join("daemon-built.json");
            meta.write(&path).unwrap();
            assert_eq!(DaemonMetadata::read(&path).unwrap(), meta, "daemon.json as written");
        }
        1 => {
            let dir = scratch().join("config-built");
            std::fs::create_dir_all(&dir).unwrap();
            let ids = (0..t.byte() % 4).map(|_| t.text()).collect();
            let settings = hub::daemon::settings::HubSettings { relay_token: t.maybe_text(), allowed_extension_ids: ids };
            std::fs::write(dir.join(hub::daemon::settings::HubSettings::FILE), serde_json::to_vec(&settings).unwrap()).unwrap();
            assert_eq!(hub::daemon::settings::HubSettings::load_or_create(&dir).unwrap(), settings, "hub.json as written");
        }
        _ => {
            let dir = scratch().join("cache-built");
            std::fs::create_dir_all(&dir).unwrap();
            let file = ClientFile { client_id: t.text(), created_at: t.text() };
            std::fs::write(dir.join(ClientFile::FILE), serde_json::to_vec(&file).unwrap()).unwrap();
            let id = load_or_create_client_id(&dir).unwrap();
            if !file.client_id.trim().is_empty() {
                assert_eq!(id, file.client_id, "client.json's id as written");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    written_files_read_back(&mut take::Take(data));
    let text = std::str::from_utf8(data).ok();
    daemon_json(data, text);
    hub_json(data, text);
    client_json(data, text);
});
