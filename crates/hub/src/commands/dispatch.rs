//! Runs one daemon command. The wire name picks the contract type
//! (`opendevbrowser_api::commands`), its params are read off the wire with the contract's
//! rules, and the type's handler runs: [`HubCommand`] for hub-wide commands,
//! [`SessionCommand`] for commands in a browser session (whose session, ownership and
//! binding are checked first). The table is generated from `for_each_command!`, so a
//! command in the contract without a handler here does not compile.

use crate::commands::params::{opt_str, opt_u64, req_str, Params};
use crate::daemon::core::HubCore;
use crate::error::{CdpError, HubError};
use crate::leases::binding::Owner;
use crate::leases::service::Leases;
use crate::relay::Relay;
use crate::relay::RelayHandle;
use opendevbrowser_api::command::parse;
use opendevbrowser_api::commands::MAX_TIMEOUT_MS;
use opendevbrowser_api::envelope;
use opendevbrowser_api::status::HubStatus;
use opendevbrowser_api::Command;
use opendevbrowser_browser::error::err;
use opendevbrowser_browser::Sessions;
use opendevbrowser_browser::{BrowserSession, Mode};
use pairing::ReadinessWait;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// Default time an extension command waits for the extension's handshake.
pub const DEFAULT_READY_TIMEOUT_MS: u64 = 10_000;

/// A command's answer: data plus warnings for the caller.
pub struct Answer {
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
pub struct Call<'a> {
    hub: &'a Arc<HubCore>,
    envelope: &'a Params,
    warnings: Vec<String>,
}

impl<'a> Call<'a> {
    /// A call with the wire `params` object (the command's params and the envelope fields).
    pub fn new(hub: &'a Arc<HubCore>, envelope: &'a Params) -> Self {
        Call { hub, envelope, warnings: Vec::new() }
    }

    /// The caller: `clientId` (required) and `instanceId` (default `"default"`).
    pub fn owner(&self) -> Result<Owner, HubError> {
        owner(self.envelope)
    }

    /// Where named browser profiles live.
    pub fn profiles_dir(&self) -> &'a std::path::Path {
        self.hub.profiles_dir()
    }

    /// The binding lease.
    pub fn leases(&self) -> &'a Arc<Leases> {
        self.hub.leases()
    }

    /// The current relay.
    pub fn relay(&self) -> Relay {
        self.hub.relay()
    }

    /// A handle that follows relay restarts (for what outlives this call).
    pub fn relay_handle(&self) -> RelayHandle {
        self.hub.relay_handle()
    }

    /// The open browser sessions.
    pub fn sessions(&self) -> &'a Arc<Sessions> {
        self.hub.sessions()
    }

    /// The hub's `/status`.
    pub fn hub_status(&self) -> HubStatus {
        self.hub.status()
    }

    /// This hub's instance id.
    pub fn hub_instance_id(&self) -> &'a str {
        self.hub.instance_id()
    }

    /// Restarts the relay on its port (`relay.restart`).
    pub async fn restart_relay(&self) -> Result<Relay, HubError> {
        self.hub.restart_relay().await
    }

    /// The `bindingId` the caller sent, if any.
    pub fn binding_id(&self) -> Result<Option<&'a str>, HubError> {
        opt_str(self.envelope, envelope::BINDING_ID)
    }

    /// Checks the caller's binding (for commands that drive the user's Chrome).
    pub fn require_binding(&self) -> Result<Owner, HubError> {
        let owner = self.owner()?;
        self.hub.leases().require(&owner, self.binding_id()?)?;
        Ok(owner)
    }

    /// Waits for the extension's handshake (`readyTimeoutMs`, default 10 s).
    pub async fn wait_until_ready(&mut self) -> Result<(), HubError> {
        let ready = opt_u64(self.envelope, envelope::READY_TIMEOUT_MS, MAX_TIMEOUT_MS)?;
        wait_until_ready(self.hub, ready.unwrap_or(DEFAULT_READY_TIMEOUT_MS), &mut self.warnings).await
    }

    /// The session named by `sessionId`, checked against the caller (and, for an extension
    /// session, the binding and the extension's readiness).
    async fn session(&mut self) -> Result<Arc<BrowserSession>, HubError> {
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

    fn answer<T: serde::Serialize>(self, out: T) -> Result<Answer, HubError> {
        let data = serde_json::to_value(out).map_err(|e| HubError::InvalidRequest(e.to_string()))?;
        Ok(Answer { data, warnings: self.warnings })
    }
}

