//! Who may drive the user's Chrome, and when: the relay binding ([`binding`], pure), the
//! agents' own tabs ([`tabs`], pure), the rule between the two ([`exclusion`], pure), the
//! service that runs them on the clock and wakes queued callers ([`service`]), and the
//! door a `/cdp` client enters by holding the binding ([`cdp_door`]).

pub(crate) mod binding;
pub(crate) mod cdp_door;
pub(crate) mod exclusion;
pub(crate) mod service;
pub(crate) mod tabs;
