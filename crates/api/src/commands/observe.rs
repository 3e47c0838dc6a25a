//! Looking into the page's world and changing how it is seen: a response body from the
//! network log, cookies and web storage of the active page's origin, viewport / device /
//! offline emulation, and the page as a PDF.

use super::command;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `devtools.networkBody`: the body of a response the network log lists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkBody {
    /// From an entry of `devtools.networkPoll`.
    pub request_id: String,
    /// Cut at this many bytes (default 100000).
    #[schemars(range(min = 1, max = 5_000_000))]
    pub max_bytes: Option<u64>,
}
command!(NetworkBody: "devtools.networkBody", cli "network-body", Session, -> ResponseBody,
    "The body of a response in the network log (size-capped)",
    tool("browser_network_body", reads, "A response's body: text as is, binary as base64."));

/// A response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseBody {
    /// The request.
    pub request_id: String,
    /// The body (cut at `maxBytes`): text, or base64 when `base64Encoded`.
    pub body: String,
    /// Whether `body` is base64 (images, fonts and other binary responses).
    pub base64_encoded: bool,
    /// The whole body's size in bytes.
    pub bytes: usize,
    /// Whether `body` was cut.
    pub truncated: bool,
}

/// `storage.cookies`: the active page's cookies (those its URL would send), and setting
/// or deleting them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cookies {
    /// Default list; set: name, value and the other fields; delete: name; clear: every
    /// cookie the page's URL sends.
    #[schemars(extend("enum" = ["list", "set", "delete", "clear"]))]
    pub action: Option<String>,
    /// The cookie's name.
    pub name: Option<String>,
    /// The cookie's value.
    pub value: Option<String>,
    /// Default `/`.
    pub path: Option<String>,
    /// Default: the page's host only.
    pub domain: Option<String>,
    /// Seconds since the epoch (default: a session cookie).
    pub expires: Option<f64>,
    /// Hidden from the page's JavaScript.
    pub http_only: Option<bool>,
    /// HTTPS only.
    pub secure: Option<bool>,
    /// The cookie's SameSite.
    #[schemars(extend("enum" = ["Strict", "Lax", "None"]))]
    pub same_site: Option<String>,
}
command!(Cookies: "storage.cookies", cli "cookies", Session, -> CookieJar,
    "List, set, delete or clear the active page's cookies",
    tool("browser_cookies", writes, "The active page's cookies: list, set, delete or clear; answers them after the change."));

/// The cookies of a page after a `storage.cookies` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CookieJar {
    /// The page whose cookies these are.
    pub url: String,
    /// As the browser reports them: `{name, value, domain, path, expires, httpOnly,
    /// secure, sameSite, session, size}`.
    pub cookies: Vec<Value>,
}

/// `storage.items`: the active page's `localStorage` or `sessionStorage`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageItems {
    /// Default local.
    #[schemars(extend("enum" = ["local", "session"]))]
    pub area: Option<String>,
    /// Default list; set: key and value; remove: key.
    #[schemars(extend("enum" = ["list", "set", "remove", "clear"]))]
    pub action: Option<String>,
    /// The item's key.
    pub key: Option<String>,
    /// The item's value.
    pub value: Option<String>,
}
command!(StorageItems: "storage.items", cli "storage", Session, -> StorageContents,
    "List, set, remove or clear the active page's localStorage or sessionStorage",
    tool("browser_storage", writes, "The active page's localStorage or sessionStorage: list, set, remove or clear; answers the items after the change."));

/// A storage area after a `storage.items` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageContents {
    /// The page's origin (storage belongs to it).
    pub origin: String,
    /// `local` or `session`.
    pub area: String,
    /// Every item, key → value.
    pub items: Map<String, Value>,
}

