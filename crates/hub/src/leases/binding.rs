//! The relay binding lease, as a pure state machine with time passed in.
//!
//! One owner at a time may drive the extension. An owner is a user's `clientId` plus the
//! plugin process's `instanceId`. A binding lives for [`TTL_MS`] after its last grant or
//! renewal (clients renew every ~20 s, so two missed renewals end it); then it is gone,
//! with no further grace. Others wait in a FIFO queue; `bindingId`s are never reused
//! (they carry the hub's id and a counter), so a stale id is always refused: they are
//! fencing tokens.

use serde_json::{json, Value};
use std::collections::VecDeque;

/// How long a binding lives after its last grant or renewal.
pub(crate) const TTL_MS: u64 = 60_000;
/// How often clients renew.
pub(crate) const RENEW_INTERVAL_MS: u64 = 20_000;
/// Spread of the renewal time, ±.
pub(crate) const RENEW_JITTER_MS: u64 = 2_000;
/// Longest a client may wait in the queue per request.
pub(crate) const WAIT_MAX_MS: u64 = 120_000;

/// Lease timing; the defaults are the numbers above, tests shrink them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseConfig {
    /// Binding lifetime after a grant or renewal.
    pub ttl_ms: u64,
    /// Advised renewal interval.
    pub renew_interval_ms: u64,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig { ttl_ms: TTL_MS, renew_interval_ms: RENEW_INTERVAL_MS }
    }
}

use opendevbrowser_api::status::{BindingView, QueueEntry};
pub(crate) use opendevbrowser_api::Owner;

/// The current binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    /// Fencing token.
    pub binding_id: String,
    /// Holder.
    pub owner: Owner,
    /// When it was first granted (ms).
    pub granted_at: u64,
    /// When it ends unless renewed (ms).
    pub expires_at: u64,
}

/// A granted (or renewed) binding, as the RPC returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Fencing token to send with every extension command.
    pub binding_id: String,
    /// When it ends unless renewed (ms).
    pub expires_at: u64,
    /// When to renew (ms from now).
    pub renew_after_ms: u64,
}

/// Why a lease operation was refused. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseError {
    /// Someone else holds the relay.
    #[error("relay busy: held by {owner} until {}; you would be number {position} in the queue (relay.wait waits for your turn)", opendevbrowser_api::clock::iso8601(*expires_at))]
    Busy {
        /// The holder.
        owner: Owner,
        /// When the holder's binding ends unless renewed (ms).
        expires_at: u64,
        /// Your place in the queue (1 = next).
        position: usize,
        /// How many are waiting.
        queue_length: usize,
    },
    /// An extension command came without a bindingId.
    #[error("this command drives the browser and needs a binding: call relay.bind first and pass its bindingId")]
    Required,
    /// The bindingId is not the current one (expired, released, or from an old hub).
    #[error(
        "bindingId {binding_id} is no longer valid (it expired, was released, or belongs to another hub): bind again"
    )]
    Stale {
        /// The refused id.
        binding_id: String,
    },
    /// Agents hold tabs (tab leases): the whole relay cannot be bound meanwhile.
    #[error(
        "relay busy: agents hold tabs of the browser ({}); relay.wait waits until their tab leases end",
        describe_tab_holders(holders)
    )]
    TabsHeld {
        /// `(tab, holder, lease end in ms)` of each tab lease.
        holders: Vec<(String, Owner, u64)>,
    },
    /// The wait ended before the relay came free.
    #[error("timed out after {waited_ms} ms waiting for the relay binding (still held by {owner})")]
    WaitTimeout {
        /// How long the caller waited.
        waited_ms: u64,
        /// Who holds it.
        owner: String,
    },
}

impl LeaseError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            LeaseError::Busy { .. } | LeaseError::TabsHeld { .. } => "relay_busy",
            LeaseError::Required => "binding_required",
            LeaseError::Stale { .. } => "binding_stale",
            LeaseError::WaitTimeout { .. } => "wait_timeout",
        }
    }

    /// Extra fields for the RPC error object.
    pub fn details(&self) -> Value {
        match self {
            LeaseError::Busy { owner, expires_at, position, queue_length } => json!({
                "owner": owner, "expiresAt": opendevbrowser_api::clock::iso8601(*expires_at), "position": position,
                "queueLength": queue_length,
            }),
            LeaseError::Stale { binding_id } => json!({"bindingId": binding_id}),
            LeaseError::TabsHeld { holders } => {
                json!({"tabHolders": holders.iter().map(|(target, owner, until)| json!({
                "targetId": target, "owner": owner, "expiresAt": opendevbrowser_api::clock::iso8601(*until)})).collect::<Vec<_>>()})
            }
            _ => json!({}),
        }
    }
}

