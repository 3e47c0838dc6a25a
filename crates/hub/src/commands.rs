//! The daemon RPC commands: name + params in, JSON data or a typed error out.
//!
//! `relay.*` manage the binding lease; extension-based commands (`cdp.send`) require the
//! caller's current binding and wait (with the shared readiness backoff) for the
//! extension's handshake, so a brief relay restart does not fail them.

use crate::error::{CdpError, HubError};
use crate::lease::{Grant, Owner, WAIT_MAX_MS};
use crate::params::{opt_object, opt_str, opt_u64, req_str, Params};
use crate::server::HubCore;
use pairing::ReadinessWait;
use serde_json::{json, Value};
use std::time::Duration;

/// Default time a `cdp.send` waits for the browser.
pub const DEFAULT_CDP_TIMEOUT_MS: u64 = 30_000;
/// Default time an extension command waits for the extension's handshake.
pub const DEFAULT_READY_TIMEOUT_MS: u64 = 10_000;
/// Default `relay.wait` timeout.
pub const DEFAULT_WAIT_MS: u64 = 30_000;
/// Longest `timeoutMs` a caller may ask for.
pub const MAX_TIMEOUT_MS: u64 = 300_000;

/// Every non-browser command name (`hub.commands` lists these and the browser ones).
pub const COMMANDS: &[&str] = &[
    "hub.commands",
    "hub.status",
    "relay.status",
    "relay.cdpUrl",
    "relay.bind",
    "relay.wait",
    "relay.renew",
    "relay.release",
    "relay.restart",
    "cdp.send",
];

/// A command's answer: data plus warnings for the caller.
pub struct Answer {
    /// The `data` field.
    pub data: Value,
    /// Human-readable warnings (e.g. a clamped timeout).
    pub warnings: Vec<String>,
}

impl From<Value> for Answer {
    fn from(data: Value) -> Self {
        Answer { data, warnings: Vec::new() }
    }
}

/// Runs one command.
pub async fn dispatch(hub: &std::sync::Arc<HubCore>, name: &str, params: &Params) -> Result<Answer, HubError> {
    if let Some(result) = crate::browser::dispatch(hub, name, params).await {
        return result;
    }
    match name {
        "hub.status" => Ok(serde_json::to_value(hub.status()).unwrap_or_default().into()),
        "hub.commands" => {
            Ok(json!({"commands": COMMANDS.iter().chain(crate::browser::BROWSER_COMMANDS).collect::<Vec<_>>()}).into())
        }
        "relay.status" => Ok(serde_json::to_value(hub.relay().status()).unwrap_or_default().into()),
        "relay.cdpUrl" => Ok(Value::String(hub.relay().cdp_url()).into()),
        "relay.bind" => Ok(grant_json(hub, hub.leases.bind(&owner(params)?)?).into()),
        "relay.wait" => {
            let timeout = opt_u64(params, "timeoutMs", WAIT_MAX_MS)?.unwrap_or(DEFAULT_WAIT_MS);
            Ok(grant_json(hub, hub.leases.wait(&owner(params)?, timeout).await?).into())
        }
        "relay.renew" => {
            let grant = hub.leases.renew(&owner(params)?, req_str(params, "bindingId")?)?;
            Ok(grant_json(hub, grant).into())
        }
        "relay.release" => {
            hub.leases.release(&owner(params)?, req_str(params, "bindingId")?)?;
            Ok(json!({"released": true}).into())
        }
        "relay.restart" => relay_restart(hub, params).await,
        "cdp.send" => cdp_send(hub, params).await,
        other => Err(HubError::UnknownCommand(other.to_owned())),
    }
}

/// The caller's identity: `clientId` (required) and `instanceId` (default `"default"`).
pub fn owner(params: &Params) -> Result<Owner, HubError> {
    let client_id = req_str(params, "clientId")?.to_owned();
    let instance_id = opt_str(params, "instanceId")?.filter(|s| !s.trim().is_empty()).unwrap_or("default").to_owned();
    Ok(Owner { client_id, instance_id })
}

fn grant_json(hub: &HubCore, grant: Grant) -> Value {
    let config = hub.leases.config();
    let relay = hub.relay();
    json!({
        "bindingId": grant.binding_id,
        "expiresAt": opendevbrowser_api::clock::iso8601(grant.expires_at),
        "expiresInMs": grant.expires_at.saturating_sub(hub.leases.clock.now()),
        "ttlMs": config.ttl_ms,
        "renewAfterMs": grant.renew_after_ms,
        "hubInstanceId": hub.instance_id,
        "relayInstanceId": relay.instance_id(),
        "relayPort": relay.port(),
        "bindingConfig": {"ttlMs": config.ttl_ms, "renewIntervalMs": config.renew_interval_ms, "waitMaxMs": WAIT_MAX_MS},
    })
}

/// Checks the caller's binding for a command that drives the browser.
fn require_binding(hub: &HubCore, params: &Params) -> Result<(), HubError> {
    let owner = owner(params)?;
    Ok(hub.leases.require(&owner, opt_str(params, "bindingId")?)?)
}

/// Waits until the extension's handshake is complete, polling on the shared readiness
/// backoff (250 ms doubling to 2 s) up to a timeout clamped to at least 3 s.
pub async fn wait_until_ready(hub: &HubCore, timeout_ms: u64, warnings: &mut Vec<String>) -> Result<(), HubError> {
    let clock = hub.leases.clock;
    let (mut wait, clamped) = ReadinessWait::start(clock.now(), timeout_ms);
    if let Some(c) = clamped {
        warnings.push(c.to_string());
    }
    loop {
        let relay = hub.relay();
        if relay.handshake_complete() {
            return Ok(());
        }
        match wait.next_poll_at(clock.now()) {
            Some(at) => tokio::time::sleep_until(clock.instant(at)).await,
            None if relay.status().extension_connected => return Err(CdpError::HandshakeIncomplete.into()),
            None => return Err(CdpError::NotConnected.into()),
        }
    }
}

/// `cdp.send {clientId, instanceId?, bindingId, method, params?, sessionId?, timeoutMs?,
/// readyTimeoutMs?}`: one raw CDP command through the extension.
async fn cdp_send(hub: &HubCore, params: &Params) -> Result<Answer, HubError> {
    let method = req_str(params, "method")?;
    let cdp_params = opt_object(params, "params")?;
    let session_id = opt_str(params, "sessionId")?.map(str::to_owned);
    let timeout = opt_u64(params, "timeoutMs", MAX_TIMEOUT_MS)?.unwrap_or(DEFAULT_CDP_TIMEOUT_MS);
    let ready = opt_u64(params, "readyTimeoutMs", MAX_TIMEOUT_MS)?.unwrap_or(DEFAULT_READY_TIMEOUT_MS);
    require_binding(hub, params)?;
    let mut warnings = Vec::new();
    wait_until_ready(hub, ready, &mut warnings).await?;
    let data = hub.relay().call(method, cdp_params, session_id, Duration::from_millis(timeout)).await?;
    Ok(Answer { data, warnings })
}

/// `relay.restart`: a fresh relay instance on the same port. Only the binding holder may
/// restart while the relay is bound.
async fn relay_restart(hub: &HubCore, params: &Params) -> Result<Answer, HubError> {
    if hub.leases.holder().is_some() {
        require_binding(hub, params)?;
    }
    let relay = hub.restart_relay().await?;
    Ok(json!({"relayInstanceId": relay.instance_id(), "epoch": relay.epoch(), "port": relay.port()}).into())
}