/// A hub-wide command's handler.
pub trait HubCommand: Command {
    /// Runs the command.
    fn run(self, call: &mut Call<'_>) -> impl Future<Output = Result<Self::Output, HubError>> + Send;
}

/// A session command's handler; the session is already checked.
pub trait SessionCommand: Command {
    /// Runs the command in `session`.
    fn run(
        self,
        call: &mut Call<'_>,
        session: &Arc<BrowserSession>,
    ) -> impl Future<Output = Result<Self::Output, HubError>> + Send;
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
pub async fn wait_until_ready(hub: &HubCore, timeout_ms: u64, warnings: &mut Vec<String>) -> Result<(), HubError> {
    let clock = hub.leases().clock;
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

/// Lists the dialogs the session's policy answered since its last result under
/// `dialogs` in this result (an object; other results keep them for the next one).
fn report_handled_dialogs(session: &BrowserSession, data: &mut Value) {
    if let Value::Object(map) = data {
        let handled = session.take_handled_dialogs();
        if !handled.is_empty() {
            map.insert("dialogs".into(), serde_json::to_value(handled).unwrap_or_default());
        }
    }
}

/// The commands whose answer says what they changed on the page.
const CHANGING: &[&str] = &[
    "interact.click",
    "interact.type",
    "interact.press",
    "interact.select",
    "interact.fill",
    "interact.check",
    "interact.drag",
    "interact.upload",
];

/// Lists what an action changed on the page under `changes` in its result (lines of the
/// snapshot that appeared, went or changed since the agent's last snapshot).
async fn report_changes(session: &BrowserSession, name: &str, data: &mut Value) {
    if !CHANGING.contains(&name) {
        return;
    }
    if let (Value::Object(map), Some(changes)) = (data, opendevbrowser_browser::changes::after_action(session).await) {
        map.insert("changes".into(), serde_json::to_value(changes).unwrap_or_default());
    }
}

/// Runs one command of kind `hub` or `session`.
macro_rules! run_one {
    (hub $ty:path, $call:ident, $params:ident) => {{
        let command: $ty = parse($params)?;
        let out = HubCommand::run(command, &mut $call).await?;
        $call.answer(out)
    }};
    (session $ty:path, $call:ident, $params:ident) => {{
        let session = $call.session().await?;
        let command: $ty = parse($params)?;
        let scoped = crate::sessions::tab_scope::is_tab_scoped(&session);
        if scoped {
            crate::sessions::tab_scope::before($call.leases(), &session, <$ty as Command>::NAME, $params).await?;
        }
        let out = SessionCommand::run(command, &mut $call, &session).await?;
        if scoped && <$ty as Command>::NAME != opendevbrowser_api::commands::Disconnect::NAME {
            crate::sessions::tab_scope::after($call.leases(), &$call.relay(), &session).await;
        }
        let mut answer = $call.answer(out)?;
        report_handled_dialogs(&session, &mut answer.data);
        report_changes(&session, <$ty as Command>::NAME, &mut answer.data).await;
        Ok(answer)
    }};
}

macro_rules! dispatch_table {
    ($($kind:ident $ty:path => $method:ident;)*) => {
        /// Runs the command named `name` with the wire `params`.
        pub async fn dispatch(hub: &Arc<HubCore>, name: &str, params: &Params) -> Result<Answer, HubError> {
            // A stopping hub finishes what runs and starts nothing new.
            if hub.stopping() {
                return Err(HubError::Cdp(CdpError::ShuttingDown));
            }
            let _running = hub.in_flight.begin();
            let mut call = Call::new(hub, params);
            $(
                if name == <$ty as Command>::NAME {
                    return run_one!($kind $ty, call, params);
                }
            )*
            Err(HubError::UnknownCommand(name.to_owned()))
        }
    };
}
opendevbrowser_api::for_each_command!(dispatch_table);
