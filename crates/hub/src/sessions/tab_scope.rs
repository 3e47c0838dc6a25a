//! Tab-scoped extension sessions (`session.launch {mode: "extension", scope: "tab"}`):
//! an agent drives tabs of its own in the user's Chrome without the relay-wide binding,
//! so several agents work at once. Each owned tab holds a tab lease (the table is
//! [`crate::leases::tabs`], the rule against the relay binding [`crate::leases::exclusion`]); the
//! extension shows the agent's tabs as one Chrome tab group in the agent's colour.
//!
//! Around every command of such a session: [`before`] renews the lease of the tab it acts
//! on (or answers `tab_busy`), [`after`] leases tabs the command opened, lets go of tabs it
//! closed and regroups. [`end`] releases everything when the session or its owner goes.

use crate::error::HubError;
use crate::leases::binding::Owner;
use crate::leases::service::Leases;
use crate::relay::Relay;
use crate::relay::RelayHandle;
use crate::sessions::open::{new_session_id, open, RelayTransport};
use opendevbrowser_api::commands::SessionInfo;
use opendevbrowser_browser::error::{err, Error as BrowserFailure};
use opendevbrowser_browser::targets::info;
use opendevbrowser_browser::{BrowserSession, Mode, Sessions};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// How long the hub waits for the extension to open, group or ungroup a tab.
const TAB_CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Chrome's tab group colours; an agent gets one by its name.
const COLORS: [&str; 9] = ["blue", "red", "yellow", "green", "pink", "purple", "cyan", "orange", "grey"];

/// Whether `session` is tab-scoped.
pub(crate) fn is_tab_scoped(session: &BrowserSession) -> bool {
    session.state().scope.is_some()
}

/// The tab group colour of `owner` (stable for a name).
pub(crate) fn color_of(owner: &Owner) -> &'static str {
    let hash = owner.to_string().bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
    COLORS[hash as usize % COLORS.len()]
}

/// Opens a tab for `caller`, leases it, and starts a session scoped to it (the caller
/// checked that tabs may be leased and waited for the extension).
pub(crate) async fn launch(
    (leases, relay_handle, sessions): (&Leases, RelayHandle, &Sessions),
    caller: Owner,
    start_url: &str,
) -> Result<SessionInfo, HubError> {
    let relay = relay_handle.current();
    let created = relay
        .call("Target.createTarget", Some(json!({"url": start_url, "background": true})), None, TAB_CALL_TIMEOUT)
        .await?;
    let target = created["targetId"].as_str().unwrap_or_default().to_owned();
    let id = new_session_id();
    let lease = match leases.claim_tab(&target, &caller, &id) {
        Ok(lease) => lease,
        Err(refused) => {
            close_tab(&relay, &target).await;
            return Err(refused.into());
        }
    };
    let session = BrowserSession::new(id, Mode::Extension, caller, Arc::new(RelayTransport(relay_handle)), None);
    {
        let mut state = session.state();
        state.scope = Some(BTreeSet::from([target.clone()]));
        state.activate(&target);
        state.relink(&relay.link_id());
    }
    let session = match open(sessions, session, "launch_failed").await {
        Ok(session) => session,
        Err(e) => {
            leases.release_tab(&target);
            close_tab(&relay, &target).await;
            return Err(e);
        }
    };
    group(&relay, &session).await;
    tracing::info!(owner = %session.owner, tab = %target, lease = %lease.lease_id, "tab session opened");
    Ok(SessionInfo { tab_lease_id: Some(lease.lease_id), ..info(&session) })
}

/// Which tab a session command acts on, as its typed params say (a tab-scoped session
/// checks it before the command runs).
pub(crate) enum TabUse<'a> {
    /// The session's active tab (most commands).
    Active,
    /// `targets.use`: make `target` the active tab, waiting up to `wait_ms` for its lease.
    Select {
        /// The tab.
        target: &'a str,
        /// How long to queue for it.
        wait_ms: u64,
    },
    /// `targets.close`: close `target`.
    Close {
        /// The tab.
        target: &'a str,
    },
}

