//! The setting most steps measure in: the local site, a hub on the relay's usual port, and
//! headless Chromium with the real extension paired to it.

use system_tests::browser::Browser;
use system_tests::hub_process::HubProcess;
use system_tests::site::Site;

/// A hub and a browser whose extension has paired with it (dropped together).
pub struct Paired {
    pub site: Site,
    pub hub: HubProcess,
    pub browser: Browser,
    _dirs: tempfile::TempDir,
}

impl Paired {
    /// Starts the site, the hub and the browser (showing the site's front page) and waits
    /// for the extension to pair.
    pub async fn start() -> Paired {
        let dirs = tempfile::tempdir().unwrap();
        let site = Site::start().await;
        let hub = HubProcess::start(dirs.path(), system_tests::discovery_port()).await;
        let browser = Browser::launch(&site.url("/")).await;
        hub.wait_for_extension().await;
        Paired { site, hub, browser, _dirs: dirs }
    }
}
