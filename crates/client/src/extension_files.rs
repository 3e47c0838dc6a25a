//! Where the extension is on this machine, so `doctor` can say exactly how to load it:
//! `$OPENDEVBROWSER_EXTENSION_DIR`, else an `extension/` folder (with its built wasm) or a
//! packed zip in `dist/` beside the running binary's checkout (`target/…/opendevbrowser`
//! → the repository), else nothing (the fix then names the scripts that make them).

use std::path::{Path, PathBuf};

/// The id every copy of the extension has (its manifest carries a fixed `key`).
pub const EXTENSION_ID: &str = "mpkgehknfgpdeghekbkgbgcfcihhfejp";

/// A loadable copy of the extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionCopy {
    /// A built, unpacked folder: "Load unpacked" takes it as it is.
    Folder(PathBuf),
    /// A zip from `scripts/pack-extension.sh`: unzip it first.
    Zip(PathBuf),
}

/// Looks for a copy: the env var, then the checkout around the running binary.
pub fn find() -> Option<ExtensionCopy> {
    if let Some(dir) = std::env::var_os("OPENDEVBROWSER_EXTENSION_DIR") {
        return Some(ExtensionCopy::Folder(dir.into()));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().skip(1).take(5).find_map(copy_in)
}

/// A copy in the checkout rooted at `root`, the unpacked folder first.
pub fn copy_in(root: &Path) -> Option<ExtensionCopy> {
    let folder = root.join("extension");
    if folder.join("manifest.json").is_file() && folder.join("pkg/extension_bg.wasm").is_file() {
        return Some(ExtensionCopy::Folder(folder));
    }
    let zips = std::fs::read_dir(root.join("dist")).ok()?.flatten().map(|e| e.path());
    let mut zips: Vec<PathBuf> = zips
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .filter(|p| !p.to_string_lossy().ends_with("-store.zip"))
        .collect();
    zips.sort();
    zips.pop().map(ExtensionCopy::Zip)
}

/// The steps to load `copy` (or to make one, when there is none), naming the id to expect.
pub fn load_steps(copy: Option<&ExtensionCopy>) -> String {
    let load = "open chrome://extensions (edge://extensions, brave://extensions), turn on Developer mode, \
                click Load unpacked and choose";
    let what = match copy {
        Some(ExtensionCopy::Folder(dir)) => format!("{load} {}", dir.display()),
        Some(ExtensionCopy::Zip(zip)) => {
            format!("unzip {} into a folder you keep, then {load} that folder", zip.display())
        }
        None => format!(
            "build it first (scripts/run.sh builds extension/; scripts/pack-extension.sh makes a zip in dist/), \
             then {load} the extension folder"
        ),
    };
    format!("{what}; it shows the id {EXTENSION_ID}; keep its \"Connect automatically\" switch on")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_folder_wins_over_a_zip_and_a_store_zip_is_never_offered() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("dist")).unwrap();
        std::fs::write(root.path().join("dist/opendevbrowser-extension-0.1.0-store.zip"), b"").unwrap();
        assert_eq!(copy_in(root.path()), None, "the store zip has no key, so the id would differ");
        let zip = root.path().join("dist/opendevbrowser-extension-0.1.0.zip");
        std::fs::write(&zip, b"").unwrap();
        assert_eq!(copy_in(root.path()), Some(ExtensionCopy::Zip(zip)));
        std::fs::create_dir_all(root.path().join("extension/pkg")).unwrap();
        std::fs::write(root.path().join("extension/manifest.json"), b"{}").unwrap();
        assert!(matches!(copy_in(root.path()), Some(ExtensionCopy::Zip(_))), "an unbuilt folder is not loadable");
        std::fs::write(root.path().join("extension/pkg/extension_bg.wasm"), b"").unwrap();
        assert_eq!(copy_in(root.path()), Some(ExtensionCopy::Folder(root.path().join("extension"))));
    }

    #[test]
    fn the_steps_name_the_copy_and_the_id() {
        let steps = load_steps(Some(&ExtensionCopy::Folder("/src/odb/extension".into())));
        assert!(steps.contains("Load unpacked and choose /src/odb/extension"), "{steps}");
        assert!(steps.contains(EXTENSION_ID));
        let steps = load_steps(Some(&ExtensionCopy::Zip("/dl/x.zip".into())));
        assert!(steps.starts_with("unzip /dl/x.zip into a folder"), "{steps}");
        assert!(load_steps(None).contains("scripts/pack-extension.sh"));
    }
}
