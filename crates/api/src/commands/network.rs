//! Changing the network a session's pages see: request rules (block, mock, set headers),
//! each counting its hits.

use super::command;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `network.route`: a request rule for every tab of the session, new ones included.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// A glob (`*` any characters) or, with `regex`, a regular expression.
    #[schemars(length(min = 1))]
    pub url_pattern: String,
    /// urlPattern is a regex.
    pub regex: Option<bool>,
    /// Only these types (Script, Fetch, XHR, Image, Document, …).
    pub resource_types: Option<Vec<String>>,
    /// block; mock (answer with status, headers, body); headers (set request headers).
    #[schemars(extend("enum" = ["block", "mock", "headers"]))]
    pub action: String,
    /// mock: HTTP status (200).
    pub status: Option<u16>,
    /// Response (mock) or request (headers) headers.
    pub headers: Option<BTreeMap<String, String>>,
    /// mock: body text.
    pub body: Option<String>,
    /// mock: body from a file.
    pub body_file: Option<String>,
}
command!(Route: "network.route", cli "route", Session, -> RouteAdded,
    "Add a request rule: block, mock a response, or set request headers for matching URLs",
    tool("browser_route", writes, "Block, mock or add headers to matching requests."));

/// A rule that was added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteAdded {
    /// Pass to `network.unroute`.
    pub rule_id: String,
    /// Rules in force now.
    pub rules: usize,
}

/// `network.unroute`: removes one rule, or all.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unroute {
    /// Default: all.
    pub rule_id: Option<String>,
}
command!(Unroute: "network.unroute", cli "unroute", Session, -> RoutesRemoved,
    "Remove a request rule (or all of them)",
    tool("browser_unroute", writes, "Remove request rules."));

/// Rules that were removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutesRemoved {
    /// How many.
    pub removed: usize,
}

/// `network.routes`: the rules in force and how many requests each acted on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListRoutes {}
command!(ListRoutes: "network.routes", cli "routes", Session, -> RouteList,
    "List the request rules and each one's hit count",
    tool("browser_route_list", reads, "Request rules and their hit counts."));

/// The rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteList {
    /// In the order added (the first block/mock rule that matches decides).
    pub rules: Vec<RouteInfo>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteInfo {
    /// Its id.
    pub rule_id: String,
    /// Its pattern.
    pub url_pattern: String,
    /// A regular expression.
    pub regex: bool,
    /// Only these resource types (empty: any).
    pub resource_types: Vec<String>,
    /// block, mock or headers.
    pub action: String,
    /// Requests it acted on.
    pub hits: u64,
}

/// `devtools.harStart`: records the session's network from now on, for `devtools.harStop`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HarStart {
    /// Response bodies up to this size go in the file (default 1000000; 0: none).
    pub max_body_bytes: Option<u64>,
}
command!(HarStart: "devtools.harStart", cli "har-start", Session, -> super::Done,
    "Start recording the session's network for a HAR file",
    tool("browser_har_start", writes, "Start recording this session's network (then browser_har_stop)."));

/// `devtools.harStop`: writes what was recorded as a HAR 1.2 file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HarStop {
    /// The file to write.
    pub path: String,
}
command!(HarStop: "devtools.harStop", cli "har-stop", Session, -> HarFile,
    "Stop recording and write the network as a HAR 1.2 file",
    tool("browser_har_stop", writes, "Stop recording and save the network as a HAR file."));

/// A HAR file that was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarFile {
    /// Where.
    pub path: String,
    /// Requests in it.
    pub entries: usize,
    /// Document navigations in it.
    pub pages: usize,
    /// Response bodies in it.
    pub bodies: usize,
    /// Network events that did not fit in the recording (0 unless it ran very long).
    pub dropped_events: usize,
}
