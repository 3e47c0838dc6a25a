//! One door at a time: a `/cdp` client holds the relay binding while it is connected, as
//! an agent holding `relay.bind` does, so the two never drive the same tabs at once.
//!
//! The relay asks its [`CdpDoor`] before upgrading a `/cdp` request. This one takes the
//! binding lease for the client (refused with `relay_busy` naming the holder while an
//! agent holds the binding, or tab agents hold tabs), renews it while the socket lives,
//! and releases it when the socket closes. Agents meanwhile get `relay_busy` naming the
//! `/cdp` client, and tab agents are refused the same way.

use crate::error::HubError;
use crate::leases::binding::LeaseError;
use crate::leases::service::Leases;
use crate::relay::{CdpDoor, CdpPass};
use opendevbrowser_api::Owner;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The `client_id` a `/cdp` client's binding is held under (its `instance_id` is its
/// address), as `hub.status` and `relay_busy` errors show it.
pub(crate) const CDP_CLIENT_ID: &str = "cdp-client";

/// The door backed by the hub's binding lease.
pub(crate) struct LeaseDoor(Arc<Leases>);

impl LeaseDoor {
    /// A door that admits a `/cdp` client by binding it in `leases`.
    pub(crate) fn new(leases: Arc<Leases>) -> Self {
        LeaseDoor(leases)
    }
}

impl std::fmt::Debug for LeaseDoor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LeaseDoor")
    }
}

/// A `/cdp` client's hold on the binding: renewed until dropped, then released.
struct Held {
    leases: Arc<Leases>,
    owner: Owner,
    binding_id: String,
    renewer: tokio::task::JoinHandle<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewer.abort();
        let _ = self.leases.release(&self.owner, &self.binding_id);
        tracing::info!(owner = %self.owner, "/cdp client left: relay binding released");
    }
}

impl CdpDoor for LeaseDoor {
    fn enter(&self, peer: SocketAddr) -> Result<CdpPass, HubError> {
        let owner = Owner { client_id: CDP_CLIENT_ID.to_owned(), instance_id: peer.to_string() };
        let grant = match self.0.bind(&owner) {
            Ok(grant) => grant,
            // Another `/cdp` client holds it: upstream upgrades the second one and closes it
            // with 1008 "Only one CDP client supported", which the relay does.
            Err(LeaseError::Busy { owner, .. }) if owner.client_id == CDP_CLIENT_ID => return Ok(Box::new(())),
            Err(e) => return Err(e.into()),
        };
        let every = Duration::from_millis(self.0.config().renew_interval_ms.max(1));
        let renewer = tokio::spawn({
            let (leases, owner, id) = (self.0.clone(), owner.clone(), grant.binding_id.clone());
            async move {
                loop {
                    tokio::time::sleep(every).await;
                    if let Err(e) = leases.renew(&owner, &id) {
                        tracing::warn!(owner = %owner, "/cdp client's binding could not be renewed: {e}");
                        return;
                    }
                }
            }
        });
        Ok(Box::new(Held { leases: self.0.clone(), owner, binding_id: grant.binding_id, renewer }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::binding::LeaseConfig;

    fn agent() -> Owner {
        Owner { client_id: "c".into(), instance_id: "agent".into() }
    }

    #[tokio::test(start_paused = true)]
    async fn the_client_holds_the_binding_while_connected_and_renews_it() {
        let leases = Arc::new(Leases::new(LeaseConfig { ttl_ms: 1_000, renew_interval_ms: 300 }, "h"));
        let door = LeaseDoor::new(leases.clone());
        let pass = door.enter("127.0.0.1:4000".parse().unwrap()).unwrap();
        let busy = leases.bind(&agent()).unwrap_err().to_string();
        assert!(busy.contains("cdp-client") && busy.contains("127.0.0.1:4000"), "{busy}");
        tokio::time::sleep(Duration::from_millis(5_000)).await;
        assert_eq!(leases.holder().map(|o| o.client_id), Some(CDP_CLIENT_ID.to_owned()), "renewed past its TTL");
        drop(pass);
        assert!(leases.bind(&agent()).is_ok(), "released when the client left");
    }

    #[tokio::test]
    async fn the_client_is_refused_while_an_agent_holds_the_binding() {
        let leases = Arc::new(Leases::new(LeaseConfig::default(), "h"));
        leases.bind(&agent()).unwrap();
        let refused = LeaseDoor::new(leases).enter("127.0.0.1:4000".parse().unwrap()).err().expect("refused");
        assert_eq!(refused.code(), "relay_busy");
        assert!(refused.to_string().contains("agent"), "the holder is named: {refused}");
    }
}
