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
pub(crate) const DEFAULT_IDLE_DETACH: Duration = Duration::from_secs(60);

/// When to detach: after `after_ms` of continuous idleness, once per idle period.
#[derive(Debug, Clone)]
pub(crate) struct IdleDetach {
    after_ms: u64,
    idle_since: Option<u64>,
    detached: bool,
}

impl IdleDetach {
    /// A rule that detaches after `after_ms` idle.
    pub(crate) fn new(after_ms: u64) -> Self {
        IdleDetach { after_ms, idle_since: None, detached: false }
    }

    /// One observation at `now_ms`: `busy` when a binding is held, an extension browser
    /// session is open, a `/cdp` client is connected or a command is in flight. Returns
    /// true when the tabs should be detached now.
    pub(crate) fn observe(&mut self, now_ms: u64, busy: bool) -> bool {
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
    pub(crate) fn undelivered(&mut self) {
        self.detached = false;
    }
}

/// What the watcher looks at: the lease, the relay and the browser sessions.
pub(crate) struct Watched {
    /// The binding lease (a binding means someone is acting).
    pub leases: Arc<Leases>,
    /// The current relay (a `/cdp` client or a command in flight means someone is acting).
    pub relay: RelayHandle,
    /// The open sessions (an extension session means someone is acting).
    pub sessions: Arc<Sessions>,
}

/// What the watcher needs of the hub: whether anyone is acting, and a way to ask the
/// extension to detach (false when it could not be asked: no extension connected).
pub(crate) trait Watch: Send + 'static {
    /// Whether anyone is using the browser through the extension right now.
    fn busy(&self) -> bool;
    /// Asks the extension to detach from every tab.
    fn detach(&self) -> bool;
}

impl Watch for Watched {
    fn busy(&self) -> bool {
        let relay = self.relay.current().status();
        self.leases.snapshot().0.is_some()
            || self.sessions.has_extension_sessions()
            || relay.cdp_connected
            || relay.pending_commands > 0
    }

    fn detach(&self) -> bool {
        self.relay.current().send_control("detach_all")
    }
}

/// Watches until `stop` turns true, detaching idle tabs after `after` (checked every
/// quarter of it, between 100 ms and 5 s).
pub(crate) async fn run(watched: impl Watch, after: Duration, mut stop: watch::Receiver<bool>) {
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
            if watched.detach() {
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

    /// A hub whose busyness the test sets, counting the detaches asked of it at each
    /// (virtual) time.
    #[derive(Clone, Default)]
    struct Fake {
        busy: Arc<std::sync::atomic::AtomicBool>,
        connected: Arc<std::sync::atomic::AtomicBool>,
        detached_at: Arc<std::sync::Mutex<Vec<Duration>>>,
        started: Arc<std::sync::OnceLock<tokio::time::Instant>>,
    }

    impl Watch for Fake {
        fn busy(&self) -> bool {
            self.busy.load(std::sync::atomic::Ordering::SeqCst)
        }

        fn detach(&self) -> bool {
            if !self.connected.load(std::sync::atomic::Ordering::SeqCst) {
                return false;
            }
            let at = self.started.get().expect("started").elapsed();
            self.detached_at.lock().unwrap().push(at);
            true
        }
    }

    fn start(fake: &Fake, after: Duration) -> watch::Sender<bool> {
        let (stop, stopped) = watch::channel(false);
        fake.started.set(tokio::time::Instant::now()).unwrap();
        tokio::spawn(run(fake.clone(), after, stopped));
        stop
    }

    fn detaches(fake: &Fake) -> Vec<Duration> {
        fake.detached_at.lock().unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn the_watcher_detaches_once_a_minute_after_the_last_use_and_not_before() {
        let fake = Fake::default();
        fake.connected.store(true, std::sync::atomic::Ordering::SeqCst);
        fake.busy.store(true, std::sync::atomic::Ordering::SeqCst);
        let _stop = start(&fake, DEFAULT_IDLE_DETACH);
        tokio::time::sleep(Duration::from_secs(300)).await;
        assert!(detaches(&fake).is_empty(), "never while someone uses the browser");
        fake.busy.store(false, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert!(detaches(&fake).is_empty(), "not before a minute of idleness");
        tokio::time::sleep(Duration::from_secs(600)).await;
        let at = detaches(&fake);
        assert_eq!(at.len(), 1, "once per idle period: {at:?}");
        // Idle from the first tick after 300 s (ticks every 5 s): detached within a tick of 360 s.
        assert!(at[0] >= Duration::from_secs(360) && at[0] <= Duration::from_secs(370), "{at:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_extension_that_comes_back_to_an_idle_hub_is_detached_when_seen() {
        let fake = Fake::default();
        let _stop = start(&fake, Duration::from_secs(1));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(detaches(&fake).is_empty(), "nobody to ask");
        fake.connected.store(true, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let at = detaches(&fake);
        assert_eq!(at.len(), 1, "{at:?}");
        assert!(at[0] >= Duration::from_secs(10) && at[0] <= Duration::from_millis(10_250), "the next tick: {at:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_watcher_ends_when_the_hub_stops() {
        let fake = Fake::default();
        let (stop, stopped) = watch::channel(false);
        let watcher = tokio::spawn(run(fake, Duration::from_secs(60), stopped));
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.send_replace(true);
        tokio::time::timeout(Duration::from_millis(10), watcher).await.expect("ended at once").unwrap();
    }

    #[tokio::test]
    async fn the_hub_is_busy_while_a_binding_is_held() {
        use crate::leases::binding::{LeaseConfig, Owner};
        use crate::relay::{Relay, RelayOptions};
        let relay = Relay::new(RelayOptions::new(0, None, "hub-1".into()), 0, None);
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "hub-1"));
        let watched = Watched { leases: leases.clone(), relay: relay.into(), sessions: Default::default() };
        assert!(!watched.busy(), "nobody binds, no session, no /cdp client, nothing in flight");
        assert!(!watched.detach(), "no extension to ask");
        let agent = Owner { client_id: "c".into(), instance_id: "agent".into() };
        leases.bind(&agent).unwrap();
        assert!(watched.busy());
        leases.release_owner(&agent);
        assert!(!watched.busy());
    }
}