fn describe_tab_holders(holders: &[(String, Owner, u64)]) -> String {
    let each = holders.iter().map(|(target, owner, until)| {
        format!("{owner} on tab {target} until {}", opendevbrowser_api::clock::iso8601(*until))
    });
    each.collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone)]
struct Waiter {
    owner: Owner,
    since: u64,
    deadline: u64,
}

/// The lease table.
#[derive(Debug)]
pub(crate) struct LeaseTable {
    config: LeaseConfig,
    id_prefix: String,
    next_id: u64,
    current: Option<Binding>,
    queue: VecDeque<Waiter>,
}

/// The advised renewal delay: the interval spread by ±[`RENEW_JITTER_MS`] using `unit` in [0, 1).
pub(crate) fn renew_after_ms(config: &LeaseConfig, unit: f64) -> u64 {
    let jitter = RENEW_JITTER_MS.min(config.renew_interval_ms / 4) as f64;
    let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.5 };
    (config.renew_interval_ms as f64 + (unit * 2.0 - 1.0) * jitter).round().max(1.0) as u64
}

impl LeaseTable {
    /// An empty table whose binding ids start with `id_prefix` (the hub's instance id).
    pub(crate) fn new(config: LeaseConfig, id_prefix: &str) -> Self {
        LeaseTable { config, id_prefix: id_prefix.to_owned(), next_id: 1, current: None, queue: VecDeque::new() }
    }

    /// The timing in force.
    pub(crate) fn config(&self) -> LeaseConfig {
        self.config
    }

    /// Drops an expired binding and queue entries whose wait ended.
    pub(crate) fn expire(&mut self, now: u64) {
        if self.current.as_ref().is_some_and(|b| now >= b.expires_at) {
            self.current = None;
        }
        self.queue.retain(|w| w.deadline > now);
    }

    /// The current binding, if any (after expiry at `now`).
    pub(crate) fn current(&mut self, now: u64) -> Option<&Binding> {
        self.expire(now);
        self.current.as_ref()
    }

    fn grant(&mut self, owner: &Owner, now: u64, unit: f64) -> Grant {
        let binding_id = format!("{}-{}", self.id_prefix, self.next_id);
        self.next_id += 1;
        self.queue.retain(|w| w.owner != *owner);
        let expires_at = now + self.config.ttl_ms;
        self.current =
            Some(Binding { binding_id: binding_id.clone(), owner: owner.clone(), granted_at: now, expires_at });
        Grant { binding_id, expires_at, renew_after_ms: renew_after_ms(&self.config, unit) }
    }

    fn busy(&self, owner: &Owner) -> LeaseError {
        let holder = self.current.as_ref();
        let position = self.queue.iter().position(|w| w.owner == *owner).map_or(self.queue.len() + 1, |p| p + 1);
        LeaseError::Busy {
            owner: holder.map_or_else(|| self.queue[0].owner.clone(), |b| b.owner.clone()),
            expires_at: holder.map_or(0, |b| b.expires_at),
            position,
            queue_length: self.queue.len(),
        }
    }

    /// Binds `owner` if the relay is free and nobody queued is ahead; re-binding by the
    /// holder extends its binding (same id). Never queues: see [`enqueue`](Self::enqueue).
    pub(crate) fn bind(&mut self, owner: &Owner, now: u64, unit: f64) -> Result<Grant, LeaseError> {
        self.expire(now);
        match &mut self.current {
            Some(b) if b.owner == *owner => {
                b.expires_at = now + self.config.ttl_ms;
                let (binding_id, expires_at) = (b.binding_id.clone(), b.expires_at);
                Ok(Grant { binding_id, expires_at, renew_after_ms: renew_after_ms(&self.config, unit) })
            }
            Some(_) => Err(self.busy(owner)),
            None => match self.queue.front() {
                Some(head) if head.owner != *owner => Err(self.busy(owner)),
                _ => Ok(self.grant(owner, now, unit)),
            },
        }
    }

    /// Puts `owner` in the FIFO queue until `deadline` (or moves its deadline); returns
    /// its 1-based position.
    pub(crate) fn enqueue(&mut self, owner: &Owner, now: u64, deadline: u64) -> usize {
        self.expire(now);
        if let Some(i) = self.queue.iter().position(|w| w.owner == *owner) {
            self.queue[i].deadline = self.queue[i].deadline.max(deadline);
            return i + 1;
        }
        self.queue.push_back(Waiter { owner: owner.clone(), since: now, deadline });
        self.queue.len()
    }

