//! Browser sessions as the hub runs them: opening (`session.launch`, `session.connect`)
//! and closing (`session.disconnect`) need the hub's relay, leases and session registry;
//! every other session command is the browser layer's (`opendevbrowser_browser`) and is
//! handed to it once `dispatch` has checked the caller. How a session is opened is
//! [`crate::sessions::open`]; tab-scoped extension sessions are [`crate::sessions::tab_scope`].

use crate::commands::dispatch::{Call, HubCommand, SessionCommand};
use crate::error::HubError;
use crate::sessions::managed::Managed;
use crate::sessions::open::{new_session_id, open, RelayTransport};
use crate::sessions::tab_scope::TabUse;
use opendevbrowser_api::commands::*;
use opendevbrowser_browser::error::err;
use opendevbrowser_browser::targets::info;
use opendevbrowser_browser::{nav, BrowserSession, Mode, SessionOp};
use serde_json::json;
use std::sync::Arc;

impl HubCommand for Launch {
    async fn run(self, call: &mut Call<'_>) -> Result<SessionInfo, HubError> {
        let caller = call.owner()?;
        let start_url = self.start_url.clone().unwrap_or_else(|| "about:blank".to_owned());
        let managed_only = self.profile.is_some() || self.storage_state.is_some();
        let mode = match self.mode.as_deref() {
            Some("managed") => Mode::Managed,
            Some("extension") if managed_only => {
                let message = "profile and storageState are for managed sessions (mode managed): the user's Chrome \
                               keeps its own logins";
                return Err(err("invalid_mode", message).into());
            }
            None if managed_only => Mode::Managed,
            Some("extension") => Mode::Extension,
            // No mode: the user's Chrome when the extension is paired, or was paired with
            // this relay (it is coming back: a restarting worker must not send the session
            // to another browser silently); a managed Chromium when it has never been seen.
            None if call.relay().handshake_complete() => Mode::Extension,
            None if call.relay().status().extension_last_seen_at.is_some() => Mode::Extension,
            None => Mode::Managed,
            Some(other) => {
                return Err(
                    err("invalid_mode", format!("mode must be \"extension\" or \"managed\", not {other:?}")).into()
                )
            }
        };
        let id = new_session_id();
        let session = match mode {
            Mode::Extension if self.scope.as_deref() == Some("tab") => {
                call.leases().may_lease_tabs(&caller, self.wait_ms.unwrap_or(0)).await?;
                call.wait_until_ready().await?;
                let handles = (call.leases().as_ref(), call.relay_handle(), call.sessions().as_ref());
                return crate::sessions::tab_scope::launch(handles, caller, &start_url).await;
            }
            Mode::Extension => {
                call.require_binding()?;
                call.wait_until_ready().await?;
                let relay = Arc::new(RelayTransport(call.relay_handle()));
                let session = BrowserSession::new(id, Mode::Extension, caller, relay, None);
                session.relink(&call.relay().link_id());
                open(call.sessions(), session, "launch_failed").await?
            }
            _ => match crate::sessions::managed::open(&self, (call.sessions(), call.profiles_dir()), caller, id).await?
            {
                Managed::Existing(own) => return Ok(info(&own)), // the caller's own, on its profile
                Managed::Opened(session) => session,
            },
        };
        if start_url != "about:blank" {
            nav::navigate(&session, &start_url, "load", 30_000).await?;
        }
        Ok(info(&session))
    }
}

impl HubCommand for Connect {
    async fn run(self, call: &mut Call<'_>) -> Result<SessionInfo, HubError> {
        let caller = call.owner()?;
        let session = crate::sessions::remote::session(self, caller).await?;
        let session = open(call.sessions(), session, "connect_failed").await?;
        Ok(info(&session))
    }
}

impl SessionCommand for Disconnect {
    async fn run(self, call: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<Disconnected, HubError> {
        call.sessions().remove(&session.id);
        if session.mode == Mode::Connected && self.close_browser == Some(true) {
            let _ = session.call("Browser.close", json!({}), None).await;
        }
        let mut released = false;
        if crate::sessions::tab_scope::is_tab_scoped(session) {
            crate::sessions::tab_scope::end(call.leases(), &call.relay(), session).await;
        } else if session.mode == Mode::Extension {
            call.relay().send_control("detach_all");
            if let Some(binding) = call.binding_id()? {
                released = call.leases().release(&session.owner, binding).is_ok();
            }
        }
        Ok(Disconnected { ok: true, binding_released: released })
    }
}

impl SessionCommand for Goto {
    async fn run(self, _: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<Navigated, HubError> {
        if crate::sessions::tab_scope::is_tab_scoped(session) {
            // An agent whose tabs were all closed navigates in a new one of its own.
            crate::sessions::tab_scope::ensure_tab(session).await?;
        }
        Ok(SessionOp::run(self, session).await?)
    }
}

impl SessionCommand for UseTarget {
    fn tab(&self) -> TabUse<'_> {
        TabUse::Select { target: &self.target_id, wait_ms: self.wait_ms.unwrap_or(0) }
    }

    async fn run(self, _: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<ActiveTarget, HubError> {
        Ok(SessionOp::run(self, session).await?)
    }
}

impl SessionCommand for CloseTarget {
    fn tab(&self) -> TabUse<'_> {
        TabUse::Close { target: &self.target_id }
    }

    async fn run(self, _: &mut Call<'_>, session: &Arc<BrowserSession>) -> Result<Done, HubError> {
        Ok(SessionOp::run(self, session).await?)
    }
}

/// Session commands that are the browser layer's alone.
macro_rules! in_browser_layer {
    ($($ty:ty),* $(,)?) => {$(
        impl SessionCommand for $ty {
            async fn run(
                self,
                _: &mut Call<'_>,
                session: &Arc<BrowserSession>,
            ) -> Result<<$ty as opendevbrowser_api::Command>::Output, HubError> {
                Ok(SessionOp::run(self, session).await?)
            }
        }
    )*};
}

in_browser_layer!(
    SessionStatus,
    NetworkBody,
    Cookies,
    StorageItems,
    SaveStorage,
    LoadStorage,
    Route,
    Unroute,
    ListRoutes,
    HarStart,
    HarStop,
    TraceStart,
    TraceStop,
    Vitals,
    Emulate,
    Pdf,
    ListTargets,
    NewTarget,
    OpenPage,
    ListPages,
    ClosePage,
    Back,
    Forward,
    Reload,
    Wait,
    Snapshot,
    Find,
    Click,
    Hover,
    Drag,
    Check,
    Fill,
    Upload,
    TypeText,
    Press,
    Select,
    Scroll,
    ScrollIntoView,
    GetHtml,
    GetText,
    GetAttr,
    GetValue,
    IsVisible,
    IsEnabled,
    IsChecked,
    Screenshot,
    Dialog,
    Evaluate,
    Download,
    ConsolePoll,
    NetworkPoll,
    Perf,
);
