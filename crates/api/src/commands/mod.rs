//! Every daemon command: a params struct (the command itself, with its JSON Schema) and a
//! result struct, grouped by what they act on. [`for_each_command!`](crate::for_each_command)
//! is the one list of them all; the registry, the hub's dispatch and the client's typed
//! methods are generated from it, so a command cannot exist on one side only.

mod dom;
mod forms;
mod hub;
mod interact;
mod launch_settings;
mod nav;
mod network;
mod observe;
mod page;
mod perf;
mod session;
mod storage;

pub use dom::*;
pub use forms::*;
pub use hub::*;
pub use interact::*;
pub use launch_settings::*;
pub use nav::*;
pub use network::*;
pub use observe::*;
pub use page::*;
pub use perf::*;
pub use session::*;
pub use storage::*;

use serde::{Deserialize, Serialize};

/// Implements [`Command`](crate::Command) for a params struct; a trailing
/// `tool("browser_x", reads | writes, "guide")` offers it to agents as a tool.
macro_rules! command {
    ($ty:ident: $name:literal, cli $cli:literal, $scope:ident, -> $out:ty, $about:literal) => {
        command!(@impl $ty, $name, $cli, $scope, $out, $about, None);
    };
    ($ty:ident: $name:literal, cli $cli:literal, $scope:ident, -> $out:ty, $about:literal,
     tool($tool:literal, $access:ident, $guide:literal)) => {
        command!(@impl $ty, $name, $cli, $scope, $out, $about,
            Some($crate::Tool { name: $tool, read_only: command!(@reads $access), guide: $guide }));
    };
    (@impl $ty:ident, $name:literal, $cli:literal, $scope:ident, $out:ty, $about:literal, $tool:expr) => {
        impl $crate::Command for $ty {
            const NAME: &'static str = $name;
            const CLI: &'static str = $cli;
            const ABOUT: &'static str = $about;
            const SCOPE: $crate::Scope = $crate::Scope::$scope;
            type Output = $out;
            const TOOL: Option<$crate::Tool> = $tool;
        }
    };
    (@reads reads) => { true };
    (@reads writes) => { false };
}
pub(crate) use command;

/// Calls `$callback!` with every command as `kind Type => method;`, where `kind` is `hub`
/// (runs in the hub) or `session` (runs in the browser session named by `sessionId`) and
/// `method` is the client library's method name. The one list of all commands.
#[macro_export]
macro_rules! for_each_command {
    ($callback:ident) => {
        $callback! {
            hub $crate::commands::ListCommands => hub_commands;
            hub $crate::commands::GetHubStatus => hub_status;
            hub $crate::commands::GetRelayStatus => relay_status;
            hub $crate::commands::GetCdpUrl => relay_cdp_url;
            hub $crate::commands::Bind => relay_bind;
            hub $crate::commands::WaitBind => relay_wait;
            hub $crate::commands::Renew => relay_renew;
            hub $crate::commands::Release => relay_release;
            hub $crate::commands::RestartRelay => relay_restart;
            hub $crate::commands::CdpSend => cdp_call;
            hub $crate::commands::Launch => session_launch;
            hub $crate::commands::Connect => session_connect;
            session $crate::commands::Disconnect => session_disconnect;
            session $crate::commands::SessionStatus => session_status;
            session $crate::commands::ListTargets => targets_list;
            session $crate::commands::NewTarget => targets_new;
            session $crate::commands::UseTarget => targets_use;
            session $crate::commands::CloseTarget => targets_close;
            session $crate::commands::OpenPage => page_open;
            session $crate::commands::ListPages => page_list;
            session $crate::commands::ClosePage => page_close;
            session $crate::commands::Goto => nav_goto;
            session $crate::commands::Back => nav_back;
            session $crate::commands::Forward => nav_forward;
            session $crate::commands::Reload => nav_reload;
            session $crate::commands::Wait => nav_wait;
            session $crate::commands::Snapshot => nav_snapshot;
            session $crate::commands::Find => nav_find;
            session $crate::commands::Click => interact_click;
            session $crate::commands::Hover => interact_hover;
            session $crate::commands::Drag => interact_drag;
            session $crate::commands::Check => interact_check;
            session $crate::commands::Fill => interact_fill;
            session $crate::commands::Upload => interact_upload;
            session $crate::commands::TypeText => interact_type;
            session $crate::commands::Press => interact_press;
            session $crate::commands::Select => interact_select;
            session $crate::commands::Scroll => interact_scroll;
            session $crate::commands::ScrollIntoView => interact_scroll_into_view;
            session $crate::commands::GetHtml => dom_get_html;
            session $crate::commands::GetText => dom_get_text;
            session $crate::commands::GetAttr => dom_get_attr;
            session $crate::commands::GetValue => dom_get_value;
            session $crate::commands::IsVisible => dom_is_visible;
            session $crate::commands::IsEnabled => dom_is_enabled;
            session $crate::commands::IsChecked => dom_is_checked;
            session $crate::commands::Screenshot => page_screenshot;
            session $crate::commands::ConsolePoll => devtools_console_poll;
            session $crate::commands::NetworkPoll => devtools_network_poll;
            session $crate::commands::Perf => devtools_perf;
            session $crate::commands::Dialog => page_dialog;
            session $crate::commands::Evaluate => page_evaluate;
            session $crate::commands::Download => page_download;
            session $crate::commands::NetworkBody => devtools_network_body;
            session $crate::commands::Cookies => storage_cookies;
            session $crate::commands::StorageItems => storage_items;
            session $crate::commands::Route => network_route;
            session $crate::commands::Unroute => network_unroute;
            session $crate::commands::ListRoutes => network_routes;
            session $crate::commands::HarStart => devtools_har_start;
            session $crate::commands::HarStop => devtools_har_stop;
            session $crate::commands::SaveStorage => storage_save;
            session $crate::commands::LoadStorage => storage_load;
            hub $crate::commands::ListProfiles => profiles_list;
            hub $crate::commands::DeleteProfile => profiles_delete;
            session $crate::commands::Emulate => page_emulate;
            session $crate::commands::Pdf => page_pdf;
            session $crate::commands::TraceStart => devtools_trace_start;
            session $crate::commands::TraceStop => devtools_trace_stop;
            session $crate::commands::Vitals => devtools_vitals;
        }
    };
}

/// `{"ok": true}`: the command was done and has nothing else to say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// Always true.
    pub ok: bool,
}

impl Done {
    /// `{"ok": true}`.
    pub const YES: Done = Done { ok: true };
}

/// How long a command took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// Milliseconds.
    pub timing_ms: u64,
}

/// The longest `timeoutMs` any command accepts.
pub const MAX_TIMEOUT_MS: u64 = 300_000;