    /// The first owner waiting in the queue, if any (after expiry at `now`).
    pub(crate) fn first_waiter(&mut self, now: u64) -> Option<Owner> {
        self.expire(now);
        self.queue.front().map(|w| w.owner.clone())
    }

    /// Leaves the queue (a wait that timed out or was abandoned).
    pub(crate) fn dequeue(&mut self, owner: &Owner) {
        self.queue.retain(|w| w.owner != *owner);
    }

    fn check(&mut self, owner: &Owner, binding_id: &str, now: u64) -> Result<(), LeaseError> {
        self.expire(now);
        match &self.current {
            Some(b) if b.binding_id == binding_id && b.owner == *owner => Ok(()),
            _ => Err(LeaseError::Stale { binding_id: binding_id.to_owned() }),
        }
    }

    /// Extends the holder's binding.
    pub(crate) fn renew(&mut self, owner: &Owner, binding_id: &str, now: u64, unit: f64) -> Result<Grant, LeaseError> {
        self.check(owner, binding_id, now)?;
        let b = self.current.as_mut().expect("checked");
        b.expires_at = now + self.config.ttl_ms;
        Ok(Grant {
            binding_id: b.binding_id.clone(),
            expires_at: b.expires_at,
            renew_after_ms: renew_after_ms(&self.config, unit),
        })
    }

    /// Ends the holder's binding.
    pub(crate) fn release(&mut self, owner: &Owner, binding_id: &str, now: u64) -> Result<(), LeaseError> {
        self.check(owner, binding_id, now)?;
        self.current = None;
        Ok(())
    }

    /// Ends whatever `owner` holds and its queue place (its session closed).
    pub(crate) fn release_owner(&mut self, owner: &Owner) -> bool {
        self.dequeue(owner);
        if self.current.as_ref().is_some_and(|b| b.owner == *owner) {
            self.current = None;
            return true;
        }
        false
    }

    /// Checks an extension command's binding: none given, stale, or someone else's.
    pub(crate) fn require(&mut self, owner: &Owner, binding_id: Option<&str>, now: u64) -> Result<(), LeaseError> {
        match binding_id {
            Some(id) => self.check(owner, id, now),
            None if self.current(now).is_some_and(|b| b.owner != *owner) => Err(self.busy(owner)),
            None => Err(LeaseError::Required),
        }
    }

    /// Drops everything (hub shutdown).
    pub(crate) fn clear(&mut self) {
        self.current = None;
        self.queue.clear();
    }

