//! Downloads in the user's Chrome, reported as the browser-level CDP events a browser sends
//! once `Browser.setDownloadBehavior {eventsEnabled: true}` asked for them
//! (`Browser.downloadWillBegin`, `Browser.downloadProgress`). `chrome.debugger` has no
//! browser target, so the extension builds them from what it can see:
//!
//! - the debugger's own `Page.downloadWillBegin` / `Page.downloadProgress`, which Chrome
//!   sends on an attached tab whose Page domain is enabled: they carry Chrome's guid and
//!   the `frameId` the download started in, which is how Playwright finds the page a
//!   download belongs to (`page.waitForEvent('download')`);
//! - `chrome.downloads`, which sees every download and knows where the file was saved
//!   (`filePath` of the completed event), and covers downloads of tabs the debugger is not
//!   attached to (those are named `chrome-download-<id>`, with an empty `frameId`).
//!
//! One download is reported once, under one guid: a `chrome.downloads` item is matched to
//! the debugger's report of the same URL (Chrome tells the debugger first), and its
//! completion (with the path) then comes from `chrome.downloads`. Files go where the
//! user's Chrome saves downloads: the `downloadPath` a client asks for is not applied.

use super::{event, Plan, Router};
use pairing::wire::CdpEvent;
use serde::Deserialize;
use serde_json::{json, Value};

/// The fields of a `chrome.downloads.DownloadItem` the router uses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadItem {
    /// Chrome's download id.
    pub id: i64,
    /// Where it comes from.
    #[serde(default)]
    pub url: String,
    /// Where it comes from after redirects.
    #[serde(default)]
    pub final_url: String,
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
    /// The file's own name: the last part of its path, else of its URL.
    fn suggested_filename(&self) -> String {
        let from_path = self.filename.rsplit(['/', '\\']).next().filter(|n| !n.is_empty());
        let from_url = self.url.split(['?', '#']).next().and_then(|u| u.rsplit('/').next()).filter(|n| !n.is_empty());
        from_path.or(from_url).unwrap_or("download").to_owned()
    }

    fn comes_from(&self, url: &str) -> bool {
        self.url == url || (!self.final_url.is_empty() && self.final_url == url)
    }
}

/// One download clients were told of.
#[derive(Debug, Clone)]
pub(super) struct Download {
    /// The guid clients know it by: Chrome's (from the debugger), else `chrome-download-<id>`.
    guid: String,
    /// Chrome's guid, once the debugger reported it (`Page.downloadWillBegin`).
    page_guid: Option<String>,
    /// Its `chrome.downloads` id, once that reported it.
    chrome_id: Option<i64>,
    url: String,
    /// Its `completed` or `canceled` progress was reported.
    finished: bool,
}

/// Finished downloads kept (to drop Chrome's repeated last reports) before the oldest go.
const KEEP_FINISHED: usize = 32;

impl Router {
    /// `Browser.setDownloadBehavior`: whether download events were asked for. The behavior
    /// itself is not applied (`chrome.debugger` refuses browser-level commands): downloads
    /// go where the user's Chrome puts them. Turning events off forgets the downloads.
    pub fn watch_downloads(&mut self, on: bool) {
        self.downloads_watched = on;
        if !on {
            self.downloads.clear();
        }
    }

    /// The debugger's `Page.downloadWillBegin` / `Page.downloadProgress` on an attached tab:
    /// queues the browser-level event a client expects (see [`take_events`](Self::take_events)).
    pub(super) fn page_download_event(&mut self, method: &str, params: &Value) {
        if !self.downloads_watched {
            return;
        }
        let Some(guid) = params.get("guid").and_then(Value::as_str) else { return };
        match method {
            "Page.downloadWillBegin" => self.page_download_began(guid, params),
            "Page.downloadProgress" => self.page_download_progressed(guid, params),
            _ => {}
        }
    }