/// Before a command: the tab it acts on must be this session's and still leased to it.
/// Selecting another tab claims that tab (waiting in its queue); closing a tab that is not
/// one's own is refused.
pub(crate) async fn before(leases: &Leases, session: &BrowserSession, tab: TabUse<'_>) -> Result<(), HubError> {
    match tab {
        TabUse::Select { target, wait_ms } => {
            leases.wait_tab(target, &session.owner, &session.id, wait_ms).await?;
            session.state().own(target);
            Ok(())
        }
        TabUse::Close { target } if !session.state().may_use(target) => {
            Err(err("tab_busy", format!("tab {target} is not one of this session's tabs")).into())
        }
        TabUse::Close { .. } => Ok(()),
        TabUse::Active => match session.state().active.clone() {
            Some(active) => Ok(leases.claim_tab(&active, &session.owner, &session.id).map(drop)?),
            None => Ok(()),
        },
    }
}

/// After a command: leases follow the session's own tabs (new ones leased, closed ones
/// let go), and the tab group is redrawn when they changed.
pub(crate) async fn after(leases: &Leases, relay: &Relay, session: &BrowserSession) {
    let own: Vec<String> = session.state().scope.iter().flatten().cloned().collect();
    let leased: BTreeSet<String> =
        leases.tab_leases().into_iter().filter(|(_, l)| l.session_id == session.id).map(|(t, _)| t).collect();
    let mut changed = false;
    for target in &own {
        if !leased.contains(target) {
            changed = true;
            if leases.claim_tab(target, &session.owner, &session.id).is_err() {
                session.state().forget(target); // someone else's now
            }
        }
    }
    for gone in leased.iter().filter(|t| !own.contains(t)) {
        leases.release_tab(gone);
    }
    // A tab claimed with `targets.use` (its lease taken before the command) joins too.
    changed |= {
        let state = session.state();
        own.iter().any(|t| !state.grouped.contains(t))
    };
    if changed {
        group(relay, session).await;
    }
}

/// Makes sure a tab-scoped session has a tab to act on: when every tab of its own was
/// closed (by the user), it opens a new one and makes it active; [`after`] then leases it
/// and puts it in the agent's tab group. Other failures are left for the command to report.
pub(crate) async fn ensure_tab(session: &BrowserSession) -> Result<(), HubError> {
    for _ in 0..3 {
        match session.active_ignoring_dialogs().await {
            Ok(_) => return Ok(()),
            // The active tab was closed (and is forgotten now): another tab of its own may
            // take over; with none left, a new one is opened.
            Err(BrowserFailure::Browser(e)) if e.code == "tab_closed" => {
                if session.state().scope.as_ref().is_some_and(|own| own.is_empty()) {
                    break;
                }
            }
            Err(BrowserFailure::Browser(e)) if e.code == "unknown_target" => break,
            Err(_) => return Ok(()),
        }
    }
    let created = session.call("Target.createTarget", json!({"url": "about:blank", "background": true}), None).await?;
    let target = created["targetId"].as_str().unwrap_or_default().to_owned();
    if target.is_empty() {
        return Err(err("launch_failed", "the browser opened no tab for this session").into());
    }
    let mut state = session.state();
    state.own(&target);
    state.activate(&target);
    tracing::info!(owner = %session.owner, tab = %target, "the session's tabs were closed: it goes on in a new one");
    Ok(())
}

