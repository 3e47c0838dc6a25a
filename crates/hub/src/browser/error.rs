//! Errors of browser commands, each with a stable code and an HTTP status.

use crate::error::HubError;

/// A browser command that could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BrowserError {
    /// Stable code, e.g. `stale_ref`.
    pub code: &'static str,
    /// What happened and what to do.
    pub message: String,
}

impl BrowserError {
    /// A new error.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        BrowserError { code, message: message.into() }
    }

    /// The HTTP status it is answered with.
    pub fn http_status(&self) -> u16 {
        match self.code {
            "unknown_session" | "unknown_ref" | "unknown_target" | "unknown_page" => 404,
            "session_not_owned" => 403,
            "stale_ref" | "detached_target" | "element_not_visible" => 409,
            "navigation_timeout" | "wait_timeout_exceeded" => 504,
            "invalid_selector" | "invalid_mode" => 400,
            _ => 502,
        }
    }
}

/// A browser error as the hub error every command returns.
pub fn err(code: &'static str, message: impl Into<String>) -> HubError {
    HubError::Browser(BrowserError::new(code, message))
}
