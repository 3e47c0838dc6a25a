//! One command call in progress ([`Call`]): who calls (the envelope's `clientId`,
//! `instanceId`, `bindingId`, `sessionId`), the warnings gathered for the answer, and the
//! narrow handles a handler may use: the leases, the relay, the browser sessions. It also
//! checks a session command's session (owner, binding, the extension's readiness).

use crate::commands::params::{opt_str, opt_u64, req_str, Params};
use crate::error::{CdpError, HubError};
use crate::leases::binding::Owner;
use crate::leases::service::Leases;
use crate::relay::{Relay, RelayHandle};
use crate::state::HubCore;
use opendevbrowser_api::commands::MAX_TIMEOUT_MS;
use opendevbrowser_api::envelope;
use opendevbrowser_api::status::HubStatus;
use opendevbrowser_browser::error::err;
use opendevbrowser_browser::{BrowserSession, Mode, Sessions};
use pairing::ReadinessWait;
use serde_json::Value;
use std::sync::Arc;

/// Default time an extension command waits for the extension's handshake.
pub(crate) const DEFAULT_READY_TIMEOUT_MS: u64 = 10_000;

/// A command's answer: data plus warnings for the caller.
pub(crate) struct Answer {
    /// The `data` field.
    pub data: Value,
    /// Human-readable warnings (e.g. a clamped timeout).
    pub warnings: Vec<String>,
}

impl From<Value> for Answer {
    fn from(data: Value) -> Self {
        Answer { data, warnings: Vec::new() }
    }
}

/// One call in progress: the call's envelope (who calls, with which binding and session),
/// the warnings gathered for the answer, and narrow handles to the parts of the hub a
/// handler may use (the lease, the relay, the browser sessions).
pub(crate) struct Call<'a> {
    hub: &'a Arc<HubCore>,
    envelope: &'a Params,
    warnings: Vec<String>,
}

impl<'a> Call<'a> {
    /// A call with the wire `params` object (the command's params and the envelope fields).
    pub(crate) fn new(hub: &'a Arc<HubCore>, envelope: &'a Params) -> Self {
        Call { hub, envelope, warnings: Vec::new() }
    }

    /// The caller: `clientId` (required) and `instanceId` (default `"default"`).
    pub(crate) fn owner(&self) -> Result<Owner, HubError> {
        owner(self.envelope)
    }

    /// Where named browser profiles live.
    pub(crate) fn profiles_dir(&self) -> &'a std::path::Path {
        self.hub.profiles_dir()
    }

    /// The binding lease.
    pub(crate) fn leases(&self) -> &'a Arc<Leases> {
        self.hub.leases()
    }

    /// The current relay.
    pub(crate) fn relay(&self) -> Relay {
        self.hub.relay()
    }

    /// A handle that follows relay restarts (for what outlives this call).
    pub(crate) fn relay_handle(&self) -> RelayHandle {
        self.hub.relay_handle()
    }

    /// The open browser sessions.
    pub(crate) fn sessions(&self) -> &'a Arc<Sessions> {
        self.hub.sessions()
    }

    /// The hub's `/status`.
    pub(crate) fn hub_status(&self) -> HubStatus {
        self.hub.status()
    }

    /// This hub's instance id.
    pub(crate) fn hub_instance_id(&self) -> &'a str {
        self.hub.instance_id()
    }

    /// Restarts the relay on its port (`relay.restart`).
    pub(crate) async fn restart_relay(&self) -> Result<Relay, HubError> {
        self.hub.restart_relay().await
    }

    /// The `bindingId` the caller sent, if any.
    pub(crate) fn binding_id(&self) -> Result<Option<&'a str>, HubError> {
        opt_str(self.envelope, envelope::BINDING_ID)
    }

    /// Checks the caller's binding (for commands that drive the user's Chrome).
    pub(crate) fn require_binding(&self) -> Result<Owner, HubError> {
        let owner = self.owner()?;
        self.hub.leases().require(&owner, self.binding_id()?)?;
        Ok(owner)
    }

    /// Waits for the extension's handshake (`readyTimeoutMs`, default 10 s).
    pub(crate) async fn wait_until_ready(&mut self) -> Result<(), HubError> {
        let ready = opt_u64(self.envelope, envelope::READY_TIMEOUT_MS, MAX_TIMEOUT_MS)?;
        wait_until_ready(self.hub, ready.unwrap_or(DEFAULT_READY_TIMEOUT_MS), &mut self.warnings).await
    }

    /// The session named by `sessionId`, checked against the caller (and, for an extension
    /// session, the binding and the extension's readiness).
    pub(super) async fn session(&mut self) -> Result<Arc<BrowserSession>, HubError> {
        let id = req_str(self.envelope, envelope::SESSION_ID)?;
        let session = self.hub.sessions().get(id).ok_or_else(|| {
            HubError::from(err(
                "unknown_session",
                format!("no session {id}: it was disconnected or never existed (session.launch)"),
            ))
        })?;
        let caller = self.owner()?;
        if caller != session.owner {
            let message = format!("session {id} belongs to {}", session.owner);
            return Err(err("session_not_owned", message).into());
        }
        if session.mode == Mode::Extension {
            // A tab-scoped session needs no relay binding: its tab leases are checked instead.
            if !crate::sessions::tab_scope::is_tab_scoped(&session) {
                self.require_binding()?;
            }
            self.wait_until_ready().await?;
            // The extension paired again since this session's last command (its service
            // worker restarted, or it reconnected): none of its flat sessions exist any
            // more, so its tabs are attached again as commands need them.
            if session.relink(&self.relay().link_id()) {
                tracing::info!(session = %session.id, "the extension paired again: the session's tabs attach anew");
            }
        }
        Ok(session)
    }

    pub(super) fn answer<T: serde::Serialize>(self, out: T) -> Result<Answer, HubError> {
        let data = serde_json::to_value(out).map_err(|e| HubError::InvalidRequest(e.to_string()))?;
        Ok(Answer { data, warnings: self.warnings })
    }
}

