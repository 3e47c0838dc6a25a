//! Tab leases, as a pure state machine with time passed in: several agents drive the
//! user's Chrome at once, each on tabs of its own.
//!
//! A tab (target) is leased to one owner's session at a time. A lease lives [`TTL_MS`]
//! after it was granted or last used (each command on the tab renews it, as a renewal
//! renews the relay binding); others asking for the tab get [`TabBusy`] with the holder,
//! the expiry and their place in the tab's FIFO queue. Lease ids carry the hub's id and a
//! counter and are never reused (fencing). Closing a tab, ending a session or losing the
//! owner's process ends its leases. Whether a tab lease may exist while the relay-wide
//! binding is held is [`crate::leases::exclusion`]'s rule, not this table's.

use crate::leases::binding::{Owner, TTL_MS};
use std::collections::{BTreeMap, VecDeque};

/// One tab's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabLease {
    /// Fencing id.
    pub lease_id: String,
    /// Holder.
    pub owner: Owner,
    /// The holder's browser session driving the tab.
    pub session_id: String,
    /// When it ends unless used or renewed (ms).
    pub expires_at: u64,
}

/// Someone else holds the tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabBusy {
    /// The tab.
    pub target_id: String,
    /// Its holder.
    pub owner: Owner,
    /// When the holder's lease ends unless used (ms).
    pub expires_at: u64,
    /// Your place in the tab's queue (1 = next).
    pub position: usize,
    /// How many wait for the tab.
    pub queue_length: usize,
}

#[derive(Debug, Clone)]
struct Waiter {
    owner: Owner,
    deadline: u64,
}

#[derive(Debug, Default)]
struct Tab {
    lease: Option<TabLease>,
    queue: VecDeque<Waiter>,
}

/// Every tab lease and queue.
#[derive(Debug)]
pub(crate) struct TabTable {
    ttl_ms: u64,
    id_prefix: String,
    next_id: u64,
    tabs: BTreeMap<String, Tab>,
}

impl TabTable {
    /// An empty table: leases live `ttl_ms`, ids start with `id_prefix`.
    pub(crate) fn new(ttl_ms: u64, id_prefix: &str) -> Self {
        TabTable { ttl_ms, id_prefix: id_prefix.to_owned(), next_id: 1, tabs: BTreeMap::new() }
    }

    /// Drops expired leases, ended waits and tabs with neither.
    pub(crate) fn expire(&mut self, now: u64) {
        for tab in self.tabs.values_mut() {
            if tab.lease.as_ref().is_some_and(|l| now >= l.expires_at) {
                tab.lease = None;
            }
            tab.queue.retain(|w| w.deadline > now);
        }
        self.tabs.retain(|_, t| t.lease.is_some() || !t.queue.is_empty());
    }

    /// Leases `target` to `owner`'s `session`, or renews the lease it already holds (same
    /// id); a free tab goes to the head of its queue only.
    pub(crate) fn claim(&mut self, target: &str, owner: &Owner, session: &str, now: u64) -> Result<TabLease, TabBusy> {
        self.expire(now);
        let ttl = self.ttl_ms;
        let tab = self.tabs.entry(target.to_owned()).or_default();
        match &mut tab.lease {
            Some(lease) if lease.owner == *owner => {
                lease.expires_at = now + ttl;
                lease.session_id = session.to_owned();
                return Ok(lease.clone());
            }
            Some(_) => return Err(busy(target, tab, owner)),
            None if tab.queue.front().is_some_and(|w| w.owner != *owner) => return Err(busy(target, tab, owner)),
            None => {}
        }
        let lease_id = format!("{}-t{}", self.id_prefix, self.next_id);
        self.next_id += 1;
        let tab = self.tabs.get_mut(target).expect("just made");
        tab.queue.retain(|w| w.owner != *owner);
        let lease = TabLease { lease_id, owner: owner.clone(), session_id: session.to_owned(), expires_at: now + ttl };
        tab.lease = Some(lease.clone());
        Ok(lease)
    }

    /// Queues `owner` for `target` until `deadline`; its 1-based place.
    pub(crate) fn enqueue(&mut self, target: &str, owner: &Owner, now: u64, deadline: u64) -> usize {
        self.expire(now);
        let tab = self.tabs.entry(target.to_owned()).or_default();
        if let Some(i) = tab.queue.iter().position(|w| w.owner == *owner) {
            tab.queue[i].deadline = tab.queue[i].deadline.max(deadline);
            return i + 1;
        }
        tab.queue.push_back(Waiter { owner: owner.clone(), deadline });
        tab.queue.len()
    }

    /// Leaves `target`'s queue.
    pub(crate) fn dequeue(&mut self, target: &str, owner: &Owner) {
        if let Some(tab) = self.tabs.get_mut(target) {
            tab.queue.retain(|w| w.owner != *owner);
        }
    }

    /// Ends the lease on `target` (the tab closed); its holder, if any.
    pub(crate) fn release(&mut self, target: &str) -> Option<TabLease> {
        self.tabs.get_mut(target).and_then(|t| t.lease.take())
    }

    /// Ends every lease of `session`; the tabs it held.
    pub(crate) fn release_session(&mut self, session: &str) -> Vec<String> {
        self.release_where(|l| l.session_id == session)
    }

    /// Ends every lease and queue place of `owner` (its process went away); the tabs it held.
    pub(crate) fn release_owner(&mut self, owner: &Owner) -> Vec<String> {
        for tab in self.tabs.values_mut() {
            tab.queue.retain(|w| w.owner != *owner);
        }
        self.release_where(|l| l.owner == *owner)
    }

