//! The hub-wide commands: `hub.*`, `relay.*` (the binding lease) and `cdp.send`.
//!
//! Extension-based commands (`cdp.send`) require the caller's current binding and wait
//! (with the shared readiness backoff) for the extension's handshake, so a brief relay
//! restart does not fail them.

use crate::commands::dispatch::{Call, HubCommand};
use crate::error::HubError;
use crate::leases::binding::{self as lease, WAIT_MAX_MS};
use opendevbrowser_api::command::registry;
use opendevbrowser_api::commands::*;
use opendevbrowser_api::status::{HubStatus, RelayStatus};
use serde_json::Value;
use std::time::Duration;

/// Default time a `cdp.send` waits for the browser.
pub(crate) const DEFAULT_CDP_TIMEOUT_MS: u64 = 30_000;
/// Default `relay.wait` timeout.
pub(crate) const DEFAULT_WAIT_MS: u64 = 30_000;

impl HubCommand for ListCommands {
    async fn run(self, _: &mut Call<'_>) -> Result<CommandList, HubError> {
        Ok(CommandList { commands: registry().iter().map(|c| c.name.to_owned()).collect() })
    }
}

impl HubCommand for GetHubStatus {
    async fn run(self, call: &mut Call<'_>) -> Result<HubStatus, HubError> {
        Ok(call.hub_status())
    }
}

impl HubCommand for GetRelayStatus {
    async fn run(self, call: &mut Call<'_>) -> Result<RelayStatus, HubError> {
        Ok(call.relay().status())
    }
}

impl HubCommand for GetCdpUrl {
    async fn run(self, call: &mut Call<'_>) -> Result<String, HubError> {
        Ok(call.relay().cdp_url())
    }
}

impl HubCommand for Bind {
    async fn run(self, call: &mut Call<'_>) -> Result<Grant, HubError> {
        let grant = call.leases().bind(&call.owner()?)?;
        Ok(grant_of(call, grant))
    }
}

impl HubCommand for WaitBind {
    async fn run(self, call: &mut Call<'_>) -> Result<Grant, HubError> {
        let timeout = self.timeout_ms.unwrap_or(DEFAULT_WAIT_MS);
        let grant = call.leases().wait(&call.owner()?, timeout).await?;
        Ok(grant_of(call, grant))
    }
}

impl HubCommand for Renew {
    async fn run(self, call: &mut Call<'_>) -> Result<Grant, HubError> {
        let grant = call.leases().renew(&call.owner()?, &self.binding_id)?;
        Ok(grant_of(call, grant))
    }
}

impl HubCommand for Release {
    async fn run(self, call: &mut Call<'_>) -> Result<Released, HubError> {
        call.leases().release(&call.owner()?, &self.binding_id)?;
        Ok(Released { released: true })
    }
}

/// A fresh relay instance on the same port. Only the binding holder may restart while
/// the relay is bound.
impl HubCommand for RestartRelay {
    async fn run(self, call: &mut Call<'_>) -> Result<RelayRestarted, HubError> {
        if call.leases().holder().is_some() {
            call.require_binding()?;
        }
        let relay = call.restart_relay().await?;
        Ok(RelayRestarted {
            relay_instance_id: relay.instance_id().to_owned(),
            epoch: relay.epoch(),
            port: relay.port(),
        })
    }
}

/// One raw CDP command through the extension.
impl HubCommand for CdpSend {
    async fn run(self, call: &mut Call<'_>) -> Result<Value, HubError> {
        call.require_binding()?;
        call.wait_until_ready().await?;
        let timeout = Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_CDP_TIMEOUT_MS));
        let params = self.params.map(Value::Object);
        Ok(call.relay().call(&self.method, params, self.session_id, timeout).await?)
    }
}

fn grant_of(call: &Call<'_>, grant: lease::Grant) -> Grant {
    let config = call.leases().config();
    let relay = call.relay();
    Grant {
        binding_id: grant.binding_id,
        expires_at: opendevbrowser_api::clock::iso8601(grant.expires_at),
        expires_in_ms: grant.expires_at.saturating_sub(call.leases().clock().now()),
        ttl_ms: config.ttl_ms,
        renew_after_ms: grant.renew_after_ms,
        hub_instance_id: call.hub_instance_id().to_owned(),
        relay_instance_id: relay.instance_id().to_owned(),
        relay_port: relay.port(),
        binding_config: BindingConfig {
            ttl_ms: config.ttl_ms,
            renew_interval_ms: config.renew_interval_ms,
            wait_max_ms: WAIT_MAX_MS,
        },
    }
}
