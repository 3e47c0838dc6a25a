//! The daemon RPC commands: name + params in, JSON data or a typed error out.

use crate::error::HubError;
use crate::params::{opt_object, opt_str, opt_u64, req_str, Params};
use crate::server::HubCore;
use serde_json::{json, Value};
use std::time::Duration;

/// Default time a `cdp.send` waits for the browser.
pub const DEFAULT_CDP_TIMEOUT_MS: u64 = 30_000;
/// Longest `timeoutMs` a caller may ask for.
pub const MAX_TIMEOUT_MS: u64 = 300_000;

/// Every command name, for `--help` texts and `unknown_command` errors.
pub const COMMANDS: &[&str] = &["hub.status", "relay.status", "relay.cdpUrl", "cdp.send"];

/// Runs one command.
pub async fn dispatch(hub: &HubCore, name: &str, params: &Params) -> Result<Value, HubError> {
    match name {
        "hub.status" => Ok(hub.status()),
        "relay.status" => Ok(hub.relay.status()),
        "relay.cdpUrl" => Ok(Value::String(hub.relay.cdp_url())),
        "cdp.send" => cdp_send(hub, params).await,
        other => Err(HubError::UnknownCommand(other.to_owned())),
    }
}

/// `cdp.send {method, params?, sessionId?, timeoutMs?}`: one raw CDP command through the
/// extension; the result is Chrome's `result` object.
async fn cdp_send(hub: &HubCore, params: &Params) -> Result<Value, HubError> {
    let method = req_str(params, "method")?;
    let cdp_params = opt_object(params, "params")?;
    let session_id = opt_str(params, "sessionId")?.map(str::to_owned);
    let timeout = opt_u64(params, "timeoutMs", MAX_TIMEOUT_MS)?.unwrap_or(DEFAULT_CDP_TIMEOUT_MS);
    let result = hub.relay.call(method, cdp_params, session_id, Duration::from_millis(timeout)).await?;
    Ok(json!(result))
}