/// `page.emulate`: how the active tab presents itself: viewport, device, network.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Emulate {
    /// A preset (size, pixel ratio, touch, user agent): `iPhone 15`, `Pixel 7`, `iPad
    /// Mini`, `Desktop 1080p`; the other fields override it.
    pub device: Option<String>,
    /// Viewport width (CSS pixels).
    #[schemars(range(min = 1, max = 10_000))]
    pub width: Option<u32>,
    /// Viewport height (CSS pixels).
    #[schemars(range(min = 1, max = 10_000))]
    pub height: Option<u32>,
    /// Device pixel ratio (default 1).
    #[schemars(range(min = 0.1, max = 10.0))]
    pub device_scale_factor: Option<f64>,
    /// Touch events and the mobile viewport rules.
    pub mobile: Option<bool>,
    /// What the page and servers see.
    pub user_agent: Option<String>,
    /// `true` cuts the tab off the network, `false` brings it back.
    pub offline: Option<bool>,
    /// Network speed preset (DevTools' figures; fast-3g = slow-4g).
    #[schemars(extend("enum" = ["none", "offline", "slow-3g", "fast-3g", "slow-4g", "fast-4g"]))]
    pub network: Option<String>,
    /// Custom network: added latency (ms).
    pub latency_ms: Option<f64>,
    /// Custom network: download speed (kbit/s).
    pub download_kbps: Option<f64>,
    /// Custom network: upload speed (kbit/s).
    pub upload_kbps: Option<f64>,
    /// CPU slowdown factor (1 = none).
    #[schemars(range(min = 1.0, max = 50.0))]
    pub cpu_slowdown: Option<f64>,
    /// Geolocation latitude (with longitude).
    pub latitude: Option<f64>,
    /// Geolocation longitude.
    pub longitude: Option<f64>,
    /// Locale, e.g. de-DE.
    pub locale: Option<String>,
    /// Time zone, e.g. Asia/Tokyo.
    pub timezone: Option<String>,
    /// prefers-color-scheme.
    #[schemars(extend("enum" = ["light", "dark"]))]
    pub color_scheme: Option<String>,
    /// prefers-reduced-motion: reduce.
    pub reduced_motion: Option<bool>,
    /// Managed/connected: grant these permissions to the page's origin (e.g. geolocation,
    /// notifications, clipboard-read).
    pub permissions: Option<Vec<String>>,
    /// Back to the real window, device, network, CPU and the rest first.
    pub reset: Option<bool>,
}
command!(Emulate: "page.emulate", cli "emulate", Session, -> Emulation,
    "Set the active tab's viewport, device, network speed, CPU speed, location, locale, time zone, colour scheme or permissions",
    tool("browser_emulate", writes, "Emulate a device, slow network or CPU, a location, locale, time zone or colour scheme in the active tab; answers what the page now sees."));

/// What the page sees after `page.emulate`, read from the page itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Emulation {
    /// `innerWidth` (on a mobile device, a page without a viewport meta tag lays out
    /// 980 px wide, as on a real phone).
    pub width: u32,
    /// `innerHeight`.
    pub height: u32,
    /// `devicePixelRatio`.
    pub device_scale_factor: f64,
    /// Whether touch is on (`navigator.maxTouchPoints > 0`).
    pub touch: bool,
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// Whether the tab is cut off the network (as set by `page.emulate`).
    pub offline: bool,
    /// `navigator.language`.
    #[serde(default)]
    pub language: String,
    /// The time zone the page's clock uses.
    #[serde(default)]
    pub timezone: String,
    /// `dark` or `light`, as `prefers-color-scheme` matches.
    #[serde(default)]
    pub color_scheme: String,
    /// Whether `prefers-reduced-motion: reduce` matches.
    #[serde(default)]
    pub reduced_motion: bool,
}

/// `page.pdf`: the active page printed to PDF (managed headless sessions).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pdf {
    /// Save it here (default: a temp file).
    pub path: Option<String>,
    /// Landscape pages.
    pub landscape: Option<bool>,
    /// With background colours and images.
    pub print_background: Option<bool>,
    /// Also answer the bytes as base64.
    pub inline: Option<bool>,
}
command!(Pdf: "page.pdf", cli "pdf", Session, -> PdfFile,
    "Print the active page to a PDF file (managed headless sessions)",
    tool("browser_pdf", reads, "Save the page as a PDF (managed headless sessions only); answers its path and size."));

/// A PDF that was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PdfFile {
    /// Where it is.
    pub path: String,
    /// Its size.
    pub bytes: usize,
    /// The file itself, base64 (with `inline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}
