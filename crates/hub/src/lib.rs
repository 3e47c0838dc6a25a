//! The opendevbrowser hub: the single per-user owner of the relay to the Chrome extension,
//! with a daemon RPC for agents. Its folders, bottom to top (each depends only on the ones
//! above it in this list; docs/ARCHITECTURE.md has the map):
//!
//! - [`access`]: who may talk to the hub (loopback, `Host`, `Origin`, tokens, same OS user);
//! - [`relay`]: `/config`, `/pair`, `/status`, `/extension`, `/cdp`, wire-compatible with
//!   upstream, and the hub's own CDP calls over the extension socket;
//! - `leases`: who may drive the user's Chrome: the relay binding and tab leases (pure
//!   tables, time passed in), the service that runs them, and the `/cdp` door;
//! - `sessions`: opening browser sessions in each mode, tab-scoped sessions, named
//!   profiles, and detaching from idle tabs;
//! - [`state`]: the hub's state the commands and the RPC serve (`HubCore`: identity,
//!   token, relay, leases, sessions, commands in flight, the stop signal);
//! - `commands`: running one daemon command (the dispatch table generated from the
//!   contract, and the handlers of the commands that need the hub);
//! - [`rpc`]: the daemon RPC's routes (`/command`, `/status`, `/stop`, `/session`,
//!   `/channel`), their authorization and body rules;
//! - [`daemon`]: the process: starting and stopping, `daemon.json`, `hub.json`, the
//!   `serve` command, and what a killed hub left behind.

#![warn(missing_docs)]
#![warn(unreachable_pub)]

pub mod access;
mod commands;
pub mod daemon;
mod error;
mod leases;
pub mod relay;
#[cfg(test)]
mod router_test_support;
pub mod rpc;
mod sessions;
pub mod state;

pub use daemon::start::{start, HubOptions, RunningHub, ServeError, Started, DEFAULT_DAEMON_PORT, DEFAULT_RELAY_PORT};
pub use error::{CdpError, HubError};
pub use leases::binding::LeaseConfig;
