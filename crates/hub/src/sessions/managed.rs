//! Opening a managed session (`session.launch {mode: "managed"}`): the Chromium the hub
//! starts, on a throwaway or a named profile ([`crate::sessions::profiles`]: one browser per profile,
//! the caller's own session back if it holds it), with the config file's browser settings
//! (flags, per-tab setup, origin rules, downloads folder) and, if asked, a storage state
//! loaded before the first page.

use crate::error::HubError;
use crate::sessions::open::open as register;
use crate::sessions::profiles;
use opendevbrowser_api::commands::Launch;
use opendevbrowser_api::Owner;
use opendevbrowser_browser::direct::{browser_ws_url, DirectCdp};
use opendevbrowser_browser::error::err;
use opendevbrowser_browser::launcher::ManagedChromium;
use opendevbrowser_browser::{launch_settings, storage_state, BrowserSession, Mode, Sessions};
use serde_json::json;
use std::sync::Arc;

/// What a managed launch gave.
pub(crate) enum Managed {
    /// A new session.
    Opened(Arc<BrowserSession>),
    /// The caller's own session already running on the profile asked for.
    Existing(Arc<BrowserSession>),
}

/// Starts the browser and opens session `id` for `caller` as `cmd` asks, registered in
/// `sessions`; named profiles live in `profiles_dir`.
pub(crate) async fn open(
    cmd: &Launch,
    (sessions, profiles_dir): (&Sessions, &std::path::Path),
    caller: Owner,
    id: String,
) -> Result<Managed, HubError> {
    // Read before anything starts, so a bad file costs no browser.
    let state = cmd.storage_state.as_deref().map(storage_state::read_file).transpose()?;
    let settings = cmd.browser.clone().unwrap_or_default();
    let (_launching, profile) = match cmd.profile.as_deref() {
        None => (None, None),
        Some(name) => {
            let dir = profiles::dir_of(profiles_dir, name)?;
            let launching = profiles::LAUNCHING.lock().await;
            if let Some(own) = profiles::check_free(sessions, name, &dir, &caller)? {
                return Ok(Managed::Existing(own));
            }
            (Some(launching), Some(dir))
        }
    };
    let failed = |e: String| HubError::from(err("launch_failed", e));
    let chrome_path = cmd.chrome_path.as_deref().map(std::path::Path::new);
    let flags = launch_settings::browser_flags(&settings);
    // It opens on a blank page and the launch goes to the start URL after: it answers
    // once that page has loaded, as in the user's Chrome.
    let headless = cmd.headless.unwrap_or(true);
    let chromium = ManagedChromium::launch(headless, "about:blank", chrome_path, profile.as_deref(), &flags)
        .await
        .map_err(failed)?;
    let ws = browser_ws_url("127.0.0.1", chromium.port).await.map_err(failed)?;
    let cdp = DirectCdp::connect(&ws).await.map_err(failed)?;
    let mut session = BrowserSession::new(id, Mode::Managed, caller, Arc::new(cdp), Some(chromium));
    let version = session.call("Browser.getVersion", json!({}), None).await?;
    let setup = launch_settings::page_setup(&settings, version["userAgent"].as_str().unwrap_or_default())?;
    if let Some(dir) = &settings.downloads_dir {
        session = session.with_download_dir(dir.into());
    }
    {
        let mut state = session.state();
        state.page_setup = setup;
        state.origin_rules = launch_settings::OriginRules::of(&settings);
    }
    let session = register(sessions, session, "launch_failed").await?;
    if let Some(state) = state {
        if let Err(e) = storage_state::apply(&session, &state).await {
            sessions.remove(&session.id);
            return Err(e.into());
        }
    }
    Ok(Managed::Opened(session))
}
