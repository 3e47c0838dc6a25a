//! The extension as a file: `scripts/pack-extension.sh` makes a zip that, unzipped and
//! loaded into Chromium, is the extension the hub expects (same id, pairs by itself); the
//! store zip carries no `key`; and before any extension came, `doctor` says exactly where
//! the loadable copy is and which id it will show.

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use system_tests::browser::Browser;
use system_tests::hub_process::HubProcess;
use system_tests::site::Site;
use system_tests::{workspace, EXTENSION_ID, SERIAL};

fn unzip(zip: &Path, into: &Path) {
    let status = Command::new("python3").args(["-m", "zipfile", "-e"]).arg(zip).arg(into).status().unwrap();
    assert!(status.success(), "unzip {}", zip.display());
}

fn doctor(dirs: &Path) -> Value {
    let out = Command::new(workspace().join("target/debug/opendevbrowser"))
        .args(["--json", "--no-autostart", "doctor"])
        .env("OPENDEVBROWSER_CACHE_DIR", dirs.join("cache"))
        .env("OPENDEVBROWSER_CONFIG_DIR", dirs.join("config"))
        .env_remove("OPENDEVBROWSER_EXTENSION_DIR")
        .output()
        .unwrap();
    let body: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("doctor printed {}", String::from_utf8_lossy(&out.stdout)));
    body["data"].clone()
}

#[tokio::test]
async fn the_packed_zip_loads_as_the_same_extension_and_pairs_by_itself() {
    let _serial = SERIAL.lock().await;
    let out = tempfile::tempdir().unwrap();
    let packed = Command::new(workspace().join("scripts/pack-extension.sh"))
        .args(["--no-build", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&packed.stdout).into_owned();
    assert!(packed.status.success(), "{said}{}", String::from_utf8_lossy(&packed.stderr));
    assert!(said.contains(&format!("extension id {EXTENSION_ID}")), "{said}");
    let version = serde_json::from_slice::<Value>(&std::fs::read(workspace().join("extension/manifest.json")).unwrap())
        .unwrap()["version"]
        .as_str()
        .unwrap()
        .to_owned();
    let zip = out.path().join(format!("opendevbrowser-extension-{version}.zip"));
    let store = out.path().join(format!("opendevbrowser-extension-{version}-store.zip"));

    let store_dir = out.path().join("store");
    unzip(&store, &store_dir);
    let store_manifest: Value =
        serde_json::from_slice(&std::fs::read(store_dir.join("manifest.json")).unwrap()).unwrap();
    assert!(store_manifest.get("key").is_none() && store_manifest["version"] == version.as_str(), "{store_manifest}");

    let dirs = tempfile::tempdir().unwrap();
    let site = Site::start().await;
    let hub = HubProcess::start(dirs.path(), system_tests::discovery_port()).await;
    let before = doctor(dirs.path());
    assert_eq!(before["class"], "extension_never_seen", "{before}");
    let fix = before["fix"].as_str().unwrap();
    let folder = workspace().join("extension");
    assert!(fix.contains(&format!("Load unpacked and choose {}", folder.display())), "{fix}");
    assert!(fix.contains(EXTENSION_ID), "{fix}");

    let unpacked = out.path().join("unpacked");
    unzip(&zip, &unpacked);
    let browser = Browser::launch_with(&site.url("/"), &unpacked).await;
    let paired = hub.wait_for_extension().await;
    assert_eq!(paired["extension"]["extensionVersion"], version.as_str(), "{paired}");
    assert_eq!(browser.eval_in_extension("chrome.runtime.id").await, EXTENSION_ID, "the key keeps the id");
    assert_eq!(hub.evaluate("window.answer", None).await, 42, "the packed extension drives the page");
    let after = doctor(dirs.path());
    assert_eq!((after["class"].as_str(), after["ok"].as_bool()), (Some("connected"), Some(true)), "{after}");
}