/// The session (or its owner) is gone: its tab leases end, its tabs leave their group and
/// the debugger lets go of them (other agents' tabs stay attached).
pub(crate) async fn end(leases: &Leases, relay: &Relay, session: &BrowserSession) {
    let tabs = leases.release_session_tabs(&session.id);
    let flat: Vec<String> = {
        let state = session.state();
        state.targets.values().map(|t| t.cdp_session.clone()).filter(|s| !s.is_empty()).collect()
    };
    if !tabs.is_empty() {
        let ungroup = relay.call("Extension.ungroupTabs", Some(json!({"targetIds": tabs})), None, TAB_CALL_TIMEOUT);
        if let Err(e) = ungroup.await {
            tracing::debug!(error = %e, "the extension did not ungroup the tabs");
        }
    }
    for cdp in flat {
        let detach = relay.call("Target.detachFromTarget", Some(json!({"sessionId": cdp})), None, TAB_CALL_TIMEOUT);
        let _ = detach.await;
    }
    tracing::info!(owner = %session.owner, tabs = tabs.len(), "tab session ended");
}

/// How long after the extension pairs the hub asks it to tidy the agent groups of sessions
/// that no longer exist: time for clients whose hub restarted to claim their tabs again.
pub(crate) const TIDY_AFTER: Duration = Duration::from_secs(30);

/// Each time the extension pairs (a new hub, a restarted worker, a reconnect), and `after`
/// that, asks it to tidy agent tab groups (`Extension.tidyAgentTabs {keep}`): the tabs of
/// groups whose session no longer exists (a hub killed before it could ungroup them, an
/// agent gone while the extension was away) leave their group, and those a client opened
/// are closed; `keep` lists every tab a live session owns. Our extension also leaves alone
/// groups changed in the last 30 s; one that does not know the request ignores it.
pub(crate) async fn tidy_after_pairing(
    relay: RelayHandle,
    sessions: Arc<Sessions>,
    leases: Arc<Leases>,
    after: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let step = after.clamp(Duration::from_millis(20), Duration::from_secs(1));
    let mut seen = String::new();
    let mut due: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(step) => {}
        }
        let current = relay.current();
        if !current.handshake_complete() {
            continue;
        }
        let link = current.link_id();
        if link != seen {
            seen = link;
            due = Some(tokio::time::Instant::now() + after);
        }
        if due.is_some_and(|at| tokio::time::Instant::now() >= at) {
            due = None;
            let mut keep: BTreeSet<String> = leases.tab_leases().into_iter().map(|(t, _)| t).collect();
            for session in sessions.all() {
                keep.extend(session.state().scope.iter().flatten().cloned());
            }
            let asked = current.call("Extension.tidyAgentTabs", Some(json!({"keep": keep})), None, TAB_CALL_TIMEOUT);
            match asked.await {
                Ok(done) => tracing::info!(%done, "agent tab groups of ended sessions tidied"),
                Err(e) => tracing::debug!(error = %e, "the extension did not tidy agent tab groups"),
            }
        }
    }
}

/// Asks the extension to show the session's tabs as one group titled with the agent's
/// name (best effort: an extension without tab groups still works).
async fn group(relay: &Relay, session: &BrowserSession) {
    let tabs: Vec<String> = session.state().scope.iter().flatten().cloned().collect();
    if tabs.is_empty() {
        return;
    }
    session.state().grouped = tabs.iter().cloned().collect();
    let params = json!({"targetIds": tabs, "title": session.owner.instance_id, "color": color_of(&session.owner)});
    if let Err(e) = relay.call("Extension.groupTabs", Some(params), None, TAB_CALL_TIMEOUT).await {
        tracing::debug!(error = %e, "the extension did not group the tabs");
    }
}

async fn close_tab(relay: &Relay, target: &str) {
    let _ = relay.call("Target.closeTarget", Some(json!({"targetId": target})), None, TAB_CALL_TIMEOUT).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_keeps_its_colour_and_colours_are_chromes_own() {
        let a = Owner { client_id: "c".into(), instance_id: "claude-1".into() };
        assert_eq!(color_of(&a), color_of(&a.clone()));
        let seen: BTreeSet<&str> =
            (0..40).map(|n| color_of(&Owner { client_id: "c".into(), instance_id: format!("agent-{n}") })).collect();
        assert!(seen.len() >= 5, "names spread over the colours: {seen:?}");
        assert!(seen.iter().all(|c| COLORS.contains(c)));
    }
}
