//! The one rule between the two kinds of lease, pure, time passed in: the relay-wide
//! binding (whole browser: upstream's `relay.bind`, raw `cdp.send`, `/cdp`-style use) and
//! tab leases (one agent, its own tabs) never overlap.
//!
//! - While the relay binding is held, no tab lease is granted (and none renewed: the
//!   holder drives every tab).
//! - While any tab lease is held, the relay binding is not granted; `relay.wait` waits
//!   until the last tab lease ends.
//! - While someone waits for the relay, no *new* tab is leased (holders keep theirs until
//!   they finish), so a relay waiter is not starved by a stream of new agents.

use crate::leases::binding::{Grant, LeaseError, LeaseTable, Owner};
use crate::leases::tabs::{TabBusy, TabLease, TabTable};
use serde_json::{json, Value};

/// Why a tab lease was refused. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// Another agent holds the tab.
    #[error("tab {} is busy: held by {} until {}; you would be number {} in its queue", .0.target_id, .0.owner, opendevbrowser_api::clock::iso8601(.0.expires_at), .0.position)]
    Tab(TabBusy),
    /// Someone holds the whole relay.
    #[error("relay busy: {owner} holds the whole browser (relay binding) until {}; tab leases are granted again once it releases", opendevbrowser_api::clock::iso8601(*expires_at))]
    RelayHeld {
        /// The binding's holder.
        owner: Owner,
        /// When its binding ends unless renewed (ms).
        expires_at: u64,
    },
    /// Someone waits for the whole relay: new tabs wait until it was served.
    #[error("relay busy: {owner} is waiting for the whole browser (relay.wait); no new tab is leased until it is served and releases")]
    RelayWaiting {
        /// The first waiter.
        owner: Owner,
    },
}

impl ClaimError {
    /// Stable code: `tab_busy`, or `relay_busy` when the relay-wide binding is in the way.
    pub fn code(&self) -> &'static str {
        match self {
            ClaimError::Tab(_) => "tab_busy",
            ClaimError::RelayHeld { .. } | ClaimError::RelayWaiting { .. } => "relay_busy",
        }
    }

    /// Extra fields for the RPC error object.
    pub fn details(&self) -> Value {
        let at = opendevbrowser_api::clock::iso8601;
        match self {
            ClaimError::Tab(b) => json!({"targetId": b.target_id, "owner": b.owner, "expiresAt": at(b.expires_at),
                "position": b.position, "queueLength": b.queue_length}),
            ClaimError::RelayHeld { owner, expires_at } => json!({"owner": owner, "expiresAt": at(*expires_at)}),
            ClaimError::RelayWaiting { owner } => json!({"owner": owner}),
        }
    }
}

/// Both tables, so the rule is applied atomically.
#[derive(Debug)]
pub(crate) struct Leasing {
    /// The relay-wide binding and its queue.
    pub relay: LeaseTable,
    /// Tab leases and their queues.
    pub tabs: TabTable,
}

impl Leasing {
    /// Binds the whole relay unless tab leases are held (or the relay is busy).
    pub(crate) fn bind(&mut self, owner: &Owner, now: u64, unit: f64) -> Result<Grant, LeaseError> {
        let held = self.tabs.leases(now);
        if !held.is_empty() {
            let holders = held.into_iter().map(|(target, l)| (target, l.owner, l.expires_at)).collect();
            return Err(LeaseError::TabsHeld { holders });
        }
        self.relay.bind(owner, now, unit)
    }

    /// Leases (or renews) `target` for `owner`'s `session` unless the relay-wide binding is
    /// held or waited for (a tab it already holds is renewed while someone waits).
    pub(crate) fn claim_tab(
        &mut self,
        target: &str,
        owner: &Owner,
        session: &str,
        now: u64,
    ) -> Result<TabLease, ClaimError> {
        if let Some(b) = self.relay.current(now) {
            return Err(ClaimError::RelayHeld { owner: b.owner.clone(), expires_at: b.expires_at });
        }
        let holds_it = self.tabs.leases(now).iter().any(|(t, l)| t == target && l.owner == *owner);
        if let (false, Some(waiter)) = (holds_it, self.relay.first_waiter(now)) {
            return Err(ClaimError::RelayWaiting { owner: waiter });
        }
        self.tabs.claim(target, owner, session, now).map_err(ClaimError::Tab)
    }

    /// When a relay waiter should look again: the binding's or the first tab lease's end.
    pub(crate) fn next_change(&mut self, now: u64) -> Option<u64> {
        let binding = self.relay.current(now).map(|b| b.expires_at);
        [binding, self.tabs.next_expiry(now)].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::binding::LeaseConfig;

    fn who(name: &str) -> Owner {
        Owner { client_id: "c".into(), instance_id: name.into() }
    }

    fn leasing() -> Leasing {
        Leasing {
            relay: LeaseTable::new(LeaseConfig { ttl_ms: 1000, renew_interval_ms: 300 }, "h"),
            tabs: TabTable::new(1000, "h"),
        }
    }

    #[test]
    fn the_relay_binding_is_refused_while_tabs_are_leased_naming_the_holders() {
        let mut l = leasing();
        l.claim_tab("tab1", &who("a"), "s1", 0).unwrap();
        let refused = l.bind(&who("r"), 10, 0.5).unwrap_err();
        assert_eq!(refused.code(), "relay_busy");
        assert!(refused.to_string().contains("c/a on tab tab1"), "{refused}");
        assert_eq!(l.next_change(10), Some(1000));
        assert!(l.bind(&who("r"), 1000, 0.5).is_ok(), "granted once the tab lease ended");
    }

    #[test]
    fn no_tab_is_leased_or_renewed_while_the_relay_is_bound() {
        let mut l = leasing();
        l.bind(&who("r"), 0, 0.5).unwrap();
        let refused = l.claim_tab("tab1", &who("a"), "s1", 10).unwrap_err();
        assert_eq!((refused.code(), refused.details()["owner"]["instanceId"].as_str()), ("relay_busy", Some("r")));
    }

    #[test]
    fn a_relay_waiter_stops_new_tab_leases_but_not_renewals() {
        let mut l = leasing();
        l.claim_tab("tab1", &who("a"), "s1", 0).unwrap();
        l.relay.enqueue(&who("r"), 0, 5000);
        assert!(l.claim_tab("tab1", &who("a"), "s1", 500).is_ok(), "a keeps working");
        let refused = l.claim_tab("tab2", &who("b"), "s2", 500).unwrap_err();
        assert!(matches!(refused, ClaimError::RelayWaiting { .. }), "{refused}");
        assert!(l.bind(&who("r"), 1499, 0.5).is_err());
        assert!(l.bind(&who("r"), 1500, 0.5).is_ok(), "a stopped; the waiter is served");
    }

    #[test]
    fn another_agents_tab_is_tab_busy_with_holder_expiry_and_place() {
        let mut l = leasing();
        l.claim_tab("tab1", &who("a"), "s1", 0).unwrap();
        let busy = l.claim_tab("tab1", &who("b"), "s2", 5).unwrap_err();
        assert_eq!(busy.code(), "tab_busy");
        let d = busy.details();
        assert_eq!(
            (d["targetId"].as_str(), d["position"].as_u64(), d["owner"]["instanceId"].as_str()),
            (Some("tab1"), Some(1), Some("a"))
        );
    }
}