    fn page_download_began(&mut self, guid: &str, params: &Value) {
        if self.downloads.iter().any(|d| d.page_guid.as_deref() == Some(guid)) {
            return;
        }
        let url = params.get("url").and_then(Value::as_str).unwrap_or_default();
        // `chrome.downloads` told of it first: it was reported then, under its own guid.
        let earlier = self.downloads.iter_mut().find(|d| !d.finished && d.page_guid.is_none() && d.url == url);
        if let Some(download) = earlier {
            download.page_guid = Some(guid.to_owned());
            return;
        }
        self.remember(Download {
            guid: guid.to_owned(),
            page_guid: Some(guid.to_owned()),
            chrome_id: None,
            url: url.to_owned(),
            finished: false,
        });
        let began = json!({"guid": guid, "url": url, "frameId": params.get("frameId").cloned().unwrap_or(json!("")),
            "suggestedFilename": params.get("suggestedFilename").cloned().unwrap_or(json!(""))});
        self.events.push(event("Browser.downloadWillBegin", began, None));
    }

    fn page_download_progressed(&mut self, guid: &str, params: &Value) {
        let Some(download) = self.downloads.iter_mut().find(|d| d.page_guid.as_deref() == Some(guid)) else {
            return;
        };
        let state = params.get("state").and_then(Value::as_str).unwrap_or("inProgress");
        // Its completion comes from `chrome.downloads`, which knows the file's path.
        if download.finished || (state == "completed" && download.chrome_id.is_some()) {
            return;
        }
        download.finished = state == "completed" || state == "canceled";
        let mut progress = params.clone();
        progress["guid"] = json!(download.guid);
        self.events.push(event("Browser.downloadProgress", progress, None));
    }

    /// `chrome.downloads.onCreated`: `Browser.downloadWillBegin`, if downloads are watched
    /// and the debugger did not report this download already.
    pub fn download_created(&mut self, item: &DownloadItem) -> Option<CdpEvent> {
        if !self.downloads_watched || self.downloads.iter().any(|d| d.chrome_id == Some(item.id)) {
            return None;
        }
        let reported = self
            .downloads
            .iter_mut()
            .find(|d| !d.finished && d.chrome_id.is_none() && d.page_guid.is_some() && item.comes_from(&d.url));
        if let Some(download) = reported {
            download.chrome_id = Some(item.id);
            return None;
        }
        let guid = format!("chrome-download-{}", item.id);
        self.remember(Download {
            guid: guid.clone(),
            page_guid: None,
            chrome_id: Some(item.id),
            url: item.url.clone(),
            finished: false,
        });
        let params =
            json!({"guid": guid, "url": item.url, "suggestedFilename": item.suggested_filename(), "frameId": ""});
        Some(event("Browser.downloadWillBegin", params, None))
    }

    /// A download changed (`chrome.downloads.onChanged`, the item read back):
    /// `Browser.downloadProgress`, with `filePath` once it is complete. Progress of a
    /// download the debugger reports comes from the debugger; each download finishes once.
    pub fn download_changed(&mut self, item: &DownloadItem) -> Option<CdpEvent> {
        if !self.downloads_watched {
            return None;
        }
        let download = self.downloads.iter_mut().find(|d| d.chrome_id == Some(item.id))?;
        let state = match item.state.as_str() {
            "complete" => "completed",
            "interrupted" => "canceled",
            _ => "inProgress",
        };
        if download.finished || (state == "inProgress" && download.page_guid.is_some()) {
            return None;
        }
        download.finished = state != "inProgress";
        let mut params = json!({"guid": download.guid, "state": state, "receivedBytes": item.bytes_received as u64,
            "totalBytes": item.total_bytes.max(0.0) as u64});
        if state == "completed" {
            params["filePath"] = json!(item.filename);
        }
        Some(event("Browser.downloadProgress", params, None))
    }

    /// `Browser.cancelDownload {guid}`: cancel it with `chrome.downloads` (answered `{}`
    /// when it is already over).
    pub(super) fn cancel_download(&self, params: &Value) -> Plan {
        let guid = params.get("guid").and_then(Value::as_str).unwrap_or_default();
        match self.downloads.iter().find(|d| d.guid == guid) {
            Some(d) if d.finished => Plan::Reply(Ok(json!({}))),
            Some(Download { chrome_id: Some(id), .. }) => Plan::CancelDownload(*id),
            _ => Plan::Reply(Err(format!("No download item found for the given GUID: {guid}"))),
        }
    }

