//! `devtools.harStart` / `devtools.harStop`: a session's network recorded to a HAR 1.2
//! file ([`crate::har`]). Bodies are read from the browser when the recording stops (those
//! it still holds, within the size cap); the file is written 0600 (headers carry cookies).

use crate::error::{err, Error};
use crate::har::{self, Body, Recording};
use crate::session::BrowserSession;
use crate::SessionOp;
use opendevbrowser_api::commands::{Done, HarFile, HarStart, HarStop};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

impl SessionOp for HarStart {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<Done, Error> {
        let max_body_bytes = self.max_body_bytes.unwrap_or(1_000_000) as usize;
        session.state().har = Some(Recording { max_body_bytes, ..Recording::default() });
        Ok(Done::YES)
    }
}

impl SessionOp for HarStop {
    async fn run(self, session: &Arc<BrowserSession>) -> Result<HarFile, Error> {
        let recording = session.state().har.take();
        let recording = recording
            .ok_or_else(|| err("not_recording", "no HAR recording runs in this session: devtools.harStart first"))?;
        let mut bodies = HashMap::new();
        for (request, target) in recording.bodies_wanted() {
            let cdp = session.state().targets.get(&target).map(|t| t.cdp_session.clone()).filter(|c| !c.is_empty());
            let Some(cdp) = cdp else { continue };
            if let Ok(got) = session.call("Network.getResponseBody", json!({"requestId": request}), Some(&cdp)).await {
                let text = got["body"].as_str().unwrap_or_default().to_owned();
                bodies.insert(request, Body { text, base64: got["base64Encoded"] == true });
            }
        }
        let doc = har::build(&recording.events, &bodies, env!("CARGO_PKG_VERSION"));
        let text = serde_json::to_string_pretty(&doc).expect("a HAR serializes");
        opendevbrowser_api::files::write_private_atomic(std::path::Path::new(&self.path), text.as_bytes())
            .map_err(|e| Error::param("path", format!("cannot write {}: {e}", self.path)))?;
        let count = |key: &str| doc["log"][key].as_array().map_or(0, Vec::len);
        Ok(HarFile {
            path: self.path,
            entries: count("entries"),
            pages: count("pages"),
            bodies: bodies.len(),
            dropped_events: recording.dropped,
        })
    }
}
