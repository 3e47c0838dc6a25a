//! Who is calling: the user's stable `clientId` (`<cache>/client.json`, mode 0600, created
//! once) and this process's own instance id, so two plugins of one user are told apart.

use crate::error::ClientError;
pub use opendevbrowser_api::metadata::ClientFile;
use std::path::Path;

/// Reads `client.json` in `cache_dir`, creating it once if missing or invalid. Creation
/// never overwrites a file another process created first.
pub fn load_or_create_client_id(cache_dir: &Path) -> Result<String, ClientError> {
    let path = cache_dir.join(ClientFile::FILE);
    if let Some(id) = read(&path) {
        return Ok(id);
    }
    let file = ClientFile {
        client_id: uuid::Uuid::new_v4().to_string(),
        created_at: opendevbrowser_api::clock::iso8601(opendevbrowser_api::clock::now_ms()),
    };
    let tmp = cache_dir.join(format!(
        ".{}.{}.{}.tmp",
        ClientFile::FILE,
        std::process::id(),
        opendevbrowser_api::clock::random_hex(8)
    ));
    let json = serde_json::to_vec_pretty(&file).expect("client file serialises");
    let local = |e: std::io::Error| ClientError::Local(format!("cannot write {}: {e}", path.display()));
    opendevbrowser_api::files::write_private_atomic(&tmp, &json).map_err(local)?;
    // hard_link fails if client.json exists: the first writer wins, everyone reads its id.
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(file.client_id),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read(&path) {
            Some(id) => Ok(id),
            None => {
                opendevbrowser_api::files::write_private_atomic(&path, &json).map_err(local)?;
                Ok(file.client_id)
            }
        },
        Err(e) => Err(local(e)),
    }
}

fn read(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let file: ClientFile = serde_json::from_str(&text).ok()?;
    (!file.client_id.trim().is_empty()).then_some(file.client_id)
}

/// A fresh id for this process.
pub fn new_instance_id() -> String {
    format!("p{}-{}", std::process::id(), &uuid::Uuid::new_v4().to_string()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_is_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_client_id(dir.path()).unwrap();
        let second = load_or_create_client_id(dir.path()).unwrap();
        assert_eq!(first, second);
        assert_eq!(opendevbrowser_api::files::file_mode(&dir.path().join("client.json")).unwrap(), 0o600);
    }

    #[test]
    fn concurrent_creators_agree_on_one_id() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| load_or_create_client_id(dir.path()).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    }

    #[test]
    fn an_invalid_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("client.json"), "{}").unwrap();
        let id = load_or_create_client_id(dir.path()).unwrap();
        assert_eq!(load_or_create_client_id(dir.path()).unwrap(), id);
    }

    #[test]
    fn instance_ids_differ_per_call() {
        assert_ne!(new_instance_id(), new_instance_id());
    }
}
