//! Errors as they cross the wire: the `{code, message, …details}` body every failed
//! command answers with, the failure of a CDP command, and the list of every stable
//! `code` a client may see.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A failed command's `error` object: a stable `code`, a message a person can act on, and
/// details that depend on the code (e.g. `owner`, `expiresAt`, `position` for `relay_busy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable code (see [`CODES`]).
    pub code: String,
    /// What happened and what to do.
    pub message: String,
    /// Code-specific fields, flattened next to `code` and `message`.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

/// A failure of a CDP command sent to a browser (through the extension or straight).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdpError {
    /// No extension socket.
    #[error("the extension is not connected to the relay: open Chrome with the opendevbrowser extension and turn auto-connect on")]
    NotConnected,
    /// A socket, but no valid handshake yet.
    #[error("the extension is connected but has not completed its handshake yet; retry in a moment")]
    HandshakeIncomplete,
    /// The socket closed while the command was in flight.
    #[error("the extension disconnected before answering `{method}`: the command's outcome is unknown")]
    Disconnected {
        /// The command that was in flight.
        method: String,
    },
    /// A newer extension connection replaced the one the command was sent on.
    #[error("the extension connection was replaced before answering `{method}`: the command's outcome is unknown")]
    Replaced {
        /// The command that was in flight.
        method: String,
    },
    /// No answer in time.
    #[error("`{method}` got no answer from the extension within {ms} ms")]
    Timeout {
        /// The command.
        method: String,
        /// The timeout used.
        ms: u64,
    },
    /// The browser (or the extension) answered with a CDP error.
    #[error("`{method}` failed in the browser: {message}")]
    Protocol {
        /// The command.
        method: String,
        /// The CDP error code, if any.
        code: Option<i64>,
        /// The CDP error message.
        message: String,
    },
    /// The hub is shutting down.
    #[error("the hub is shutting down")]
    ShuttingDown,
    /// The connection to a remote browser dropped while the command was in flight.
    #[error("the connection to {endpoint} dropped before `{method}` was answered: the command may or may not have run in the remote browser")]
    OutcomeUnknown {
        /// The command that was in flight.
        method: String,
        /// The remote endpoint (secrets redacted).
        endpoint: String,
    },
    /// The connection to a remote browser is closed and could not be made again.
    #[error("{why}; `{method}` was not sent: connect again (session.connect)")]
    RemoteClosed {
        /// The command that was not sent.
        method: String,
        /// Which endpoint (secrets redacted) closed, and what reconnecting said.
        why: String,
    },
}

impl CdpError {
    /// Stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            CdpError::NotConnected => "extension_not_connected",
            CdpError::HandshakeIncomplete => "extension_handshake_incomplete",
            CdpError::Disconnected { .. } => "extension_disconnected",
            CdpError::Replaced { .. } => "extension_replaced",
            CdpError::Timeout { .. } => "cdp_timeout",
            CdpError::Protocol { .. } => "cdp_error",
            CdpError::ShuttingDown => "hub_shutting_down",
            CdpError::OutcomeUnknown { .. } => "outcome_unknown",
            CdpError::RemoteClosed { .. } => "remote_closed",
        }
    }
}