    fn release_where(&mut self, ends: impl Fn(&TabLease) -> bool) -> Vec<String> {
        let mut released = Vec::new();
        for (target, tab) in &mut self.tabs {
            if tab.lease.as_ref().is_some_and(&ends) {
                tab.lease = None;
                released.push(target.clone());
            }
        }
        released
    }

    /// Drops every lease and queue (hub shutdown); ids stay unused.
    pub(crate) fn clear(&mut self) {
        self.tabs.clear();
    }

    /// Every live lease, by tab.
    pub(crate) fn leases(&mut self, now: u64) -> Vec<(String, TabLease)> {
        self.expire(now);
        self.tabs.iter().filter_map(|(t, tab)| Some((t.clone(), tab.lease.clone()?))).collect()
    }

    /// When the first live lease ends, if any.
    pub(crate) fn next_expiry(&mut self, now: u64) -> Option<u64> {
        self.leases(now).iter().map(|(_, l)| l.expires_at).min()
    }
}

impl Default for TabTable {
    fn default() -> Self {
        TabTable::new(TTL_MS, "tab")
    }
}

fn busy(target: &str, tab: &Tab, owner: &Owner) -> TabBusy {
    let position = tab.queue.iter().position(|w| w.owner == *owner).map_or(tab.queue.len() + 1, |p| p + 1);
    let (holder, expires_at) = match &tab.lease {
        Some(l) => (l.owner.clone(), l.expires_at),
        None => (tab.queue[0].owner.clone(), 0),
    };
    TabBusy { target_id: target.to_owned(), owner: holder, expires_at, position, queue_length: tab.queue.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(name: &str) -> Owner {
        Owner { client_id: "c".into(), instance_id: name.into() }
    }

    #[test]
    fn two_agents_hold_two_tabs_and_each_is_refused_the_others() {
        let mut t = TabTable::new(1000, "h");
        let a = t.claim("tab1", &who("a"), "s1", 0).unwrap();
        let b = t.claim("tab2", &who("b"), "s2", 0).unwrap();
        assert_ne!(a.lease_id, b.lease_id);
        let busy = t.claim("tab2", &who("a"), "s1", 10).unwrap_err();
        assert_eq!((busy.owner, busy.expires_at, busy.position, busy.queue_length), (who("b"), 1000, 1, 0));
    }

    #[test]
    fn using_a_tab_renews_its_lease_under_the_same_id_and_silence_ends_it() {
        let mut t = TabTable::new(1000, "h");
        let first = t.claim("tab1", &who("a"), "s1", 0).unwrap();
        let again = t.claim("tab1", &who("a"), "s1", 900).unwrap();
        assert_eq!((again.lease_id.as_str(), again.expires_at), (first.lease_id.as_str(), 1900));
        assert!(t.claim("tab1", &who("b"), "s2", 1899).is_err(), "still a's");
        let taken = t.claim("tab1", &who("b"), "s2", 1900).unwrap();
        assert_eq!(taken.owner, who("b"), "a missed its renewals");
        assert_ne!(taken.lease_id, first.lease_id);
    }

    #[test]
    fn a_freed_tab_goes_to_the_head_of_its_queue_first() {
        let mut t = TabTable::new(1000, "h");
        t.claim("tab1", &who("a"), "s1", 0).unwrap();
        assert_eq!(t.enqueue("tab1", &who("b"), 0, 5000), 1);
        assert_eq!(t.enqueue("tab1", &who("c"), 0, 5000), 2);
        assert_eq!(t.claim("tab1", &who("c"), "s3", 1).unwrap_err().position, 2);
        assert_eq!(t.release("tab1").unwrap().owner, who("a"));
        let jumped = t.claim("tab1", &who("c"), "s3", 2).unwrap_err();
        assert_eq!((jumped.owner, jumped.position), (who("b"), 2), "c waits behind b");
        assert_eq!(t.claim("tab1", &who("b"), "s2", 3).unwrap().owner, who("b"));
        assert_eq!(t.enqueue("tab1", &who("c"), 3, 5000), 1, "b left the queue when served");
    }

    #[test]
    fn lease_ids_are_never_reused() {
        let mut t = TabTable::new(1000, "h");
        let mut seen = std::collections::HashSet::new();
        for n in 0..20u64 {
            let lease = t.claim("tab1", &who(if n % 2 == 0 { "a" } else { "b" }), "s", n * 2000).unwrap();
            assert!(seen.insert(lease.lease_id), "a lease id came back");
            t.release("tab1");
        }
    }

    #[test]
    fn ending_a_session_or_an_owner_frees_its_tabs_and_queue_places() {
        let mut t = TabTable::new(1000, "h");
        t.claim("tab1", &who("a"), "s1", 0).unwrap();
        t.claim("tab2", &who("a"), "s1", 0).unwrap();
        t.claim("tab3", &who("a"), "s9", 0).unwrap();
        t.claim("tab4", &who("b"), "s2", 0).unwrap();
        t.enqueue("tab4", &who("a"), 0, 5000);
        assert_eq!(t.release_session("s1"), vec!["tab1".to_owned(), "tab2".to_owned()]);
        assert_eq!(t.release_owner(&who("a")), vec!["tab3".to_owned()]);
        assert_eq!(t.claim("tab4", &who("c"), "s3", 1).unwrap_err().queue_length, 0, "a's queue place went too");
        let left: Vec<String> = t.leases(1).into_iter().map(|(tab, _)| tab).collect();
        assert_eq!(left, vec!["tab4".to_owned()]);
        assert_eq!(t.next_expiry(1), Some(1000));
    }
}