    /// `/status` view: the binding (if held) and the queue.
    pub(crate) fn snapshot(&mut self, now: u64) -> (Option<BindingView>, Vec<QueueEntry>) {
        self.expire(now);
        let queue: Vec<QueueEntry> = self
            .queue
            .iter()
            .enumerate()
            .map(|(i, w)| QueueEntry { owner: w.owner.clone(), position: i + 1, waiting_ms: now - w.since })
            .collect();
        let binding = self.current.as_ref().map(|b| BindingView {
            binding_id: b.binding_id.clone(),
            client_id: b.owner.client_id.clone(),
            instance_id: b.owner.instance_id.clone(),
            owner: b.owner.clone(),
            expires_at: opendevbrowser_api::clock::iso8601(b.expires_at),
            expires_in_ms: b.expires_at.saturating_sub(now),
            queue_length: queue.len(),
        });
        (binding, queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(name: &str) -> Owner {
        Owner { client_id: "user".into(), instance_id: name.into() }
    }

    fn table() -> LeaseTable {
        LeaseTable::new(LeaseConfig::default(), "hub1")
    }

    #[test]
    fn a_second_client_cannot_take_an_active_binding() {
        let mut t = table();
        let a = t.bind(&owner("a"), 0, 0.5).unwrap();
        let err = t.bind(&owner("b"), 1_000, 0.5).unwrap_err();
        assert_eq!(err.code(), "relay_busy");
        assert!(
            matches!(err, LeaseError::Busy { ref owner, expires_at: 60_000, position: 1, .. } if owner.instance_id == "a")
        );
        assert_eq!(t.require(&owner("b"), None, 1_000).unwrap_err().code(), "relay_busy");
        assert_eq!(t.require(&owner("b"), Some(&a.binding_id), 1_000).unwrap_err().code(), "binding_stale");
        assert!(t.require(&owner("a"), Some(&a.binding_id), 1_000).is_ok());
    }

    #[test]
    fn rebinding_by_the_holder_extends_the_same_binding() {
        let mut t = table();
        let first = t.bind(&owner("a"), 0, 0.5).unwrap();
        let again = t.bind(&owner("a"), 30_000, 0.5).unwrap();
        assert_eq!(first.binding_id, again.binding_id);
        assert_eq!(again.expires_at, 90_000);
    }

    #[test]
    fn binding_ends_after_two_missed_renewals_with_no_grace() {
        let mut t = table();
        let g = t.bind(&owner("a"), 0, 0.5).unwrap();
        let g = t.renew(&owner("a"), &g.binding_id, 20_000, 0.5).unwrap();
        assert_eq!(g.expires_at, 80_000);
        assert!(t.current(79_999).is_some(), "alive through the 2nd missed renewal window");
        assert!(t.current(80_000).is_none(), "gone at TTL after the last renewal");
        assert_eq!(t.renew(&owner("a"), &g.binding_id, 80_000, 0.5).unwrap_err().code(), "binding_stale");
    }

    #[test]
    fn release_frees_the_relay_and_the_id_is_never_valid_again() {
        let mut t = table();
        let a = t.bind(&owner("a"), 0, 0.5).unwrap();
        t.release(&owner("a"), &a.binding_id, 10).unwrap();
        let b = t.bind(&owner("b"), 20, 0.5).unwrap();
        assert_ne!(a.binding_id, b.binding_id);
        let a2 = t.release(&owner("b"), &b.binding_id, 30).and_then(|_| t.bind(&owner("a"), 40, 0.5)).unwrap();
        assert_ne!(a2.binding_id, a.binding_id, "ids are fencing tokens, never reused");
        assert_eq!(t.require(&owner("a"), Some(&a.binding_id), 50).unwrap_err().code(), "binding_stale");
    }

    #[test]
    fn the_queue_hands_over_in_fifo_order() {
        let mut t = table();
        let a = t.bind(&owner("a"), 0, 0.5).unwrap();
        assert_eq!(t.enqueue(&owner("b"), 1, 100_000), 1);
        assert_eq!(t.enqueue(&owner("c"), 2, 100_000), 2);
        assert_eq!(t.enqueue(&owner("b"), 3, 100_000), 1, "re-queueing keeps the place");
        t.release(&owner("a"), &a.binding_id, 10).unwrap();
        assert_eq!(t.bind(&owner("c"), 11, 0.5).unwrap_err().code(), "relay_busy", "c may not jump b");
        let b = t.bind(&owner("b"), 12, 0.5).unwrap();
        t.release(&owner("b"), &b.binding_id, 13).unwrap();
        assert!(t.bind(&owner("c"), 14, 0.5).is_ok());
    }

    #[test]
    fn an_abandoned_queue_place_expires() {
        let mut t = table();
        let a = t.bind(&owner("a"), 0, 0.5).unwrap();
        t.enqueue(&owner("b"), 0, 5_000);
        t.release(&owner("a"), &a.binding_id, 1).unwrap();
        assert_eq!(t.bind(&owner("c"), 4_999, 0.5).unwrap_err().code(), "relay_busy");
        assert!(t.bind(&owner("c"), 5_000, 0.5).is_ok(), "b's place lapsed at its deadline");
    }

    #[test]
    fn a_closed_session_releases_its_binding_and_queue_place() {
        let mut t = table();
        t.bind(&owner("a"), 0, 0.5).unwrap();
        t.enqueue(&owner("b"), 0, 9_999);
        assert!(t.release_owner(&owner("a")));
        assert!(!t.release_owner(&owner("a")));
        assert!(t.bind(&owner("b"), 1, 0.5).is_ok());
    }

    #[test]
    fn missing_binding_id_is_binding_required() {
        let mut t = table();
        assert_eq!(t.require(&owner("a"), None, 0).unwrap_err().code(), "binding_required");
    }

    #[test]
    fn renew_jitter_stays_within_two_seconds_of_twenty() {
        let c = LeaseConfig::default();
        assert_eq!(renew_after_ms(&c, 0.0), 18_000);
        assert_eq!(renew_after_ms(&c, 0.5), 20_000);
        assert_eq!(renew_after_ms(&c, 1.0), 22_000);
        assert_eq!(renew_after_ms(&c, f64::NAN), 20_000);
    }

    #[test]
    fn snapshot_shows_owner_expiry_and_queue() {
        let mut t = table();
        t.bind(&owner("a"), 0, 0.5).unwrap();
        t.enqueue(&owner("b"), 100, 50_000);
        let (binding, queue) = t.snapshot(1_000);
        let binding = binding.expect("held");
        assert_eq!(binding.instance_id, "a");
        assert_eq!(binding.expires_in_ms, 59_000);
        assert_eq!(binding.queue_length, 1);
        assert_eq!(queue[0].owner.instance_id, "b");
        assert_eq!(queue[0].waiting_ms, 900);
    }
}
