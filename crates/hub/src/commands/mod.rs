//! Running one daemon command: [`dispatch`] reads the wire name and params with the
//! contract's rules and runs the command's handler; the handlers that need the hub live
//! here ([`hub_wide`]: relay, binding, status; [`session_lifecycle`]: launch, connect,
//! disconnect; [`profiles`]: named profiles), and every other session command is the
//! browser layer's. [`call`] is one call in progress, [`params`] reads the envelope fields
//! every call carries.

pub(crate) mod call;
pub(crate) mod dispatch;
pub(crate) mod hub_wide;
pub(crate) mod params;
pub(crate) mod profiles;
pub(crate) mod session_lifecycle;
