//! Browser sessions as the hub opens and keeps them: [`open`] registers a session (and
//! carries extension sessions over the relay), [`managed`] starts a Chromium of the hub's
//! own, [`remote`] connects to a DevTools endpoint, a fleet or a WebDriver server,
//! [`profiles`] keeps named profiles' folders, [`tab_scope`] is what a tab-scoped extension
//! session does around each command, and [`idle_detach`] lets go of idle tabs.

pub(crate) mod idle_detach;
pub(crate) mod managed;
pub(crate) mod open;
pub(crate) mod profiles;
pub(crate) mod remote;
pub(crate) mod tab_scope;
