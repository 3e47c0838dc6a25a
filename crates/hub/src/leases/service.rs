//! The lease tables (relay binding and tab leases, under one lock so
//! [`crate::leases::exclusion`]'s rule holds) with a clock and wake-ups: what the RPC uses.
//! Waiting for the relay (`relay.wait`) sleeps until a release, an expiry or the deadline.

use crate::leases::binding::{Grant, LeaseConfig, LeaseError, LeaseTable, Owner};
use crate::leases::exclusion::{ClaimError, Leasing};
use crate::leases::tabs::{TabLease, TabTable};
use opendevbrowser_api::status::{BindingView, QueueEntry};
use std::sync::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Milliseconds that follow tokio's clock (so tests can pause time) but start at the
/// wall clock (so timestamps read as real dates).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    wall_base_ms: u64,
    base: Instant,
}

impl Clock {
    /// A clock starting now.
    pub(crate) fn new() -> Self {
        Clock { wall_base_ms: opendevbrowser_api::clock::now_ms(), base: Instant::now() }
    }

    /// Now, in ms.
    pub(crate) fn now(&self) -> u64 {
        self.wall_base_ms + self.base.elapsed().as_millis() as u64
    }

    /// The tokio instant for a time in ms.
    pub(crate) fn instant(&self, ms: u64) -> Instant {
        self.base + std::time::Duration::from_millis(ms.saturating_sub(self.wall_base_ms))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// A number in [0, 1) from the OS RNG, for renewal jitter.
pub(crate) fn random_unit() -> f64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// The hub's leases.
pub struct Leases {
    table: Mutex<Leasing>,
    changed: Notify,
    /// The clock every lease time is read from.
    clock: Clock,
}

/// Leaves the queue if a wait is abandoned (its HTTP request dropped) before it is granted.
struct QueueGuard<'a> {
    leases: &'a Leases,
    owner: &'a Owner,
    armed: bool,
}

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.leases.table().relay.dequeue(self.owner);
            self.leases.changed.notify_waiters();
        }
    }
}

impl Leases {
    /// The clock every lease time is read from (tokio's, so tests can pause it).
    pub(crate) fn clock(&self) -> Clock {
        self.clock
    }

