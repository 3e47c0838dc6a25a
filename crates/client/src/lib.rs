//! What a plugin links to use the opendevbrowser hub.
//!
//! - [`discovery`]: find the running hub from `daemon.json` and its `/status`;
//! - [`autostart`]: start one when none runs, under a lock so two plugins never race;
//! - [`identity`]: the user's `clientId` (`client.json`, 0600) and a per-process instance id;
//! - [`client`]: bind / wait / renew / release, keep-alive, and commands through the hub,
//!   over the pipelined [`channel`] (or HTTP); [`answer`] reads the hub's answers;
//! - [`resume`]: the sessions a client launched, opened again when the hub restarts;
//! - [`typed`]: one typed method per daemon command, generated from the contract;
//! - [`doctor`]: why the browser is (not) reachable, as one verdict with its fix;
//!   [`extension_files`]: where a loadable copy of the extension is, for that fix.
//!
//! It depends on the contract (`opendevbrowser_api`), never on the hub: a plugin that links
//! it compiles no server, CLI parser or log subscriber.

#![warn(missing_docs)]

pub mod answer;
pub mod autostart;
pub mod channel;
pub mod client;
pub mod discovery;
pub mod doctor;
pub mod error;
pub mod extension_files;
pub mod identity;
pub mod resume;
pub mod typed;

pub use client::{Binding, ClientOptions, HubClient};
pub use error::ClientError;
pub use opendevbrowser_api as api;
