//! Errors the hub answers with. Every variant has a stable `code` string and an HTTP
//! status, and its message says what a person can do about it.

use serde_json::{json, Value};

pub use opendevbrowser_api::CdpError;

/// An error answered by the relay's HTTP endpoints or the daemon RPC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// Missing or wrong bearer token / relay token.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Refused by the Origin/Host/peer rules.
    #[error("{message}")]
    Forbidden {
        /// Which rule refused it.
        code: &'static str,
        /// Upstream-compatible message.
        message: String,
    },
    /// A body that is not the expected JSON shape.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A command name the hub does not know.
    #[error("unknown command `{0}`; `hub.commands` lists them all (or see `opendevbrowser --help`)")]
    UnknownCommand(String),
    /// A missing or mistyped command parameter.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParam {
        /// The parameter.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Too many concurrent connections.
    #[error("too many connections to the hub; close idle clients and retry")]
    TooManyConnections,
    /// Not found.
    #[error("not found: {0}")]
    NotFound(String),
    /// A known path with the wrong HTTP method.
    #[error("method not allowed here (the relay answers GET/OPTIONS; the RPC answers POST /command, GET /status, POST /stop)")]
    MethodNotAllowed,
    /// A request body over the size limit.
    #[error("request body exceeds the {0}-byte limit")]
    TooLarge(usize),
    /// A CDP command failed.
    #[error(transparent)]
    Cdp(#[from] CdpError),
    /// A binding (lease) rule refused the call.
    #[error(transparent)]
    Lease(#[from] crate::leases::binding::LeaseError),
    /// A tab lease was refused (`tab_busy`, or `relay_busy` for the relay binding).
    #[error(transparent)]
    Claim(#[from] crate::leases::exclusion::ClaimError),
    /// A browser command could not be done.
    #[error(transparent)]
    Browser(#[from] opendevbrowser_browser::BrowserError),
}

impl HubError {
    /// Stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::Unauthorized(_) => "unauthorized",
            HubError::Forbidden { code, .. } => code,
            HubError::InvalidRequest(_) => "invalid_request",
            HubError::UnknownCommand(_) => "unknown_command",
            HubError::InvalidParam { .. } => "invalid_param",
            HubError::TooManyConnections => "too_many_connections",
            HubError::NotFound(_) => "not_found",
            HubError::TooLarge(_) => "payload_too_large",
            HubError::MethodNotAllowed => "method_not_allowed",
            HubError::Cdp(e) => e.code(),
            HubError::Lease(e) => e.code(),
            HubError::Claim(e) => e.code(),
            HubError::Browser(e) => e.code,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn http_status(&self) -> u16 {
        match self {
            HubError::Unauthorized(_) => 401,
            HubError::Forbidden { .. } => 403,
            HubError::InvalidRequest(_) | HubError::InvalidParam { .. } => 400,
            HubError::UnknownCommand(_) | HubError::NotFound(_) => 404,
            HubError::TooManyConnections => 429,
            HubError::TooLarge(_) => 413,
            HubError::MethodNotAllowed => 405,
            HubError::Cdp(CdpError::Timeout { .. }) => 504,
            HubError::Cdp(CdpError::Protocol { .. }) => 502,
            HubError::Cdp(_) => 503,
            HubError::Lease(crate::leases::binding::LeaseError::Required) => 428,
            HubError::Lease(crate::leases::binding::LeaseError::WaitTimeout { .. }) => 408,
            HubError::Lease(_) | HubError::Claim(_) => 409,
            // The browser layer's newer codes: a tab the user closed is a conflict with the
            // session's state, as `stale_ref` is.
            HubError::Browser(e) if e.code == "tab_closed" => 409,
            HubError::Browser(e) => e.http_status(),
        }
    }

    /// The daemon RPC error object: `{code, message}`.
    pub fn to_rpc_error(&self) -> Value {
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        let details = match self {
            HubError::Lease(e) => e.details(),
            HubError::Claim(e) => e.details(),
            _ => Value::Null,
        };
        if let (Some(target), Value::Object(extra)) = (error.as_object_mut(), details) {
            target.extend(extra);
        }
        error
    }

    /// Shorthand for a parameter error.
    pub fn param(name: &str, reason: impl Into<String>) -> Self {
        HubError::InvalidParam { name: name.to_owned(), reason: reason.into() }
    }
}

impl From<opendevbrowser_api::ParamError> for HubError {
    fn from(e: opendevbrowser_api::ParamError) -> Self {
        HubError::InvalidParam { name: e.name, reason: e.reason }
    }
}

impl From<opendevbrowser_browser::Error> for HubError {
    fn from(e: opendevbrowser_browser::Error) -> Self {
        match e {
            opendevbrowser_browser::Error::Browser(b) => HubError::Browser(b),
            opendevbrowser_browser::Error::Cdp(c) => HubError::Cdp(c),
            opendevbrowser_browser::Error::Param(p) => p.into(),
        }
    }
}
