//! The opendevbrowser hub: the single per-user owner of the relay to the Chrome extension.
//!
//! - [`relay`]: `/config`, `/pair`, `/status`, `/extension`, `/cdp`, wire-compatible with
//!   upstream, and the hub's own CDP calls over the extension socket;
//! - [`rpc`] + [`commands`]: the daemon RPC (`POST /command`, `GET /status`, `POST /stop`),
//!   and [`channel`], the persistent pipelined command socket; [`rpc_wire`] is what they share;
//! - [`server`]: start/stop, port conflicts, `daemon.json`;
//! - [`guard`]: loopback / Host / Origin / token rules;
//! - [`lease`] (the relay binding), [`tab_leases`] (agents' own tabs) and [`exclusion`]
//!   (the rule between them) are pure; [`lease_service`] runs them; [`tab_sessions`] is
//!   what a tab-scoped extension session does around each command;
//! - [`reap`]: what a killed hub left behind (managed browsers' profile folders), cleared
//!   at the next start;

#![warn(missing_docs)]

pub mod cdp_door;
pub mod channel;
pub mod commands;
pub mod core;
pub mod dispatch;
pub mod error;
pub mod exclusion;
pub mod guard;
pub mod idle_detach;
pub mod in_flight;
pub mod lease;
pub mod lease_service;
pub(crate) mod managed_launch;
pub mod params;
pub mod profiles;
pub mod reap;
pub mod relay;
pub(crate) mod remote_connect;
pub mod rpc;
pub mod rpc_wire;
pub mod same_user;
pub mod serve_cmd;
pub mod server;
pub mod session_open;
pub mod sessions;
pub mod settings;
pub mod tab_leases;
pub mod tab_sessions;

pub use error::{CdpError, HubError};
pub use server::{start, HubOptions, RunningHub, ServeError, Started};
