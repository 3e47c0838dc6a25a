//! The opendevbrowser hub: the single per-user owner of the relay to the Chrome extension.
//!
//! - [`relay`]: `/config`, `/pair`, `/status`, `/extension`, `/cdp`, wire-compatible with
//!   upstream, and the hub's own CDP calls over the extension socket;
//! - [`rpc`] + [`commands`]: the daemon RPC (`POST /command`, `GET /status`, `POST /stop`);
//! - [`server`]: start/stop, port conflicts, `daemon.json`;
//! - [`guard`]: loopback / Host / Origin / token rules;

#![warn(missing_docs)]

pub mod commands;
pub mod core;
pub mod dispatch;
pub mod error;
pub mod guard;
pub mod idle_detach;
pub mod lease;
pub mod lease_service;
pub mod params;
pub mod relay;
pub mod rpc;
pub mod serve_cmd;
pub mod server;
pub mod sessions;
pub mod settings;

pub use error::{CdpError, HubError};
pub use server::{start, HubOptions, RunningHub, ServeError, Started};
