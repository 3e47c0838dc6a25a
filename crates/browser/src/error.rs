//! What a browser command answers when it cannot be done: a [`BrowserError`] with a stable
//! code, a CDP failure, or a bad parameter.

use opendevbrowser_api::{CdpError, ParamError};

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
            "unknown_session" | "unknown_ref" | "unknown_target" | "unknown_page" | "no_response_body"
            | "unknown_profile" | "unknown_rule" => 404,
            "not_supported" => 501,
            "session_not_owned" | "users_chrome_not_confirmed" | "origin_blocked" => 403,
            "stale_ref"
            | "detached_target"
            | "element_not_visible"
            | "no_history"
            | "dialog_open"
            | "no_dialog"
            | "check_failed"
            | "action_failed"
            | "tab_busy"
            | "profile_busy"
            | "not_recording"
            | "already_tracing"
            | "not_tracing"
            | "vitals_unavailable" => 409,
            "navigation_timeout" | "wait_timeout_exceeded" => 504,
            "invalid_selector" | "invalid_mode" | "unknown_key" | "file_not_found" | "option_not_found"
            | "invalid_value" | "not_editable" => 400,
            _ => 502,
        }
    }
}

/// Any failure of a browser command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The command could not be done (see its code).
    #[error(transparent)]
    Browser(#[from] BrowserError),
    /// A CDP call failed.
    #[error(transparent)]
    Cdp(#[from] CdpError),
    /// A parameter the contract's schema cannot express was wrong.
    #[error(transparent)]
    Param(#[from] ParamError),
}

impl Error {
    /// A bad parameter.
    pub fn param(name: &str, reason: impl Into<String>) -> Self {
        Error::Param(ParamError::new(name, reason))
    }
}

/// A browser error with `code`.
pub fn err(code: &'static str, message: impl Into<String>) -> Error {
    Error::Browser(BrowserError::new(code, message))
}
