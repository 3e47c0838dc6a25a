//! JavaScript dialogs (alert, confirm, prompt, beforeunload): a page that opens one stops
//! running until it is answered, so nothing may wait for it blindly.
//!
//! The session's event pump sees `Page.javascriptDialogOpening`. Under the `report` policy
//! (default) the dialog is recorded as open on its target: commands on that tab answer
//! `dialog_open` at once, and a command already waiting on that tab (the click that opened
//! it) is released with the same answer. `page.dialog` answers it. Under `accept` or
//! `dismiss` the pump answers it itself and the dialog is listed in the next result.
//!
//! This module holds the rules (pure); `page.dialog` itself is in [`crate::page_ops`].

use crate::error::{err, Error};
use opendevbrowser_api::commands::DialogInfo;
use serde_json::Value;

/// What a session does when a page opens a dialog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DialogPolicy {
    /// Keep it open and tell every command (`dialog_open`) until `page.dialog` answers it.
    #[default]
    Report,
    /// Press OK at once.
    Accept,
    /// Press Cancel at once.
    Dismiss,
}

impl DialogPolicy {
    /// From its wire name.
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "report" => Ok(DialogPolicy::Report),
            "accept" => Ok(DialogPolicy::Accept),
            "dismiss" => Ok(DialogPolicy::Dismiss),
            other => Err(Error::param("policy", format!("must be report, accept or dismiss, not {other:?}"))),
        }
    }

    /// Its wire name.
    pub fn name(self) -> &'static str {
        match self {
            DialogPolicy::Report => "report",
            DialogPolicy::Accept => "accept",
            DialogPolicy::Dismiss => "dismiss",
        }
    }

    /// Whether the pump answers dialogs itself, and how (`true` = accept).
    pub fn auto_answer(self) -> Option<bool> {
        match self {
            DialogPolicy::Report => None,
            DialogPolicy::Accept => Some(true),
            DialogPolicy::Dismiss => Some(false),
        }
    }
}

/// The dialog described by a `Page.javascriptDialogOpening` event's params.
pub fn opening(params: &Value) -> DialogInfo {
    let text = |k: &str| params[k].as_str().unwrap_or_default().to_owned();
    DialogInfo {
        kind: text("type"),
        message: text("message"),
        default_prompt: params["defaultPrompt"].as_str().filter(|p| !p.is_empty()).map(str::to_owned),
        url: text("url"),
        outcome: None,
    }
}

/// The outcome word for an answer.
pub fn outcome(accept: bool) -> &'static str {
    if accept {
        "accepted"
    } else {
        "dismissed"
    }
}

/// The `dialog_open` error for a dialog open on the tab.
pub fn dialog_open(dialog: &DialogInfo) -> Error {
    let default = dialog.default_prompt.as_ref().map_or_else(String::new, |p| format!(" (default answer {p:?})"));
    err(
        "dialog_open",
        format!(
            "a {} dialog is open on this tab: {:?}{default}. The page is paused until it is answered: \
             use page.dialog with action accept or dismiss (CLI: `opendevbrowser dialog --action accept`)",
            dialog.kind, dialog.message
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_opening_event_becomes_a_dialog_and_its_error_says_how_to_answer() {
        let params = json!({"type": "prompt", "message": "Your name?", "defaultPrompt": "Ada", "url": "http://x/"});
        let dialog = opening(&params);
        assert_eq!((dialog.kind.as_str(), dialog.default_prompt.as_deref()), ("prompt", Some("Ada")));
        let Error::Browser(e) = dialog_open(&dialog) else { panic!() };
        assert_eq!(e.code, "dialog_open");
        assert!(e.message.contains("\"Your name?\"") && e.message.contains("page.dialog"), "{}", e.message);
    }

    #[test]
    fn policies_parse_and_say_how_they_answer() {
        assert_eq!(DialogPolicy::parse("accept").unwrap().auto_answer(), Some(true));
        assert_eq!(DialogPolicy::parse("dismiss").unwrap().auto_answer(), Some(false));
        assert_eq!(DialogPolicy::default().auto_answer(), None);
        assert!(DialogPolicy::parse("ignore").is_err());
    }
}
