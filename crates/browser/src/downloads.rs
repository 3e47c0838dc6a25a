//! Downloads as the browser reports them (`Browser.downloadWillBegin`,
//! `Browser.downloadProgress`; in extension mode the extension turns `chrome.downloads`
//! events into the same two events). Pure: events in, one record per download out.

use serde_json::Value;
use std::collections::HashMap;

/// One download.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadRecord {
    /// Where it came from.
    pub url: String,
    /// The name the site gave it.
    pub suggested_filename: String,
    /// `inProgress`, `completed` or `canceled`.
    pub state: String,
    /// Where the browser saved it, when it says (`filePath`).
    pub file_path: Option<String>,
    /// Bytes received so far.
    pub received_bytes: u64,
}

impl DownloadRecord {
    /// Whether it is over (saved or canceled).
    pub fn finished(&self) -> bool {
        self.state == "completed" || self.state == "canceled"
    }
}

/// Every download this session has seen, by the browser's guid.
#[derive(Debug, Default)]
pub struct Downloads {
    /// By guid.
    pub by_guid: HashMap<String, DownloadRecord>,
    /// Whether download events were asked for (`Browser.setDownloadBehavior`).
    pub enabled: bool,
}

impl Downloads {
    /// Applies a browser-level event; true if it was a download event.
    pub fn apply(&mut self, method: &str, params: &Value) -> bool {
        let text = |k: &str| params[k].as_str().unwrap_or_default().to_owned();
        match method {
            "Browser.downloadWillBegin" => {
                let record = self.by_guid.entry(text("guid")).or_default();
                record.url = text("url");
                record.suggested_filename = text("suggestedFilename");
                if record.state.is_empty() {
                    record.state = "inProgress".into();
                }
                true
            }
            "Browser.downloadProgress" => {
                let record = self.by_guid.entry(text("guid")).or_default();
                record.state = text("state");
                record.received_bytes = params["receivedBytes"].as_u64().unwrap_or(record.received_bytes);
                if let Some(path) = params["filePath"].as_str().filter(|p| !p.is_empty()) {
                    record.file_path = Some(path.to_owned());
                }
                true
            }
            _ => false,
        }
    }

    /// The guids known now (to tell a new download from earlier ones).
    pub fn guids(&self) -> Vec<String> {
        self.by_guid.keys().cloned().collect()
    }

    /// The first download not in `before`, if any.
    pub fn new_since(&self, before: &[String]) -> Option<(String, DownloadRecord)> {
        self.by_guid.iter().find(|(g, _)| !before.contains(g)).map(|(g, r)| (g.clone(), r.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_download_goes_from_will_begin_to_completed_with_its_path() {
        let mut d = Downloads::default();
        let before = d.guids();
        assert!(d.apply(
            "Browser.downloadWillBegin",
            &json!({"guid": "g1", "url": "http://x/r.csv", "suggestedFilename": "r.csv"})
        ));
        let (guid, record) = d.new_since(&before).unwrap();
        assert_eq!((guid.as_str(), record.state.as_str(), record.finished()), ("g1", "inProgress", false));
        d.apply(
            "Browser.downloadProgress",
            &json!({"guid": "g1", "state": "completed", "receivedBytes": 12, "filePath": "/d/r.csv"}),
        );
        let record = &d.by_guid["g1"];
        assert!(record.finished());
        assert_eq!((record.received_bytes, record.file_path.as_deref()), (12, Some("/d/r.csv")));
        assert!(!d.apply("Page.loadEventFired", &json!({})));
        assert!(d.new_since(&d.guids()).is_none());
    }
}
