//! Forms in one call: check/uncheck with the final state verified, fill many fields, and
//! upload files into a file input.

use super::command;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `interact.check`: make a checkbox or radio checked (or not) and verify it stuck.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Check {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// `false` to uncheck (default true).
    pub checked: Option<bool>,
}
command!(Check: "interact.check", cli "check", Session, -> CheckState, "Check (or uncheck) a checkbox or radio by ref, clicking it only if needed, and verify the result",
    tool("browser_check", writes, "Check or uncheck a checkbox or radio, clicking only if needed; check_failed if the page did not take it."));

/// A checkbox's state after `interact.check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckState {
    /// Whether it is checked now.
    pub checked: bool,
    /// Whether it had to be clicked.
    pub changed: bool,
}

/// One field for `interact.fill`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Field {
    /// The field's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// Text; a select's option (value or label); true/false for a checkbox or radio.
    pub value: Value,
}

/// `interact.fill`: set many form fields in one call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Fill {
    /// In order.
    #[schemars(length(min = 1))]
    pub fields: Vec<Field>,
}
command!(Fill: "interact.fill", cli "fill", Session, -> Filled, "Fill many form fields at once (text, select, checkbox, radio) by ref",
    tool("browser_fill_form", writes, "Fill many form fields in one call."));

/// What `interact.fill` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filled {
    /// How many fields were set.
    pub filled: usize,
}

/// `interact.upload`: put files into a file input.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Upload {
    /// The element's ref.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1))]
    pub element: String,
    /// Paths on this machine.
    #[schemars(length(min = 1))]
    pub files: Vec<String>,
}
command!(Upload: "interact.upload", cli "upload", Session, -> Uploaded, "Upload files into a file input by ref",
    tool("browser_file_upload", writes, "Set the files of a file input; the page gets its change event."));

/// The files an input now holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uploaded {
    /// Their names and sizes as the page sees them.
    pub files: Vec<UploadedFile>,
}

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadedFile {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
}
