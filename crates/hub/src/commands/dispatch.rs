//! Runs one daemon command. The wire name picks the contract type
//! (`opendevbrowser_api::commands`), its params are read off the wire with the contract's
//! rules, and the type's handler runs: [`HubCommand`] for hub-wide commands,
//! [`SessionCommand`] for commands in a browser session (whose session, ownership and
//! binding are checked first, by [`Call`]). The table is generated from
//! `for_each_command!`, so a command in the contract without a handler here does not
//! compile.

pub use super::call::owner;
pub(crate) use super::call::{Answer, Call};
use crate::commands::params::Params;
use crate::error::{CdpError, HubError};
use crate::sessions::tab_scope::TabUse;
use crate::state::HubCore;
use opendevbrowser_api::command::parse;
use opendevbrowser_api::Command;
use opendevbrowser_browser::BrowserSession;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// A hub-wide command's handler.
pub(crate) trait HubCommand: Command {
    /// Runs the command.
    fn run(self, call: &mut Call<'_>) -> impl Future<Output = Result<Self::Output, HubError>> + Send;
}

/// A session command's handler; the session is already checked.
pub(crate) trait SessionCommand: Command {
    /// The tab the command acts on (a tab-scoped session checks its lease first): the
    /// active one unless the command names another.
    fn tab(&self) -> TabUse<'_> {
        TabUse::Active
    }

    /// Runs the command in `session`.
    fn run(
        self,
        call: &mut Call<'_>,
        session: &Arc<BrowserSession>,
    ) -> impl Future<Output = Result<Self::Output, HubError>> + Send;
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
            crate::sessions::tab_scope::before($call.leases(), &session, command.tab()).await?;
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
        pub(crate) async fn dispatch(hub: &Arc<HubCore>, name: &str, params: &Params) -> Result<Answer, HubError> {
            // A stopping hub finishes what runs and starts nothing new.
            if hub.stopping() {
                return Err(HubError::Cdp(CdpError::ShuttingDown));
            }
            let _running = hub.command_started();
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
