//! Detaching the debugger from the user's tabs when nobody is using the browser, so
//! Chrome's "… started debugging this browser" bar does not stay up for nothing. The
//! rule is a pure state machine ([`IdleDetach`], time passed in); [`run`] feeds it the
//! hub's state once a tick and asks the extension to detach (`cdp_control` `detach_all`).
//! The next extension command attaches again by itself.

use crate::leases::service::Leases;
use crate::relay::RelayHandle;
use opendevbrowser_browser::Sessions;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The default idle time before detaching.
pub const DEFAULT_IDLE_DETACH: Duration = Duration::from_secs(60);

/// When to detach: after `after_ms` of continuous idleness, once per idle period.
#[derive(Debug, Clone)]
pub struct IdleDetach {
    after_ms: u64,
    idle_since: Option<u64>,
    detached: bool,
}

impl IdleDetach {
    /// A rule that detaches after `after_ms` idle.
    pub fn new(after_ms: u64) -> Self {
        IdleDetach { after_ms, idle_since: None, detached: false }
    }

    /// One observation at `now_ms`: `busy` when a binding is held, an extension browser
    /// session is open, a `/cdp` client is connected or a command is in flight. Returns
    /// true when the tabs should be detached now.
    pub fn observe(&mut self, now_ms: u64, busy: bool) -> bool {
        if busy {
            self.idle_since = None;
            self.detached = false;
            return false;
        }
        let since = *self.idle_since.get_or_insert(now_ms);
        if self.detached || now_ms.saturating_sub(since) < self.after_ms {
            return false;
        }
        self.detached = true;
        true
    }

    /// The detach could not be delivered (no extension connected): try again on a later
    /// observation, so an extension that comes back to an idle hub is detached too.
    pub fn undelivered(&mut self) {
        self.detached = false;
    }
}

/// What the watcher looks at: the lease, the relay and the browser sessions.
pub struct Watched {
    /// The binding lease (a binding means someone is acting).
    pub leases: Arc<Leases>,
    /// The current relay (a `/cdp` client or a command in flight means someone is acting).
    pub relay: RelayHandle,
    /// The open sessions (an extension session means someone is acting).
    pub sessions: Arc<Sessions>,
}

impl Watched {
    /// Whether anyone is using the browser through the extension right now.
    fn busy(&self) -> bool {
        let relay = self.relay.current().status();
        self.leases.snapshot().0.is_some()
            || self.sessions.has_extension_sessions()
            || relay.cdp_connected
            || relay.pending_commands > 0
    }
}

/// Watches until `stop` turns true, detaching idle tabs after `after`.
pub async fn run(watched: Watched, after: Duration, mut stop: watch::Receiver<bool>) {
    let mut rule = IdleDetach::new(after.as_millis() as u64);
    let tick = (after / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
    let started = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now_ms = started.elapsed().as_millis() as u64;
        if rule.observe(now_ms, watched.busy()) {
            if watched.relay.current().send_control("detach_all") {
                tracing::info!("nobody used the browser for {after:?}: the extension detaches its tabs");
            } else {
                rule.undelivered();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detaches_once_after_continuous_idleness() {
        let mut rule = IdleDetach::new(1_000);
        assert!(!rule.observe(0, false), "idleness starts now");
        assert!(!rule.observe(999, false));
        assert!(rule.observe(1_000, false));
        assert!(!rule.observe(5_000, false), "once per idle period");
    }

    #[test]
    fn any_activity_restarts_the_clock_and_rearms() {
        let mut rule = IdleDetach::new(1_000);
        rule.observe(0, false);
        assert!(!rule.observe(800, true));
        assert!(!rule.observe(1_500, false), "idle again from 1500");
        assert!(!rule.observe(2_400, false));
        assert!(rule.observe(2_500, false));
        rule.observe(3_000, true);
        rule.observe(3_100, false);
        assert!(rule.observe(4_100, false), "re-armed by the activity at 3000");
    }

    #[test]
    fn an_undelivered_detach_is_tried_again() {
        let mut rule = IdleDetach::new(100);
        rule.observe(0, false);
        assert!(rule.observe(100, false));
        rule.undelivered();
        assert!(rule.observe(150, false), "the extension was away; it is detached when seen");
    }
}
