//! Downloads in the user's Chrome: `chrome.debugger` cannot take `Browser.setDownloadBehavior`
//! (it has no browser target), so the extension watches `chrome.downloads` instead and
//! reports each download as the CDP events a browser would send
//! (`Browser.downloadWillBegin`, `Browser.downloadProgress`), with the real file path.
//! Files go where the user's Chrome saves downloads.

use super::{event, Router};
use pairing::wire::CdpEvent;
use serde::Deserialize;
use serde_json::json;

/// The fields of a `chrome.downloads.DownloadItem` the router uses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadItem {
    /// Chrome's download id.
    pub id: i64,
    /// Where it comes from.
    #[serde(default)]
    pub url: String,
    /// The full path it is (or will be) saved at; empty until Chrome has decided.
    #[serde(default)]
    pub filename: String,
    /// `in_progress`, `interrupted` or `complete`.
    #[serde(default)]
    pub state: String,
    /// Bytes received so far.
    #[serde(default)]
    pub bytes_received: f64,
    /// Total size, if known (-1 or 0 otherwise).
    #[serde(default)]
    pub total_bytes: f64,
}

impl DownloadItem {
    fn guid(&self) -> String {
        format!("chrome-download-{}", self.id)
    }

    /// The file's own name: the last part of its path, else of its URL.
    fn suggested_filename(&self) -> String {
        let from_path = self.filename.rsplit(['/', '\\']).next().filter(|n| !n.is_empty());
        let from_url = self.url.split(['?', '#']).next().and_then(|u| u.rsplit('/').next()).filter(|n| !n.is_empty());
        from_path.or(from_url).unwrap_or("download").to_owned()
    }
}

impl Router {
    /// `Browser.setDownloadBehavior`: whether download events were asked for.
    pub fn watch_downloads(&mut self, on: bool) {
        self.downloads_watched = on;
    }

    /// `chrome.downloads.onCreated`: `Browser.downloadWillBegin`, if downloads are watched.
    pub fn download_created(&self, item: &DownloadItem) -> Option<CdpEvent> {
        self.downloads_watched.then(|| {
            let params = json!({"guid": item.guid(), "url": item.url, "suggestedFilename": item.suggested_filename(),
                "frameId": ""});
            event("Browser.downloadWillBegin", params, None)
        })
    }

    /// A download changed (`chrome.downloads.onChanged`, the item read back):
    /// `Browser.downloadProgress`, with `filePath` once it is complete.
    pub fn download_changed(&self, item: &DownloadItem) -> Option<CdpEvent> {
        if !self.downloads_watched {
            return None;
        }
        let state = match item.state.as_str() {
            "complete" => "completed",
            "interrupted" => "canceled",
            _ => "inProgress",
        };
        let mut params = json!({"guid": item.guid(), "state": state, "receivedBytes": item.bytes_received as u64,
            "totalBytes": item.total_bytes.max(0.0) as u64});
        if state == "completed" {
            params["filePath"] = json!(item.filename);
        }
        Some(event("Browser.downloadProgress", params, None))
    }
}
