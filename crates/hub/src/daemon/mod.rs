//! The hub as a process: [`start`] binds the relay and the RPC and writes `daemon.json`
//! (and stops it all, draining running commands), [`core`] is the state the RPC serves,
//! [`in_flight`] counts running commands, [`settings`] is `hub.json`, [`serve_cmd`] the
//! `serve` command, and [`reap`] clears what a killed hub left behind.

pub mod core;
pub(crate) mod in_flight;
pub(crate) mod reap;
pub mod serve_cmd;
pub mod settings;
pub mod start;
