//! `page.dialog` and `page.evaluate`: answering what the page asks, and running the
//! caller's JavaScript in it.

use crate::dialogs::{outcome, DialogPolicy};
use crate::downloads::DownloadRecord;
use crate::error::{err, Error};
use crate::js;
use crate::session::BrowserSession;
use crate::SessionOp;
use opendevbrowser_api::commands::{Click, Dialog, DialogAnswer, Download, Downloaded, Evaluate, Evaluated};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

impl SessionOp for Dialog {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<DialogAnswer, Error> {
        let accept = match self.action.as_deref() {
            None => None,
            Some("accept") => Some(true),
            Some("dismiss") => Some(false),
            Some(other) => return Err(Error::param("action", format!("must be accept or dismiss, not {other:?}"))),
        };
        let policy = self.policy.as_deref().map(DialogPolicy::parse).transpose()?;
        let (target, cdp) = session.active_ignoring_dialogs().await?;
        if let Some(policy) = policy {
            session.state().dialog_policy = policy;
        }
        let policy = session.state().dialog_policy;
        let open = session.state().dialogs.get(&target).cloned();
        // An explicit action wins; a new accept/dismiss policy also answers what is open.
        let answer = accept.or(open.as_ref().and(policy.auto_answer()));
        let handled = match (answer, open) {
            (None, _) => None,
            (Some(_), None) if accept.is_some() => {
                return Err(err("no_dialog", "no JavaScript dialog is open on this tab: nothing to answer"))
            }
            (Some(_), None) => None,
            (Some(accept), Some(mut dialog)) => {
                let mut params = json!({"accept": accept});
                if let (true, Some(text)) = (accept, &self.prompt_text) {
                    params["promptText"] = json!(text);
                }
                session.call("Page.handleJavaScriptDialog", params, Some(&cdp)).await?;
                session.state().dialogs.remove(&target);
                dialog.outcome = Some(outcome(accept).to_owned());
                Some(dialog)
            }
        };
        Ok(DialogAnswer { handled, policy: policy.name().to_owned() })
    }
}

impl SessionOp for Evaluate {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Evaluated, Error> {
        let (target, cdp) = session.active().await?;
        if let Some(r) = &self.element {
            session.check_ref(&target, r)?;
        }
        let args = self.args.unwrap_or_default();
        let function = js::evaluate(&self.expression);
        let result = match &self.element {
            Some(r) => {
                crate::frames::call_on_ref(session, &target, &cdp, r, &function, &[json!(true), json!(args)], true)
                    .await?
            }
            None => {
                crate::ref_table::call(session, &target, &cdp, &function, &[json!(false), json!(args)], true).await?
            }
        };
        if result["stale"] == true {
            let r = self.element.unwrap_or_default();
            return Err(err("stale_ref", format!("ref {r} is no longer in the page: take a new snapshot")));
        }
        if let Some(problem) = result["problem"].as_str() {
            return Err(Error::param("expression", problem.to_owned()));
        }
        Ok(Evaluated {
            value: result["value"].clone(),
            kind: result["type"].as_str().unwrap_or("undefined").to_owned(),
        })
    }
}

impl SessionOp for Download {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Downloaded, Error> {
        let timeout = Duration::from_millis(self.timeout_ms.unwrap_or(30_000));
        enable_downloads(session).await?;
        let before = session.state().downloads.guids();
        let mut seen = session.download_seen.subscribe();
        let click = Click { element: Some(self.element.clone()), ..Click::default() };
        SessionOp::run(click, session).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let done = session.state().downloads.new_since(&before).filter(|(_, r)| r.finished());
            if let Some((guid, record)) = done {
                return saved(session, &guid, record);
            }
            if !matches!(tokio::time::timeout_at(deadline, seen.changed()).await, Ok(Ok(()))) {
                let started = session.state().downloads.new_since(&before).is_some();
                let what = if started { "did not finish" } else { "did not start" };
                return Err(err(
                    "download_failed",
                    format!("a download {what} within {} ms of clicking {}", timeout.as_millis(), self.element),
                ));
            }
        }
    }
}

/// Asks the browser for download events once per session; a managed (or connected)
/// browser saves into the session's own folder. Through the extension, files go where the
/// user's Chrome saves downloads, and the extension reports them as the same events.
async fn enable_downloads(session: &BrowserSession) -> Result<(), Error> {
    if session.state().downloads.enabled {
        return Ok(());
    }
    let dir = &session.download_dir;
    opendevbrowser_api::files::create_private_dir(dir)
        .map_err(|e| err("download_failed", format!("cannot create {}: {e}", dir.display())))?;
    let behavior = json!({"behavior": "allowAndName", "downloadPath": dir, "eventsEnabled": true});
    session.call("Browser.setDownloadBehavior", behavior, None).await?;
    session.state().downloads.enabled = true;
    Ok(())
}

/// The finished download as a file: canceled is `download_failed`; a file the browser
/// named by its guid (`allowAndName`) gets the site's name back.
fn saved(session: &BrowserSession, guid: &str, record: DownloadRecord) -> Result<Downloaded, Error> {
    if record.state != "completed" {
        return Err(err("download_failed", format!("the browser canceled the download of {}", record.url)));
    }
    let mut path = record.file_path.map(PathBuf::from).unwrap_or_else(|| session.download_dir.join(guid));
    if path.file_name().is_some_and(|n| n == guid) && !record.suggested_filename.is_empty() {
        let named = free_name(&session.download_dir, &record.suggested_filename);
        if std::fs::rename(&path, &named).is_ok() {
            path = named;
        }
    }
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(record.received_bytes);
    Ok(Downloaded {
        path: path.display().to_string(),
        bytes,
        suggested_filename: record.suggested_filename,
        url: record.url,
    })
}

/// `dir/name`, or `dir/1-name`, `dir/2-name`… if taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let name = Path::new(name).file_name().map_or_else(|| "download".into(), |n| n.to_string_lossy().into_owned());
    (0..)
        .map(|i| if i == 0 { dir.join(&name) } else { dir.join(format!("{i}-{name}")) })
        .find(|p| !p.exists())
        .unwrap_or_default()
}
