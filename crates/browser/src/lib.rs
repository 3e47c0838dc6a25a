//! The browser command layer: what every session command does, over any CDP transport.
//!
//! - [`transport`]: the [`CdpTransport`] trait (call, events, alive) a session drives;
//! - [`direct`]: a transport straight to a DevTools WebSocket; [`launcher`] starts Chromium,
//!   found by [`chrome_paths`];
//! - [`session`] + [`state`]: one session's targets, flat sessions, pages and logs, whose
//!   entries [`event_log`] makes from CDP events;
//! - [`targets`], [`nav`], [`actions`], [`input`], [`forms`], [`page_ops`], [`observe`]
//!   (network bodies, cookies, web storage), [`presentation`] (emulation, PDF): the commands,
//!   one [`SessionOp`] impl per contract type (`opendevbrowser_api::commands`), most on the
//!   active target through `ctx::Ctx`; [`snapshot`] (paging), [`js`], [`element_js`],
//!   [`keys`], [`dialogs`] (the rules for JavaScript dialogs) and [`downloads`] are their
//!   helpers;
//! - the snapshot: [`page_outline`] reads each document's accessibility tree and
//!   [`dom_facts`] (clickable elements without a role, iframes) and [`outline`] renders
//!   them as lines; [`changes`] tells what an action changed;
//! - refs: [`refs`] (the hub holds each as a backend node id, nothing in the page),
//!   [`frames`] (resolving a ref to its element, in whichever frame it is), [`ref_table`]
//!   (the hub's object `page.evaluate` runs on);
//! - [`background`]: a tab the user is not looking at kept working at full speed;
//! - [`registry`]: every open session;
//! - [`error`]: what a command answers when it cannot be done.
//!
//! It knows nothing of the hub's relay, leases or RPC: the hub implements [`CdpTransport`]
//! for the extension relay, checks ownership and bindings, and calls in here.

#![warn(missing_docs)]

pub mod actions;
pub mod background;
pub mod changes;
pub mod chrome_paths;
mod ctx;
pub mod devices;
pub mod dialogs;
pub mod direct;
pub mod dom_facts;
pub mod downloads;
pub mod element_js;
mod environment;
pub mod error;
pub mod event_log;
pub mod forms;
pub mod frames;
pub mod har;
pub mod input;
mod js;
pub mod keys;
pub mod launch_settings;
pub mod launcher;
pub mod nav;
pub mod network_rules;
pub mod observe;
pub mod outline;
pub mod page_ops;
pub mod page_outline;
pub mod presentation;
pub mod recording;
pub mod ref_table;
pub mod refs;
pub mod registry;
pub mod remote;
pub mod routes;
pub mod session;
mod settle;
pub mod snapshot;
pub mod state;
pub mod storage_state;
pub mod targets;
pub mod throttle;
pub mod trace;
pub mod transport;
pub mod vitals;
pub mod vitals_collector;
pub mod webdriver;

pub use error::{BrowserError, Error};
pub use registry::Sessions;
pub use session::{BrowserSession, Mode};
pub use transport::CdpTransport;

use opendevbrowser_api::Command;
use std::future::Future;
use std::sync::Arc;

/// A command that runs entirely in one browser session (the caller is already checked).
pub trait SessionOp: Command {
    /// Runs it in `session`.
    fn run(self, session: &Arc<BrowserSession>) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}