    /// Leases with `config`, binding ids prefixed with `id_prefix`.
    pub fn new(config: LeaseConfig, id_prefix: &str) -> Self {
        let tables =
            Leasing { relay: LeaseTable::new(config, id_prefix), tabs: TabTable::new(config.ttl_ms, id_prefix) };
        Leases { table: Mutex::new(tables), changed: Notify::new(), clock: Clock::new() }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Leasing> {
        self.table.lock().expect("lease table lock")
    }

    /// The timing in force.
    pub fn config(&self) -> LeaseConfig {
        self.table().relay.config()
    }

    /// Binds now or fails with `relay_busy`.
    pub fn bind(&self, owner: &Owner) -> Result<Grant, LeaseError> {
        let grant = self.table().bind(owner, self.clock.now(), random_unit())?;
        tracing::info!(owner = %owner, binding = %grant.binding_id, "relay binding granted");
        Ok(grant)
    }

    /// Waits in the FIFO queue for up to `timeout_ms`.
    pub async fn wait(&self, owner: &Owner, timeout_ms: u64) -> Result<Grant, LeaseError> {
        let start = self.clock.now();
        let deadline = start + timeout_ms;
        let mut guard = QueueGuard { leases: self, owner, armed: true };
        let mut announced = false;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = self.clock.now();
            let wake_at = {
                let mut table = self.table();
                let position = table.relay.enqueue(owner, now, deadline);
                match table.bind(owner, now, random_unit()) {
                    Ok(grant) => {
                        guard.armed = false;
                        tracing::info!(owner = %owner, binding = %grant.binding_id, "relay binding granted");
                        return Ok(grant);
                    }
                    Err(LeaseError::Busy { .. } | LeaseError::TabsHeld { .. }) if !announced => {
                        announced = true;
                        tracing::info!(owner = %owner, position, "queued for the relay");
                    }
                    Err(LeaseError::Busy { .. } | LeaseError::TabsHeld { .. }) => {}
                    Err(other) => return Err(other),
                }
                if now >= deadline {
                    let binding_holder = table.relay.current(now).map(|b| b.owner.to_string());
                    let holder = match binding_holder {
                        Some(owner) => owner,
                        None if table.tabs.next_expiry(now).is_some() => "agents holding tabs".into(),
                        None => "the queue ahead of you".into(),
                    };
                    return Err(LeaseError::WaitTimeout { waited_ms: now - start, owner: holder });
                }
                table.next_change(now).map_or(deadline, |at| at.min(deadline))
            };
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(self.clock.instant(wake_at)) => {}
            }
        }
    }

    /// Extends a binding.
    pub fn renew(&self, owner: &Owner, binding_id: &str) -> Result<Grant, LeaseError> {
        self.table().relay.renew(owner, binding_id, self.clock.now(), random_unit())
    }

    /// Ends a binding and wakes the queue.
    pub fn release(&self, owner: &Owner, binding_id: &str) -> Result<(), LeaseError> {
        self.table().relay.release(owner, binding_id, self.clock.now())?;
        self.changed.notify_waiters();
        Ok(())
    }

    /// Ends whatever `owner` holds (its session closed) and wakes the queue: whether it held
    /// the relay binding, and the tabs it held.
    pub fn release_owner(&self, owner: &Owner) -> (bool, Vec<String>) {
        let released = {
            let mut table = self.table();
            (table.relay.release_owner(owner), table.tabs.release_owner(owner))
        };
        self.changed.notify_waiters();
        released
    }

    /// Leases (or renews) a tab for `owner`'s `session`.
    pub fn claim_tab(&self, target: &str, owner: &Owner, session: &str) -> Result<TabLease, ClaimError> {
        self.table().claim_tab(target, owner, session, self.clock.now())
    }

    /// Leases a tab, waiting up to `timeout_ms` in the tab's FIFO queue while another
    /// agent holds it (or while the relay binding is in the way).
    pub async fn wait_tab(
        &self,
        target: &str,
        owner: &Owner,
        session: &str,
        timeout_ms: u64,
    ) -> Result<TabLease, ClaimError> {
        let deadline = self.clock.now() + timeout_ms;
        let result = self
            .wait_for(deadline, |t, now| {
                t.tabs.enqueue(target, owner, now, deadline);
                t.claim_tab(target, owner, session, now)
            })
            .await;
        if result.is_err() {
            self.table().tabs.dequeue(target, owner);
        }
        result
    }

    /// Waits up to `timeout_ms` until `owner` may lease a new tab: no relay binding held,
    /// nobody else waiting for one (checked before opening a tab).
    pub async fn may_lease_tabs(&self, owner: &Owner, timeout_ms: u64) -> Result<(), ClaimError> {
        let deadline = self.clock.now() + timeout_ms;
        self.wait_for(deadline, |t, now| {
            if let Some(b) = t.relay.current(now) {
                return Err(ClaimError::RelayHeld { owner: b.owner.clone(), expires_at: b.expires_at });
            }
            match t.relay.first_waiter(now) {
                Some(waiter) if waiter != *owner => Err(ClaimError::RelayWaiting { owner: waiter }),
                _ => Ok(()),
            }
        })
        .await
    }

    /// Tries `attempt` until it succeeds or `deadline` passes, looking again whenever a
    /// lease is released or one ends; the last refusal when time is up.
    async fn wait_for<T>(
        &self,
        deadline: u64,
        mut attempt: impl FnMut(&mut Leasing, u64) -> Result<T, ClaimError>,
    ) -> Result<T, ClaimError> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = self.clock.now();
            let wake_at = {
                let mut table = self.table();
                match attempt(&mut table, now) {
                    Ok(done) => return Ok(done),
                    Err(refused) if now >= deadline => return Err(refused),
                    Err(_) => table.next_change(now).map_or(deadline, |at| at.min(deadline)),
                }
            };
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(self.clock.instant(wake_at)) => {}
            }
        }
    }

    /// Ends the lease on a tab (it closed) and wakes relay waiters.
    pub fn release_tab(&self, target: &str) {
        self.table().tabs.release(target);
        self.changed.notify_waiters();
    }

    /// Ends every tab lease of `session`; the tabs it held.
    pub fn release_session_tabs(&self, session: &str) -> Vec<String> {
        let released = self.table().tabs.release_session(session);
        self.changed.notify_waiters();
        released
    }

    /// Every live tab lease, by tab (for `/status`).
    pub fn tab_leases(&self) -> Vec<(String, TabLease)> {
        self.table().tabs.leases(self.clock.now())
    }

    /// Checks an extension command's binding.
    pub fn require(&self, owner: &Owner, binding_id: Option<&str>) -> Result<(), LeaseError> {
        self.table().relay.require(owner, binding_id, self.clock.now())
    }

    /// The holder, if any, for checks that only need to know who it is.
    pub fn holder(&self) -> Option<Owner> {
        self.table().relay.current(self.clock.now()).map(|b| b.owner.clone())
    }

    /// Drops all bindings (hub shutdown) and wakes waiters.
    pub fn clear(&self) {
        let mut table = self.table();
        table.relay.clear();
        table.tabs.clear();
        drop(table);
        self.changed.notify_waiters();
    }

    /// `/status` view.
    pub fn snapshot(&self) -> (Option<BindingView>, Vec<QueueEntry>) {
        self.table().relay.snapshot(self.clock.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn owner(name: &str) -> Owner {
        Owner { client_id: "u".into(), instance_id: name.into() }
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gets_the_binding_when_the_holder_releases() {
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "h"));
        let a = leases.bind(&owner("a")).unwrap();
        let waiter = tokio::spawn({
            let leases = leases.clone();
            async move { leases.wait(&owner("b"), 30_000).await }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiter.is_finished());
        leases.release(&owner("a"), &a.binding_id).unwrap();
        let b = waiter.await.unwrap().unwrap();
        assert_ne!(b.binding_id, a.binding_id);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gets_the_binding_when_the_holder_stops_renewing() {
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "h"));
        leases.bind(&owner("a")).unwrap();
        let started = leases.clock.now();
        let b = leases.wait(&owner("b"), 100_000).await.unwrap();
        let waited = leases.clock.now() - started;
        assert_eq!(waited, 60_000, "handed over exactly at the TTL");
        assert!(leases.holder() == Some(owner("b")));
        let _ = b;
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_times_out_with_the_holder_named() {
        let leases = Leases::new(LeaseConfig::default(), "h");
        leases.bind(&owner("a")).unwrap();
        let err = leases.wait(&owner("b"), 5_000).await.unwrap_err();
        assert_eq!(err.code(), "wait_timeout");
        assert!(err.to_string().contains("u/a"), "{err}");
        assert!(leases.snapshot().1.is_empty(), "the timed-out waiter left the queue");
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_fifo_order() {
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "h"));
        let a = leases.bind(&owner("a")).unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for name in ["b", "c", "d"] {
            let (leases, order) = (leases.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let g = leases.wait(&owner(name), 100_000).await.unwrap();
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_secs(1)).await;
                leases.release(&owner(name), &g.binding_id).unwrap();
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        leases.release(&owner("a"), &a.binding_id).unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec!["b", "c", "d"]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_wait_leaves_the_queue() {
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "h"));
        leases.bind(&owner("a")).unwrap();
        let task = tokio::spawn({
            let leases = leases.clone();
            async move { leases.wait(&owner("b"), 100_000).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(leases.snapshot().1.len(), 1);
        task.abort();
        let _ = task.await;
        assert!(leases.snapshot().1.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_tab_waiter_gets_the_tab_when_its_holder_lets_go_and_times_out_otherwise() {
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "h"));
        leases.claim_tab("tab1", &owner("a"), "s1").unwrap();
        let late = leases.wait_tab("tab1", &owner("c"), "s3", 1_000).await.unwrap_err();
        assert_eq!(late.code(), "tab_busy");
        let waiter = tokio::spawn({
            let leases = leases.clone();
            async move { leases.wait_tab("tab1", &owner("b"), "s2", 30_000).await }
        });
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(!waiter.is_finished());
        assert_eq!(leases.release_session_tabs("s1"), vec!["tab1".to_owned()]);
        assert_eq!(waiter.await.unwrap().unwrap().owner, owner("b"));
    }

    #[tokio::test(start_paused = true)]
    async fn tabs_wait_for_the_relay_binding_and_the_binding_waits_for_tabs() {
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "h"));
        let whole = leases.bind(&owner("r")).unwrap();
        let tab_agent = tokio::spawn({
            let leases = leases.clone();
            async move { leases.may_lease_tabs(&owner("a"), 30_000).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!tab_agent.is_finished(), "no tab while the relay is bound");
        leases.release(&owner("r"), &whole.binding_id).unwrap();
        tab_agent.await.unwrap().unwrap();
        leases.claim_tab("tab1", &owner("a"), "s1").unwrap();
        let started = leases.clock.now();
        leases.wait(&owner("r"), 100_000).await.unwrap();
        assert_eq!(leases.clock.now() - started, 60_000, "bound once the unused tab lease ran out");
    }
}
