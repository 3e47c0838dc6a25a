//! A handle that follows `relay.restart`: the hub swaps in a new relay on the same port,
//! and whatever holds a [`RelayHandle`] (browser sessions' transports, the idle-detach
//! watcher, the tab-group tidier) reaches the new one without being told.

use super::{Relay, RelayStartError};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Reaches whichever relay is current: `relay.restart` swaps it, holders of the handle
/// follow.
#[derive(Clone)]
pub(crate) struct RelayHandle(Arc<RwLock<Relay>>);

impl From<Relay> for RelayHandle {
    fn from(relay: Relay) -> Self {
        RelayHandle(Arc::new(RwLock::new(relay)))
    }
}

impl RelayHandle {
    /// The current relay.
    pub(crate) fn current(&self) -> Relay {
        self.0.read().expect("relay lock").clone()
    }

    fn replace(&self, relay: Relay) {
        *self.0.write().expect("relay lock") = relay;
    }

    /// Stops the current relay and starts a fresh one (new instance id and epoch) on the
    /// same port with the same options (and so the same event channel); the extension
    /// re-pairs by itself. Waits up to 2 s for the old listener to let go of the port.
    /// Called through `HubCore::restart_relay`, which also rewrites `daemon.json`.
    pub(crate) async fn restart(&self) -> Result<Relay, RelayStartError> {
        let old = self.current();
        let opts = old.options();
        old.stop();
        let mut attempt = 0;
        let relay = loop {
            match Relay::start(opts.clone()).await {
                Ok(relay) => break relay,
                Err(RelayStartError::PortInUse { .. }) if attempt < 40 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(e),
            }
        };
        self.replace(relay.clone());
        Ok(relay)
    }
}