/// Every stable error code the hub answers with, and what it means. A test checks that
/// each code the hub's error types can produce is listed here.
pub const CODES: &[(&str, &str)] = &[
    ("unauthorized", "missing or wrong bearer / relay token"),
    ("non_loopback_peer", "the caller is not on this machine"),
    ("host_forbidden", "the Host header is not a loopback name"),
    ("origin_forbidden", "a web page (Origin header) called the hub"),
    ("extension_not_allowed", "an extension that is not opendevbrowser's and not in allowedExtensionIds"),
    ("origin_required", "a pairing request with neither an extension Origin nor the relay token"),
    ("other_os_user", "a connection from a process of another OS user"),
    ("invalid_request", "the body is not {name, params}"),
    ("unknown_command", "no such command (hub.commands lists them)"),
    ("invalid_param", "a parameter is missing or has the wrong type or range"),
    ("too_many_connections", "too many sockets open at once"),
    ("not_found", "no such route"),
    ("method_not_allowed", "wrong HTTP method for the route"),
    ("payload_too_large", "request body over the limit"),
    ("extension_not_connected", "no extension connected to the relay"),
    ("extension_handshake_incomplete", "the extension connected but has not handshaken yet"),
    ("extension_disconnected", "the extension left while the command was in flight"),
    ("extension_replaced", "a newer extension connection replaced the one in use"),
    ("cdp_timeout", "the browser did not answer in time"),
    ("cdp_error", "the browser answered with an error"),
    ("hub_shutting_down", "the hub is stopping"),
    ("relay_busy", "another instance holds the relay binding"),
    ("binding_required", "the command drives the user's Chrome and needs a binding"),
    ("binding_stale", "the bindingId expired, was released, or is from another hub"),
    ("wait_timeout", "relay.wait ended before the relay came free"),
    ("unknown_session", "no such browser session"),
    ("session_not_owned", "the session belongs to another caller"),
    ("invalid_mode", "session.launch mode is not extension or managed"),
    ("launch_failed", "the managed browser could not be started, or the new session could not attach to a page (the browser's own words follow)"),
    ("connect_failed", "no DevTools endpoint where session.connect looked, or the endpoint refused the connection (its words, secrets redacted)"),
    ("outcome_unknown", "the connection to a remote browser dropped while the command ran: it may or may not have happened"),
    ("remote_closed", "the connection to a remote browser is closed and reconnecting failed: connect again"),
    ("unknown_target", "no such target (tab), or it cannot be attached"),
    ("unknown_page", "no named page by that name"),
    ("unknown_ref", "a ref that was never issued for this page"),
    ("stale_ref", "a ref whose element left the page"),
    ("element_not_visible", "the element cannot be clicked or focused"),
    ("detached_target", "the session's browser has gone away"),
    ("navigation_failed", "the browser refused the navigation"),
    ("navigation_timeout", "the page did not reach the wait state in time"),
    ("no_history", "nav.back / nav.forward: nothing in that direction of the tab's history"),
    ("wait_timeout_exceeded", "nav.wait's condition did not hold in time"),
    ("invalid_selector", "not a valid CSS selector"),
    ("js_error", "the page threw (message and stack follow)"),
    ("unknown_key", "interact.press: a key name the hub does not know"),
    ("check_failed", "interact.check: the element is not a checkbox/radio, or the page did not take the new state"),
    ("not_editable", "interact.type / interact.fill: the element cannot take text (a button, a link, a disabled or read-only field); the message names its role"),
    ("option_not_found", "interact.select / interact.fill: no option has that value or label; the message lists the options"),
    ("invalid_value", "interact.fill: the value is not one the field takes (a date, time, color or range in the wrong form or out of bounds); the message gives the accepted form"),
    ("action_failed", "the action ran but the page did not end as asked (it kept or rewrote the value); the message says what it kept"),
    ("tab_closed", "the agent's tab was closed (by the user or the page): navigate to open a new one, or pick another tab"),
    ("session_lost", "the hub restarted and the session could not be restored: the next call starts a new one"),
    ("file_not_found", "interact.upload: a file that does not exist or cannot be read on this machine"),
    ("download_failed", "page.download: no download started in time, or the browser canceled it"),
    ("dialog_open", "a JavaScript dialog is open on the tab: answer it with page.dialog first"),
    ("no_dialog", "page.dialog was asked to answer a dialog, but none is open"),
    ("screenshot_failed", "no image from the browser, or it could not be written"),
    ("tab_busy", "another agent holds that tab (tab lease): the error names it, its expiry and your place in the tab's queue"),
    ("no_response_body", "devtools.networkBody: the browser keeps no body for that request (unknown id, not finished, a redirect, or evicted)"),
    ("not_supported", "the browser cannot do this in this session's mode (e.g. page.pdf through the extension)"),
    ("profile_busy", "a browser runs on that named profile already (one per profile): the error names its session"),
    ("unknown_profile", "there is no named profile of that name (profiles.list lists them)"),
    ("profile_delete_failed", "the profile's folder could not be removed (the OS's words follow)"),
    ("users_chrome_not_confirmed", "storage.save in the user's own Chrome writes every site's login cookies to a file: only with usersChrome: true"),
    ("unknown_rule", "there is no request rule of that id in this session (network.routes lists them)"),
    ("not_recording", "devtools.harStop without a devtools.harStart before it in this session"),
    ("already_tracing", "devtools.traceStart while this session's trace is still recording: devtools.traceStop first"),
    ("not_tracing", "devtools.traceStop without a devtools.traceStart before it in this session"),
    ("trace_failed", "the browser refused to start or end a performance trace, or handed over none (its words are in the message)"),
    ("vitals_unavailable", "the tab shows no web page the Web Vitals collector runs in: devtools.vitals with reload: true measures a fresh load"),
    ("origin_blocked", "the config file's allowed_origins / blocked_origins refuse that URL: the message names the rule"),
    ("storage_load_failed", "a storage state's localStorage could not be written (its origin could not be opened in the helper tab)"),
    ("pdf_failed", "page.pdf: the browser made no PDF, or it could not be written"),
];