    fn remember(&mut self, download: Download) {
        self.downloads.push(download);
        let finished = self.downloads.iter().filter(|d| d.finished).count();
        if finished > KEEP_FINISHED {
            if let Some(oldest) = self.downloads.iter().position(|d| d.finished) {
                self.downloads.remove(oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pairing::wire::{CdpCommand, CdpId};

    fn watching() -> Router {
        let mut r = Router::new();
        r.tab_attached(7, "MAINFRAME", "http://x/download", "Download");
        let on = json!({"behavior": "allowAndName", "downloadPath": "/tmp/pw", "eventsEnabled": true});
        let cmd = CdpCommand {
            id: CdpId::Num(1),
            method: "Browser.setDownloadBehavior".into(),
            params: Some(on),
            session_id: None,
        };
        assert_eq!(r.plan(&cmd, "UA"), Plan::Reply(Ok(json!({}))));
        r.take_events();
        r
    }

    fn item(id: i64, url: &str, state: &str, filename: &str) -> DownloadItem {
        serde_json::from_value(json!({"id": id, "url": url, "filename": filename, "state": state,
            "bytesReceived": 26, "totalBytes": 26}))
        .unwrap()
    }

    /// What the hub (and so the `/cdp` client) is sent for a debugger event: the event
    /// itself under the tab's session, then the browser-level events it caused.
    fn debugger(r: &mut Router, method: &str, params: Value) -> Vec<(String, Option<String>, Value)> {
        let forwarded = r.debugger_event(7, None, method, params);
        forwarded.into_iter().chain(r.take_events()).map(|e| (e.method, e.session_id, e.params.unwrap())).collect()
    }

    const URL: &str = "http://x/report.csv";

    #[test]
    fn the_debuggers_page_download_events_become_browser_events_with_the_frame_a_client_matches() {
        let mut r = watching();
        let began = json!({"frameId": "MAINFRAME", "guid": "g-1", "url": URL, "suggestedFilename": "report.csv"});
        let sent = debugger(&mut r, "Page.downloadWillBegin", began.clone());
        let session = r.session_of(7).map(str::to_owned);
        assert_eq!(sent[0], ("Page.downloadWillBegin".into(), session, began.clone()), "still forwarded as is");
        assert_eq!(sent[1], ("Browser.downloadWillBegin".into(), None, began), "at browser level, same guid and frame");
        // chrome.downloads' report of the same download is not a second download.
        assert!(r.download_created(&item(3, URL, "in_progress", "")).is_none());
        let progress = json!({"guid": "g-1", "state": "inProgress", "receivedBytes": 0, "totalBytes": 26});
        let sent = debugger(&mut r, "Page.downloadProgress", progress.clone());
        assert_eq!(sent[1], ("Browser.downloadProgress".into(), None, progress));
        assert!(r.download_changed(&item(3, URL, "in_progress", "/d/report.csv")).is_none(), "the debugger says it");
        // Completion comes with the file's path, once, from chrome.downloads.
        let completed = json!({"guid": "g-1", "state": "completed", "receivedBytes": 26, "totalBytes": 26});
        assert_eq!(debugger(&mut r, "Page.downloadProgress", completed).len(), 1, "only the page event");
        let done = r.download_changed(&item(3, URL, "complete", "/d/report (1).csv")).unwrap();
        assert_eq!(done.method, "Browser.downloadProgress");
        assert_eq!(done.session_id, None);
        let p = done.params.unwrap();
        assert_eq!((p["guid"].as_str(), p["state"].as_str()), (Some("g-1"), Some("completed")));
        assert_eq!(p["filePath"], "/d/report (1).csv");
        assert!(r.download_changed(&item(3, URL, "complete", "/d/report (1).csv")).is_none(), "finished once");
    }

    #[test]
    fn a_download_chrome_downloads_never_reports_finishes_from_the_debugger() {
        let mut r = watching();
        for (guid, state) in [("g-2", "completed"), ("g-3", "canceled")] {
            let began = json!({"frameId": "MAINFRAME", "guid": guid, "url": URL, "suggestedFilename": "report.csv"});
            debugger(&mut r, "Page.downloadWillBegin", began);
            let last = json!({"guid": guid, "state": state, "receivedBytes": 0, "totalBytes": 26});
            let sent = debugger(&mut r, "Page.downloadProgress", last.clone());
            assert_eq!(sent[1], ("Browser.downloadProgress".into(), None, last.clone()), "no path to add");
            assert_eq!(debugger(&mut r, "Page.downloadProgress", last).len(), 1, "finished once");
        }
        let unknown = json!({"guid": "never-began", "state": "inProgress"});
        assert_eq!(debugger(&mut r, "Page.downloadProgress", unknown).len(), 1, "no progress for an unknown guid");
    }

    #[test]
    fn chrome_downloads_alone_reports_downloads_of_tabs_the_debugger_does_not_see() {
        let mut r = watching();
        let begin = r.download_created(&item(5, URL, "in_progress", "")).unwrap();
        let p = begin.params.unwrap();
        assert_eq!((p["guid"].as_str(), p["frameId"].as_str()), (Some("chrome-download-5"), Some("")));
        let progress = r.download_changed(&item(5, URL, "in_progress", "")).unwrap().params.unwrap();
        assert_eq!(
            (progress["guid"].as_str(), progress["state"].as_str()),
            (Some("chrome-download-5"), Some("inProgress"))
        );
        // Told by chrome.downloads first: the debugger's late report is the same download.
        let late = json!({"frameId": "MAINFRAME", "guid": "g-5", "url": URL, "suggestedFilename": "report.csv"});
        assert_eq!(debugger(&mut r, "Page.downloadWillBegin", late).len(), 1, "no second downloadWillBegin");
        let progress = json!({"guid": "g-5", "state": "inProgress", "receivedBytes": 26, "totalBytes": 26});
        let sent = debugger(&mut r, "Page.downloadProgress", progress);
        assert_eq!(sent[1].2["guid"], "chrome-download-5", "under the guid the client knows");
        let done = r.download_changed(&item(5, URL, "interrupted", "")).unwrap().params.unwrap();
        assert_eq!((done["state"].as_str(), done.get("filePath")), (Some("canceled"), None));
    }

    #[test]
    fn nothing_is_reported_unless_asked_for_and_deny_turns_it_off() {
        let mut r = Router::new();
        r.tab_attached(7, "MAINFRAME", "http://x/download", "Download");
        let began = json!({"frameId": "MAINFRAME", "guid": "g-3", "url": URL, "suggestedFilename": "report.csv"});
        assert_eq!(debugger(&mut r, "Page.downloadWillBegin", began.clone()).len(), 1, "only the page event");
        assert!(r.download_created(&item(1, URL, "in_progress", "")).is_none());
        let mut r = watching();
        let deny = CdpCommand {
            id: CdpId::Num(2),
            method: "Browser.setDownloadBehavior".into(),
            params: Some(json!({"behavior": "deny", "eventsEnabled": true})),
            session_id: None,
        };
        r.plan(&deny, "UA");
        assert_eq!(debugger(&mut r, "Page.downloadWillBegin", began).len(), 1);
    }

    #[test]
    fn cancel_download_cancels_the_chrome_download_behind_a_guid() {
        let mut r = watching();
        let cancel = |guid: &str| CdpCommand {
            id: CdpId::Num(3),
            method: "Browser.cancelDownload".into(),
            params: Some(json!({"guid": guid})),
            session_id: None,
        };
        let began = json!({"frameId": "MAINFRAME", "guid": "g-4", "url": URL, "suggestedFilename": "report.csv"});
        debugger(&mut r, "Page.downloadWillBegin", began);
        assert!(matches!(r.plan(&cancel("g-4"), "UA"), Plan::Reply(Err(_))), "no chrome.downloads id yet");
        r.download_created(&item(8, URL, "in_progress", ""));
        assert_eq!(r.plan(&cancel("g-4"), "UA"), Plan::CancelDownload(8));
        r.download_changed(&item(8, URL, "interrupted", ""));
        assert_eq!(r.plan(&cancel("g-4"), "UA"), Plan::Reply(Ok(json!({}))), "already over");
        assert!(matches!(r.plan(&cancel("nope"), "UA"), Plan::Reply(Err(_))));
    }

    #[test]
    fn finished_downloads_are_forgotten_past_a_bound() {
        let mut r = watching();
        for id in 0..100 {
            let url = format!("http://x/{id}.csv");
            r.download_created(&item(id, &url, "in_progress", ""));
            r.download_changed(&item(id, &url, "complete", "/d/f"));
        }
        assert!(r.downloads.len() <= KEEP_FINISHED + 1, "{}", r.downloads.len());
    }
}
