//! The hub as a process: [`start`] binds the relay and the RPC, writes `daemon.json`, and
//! stops it all (draining running commands first); [`settings`] is `hub.json`,
//! [`serve_cmd`] the `serve` command, and `reap` clears what a killed hub left behind.

pub(crate) mod reap;
pub mod serve_cmd;
pub mod settings;
pub mod start;