/// The caller's identity: `clientId` (required) and `instanceId` (default `"default"`).
pub fn owner(params: &Params) -> Result<Owner, HubError> {
    let client_id = req_str(params, envelope::CLIENT_ID)?.to_owned();
    let instance_id = opt_str(params, envelope::INSTANCE_ID)?;
    let instance_id = instance_id.filter(|s| !s.trim().is_empty()).unwrap_or("default").to_owned();
    Ok(Owner { client_id, instance_id })
}

/// Waits until the extension's handshake is complete, polling on the shared readiness
/// backoff (250 ms doubling to 2 s) up to a timeout clamped to at least 3 s.
pub(crate) async fn wait_until_ready(
    hub: &HubCore,
    timeout_ms: u64,
    warnings: &mut Vec<String>,
) -> Result<(), HubError> {
    let clock = hub.leases().clock();
    let (mut wait, clamped) = ReadinessWait::start(clock.now(), timeout_ms);
    if let Some(c) = clamped {
        warnings.push(c.to_string());
    }
    loop {
        let relay = hub.relay();
        if relay.handshake_complete() {
            return Ok(());
        }
        match wait.next_poll_at(clock.now()) {
            Some(at) => tokio::time::sleep_until(clock.instant(at)).await,
            None if relay.status().extension_connected => return Err(CdpError::HandshakeIncomplete.into()),
            None => return Err(CdpError::NotConnected.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn waiting_for_an_extension_that_never_comes_ends_at_the_timeout_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let hub = HubCore::in_memory(dir.path());
        let (started, mut warnings) = (Instant::now(), Vec::new());
        let refused = wait_until_ready(&hub, 10_000, &mut warnings).await.unwrap_err();
        assert_eq!(refused.code(), "extension_not_connected");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(10) && waited <= Duration::from_millis(10_100), "{waited:?}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_too_short_for_a_worker_to_wake_is_lengthened_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let hub = HubCore::in_memory(dir.path());
        let (started, mut warnings) = (Instant::now(), Vec::new());
        wait_until_ready(&hub, 500, &mut warnings).await.unwrap_err();
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3_100), "{waited:?}");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("3000"), "the warning names the time used: {warnings:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_caller_needs_a_client_id_and_a_blank_instance_is_the_default_one() {
        let dir = tempfile::tempdir().unwrap();
        let hub = HubCore::in_memory(dir.path());
        let envelope = Params::new();
        let call = Call::new(&hub, &envelope);
        assert_eq!(call.owner().unwrap_err().code(), "invalid_param");
        let named: Params = serde_json::from_value(serde_json::json!({"clientId": "c", "instanceId": " "})).unwrap();
        let owner = Call::new(&hub, &named).owner().unwrap();
        assert_eq!((owner.client_id.as_str(), owner.instance_id.as_str()), ("c", "default"));
    }
}
